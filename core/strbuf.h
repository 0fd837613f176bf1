/*
 * strbuf.h: bounded string building into a caller's buffer, the one way text is put
 * together piece by piece. The buffer is always NUL-terminated; what does not fit is
 * left out and remembered (strbuf_cut), never written past the end, and a piece is cut
 * only at a UTF-8 character boundary. No allocation.
 *
 *     char key[64];
 *     struct strbuf b;
 *     strbuf_init(&b, key, sizeof key);
 *     strbuf_put(&b, "ussd:s:");
 *     strbuf_put(&b, ingress);
 *     strbuf_putc(&b, ':');
 *     strbuf_putu(&b, version);
 *     if (strbuf_cut(&b)) ... the key did not fit
 */
#ifndef USSDGW_STRBUF_H
#define USSDGW_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *p;
    size_t cap; /* octets of p, the NUL included (> 0) */
    size_t n;   /* octets written, without the NUL */
    int cut;    /* something did not fit */
};

/* Start an empty string in buf (cap > 0). */
void strbuf_init(struct strbuf *b, char *buf, size_t cap);

/* Append s (NULL: nothing), or its first max octets (strbuf_putn), cut at a character
 * boundary when the rest does not fit. */
void strbuf_put(struct strbuf *b, const char *s);
void strbuf_putn(struct strbuf *b, const char *s, size_t max);
void strbuf_putc(struct strbuf *b, char c);
void strbuf_putu(struct strbuf *b, unsigned long long v); /* decimal */
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append each string up to a NULL: strbuf_join(&b, "a", x, ":", y, NULL). */
void strbuf_join(struct strbuf *b, ...) __attribute__((sentinel));

/* 1 when something was left out. */
int strbuf_cut(const struct strbuf *b);

/* buf = the strings joined, cut to size (snprintf "%s%s..."); returns 0, or -1 when cut. */
int strbuf_cat(char *buf, size_t size, ...) __attribute__((sentinel));

/* The largest n' <= n such that s[0..n') does not end inside a UTF-8 character. */
size_t strbuf_utf8_fit(const char *s, size_t n);

#endif
