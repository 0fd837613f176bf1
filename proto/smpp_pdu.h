/*
 * smpp_pdu.h: SMPP 3.4 PDUs in our own types. The only module that touches libsmpp34.
 *
 * Bytes from a peer go through three steps, each usable on its own (the gateway's link
 * and the SMSC/phone simulator both use them):
 *   1. smpp_pdu_frame: is a complete PDU at the front of the buffer? (rejects absurd
 *      lengths before anything is allocated)
 *   2. smpp_pdu_check: our own structural check of one PDU (header, C-strings,
 *      sm_length, TLV stream). Returns the SMPP status to answer with.
 *   3. smpp_pdu_decode: only after the check passed; fills a struct smpp_msg.
 * smpp_pdu_encode goes the other way. Nothing here does I/O or keeps state between
 * calls; libsmpp34 is not reentrant, so keep all calls on one thread.
 */
#ifndef USSDGW_SMPP_PDU_H
#define USSDGW_SMPP_PDU_H

#include <stddef.h>
#include <stdint.h>

/* Sizes. A PDU is 16..SMPP_PDU_MAX octets including its 16-octet header. */
#define SMPP_HEADER_LEN 16
#define SMPP_PDU_MAX 65536
#define SMPP_SM_MAX 254           /* short_message octets we keep when decoding */
#define SMPP_SM_ENCODE_MAX 253    /* libsmpp34's pack rejects sm_length 254 */
#define SMPP_PAYLOAD_MAX 1024     /* message_payload octets kept; longer is flagged */

/* Command ids. */
#define SMPP_CMD_GENERIC_NACK 0x80000000u
#define SMPP_CMD_BIND_RECEIVER 0x00000001u
#define SMPP_CMD_BIND_RECEIVER_RESP 0x80000001u
#define SMPP_CMD_BIND_TRANSMITTER 0x00000002u
#define SMPP_CMD_BIND_TRANSMITTER_RESP 0x80000002u
#define SMPP_CMD_SUBMIT_SM 0x00000004u
#define SMPP_CMD_SUBMIT_SM_RESP 0x80000004u
#define SMPP_CMD_DELIVER_SM 0x00000005u
#define SMPP_CMD_DELIVER_SM_RESP 0x80000005u
#define SMPP_CMD_UNBIND 0x00000006u
#define SMPP_CMD_UNBIND_RESP 0x80000006u
#define SMPP_CMD_BIND_TRANSCEIVER 0x00000009u
#define SMPP_CMD_BIND_TRANSCEIVER_RESP 0x80000009u
#define SMPP_CMD_ENQUIRE_LINK 0x00000015u
#define SMPP_CMD_ENQUIRE_LINK_RESP 0x80000015u
#define SMPP_CMD_DATA_SM 0x00000103u
#define SMPP_CMD_DATA_SM_RESP 0x80000103u
#define SMPP_CMD_RESP_BIT 0x80000000u

/* Command status values we name or produce (SMPP 3.4 section 5.1.3). */
#define SMPP_ESME_ROK 0x00u
#define SMPP_ESME_RINVMSGLEN 0x01u
#define SMPP_ESME_RINVCMDLEN 0x02u
#define SMPP_ESME_RINVCMDID 0x03u
#define SMPP_ESME_RINVBNDSTS 0x04u
#define SMPP_ESME_RALYBND 0x05u
#define SMPP_ESME_RSYSERR 0x08u
#define SMPP_ESME_RINVSRCADR 0x0Au
#define SMPP_ESME_RINVDSTADR 0x0Bu
#define SMPP_ESME_RINVMSGID 0x0Cu
#define SMPP_ESME_RBINDFAIL 0x0Du
#define SMPP_ESME_RINVPASWD 0x0Eu
#define SMPP_ESME_RINVSYSID 0x0Fu
#define SMPP_ESME_RMSGQFUL 0x14u
#define SMPP_ESME_RINVSERTYP 0x15u
#define SMPP_ESME_RSUBMITFAIL 0x45u
#define SMPP_ESME_RINVSYSTYP 0x53u
#define SMPP_ESME_RTHROTTLED 0x58u
#define SMPP_ESME_RINVSCHED 0x61u
#define SMPP_ESME_RINVEXPIRY 0x62u
#define SMPP_ESME_RX_T_APPN 0x64u
#define SMPP_ESME_RINVOPTPARSTREAM 0xC0u /* SMPP 5.0: ESME_RINVTLVSTREAM */
#define SMPP_ESME_ROPTPARNOTALLWD 0xC1u
#define SMPP_ESME_RINVPARLEN 0xC2u       /* SMPP 5.0: ESME_RINVTLVLEN */
#define SMPP_ESME_RUNKNOWNERR 0xFFu

