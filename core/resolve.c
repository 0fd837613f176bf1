/*
 * resolve.c: non-blocking HOST:PORT lookups on libevent's evdns (see resolve.h).
 *
 * A request record (struct resolve_req) has two owners in turn. While the caller may
 * still get a callback it is on the resolver's `live` list. While evdns holds a
 * callback for it (in_evdns) only that callback may free it: evdns_getaddrinfo_cancel
 * does not end the request at once but delivers EVUTIL_EAI_CANCEL later, from the
 * loop, so a cancelled record stays (off the live list, marked cancelled) until then.
 * Answers, numeric ones included, reach the caller through the record's zero timer,
 * never from inside resolve_start or from inside an evdns callback.
 *
 * The evdns base is freed only when no record is held by evdns any more (n_evdns == 0),
 * from a zero timer of the resolver (never from inside an evdns callback).
 */
#include "resolve.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

struct resolve_req {
    struct resolve_req *prev, *next; /* on r->live until answered or cancelled */
    struct resolver *r;
    resolve_cb cb;
    void *arg;
    struct event *answer;                 /* zero timer that calls cb */
    struct evdns_getaddrinfo_request *gai; /* while evdns holds it, once known */
    unsigned in_evdns : 1, cancelled : 1;
    int status;
    struct sockaddr_storage ss;
    socklen_t sslen;
    char error[96];
};

struct resolver {
    struct event_base *base;
    struct evdns_base *dns; /* made on the first name; NULL before, or when it failed */
    int dns_tried;
    struct resolve_req *live;
    int n_evdns;           /* records evdns still holds a callback for */
    int dying;             /* resolver_free called: freed when n_evdns reaches 0 */
    struct event *ev_free; /* zero timer of that release */
};

static void answer_cb(evutil_socket_t fd, short what, void *arg);

int resolve_numeric(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!host || port < 1 || port > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, host, &a4) == 1) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        sin->sin_addr = a4;
        *len = sizeof *sin;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        sin6->sin6_addr = a6;
        *len = sizeof *sin6;
        return 0;
    }
    return -1;
}

char *resolve_addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
    const void *p = NULL;
    if (!buf || !len)
        return buf;
    if (sa && sa->sa_family == AF_INET)
        p = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        p = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!p || !inet_ntop(sa->sa_family, p, buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

/* ---- the resolver ---- */

static void resolver_release(struct resolver *r)
{
    if (r->dns)
        evdns_base_free(r->dns, 0);
    if (r->ev_free)
        event_free(r->ev_free);
    free(r);
}

static void free_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    resolver_release(arg);
}

struct resolver *resolver_new(struct event_base *base)
{
    struct resolver *r = base ? calloc(1, sizeof *r) : NULL;
    if (!r)
        return NULL;
    r->base = base;
    r->ev_free = evtimer_new(base, free_cb, r);
    if (!r->ev_free) {
        free(r);
        return NULL;
    }
    return r;
}

