/*
 * phone_mo.h: mobile-originated messages, i.e. the deliver_sm PDUs the USSD centre sends to
 * the gateway for a phone: a dial (ussd_service_op 1), an answer (18), an abort, or a
 * plain SMS, in the centre's dialect (what identifies the dialog); and which dialog a
 * reply from the gateway names. Pure: fills a struct smpp_msg, sequence left for the
 * sender.
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

/* How the centre names the dialog (see --session-id, --its-seq). */
struct phone_mo_dialect {
    enum phone_session_id session_id;
    int its_seq_zero; /* its_session_info's sequence number stays 0 */
};

/* One USSD step of a dialog. */
struct phone_mo_step {
    const char *msisdn, *service_code, *text;
    uint8_t op;
    unsigned session; /* the dialog's number */
    unsigned seq;     /* the step's number (0: the dial) */
    int end;          /* the its_session_info end bit (an abort) */
};

/* A USSD deliver_sm: service_type "USSD", source = msisdn, destination = service code,
 * ussd_service_op = op, text as short_message, and by the dialect (NULL: the default)
 * its_session_info = (session, seq or 0, end), or user_message_reference = session, or
 * neither. Returns 0 or -1 with err. */
int phone_mo_ussd(struct smpp_msg *m, const struct phone_mo_step *st, const struct phone_mo_dialect *d,
                  const struct phone_mo_coding *c, char *err, size_t errlen);

/* The dialog number a reply from the gateway carries in this dialect: its_session_info's
 * session (or else the umr) for its, the umr (or else its_session_info's session) for
 * umr; nothing for none. 1 with *id set, 0 when it names none. */
int phone_mo_reply_dialog(const struct smpp_msg *m, enum phone_session_id sid, unsigned *id);

/* An SMS deliver_sm (no USSD TLVs) from msisdn to dest. Returns 0 or -1 with err. */
int phone_mo_sms(struct smpp_msg *m, const char *msisdn, const char *dest, const char *text,
                 const struct phone_mo_coding *c, char *err, size_t errlen);

/* The service code of a dial string: "*123#" and "*123*4#" -> "123", "#100#" -> "100".
 * Falls back to the whole string (cut to fit) when it has no such shape. */
void phone_mo_service_code(const char *dial, char *out, size_t cap);

#endif
