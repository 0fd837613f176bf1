/*
 * fuzz_pdu.c: libFuzzer target for SMPP PDU handling (gateway/smpp_pdu.c).
 *
 * Each input is used three ways: as a byte stream cut into PDUs by the framing helper
 * (as the link reads a socket), as one PDU exactly as given, and as one PDU with its
 * command_length patched to the input size (so the fuzzer reaches the body checks).
 * Properties, enforced with abort():
 *   - smpp_pdu_decode succeeds whenever smpp_pdu_check passed, and fails with the same
 *     status otherwise (libsmpp34 must never disagree with our check);
 *   - a decoded message that encodes again passes check and decode again.
 */
#include "smpp_pdu.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_pdu(const uint8_t *p, size_t n)
{
    struct smpp_check c;
    static struct smpp_msg m, m2;
    char err[160];
    int st = smpp_pdu_check(p, n, &c);
    int st2 = smpp_pdu_decode(p, n, &m, err, sizeof(err));
    if (st != st2)
        abort(); /* check passed but the decoder (or libsmpp34) refused, or vice versa */
    if (st)
        return;
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
