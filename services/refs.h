/*
 * refs.h: the pure rules of the services' records: reference numbers with a check
 * digit, national ID validation, masking for screens, and business-name normalisation
 * and similarity. No I/O, no allocation; every output goes to a caller's buffer.
 *
 * Reference numbers: PFX-YY-NNNNNN-C, e.g. LND-26-004213-7.
 *   PFX  LND (land), BIZ (business), BPA (building permit), BIL (bill),
 *        TKT (a reported problem, tickets.c);
 *   YY   the year of creation, two digits;
 *   NNNNNN a sequence per prefix and year (Redis INCR, so unique across processes);
 *   C    a Damm check digit over the digits "S YY NNNNNN", where S is the prefix's
 *        service digit (LND 1, BIZ 2, BPA 3, TKT 4, BIL 9).
 * The Damm algorithm (a totally anti-symmetric quasigroup of order 10) detects every
 * single-digit error and every transposition of two adjacent digits, the check digit
 * included; putting the service digit in the computation also refuses a reference
 * typed with another valid prefix. A mistyped reference is refused at entry, before
 * any lookup.
 *
 * Rwanda's national ID: 16 digits, C YYYY G SSSSSSS I KK:
 *   C    category: 1 citizen, 2 refugee, 3 foreigner;
 *   YYYY year of birth;
 *   G    7 female, 8 male;
 *   SSSSSSS birth order / serial number;
 *   I    issue count (0 for a first card, then 1, 2, ...);
 *   KK   two check digits, whose algorithm is not public: they are not verified.
 * What is verified: length, digits only, category, a plausible year (1900 to this
 * year) and the gender digit.
 */
#ifndef USSDGW_REFS_H
#define USSDGW_REFS_H

#include <stddef.h>

#define REFS_MAX 20          /* a reference and its NUL ("LND-26-004213-7" is 15) */
#define REFS_SEQ_MAX 999999L /* NNNNNN */
#define REFS_NAME_MAX 128    /* normalised business names are cut to this (with NUL) */
#define REFS_TOKENS_MAX 12
#define REFS_TOKEN_MAX 32

/* ---- reference numbers ---- */

/* Prefix of a service ("land", "business", "permit", "bill"), or NULL. */
const char *refs_prefix(const char *service);

/* Service of a prefix ("LND" -> "land"), or NULL. */
const char *refs_service(const char *prefix);

/* The same check digit in Lua, for the Redis scripts that make references: a table D
 * and a function damm(s) over the digits of s. */
#define REFS_LUA_DAMM                                                                      \
    "local D={0,3,1,7,5,9,8,6,4,2,7,0,9,2,1,5,4,8,6,3,4,2,0,6,8,7,1,3,5,9,1,7,5,0,9,8,3,4,2,6," \
    "6,1,2,3,0,4,5,9,7,8,3,6,7,4,2,0,9,5,8,1,5,8,6,9,7,2,0,1,3,4,8,9,4,5,3,6,2,0,1,7,"          \
    "9,4,3,8,6,1,7,2,0,5,2,5,8,1,4,3,6,7,9,0}\n"                                                \
    "local function damm(s) local i=0 for c in s:gmatch('%d') do i=D[i*10+tonumber(c)+1] end "  \
    "return i end\n"

/* The Damm check digit of the decimal digits in s (other bytes are skipped): 0..9.
 * A string whose digits end with their own check digit gives 0. */
int refs_damm(const char *s);

/* Write PFX-YY-NNNNNN-C to buf. Returns 0, or -1 for an unknown prefix, yy outside
 * 0..99, seq outside 0..REFS_SEQ_MAX or a buffer shorter than REFS_MAX. */
int refs_make(char *buf, size_t n, const char *prefix, int yy, long seq);

/* 1 when ref is exactly a canonical reference (known prefix, dashes, digit counts)
 * whose check digit matches, else 0. */
int refs_check(const char *ref);

