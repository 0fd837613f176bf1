/*
 * smsc.c: the SMSC side of SMPP 3.4 for the phone simulator. One listener, a list of
 * ESME connections, each with raw read/write events over bounded evbuffers, a ring of
 * outstanding requests indexed by sequence number, and one periodic tick for response
 * timers, enquire_link and bind timeouts. Connections are closed in a deferred "reaper"
 * event, so nothing is freed under a caller's feet. Output is coalesced: PDUs are
 * appended to the output buffer and a deferred flush event (activated: no syscall)
 * writes them with one write once the callbacks of this loop iteration have run; input
 * is read into a linear buffer until the socket is empty (bounded per wakeup).
 */
#include "smsc.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "steplat.h"

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

    int shutting_down;
    struct event *shutdown_timer;
    struct event *done_ev;
    void (*done)(void *arg);
    void *done_arg;
};

static void conn_fail(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void flush(struct conn *c);

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ussd-phone: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- writing ---- */

static int conn_write(struct conn *c, const uint8_t *b, size_t n)
{
    if (c->dead)
        return -1;
    if (evbuffer_get_length(c->out) + n > SMSC_OUT_MAX) {
        conn_fail(c, "output buffer full: the ESME is not reading");
        return -1;
    }
    if (evbuffer_add(c->out, b, n) != 0) {
        conn_fail(c, "out of memory");
        return -1;
    }
    /* written at the end of this loop iteration with everything else sent until then
     * (on_flush), or by on_writable when the socket was full */
    if (!c->wr_added && !c->fl_queued) {
        c->fl_queued = 1;
        event_active(c->fl, 0, 0);
    }
    return c->dead ? -1 : 0;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct conn *c = arg;
    c->fl_queued = 0;
    flush(c);
}

static void flush(struct conn *c)
{
    while (!c->dead && evbuffer_get_length(c->out) > 0) {
        int r = evbuffer_write(c->out, c->fd);
        if (r < 0) {
            int e = EVUTIL_SOCKET_ERROR();
            if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
                break;
            conn_fail(c, "write: %s", evutil_socket_error_to_string(e));
            return;
        }
        if (r == 0)
            break;
    }
    if (c->dead)
        return;
    size_t left = evbuffer_get_length(c->out);
    if (left > 0 && !c->wr_added) {
        event_add(c->wr, NULL);
        c->wr_added = 1;
    } else if (left == 0 && c->wr_added) {
        event_del(c->wr);
        c->wr_added = 0;
    }
    if (left == 0 && c->close_after_flush)
        conn_fail(c, "%s", c->close_reason ? c->close_reason : "closed");
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    flush(arg);
}

/* Encode and write. bind_transmitter/receiver_resp have the bind_transceiver_resp
 * layout: encoded as that, then the command id is patched. */
static int send_msg(struct conn *c, struct smpp_msg *m)
{
    uint8_t buf[SMPP_ENCODE_CAP];
    size_t len = 0;
    char err[160];
    uint32_t cmd = m->command_id;
    if (cmd == SMPP_CMD_BIND_TRANSMITTER_RESP || cmd == SMPP_CMD_BIND_RECEIVER_RESP)
        m->command_id = SMPP_CMD_BIND_TRANSCEIVER_RESP;
    int r = smpp_pdu_encode(m, buf, sizeof(buf), &len, err, sizeof(err));
    m->command_id = cmd;
    if (r != 0) {
        logf_("esme=%d cannot encode %s: %s", c->id, smpp_command_name(cmd), err);
        return -1;
    }
    wr32(buf + 4, cmd);
    if (c->s->cfg.verbose) {
        char d[512];
        smpp_msg_describe(m, d, sizeof(d));
        logf_("esme=%d -> %s", c->id, d);
    }
    return conn_write(c, buf, len);
}

static void send_header_only(struct conn *c, uint32_t cmd, uint32_t status, uint32_t seq)
{
    struct smpp_msg m;
    smpp_msg_init(&m, cmd);
    m.command_status = status;
    m.sequence = seq;
    send_msg(c, &m);
}

/* The response to a request we could not or would not serve. */
static void send_resp(struct conn *c, uint32_t req_cmd, uint32_t status, uint32_t seq)
{
    struct smpp_msg m;
    smpp_msg_init(&m, req_cmd | SMPP_CMD_RESP_BIT);
    m.command_status = status;
    m.sequence = seq;
    if (req_cmd == SMPP_CMD_BIND_TRANSCEIVER || req_cmd == SMPP_CMD_BIND_TRANSMITTER ||
        req_cmd == SMPP_CMD_BIND_RECEIVER)
        snprintf(m.system_id, sizeof(m.system_id), "%s", SMSC_OUR_SYSTEM_ID);
    send_msg(c, &m);
}

/* ---- the window of our requests ---- */

static uint32_t seq_next(uint32_t s)
{
    return s >= 0x7FFFFFFFu ? 1 : s + 1;
}

/* Position of seq in the ring, or -1. */
static long ring_find(const struct conn *c, uint32_t seq)
{
    if (!c->ring_n || seq == 0 || seq > 0x7FFFFFFFu)
        return -1;
    uint32_t d = seq >= c->head_seq ? seq - c->head_seq : seq + (0x7FFFFFFFu - c->head_seq);
    if (d >= c->ring_n)
        return -1;
    return (long)((c->ring_head + d) % c->ring_cap);
}

/* Take the next sequence number and a ring slot. Returns the sequence, 0 when full. */
static uint32_t ring_push(struct conn *c, enum pend_kind kind, uint64_t tag)
{
    if (c->ring_n == c->ring_cap) {
        if (c->ring_cap >= SMSC_WINDOW_MAX)
            return 0;
        size_t nc = c->ring_cap ? c->ring_cap * 2 : 256;
        struct pending *nr = malloc(nc * sizeof(*nr));
        if (!nr)
            return 0;
        for (size_t i = 0; i < c->ring_n; i++)
            nr[i] = c->ring[(c->ring_head + i) % c->ring_cap];
        free(c->ring);
        c->ring = nr;
        c->ring_cap = nc;
        c->ring_head = 0;
    }
    uint32_t seq = c->next_seq;
    c->next_seq = seq_next(seq);
    if (c->ring_n == 0)
        c->head_seq = seq;
    struct pending *p = &c->ring[(c->ring_head + c->ring_n) % c->ring_cap];
    p->kind = (uint8_t)kind;
    p->tag = tag;
    p->sent_us = steplat_now_us();
    c->ring_n++;
    return seq;
}

/* Drop answered entries from the head. */
static void ring_trim(struct conn *c)
{
    while (c->ring_n && c->ring[c->ring_head].kind == PEND_NONE) {
        c->ring_head = (c->ring_head + 1) % c->ring_cap;
        c->ring_n--;
        c->head_seq = seq_next(c->head_seq);
    }
}

/* A request's outcome: status from the ESME, or a local one. */
static void settle(struct conn *c, struct pending *p, uint32_t status)
{
    enum pend_kind kind = (enum pend_kind)p->kind;
    uint64_t tag = p->tag;
    p->kind = PEND_NONE;
    switch (kind) {
    case PEND_DELIVER:
        if (c->s->cb.on_deliver_resp)
            c->s->cb.on_deliver_resp(c->s->cb.arg, tag, status);
        break;
    case PEND_RECEIPT:
        if (status)
            logf_("esme=%d delivery receipt refused: %s", c->id, smpp_status_name(status));
        break;
    case PEND_ENQUIRE:
        if (status == SMPP_LOCAL_TIMEOUT) {
            if (++c->enquire_missed >= SMSC_ENQUIRE_MISSES)
                conn_fail(c, "no enquire_link_resp %d times", c->enquire_missed);
        } else {
            c->enquire_missed = 0;
        }
        break;
    case PEND_UNBIND:
        conn_fail(c, "unbound");
        break;
    default:
        break;
    }
}

static void resolve(struct conn *c, uint32_t seq, uint32_t status, const char *what)
{
    long i = ring_find(c, seq);
    if (i < 0 || c->ring[i].kind == PEND_NONE) {
        logf_("esme=%d %s seq=%u answers no request of ours: dropped", c->id, what, (unsigned)seq);
        return;
    }
    settle(c, &c->ring[i], status);
    ring_trim(c);
}

/* ---- closing ---- */

static void conn_fail(struct conn *c, const char *fmt, ...)
{
    if (c->dead)
        return;
    c->dead = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->dead_reason, sizeof(c->dead_reason), fmt, ap);
    va_end(ap);
    event_del(c->rd);
    event_del(c->wr);
    event_del(c->fl);
    c->wr_added = 0;
    c->fl_queued = 0;
    event_active(c->s->reaper, 0, 0);
}

