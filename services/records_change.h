/*
 * records_change.h: an application's status change: the status, a history entry, its
 * bill (paid, cancelled), a business registration's name (released, or the business
 * registered) and the SMS to the applicant, in one atomic script. The callback keeps
 * records.h's contract.
 */
#ifndef USSDGW_RECORDS_CHANGE_H
#define USSDGW_RECORDS_CHANGE_H

#include "records.h"

struct rec_status_change {
    const char *ref, *from, *to, *msisdn;
    const char *sms_lang; /* language of the SMS queued, "" when none */
    const char *regno;    /* business registered by this change, or "" */
};

typedef void (*rec_status_cb)(void *arg, int status, const char *why,
                              const struct rec_status_change *c);

#define REC_NOTIFY 1 /* queue a status SMS to the applicant (RPUSH ussd:sms:queue) */

/* Move an application to a new status (see records_transition) on behalf of ctx's
 * actor, with a history entry (note may be NULL) and, with REC_NOTIFY, an SMS in the
 * applicant's language (ussd:l:MSISDN; en when unset), in the same atomic script, which
 * also checks that the status is still the one read (else REC_REFUSED "changed").
 * Going to paid marks the bill paid; rejected cancels an unpaid bill. REC_REFUSED why:
 * the transition reason; REC_INVALID "status", "note" or the reference's reason.
 * Two requests: the application's read, then the script. Returns 0, or -1
 * (records.h). */
int records_app_set_status(const struct svc_ctx *ctx, const char *ref, const char *to,
                           const char *note, int flags, rec_status_cb cb, void *arg);

#endif
