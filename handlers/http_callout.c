/*
 * http_callout.c: the `http` handler: a council's own backend called with JSON over
 * HTTP, its answer turned into an outcome, session variables, list items and a message,
 * all described by the screen's `args` (README.md, "Calling a backend over HTTP").
 *
 * One call is one evhttp_connection on the loop, with "Connection: close" and no
 * retries (a user is waiting), and one timer that bounds the whole call (timeout_ms)
 * and, once the call has finished, frees it from the loop (libevent must not see its
 * connection freed from inside that connection's own request callback). A numeric host
 * is connected to at once; a name is first resolved with evdns_getaddrinfo on a
 * resolver created on the loop at first use and kept for the life of the process.
 *
 * States: RESOLVING (a DNS request in flight) -> REQUESTING (the HTTP request in
 * flight) -> FINISHED (done has fired; the timer frees the call). cancel in
 * REQUESTING frees the connection, which drops its request without a callback; in
 * RESOLVING it cancels the DNS request, whose callback always comes (later) and frees
 * the call then. done fires at most once and never after cancel.
 *
 * Logs carry the backend's host:port, the HTTP status, the time taken and the masked
 * MSISDN; never the path, the body or any value sent or received.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "builtin.h"
#include "log.h"

#define HC_BODY_MAX (64 * 1024)  /* bytes of a response body; more is an error */
#define HC_HEADERS_MAX 8192      /* bytes of a response's status line and headers */
#define HC_TIMEOUT_DEFAULT 3000  /* ms */
#define HC_TIMEOUT_MIN 100       /* ms */
#define HC_TIMEOUT_MAX 3500      /* ms: below handler_run's default timer of 4 s */
#define HC_VALUE_MAX 161         /* a variable's value or the message, incl. NUL */
#define HC_LABEL_MAX 81          /* an item's label, incl. NUL */
#define HC_ITEM_VALUE_MAX 41     /* an item's value, incl. NUL */
#define HC_OUTCOME_MAX 64        /* an outcome name, incl. NUL */
#define HC_VAR_KEY_MAX 32        /* a session variable's name, incl. NUL */
#define HC_PATH_SEG_MAX 128      /* one segment of a JSON path, incl. NUL */

enum hc_state { HC_RESOLVING, HC_REQUESTING, HC_FINISHED };

struct hc_call {
    struct event_base *base;
    struct event *timer;                /* the deadline, then the reaper */
    struct evhttp_request *req;         /* built in start; NULL once handed to con */
    struct evhttp_connection *con;
    struct evdns_getaddrinfo_request *dns;
    int resolving;                      /* a DNS callback is still to come */
    int released;                       /* no owner left: free when DNS is over */
    enum hc_state state;
    handler_done_fn done;
    void *arg;
    enum evhttp_request_error err;      /* from the error callback, for the log */
    int got_err;
    struct timespec t0;
    /* the request */
    enum evhttp_cmd_type method;
    char *target;                       /* path?query */
    char host[256];                     /* without brackets */
    int port;
    /* the arguments, copied: the response is read with them */
    struct handler_kv *args;
    size_t n_args;
    char msisdn[32];
};

/* What one response turns into; strings point into this struct or into call->args. */
struct hc_out {
    char outcome[HC_OUTCOME_MAX];
    char message[HC_VALUE_MAX];
    struct handler_kv set[HANDLER_MAX_SET];
    char vals[HANDLER_MAX_SET][HC_VALUE_MAX];
    struct handler_item items[HANDLER_MAX_ITEMS];
    char labels[HANDLER_MAX_ITEMS][HC_LABEL_MAX];
    char values[HANDLER_MAX_ITEMS][HC_ITEM_VALUE_MAX];
};

static void on_timer(evutil_socket_t fd, short what, void *p);
static void on_response(struct evhttp_request *r, void *p);
static void on_error(enum evhttp_request_error err, void *p);
static void on_resolved(int result, struct evutil_addrinfo *res, void *p);

/* ---- small helpers -------------------------------------------------------------------- */