static void conn_free(struct conn *c)
{
    if (c->rd)
        event_free(c->rd);
    if (c->wr)
        event_free(c->wr);
    if (c->fl)
        event_free(c->fl);
    free(c->in);
    if (c->out)
        evbuffer_free(c->out);
    if (c->fd >= 0)
        evutil_closesocket(c->fd);
    free(c->ring);
    free(c);
}

static void check_done(struct smsc *s)
{
    if (s->shutting_down && !s->conns && s->done_ev)
        event_active(s->done_ev, 0, 0);
}

/* Unlink and free dead connections; their pending requests fail with LINK_DOWN. */
static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct smsc *s = arg;
    struct conn **pp = &s->conns;
    while (*pp) {
        struct conn *c = *pp;
        if (!c->dead) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        s->n_conns--;
        for (size_t i = 0; i < c->ring_n; i++) {
            struct pending *p = &c->ring[(c->ring_head + i) % c->ring_cap];
            if (p->kind == PEND_DELIVER && s->cb.on_deliver_resp)
                s->cb.on_deliver_resp(s->cb.arg, p->tag, SMPP_LOCAL_LINK_DOWN);
            p->kind = PEND_NONE;
        }
        if (c->bound) {
            fprintf(stderr, "unbound system_id=%s esme=%d reason=%s\n", c->system_id, c->id, c->dead_reason);
            fflush(stderr);
            if (s->cb.on_unbound)
                s->cb.on_unbound(s->cb.arg, c->id, c->system_id, c->dead_reason);
        } else if (s->cfg.verbose) {
            logf_("esme=%d closed: %s", c->id, c->dead_reason);
        }
        conn_free(c);
        pp = &s->conns; /* callbacks may have killed others: rescan */
    }
    check_done(s);
}

