/*
 * sms_record.c: the queued SMS record; see sms_record.h.
 */
#include "sms_record.h"

#include <stdint.h>
#include <string.h>

#include "strbuf.h"

/* A JSON string's inside as jansson's json_dumps writes it (no JSON_ENSURE_ASCII, no
 * JSON_ESCAPE_SLASH): quotes, backslashes and control characters escaped, the rest as
 * is. -1 when s is not valid UTF-8 (json_pack refuses it: truncated or overlong
 * sequences, surrogates, above U+10FFFF). */
static int json_inside(struct strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            if (c == '"' || c == '\\') {
                strbuf_putc(b, '\\');
                strbuf_putc(b, (char)c);
            } else if (c < 0x20) {
                static const char short_esc[] = "btn\0fr"; /* \b \t \n, \f \r */
                strbuf_putc(b, '\\');
                if (c >= 8 && c <= 13 && c != 11 && short_esc[c - 8])
                    strbuf_putc(b, short_esc[c - 8]);
                else {
                    char u[6] = {'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
                    strbuf_put(b, u);
                }
            } else
                strbuf_putc(b, (char)c);
            continue;
        }
        size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!n)
            return -1;
        uint32_t v = c & (0x7Fu >> n);
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return -1;
            v = v << 6 | (p[i] & 0x3Fu);
        }
        if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return -1;
        strbuf_putn(b, (const char *)p, n);
        p += n;
    }
    return 0;
}

static long tail(struct strbuf *b, const char *text, const char *lang, long long queued_at)
{
    strbuf_put(b, "\",\"text\":\"");
    if (json_inside(b, text ? text : "") != 0)
        return -1;
    strbuf_put(b, "\",\"lang\":\"");
    if (json_inside(b, lang ? lang : "") != 0)
        return -1;
    strbuf_put(b, "\",\"queued_at\":");
    if (queued_at < 0) {
        strbuf_putc(b, '-');
        strbuf_putu(b, 0ull - (unsigned long long)queued_at);
    } else {
        strbuf_putu(b, (unsigned long long)queued_at);
    }
    strbuf_putc(b, '}');
    return strbuf_cut(b) ? -1 : (long)b->n;
}

long sms_record_encode(char *buf, size_t cap, const char *to, const char *text, const char *lang,
                       long long queued_at)
{
    struct strbuf b;
    strbuf_init(&b, buf, cap);
    strbuf_put(&b, SMS_RECORD_HEAD);
    long n = json_inside(&b, to ? to : "") == 0 ? tail(&b, text, lang, queued_at) : -1;
    if (n < 0 && cap)
        buf[0] = 0;
    return n;
}

long sms_record_tail(char *buf, size_t cap, const char *text, const char *lang, long long queued_at)
{
    struct strbuf b;
    strbuf_init(&b, buf, cap);
    long n = tail(&b, text, lang, queued_at);
    if (n < 0 && cap)
        buf[0] = 0;
    return n;
}
