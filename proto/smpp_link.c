/*
 * smpp_link.c: one ESME link on libevent (see smpp_link.h).
 *
 * Shape: raw non-blocking socket + two events (read, write), a linear input buffer and
 * an output evbuffer, and a handful of timers owned by the link. Requests live in two
 * lists: the window (sent, waiting for a response, each with a response timer) and the
 * queue (waiting for a window slot, the TPS bucket or the end of a throttling pause,
 * each with a queue timer).
 *
 * Syscalls are batched. Output is coalesced: PDUs are appended to the output buffer and
 * a deferred flush event (activated, never a syscall) writes them with one sendmsg once
 * the callbacks of this loop iteration have run; the write event is armed only when the
 * socket did not take everything. Reads take what the socket has (bounded per wakeup)
 * and handle every complete PDU in it; the deliver_sm of one read are answered first,
 * with one write, then given to on_deliver (still "its _resp has already been sent").
 *
 * Re-entrancy: every libevent callback runs between ENTER and leave(); user callbacks
 * may call smpp_link_free, which then only marks the link and leave() frees it once the
 * outermost handler returns. A connection is never torn down in the middle of parsing:
 * kill_conn() marks it dying and a zero timer closes it from a clean stack.
 */
#include "smpp_link.h"

#include "resolve.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#define SEQ_MAX 0x7FFFFFFFu
#define OUT_MAX (4u << 20) /* unsent output beyond this: the peer does not read, drop */
#define IN_CAP (SMPP_PDU_MAX + 65536) /* input: one partial PDU (< SMPP_PDU_MAX) + a read */
#define READ_MAX_PER_WAKEUP (256u << 10) /* then let the other events of the loop run */
#define DELIVER_BATCH 256 /* deliver_sm answered with one write before on_deliver runs */

struct req {
    struct req *prev, *next;
    struct smpp_link *link;
    uint32_t cmd;
    uint32_t seq; /* while in the window */
    int in_window;
    int flags;
    int resends;
    smpp_resp_cb cb;
    void *arg;
    struct event *timer;
    size_t len, cap;
    uint8_t pdu[]; /* encoded; the sequence is patched in at each send */
};

/* Finished request records that hold up to REQ_PDU_POOLED octets are kept by the link
 * (with their timer) for the next submits, up to REQ_POOL_MAX: no malloc, event_new,
 * event_free and free per submit. */
#define REQ_PDU_POOLED 512
#define REQ_POOL_MAX 256

struct reqlist {
    struct req *head, *tail;
    int n;
};

enum retry_kind { RETRY_NORMAL, RETRY_BIND_REJECTED, RETRY_NONE };
enum unbind_phase { UNB_NONE, UNB_DRAIN, UNB_WAIT_RESP, UNB_DONE };

struct smpp_link {
    struct event_base *base;
    struct smpp_link_config cfg; /* strings point to the copies below */
    char *s_name, *s_host, *s_system_id, *s_password, *s_system_type, *s_address_range;
    struct smpp_link_callbacks cb;

    enum smpp_link_state state;
    int started, stopped;

    /* connection */
    struct resolver *res;
    struct resolve_req *rq; /* the host's lookup, while CONNECTING before the socket */
    uint64_t connect_deadline_us; /* connect_timeout_ms bounds lookup + TCP connect */
    char addr[RESOLVE_ADDR_TEXT]; /* the address of the last (or current) attempt */
    int fd;
    unsigned conn_serial; /* connections made so far (smpp_link_conn_serial) */
    struct event *ev_read, *ev_write, *ev_connect;
    struct event *ev_flush; /* deferred flush of out, activated by send_bytes */
    int flush_pending;
    uint8_t *in; /* IN_CAP octets: the start of a PDU is always at in[0] */
    size_t in_len;
    /* deliver_sm / data_sm of this read, answered but not yet given to on_deliver: where
     * they are in `in` (see take_input) */
    struct { uint32_t off, len; } delivers[DELIVER_BATCH];
    int n_delivers;
    struct evbuffer *out;
    int dying;
    const char *dying_reason;
    enum retry_kind dying_retry;

    /* timers */
    struct event *t_resolve; /* the lookup's share of connect_timeout_ms */
    struct event *t_reconnect, *t_enquire, *t_enq_resp, *t_bind, *t_pause, *t_tps, *t_unbind, *t_drop, *t_done;

    uint32_t next_seq;
    uint32_t bind_seq, enq_seq, unbind_seq; /* 0: none outstanding */
    struct reqlist window, queue;
    int backoff_ms;
    int paused;
    uint64_t next_send_us; /* TPS spacing */
    uint64_t rng;

    enum unbind_phase unbind;
    void (*unbind_done)(void *arg);
    void *unbind_arg;

    int depth, free_pending, destroying;
    struct req *pool; /* spare request records, linked by next */
    int n_pool;
    /* libevent common timeouts for the request timers (a queue each instead of the
     * timer heap), or NULL: then plain timers */
    const struct timeval *tv_resp, *tv_queue;
    enum smpp_log_level log_level; /* lines above it are neither formatted nor passed on */
};