static const char *arg_of(const struct hc_call *c, const char *key)
{
    for (size_t i = 0; i < c->n_args; i++)
        if (strcmp(c->args[i].key, key) == 0)
            return c->args[i].value;
    return NULL;
}

static long elapsed_ms(const struct hc_call *c)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - c->t0.tv_sec) * 1000 + (t.tv_nsec - c->t0.tv_nsec) / 1000000;
}

static const char *masked(const struct hc_call *c, char *buf, size_t n)
{
    return log_msisdn(c->msisdn, buf, n);
}

/* A run-time mistake in the screen's args: the administrator's to fix. */
static void log_config(const struct hc_call *c, const char *what)
{
    char m[32];
    log_event(L_ERROR, "http_callout.config", "msisdn=%s error=\"%s\"", masked(c, m, sizeof m),
              what);
}

static void log_failed(const struct hc_call *c, const char *reason, int status)
{
    char m[32];
    log_event(L_WARN, "http_callout.failed", "msisdn=%s backend=%s:%d reason=%s status=%d ms=%ld",
              masked(c, m, sizeof m), c->host, c->port, reason, status, elapsed_ms(c));
}

/* Copy s into out (cap bytes incl. NUL): control characters become spaces, and a cut
 * never splits a UTF-8 sequence. */
static void copy_clean(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; s[n] && n + 1 < cap; n++)
        out[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? ' ' : s[n];
    if (((unsigned char)s[n] & 0xC0) == 0x80) { /* cut inside a character: drop its start */
        while (n > 0 && ((unsigned char)s[n - 1] & 0xC0) == 0x80)
            n--;
        if (n > 0)
            n--;
    }
    out[n] = 0;
}

/* Letters, digits, '_', '.' and '-': what an outcome (a route name) may be. */
static int name_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char ch = s[n];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-') || n + 1 >= max)
            return 0;
    }
    return n > 0;
}

/* The value at a dotted path ("data.owner.name", "items.0.label"); "" or "." is the
 * whole document. NULL when absent. */
static json_t *json_at(json_t *root, const char *path)
{
    if (!path || !*path || strcmp(path, ".") == 0)
        return root;
    json_t *cur = root;
    const char *p = path;
    while (cur) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char seg[HC_PATH_SEG_MAX];
        if (n == 0 || n >= sizeof seg)
            return NULL;
        memcpy(seg, p, n);
        seg[n] = 0;
        if (json_is_object(cur)) {
            cur = json_object_get(cur, seg);
        } else if (json_is_array(cur) && strspn(seg, "0123456789") == n && n < 10) {
            cur = json_array_get(cur, strtoul(seg, NULL, 10));
        } else {
            return NULL;
        }
        if (!dot)
            return cur;
        p = dot + 1;
    }
    return NULL;
}

/* A JSON value as text for a variable: strings as they are, numbers and booleans
 * written out, null or absent as "", objects and arrays as compact JSON. */
static void json_text(const json_t *v, char *out, size_t cap)
{
    char tmp[64];
    out[0] = 0;
    if (!v)
        return;
    switch (json_typeof(v)) {
    case JSON_STRING:
        copy_clean(out, cap, json_string_value(v));
        return;
    case JSON_INTEGER:
        snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(tmp, sizeof tmp, "%.15g", json_real_value(v));
        break;
    case JSON_TRUE:
        snprintf(tmp, sizeof tmp, "true");
        break;
    case JSON_FALSE:
        snprintf(tmp, sizeof tmp, "false");
        break;
    case JSON_NULL:
        return;
    case JSON_OBJECT:
    case JSON_ARRAY: {
        char *s = json_dumps(v, JSON_COMPACT);
        if (s) {
            copy_clean(out, cap, s);
            free(s);
        }
        return;
    }
    }
    copy_clean(out, cap, tmp);
}

/* FNV-1a, 64 bits, from a given basis. */
static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void call_free(struct hc_call *c)
{
    if (c->con)
        evhttp_connection_free(c->con); /* drops a request in flight: no callback */
    if (c->req)
        evhttp_request_free(c->req); /* built but never sent */
    if (c->timer)
        event_free(c->timer);
    free(c->target);
    free(c->args);
    free(c);
}

