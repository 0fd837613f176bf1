/*
 * smpp_pdu.c: SMPP 3.4 PDU framing, checking, decoding and encoding (see smpp_pdu.h).
 *
 * Peer bytes are walked by our own code first (walk_pdu): every length, C-string and TLV
 * is bounded there. libsmpp34 only ever sees a sanitized copy built during that walk:
 *   - header: command_status 0 and sequence 1 (the library rejects vendor statuses and
 *     sequence 0; we keep the real values from our walk);
 *   - TON/NPI values the library does not list become 0, a bind's interface_version
 *     becomes 0x34, deliver_sm's schedule/validity and deliver_sm_resp's message_id
 *     become empty (the library allows only empty ones there);
 *   - TLVs: only the six we use, re-encoded canonically (so a PDU with 40 TLVs cannot
 *     overflow the library's global log buffer, and no TLV can make it leak).
 * Its result must agree with our walk, otherwise decode fails with ESME_RSYSERR (the
 * fuzz target treats that as a bug). PDUs the library cannot express (header-only ones,
 * generic_nack, responses with a non-zero status or an empty body) are decoded by us.
 *
 * The fast path (see "fast path" below) covers the four PDUs of every USSD step:
 * submit_sm, deliver_sm and their responses. libsmpp34 formats every field it packs or
 * unpacks into its text log with snprintf, which cost about two thirds of the gateway's
 * CPU per step. For these four the walk's result is final (no libsmpp34 re-parse of the
 * copy) and the encoder writes the octets itself. smpp_pdu_decode_ref and
 * smpp_pdu_encode_ref keep the libsmpp34 path for every PDU; the fuzz target and the
 * unit tests check that both paths give the same status, message and octets.
 */
#include "smpp_pdu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <stdint.h>
#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

/* Largest sanitized copy: header 16 + submit_sm fixed part 348 + six TLVs 1115. */
#define COPY_CAP 2048

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | (unsigned)p[1]);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* err = "ok", without a printf on the hot path. */
static void set_ok(char *err, size_t errlen)
{
    if (!err || !errlen)
        return;
    size_t n = errlen > 3 ? 2 : errlen - 1;
    memcpy(err, "ok", n);
    err[n] = 0;
}

/* The last entry of libsmpp34's log, which names the field it gave up on. */
static const char *lib_reason(void)
{
    size_t n = strnlen(smpp34_strerror, sizeof(smpp34_strerror));
    const char *s = smpp34_strerror;
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == '[')
            return s + i - 1;
    return n ? s : "(no detail)";
}

void smpp_msg_init(struct smpp_msg *m, uint32_t command_id)
{
    memset(m, 0, sizeof(*m));
    m->command_id = command_id;
    if (command_id == SMPP_CMD_BIND_TRANSCEIVER || command_id == SMPP_CMD_BIND_TRANSMITTER ||
        command_id == SMPP_CMD_BIND_RECEIVER)
        m->interface_version = SMPP_VERSION;
}

int smpp_pdu_frame(const uint8_t *buf, size_t have, size_t *pdu_len)
{
    if (!buf || have < 4)
        return SMPP_FRAME_NEED_MORE;
    uint32_t l = rd32(buf);
    if (l < SMPP_HEADER_LEN || l > SMPP_PDU_MAX)
        return SMPP_FRAME_BAD;
    if (have < l)
        return SMPP_FRAME_NEED_MORE;
    if (pdu_len)
        *pdu_len = l;
    return SMPP_FRAME_COMPLETE;
}

/* ---- the walk: our own parser, also builds the copy for libsmpp34 ---- */

struct walk {
    const uint8_t *buf;
    size_t len;
    size_t off;
    struct smpp_msg *m; /* values found (never NULL) */
    uint8_t *out;       /* sanitized copy, or NULL when only checking */
    size_t olen;
    int overflow;
    const char *reason;
};

/* A mandatory C-octet string: name, size including the NUL, status when unterminated. */
struct cfield {
    size_t max;
    uint32_t status;
    const char *r_long;
    const char *r_cut;
};

#define CFIELD(name, max, st) \
    static const struct cfield F_##name = {max, st, #name " not terminated within " #max " octets", \
                                           "PDU ends inside " #name}
CFIELD(system_id, 16, ESME_RINVSYSID);
CFIELD(password, 9, ESME_RINVPASWD);
CFIELD(system_type, 13, ESME_RINVSYSTYP);
CFIELD(address_range, 41, ESME_RBINDFAIL);
CFIELD(service_type, 6, ESME_RINVSERTYP);
CFIELD(source_addr, 21, ESME_RINVSRCADR);
CFIELD(destination_addr, 21, ESME_RINVDSTADR);
CFIELD(data_destination_addr, 65, ESME_RINVDSTADR);
CFIELD(schedule_delivery_time, 17, ESME_RINVSCHED);
CFIELD(validity_period, 17, ESME_RINVEXPIRY);
CFIELD(message_id, 65, ESME_RINVMSGID);

static int fail(struct walk *w, uint32_t status, const char *reason)
{
    w->reason = reason;
    return (int)status;
}

static void emit(struct walk *w, const void *p, size_t n)
{
    if (!w->out)
        return;
    if (n > COPY_CAP - w->olen) {
        w->overflow = 1;
        return;
    }
    memcpy(w->out + w->olen, p, n);
    w->olen += n;
}

/* Read a C-string into dst (at least f->max bytes). empty_in_copy: the copy gets "". */
static int get_cstr(struct walk *w, const struct cfield *f, char *dst, int empty_in_copy)
{
    size_t room = w->len - w->off;
    size_t lim = room < f->max ? room : f->max;
    const uint8_t *s = w->buf + w->off;
    const uint8_t *z = memchr(s, 0, lim);
    if (!z)
        return room < f->max ? fail(w, ESME_RINVCMDLEN, f->r_cut) : fail(w, f->status, f->r_long);
    size_t n = (size_t)(z - s);
    memcpy(dst, s, n);
    dst[n] = 0;
    emit(w, empty_in_copy ? (const uint8_t *)"" : s, empty_in_copy ? 1 : n + 1);
    w->off += n + 1;
    return 0;
}

enum u8kind { U8_PLAIN, U8_TON, U8_NPI, U8_IFACE };

static int lib_ton_ok(uint8_t v)
{
    return v <= TON_Abbreviated;
}

