/*
 * smsc_int.h: what the two halves of the SMSC share, not for the rest of ussd-phone (use
 * smsc.h): smsc.c (the listener, connections' life and reaping, the tick, the public
 * calls) and smsc_conn.c (one connection's traffic: writing, the window of our requests,
 * reading and answering the ESME's PDUs).
 */
#ifndef USSD_PHONE_SMSC_INT_H
#define USSD_PHONE_SMSC_INT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "smsc.h"

struct event;
struct evbuffer;
struct evconnlistener;

#define SMSC_MAX_CONNS 64
#define SMSC_OUT_MAX (8u * 1024u * 1024u) /* an ESME that stops reading is dropped */
#define SMSC_IN_CAP (SMPP_PDU_MAX + 65536) /* a partial PDU (< SMPP_PDU_MAX) + one read */
#define SMSC_READ_MAX (256u << 10)          /* per wakeup, then the other events run */
#define SMSC_WINDOW_MAX 131072            /* outstanding requests per connection */
#define SMSC_TICK_MS 100
#define SMSC_ENQUIRE_MISSES 3
#define SMSC_OUR_SYSTEM_ID "ussd-phone"

enum pend_kind { PEND_NONE = 0, PEND_DELIVER, PEND_RECEIPT, PEND_ENQUIRE, PEND_UNBIND };

/* One request we sent. Entries are consecutive sequence numbers from head_seq on. */
struct pending {
    uint64_t tag;
    uint64_t sent_us;
    uint8_t kind; /* enum pend_kind; PEND_NONE once answered */
};

/* A deliver_sm written again under a sequence number already used (smsc_redeliver): a
 * response to that number settles the ring's entry first while it waits, then a copy. */
struct copy {
    uint32_t seq;
    struct pending p;
};

struct conn {
    struct smsc *s;
    struct conn *next;
    int id;
    evutil_socket_t fd;
    char peer[80];
    struct event *rd, *wr;
    struct event *fl;         /* deferred flush, activated by conn_write */
    int wr_added, fl_queued;
    uint8_t *in;              /* SMSC_IN_CAP octets; a PDU always starts at in[0] */
    size_t in_len;
    struct evbuffer *out;

    int bound;                /* bind accepted */
    int can_rx, can_tx;       /* we may deliver to it / it may submit */
    const char *bind_type;
    char system_id[16];

    uint32_t next_seq;        /* our requests: 1..0x7FFFFFFF */
    struct pending *ring;
    size_t ring_cap, ring_head, ring_n;
    uint32_t head_seq;        /* sequence of ring[ring_head] */
    struct copy *copies;      /* resent deliver_sm waiting for a response, oldest first */
    size_t n_copies, copies_cap;

    uint64_t opened_us;
    uint64_t next_enquire_us;
    int enquire_missed;

    int close_after_flush;    /* close once the output is written */
    const char *close_reason;
    int dead;
    char dead_reason[96];
};

struct smsc {
    struct event_base *base;
    struct smsc_config cfg;
    char host[256];
    char sys_id[16], password[9];
    struct smsc_callbacks cb;
    struct evconnlistener *listener;
    struct event *tick;
    struct event *reaper;
    struct event *relisten;
    struct conn *conns;
    int n_conns;
    int next_id;
    int rr_last;
    int port;
    uint64_t next_message_id;
    int throttle_left;        /* submits still to answer ESME_RTHROTTLED (smsc_throttle) */

    int shutting_down;
    struct event *shutdown_timer;
    struct event *done_ev;
    void (*done)(void *arg);
    void *done_arg;
};

/* stderr, "ussd-phone: " first */
void smsc_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The connection by id, NULL when gone. */
struct conn *smsc_find(struct smsc *s, int id);

/* Mark c dead (events off) and have the reaper free it; the reason is kept. */
void smsc_conn_fail(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write what is buffered now (deferred normally: see conn_write). */
void smsc_flush(struct conn *c);

/* Encode and queue m. 0, or -1 (the connection may be dead then). */
int smsc_send(struct conn *c, struct smpp_msg *m);
void smsc_send_header(struct conn *c, uint32_t cmd, uint32_t status, uint32_t seq);

/* The window: take the next sequence number for a request (0: full); forget one that
 * could not be sent (no callback); register a copy under an old number (-1: full). */
uint32_t smsc_ring_push(struct conn *c, enum pend_kind kind, uint64_t tag);
void smsc_ring_cancel(struct conn *c, uint32_t seq);
int smsc_copy_push(struct conn *c, uint32_t seq, uint64_t tag);
void smsc_copy_cancel(struct conn *c, uint32_t seq, uint64_t tag);

/* Settle what waited longer than the response timeout (SMPP_LOCAL_TIMEOUT). */
void smsc_window_expire(struct conn *c, uint64_t now_us);

/* A dead connection: every deliver_sm still waiting fails with SMPP_LOCAL_LINK_DOWN. */
void smsc_window_drain(struct conn *c);

/* Event callbacks of a connection (arg: the conn). */
void smsc_on_readable(evutil_socket_t fd, short what, void *arg);
void smsc_on_writable(evutil_socket_t fd, short what, void *arg);
void smsc_on_flush(evutil_socket_t fd, short what, void *arg);

#endif