/* ---- small helpers ---- */

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct timeval ms_tv(long ms)
{
    struct timeval tv;
    if (ms < 0)
        ms = 0;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

static void arm(struct event *ev, long ms)
{
    struct timeval tv = ms_tv(ms);
    evtimer_add(ev, &tv);
}

static void arm_req(struct event *ev, const struct timeval *common, long ms)
{
    if (common)
        evtimer_add(ev, common);
    else
        arm(ev, ms);
}

static uint32_t rnd(struct smpp_link *l)
{
    uint64_t x = l->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    l->rng = x;
    return (uint32_t)(x >> 32);
}

static void lg(struct smpp_link *l, enum smpp_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void lg(struct smpp_link *l, enum smpp_log_level lvl, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    if (!l->cb.on_log || lvl > l->log_level)
        return;
    int n = snprintf(buf, sizeof(buf), "link=%s ", l->cfg.name);
    if (n < 0 || (size_t)n >= sizeof(buf))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    l->cb.on_log(l->cb.arg, lvl, buf);
}

static char *dup_str(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static void list_push_tail(struct reqlist *q, struct req *r)
{
    r->next = NULL;
    r->prev = q->tail;
    if (q->tail)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
    q->n++;
}

static void list_push_head(struct reqlist *q, struct req *r)
{
    r->prev = NULL;
    r->next = q->head;
    if (q->head)
        q->head->prev = r;
    else
        q->tail = r;
    q->head = r;
    q->n++;
}

static void list_remove(struct reqlist *q, struct req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        q->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        q->tail = r->prev;
    r->prev = r->next = NULL;
    q->n--;
}

static uint32_t take_seq(struct smpp_link *l)
{
    uint32_t s = l->next_seq;
    l->next_seq = s >= SEQ_MAX ? 1 : s + 1;
    return s;
}

const char *smpp_link_state_name(enum smpp_link_state s)
{
    switch (s) {
    case SMPP_LINK_DOWN: return "down";
    case SMPP_LINK_CONNECTING: return "connecting";
    case SMPP_LINK_BINDING: return "binding";
    case SMPP_LINK_BOUND: return "bound";
    case SMPP_LINK_UNBINDING: return "unbinding";
    }
    return "?";
}

/* ---- forward declarations ---- */

static void destroy(struct smpp_link *l);
static void connect_now(struct smpp_link *l);
static void close_conn(struct smpp_link *l, const char *reason, enum retry_kind retry);
static void pump(struct smpp_link *l);
static void unbind_progress(struct smpp_link *l);
static void read_cb(evutil_socket_t fd, short what, void *arg);
static void write_cb(evutil_socket_t fd, short what, void *arg);
static void connect_cb(evutil_socket_t fd, short what, void *arg);
static void req_timer_cb(evutil_socket_t fd, short what, void *arg);

#define ENTER(l) ((l)->depth++)

static void leave(struct smpp_link *l)
{
    if (--l->depth == 0 && l->free_pending && !l->destroying)
        destroy(l);
}

static void set_state(struct smpp_link *l, enum smpp_link_state st, const char *reason)
{
    if (l->state == st)
        return;
    l->state = st;
    lg(l, st == SMPP_LINK_DOWN ? SMPP_LOG_WARN : SMPP_LOG_INFO, "event=state state=%s reason=\"%s\"",
       smpp_link_state_name(st), reason);
    if (l->cb.on_state && !l->destroying)
        l->cb.on_state(l->cb.arg, st, reason);
}

static struct req *req_get(struct smpp_link *l, size_t len)
{
    struct req *r = l->pool;
    if (len <= REQ_PDU_POOLED && r) {
        struct event *t = r->timer;
        l->pool = r->next;
        l->n_pool--;
        memset(r, 0, offsetof(struct req, pdu));
        r->timer = t;
        r->cap = REQ_PDU_POOLED;
        return r;
    }
    size_t cap = len <= REQ_PDU_POOLED ? REQ_PDU_POOLED : len;
    r = malloc(sizeof(*r) + cap);
    if (!r)
        return NULL;
    memset(r, 0, sizeof(*r));
    r->timer = evtimer_new(l->base, req_timer_cb, r);
    if (!r->timer) {
        free(r);
        return NULL;
    }
    r->cap = cap;
    return r;
}

static void req_put(struct smpp_link *l, struct req *r)
{
    if (r->cap == REQ_PDU_POOLED && l->n_pool < REQ_POOL_MAX && !l->destroying) {
        evtimer_del(r->timer);
        r->prev = NULL;
        r->next = l->pool;
        l->pool = r;
        l->n_pool++;
        return;
    }
    event_free(r->timer);
    free(r);
}

/* Finish a request: it is already out of both lists. The callback runs last. */
static void complete(struct req *r, uint32_t status, const struct smpp_msg *resp)
{
    smpp_resp_cb cb = r->cb;
    void *arg = r->arg;
    req_put(r->link, r);
    if (cb)
        cb(arg, status, resp);
}

static void fail_list(struct reqlist *q, uint32_t status)
{
    struct req *r;
    while ((r = q->head) != NULL) {
        list_remove(q, r);
        complete(r, status, NULL);
    }
}

/* ---- output ---- */

/* Write as much of the output buffer as the socket takes now. */
static int flush_out(struct smpp_link *l)
{
    while (l->fd >= 0 && evbuffer_get_length(l->out) > 0) {
        struct evbuffer_iovec v[16];
        int n = evbuffer_peek(l->out, -1, NULL, v, 16);
        if (n > 16)
            n = 16;
        struct iovec iov[16];
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = v[i].iov_base;
            iov[i].iov_len = v[i].iov_len;
        }
        struct msghdr mh;
        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)n;
        ssize_t w = sendmsg(l->fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return -1;
        }
        evbuffer_drain(l->out, (size_t)w);
    }
    if (l->ev_write) {
        if (evbuffer_get_length(l->out) > 0)
            event_add(l->ev_write, NULL);
        else
            event_del(l->ev_write);
    }
    return 0;
}

/* Mark the connection dead; a zero timer closes it from a clean stack. */
static void kill_conn(struct smpp_link *l, const char *reason, enum retry_kind retry)
{
    if (l->dying || l->fd < 0)
        return;
    /* what was queued before (an unbind_resp, a nack) goes out as it would have unbatched */
    if (evbuffer_get_length(l->out) > 0)
        (void)flush_out(l);
    l->dying = 1;
    l->dying_reason = reason;
    l->dying_retry = retry;
    if (l->ev_read)
        event_del(l->ev_read);
    if (l->ev_write)
        event_del(l->ev_write);
    arm(l->t_drop, 0);
}

static int send_bytes(struct smpp_link *l, const uint8_t *p, size_t n)
{
    if (l->fd < 0 || l->dying)
        return -1;
    if (evbuffer_get_length(l->out) + n > OUT_MAX) {
        lg(l, SMPP_LOG_ERROR, "event=output_overflow bytes=%zu", evbuffer_get_length(l->out));
        kill_conn(l, "peer not reading", RETRY_NORMAL);
        return -1;
    }
    if (evbuffer_add(l->out, p, n) != 0) {
        kill_conn(l, "out of memory", RETRY_NORMAL);
        return -1;
    }
    /* written by flush_cb at the end of this loop iteration, with whatever else is
     * sent until then; when the write event is armed, write_cb does it */
    if (!l->flush_pending && (!l->ev_write || !event_pending(l->ev_write, EV_WRITE, NULL))) {
        l->flush_pending = 1;
        event_active(l->ev_flush, 0, 0);
    }
    return 0;
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    l->flush_pending = 0;
    if (!l->dying && l->fd >= 0 && flush_out(l) < 0) {
        lg(l, SMPP_LOG_WARN, "event=write_error error=\"%s\"", strerror(errno));
        kill_conn(l, "write error", RETRY_NORMAL);
    }
    leave(l);
}

static int send_msg(struct smpp_link *l, const struct smpp_msg *m)
{
    uint8_t buf[SMPP_ENCODE_CAP];
    size_t len = 0;
    char err[160];
    if (smpp_pdu_encode(m, buf, sizeof(buf), &len, err, sizeof(err)) != 0) {
        lg(l, SMPP_LOG_ERROR, "event=encode_error cmd=%s error=\"%s\"", smpp_command_name(m->command_id), err);
        return -1;
    }
    lg(l, SMPP_LOG_DEBUG, "event=send cmd=%s seq=%u status=0x%X", smpp_command_name(m->command_id),
       (unsigned)m->sequence, (unsigned)m->command_status);
    return send_bytes(l, buf, len);
}

static int send_simple(struct smpp_link *l, uint32_t cmd, uint32_t status, uint32_t seq)
{
    struct smpp_msg m;
    smpp_msg_init(&m, cmd);
    m.command_status = status;
    m.sequence = seq;
    return send_msg(l, &m);
}

/* ---- connection ---- */

static void free_conn_events(struct smpp_link *l)
{
    if (l->rq) {
        resolve_cancel(l->rq);
        l->rq = NULL;
    }
    if (l->t_resolve)
        evtimer_del(l->t_resolve);
    if (l->ev_connect)
        event_free(l->ev_connect);
    if (l->ev_read)
        event_free(l->ev_read);
    if (l->ev_write)
        event_free(l->ev_write);
    l->ev_connect = l->ev_read = l->ev_write = NULL;
    if (l->ev_flush)
        event_del(l->ev_flush);
    l->flush_pending = 0;
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    l->in_len = 0;
    if (l->out)
        evbuffer_drain(l->out, evbuffer_get_length(l->out));
}

static void schedule_reconnect(struct smpp_link *l, enum retry_kind retry)
{
    long ms;
    if (retry == RETRY_NONE || !l->started || l->stopped || l->free_pending)
        return;
    if (retry == RETRY_BIND_REJECTED) {
        ms = l->cfg.bind_fail_retry_ms;
        ms += (long)(rnd(l) % (uint32_t)(ms / 4 + 1));
    } else {
        long b = l->backoff_ms;
        ms = b - b / 4 + (long)(rnd(l) % (uint32_t)(b / 2 + 1));
        l->backoff_ms = b * 2 > l->cfg.reconnect_max_ms ? l->cfg.reconnect_max_ms : b * 2;
    }
    lg(l, SMPP_LOG_INFO, "event=reconnect_scheduled in_ms=%ld", ms);
    arm(l->t_reconnect, ms);
}

/* Close the connection now (from a clean stack), fail what is pending, maybe retry. */
static void close_conn(struct smpp_link *l, const char *reason, enum retry_kind retry)
{
    int had_conn = l->fd >= 0;
    free_conn_events(l);
    l->dying = 0;
    evtimer_del(l->t_drop);
    evtimer_del(l->t_enquire);
    evtimer_del(l->t_enq_resp);
    evtimer_del(l->t_bind);
    evtimer_del(l->t_pause);
    evtimer_del(l->t_tps);
    l->bind_seq = l->enq_seq = l->unbind_seq = 0;
    l->paused = 0;
    if (had_conn)
        lg(l, SMPP_LOG_WARN, "event=closed reason=\"%s\" failed=%d", reason, l->window.n + l->queue.n);
    int unbinding = l->unbind != UNB_NONE;
    if (unbinding) {
        l->stopped = 1;
        retry = RETRY_NONE;
    }
    set_state(l, SMPP_LINK_DOWN, reason);
    fail_list(&l->window, SMPP_LOCAL_LINK_DOWN);
    fail_list(&l->queue, unbinding ? SMPP_LOCAL_UNBINDING : SMPP_LOCAL_LINK_DOWN);
    if (unbinding && l->unbind != UNB_DONE) {
        l->unbind = UNB_DONE;
        evtimer_del(l->t_unbind);
        void (*done)(void *) = l->unbind_done;
        l->unbind_done = NULL;
        if (done)
            done(l->unbind_arg);
        return;
    }
    schedule_reconnect(l, retry);
}

static void drop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    if (l->dying)
        close_conn(l, l->dying_reason, l->dying_retry);
    leave(l);
}