/* Local statuses: never on the wire; given to smpp_link callbacks for failures that
 * happened on our side. Outside every range SMPP assigns. */
#define SMPP_LOCAL_TIMEOUT 0xFFFF0001u    /* no response within the response timeout */
#define SMPP_LOCAL_LINK_DOWN 0xFFFF0002u  /* connection lost / link freed before a response */
#define SMPP_LOCAL_QUEUE_FULL 0xFFFF0003u /* window and queue both full */
#define SMPP_LOCAL_ENCODE 0xFFFF0004u     /* the message could not be encoded */
#define SMPP_LOCAL_UNBINDING 0xFFFF0005u  /* link shutting down, not taking new requests */
#define SMPP_LOCAL_BAD_RESP 0xFFFF0006u   /* the response could not be decoded */
#define SMPP_STATUS_IS_LOCAL(s) (((s) & 0xFFFF0000u) == 0xFFFF0000u)

/* TLV tags we use. */
#define SMPP_TLV_RECEIPTED_MESSAGE_ID 0x001Eu
#define SMPP_TLV_USER_MESSAGE_REFERENCE 0x0204u
#define SMPP_TLV_MESSAGE_PAYLOAD 0x0424u
#define SMPP_TLV_MESSAGE_STATE 0x0427u
#define SMPP_TLV_USSD_SERVICE_OP 0x0501u
#define SMPP_TLV_ITS_SESSION_INFO 0x1383u

/* its_session_info (host-order value): octet 1 session number, octet 2 = sequence in
 * bits 7..1 and end-of-session in bit 0. Key a dialog on the session number only. */
#define SMPP_ITS_SESSION(v) ((unsigned)(((v) >> 8) & 0xFFu))
#define SMPP_ITS_SEQ(v) ((unsigned)(((v) & 0xFFu) >> 1))
#define SMPP_ITS_END(v) ((unsigned)((v) & 1u))
#define SMPP_ITS_MAKE(session, seq, end) \
    ((uint16_t)((((unsigned)(session) & 0xFFu) << 8) | (((unsigned)(seq) & 0x7Fu) << 1) | ((unsigned)(end) & 1u)))

/*
 * One PDU. Strings are NUL-terminated and sized as SMPP 3.4 allows (including the NUL).
 * Which fields matter depends on command_id; others stay zero. Start from
 * smpp_msg_init(). TLVs appear only when their has_ flag is set.
 */
struct smpp_msg {
    uint32_t command_id;
    uint32_t command_status;
    uint32_t sequence;

    /* bind_transceiver / bind_transmitter / bind_receiver (system_id also in *_resp) */
    char system_id[16];
    char password[9];
    char system_type[13];
    uint8_t interface_version; /* 0x34 */
    uint8_t addr_ton;
    uint8_t addr_npi;
    char address_range[41];

    /* submit_sm / deliver_sm / data_sm */
    char service_type[6];
    uint8_t source_addr_ton;
    uint8_t source_addr_npi;
    char source_addr[21];
    uint8_t dest_addr_ton;
    uint8_t dest_addr_npi;
    char destination_addr[65]; /* 21 for submit_sm/deliver_sm, 65 for data_sm */
    uint8_t esm_class;
    uint8_t protocol_id;         /* not in data_sm */
    uint8_t priority_flag;       /* not in data_sm */
    uint8_t registered_delivery;
    uint8_t data_coding;
    uint8_t sm_length;           /* not in data_sm; at most SMPP_SM_ENCODE_MAX to encode */
    uint8_t short_message[SMPP_SM_MAX];

    /* TLVs */
    int has_ussd_service_op;
    uint8_t ussd_service_op;
    int has_its_session_info;
    uint16_t its_session_info;   /* host order, see SMPP_ITS_* */
    int has_user_message_reference;
    uint16_t user_message_reference;
    int has_receipted_message_id;
    char receipted_message_id[65];
    int has_message_state;
    uint8_t message_state;
    int has_message_payload;
    uint16_t message_payload_len;    /* octets kept in message_payload */
    int message_payload_truncated;   /* 1: the peer sent more than SMPP_PAYLOAD_MAX */
    uint8_t message_payload[SMPP_PAYLOAD_MAX];

    /* submit_sm_resp / data_sm_resp (deliver_sm_resp carries an empty one) */
    char message_id[65];
};

/* Zero *m and set command_id (and interface_version 0x34 for binds). */
void smpp_msg_init(struct smpp_msg *m, uint32_t command_id);

/*
 * Framing. Given `have` bytes accumulated at `buf`:
 *   returns  1 and *pdu_len when a complete PDU is at the front (pdu_len bytes),
 *            0 when more bytes are needed (fewer than 4, or fewer than command_length),
 *           -1 when command_length is < 16 or > SMPP_PDU_MAX: framing is lost, drop the
 *              connection (never allocate from such a length).
 */