static int lib_npi_ok(uint8_t v)
{
    switch (v) {
    case NPI_Unknown: case NPI_ISDN_E163_E164: case NPI_Data_X121: case NPI_Telex_F69:
    case NPI_Land_Mobile_E212: case NPI_National: case NPI_Private: case NPI_ERMES:
    case NPI_Internet_IP: case NPI_WAP_Client_Id:
        return 1;
    default:
        return 0;
    }
}

static int get_u8(struct walk *w, uint8_t *dst, enum u8kind kind)
{
    if (w->off >= w->len)
        return fail(w, ESME_RINVCMDLEN, "PDU ends inside the mandatory fields");
    uint8_t v = w->buf[w->off++];
    uint8_t c = v;
    *dst = v;
    if ((kind == U8_TON && !lib_ton_ok(v)) || (kind == U8_NPI && !lib_npi_ok(v)))
        c = 0;
    else if (kind == U8_IFACE)
        c = SMPP_VERSION;
    emit(w, &c, 1);
    return 0;
}

static int get_sm(struct walk *w)
{
    struct smpp_msg *m = w->m;
    int st = get_u8(w, &m->sm_length, U8_PLAIN);
    if (st)
        return st;
    if (m->sm_length > SMPP_SM_MAX)
        return fail(w, ESME_RINVMSGLEN, "sm_length above 254");
    if (m->sm_length > w->len - w->off)
        return fail(w, ESME_RINVMSGLEN, "short_message runs past the end of the PDU");
    memcpy(m->short_message, w->buf + w->off, m->sm_length);
    emit(w, w->buf + w->off, m->sm_length);
    w->off += m->sm_length;
    return 0;
}

/* Walk every TLV to the end of the PDU, keeping the ones we use. */
static int get_tlvs(struct walk *w)
{
    struct smpp_msg *m = w->m;
    while (w->off < w->len) {
        size_t room = w->len - w->off;
        if (room < 4)
            return fail(w, ESME_RINVOPTPARSTREAM, "TLV header cut short");
        const uint8_t *t = w->buf + w->off;
        uint16_t tag = rd16(t), tlen = rd16(t + 2);
        const uint8_t *v = t + 4;
        if (tlen > room - 4)
            return fail(w, ESME_RINVOPTPARSTREAM, "TLV length runs past the end of the PDU");
        switch (tag) {
        case SMPP_TLV_USSD_SERVICE_OP:
            /* Some centres send more than one octet; the first one is the operation. */
            if (tlen < 1)
                return fail(w, ESME_RINVPARLEN, "ussd_service_op is empty");
            m->has_ussd_service_op = 1;
            m->ussd_service_op = v[0];
            break;
        case SMPP_TLV_ITS_SESSION_INFO:
            if (tlen != 2)
                return fail(w, ESME_RINVPARLEN, "its_session_info length is not 2");
            m->has_its_session_info = 1;
            m->its_session_info = rd16(v);
            break;
        case SMPP_TLV_USER_MESSAGE_REFERENCE:
            if (tlen != 2)
                return fail(w, ESME_RINVPARLEN, "user_message_reference length is not 2");
            m->has_user_message_reference = 1;
            m->user_message_reference = rd16(v);
            break;
        case SMPP_TLV_MESSAGE_STATE:
            if (tlen != 1)
                return fail(w, ESME_RINVPARLEN, "message_state length is not 1");
            m->has_message_state = 1;
            m->message_state = v[0];
            break;
        case SMPP_TLV_RECEIPTED_MESSAGE_ID: {
            if (tlen > sizeof(m->receipted_message_id))
                return fail(w, ESME_RINVPARLEN, "receipted_message_id longer than 65 octets");
            /* A C-string by the spec; some centres leave out the NUL. */
            const uint8_t *z = memchr(v, 0, tlen);
            size_t n = z ? (size_t)(z - v) : tlen;
            if (n > sizeof(m->receipted_message_id) - 1)
                n = sizeof(m->receipted_message_id) - 1;
            memcpy(m->receipted_message_id, v, n);
            m->receipted_message_id[n] = 0;
            m->has_receipted_message_id = 1;
            break;
        }
        case SMPP_TLV_MESSAGE_PAYLOAD: {
            size_t n = tlen > SMPP_PAYLOAD_MAX ? SMPP_PAYLOAD_MAX : tlen;
            memcpy(m->message_payload, v, n);
            m->message_payload_len = (uint16_t)n;
            m->message_payload_truncated = tlen > SMPP_PAYLOAD_MAX;
            m->has_message_payload = 1;
            break;
        }
        default:
            break; /* skipped, whatever it is */
        }
        w->off += 4 + (size_t)tlen;
    }
    return 0;
}

/* Canonical TLVs for the copy, from the values found. */
static void emit_tlvs(struct walk *w)
{
    const struct smpp_msg *m = w->m;
    uint8_t t[4 + SMPP_PAYLOAD_MAX];
    if (m->has_ussd_service_op) {
        wr16(t, SMPP_TLV_USSD_SERVICE_OP), wr16(t + 2, 1), t[4] = m->ussd_service_op;
        emit(w, t, 5);
    }
    if (m->has_its_session_info) {
        wr16(t, SMPP_TLV_ITS_SESSION_INFO), wr16(t + 2, 2), wr16(t + 4, m->its_session_info);
        emit(w, t, 6);
    }
    if (m->has_user_message_reference) {
        wr16(t, SMPP_TLV_USER_MESSAGE_REFERENCE), wr16(t + 2, 2), wr16(t + 4, m->user_message_reference);
        emit(w, t, 6);
    }
    if (m->has_message_state) {
        wr16(t, SMPP_TLV_MESSAGE_STATE), wr16(t + 2, 1), t[4] = m->message_state;
        emit(w, t, 5);
    }
    if (m->has_receipted_message_id) {
        size_t n = strlen(m->receipted_message_id) + 1;
        wr16(t, SMPP_TLV_RECEIPTED_MESSAGE_ID), wr16(t + 2, (uint16_t)n);
        memcpy(t + 4, m->receipted_message_id, n);
        emit(w, t, 4 + n);
    }
    if (m->has_message_payload) {
        wr16(t, SMPP_TLV_MESSAGE_PAYLOAD), wr16(t + 2, m->message_payload_len);
        memcpy(t + 4, m->message_payload, m->message_payload_len);
        emit(w, t, 4 + (size_t)m->message_payload_len);
    }
}

/* What the decoder does with a command after the walk. */
enum plan { PLAN_OURS, PLAN_LIB, PLAN_LIB_TLVS };

#define TRY(x) do { int st_ = (x); if (st_) return st_; } while (0)

