/*
 * dialog.h: one step of a USSD dialog, whatever carried it (SMPP, HTTP, `try`).
 *
 * load the session from Redis -> menu engine -> handlers (async, bounded) -> save the
 * session (compare-and-set on its version) -> reply. At most two Redis round trips per
 * step. Every step has a deadline: when Redis or a handler is too slow the phone gets
 * the "temporarily unavailable" text before the operator gives up on us.
 *
 * A resent input (resend.h tells it from a repeated answer, from what the ingress says
 * the input carries) is applied once: the copy sends nothing when the screen it got has
 * gone out on the same connection, else the current screen again (saved anew, so the
 * phone of a dropped link still gets it). A save that loses the compare-and-set to
 * another step of the same dialog is judged again against what won.
 */
#ifndef USSDGW_DIALOG_H
#define USSDGW_DIALOG_H

#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "handler.h"
#include "resend.h"

struct event_base;
struct store;

struct dialog_stats {
    uint64_t steps;       /* steps started */
    uint64_t sent;        /* replies sent */
    uint64_t dropped;     /* duplicates, conflicts, aborts: nothing sent */
    uint64_t unavailable; /* "temporarily unavailable" (Redis down/slow, deadline) */
    uint64_t busy;        /* refused: too many steps in flight */
    uint64_t conflicts;   /* saves that lost a compare-and-set */
    uint64_t resends;     /* inputs taken for a resend (resend.h): applied once */
    uint64_t undelivered; /* screens whose submit failed (dialog_undelivered) */
};

struct dialog_env {
    struct event_base *base;
    struct store *store;
    const struct menu_set *set;
    const struct config *cfg;
    struct svc_env svc;
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
    const struct step_sig *sig; /* what tells a resend of this input, or NULL: none
                                   (every input is applied) */
    uint32_t resend_window_ms;  /* resend.h rule 5; 0: the rule is off */
    const char *lang;     /* force a language on BEGIN (try --lang), or NULL */
    const struct engine_cfg *ecfg; /* the ingress's screen limits and keys */
    /* DIALOG_INPUT from aggregators: */
    const char *dial_if_new; /* no session yet: BEGIN with this dial instead (answers
                                typed into the dial reach us as the first input) */
    int answers_all;         /* text holds every answer so far joined by '*' (Africa's
                                Talking): apply only those the session has not seen;
                                none new (a retried request): show the screen again */
    int reshow_duplicates;   /* a resent input shows the screen again without saving,
                                never nothing (HTTP must answer every request) */
};

/* reply: send `text` (end: as the final screen); drop: send nothing. `version`: the
 * stored session version this screen belongs to (give it to dialog_undelivered when the
 * screen cannot be sent), 0 when the screen is not one of a stored session. */
enum dialog_result { DIALOG_SEND, DIALOG_DROP };
typedef void (*dialog_reply_fn)(void *arg, enum dialog_result r, const char *text, int end,
                                uint32_t version);

/* Run one step. `cb` fires exactly once, from the loop, never before this returns
 * (busy and draining refusals too; only when memory runs out for the refusal itself).
 * The request's strings are copied. */
void dialog_step(struct dialog_env *env, const struct dialog_req *req, dialog_reply_fn cb,
                 void *arg);

/* The screen of session `version` of this dialog did not reach the network (its
 * submit failed): a copy of the input it answered, resent later by the centre on any
 * connection, then gets the screen again instead of being applied twice. One SET, no
 * callback; best effort (a lost write leaves the timing rule of resend.h). */
void dialog_undelivered(struct dialog_env *env, const char *ingress, const char *msisdn,
                        const char *sid, uint32_t version);

/* The Redis keys this module uses, for tools and tests. */
#define DIALOG_KEY_PREFIX "ussd:"
#define DIALOG_SMS_QUEUE "ussd:sms:queue"

#endif