#define SMPP_FRAME_NEED_MORE 0
#define SMPP_FRAME_COMPLETE 1
#define SMPP_FRAME_BAD (-1)
int smpp_pdu_frame(const uint8_t *buf, size_t have, size_t *pdu_len);

/* Result of smpp_pdu_check. header_ok is 1 when the 16-octet header could be read (then
 * command_id and sequence are valid, e.g. to put into a generic_nack). */
struct smpp_check {
    int header_ok;
    uint32_t command_length;
    uint32_t command_id;
    uint32_t command_status;
    uint32_t sequence;
    const char *reason; /* static text, "ok" when the check passed */
};

/*
 * Our structural check of one PDU of `len` octets from a peer. Returns the SMPP status to
 * answer with: 0 when the PDU may go to smpp_pdu_decode, else e.g.
 *   ESME_RINVCMDLEN      command_length not 16..65536, != len, or body too short
 *   ESME_RINVCMDID       command id we do not handle (answer generic_nack)
 *   ESME_RINVMSGLEN      sm_length above 254 or running past the body
 *   ESME_RINVOPTPARSTREAM TLV header cut, or a TLV length past the end of the body
 *   ESME_RINVPARLEN      a TLV we use has an impossible length (e.g. its_session_info != 2)
 *   field codes          C-string not terminated within its SMPP size: RINVSYSID,
 *                        RINVPASWD, RINVSYSTYP, RBINDFAIL (address_range), RINVSERTYP,
 *                        RINVSRCADR, RINVDSTADR, RINVMSGID, RINVSCHED, RINVEXPIRY
 *                        (a string cut by the end of the PDU is ESME_RINVCMDLEN)
 * Lenient where peers differ: header-only PDUs may carry a body (ignored); responses
 * may have an empty body whatever their status; ussd_service_op may be longer than one
 * octet (the first counts); receipted_message_id may lack its NUL; any number of TLVs
 * we do not use is skipped. out may be NULL.
 */
int smpp_pdu_check(const uint8_t *buf, size_t len, struct smpp_check *out);

/*
 * Decode one PDU that passed smpp_pdu_check into *out. Returns 0, or an SMPP status to
 * answer with (and a message in err). Handles everything the check accepts: TLVs we do
 * not use are skipped (any number of them), responses with vendor statuses or an empty
 * body, sequence number 0, header-only PDUs, generic_nack.
 */
int smpp_pdu_decode(const uint8_t *buf, size_t len, struct smpp_msg *out, char *err, size_t errlen);

/*
 * Encode *m (command_id selects the PDU) into buf. Supported: bind_transceiver(+_resp),
 * submit_sm(+_resp), deliver_sm(+_resp), data_sm(+_resp), enquire_link(+_resp),
 * unbind(+_resp), generic_nack. The TLVs with has_ set are written on submit_sm,
 * deliver_sm and data_sm only. Responses with a non-zero status carry no body (a
 * bind_transceiver_resp keeps its system_id; deliver_sm_resp always has its empty
 * message_id). Returns 0 and *outlen, or -1 with a message in err (unsupported command,
 * a string too long for its field, sm_length > SMPP_SM_ENCODE_MAX, a TON/NPI libsmpp34
 * does not know, a request sequence outside 1..0x7FFFFFFF, buffer too small).
 * Responses may carry any sequence (they echo the peer's). SMPP_ENCODE_CAP is always
 * enough.
 */
#define SMPP_ENCODE_CAP 2048
int smpp_pdu_encode(const struct smpp_msg *m, uint8_t *buf, size_t cap, size_t *outlen, char *err,
                    size_t errlen);

/*
 * Reference path, for cross-checks (fuzz target, unit tests): the same contract as
 * smpp_pdu_decode / smpp_pdu_encode, but submit_sm, deliver_sm and their responses go
 * through libsmpp34 too, instead of the hand-written fast path those two take for the
 * PDUs of a USSD step. Both paths must give the same status and message, or octets.
 */
int smpp_pdu_decode_ref(const uint8_t *buf, size_t len, struct smpp_msg *out, char *err, size_t errlen);
int smpp_pdu_encode_ref(const struct smpp_msg *m, uint8_t *buf, size_t cap, size_t *outlen, char *err,
                        size_t errlen);

/* Names for logs: "submit_sm", "ESME_RBINDFAIL". Unknown values give "unknown" (or
 * "vendor_specific" for statuses 0x400-0x4FF, "local_..." for SMPP_LOCAL_*). */
const char *smpp_command_name(uint32_t command_id);
const char *smpp_status_name(uint32_t status);

/* One-line key=value summary of a message for logs (never includes the password).
 * Returns the length written (truncated to cap-1). */
size_t smpp_msg_describe(const struct smpp_msg *m, char *buf, size_t cap);

#endif
