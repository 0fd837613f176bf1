/*
 * smsc_conn.c: one ESME connection's traffic for the SMSC (see smsc_int.h). Output is
 * coalesced: PDUs are appended to the output buffer and a deferred flush event
 * (activated: no syscall) writes them with one write once the callbacks of this loop
 * iteration have run; input is read into a linear buffer until the socket is empty
 * (bounded per wakeup) and every complete PDU is checked, decoded and answered. Our
 * requests wait in a ring indexed by sequence number; resent copies in a short list.
 */
#include "smsc_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "steplat.h"

void smsc_log(const char *fmt, ...)
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
        smsc_conn_fail(c, "output buffer full: the ESME is not reading");
        return -1;
    }
    if (evbuffer_add(c->out, b, n) != 0) {
        smsc_conn_fail(c, "out of memory");
        return -1;
    }
    /* written at the end of this loop iteration with everything else sent until then
     * (smsc_on_flush), or by smsc_on_writable when the socket was full */
    if (!c->wr_added && !c->fl_queued) {
        c->fl_queued = 1;
        event_active(c->fl, 0, 0);
    }
    return c->dead ? -1 : 0;
}

void smsc_on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct conn *c = arg;
    c->fl_queued = 0;
    smsc_flush(c);
}

void smsc_flush(struct conn *c)
{
    while (!c->dead && evbuffer_get_length(c->out) > 0) {
        int r = evbuffer_write(c->out, c->fd);
        if (r < 0) {
            int e = EVUTIL_SOCKET_ERROR();
            if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
                break;
            smsc_conn_fail(c, "write: %s", evutil_socket_error_to_string(e));
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
        smsc_conn_fail(c, "%s", c->close_reason ? c->close_reason : "closed");
}

void smsc_on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    smsc_flush(arg);
}

/* Encode and write. bind_transmitter/receiver_resp have the bind_transceiver_resp
 * layout: encoded as that, then the command id is patched. */
int smsc_send(struct conn *c, struct smpp_msg *m)
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
        smsc_log("esme=%d cannot encode %s: %s", c->id, smpp_command_name(cmd), err);
        return -1;
    }
    wr32(buf + 4, cmd);
    if (c->s->cfg.verbose) {
        char d[512];
        smpp_msg_describe(m, d, sizeof(d));
        smsc_log("esme=%d -> %s", c->id, d);
    }
    return conn_write(c, buf, len);
}

void smsc_send_header(struct conn *c, uint32_t cmd, uint32_t status, uint32_t seq)
{
    struct smpp_msg m;
    smpp_msg_init(&m, cmd);
    m.command_status = status;
    m.sequence = seq;
    smsc_send(c, &m);
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
    smsc_send(c, &m);
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
uint32_t smsc_ring_push(struct conn *c, enum pend_kind kind, uint64_t tag)
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
            smsc_log("esme=%d delivery receipt refused: %s", c->id, smpp_status_name(status));
        break;
    case PEND_ENQUIRE:
        if (status == SMPP_LOCAL_TIMEOUT) {
            if (++c->enquire_missed >= SMSC_ENQUIRE_MISSES)
                smsc_conn_fail(c, "no enquire_link_resp %d times", c->enquire_missed);
        } else {
            c->enquire_missed = 0;
        }
        break;
    case PEND_UNBIND:
        smsc_conn_fail(c, "unbound");
        break;
    default:
        break;
    }
}

void smsc_ring_cancel(struct conn *c, uint32_t seq)
{
    long i = ring_find(c, seq);
    if (i >= 0)
        c->ring[i].kind = PEND_NONE;
    ring_trim(c);
}

