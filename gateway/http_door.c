/*
 * http_door.c: caps, request deadlines and accept errors of an evhttp listener; see
 * http_door.h.
 */
#include "http_door.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "log.h"

#define SWEEP_MS 250
#define LOG_EVERY_MS 10000

struct conn {
    struct conn *prev, *next;
    struct bufferevent *bev; /* referenced: its descriptor is this connection's */
    uint64_t since_ms;       /* accepted, or its last request complete */
    char peer[INET6_ADDRSTRLEN];
    int checked; /* its caps were checked */
    int closing; /* shut down by the door: refused or past its deadline */
};

struct http_door {
    struct event_base *base;
    struct evconnlistener *lev;
    struct http_door_opts o;
    char name[16];
    struct conn *conns;
    int n_conns, n_unchecked;
    struct event *check_ev, *sweep_ev, *resume_ev;
    struct http_door_stats st;
    uint64_t errors_logged_ms, errors_since_log;
    int last_errno;
};

static void peer_of(int fd, char *out, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    out[0] = 0;
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)n);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)n);
}

/* Close a connection from our side: evhttp reads the end and frees it. */
static void shut(struct conn *c, const char *why_line)
{
    int fd = bufferevent_getfd(c->bev);
    if (fd >= 0) {
        if (why_line) /* best effort, never blocking: the peer learns why */
            (void)send(fd, why_line, strlen(why_line), MSG_DONTWAIT | MSG_NOSIGNAL);
        shutdown(fd, SHUT_RDWR);
    }
    c->closing = 1;
}

static void check_new(evutil_socket_t fd, short what, void *arg)
{
    struct http_door *d = arg;
    (void)fd, (void)what;
    for (struct conn *c = d->conns; c && d->n_unchecked; c = c->next) {
        if (c->checked)
            continue;
        c->checked = 1;
        d->n_unchecked--;
        peer_of(bufferevent_getfd(c->bev), c->peer, sizeof c->peer);
        int same = 0, open = 0;
        for (struct conn *o = d->conns; o; o = o->next)
            if (!o->closing) {
                open++;
                same += o->peer[0] && strcmp(o->peer, c->peer) == 0;
            }
        if (open > d->o.max_conns || (c->peer[0] && same > d->o.max_per_peer)) {
            d->st.refused++;
            shut(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                    "Content-Length: 22\r\nConnection: close\r\n\r\ntoo many connections\r\n");
        } else {
            d->st.accepted++;
        }
    }
}

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    struct http_door *d = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct conn *c = bev ? calloc(1, sizeof *c) : NULL;
    if (!c)
        return bev; /* evhttp goes on without the door's watch: no memory for it */
    bufferevent_incref(bev);
    c->bev = bev;
    c->since_ms = clock_now_ms();
    c->next = d->conns;
    if (d->conns)
        d->conns->prev = c;
    d->conns = c;
    d->n_conns++;
    d->n_unchecked++;
    /* the descriptor is set once this returns: look at the peer from the loop */
    event_active(d->check_ev, EV_TIMEOUT, 0);
    return bev;
}

static void release(struct http_door *d, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        d->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (!c->checked)
        d->n_unchecked--;
    d->n_conns--;
    bufferevent_decref(c->bev); /* the last reference: the descriptor closes */
    free(c);
}

static void sweep(evutil_socket_t fd, short what, void *arg)
{
    struct http_door *d = arg;
    (void)fd, (void)what;
    uint64_t now = clock_now_ms();
    struct conn *c = d->conns;
    while (c) {
        struct conn *next = c->next;
        bufferevent_data_cb rcb = NULL;
        bufferevent_getcb(c->bev, &rcb, NULL, NULL, NULL);
        if (!rcb) {
            release(d, c); /* evhttp is done with it */
        } else if (!c->closing && now - c->since_ms > (uint64_t)d->o.request_deadline_ms) {
            d->st.expired++;
            shut(c, NULL);
        }
        c = next;
    }
    d->st.open = d->n_conns;
}

