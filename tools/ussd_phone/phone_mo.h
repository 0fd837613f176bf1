/*
 * phone_mo.h: mobile-originated messages, i.e. the deliver_sm PDUs the USSD centre sends to
 * the gateway for a phone: a dial (ussd_service_op 1), an answer (18), an abort, or a
 * plain SMS. Pure: fills a struct smpp_msg, sequence left for the sender.
 */
#ifndef USSD_PHONE_PHONE_MO_H
#define USSD_PHONE_PHONE_MO_H

#include <stddef.h>
#include <stdint.h>

#include "phone_opts.h"
#include "smpp_pdu.h"

#define PHONE_MO_OP_BEGIN 1    /* PSSR indication: the user dialled */
#define PHONE_MO_OP_CONTINUE 2 /* USSR request from the gateway: show and wait */
#define PHONE_MO_OP_NOTIFY 3   /* USSN request */
#define PHONE_MO_OP_END 17     /* PSSR response: final screen */
#define PHONE_MO_OP_ANSWER 18  /* USSR confirm: the user's answer */

/* How text is put into short_message. */
struct phone_mo_coding {
    enum phone_encoding encoding; /* GSM falls back to UCS2 for text outside the alphabet */
    uint8_t gsm_dcs;              /* data_coding for GSM text */
};

/* Put utf8 into m->short_message / data_coding. Returns 0, or -1 with a message in err
 * when it does not fit (at most SMPP_SM_ENCODE_MAX octets). */
int phone_mo_set_text(struct smpp_msg *m, const char *utf8, const struct phone_mo_coding *c, char *err,
                      size_t errlen);

/* A USSD deliver_sm: service_type "USSD", source = msisdn, destination = service code,
 * ussd_service_op = op, its_session_info = (session, seq, end), text as short_message.
 * Returns 0 or -1 with err. */
int phone_mo_ussd(struct smpp_msg *m, const char *msisdn, const char *service_code, const char *text, uint8_t op,
                  unsigned session, unsigned seq, int end, const struct phone_mo_coding *c, char *err, size_t errlen);

/* An SMS deliver_sm (no USSD TLVs) from msisdn to dest. Returns 0 or -1 with err. */
int phone_mo_sms(struct smpp_msg *m, const char *msisdn, const char *dest, const char *text,
                 const struct phone_mo_coding *c, char *err, size_t errlen);

/* The service code of a dial string: "*123#" and "*123*4#" -> "123", "#100#" -> "100".
 * Falls back to the whole string (cut to fit) when it has no such shape. */
void phone_mo_service_code(const char *dial, char *out, size_t cap);

#endif