static int walk_sm(struct walk *w, int deliver)
{
    struct smpp_msg *m = w->m;
    char scratch[17];
    TRY(get_cstr(w, &F_service_type, m->service_type, 0));
    TRY(get_u8(w, &m->source_addr_ton, U8_TON));
    TRY(get_u8(w, &m->source_addr_npi, U8_NPI));
    TRY(get_cstr(w, &F_source_addr, m->source_addr, 0));
    TRY(get_u8(w, &m->dest_addr_ton, U8_TON));
    TRY(get_u8(w, &m->dest_addr_npi, U8_NPI));
    TRY(get_cstr(w, &F_destination_addr, m->destination_addr, 0));
    TRY(get_u8(w, &m->esm_class, U8_PLAIN));
    TRY(get_u8(w, &m->protocol_id, U8_PLAIN));
    TRY(get_u8(w, &m->priority_flag, U8_PLAIN));
    /* deliver_sm: the spec (and the library) want these empty; we accept and drop them. */
    TRY(get_cstr(w, &F_schedule_delivery_time, scratch, deliver));
    TRY(get_cstr(w, &F_validity_period, scratch, deliver));
    TRY(get_u8(w, &m->registered_delivery, U8_PLAIN));
    uint8_t unused;
    TRY(get_u8(w, &unused, U8_PLAIN)); /* replace_if_present_flag */
    TRY(get_u8(w, &m->data_coding, U8_PLAIN));
    TRY(get_u8(w, &unused, U8_PLAIN)); /* sm_default_msg_id */
    TRY(get_sm(w));
    return get_tlvs(w);
}

static int walk_body(struct walk *w, uint32_t cmd, uint32_t status, enum plan *plan)
{
    struct smpp_msg *m = w->m;
    int empty = w->len == SMPP_HEADER_LEN;
    *plan = PLAN_OURS;
    switch (cmd) {
    case SMPP_CMD_GENERIC_NACK:
    case SMPP_CMD_ENQUIRE_LINK:
    case SMPP_CMD_ENQUIRE_LINK_RESP:
    case SMPP_CMD_UNBIND:
    case SMPP_CMD_UNBIND_RESP:
        return 0; /* header only; a body, if any, is ignored */
    case SMPP_CMD_BIND_TRANSCEIVER:
    case SMPP_CMD_BIND_TRANSMITTER:
    case SMPP_CMD_BIND_RECEIVER:
        TRY(get_cstr(w, &F_system_id, m->system_id, 0));
        TRY(get_cstr(w, &F_password, m->password, 0));
        TRY(get_cstr(w, &F_system_type, m->system_type, 0));
        TRY(get_u8(w, &m->interface_version, U8_IFACE));
        TRY(get_u8(w, &m->addr_ton, U8_TON));
        TRY(get_u8(w, &m->addr_npi, U8_NPI));
        TRY(get_cstr(w, &F_address_range, m->address_range, 0));
        TRY(get_tlvs(w));
        *plan = PLAN_LIB;
        return 0;
    case SMPP_CMD_BIND_TRANSCEIVER_RESP:
    case SMPP_CMD_BIND_TRANSMITTER_RESP:
    case SMPP_CMD_BIND_RECEIVER_RESP:
        if (empty)
            return 0;
        TRY(get_cstr(w, &F_system_id, m->system_id, 0));
        TRY(get_tlvs(w));
        *plan = status ? PLAN_OURS : PLAN_LIB_TLVS;
        return 0;
    case SMPP_CMD_SUBMIT_SM:
        TRY(walk_sm(w, 0));
        *plan = PLAN_LIB_TLVS;
        return 0;
    case SMPP_CMD_DELIVER_SM:
        TRY(walk_sm(w, 1));
        *plan = PLAN_LIB_TLVS;
        return 0;
    case SMPP_CMD_DATA_SM:
        TRY(get_cstr(w, &F_service_type, m->service_type, 0));
        TRY(get_u8(w, &m->source_addr_ton, U8_TON));
        TRY(get_u8(w, &m->source_addr_npi, U8_NPI));
        TRY(get_cstr(w, &F_source_addr, m->source_addr, 0));
        TRY(get_u8(w, &m->dest_addr_ton, U8_TON));
        TRY(get_u8(w, &m->dest_addr_npi, U8_NPI));
        TRY(get_cstr(w, &F_data_destination_addr, m->destination_addr, 0));
        TRY(get_u8(w, &m->esm_class, U8_PLAIN));
        TRY(get_u8(w, &m->registered_delivery, U8_PLAIN));
        TRY(get_u8(w, &m->data_coding, U8_PLAIN));
        TRY(get_tlvs(w));
        *plan = PLAN_LIB_TLVS;
        return 0;
    case SMPP_CMD_SUBMIT_SM_RESP:
    case SMPP_CMD_DELIVER_SM_RESP:
    case SMPP_CMD_DATA_SM_RESP:
        if (empty)
            return 0;
        TRY(get_cstr(w, &F_message_id, m->message_id, cmd == SMPP_CMD_DELIVER_SM_RESP));
        TRY(get_tlvs(w));
        /* The library's *_sm_resp frames carry no TLVs: only our walk sees them
         * (data_sm_resp may have some; SMPP 5.0 peers add them to submit_sm_resp). */
        *plan = status ? PLAN_OURS : PLAN_LIB;
        return 0;
    default:
        return fail(w, ESME_RINVCMDID, "unknown command");
    }
}

static int walk_pdu(struct walk *w, struct smpp_check *c, enum plan *plan)
{
    memset(c, 0, sizeof(*c));
    *plan = PLAN_OURS;
    w->reason = "ok";
    if (!w->buf || w->len < SMPP_HEADER_LEN) {
        c->reason = "shorter than the 16-octet header";
        return ESME_RINVCMDLEN;
    }
    c->header_ok = 1;
    c->command_length = rd32(w->buf);
    c->command_id = rd32(w->buf + 4);
    c->command_status = rd32(w->buf + 8);
    c->sequence = rd32(w->buf + 12);
    w->m->command_id = c->command_id;
    w->m->command_status = c->command_status;
    w->m->sequence = c->sequence;
    if (c->command_length < SMPP_HEADER_LEN || c->command_length > SMPP_PDU_MAX) {
        c->reason = "command_length outside 16..65536";
        return ESME_RINVCMDLEN;
    }
    if (c->command_length != w->len) {
        c->reason = "command_length does not match the PDU size";
        return ESME_RINVCMDLEN;
    }
    uint8_t hdr[SMPP_HEADER_LEN] = {0};
    emit(w, hdr, sizeof(hdr)); /* filled in by the decoder */
    w->off = SMPP_HEADER_LEN;
    int st = walk_body(w, c->command_id, c->command_status, plan);
    c->reason = w->reason;
    return st;
}

