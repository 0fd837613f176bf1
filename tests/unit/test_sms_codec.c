/*
 * test_sms_codec.c: unit tests of sms_codec.c: the choice of GSM 03.38 or UCS2, part
 * sizes at their exact edges (160/153, 70/67), long texts split into parts that
 * reassemble to the original, escape and surrogate pairs never split, too many parts
 * refused, receipts in TLV and text form with hex and decimal ids, and garbage.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gsm.h"
#include "harness.h"
#include "smpp_pdu.h"
#include "sms_codec.h"

static struct sms_encoded enc; /* large: keep it off the stack */

#define REP_MAX (SMS_TEXT_MAX * 2)

static int encode(const char *s, int max_parts)
{
    return sms_encode(s, strlen(s), 0x42, max_parts, &enc);
}

/* A string of n copies of the UTF-8 character c, in a static buffer. */
static const char *rep(const char *c, size_t n)
{
    static char buf[REP_MAX];
    size_t k = strlen(c), o = 0;
    for (size_t i = 0; i < n && o + k < sizeof buf; i++, o += k)
        memcpy(buf + o, c, k);
    buf[o] = '\0';
    return buf;
}

/* n1 copies of c1, then n2 copies of c2, into out. */
static const char *compose(char *out, size_t cap, const char *c1, size_t n1, const char *c2, size_t n2)
{
    size_t o = 0, k1 = strlen(c1), k2 = strlen(c2);
    for (size_t i = 0; i < n1 && o + k1 < cap; i++, o += k1)
        memcpy(out + o, c1, k1);
    for (size_t i = 0; i < n2 && o + k2 < cap; i++, o += k2)
        memcpy(out + o, c2, k2);
    out[o] = '\0';
    return out;
}

/* Append s to the NUL-terminated text in out (cap octets in all). */
static void append(char *out, size_t cap, const char *s)
{
    size_t n = strlen(out), k = strlen(s);
    if (n + k < cap)
        memcpy(out + n, s, k + 1);
}

/* The text of all parts: UDH checked and stripped, payloads concatenated, decoded. */
static int reassemble(char *out, size_t cap)
{
    uint8_t all[SMS_MAX_PARTS * SMS_PART_OCTETS_MAX];
    size_t n = 0;
    for (int i = 0; i < enc.n_parts; i++) {
        const struct sms_part *p = &enc.part[i];
        size_t skip = 0;
        if (enc.n_parts > 1) {
            if (p->len < SMS_UDH_LEN || p->octets[0] != 5 || p->octets[1] != 0 || p->octets[2] != 3 ||
                p->octets[3] != 0x42 || p->octets[4] != enc.n_parts || p->octets[5] != i + 1)
                return -1;
            skip = SMS_UDH_LEN;
        }
        memcpy(all + n, p->octets + skip, p->len - skip);
        n += p->len - skip;
    }
    long r = enc.data_coding == SMS_DC_UCS2 ? gsm_decode_ucs2(all, n, out, cap) : gsm_decode(all, n, out, cap);
    return r < 0 ? -1 : 0;
}

static size_t payload(int i)
{
    return enc.part[i].len - (enc.n_parts > 1 ? SMS_UDH_LEN : 0);
}

