/*
 * records_seed.h: the writer of the demo data set (`ussdgw seed`, cli/seed.c): each
 * record whole, under records.h's key schema, every key it fills deleted first (or
 * written whole), so that writing the same records again leaves the same data.
 *
 * Writes are plain commands sent at once; the writer counts them and keeps the first
 * failure. The caller keeps the number waiting for Redis bounded: it writes while
 * records_seed_room says so, then asks records_seed_wait to call it back when there is
 * room again (or when everything is answered, at the end).
 *
 * records_seed_wait keeps records.h's contract: its callback fires exactly once for a
 * wait that returned 0, from the loop, never inside the call; first_error is valid
 * during the callback; the callback may write and wait again, and may free the writer.
 */
#ifndef USSDGW_RECORDS_SEED_H
#define USSDGW_RECORDS_SEED_H

#include <stddef.h>

#include "records_apps.h"
#include "records_biz.h"
#include "records_parcels.h"
#include "records_slots.h"

struct rec_seed;

/* An application as the seed stores it: app whole (every history entry, the bill when
 * app.bill is set, the slot when app.slot is not ""), and what the index keys need. */
struct rec_seed_app {
    struct rec_app app;
    long long submitted_at; /* Unix time of submission: its score in the phone's index */
    long long slot_at;      /* the booked slot's start (app.slot set) */
    const char *name;       /* a registration's name, reserved unless rejected; NULL: none */
    const char *phone_lang; /* the first application of its phone: the phone's language,
                               and its index starts afresh; NULL: not the first */
};

#define REC_SEED_HIST_MAX 8 /* history entries of a seeded application */

/* status REC_OK, or REC_ERR with the first write's failure (an error reply, or "no
 * reply (timeout or disconnected)"). */
typedef void (*rec_seed_cb)(void *arg, int status, const char *first_error);

/* A writer on env's store, or NULL (no store, no loop, no memory). */
struct rec_seed *records_seed_new(const struct svc_env *env, size_t max_inflight);

/* Free w: a wait whose callback has not fired gets REC_ERR before this returns; the
 * memory goes when the last write is answered. NULL is fine. */
void records_seed_free(struct rec_seed *w);

/* 1 while fewer than max_inflight writes wait and none failed. */
int records_seed_room(const struct rec_seed *w);

/* Wait for room (all 0), or until every write is answered (all 1); a failure ends
 * either at once (REC_ERR). One wait at a time. Returns 0, or -1 (one is waiting
 * already). */
int records_seed_wait(struct rec_seed *w, int all, rec_seed_cb cb, void *arg);

/* Writes sent, and how many failed. */
size_t records_seed_sent(const struct rec_seed *w);
size_t records_seed_failed(const struct rec_seed *w);

/* District i of geo_districts: its sectors in number order (ussd:geo:sectors:NAME);
 * with i 0, the districts' names by code too (ussd:geo:districts). */
void records_seed_geo(struct rec_seed *w, size_t i);

/* A parcel; p->province is its code in decimal. */
void records_seed_parcel(struct rec_seed *w, const struct rec_parcel *p);

/* What owner_id owns (what: "parcels" or "biz"): the index ussd:owner:ID:WHAT anew with
 * the n members; n 0 writes nothing. */
void records_seed_owned(struct rec_seed *w, const char *owner_id, const char *what,
                        const char *const *members, size_t n);

/* A registered business and its name indexes. */
void records_seed_business(struct rec_seed *w, const struct rec_business *b);

/* An application, its history, the phone's index and language, its bill and a
 * registration's name reservation. */
void records_seed_app(struct rec_seed *w, const struct rec_seed_app *a);

/* The free inspection slots of a district (only id and at are read), and no booking. */
void records_seed_slots(struct rec_seed *w, const char *district, const struct rec_slot *s,
                        size_t n);

/* What the seed loaded (ussd:seed), written anew. */
void records_seed_meta(struct rec_seed *w, const struct handler_kv *f, size_t n);

#endif
