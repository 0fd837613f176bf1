/*
 * records_biz.h: registered businesses (ussd:biz:REGNO), the businesses of an owner,
 * and whether a business name is free (the name indexes ussd:biz:byname, bykey, names,
 * tok:WORD and the reservations ussd:biz:pending). Reads only; the callbacks keep
 * records.h's contract.
 */
#ifndef USSDGW_RECORDS_BIZ_H
#define USSDGW_RECORDS_BIZ_H

#include <stddef.h>

#include "records.h"

struct rec_business {
    const char *regno, *name, *type; /* type: company, enterprise, cooperative, partnership */
    const char *owner_id, *owner_name, *district;
    const char *registered, *licence_expiry; /* YYYY-MM-DD */
};

typedef void (*rec_business_cb)(void *arg, int status, const char *why,
                                const struct rec_business *b);
typedef void (*rec_businesses_cb)(void *arg, int status, const char *why,
                                  const struct rec_business *b, size_t n);

/* A business by registration number (9 digits). Returns 0, or -1 (records.h). */
int records_business_get(const struct svc_env *env, const char *regno, rec_business_cb cb,
                         void *arg);

/* The businesses of a national ID, at most max (<= 64). Returns 0 or -1. */
int records_businesses_of(const struct svc_env *env, const char *owner_id, size_t max,
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
 * when the name has no letters or digits, or is longer than 100 bytes. Returns 0 or
 * -1. */
int records_name_check(const struct svc_env *env, const char *name, rec_name_cb cb, void *arg);

/* What a business name is indexed under: its key (refs_name_key), its normalised form
 * and its rarer words joined by spaces (refs_name_tokens, whole words within tok_n).
 * 0, or -1 when the name has no key (no letter or digit). */
int records_name_index(const char *name, char *key, size_t key_n, char *norm, size_t norm_n,
                       char *tokens, size_t tok_n);

#endif
