/*
 * log.c: key=value event lines on stderr; see log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level level = L_INFO;

static const char *const names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(enum log_level l)
{
    level = l;
}

enum log_level log_get_level(void)
{
    return level;
}

int log_parse_level(const char *s, enum log_level *out)
{
    for (int i = 0; i <= L_OFF; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    if (strcmp(s, "warning") == 0) {
        *out = L_WARN;
        return 0;
    }
    return -1;
}

void log_event(enum log_level l, const char *event, const char *fmt, ...)
{
    if (l < level || l >= L_OFF)
        return;
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s event=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(tv.tv_usec / 1000), names[l], event);
    if (n < 0 || (size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    if (fmt && *fmt && (size_t)n + 2 < sizeof line) {
        va_list ap;
        line[n++] = ' ';
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m;
        if ((size_t)n >= sizeof line)
            n = (int)sizeof line - 1;
    }
    line[n++] = '\n';
    /* one write per line so lines from several processes never interleave */
    fwrite(line, 1, (size_t)n, stderr);
    fflush(stderr);
}

const char *log_q(const char *v, char *buf, size_t n)
{
    size_t o = 0;
    int quote = !v || !*v || strpbrk(v, " \"=\t") != NULL;
    if (n < 3) {
        if (n)
            buf[0] = 0;
        return buf;
    }
    if (quote)
        buf[o++] = '"';
    for (const char *p = v ? v : ""; *p && o + 3 < n; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            if (o + 4 >= n)
                break;
            buf[o++] = '\\';
        }
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (quote)
        buf[o++] = '"';
    buf[o] = 0;
    return buf;
}

/* Digits of the E.164 country code that begins an international number (ITU zones: 1
 * and 7 are one digit; 20, 27, 30-34, 36, 39, 40-41, 43-49, 51-58, 60-66, 81-82, 84, 86,
 * 90-95 and 98 two; the rest three). */
static size_t country_code_len(const char *d)
{
    static const char *const two[] = {"20", "27", "30", "31", "32", "33", "34", "36", "39",
                                      "40", "41", "43", "44", "45", "46", "47", "48", "49",
                                      "51", "52", "53", "54", "55", "56", "57", "58", "60",
                                      "61", "62", "63", "64", "65", "66", "81", "82", "84",
                                      "86", "90", "91", "92", "93", "94", "95", "98"};
    if (d[0] == '1' || d[0] == '7')
        return 1;
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
        if (d[0] == two[i][0] && d[1] == two[i][1])
            return 2;
    return 3;
}

const char *log_msisdn(const char *msisdn, char *buf, size_t n)
{
    size_t l = strlen(msisdn);
    const char *p = msisdn + (msisdn[0] == '+');
    size_t pl = strlen(p);
    if (!n)
        return buf;
    if (pl <= 6) {
        snprintf(buf, n, "***"); /* a short code, or too short to show any of it */
    } else {
        /* at most the country code (of an international number) and the last 3 digits,
         * at every level: a log is not a directory of residents */
        size_t head = pl >= 10 && p[0] >= '1' && p[0] <= '9' ? country_code_len(p) : 0;
        size_t hide = pl - head - 3;
        snprintf(buf, n, "%.*s%.*s%s", (int)(head + (size_t)(p - msisdn)), msisdn,
                 (int)(hide < 16 ? hide : 16), "****************", msisdn + l - 3);
    }
    /* a peer's source_addr may hold any byte: keep the line one line of key=value */
    for (char *q = buf; *q; q++)
        if ((unsigned char)*q <= ' ' || *q == '"' || *q == '=' || *q == 0x7F)
            *q = '?';
    return buf;
}
