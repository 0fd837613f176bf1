/*
 * smsc.c: the SMSC side of SMPP 3.4 for the phone simulator. One listener, a list of
 * ESME connections (their traffic is smsc_conn.c's), and one periodic tick for response
 * timers, enquire_link and bind timeouts. Connections are closed in a deferred "reaper"
 * event, so nothing is freed under a caller's feet.
 */
#include "smsc_int.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

/* ---- closing ---- */

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
    free(c->copies);
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
        smsc_window_drain(c);
        if (c->bound) {
            fprintf(stderr, "unbound system_id=%s esme=%d reason=%s\n", c->system_id, c->id, c->dead_reason);
            fflush(stderr);
            if (s->cb.on_unbound)
                s->cb.on_unbound(s->cb.arg, c->id, c->system_id, c->dead_reason);
        } else if (s->cfg.verbose) {
            smsc_log("esme=%d closed: %s", c->id, c->dead_reason);
        }
        conn_free(c);
        pp = &s->conns; /* callbacks may have killed others: rescan */
    }
    check_done(s);
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
        smsc_log("refusing a connection: %s", s->shutting_down ? "shutting down" : "too many connections");
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
    c->rd = event_new(s->base, fd, EV_READ | EV_PERSIST, smsc_on_readable, c);
    c->wr = event_new(s->base, fd, EV_WRITE | EV_PERSIST, smsc_on_writable, c);
    c->fl = event_new(s->base, -1, 0, smsc_on_flush, c);
    if (!c->in || !c->out || !c->rd || !c->wr || !c->fl || event_add(c->rd, NULL) != 0) {
        conn_free(c);
        return;
    }
    c->next = s->conns;
    s->conns = c;
    s->n_conns++;
    if (s->cfg.verbose)
        smsc_log("esme=%d connected from %s", c->id, c->peer);
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
    smsc_log("accept: %s (pausing for 1 s)", evutil_socket_error_to_string(e));
    evconnlistener_disable(l);
    struct timeval tv = {1, 0};
    event_add(s->relisten, &tv);
}

/* ---- the tick: response timers, enquire_link, bind timeout ---- */

static void tick_conn(struct conn *c, uint64_t now)
{
    struct smsc *s = c->s;
    smsc_window_expire(c, now);
    if (c->dead)
        return;
    if (!c->bound && now - c->opened_us > (uint64_t)s->cfg.bind_timeout_s * 1000000u) {
        smsc_conn_fail(c, "no bind within %d s", s->cfg.bind_timeout_s);
        return;
    }
    if (c->bound && !c->close_after_flush && s->cfg.enquire_link_s > 0 && now >= c->next_enquire_us) {
        c->next_enquire_us = now + (uint64_t)s->cfg.enquire_link_s * 1000000u;
        uint32_t seq = smsc_ring_push(c, PEND_ENQUIRE, 0);
        if (seq)
            smsc_send_header(c, SMPP_CMD_ENQUIRE_LINK, 0, seq);
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

struct conn *smsc_find(struct smsc *s, int id)
{
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

int smsc_deliver(struct smsc *s, int esme, struct smpp_msg *m, uint64_t tag, char *err, size_t errlen)
{
    struct conn *c = smsc_find(s, esme);
    if (!c || !eligible(c)) {
        snprintf(err, errlen, "ESME %d is not bound", esme);
        return -1;
    }
    uint32_t seq = smsc_ring_push(c, PEND_DELIVER, tag);
    if (!seq) {
        snprintf(err, errlen, "ESME %d: window of %d outstanding requests is full", esme, SMSC_WINDOW_MAX);
        return -1;
    }
    m->sequence = seq;
    if (smsc_send(c, m) != 0) {
        smsc_ring_cancel(c, seq); /* no callback: we return -1 */
        snprintf(err, errlen, "ESME %d: %s", esme, c->dead ? c->dead_reason : "cannot encode the message");
        return -1;
    }
    return 0;
}

int smsc_redeliver(struct smsc *s, int esme, struct smpp_msg *m, uint64_t tag, char *err, size_t errlen)
{
    struct conn *c = smsc_find(s, esme);
    if (!c || !eligible(c)) {
        snprintf(err, errlen, "ESME %d is not bound", esme);
        return -1;
    }
    if (m->sequence == 0 || m->sequence > 0x7FFFFFFFu) {
        snprintf(err, errlen, "no sequence number to send again");
        return -1;
    }
    if (smsc_copy_push(c, m->sequence, tag) != 0) {
        snprintf(err, errlen, "ESME %d: window of %d outstanding requests is full", esme, SMSC_WINDOW_MAX);
        return -1;
    }
    if (smsc_send(c, m) != 0) {
        smsc_copy_cancel(c, m->sequence, tag);
        snprintf(err, errlen, "ESME %d: %s", esme, c->dead ? c->dead_reason : "cannot encode the message");
        return -1;
    }
    return 0;
}

int smsc_drop(struct smsc *s, int esme)
{
    struct conn *c = smsc_find(s, esme);
    if (!c || c->dead || !c->bound)
        return -1;
    /* what was sent before the drop still goes out, then the connection closes (no
     * unbind): the ESME sees the link go away and rebinds by itself */
    c->can_rx = c->can_tx = 0;
    c->close_after_flush = 1;
    c->close_reason = "dropped";
    smsc_flush(c);
    return 0;
}

void smsc_throttle(struct smsc *s, int n)
{
    s->throttle_left = n > 0 ? n : 0;
}

static void on_shutdown_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct smsc *s = arg;
    for (struct conn *c = s->conns; c; c = c->next)
        smsc_conn_fail(c, "no unbind_resp before shutdown");
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
            smsc_conn_fail(c, "shutting down");
            continue;
        }
        c->can_rx = 0; /* its submits in flight are still answered */
        uint32_t seq = smsc_ring_push(c, PEND_UNBIND, 0);
        if (seq)
            smsc_send_header(c, SMPP_CMD_UNBIND, 0, seq);
        else
            smsc_conn_fail(c, "shutting down");
    }
    int ms = s->cfg.response_timeout_ms < 2000 ? s->cfg.response_timeout_ms : 2000;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (s->shutdown_timer)
        event_add(s->shutdown_timer, &tv);
    if (!s->conns && s->done_ev)
        event_active(s->done_ev, 0, 0);
}