int smsc_copy_push(struct conn *c, uint32_t seq, uint64_t tag)
{
    if (c->n_copies == c->copies_cap) {
        if (c->copies_cap >= SMSC_WINDOW_MAX)
            return -1;
        size_t nc = c->copies_cap ? c->copies_cap * 2 : 16;
        struct copy *n = realloc(c->copies, nc * sizeof(*n));
        if (!n)
            return -1;
        c->copies = n;
        c->copies_cap = nc;
    }
    struct copy *k = &c->copies[c->n_copies++];
    k->seq = seq;
    k->p.kind = PEND_DELIVER;
    k->p.tag = tag;
    k->p.sent_us = steplat_now_us();
    return 0;
}

/* Take copy i out of the list (order kept: the oldest copy of a number answers first). */
static struct pending copy_take(struct conn *c, size_t i)
{
    struct pending p = c->copies[i].p;
    memmove(&c->copies[i], &c->copies[i + 1], (c->n_copies - i - 1) * sizeof(c->copies[0]));
    c->n_copies--;
    return p;
}

void smsc_copy_cancel(struct conn *c, uint32_t seq, uint64_t tag)
{
    for (size_t i = c->n_copies; i-- > 0;)
        if (c->copies[i].seq == seq && c->copies[i].p.tag == tag) {
            copy_take(c, i);
            return;
        }
}

/* A response: the ring's request while it waits, else the oldest copy of that number. */
static void resolve(struct conn *c, uint32_t seq, uint32_t status, const char *what)
{
    long i = ring_find(c, seq);
    if (i >= 0 && c->ring[i].kind != PEND_NONE) {
        settle(c, &c->ring[i], status);
        ring_trim(c);
        return;
    }
    for (size_t k = 0; k < c->n_copies; k++)
        if (c->copies[k].seq == seq) {
            struct pending p = copy_take(c, k); /* out first: the callback may push */
            settle(c, &p, status);
            return;
        }
    smsc_log("esme=%d %s seq=%u answers no request of ours: dropped", c->id, what, (unsigned)seq);
}

void smsc_window_expire(struct conn *c, uint64_t now)
{
    uint64_t limit = (uint64_t)c->s->cfg.response_timeout_ms * 1000u;
    while (!c->dead && c->ring_n) {
        struct pending *p = &c->ring[c->ring_head];
        if (p->kind != PEND_NONE) {
            if (now - p->sent_us < limit)
                break;
            settle(c, p, SMPP_LOCAL_TIMEOUT);
        }
        ring_trim(c);
    }
    /* copies are in sending order: the expired ones are at the front */
    while (!c->dead && c->n_copies && now - c->copies[0].p.sent_us >= limit) {
        struct pending p = copy_take(c, 0);
        settle(c, &p, SMPP_LOCAL_TIMEOUT);
    }
}

void smsc_window_drain(struct conn *c)
{
    struct smsc *s = c->s;
    for (size_t i = 0; i < c->ring_n; i++) {
        struct pending *p = &c->ring[(c->ring_head + i) % c->ring_cap];
        if (p->kind == PEND_DELIVER && s->cb.on_deliver_resp)
            s->cb.on_deliver_resp(s->cb.arg, p->tag, SMPP_LOCAL_LINK_DOWN);
        p->kind = PEND_NONE;
    }
    while (c->n_copies) {
        struct pending p = copy_take(c, 0);
        if (s->cb.on_deliver_resp)
            s->cb.on_deliver_resp(s->cb.arg, p.tag, SMPP_LOCAL_LINK_DOWN);
    }
}

/* ---- closing ---- */

void smsc_conn_fail(struct conn *c, const char *fmt, ...)
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
        smsc_log("esme=%d bind_%s system_id=%s refused: %s", c->id, type, who, smpp_status_name(st));
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
    struct conn *to = smsc_find(s, esme);
    if (!to || to->dead)
        return;
    uint32_t seq = smsc_ring_push(to, PEND_RECEIPT, 0);
    if (!seq)
        return;
    r.sequence = seq;
    if (smsc_send(to, &r) != 0)
        smsc_ring_cancel(to, seq);
}

