/*
 * records.h: the records of the land, business and building-permit services in Redis,
 * and the asynchronous operations the service handlers (and the CLI) use on them:
 * parcels, businesses and the name index, applications with their history and bills,
 * and inspection slots.
 *
 * Key schema (every key under "ussd:"; dates are local time, clock.h):
 *
 *   ussd:parcel:UPI            hash  upi province district sector cell area_m2 land_use
 *                                    owner_name owner_id tax_due (RWF) tax_due_date
 *   ussd:owner:ID:parcels      set   UPIs owned by national ID ID
 *   ussd:owner:ID:biz          set   registration numbers of businesses owned by ID
 *   ussd:biz:REGNO             hash  regno name name_norm type owner_id owner_name district
 *                                    registered licence_expiry
 *   ussd:biz:names             zset  normalised names (score 0), for prefix (lex) search
 *   ussd:biz:byname            hash  normalised name -> REGNO
 *   ussd:biz:bykey             hash  name key (no legal form, no spaces) -> REGNO
 *   ussd:biz:tok:WORD          set   REGNOs whose name has WORD (similar-name search)
 *   ussd:biz:pending           hash  name key -> REF of a registration not yet decided
 *   ussd:app:REF               hash  ref service kind status msisdn created updated bill
 *                                    idem channel [slot slot_at slot_district]
 *                                    [name_key name_norm name_tokens] d.KEY (details)
 *   ussd:app:REF:hist          list  JSON {"at","status","note"}, oldest first
 *   ussd:phone:MSISDN:apps     zset  REFs by creation time (ZREVRANGE: newest first)
 *   ussd:idem:app:KEY          string REF created with idempotency key KEY (30 days)
 *   ussd:seq:PFX:YY            string INCR counter of PFX references of year YY
 *   ussd:seq:regno             string INCR counter of business registration numbers
 *   ussd:bill:NUMBER           hash  bill ref amount currency status (unpaid|paid|
 *                                    cancelled) created expires pay_code paid_at
 *   ussd:slots:DISTRICT        zset  free inspection slots (member YYYYMMDDHHMM-N,
 *                                    score its start as Unix time)
 *   ussd:slots:DISTRICT:booked hash  slot -> REF
 *   ussd:geo:districts         hash  district code -> name (written by `seed`)
 *   ussd:geo:sectors:DISTRICT  list  sector names in number order (written by `seed`)
 *   ussd:seed                  hash  what `seed` loaded (scale, week, counts)
 *   ussd:l:MSISDN              the phone's language (the dialog's key): SMS language
 *   ussd:sms:queue             list  SMS records {"to","text","lang","queued_at"}
 *
 * Every operation below: `cb` fires exactly once, from the event loop, never inside
 * the call (bad input is reported from the loop too); everything passed to cb is valid
 * only during the callback. Multi-key changes are single Lua scripts (EVAL), so they
 * are atomic, and each checks the types of the keys it writes before writing any.
 * Requests are bounded by the store's per-request timer; an operation makes at most two
 * requests in a row. Data that is not what the schema says (a wrong type, a field
 * missing or not a number) gives REC_ERR with why "data", never a crash.
 *
 * Cancelling: there is no cancel. A handler whose run is cancelled keeps its call record
 * until the records callback fires, then frees it without calling done.
 */
#ifndef USSDGW_RECORDS_H
#define USSDGW_RECORDS_H

#include <stddef.h>
#include <time.h>

#include "call.h"
#include "svc.h"
#include "refs.h"

#define REC_PREFIX "ussd:"
#define REC_SMS_QUEUE "ussd:sms:queue"
#define REC_IDEM_TTL_S (30 * 86400)
#define REC_SEED_SEQ_MIN 900000     /* seed's references use 900001..; live ones stay below */
#define REC_MOMO_PAY "*182*3*7*%s#" /* MTN MoMo pay code of a bill, %s = its digits */
#define REC_MAX_DETAILS 16
#define REC_MAX_HIST 50   /* history entries an app_get returns (the latest) */
#define REC_VALUE_MAX 200 /* bytes of a detail value or a note */
#define REC_TIME_MAX 17   /* "2026-01-05 10:22" and its NUL */

/* Outcomes passed to every callback as `status`, with a reason key `why`. */
enum rec_status {
    REC_OK = 0,
    REC_ERR = -1,      /* why "redis" (unavailable, timeout), "data" (odd record), "memory" */
    REC_NOT_FOUND = 1, /* why "not_found" */
    REC_INVALID = 2,   /* bad input; why from refs/geo ("format", "check", "length", ...) */
    REC_REFUSED = 3,   /* a rule said no; why e.g. "transition", "slot_taken" */
};