static void fill_bind(const struct smpp_link_config *c, struct smpp_msg *m)
{
    smpp_msg_init(m, SMPP_CMD_BIND_TRANSCEIVER);
    m->sequence = 1;
    snprintf(m->system_id, sizeof(m->system_id), "%s", c->system_id ? c->system_id : "");
    snprintf(m->password, sizeof(m->password), "%s", c->password ? c->password : "");
    snprintf(m->system_type, sizeof(m->system_type), "%s", c->system_type ? c->system_type : "");
    m->addr_ton = c->addr_ton;
    m->addr_npi = c->addr_npi;
    snprintf(m->address_range, sizeof(m->address_range), "%s", c->address_range ? c->address_range : "");
}

static void send_bind(struct smpp_link *l)
{
    struct smpp_msg m;
    fill_bind(&l->cfg, &m);
    m.sequence = take_seq(l);
    set_state(l, SMPP_LINK_BINDING, "connected");
    l->bind_seq = m.sequence;
    arm(l->t_bind, l->cfg.response_timeout_ms);
    if (send_msg(l, &m) == 0)
        lg(l, SMPP_LOG_INFO, "event=bind_sent system_id=%s seq=%u", l->cfg.system_id, (unsigned)m.sequence);
}

static void on_connected(struct smpp_link *l)
{
    if (l->ev_connect) {
        event_free(l->ev_connect);
        l->ev_connect = NULL;
    }
    l->ev_read = event_new(l->base, l->fd, EV_READ | EV_PERSIST, read_cb, l);
    l->ev_write = event_new(l->base, l->fd, EV_WRITE | EV_PERSIST, write_cb, l);
    if (!l->ev_read || !l->ev_write) {
        kill_conn(l, "out of memory", RETRY_NORMAL);
        return;
    }
    event_add(l->ev_read, NULL);
    l->conn_serial++;
    lg(l, SMPP_LOG_INFO, "event=connected host=%s addr=%s port=%d", l->cfg.host, l->addr, l->cfg.port);
    send_bind(l);
}

