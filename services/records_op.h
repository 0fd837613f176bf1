/*
 * records_op.h: what every records operation is made of; for the records modules of
 * services/ (records_*.c), not for their callers.
 *
 * An operation is one heap record (struct rec_op) carried through one or two store
 * requests. It holds the caller's typed callback as a generic function pointer, and its
 * kind's two trampolines cast it back: `fail` calls it with no result, `reply` turns a
 * store reply into the typed result. rec_op_new also makes the event that reports a
 * failure from the loop, so once an operation exists every outcome reaches the caller
 * from the loop, never inside the call (records.h's contract); when it cannot be made
 * (no memory, no loop) the public call returns -1 and its callback never fires.
 *
 *   struct rec_op *o = rec_op_new(env, &parcel_kind, (rec_fn)cb, arg);
 *   if (!o)
 *       return -1;
 *   if (bad)
 *       return rec_op_fail(o, REC_INVALID, bad);
 *   return rec_op_cmd(o, 2, argv);
 *
 * rec_hash_get and rec_eval_get are that whole start for reads with no state to keep.
 */
#ifndef USSDGW_RECORDS_OP_H
#define USSDGW_RECORDS_OP_H

#include <stddef.h>

#include "records.h"
#include "store.h"

struct event;
struct redisReply;

/* A callback of any type; cast back to its own type before the call. */
typedef void (*rec_fn)(void);

struct rec_op;

struct rec_op_kind {
    /* Call o's typed callback with status, why and no result. */
    void (*fail)(const struct rec_op *o, int status, const char *why);
    /* The reply to o's request (neither an error nor missing): call the typed callback
     * with the result and return REC_OK; or send o's next request and return
     * REC_PENDING (then touch o no more); or return a failure from rec_op_why. */
    int (*reply)(struct rec_op *o, const struct redisReply *r);
    int empty_not_found; /* an empty array reply is REC_NOT_FOUND (HGETALL, a "{}") */
};

#define REC_PENDING 100 /* kind->reply sent another request: the operation lives on */

struct rec_op {
    const struct rec_op_kind *kind;
    rec_fn cb;
    void *arg;
    struct svc_env env;
    struct event *ev; /* reports a failure from the loop */
    int starting;     /* inside the call that made the operation */
    int status;       /* the failure to report */
    const char *why;
    /* what an operation keeps from its call to its replies */
    size_t max;
    int flags;
    char ref[24]; /* a reference; records_app_brief takes up to 20 characters */
    char to[16];
    char slot[24];
    char note[REC_VALUE_MAX + 1];
    char text[REFS_NAME_MAX]; /* the name asked about; the applicant's phone */
};

/* A Lua script of the records and its store_script, prepared on its first call. */
struct rec_script {
    const char *name;
    const char *lua;
    struct store_script sc;
};

/* A new operation of kind for cb(arg) on a copy of env, or NULL (no env, no loop, no
 * memory). */
struct rec_op *rec_op_new(const struct svc_env *env, const struct rec_op_kind *kind, rec_fn cb,
                          void *arg);

/* Fail o from the loop (kind->fail, then o is freed). Returns 0: the request was
 * accepted, its callback comes. */
int rec_op_fail(struct rec_op *o, int status, const char *why);

/* For kind->reply: remember the failure and return status. */
int rec_op_why(struct rec_op *o, int status, const char *why);

/* Send o's request: a command of argc C strings, or script s with nkeys keys then its
 * other arguments (NULL ones are sent as ""). Without a store, o fails with REC_ERR
 * "redis". Returns 0. */
int rec_op_cmd(struct rec_op *o, int argc, const char *const *argv);
int rec_op_eval(struct rec_op *o, struct rec_script *s, int nkeys, int argc,
                const char *const *argv);

/* The whole of a read that keeps nothing: REC_INVALID `invalid` when it is not NULL,
 * else HGETALL key / script s. Returns 0, or -1 (records.h). */
int rec_hash_get(const struct svc_env *env, const struct rec_op_kind *kind, rec_fn cb, void *arg,
                 const char *invalid, const char *key);
int rec_eval_get(const struct svc_env *env, const struct rec_op_kind *kind, rec_fn cb, void *arg,
                 const char *invalid, struct rec_script *s, int nkeys, int argc,
                 const char *const *argv);

/* ---- reading replies ---- */

/* 1 when r is a string (or status) reply / an array reply. */
int rec_is_str(const struct redisReply *r);
int rec_is_arr(const struct redisReply *r);
/* Element i of array r as a string, or NULL. */
const char *rec_elem(const struct redisReply *r, size_t i);
/* Field k of a flat HGETALL reply: its value, or NULL / "" / its number (0 when it is
 * missing or not a number). */
const char *rec_kv(const struct redisReply *h, const char *k);
const char *rec_kv_s(const struct redisReply *h, const char *k);
long rec_kv_l(const struct redisReply *h, const char *k);
/* A decimal number ("12", "12.0"), 0 when it is not one. */
long rec_to_long(const char *s);
/* A bill from its flat HGETALL reply (strings point into h). */
void rec_bill_from(struct rec_bill *b, const struct redisReply *h);

/* ---- shared checks ---- */

/* 1 when s is a phone number records take: 6 to 15 digits. */
int rec_msisdn_ok(const char *s);
/* 1 when s is at most REC_VALUE_MAX bytes without control characters (NULL: ""). */
int rec_value_ok(const char *s);
/* The canonical reference of a typed one (refs_parse, any service), or the reason. */
const char *rec_parse_ref(const char *in, char *out, size_t n);
/* The count a list operation returns: max, or REC_LIST_MAX when 0 or more. */
size_t rec_list_max(size_t max);

/* Now by the env's clock, in Unix seconds. */
time_t rec_now(const struct rec_op *o);

/* Lua: the Damm table (REFS_LUA_DAMM) and ok(key, type): the key is of that type or
 * absent. */
#define REC_LUA_COMMON                                                                             \
    REFS_LUA_DAMM                                                                                  \
    "local function ok(k,t) local y=redis.call('TYPE',k).ok return y=='none' or y==t end\n"

#endif
