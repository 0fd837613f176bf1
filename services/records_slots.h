/*
 * records_slots.h: inspection slots of a district (ussd:slots:DISTRICT and its :booked
 * hash): the free ones, and booking one for a building permit. The callbacks keep
 * records.h's contract.
 */
#ifndef USSDGW_RECORDS_SLOTS_H
#define USSDGW_RECORDS_SLOTS_H

#include <stddef.h>
#include <time.h>

#include "records.h"

struct rec_slot {
    const char *id;    /* YYYYMMDDHHMM-N */
    time_t at;         /* start */
    const char *label; /* "03/02 09:00" (DD/MM HH:MM, Kigali time) */
};

typedef void (*rec_slots_cb)(void *arg, int status, const char *why, const struct rec_slot *s,
                             size_t n);

/* Free slots of a district (geo name, any case) from now on, earliest first, one per
 * start time, at most max (<= 64). REC_INVALID "district" for an unknown district.
 * Returns 0, or -1 (records.h). */
int records_slots_free(const struct svc_env *env, const char *district, size_t max,
                       rec_slots_cb cb, void *arg);

struct rec_booking {
    const char *ref, *slot, *district;
    const char *previous; /* a slot given back by this booking, or "" */
    int same;             /* 1: it was already booked to this application */
};

typedef void (*rec_book_cb)(void *arg, int status, const char *why, const struct rec_booking *b);

/* Book a free slot of the application's district (its detail "district") for a
 * building permit that is approved or paid, on behalf of ctx's actor, atomically: two
 * phones can never get the same slot. Booking another slot gives the previous one back;
 * the history says so. REC_REFUSED why: "slot_taken", "not_permit", "status",
 * "no_district", "past"; REC_INVALID "slot" or the reference's reason. Returns 0 or
 * -1. */
int records_slot_book(const struct svc_ctx *ctx, const char *ref, const char *slot,
                      rec_book_cb cb, void *arg);

#endif