static void test_gsm_or_ucs2(void)
{
    CHECK_INT(encode("Your reference is REF-42.", 6), SMS_ENC_OK);
    CHECK_INT(enc.data_coding, SMS_DC_GSM);
    CHECK_INT(enc.esm_class, 0);
    CHECK_INT(enc.n_parts, 1);
    CHECK_INT(enc.part[0].len, 25);
    CHECK(memcmp(enc.part[0].octets, "Your reference", 14) == 0);

    /* extension characters stay GSM, at two septets */
    CHECK_INT(encode("Cost: 5€ {ok}", 6), SMS_ENC_OK);
    CHECK_INT(enc.data_coding, SMS_DC_GSM);
    CHECK_INT(enc.units, 16);
    CHECK_INT(enc.part[0].octets[7], 0x1B);
    CHECK_INT(enc.part[0].octets[8], 0x65);

    /* one character outside the alphabet: UCS2 for the whole text */
    CHECK_INT(encode("Murakoze ✓", 6), SMS_ENC_OK);
    CHECK_INT(enc.data_coding, SMS_DC_UCS2);
    CHECK_INT(enc.units, 10);
    CHECK_INT(enc.part[0].len, 20);
    CHECK_INT(enc.part[0].octets[18], 0x27);
    CHECK_INT(enc.part[0].octets[19], 0x13);

    /* invalid UTF-8 forces UCS2 (U+FFFD), never a crash */
    CHECK_INT(encode("ab\xff", 6), SMS_ENC_OK);
    CHECK_INT(enc.data_coding, SMS_DC_UCS2);
}

