/*
 * poll_proposals.h: residents' project proposals for a participatory budget, and their
 * moderation by staff (`ussdgw poll moderate`): an approved proposal N becomes option
 * pN of a poll, on its own district's ballot (polls.h: the extra hashes).
 *
 * Keys (polls_key names them):
 *   ussd:poll:proposal:seq     INCR counter: proposal ids
 *   ussd:poll:proposal:ID      hash title, district, category, msisdn, created, status
 *                              (pending|approved|rejected), lang, poll, note
 *   ussd:poll:proposals        zset of pending ids by creation time (seconds)
 *   ussd:poll:pidem:STEP_KEY   the id a step already created (7 days)
 *
 * Calls, outcomes and the callback contract as in polls.h: a change takes a svc_ctx,
 * a read the env; cb fires exactly once, from the loop, never inside the call; what it
 * is handed is valid only during the callback.
 */
#ifndef USSDGW_POLL_PROPOSALS_H
#define USSDGW_POLL_PROPOSALS_H

#include <stddef.h>

#include "records.h"
#include "svc.h"

/* 1 when c is a proposal category: water, roads, health, schools, markets, other. */
int poll_proposal_category_known(const char *c);

struct poll_proposal_new {
    const char *title;    /* 3 to 60 bytes, no tab or line break */
    const char *district; /* a district's name, any case */
    const char *category; /* poll_proposal_category_known */
    const char *lang;     /* the proposer's language (their SMS is in it); may be NULL */
    const char *idem_key; /* the dialog step's key, at most 200 bytes */
};

typedef void (*poll_proposal_cb)(void *arg, int status, const char *why, const char *id);

/* Record ctx's resident's proposal for moderation, idempotently on the step key.
 * REC_INVALID why: "title", "district", "category", "msisdn", "idem". */
void poll_propose(const struct svc_ctx *ctx, const struct poll_proposal_new *p,
                  poll_proposal_cb cb, void *arg);

struct poll_proposal {
    const char *id;
    const char *district, *category, *msisdn, *title; /* "" when unset */
    int readable; /* 0: its record could not be read (the fields are all "") */
};

typedef void (*poll_pending_cb)(void *arg, int status, const char *why,
                                const struct poll_proposal *p, size_t n);

/* The proposals waiting for review, oldest first. */
void poll_proposals_pending(const struct svc_env *env, poll_pending_cb cb, void *arg);

enum poll_verdict {
    POLL_APPROVED,
    POLL_REJECTED,
    POLL_ALREADY, /* it had been decided: m->status says how; nothing changed */
};

struct poll_moderated {
    enum poll_verdict verdict;
    const char *status;        /* POLL_ALREADY: approved or rejected */
    const char *msisdn, *title; /* the proposer, the proposal */
    const char *lang;          /* the proposer's: as they proposed, else their phone's */
};

typedef void (*poll_moderate_cb)(void *arg, int status, const char *why,
                                 const struct poll_moderated *m);

/* Approve proposal id (digits) as option pID of poll, or reject it (poll NULL) with a
 * note, for ctx's staff member, in one script (a second decision changes nothing).
 * REC_INVALID "id" (not a number), "poll" (approve without a poll); REC_NOT_FOUND. */
void poll_moderate(const struct svc_ctx *ctx, const char *id, const char *poll,
                   const char *note, poll_moderate_cb cb, void *arg);

/* The SMS to the proposer of proposal id (title) once decided, in lang (en, rw, fr;
 * others: en), with the staff's note as written when rejected. Returns buf. */
char *poll_moderation_sms(const char *lang, int approved, const char *title, const char *id,
                          const char *note, char *buf, size_t n);

#endif
