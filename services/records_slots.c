/*
 * records_slots.c: free inspection slots and booking one; see records_slots.h.
 */
#include "records_slots.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "records_op.h"

/* ---- free slots ---- */

static void slots_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_slots_cb)o->cb)(o->arg, status, why, NULL, 0);
}

static int slots_reply(struct rec_op *o, const redisReply *r)
{
    if (!rec_is_arr(r))
        return rec_op_why(o, REC_ERR, "data");
    struct rec_slot s[REC_LIST_MAX];
    char labels[REC_LIST_MAX][24];
    size_t n = 0;
    for (size_t i = 0; i + 1 < r->elements && n < o->max; i += 2) {
        const char *id = rec_elem(r, i);
        time_t at = (time_t)rec_to_long(rec_elem(r, i + 1));
        if (!id || !at)
            continue;
        /* one entry per start time (another inspector at the same time is the same
         * choice for the applicant) */
        if (n && s[n - 1].at == at)
            continue;
        records_slot_label(id, labels[n], sizeof labels[n]);
        if (!labels[n][0])
            continue;
        s[n] = (struct rec_slot){id, at, labels[n]};
        n++;
    }
    ((rec_slots_cb)o->cb)(o->arg, REC_OK, NULL, s, n);
    return REC_OK;
}

static const struct rec_op_kind slots_kind = {slots_fail, slots_reply, 0};

int records_slots_free(const struct svc_env *env, const char *district, size_t max,
                       rec_slots_cb cb, void *arg)
{
    struct rec_op *o = rec_op_new(env, &slots_kind, (rec_fn)cb, arg);
    if (!o)
        return -1;
    const struct geo_district *d = geo_district_by_name(district);
    if (!d)
        return rec_op_fail(o, REC_INVALID, "district");
    o->max = rec_list_max(max);
    char key[64], from[24], lim[16];
    snprintf(key, sizeof key, REC_PREFIX "slots:%s", d->name);
    snprintf(from, sizeof from, "%lld", (long long)rec_now(o));
    /* room for several inspectors per start time */
    snprintf(lim, sizeof lim, "%zu", o->max * 4);
    const char *argv[] = {"ZRANGEBYSCORE", key, from, "+inf", "WITHSCORES", "LIMIT", "0", lim};
    return rec_op_cmd(o, 8, argv);
}

/* ---- booking ---- */

/* KEYS app hist; ARGV 1 slot 2 now 3 now-epoch 4 history entry (approved) 5 history
 * entry (paid) 6 ref 7 slots prefix 8 booked suffix.
 * Returns {verdict, district, slot, previous}. */
static struct rec_script script_book = {
    "records.book",
    REC_LUA_COMMON
    "local t=redis.call('TYPE',KEYS[1]).ok\n"
    "if t=='none' then return {'not_found','','',''} end\n"
    "if t~='hash' or not ok(KEYS[2],'list') then return redis.error_reply('WRONGTYPE application') end\n"
    "local f=redis.call('HMGET',KEYS[1],'service','status','d.district','slot','slot_at','slot_district')\n"
    "if f[1]~='permit' then return {'not_permit','','',''} end\n"
    "if f[2]~='approved' and f[2]~='paid' then return {'status','','',''} end\n"
    "local d=f[3]\n"
    "if not d or d=='' then return {'no_district','','',''} end\n"
    "local free=ARGV[7]..d local booked=free..ARGV[8]\n"
    "if not (ok(free,'zset') and ok(booked,'hash')) then return redis.error_reply('WRONGTYPE slots') end\n"
    "if f[4]==ARGV[1] and f[6]==d then return {'same',d,ARGV[1],''} end\n"
    "local sc=redis.call('ZSCORE',free,ARGV[1])\n"
    "if not sc then return {'slot_taken',d,ARGV[1],''} end\n"
    "if tonumber(sc)<tonumber(ARGV[3]) then return {'past',d,ARGV[1],''} end\n"
    "local prev=''\n"
    "if f[4] and f[4]~='' and f[6] and f[6]~='' then\n"
    "  local pf=ARGV[7]..f[6] local pb=pf..ARGV[8]\n"
    "  if ok(pf,'zset') and ok(pb,'hash') and redis.call('HGET',pb,f[4])==ARGV[6] then\n"
    "    prev=f[4] redis.call('HDEL',pb,f[4])\n"
    "    if tonumber(f[5] or '') then redis.call('ZADD',pf,f[5],f[4]) end end end\n"
    "redis.call('ZREM',free,ARGV[1])\n"
    "redis.call('HSET',booked,ARGV[1],ARGV[6])\n"
    "redis.call('HSET',KEYS[1],'slot',ARGV[1],'slot_at',sc,'slot_district',d,'updated',ARGV[2])\n"
    "redis.call('RPUSH',KEYS[2],f[2]=='paid' and ARGV[5] or ARGV[4])\n"
    "return {'ok',d,ARGV[1],prev}\n",
    {0},
};

