/*
 * strbuf.c: bounded string building; see strbuf.h.
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void strbuf_init(struct strbuf *b, char *buf, size_t cap)
{
    b->p = buf;
    b->cap = cap;
    b->n = 0;
    b->cut = 0;
    if (cap)
        buf[0] = 0;
    else
        b->cut = 1;
}

size_t strbuf_utf8_fit(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = n;
    /* back over continuation octets to the lead of the last character */
    while (i > 0 && (u[i - 1] & 0xC0) == 0x80 && n - i < 3)
        i--;
    if (i == 0)
        return n; /* not UTF-8 at all: octets */
    unsigned char lead = u[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    size_t have = n - (i - 1);
    return have >= want || lead < 0xC0 ? n : i - 1;
}

void strbuf_putn(struct strbuf *b, const char *s, size_t max)
{
    if (!s || !b->cap)
        return;
    size_t l = strnlen(s, max);
    size_t room = b->cap - 1 - b->n;
    if (l > room) {
        l = strbuf_utf8_fit(s, room);
        b->cut = 1;
    }
    memcpy(b->p + b->n, s, l);
    b->n += l;
    b->p[b->n] = 0;
}

void strbuf_put(struct strbuf *b, const char *s)
{
    strbuf_putn(b, s, (size_t)-1);
}

void strbuf_putc(struct strbuf *b, char c)
{
    if (!b->cap || b->n + 1 >= b->cap) {
        b->cut = 1;
        return;
    }
    b->p[b->n++] = c;
    b->p[b->n] = 0;
}

void strbuf_putu(struct strbuf *b, unsigned long long v)
{
    char t[24];
    size_t k = sizeof t - 1;
    t[k] = 0;
    do
        t[--k] = (char)('0' + v % 10);
    while (v /= 10);
    strbuf_put(b, t + k);
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    if (!b->cap)
        return;
    size_t room = b->cap - b->n;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(b->p + b->n, room, fmt, ap);
    va_end(ap);
    if (r < 0) {
        b->p[b->n] = 0;
        b->cut = 1;
        return;
    }
    if ((size_t)r >= room) {
        size_t l = strbuf_utf8_fit(b->p + b->n, room - 1);
        b->n += l;
        b->p[b->n] = 0;
        b->cut = 1;
        return;
    }
    b->n += (size_t)r;
}

static void put_va(struct strbuf *b, va_list ap)
{
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL)
        strbuf_put(b, s);
}

void strbuf_join(struct strbuf *b, ...)
{
    va_list ap;
    va_start(ap, b);
    put_va(b, ap);
    va_end(ap);
}

int strbuf_cut(const struct strbuf *b)
{
    return b->cut;
}

int strbuf_cat(char *buf, size_t size, ...)
{
    struct strbuf b;
    strbuf_init(&b, buf, size);
    va_list ap;
    va_start(ap, size);
    put_va(&b, ap);
    va_end(ap);
    return b.cut ? -1 : 0;
}
