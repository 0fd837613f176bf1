/*
 * ticket_read.h: one reported problem read whole (ussd:ticket:REF, its history and its
 * followers; handlers/tickets.c writes them), for `ussdgw app show TKT-...`. The
 * callback keeps records.h's contract.
 */
#ifndef USSDGW_TICKET_READ_H
#define USSDGW_TICKET_READ_H

#include <stddef.h>

#include "records.h"

#define REC_TICKET_HIST_MAX 200 /* history entries read (the latest) */

struct rec_ticket {
    const char *ref, *category, *status, *landmark, *sector, *district, *description;
    const char *msisdn, *reports, *created, *updated, *channel; /* "" when missing */
    long long followers;
    const struct rec_hist *hist; /* oldest first; an entry that is not JSON has "" fields */
    size_t n_hist;
};

typedef void (*rec_ticket_cb)(void *arg, int status, const char *why,
                              const struct rec_ticket *t);

/* The ticket REF (canonical TKT-YY-NNNNNN-C). REC_NOT_FOUND when there is none (or its
 * key is not a hash); REC_ERR "data" when its history is not a list. Returns 0, or -1
 * (records.h). */
int records_ticket_get(const struct svc_env *env, const char *ref, rec_ticket_cb cb, void *arg);

#endif
