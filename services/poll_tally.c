/*
 * poll_tally.c: a poll's tally, and the store steps of its results by SMS; see
 * poll_tally.h.
 *
 * Keys are KEYS; the two a script only knows from what it reads (a proposal's district,
 * a voter's language) are made from prefixes in ARGV.
 */
#include "poll_tally.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polls.h"
#include "svc_store.h"

#define LOCK_MS "120000" /* a poll's results lock: a process that dies frees it by then */

/* ---- the call record ---- */

enum op_kind { OP_TALLY, OP_BEGIN, OP_SNAPSHOT, OP_SCAN, OP_DONE };

struct op {
    struct svc_op h; /* first: the record is a svc_op */
    union {
        poll_tally_cb tally;
        poll_begin_cb begin;
        poll_snapshot_cb snapshot;
        poll_scan_cb scan;
        poll_done_cb done;
    } cb;
    const struct menu_poll *p;
};

static void op_failed(struct svc_op *h, int st, const char *why)
{
    struct op *o = (struct op *)h;
    void *a = o->h.arg;
    switch ((enum op_kind)o->h.kind) {
    case OP_TALLY: o->cb.tally(a, st, why, NULL); break;
    case OP_BEGIN: o->cb.begin(a, st, POLL_RESULTS_NOTHING, 0, 0); break;
    case OP_SNAPSHOT: o->cb.snapshot(a, st, NULL); break;
    case OP_SCAN: o->cb.scan(a, st, NULL, 0, NULL, 0); break;
    case OP_DONE: o->cb.done(a, st); break;
    }
    free(o);
}

/* The strings of an array reply r, NULL-free ("" for a non-string), into s (n slots). */
static void flat(const redisReply *r, const char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s[i] = svc_reply_str(r, i) ? svc_reply_str(r, i) : "";
}

/* ---- the tally ---- */

/* KEYS: tally, extra. ARGV: the proposal key prefix. {tally, extra, the district of each
 * extra (its proposal's, for a pN)}, each HGETALL a flat array. */
static struct store_script script_tally = SVC_SCRIPT(
    "polls.tally",
    "local t=redis.call('HGETALL',KEYS[1]) local x=redis.call('HGETALL',KEYS[2]) local d={}\n"
    "for i=1,#x,2 do local v=''\n"
    "  if string.sub(x[i],1,1)=='p' then\n"
    "    v=redis.pcall('HGET',ARGV[1]..string.sub(x[i],2),'district')\n"
    "    if type(v)~='string' then v='' end end\n"
    "  d[#d+1]=v end\n"
    "return {t,x,d}\n");

/* The votes of option id in the flat tally t. */
static long long votes_of(const redisReply *t, const char *id)
{
    for (size_t k = 0; k + 1 < svc_reply_len(t); k += 2)
        if (svc_reply_str(t, k) && strcmp(svc_reply_str(t, k), id) == 0)
            return svc_reply_num(t, k + 1);
    return 0;
}

static void on_tally(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    const redisReply *t = svc_reply_at(r, 0), *x = svc_reply_at(r, 1), *d = svc_reply_at(r, 2);
    size_t nx = svc_reply_len(x) / 2, k = 0;
    long long *votes = calloc(o->p->n_options ? o->p->n_options : 1, sizeof *votes);
    struct poll_tally_extra *e = calloc(nx ? nx : 1, sizeof *e);
    if (!votes || !e || svc_reply_len(r) != 3) {
        free(votes);
        free(e);
        svc_op_fail(&o->h, REC_ERR, votes && e ? "data" : "memory");
        return;
    }
    for (size_t i = 0; i < o->p->n_options; i++)
        votes[i] = votes_of(t, o->p->options[i].id);
    for (size_t i = 0; i < nx; i++) {
        const char *id = svc_reply_str(x, 2 * i), *label = svc_reply_str(x, 2 * i + 1);
        /* only what moderation wrote (pN is proposal N) counts */
        if (!id || !label || id[0] != 'p' || strspn(id + 1, "0123456789") == 0)
            continue;
        const char *dist = svc_reply_str(d, i);
        e[k++] = (struct poll_tally_extra){id, label, dist ? dist : "", votes_of(t, id)};
    }
    struct poll_tally tally = {votes, e, k};
    o->cb.tally(o->h.arg, REC_OK, NULL, &tally);
    free(votes);
    free(e);
    free(o);
}