static struct evdns_base *get_dns(struct resolver *r)
{
    if (r->dns || r->dns_tried)
        return r->dns;
    r->dns_tried = 1;
    /* resolv.conf's nameservers and options, and /etc/hosts; the base does not keep
     * the loop running while no lookup is under way */
    r->dns = evdns_base_new(r->base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!r->dns) {
        /* no usable resolv.conf: at least the hosts file */
        r->dns = evdns_base_new(r->base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
        if (r->dns)
            (void)evdns_base_load_hosts(r->dns, NULL);
    }
    return r->dns;
}

void resolver_free(struct resolver *r)
{
    if (!r || r->dying)
        return;
    while (r->live)
        resolve_cancel(r->live);
    r->dying = 1;
    if (r->n_evdns == 0)
        resolver_release(r);
}

/* ---- requests ---- */

static void unlink_live(struct resolve_req *q)
{
    struct resolver *r = q->r;
    if (q->prev)
        q->prev->next = q->next;
    else if (r->live == q)
        r->live = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

static void req_free(struct resolve_req *q)
{
    if (q->answer)
        event_free(q->answer);
    free(q);
}

/* The result is in q: hand it to the caller from the loop. */
static void schedule_answer(struct resolve_req *q)
{
    static const struct timeval now = {0, 0};
    evtimer_add(q->answer, &now);
}

static void fail(struct resolve_req *q, int status, const char *error)
{
    q->status = status ? status : EVUTIL_EAI_FAIL;
    snprintf(q->error, sizeof q->error, "%s", error);
    schedule_answer(q);
}

/* evdns's answer (maybe from inside evdns_getaddrinfo; a cancelled record gets
 * EVUTIL_EAI_CANCEL here, later). */
static void gai_cb(int status, struct evutil_addrinfo *ai, void *arg)
{
    struct resolve_req *q = arg;
    struct resolver *r = q->r;
    q->in_evdns = 0;
    q->gai = NULL;
    r->n_evdns--;
    if (q->cancelled) {
        if (ai)
            evutil_freeaddrinfo(ai);
        req_free(q);
        if (r->dying && r->n_evdns == 0) {
            static const struct timeval now = {0, 0};
            evtimer_add(r->ev_free, &now); /* not from inside evdns's own callback */
        }
        return;
    }
    const struct evutil_addrinfo *a = ai;
    while (a && (!a->ai_addr || a->ai_addrlen > sizeof q->ss ||
                 (a->ai_family != AF_INET && a->ai_family != AF_INET6)))
        a = a->ai_next;
    if (status == 0 && a) {
        memcpy(&q->ss, a->ai_addr, a->ai_addrlen);
        q->sslen = (socklen_t)a->ai_addrlen;
        q->status = 0;
        schedule_answer(q);
    } else
        fail(q, status, status ? evutil_gai_strerror(status) : "no address");
    if (ai)
        evutil_freeaddrinfo(ai);
}

static void answer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct resolve_req *q = arg;
    (void)fd, (void)what;
    struct sockaddr_storage ss = q->ss;
    socklen_t len = q->sslen;
    int status = q->status;
    char error[sizeof q->error];
    resolve_cb cb = q->cb;
    void *cb_arg = q->arg;
    memcpy(error, q->error, sizeof error);
    unlink_live(q);
    req_free(q); /* answered: never held by evdns any more */
    if (status == 0)
        cb(cb_arg, 0, (const struct sockaddr *)&ss, len, NULL);
    else
        cb(cb_arg, status, NULL, 0, error);
}

struct resolve_req *resolve_start(struct resolver *r, const char *host, int port, resolve_cb cb, void *arg)
{
    if (!r || r->dying || !host || !*host || !cb || port < 1 || port > 65535)
        return NULL;
    struct resolve_req *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->r = r;
    q->cb = cb;
    q->arg = arg;
    q->answer = evtimer_new(r->base, answer_cb, q);
    if (!q->answer) {
        free(q);
        return NULL;
    }
    q->next = r->live;
    if (r->live)
        r->live->prev = q;
    r->live = q;

    if (resolve_numeric(host, port, &q->ss, &q->sslen) == 0) {
        schedule_answer(q);
        return q;
    }
    struct evdns_base *dns = get_dns(r);
    if (!dns) {
        fail(q, EVUTIL_EAI_FAIL, "no DNS resolver available");
        return q;
    }
    struct evutil_addrinfo hints;
    char service[8];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = EVUTIL_AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    q->in_evdns = 1;
    r->n_evdns++;
    /* NULL: evdns answered already (numeric, hosts file, or an error), through gai_cb */
    struct evdns_getaddrinfo_request *g = evdns_getaddrinfo(dns, host, service, &hints, gai_cb, q);
    if (q->in_evdns) {
        if (g)
            q->gai = g;
        else { /* not expected: NULL without an answer */
            q->in_evdns = 0;
            r->n_evdns--;
            fail(q, EVUTIL_EAI_FAIL, "lookup could not start");
        }
    }
    return q;
}

void resolve_cancel(struct resolve_req *q)
{
    if (!q || q->cancelled)
        return;
    q->cancelled = 1;
    unlink_live(q);
    evtimer_del(q->answer);
    if (!q->in_evdns) {
        req_free(q);
        return;
    }
    /* evdns answers EVUTIL_EAI_CANCEL later; gai_cb frees q then. Nothing touches q
     * after this call, in case that answer ever came from inside it. */
    if (q->gai)
        evdns_getaddrinfo_cancel(q->gai);
}
