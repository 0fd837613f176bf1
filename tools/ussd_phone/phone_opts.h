/*
 * phone_opts.h: the command line of ussd-phone, parsed into one struct with defaults.
 */
#ifndef USSD_PHONE_PHONE_OPTS_H
#define USSD_PHONE_PHONE_OPTS_H

#include <stdint.h>
#include <stdio.h>

enum phone_encoding { PHONE_ENC_GSM = 0, PHONE_ENC_UCS2 };

/* What identifies a dialog in the deliver_sm (--session-id): its_session_info, the TLV
 * user_message_reference, or nothing (the gateway keys on the MSISDN). */
enum phone_session_id { PHONE_SID_ITS = 0, PHONE_SID_UMR, PHONE_SID_NONE };

/* --resend-mode: a copy with the same sequence number on the same ESME, or a fresh
 * sequence number (on another ESME when several are bound). */
enum phone_resend_mode { PHONE_RESEND_SAME = 0, PHONE_RESEND_FRESH };

#define PHONE_MAX_ANSWERS 32
#define PHONE_ANSWER_MAX 160 /* octets of one scripted answer */

struct phone_opts {
    /* SMSC side */
    char listen_host[256];
    int listen_port;            /* 0: pick a free port */
    const char *system_id;      /* NULL: accept any */
    const char *password;       /* NULL: accept any */
    int enquire_link_s;         /* 0: never */
    int bind_timeout_s;         /* close a connection that has not bound by then */
    int receipts;               /* answer registered_delivery with a delivery receipt */
    int verbose;                /* log every PDU on stderr */

    /* the phone */
    char msisdn[21];            /* interactive: the phone; load: the first phone */
    int msisdn_given;
    const char *service_code;   /* NULL: taken from the dial string */
    const char *sms_to;         /* destination of /sms */
    enum phone_encoding encoding;
    uint8_t gsm_dcs;            /* data_coding for GSM text (0x0F) */
    int abort_op;               /* ussd_service_op of a user abort (18, end bit set) */
    int answer_op;              /* ussd_service_op of an answer (18) */
    int its_seq_zero;           /* --its-seq zero: octet 2's sequence number stays 0 */
    enum phone_session_id session_id;
    int timeout_ms;             /* per dialog step */
    int wait_bind_s;            /* wait for a bound ESME */
    int min_esmes;              /* load: start once this many ESMEs are bound (1) */
    int sticky;                 /* keep a dialog on one ESME */
    int linger_ms;              /* interactive: after EOF, wait this long for late SMS */

    /* load mode */
    int load_phones;            /* 0: interactive */
    const char *dial;
    char answers[PHONE_MAX_ANSWERS][PHONE_ANSWER_MAX + 1];
    int n_answers;
    long dialogs;
    double duration_s;
    double rate;                /* steps per second, 0: closed loop */
    double resend;              /* fraction of steps whose deliver_sm is sent twice */
    enum phone_resend_mode resend_mode;
    uint64_t seed;              /* of the PRNG choosing the resent steps */
    int think_ms;               /* a phone's pause between a screen and its answer */
};

/* Fill *o from argv. Returns 0 to run, 1 when --help was printed, -1 on a usage error
 * (message already printed on stderr). */
int phone_opts_parse(struct phone_opts *o, int argc, char **argv);

/* The usage text. */
void phone_opts_usage(FILE *f);

#endif