void poll_tally_get(const struct svc_env *env, const struct menu_poll *p, poll_tally_cb cb,
                    void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_TALLY, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.tally = cb;
    o->p = p;
    char k_tally[160], k_extra[160], prefix[64];
    polls_key(k_tally, sizeof k_tally, p->id, "tally");
    polls_key(k_extra, sizeof k_extra, p->id, "extra");
    polls_key(prefix, sizeof prefix, NULL, "proposal:");
    const char *argv[] = {k_tally, k_extra, prefix};
    svc_eval(env, &script_tally, 2, 3, argv, on_tally, o);
}

/* ---- the results by SMS: begin ---- */

/* KEYS: notify, notified, lock. ARGV: owner, lock ms. {state, phones asked, notified}:
 * state 0 nothing to send, -1 locked by another, 1 ours. */
static struct store_script script_begin = SVC_SCRIPT(
    "polls.results_begin",
    "local h=redis.call('HLEN',KEYS[1]) local s=redis.call('SCARD',KEYS[2])\n"
    "if h<=s then return {0,h,s} end\n"
    "if not redis.call('SET',KEYS[3],ARGV[1],'NX','PX',ARGV[2]) then return {-1,h,s} end\n"
    "return {1,h,s}\n");

static void on_begin(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    const redisReply *st = svc_reply_at(r, 0);
    if (svc_reply_len(r) != 3 || !st || st->type != REDIS_REPLY_INTEGER) {
        svc_op_fail(&o->h, REC_ERR, "data");
        return;
    }
    enum poll_results_state s = st->integer > 0   ? POLL_RESULTS_LOCKED
                                : st->integer < 0 ? POLL_RESULTS_BUSY
                                                  : POLL_RESULTS_NOTHING;
    o->cb.begin(o->h.arg, REC_OK, s, svc_reply_num(r, 1), svc_reply_num(r, 2));
    free(o);
}

/* The keys of poll's results: notify, notified, lock. */
static void results_keys(const char *poll, char *notify, char *notified, char *lock, size_t n)
{
    polls_key(notify, n, poll, "notify");
    polls_key(notified, n, poll, "notified");
    polls_key(lock, n, poll, "results:lock");
}

void poll_results_begin(const struct svc_env *env, const char *poll, const char *owner,
                        poll_begin_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_BEGIN, arg);
    if (!o) {
        cb(arg, REC_ERR, POLL_RESULTS_NOTHING, 0, 0);
        return;
    }
    o->cb.begin = cb;
    char k_notify[160], k_notified[160], k_lock[160];
    results_keys(poll, k_notify, k_notified, k_lock, sizeof k_notify);
    const char *argv[] = {k_notify, k_notified, k_lock, owner ? owner : "", LOCK_MS};
    svc_eval(env, &script_begin, 3, 5, argv, on_begin, o);
}

/* ---- snapshot ---- */

/* KEYS: tally, then the extra hash of each district. Each one's HGETALL. */
static struct store_script script_snapshot = SVC_SCRIPT(
    "polls.results_snapshot",
    "local out={}\n"
    "for i=1,#KEYS do out[i]=redis.call('HGETALL',KEYS[i]) end\n"
    "return out\n");

static void on_snapshot(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    size_t total = 0;
    for (size_t i = 0; i < svc_reply_len(r); i++)
        total += svc_reply_len(svc_reply_at(r, i));
    const char **s = calloc(total ? total : 1, sizeof *s);
    if (!s || svc_reply_len(r) != 1 + GEO_N_DISTRICTS) {
        free(s);
        svc_op_fail(&o->h, REC_ERR, s ? "data" : "memory");
        return;
    }
    struct poll_snapshot snap;
    struct poll_flat *f[1 + GEO_N_DISTRICTS];
    f[0] = &snap.tally;
    for (size_t d = 0; d < GEO_N_DISTRICTS; d++)
        f[1 + d] = &snap.extra[d];
    const char **at = s;
    for (size_t i = 0; i < 1 + GEO_N_DISTRICTS; i++) {
        const redisReply *e = svc_reply_at(r, i);
        flat(e, at, svc_reply_len(e));
        *f[i] = (struct poll_flat){at, svc_reply_len(e)};
        at += svc_reply_len(e);
    }
    o->cb.snapshot(o->h.arg, REC_OK, &snap);
    free(s);
    free(o);
}