int smpp_pdu_check(const uint8_t *buf, size_t len, struct smpp_check *out)
{
    /* Not cleared: the walk reads only fields it wrote first (what it found), and the
     * result is thrown away. */
    struct smpp_msg scratch;
    struct smpp_check c;
    enum plan plan;
    struct walk w = {.buf = buf, .len = len, .m = &scratch};
    int st = walk_pdu(&w, &c, &plan);
    if (out)
        *out = c;
    return st;
}

/* ---- decoding with libsmpp34 ---- */

union lib_pdu {
    bind_transceiver_t bind;
    bind_transceiver_resp_t bind_resp;
    submit_sm_t submit;
    submit_sm_resp_t submit_resp;
    deliver_sm_t deliver;
    deliver_sm_resp_t deliver_resp;
    data_sm_t data;
    data_sm_resp_t data_resp;
};

static int same_str(const char *ours, const uint8_t *lib, size_t libsize)
{
    return memchr(lib, 0, libsize) && strcmp(ours, (const char *)lib) == 0;
}

#define AGREE(cond, what) \
    do { if (!(cond)) { seterr(err, errlen, "libsmpp34 disagrees on %s", what); goto out; } } while (0)

static int lib_unpack(const uint8_t *copy, size_t olen, const struct smpp_msg *m, char *err, size_t errlen)
{
    /* bind_transmitter/receiver (and their resps) share the transceiver layout. */
    union lib_pdu u;
    tlv_t **tlvs = NULL;
    int st = ESME_RSYSERR;
    memset(&u, 0, sizeof(u));
    int r = smpp34_unpack(m->command_id, &u, copy, (int)olen);
    switch (m->command_id) {
    case SMPP_CMD_BIND_TRANSCEIVER:
    case SMPP_CMD_BIND_TRANSMITTER:
    case SMPP_CMD_BIND_RECEIVER:
        if (r)
            break;
        AGREE(same_str(m->system_id, u.bind.system_id, sizeof(u.bind.system_id)), "system_id");
        AGREE(same_str(m->password, u.bind.password, sizeof(u.bind.password)), "password");
        AGREE(same_str(m->system_type, u.bind.system_type, sizeof(u.bind.system_type)), "system_type");
        AGREE(same_str(m->address_range, u.bind.address_range, sizeof(u.bind.address_range)), "address_range");
        break;
    case SMPP_CMD_BIND_TRANSCEIVER_RESP:
    case SMPP_CMD_BIND_TRANSMITTER_RESP:
    case SMPP_CMD_BIND_RECEIVER_RESP:
        tlvs = &u.bind_resp.tlv;
        if (r)
            break;
        AGREE(same_str(m->system_id, u.bind_resp.system_id, sizeof(u.bind_resp.system_id)), "system_id");
        break;
    case SMPP_CMD_SUBMIT_SM:
    case SMPP_CMD_DELIVER_SM: {
        /* Same layout up to the TLVs (deliver_sm's time fields are 1 octet). */
        int sub = m->command_id == SMPP_CMD_SUBMIT_SM;
        tlvs = sub ? &u.submit.tlv : &u.deliver.tlv;
        if (r)
            break;
#define SMF(f) (sub ? u.submit.f : u.deliver.f)
        AGREE(same_str(m->service_type, SMF(service_type), sizeof(u.submit.service_type)), "service_type");
        AGREE(same_str(m->source_addr, SMF(source_addr), sizeof(u.submit.source_addr)), "source_addr");
        AGREE(same_str(m->destination_addr, SMF(destination_addr), sizeof(u.submit.destination_addr)),
              "destination_addr");
        AGREE(m->esm_class == SMF(esm_class) && m->protocol_id == SMF(protocol_id) &&
                  m->priority_flag == SMF(priority_flag) && m->registered_delivery == SMF(registered_delivery) &&
                  m->data_coding == SMF(data_coding),
              "the octet fields");
        AGREE(m->sm_length == SMF(sm_length) && memcmp(m->short_message, SMF(short_message), m->sm_length) == 0,
              "short_message");
#undef SMF
        break;
    }
    case SMPP_CMD_DATA_SM:
        tlvs = &u.data.tlv;
        if (r)
            break;
        AGREE(same_str(m->service_type, u.data.service_type, sizeof(u.data.service_type)), "service_type");
        AGREE(same_str(m->source_addr, u.data.source_addr, sizeof(u.data.source_addr)), "source_addr");
        AGREE(same_str(m->destination_addr, u.data.destination_addr, sizeof(u.data.destination_addr)),
              "destination_addr");
        AGREE(m->esm_class == u.data.esm_class && m->registered_delivery == u.data.registered_delivery &&
                  m->data_coding == u.data.data_coding,
              "the octet fields");
        break;
    case SMPP_CMD_SUBMIT_SM_RESP:
        if (r)
            break;
        AGREE(same_str(m->message_id, u.submit_resp.message_id, sizeof(u.submit_resp.message_id)), "message_id");
        break;
    case SMPP_CMD_DELIVER_SM_RESP:
        break;
    case SMPP_CMD_DATA_SM_RESP:
        if (r)
            break;
        AGREE(same_str(m->message_id, u.data_resp.message_id, sizeof(u.data_resp.message_id)), "message_id");
        break;
    default:
        seterr(err, errlen, "no libsmpp34 decoder for %s", smpp_command_name(m->command_id));
        goto out;
    }
    if (r) {
        seterr(err, errlen, "libsmpp34 rejected %s: %.100s", smpp_command_name(m->command_id), lib_reason());
        goto out;
    }
    st = 0;
out:
    if (tlvs) {
        destroy_tlv(*tlvs);
        *tlvs = NULL;
    }
    return st;
}

/* ---- fast path: the PDUs of a USSD step, without libsmpp34 ----
 *
 * submit_sm, deliver_sm, submit_sm_resp and deliver_sm_resp. Decoding: the walk above
 * already bounds and reads every field into struct smpp_msg; libsmpp34's unpack of the
 * sanitized copy only re-parsed it to agree, so here the walk's result is final and no
 * copy is built. Encoding: fast_pack below writes the octets smpp34_pack writes, after
 * the same checks as lib_pack. The reference path (smpp_pdu_decode_ref,
 * smpp_pdu_encode_ref) still runs libsmpp34 for these four; tests/fuzz/fuzz_pdu.c and
 * tests/unit/test_smpp_pdu.c compare both paths (status, decoded message, encoded
 * octets). Every other PDU takes the libsmpp34 path in both.
 */
