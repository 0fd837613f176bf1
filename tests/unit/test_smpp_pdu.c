/*
 * test_smpp_pdu.c: SMPP PDU framing, check, decode and encode. Round trips of every PDU
 * the gateway uses, then hostile byte vectors built by hand, each of which must give the
 * right status without a crash or a leak (run under ASan to see the latter).
 */
#include "harness.h"
#include "smpp_pdu.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* libsmpp34's global log buffer: checked to stay far from its 2048 octets. */
extern char smpp34_strerror[2048];

/* ---- a tiny PDU builder for hand-made vectors ---- */

struct pb {
    uint8_t b[70000];
    size_t n;
};

static void pb_u8(struct pb *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}

static void pb_u16(struct pb *p, unsigned v)
{
    pb_u8(p, v >> 8);
    pb_u8(p, v & 0xFF);
}

static void pb_u32(struct pb *p, uint32_t v)
{
    pb_u16(p, v >> 16);
    pb_u16(p, v & 0xFFFF);
}

static void pb_str(struct pb *p, const char *s)
{
    size_t l = strlen(s) + 1;
    memcpy(p->b + p->n, s, l);
    p->n += l;
}

static void pb_raw(struct pb *p, const void *d, size_t l)
{
    memcpy(p->b + p->n, d, l);
    p->n += l;
}

static void pb_header(struct pb *p, uint32_t cmd, uint32_t status, uint32_t seq)
{
    p->n = 0;
    pb_u32(p, 0); /* patched by pb_done */
    pb_u32(p, cmd);
    pb_u32(p, status);
    pb_u32(p, seq);
}

static void pb_done(struct pb *p)
{
    uint32_t l = (uint32_t)p->n;
    p->b[0] = (uint8_t)(l >> 24);
    p->b[1] = (uint8_t)(l >> 16);
    p->b[2] = (uint8_t)(l >> 8);
    p->b[3] = (uint8_t)l;
}

static void pb_tlv(struct pb *p, unsigned tag, const void *v, unsigned len)
{
    pb_u16(p, tag);
    pb_u16(p, len);
    pb_raw(p, v, len);
}

/* deliver_sm mandatory part up to and including short_message. */
static void pb_deliver_body(struct pb *p, const char *src, const char *text)
{
    pb_str(p, "USSD");
    pb_u8(p, 1), pb_u8(p, 1);
    pb_str(p, src);
    pb_u8(p, 0), pb_u8(p, 0);
    pb_str(p, "123");
    pb_u8(p, 0), pb_u8(p, 0), pb_u8(p, 0); /* esm, pid, priority */
    pb_str(p, ""), pb_str(p, "");          /* schedule, validity */
    pb_u8(p, 0), pb_u8(p, 0), pb_u8(p, 0x0F), pb_u8(p, 0);
    pb_u8(p, (unsigned)strlen(text));
    pb_raw(p, text, strlen(text));
}

static struct pb P; /* large: keep off the stack */

/* ---- helpers ---- */

static int roundtrip(const struct smpp_msg *in, struct smpp_msg *out)
{
    uint8_t buf[SMPP_ENCODE_CAP];
    size_t len = 0;
    char err[160];
    if (smpp_pdu_encode(in, buf, sizeof(buf), &len, err, sizeof(err)) != 0) {
        harness_fail(__FILE__, __LINE__, "encode %s: %s", smpp_command_name(in->command_id), err);
        return -1;
    }
    size_t fl = 0;
    CHECK_INT(smpp_pdu_frame(buf, len, &fl), SMPP_FRAME_COMPLETE);
    CHECK_INT(fl, len);
    struct smpp_check c;
    int st = smpp_pdu_check(buf, len, &c);
    if (st) {
        harness_fail(__FILE__, __LINE__, "check %s: %s", smpp_command_name(in->command_id), c.reason);
        return -1;
    }
    st = smpp_pdu_decode(buf, len, out, err, sizeof(err));
    if (st) {
        harness_fail(__FILE__, __LINE__, "decode %s: %s", smpp_command_name(in->command_id), err);
        return -1;
    }
    /* the fast path (submit_sm, deliver_sm and their responses) and the libsmpp34
     * reference path give the same octets and the same message */
    uint8_t ref[SMPP_ENCODE_CAP];
    size_t rlen = 0;
    CHECK_INT(smpp_pdu_encode_ref(in, ref, sizeof(ref), &rlen, err, sizeof(err)), 0);
    CHECK_INT(rlen, len);
    CHECK(rlen == len && memcmp(ref, buf, len) == 0);
    static struct smpp_msg rm;
    CHECK_INT(smpp_pdu_decode_ref(buf, len, &rm, err, sizeof(err)), 0);
    CHECK(memcmp(&rm, out, sizeof(rm)) == 0);
    CHECK_INT(out->command_id, in->command_id);
    CHECK_INT(out->command_status, in->command_status);
    CHECK_INT(out->sequence, in->sequence);
    return 0;
}

