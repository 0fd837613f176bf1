/*
 * svc_ping.c: one PING through the records operations (records_op.h); see svc_ping.h.
 */
#include "svc_ping.h"

#include <hiredis/hiredis.h>

#include "records_op.h"

static void ping_fail(const struct rec_op *o, int status, const char *why)
{
    (void)status;
    (void)why;
    ((svc_ping_cb)o->cb)(o->arg, 0);
}

static int ping_reply(struct rec_op *o, const redisReply *r)
{
    ((svc_ping_cb)o->cb)(o->arg, r->type == REDIS_REPLY_STATUS);
    return REC_OK;
}

static const struct rec_op_kind ping_kind = {ping_fail, ping_reply, 0};

int svc_ping(const struct svc_env *env, svc_ping_cb cb, void *arg)
{
    struct rec_op *o = rec_op_new(env, &ping_kind, (rec_fn)cb, arg);
    if (!o)
        return -1;
    const char *argv[] = {"PING"};
    return rec_op_cmd(o, 1, argv);
}
