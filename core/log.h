/*
 * log.h: one line per event on stderr, as `key=value` fields:
 *   2026-11-26T18:50:00.123Z level=info event=smpp.bound link=mtn system_id=ussdgw
 * Values with spaces or quotes are quoted. MSISDNs are masked at every level (log_msisdn:
 * at most the country code and the last 3 digits); national IDs, PINs and SMS texts are
 * never passed to the logger at all.
 */
#ifndef USSDGW_LOG_H
#define USSDGW_LOG_H

#include <stddef.h>

enum log_level { L_DEBUG, L_INFO, L_WARN, L_ERROR, L_OFF };

void log_set_level(enum log_level l);
enum log_level log_get_level(void);
/* "debug", "info", "warn", "error", "off" -> level; returns -1 when unknown. */
int log_parse_level(const char *s, enum log_level *out);

/* Log `event` with fields given as a printf format producing `k=v k=v` text. Use
 * log_q for values that may hold spaces. */
void log_event(enum log_level l, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A value quoted for a key=value line when it needs it ("a b" -> "\"a b\""); returns
 * buf. Control characters become '?'. */
const char *log_q(const char *v, char *buf, size_t n);

/* The MSISDN as logs may show it, at any level: "250******456" (the country code of an
 * international number and the last 3 digits), "*****6789" -> "******789" for a local
 * one, "***" for one of 6 digits or fewer. A peer's bytes cannot break the line. */
const char *log_msisdn(const char *msisdn, char *buf, size_t n);

#define LOG_DEBUG_ON() (log_get_level() <= L_DEBUG)

#endif
