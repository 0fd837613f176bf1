/*
 * export.h: the anonymised aggregates of the open-data export (`ussdgw export`,
 * cli/export_cli.c writes them as CSV): one row per (date, district, service, metric)
 * with its sum. Sources, walked with SCAN (bounded batches, never KEYS), at most one
 * batch in flight:
 *   - ussd:stats:dialogs:DATE  hash home screen -> new dialogs (written by the session
 *     save script): metric "dialogs", district "all", service the home screen;
 *   - ussd:app:REF             (not its :hist) service, status, created, d.district
 *     (or slot_district): metrics "submissions" and "applications_STATUS";
 *   - ussd:ticket:REF          (not its sub-keys) category, district, status, created:
 *     service "report_CATEGORY", metric "tickets_STATUS";
 *   - ussd:poll:ID:tally       when present (hash option -> votes, or a zset): date and
 *     district "all", service "poll", metric "votes_ID_OPTION".
 * Only these fields are ever read (HMGET): no phone number, ID, name or free text can
 * reach a row; every value is also checked to be a short code without a long run of
 * digits (otherwise "other"). DATE is Kigali time, the first ten characters of
 * `created`; from and to (inclusive) select dates; dateless poll rows always count.
 * Memory: the aggregate table only (at most EXPORT_MAX_ROWS rows), never the records.
 *
 * Callback contract: cb fires exactly once, from the event loop, never inside
 * export_run (but for no memory at all: then at once); the rows are the callback's to
 * read and change (export_suppress) during the callback only.
 */
#ifndef USSDGW_EXPORT_H
#define USSDGW_EXPORT_H

#include <stddef.h>

#include "records.h"
#include "svc.h"

#define EXPORT_MAX_ROWS 2000000

enum export_hidden { EXPORT_SHOWN = 0, EXPORT_SMALL, EXPORT_COMPLEMENT };

struct export_row {
    const char *date, *district, *service, *metric;
    long long value;
    enum export_hidden hidden; /* set by export_suppress */
};

/* Small-cell suppression, so no one can be picked out of a row: every value from 1 to
 * min_cell - 1 is hidden (EXPORT_SMALL); then, wherever the rows add up to a total that
 * is shown (an application group's `submissions` is the sum of its `applications_*`),
 * a single hidden part would be the total minus the rest, so the smallest other part
 * is hidden too (EXPORT_COMPLEMENT), or the total when there is none. Rows must be in
 * export order (grouped by date, district, service). min_cell <= 1 hides nothing.
 * Returns the number of rows hidden. */
size_t export_suppress(struct export_row *rows, size_t n, long long min_cell);

/* REC_OK with the rows sorted by date, district, service and metric; REC_ERR "redis"
 * (a request failed: the export would be incomplete); REC_REFUSED "too_many" (more
 * than EXPORT_MAX_ROWS rows, or no memory for them). */
typedef void (*export_cb)(void *arg, int status, const char *why, struct export_row *rows,
                          size_t n);

/* Walk the sources and add them up. from, to: YYYY-MM-DD or NULL (no bound); they must
 * outlive the walk. */
void export_run(const struct svc_env *env, const char *from, const char *to, export_cb cb,
                void *arg);

/* 1 when s is a date, YYYY-MM-DD. */
int export_is_date(const char *s);

#endif