static int fast_cmd(uint32_t cmd)
{
    return cmd == SMPP_CMD_SUBMIT_SM || cmd == SMPP_CMD_DELIVER_SM || cmd == SMPP_CMD_SUBMIT_SM_RESP ||
           cmd == SMPP_CMD_DELIVER_SM_RESP;
}

static int decode_impl(const uint8_t *buf, size_t len, struct smpp_msg *out, char *err, size_t errlen, int ref)
{
    uint8_t copy[COPY_CAP];
    struct smpp_check c;
    enum plan plan;
    set_ok(err, errlen);
    memset(out, 0, sizeof(*out));
    int fast = !ref && buf && len >= SMPP_HEADER_LEN && fast_cmd(rd32(buf + 4));
    struct walk w = {.buf = buf, .len = len, .m = out, .out = fast ? NULL : copy};
    int st = walk_pdu(&w, &c, &plan);
    if (st) {
        seterr(err, errlen, "%s", c.reason);
        return st;
    }
    if (plan == PLAN_OURS || fast)
        return 0;
    if (plan == PLAN_LIB_TLVS)
        emit_tlvs(&w);
    if (w.overflow) {
        seterr(err, errlen, "internal: sanitized copy too large");
        return ESME_RSYSERR;
    }
    wr32(copy, (uint32_t)w.olen);
    wr32(copy + 4, c.command_id);
    wr32(copy + 8, 0);
    wr32(copy + 12, 1);
    return lib_unpack(copy, w.olen, out, err, errlen);
}

int smpp_pdu_decode(const uint8_t *buf, size_t len, struct smpp_msg *out, char *err, size_t errlen)
{
    return decode_impl(buf, len, out, err, errlen, 0);
}

int smpp_pdu_decode_ref(const uint8_t *buf, size_t len, struct smpp_msg *out, char *err, size_t errlen)
{
    return decode_impl(buf, len, out, err, errlen, 1);
}

/* ---- encoding ---- */

static int cstr_fits(const char *s, size_t size)
{
    return memchr(s, 0, size) != NULL;
}

#define NEED(cond, ...) do { if (!(cond)) { seterr(err, errlen, __VA_ARGS__); return -1; } } while (0)

static int add_tlv(tlv_t **list, uint16_t tag, uint16_t len, const void *octets, uint16_t v16, int kind16)
{
    tlv_t t;
    memset(&t, 0, sizeof(t));
    t.tag = tag;
    t.length = len;
    if (kind16)
        t.value.val16 = v16;
    else if (len)
        memcpy(t.value.octet, octets, len);
    return build_tlv(list, &t);
}

/* TLVs of submit_sm / deliver_sm / data_sm. Built in reverse: build_tlv prepends. */
static int build_tlvs(const struct smpp_msg *m, tlv_t **list)
{
    int r = 0;
    if (m->has_message_payload)
        r |= add_tlv(list, SMPP_TLV_MESSAGE_PAYLOAD, m->message_payload_len, m->message_payload, 0, 0);
    if (m->has_message_state)
        r |= add_tlv(list, SMPP_TLV_MESSAGE_STATE, 1, &m->message_state, 0, 0);
    if (m->has_receipted_message_id)
        r |= add_tlv(list, SMPP_TLV_RECEIPTED_MESSAGE_ID, (uint16_t)(strlen(m->receipted_message_id) + 1),
                     m->receipted_message_id, 0, 0);
    if (m->has_user_message_reference)
        r |= add_tlv(list, SMPP_TLV_USER_MESSAGE_REFERENCE, 2, NULL, m->user_message_reference, 1);
    if (m->has_its_session_info)
        r |= add_tlv(list, SMPP_TLV_ITS_SESSION_INFO, 2, NULL, m->its_session_info, 1);
    if (m->has_ussd_service_op)
        r |= add_tlv(list, SMPP_TLV_USSD_SERVICE_OP, 1, &m->ussd_service_op, 0, 0);
    return r ? -1 : 0;
}

static int check_sm_fields(const struct smpp_msg *m, int data, char *err, size_t errlen)
{
    NEED(cstr_fits(m->service_type, sizeof(m->service_type)), "service_type longer than 5");
    NEED(cstr_fits(m->source_addr, sizeof(m->source_addr)), "source_addr longer than 20");
    NEED(cstr_fits(m->destination_addr, data ? 65 : 21), "destination_addr longer than %d", data ? 64 : 20);
    NEED(lib_ton_ok(m->source_addr_ton) && lib_ton_ok(m->dest_addr_ton), "TON value not encodable");
    NEED(lib_npi_ok(m->source_addr_npi) && lib_npi_ok(m->dest_addr_npi), "NPI value not encodable");
    NEED(!data || !m->sm_length, "data_sm has no short_message (use message_payload)");
    NEED(m->sm_length <= SMPP_SM_ENCODE_MAX, "short_message longer than %d octets", SMPP_SM_ENCODE_MAX);
    NEED(m->message_payload_len <= SMPP_PAYLOAD_MAX, "message_payload longer than %d", SMPP_PAYLOAD_MAX);
    NEED(!m->has_receipted_message_id || cstr_fits(m->receipted_message_id, sizeof(m->receipted_message_id)),
         "receipted_message_id longer than 64");
    return 0;
}

static void copy_str(uint8_t *dst, const char *src, size_t n)
{
    size_t l = strnlen(src, n - 1);
    memcpy(dst, src, l);
    dst[l] = 0;
}