static void set_ussd(struct smpp_msg *m, uint32_t cmd, const char *text)
{
    smpp_msg_init(m, cmd);
    m->sequence = 7;
    snprintf(m->service_type, sizeof(m->service_type), "USSD");
    m->source_addr_ton = 1;
    m->source_addr_npi = 1;
    snprintf(m->source_addr, sizeof(m->source_addr), "250788123456");
    snprintf(m->destination_addr, sizeof(m->destination_addr), "*123#");
    m->data_coding = 0x0F;
    m->sm_length = (uint8_t)strlen(text);
    memcpy(m->short_message, text, m->sm_length);
    m->has_ussd_service_op = 1;
    m->ussd_service_op = 2;
    m->has_its_session_info = 1;
    m->its_session_info = SMPP_ITS_MAKE(0xAB, 3, 0);
}

/* ---- round trips ---- */

static void test_bind_roundtrip(void)
{
    struct smpp_msg m, d;
    smpp_msg_init(&m, SMPP_CMD_BIND_TRANSCEIVER);
    m.sequence = 1;
    snprintf(m.system_id, sizeof(m.system_id), "ussdgw");
    snprintf(m.password, sizeof(m.password), "secret12");
    snprintf(m.system_type, sizeof(m.system_type), "USSD");
    m.addr_ton = 1;
    m.addr_npi = 1;
    snprintf(m.address_range, sizeof(m.address_range), "^250");
    if (roundtrip(&m, &d) == 0) {
        CHECK_STR(d.system_id, "ussdgw");
        CHECK_STR(d.password, "secret12");
        CHECK_STR(d.system_type, "USSD");
        CHECK_INT(d.interface_version, 0x34);
        CHECK_INT(d.addr_ton, 1);
        CHECK_STR(d.address_range, "^250");
    }
    smpp_msg_init(&m, SMPP_CMD_BIND_TRANSCEIVER_RESP);
    m.sequence = 1;
    snprintf(m.system_id, sizeof(m.system_id), "SMSC");
    if (roundtrip(&m, &d) == 0)
        CHECK_STR(d.system_id, "SMSC");
    /* rejected bind: still names the SMSC, decoded without the library */
    m.command_status = SMPP_ESME_RBINDFAIL;
    if (roundtrip(&m, &d) == 0)
        CHECK_STR(d.system_id, "SMSC");
}

static void test_submit_roundtrip(void)
{
    struct smpp_msg m, d;
    set_ussd(&m, SMPP_CMD_SUBMIT_SM, "1. Parcels\n2. Business");
    m.registered_delivery = 1;
    m.has_user_message_reference = 1;
    m.user_message_reference = 0x1234;
    if (roundtrip(&m, &d) == 0) {
        CHECK_STR(d.service_type, "USSD");
        CHECK_STR(d.source_addr, "250788123456");
        CHECK_STR(d.destination_addr, "*123#");
        CHECK_INT(d.source_addr_ton, 1);
        CHECK_INT(d.data_coding, 0x0F);
        CHECK_INT(d.registered_delivery, 1);
        CHECK_INT(d.sm_length, m.sm_length);
        CHECK(memcmp(d.short_message, m.short_message, m.sm_length) == 0);
        CHECK_INT(d.has_ussd_service_op, 1);
        CHECK_INT(d.ussd_service_op, 2);
        CHECK_INT(d.has_its_session_info, 1);
        CHECK_INT(SMPP_ITS_SESSION(d.its_session_info), 0xAB);
        CHECK_INT(SMPP_ITS_SEQ(d.its_session_info), 3);
        CHECK_INT(SMPP_ITS_END(d.its_session_info), 0);
        CHECK_INT(d.has_user_message_reference, 1);
        CHECK_INT(d.user_message_reference, 0x1234);
        CHECK_INT(d.has_message_payload, 0);
    }
    smpp_msg_init(&m, SMPP_CMD_SUBMIT_SM_RESP);
    m.sequence = 7;
    snprintf(m.message_id, sizeof(m.message_id), "5f3a9c");
    if (roundtrip(&m, &d) == 0)
        CHECK_STR(d.message_id, "5f3a9c");
    /* error response: header only on the wire */
    m.command_status = SMPP_ESME_RTHROTTLED;
    uint8_t buf[64];
    size_t len = 0;
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, NULL, 0), 0);
    CHECK_INT(len, 16);
    if (roundtrip(&m, &d) == 0)
        CHECK_STR(d.message_id, "");
}