/* Nobody will touch c again except a DNS callback still to come. */
static void call_release(struct hc_call *c)
{
    c->released = 1;
    if (!c->resolving)
        call_free(c);
}

/* Report res (once) and have the timer free the call from the loop. */
static void finish(struct hc_call *c, const struct handler_result *res)
{
    if (c->state == HC_FINISHED)
        return;
    c->state = HC_FINISHED;
    if (c->dns) {
        struct evdns_getaddrinfo_request *d = c->dns;
        c->dns = NULL;
        evdns_getaddrinfo_cancel(d); /* its callback comes and sees FINISHED */
    }
    struct timeval now = {0, 0};
    evtimer_add(c->timer, &now); /* replaces the deadline */
    c->done(c->arg, res);
}

static void finish_error(struct hc_call *c)
{
    static const struct handler_result err = {.outcome = "error"};
    finish(c, &err);
}

static void on_timer(evutil_socket_t fd, short what, void *p)
{
    struct hc_call *c = p;
    (void)fd;
    (void)what;
    if (c->state == HC_FINISHED) {
        call_release(c);
        return;
    }
    /* the deadline: stop the request (a late answer finds its socket closed) */
    log_failed(c, c->state == HC_RESOLVING ? "dns_timeout" : "timeout", 0);
    if (c->con) {
        evhttp_connection_free(c->con);
        c->con = NULL;
    }
    finish_error(c);
}

/* ---- the request ---------------------------------------------------------------------- */

/* The URL with bytes that cannot appear in one (spaces, non-ASCII, quotes...)
 * percent-encoded, so that an inserted value cannot make it unparsable. */
static char *url_encode_loose(const char *u)
{
    size_t n = strlen(u);
    char *out = malloc(3 * n + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)u; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"<>\\^`{|}", *p)) {
            *o++ = '%';
            *o++ = "0123456789ABCDEF"[*p >> 4];
            *o++ = "0123456789ABCDEF"[*p & 15];
        } else {
            *o++ = (char)*p;
        }
    }
    *o = 0;
    return out;
}

/* Parse `url` into host, port and target; 0, or -1 with *why set. */
static int parse_url(struct hc_call *c, const char *url, const char **why)
{
    char *enc = url_encode_loose(url);
    struct evhttp_uri *u = enc ? evhttp_uri_parse(enc) : NULL;
    free(enc);
    if (!u) {
        *why = "url is not a valid http:// URL";
        return -1;
    }
    const char *scheme = evhttp_uri_get_scheme(u), *host = evhttp_uri_get_host(u);
    const char *path = evhttp_uri_get_path(u), *query = evhttp_uri_get_query(u);
    int rc = -1;
    size_t hl = host ? strlen(host) : 0;
    if (!scheme || strcasecmp(scheme, "http") != 0) {
        *why = "url must start with http:// (https is not supported)";
    } else if (evhttp_uri_get_userinfo(u)) {
        *why = "url must not hold credentials; use header.Authorization";
    } else if (hl == 0 || hl >= sizeof c->host + 2) {
        *why = "url has no host";
    } else {
        if (host[0] == '[' && host[hl - 1] == ']')
            snprintf(c->host, sizeof c->host, "%.*s", (int)(hl - 2), host + 1);
        else
            snprintf(c->host, sizeof c->host, "%s", host);
        c->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
        size_t tl = strlen(path && *path ? path : "/") + (query ? strlen(query) + 1 : 0) + 1;
        if ((c->target = malloc(tl))) {
            snprintf(c->target, tl, "%s%s%s", path && *path ? path : "/", query ? "?" : "",
                     query ? query : "");
            rc = 0;
        } else {
            *why = "out of memory";
        }
    }
    evhttp_uri_free(u);
    return rc;
}