static int lib_pack(const struct smpp_msg *m, uint8_t *tmp, size_t tmpcap, size_t *plen, char *err, size_t errlen)
{
    union lib_pdu u;
    tlv_t **tlvs = NULL;
    int len = 0;
    memset(&u, 0, sizeof(u));
    /* The header goes in with status 0 and sequence 1 (the library rejects others); the
     * real ones are patched in afterwards, so a response may echo any sequence (even 0). */
    u.bind.command_id = m->command_id;
    u.bind.command_status = 0;
    u.bind.sequence_number = 1;
    switch (m->command_id) {
    case SMPP_CMD_BIND_TRANSCEIVER:
        NEED(cstr_fits(m->system_id, sizeof(m->system_id)), "system_id longer than 15");
        NEED(cstr_fits(m->password, sizeof(m->password)), "password longer than 8");
        NEED(cstr_fits(m->system_type, sizeof(m->system_type)), "system_type longer than 12");
        NEED(cstr_fits(m->address_range, sizeof(m->address_range)), "address_range longer than 40");
        NEED(!m->interface_version || m->interface_version == SMPP_VERSION, "interface_version must be 0x34");
        NEED(lib_ton_ok(m->addr_ton) && lib_npi_ok(m->addr_npi), "TON/NPI value not encodable");
        copy_str(u.bind.system_id, m->system_id, sizeof(u.bind.system_id));
        copy_str(u.bind.password, m->password, sizeof(u.bind.password));
        copy_str(u.bind.system_type, m->system_type, sizeof(u.bind.system_type));
        u.bind.interface_version = SMPP_VERSION;
        u.bind.addr_ton = m->addr_ton;
        u.bind.addr_npi = m->addr_npi;
        copy_str(u.bind.address_range, m->address_range, sizeof(u.bind.address_range));
        break;
    case SMPP_CMD_BIND_TRANSCEIVER_RESP:
        NEED(cstr_fits(m->system_id, sizeof(m->system_id)), "system_id longer than 15");
        copy_str(u.bind_resp.system_id, m->system_id, sizeof(u.bind_resp.system_id));
        break;
    case SMPP_CMD_SUBMIT_SM:
    case SMPP_CMD_DELIVER_SM: {
        if (check_sm_fields(m, 0, err, errlen))
            return -1;
        int sub = m->command_id == SMPP_CMD_SUBMIT_SM;
#define SMF(f) (*(sub ? &u.submit.f : &u.deliver.f))
        copy_str(SMF(service_type), m->service_type, sizeof(u.submit.service_type));
        SMF(source_addr_ton) = m->source_addr_ton;
        SMF(source_addr_npi) = m->source_addr_npi;
        copy_str(SMF(source_addr), m->source_addr, sizeof(u.submit.source_addr));
        SMF(dest_addr_ton) = m->dest_addr_ton;
        SMF(dest_addr_npi) = m->dest_addr_npi;
        copy_str(SMF(destination_addr), m->destination_addr, sizeof(u.submit.destination_addr));
        SMF(esm_class) = m->esm_class;
        SMF(protocol_id) = m->protocol_id;
        SMF(priority_flag) = m->priority_flag;
        SMF(registered_delivery) = m->registered_delivery;
        SMF(data_coding) = m->data_coding;
        SMF(sm_length) = m->sm_length;
        memcpy(SMF(short_message), m->short_message, m->sm_length);
#undef SMF
        tlvs = sub ? &u.submit.tlv : &u.deliver.tlv;
        break;
    }
    case SMPP_CMD_DATA_SM:
        if (check_sm_fields(m, 1, err, errlen))
            return -1;
        copy_str(u.data.service_type, m->service_type, sizeof(u.data.service_type));
        u.data.source_addr_ton = m->source_addr_ton;
        u.data.source_addr_npi = m->source_addr_npi;
        copy_str(u.data.source_addr, m->source_addr, sizeof(u.data.source_addr));
        u.data.dest_addr_ton = m->dest_addr_ton;
        u.data.dest_addr_npi = m->dest_addr_npi;
        copy_str(u.data.destination_addr, m->destination_addr, sizeof(u.data.destination_addr));
        u.data.esm_class = m->esm_class;
        u.data.registered_delivery = m->registered_delivery;
        u.data.data_coding = m->data_coding;
        tlvs = &u.data.tlv;
        break;
    case SMPP_CMD_SUBMIT_SM_RESP:
        NEED(cstr_fits(m->message_id, sizeof(m->message_id)), "message_id longer than 64");
        copy_str(u.submit_resp.message_id, m->message_id, sizeof(u.submit_resp.message_id));
        break;
    case SMPP_CMD_DATA_SM_RESP:
        NEED(cstr_fits(m->message_id, sizeof(m->message_id)), "message_id longer than 64");
        copy_str(u.data_resp.message_id, m->message_id, sizeof(u.data_resp.message_id));
        break;
    default:
        NEED(0, "cannot encode %s", smpp_command_name(m->command_id));
    }
    int r = 0;
    if (tlvs)
        r = build_tlvs(m, tlvs);
    if (!r)
        r = smpp34_pack(m->command_id, tmp, (int)tmpcap, &len, &u);
    if (tlvs) {
        destroy_tlv(*tlvs);
        *tlvs = NULL;
    }
    NEED(r == 0 && len >= SMPP_HEADER_LEN, "libsmpp34 could not encode %s: %.100s", smpp_command_name(m->command_id),
         lib_reason());
    *plen = (size_t)len;
    return 0;
}

/* Fast path (see above): submit_sm / deliver_sm / submit_sm_resp (status 0) as
 * smpp34_pack writes them via lib_pack: header with status 0 and sequence 1 (patched by
 * the caller), C-strings with their NUL, deliver_sm's and our submit_sm's empty
 * schedule_delivery_time and validity_period, replace_if_present_flag and
 * sm_default_msg_id 0, then the TLVs in build_tlvs's list order (it prepends):
 * ussd_service_op, its_session_info, user_message_reference, receipted_message_id,
 * message_state, message_payload. tmp holds COPY_CAP + 64 octets; the largest result
 * is 16 + 315 + 1119 octets. */
static size_t put_cstr(uint8_t *p, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(p, s, n);
    return n;
}

static size_t put_tlv(uint8_t *p, uint16_t tag, const void *v, uint16_t len)
{
    wr16(p, tag);
    wr16(p + 2, len);
    if (len)
        memcpy(p + 4, v, len);
    return 4 + (size_t)len;
}

