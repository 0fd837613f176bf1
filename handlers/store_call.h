/*
 * store_call.h: a handler call that is one Redis command.
 *
 * Being retired: a handler asks a service (services/), which owns the keys and reads
 * the replies, and keeps a struct svc_call (services.h) for the answer. The last user
 * is app_status.c (the records' handler); this module goes with its move to a records
 * service. Do not use it in a new handler.
 *
 * It copies the handler's context into the call, sends the command, and when the reply
 * comes runs fn(ctx, status, reply) (unless the run cancelled the call first) and frees
 * the call. The call's handler_def cancel is store_call_cancel.
 */
#ifndef USSDGW_STORE_CALL_H
#define USSDGW_STORE_CALL_H

#include <stddef.h>

#include "handler.h"

struct redisReply;

/* The reply: status and reply as store_cmd gives them (store.h); ctx is the call's
 * copy of the context, valid during the callback. */
typedef void (*store_call_fn)(void *ctx, int status, const struct redisReply *reply);

/* Send argv (argc strings) to env->store with a copy of ctx (ctx_size bytes). Returns
 * the call for the run, or NULL when fn has already fired (no store, or no memory:
 * then with status STORE_ERR and a NULL reply). */
struct handler_call *store_call(const struct svc_env *env, int argc, const char *const *argv,
                                void *ctx, size_t ctx_size, store_call_fn fn);

/* The cancel of a handler whose call is a store_call: fn will not fire. */
void store_call_cancel(struct handler_call *call);

#endif