/* The lookup answered: open the socket and start the TCP connect. */
static void on_resolved(void *arg, int status, const struct sockaddr *sa, socklen_t salen, const char *error)
{
    struct smpp_link *l = arg;
    ENTER(l);
    l->rq = NULL;
    evtimer_del(l->t_resolve);
    if (status != 0) {
        lg(l, SMPP_LOG_ERROR, "event=resolve_failed host=%s error=\"%s\"", l->cfg.host, error);
        close_conn(l, "cannot resolve host", RETRY_NORMAL);
        leave(l);
        return;
    }
    resolve_addr_text(sa, l->addr, sizeof l->addr);
    lg(l, SMPP_LOG_DEBUG, "event=connecting host=%s addr=%s port=%d", l->cfg.host, l->addr, l->cfg.port);
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
        lg(l, SMPP_LOG_ERROR, "event=socket_failed error=\"%s\"", strerror(errno));
        close_conn(l, "socket failed", RETRY_NORMAL);
        leave(l);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    l->fd = fd;
    int rc = connect(fd, sa, salen);
    int e = errno;
    if (rc == 0) {
        on_connected(l);
    } else if (e != EINPROGRESS) {
        lg(l, SMPP_LOG_WARN, "event=connect_failed host=%s addr=%s error=\"%s\"", l->cfg.host, l->addr,
           strerror(e));
        close_conn(l, "connect failed", RETRY_NORMAL);
    } else if (!(l->ev_connect = event_new(l->base, fd, EV_WRITE, connect_cb, l))) {
        close_conn(l, "out of memory", RETRY_NORMAL);
    } else {
        /* what the lookup left of connect_timeout_ms (at least 1 ms) */
        uint64_t now = now_us();
        long left = l->connect_deadline_us > now ? (long)((l->connect_deadline_us - now) / 1000u) : 0;
        struct timeval tv = ms_tv(left > 0 ? left : 1);
        event_add(l->ev_connect, &tv);
    }
    leave(l);
}

static void resolve_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    if (l->rq) {
        lg(l, SMPP_LOG_ERROR, "event=resolve_failed host=%s error=timeout", l->cfg.host);
        close_conn(l, "cannot resolve host", RETRY_NORMAL); /* cancels the lookup */
    }
    leave(l);
}

/* Start an attempt: look the host up without blocking (the resolver answers even a
 * numeric address from the loop), then on_resolved connects. connect_timeout_ms bounds
 * the two together. */
static void connect_now(struct smpp_link *l)
{
    if (l->fd >= 0 || l->rq || l->stopped || !l->started)
        return;
    set_state(l, SMPP_LINK_CONNECTING, "connecting");
    l->connect_deadline_us = now_us() + (uint64_t)l->cfg.connect_timeout_ms * 1000u;
    l->rq = resolve_start(l->res, l->cfg.host, l->cfg.port, on_resolved, l);
    if (!l->rq) {
        lg(l, SMPP_LOG_ERROR, "event=resolve_failed host=%s error=\"cannot start lookup\"", l->cfg.host);
        close_conn(l, "cannot resolve host", RETRY_NORMAL);
        return;
    }
    arm(l->t_resolve, l->cfg.connect_timeout_ms);
}

static void connect_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    ENTER(l);
    if (what & EV_TIMEOUT) {
        lg(l, SMPP_LOG_WARN, "event=connect_failed host=%s addr=%s error=timeout", l->cfg.host, l->addr);
        close_conn(l, "connect timeout", RETRY_NORMAL);
    } else {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err) {
            lg(l, SMPP_LOG_WARN, "event=connect_failed host=%s addr=%s error=\"%s\"", l->cfg.host, l->addr,
               strerror(err));
            close_conn(l, "connect failed", RETRY_NORMAL);
        } else {
            on_connected(l);
        }
    }
    leave(l);
}

static void reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    connect_now(l);
    leave(l);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    if (!l->dying && flush_out(l) < 0) {
        lg(l, SMPP_LOG_WARN, "event=write_error error=\"%s\"", strerror(errno));
        kill_conn(l, "write error", RETRY_NORMAL);
    }
    leave(l);
}

/* ---- requests ---- */

static struct req *find_in_window(struct smpp_link *l, uint32_t seq)
{
    for (struct req *r = l->window.head; r; r = r->next)
        if (r->seq == seq && seq != 0)
            return r;
    return NULL;
}

static void send_req(struct smpp_link *l, struct req *r)
{
    r->seq = take_seq(l);
    r->pdu[12] = (uint8_t)(r->seq >> 24);
    r->pdu[13] = (uint8_t)(r->seq >> 16);
    r->pdu[14] = (uint8_t)(r->seq >> 8);
    r->pdu[15] = (uint8_t)r->seq;
    list_push_tail(&l->window, r);
    r->in_window = 1;
    arm_req(r->timer, l->tv_resp, l->cfg.response_timeout_ms);
    lg(l, SMPP_LOG_DEBUG, "event=send cmd=%s seq=%u resend=%d", smpp_command_name(r->cmd), (unsigned)r->seq,
       r->resends);
    send_bytes(l, r->pdu, r->len); /* a write error kills the link: r then fails with it */
}

/* Send queued requests while the window, the TPS cap and any pause allow. */
static void pump(struct smpp_link *l)
{
    while (l->queue.head && l->state == SMPP_LINK_BOUND && !l->dying && !l->paused &&
           l->window.n < l->cfg.window) {
        if (l->cfg.tps > 0) {
            uint64_t now = now_us();
            if (now < l->next_send_us) {
                if (!evtimer_pending(l->t_tps, NULL))
                    arm(l->t_tps, (long)((l->next_send_us - now + 999) / 1000));
                return;
            }
            /* strict spacing: never more than tps sends in any second */
            l->next_send_us = now + 1000000u / (uint64_t)l->cfg.tps;
        }
        struct req *r = l->queue.head;
        list_remove(&l->queue, r);
        send_req(l, r);
    }
}

static void tps_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    pump(l);
    leave(l);
}

static void pause_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    l->paused = 0;
    lg(l, SMPP_LOG_INFO, "event=throttle_pause_end queued=%d", l->queue.n);
    pump(l);
    leave(l);
}

static void req_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct req *r = arg;
    struct smpp_link *l = r->link;
    (void)fd, (void)what;
    ENTER(l);
    if (r->in_window) {
        list_remove(&l->window, r);
        lg(l, SMPP_LOG_WARN, "event=response_timeout seq=%u", (unsigned)r->seq);
    } else {
        list_remove(&l->queue, r);
        lg(l, SMPP_LOG_WARN, "event=queue_timeout");
    }
    complete(r, SMPP_LOCAL_TIMEOUT, NULL);
    if (!l->free_pending) {
        pump(l);
        unbind_progress(l);
    }
    leave(l);
}

