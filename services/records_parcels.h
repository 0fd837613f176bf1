/*
 * records_parcels.h: parcels of land (ussd:parcel:UPI) and the parcels of an owner
 * (ussd:owner:ID:parcels). Reads only; the callbacks keep records.h's contract.
 */
#ifndef USSDGW_RECORDS_PARCELS_H
#define USSDGW_RECORDS_PARCELS_H

#include <stddef.h>

#include "records.h"

struct rec_parcel {
    const char *upi; /* canonical */
    const char *province, *district, *sector;
    int cell;
    long area_m2;
    const char *land_use; /* residential, commercial, agricultural, industrial, mixed, forest */
    const char *owner_name, *owner_id;
    long tax_due;             /* RWF; 0 when nothing is due */
    const char *tax_due_date; /* YYYY-MM-DD */
};

typedef void (*rec_parcel_cb)(void *arg, int status, const char *why, const struct rec_parcel *p);
typedef void (*rec_parcels_cb)(void *arg, int status, const char *why, const struct rec_parcel *p,
                               size_t n);

/* One parcel by UPI (any geo_upi_parse spelling). REC_INVALID why: the geo reason.
 * Returns 0, or -1 (records.h). */
int records_parcel_get(const struct svc_env *env, const char *upi, rec_parcel_cb cb, void *arg);

/* The parcels of a national ID (cleaned and checked: REC_INVALID with refs_id_check's
 * reason), at most max (<= 64), sorted by UPI; none: REC_OK with n 0. Returns 0 or -1. */
int records_parcels_of(const struct svc_env *env, const char *owner_id, size_t max,
                       rec_parcels_cb cb, void *arg);

#endif