/* ---- reading ---- */

/* A peer's string for our logs: anything but printable ASCII becomes '?'. */
static void printable(char *out, size_t cap, const char *in)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++)
        out[n++] = (*in > 0x20 && *in < 0x7F) ? *in : '?';
    out[n] = 0;
}

static void handle_bind(struct conn *c, const struct smpp_msg *m)
{
    struct smsc *s = c->s;
    const char *type = m->command_id == SMPP_CMD_BIND_TRANSCEIVER ? "transceiver"
                       : m->command_id == SMPP_CMD_BIND_TRANSMITTER ? "transmitter" : "receiver";
    uint32_t st = SMPP_ESME_ROK;
    if (c->bound)
        st = SMPP_ESME_RALYBND;
    else if (s->shutting_down)
        st = SMPP_ESME_RBINDFAIL;
    else if (s->cfg.system_id && strcmp(m->system_id, s->cfg.system_id) != 0)
        st = SMPP_ESME_RBINDFAIL;
    else if (s->cfg.password && strcmp(m->password, s->cfg.password) != 0)
        st = SMPP_ESME_RINVPASWD;
    if (st) {
        char who[16];
        printable(who, sizeof(who), m->system_id);
        logf_("esme=%d bind_%s system_id=%s refused: %s", c->id, type, who, smpp_status_name(st));
        send_resp(c, m->command_id, st, m->sequence);
        return;
    }
    c->bound = 1;
    c->bind_type = type;
    c->can_rx = m->command_id != SMPP_CMD_BIND_TRANSMITTER;
    c->can_tx = m->command_id != SMPP_CMD_BIND_RECEIVER;
    printable(c->system_id, sizeof(c->system_id), m->system_id);
    send_resp(c, m->command_id, SMPP_ESME_ROK, m->sequence);
    if (c->dead)
        return;
    c->next_enquire_us = steplat_now_us() + (uint64_t)s->cfg.enquire_link_s * 1000000u;
    fprintf(stderr, "bound system_id=%s type=%s esme=%d peer=%s\n", c->system_id, type, c->id, c->peer);
    fflush(stderr);
    if (s->cb.on_bound)
        s->cb.on_bound(s->cb.arg, c->id, c->system_id);
}

