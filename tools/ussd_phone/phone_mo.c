/*
 * phone_mo.c: builds the deliver_sm PDUs a phone's USSD centre sends to the gateway.
 */
#include "phone_mo.h"

#include <stdio.h>
#include <string.h>

#include "gsm.h"

int phone_mo_set_text(struct smpp_msg *m, const char *utf8, const struct phone_mo_coding *c, char *err,
                      size_t errlen)
{
    size_t len = strlen(utf8);
    long n = -1;
    if (c->encoding == PHONE_ENC_GSM) {
        struct gsm_len gl;
        gsm_measure(utf8, len, &gl);
        if (!gl.ucs2) {
            n = gsm_encode(utf8, len, m->short_message, SMPP_SM_ENCODE_MAX);
            if (n < 0) {
                snprintf(err, errlen, "text too long: %zu septets, at most %d", gl.septets, SMPP_SM_ENCODE_MAX);
                return -1;
            }
            m->data_coding = c->gsm_dcs;
            m->sm_length = (uint8_t)n;
            return 0;
        }
    }
    n = gsm_encode_ucs2(utf8, len, m->short_message, SMPP_SM_ENCODE_MAX);
    if (n < 0) {
        snprintf(err, errlen, "text too long for UCS2: at most %d octets", SMPP_SM_ENCODE_MAX);
        return -1;
    }
    m->data_coding = 0x08;
    m->sm_length = (uint8_t)n;
    return 0;
}

static void copy(char *dst, size_t cap, const char *src)
{
    size_t l = strnlen(src, cap - 1); /* snprintf(dst, cap, "%s", src) without printf */
    memcpy(dst, src, l);
    dst[l] = 0;
}

int phone_mo_ussd(struct smpp_msg *m, const struct phone_mo_step *st, const struct phone_mo_dialect *d,
                  const struct phone_mo_coding *c, char *err, size_t errlen)
{
    static const struct phone_mo_dialect its = {PHONE_SID_ITS, 0};
    if (!d)
        d = &its;
    smpp_msg_init(m, SMPP_CMD_DELIVER_SM);
    copy(m->service_type, sizeof(m->service_type), "USSD");
    m->source_addr_ton = 1; /* international */
    m->source_addr_npi = 1; /* E.164 */
    copy(m->source_addr, sizeof(m->source_addr), st->msisdn);
    m->dest_addr_ton = 0;
    m->dest_addr_npi = 0;
    copy(m->destination_addr, 21, st->service_code);
    m->has_ussd_service_op = 1;
    m->ussd_service_op = st->op;
    if (d->session_id == PHONE_SID_ITS) {
        m->has_its_session_info = 1;
        m->its_session_info = SMPP_ITS_MAKE(st->session, d->its_seq_zero ? 0 : st->seq, st->end);
    } else if (d->session_id == PHONE_SID_UMR) {
        m->has_user_message_reference = 1;
        m->user_message_reference = (uint16_t)st->session;
    }
    return phone_mo_set_text(m, st->text, c, err, errlen);
}

int phone_mo_reply_dialog(const struct smpp_msg *m, enum phone_session_id sid, unsigned *id)
{
    int its = m->has_its_session_info, umr = m->has_user_message_reference;
    if (sid == PHONE_SID_NONE || (!its && !umr))
        return 0;
    if (its && (sid == PHONE_SID_ITS || !umr))
        *id = SMPP_ITS_SESSION(m->its_session_info);
    else
        *id = m->user_message_reference;
    return 1;
}

int phone_mo_sms(struct smpp_msg *m, const char *msisdn, const char *dest, const char *text,
                 const struct phone_mo_coding *c, char *err, size_t errlen)
{
    smpp_msg_init(m, SMPP_CMD_DELIVER_SM);
    m->source_addr_ton = 1;
    m->source_addr_npi = 1;
    copy(m->source_addr, sizeof(m->source_addr), msisdn);
    copy(m->destination_addr, 21, dest);
    struct phone_mo_coding sms = *c;
    if (sms.encoding == PHONE_ENC_GSM)
        sms.gsm_dcs = 0x00; /* SMS: SMSC default alphabet */
    return phone_mo_set_text(m, text, &sms, err, errlen);
}

void phone_mo_service_code(const char *dial, char *out, size_t cap)
{
    const char *p = dial;
    if (*p == '*' || *p == '#')
        p++;
    size_t n = strspn(p, "0123456789");
    if (n == 0 || (p[n] != '*' && p[n] != '#') || p == dial) {
        snprintf(out, cap, "%.20s", dial);
        return;
    }
    if (n > 20)
        n = 20;
    snprintf(out, cap, "%.*s", (int)n, p);
}
