/*
 * smpp_link.h: one SMPP 3.4 ESME link (bind_transceiver) on a libevent loop.
 *
 * The link connects, binds, keeps itself alive with enquire_link, reconnects with
 * back-off, answers the SMSC's requests and sends submit_sm / data_sm within a window,
 * a TPS cap and per-request response timers. It never owns the event loop and keeps no
 * globals: several links may share one event_base. All calls on the loop's thread.
 *
 * Callback contracts (hiredis style):
 *   - a smpp_resp_cb passed to smpp_link_submit fires exactly once when (and only when)
 *     smpp_link_submit returned 0, never from inside smpp_link_submit itself;
 *   - messages handed to callbacks are valid only for the duration of the callback;
 *   - on link loss, unbind or smpp_link_free, every pending request's callback fires
 *     with a local status (SMPP_LOCAL_LINK_DOWN, SMPP_LOCAL_UNBINDING);
 *   - smpp_link_free may be called from inside any callback: the link is then freed
 *     when the callback returns.
 */
#ifndef USSDGW_SMPP_LINK_H
#define USSDGW_SMPP_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_pdu.h"

struct event_base;
struct smpp_link;

enum smpp_link_state {
    SMPP_LINK_DOWN = 0,    /* not connected (waiting to reconnect, or stopped) */
    SMPP_LINK_CONNECTING,  /* TCP connect in progress */
    SMPP_LINK_BINDING,     /* bind_transceiver sent */
    SMPP_LINK_BOUND,       /* ready: submits are sent */
    SMPP_LINK_UNBINDING    /* smpp_link_unbind in progress */
};

enum smpp_log_level { SMPP_LOG_ERROR = 0, SMPP_LOG_WARN, SMPP_LOG_INFO, SMPP_LOG_DEBUG };

struct smpp_link_config {
    const char *name;           /* for logs (link=NAME) */
    const char *host;           /* numeric address, or a name looked up at each connect
                                   without blocking the loop (resolve.h) */
    int port;
    const char *system_id;      /* <= 15 chars */
    const char *password;       /* <= 8 chars */
    const char *system_type;    /* <= 12 chars, may be NULL/empty */
    uint8_t addr_ton, addr_npi;
    const char *address_range;  /* <= 40 chars, may be NULL/empty */

    int enquire_link_s;         /* send enquire_link every N s (default 30) */
    int response_timeout_ms;    /* per-request response timer, also bind/enquire/unbind (10000) */
    int connect_timeout_ms;     /* name lookup + TCP connect (10000) */
    int window;                 /* outstanding submit/data_sm requests (10) */
    int queue_max;              /* requests waiting for the window (1000) */
    int queue_timeout_ms;       /* longest a request may wait in the queue (30000) */
    int tps;                    /* submits per second, 0 = no cap (100) */
    int reconnect_min_ms;       /* first retry after a lost link (1000), then doubling ... */
    int reconnect_max_ms;       /* ... up to this (60000); +-25% jitter */
    int bind_fail_retry_ms;     /* retry after a rejected bind (30000, +0..25% jitter) */
    int throttle_pause_ms;      /* pause after ESME_RTHROTTLED / ESME_RMSGQFUL (1000) */
    int max_resends;            /* resends of one throttled request (5) */
    int drain_timeout_ms;       /* smpp_link_unbind: wait for the window to drain (5000) */
};

/* Fill *c with the defaults above (and zeroed strings). */
void smpp_link_config_defaults(struct smpp_link_config *c);

/* Response to a submit. status is one of
 *   0                      accepted; resp->message_id holds the SMSC's id
 *   an SMSC status         from the *_resp or a generic_nack (throttling statuses only
 *                          after max_resends, or at once with SMPP_FAIL_FAST)
 *   SMPP_LOCAL_TIMEOUT     no response within response_timeout_ms, or queued too long
 *   SMPP_LOCAL_LINK_DOWN   the connection was lost (or the link freed) first
 *   SMPP_LOCAL_UNBINDING   still queued when smpp_link_unbind started
 *   SMPP_LOCAL_BAD_RESP    the response failed our checks
 * resp is the decoded response, NULL for local statuses. */