static void test_deliver_roundtrip(void)
{
    struct smpp_msg m, d;
    set_ussd(&m, SMPP_CMD_DELIVER_SM, "*123*4#");
    m.ussd_service_op = 1;
    if (roundtrip(&m, &d) == 0) {
        CHECK_INT(d.ussd_service_op, 1);
        CHECK_INT(d.its_session_info, m.its_session_info);
        CHECK_INT(d.sm_length, 7);
        CHECK(memcmp(d.short_message, "*123*4#", 7) == 0);
    }
    /* a delivery receipt */
    smpp_msg_init(&m, SMPP_CMD_DELIVER_SM);
    m.sequence = 99;
    m.esm_class = 0x04;
    snprintf(m.source_addr, sizeof(m.source_addr), "250788123456");
    const char *rcpt = "id:12345 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 "
                       "text:Parcel";
    m.sm_length = (uint8_t)strlen(rcpt);
    memcpy(m.short_message, rcpt, m.sm_length);
    m.has_receipted_message_id = 1;
    snprintf(m.receipted_message_id, sizeof(m.receipted_message_id), "12345");
    m.has_message_state = 1;
    m.message_state = 2;
    if (roundtrip(&m, &d) == 0) {
        CHECK_INT(d.esm_class, 4);
        CHECK_INT(d.has_receipted_message_id, 1);
        CHECK_STR(d.receipted_message_id, "12345");
        CHECK_INT(d.has_message_state, 1);
        CHECK_INT(d.message_state, 2);
        CHECK_INT(d.has_ussd_service_op, 0);
    }
    smpp_msg_init(&m, SMPP_CMD_DELIVER_SM_RESP);
    m.sequence = 99;
    if (roundtrip(&m, &d) == 0)
        CHECK_STR(d.message_id, "");
    m.command_status = SMPP_ESME_RX_T_APPN;
    roundtrip(&m, &d);
}

static void test_data_sm_roundtrip(void)
{
    struct smpp_msg m, d;
    set_ussd(&m, SMPP_CMD_DATA_SM, "");
    m.sm_length = 0;
    snprintf(m.destination_addr, sizeof(m.destination_addr), "%s", "a-destination-longer-than-twenty-one-octets");
    m.has_message_payload = 1;
    m.message_payload_len = 1024;
    for (int i = 0; i < 1024; i++)
        m.message_payload[i] = (uint8_t)('A' + i % 26);
    if (roundtrip(&m, &d) == 0) {
        CHECK_STR(d.destination_addr, m.destination_addr);
        CHECK_INT(d.has_message_payload, 1);
        CHECK_INT(d.message_payload_len, 1024);
        CHECK_INT(d.message_payload_truncated, 0);
        CHECK(memcmp(d.message_payload, m.message_payload, 1024) == 0);
        CHECK_INT(d.ussd_service_op, 2);
    }
    smpp_msg_init(&m, SMPP_CMD_DATA_SM_RESP);
    m.sequence = 3;
    snprintf(m.message_id, sizeof(m.message_id), "abc");
    if (roundtrip(&m, &d) == 0)
        CHECK_STR(d.message_id, "abc");
}

/* The fast path writes exactly the octets of the SMPP 3.4 layout (built by hand here),
 * and refuses what the libsmpp34 path refuses. */