uint32_t smpp_link_submit(struct smpp_link *l, const struct smpp_msg *m, int flags, smpp_resp_cb cb, void *arg)
{
    if (!l || l->free_pending || l->destroying)
        return SMPP_LOCAL_LINK_DOWN;
    if (l->unbind != UNB_NONE)
        return SMPP_LOCAL_UNBINDING;
    if (l->state != SMPP_LINK_BOUND || l->dying)
        return SMPP_LOCAL_LINK_DOWN;
    if (!m || (m->command_id != SMPP_CMD_SUBMIT_SM && m->command_id != SMPP_CMD_DATA_SM))
        return SMPP_LOCAL_ENCODE;
    if (l->queue.n >= l->cfg.queue_max)
        return SMPP_LOCAL_QUEUE_FULL;
    uint8_t buf[SMPP_ENCODE_CAP];
    size_t len = 0;
    char err[160];
    struct smpp_msg c = *m;
    c.sequence = 1; /* placeholder, patched at each send */
    c.command_status = 0;
    if (smpp_pdu_encode(&c, buf, sizeof(buf), &len, err, sizeof(err)) != 0) {
        lg(l, SMPP_LOG_ERROR, "event=encode_error cmd=%s error=\"%s\"", smpp_command_name(m->command_id), err);
        return SMPP_LOCAL_ENCODE;
    }
    struct req *r = req_get(l, len);
    if (!r)
        return SMPP_LOCAL_QUEUE_FULL;
    r->link = l;
    r->cmd = m->command_id;
    r->flags = flags;
    r->cb = cb;
    r->arg = arg;
    r->len = len;
    memcpy(r->pdu, buf, len);
    list_push_tail(&l->queue, r);
    arm_req(r->timer, l->tv_queue, l->cfg.queue_timeout_ms);
    pump(l);
    return 0;
}

/* A response (or generic_nack) for a request in the window. */
static void on_req_resp(struct smpp_link *l, struct req *r, const struct smpp_msg *resp)
{
    list_remove(&l->window, r);
    r->in_window = 0;
    evtimer_del(r->timer);
    uint32_t st = resp->command_status;
    if (st == SMPP_ESME_RTHROTTLED || st == SMPP_ESME_RMSGQFUL) {
        /* the SMSC asks us to slow down: pause the whole link, whatever the request */
        if (!l->paused) {
            l->paused = 1;
            arm(l->t_pause, l->cfg.throttle_pause_ms);
        }
        int resend = !(r->flags & SMPP_FAIL_FAST) && r->resends < l->cfg.max_resends && l->unbind == UNB_NONE;
        lg(l, SMPP_LOG_WARN, "event=throttled status=%s pause_ms=%d resend=%s", smpp_status_name(st),
           l->cfg.throttle_pause_ms, resend ? "yes" : "no");
        if (resend) {
            r->resends++;
            r->seq = 0;
            list_push_head(&l->queue, r);
            arm_req(r->timer, l->tv_queue, l->cfg.queue_timeout_ms);
            return;
        }
    }
    if (st)
        lg(l, SMPP_LOG_INFO, "event=submit_failed seq=%u status=%s(0x%X)", (unsigned)resp->sequence,
           smpp_status_name(st), (unsigned)st);
    complete(r, st, resp);
}

/* ---- enquire_link, bind, unbind ---- */

static void enquire_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    if ((l->state == SMPP_LINK_BOUND || l->state == SMPP_LINK_UNBINDING) && !l->dying && !l->enq_seq) {
        l->enq_seq = take_seq(l);
        arm(l->t_enq_resp, l->cfg.response_timeout_ms);
        send_simple(l, SMPP_CMD_ENQUIRE_LINK, 0, l->enq_seq);
    }
    leave(l);
}

static void enq_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    lg(l, SMPP_LOG_ERROR, "event=link_dead reason=\"no enquire_link_resp\" seq=%u", (unsigned)l->enq_seq);
    close_conn(l, "no enquire_link_resp", RETRY_NORMAL);
    leave(l);
}

static void bind_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    lg(l, SMPP_LOG_ERROR, "event=bind_timeout");
    close_conn(l, "no bind response", RETRY_NORMAL);
    leave(l);
}

static void on_bind_resp(struct smpp_link *l, const struct smpp_msg *m)
{
    evtimer_del(l->t_bind);
    l->bind_seq = 0;
    if (m->command_status) {
        lg(l, SMPP_LOG_ERROR, "event=bind_rejected status=%s(0x%X) retry_ms=%d", smpp_status_name(m->command_status),
           (unsigned)m->command_status, l->cfg.bind_fail_retry_ms);
        kill_conn(l, "bind rejected", RETRY_BIND_REJECTED);
        return;
    }
    l->backoff_ms = l->cfg.reconnect_min_ms;
    lg(l, SMPP_LOG_INFO, "event=bound smsc=%s", m->system_id);
    struct timeval tv = ms_tv((long)l->cfg.enquire_link_s * 1000);
    event_add(l->t_enquire, &tv);
    /* an unbind requested while binding goes on from here */
    set_state(l, l->unbind != UNB_NONE ? SMPP_LINK_UNBINDING : SMPP_LINK_BOUND, "bound");
    if (!l->free_pending)
        pump(l);
}

/* Unbind: drain the window (bounded), send unbind, wait for unbind_resp (bounded). */
static void unbind_send(struct smpp_link *l)
{
    l->unbind = UNB_WAIT_RESP;
    l->unbind_seq = take_seq(l);
    arm(l->t_unbind, l->cfg.response_timeout_ms);
    lg(l, SMPP_LOG_INFO, "event=unbind_sent seq=%u outstanding=%d", (unsigned)l->unbind_seq, l->window.n);
    send_simple(l, SMPP_CMD_UNBIND, 0, l->unbind_seq);
}

/* Called whenever the window shrinks. */
static void unbind_progress(struct smpp_link *l)
{
    if (l->unbind == UNB_DRAIN && l->state == SMPP_LINK_UNBINDING && l->window.n == 0 && !l->dying &&
        !evtimer_pending(l->t_done, NULL))
        unbind_send(l);
}

static void unbind_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    if (l->unbind == UNB_DRAIN) {
        /* outstanding requests fail with the link when it closes */
        lg(l, SMPP_LOG_WARN, "event=drain_timeout outstanding=%d", l->window.n);
        unbind_send(l);
    } else if (l->unbind == UNB_WAIT_RESP) {
        lg(l, SMPP_LOG_WARN, "event=unbind_timeout");
        close_conn(l, "unbind timeout", RETRY_NONE);
    }
    leave(l);
}

/* First step of smpp_link_unbind, from the loop. */
static void unbind_start_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)fd, (void)what;
    ENTER(l);
    if (l->unbind == UNB_DRAIN) {
        if (l->state != SMPP_LINK_UNBINDING || l->fd < 0 || l->dying) {
            close_conn(l, "stopped", RETRY_NONE); /* not bound: nothing to tell the SMSC */
        } else {
            fail_list(&l->queue, SMPP_LOCAL_UNBINDING);
            if (!l->free_pending && l->unbind == UNB_DRAIN) {
                if (l->window.n == 0)
                    unbind_send(l);
                else
                    arm(l->t_unbind, l->cfg.drain_timeout_ms);
            }
        }
    }
    leave(l);
}

