/*
 * sms_codec.c: SMS texts into submit_sm parts, delivery receipts into (id, state); see
 * sms_codec.h. Pure functions over caller-supplied buffers.
 */
#include "sms_codec.h"

#include <stdio.h>
#include <string.h>

#include "gsm.h"
#include "smpp_pdu.h"

#define GSM_ESC 0x1B
/* the whole text, encoded, before it is cut: enough for SMS_MAX_PARTS full parts */
#define SMS_WORK_MAX (SMS_MAX_PARTS * SMS_GSM_PART)

/* Cut points of `n` units into parts of at most `per` units, never after a unit that
 * must stay with the next one (an escape, a high surrogate). Returns the parts, or
 * max_parts + 1 when more would be needed. */
static int sms_cut(const uint8_t *buf, size_t n, size_t unit, size_t per, int max_parts,
                   size_t cuts[SMS_MAX_PARTS + 1])
{
    size_t units = n / unit, i = 0;
    int parts = 0;

    cuts[0] = 0;
    while (i < units) {
        size_t take = units - i < per ? units - i : per;

        if (i + take < units) {
            const uint8_t *last = buf + (i + take - 1) * unit;
            int glued = unit == 1 ? last[0] == GSM_ESC : (last[0] >= 0xD8 && last[0] <= 0xDB);
            if (glued)
                take--;
        }
        if (parts == max_parts)
            return max_parts + 1;
        i += take;
        cuts[++parts] = i;
    }
    return parts;
}

int sms_encode(const char *utf8, size_t len, uint8_t ref, int max_parts, struct sms_encoded *out)
{
    static const size_t single[2] = {SMS_GSM_SINGLE, SMS_UCS2_SINGLE};
    static const size_t per[2] = {SMS_GSM_PART, SMS_UCS2_PART};
    uint8_t work[SMS_WORK_MAX];
    size_t cuts[SMS_MAX_PARTS + 1];
    struct gsm_len l;
    long n;

    out->n_parts = 0;
    out->units = 0;
    out->esm_class = 0;
    out->data_coding = SMS_DC_GSM;
    if (!utf8 || len == 0)
        return SMS_ENC_EMPTY;
    if (len > SMS_TEXT_MAX)
        return SMS_ENC_TOO_LONG;
    if (max_parts < 1)
        max_parts = 1;
    if (max_parts > SMS_MAX_PARTS)
        max_parts = SMS_MAX_PARTS;
    gsm_measure(utf8, len, &l);
    int u = l.ucs2 ? 1 : 0;
    size_t unit = u ? 2 : 1, units = u ? l.ucs2_units : l.septets;
    if (units > single[u] && units > (size_t)max_parts * per[u])
        return SMS_ENC_TOO_LONG;
    n = u ? gsm_encode_ucs2(utf8, len, work, sizeof work) : gsm_encode(utf8, len, work, sizeof work);
    if (n < 0)
        return SMS_ENC_TOO_LONG; /* cannot happen after the measure; stay safe */
    out->data_coding = u ? SMS_DC_UCS2 : SMS_DC_GSM;
    out->units = (size_t)n / unit;
    if (out->units <= single[u]) {
        out->n_parts = 1;
        out->part[0].len = (size_t)n;
        memcpy(out->part[0].octets, work, (size_t)n);
        return SMS_ENC_OK;
    }
    int parts = sms_cut(work, (size_t)n, unit, per[u], max_parts, cuts);
    if (parts > max_parts)
        return SMS_ENC_TOO_LONG;
    out->n_parts = parts;
    out->esm_class = SMS_ESM_UDHI;
    for (int i = 0; i < parts; i++) {
        struct sms_part *p = &out->part[i];
        size_t from = cuts[i] * unit, to = cuts[i + 1] * unit;
        p->octets[0] = 0x05; /* UDH length */
        p->octets[1] = 0x00; /* IE: concatenated message, 8-bit reference */
        p->octets[2] = 0x03;
        p->octets[3] = ref;
        p->octets[4] = (uint8_t)parts;
        p->octets[5] = (uint8_t)(i + 1);
        memcpy(p->octets + SMS_UDH_LEN, work + from, to - from);
        p->len = SMS_UDH_LEN + (to - from);
    }
    return SMS_ENC_OK;
}

