/*
 * phone_screen.c: decoding a gateway message's text by data_coding and laying it out as a
 * feature-phone screen. No I/O.
 */
#include "phone_screen.h"

#include <stdio.h>
#include <string.h>

#include "gsm.h"

enum text_kind { KIND_GSM, KIND_UCS2, KIND_LATIN1, KIND_8BIT };

/* SMPP 3.4 data_coding (5.2.19), with the GSM 03.38 coding groups for the values above
 * 0x0F that USSD centres use. */
static enum text_kind kind_of(unsigned dc)
{
    switch (dc) {
    case 0x00: case 0x01: case 0x0F:
        return KIND_GSM;
    case 0x08:
        return KIND_UCS2;
    case 0x03:
        return KIND_LATIN1;
    case 0x02: case 0x04:
        return KIND_8BIT;
    default:
        break;
    }
    if ((dc & 0xF0) == 0xF0)
        return (dc & 0x04) ? KIND_8BIT : KIND_GSM;
    if (dc >= 0x10 && dc <= 0x3F) { /* general data coding: alphabet in bits 3..2 */
        switch ((dc >> 2) & 3) {
        case 0: return KIND_GSM;
        case 1: return KIND_8BIT;
        case 2: return KIND_UCS2;
        default: return KIND_8BIT;
        }
    }
    return KIND_LATIN1; /* unknown: show the octets as they are */
}

/* Length of the UTF-8 sequence starting with byte c (1 for an invalid lead byte). */
static size_t utf8_len(unsigned char c)
{
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) return 3;
    if (c >= 0xF0 && c <= 0xF4) return 4;
    return 1;
}

static int utf8_valid(const unsigned char *p, size_t n, size_t avail)
{
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return 1;
}

/* Keep \n and printable characters; CR LF and lone CR become \n; other controls
 * (C0, DEL, C1) and the bidirectional overrides a terminal could be fooled by become
 * '?'. In place: the text never grows. */
void phone_screen_sanitize(char *s)
{
    unsigned char *r = (unsigned char *)s, *w = (unsigned char *)s;
    size_t avail = strlen(s);
    while (*r) {
        size_t n = utf8_len(*r);
        if (n == 1 && *r >= 0x80) {
            *w++ = '?', r++, avail--;
            continue;
        }
        if (!utf8_valid(r, n, avail)) {
            *w++ = '?', r++, avail--;
            continue;
        }
        if (n == 1) {
            unsigned char c = *r;
            if (c == '\r') {
                *w++ = '\n';
                r++, avail--;
                if (*r == '\n')
                    r++, avail--;
                continue;
            }
            *w++ = (c == '\n' || (c >= 0x20 && c < 0x7F)) ? c : '?';
            r++, avail--;
            continue;
        }
        int bad = 0;
        if (n == 2 && r[0] == 0xC2 && r[1] < 0xA0)
            bad = 1; /* C1 controls U+0080..U+009F */
        if (n == 3 && r[0] == 0xE2 && r[1] == 0x80 && r[2] >= 0xAA && r[2] <= 0xAE)
            bad = 1; /* U+202A..U+202E */
        if (n == 3 && r[0] == 0xE2 && r[1] == 0x81 && r[2] >= 0xA6 && r[2] <= 0xA9)
            bad = 1; /* U+2066..U+2069 */
        if (bad) {
            *w++ = '?';
        } else {
            memmove(w, r, n);
            w += n;
        }
        r += n, avail -= n;
    }
    *w = 0;
}

void phone_screen_decode(const struct smpp_msg *m, size_t skip, struct phone_screen_text *out)
{
    const uint8_t *p = m->short_message;
    size_t n = m->sm_length;
    memset(out, 0, sizeof(*out));
    if (n == 0 && m->has_message_payload) {
        p = m->message_payload;
        n = m->message_payload_len;
        out->from_payload = 1;
        out->truncated = m->message_payload_truncated;
    }
    if (n > SMPP_PAYLOAD_MAX)
        n = SMPP_PAYLOAD_MAX;
    if (skip > n)
        skip = n;
    p += skip;
    n -= skip;
    long r = -1;
    switch (kind_of(m->data_coding)) {
    case KIND_GSM:
        out->encoding = "GSM";
        out->count = n;
        out->limit = 182;
        r = gsm_decode(p, n, out->utf8, sizeof(out->utf8));
        break;
    case KIND_UCS2:
        out->encoding = "UCS2";
        out->count = n / 2;
        out->limit = 80;
        r = gsm_decode_ucs2(p, n, out->utf8, sizeof(out->utf8));
        break;
    case KIND_LATIN1:
        out->encoding = "LATIN1";
        out->count = n;
        out->limit = 160;
        r = gsm_decode_latin1(p, n, out->utf8, sizeof(out->utf8));
        break;
    case KIND_8BIT:
        out->encoding = "8BIT";
        out->count = n;
        out->limit = 160;
        r = gsm_decode_latin1(p, n, out->utf8, sizeof(out->utf8));
        break;
    }
    if (r < 0)
        out->utf8[0] = 0; /* cannot happen with PHONE_SCREEN_TEXT_MAX, but never show garbage */
    phone_screen_sanitize(out->utf8);
}