int smpp_link_unbind(struct smpp_link *l, void (*done)(void *arg), void *arg)
{
    if (!l || l->unbind != UNB_NONE || l->free_pending)
        return -1;
    l->unbind = UNB_DRAIN;
    l->unbind_done = done;
    l->unbind_arg = arg;
    l->started = 0;
    evtimer_del(l->t_reconnect);
    if (l->state == SMPP_LINK_BOUND && !l->dying)
        set_state(l, SMPP_LINK_UNBINDING, "unbind requested");
    lg(l, SMPP_LOG_INFO, "event=unbind_requested outstanding=%d queued=%d", l->window.n, l->queue.n);
    /* The work (and any callback) happens from the loop, never inside this call. */
    arm(l->t_done, 0);
    return 0;
}

/* ---- input ---- */

static void answer(struct smpp_link *l, uint32_t req_cmd, uint32_t status, uint32_t seq)
{
    struct smpp_msg m;
    smpp_msg_init(&m, req_cmd | SMPP_CMD_RESP_BIT);
    m.command_status = status;
    m.sequence = seq;
    send_msg(l, &m);
}

static void handle_bad_pdu(struct smpp_link *l, const struct smpp_check *c, int st)
{
    lg(l, SMPP_LOG_WARN, "event=bad_pdu cmd=%s(0x%08X) seq=%u status=%s reason=\"%s\"",
       smpp_command_name(c->command_id), (unsigned)c->command_id, (unsigned)c->sequence,
       smpp_status_name((uint32_t)st), c->reason);
    if (c->command_id & SMPP_CMD_RESP_BIT) {
        /* never answer a response; fail the request it meant, if any */
        struct req *r = find_in_window(l, c->sequence);
        if (r) {
            list_remove(&l->window, r);
            complete(r, SMPP_LOCAL_BAD_RESP, NULL);
        }
        return;
    }
    if ((c->command_id == SMPP_CMD_DELIVER_SM || c->command_id == SMPP_CMD_DATA_SM) &&
        st != SMPP_ESME_RINVCMDLEN)
        answer(l, c->command_id, (uint32_t)st, c->sequence);
    else
        send_simple(l, SMPP_CMD_GENERIC_NACK, (uint32_t)st, c->sequence);
}

static void dispatch_delivers(struct smpp_link *l);

static void defer_deliver(struct smpp_link *l, const uint8_t *p, size_t len)
{
    if (l->n_delivers == DELIVER_BATCH)
        dispatch_delivers(l);
    l->delivers[l->n_delivers].off = (uint32_t)(p - l->in);
    l->delivers[l->n_delivers].len = (uint32_t)len;
    l->n_delivers++;
}

/* Write the responses queued so far, then hand the answered deliver_sm / data_sm to
 * on_deliver, in their order (decoded again: the walk is cheap, a message is large).
 * They were accepted, so they are delivered even when a later PDU of the same read
 * killed the connection; not once the link is being freed. */
static void dispatch_delivers(struct smpp_link *l)
{
    int n = l->n_delivers;
    l->n_delivers = 0;
    if (!n)
        return;
    if (!l->dying && l->fd >= 0 && flush_out(l) < 0) {
        lg(l, SMPP_LOG_WARN, "event=write_error error=\"%s\"", strerror(errno));
        kill_conn(l, "write error", RETRY_NORMAL);
    }
    for (int i = 0; i < n && !l->free_pending; i++) {
        struct smpp_msg m;
        char err[160];
        if (smpp_pdu_decode(l->in + l->delivers[i].off, l->delivers[i].len, &m, err, sizeof(err)) == 0 &&
            l->cb.on_deliver)
            l->cb.on_deliver(l->cb.arg, &m);
    }
}

static void handle_pdu(struct smpp_link *l, const uint8_t *p, size_t len)
{
    struct smpp_check c;
    struct smpp_msg m;
    char err[160];
    if (len >= SMPP_HEADER_LEN && p[4] == 0 && p[5] == 0 && p[6] == 0 && p[7] == (SMPP_CMD_DELIVER_SM & 0xFF)) {
        /* deliver_sm: decoded once, by dispatch_delivers. Here the check alone, which
         * for deliver_sm gives the decoder's status (both are the same walk: the fast
         * path of smpp_pdu.c), decides the answer. */
        int cst = smpp_pdu_check(p, len, &c);
        if (cst) {
            handle_bad_pdu(l, &c, cst);
            return;
        }
        lg(l, SMPP_LOG_DEBUG, "event=recv cmd=deliver_sm seq=%u status=0x%X", (unsigned)c.sequence,
           (unsigned)c.command_status);
        if (l->state != SMPP_LINK_BOUND && l->state != SMPP_LINK_UNBINDING) {
            answer(l, SMPP_CMD_DELIVER_SM, SMPP_ESME_RINVBNDSTS, c.sequence);
            return;
        }
        answer(l, SMPP_CMD_DELIVER_SM, 0, c.sequence);
        defer_deliver(l, p, len);
        return;
    }
    /* The decoder runs the same walk as the check and fails with the same status; the
     * check (for the header fields and reason of the answer) only runs when it failed. */
    int st = smpp_pdu_decode(p, len, &m, err, sizeof(err));
    if (st) {
        int cst = smpp_pdu_check(p, len, &c);
        if (!cst)
            c.reason = err;
        else
            st = cst;
        handle_bad_pdu(l, &c, st);
        return;
    }
    lg(l, SMPP_LOG_DEBUG, "event=recv cmd=%s seq=%u status=0x%X", smpp_command_name(m.command_id),
       (unsigned)m.sequence, (unsigned)m.command_status);
    switch (m.command_id) {
    case SMPP_CMD_DELIVER_SM:
    case SMPP_CMD_DATA_SM:
        if (l->state != SMPP_LINK_BOUND && l->state != SMPP_LINK_UNBINDING) {
            answer(l, m.command_id, SMPP_ESME_RINVBNDSTS, m.sequence);
            return;
        }
        /* The response goes out (flushed) before any work of ours: the responses of
         * every deliver_sm in this read are written together, then on_deliver runs
         * for each (dispatch_delivers). */
        answer(l, m.command_id, 0, m.sequence);
        defer_deliver(l, p, len);
        return;
    case SMPP_CMD_ENQUIRE_LINK:
        answer(l, m.command_id, 0, m.sequence);
        return;
    case SMPP_CMD_UNBIND:
        answer(l, m.command_id, 0, m.sequence);
        lg(l, SMPP_LOG_WARN, "event=peer_unbind");
        kill_conn(l, "unbind from peer", RETRY_NORMAL);
        return;
    case SMPP_CMD_BIND_TRANSCEIVER_RESP:
        if (l->bind_seq && m.sequence == l->bind_seq) {
            on_bind_resp(l, &m);
            return;
        }
        break;
    case SMPP_CMD_ENQUIRE_LINK_RESP:
        if (l->enq_seq && m.sequence == l->enq_seq) {
            l->enq_seq = 0;
            evtimer_del(l->t_enq_resp);
            return;
        }
        break;
    case SMPP_CMD_UNBIND_RESP:
        if (l->unbind_seq && m.sequence == l->unbind_seq) {
            lg(l, SMPP_LOG_INFO, "event=unbound");
            l->unbind_seq = 0;
            kill_conn(l, "unbound", RETRY_NONE);
            return;
        }
        break;
    case SMPP_CMD_SUBMIT_SM_RESP:
    case SMPP_CMD_DATA_SM_RESP:
    case SMPP_CMD_GENERIC_NACK: {
        if (m.command_id == SMPP_CMD_GENERIC_NACK) {
            /* a nack may answer any of our requests; one saying "OK" makes no sense */
            if (m.command_status == 0)
                m.command_status = SMPP_ESME_RUNKNOWNERR;
            if (l->bind_seq && m.sequence == l->bind_seq) {
                on_bind_resp(l, &m);
                return;
            }
            if (l->enq_seq && m.sequence == l->enq_seq) {
                l->enq_seq = 0;
                evtimer_del(l->t_enq_resp);
                lg(l, SMPP_LOG_WARN, "event=enquire_link_nacked status=%s", smpp_status_name(m.command_status));
                return;
            }
            if (l->unbind_seq && m.sequence == l->unbind_seq) {
                l->unbind_seq = 0;
                kill_conn(l, "unbind nacked", RETRY_NONE);
                return;
            }
        }
        struct req *r = find_in_window(l, m.sequence);
        if (r) {
            if (m.command_id == SMPP_CMD_GENERIC_NACK || m.command_id == (r->cmd | SMPP_CMD_RESP_BIT)) {
                on_req_resp(l, r, &m);
                if (!l->free_pending) {
                    pump(l);
                    unbind_progress(l);
                }
                return;
            }
        }
        break;
    }
    default:
        if (!(m.command_id & SMPP_CMD_RESP_BIT)) {
            /* a request an ESME does not serve (bind, submit_sm) */
            send_simple(l, SMPP_CMD_GENERIC_NACK, SMPP_ESME_RINVCMDID, m.sequence);
            return;
        }
        break;
    }
    lg(l, SMPP_LOG_WARN, "event=unmatched_response cmd=%s seq=%u status=0x%X", smpp_command_name(m.command_id),
       (unsigned)m.sequence, (unsigned)m.command_status);
}

