/*
 * session.h: one USSD dialog's state, and its compact form in Redis.
 *
 * A session is plain data with fixed bounds (no pointers), so it can be copied,
 * serialised and thrown away freely. It stores the *name* of the screen it waits on,
 * never a position, and the version of the menu set it started on. Its serialised form
 * begins with the decimal version number and a '|' (the store's compare-and-set reads
 * it); fields are separated by 0x1E and list entries by 0x1F, which never occur in
 * values because every value passes session_clean first.
 */
#ifndef USSDGW_SESSION_H
#define USSDGW_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define SESSION_NAME_MAX 64    /* screen names incl. NUL */
#define SESSION_HIST 10        /* Back remembers this many screens */
#define SESSION_MAX_VARS 32
#define SESSION_VAR_KEY_MAX 32 /* incl. NUL */
#define SESSION_VAR_VAL_MAX 161
#define SESSION_MAX_ITEMS 64
#define SESSION_ITEM_LABEL_MAX 81
#define SESSION_ITEM_VALUE_MAX 41
#define SESSION_MSISDN_MAX 24
#define SESSION_STEP_MAX 64
#define SESSION_BLOB_MAX 24576 /* a serialised session never exceeds this */

enum session_state {
    SESSION_ACTIVE = 0,
    SESSION_ENDED = 1,        /* the final screen was sent; late input is dropped */
    SESSION_RESUME_OFFER = 2, /* showing "Continue where you left off?" */
};

struct session_var {
    char key[SESSION_VAR_KEY_MAX];
    char val[SESSION_VAR_VAL_MAX];
};

struct session_item {
    char label[SESSION_ITEM_LABEL_MAX];
    char value[SESSION_ITEM_VALUE_MAX];
};

struct session {
    uint32_t version;      /* bumped on every save; the compare-and-set token */
    char menu_version[17]; /* the menu set this dialog started on */
    char msisdn[SESSION_MSISDN_MAX];
    char dial[SESSION_MSISDN_MAX];
    char lang[8];
    uint8_t state;                  /* enum session_state */
    char screen[SESSION_NAME_MAX];  /* the screen waiting for input */
    char home[SESSION_NAME_MAX];    /* the screen the dial opened */
    uint16_t page;                  /* page of `screen` on show */
    uint8_t retries;                /* wrong answers so far on `screen` */
    char error[SESSION_VAR_VAL_MAX]; /* validator error shown above the prompt, or "" */
    char hist[SESSION_HIST][SESSION_NAME_MAX];
    uint8_t n_hist;
    char last_step[SESSION_STEP_MAX]; /* id of the last input applied: duplicates drop */
    uint32_t started;                 /* unix seconds */
    uint32_t steps;
    uint8_t n_vars;
    uint8_t n_items;
    /* the tables stay last: only entries below the counts are ever read */
    struct session_var vars[SESSION_MAX_VARS];
    struct session_item items[SESSION_MAX_ITEMS]; /* options of a `source` menu on show */
};

void session_init(struct session *s, const char *msisdn, const char *dial, const char *lang,
                  const char *menu_version, uint32_t now);

/* Variable `key`, or NULL when unset. */
const char *session_get(const struct session *s, const char *key);

/* Set (or replace) a variable; the value is cleaned and cut to fit. Returns 0, or -1
 * when the table is full or the key is too long (the variable is then not set). */
int session_set(struct session *s, const char *key, const char *val);

/* Copy src to dst (at most dstsize-1 bytes, cut at a UTF-8 boundary), dropping control
 * characters (< 0x20 and 0x7F; a line break becomes a space) so the value is safe on a
 * screen and in the serialised form. Returns the length written. */
size_t session_clean(char *dst, size_t dstsize, const char *src);

/* Push the current screen onto the Back history (the oldest entry drops off). */
void session_push(struct session *s, const char *screen);
/* Pop the history into `out`; returns 0, or -1 when empty. */
int session_pop(struct session *s, char *out, size_t outsize);

/* Serialise to buf. Returns the length, or -1 when cap is too small. */
long session_encode(const struct session *s, char *buf, size_t cap);

/* Parse a serialised session. Returns 0, or -1 on a malformed blob (then *s is a
 * fresh zeroed session). Never trusts lengths inside the blob. */
int session_decode(struct session *s, const char *buf, size_t len);

#endif