/* Append "&key=value" (or "?key=value") to the target. */
static int target_add_query(struct hc_call *c, const char *key, const char *val)
{
    char *k = evhttp_uriencode(key, -1, 0), *v = evhttp_uriencode(val, -1, 0);
    int rc = -1;
    if (k && v) {
        size_t n = strlen(c->target) + strlen(k) + strlen(v) + 3;
        char *t = malloc(n);
        if (t) {
            snprintf(t, n, "%s%c%s=%s", c->target, strchr(c->target, '?') ? '&' : '?', k, v);
            free(c->target);
            c->target = t;
            rc = 0;
        }
    }
    free(k);
    free(v);
    return rc;
}

/* Set body[a][b]... = v for the dotted field "a.b"; takes v. 0, or -1 on a clash. */
static int body_set(json_t *body, const char *field, json_t *v)
{
    json_t *obj = body;
    const char *p = field;
    for (const char *dot; (dot = strchr(p, '.')); p = dot + 1) {
        char seg[HC_PATH_SEG_MAX];
        size_t n = (size_t)(dot - p);
        if (n == 0 || n >= sizeof seg)
            goto clash;
        memcpy(seg, p, n);
        seg[n] = 0;
        json_t *next = json_object_get(obj, seg);
        if (!next) {
            next = json_object();
            if (!next || json_object_set_new(obj, seg, next) != 0)
                goto clash;
        } else if (!json_is_object(next)) {
            goto clash;
        }
        obj = next;
    }
    if (!*p || json_object_get(obj, p))
        goto clash;
    return json_object_set_new(obj, p, v) == 0 ? 0 : -1;
clash:
    json_decref(v);
    return -1;
}

/* A number for send_num.FIELD: integer, decimal or empty (null). NULL if neither. */
static json_t *json_number(const char *s)
{
    if (!*s)
        return json_null();
    char *end;
    errno = 0;
    long long i = strtoll(s, &end, 10);
    if (*end == 0 && errno == 0)
        return json_integer(i);
    double d = strtod(s, &end);
    if (*end == 0 && isfinite(d))
        return json_real(d);
    return NULL;
}

