/*
 * gsm.h: what a text costs on a handset, and its bytes on the wire.
 *
 * A screen is measured after encoding: GSM 03.38 default alphabet when every character
 * is in it (extension characters { } [ ] ~ \ | ^ and the euro sign cost two septets),
 * UCS2 otherwise (UTF-16 code units; a character outside the BMP costs two). Input is
 * UTF-8; invalid UTF-8 bytes are treated as U+FFFD (which forces UCS2).
 */
#ifndef USSDGW_GSM_H
#define USSDGW_GSM_H

#include <stddef.h>
#include <stdint.h>

struct gsm_len {
    int ucs2;          /* 1 when some character is not in GSM 03.38 */
    size_t septets;    /* cost in GSM 7-bit (meaningful when !ucs2) */
    size_t ucs2_units; /* cost in UCS2 / UTF-16 code units */
    size_t chars;      /* code points */
};

void gsm_measure(const char *utf8, size_t len, struct gsm_len *out);

/* Cost of the text in the encoding it needs: septets, or UCS2 units when ucs2. */
size_t gsm_cost(const struct gsm_len *l);

/* 1 when the text fits: at most limit_gsm septets, or limit_ucs2 units if it needs UCS2. */
int gsm_fits(const char *utf8, size_t len, int limit_gsm, int limit_ucs2);

/* Encode UTF-8 to unpacked GSM 03.38 septets (one per octet, 0x1B before extension
 * characters). Returns the number of octets written, or -1 when a character is not
 * in the alphabet or `cap` is too small. */
long gsm_encode(const char *utf8, size_t len, uint8_t *out, size_t cap);

/* Encode UTF-8 to UCS2/UTF-16 big-endian. Returns octets written or -1 (cap). */
long gsm_encode_ucs2(const char *utf8, size_t len, uint8_t *out, size_t cap);

/* Decode unpacked GSM 03.38 septets to UTF-8 (NUL-terminated). Returns the length
 * written, or -1 when cap is too small. Unknown septets become '?'; an escape before a
 * septet with no extension character gives that septet's basic character (23.038). */
long gsm_decode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Decode UTF-16BE to UTF-8 (NUL-terminated). Returns length or -1 (cap). An odd
 * trailing byte is dropped; unpaired surrogates become U+FFFD. */
long gsm_decode_ucs2(const uint8_t *in, size_t len, char *out, size_t cap);

/* Decode Latin-1 (ISO-8859-1, data_coding 3) to UTF-8. Returns length or -1. */
long gsm_decode_latin1(const uint8_t *in, size_t len, char *out, size_t cap);

#endif
