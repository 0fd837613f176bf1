/*
 * phone_screen.h: what a feature phone shows for a message from the gateway. Pure functions:
 * decode the text by data_coding, make it safe for a terminal, and lay it out as a
 * screen (own line breaks kept, wrapped at a width, between ruled lines, with a footer
 * giving the encoding and the character count against the USSD limit).
 */
#ifndef USSD_PHONE_PHONE_SCREEN_H
#define USSD_PHONE_PHONE_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_pdu.h"

#define PHONE_SCREEN_WIDTH 30
#define PHONE_SCREEN_TEXT_MAX (SMPP_PAYLOAD_MAX * 3 + 1)

struct phone_screen_text {
    char utf8[PHONE_SCREEN_TEXT_MAX]; /* NUL-terminated; only \n and printable characters */
    const char *encoding;       /* "GSM", "UCS2", "LATIN1" or "8BIT" */
    size_t count;               /* septets (GSM), UTF-16 units (UCS2) or octets */
    size_t limit;               /* what one USSD screen holds in that encoding */
    int from_payload;           /* the text came in message_payload */
    int truncated;              /* the peer sent more than we keep */
};

/* Decode the text of a submit_sm / data_sm / deliver_sm (short_message, or
 * message_payload when short_message is empty). Never fails: undecodable octets come
 * out as '?'. skip: octets to skip at the start (a UDH), 0 normally. */
void phone_screen_decode(const struct smpp_msg *m, size_t skip, struct phone_screen_text *out);

/* Lay the text out: a rule, the lines wrapped at `width` code points, a rule, the
 * footer "[GSM 24/182]" (" too long" added past the limit). Returns the length written
 * (always NUL-terminated, cut at cap-1). */
size_t phone_screen_render(const struct phone_screen_text *t, int width, char *buf, size_t cap);

/* Make text from a peer safe for a terminal, in place: \n and printable characters
 * stay, CR LF becomes \n, other controls and invalid UTF-8 become '?'. */
void phone_screen_sanitize(char *utf8);

/* The text on one line: line breaks become spaces. In place. */
void phone_screen_one_line(char *utf8);

/* An SMS from the gateway as one line: "SMS to DEST: TEXT", with " (part 2/3)" after
 * DEST when it carries a concatenation UDH (which is not shown). */
size_t phone_screen_sms_line(const struct smpp_msg *m, char *buf, size_t cap);

/* A fingerprint of what a message shows: ussd_service_op, data_coding and the text's
 * octets (FNV-1a). Equal for a screen sent twice. */
uint64_t phone_screen_fingerprint(const struct smpp_msg *m);

#endif