static int header_reserved(const char *name)
{
    static const char *const reserved[] = {"Content-Length", "Transfer-Encoding", "Connection",
                                           NULL};
    for (size_t i = 0; reserved[i]; i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return 1;
    return 0;
}

/* Build c->req from the arguments; 0, or -1 with *why set (a mistake in the args). */
static int build_request(struct hc_call *c, const struct handler_req *hreq, const char **why)
{
    static char msg[160];
    const char *url = arg_of(c, "url"), *method = arg_of(c, "method");
    if (!url || !*url) {
        *why = "the handler needs args: {url: 'http://HOST:PORT/PATH'}";
        return -1;
    }
    if (parse_url(c, url, why) != 0)
        return -1;
    if (!method || !*method || strcasecmp(method, "POST") == 0) {
        c->method = EVHTTP_REQ_POST;
    } else if (strcasecmp(method, "GET") == 0) {
        c->method = EVHTTP_REQ_GET;
    } else {
        *why = "method must be POST or GET";
        return -1;
    }
    if (!(c->req = evhttp_request_new(on_response, c))) {
        *why = "out of memory";
        return -1;
    }
    evhttp_request_set_error_cb(c->req, on_error);
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
    json_t *body = c->method == EVHTTP_REQ_POST ? json_object() : NULL;
    if (c->method == EVHTTP_REQ_POST && !body) {
        *why = "out of memory";
        return -1;
    }
    int rc = 0, has_host = 0, has_idem = 0;
    size_t n_recv = 0;
    for (size_t i = 0; i < c->n_args && rc == 0; i++) {
        const char *k = c->args[i].key, *v = c->args[i].value;
        if (strncmp(k, "send.", 5) == 0 || strncmp(k, "send_num.", 9) == 0) {
            int num = k[4] == '_';
            const char *field = k + (num ? 9 : 5);
            json_t *jv = !*field ? NULL : num ? json_number(v) : json_string(v);
            if (!jv) {
                snprintf(msg, sizeof msg, "%.80s %s", k,
                         !*field ? "needs a field name" : num ? "is not a number" : "is not UTF-8");
                *why = msg;
                rc = -1;
            } else if (!body) {
                json_decref(jv);
                if (target_add_query(c, field, v) != 0) {
                    *why = "cannot add a field to the query string";
                    rc = -1;
                }
            } else if (body_set(body, field, jv) != 0) {
                snprintf(msg, sizeof msg, "%.80s clashes with another send field", k);
                *why = msg;
                rc = -1;
            }
        } else if (strncmp(k, "header.", 7) == 0) {
            const char *name = k + 7;
            if (!*name || header_reserved(name)) {
                snprintf(msg, sizeof msg, "%.80s cannot be set", k);
                *why = msg;
                rc = -1;
            } else if (evhttp_add_header(h, name, v) != 0) {
                snprintf(msg, sizeof msg, "%.80s is not a valid header value", k);
                *why = msg;
                rc = -1;
            }
            has_host |= strcasecmp(name, "Host") == 0;
            has_idem |= strcasecmp(name, "Idempotency-Key") == 0;
        } else if (strncmp(k, "recv.", 5) == 0) {
            if (++n_recv > HANDLER_MAX_SET || strlen(k + 5) >= HC_VAR_KEY_MAX || !k[5]) {
                snprintf(msg, sizeof msg, "%.80s: at most %d recv variables of at most %d "
                         "characters", k, HANDLER_MAX_SET, HC_VAR_KEY_MAX - 1);
                *why = msg;
                rc = -1;
            }
        } else if (strcmp(k, "timeout_ms") == 0) {
            char *end;
            long t = strtol(v, &end, 10);
            if (!*v || *end || t <= 0) {
                *why = "timeout_ms must be a number of milliseconds";
                rc = -1;
            }
        } else if (strcmp(k, "url") != 0 && strcmp(k, "method") != 0 &&
                   strcmp(k, "outcome") != 0 && strcmp(k, "items") != 0 &&
                   strcmp(k, "item_label") != 0 && strcmp(k, "item_value") != 0 &&
                   strcmp(k, "message") != 0) {
            snprintf(msg, sizeof msg, "unknown argument %.80s", k);
            *why = msg;
            rc = -1;
        }
    }
    if (rc == 0) {
        char hostport[300];
        int v6 = strchr(c->host, ':') != NULL;
        if (c->port == 80)
            snprintf(hostport, sizeof hostport, v6 ? "[%s]" : "%s", c->host);
        else
            snprintf(hostport, sizeof hostport, v6 ? "[%s]:%d" : "%s:%d", c->host, c->port);
        if (!has_host)
            evhttp_add_header(h, "Host", hostport);
        evhttp_add_header(h, "User-Agent", "ussdgw");
        evhttp_add_header(h, "Accept", "application/json");
        evhttp_add_header(h, "Connection", "close");
        if (hreq->step_key && !has_idem) {
            /* the same for every retry of this dialog step; no phone number in it */
            char key[40];
            snprintf(key, sizeof key, "%016llx%016llx",
                     (unsigned long long)fnv1a(hreq->step_key, 0xcbf29ce484222325ULL),
                     (unsigned long long)fnv1a(hreq->step_key, 0x84222325cbf29ce4ULL));
            evhttp_add_header(h, "Idempotency-Key", key);
        }
    }
    if (rc == 0 && body) {
        char *s = json_dumps(body, JSON_COMPACT);
        if (!s) {
            *why = "out of memory";
            rc = -1;
        } else {
            evhttp_add_header(h, "Content-Type", "application/json");
            evbuffer_add(evhttp_request_get_output_buffer(c->req), s, strlen(s));
            free(s);
        }
    }
    json_decref(body);
    return rc;
}

/* Connect to the numeric address `addr` and send the request. */
static void send_request(struct hc_call *c, const char *addr)
{
    c->state = HC_REQUESTING;
    c->con = evhttp_connection_base_new(c->base, NULL, addr, (unsigned short)c->port);
    if (!c->con) {
        log_failed(c, "no_connection", 0);
        finish_error(c);
        return;
    }
    evhttp_connection_set_retries(c->con, 0);
    evhttp_connection_set_max_body_size(c->con, HC_BODY_MAX);
    evhttp_connection_set_max_headers_size(c->con, HC_HEADERS_MAX);
    struct evhttp_request *r = c->req;
    c->req = NULL; /* the connection owns it now */
    /* may fail at once (a refused loopback connect): on_response runs before this returns */
    if (evhttp_make_request(c->con, r, c->method, c->target) != 0 && c->state == HC_REQUESTING) {
        log_failed(c, "request_failed", 0);
        finish_error(c);
    }
}

/* One evdns resolver for the loop, made at first use from /etc/resolv.conf (and
 * /etc/hosts). EVDNS_BASE_DISABLE_WHEN_INACTIVE: an idle resolver does not keep the loop
 * running; it must be set before the nameservers are added (libevent 2.1 applies it to
 * those added later only), hence no EVDNS_BASE_INITIALIZE_NAMESERVERS. */
static struct evdns_base *resolver(struct event_base *base)
{
    static struct event_base *made_for;
    static struct evdns_base *dns;
    if (dns && made_for == base)
        return dns;
    /* first use, or another loop in this process: an older resolver is left alone, as
     * its requests may still be running */
    dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    made_for = dns ? base : NULL;
    /* a missing or empty resolv.conf gives the default nameserver, 127.0.0.1 */
    if (dns && (evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL, "/etc/resolv.conf") == 4 ||
                evdns_base_count_nameservers(dns) == 0))
        log_event(L_WARN, "http_callout.resolver", "error=%s", "no nameserver");
    return dns;
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *p)
{
    struct hc_call *c = p;
    c->resolving = 0;
    c->dns = NULL;
    if (c->state != HC_RESOLVING || result != 0) {
        if (res)
            evutil_freeaddrinfo(res);
        if (c->released)
            call_free(c); /* cancelled or finished while resolving */
        else if (c->state == HC_RESOLVING) {
            log_failed(c, "dns_failed", 0);
            finish_error(c);
        }
        return;
    }
    /* the first IPv4 address, else the first IPv6 one */
    const struct evutil_addrinfo *pick = NULL;
    for (const struct evutil_addrinfo *a = res; a; a = a->ai_next)
        if (a->ai_family == AF_INET || (a->ai_family == AF_INET6 && !pick))
            if (!pick || pick->ai_family != AF_INET)
                pick = a;
    char addr[64] = "";
    if (pick) {
        const void *src = pick->ai_family == AF_INET
                              ? (const void *)&((const struct sockaddr_in *)pick->ai_addr)->sin_addr
                              : (const void *)&((const struct sockaddr_in6 *)pick->ai_addr)->sin6_addr;
        evutil_inet_ntop(pick->ai_family, src, addr, sizeof addr);
    }
    evutil_freeaddrinfo(res);
    if (!*addr) {
        log_failed(c, "dns_failed", 0);
        finish_error(c);
        return;
    }
    send_request(c, addr);
}

