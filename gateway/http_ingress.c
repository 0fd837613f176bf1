/*
 * http_ingress.c: placeholder until the HTTP ingress lands.
 */
#include "http_ingress.h"

#include "log.h"

struct http_ingress *http_ingress_new(struct event_base *base, struct dialog_env *env,
                                      const struct config *cfg)
{
    (void)base;
    (void)env;
    log_event(L_ERROR, "http.unavailable", "http=%s reason=\"not built yet\"", cfg->http);
    return NULL;
}

void http_ingress_stop(struct http_ingress *h)
{
    (void)h;
}

void http_ingress_free(struct http_ingress *h)
{
    (void)h;
}
