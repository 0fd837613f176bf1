/*
 * clock.c: the wall clock and the local time zone; see clock.h.
 */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char zone[64] = CLOCK_DEFAULT_ZONE;
static int zone_set;

/* A POSIX TZ string for the zones that must work without the tzdata files. */
static const char *builtin(const char *name)
{
    if (strcmp(name, "Africa/Kigali") == 0)
        return "CAT-2"; /* Central Africa Time, UTC+2, no daylight saving */
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
        return "UTC0";
    return NULL;
}

/* "CAT-2", "<+03>-3", "EST5EDT,M3.2.0,M11.1.0": a name of 3+ letters (or <...>), then an
 * offset. Checked for shape only; the C library reads the rest. */
static int posix_tz(const char *s)
{
    size_t n = 0;
    if (s[0] == '<') {
        const char *e = strchr(s, '>');
        if (!e || e == s + 1)
            return 0;
        n = (size_t)(e - s) + 1;
    } else {
        while ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z'))
            n++;
        if (n < 3)
            return 0;
    }
    return (s[n] == '+' || s[n] == '-' || (s[n] >= '0' && s[n] <= '9'));
}

static void apply(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

int clock_set_zone(const char *name, char *err, size_t errlen)
{
    if (!name || !*name || strlen(name) >= sizeof zone || strstr(name, "..") || name[0] == '/') {
        snprintf(err, errlen, "timezone must be a zone name such as Africa/Kigali");
        return -1;
    }
    const char *tz = NULL;
    char path[128];
    struct stat st;
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        static char colon[sizeof zone + 1];
        snprintf(colon, sizeof colon, ":%s", name); /* ':' names a file of the database */
        tz = colon;
    } else if ((tz = builtin(name)) == NULL && posix_tz(name)) {
        tz = name;
    }
    if (!tz) {
        snprintf(err, errlen, "unknown timezone '%s' (install tzdata, or give a POSIX TZ string "
                              "such as CAT-2)", name);
        return -1;
    }
    snprintf(zone, sizeof zone, "%s", name);
    zone_set = 1;
    apply(tz);
    return 0;
}

const char *clock_zone(void)
{
    return zone;
}

static void ensure_zone(void)
{
    if (!zone_set) {
        char err[160];
        if (clock_set_zone(CLOCK_DEFAULT_ZONE, err, sizeof err) != 0)
            apply(builtin(CLOCK_DEFAULT_ZONE));
    }
}

uint64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int clock_local(time_t t, struct tm *out)
{
    ensure_zone();
    if (!localtime_r(&t, out)) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

char *clock_text(time_t t, const char *fmt, char *buf, size_t n)
{
    struct tm tm;
    if (!n)
        return buf;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* the callers' formats are literals */
    if (clock_local(t, &tm) != 0 || strftime(buf, n, fmt, &tm) == 0)
        buf[0] = 0;
#pragma GCC diagnostic pop
    return buf;
}

long long clock_from_local(int year, int month, int day, int hour, int min, int sec)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > mdays[month - 1] ||
        hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59)
        return -1;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap)
        return -1;
    ensure_zone();
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
                    .tm_hour = hour, .tm_min = min, .tm_sec = sec, .tm_isdst = -1};
    time_t t = mktime(&tm);
    return t == (time_t)-1 ? -1 : (long long)t;
}

time_t clock_midnight(time_t t)
{
    struct tm tm;
    if (clock_local(t, &tm) != 0)
        return t - t % 86400;
    long long m = clock_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0, 0, 0);
    return m < 0 ? t - t % 86400 : (time_t)m;
}