typedef void (*smpp_resp_cb)(void *arg, uint32_t status, const struct smpp_msg *resp);

struct smpp_link_callbacks {
    /* deliver_sm / data_sm from the SMSC; its _resp has already been sent. */
    void (*on_deliver)(void *arg, const struct smpp_msg *m);
    /* every state change; reason is short text ("bound", "peer closed", ...). */
    void (*on_state)(void *arg, enum smpp_link_state state, const char *reason);
    /* log lines as key=value text, e.g. "link=op1 event=bind_rejected status=ESME_RBINDFAIL". */
    void (*on_log)(void *arg, enum smpp_log_level level, const char *msg);
    void *arg;
};

/* Create a link (copies cfg's strings). Does not connect yet. NULL on bad config; then
 * err (if given) says why. */
struct smpp_link *smpp_link_new(struct event_base *base, const struct smpp_link_config *cfg,
                                const struct smpp_link_callbacks *cb, char *err, size_t errlen);

/* Start connecting (and reconnecting forever until unbind/free). */
void smpp_link_start(struct smpp_link *link);

/* Flags for smpp_link_submit. */
#define SMPP_FAIL_FAST 1 /* throttling errors go to cb instead of a pause and resend */

/*
 * Send m (command_id SMPP_CMD_SUBMIT_SM or SMPP_CMD_DATA_SM; sequence is assigned here).
 * m is copied (encoded) before returning. Returns 0 when accepted (cb fires exactly once
 * later), or a local status and cb is never called:
 *   SMPP_LOCAL_LINK_DOWN (not bound), SMPP_LOCAL_UNBINDING, SMPP_LOCAL_QUEUE_FULL,
 *   SMPP_LOCAL_ENCODE (bad message).
 */
uint32_t smpp_link_submit(struct smpp_link *link, const struct smpp_msg *m, int flags, smpp_resp_cb cb,
                          void *arg);

/*
 * Graceful shutdown: refuse new submits, fail queued ones (SMPP_LOCAL_UNBINDING), wait
 * for outstanding responses (drain_timeout_ms), send unbind, wait for unbind_resp
 * (response_timeout_ms), close. A link that is not bound just closes. The link then
 * stays down for good (free it; a new link can be made). done(arg) fires once, from the
 * event loop (or from smpp_link_free if that comes first). Returns 0, or -1 when an
 * unbind is already under way (done is then not taken).
 */
int smpp_link_unbind(struct smpp_link *link, void (*done)(void *arg), void *arg);

/* Close and free. Pending callbacks fire with SMPP_LOCAL_LINK_DOWN. NULL is fine. */
void smpp_link_free(struct smpp_link *link);

enum smpp_link_state smpp_link_state(const struct smpp_link *link);
/* How many TCP connections the link has made so far: the connection a deliver_sm came
 * on, when read from inside on_deliver (1 for the first one). */
unsigned smpp_link_conn_serial(const struct smpp_link *link);
const char *smpp_link_state_name(enum smpp_link_state s);
int smpp_link_outstanding(const struct smpp_link *link); /* requests in the window */
int smpp_link_queued(const struct smpp_link *link);      /* requests waiting for it */

/* Lines above `max` are neither formatted nor given to on_log (the default passes all,
 * SMPP_LOG_DEBUG included). Saves formatting the per-PDU debug lines when they are
 * thrown away anyway. */
void smpp_link_set_log_level(struct smpp_link *link, enum smpp_log_level max);

/* Test hook: the next sequence number the link will use (1..0x7FFFFFFF). */
void smpp_link_set_next_sequence(struct smpp_link *link, uint32_t seq);

#endif