static int fast_pack(const struct smpp_msg *m, uint8_t *b, size_t *plen, char *err, size_t errlen)
{
    size_t n = SMPP_HEADER_LEN;
    if (m->command_id == SMPP_CMD_SUBMIT_SM_RESP) {
        NEED(cstr_fits(m->message_id, sizeof(m->message_id)), "message_id longer than 64");
        n += put_cstr(b + n, m->message_id);
    } else {
        if (check_sm_fields(m, 0, err, errlen))
            return -1;
        n += put_cstr(b + n, m->service_type);
        b[n++] = m->source_addr_ton;
        b[n++] = m->source_addr_npi;
        n += put_cstr(b + n, m->source_addr);
        b[n++] = m->dest_addr_ton;
        b[n++] = m->dest_addr_npi;
        n += put_cstr(b + n, m->destination_addr);
        b[n++] = m->esm_class;
        b[n++] = m->protocol_id;
        b[n++] = m->priority_flag;
        b[n++] = 0; /* schedule_delivery_time "" */
        b[n++] = 0; /* validity_period "" */
        b[n++] = m->registered_delivery;
        b[n++] = 0; /* replace_if_present_flag */
        b[n++] = m->data_coding;
        b[n++] = 0; /* sm_default_msg_id */
        b[n++] = m->sm_length;
        memcpy(b + n, m->short_message, m->sm_length);
        n += m->sm_length;
        uint8_t v[2];
        if (m->has_ussd_service_op)
            n += put_tlv(b + n, SMPP_TLV_USSD_SERVICE_OP, &m->ussd_service_op, 1);
        if (m->has_its_session_info) {
            wr16(v, m->its_session_info);
            n += put_tlv(b + n, SMPP_TLV_ITS_SESSION_INFO, v, 2);
        }
        if (m->has_user_message_reference) {
            wr16(v, m->user_message_reference);
            n += put_tlv(b + n, SMPP_TLV_USER_MESSAGE_REFERENCE, v, 2);
        }
        if (m->has_receipted_message_id)
            n += put_tlv(b + n, SMPP_TLV_RECEIPTED_MESSAGE_ID, m->receipted_message_id,
                         (uint16_t)(strlen(m->receipted_message_id) + 1));
        if (m->has_message_state)
            n += put_tlv(b + n, SMPP_TLV_MESSAGE_STATE, &m->message_state, 1);
        if (m->has_message_payload)
            n += put_tlv(b + n, SMPP_TLV_MESSAGE_PAYLOAD, m->message_payload, m->message_payload_len);
    }
    wr32(b, (uint32_t)n);
    wr32(b + 4, m->command_id);
    wr32(b + 8, 0);
    wr32(b + 12, 1);
    *plen = n;
    return 0;
}

static size_t put_header(uint8_t *b, uint32_t len, const struct smpp_msg *m)
{
    wr32(b, len);
    wr32(b + 4, m->command_id);
    wr32(b + 8, m->command_status);
    wr32(b + 12, m->sequence);
    return SMPP_HEADER_LEN;
}

static int encode_impl(const struct smpp_msg *m, uint8_t *buf, size_t cap, size_t *outlen, char *err,
                       size_t errlen, int ref)
{
    uint8_t tmp[COPY_CAP + 64];
    size_t len = 0;
    uint32_t cmd = m->command_id;
    int resp = (cmd & SMPP_CMD_RESP_BIT) != 0;
    set_ok(err, errlen);
    NEED(resp || (m->sequence >= 1 && m->sequence <= 0x7FFFFFFFu), "sequence %u outside 1..0x7FFFFFFF",
         (unsigned)m->sequence);
    switch (cmd) {
    case SMPP_CMD_GENERIC_NACK:
    case SMPP_CMD_ENQUIRE_LINK:
    case SMPP_CMD_ENQUIRE_LINK_RESP:
    case SMPP_CMD_UNBIND:
    case SMPP_CMD_UNBIND_RESP:
        len = put_header(tmp, SMPP_HEADER_LEN, m);
        break;
    case SMPP_CMD_BIND_TRANSCEIVER_RESP:
    case SMPP_CMD_SUBMIT_SM_RESP:
    case SMPP_CMD_DELIVER_SM_RESP:
    case SMPP_CMD_DATA_SM_RESP:
        if (m->command_status || cmd == SMPP_CMD_DELIVER_SM_RESP) {
            /* Error responses carry no body (SMPP 3.4 4.4.2), except that a bind_resp
             * still names the SMSC and deliver_sm_resp always has its empty message_id. */
            const char *body = "";
            size_t blen = 0;
            if (cmd == SMPP_CMD_BIND_TRANSCEIVER_RESP) {
                NEED(cstr_fits(m->system_id, sizeof(m->system_id)), "system_id longer than 15");
                body = m->system_id;
                blen = strlen(body) + 1;
            } else if (cmd == SMPP_CMD_DELIVER_SM_RESP) {
                blen = 1;
            }
            len = put_header(tmp, (uint32_t)(SMPP_HEADER_LEN + blen), m);
            memcpy(tmp + len, body, blen);
            len += blen;
            break;
        }
        /* fall through */
    default:
        if (!ref && fast_cmd(cmd) ? fast_pack(m, tmp, &len, err, errlen)
                                  : lib_pack(m, tmp, sizeof(tmp), &len, err, errlen))
            return -1;
        wr32(tmp + 8, m->command_status);
        wr32(tmp + 12, m->sequence);
        break;
    }
    NEED(len <= cap, "buffer too small: %zu octets needed", len);
    memcpy(buf, tmp, len);
    if (outlen)
        *outlen = len;
    return 0;
}

int smpp_pdu_encode(const struct smpp_msg *m, uint8_t *buf, size_t cap, size_t *outlen, char *err, size_t errlen)
{
    return encode_impl(m, buf, cap, outlen, err, errlen, 0);
}

int smpp_pdu_encode_ref(const struct smpp_msg *m, uint8_t *buf, size_t cap, size_t *outlen, char *err,
                        size_t errlen)
{
    return encode_impl(m, buf, cap, outlen, err, errlen, 1);
}

/* ---- names and descriptions ---- */

const char *smpp_command_name(uint32_t id)
{
    switch (id) {
    case SMPP_CMD_GENERIC_NACK: return "generic_nack";
    case SMPP_CMD_BIND_RECEIVER: return "bind_receiver";
    case SMPP_CMD_BIND_RECEIVER_RESP: return "bind_receiver_resp";
    case SMPP_CMD_BIND_TRANSMITTER: return "bind_transmitter";
    case SMPP_CMD_BIND_TRANSMITTER_RESP: return "bind_transmitter_resp";
    case QUERY_SM: return "query_sm";
    case QUERY_SM_RESP: return "query_sm_resp";
    case SMPP_CMD_SUBMIT_SM: return "submit_sm";
    case SMPP_CMD_SUBMIT_SM_RESP: return "submit_sm_resp";
    case SMPP_CMD_DELIVER_SM: return "deliver_sm";
    case SMPP_CMD_DELIVER_SM_RESP: return "deliver_sm_resp";
    case SMPP_CMD_UNBIND: return "unbind";
    case SMPP_CMD_UNBIND_RESP: return "unbind_resp";
    case REPLACE_SM: return "replace_sm";
    case REPLACE_SM_RESP: return "replace_sm_resp";
    case CANCEL_SM: return "cancel_sm";
    case CANCEL_SM_RESP: return "cancel_sm_resp";
    case SMPP_CMD_BIND_TRANSCEIVER: return "bind_transceiver";
    case SMPP_CMD_BIND_TRANSCEIVER_RESP: return "bind_transceiver_resp";
    case OUTBIND: return "outbind";
    case SMPP_CMD_ENQUIRE_LINK: return "enquire_link";
    case SMPP_CMD_ENQUIRE_LINK_RESP: return "enquire_link_resp";
    case SUBMIT_MULTI: return "submit_multi";
    case SUBMIT_MULTI_RESP: return "submit_multi_resp";
    case ALERT_NOTIFICATION: return "alert_notification";
    case SMPP_CMD_DATA_SM: return "data_sm";
    case SMPP_CMD_DATA_SM_RESP: return "data_sm_resp";
    default: return "unknown";
    }
}

