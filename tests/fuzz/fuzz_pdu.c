/*
 * fuzz_pdu.c: libFuzzer target for SMPP PDU handling (proto/smpp_pdu.c).
 *
 * Each input is used three ways: as a byte stream cut into PDUs by the framing helper
 * (as the link reads a socket), as one PDU exactly as given, and as one PDU with its
 * command_length patched to the input size (so the fuzzer reaches the body checks).
 * Properties, enforced with abort():
 *   - smpp_pdu_decode succeeds whenever smpp_pdu_check passed, and fails with the same
 *     status otherwise (libsmpp34 must never disagree with our check);
 *   - a decoded message that encodes again passes check and decode again;
 *   - the fast path of smpp_pdu.c (submit_sm, deliver_sm and their responses without
 *     libsmpp34) agrees with the libsmpp34 reference path: smpp_pdu_decode and
 *     smpp_pdu_decode_ref give the same status and the same message, smpp_pdu_encode and
 *     smpp_pdu_encode_ref the same result and the same octets, both for decoded
 *     messages and for messages built field by field from the input (encode_both).
 */
#include "smpp_pdu.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encode m with the fast path and with the libsmpp34 reference: same result, same octets. */
static void encode_both(const struct smpp_msg *m)
{
    static uint8_t a[SMPP_ENCODE_CAP], b[SMPP_ENCODE_CAP];
    size_t alen = 0, blen = 0;
    char err[160];
    int ra = smpp_pdu_encode(m, a, sizeof(a), &alen, err, sizeof(err));
    int rb = smpp_pdu_encode_ref(m, b, sizeof(b), &blen, err, sizeof(err));
    if (ra != rb || (ra == 0 && (alen != blen || memcmp(a, b, alen) != 0)))
        abort();
}

/* Input bytes as a cursor, to build messages field by field. */
struct cur {
    const uint8_t *p;
    size_t n;
};

static uint8_t take8(struct cur *c)
{
    if (!c->n)
        return 0;
    c->n--;
    return *c->p++;
}

/* A string of up to size octets; size octets leave it unterminated (too long). */
static void take_str(struct cur *c, char *dst, size_t size)
{
    size_t l = take8(c) % (size + 1);
    for (size_t i = 0; i < l; i++)
        dst[i] = (char)(take8(c) | 1); /* no NUL inside */
    if (l < size)
        dst[l] = 0;
}

/* submit_sm / deliver_sm / submit_sm_resp / deliver_sm_resp (and data_sm, to check the
 * reference path is kept for the rest) from the input, including values no decoder
 * gives: long or unterminated strings, odd TON/NPI, sm_length 254, payload lengths. */