static void resume(evutil_socket_t fd, short what, void *arg)
{
    struct http_door *d = arg;
    (void)fd, (void)what;
    evconnlistener_enable(d->lev);
}

/* The listener's error callback is given the listener's own argument (evhttp's): the
 * door of a listener is found here. A process has one or two. */
#define MAX_DOORS 8
static struct http_door *doors[MAX_DOORS];

static void accept_error(struct evconnlistener *lev, void *arg)
{
    struct http_door *d = NULL;
    int e = EVUTIL_SOCKET_ERROR();
    (void)arg;
    for (int i = 0; i < MAX_DOORS && !d; i++)
        if (doors[i] && doors[i]->lev == lev)
            d = doors[i];
    if (!d) { /* not ours: pause it all the same rather than spin */
        evconnlistener_disable(lev);
        return;
    }
    d->st.accept_errors++;
    d->errors_since_log++;
    d->last_errno = e;
    /* pause: the connection waits in the backlog until descriptors are free again */
    evconnlistener_disable(lev);
    struct timeval tv = {d->o.pause_ms / 1000, (d->o.pause_ms % 1000) * 1000};
    evtimer_add(d->resume_ev, &tv);
    uint64_t now = clock_now_ms();
    if (!d->errors_logged_ms || now - d->errors_logged_ms >= LOG_EVERY_MS) {
        log_event(L_WARN, "http.accept_failed", "listener=%s error=\"%s\" errors=%llu paused_ms=%d open=%d",
                  d->name, strerror(e), (unsigned long long)d->errors_since_log, d->o.pause_ms,
                  d->n_conns);
        d->errors_logged_ms = now;
        d->errors_since_log = 0;
    }
}

struct http_door *http_door_new(struct event_base *base, struct evhttp *http,
                                struct evhttp_bound_socket *bound, const struct http_door_opts *o)
{
    struct http_door *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->base = base;
    d->o = *o;
    if (d->o.max_conns <= 0)
        d->o.max_conns = 512;
    if (d->o.max_per_peer <= 0)
        d->o.max_per_peer = 64;
    if (d->o.request_deadline_ms <= 0)
        d->o.request_deadline_ms = 10000;
    if (d->o.pause_ms <= 0)
        d->o.pause_ms = 250;
    strncpy(d->name, o->name ? o->name : "http", sizeof d->name - 1);
    d->lev = evhttp_bound_socket_get_listener(bound);
    d->check_ev = event_new(base, -1, 0, check_new, d);
    d->sweep_ev = event_new(base, -1, EV_PERSIST, sweep, d);
    d->resume_ev = evtimer_new(base, resume, d);
    if (!d->lev || !d->check_ev || !d->sweep_ev || !d->resume_ev) {
        http_door_free(d);
        return NULL;
    }
    struct timeval tv = {0, SWEEP_MS * 1000};
    evtimer_add(d->sweep_ev, &tv);
    int slot = -1;
    for (int i = 0; i < MAX_DOORS && slot < 0; i++)
        if (!doors[i])
            slot = i;
    if (slot < 0) {
        http_door_free(d);
        return NULL;
    }
    doors[slot] = d;
    evconnlistener_set_error_cb(d->lev, accept_error);
    evhttp_set_bevcb(http, make_bev, d);
    return d;
}

void http_door_seen(struct http_door *d, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = d && req ? evhttp_request_get_connection(req) : NULL;
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    for (struct conn *c = d && bev ? d->conns : NULL; c; c = c->next)
        if (c->bev == bev) {
            c->since_ms = clock_now_ms();
            return;
        }
}

void http_door_stats(const struct http_door *d, struct http_door_stats *out)
{
    *out = d->st;
    out->open = d->n_conns;
}

void http_door_free(struct http_door *d)
{
    if (!d)
        return;
    for (int i = 0; i < MAX_DOORS; i++)
        if (doors[i] == d)
            doors[i] = NULL;
    while (d->conns)
        release(d, d->conns);
    if (d->check_ev)
        event_free(d->check_ev);
    if (d->sweep_ev)
        event_free(d->sweep_ev);
    if (d->resume_ev)
        event_free(d->resume_ev);
    free(d);
}
