/*
 * svc_store.h: how the tickets, alerts, polls and export services reach the store, and
 * read what it answers.
 *
 * svc_eval and svc_cmd are store_eval and store_cmd on env's store that keep the
 * store's callback contract also when env has no store (a unit test, a tool without
 * Redis): cb then gets STORE_ERR with a NULL reply from env's loop. svc_later runs a
 * service's own answer (bad input, nothing to ask) from the loop, so that no service
 * callback ever fires inside the call that made the request. The one exception, as in
 * the store: without a loop or without memory, the function runs at once.
 *
 * A script is a `struct store_script` the service keeps (static): svc_eval prepares it
 * (its SHA1) the first time. Its keys come as KEYS; a key that is only known inside the
 * script (a reference the script takes, a follower's language) is made there from a
 * prefix the service passes in ARGV, never spelled in the Lua text.
 */
#ifndef USSDGW_SVC_STORE_H
#define USSDGW_SVC_STORE_H

#include <stddef.h>

#include "store.h"
#include "svc.h"

/* A script's initializer: static struct store_script s = SVC_SCRIPT("name", "lua"). */
#define SVC_SCRIPT(name, lua) {(name), (lua), 0, {0}}

/* The phone's language (en, rw, fr...), written by the dialog step with the session
 * (gateway/dialog.c names it): the services only read it, for the SMS they queue. */
#define SVC_LANG_KEY "ussd:l:"

/* store_eval of sc (prepared on first use) on env->store; see above. */
void svc_eval(const struct svc_env *env, struct store_script *sc, int nkeys, int argc,
              const char *const *argv, store_reply_cb cb, void *arg);

/* store_cmd on env->store (argv: C strings); see above. */
void svc_cmd(const struct svc_env *env, int argc, const char *const *argv, store_reply_cb cb,
             void *arg);

/* PING: cb(arg, 1) when Redis answered, else cb(arg, 0); the store's contract. */
void svc_ping(const struct svc_env *env, void (*cb)(void *arg, int ok), void *arg);

/* fn(arg) from env's loop, soon. */
void svc_later(const struct svc_env *env, void (*fn)(void *arg), void *arg);

/* ---- a service's call record ---- */

/* The head of a service call's record: its env and how it tells its caller of a
 * failure (then frees itself). The service's own fields follow it. */
struct svc_op {
    const struct svc_env *env;
    void (*failed)(struct svc_op *op, int status, const char *why);
    int kind;  /* which call: the service's own numbering */
    void *arg; /* the caller's callback argument */
    int fail_status;
    const char *fail_why;
};

/* A zeroed record of size bytes (a struct that begins with struct svc_op) for env,
 * call kind and the caller's arg, failing with `failed`; NULL when memory is short. */
void *svc_op_new(size_t size, const struct svc_env *env,
                 void (*failed)(struct svc_op *op, int status, const char *why), int kind,
                 void *arg);

/* Fail op now, from a store callback: op->failed(op, status, why). */
void svc_op_fail(struct svc_op *op, int status, const char *why);

/* Fail op from env's loop: bad input, or no request to make. */
void svc_op_fail_later(struct svc_op *op, int status, const char *why);

/* In a store callback: 1 when the request succeeded with a reply to read; else logs the
 * error under `what` (svc_reply_ok), fails op with REC_ERR and svc_reply_why, and
 * returns 0 (op is gone). */
int svc_op_reply(struct svc_op *op, int status, const struct redisReply *r, const char *what);

/* The same, and the reply must be of hiredis type `type` (REDIS_REPLY_ARRAY...): else
 * op fails with REC_ERR "data". */
int svc_op_reply_of(struct svc_op *op, int status, const struct redisReply *r, int type,
                    const char *what);

/* ---- replies (valid during the store's callback) ---- */

/* 1 when the request succeeded with a reply that is not an error; otherwise logs the
 * error reply under `what` (e.g. "tickets.redis") and returns 0. */
int svc_reply_ok(int status, const struct redisReply *r, const char *what);

/* The reason of a failed request, for the services' REC_ERR: "data" (Redis answered
 * with an error: a wrong type, a script error) or "redis" (no answer). */
const char *svc_reply_why(int status, const struct redisReply *r);

/* Element i of an array reply when it is a string (or a status), else NULL. */
const char *svc_reply_str(const struct redisReply *r, size_t i);

/* Element i of an array reply as a number (an integer, or a string of digits), else 0. */
long long svc_reply_num(const struct redisReply *r, size_t i);

/* Element i of an array reply, or NULL when there is none. */
const struct redisReply *svc_reply_at(const struct redisReply *r, size_t i);

/* The number of elements of an array reply (0 for anything else). */
size_t svc_reply_len(const struct redisReply *r);

/* A string reply's text (or a status's), else NULL. */
const char *svc_reply_text(const struct redisReply *r);

#endif
