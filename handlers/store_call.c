/*
 * store_call.c: a handler call that is one Redis command (see store_call.h).
 */
#include "store_call.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct store_call {
    store_call_fn fn;
    int starting;  /* inside store_cmd: a reply now is handled by store_call itself */
    int answered;  /* the reply came */
    int cancelled; /* the run gave the call up: the reply only frees it */
    alignas(max_align_t) unsigned char ctx[];
};

static void on_reply(void *arg, int status, const struct redisReply *reply)
{
    struct store_call *c = arg;
    c->answered = 1;
    if (!c->cancelled)
        c->fn(c->ctx, status, reply);
    if (!c->starting)
        free(c);
}

struct handler_call *store_call(const struct svc_env *env, int argc, const char *const *argv,
                                void *ctx, size_t ctx_size, store_call_fn fn)
{
    struct store_call *c = env->store ? malloc(sizeof *c + ctx_size) : NULL;
    if (!c) {
        fn(ctx, STORE_ERR, NULL);
        return NULL;
    }
    c->fn = fn;
    c->starting = 1;
    c->answered = 0;
    c->cancelled = 0;
    memcpy(c->ctx, ctx, ctx_size);
    store_cmd(env->store, on_reply, c, argc, argv, NULL);
    c->starting = 0;
    if (c->answered) { /* the store answered at once (store.h: only when out of memory) */
        free(c);
        return NULL;
    }
    return (struct handler_call *)c;
}

void store_call_cancel(struct handler_call *call)
{
    /* the store's callback always comes: it frees the call */
    ((struct store_call *)call)->cancelled = 1;
}
