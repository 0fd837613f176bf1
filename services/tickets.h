/*
 * tickets.h: reported problems ("Report a problem", like OneService or NYC311) in Redis.
 * A resident reports a problem (category, district, sector, landmark, optional
 * description) and gets a reference TKT-YY-NNNNNN-C. The same category in the same
 * sector within the merge window (svc_env ticket_window_s, default TICKETS_WINDOW_S)
 * is the same problem: the resident becomes a follower of that ticket instead. Staff
 * move a ticket through its statuses and every follower gets an SMS in their language.
 *
 * Keys (this module names them all):
 *   ussd:ticket:REF            hash  ref category district sector sector_key landmark
 *                                    description status msisdn created updated idem
 *                                    channel open_key reports
 *   ussd:ticket:REF:hist       list  JSON {"at","status","note"}, oldest first
 *   ussd:ticket:REF:followers  set   phones told of every status change (reporter and
 *                                    everyone whose report was merged into it)
 *   ussd:tickets:open:SECTOR:CATEGORY  string REF of the open ticket of that problem
 *                                    (SECTOR is DD-SS: district code, sector number),
 *                                    expiring after the merge window; deleted when the
 *                                    ticket is resolved or rejected
 *   ussd:phone:MSISDN:tickets  zset  REFs reported or followed, by time (newest last)
 *   ussd:idem:ticket:KEY       string "created:REF" or "merged:REF" (30 days)
 *   ussd:seq:TKT:YY            string INCR counter of ticket references
 * Status SMS go to ussd:sms:queue as sms_record.h writes them; a follower's language is
 * the dialog's ussd:l:MSISDN (en when unset).
 *
 * The categories, the statuses and the SMS texts: tickets_words.h.
 *
 * Calls: a change made for someone (a report, a status change) takes a svc_ctx (the
 * env and who acts); a read takes the env. Outcomes are records.h's REC_* with a reason
 * key `why`. Callback contract, for every call below: cb fires exactly once, from the
 * event loop, never inside the call (bad input too); what it is handed is valid only
 * during the callback; it may make new calls. Every change is one Lua script (atomic,
 * the types of its keys checked before anything is written).
 */
#ifndef USSDGW_TICKETS_H
#define USSDGW_TICKETS_H

#include <stddef.h>

#include "records.h"
#include "svc.h"
#include "tickets_words.h"

#define TICKETS_WINDOW_S (7 * 86400) /* same category + sector within it: same problem */
#define TICKETS_KEY "ussd:ticket:"   /* the prefix of a ticket's keys (the export reads them) */
#define TICKETS_LIST_MAX 64

/* ---- a report ---- */

struct tickets_report {
    const char *category;    /* a category code */
    const char *district;    /* a district's name, any case */
    const char *sector;      /* one of its sectors, any case */
    const char *landmark;    /* as typed: made printable, cut to 100 bytes, trimmed */
    const char *description; /* the same; may be NULL */
    const char *idem_key;    /* required: the dialog step's key (the same on every retry) */
    const char *channel;     /* NULL: "ussd" */
    int follow_only;         /* 1: follow the open ticket of that problem, never create */
};

enum tickets_verdict {
    TICKETS_CREATED, /* a new ticket */
    TICKETS_MERGED,  /* the reporter follows the open ticket of the same problem */
    TICKETS_GONE,    /* follow_only: that problem has no open ticket any more */
};

struct tickets_reported {
    const char *ref; /* "" for TICKETS_GONE */
    enum tickets_verdict verdict;
    int existing; /* 1: the idempotency key had done this already (a retried step) */
};

/* t is set with REC_OK, and with REC_REFUSED "idem_conflict" (the key was another
 * phone's: t->ref is that ticket); NULL otherwise. */
typedef void (*tickets_report_cb)(void *arg, int status, const char *why,
                                  const struct tickets_reported *t);

/* Report (or follow) a problem for ctx's resident (actor.msisdn, 6 to 15 digits), in
 * one script that looks up the idempotency key, merges into the open ticket of the
 * same problem when there is one, else takes the next reference and writes the ticket.
 * REC_INVALID why: "place" (unknown category, district or sector), "landmark" (empty,
 * unless follow_only), "msisdn", "idem". REC_ERR "sequence": the year's references are
 * used up. */
void tickets_report(const struct svc_ctx *ctx, const struct tickets_report *r,
                    tickets_report_cb cb, void *arg);

/* ---- reads ---- */

/* ref and status of the open ticket of a problem, or both NULL when there is none. */
typedef void (*tickets_open_cb)(void *arg, int status, const char *why, const char *ref,
                                const char *ticket_status);

/* Is this problem already reported and open? REC_INVALID "place" as tickets_report. */
void tickets_open(const struct svc_env *env, const char *category, const char *district,
                  const char *sector, tickets_open_cb cb, void *arg);

struct tickets_summary {
    const char *ref, *status;
};

typedef void (*tickets_list_cb)(void *arg, int status, const char *why,
                                const struct tickets_summary *t, size_t n);

/* The tickets a phone reported or follows, newest first, at most max (<= 64); a phone
 * number that is not one has none. */
void tickets_of(const struct svc_env *env, const char *msisdn, size_t max, tickets_list_cb cb,
                void *arg);

struct tickets_hist {
    const char *at, *status, *note; /* "" when the entry lacks one */
};

struct tickets_ticket {
    const char *ref, *category, *district, *sector, *landmark, *description, *status;
    const char *msisdn, *created, *updated, *channel, *reports; /* "" when unset */
    long long followers;
    const char *note; /* staff's note on the current status, or "" */
    const struct tickets_hist *hist; /* oldest first */
    size_t n_hist;
};

typedef void (*tickets_get_cb)(void *arg, int status, const char *why,
                               const struct tickets_ticket *t);

/* One ticket, its followers counted and its history (the latest REC_MAX_HIST). ref in
 * any refs_parse spelling: REC_INVALID "format", "prefix" or "check" before any lookup;
 * REC_NOT_FOUND. */
void tickets_get(const struct svc_env *env, const char *ref, tickets_get_cb cb, void *arg);

/* ---- a status change (staff) ---- */

struct tickets_change {
    const char *ref, *from, *to;
    long notified; /* SMS queued, one per follower */
};

typedef void (*tickets_status_cb)(void *arg, int status, const char *why,
                                  const struct tickets_change *c);

/* Move a ticket to a new status for ctx's actor, with a history entry (note may be
 * NULL) and an SMS to every follower in their language, in one script that also checks
 * that the status is still the one read (else REC_REFUSED "changed"); resolving or
 * rejecting closes the open problem. REC_REFUSED why: the transition reason (then c has
 * from and, in `to`, the states allowed); REC_NOT_FOUND; REC_INVALID
 * "format"/"prefix"/"check", or "status" for an unknown status. */
void tickets_set_status(const struct svc_ctx *ctx, const char *ref, const char *to,
                        const char *note, tickets_status_cb cb, void *arg);

#endif
