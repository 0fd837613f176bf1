/*
 * records.h: the records of the land, business and building-permit services in Redis:
 * their key schema, the words every records module shares (outcomes, limits, times), and
 * the rules that need no Redis (statuses and transitions, fees, the status SMS, history
 * entries, slot labels). The operations on each kind of record have their own module:
 *
 *   records_parcels.h   parcels and an owner's parcels
 *   records_biz.h       businesses, an owner's businesses, name availability
 *   records_apps.h      applications: reading, a phone's list, creating
 *   records_change.h    an application's status change (history, bill, SMS, name)
 *   records_bills.h     bills, and a parcel's land-tax bill
 *   records_slots.h     inspection slots: the free ones, booking
 *   records_seed.h      the demo data set's writer (`ussdgw seed`)
 *
 * Key schema (every key under "ussd:"; dates are local time, clock.h):
 *
 *   ussd:parcel:UPI            hash  upi province district sector cell area_m2 land_use
 *                                    owner_name owner_id tax_due (RWF) tax_due_date
 *                                    [tax_bill]
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
 *                                    cancelled) created expires pay_code paid_at; a land
 *                                    tax bill: kind land_tax, upi, due_date, ref ""
 *   ussd:slots:DISTRICT        zset  free inspection slots (member YYYYMMDDHHMM-N,
 *                                    score its start as Unix time)
 *   ussd:slots:DISTRICT:booked hash  slot -> REF
 *   ussd:geo:districts         hash  district code -> name (written by `seed`)
 *   ussd:geo:sectors:DISTRICT  list  sector names in number order (written by `seed`)
 *   ussd:seed                  hash  what `seed` loaded (scale, week, counts)
 *   ussd:l:MSISDN              the phone's language (the dialog's key): SMS language
 *   ussd:sms:queue             list  SMS records (sms_record.h)
 *
 * Every key a script touches is passed to it (KEYS); a key that only the script can
 * know (a new reference, the bill or the district an application names) is built in
 * the script from a prefix passed in ARGV, never spelled in the Lua text.
 *
 * The contract of every asynchronous operation of the records modules:
 *   - it returns 0 when it accepted the request: then its callback fires exactly once;
 *     -1 when it did not (no memory, no event loop in the env): the callback never fires;
 *   - the callback fires from the event loop, never inside the call (bad input, a
 *     missing store and every failure too);
 *   - everything handed to the callback is valid only during the callback;
 *   - a callback may make new requests (and may free the store: the operation is
 *     done by then).
 * Reads take the env (const struct svc_env *); a call that creates or changes a record
 * on someone's behalf takes the call's context (const struct svc_ctx *: the env and
 * the actor). Multi-key changes are single Lua scripts (store_eval), so they are
 * atomic, and each checks the types of the keys it writes before writing any. Requests
 * are bounded by the store's per-request timer; an operation makes at most two requests
 * in a row. Data that is not what the schema says (a wrong type, a field missing or not
 * a number) gives REC_ERR with why "data", never a crash.
 *
 * Cancelling: there is no cancel. A handler whose run is cancelled keeps its call record
 * until the records callback fires, then frees it without calling done.
 */
#ifndef USSDGW_RECORDS_H
#define USSDGW_RECORDS_H

#include <stddef.h>
#include <time.h>

#include "call.h"
#include "refs.h"
#include "svc.h"

#define REC_PREFIX "ussd:"
#define REC_SMS_QUEUE "ussd:sms:queue"
#define REC_IDEM_TTL_S (30 * 86400)
#define REC_SEED_SEQ_MIN 900000     /* seed's references use 900001..; live ones stay below */
#define REC_MOMO_PAY "*182*3*7*%s#" /* MTN MoMo pay code of a bill, %s = its digits */
#define REC_MAX_DETAILS 16
#define REC_MAX_HIST 50   /* history entries an app_get returns (the latest) */
#define REC_VALUE_MAX 200 /* bytes of a detail value or a note */
#define REC_TIME_MAX 17   /* "2026-01-05 10:22" and its NUL */
#define REC_LIST_MAX 64   /* the longest list an operation returns */

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

/* ---- statuses and fees ---- */

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

/* 50000 -> "50,000", or "50 000" when fr (French); a negative amount is 0. Cut to n
 * (never past it). Returns buf. */
char *records_amount(long v, int fr, char *buf, size_t n);

/* ---- what several kinds of record hold ---- */

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

/* A history entry as stored in ussd:app:REF:hist, {"at","status","note"} (the one
 * encoder of it; note NULL: ""), malloc'd; NULL when a value is not UTF-8 or memory is
 * short. */
char *records_hist_json(const char *at, const char *status, const char *note);

/* The status SMS text of `to` in lang (en, rw, fr; others: en). bill may be NULL. */
char *records_status_sms(const char *lang, const char *ref, const char *to, const char *note,
                         const struct rec_bill *bill, char *buf, size_t n);

/* "03/02 09:00" for slot id 202602030900-1; returns buf ("" when the id is malformed). */
char *records_slot_label(const char *id, char *buf, size_t n);


#endif