/* Handle every complete PDU at the front of the input, then keep the rest at in[0]. */
static void take_input(struct smpp_link *l)
{
    size_t off = 0;
    while (!l->dying && !l->free_pending && l->fd >= 0) {
        size_t have = l->in_len - off, plen = 0;
        const uint8_t *p = l->in + off;
        int fr = smpp_pdu_frame(p, have, &plen);
        if (fr == SMPP_FRAME_NEED_MORE)
            break;
        if (fr == SMPP_FRAME_BAD) {
            lg(l, SMPP_LOG_ERROR, "event=framing_lost command_length=%u",
               (unsigned)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]));
            kill_conn(l, "bad command_length", RETRY_NORMAL);
            break;
        }
        /* handle_pdu only marks the connection dying, so the buffer is still ours */
        handle_pdu(l, p, plen);
        off += plen;
    }
    dispatch_delivers(l);
    if (l->dying || l->fd < 0)
        l->in_len = 0;
    else if (off) {
        memmove(l->in, l->in + off, l->in_len - off);
        l->in_len -= off;
    }
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_link *l = arg;
    (void)what;
    ENTER(l);
    /* Take what the socket has: read again while a read filled the room it had. Complete
     * PDUs never wait for the next wakeup; a partial one (< SMPP_PDU_MAX) stays at in[0],
     * so there is always room. */
    int eof = 0, e = 0;
    size_t total = 0;
    while (!l->dying && !l->free_pending && l->fd >= 0) {
        size_t room = IN_CAP - l->in_len;
        ssize_t n = recv(fd, l->in + l->in_len, room, 0);
        if (n == 0) {
            eof = 1;
            break;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                e = errno;
            break;
        }
        l->in_len += (size_t)n;
        total += (size_t)n;
        take_input(l);
        if ((size_t)n < room || total >= READ_MAX_PER_WAKEUP)
            break;
    }
    /* what arrived before an end of stream has been handled above */
    if (eof) {
        lg(l, SMPP_LOG_WARN, "event=peer_closed");
        kill_conn(l, "peer closed", RETRY_NORMAL);
    } else if (e) {
        lg(l, SMPP_LOG_WARN, "event=read_error error=\"%s\"", strerror(e));
        kill_conn(l, "read error", RETRY_NORMAL);
    }
    leave(l);
}

/* ---- lifecycle ---- */

void smpp_link_config_defaults(struct smpp_link_config *c)
{
    memset(c, 0, sizeof(*c));
    c->name = "smsc";
    c->enquire_link_s = 30;
    c->response_timeout_ms = 10000;
    c->connect_timeout_ms = 10000;
    c->window = 10;
    c->queue_max = 1000;
    c->queue_timeout_ms = 30000;
    c->tps = 100;
    c->reconnect_min_ms = 1000;
    c->reconnect_max_ms = 60000;
    c->bind_fail_retry_ms = 30000;
    c->throttle_pause_ms = 1000;
    c->max_resends = 5;
    c->drain_timeout_ms = 5000;
}

static int fits(const char *s, size_t max)
{
    return !s || strlen(s) <= max;
}