int sms_count_parts(const char *utf8, size_t len)
{
    struct sms_encoded e;
    int rc = sms_encode(utf8, len, 0, SMS_MAX_PARTS, &e);
    if (rc == SMS_ENC_EMPTY)
        return 0;
    if (rc != SMS_ENC_OK)
        return SMS_MAX_PARTS + 1;
    return e.n_parts;
}

const char *sms_encode_error(int rc)
{
    switch (rc) {
    case SMS_ENC_OK: return "ok";
    case SMS_ENC_EMPTY: return "empty text";
    case SMS_ENC_TOO_LONG: return "text too long";
    default: return "bad text";
    }
}

int sms_msisdn_ok(const char *to)
{
    size_t n = 0;

    if (!to)
        return 0;
    if (*to == '+')
        to++;
    for (; to[n]; n++)
        if (to[n] < '0' || to[n] > '9')
            return 0;
    return n >= 3 && n <= SMS_ADDR_MAX;
}

/* ---- receipts ---- */

static const struct {
    const char *word;
    enum sms_rcpt_state state;
} rcpt_words[] = {
    {"DELIVRD", SMS_RCPT_DELIVERED}, {"EXPIRED", SMS_RCPT_EXPIRED},
    {"DELETED", SMS_RCPT_DELETED},   {"UNDELIV", SMS_RCPT_UNDELIVERABLE},
    {"ACCEPTD", SMS_RCPT_ACCEPTED},  {"UNKNOWN", SMS_RCPT_UNKNOWN},
    {"REJECTD", SMS_RCPT_REJECTED},  {"ENROUTE", SMS_RCPT_ENROUTE},
    /* spelled out by some SMSCs */
    {"DELIVERED", SMS_RCPT_DELIVERED},       {"UNDELIVERABLE", SMS_RCPT_UNDELIVERABLE},
    {"ACCEPTED", SMS_RCPT_ACCEPTED},         {"REJECTED", SMS_RCPT_REJECTED},
};

const char *sms_rcpt_stat_name(enum sms_rcpt_state s)
{
    for (size_t i = 0; i < sizeof rcpt_words / sizeof rcpt_words[0]; i++)
        if (rcpt_words[i].state == s)
            return rcpt_words[i].word;
    return "";
}

int sms_rcpt_failed(enum sms_rcpt_state s)
{
    return s == SMS_RCPT_EXPIRED || s == SMS_RCPT_DELETED || s == SMS_RCPT_UNDELIVERABLE ||
           s == SMS_RCPT_UNKNOWN || s == SMS_RCPT_REJECTED;
}

int sms_is_receipt(uint8_t esm_class)
{
    unsigned type = esm_class & 0x3Cu;
    return type == 0x04 || type == 0x20;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The value of `key` ("id:") in the receipt text: where it starts and its length (up
 * to the next blank). The key must start the text or follow a blank. */
static const char *text_field(const char *t, size_t n, const char *key, size_t *vlen)
{
    size_t k = strlen(key);

    for (size_t i = 0; i + k <= n; i++) {
        if (i > 0 && !blank(t[i - 1]))
            continue;
        size_t j = 0;
        while (j < k && lower(t[i + j]) == key[j])
            j++;
        if (j < k)
            continue;
        size_t v = i + k, e = v;
        while (e < n && !blank(t[e]))
            e++;
        *vlen = e - v;
        return t + v;
    }
    return NULL;
}

static enum sms_rcpt_state stat_word(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof rcpt_words / sizeof rcpt_words[0]; i++) {
        const char *x = rcpt_words[i].word;
        size_t k = strlen(x), j = 0;
        if (k != n)
            continue;
        while (j < n && lower(w[j]) == lower(x[j]))
            j++;
        if (j == n)
            return rcpt_words[i].state;
    }
    return SMS_RCPT_NONE;
}