static void test_fast_path_octets(void)
{
    struct smpp_msg m, d;
    uint8_t buf[SMPP_ENCODE_CAP], ref[SMPP_ENCODE_CAP];
    size_t len = 0, rlen = 0;
    char err[160];
    set_ussd(&m, SMPP_CMD_SUBMIT_SM, "1. Parcels");
    m.sequence = 0x01020304;
    m.has_user_message_reference = 1;
    m.user_message_reference = 0xBEEF;
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), 0);
    pb_header(&P, SMPP_CMD_SUBMIT_SM, 0, 0x01020304);
    pb_str(&P, "USSD");
    pb_u8(&P, 1), pb_u8(&P, 1);
    pb_str(&P, "250788123456");
    pb_u8(&P, 0), pb_u8(&P, 0);
    pb_str(&P, "*123#");
    pb_u8(&P, 0), pb_u8(&P, 0), pb_u8(&P, 0);
    pb_str(&P, ""), pb_str(&P, "");
    pb_u8(&P, 0), pb_u8(&P, 0), pb_u8(&P, 0x0F), pb_u8(&P, 0);
    pb_u8(&P, 10);
    pb_raw(&P, "1. Parcels", 10);
    pb_tlv(&P, SMPP_TLV_USSD_SERVICE_OP, "\x02", 1);
    pb_tlv(&P, SMPP_TLV_ITS_SESSION_INFO, "\xAB\x06", 2);
    pb_tlv(&P, SMPP_TLV_USER_MESSAGE_REFERENCE, "\xBE\xEF", 2);
    pb_done(&P);
    CHECK_INT(len, P.n);
    CHECK(len == P.n && memcmp(buf, P.b, len) == 0);
    /* the same as a deliver_sm, and a decode of the hand-built octets */
    P.b[7] = 5;
    CHECK_INT(smpp_pdu_decode(P.b, P.n, &d, err, sizeof(err)), 0);
    CHECK_INT(d.command_id, SMPP_CMD_DELIVER_SM);
    CHECK_INT(d.user_message_reference, 0xBEEF);
    CHECK_INT(d.its_session_info, 0xAB06);
    m.command_id = SMPP_CMD_DELIVER_SM;
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), 0);
    CHECK(len == P.n && memcmp(buf, P.b, len) == 0);
    /* every optional field at once, the largest fast-path PDU */
    set_ussd(&m, SMPP_CMD_DELIVER_SM, "");
    m.sm_length = SMPP_SM_ENCODE_MAX;
    memset(m.short_message, 'x', m.sm_length);
    m.has_user_message_reference = m.has_receipted_message_id = m.has_message_state = m.has_message_payload = 1;
    memset(m.receipted_message_id, '7', 64);
    m.message_state = 5;
    m.message_payload_len = SMPP_PAYLOAD_MAX;
    memset(m.message_payload, 'p', SMPP_PAYLOAD_MAX);
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), 0);
    CHECK_INT(smpp_pdu_encode_ref(&m, ref, sizeof(ref), &rlen, err, sizeof(err)), 0);
    CHECK(len == rlen && memcmp(buf, ref, len) == 0);
    /* refusals agree: long strings, TON/NPI libsmpp34 does not know, sm_length 254 */
    for (int k = 0; k < 6; k++) {
        set_ussd(&m, k % 2 ? SMPP_CMD_SUBMIT_SM : SMPP_CMD_DELIVER_SM, "x");
        if (k == 0)
            memset(m.source_addr, '1', sizeof(m.source_addr));
        else if (k == 1)
            snprintf(m.destination_addr, sizeof(m.destination_addr), "%s", "123456789012345678901");
        else if (k == 2)
            m.dest_addr_npi = 7;
        else if (k == 3)
            m.source_addr_ton = 8;
        else if (k == 4)
            m.sm_length = 254;
        else
            memset(m.service_type, 'S', sizeof(m.service_type));
        CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), -1);
        CHECK_INT(smpp_pdu_encode_ref(&m, ref, sizeof(ref), &rlen, err, sizeof(err)), -1);
    }
    smpp_msg_init(&m, SMPP_CMD_SUBMIT_SM_RESP);
    m.sequence = 3;
    memset(m.message_id, 'i', sizeof(m.message_id));
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), -1);
    CHECK_INT(smpp_pdu_encode_ref(&m, ref, sizeof(ref), &rlen, err, sizeof(err)), -1);
}

static void test_header_only_roundtrip(void)
{
    static const uint32_t cmds[] = {SMPP_CMD_ENQUIRE_LINK, SMPP_CMD_ENQUIRE_LINK_RESP, SMPP_CMD_UNBIND,
                                    SMPP_CMD_UNBIND_RESP, SMPP_CMD_GENERIC_NACK};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        struct smpp_msg m, d;
        smpp_msg_init(&m, cmds[i]);
        m.sequence = 0x7FFFFFFF;
        if (cmds[i] == SMPP_CMD_GENERIC_NACK)
            m.command_status = SMPP_ESME_RINVCMDID;
        uint8_t buf[32];
        size_t len = 0;
        CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, NULL, 0), 0);
        CHECK_INT(len, 16);
        roundtrip(&m, &d);
    }
}

