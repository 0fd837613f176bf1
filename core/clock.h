/*
 * clock.h: the wall clock, and the council's time zone: one setting (config `timezone`,
 * default Africa/Kigali) for every date a resident or a clerk reads (receipts, poll
 * times, booking slots, daily statistics). Dates are stored as Unix seconds or
 * milliseconds; only their text is local.
 *
 * The zone is the process's (TZ, read by the C library's localtime_r and mktime): set it
 * once at start-up, before the loop runs, from the one thread there is.
 */
#ifndef USSDGW_CLOCK_H
#define USSDGW_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_DEFAULT_ZONE "Africa/Kigali"

/* Use zone `name`: an IANA name (Africa/Kigali, Europe/Paris: needs the tzdata files) or
 * a POSIX TZ string (CAT-2). Africa/Kigali works without tzdata. Returns 0, or -1 with
 * why in err when the name is neither (the zone in force is then unchanged). */
int clock_set_zone(const char *name, char *err, size_t errlen);
/* The zone in force ("Africa/Kigali" until set). */
const char *clock_zone(void);

/* Unix time in milliseconds. */
uint64_t clock_now_ms(void);

/* t in the local zone; 0, or -1 (out is zeroed). */
int clock_local(time_t t, struct tm *out);

/* strftime of t in the local zone into buf ("" when it does not fit); returns buf. */
char *clock_text(time_t t, const char *fmt, char *buf, size_t n) __attribute__((format(strftime, 2, 0)));

/* Unix seconds of a local wall time, or -1 when it is not a valid date and time. */
long long clock_from_local(int year, int month, int day, int hour, int min, int sec);

/* The local midnight that begins the day of t. */
time_t clock_midnight(time_t t);

#endif