static void fmt_date(char *out, size_t cap)
{
    /* one receipt per SMS: localtime_r once a second is enough */
    static time_t last;
    static struct tm tm;
    time_t t = time(NULL);
    if (t != last) {
        localtime_r(&t, &tm);
        last = t;
    }
    /* YYMMDDhhmm, as receipts carry it */
    snprintf(out, cap, "%02u%02u%02u%02u%02u", (unsigned)tm.tm_year % 100u, (unsigned)(tm.tm_mon + 1) % 100u,
             (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u);
}

/* A delivery receipt for an SMS the ESME asked one for. */
static void send_receipt(struct conn *c, const struct smpp_msg *sub, const char *message_id)
{
    struct smsc *s = c->s;
    int esme = c->can_rx ? c->id : smsc_pick(s, 0);
    if (esme < 0)
        return;
    struct smpp_msg r;
    smpp_msg_init(&r, SMPP_CMD_DELIVER_SM);
    r.esm_class = 0x04;
    r.source_addr_ton = sub->dest_addr_ton;
    r.source_addr_npi = sub->dest_addr_npi;
    snprintf(r.source_addr, sizeof(r.source_addr), "%.20s", sub->destination_addr);
    r.dest_addr_ton = sub->source_addr_ton;
    r.dest_addr_npi = sub->source_addr_npi;
    snprintf(r.destination_addr, 21, "%.20s", sub->source_addr);
    char text[21];
    size_t n = 0;
    for (size_t i = 0; i < sub->sm_length && n < 20; i++) {
        uint8_t b = sub->short_message[i];
        text[n++] = (b >= 0x20 && b < 0x7F) ? (char)b : '.';
    }
    text[n] = 0;
    char date[16];
    fmt_date(date, sizeof(date));
    int k = snprintf((char *)r.short_message, SMPP_SM_ENCODE_MAX,
                     "id:%.40s sub:001 dlvrd:001 submit date:%s done date:%s stat:DELIVRD err:000 text:%s",
                     message_id, date, date, text);
    r.sm_length = (uint8_t)(k < 0 ? 0 : k >= SMPP_SM_ENCODE_MAX ? SMPP_SM_ENCODE_MAX - 1 : k);
    r.has_receipted_message_id = 1;
    snprintf(r.receipted_message_id, sizeof(r.receipted_message_id), "%s", message_id);
    r.has_message_state = 1;
    r.message_state = 2; /* DELIVERED */
    struct conn *to = NULL;
    for (struct conn *x = s->conns; x; x = x->next)
        if (x->id == esme)
            to = x;
    if (!to || to->dead)
        return;
    uint32_t seq = ring_push(to, PEND_RECEIPT, 0);
    if (!seq)
        return;
    r.sequence = seq;
    if (send_msg(to, &r) != 0) {
        long i = ring_find(to, seq);
        if (i >= 0)
            to->ring[i].kind = PEND_NONE;
        ring_trim(to);
    }
}

static void handle_submit(struct conn *c, const struct smpp_msg *m)
{
    struct smsc *s = c->s;
    if (!c->bound || !c->can_tx) {
        send_resp(c, m->command_id, SMPP_ESME_RINVBNDSTS, m->sequence);
        return;
    }
    struct smpp_msg r;
    smpp_msg_init(&r, m->command_id | SMPP_CMD_RESP_BIT);
    r.sequence = m->sequence;
    { /* "%llu" of the next id, without printf (a submit each) */
        char d[24];
        int nd = 0;
        uint64_t v = ++s->next_message_id;
        do
            d[nd++] = (char)('0' + v % 10);
        while (v /= 10);
        int k = 0;
        while (nd)
            r.message_id[k++] = d[--nd];
        r.message_id[k] = 0;
    }
    if (send_msg(c, &r) != 0 || c->dead)
        return;
    if (s->cfg.receipts && (m->registered_delivery & 0x03) == 1 && !m->has_ussd_service_op)
        send_receipt(c, m, r.message_id);
    if (s->cb.on_message)
        s->cb.on_message(s->cb.arg, c->id, m);
}

static void dispatch(struct conn *c, const struct smpp_msg *m)
{
    switch (m->command_id) {
    case SMPP_CMD_BIND_TRANSCEIVER:
    case SMPP_CMD_BIND_TRANSMITTER:
    case SMPP_CMD_BIND_RECEIVER:
        handle_bind(c, m);
        break;
    case SMPP_CMD_ENQUIRE_LINK:
        send_header_only(c, SMPP_CMD_ENQUIRE_LINK_RESP, SMPP_ESME_ROK, m->sequence);
        break;
    case SMPP_CMD_UNBIND:
        send_header_only(c, SMPP_CMD_UNBIND_RESP, SMPP_ESME_ROK, m->sequence);
        c->can_rx = c->can_tx = 0; /* no more deliveries to it */
        c->close_after_flush = 1;
        c->close_reason = "the ESME unbound";
        flush(c);
        break;
    case SMPP_CMD_SUBMIT_SM:
    case SMPP_CMD_DATA_SM:
        handle_submit(c, m);
        break;
    case SMPP_CMD_DELIVER_SM_RESP:
    case SMPP_CMD_DATA_SM_RESP:
    case SMPP_CMD_ENQUIRE_LINK_RESP:
    case SMPP_CMD_UNBIND_RESP:
        resolve(c, m->sequence, m->command_status, smpp_command_name(m->command_id));
        break;
    case SMPP_CMD_GENERIC_NACK:
        logf_("esme=%d generic_nack seq=%u status=%s", c->id, (unsigned)m->sequence,
              smpp_status_name(m->command_status));
        resolve(c, m->sequence, m->command_status ? m->command_status : SMPP_ESME_RUNKNOWNERR, "generic_nack");
        break;
    case SMPP_CMD_DELIVER_SM: /* SMSC -> ESME only */
        send_header_only(c, SMPP_CMD_GENERIC_NACK, SMPP_ESME_RINVCMDID, m->sequence);
        break;
    default:
        if (m->command_id & SMPP_CMD_RESP_BIT)
            logf_("esme=%d unexpected %s seq=%u: dropped", c->id, smpp_command_name(m->command_id),
                  (unsigned)m->sequence);
        else
            send_header_only(c, SMPP_CMD_GENERIC_NACK, SMPP_ESME_RINVCMDID, m->sequence);
        break;
    }
}

/* A PDU that failed the check or the decoder. */
static void bad_pdu(struct conn *c, const struct smpp_check *chk, uint32_t st, const char *why)
{
    logf_("esme=%d bad %s (0x%08X) seq=%u: %s (%s)", c->id, smpp_command_name(chk->command_id),
          (unsigned)chk->command_id, (unsigned)chk->sequence, why, smpp_status_name(st));
    if (!chk->header_ok) {
        send_header_only(c, SMPP_CMD_GENERIC_NACK, st, 0);
        return;
    }
    if (chk->command_id & SMPP_CMD_RESP_BIT) {
        /* never answer a response; a broken one still settles its request */
        uint32_t id = chk->command_id;
        if (id == SMPP_CMD_DELIVER_SM_RESP || id == SMPP_CMD_DATA_SM_RESP || id == SMPP_CMD_GENERIC_NACK ||
            id == SMPP_CMD_ENQUIRE_LINK_RESP || id == SMPP_CMD_UNBIND_RESP)
            resolve(c, chk->sequence, SMPP_LOCAL_BAD_RESP, smpp_command_name(id));
        return;
    }
    switch (chk->command_id) {
    case SMPP_CMD_BIND_TRANSCEIVER:
    case SMPP_CMD_BIND_TRANSMITTER:
    case SMPP_CMD_BIND_RECEIVER:
    case SMPP_CMD_SUBMIT_SM:
    case SMPP_CMD_DATA_SM:
    case SMPP_CMD_ENQUIRE_LINK:
    case SMPP_CMD_UNBIND:
        send_resp(c, chk->command_id, st, chk->sequence);
        break;
    default: /* unknown or unsupported command, or a broken header */
        send_header_only(c, SMPP_CMD_GENERIC_NACK, st, chk->sequence);
        break;
    }
}

static void handle_pdu(struct conn *c, const uint8_t *p, size_t len)
{
    struct smpp_check chk;
    struct smpp_msg m;
    char err[160] = "";
    /* The decoder runs the check's walk and fails with the same status: the check (for
     * the header fields and reason of the answer) only runs when it failed. */
    int st = smpp_pdu_decode(p, len, &m, err, sizeof(err));
    if (st) {
        int cst = smpp_pdu_check(p, len, &chk);
        if (cst)
            bad_pdu(c, &chk, (uint32_t)cst, chk.reason ? chk.reason : "check failed");
        else
            bad_pdu(c, &chk, (uint32_t)st, err);
        return;
    }
    if (c->s->cfg.verbose) {
        char d[512];
        smpp_msg_describe(&m, d, sizeof(d));
        for (char *x = d; *x; x++) /* the peer's strings, made harmless for a terminal */
            if ((unsigned char)*x < 0x20 || (unsigned char)*x >= 0x7F)
                *x = '?';
        logf_("esme=%d <- %s", c->id, d);
    }
    dispatch(c, &m);
}

/* Every complete PDU at the front of the input; the rest stays at in[0]. */
static void take_input(struct conn *c)
{
    size_t off = 0;
    while (!c->dead) {
        size_t have = c->in_len - off, pdu_len = 0;
        const uint8_t *p = c->in + off;
        int r = smpp_pdu_frame(p, have, &pdu_len);
        if (r == SMPP_FRAME_NEED_MORE)
            break;
        if (r == SMPP_FRAME_BAD) {
            uint32_t seq = have >= SMPP_HEADER_LEN ? rd32(p + 12) : 0;
            logf_("esme=%d command_length %u outside 16..%u: framing lost", c->id, (unsigned)rd32(p),
                  (unsigned)SMPP_PDU_MAX);
            send_header_only(c, SMPP_CMD_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, seq);
            c->can_rx = c->can_tx = 0;
            c->close_after_flush = 1;
            c->close_reason = "framing lost";
            off = c->in_len;
            flush(c);
            break;
        }
        handle_pdu(c, p, pdu_len);
        off += pdu_len;
    }
    if (c->dead)
        c->in_len = 0;
    else if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct conn *c = arg;
    /* read again while a read filled the room it had; a partial PDU (< SMPP_PDU_MAX) is
     * all that stays in the buffer, so there is always room */
    size_t total = 0;
    while (!c->dead) {
        size_t room = SMSC_IN_CAP - c->in_len;
        ssize_t n = recv(fd, c->in + c->in_len, room, 0);
        if (n == 0) {
            conn_fail(c, "peer closed the connection");
            return;
        }
        if (n < 0) {
            int e = EVUTIL_SOCKET_ERROR();
            if (e == EINTR)
                continue;
            if (e != EAGAIN && e != EWOULDBLOCK)
                conn_fail(c, "read: %s", evutil_socket_error_to_string(e));
            return;
        }
        c->in_len += (size_t)n;
        total += (size_t)n;
        take_input(c);
        if ((size_t)n < room || total >= SMSC_READ_MAX)
            return;
    }
}

/* ---- accepting ---- */

static void peer_name(const struct sockaddr *sa, char *out, size_t cap)
{
    char h[NI_MAXHOST], p[NI_MAXSERV];
    if (getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), h,
                    sizeof(h), p, sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, cap, "?");
        return;
    }
    if (sa->sa_family == AF_INET6)
        snprintf(out, cap, "[%.64s]:%.8s", h, p);
    else
        snprintf(out, cap, "%.64s:%.8s", h, p);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)l, (void)salen;
    struct smsc *s = arg;
    if (s->shutting_down || s->n_conns >= SMSC_MAX_CONNS) {
        logf_("refusing a connection: %s", s->shutting_down ? "shutting down" : "too many connections");
        evutil_closesocket(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    evutil_make_socket_nonblocking(fd);
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        evutil_closesocket(fd);
        return;
    }
    c->s = s;
    c->fd = fd;
    c->id = ++s->next_id;
    c->next_seq = 1;
    c->opened_us = steplat_now_us();
    peer_name(sa, c->peer, sizeof(c->peer));
    c->in = malloc(SMSC_IN_CAP);
    c->out = evbuffer_new();
    c->rd = event_new(s->base, fd, EV_READ | EV_PERSIST, on_readable, c);
    c->wr = event_new(s->base, fd, EV_WRITE | EV_PERSIST, on_writable, c);
    c->fl = event_new(s->base, -1, 0, on_flush, c);
    if (!c->in || !c->out || !c->rd || !c->wr || !c->fl || event_add(c->rd, NULL) != 0) {
        conn_free(c);
        return;
    }
    c->next = s->conns;
    s->conns = c;
    s->n_conns++;
    if (s->cfg.verbose)
        logf_("esme=%d connected from %s", c->id, c->peer);
}