const char *smpp_status_name(uint32_t s)
{
    switch (s) {
#define N(x) case x: return #x;
    N(ESME_ROK) N(ESME_RINVMSGLEN) N(ESME_RINVCMDLEN) N(ESME_RINVCMDID) N(ESME_RINVBNDSTS)
    N(ESME_RALYBND) N(ESME_RINVPRTFLG) N(ESME_RINVREGDLVFLG) N(ESME_RSYSERR) N(ESME_RINVSRCADR)
    N(ESME_RINVDSTADR) N(ESME_RINVMSGID) N(ESME_RBINDFAIL) N(ESME_RINVPASWD) N(ESME_RINVSYSID)
    N(ESME_RCANCELFAIL) N(ESME_RREPLACEFAIL) N(ESME_RMSGQFUL) N(ESME_RINVSERTYP)
    N(ESME_RINVNUMDESTS) N(ESME_RINVDLNAME) N(ESME_RINVDESTFLAG) N(ESME_RINVSUBREP)
    N(ESME_RINVESMCLASS) N(ESME_RCNTSUBDL) N(ESME_RSUBMITFAIL) N(ESME_RINVSRCTON)
    N(ESME_RINVSRCNPI) N(ESME_RINVDSTTON) N(ESME_RINVDSTNPI) N(ESME_RINVSYSTYP)
    N(ESME_RINVREPFLAG) N(ESME_RINVNUMMSGS) N(ESME_RTHROTTLED) N(ESME_RINVSCHED)
    N(ESME_RINVEXPIRY) N(ESME_RINVDFTMSGID) N(ESME_RX_T_APPN) N(ESME_RX_P_APPN)
    N(ESME_RX_R_APPN) N(ESME_RQUERYFAIL) N(ESME_RINVOPTPARSTREAM) N(ESME_ROPTPARNOTALLWD)
    N(ESME_RINVPARLEN) N(ESME_RMISSINGOPTPARAM) N(ESME_RINVOPTPARAMVAL)
    N(ESME_RDELIVERYFAILURE) N(ESME_RUNKNOWNERR)
#undef N
    case SMPP_LOCAL_TIMEOUT: return "local_timeout";
    case SMPP_LOCAL_LINK_DOWN: return "local_link_down";
    case SMPP_LOCAL_QUEUE_FULL: return "local_queue_full";
    case SMPP_LOCAL_ENCODE: return "local_encode_error";
    case SMPP_LOCAL_UNBINDING: return "local_unbinding";
    case SMPP_LOCAL_BAD_RESP: return "local_bad_response";
    default:
        if (s >= 0x400 && s <= 0x4FF)
            return "vendor_specific";
        return "unknown";
    }
}

size_t smpp_msg_describe(const struct smpp_msg *m, char *buf, size_t cap)
{
    size_t n = 0;
    if (!buf || !cap)
        return 0;
    buf[0] = 0;
#define ADD(...) do { if (n < cap) { int k_ = snprintf(buf + n, cap - n, __VA_ARGS__); \
    if (k_ > 0) n += (size_t)k_; } } while (0)
    ADD("cmd=%s seq=%u", smpp_command_name(m->command_id), (unsigned)m->sequence);
    if (m->command_status || (m->command_id & SMPP_CMD_RESP_BIT))
        ADD(" status=%s(0x%X)", smpp_status_name(m->command_status), (unsigned)m->command_status);
    switch (m->command_id) {
    case SMPP_CMD_BIND_TRANSCEIVER:
    case SMPP_CMD_BIND_TRANSMITTER:
    case SMPP_CMD_BIND_RECEIVER:
        ADD(" system_id=%.15s system_type=%.12s", m->system_id, m->system_type);
        break;
    case SMPP_CMD_BIND_TRANSCEIVER_RESP:
    case SMPP_CMD_BIND_TRANSMITTER_RESP:
    case SMPP_CMD_BIND_RECEIVER_RESP:
        ADD(" system_id=%.15s", m->system_id);
        break;
    case SMPP_CMD_SUBMIT_SM:
    case SMPP_CMD_DELIVER_SM:
    case SMPP_CMD_DATA_SM:
        ADD(" service_type=%.5s src=%.20s dst=%.64s esm=0x%X dcs=0x%X sm_len=%u", m->service_type, m->source_addr,
            m->destination_addr, (unsigned)m->esm_class, (unsigned)m->data_coding, (unsigned)m->sm_length);
        break;
    case SMPP_CMD_SUBMIT_SM_RESP:
    case SMPP_CMD_DATA_SM_RESP:
        ADD(" message_id=%.64s", m->message_id);
        break;
    default:
        break;
    }
    if (m->has_ussd_service_op)
        ADD(" ussd_op=%u", (unsigned)m->ussd_service_op);
    if (m->has_its_session_info)
        ADD(" its_session=%u its_seq=%u its_end=%u", SMPP_ITS_SESSION(m->its_session_info),
            SMPP_ITS_SEQ(m->its_session_info), SMPP_ITS_END(m->its_session_info));
    if (m->has_user_message_reference)
        ADD(" umr=%u", (unsigned)m->user_message_reference);
    if (m->has_receipted_message_id)
        ADD(" receipted_id=%.64s", m->receipted_message_id);
    if (m->has_message_state)
        ADD(" message_state=%u", (unsigned)m->message_state);
    if (m->has_message_payload)
        ADD(" payload_len=%u%s", (unsigned)m->message_payload_len, m->message_payload_truncated ? "+" : "");
#undef ADD
    return n < cap ? n : cap - 1;
}
