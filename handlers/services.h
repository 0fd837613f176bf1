/*
 * services.h: what the land, business, permit and "my applications" handlers share:
 * the call record every asynchronous handler keeps, the words of codes in the
 * request's language, amounts as people read them, the reason a national ID is
 * refused, and the submission step (create an application idempotently, then read
 * its bill). Records are reached through the services of services/ only.
 *
 * Languages: en, rw and fr; any other gets English. Every text below is within the
 * GSM 7-bit alphabet (no ç, â, ê...), so a screen that shows it stays within 182
 * characters rather than UCS2's 80, and within the 60 characters a template inserts.
 *
 * Variables the handlers set, shared between services so that a dialog that visits
 * every service stays within the session's 32 variables (see README "Services"):
 * upi district sector area owner amount when ref bill pay expires note status_text
 * type_text h1..h5 slot.
 */
#ifndef USSDGW_SERVICES_H
#define USSDGW_SERVICES_H

#include <stddef.h>

#include "handler.h"
#include "records.h"

/* ---- the call record (myapps.c) ---- */

/* Head of every asynchronous service call: the run's callback, and whether the run
 * was cancelled (then the records callback, which always comes, frees the call
 * without calling done). */
struct svc_call {
    handler_done_fn done;
    void *arg;
    int cancelled;
    char lang[4]; /* "en", "rw" or "fr" */
};

/* A zeroed call of `size` bytes (a struct that begins with struct svc_call), or NULL. */
void *svc_call_new(size_t size, const struct handler_req *req, handler_done_fn done, void *arg);

/* In a records callback: 1 when the run was cancelled (the call is then freed). */
int svc_call_gone(void *call);

/* Finish: done(outcome, set) and free the call. `set` may point into the call. */
void svc_finish(void *call, const char *outcome, const struct handler_kv *set, size_t n_set);

/* Finish a handler that did not start any work (from start(): the run defers it). */
void svc_done_now(handler_done_fn done, void *arg, const char *outcome,
                  const struct handler_kv *set, size_t n_set);

/* The cancel function of every asynchronous service handler. */
void svc_cancel(struct handler_call *call);

/* What start() returns after asking records for `call`, rc being what the records call
 * returned: the call; or, when records did not take the request (-1: no memory), NULL
 * after done("error") (the call is freed). */
struct handler_call *svc_started(void *call, int rc);

/* The same in a records callback, for the call's next request: when records did not take
 * it, the call finishes with "error". */
void svc_continued(void *call, int rc);

/* ---- words ---- */

/* "en", "rw" or "fr" for any language code (NULL or unknown: "en"). */
const char *svc_lang(const char *lang);

/* A code's words: the entry of `table` (code, en, rw, fr; ends with a NULL code) for
 * `code` in `lang`, or the code with underscores as spaces. Returns buf. */
struct svc_words {
    const char *code, *en, *rw, *fr;
};
char *svc_word(const struct svc_words *table, const char *code, const char *lang, char *buf,
               size_t n);

/* Application statuses, services and kinds in words (app_status.c). */
extern const struct svc_words svc_status_words[];
extern const struct svc_words svc_service_words[];
/* kind in words, e.g. "land transfer", "trading licence" */
extern const struct svc_words svc_kind_words[];

/* 50000 -> "50,000" (en, rw) or "50 000" (fr). Returns buf. */
char *svc_amount(long v, const char *lang, char *buf, size_t n);

/* Why a national ID is refused, for refs_id_check's reason key on the cleaned ID, at
 * most 60 characters: "That number has 15 digits; an ID has 16." Returns buf. */
char *svc_id_reason(const char *why, const char *cleaned, const char *lang, char *buf, size_t n);

/* Check a typed national ID: NULL with the cleaned ID in out (17 bytes or more), or
 * refs_id_check's reason key. */
const char *svc_id(const char *typed, char *out, size_t n);

/* "2026-11-07 09:25" -> "07/11/2026" (a two-digit year reads like a day). Returns buf. */
char *svc_day(const char *at, char *buf, size_t n);

/* ---- submissions (myapps.c) ---- */

/* Create an application with records_app_create, the dialog step's key as the
 * idempotency key (hashed when longer than records accept), then read its bill.
 * Outcomes: ok with ref, bill, amount (words of the bill's amount, "0" without a
 * bill), pay (the mobile-money code, "" without a bill) and expires (the bill's last
 * day, "" without one); taken / pending (a business name registered or reserved
 * meanwhile); invalid (records refused a detail: note has the reason key); error.
 * Returns the call (NULL when done already fired: bad arguments, no memory). */
struct handler_call *svc_submit(const struct svc_env *env, const struct handler_req *req,
                                const char *service, const char *kind,
                                const struct handler_kv *details, size_t n_details,
                                handler_done_fn done, void *arg);

/* The idempotency key of a step key: the key itself when it fits records' limit (120
 * bytes), else "h:" and 32 hex digits of two 64-bit FNV-1a hashes. Returns out. */
char *svc_idem_key(const char *step_key, char *out, size_t n);

#endif