/* Bounded appending. */
struct sbuf {
    char *b;
    size_t cap, n;
};

static void put(struct sbuf *s, const char *p, size_t n)
{
    if (s->n + 1 >= s->cap)
        return;
    size_t room = s->cap - 1 - s->n;
    if (n > room)
        n = room;
    memcpy(s->b + s->n, p, n);
    s->n += n;
    s->b[s->n] = 0;
}

static void puts_(struct sbuf *s, const char *p)
{
    put(s, p, strlen(p));
}

static void rule(struct sbuf *s, int width)
{
    for (int i = 0; i < width; i++)
        put(s, "-", 1);
    put(s, "\n", 1);
}

/* One source line, wrapped. */
static void wrap_line(struct sbuf *s, const char *line, size_t len, int width)
{
    for (;;) {
        /* offset after `width` code points, or the whole line */
        size_t off = 0;
        int cps = 0;
        while (off < len && cps < width) {
            size_t k = utf8_len((unsigned char)line[off]);
            off += k <= len - off ? k : len - off;
            cps++;
        }
        if (off >= len) {
            put(s, line, len);
            put(s, "\n", 1);
            return;
        }
        /* break at the last space within the width (a space right after it counts) */
        size_t sp = off;
        while (sp > 0 && line[sp] != ' ')
            sp--;
        size_t cut = off, next = off;
        if (line[sp] == ' ' && sp > 0) {
            cut = sp;
            next = sp;
            while (next < len && line[next] == ' ')
                next++;
        }
        while (cut > 0 && line[cut - 1] == ' ')
            cut--;
        put(s, line, cut);
        put(s, "\n", 1);
        line += next;
        len -= next;
        if (len == 0)
            return;
    }
}

size_t phone_screen_render(const struct phone_screen_text *t, int width, char *buf, size_t cap)
{
    struct sbuf s = {buf, cap, 0};
    if (!cap)
        return 0;
    buf[0] = 0;
    if (width < 8)
        width = 8;
    rule(&s, width);
    const char *p = t->utf8;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        wrap_line(&s, p, len, width);
        if (!nl)
            break;
        p = nl + 1;
    }
    rule(&s, width);
    char foot[96];
    snprintf(foot, sizeof(foot), "[%s %zu/%zu%s%s]\n", t->encoding ? t->encoding : "?", t->count, t->limit,
             t->count > t->limit ? " too long" : "", t->truncated ? " truncated" : "");
    puts_(&s, foot);
    return s.n;
}

void phone_screen_one_line(char *utf8)
{
    for (char *p = utf8; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

/* A concatenation UDH at the start of the text (esm_class UDHI): its length to skip and
 * the part numbers. Returns 0 when there is no usable UDH. */
static size_t parse_udh(const struct smpp_msg *m, unsigned *part, unsigned *total)
{
    const uint8_t *p = m->short_message;
    size_t n = m->sm_length;
    if (n == 0 && m->has_message_payload)
        p = m->message_payload, n = m->message_payload_len;
    *part = *total = 0;
    if (!(m->esm_class & 0x40) || n < 1 || (size_t)p[0] + 1 > n)
        return 0;
    size_t udhl = p[0];
    for (size_t i = 1; i + 1 < udhl + 1;) {
        uint8_t iei = p[i], iel = p[i + 1];
        if (i + 2 + iel > udhl + 1)
            break;
        if (iei == 0x00 && iel == 3)
            *total = p[i + 3], *part = p[i + 4];
        else if (iei == 0x08 && iel == 4)
            *total = p[i + 4], *part = p[i + 5];
        i += 2 + (size_t)iel;
    }
    return udhl + 1;
}

size_t phone_screen_sms_line(const struct smpp_msg *m, char *buf, size_t cap)
{
    static struct phone_screen_text t; /* large: kept off the stack; one thread */
    unsigned part, total;
    size_t skip = parse_udh(m, &part, &total);
    phone_screen_decode(m, skip, &t);
    phone_screen_one_line(t.utf8);
    char parts[32] = "";
    if (total)
        snprintf(parts, sizeof(parts), " (part %u/%u)", part, total);
    char dest[80];
    snprintf(dest, sizeof(dest), "%s", m->destination_addr);
    phone_screen_sanitize(dest);
    phone_screen_one_line(dest);
    int k = snprintf(buf, cap, "SMS to %s%s: %s", dest, parts, t.utf8);
    if (k < 0)
        return 0;
    return (size_t)k < cap ? (size_t)k : cap ? cap - 1 : 0;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

uint64_t phone_screen_fingerprint(const struct smpp_msg *m)
{
    uint8_t head[3] = {(uint8_t)m->has_ussd_service_op, m->ussd_service_op, m->data_coding};
    uint64_t h = fnv(0xCBF29CE484222325ull, head, sizeof(head));
    h = fnv(h, m->short_message, m->sm_length);
    if (m->has_message_payload)
        h = fnv(h, m->message_payload, m->message_payload_len);
    return h;
}
