/*
 * poll_tally.h: a poll's tally as Redis holds it (polls.h: ussd:poll:ID:tally and the
 * approved proposals), and the steps of sending a closed poll's results by SMS to the
 * voters who asked (gateway/poll_results.c drives them and queues the SMS):
 *   ussd:poll:ID:notify         hash MSISDN -> district (who asked; polls_notify_set)
 *   ussd:poll:ID:notified       set of MSISDNs that got it (permanent: once per phone)
 *   ussd:poll:ID:results:lock   the process sending a poll's results (SET NX PX)
 *
 * Calls take the env (the gateway or a tool acts, for nobody in particular). Outcomes are
 * records.h's REC_*; callback contract as in polls.h: cb fires exactly once, from the
 * loop, never inside the call; what it is handed is valid only during the callback.
 */
#ifndef USSDGW_POLL_TALLY_H
#define USSDGW_POLL_TALLY_H

#include <stddef.h>

#include "geo.h"
#include "menu.h"
#include "records.h"
#include "svc.h"

/* ---- the tally ---- */

/* An approved proposal on the tally: option id pN. */
struct poll_tally_extra {
    const char *id, *label;
    const char *district; /* its proposal's, or "" */
    long long votes;
};

struct poll_tally {
    const long long *votes; /* per menu option of the poll, in its order */
    const struct poll_tally_extra *extras; /* those moderation wrote (pN), in hash order */
    size_t n_extras;
};

typedef void (*poll_tally_cb)(void *arg, int status, const char *why, const struct poll_tally *t);

/* The votes of poll p, read in one script. */
void poll_tally_get(const struct svc_env *env, const struct menu_poll *p, poll_tally_cb cb,
                    void *arg);

/* ---- the results by SMS ---- */

/* poll_results_begin's verdict on a poll. */
enum poll_results_state {
    POLL_RESULTS_NOTHING, /* the notify hash is no bigger than the notified set */
    POLL_RESULTS_BUSY,    /* another process holds the poll's lock */
    POLL_RESULTS_LOCKED,  /* the lock is ours (owner): send, then release it */
};

/* asked: phones in the notify hash; notified: in the notified set. */
typedef void (*poll_begin_cb)(void *arg, int status, enum poll_results_state state,
                              long long asked, long long notified);

/* Is there anything to send for poll, and if so take its lock for owner. */
void poll_results_begin(const struct svc_env *env, const char *poll, const char *owner,
                        poll_begin_cb cb, void *arg);

/* Flat field/value arrays, as HGETALL gives them. */
struct poll_flat {
    const char *const *s;
    size_t n;
};

/* The tally (option id -> votes) and each district's approved proposals (id -> title),
 * districts in geo_districts' order. */
struct poll_snapshot {
    struct poll_flat tally;
    struct poll_flat extra[GEO_N_DISTRICTS];
};

typedef void (*poll_snapshot_cb)(void *arg, int status, const struct poll_snapshot *s);

/* What a results SMS of poll says, read in one script. */
void poll_results_snapshot(const struct svc_env *env, const char *poll, poll_snapshot_cb cb,
                           void *arg);

/* A phone still to send to. */
struct poll_voter {
    const char *msisdn, *district, *lang; /* lang: its saved language, or "" */
};

/* cursor: where the next batch begins ("0": this was the last one); already: phones of
 * this batch that got it before. */
typedef void (*poll_scan_cb)(void *arg, int status, const char *cursor, long long already,
                             const struct poll_voter *v, size_t n);

/* One batch (about count) of the notify hash of poll from cursor ("0": the start). */
void poll_results_scan(const struct svc_env *env, const char *poll, const char *cursor,
                       int count, poll_scan_cb cb, void *arg);

typedef void (*poll_done_cb)(void *arg, int status);

/* msisdn got the result of poll (or never can): into the notified set. */
void poll_results_mark(const struct svc_env *env, const char *poll, const char *msisdn,
                       poll_done_cb cb, void *arg);

/* Release owner's lock on poll (nothing when it is not owner's any more). */
void poll_results_release(const struct svc_env *env, const char *poll, const char *owner,
                          poll_done_cb cb, void *arg);

#endif