static void test_gsm_part_sizes(void)
{
    CHECK_INT(encode(rep("a", 160), 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 1);
    CHECK_INT(enc.part[0].len, 160);
    CHECK_INT(enc.esm_class, 0);

    CHECK_INT(encode(rep("a", 161), 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 2);
    CHECK_INT(enc.esm_class, SMS_ESM_UDHI);
    CHECK_INT(payload(0), 153);
    CHECK_INT(payload(1), 8);
    CHECK_INT(enc.part[0].len, 159);
    const uint8_t udh[6] = {0x05, 0x00, 0x03, 0x42, 0x02, 0x01};
    CHECK(memcmp(enc.part[0].octets, udh, 6) == 0);
    CHECK_INT(enc.part[1].octets[5], 2);

    CHECK_INT(encode(rep("a", 306), 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 2);
    CHECK_INT(payload(1), 153);
    CHECK_INT(encode(rep("a", 307), 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 3);
    CHECK_INT(payload(2), 1);

    /* 80 euro signs are 160 septets: still one part */
    CHECK_INT(encode(rep("€", 80), 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 1);
    CHECK_INT(enc.part[0].len, 160);
}

static void test_ucs2_part_sizes(void)
{
    CHECK_INT(encode(rep("Д", 70), 6), SMS_ENC_OK);
    CHECK_INT(enc.data_coding, SMS_DC_UCS2);
    CHECK_INT(enc.n_parts, 1);
    CHECK_INT(enc.part[0].len, 140);

    CHECK_INT(encode(rep("Д", 71), 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 2);
    CHECK_INT(payload(0), 134);
    CHECK_INT(enc.part[0].len, 140);
    CHECK_INT(payload(1), 8);

    CHECK_INT(encode(rep("Д", 134), 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 2);
    CHECK_INT(encode(rep("Д", 135), 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 3);
}

static void test_long_ucs2_reassembles(void)
{
    static char text[4096], back[8192];
    size_t o = 0;
    const char *words[] = {"Ндабазиня ", "reference ", "😀 ", "Murakoze ✓ ", "€ ", "日本語 "};
    for (int i = 0; o < 1200; i++) {
        const char *w = words[i % 6];
        memcpy(text + o, w, strlen(w));
        o += strlen(w);
    }
    text[o] = '\0';
    struct gsm_len l;
    gsm_measure(text, o, &l);
    CHECK_INT(sms_encode(text, o, 0x42, 16, &enc), SMS_ENC_OK);
    CHECK_INT(enc.data_coding, SMS_DC_UCS2);
    CHECK_INT(enc.units, l.ucs2_units);
    CHECK(enc.n_parts > 6);
    for (int i = 0; i < enc.n_parts; i++) {
        CHECK(payload(i) <= 2 * SMS_UCS2_PART);
        CHECK(payload(i) % 2 == 0);
        if (i + 1 < enc.n_parts)
            CHECK(payload(i) >= 2 * (SMS_UCS2_PART - 1));
    }
    CHECK_INT(reassemble(back, sizeof back), 0);
    CHECK_STR(back, text);

    /* and a long GSM text with extension characters */
    o = 0;
    for (int i = 0; o < 900; i++) {
        const char *w = i % 3 ? "plot {12} " : "cost 5€ ";
        memcpy(text + o, w, strlen(w));
        o += strlen(w);
    }
    text[o] = '\0';
    CHECK_INT(sms_encode(text, o, 0x42, 16, &enc), SMS_ENC_OK);
    CHECK_INT(enc.data_coding, SMS_DC_GSM);
    CHECK_INT(reassemble(back, sizeof back), 0);
    CHECK_STR(back, text);
}

static void test_escape_pair_not_split(void)
{
    static char text[REP_MAX + 64], back[REP_MAX + 64];
    /* the escape of the euro sign would be septet 153 of part 1 */
    compose(text, sizeof text, "a", 152, "€", 1);
    append(text, sizeof text, "bbbbbbbbbb");
    CHECK_INT(encode(text, 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 2);
    CHECK_INT(payload(0), 152);
    CHECK_INT(enc.part[1].octets[SMS_UDH_LEN], 0x1B);
    CHECK_INT(enc.part[1].octets[SMS_UDH_LEN + 1], 0x65);
    CHECK_INT(reassemble(back, sizeof back), 0);
    CHECK_STR(back, text);

    /* one septet earlier the pair fits in part 1 whole */
    compose(text, sizeof text, "a", 151, "€", 1);
    append(text, sizeof text, "bbbbbbbbbb");
    CHECK_INT(encode(text, 6), SMS_ENC_OK);
    CHECK_INT(payload(0), 153);
    CHECK_INT(enc.part[0].octets[SMS_UDH_LEN + 151], 0x1B);
    CHECK_INT(enc.part[0].octets[SMS_UDH_LEN + 152], 0x65);

    /* every offset: no part ends with an escape, and the text comes back */
    for (size_t lead = 140; lead < 160; lead++) {
        compose(text, sizeof text, "x", lead, "[", 200);
        CHECK_INT(encode(text, 6), SMS_ENC_OK);
        for (int i = 0; i < enc.n_parts; i++)
            CHECK(enc.part[i].octets[enc.part[i].len - 1] != 0x1B);
        CHECK_INT(reassemble(back, sizeof back), 0);
        CHECK_STR(back, text);
    }
}

static void test_surrogate_pair_not_split(void)
{
    static char text[REP_MAX + 64], back[REP_MAX + 64];
    /* 66 units, then an emoji (two units) that would straddle unit 67 */
    compose(text, sizeof text, "Д", 66, "😀", 1);
    append(text, sizeof text, "ДДДДД");
    CHECK_INT(encode(text, 6), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 2);
    CHECK_INT(payload(0), 132);
    CHECK_INT(enc.part[1].octets[SMS_UDH_LEN], 0xD8);
    CHECK_INT(enc.part[1].octets[SMS_UDH_LEN + 1], 0x3D);
    CHECK_INT(reassemble(back, sizeof back), 0);
    CHECK_STR(back, text);

    for (size_t lead = 60; lead < 72; lead++) {
        compose(text, sizeof text, "Ж", lead, "🏠", 60);
        CHECK_INT(encode(text, 6), SMS_ENC_OK);
        for (int i = 0; i < enc.n_parts; i++) {
            uint8_t hi = enc.part[i].octets[enc.part[i].len - 2];
            CHECK(!(hi >= 0xD8 && hi <= 0xDB));
        }
        CHECK_INT(reassemble(back, sizeof back), 0);
        CHECK_STR(back, text);
    }
}

static void test_too_many_parts_refused(void)
{
    CHECK_INT(encode(rep("a", 306), 2), SMS_ENC_OK);
    CHECK_INT(encode(rep("a", 307), 2), SMS_ENC_TOO_LONG);
    CHECK_INT(encode(rep("a", 160), 1), SMS_ENC_OK);
    CHECK_INT(encode(rep("a", 161), 1), SMS_ENC_TOO_LONG);
    CHECK_INT(encode(rep("Д", 6 * 67), 6), SMS_ENC_OK);
    CHECK_INT(encode(rep("Д", 6 * 67 + 1), 6), SMS_ENC_TOO_LONG);
    /* pairs pushed to the next part can need one part more than the length suggests */
    CHECK_INT(encode(rep("€", 153), 2), SMS_ENC_TOO_LONG); /* 306 septets, 76 pairs a part */
    CHECK_INT(encode(rep("a", 16 * 153), 16), SMS_ENC_OK);
    CHECK_INT(enc.n_parts, 16);
    CHECK_INT(encode(rep("a", 16 * 153 + 1), 99), SMS_ENC_TOO_LONG); /* capped at 16 */
    CHECK_INT(encode(rep("a", SMS_TEXT_MAX + 1), 16), SMS_ENC_TOO_LONG);
    CHECK_INT(encode("", 6), SMS_ENC_EMPTY);
    CHECK_INT(sms_encode(NULL, 5, 0, 6, &enc), SMS_ENC_EMPTY);

    CHECK_INT(sms_count_parts("", 0), 0);
    CHECK_INT(sms_count_parts("hi", 2), 1);
    const char *t = rep("a", 307);
    CHECK_INT(sms_count_parts(t, strlen(t)), 3);
    t = rep("a", 17 * 153);
    CHECK_INT(sms_count_parts(t, strlen(t)), SMS_MAX_PARTS + 1);
    CHECK_STR(sms_encode_error(SMS_ENC_TOO_LONG), "text too long");
}

static void test_msisdn(void)
{
    CHECK(sms_msisdn_ok("250788000001"));
    CHECK(sms_msisdn_ok("+250788000001"));
    CHECK(sms_msisdn_ok("123"));
    CHECK(!sms_msisdn_ok("12"));
    CHECK(!sms_msisdn_ok(""));
    CHECK(!sms_msisdn_ok(NULL));
    CHECK(!sms_msisdn_ok("+"));
    CHECK(!sms_msisdn_ok("2507880000a1"));
    CHECK(!sms_msisdn_ok("123456789012345678901"));
    CHECK(!sms_msisdn_ok("++250788"));
}

static void receipt_msg(struct smpp_msg *m, uint8_t esm, const char *text)
{
    smpp_msg_init(m, SMPP_CMD_DELIVER_SM);
    m->esm_class = esm;
    if (text) {
        size_t n = strlen(text);
        m->sm_length = (uint8_t)n;
        memcpy(m->short_message, text, n);
    }
}

static void test_receipt_tlv(void)
{
    struct smpp_msg m;
    struct sms_receipt r;
    receipt_msg(&m, 0x04, NULL);
    m.has_receipted_message_id = 1;
    snprintf(m.receipted_message_id, sizeof m.receipted_message_id, "1A2B3C");
    m.has_message_state = 1;
    m.message_state = 2;
    CHECK_INT(sms_receipt_parse(&m, &r), 0);
    CHECK_STR(r.id, "1A2B3C");
    CHECK_INT(r.state, SMS_RCPT_DELIVERED);
    CHECK_INT(r.id_from_tlv, 1);
    CHECK_INT(r.state_from_tlv, 1);
    CHECK_STR(sms_rcpt_stat_name(r.state), "DELIVRD");

    static const char *names[] = {"", "ENROUTE", "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD"};
    for (int s = 1; s <= 8; s++) {
        m.message_state = (uint8_t)s;
        CHECK_INT(sms_receipt_parse(&m, &r), 0);
        CHECK_INT(r.state, s);
        CHECK_STR(sms_rcpt_stat_name(r.state), names[s]);
    }
    CHECK(sms_rcpt_failed(SMS_RCPT_UNDELIVERABLE));
    CHECK(sms_rcpt_failed(SMS_RCPT_EXPIRED));
    CHECK(sms_rcpt_failed(SMS_RCPT_REJECTED));
    CHECK(!sms_rcpt_failed(SMS_RCPT_DELIVERED));
    CHECK(!sms_rcpt_failed(SMS_RCPT_ACCEPTED));
    CHECK(!sms_rcpt_failed(SMS_RCPT_ENROUTE));

    /* the TLVs win over the text */
    receipt_msg(&m, 0x04, "id:999 sub:001 dlvrd:001 submit date:2311261900 done date:2311261901 stat:DELIVRD err:000 text:x");
    m.has_receipted_message_id = 1;
    snprintf(m.receipted_message_id, sizeof m.receipted_message_id, " 77 ");
    m.has_message_state = 1;
    m.message_state = 5;
    CHECK_INT(sms_receipt_parse(&m, &r), 0);
    CHECK_STR(r.id, "77");
    CHECK_INT(r.state, SMS_RCPT_UNDELIVERABLE);
    CHECK_STR(r.err, "000");

    /* an out-of-range message_state falls back to the text */
    m.message_state = 0;
    CHECK_INT(sms_receipt_parse(&m, &r), 0);
    CHECK_INT(r.state, SMS_RCPT_DELIVERED);
    CHECK_INT(r.state_from_tlv, 0);
}

static void test_receipt_text(void)
{
    struct smpp_msg m;
    struct sms_receipt r;
    receipt_msg(&m, 0x04,
                "id:1715004 sub:001 dlvrd:001 submit date:2311261900 done date:2311261901 stat:DELIVRD err:000 text:Your ref");
    CHECK_INT(sms_receipt_parse(&m, &r), 0);
    CHECK_STR(r.id, "1715004");
    CHECK_INT(r.state, SMS_RCPT_DELIVERED);
    CHECK_STR(r.err, "000");
    CHECK_INT(r.id_from_tlv, 0);

    receipt_msg(&m, 0x04, "ID:abc-123 SUB:001 DLVRD:000 SUBMIT DATE:2311261900 DONE DATE:2311261901 STAT:undeliv ERR:011 TEXT:");
    CHECK_INT(sms_receipt_parse(&m, &r), 0);
    CHECK_STR(r.id, "abc-123");
    CHECK_INT(r.state, SMS_RCPT_UNDELIVERABLE);
    CHECK_STR(r.err, "011");

    const char *stats[] = {"EXPIRED", "DELETED", "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE", "DELIVERED"};
    const int want[] = {SMS_RCPT_EXPIRED, SMS_RCPT_DELETED, SMS_RCPT_ACCEPTED, SMS_RCPT_UNKNOWN,
                        SMS_RCPT_REJECTED, SMS_RCPT_ENROUTE, SMS_RCPT_DELIVERED};
    for (int i = 0; i < 7; i++) {
        char t[128];
        snprintf(t, sizeof t, "id:5 stat:%s err:1", stats[i]);
        receipt_msg(&m, 0x04, t);
        CHECK_INT(sms_receipt_parse(&m, &r), 0);
        CHECK_INT(r.state, want[i]);
    }

    /* "text:" quoting the message does not confuse the fields before it */
    receipt_msg(&m, 0x04, "id:42 sub:001 stat:DELIVRD err:000 text:id:99 stat:UNDELIV");
    CHECK_INT(sms_receipt_parse(&m, &r), 0);
    CHECK_STR(r.id, "42");
    CHECK_INT(r.state, SMS_RCPT_DELIVERED);

    /* in message_payload, and in UCS2 */
    receipt_msg(&m, 0x04, NULL);
    m.has_message_payload = 1;
    const char *p = "id:0000123 stat:EXPIRED err:5";
    m.message_payload_len = (uint16_t)strlen(p);
    memcpy(m.message_payload, p, strlen(p));
    CHECK_INT(sms_receipt_parse(&m, &r), 0);
    CHECK_STR(r.id, "0000123");
    CHECK_INT(r.state, SMS_RCPT_EXPIRED);

    receipt_msg(&m, 0x04, NULL);
    m.data_coding = 8;
    const char *u = "id:7 stat:DELIVRD";
    for (size_t i = 0; i < strlen(u); i++) {
        m.short_message[2 * i] = 0;
        m.short_message[2 * i + 1] = (uint8_t)u[i];
    }
    m.sm_length = (uint8_t)(2 * strlen(u));
    CHECK_INT(sms_receipt_parse(&m, &r), 0);
    CHECK_STR(r.id, "7");
    CHECK_INT(r.state, SMS_RCPT_DELIVERED);
}

static void test_receipt_ids_hex_and_decimal(void)
{
    struct sms_id_forms s, r;
    /* hex in submit_sm_resp, decimal in the receipt */
    CHECK_INT(sms_id_forms("1a2b3c", &s), 0);
    CHECK_STR(s.raw, "1A2B3C");
    CHECK_STR(s.hex_as_dec, "1715004");
    CHECK_STR(s.dec_as_hex, "");
    CHECK_INT(sms_id_forms("1715004", &r), 0);
    CHECK_STR(r.raw, "1715004");
    CHECK_STR(r.dec_as_dec, "1715004");
    CHECK_STR(r.hex_as_hex, "1715004");
    CHECK(strcmp(s.raw, r.raw) != 0);
    CHECK_STR(s.hex_as_dec, r.dec_as_dec);

    /* zero-padded decimal in the receipt */
    CHECK_INT(sms_id_forms("0001715004", &r), 0);
    CHECK_STR(r.dec_as_dec, "1715004");
    CHECK_STR(s.hex_as_dec, r.dec_as_dec);

    /* decimal in the resp, hex in the receipt */
    CHECK_INT(sms_id_forms("123", &s), 0);
    CHECK_STR(s.dec_as_hex, "7B");
    CHECK_INT(sms_id_forms("007b", &r), 0);
    CHECK_STR(r.raw, "007B");
    CHECK_STR(r.hex_as_hex, "7B");
    CHECK_STR(s.dec_as_hex, r.hex_as_hex);

    /* ids that are neither: only the raw form */
    CHECK_INT(sms_id_forms("  msg-XY,z|1 ", &s), 0);
    CHECK_STR(s.raw, "msg-XY_z_1");
    CHECK_STR(s.hex_as_dec, "");
    CHECK_STR(s.dec_as_dec, "");
    CHECK_INT(sms_id_forms("a b", &s), 0);
    CHECK_STR(s.raw, "a_b");

    /* past 64 bits: no numeric forms */
    CHECK_INT(sms_id_forms("FFFFFFFFFFFFFFFF", &s), 0);
    CHECK_STR(s.hex_as_dec, "18446744073709551615");
    CHECK_INT(sms_id_forms("1FFFFFFFFFFFFFFFF", &s), 0);
    CHECK_STR(s.hex_as_dec, "");
    CHECK_INT(sms_id_forms("18446744073709551616", &s), 0);
    CHECK_STR(s.dec_as_dec, "");
    CHECK_STR(s.hex_as_dec, "");

    CHECK_INT(sms_id_forms("", &s), -1);
    CHECK_INT(sms_id_forms("   ", &s), -1);
    CHECK_INT(sms_id_forms(NULL, &s), -1);
    CHECK_INT(sms_id_forms(rep("7", 65), &s), -1);
    CHECK_INT(sms_id_forms(rep("7", 64), &s), 0);
}

static void test_receipt_garbage(void)
{
    struct smpp_msg m;
    struct sms_receipt r;
    CHECK(sms_is_receipt(0x04));
    CHECK(sms_is_receipt(0x44));
    CHECK(sms_is_receipt(0x20));
    CHECK(!sms_is_receipt(0x00));
    CHECK(!sms_is_receipt(0x40));
    CHECK(!sms_is_receipt(0x08));
    CHECK(!sms_is_receipt(0x10));
    CHECK(!sms_is_receipt(0x03));

    const char *bad[] = {
        "", "hello world", "id: stat:DELIVRD", "id:123 stat:FOO err:0", "id:123", "stat:DELIVRD err:000",
        "xid:5 xstat:DELIVRD", "id:", "stat:", "id:5 stat:DELIVRDX",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        receipt_msg(&m, 0x04, bad[i]);
        CHECK_INT(sms_receipt_parse(&m, &r), -1);
    }
    /* an id longer than an SMSC may send */
    char t[200];
    compose(t, sizeof t, "9", 65, "", 0);
    memmove(t + 3, t, strlen(t) + 1);
    memcpy(t, "id:", 3);
    append(t, sizeof t, " stat:DELIVRD");
    receipt_msg(&m, 0x04, t);
    CHECK_INT(sms_receipt_parse(&m, &r), -1);

    /* TLV id but no state anywhere; state but an empty TLV id and no text id */
    receipt_msg(&m, 0x04, NULL);
    m.has_receipted_message_id = 1;
    snprintf(m.receipted_message_id, sizeof m.receipted_message_id, "55");
    CHECK_INT(sms_receipt_parse(&m, &r), -1);
    m.has_message_state = 1;
    m.message_state = 9;
    CHECK_INT(sms_receipt_parse(&m, &r), -1);
    receipt_msg(&m, 0x04, NULL);
    m.has_receipted_message_id = 1;
    m.has_message_state = 1;
    m.message_state = 2;
    CHECK_INT(sms_receipt_parse(&m, &r), -1);

    /* random bytes, control characters, NULs, odd UCS2 lengths: no crash, bounded */
    uint32_t x = 12345;
    for (int round = 0; round < 3000; round++) {
        receipt_msg(&m, (uint8_t)(x & 0xFF), NULL);
        m.data_coding = round % 3 == 0 ? 8 : 0;
        m.sm_length = (uint8_t)(x % 255);
        for (int i = 0; i < SMPP_SM_MAX; i++) {
            x = x * 1103515245u + 12345u;
            m.short_message[i] = round % 2 ? (uint8_t)(x >> 16) : (uint8_t)"id:stat DELIVRD9 "[(x >> 16) % 17];
        }
        m.has_receipted_message_id = round % 5 == 0;
        memset(m.receipted_message_id, 'A', sizeof m.receipted_message_id); /* no NUL at all */
        m.has_message_payload = round % 7 == 0;
        m.message_payload_len = (uint16_t)(x % 2000); /* even past the buffer */
        int rc = sms_receipt_parse(&m, &r);
        CHECK(rc == 0 || rc == -1);
        if (rc == 0) {
            CHECK(strlen(r.id) > 0 && strlen(r.id) <= SMS_ID_MAX);
            CHECK(r.state >= SMS_RCPT_ENROUTE && r.state <= SMS_RCPT_REJECTED);
        }
    }
}

int main(void)
{
    RUN(test_gsm_or_ucs2);
    RUN(test_gsm_part_sizes);
    RUN(test_ucs2_part_sizes);
    RUN(test_long_ucs2_reassembles);
    RUN(test_escape_pair_not_split);
    RUN(test_surrogate_pair_not_split);
    RUN(test_too_many_parts_refused);
    RUN(test_msisdn);
    RUN(test_receipt_tlv);
    RUN(test_receipt_text);
    RUN(test_receipt_ids_hex_and_decimal);
    RUN(test_receipt_garbage);
    return harness_finish();
}
