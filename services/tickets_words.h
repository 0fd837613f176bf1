/*
 * tickets_words.h: the words of reported problems (tickets.h): the categories and
 * statuses in English, Kinyarwanda and French, which status may follow which, and the
 * SMS a follower gets when a ticket changes. Pure: no I/O.
 *
 * Statuses: received -> in_progress | resolved | rejected; in_progress -> resolved |
 * rejected; resolved and rejected are final.
 */
#ifndef USSDGW_TICKETS_WORDS_H
#define USSDGW_TICKETS_WORDS_H

#include <stddef.h>

/* 1 when c is a category code: road, streetlight, waste, water_leak, drainage, other. */
int tickets_category_known(const char *c);

/* 1 when s is a ticket status. */
int tickets_status_known(const char *s);

/* A category's or a status's words in lang (en, rw, fr; any other: en), e.g. "road
 * damage", "en cours"; a code that is none, as it is with underscores as spaces. Into
 * buf (n bytes); returns buf. */
char *tickets_category_text(const char *code, const char *lang, char *buf, size_t n);
char *tickets_status_text(const char *code, const char *lang, char *buf, size_t n);

/* NULL when a ticket may go from `from` to `to`, else "unknown", "same", "final" or
 * "transition"; `allowed` (may be NULL) gets the states `from` may go to. */
const char *tickets_transition(const char *from, const char *to, char *allowed, size_t n);

/* The status SMS of a ticket in lang (en, rw, fr). category: the code. Returns buf. */
char *tickets_sms(const char *lang, const char *ref, const char *category, const char *to,
                  const char *note, char *buf, size_t n);

#endif
