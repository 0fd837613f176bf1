/*
 * smsc.h: the SMSC / USSD-centre side of SMPP 3.4 on a libevent loop. Listens, accepts
 * ESME connections (the gateway binds to us), answers binds, enquire_link, unbind and
 * the ESME's submit_sm / data_sm, sends deliver_sm for the phones and tracks their
 * responses. Every byte from a peer goes through smpp_pdu_frame, smpp_pdu_check and
 * smpp_pdu_decode; anything malformed gets the response or generic_nack SMPP 3.4 asks
 * for, and a lost framing closes the connection. Buffers and windows are bounded;
 * every wait has a timer.
 *
 * Callback contracts:
 *   - messages handed to callbacks are valid only for the duration of the callback;
 *   - on_deliver_resp fires exactly once for each smsc_deliver / smsc_redeliver that
 *     returned 0, never from inside them: with the ESME's status, SMPP_LOCAL_TIMEOUT, or
 *     SMPP_LOCAL_LINK_DOWN when the connection went away first;
 *   - callbacks may call smsc_deliver / smsc_redeliver / smsc_pick / smsc_drop /
 *     smsc_shutdown, never smsc_free.
 */
#ifndef USSD_PHONE_SMSC_H
#define USSD_PHONE_SMSC_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_pdu.h"

struct event_base;
struct smsc;

struct smsc_config {
    const char *host;          /* address to listen on */
    int port;                  /* 0: any free port */
    const char *system_id;     /* required system_id, NULL: any */
    const char *password;      /* required password, NULL: any */
    int enquire_link_s;        /* our enquire_link period, 0: never */
    int bind_timeout_s;        /* connections that have not bound by then are closed */
    int response_timeout_ms;   /* for deliver_sm_resp, enquire_link_resp, unbind_resp */
    int receipts;              /* answer registered_delivery=1 SMS with a receipt */
    int verbose;               /* log every PDU */
};

struct smsc_callbacks {
    /* an ESME bound (esme: its id, > 0) / its connection went away */
    void (*on_bound)(void *arg, int esme, const char *system_id);
    void (*on_unbound)(void *arg, int esme, const char *system_id, const char *reason);
    /* submit_sm or data_sm from a bound ESME; its response (ESME_ROK with a message_id)
     * has already been sent */
    void (*on_message)(void *arg, int esme, const struct smpp_msg *m);
    /* outcome of smsc_deliver(tag) */
    void (*on_deliver_resp)(void *arg, uint64_t tag, uint32_t status);
    void *arg;
};

/* Bind the listening socket and print "listening on HOST:PORT" on stderr. NULL on
 * failure, with the reason in err. */
struct smsc *smsc_new(struct event_base *base, const struct smsc_config *cfg, const struct smsc_callbacks *cb,
                      char *err, size_t errlen);

/* Close everything at once (no unbind). NULL is fine. Not from inside a callback. */
void smsc_free(struct smsc *s);

/* The port actually listened on. */
int smsc_port(const struct smsc *s);

/* How many bound ESMEs can take deliver_sm (transceivers and receivers). */
int smsc_bound(const struct smsc *s);

/* An ESME to send to: `prefer` when it is still bound (for sticky dialogs; 0 for none),
 * else the next bound one in round-robin order. -1 when none is bound. */
int smsc_pick(struct smsc *s, int prefer);

/* Send m (a deliver_sm) to ESME `esme`; m->sequence is set here. Returns 0 (then
 * on_deliver_resp(tag) follows exactly once), or -1 with err when that ESME is gone,
 * its window is full or m does not encode. */
int smsc_deliver(struct smsc *s, int esme, struct smpp_msg *m, uint64_t tag, char *err, size_t errlen);

/* Send m (a deliver_sm already sent with smsc_deliver) again with the same sequence
 * number m->sequence, on ESME `esme` (the one it went to, for a true resend). Returns 0
 * (then on_deliver_resp(tag) follows exactly once: a response to that number answers
 * the original first while it waits, then the copies in order), or -1 with err. */
int smsc_redeliver(struct smsc *s, int esme, struct smpp_msg *m, uint64_t tag, char *err, size_t errlen);

/* Close ESME `esme`'s connection as a broken link would (no unbind; what was already
 * sent is written first): it counts as unbound at once, the unbound line and
 * on_unbound follow from the loop. -1 when it is not bound. */
int smsc_drop(struct smsc *s, int esme);

/* Answer the next n submit_sm / data_sm (from any ESME) with ESME_RTHROTTLED instead of
 * taking them (not handed to on_message): a centre over its rate. 0 ends it early. */
void smsc_throttle(struct smsc *s, int n);

/* Stop listening, unbind every bound ESME (waiting up to the response timeout for
 * unbind_resp), close all; then done(arg) fires once from the loop. */
void smsc_shutdown(struct smsc *s, void (*done)(void *arg), void *arg);

#endif
