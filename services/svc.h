/*
 * svc.h: what the services (records, tickets, polls, alerts) run on: the loop, the
 * Redis store and the settings they need. One per process; handlers and command-line
 * tools pass it to every service call.
 */
#ifndef USSDGW_SVC_H
#define USSDGW_SVC_H

struct event_base;
struct store;

struct svc_env {
    struct event_base *base;
    struct store *store;
    /* the key of the hash that names a binding vote's national ID in Redis (config
     * vote_secret); NULL or "" uses a built-in key (and the gateway warns) */
    const char *vote_secret;
    long ticket_window_s; /* config ticket_merge_window; 0: the default (7 days) */
};

#endif
