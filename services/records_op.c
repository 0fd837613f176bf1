/*
 * records_op.c: the records operations' common part: making one, failing it from the
 * loop, sending its requests, and reading the replies; see records_op.h.
 */
#include "records_op.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void op_free(struct rec_op *o)
{
    event_free(o->ev);
    free(o);
}

static void op_deferred(evutil_socket_t fd, short what, void *p)
{
    struct rec_op *o = p;
    (void)fd;
    (void)what;
    o->kind->fail(o, o->status, o->why);
    op_free(o);
}

struct rec_op *rec_op_new(const struct svc_env *env, const struct rec_op_kind *kind, rec_fn cb,
                          void *arg)
{
    struct rec_op *o = env && env->base ? calloc(1, sizeof *o) : NULL;
    if (!o)
        return NULL;
    /* made now, so that reporting a failure later needs no memory */
    o->ev = event_new(env->base, -1, 0, op_deferred, o);
    if (!o->ev) {
        free(o);
        return NULL;
    }
    o->kind = kind;
    o->cb = cb;
    o->arg = arg;
    o->env = *env;
    return o;
}

int rec_op_fail(struct rec_op *o, int status, const char *why)
{
    o->status = status;
    o->why = why;
    event_active(o->ev, EV_TIMEOUT, 1);
    return 0;
}

int rec_op_why(struct rec_op *o, int status, const char *why)
{
    o->status = status;
    o->why = why;
    return status;
}

/* The failure a store reply stands for, or NULL. */
static const char *reply_why(int status, const redisReply *r)
{
    if (status == STORE_OK && r && r->type != REDIS_REPLY_ERROR)
        return NULL;
    if (r && r->type == REDIS_REPLY_ERROR) {
        char q[160];
        log_event(L_WARN, "records.redis_error", "error=%s",
                  log_q(r->str ? r->str : "", q, sizeof q));
        return "data";
    }
    return "redis";
}

static void on_reply(void *p, int status, const redisReply *r)
{
    struct rec_op *o = p;
    if (o->starting) {
        /* the store failed inside our call (store.h: only when out of memory) */
        rec_op_fail(o, REC_ERR, "redis");
        return;
    }
    const char *why = reply_why(status, r);
    int st;
    if (why)
        st = rec_op_why(o, REC_ERR, why);
    else if (o->kind->empty_not_found && (!rec_is_arr(r) || r->elements == 0))
        st = rec_op_why(o, REC_NOT_FOUND, "not_found");
    else
        st = o->kind->reply(o, r);
    if (st == REC_PENDING)
        return;
    if (st != REC_OK)
        o->kind->fail(o, st, o->why);
    op_free(o);
}

int rec_op_cmd(struct rec_op *o, int argc, const char *const *argv)
{
    if (!o->env.store)
        return rec_op_fail(o, REC_ERR, "redis");
    o->starting = 1;
    store_cmd(o->env.store, on_reply, o, argc, argv, NULL);
    o->starting = 0;
    return 0;
}

#define REC_EVAL_MAX_ARGS 128

int rec_op_eval(struct rec_op *o, struct rec_script *s, int nkeys, int argc,
                const char *const *argv)
{
    if (!o->env.store)
        return rec_op_fail(o, REC_ERR, "redis");
    if (!s->sc.sha[0])
        store_script_init(&s->sc, s->name, s->lua);
    const char *a[REC_EVAL_MAX_ARGS];
    if (argc > REC_EVAL_MAX_ARGS)
        return rec_op_fail(o, REC_ERR, "data");
    for (int i = 0; i < argc; i++)
        a[i] = argv[i] ? argv[i] : "";
    o->starting = 1;
    store_eval(o->env.store, &s->sc, nkeys, argc, a, NULL, on_reply, o);
    o->starting = 0;
    return 0;
}

int rec_hash_get(const struct svc_env *env, const struct rec_op_kind *kind, rec_fn cb, void *arg,
                 const char *invalid, const char *key)
{
    struct rec_op *o = rec_op_new(env, kind, cb, arg);
    if (!o)
        return -1;
    if (invalid)
        return rec_op_fail(o, REC_INVALID, invalid);
    const char *argv[] = {"HGETALL", key};
    return rec_op_cmd(o, 2, argv);
}

int rec_eval_get(const struct svc_env *env, const struct rec_op_kind *kind, rec_fn cb, void *arg,
                 const char *invalid, struct rec_script *s, int nkeys, int argc,
                 const char *const *argv)
{
    struct rec_op *o = rec_op_new(env, kind, cb, arg);
    if (!o)
        return -1;
    if (invalid)
        return rec_op_fail(o, REC_INVALID, invalid);
    return rec_op_eval(o, s, nkeys, argc, argv);
}

/* ---- reading replies ---- */

int rec_is_str(const redisReply *r)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && r->str;
}

int rec_is_arr(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY;
}

const char *rec_elem(const redisReply *r, size_t i)
{
    return rec_is_arr(r) && i < r->elements && rec_is_str(r->element[i]) ? r->element[i]->str
                                                                          : NULL;
}

const char *rec_kv(const redisReply *h, const char *k)
{
    if (!rec_is_arr(h))
        return NULL;
    for (size_t i = 0; i + 1 < h->elements; i += 2)
        if (rec_is_str(h->element[i]) && strcmp(h->element[i]->str, k) == 0)
            return rec_is_str(h->element[i + 1]) ? h->element[i + 1]->str : NULL;
    return NULL;
}

const char *rec_kv_s(const redisReply *h, const char *k)
{
    const char *v = rec_kv(h, k);
    return v ? v : "";
}

long rec_to_long(const char *s)
{
    if (!s || !*s)
        return 0;
    char *end;
    long v = strtol(s, &end, 10);
    return *end && *end != '.' ? 0 : v;
}

long rec_kv_l(const redisReply *h, const char *k)
{
    return rec_to_long(rec_kv(h, k));
}

void rec_bill_from(struct rec_bill *b, const redisReply *h)
{
    b->number = rec_kv_s(h, "bill");
    b->ref = rec_kv_s(h, "ref");
    b->amount = rec_kv_l(h, "amount");
    b->status = rec_kv_s(h, "status");
    b->created = rec_kv_s(h, "created");
    b->expires = rec_kv_s(h, "expires");
    b->paid_at = rec_kv_s(h, "paid_at");
    b->pay_code = rec_kv_s(h, "pay_code");
}

/* ---- shared checks ---- */

int rec_msisdn_ok(const char *s)
{
    size_t l = s ? strlen(s) : 0;
    return l >= 6 && l <= 15 && strspn(s, "0123456789") == l;
}

int rec_value_ok(const char *s)
{
    size_t l = s ? strlen(s) : 0;
    if (l > REC_VALUE_MAX)
        return 0;
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

const char *rec_parse_ref(const char *in, char *out, size_t n)
{
    /* digits alone do not say which service: "format" */
    return refs_parse(in, NULL, out, n);
}

size_t rec_list_max(size_t max)
{
    return max == 0 || max > REC_LIST_MAX ? (size_t)REC_LIST_MAX : max;
}

time_t rec_now(const struct rec_op *o)
{
    return (time_t)(svc_now_ms(&o->env) / 1000);
}