static void on_relisten(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct smsc *s = arg;
    if (s->listener && !s->shutting_down)
        evconnlistener_enable(s->listener);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    struct smsc *s = arg;
    int e = EVUTIL_SOCKET_ERROR();
    logf_("accept: %s (pausing for 1 s)", evutil_socket_error_to_string(e));
    evconnlistener_disable(l);
    struct timeval tv = {1, 0};
    event_add(s->relisten, &tv);
}

/* ---- the tick: response timers, enquire_link, bind timeout ---- */

static void tick_conn(struct conn *c, uint64_t now)
{
    struct smsc *s = c->s;
    uint64_t limit = (uint64_t)s->cfg.response_timeout_ms * 1000u;
    while (!c->dead && c->ring_n) {
        struct pending *p = &c->ring[c->ring_head];
        if (p->kind != PEND_NONE) {
            if (now - p->sent_us < limit)
                break;
            settle(c, p, SMPP_LOCAL_TIMEOUT);
        }
        ring_trim(c);
    }
    if (c->dead)
        return;
    if (!c->bound && now - c->opened_us > (uint64_t)s->cfg.bind_timeout_s * 1000000u) {
        conn_fail(c, "no bind within %d s", s->cfg.bind_timeout_s);
        return;
    }
    if (c->bound && !c->close_after_flush && s->cfg.enquire_link_s > 0 && now >= c->next_enquire_us) {
        c->next_enquire_us = now + (uint64_t)s->cfg.enquire_link_s * 1000000u;
        uint32_t seq = ring_push(c, PEND_ENQUIRE, 0);
        if (seq)
            send_header_only(c, SMPP_CMD_ENQUIRE_LINK, 0, seq);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct smsc *s = arg;
    uint64_t now = steplat_now_us();
    for (struct conn *c = s->conns; c; c = c->next)
        if (!c->dead)
            tick_conn(c, now);
}

/* ---- public ---- */

struct smsc *smsc_new(struct event_base *base, const struct smsc_config *cfg, const struct smsc_callbacks *cb,
                      char *err, size_t errlen)
{
    struct smsc *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->base = base;
    s->cfg = *cfg;
    snprintf(s->host, sizeof(s->host), "%s", cfg->host ? cfg->host : "127.0.0.1");
    s->cfg.host = s->host;
    if (cfg->system_id) {
        snprintf(s->sys_id, sizeof(s->sys_id), "%s", cfg->system_id);
        s->cfg.system_id = s->sys_id;
    }
    if (cfg->password) {
        snprintf(s->password, sizeof(s->password), "%s", cfg->password);
        s->cfg.password = s->password;
    }
    if (s->cfg.response_timeout_ms <= 0)
        s->cfg.response_timeout_ms = 10000;
    if (s->cfg.bind_timeout_s <= 0)
        s->cfg.bind_timeout_s = 30;
    s->cb = *cb;
    s->next_message_id = (uint64_t)time(NULL) % 1000000u * 1000u;

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char port[16];
    snprintf(port, sizeof(port), "%d", cfg->port);
    int gai = getaddrinfo(s->host, port, &hints, &res);
    if (gai != 0 || !res) {
        snprintf(err, errlen, "cannot resolve %s: %s", s->host, gai_strerror(gai));
        free(s);
        return NULL;
    }
    s->listener = evconnlistener_new_bind(base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
                                          res->ai_addr, (int)res->ai_addrlen);
    if (!s->listener) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", s->host, cfg->port, strerror(errno));
        freeaddrinfo(res);
        free(s);
        return NULL;
    }
    freeaddrinfo(res);
    evconnlistener_set_error_cb(s->listener, on_accept_error);

    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char where[320];
    if (getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&ss, &sl) == 0) {
        peer_name((struct sockaddr *)&ss, where, sizeof(where));
        s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    } else {
        snprintf(where, sizeof(where), "%s:%d", s->host, cfg->port);
        s->port = cfg->port;
    }

    s->tick = event_new(base, -1, EV_PERSIST, on_tick, s);
    s->reaper = event_new(base, -1, 0, on_reap, s);
    s->relisten = evtimer_new(base, on_relisten, s);
    struct timeval tv = {0, SMSC_TICK_MS * 1000};
    if (!s->tick || !s->reaper || !s->relisten || event_add(s->tick, &tv) != 0) {
        snprintf(err, errlen, "out of memory");
        smsc_free(s);
        return NULL;
    }
    fprintf(stderr, "listening on %s\n", where);
    fflush(stderr);
    return s;
}