void poll_results_snapshot(const struct svc_env *env, const char *poll, poll_snapshot_cb cb,
                           void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_SNAPSHOT, arg);
    if (!o) {
        cb(arg, REC_ERR, NULL);
        return;
    }
    o->cb.snapshot = cb;
    size_t n = 0;
    const struct geo_district *ds = geo_districts(&n);
    char keys[1 + GEO_N_DISTRICTS][160], what[64];
    const char *argv[1 + GEO_N_DISTRICTS];
    polls_key(keys[0], sizeof keys[0], poll, "tally");
    argv[0] = keys[0];
    for (size_t d = 0; d < GEO_N_DISTRICTS; d++) {
        snprintf(what, sizeof what, "extra:%s", d < n ? ds[d].name : "");
        argv[1 + d] = polls_key(keys[1 + d], sizeof keys[1 + d], poll, what);
    }
    svc_eval(env, &script_snapshot, 1 + GEO_N_DISTRICTS, 1 + GEO_N_DISTRICTS, argv, on_snapshot,
             o);
}

/* ---- scan ---- */

/* KEYS: notify, notified. ARGV: cursor, count, the language key prefix. {next cursor,
 * already notified in this batch, then MSISDN, district, language for each phone still
 * to send to}. */
static struct store_script script_scan = SVC_SCRIPT(
    "polls.results_scan",
    "local r=redis.call('HSCAN',KEYS[1],ARGV[1],'COUNT',ARGV[2])\n"
    "local f=r[2] local out={r[1],0}\n"
    "for i=1,#f,2 do\n"
    "  if redis.call('SISMEMBER',KEYS[2],f[i])==1 then out[2]=out[2]+1 else\n"
    "    out[#out+1]=f[i] out[#out+1]=f[i+1]\n"
    "    out[#out+1]=redis.call('GET',ARGV[3]..f[i]) or '' end\n"
    "end\n"
    "return out\n");

static void on_scan(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    const char *cursor = svc_reply_str(r, 0);
    size_t n = svc_reply_len(r) > 2 ? (svc_reply_len(r) - 2) / 3 : 0, k = 0;
    struct poll_voter *v = calloc(n ? n : 1, sizeof *v);
    if (!cursor || !v) {
        free(v);
        svc_op_fail(&o->h, REC_ERR, v ? "data" : "memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *m = svc_reply_str(r, 2 + 3 * i), *d = svc_reply_str(r, 3 + 3 * i);
        const char *l = svc_reply_str(r, 4 + 3 * i);
        if (m && d && l)
            v[k++] = (struct poll_voter){m, d, l};
    }
    o->cb.scan(o->h.arg, REC_OK, cursor, svc_reply_num(r, 1), v, k);
    free(v);
    free(o);
}

void poll_results_scan(const struct svc_env *env, const char *poll, const char *cursor,
                       int count, poll_scan_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_SCAN, arg);
    if (!o) {
        cb(arg, REC_ERR, NULL, 0, NULL, 0);
        return;
    }
    o->cb.scan = cb;
    char k_notify[160], k_notified[160], k_lock[160], n[16];
    results_keys(poll, k_notify, k_notified, k_lock, sizeof k_notify);
    snprintf(n, sizeof n, "%d", count);
    const char *argv[] = {k_notify, k_notified, cursor, n, SVC_LANG_KEY};
    svc_eval(env, &script_scan, 2, 5, argv, on_scan, o);
}

/* ---- mark, release ---- */

static void on_done(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    o->cb.done(o->h.arg, REC_OK);
    free(o);
}

/* A call answered with poll_done_cb, or NULL (no memory: cb has been told). */
static struct op *done_op(const struct svc_env *env, poll_done_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_DONE, arg);
    if (o)
        o->cb.done = cb;
    else
        cb(arg, REC_ERR);
    return o;
}

void poll_results_mark(const struct svc_env *env, const char *poll, const char *msisdn,
                       poll_done_cb cb, void *arg)
{
    struct op *o = done_op(env, cb, arg);
    if (!o)
        return;
    char k_notified[160];
    polls_key(k_notified, sizeof k_notified, poll, "notified");
    const char *argv[] = {"SADD", k_notified, msisdn};
    svc_cmd(env, 3, argv, on_done, o);
}

/* KEYS: lock. ARGV: owner. */
static struct store_script script_release = SVC_SCRIPT(
    "polls.results_release",
    "if redis.call('GET',KEYS[1])==ARGV[1] then return redis.call('DEL',KEYS[1]) end\n"
    "return 0\n");

void poll_results_release(const struct svc_env *env, const char *poll, const char *owner,
                          poll_done_cb cb, void *arg)
{
    struct op *o = done_op(env, cb, arg);
    if (!o)
        return;
    char k_notify[160], k_notified[160], k_lock[160];
    results_keys(poll, k_notify, k_notified, k_lock, sizeof k_notify);
    const char *argv[] = {k_lock, owner ? owner : ""};
    svc_eval(env, &script_release, 1, 2, argv, on_done, o);
}
