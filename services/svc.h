/*
 * svc.h: what the services (records, tickets, polls, alerts) run on. A svc_env per
 * process: the loop, the Redis store, the clock and the settings; a svc_ctx per call:
 * the env and who is acting (a resident today; an agent or a member of staff too), so
 * a record names who made it and every service reads the same clock.
 */
#ifndef USSDGW_SVC_H
#define USSDGW_SVC_H

#include <stdint.h>

struct event_base;
struct store;

struct svc_env {
    struct event_base *base;
    struct store *store;
    /* the clock, in Unix milliseconds; NULL: the wall clock (clock_now_ms). Tests and
     * tools may give their own. */
    uint64_t (*now_ms)(void);
    /* the key of the hash that names a binding vote's national ID in Redis (config
     * vote_secret); NULL or "" uses a built-in key (and the gateway warns) */
    const char *vote_secret;
    long ticket_window_s; /* config ticket_merge_window; 0: the default (7 days) */
};

enum svc_actor_kind {
    SVC_RESIDENT = 0, /* a resident on their own phone */
    SVC_AGENT,        /* a service-centre agent acting for a resident */
    SVC_STAFF,        /* a member of the council's staff (console, command line) */
    SVC_SYSTEM,       /* the gateway itself (timers, results at a poll's close) */
};

struct svc_actor {
    enum svc_actor_kind kind;
    const char *msisdn; /* the resident's phone (the citizen served, for an agent) */
    const char *id;     /* the agent's or staff member's id; NULL for a resident */
    const char *centre; /* an agent's service centre, or NULL */
};

/* One service call's context. */
struct svc_ctx {
    const struct svc_env *env;
    struct svc_actor actor;
};

/* A resident's context on env (msisdn may be NULL). */
struct svc_ctx svc_resident(const struct svc_env *env, const char *msisdn);

/* Now, in Unix milliseconds, by env's clock. */
uint64_t svc_now_ms(const struct svc_env *env);

#endif
