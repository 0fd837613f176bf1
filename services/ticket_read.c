/*
 * ticket_read.c: one reported problem read whole; see ticket_read.h.
 */
#include "ticket_read.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records_op.h"

/* KEYS ticket hist followers; ARGV max-history. {} or {HGETALL, history, followers}. */
static struct rec_script script_ticket = {
    "records.ticket_get",
    "if redis.call('TYPE',KEYS[1]).ok~='hash' then return {} end\n"
    "return {redis.call('HGETALL',KEYS[1]),redis.call('LRANGE',KEYS[2],-tonumber(ARGV[1]),-1),"
    "redis.call('SCARD',KEYS[3])}\n",
    {0},
};

/* The history, parsed; its JSON is kept until the callback returns. */
struct ticket_view {
    struct rec_hist hist[REC_TICKET_HIST_MAX];
    json_t *json[REC_TICKET_HIST_MAX];
    size_t n;
};

static const char *json_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void view_hist(struct ticket_view *v, const redisReply *h)
{
    for (size_t i = 0; rec_is_arr(h) && i < h->elements && v->n < REC_TICKET_HIST_MAX; i++) {
        const char *s = rec_elem(h, i);
        if (!s)
            continue;
        json_t *j = json_loads(s, 0, NULL);
        v->json[v->n] = j;
        v->hist[v->n++] = (struct rec_hist){json_str(j, "at"), json_str(j, "status"),
                                            json_str(j, "note")};
    }
}

static void ticket_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_ticket_cb)o->cb)(o->arg, status, why, NULL);
}

static int ticket_reply(struct rec_op *o, const redisReply *r)
{
    if (r->elements != 3 || !rec_is_arr(r->element[0]))
        return rec_op_why(o, REC_NOT_FOUND, "not_found");
    const redisReply *h = r->element[0], *f = r->element[2];
    struct ticket_view *v = calloc(1, sizeof *v);
    if (!v)
        return rec_op_why(o, REC_ERR, "memory");
    view_hist(v, r->element[1]);
    struct rec_ticket t = {
        rec_kv_s(h, "ref"),         rec_kv_s(h, "category"), rec_kv_s(h, "status"),
        rec_kv_s(h, "landmark"),    rec_kv_s(h, "sector"),   rec_kv_s(h, "district"),
        rec_kv_s(h, "description"), rec_kv_s(h, "msisdn"),   rec_kv_s(h, "reports"),
        rec_kv_s(h, "created"),     rec_kv_s(h, "updated"),  rec_kv_s(h, "channel"),
        f->type == REDIS_REPLY_INTEGER ? f->integer : 0,     v->hist,
        v->n,
    };
    ((rec_ticket_cb)o->cb)(o->arg, REC_OK, NULL, &t);
    for (size_t i = 0; i < v->n; i++)
        json_decref(v->json[i]);
    free(v);
    return REC_OK;
}

static const struct rec_op_kind ticket_kind = {ticket_fail, ticket_reply, 1};

int records_ticket_get(const struct svc_env *env, const char *ref, rec_ticket_cb cb, void *arg)
{
    char canon[REFS_MAX], k[3][64 + 16], mx[8];
    const char *bad = refs_parse(ref, "TKT", canon, sizeof canon);
    const char *t = bad ? "" : canon;
    snprintf(k[0], sizeof k[0], REC_PREFIX "ticket:%s", t);
    snprintf(k[1], sizeof k[1], REC_PREFIX "ticket:%s:hist", t);
    snprintf(k[2], sizeof k[2], REC_PREFIX "ticket:%s:followers", t);
    snprintf(mx, sizeof mx, "%d", REC_TICKET_HIST_MAX);
    const char *args[] = {k[0], k[1], k[2], mx};
    return rec_eval_get(env, &ticket_kind, (rec_fn)cb, arg, bad, &script_ticket, 3, 4, args);
}
