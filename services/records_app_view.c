/*
 * records_app_view.c: one application read whole; see records_app_view.h.
 */
#include "records_app_view.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

/* KEYS app hist; ARGV 1 max-history 2 bill prefix. Returns {} or {apphash, history,
 * billhash}. */
static struct rec_script script_app_get = {
    "records.app_get",
    "if redis.call('EXISTS',KEYS[1])==0 then return {} end\n"
    "local a=redis.call('HGETALL',KEYS[1])\n"
    "local h={}\n"
    "if redis.call('TYPE',KEYS[2]).ok=='list' then h=redis.call('LRANGE',KEYS[2],-tonumber(ARGV[1]),-1) end\n"
    "local b={}\n"
    "local bill=redis.call('HGET',KEYS[1],'bill')\n"
    "if bill and bill~='' then local k=ARGV[2]..bill\n"
    "  if redis.call('TYPE',k).ok=='hash' then b=redis.call('HGETALL',k) end end\n"
    "return {a,h,b}\n",
    {0},
};

int rec_app_read(struct rec_op *o)
{
    char ka[64], kh[64], mx[8];
    snprintf(ka, sizeof ka, REC_PREFIX "app:%s", o->ref);
    snprintf(kh, sizeof kh, REC_PREFIX "app:%s:hist", o->ref);
    snprintf(mx, sizeof mx, "%d", REC_MAX_HIST);
    const char *args[] = {ka, kh, mx, REC_PREFIX "bill:"};
    return rec_op_eval(o, &script_app_get, 2, 4, args);
}

static const char *json_str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* The history entries of list reply hist that are JSON objects. */
static void view_hist(struct rec_app_view *v, const redisReply *hist)
{
    for (size_t i = 0; i < hist->elements && v->n_json < REC_MAX_HIST; i++) {
        const char *s = rec_elem(hist, i);
        json_t *j = s ? json_loads(s, 0, NULL) : NULL;
        if (!json_is_object(j)) {
            json_decref(j);
            continue;
        }
        v->json[v->n_json] = j;
        v->hist[v->n_json] =
            (struct rec_hist){json_str(j, "at"), json_str(j, "status"), json_str(j, "note")};
        v->n_json++;
    }
    v->a.hist = v->hist;
    v->a.n_hist = v->n_json;
}

int rec_app_view_parse(struct rec_app_view *v, const redisReply *r)
{
    memset(v, 0, sizeof *v);
    if (!rec_is_arr(r) || r->elements != 3 || !rec_is_arr(r->element[0]) ||
        !rec_is_arr(r->element[1]) || !rec_is_arr(r->element[2]))
        return -1;
    const redisReply *h = r->element[0], *b = r->element[2];
    struct rec_app *a = &v->a;
    v->hash = h;
    a->ref = rec_kv_s(h, "ref");
    a->service = rec_kv_s(h, "service");
    a->kind = rec_kv_s(h, "kind");
    a->status = rec_kv_s(h, "status");
    a->msisdn = rec_kv_s(h, "msisdn");
    a->created = rec_kv_s(h, "created");
    a->updated = rec_kv_s(h, "updated");
    a->channel = rec_kv_s(h, "channel");
    a->slot = rec_kv_s(h, "slot");
    a->slot_district = rec_kv_s(h, "slot_district");
    if (!a->ref[0] || !a->status[0])
        return -1;
    for (size_t i = 0; i + 1 < h->elements && a->n_details < REC_MAX_DETAILS; i += 2) {
        const char *k = rec_elem(h, i), *val = rec_elem(h, i + 1);
        if (k && val && strncmp(k, "d.", 2) == 0 && k[2])
            v->details[a->n_details++] = (struct handler_kv){k + 2, val};
    }
    a->details = v->details;
    view_hist(v, r->element[1]);
    if (b->elements) {
        rec_bill_from(&v->bill, b);
        if (v->bill.number[0])
            a->bill = &v->bill;
    }
    return 0;
}

void rec_app_view_done(struct rec_app_view *v)
{
    for (size_t i = 0; i < v->n_json; i++)
        json_decref(v->json[i]);
    v->n_json = 0;
}