static void test_encode_limits(void)
{
    struct smpp_msg m;
    uint8_t buf[SMPP_ENCODE_CAP];
    size_t len = 0;
    char err[160];
    set_ussd(&m, SMPP_CMD_SUBMIT_SM, "");
    m.sm_length = SMPP_SM_ENCODE_MAX;
    memset(m.short_message, 'x', SMPP_SM_ENCODE_MAX);
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), 0);
    m.sm_length = 254;
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), -1);
    m.sm_length = 10;
    m.sequence = 0;
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), -1);
    m.sequence = 0x80000000u;
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), -1);
    m.sequence = 5;
    CHECK_INT(smpp_pdu_encode(&m, buf, 20, &len, err, sizeof(err)), -1);
    CHECK(strstr(err, "too small") != NULL);
    memset(m.destination_addr, '9', 30); /* too long for submit_sm, and unterminated */
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), -1);
    set_ussd(&m, SMPP_CMD_SUBMIT_SM, "x");
    m.source_addr_ton = 9;
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), -1);
    smpp_msg_init(&m, 0x00000003); /* query_sm: not ours */
    m.sequence = 1;
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), -1);
    /* a response may echo sequence 0 (the peer's) */
    smpp_msg_init(&m, SMPP_CMD_SUBMIT_SM_RESP);
    snprintf(m.message_id, sizeof(m.message_id), "1");
    CHECK_INT(smpp_pdu_encode(&m, buf, sizeof(buf), &len, err, sizeof(err)), 0);
    CHECK_INT(buf[15], 0);
}

/* The largest PDU we ever hand to libsmpp34 keeps its global log well inside its size. */
static void test_library_log_bounded(void)
{
    struct smpp_msg m, d;
    set_ussd(&m, SMPP_CMD_DELIVER_SM, "");
    memset(m.service_type, 'S', 5);
    memset(m.source_addr, '1', 20);
    memset(m.destination_addr, '2', 20);
    m.sm_length = SMPP_SM_ENCODE_MAX;
    memset(m.short_message, 'x', m.sm_length);
    m.has_user_message_reference = m.has_receipted_message_id = m.has_message_state = 1;
    memset(m.receipted_message_id, '7', 64);
    m.has_message_payload = 1;
    m.message_payload_len = 1024;
    if (roundtrip(&m, &d) == 0)
        CHECK(strlen(smpp34_strerror) < 1500);
}

/* ---- framing ---- */

static void test_frame(void)
{
    uint8_t b[32] = {0, 0, 0, 16};
    size_t l = 0;
    CHECK_INT(smpp_pdu_frame(b, 0, &l), SMPP_FRAME_NEED_MORE);
    CHECK_INT(smpp_pdu_frame(b, 3, &l), SMPP_FRAME_NEED_MORE);
    CHECK_INT(smpp_pdu_frame(b, 15, &l), SMPP_FRAME_NEED_MORE);
    CHECK_INT(smpp_pdu_frame(b, 16, &l), SMPP_FRAME_COMPLETE);
    CHECK_INT(l, 16);
    CHECK_INT(smpp_pdu_frame(b, 32, &l), SMPP_FRAME_COMPLETE);
    b[3] = 15;
    CHECK_INT(smpp_pdu_frame(b, 32, &l), SMPP_FRAME_BAD);
    b[3] = 0;
    CHECK_INT(smpp_pdu_frame(b, 32, &l), SMPP_FRAME_BAD);
    b[1] = 1, b[3] = 1; /* 65537 */
    CHECK_INT(smpp_pdu_frame(b, 32, &l), SMPP_FRAME_BAD);
    b[0] = 0xFF; /* ~4 GB: rejected before anything is allocated */
    CHECK_INT(smpp_pdu_frame(b, 4, &l), SMPP_FRAME_BAD);
    b[0] = 0, b[1] = 1, b[3] = 0; /* exactly 65536: legal, wait for it */
    CHECK_INT(smpp_pdu_frame(b, 32, &l), SMPP_FRAME_NEED_MORE);
}

/* ---- hostile vectors ---- */

static int check_and_decode(const uint8_t *b, size_t n, struct smpp_check *c)
{
    struct smpp_msg d;
    char err[160];
    int st = smpp_pdu_check(b, n, c);
    /* decode runs the same walk: it must give the same status on bad input */
    int st2 = smpp_pdu_decode(b, n, &d, err, sizeof(err));
    if (st != st2)
        harness_fail(__FILE__, __LINE__, "check %d but decode %d (%s)", st, st2, err);
    return st;
}