/* Read a reference as a person types it: case-insensitive, dashes, spaces, '*', '/'
 * or '.' as separators or none at all ("lnd 26 004213 7", "LND260042137"), a short
 * sequence when separators are there ("LND-26-4213-7"), and, when `expect` names a
 * prefix, the digits alone ("260042137"). Returns NULL with the canonical reference in
 * out, or the reason: "format" (not shaped like a reference), "prefix" (unknown, or
 * not `expect`), "check" (the check digit does not match: a typing mistake). */
const char *refs_parse(const char *in, const char *expect, char *out, size_t n);

/* The parts of a canonical reference; returns 0 or -1. prefix needs 4 bytes. */
int refs_split(const char *ref, char *prefix, int *yy, long *seq);

/* ---- national IDs ---- */

struct refs_id {
    int category; /* 1 citizen, 2 refugee, 3 foreigner */
    int year;
    int female; /* 1 female, 0 male */
    long serial;
    int issue;
};

/* NULL when id is a well-formed national ID, else the reason key: "length" (not 16
 * characters), "digits" (a character that is not a digit), "category", "year",
 * "gender". Uses this year as the upper bound. */
const char *refs_id_check(const char *id);

/* Same, with the current year given; fills *out (may be NULL) when valid. */
const char *refs_id_check_at(const char *id, int this_year, struct refs_id *out);

/* Copy id without the spaces, dashes and dots people type between its groups
 * ("1 1998 8 0012345 6 78"). Returns out. */
char *refs_id_clean(const char *id, char *out, size_t n);

/* A typed national ID: cleaned into out (refs_id_clean; NULL id: ""), then checked.
 * NULL when it is good, else refs_id_check's reason. */
const char *refs_id_parse(const char *id, char *out, size_t n);

/* ---- staff's notes ---- */

/* note (may be NULL) on one line (control characters as spaces), cut to fit n octets
 * without splitting a UTF-8 character (a cut one would make an SMS unencodable).
 * Returns buf. */
char *refs_note_line(const char *note, char *buf, size_t n);

/* ---- masking for screens ---- */

/* Initials: "Mukamana Alice" -> "M. A.". Returns buf. */
char *refs_mask_name(const char *name, char *buf, size_t n);

/* All but the last 4 characters as '*': "1199880012345678" -> "************5678". */
char *refs_mask_id(const char *id, char *buf, size_t n);

/* All but the last 3 digits as '*' (a leading '+' is kept): "250788123456" ->
 * "*********456". */
char *refs_mask_phone(const char *msisdn, char *buf, size_t n);

/* ---- business names ---- */

/* Lower case, Latin accents folded (é -> e), apostrophes dropped, dotted initials
 * joined ("S.A.R.L." -> "sarl"), every other punctuation mark a space, spaces collapsed
 * and trimmed: "Kigali Fresh-Foods Ltd." -> "kigali fresh foods ltd". Two names are the
 * same name when their norms are equal. */
char *refs_name_norm(const char *name, char *out, size_t n);

/* The name's key: its norm without legal-form words (ltd, limited, co, company,
 * cooperative, coop, koperative, sarl, sa, plc, inc, llc, ets) and without spaces:
 * "Kigali Fresh Foods Limited" -> "kigalifreshfoods". Names with the same key are
 * taken to be the same business name for registration. */
char *refs_name_key(const char *name, char *out, size_t n);

/* The words of the name that tell it apart (norm words of 3 or more letters, without
 * legal forms and common small words), at most max, each cut to REFS_TOKEN_MAX - 1.
 * Returns how many. */
size_t refs_name_tokens(const char *name, char tok[][REFS_TOKEN_MAX], size_t max);

/* How alike two names are, 0..100: 100 for the same key; else (at most 95) the largest
 * of the word overlap (Jaccard; words sharing a 5-letter stem, such as bakery and
 * bakeries, count 0.8), a key that begins the other, and an edit distance of one or two
 * on the keys (a typing slip). Names scoring 60 or more are "similar". */
int refs_name_similarity(const char *a, const char *b);

#define REFS_SIMILAR 60

#endif