void smsc_free(struct smsc *s)
{
    if (!s)
        return;
    while (s->conns) {
        struct conn *c = s->conns;
        s->conns = c->next;
        conn_free(c);
    }
    if (s->listener)
        evconnlistener_free(s->listener);
    if (s->tick)
        event_free(s->tick);
    if (s->reaper)
        event_free(s->reaper);
    if (s->relisten)
        event_free(s->relisten);
    if (s->shutdown_timer)
        event_free(s->shutdown_timer);
    if (s->done_ev)
        event_free(s->done_ev);
    free(s);
}

int smsc_port(const struct smsc *s)
{
    return s->port;
}

static int eligible(const struct conn *c)
{
    return !c->dead && c->bound && c->can_rx && !c->close_after_flush;
}

int smsc_bound(const struct smsc *s)
{
    int n = 0;
    for (const struct conn *c = s->conns; c; c = c->next)
        n += eligible(c);
    return n;
}

int smsc_pick(struct smsc *s, int prefer)
{
    /* the list is newest first: round-robin by id, the next one above the last pick */
    const struct conn *best_above = NULL, *lowest = NULL;
    for (const struct conn *c = s->conns; c; c = c->next) {
        if (!eligible(c))
            continue;
        if (prefer > 0 && c->id == prefer)
            return prefer;
        if (c->id > s->rr_last && (!best_above || c->id < best_above->id))
            best_above = c;
        if (!lowest || c->id < lowest->id)
            lowest = c;
    }
    const struct conn *pick = best_above ? best_above : lowest;
    if (!pick)
        return -1;
    s->rr_last = pick->id;
    return pick->id;
}