static void test_bad_lengths(void)
{
    struct smpp_check c;
    pb_header(&P, SMPP_CMD_ENQUIRE_LINK, 0, 1);
    pb_done(&P);
    uint8_t *b = P.b;
    b[3] = 0;
    CHECK_INT(check_and_decode(b, 16, &c), SMPP_ESME_RINVCMDLEN);
    CHECK_INT(c.header_ok, 1);
    CHECK_INT(c.sequence, 1);
    b[3] = 15;
    CHECK_INT(check_and_decode(b, 16, &c), SMPP_ESME_RINVCMDLEN);
    CHECK_INT(check_and_decode(b, 15, &c), SMPP_ESME_RINVCMDLEN);
    CHECK_INT(c.header_ok, 0);
    CHECK_INT(check_and_decode(b, 0, &c), SMPP_ESME_RINVCMDLEN);
    CHECK_INT(check_and_decode(NULL, 0, &c), SMPP_ESME_RINVCMDLEN);
    b[1] = 1, b[3] = 1; /* 65537 */
    CHECK_INT(check_and_decode(b, 16, &c), SMPP_ESME_RINVCMDLEN);
    b[1] = 0, b[3] = 20; /* claims 20, buffer has 16 */
    CHECK_INT(check_and_decode(b, 16, &c), SMPP_ESME_RINVCMDLEN);
    CHECK(strstr(c.reason, "match") != NULL);
    b[3] = 16;
    CHECK_INT(check_and_decode(b, 16, &c), 0);
    /* a deliver_sm whose body stops after service_type */
    pb_header(&P, SMPP_CMD_DELIVER_SM, 0, 2);
    pb_str(&P, "USSD");
    pb_u8(&P, 1);
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVCMDLEN);
}

static void test_unknown_command(void)
{
    struct smpp_check c;
    pb_header(&P, 0x00000003, 0, 42); /* query_sm: not for us */
    pb_str(&P, "id");
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVCMDID);
    CHECK_INT(c.header_ok, 1);
    CHECK_INT(c.sequence, 42);
    CHECK_INT(c.command_id, 3);
    pb_header(&P, 0x12345678, 0, 43);
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVCMDID);
    CHECK_STR(c.reason, "unknown command");
}

static void test_unterminated_string(void)
{
    struct smpp_check c;
    /* source_addr of 30 digits with no NUL within its 21 octets */
    pb_header(&P, SMPP_CMD_DELIVER_SM, 0, 5);
    pb_str(&P, "USSD");
    pb_u8(&P, 1), pb_u8(&P, 1);
    pb_raw(&P, "250788123456250788123456250788", 30);
    pb_u8(&P, 0);
    pb_u8(&P, 0), pb_u8(&P, 0);
    pb_str(&P, "123");
    for (int i = 0; i < 20; i++)
        pb_u8(&P, 0);
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVSRCADR);
    /* service_type never terminated, PDU ends inside it */
    pb_header(&P, SMPP_CMD_DELIVER_SM, 0, 6);
    pb_raw(&P, "USS", 3);
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVCMDLEN);
    /* bind with an unterminated system_id that fills the whole PDU */
    pb_header(&P, SMPP_CMD_BIND_TRANSCEIVER, 0, 1);
    for (int i = 0; i < 100; i++)
        pb_u8(&P, 'A');
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVSYSID);
    /* submit_sm_resp (status 0) whose message_id runs to the end */
    pb_header(&P, SMPP_CMD_SUBMIT_SM_RESP, 0, 1);
    pb_raw(&P, "abc", 3);
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVCMDLEN);
}

static void test_sm_length_past_end(void)
{
    struct smpp_check c;
    pb_header(&P, SMPP_CMD_DELIVER_SM, 0, 5);
    pb_deliver_body(&P, "250788123456", "");
    P.n--;              /* drop sm_length 0 ... */
    pb_u8(&P, 200);     /* ... and claim 200 octets */
    pb_raw(&P, "*123#", 5);
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVMSGLEN);
    P.b[P.n - 6] = 255; /* sm_length 255 is above the maximum anyway */
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVMSGLEN);
}

static void test_tlv_cut(void)
{
    struct smpp_check c;
    uint8_t op = 1;
    pb_header(&P, SMPP_CMD_DELIVER_SM, 0, 5);
    pb_deliver_body(&P, "250788123456", "*123#");
    pb_tlv(&P, SMPP_TLV_USSD_SERVICE_OP, &op, 1);
    pb_u16(&P, SMPP_TLV_ITS_SESSION_INFO); /* header cut after the tag */
    pb_u8(&P, 0);
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVOPTPARSTREAM);
    CHECK(strstr(c.reason, "TLV") != NULL);
}