/* Copy an id of n octets, trimmed; 0, or -1 when empty or too long. */
static int copy_id(char *dst, const char *src, size_t n)
{
    while (n && blank(*src)) {
        src++;
        n--;
    }
    while (n && blank(src[n - 1]))
        n--;
    if (n == 0 || n > SMS_ID_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (src[i] == '\0')
            return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* The receipt's text as plain ASCII (NUL-free) in t; returns its length. */
static size_t receipt_text(const struct smpp_msg *m, char *t, size_t cap)
{
    const uint8_t *p = m->short_message;
    size_t n = m->sm_length, k = 0;

    if (n > sizeof m->short_message)
        n = sizeof m->short_message;
    if (n == 0 && m->has_message_payload) {
        p = m->message_payload;
        n = m->message_payload_len;
        if (n > sizeof m->message_payload)
            n = sizeof m->message_payload;
    }
    if ((m->data_coding & 0x0F) == SMS_DC_UCS2) {
        for (size_t i = 0; i + 1 < n && k + 1 < cap; i += 2)
            t[k++] = p[i] == 0 && p[i + 1] >= 0x20 && p[i + 1] < 0x7F ? (char)p[i + 1] : ' ';
    } else {
        for (size_t i = 0; i < n && k + 1 < cap; i++)
            t[k++] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : ' ';
    }
    t[k] = '\0';
    return k;
}

int sms_receipt_parse(const struct smpp_msg *m, struct sms_receipt *out)
{
    char t[SMPP_PAYLOAD_MAX + 1];
    size_t n, vlen;
    const char *v;

    memset(out, 0, sizeof *out);
    n = receipt_text(m, t, sizeof t);
    if (m->has_receipted_message_id) {
        size_t idl = strnlen(m->receipted_message_id, sizeof m->receipted_message_id);
        if (copy_id(out->id, m->receipted_message_id, idl) == 0)
            out->id_from_tlv = 1;
    }
    if (!out->id_from_tlv && (v = text_field(t, n, "id:", &vlen)) && copy_id(out->id, v, vlen) != 0)
        out->id[0] = '\0';
    if (m->has_message_state && m->message_state >= SMS_RCPT_ENROUTE &&
        m->message_state <= SMS_RCPT_REJECTED) {
        out->state = (enum sms_rcpt_state)m->message_state;
        out->state_from_tlv = 1;
    }
    if (!out->state_from_tlv && (v = text_field(t, n, "stat:", &vlen)))
        out->state = stat_word(v, vlen);
    if ((v = text_field(t, n, "err:", &vlen))) {
        size_t k = 0;
        while (k < vlen && k + 1 < sizeof out->err && v[k] >= '!' && v[k] <= '~')
            k++;
        memcpy(out->err, v, k);
        out->err[k] = '\0';
    }
    return out->id[0] && out->state != SMS_RCPT_NONE ? 0 : -1;
}

/* ---- ids ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse s (n digits of `base`) into *v; -1 on overflow of 64 bits. */
static int parse_u64(const char *s, size_t n, unsigned base, unsigned long long *v)
{
    unsigned long long x = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)hexval(s[i]);
        if (x > (~0ULL - d) / base)
            return -1;
        x = x * base + d;
    }
    *v = x;
    return 0;
}

int sms_id_forms(const char *id, struct sms_id_forms *f)
{
    size_t n;
    int all_hex = 1, all_dec = 1;
    unsigned long long v;

    memset(f, 0, sizeof *f);
    if (!id)
        return -1;
    while (blank(*id))
        id++;
    n = strlen(id);
    while (n && blank(id[n - 1]))
        n--;
    if (n == 0 || n > SMS_ID_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (hexval(id[i]) < 0)
            all_hex = 0;
        if (id[i] < '0' || id[i] > '9')
            all_dec = 0;
    }
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)id[i];
        if (c < '!' || c > '~' || c == ',' || c == '|')
            c = '_';
        else if (all_hex && c >= 'a' && c <= 'f')
            c -= 32;
        f->raw[i] = (char)c;
    }
    f->raw[n] = '\0';
    if (all_hex && parse_u64(id, n, 16, &v) == 0) {
        snprintf(f->hex_as_dec, sizeof f->hex_as_dec, "%llu", v);
        snprintf(f->hex_as_hex, sizeof f->hex_as_hex, "%llX", v);
    }
    if (all_dec && parse_u64(id, n, 10, &v) == 0) {
        snprintf(f->dec_as_dec, sizeof f->dec_as_dec, "%llu", v);
        snprintf(f->dec_as_hex, sizeof f->dec_as_hex, "%llX", v);
    }
    return 0;
}
