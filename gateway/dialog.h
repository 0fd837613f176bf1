/*
 * dialog.h: one step of a USSD dialog, whatever carried it (SMPP, HTTP, `try`).
 *
 * load the session from Redis -> menu engine -> handlers (async, bounded) -> save the
 * session (compare-and-set on its version) -> reply. At most two Redis round trips per
 * step. Every step has a deadline: when Redis or a handler is too slow the phone gets
 * the "temporarily unavailable" text before the operator gives up on us. A duplicate
 * (same step id, or a losing concurrent write) is dropped: nothing is sent.
 */
#ifndef USSDGW_DIALOG_H
#define USSDGW_DIALOG_H

#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "handler.h"

struct event_base;
struct store;

struct dialog_stats {
    uint64_t steps;       /* steps started */
    uint64_t sent;        /* replies sent */
    uint64_t dropped;     /* duplicates, conflicts, aborts: nothing sent */
    uint64_t unavailable; /* "temporarily unavailable" (Redis down/slow, deadline) */
    uint64_t busy;        /* refused: too many steps in flight */
    uint64_t conflicts;   /* saves that lost a compare-and-set */
};

struct dialog_env {
    struct event_base *base;
    struct store *store;
    const struct menu_set *set;
    const struct config *cfg;
    struct handler_env henv;
    int inflight;   /* steps in progress */
    int draining;   /* shutting down: no new dialogs */
    struct dialog_stats stats;
};

void dialog_env_init(struct dialog_env *env, struct event_base *base, struct store *store,
                     const struct menu_set *set, const struct config *cfg);

enum dialog_kind {
    DIALOG_BEGIN, /* the phone dialled: text is the dial string */
    DIALOG_INPUT, /* an answer */
    DIALOG_ABORT, /* the user or network ended the dialog: nothing is sent back */
};

struct dialog_req {
    const char *ingress;  /* "smpp.NAME", "http", "try": part of the session key */
    const char *msisdn;
    const char *sid;      /* the operator's session id ("" when keyed on MSISDN alone) */
    enum dialog_kind kind;
    const char *text;
    const char *step_id;  /* identifies this input for duplicate detection, or NULL */
    const char *lang;     /* force a language on BEGIN (try --lang), or NULL */
    const struct engine_cfg *ecfg; /* the ingress's screen limits and keys */
    /* DIALOG_INPUT from aggregators: */
    const char *dial_if_new; /* no session yet: BEGIN with this dial instead (answers
                                typed into the dial reach us as the first input) */
    int answers_all;         /* text holds every answer so far joined by '*' (Africa's
                                Talking): apply only those the session has not seen;
                                none new (a retried request): show the screen again */
    int reshow_duplicates;   /* a duplicate input shows the screen again instead of
                                sending nothing (HTTP must answer every request) */
};

/* reply: send `text` (end: as the final screen); drop: send nothing. */
enum dialog_result { DIALOG_SEND, DIALOG_DROP };
typedef void (*dialog_reply_fn)(void *arg, enum dialog_result r, const char *text, int end);

/* Run one step. `cb` fires exactly once; it may fire before this returns (busy,
 * draining). The request's strings are copied. */
void dialog_step(struct dialog_env *env, const struct dialog_req *req, dialog_reply_fn cb,
                 void *arg);

/* The Redis keys this module uses, for tools and tests. */
#define DIALOG_KEY_PREFIX "ussd:"
#define DIALOG_SMS_QUEUE "ussd:sms:queue"

#endif