static void handle_submit(struct conn *c, const struct smpp_msg *m)
{
    struct smsc *s = c->s;
    if (!c->bound || !c->can_tx) {
        send_resp(c, m->command_id, SMPP_ESME_RINVBNDSTS, m->sequence);
        return;
    }
    if (s->throttle_left > 0) {
        s->throttle_left--;
        smsc_log("esme=%d %s seq=%u throttled (%d more to throttle)", c->id, smpp_command_name(m->command_id),
                 (unsigned)m->sequence, s->throttle_left);
        send_resp(c, m->command_id, SMPP_ESME_RTHROTTLED, m->sequence);
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
    if (smsc_send(c, &r) != 0 || c->dead)
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
        smsc_send_header(c, SMPP_CMD_ENQUIRE_LINK_RESP, SMPP_ESME_ROK, m->sequence);
        break;
    case SMPP_CMD_UNBIND:
        smsc_send_header(c, SMPP_CMD_UNBIND_RESP, SMPP_ESME_ROK, m->sequence);
        c->can_rx = c->can_tx = 0; /* no more deliveries to it */
        c->close_after_flush = 1;
        c->close_reason = "the ESME unbound";
        smsc_flush(c);
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
        smsc_log("esme=%d generic_nack seq=%u status=%s", c->id, (unsigned)m->sequence,
              smpp_status_name(m->command_status));
        resolve(c, m->sequence, m->command_status ? m->command_status : SMPP_ESME_RUNKNOWNERR, "generic_nack");
        break;
    case SMPP_CMD_DELIVER_SM: /* SMSC -> ESME only */
        smsc_send_header(c, SMPP_CMD_GENERIC_NACK, SMPP_ESME_RINVCMDID, m->sequence);
        break;
    default:
        if (m->command_id & SMPP_CMD_RESP_BIT)
            smsc_log("esme=%d unexpected %s seq=%u: dropped", c->id, smpp_command_name(m->command_id),
                  (unsigned)m->sequence);
        else
            smsc_send_header(c, SMPP_CMD_GENERIC_NACK, SMPP_ESME_RINVCMDID, m->sequence);
        break;
    }
}

/* A PDU that failed the check or the decoder. */
static void bad_pdu(struct conn *c, const struct smpp_check *chk, uint32_t st, const char *why)
{
    smsc_log("esme=%d bad %s (0x%08X) seq=%u: %s (%s)", c->id, smpp_command_name(chk->command_id),
          (unsigned)chk->command_id, (unsigned)chk->sequence, why, smpp_status_name(st));
    if (!chk->header_ok) {
        smsc_send_header(c, SMPP_CMD_GENERIC_NACK, st, 0);
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
        smsc_send_header(c, SMPP_CMD_GENERIC_NACK, st, chk->sequence);
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
        smsc_log("esme=%d <- %s", c->id, d);
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
            smsc_log("esme=%d command_length %u outside 16..%u: framing lost", c->id, (unsigned)rd32(p),
                  (unsigned)SMPP_PDU_MAX);
            smsc_send_header(c, SMPP_CMD_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, seq);
            c->can_rx = c->can_tx = 0;
            c->close_after_flush = 1;
            c->close_reason = "framing lost";
            off = c->in_len;
            smsc_flush(c);
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

void smsc_on_readable(evutil_socket_t fd, short what, void *arg)
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
            smsc_conn_fail(c, "peer closed the connection");
            return;
        }
        if (n < 0) {
            int e = EVUTIL_SOCKET_ERROR();
            if (e == EINTR)
                continue;
            if (e != EAGAIN && e != EWOULDBLOCK)
                smsc_conn_fail(c, "read: %s", evutil_socket_error_to_string(e));
            return;
        }
        c->in_len += (size_t)n;
        total += (size_t)n;
        take_input(c);
        if ((size_t)n < room || total >= SMSC_READ_MAX)
            return;
    }
}
