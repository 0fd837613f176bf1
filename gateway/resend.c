/*
 * resend.c: a resent input told from a repeated answer; see resend.h.
 */
#include "resend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *resend_rule_name(enum resend_rule r)
{
    switch (r) {
    case RESEND_RULE_NO_MARK: return "no_mark";
    case RESEND_RULE_NEW_TEXT: return "new_text";
    case RESEND_RULE_SAME_SEQ: return "same_seq";
    case RESEND_RULE_COUNTER_OLD: return "older_counter";
    case RESEND_RULE_COUNTER_NEW: return "counter_moved";
    case RESEND_RULE_COUNTER_SAME: return "same_counter";
    case RESEND_RULE_UNDELIVERED: return "screen_undelivered";
    case RESEND_RULE_TOO_SOON: return "too_soon";
    case RESEND_RULE_LATE_ENOUGH: return "late_enough";
    }
    return "?";
}

static uint32_t fnv1a(uint32_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

uint32_t resend_text_hash(const char *text)
{
    return fnv1a(2166136261u, text ? text : "");
}

uint32_t resend_conn_id(uint64_t node, const char *link, unsigned serial)
{
    char head[48];
    snprintf(head, sizeof head, "%016llx:%u:", (unsigned long long)node, serial);
    uint32_t h = fnv1a(fnv1a(2166136261u, head), link ? link : "");
    return h ? h : 1;
}

/* b is behind a in a sequence that wraps at `mod` (half the circle counts as behind). */
static int behind(uint32_t a, uint32_t b, uint32_t mod)
{
    uint32_t d = (a - b) % mod;
    return d != 0 && d < mod / 2;
}

enum resend_verdict resend_judge(const struct step_mark *last, uint32_t text, const struct step_sig *in,
                                 int undelivered, uint64_t now_ms, uint32_t window_ms,
                                 enum resend_rule *why)
{
    enum resend_rule r;
    enum resend_verdict v;
    int counters = last && in->counter >= 0 && last->counter >= 0;
    int counted = counters && (last->counting || in->certain);
    /* its_session_info's octet 2 wraps at 128; Hubtel's Sequence is a hash: no order */
    uint32_t cmod = in->certain ? 0 : 128;
    if (!last) {
        r = RESEND_RULE_NO_MARK, v = RESEND_APPLY;
    } else if (in->conn && in->conn == last->conn && in->seq == last->seq) {
        r = RESEND_RULE_SAME_SEQ, v = RESEND_DUP;
    } else if (counted && cmod && behind((uint32_t)last->counter, (uint32_t)in->counter, cmod)) {
        r = RESEND_RULE_COUNTER_OLD, v = RESEND_STALE;
    } else if (last->text != text) {
        r = RESEND_RULE_NEW_TEXT, v = RESEND_APPLY;
    } else if (counted && in->counter == last->counter) {
        r = RESEND_RULE_COUNTER_SAME, v = RESEND_DUP;
    } else if (counters && in->counter != last->counter) {
        r = RESEND_RULE_COUNTER_NEW, v = RESEND_APPLY;
    } else if (undelivered) {
        r = RESEND_RULE_UNDELIVERED, v = RESEND_DUP;
    } else if (now_ms < last->sent_ms + window_ms) {
        /* (also a clock behind the gateway that saved: too soon, not a new answer) */
        r = RESEND_RULE_TOO_SOON, v = RESEND_DUP;
    } else {
        r = RESEND_RULE_LATE_ENOUGH, v = RESEND_APPLY;
    }
    if (why)
        *why = r;
    return v;
}

void resend_mark_make(struct step_mark *out, const struct step_mark *last, uint32_t text,
                      const struct step_sig *in)
{
    out->text = text;
    out->conn = in->conn;
    out->seq = in->seq;
    out->counter = in->counter;
    out->counting = in->certain ||
                    (last && (last->counting || (in->counter >= 0 && last->counter >= 0 &&
                                                 in->counter != last->counter)));
    out->sent_ms = 0;
}

/* "r1.TEXT.CONN.SEQ.COUNTER.COUNTING.SENT": hex, COUNTER "-" when none. */
void resend_mark_format(const struct step_mark *m, char out[RESEND_MARK_MAX])
{
    char counter[12] = "-";
    if (m->counter >= 0)
        snprintf(counter, sizeof counter, "%x", (unsigned)m->counter);
    snprintf(out, RESEND_MARK_MAX, "r1.%x.%x.%x.%s.%d.%llx", (unsigned)m->text, (unsigned)m->conn,
             (unsigned)m->seq, counter, m->counting ? 1 : 0, (unsigned long long)m->sent_ms);
}

/* One hex field up to '.' or the end; advances *p past it and its dot. */
static int hex_field(const char **p, unsigned long long max, unsigned long long *out)
{
    const char *s = *p;
    unsigned long long v = 0;
    int n = 0;
    for (; *s && *s != '.'; s++, n++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
        if (d < 0 || n >= 16)
            return -1;
        v = v * 16 + (unsigned)d;
    }
    if (!n || v > max)
        return -1;
    *p = *s ? s + 1 : s;
    *out = v;
    return 0;
}

int resend_mark_parse(const char *s, struct step_mark *m)
{
    unsigned long long text, conn, seq, counter = 0, counting, sent;
    memset(m, 0, sizeof *m);
    if (!s || strncmp(s, "r1.", 3) != 0)
        return -1;
    const char *p = s + 3;
    if (hex_field(&p, 0xFFFFFFFFull, &text) || hex_field(&p, 0xFFFFFFFFull, &conn) ||
        hex_field(&p, 0xFFFFFFFFull, &seq))
        return -1;
    int none = p[0] == '-' && p[1] == '.';
    if (none)
        p += 2;
    else if (hex_field(&p, 0x7FFFFFFFull, &counter))
        return -1;
    if (hex_field(&p, 1, &counting) || hex_field(&p, ~0ull, &sent) || *p) {
        memset(m, 0, sizeof *m);
        return -1;
    }
    m->text = (uint32_t)text;
    m->conn = (uint32_t)conn;
    m->seq = (uint32_t)seq;
    m->counter = none ? -1 : (int32_t)counter;
    m->counting = (int)counting;
    m->sent_ms = sent;
    return 0;
}