/* ---- the response --------------------------------------------------------------------- */

static void on_error(enum evhttp_request_error err, void *p)
{
    struct hc_call *c = p;
    c->err = err;
    c->got_err = 1;
}

static const char *error_reason(const struct hc_call *c)
{
    if (!c->got_err)
        return "connect_failed"; /* refused, unreachable, reset before any answer */
    switch (c->err) {
    case EVREQ_HTTP_TIMEOUT:
        return "timeout";
    case EVREQ_HTTP_EOF:
        return "closed";
    case EVREQ_HTTP_INVALID_HEADER:
        return "bad_response";
    case EVREQ_HTTP_BUFFER_ERROR:
        return "io_error";
    case EVREQ_HTTP_REQUEST_CANCEL:
        return "cancelled";
    case EVREQ_HTTP_DATA_TOO_LONG:
        return "too_large";
    }
    return "failed";
}

/* Fill o from a parsed answer (json may be NULL: no usable body). 0, or -1 when the
 * answer is unusable (then the outcome is error and nothing is set). */
static int read_answer(struct hc_call *c, int status, json_t *json, struct hc_out *o,
                       struct handler_result *res)
{
    int ok2xx = status >= 200 && status < 300, is4xx = status >= 400 && status < 500;
    snprintf(o->outcome, sizeof o->outcome, "%s",
             ok2xx ? "ok" : status == 404 ? "not_found" : "error");
    const char *opath = arg_of(c, "outcome");
    if (opath && json && (ok2xx || is4xx)) {
        json_t *v = json_at(json, opath);
        char t[HC_OUTCOME_MAX + 1];
        if (v && (json_is_string(v) || json_is_integer(v) || json_is_boolean(v))) {
            json_text(v, t, sizeof t);
            if (!name_ok(t, HC_OUTCOME_MAX)) {
                log_failed(c, "bad_outcome_field", status);
                return -1;
            }
            memcpy(o->outcome, t, strlen(t) + 1); /* name_ok: it fits */
        }
    }
    res->outcome = o->outcome;
    for (size_t i = 0; i < c->n_args; i++) {
        if (strncmp(c->args[i].key, "recv.", 5) != 0 || res->n_set >= HANDLER_MAX_SET)
            continue;
        json_text(json ? json_at(json, c->args[i].value) : NULL, o->vals[res->n_set],
                  sizeof o->vals[0]);
        o->set[res->n_set] = (struct handler_kv){c->args[i].key + 5, o->vals[res->n_set]};
        res->n_set++;
    }
    res->set = o->set;
    const char *mpath = arg_of(c, "message");
    if (mpath && json) {
        json_text(json_at(json, mpath), o->message, sizeof o->message);
        if (*o->message)
            res->message = o->message;
    }
    const char *ipath = arg_of(c, "items");
    if (ipath && strcmp(o->outcome, "ok") == 0) {
        json_t *arr = json ? json_at(json, ipath) : NULL;
        if (!json_is_array(arr)) {
            log_failed(c, "items_not_a_list", status);
            return -1;
        }
        const char *lf = arg_of(c, "item_label"), *vf = arg_of(c, "item_value");
        lf = lf && *lf ? lf : "label";
        vf = vf && *vf ? vf : "value";
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
            if (res->n_items >= HANDLER_MAX_ITEMS)
                break;
            size_t k = res->n_items;
            const json_t *lv = json_is_object(e) ? json_at(e, lf) : e;
            const json_t *vv = json_is_object(e) ? json_at(e, vf) : e;
            json_text(lv, o->labels[k], sizeof o->labels[0]);
            if (!*o->labels[k])
                continue; /* nothing to show */
            json_text(vv, o->values[k], sizeof o->values[0]);
            o->items[k] = (struct handler_item){o->labels[k], *o->values[k] ? o->values[k]
                                                                            : o->labels[k]};
            res->n_items++;
        }
        res->items = o->items;
    }
    return 0;
}