static void test_tlv_overrun(void)
{
    struct smpp_check c;
    pb_header(&P, SMPP_CMD_DELIVER_SM, 0, 5);
    pb_deliver_body(&P, "250788123456", "*123#");
    pb_u16(&P, SMPP_TLV_MESSAGE_PAYLOAD);
    pb_u16(&P, 500); /* only 10 octets follow */
    pb_raw(&P, "0123456789", 10);
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVOPTPARSTREAM);
    /* its_session_info with length 3 */
    pb_header(&P, SMPP_CMD_DELIVER_SM, 0, 5);
    pb_deliver_body(&P, "250788123456", "*123#");
    pb_tlv(&P, SMPP_TLV_ITS_SESSION_INFO, "\x01\x02\x03", 3);
    pb_done(&P);
    CHECK_INT(check_and_decode(P.b, P.n, &c), SMPP_ESME_RINVPARLEN);
}

/* 40 valid TLVs (more than libsmpp34's log buffer survives) decode fine and keep ours. */
static void test_many_tlvs(void)
{
    struct smpp_check c;
    struct smpp_msg d;
    char err[160];
    pb_header(&P, SMPP_CMD_DELIVER_SM, 0, 77);
    pb_deliver_body(&P, "250788123456", "1");
    for (int i = 0; i < 19; i++)
        pb_tlv(&P, 0x1400 + (unsigned)i, "vendor-data", 11);
    pb_tlv(&P, SMPP_TLV_ITS_SESSION_INFO, "\x2A\x05", 2);
    pb_tlv(&P, SMPP_TLV_USSD_SERVICE_OP, "\x12", 1);
    for (int i = 0; i < 19; i++)
        pb_tlv(&P, 0x0005, "\x01", 1); /* dest_addr_subunit, repeated */
    pb_done(&P);
    CHECK_INT(smpp_pdu_check(P.b, P.n, &c), 0);
    int st = smpp_pdu_decode(P.b, P.n, &d, err, sizeof(err));
    CHECK_INT(st, 0);
    if (st)
        printf("  decode: %s\n", err);
    CHECK_INT(d.sequence, 77);
    CHECK_INT(d.has_its_session_info, 1);
    CHECK_INT(d.its_session_info, 0x2A05);
    CHECK_INT(SMPP_ITS_SESSION(d.its_session_info), 0x2A);
    CHECK_INT(SMPP_ITS_SEQ(d.its_session_info), 2);
    CHECK_INT(SMPP_ITS_END(d.its_session_info), 1);
    CHECK_INT(d.has_ussd_service_op, 1);
    CHECK_INT(d.ussd_service_op, 18);
    CHECK_STR(d.source_addr, "250788123456");
    CHECK(strlen(smpp34_strerror) < 1500);
}

static void test_vendor_status(void)
{
    struct smpp_check c;
    struct smpp_msg d;
    char err[160];
    /* submit_sm_resp with a vendor status and no body */
    pb_header(&P, SMPP_CMD_SUBMIT_SM_RESP, 0x400, 9);
    pb_done(&P);
    CHECK_INT(smpp_pdu_check(P.b, P.n, &c), 0);
    CHECK_INT(smpp_pdu_decode(P.b, P.n, &d, err, sizeof(err)), 0);
    CHECK_INT(d.command_status, 0x400);
    CHECK_INT(d.sequence, 9);
    CHECK_STR(smpp_status_name(0x400), "vendor_specific");
    /* ... with the 1-octet empty message_id some centres add */
    pb_header(&P, SMPP_CMD_SUBMIT_SM_RESP, 0x4FF, 10);
    pb_u8(&P, 0);
    pb_done(&P);
    CHECK_INT(smpp_pdu_decode(P.b, P.n, &d, err, sizeof(err)), 0);
    CHECK_INT(d.command_status, 0x4FF);
    /* a standard error with a full message_id */
    pb_header(&P, SMPP_CMD_DATA_SM_RESP, SMPP_ESME_RTHROTTLED, 11);
    pb_str(&P, "xyz");
    pb_done(&P);
    CHECK_INT(smpp_pdu_decode(P.b, P.n, &d, err, sizeof(err)), 0);
    CHECK_STR(d.message_id, "xyz");
    /* a rejected bind with no body */
    pb_header(&P, SMPP_CMD_BIND_TRANSCEIVER_RESP, SMPP_ESME_RBINDFAIL, 1);
    pb_done(&P);
    CHECK_INT(smpp_pdu_decode(P.b, P.n, &d, err, sizeof(err)), 0);
    CHECK_INT(d.command_status, SMPP_ESME_RBINDFAIL);
    CHECK_STR(smpp_status_name(d.command_status), "ESME_RBINDFAIL");
}