static void book_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_book_cb)o->cb)(o->arg, status, why, NULL);
}

static int book_reply(struct rec_op *o, const redisReply *r)
{
    const char *verdict = rec_elem(r, 0);
    if (!verdict || r->elements != 4 || !rec_elem(r, 1) || !rec_elem(r, 2) || !rec_elem(r, 3))
        return rec_op_why(o, REC_ERR, "data");
    static const char *const refusals[] = {"not_permit", "status", "no_district", "slot_taken",
                                           "past"};
    if (strcmp(verdict, "not_found") == 0)
        return rec_op_why(o, REC_NOT_FOUND, "not_found");
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (strcmp(verdict, refusals[i]) == 0)
            return rec_op_why(o, REC_REFUSED, refusals[i]);
    if (strcmp(verdict, "ok") != 0 && strcmp(verdict, "same") != 0)
        return rec_op_why(o, REC_ERR, "data");
    struct rec_booking b = {o->ref, rec_elem(r, 2), rec_elem(r, 1), rec_elem(r, 3),
                            strcmp(verdict, "same") == 0};
    ((rec_book_cb)o->cb)(o->arg, REC_OK, NULL, &b);
    return REC_OK;
}

static const struct rec_op_kind book_kind = {book_fail, book_reply, 0};

/* 1 when slot is a slot id: YYYYMMDDHHMM-N. */
static int slot_ok(const char *slot, size_t max, char *label, size_t n)
{
    size_t l = slot ? strlen(slot) : 0;
    return l < max && records_slot_label(slot, label, n)[0] &&
           strspn(slot + 13, "0123456789") == l - 13;
}

/* Send the booking of o->slot for o->ref. */
static int book_send(struct rec_op *o, const char *label)
{
    time_t now = rec_now(o);
    char at[REC_TIME_MAX], epoch[24], note[64];
    records_time(now, 0, at, sizeof at);
    snprintf(epoch, sizeof epoch, "%lld", (long long)now);
    snprintf(note, sizeof note, "inspection booked for %s", label);
    /* the entry keeps the status, approved or paid, which only the script reads */
    char *h_approved = records_hist_json(at, "approved", note);
    char *h_paid = records_hist_json(at, "paid", note);
    char k_app[64], k_hist[64];
    snprintf(k_app, sizeof k_app, REC_PREFIX "app:%s", o->ref);
    snprintf(k_hist, sizeof k_hist, REC_PREFIX "app:%s:hist", o->ref);
    const char *args[] = {k_app,  k_hist, o->slot, at, epoch, h_approved, h_paid, o->ref,
                          REC_PREFIX "slots:", ":booked"};
    int rc = h_approved && h_paid ? rec_op_eval(o, &script_book, 2, 10, args)
                                  : rec_op_fail(o, REC_ERR, "memory");
    free(h_approved);
    free(h_paid);
    return rc;
}

int records_slot_book(const struct svc_ctx *ctx, const char *ref, const char *slot,
                      rec_book_cb cb, void *arg)
{
    struct rec_op *o = rec_op_new(ctx ? ctx->env : NULL, &book_kind, (rec_fn)cb, arg);
    if (!o)
        return -1;
    const char *bad = rec_parse_ref(ref, o->ref, sizeof o->ref);
    if (bad)
        return rec_op_fail(o, REC_INVALID, bad);
    char label[24];
    if (!slot_ok(slot, sizeof o->slot, label, sizeof label))
        return rec_op_fail(o, REC_INVALID, "slot");
    snprintf(o->slot, sizeof o->slot, "%s", slot);
    return book_send(o, label);
}
