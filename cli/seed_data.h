/*
 * seed_data.h: the demo data set of `ussdgw seed` (cli/seed.c), generated record by
 * record as typed records (services/records_seed.h writes them): people, parcels and
 * their owners, businesses with unique names, applications in every state with their
 * history, bills and booked inspections, and the free inspection slots. Everything is
 * a function of the PRNG (seed_gen.h), the scale and the week. Pure: no I/O.
 *
 * Each kind of record is generated in order, from its own PRNG stream: parcels 0..n-1,
 * then their owners, businesses 0..n-1, their owners, applications 0..n-1 (businesses
 * before applications: a registration's new name must not be one of theirs).
 */
#ifndef USSDGW_SEED_DATA_H
#define USSDGW_SEED_DATA_H

#include <stddef.h>
#include <time.h>

#include "records_seed.h"

#define SEED_ID_BUF 48 /* a UPI or a national ID as printed here, with room for any int */

enum { SEED_SUBMITTED, SEED_IN_REVIEW, SEED_APPROVED, SEED_REJECTED, SEED_PAID, SEED_COMPLETED,
       SEED_N_ST };

/* What the data set holds, and records to try (filled as they are generated). */
struct seed_summary {
    double scale;
    char week[12]; /* YYYY-MM-DD, the Monday */
    size_t n_persons, n_parcels, n_biz, n_apps;
    size_t n_owners, n_bills, n_unpaid, n_slots, n_booked, n_pending;
    size_t st_count[SEED_N_ST];
    char parcel[SEED_ID_BUF], parcel_owner[80], parcel_id[SEED_ID_BUF], parcel_phone[16];
    char biz[REFS_NAME_MAX], biz_regno[12], biz_alike[REFS_NAME_MAX];
    char app[SEED_N_ST][REFS_MAX], app_phone[SEED_N_ST][16], app_service[SEED_N_ST][12];
    char permit[REFS_MAX], permit_district[16];
    size_t permit_free_slots; /* in the permit's district */
};

/* The names of the states, in order. */
extern const char *const seed_states[SEED_N_ST];

struct seed_data;

/* A data set at scale (> 0; 1 is the full set) for the week that begins at Monday
 * 00:00 `week`, or NULL when memory is short. */
struct seed_data *seed_data_new(double scale, time_t week);
void seed_data_free(struct seed_data *d);

/* (The free slots of the permit to try are counted here.) */
const struct seed_summary *seed_data_summary(struct seed_data *d);

/* Each record below is valid until the next call for the same kind. */

/* Parcel i. */
const struct rec_parcel *seed_data_parcel(struct seed_data *d, size_t i);

/* What person i owns (parcels, else businesses), from 0 up once all of them are made:
 * the owner's ID into id, the members (n, maybe 0) into *members. */
size_t seed_data_owned(struct seed_data *d, size_t i, int parcels, char *id, size_t id_n,
                       const char *const **members);

/* Business i. */
const struct rec_business *seed_data_business(struct seed_data *d, size_t i);

/* Application i. */
const struct rec_seed_app *seed_data_app(struct seed_data *d, size_t i);

/* The free inspection slots of district i (geo_districts' order) for the 4 weeks. */
size_t seed_data_slots(struct seed_data *d, size_t i, const struct rec_slot **slots);

#endif
