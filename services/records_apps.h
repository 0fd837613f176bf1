/*
 * records_apps.h: reading applications (ussd:app:REF with its history and bill), a
 * phone's applications (ussd:phone:MSISDN:apps) and an application's status alone.
 * Reads only; the callbacks keep records.h's contract.
 */
#ifndef USSDGW_RECORDS_APPS_H
#define USSDGW_RECORDS_APPS_H

#include <stddef.h>

#include "records.h"

struct rec_app {
    const char *ref, *service, *kind, *status, *msisdn, *created, *updated, *channel;
    const struct handler_kv *details; /* d.KEY fields, without "d." */
    size_t n_details;
    const struct rec_hist *hist; /* the latest REC_MAX_HIST, oldest first */
    size_t n_hist;
    const struct rec_bill *bill;      /* NULL: none */
    const char *slot, *slot_district; /* "" when no inspection is booked */
};

typedef void (*rec_app_cb)(void *arg, int status, const char *why, const struct rec_app *a);

/* An application by reference (any refs_parse spelling; REC_INVALID "format",
 * "prefix" or "check" before any lookup). Returns 0, or -1 (records.h). */
int records_app_get(const struct svc_env *env, const char *ref, rec_app_cb cb, void *arg);

/* The value of detail k of a, or "". */
const char *records_app_detail(const struct rec_app *a, const char *k);

struct rec_app_summary {
    const char *ref, *service, *kind, *status, *updated;
};

typedef void (*rec_apps_cb)(void *arg, int status, const char *why, const struct rec_app_summary *a,
                            size_t n);

/* The applications of a phone number, newest first, at most max (<= 64). REC_INVALID
 * "msisdn" for a number that is not 6 to 15 digits. Returns 0 or -1. */
int records_apps_of(const struct svc_env *env, const char *msisdn, size_t max, rec_apps_cb cb,
                    void *arg);

struct rec_app_brief {
    const char *ref, *status, *service, *updated; /* "" when a field is missing */
};

typedef void (*rec_brief_cb)(void *arg, int status, const char *why,
                             const struct rec_app_brief *b);

#define REC_BRIEF_REF_MAX 20

/* The status, service and last change of the application stored under key ussd:app:REF,
 * whatever REF's shape (records hold no other, but a record written by hand or
 * imported is answered too): REF is 4 to REC_BRIEF_REF_MAX capitals, digits and dashes
 * (else REC_INVALID "format"). REC_NOT_FOUND when the record has no status. Returns 0
 * or -1. */
int records_app_brief(const struct svc_env *env, const char *ref, rec_brief_cb cb, void *arg);

#endif