static void test_generic_nack_and_seq0(void)
{
    struct smpp_msg d;
    char err[160];
    pb_header(&P, SMPP_CMD_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, 0);
    pb_done(&P);
    CHECK_INT(smpp_pdu_decode(P.b, P.n, &d, err, sizeof(err)), 0);
    CHECK_INT(d.command_id, SMPP_CMD_GENERIC_NACK);
    CHECK_INT(d.command_status, SMPP_ESME_RINVCMDLEN);
    CHECK_INT(d.sequence, 0);
    /* a deliver_sm with sequence 0 and an odd TON still decodes */
    pb_header(&P, SMPP_CMD_DELIVER_SM, 0, 0);
    pb_deliver_body(&P, "250788123456", "*123#");
    P.b[16 + 5] = 7; /* source_addr_ton: reserved value */
    pb_done(&P);
    CHECK_INT(smpp_pdu_decode(P.b, P.n, &d, err, sizeof(err)), 0);
    CHECK_INT(d.sequence, 0);
    CHECK_INT(d.source_addr_ton, 7);
    CHECK_STR(d.destination_addr, "123");
}

static void test_payload_truncated(void)
{
    struct smpp_msg d;
    char err[160];
    static uint8_t big[3000];
    memset(big, 'p', sizeof(big));
    pb_header(&P, SMPP_CMD_DATA_SM, 0, 4);
    pb_str(&P, "USSD");
    pb_u8(&P, 1), pb_u8(&P, 1);
    pb_str(&P, "250788123456");
    pb_u8(&P, 0), pb_u8(&P, 0);
    pb_str(&P, "*123#");
    pb_u8(&P, 0), pb_u8(&P, 0), pb_u8(&P, 0);
    pb_tlv(&P, SMPP_TLV_MESSAGE_PAYLOAD, big, sizeof(big));
    pb_tlv(&P, SMPP_TLV_USSD_SERVICE_OP, "\x01\x00", 2); /* 2 octets: first one counts */
    pb_done(&P);
    CHECK_INT(smpp_pdu_decode(P.b, P.n, &d, err, sizeof(err)), 0);
    CHECK_INT(d.has_message_payload, 1);
    CHECK_INT(d.message_payload_len, 1024);
    CHECK_INT(d.message_payload_truncated, 1);
    CHECK_INT(d.ussd_service_op, 1);
}

static void test_names_and_describe(void)
{
    CHECK_STR(smpp_command_name(SMPP_CMD_DELIVER_SM), "deliver_sm");
    CHECK_STR(smpp_command_name(0x7777), "unknown");
    CHECK_STR(smpp_status_name(SMPP_ESME_RTHROTTLED), "ESME_RTHROTTLED");
    CHECK_STR(smpp_status_name(SMPP_LOCAL_TIMEOUT), "local_timeout");
    CHECK_STR(smpp_status_name(0x9999), "unknown");
    struct smpp_msg m;
    set_ussd(&m, SMPP_CMD_SUBMIT_SM, "hello");
    char buf[256];
    smpp_msg_describe(&m, buf, sizeof(buf));
    CHECK(strstr(buf, "cmd=submit_sm seq=7") != NULL);
    CHECK(strstr(buf, "ussd_op=2") != NULL);
    char tiny[8];
    CHECK(smpp_msg_describe(&m, tiny, sizeof(tiny)) == 7);
}

int main(void)
{
    RUN(test_bind_roundtrip);
    RUN(test_submit_roundtrip);
    RUN(test_deliver_roundtrip);
    RUN(test_data_sm_roundtrip);
    RUN(test_fast_path_octets);
    RUN(test_header_only_roundtrip);
    RUN(test_encode_limits);
    RUN(test_library_log_bounded);
    RUN(test_frame);
    RUN(test_bad_lengths);
    RUN(test_unknown_command);
    RUN(test_unterminated_string);
    RUN(test_sm_length_past_end);
    RUN(test_tlv_cut);
    RUN(test_tlv_overrun);
    RUN(test_many_tlvs);
    RUN(test_vendor_status);
    RUN(test_generic_nack_and_seq0);
    RUN(test_payload_truncated);
    RUN(test_names_and_describe);
    return harness_finish();
}