struct smpp_link *smpp_link_new(struct event_base *base, const struct smpp_link_config *cfg,
                                const struct smpp_link_callbacks *cb, char *err, size_t errlen)
{
    struct smpp_link_config d;
    const char *why = NULL;
    smpp_link_config_defaults(&d);
    if (!base || !cfg)
        why = "no event base or config";
    else if (!cfg->host || !*cfg->host || cfg->port <= 0 || cfg->port > 65535)
        why = "host and port (1..65535) are required";
    else if (!cfg->system_id || !*cfg->system_id || !fits(cfg->system_id, 15))
        why = "system_id is required, at most 15 characters";
    else if (!fits(cfg->password, 8))
        why = "password: at most 8 characters";
    else if (!fits(cfg->system_type, 12))
        why = "system_type: at most 12 characters";
    else if (!fits(cfg->address_range, 40))
        why = "address_range: at most 40 characters";
    else if (cfg->tps < 0)
        why = "tps must be >= 0";
    if (!why) {
        /* what the bind will carry must encode (e.g. TON/NPI values) */
        struct smpp_msg m;
        uint8_t b[SMPP_ENCODE_CAP];
        size_t n;
        fill_bind(cfg, &m);
        if (smpp_pdu_encode(&m, b, sizeof(b), &n, err, errlen) != 0)
            return NULL;
    }
    if (why) {
        if (err && errlen)
            snprintf(err, errlen, "%s", why);
        return NULL;
    }
    struct smpp_link *l = calloc(1, sizeof(*l));
    if (!l)
        goto oom;
    l->base = base;
    l->fd = -1;
    l->cfg = *cfg;
#define DEF(f) if (l->cfg.f <= 0) l->cfg.f = d.f
    DEF(enquire_link_s);
    DEF(response_timeout_ms);
    DEF(connect_timeout_ms);
    DEF(window);
    DEF(queue_max);
    DEF(queue_timeout_ms);
    DEF(reconnect_min_ms);
    DEF(reconnect_max_ms);
    DEF(bind_fail_retry_ms);
    DEF(throttle_pause_ms);
    DEF(drain_timeout_ms);
#undef DEF
    if (l->cfg.max_resends < 0)
        l->cfg.max_resends = 0;
    if (l->cfg.reconnect_max_ms < l->cfg.reconnect_min_ms)
        l->cfg.reconnect_max_ms = l->cfg.reconnect_min_ms;
    if (cb)
        l->cb = *cb;
    l->s_name = dup_str(cfg->name ? cfg->name : d.name);
    l->s_host = dup_str(cfg->host);
    l->s_system_id = dup_str(cfg->system_id);
    l->s_password = dup_str(cfg->password);
    l->s_system_type = dup_str(cfg->system_type);
    l->s_address_range = dup_str(cfg->address_range);
    l->cfg.name = l->s_name;
    l->cfg.host = l->s_host;
    l->cfg.system_id = l->s_system_id;
    l->cfg.password = l->s_password;
    l->cfg.system_type = l->s_system_type;
    l->cfg.address_range = l->s_address_range;
    l->in = malloc(IN_CAP);
    l->out = evbuffer_new();
    l->ev_flush = event_new(base, -1, 0, flush_cb, l);
    l->log_level = SMPP_LOG_DEBUG;
    l->res = resolver_new(base);
    l->t_resolve = evtimer_new(base, resolve_timeout_cb, l);
    l->t_reconnect = evtimer_new(base, reconnect_cb, l);
    l->t_enquire = event_new(base, -1, EV_PERSIST, enquire_cb, l);
    l->t_enq_resp = evtimer_new(base, enq_timeout_cb, l);
    l->t_bind = evtimer_new(base, bind_timeout_cb, l);
    l->t_pause = evtimer_new(base, pause_cb, l);
    l->t_tps = evtimer_new(base, tps_cb, l);
    l->t_unbind = evtimer_new(base, unbind_timer_cb, l);
    l->t_drop = evtimer_new(base, drop_timer_cb, l);
    l->t_done = evtimer_new(base, unbind_start_cb, l);
    if (!l->s_name || !l->s_host || !l->s_system_id || !l->s_password || !l->s_system_type || !l->s_address_range ||
        !l->in || !l->out || !l->ev_flush || !l->res || !l->t_resolve || !l->t_reconnect || !l->t_enquire || !l->t_enq_resp || !l->t_bind ||
        !l->t_pause || !l->t_tps || !l->t_unbind || !l->t_drop || !l->t_done) {
        l->destroying = 1;
        destroy(l);
        goto oom;
    }
    l->next_seq = 1;
    l->backoff_ms = l->cfg.reconnect_min_ms;
    struct timeval tv = ms_tv(l->cfg.response_timeout_ms);
    l->tv_resp = event_base_init_common_timeout(base, &tv);
    tv = ms_tv(l->cfg.queue_timeout_ms);
    l->tv_queue = event_base_init_common_timeout(base, &tv);
    l->rng = now_us() ^ ((uint64_t)(uintptr_t)l << 16) ^ 0x9E3779B97F4A7C15u;
    if (!l->rng)
        l->rng = 1;
    return l;
oom:
    if (err && errlen)
        snprintf(err, errlen, "out of memory");
    return NULL;
}

void smpp_link_start(struct smpp_link *l)
{
    if (!l || l->started || l->stopped || l->free_pending)
        return;
    l->started = 1;
    ENTER(l);
    connect_now(l);
    leave(l);
}

static void free_ev(struct event *ev)
{
    if (ev)
        event_free(ev);
}

static void destroy(struct smpp_link *l)
{
    l->destroying = 1;
    l->free_pending = 1;
    l->started = 0;
    l->stopped = 1;
    l->depth++;
    free_conn_events(l);
    fail_list(&l->window, SMPP_LOCAL_LINK_DOWN);
    fail_list(&l->queue, SMPP_LOCAL_LINK_DOWN);
    if (l->unbind_done) {
        void (*done)(void *) = l->unbind_done;
        l->unbind_done = NULL;
        done(l->unbind_arg);
    }
    free_ev(l->t_resolve);
    free_ev(l->t_reconnect);
    free_ev(l->t_enquire);
    free_ev(l->t_enq_resp);
    free_ev(l->t_bind);
    free_ev(l->t_pause);
    free_ev(l->t_tps);
    free_ev(l->t_unbind);
    free_ev(l->t_drop);
    free_ev(l->t_done);
    free_ev(l->ev_flush);
    resolver_free(l->res); /* after free_conn_events cancelled the lookup */
    while (l->pool) {
        struct req *r = l->pool;
        l->pool = r->next;
        event_free(r->timer);
        free(r);
    }
    free(l->in);
    if (l->out)
        evbuffer_free(l->out);
    free(l->s_name);
    free(l->s_host);
    free(l->s_system_id);
    free(l->s_password);
    free(l->s_system_type);
    free(l->s_address_range);
    free(l);
}

void smpp_link_free(struct smpp_link *l)
{
    if (!l || l->destroying)
        return;
    if (l->depth > 0) {
        l->free_pending = 1;
        return;
    }
    destroy(l);
}

enum smpp_link_state smpp_link_state(const struct smpp_link *l)
{
    return l ? l->state : SMPP_LINK_DOWN;
}

unsigned smpp_link_conn_serial(const struct smpp_link *l)
{
    return l ? l->conn_serial : 0;
}

int smpp_link_outstanding(const struct smpp_link *l)
{
    return l ? l->window.n : 0;
}

int smpp_link_queued(const struct smpp_link *l)
{
    return l ? l->queue.n : 0;
}

void smpp_link_set_log_level(struct smpp_link *l, enum smpp_log_level max)
{
    if (l)
        l->log_level = max;
}

void smpp_link_set_next_sequence(struct smpp_link *l, uint32_t seq)
{
    if (l)
        l->next_seq = seq >= 1 && seq <= SEQ_MAX ? seq : 1;
}