int smsc_deliver(struct smsc *s, int esme, struct smpp_msg *m, uint64_t tag, char *err, size_t errlen)
{
    struct conn *c = NULL;
    for (struct conn *x = s->conns; x; x = x->next)
        if (x->id == esme) {
            c = x;
            break;
        }
    if (!c || !eligible(c)) {
        snprintf(err, errlen, "ESME %d is not bound", esme);
        return -1;
    }
    uint32_t seq = ring_push(c, PEND_DELIVER, tag);
    if (!seq) {
        snprintf(err, errlen, "ESME %d: window of %d outstanding requests is full", esme, SMSC_WINDOW_MAX);
        return -1;
    }
    m->sequence = seq;
    if (send_msg(c, m) != 0) {
        long i = ring_find(c, seq);
        if (i >= 0)
            c->ring[i].kind = PEND_NONE; /* no callback: we return -1 */
        ring_trim(c);
        snprintf(err, errlen, "ESME %d: %s", esme, c->dead ? c->dead_reason : "cannot encode the message");
        return -1;
    }
    return 0;
}

static void on_shutdown_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct smsc *s = arg;
    for (struct conn *c = s->conns; c; c = c->next)
        conn_fail(c, "no unbind_resp before shutdown");
    check_done(s);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct smsc *s = arg;
    void (*done)(void *) = s->done;
    s->done = NULL;
    if (s->shutdown_timer)
        event_del(s->shutdown_timer);
    if (done)
        done(s->done_arg);
}

void smsc_shutdown(struct smsc *s, void (*done)(void *arg), void *arg)
{
    if (s->shutting_down)
        return;
    s->shutting_down = 1;
    s->done = done;
    s->done_arg = arg;
    if (s->listener)
        evconnlistener_disable(s->listener);
    s->done_ev = event_new(s->base, -1, 0, on_done, s);
    s->shutdown_timer = evtimer_new(s->base, on_shutdown_timer, s);
    for (struct conn *c = s->conns; c; c = c->next) {
        if (c->dead)
            continue;
        if (!c->bound || c->close_after_flush) {
            conn_fail(c, "shutting down");
            continue;
        }
        c->can_rx = 0; /* its submits in flight are still answered */
        uint32_t seq = ring_push(c, PEND_UNBIND, 0);
        if (seq)
            send_header_only(c, SMPP_CMD_UNBIND, 0, seq);
        else
            conn_fail(c, "shutting down");
    }
    int ms = s->cfg.response_timeout_ms < 2000 ? s->cfg.response_timeout_ms : 2000;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (s->shutdown_timer)
        event_add(s->shutdown_timer, &tv);
    if (!s->conns && s->done_ev)
        event_active(s->done_ev, 0, 0);
}
