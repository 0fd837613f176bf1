/*
 * http_ingress.h: USSD from aggregators over HTTP (libevent's evhttp), on the same
 * menus, sessions and screen limits as SMPP.
 *
 * POST /ussd: the Africa's Talking convention (form fields sessionId, serviceCode,
 * phoneNumber, networkCode, text with answers joined by '*'); the reply is text/plain
 * "CON <screen>" or "END <screen>". The gateway keeps the route in its own session and
 * uses only the newest answer. POST /ussd/hubtel: Hubtel's JSON dialect, which sends
 * only the latest input. Bad requests get a 4xx with a one-line reason; an optional
 * shared secret (header X-Ussdgw-Secret) and source allowlist guard the door.
 * Sessions are keyed on the ingress "http.at" or "http.hubtel", the phone number and the
 * aggregator's session id, so they never meet an SMPP dialog of the same phone.
 */
#ifndef USSDGW_HTTP_INGRESS_H
#define USSDGW_HTTP_INGRESS_H

#include "config.h"

struct event_base;
struct dialog_env;
struct http_ingress;

/* Listen on cfg->http. NULL (after logging why) when it cannot. */
struct http_ingress *http_ingress_new(struct event_base *base, struct dialog_env *env,
                                      const struct config *cfg);
/* Stop accepting connections (shutdown); requests in flight still get their replies. */
void http_ingress_stop(struct http_ingress *h);
/* Free; requests still in flight are answered 503 first. NULL is fine. */
void http_ingress_free(struct http_ingress *h);

#endif
