/*
 * sms_in.c: placeholder until keyword rules land: inbound SMS are logged and dropped.
 */
#include "sms_in.h"

#include <stdlib.h>

#include "log.h"
#include "smpp_pdu.h"

struct sms_in {
    struct dialog_env *env;
    struct sms_queue *q;
};

struct sms_in *sms_in_new(struct dialog_env *env, struct sms_queue *q)
{
    struct sms_in *in = calloc(1, sizeof *in);
    if (in) {
        in->env = env;
        in->q = q;
    }
    return in;
}

void sms_in_free(struct sms_in *in)
{
    free(in);
}

void sms_in_deliver(struct sms_in *in, const char *link, const struct smpp_msg *m)
{
    char ms[32];
    (void)in;
    log_event(L_INFO, "sms.in_dropped", "link=%s msisdn=%s", link,
              log_msisdn(m->source_addr, ms, sizeof ms));
}
