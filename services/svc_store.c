/*
 * svc_store.c: the services' way to the store and their reading of replies; see
 * svc_store.h.
 */
#include "svc_store.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "records.h"

struct later {
    void (*fn)(void *arg);
    void *arg;
};

static void later_fire(evutil_socket_t fd, short what, void *p)
{
    struct later l = *(struct later *)p;
    (void)fd;
    (void)what;
    free(p);
    l.fn(l.arg);
}

void svc_later(const struct svc_env *env, void (*fn)(void *arg), void *arg)
{
    static const struct timeval zero = {0, 0};
    struct later *l = env && env->base ? malloc(sizeof *l) : NULL;
    if (l) {
        *l = (struct later){fn, arg};
        if (event_base_once(env->base, -1, EV_TIMEOUT, later_fire, l, &zero) == 0)
            return;
        free(l);
    }
    fn(arg); /* no loop or no memory: the documented exception */
}

/* A request that could not be sent: its STORE_ERR from the loop. */
struct unsent {
    store_reply_cb cb;
    void *arg;
};

static void unsent_fire(void *p)
{
    struct unsent u = *(struct unsent *)p;
    free(p);
    u.cb(u.arg, STORE_ERR, NULL);
}

static void no_store(const struct svc_env *env, store_reply_cb cb, void *arg)
{
    struct unsent *u = malloc(sizeof *u);
    if (!u) {
        cb(arg, STORE_ERR, NULL);
        return;
    }
    *u = (struct unsent){cb, arg};
    svc_later(env, unsent_fire, u);
}

void svc_eval(const struct svc_env *env, struct store_script *sc, int nkeys, int argc,
              const char *const *argv, store_reply_cb cb, void *arg)
{
    if (!env || !env->store) {
        no_store(env, cb, arg);
        return;
    }
    if (!sc->sha[0])
        store_script_init(sc, sc->name, sc->lua);
    store_eval(env->store, sc, nkeys, argc, argv, NULL, cb, arg);
}

void svc_cmd(const struct svc_env *env, int argc, const char *const *argv, store_reply_cb cb,
             void *arg)
{
    if (!env || !env->store)
        no_store(env, cb, arg);
    else
        store_cmd(env->store, cb, arg, argc, argv, NULL);
}

struct ping {
    void (*cb)(void *arg, int ok);
    void *arg;
};

static void on_ping(void *p, int status, const redisReply *r)
{
    struct ping q = *(struct ping *)p;
    free(p);
    q.cb(q.arg, status == STORE_OK && r && r->type == REDIS_REPLY_STATUS);
}

void svc_ping(const struct svc_env *env, void (*cb)(void *arg, int ok), void *arg)
{
    struct ping *q = malloc(sizeof *q);
    if (!q) {
        cb(arg, 0);
        return;
    }
    *q = (struct ping){cb, arg};
    const char *argv[] = {"PING"};
    svc_cmd(env, 1, argv, on_ping, q);
}

/* ---- a service's call record ---- */

void *svc_op_new(size_t size, const struct svc_env *env,
                 void (*failed)(struct svc_op *op, int status, const char *why), int kind,
                 void *arg)
{
    struct svc_op *op = calloc(1, size);
    if (op)
        *op = (struct svc_op){.env = env, .failed = failed, .kind = kind, .arg = arg};
    return op;
}

void svc_op_fail(struct svc_op *op, int status, const char *why)
{
    op->failed(op, status, why);
}

static void op_fire(void *p)
{
    struct svc_op *op = p;
    op->failed(op, op->fail_status, op->fail_why);
}

void svc_op_fail_later(struct svc_op *op, int status, const char *why)
{
    op->fail_status = status;
    op->fail_why = why;
    svc_later(op->env, op_fire, op);
}

int svc_op_reply(struct svc_op *op, int status, const redisReply *r, const char *what)
{
    if (svc_reply_ok(status, r, what))
        return 1;
    op->failed(op, REC_ERR, svc_reply_why(status, r));
    return 0;
}

int svc_op_reply_of(struct svc_op *op, int status, const redisReply *r, int type,
                    const char *what)
{
    if (!svc_op_reply(op, status, r, what))
        return 0;
    if (r->type == type)
        return 1;
    op->failed(op, REC_ERR, "data");
    return 0;
}

/* ---- replies ---- */

int svc_reply_ok(int status, const redisReply *r, const char *what)
{
    if (status == STORE_OK && r && r->type != REDIS_REPLY_ERROR)
        return 1;
    char q[160];
    log_event(L_WARN, what, "err=%s",
              r && r->type == REDIS_REPLY_ERROR ? log_q(r->str ? r->str : "", q, sizeof q)
                                                : "no reply");
    return 0;
}

const char *svc_reply_why(int status, const redisReply *r)
{
    return status == STORE_OK || (r && r->type == REDIS_REPLY_ERROR) ? "data" : "redis";
}

const redisReply *svc_reply_at(const redisReply *r, size_t i)
{
    return r && r->type == REDIS_REPLY_ARRAY && i < r->elements ? r->element[i] : NULL;
}

size_t svc_reply_len(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
}

const char *svc_reply_text(const redisReply *r)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && r->str ? r->str
                                                                                            : NULL;
}

const char *svc_reply_str(const redisReply *r, size_t i)
{
    return svc_reply_text(svc_reply_at(r, i));
}

long long svc_reply_num(const redisReply *r, size_t i)
{
    const redisReply *e = svc_reply_at(r, i);
    if (e && e->type == REDIS_REPLY_INTEGER)
        return e->integer;
    const char *s = svc_reply_text(e);
    return s ? strtoll(s, NULL, 10) : 0;
}