/* ---- time ---- */

/* Kigali local time as "YYYY-MM-DD HH:MM" (or "YYYY-MM-DD" when date_only). */
char *records_time(time_t t, int date_only, char *buf, size_t n);

/* ---- statuses and fees (pure) ---- */

/* The application states, in order: submitted, in_review, approved, rejected, paid,
 * completed. 1 when s is one of them. */
int records_status_known(const char *s);

/* NULL when an application may go from `from` to `to`, else the reason: "unknown"
 * (to is not a state), "same", "final" (from is rejected or completed), "transition".
 * has_unpaid_bill: the application has a bill still unpaid.
 *   submitted -> in_review | rejected
 *   in_review -> approved | rejected
 *   approved  -> paid (needs an unpaid bill) | completed (needs no unpaid bill)
 *   paid      -> completed
 * `allowed` (may be NULL) gets the states `from` may go to, comma separated. */
const char *records_transition(const char *from, const char *to, int has_unpaid_bill, char *allowed,
                               size_t n);

/* Fee in RWF of a service and kind (0: no bill; -1: unknown kind). Illustrative
 * amounts: land transfer 20000, subdivision 10000, title_copy 5000, land_use_change
 * 10000; business register 0, trading_licence 40000; permit construction 50000,
 * renovation 20000, occupancy 20000. */
long records_fee(const char *service, const char *kind);

/* ---- parcels ---- */

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

/* One parcel by UPI (any geo_upi_parse spelling). REC_INVALID why: the geo reason. */
void records_parcel_get(const struct svc_env *env, const char *upi, rec_parcel_cb cb,
                        void *arg);

/* The parcels of a national ID (cleaned and checked: REC_INVALID with refs_id_check's
 * reason), at most max (<= 64), sorted by UPI; none: REC_OK with n 0. */
void records_parcels_of(const struct svc_env *env, const char *owner_id, size_t max,
                        rec_parcels_cb cb, void *arg);

/* ---- businesses ---- */

struct rec_business {
    const char *regno, *name, *type; /* type: company, enterprise, cooperative, partnership */
    const char *owner_id, *owner_name, *district;
    const char *registered, *licence_expiry; /* YYYY-MM-DD */
};

typedef void (*rec_business_cb)(void *arg, int status, const char *why,
                                const struct rec_business *b);
typedef void (*rec_businesses_cb)(void *arg, int status, const char *why,
                                  const struct rec_business *b, size_t n);

/* A business by registration number (9 digits). */
void records_business_get(const struct svc_env *env, const char *regno, rec_business_cb cb,
                          void *arg);

/* The businesses of a national ID, at most max (<= 64). */
void records_businesses_of(const struct svc_env *env, const char *owner_id, size_t max,
                           rec_businesses_cb cb, void *arg);

/* Name availability. */
enum rec_name_verdict {
    REC_NAME_FREE = 0,    /* nothing alike */
    REC_NAME_SIMILAR = 1, /* free, but names alike exist (listed) */
    REC_NAME_TAKEN = 2,   /* a business has this name (same norm or key); listed first */
    REC_NAME_PENDING = 3, /* a registration with this name awaits a decision */
};

struct rec_name_match {
    const char *name, *regno; /* regno "" for a pending registration (name is then its REF) */
    int score;                /* refs_name_similarity, 60..100 */
};

#define REC_NAME_MATCHES 5

typedef void (*rec_name_cb)(void *arg, int status, const char *why, int verdict,
                            const struct rec_name_match *m, size_t n);

/* Is `name` free to register? One read script: the exact indexes, names beginning
 * with the same words (ZRANGEBYLEX) and names sharing rarer words (the token sets),
 * then scored here; up to REC_NAME_MATCHES matches, best first. REC_INVALID "name"
 * when the name has no letters or digits, or is longer than 100 bytes. */
void records_name_check(const struct svc_env *env, const char *name, rec_name_cb cb, void *arg);

/* ---- applications ---- */

struct rec_hist {
    const char *at; /* "YYYY-MM-DD HH:MM" */
    const char *status, *note;
};

struct rec_bill {
    const char *number; /* BIL-YY-NNNNNN-C */
    const char *ref;
    long amount;        /* RWF */
    const char *status; /* unpaid, paid, cancelled */
    const char *created, *expires, *paid_at;
    const char *pay_code; /* "*182*3*7*269000015#" */
};

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
 * "prefix" or "check" before any lookup). */