static void on_response(struct evhttp_request *r, void *p)
{
    struct hc_call *c = p;
    if (c->state != HC_REQUESTING)
        return;
    int status = r ? evhttp_request_get_response_code(r) : 0;
    if (status == 0) {
        log_failed(c, error_reason(c), 0);
        finish_error(c);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(r);
    size_t len = evbuffer_get_length(in);
    if (len > HC_BODY_MAX) {
        log_failed(c, "too_large", status);
        finish_error(c);
        return;
    }
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    size_t ws = 0;
    while (ws < len && (body[ws] == ' ' || body[ws] == '\t' || body[ws] == '\r' || body[ws] == '\n'))
        ws++;
    json_t *json = NULL;
    if (ws < len) {
        json_error_t jerr;
        json = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
        if (!json && status >= 200 && status < 300) {
            log_failed(c, "bad_json", status);
            finish_error(c);
            return;
        }
    }
    struct hc_out *o = malloc(sizeof *o);
    struct handler_result res = {.outcome = "error"};
    if (!o || read_answer(c, status, json, o, &res) != 0) {
        json_decref(json);
        free(o);
        finish_error(c);
        return;
    }
    json_decref(json);
    if ((status < 200 || status >= 300) && strcmp(res.outcome, "error") == 0)
        log_failed(c, "http_status", status); /* 5xx, 401, a redirect (never followed)... */
    else if (LOG_DEBUG_ON()) {
        char m[32];
        log_event(L_DEBUG, "http_callout.done", "msisdn=%s backend=%s:%d status=%d outcome=%s "
                  "ms=%ld", masked(c, m, sizeof m), c->host, c->port, status, res.outcome,
                  elapsed_ms(c));
    }
    finish(c, &res);
    free(o);
}

/* ---- the handler ---------------------------------------------------------------------- */

static struct handler_kv *copy_args(const struct handler_req *req)
{
    size_t total = req->n_args * sizeof(struct handler_kv);
    for (size_t i = 0; i < req->n_args; i++)
        total += strlen(req->args[i].key) + strlen(req->args[i].value) + 2;
    struct handler_kv *kv = malloc(total ? total : 1);
    if (!kv)
        return NULL;
    char *s = (char *)(kv + req->n_args);
    for (size_t i = 0; i < req->n_args; i++) {
        size_t kl = strlen(req->args[i].key) + 1, vl = strlen(req->args[i].value) + 1;
        kv[i].key = memcpy(s, req->args[i].key, kl);
        kv[i].value = memcpy(s + kl, req->args[i].value, vl);
        s += kl + vl;
    }
    return kv;
}

static struct handler_call *http_start(const struct svc_env *env, const struct handler_req *req,
                                       handler_done_fn done, void *arg)
{
    static const struct handler_result err = {.outcome = "error"};
    struct hc_call *c = calloc(1, sizeof *c);
    if (!c || !(c->args = copy_args(req)) || !(c->timer = evtimer_new(env->base, on_timer, c))) {
        log_event(L_ERROR, "http_callout.oom", "where=%s", "start");
        if (c) {
            free(c->args);
            free(c);
        }
        done(arg, &err);
        return NULL;
    }
    c->n_args = req->n_args;
    c->base = env->base;
    c->done = done;
    c->arg = arg;
    c->state = HC_RESOLVING;
    snprintf(c->msisdn, sizeof c->msisdn, "%s", req->msisdn ? req->msisdn : "");
    clock_gettime(CLOCK_MONOTONIC, &c->t0);

    const char *why = NULL;
    if (build_request(c, req, &why) != 0) {
        log_config(c, why);
        call_free(c);
        done(arg, &err);
        return NULL;
    }
    const char *tms = arg_of(c, "timeout_ms");
    long ms = tms ? strtol(tms, NULL, 10) : HC_TIMEOUT_DEFAULT;
    ms = ms < HC_TIMEOUT_MIN ? HC_TIMEOUT_MIN : ms > HC_TIMEOUT_MAX ? HC_TIMEOUT_MAX : ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);

    unsigned char a[16];
    if (evutil_inet_pton(AF_INET, c->host, a) == 1 || evutil_inet_pton(AF_INET6, c->host, a) == 1) {
        send_request(c, c->host);
    } else {
        struct evdns_base *dns = resolver(c->base);
        if (!dns) {
            log_failed(c, "no_resolver", 0);
            finish_error(c);
        } else {
            struct evutil_addrinfo hints;
            memset(&hints, 0, sizeof hints);
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;
            hints.ai_protocol = IPPROTO_TCP;
            c->resolving = 1;
            /* answers from /etc/hosts come at once: on_resolved runs before this returns */
            struct evdns_getaddrinfo_request *d =
                evdns_getaddrinfo(dns, c->host, NULL, &hints, on_resolved, c);
            if (c->resolving)
                c->dns = d;
        }
    }
    /* finished already (a refused connect, a failed lookup): done has fired */
    return c->state == HC_FINISHED ? NULL : (struct handler_call *)c;
}

static void http_cancel(struct handler_call *call)
{
    struct hc_call *c = (struct hc_call *)call;
    log_failed(c, "cancelled", 0); /* handler_run's timer or the step's deadline */
    c->state = HC_FINISHED; /* done must not fire */
    evtimer_del(c->timer);
    if (c->dns) {
        struct evdns_getaddrinfo_request *d = c->dns;
        c->dns = NULL;
        evdns_getaddrinfo_cancel(d);
    }
    call_release(c);
}

const struct handler_def handler_http = {"http", 1, http_start, http_cancel};
