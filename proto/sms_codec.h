/*
 * sms_codec.h: an SMS text as submit_sm parts, and delivery receipts back into our
 * terms. Pure: no I/O, no state, no allocation; the SMS queue and the tests use it.
 *
 * Encoding: GSM 03.38 (data_coding 0, one unpacked septet per octet) when every
 * character is in the default alphabet or its extension table, UCS2 (data_coding 8,
 * UTF-16BE) otherwise. Up to 160 septets / 70 UCS2 units go in one part; longer texts
 * are split into parts of at most 153 septets / 67 units, each led by the concatenation
 * UDH 05 00 03 REF TOTAL SEQ (esm_class 0x40). A part never ends between an escape and
 * its extension septet, nor between the two halves of a surrogate pair.
 *
 * Receipts: a deliver_sm with esm_class 0x04 (or 0x20, an intermediate notification)
 * carries the id of the message it reports on and a state, in the TLVs
 * receipted_message_id (0x001E) and message_state (0x0427) and/or in the text
 * "id:ID sub:.. dlvrd:.. submit date:.. done date:.. stat:DELIVRD err:E text:..".
 * SMSCs disagree on how they write ids: hex in submit_sm_resp and decimal in the
 * receipt is common, so sms_id_forms gives the forms an id may be matched in.
 */
#ifndef USSDGW_SMS_CODEC_H
#define USSDGW_SMS_CODEC_H

#include <stddef.h>
#include <stdint.h>

struct smpp_msg;

#define SMS_MAX_PARTS 16        /* the most parts sms_encode produces (sms_max_parts <= 16) */
#define SMS_TEXT_MAX 5000       /* longest text in UTF-8 octets (16 x 153 two-octet letters) */
#define SMS_GSM_SINGLE 160      /* septets in a single part */
#define SMS_GSM_PART 153        /* septets in a part of a concatenated message */
#define SMS_UCS2_SINGLE 70      /* UCS2 units in a single part */
#define SMS_UCS2_PART 67        /* UCS2 units in a part of a concatenated message */
#define SMS_UDH_LEN 6           /* 05 00 03 ref total seq */
#define SMS_PART_OCTETS_MAX (SMS_UDH_LEN + SMS_GSM_SINGLE) /* enough for any part */
#define SMS_ESM_UDHI 0x40
#define SMS_DC_GSM 0x00
#define SMS_DC_UCS2 0x08
#define SMS_ADDR_MAX 20         /* digits of a destination or source address */
#define SMS_ID_MAX 64           /* octets of an SMSC message id */

struct sms_part {
    size_t len;                            /* octets in `octets`, UDH included */
    uint8_t octets[SMS_PART_OCTETS_MAX];   /* short_message */
};

struct sms_encoded {
    uint8_t data_coding;  /* SMS_DC_GSM or SMS_DC_UCS2 */
    uint8_t esm_class;    /* SMS_ESM_UDHI when n_parts > 1, else 0 */
    int n_parts;          /* 1 .. max_parts */
    size_t units;         /* septets (GSM) or UTF-16 units (UCS2) of the whole text */
    struct sms_part part[SMS_MAX_PARTS];
};

/* sms_encode results */
#define SMS_ENC_OK 0
#define SMS_ENC_EMPTY (-1)     /* no text */
#define SMS_ENC_TOO_LONG (-2)  /* more than max_parts parts, or more than SMS_TEXT_MAX octets */

/* Encode the UTF-8 text (invalid bytes count as U+FFFD, which forces UCS2) into parts.
 * ref is the concatenation reference (the same for every part of a message, and for a
 * message sent again). max_parts is capped at SMS_MAX_PARTS. Returns SMS_ENC_*. */
int sms_encode(const char *utf8, size_t len, uint8_t ref, int max_parts, struct sms_encoded *out);

/* Parts the text needs: 0 when empty, SMS_MAX_PARTS + 1 when it needs more than
 * SMS_MAX_PARTS (or is longer than SMS_TEXT_MAX octets). */
int sms_count_parts(const char *utf8, size_t len);

/* Static text for an SMS_ENC_* result. */
const char *sms_encode_error(int rc);

/* 1 when `to` is a phone number we send to: an optional '+' then 3..20 digits. */
int sms_msisdn_ok(const char *to);

/* Receipt states: the message_state values of SMPP 3.4 (5.2.28). */
enum sms_rcpt_state {
    SMS_RCPT_NONE = 0,
    SMS_RCPT_ENROUTE = 1,
    SMS_RCPT_DELIVERED = 2,
    SMS_RCPT_EXPIRED = 3,
    SMS_RCPT_DELETED = 4,
    SMS_RCPT_UNDELIVERABLE = 5,
    SMS_RCPT_ACCEPTED = 6,
    SMS_RCPT_UNKNOWN = 7,
    SMS_RCPT_REJECTED = 8,
};

/* The receipt text's stat word: "DELIVRD", "UNDELIV", ... ("" for SMS_RCPT_NONE). */
const char *sms_rcpt_stat_name(enum sms_rcpt_state s);
/* 1 for states that end a message as failed (EXPIRED, DELETED, UNDELIV, UNKNOWN, REJECTD). */
int sms_rcpt_failed(enum sms_rcpt_state s);

struct sms_receipt {
    char id[SMS_ID_MAX + 1];    /* the SMSC's id of the message, as the receipt gives it */
    enum sms_rcpt_state state;
    char err[8];                /* the text's err: field, "" when absent */
    int id_from_tlv;            /* 1: receipted_message_id; 0: the text */
    int state_from_tlv;         /* 1: message_state; 0: the text */
};

/* 1 when esm_class marks a deliver_sm as a receipt (message type bits 0x3C equal to
 * 0x04, SMSC delivery receipt, or 0x20, intermediate delivery notification). */
int sms_is_receipt(uint8_t esm_class);

/* Parse a receipt from its TLVs, else from its text (short_message, or message_payload;
 * GSM, Latin-1 or UCS2). The TLVs win over the text. Returns 0, or -1 when no id or no
 * state could be found (out->id / out->state then say which). */
int sms_receipt_parse(const struct smpp_msg *m, struct sms_receipt *out);

/*
 * The forms an SMSC message id is matched in. raw is the id trimmed of blanks, with
 * letters a-f upper-cased when the id is all hex digits, and characters outside
 * '!'..'~' (and ',' '|') replaced by '_'. The numeric forms are "" when the id does not
 * read as that base or does not fit 64 bits:
 *   hex_as_dec  the id read as hex, written in decimal ("1A2B3C" -> "1715004")
 *   dec_as_hex  the id read as decimal, written in hex  ("1715004" -> "1A2B3C")
 *   dec_as_dec  the id read as decimal, without leading zeros
 *   hex_as_hex  the id read as hex, upper-case, without leading zeros
 * A submit_sm_resp id S and a receipt id R name the same message when raw(S) == raw(R),
 * or hex_as_dec(S) == dec_as_dec(R) (hex sent, decimal in the receipt), or
 * dec_as_hex(S) == hex_as_hex(R) (the other way round).
 * Returns 0, or -1 when the id is empty or longer than SMS_ID_MAX.
 */
struct sms_id_forms {
    char raw[SMS_ID_MAX + 1];
    char hex_as_dec[21];
    char dec_as_hex[17];
    char dec_as_dec[21];
    char hex_as_hex[17];
};
int sms_id_forms(const char *id, struct sms_id_forms *out);

#endif
