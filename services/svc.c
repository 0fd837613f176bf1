/*
 * svc.c: the services' context; see svc.h.
 */
#include "svc.h"

#include "clock.h"

struct svc_ctx svc_resident(const struct svc_env *env, const char *msisdn)
{
    struct svc_ctx c = {env, {SVC_RESIDENT, msisdn, NULL, NULL}};
    return c;
}

uint64_t svc_now_ms(const struct svc_env *env)
{
    return env && env->now_ms ? env->now_ms() : clock_now_ms();
}