void records_app_get(const struct svc_env *env, const char *ref, rec_app_cb cb, void *arg);

struct rec_app_summary {
    const char *ref, *service, *kind, *status, *updated;
};

typedef void (*rec_apps_cb)(void *arg, int status, const char *why, const struct rec_app_summary *a,
                            size_t n);

/* The applications of a phone number, newest first, at most max (<= 64). */
void records_apps_of(const struct svc_env *env, const char *msisdn, size_t max, rec_apps_cb cb,
                     void *arg);

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

/* Create an application and its bill, idempotently: one Lua script looks up the
 * idempotency key and, only when it is new, takes the next reference (INCR), writes the
 * application, its first history entry, the phone's index, the bill and the key. The
 * same key always gives the same reference and bill (existing = 1), from any process,
 * also when a first attempt's reply was lost. A key used by another phone: REC_REFUSED
 * "idem_conflict".
 * Business registrations (service business, kind register, detail "name") also reserve
 * the name: REC_REFUSED "name_taken" or "name_pending" when its key is registered or
 * reserved; the reservation ends when the application is rejected, and the business is
 * registered (a new REGNO, detail "regno") when it is completed. */
void records_app_create(const struct svc_env *env, const struct rec_app_new *req,
                        rec_create_cb cb, void *arg);

struct rec_status_change {
    const char *ref, *from, *to, *msisdn;
    const char *sms_lang; /* language of the SMS queued, "" when none */
    const char *regno;    /* business registered by this change, or "" */
};

typedef void (*rec_status_cb)(void *arg, int status, const char *why,
                              const struct rec_status_change *c);

#define REC_NOTIFY 1 /* queue a status SMS to the applicant (RPUSH ussd:sms:queue) */

/* Move an application to a new status (see records_transition), with a history entry
 * (note may be NULL) and, with REC_NOTIFY, an SMS in the applicant's language
 * (ussd:l:MSISDN; en when unset), in the same atomic script, which also checks that the
 * status is still the one read (else REC_REFUSED "changed"). Going to paid marks the
 * bill paid; rejected cancels an unpaid bill. REC_REFUSED why: the transition reason. */
void records_app_set_status(const struct svc_env *env, const char *ref, const char *to,
                            const char *note, int flags, rec_status_cb cb, void *arg);

/* The status SMS text of `to` in lang (en, rw, fr; others: en). bill may be NULL. */
char *records_status_sms(const char *lang, const char *ref, const char *to, const char *note,
                         const struct rec_bill *bill, char *buf, size_t n);

/* ---- bills ---- */

typedef void (*rec_bill_cb)(void *arg, int status, const char *why, const struct rec_bill *b);

/* A bill by number (refs_parse spelling, or its 9 digits alone). */
void records_bill_get(const struct svc_env *env, const char *number, rec_bill_cb cb, void *arg);

/* ---- inspection slots ---- */

struct rec_slot {
    const char *id;    /* YYYYMMDDHHMM-N */
    time_t at;         /* start */
    const char *label; /* "03/02 09:00" (DD/MM HH:MM, Kigali time) */
};

typedef void (*rec_slots_cb)(void *arg, int status, const char *why, const struct rec_slot *s,
                             size_t n);

/* Free slots of a district (geo name, any case) from now on, earliest first, at most
 * max (<= 64). REC_INVALID "district" for an unknown district. */
void records_slots_free(const struct svc_env *env, const char *district, size_t max,
                        rec_slots_cb cb, void *arg);

/* "03/02 09:00" for slot id 202602030900-1; returns buf ("" when the id is malformed). */
char *records_slot_label(const char *id, char *buf, size_t n);

struct rec_booking {
    const char *ref, *slot, *district;
    const char *previous; /* a slot given back by this booking, or "" */
    int same;             /* 1: it was already booked to this application */
};

typedef void (*rec_book_cb)(void *arg, int status, const char *why, const struct rec_booking *b);

/* Book a free slot of the application's district (its detail "district") for a
 * building permit that is approved or paid, atomically: two phones can never get the
 * same slot. Booking another slot gives the previous one back. REC_REFUSED why:
 * "slot_taken", "not_permit", "status", "no_district", "past". */
void records_slot_book(const struct svc_env *env, const char *ref, const char *slot,
                       rec_book_cb cb, void *arg);

#endif
