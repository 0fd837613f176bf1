/*
 * records_create.h: creating an application and its bill, idempotently (ussd:app:REF,
 * its history, ussd:phone:MSISDN:apps, ussd:bill:NUMBER, ussd:idem:app:KEY, and a
 * business registration's name reservation). The callback keeps records.h's contract.
 */
#ifndef USSDGW_RECORDS_CREATE_H
#define USSDGW_RECORDS_CREATE_H

#include <stddef.h>

#include "records.h"

struct rec_app_new {
    const char *service;              /* land, business, permit */
    const char *kind;                 /* [a-z_]{1,24}, e.g. transfer */
    const char *msisdn;               /* the applicant's phone, 6..15 digits */
    const char *idem_key;             /* required: stable across retries of the same dialog step */
    long amount;                      /* bill in RWF; 0: no bill; < 0: records_fee(service, kind) */
    const struct handler_kv *details; /* up to REC_MAX_DETAILS: key [a-z0-9_]{1,24} */
    size_t n_details;
    const char *channel; /* "ussd", "sms", "cli"...; NULL: "ussd" */
    const char *note;    /* first history note; NULL: "submitted" */
};

struct rec_app_created {
    const char *ref;
    const char *bill; /* "" when no bill */
    long amount;
    const char *pay_code; /* "" when no bill */
    int existing;         /* 1: the idempotency key had already created this one */
};

typedef void (*rec_create_cb)(void *arg, int status, const char *why,
                              const struct rec_app_created *c);

/* Create an application and its bill on behalf of ctx's actor, idempotently: one Lua
 * script looks up the idempotency key and, only when it is new, takes the next
 * reference (INCR), writes the application, its first history entry, the phone's
 * index, the bill and the key. The same key always gives the same reference and bill
 * (existing = 1), from any process, also when a first attempt's reply was lost. A key
 * used by another phone: REC_REFUSED "idem_conflict". Details district, upi, owner_id
 * and buyer_id are made canonical (REC_INVALID when they are not one).
 * Business registrations (service business, kind register, detail "name") also reserve
 * the name: REC_REFUSED "name_taken" or "name_pending" when its key is registered or
 * reserved; the reservation ends when the application is rejected, and the business is
 * registered (a new REGNO, detail "regno") when it is completed (records_change.h).
 * Returns 0, or -1 (records.h). */
int records_app_create(const struct svc_ctx *ctx, const struct rec_app_new *req, rec_create_cb cb,
                       void *arg);

#endif