static void encode_from_bytes(const uint8_t *data, size_t size)
{
    static const uint32_t cmds[] = {SMPP_CMD_SUBMIT_SM, SMPP_CMD_DELIVER_SM, SMPP_CMD_SUBMIT_SM_RESP,
                                    SMPP_CMD_DELIVER_SM_RESP, SMPP_CMD_DATA_SM};
    static struct smpp_msg m;
    struct cur c = {data, size};
    uint8_t sel = take8(&c);
    smpp_msg_init(&m, cmds[sel % 5]);
    m.command_status = (sel & 0x80) ? take8(&c) : 0;
    m.sequence = (uint32_t)take8(&c) << 24 | (uint32_t)take8(&c) << 16 | (uint32_t)take8(&c) << 8 | take8(&c);
    take_str(&c, m.service_type, sizeof(m.service_type));
    m.source_addr_ton = take8(&c) % 8;
    m.source_addr_npi = take8(&c) % 20;
    take_str(&c, m.source_addr, sizeof(m.source_addr));
    m.dest_addr_ton = take8(&c) % 8;
    m.dest_addr_npi = take8(&c) % 20;
    take_str(&c, m.destination_addr, (sel & 0x40) ? 22 : 21);
    m.esm_class = take8(&c);
    m.protocol_id = take8(&c);
    m.priority_flag = take8(&c);
    m.registered_delivery = take8(&c);
    m.data_coding = take8(&c);
    m.sm_length = take8(&c);
    for (size_t i = 0; i < m.sm_length && i < sizeof(m.short_message); i++)
        m.short_message[i] = take8(&c);
    uint8_t has = take8(&c);
    m.has_ussd_service_op = has & 1;
    m.ussd_service_op = take8(&c);
    m.has_its_session_info = (has >> 1) & 1;
    m.its_session_info = (uint16_t)(take8(&c) << 8 | take8(&c));
    m.has_user_message_reference = (has >> 2) & 1;
    m.user_message_reference = (uint16_t)(take8(&c) << 8 | take8(&c));
    m.has_receipted_message_id = (has >> 3) & 1;
    if (m.has_receipted_message_id)
        take_str(&c, m.receipted_message_id, sizeof(m.receipted_message_id));
    m.has_message_state = (has >> 4) & 1;
    m.message_state = take8(&c);
    m.has_message_payload = (has >> 5) & 1;
    m.message_payload_len = (uint16_t)((take8(&c) << 8 | take8(&c)) % (SMPP_PAYLOAD_MAX + 2));
    for (size_t i = 0; i < m.message_payload_len && i < SMPP_PAYLOAD_MAX; i++)
        m.message_payload[i] = take8(&c);
    take_str(&c, m.message_id, sizeof(m.message_id));
    encode_both(&m);
}

static void one_pdu(const uint8_t *p, size_t n)
{
    struct smpp_check c;
    static struct smpp_msg m, m2, r;
    char err[160];
    int st = smpp_pdu_check(p, n, &c);
    int st2 = smpp_pdu_decode(p, n, &m, err, sizeof(err));
    if (st != st2)
        abort(); /* check passed but the decoder (or libsmpp34) refused, or vice versa */
    /* the fast path and the libsmpp34 reference agree, field by field */
    if (smpp_pdu_decode_ref(p, n, &r, err, sizeof(err)) != st2 || (st2 == 0 && memcmp(&m, &r, sizeof(m)) != 0))
        abort();
    if (st)
        return;
    encode_both(&m);
    char line[512];
    smpp_msg_describe(&m, line, sizeof(line));
    (void)smpp_command_name(m.command_id);
    (void)smpp_status_name(m.command_status);
    static uint8_t out[SMPP_ENCODE_CAP];
    size_t olen = 0;
    if (smpp_pdu_encode(&m, out, sizeof(out), &olen, err, sizeof(err)) == 0) {
        if (smpp_pdu_check(out, olen, NULL) != 0 || smpp_pdu_decode(out, olen, &m2, err, sizeof(err)) != 0)
            abort();
        if (m2.command_id != m.command_id || m2.sequence != m.sequence || m2.command_status != m.command_status)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* 1. as a stream */
    size_t off = 0, plen = 0;
    while (off < size && smpp_pdu_frame(data + off, size - off, &plen) == SMPP_FRAME_COMPLETE) {
        if (plen < SMPP_HEADER_LEN || plen > size - off)
            abort();
        one_pdu(data + off, plen);
        off += plen;
    }
    /* 2. as given */
    one_pdu(data, size);
    /* and as the fields of a message to encode */
    encode_from_bytes(data, size);
    /* 3. with command_length = size */
    if (size >= SMPP_HEADER_LEN && size <= SMPP_PDU_MAX) {
        uint8_t *copy = malloc(size);
        if (!copy)
            return 0;
        memcpy(copy, data, size);
        copy[0] = (uint8_t)(size >> 24);
        copy[1] = (uint8_t)(size >> 16);
        copy[2] = (uint8_t)(size >> 8);
        copy[3] = (uint8_t)size;
        one_pdu(copy, size);
        free(copy);
    }
    return 0;
}
