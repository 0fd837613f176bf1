/*
 * http_ingress.c: USSD from aggregators over HTTP; see http_ingress.h.
 *
 * One evhttp server. A request passes the door (source allowlist, shared secret, path,
 * method, body size), is parsed in its dialect into one dialog step, and waits in the
 * `pending` list until dialog_step calls back; then it is answered and forgotten. The
 * dialog may call back after http_ingress_free (the store fails its requests when it is
 * freed): a pending entry is therefore detached, never freed, by http_ingress_free, and
 * its callback frees it without touching the request.
 *
 * Dialects:
 *   POST /ussd         Africa's Talking: form fields, "CON ..." / "END ..." text reply,
 *                      ingress "http.at"
 *   POST /ussd/hubtel  Hubtel programmable services: JSON in, JSON out,
 *                      ingress "http.hubtel"
 */
#include "http_ingress.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dialog.h"
#include "log.h"

#define HTTP_TIMEOUT_S 10          /* read/write of a connection */
#define HTTP_MAX_HEADERS 8192      /* request line and headers */
#define HTTP_HARD_BODY_MIN 65536   /* see hard_body_limit() */
#define HTTP_MAX_ALLOW 32          /* allowlist entries */
#define HTTP_SID_MAX 128           /* an aggregator's session id, incl. NUL */
#define HTTP_MSISDN_DIGITS 20      /* as SMPP source_addr */
#define HTTP_REASON_MAX 200
#define HTTP_SECRET_HEADER "X-Ussdgw-Secret"

enum http_dialect { HTTP_AT, HTTP_HUBTEL };

struct http_net {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int bits;
};

/* A request waiting for its dialog reply. */
struct http_pending {
    struct http_ingress *h; /* NULL once detached by http_ingress_free */
    struct evhttp_request *req;
    struct http_pending *prev, *next;
    enum http_dialect dialect;
    int release; /* Hubtel Release/Timeout: the answer is a Release, whatever happens */
    int lower;   /* Hubtel sent its Type in lower case: answer alike */
    char sid[HTTP_SID_MAX];
};

struct http_ingress {
    struct event_base *base;
    struct dialog_env *env;
    const struct config *cfg;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct engine_cfg ecfg;
    struct http_net allow[HTTP_MAX_ALLOW];
    int n_allow;
    int stopped;
    struct http_pending *pending;
    uint64_t requests, rejected;
};

/* One parsed request: what dialog_step needs. */
struct http_step {
    enum dialog_kind kind;
    char sid[HTTP_SID_MAX];
    char msisdn[SESSION_MSISDN_MAX];
    char dial[SESSION_MSISDN_MAX];  /* BEGIN: the dial; AT INPUT: dial_if_new */
    const char *text;               /* INPUT: the answer(s), points into the body */
    struct step_sig sig; /* has_sig: Hubtel's Sequence */
    int has_sig;
    int answers_all;
    int release, lower;
};

/* ---- small helpers -------------------------------------------------------------------- */

static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        p += n + 1;
    }
    return 1;
}

/* A copy of s fit for a one-line reason (keep_nl 0) or a JSON string (keep_nl 1):
 * control characters and the bytes of broken UTF-8 become '?'. */
static void clean_text(char *dst, size_t n, const char *s, int keep_nl)
{
    size_t o = 0;
    if (!n)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 1 < n; p++) {
        unsigned char c = *p;
        if (c == '\n' && keep_nl) {
            dst[o++] = '\n';
        } else if (c < 0x20 || c == 0x7F) {
            dst[o++] = '?';
        } else if (c < 0x80) {
            dst[o++] = (char)c;
        } else {
            /* take a whole valid sequence, or one '?' for the bad byte */
            char seq[5] = {0};
            size_t l = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            size_t i = 0;
            for (; i < l && p[i]; i++)
                seq[i] = (char)p[i];
            if (i == l && l > 1 && utf8_valid(seq) && o + l < n) {
                memcpy(dst + o, seq, l);
                o += l;
                p += l - 1;
            } else {
                dst[o++] = '?';
            }
        }
    }
    dst[o] = 0;
}

/* Equal, in a time that depends on the length of `want` only. */
static int secret_eq(const char *want, const char *got)
{
    size_t wl = strlen(want), gl = strlen(got);
    volatile unsigned char d = (unsigned char)(wl != gl);
    for (size_t i = 0; i < wl; i++) {
        unsigned char g = (unsigned char)(i < gl ? got[i] : 0);
        d |= (unsigned char)((unsigned char)want[i] ^ g);
    }
    return d == 0;
}

/* "+250 788..." -> "250788...": digits only, a leading '+' allowed. 0 or -1. */
static int clean_msisdn(const char *in, char *out, size_t n)
{
    while (*in == ' ')
        in++;
    if (*in == '+')
        in++;
    size_t l = strlen(in);
    while (l > 0 && in[l - 1] == ' ')
        l--;
    if (l == 0 || l > HTTP_MSISDN_DIGITS || l >= n)
        return -1;
    for (size_t i = 0; i < l; i++)
        if (in[i] < '0' || in[i] > '9')
            return -1;
    memcpy(out, in, l);
    out[l] = 0;
    return 0;
}

/* A dial as the menus declare it: "384*1" or "*384*1" -> "*384*1#". Strings that are
 * not made of digits, '*' and '#' pass unchanged (the engine answers "unknown code").
 * 0, or -1 when it does not fit. */
static int clean_dial(const char *in, char *out, size_t n)
{
    while (*in == ' ')
        in++;
    size_t l = strlen(in);
    while (l > 0 && in[l - 1] == ' ')
        l--;
    int plain = l > 0;
    for (size_t i = 0; i < l; i++)
        if (!strchr("0123456789*#", in[i]))
            plain = 0;
    const char *pre = plain && in[0] != '*' ? "*" : "";
    const char *post = plain && in[l - 1] != '#' ? "#" : "";
    int w = snprintf(out, n, "%s%.*s%s", pre, (int)l, in, post);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* Africa's Talking sends every answer so far ("1*Alice*1"); the dialog keeps only its
 * first SESSION_VAR_VAL_MAX-1 bytes and skips the answers it has applied by counting
 * '*'. When the whole is longer, the oldest answers are emptied (their content no
 * longer matters, their count does) so that the newest ones survive the cut. */
static void compact_answers(char *text)
{
    size_t l = strlen(text);
    char *w = text, *r = text;
    while (l >= SESSION_VAR_VAL_MAX) {
        char *star = strchr(r, '*');
        if (!star)
            break;
        l -= (size_t)(star - r);
        r = star + 1;
        *w++ = '*';
    }
    if (w != r)
        memmove(w, r, strlen(r) + 1);
}

/* ---- the allowlist -------------------------------------------------------------------- */

static int parse_net(const char *s, struct http_net *out)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t al = slash ? (size_t)(slash - s) : strlen(s);
    if (al == 0 || al >= sizeof addr)
        return -1;
    memcpy(addr, s, al);
    addr[al] = 0;
    memset(out, 0, sizeof *out);
    int max;
    if (inet_pton(AF_INET, addr, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    out->bits = max;
    if (slash) {
        const char *d = slash + 1;
        if (!*d || strlen(d) > 3)
            return -1;
        int b = 0;
        for (; *d; d++) {
            if (*d < '0' || *d > '9')
                return -1;
            b = b * 10 + (*d - '0');
        }
        if (b > max)
            return -1;
        out->bits = b;
    }
    return 0;
}

/* Comma-separated addresses and CIDRs; -1 with the bad entry in err. */
static int parse_allow(struct http_ingress *h, const char *list, char *err, size_t errn)
{
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        char item[80];
        while (l > 0 && (*p == ' ' || *p == '\t'))
            p++, l--;
        while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t'))
            l--;
        if (l > 0) {
            if (l >= sizeof item || h->n_allow >= HTTP_MAX_ALLOW) {
                snprintf(err, errn, "%.*s", (int)(l < 60 ? l : 60), p);
                return -1;
            }
            memcpy(item, p, l);
            item[l] = 0;
            if (parse_net(item, &h->allow[h->n_allow]) != 0) {
                snprintf(err, errn, "%s", item);
                return -1;
            }
            h->n_allow++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

static int net_match(const struct http_net *n, int family, const uint8_t *a)
{
    if (n->family != family)
        return 0;
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->addr, a, (size_t)full) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xFF << (8 - rest));
        if ((n->addr[full] & mask) != (a[full] & mask))
            return 0;
    }
    return 1;
}

/* The peer of the request's connection as a family and address (IPv4-mapped IPv6 as
 * IPv4), and as text for logs. -1 when unknown. */
static int peer_of(struct evhttp_request *req, int *family, uint8_t addr[16], char *txt,
                   size_t n)
{
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    snprintf(txt, n, "?");
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
        *family = AF_INET;
        memcpy(addr, &s4->sin_addr, 4);
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            *family = AF_INET;
            memcpy(addr, s6->sin6_addr.s6_addr + 12, 4);
        } else {
            *family = AF_INET6;
            memcpy(addr, s6->sin6_addr.s6_addr, 16);
        }
    } else {
        return -1;
    }
    if (!inet_ntop(*family, addr, txt, (socklen_t)n))
        snprintf(txt, n, "?");
    return 0;
}

/* ---- replies -------------------------------------------------------------------------- */

static void send_body(struct evhttp_request *req, int code, const char *ctype, const char *body,
                      int close)
{
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    struct evbuffer *b = evbuffer_new();
    evhttp_add_header(oh, "Content-Type", ctype);
    evhttp_add_header(oh, "Cache-Control", "no-store");
    if (close)
        evhttp_add_header(oh, "Connection", "close");
    if (b)
        evbuffer_add(b, body, strlen(body));
    evhttp_send_reply(req, code, NULL, b);
    if (b)
        evbuffer_free(b);
}

/* An error: one line of text/plain. */
static void reject(struct http_ingress *h, struct evhttp_request *req, int code,
                   const char *peer, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void reject(struct http_ingress *h, struct evhttp_request *req, int code,
                   const char *peer, const char *fmt, ...)
{
    char raw[HTTP_REASON_MAX], line[HTTP_REASON_MAX + 2], q[HTTP_REASON_MAX + 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    clean_text(line, sizeof line - 1, raw, 0);
    h->rejected++;
    log_event(L_INFO, "http.rejected", "status=%d peer=%s reason=%s", code, peer,
              log_q(line, q, sizeof q));
    if (code == 405)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
    size_t l = strlen(line);
    line[l] = '\n';
    line[l + 1] = 0;
    send_body(req, code, "text/plain; charset=utf-8", line, h->stopped);
}

/* The answer of a Hubtel request as JSON. */
static char *hubtel_json(const struct http_pending *p, const char *text, int end)
{
    char msg[ENGINE_TEXT_MAX], label[ENGINE_TEXT_MAX];
    /* screens are UTF-8 already; this keeps jansson from refusing a stray byte */
    clean_text(msg, sizeof msg, text ? text : "", 1);
    /* the first line titles the screen on Hubtel's app channels */
    snprintf(label, sizeof label, "%.*s", (int)strcspn(msg, "\n"), msg);
    const char *type = end ? (p->lower ? "release" : "Release")
                           : (p->lower ? "response" : "Response");
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "SessionId", p->sid, "Type",
                          type, "Message", msg, "Label", label, "ClientState", "", "DataType",
                          end ? "display" : "input", "FieldType", "text");
    char *r = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return r;
}

static void answer(struct evhttp_request *req, const struct http_pending *p, int stopped,
                   enum dialog_result r, const char *text, int end)
{
    if (r == DIALOG_DROP || !text) {
        text = "";
        end = 1;
    }
    if (p->release)
        end = 1;
    if (p->dialect == HTTP_HUBTEL) {
        char *j = hubtel_json(p, p->release ? "" : text, end);
        if (j) {
            send_body(req, 200, "application/json", j, stopped);
            free(j);
        } else {
            send_body(req, 500, "text/plain; charset=utf-8", "cannot build the reply\n", 1);
        }
        return;
    }
    size_t n = strlen(text) + 8;
    char *b = malloc(n);
    if (!b) {
        send_body(req, 500, "text/plain; charset=utf-8", "out of memory\n", 1);
        return;
    }
    if (r == DIALOG_DROP || !text[0])
        snprintf(b, n, "%s", end ? "END" : "CON");
    else
        snprintf(b, n, "%s %s", end ? "END" : "CON", text);
    send_body(req, 200, "text/plain; charset=utf-8", b, stopped);
    free(b);
}

static void unlink_pending(struct http_ingress *h, struct http_pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        h->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
}

static void on_reply(void *arg, enum dialog_result r, const char *text, int end, uint32_t version)
{
    struct http_pending *p = arg;
    (void)version; /* an HTTP answer that cannot be written is the aggregator's to retry */
    struct http_ingress *h = p->h;
    if (!h) {
        free(p); /* detached: the request went with the server */
        return;
    }
    unlink_pending(h, p);
    if (LOG_DEBUG_ON()) {
        char q[HTTP_SID_MAX + 8];
        log_event(L_DEBUG, "http.out", "sid=%s result=%s end=%d", log_q(p->sid, q, sizeof q),
                  r == DIALOG_DROP ? "drop" : "send", end);
    }
    answer(p->req, p, h->stopped, r, text, end);
    free(p);
}

/* ---- the two dialects ----------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode a form key or value in place ('+' is a space). -1 on a bad %-escape, -2 when
 * it decodes to a NUL. */
static int form_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%') {
            int hi = hexval((unsigned char)r[1]), lo = hi < 0 ? -1 : hexval((unsigned char)r[2]);
            if (hi < 0 || lo < 0)
                return -1;
            if (hi == 0 && lo == 0)
                return -2;
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
    return 0;
}

enum { AT_SESSION, AT_SERVICE, AT_PHONE, AT_NETWORK, AT_TEXT, AT_N };
static const char *const at_names[AT_N] = {"sessionId", "serviceCode", "phoneNumber",
                                           "networkCode", "text"};

/* Africa's Talking: the body (a NUL-terminated copy, decoded in place). 0, or -1 with a
 * reason. */
static int parse_at(char *body, struct http_step *st, char *why, size_t wn)
{
    char *v[AT_N] = {0};
    char *p = body;
    while (p && *p) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = 0;
        char *eq = strchr(p, '=');
        if (eq)
            *eq = 0;
        char *val = eq ? eq + 1 : p + strlen(p);
        if (*p) {
            int rk = form_decode(p);
            int rv = form_decode(val);
            if (rk == -1 || rv == -1) {
                snprintf(why, wn, "bad %%-escape in the form");
                return -1;
            }
            for (int i = 0; i < AT_N; i++) {
                if (rk != 0 || strcmp(p, at_names[i]) != 0)
                    continue;
                if (v[i]) {
                    snprintf(why, wn, "duplicated field %s", at_names[i]);
                    return -1;
                }
                if (rv == -2) {
                    snprintf(why, wn, "NUL byte in field %s", at_names[i]);
                    return -1;
                }
                if (!utf8_valid(val)) {
                    snprintf(why, wn, "field %s is not UTF-8", at_names[i]);
                    return -1;
                }
                v[i] = val;
            }
        }
        p = amp ? amp + 1 : NULL;
    }
    for (int i = 0; i < AT_N; i++)
        if (!v[i] && i != AT_NETWORK && i != AT_TEXT) {
            snprintf(why, wn, "missing field %s", at_names[i]);
            return -1;
        }
    if (!v[AT_SESSION][0] || strlen(v[AT_SESSION]) >= sizeof st->sid) {
        snprintf(why, wn, "sessionId must be 1 to %zu octets", sizeof st->sid - 1);
        return -1;
    }
    snprintf(st->sid, sizeof st->sid, "%s", v[AT_SESSION]);
    if (clean_msisdn(v[AT_PHONE], st->msisdn, sizeof st->msisdn) != 0) {
        snprintf(why, wn, "phoneNumber must be up to %d digits after an optional +",
                 HTTP_MSISDN_DIGITS);
        return -1;
    }
    if (!v[AT_SERVICE][0] || clean_dial(v[AT_SERVICE], st->dial, sizeof st->dial) != 0) {
        snprintf(why, wn, "serviceCode must be a dial string of 1 to %d characters",
                 SESSION_MSISDN_MAX - 1);
        return -1;
    }
    /* an absent text is the first request, as an empty one */
    char *text = v[AT_TEXT];
    if (!text || !text[0]) {
        st->kind = DIALOG_BEGIN;
        st->text = st->dial;
    } else {
        compact_answers(text);
        st->kind = DIALOG_INPUT;
        st->text = text;
        st->answers_all = 1;
    }
    return 0;
}

/* A field of a Hubtel object by name, any case; the value as text (strings, and
 * integers for the numeric-looking ones). 1 found, 0 absent, -1 with a reason. */
static int hubtel_field(json_t *o, const char *name, char *out, size_t n, char *why, size_t wn)
{
    const char *key;
    json_t *val, *found = NULL;
    json_object_foreach(o, key, val)
    {
        if (strcasecmp(key, name) != 0)
            continue;
        if (found) {
            snprintf(why, wn, "duplicated field %s", name);
            return -1;
        }
        found = val;
    }
    if (!found || json_is_null(found))
        return 0;
    if (json_is_string(found)) {
        const char *s = json_string_value(found);
        if (json_string_length(found) != strlen(s)) {
            snprintf(why, wn, "NUL byte in field %s", name);
            return -1;
        }
        if (strlen(s) >= n) {
            snprintf(why, wn, "field %s is longer than %zu octets", name, n - 1);
            return -1;
        }
        snprintf(out, n, "%s", s);
        return 1;
    }
    if (json_is_integer(found)) {
        snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(found));
        return 1;
    }
    snprintf(why, wn, "field %s must be a string", name);
    return -1;
}

/* Hubtel: JSON. An answer is copied to `text`. 0, or -1 with a reason. */
static int parse_hubtel(const char *body, size_t len, struct http_step *st, char *text,
                        size_t textn, char *why, size_t wn)
{
    json_error_t e;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (!o) {
        snprintf(why, wn, "bad JSON: %.120s (line %d, column %d)", e.text, e.line, e.column);
        return -1;
    }
    int rc = -1;
    char type[32], mobile[64], msg[SESSION_VAR_VAL_MAX + 64], code[64], seq[32];
    int has_type, has_sid, has_mobile, has_msg, has_code, has_seq;
    if (!json_is_object(o)) {
        snprintf(why, wn, "the body is not a JSON object");
        goto out;
    }
    if ((has_type = hubtel_field(o, "Type", type, sizeof type, why, wn)) < 0 ||
        (has_sid = hubtel_field(o, "SessionId", st->sid, sizeof st->sid, why, wn)) < 0 ||
        (has_mobile = hubtel_field(o, "Mobile", mobile, sizeof mobile, why, wn)) < 0 ||
        (has_msg = hubtel_field(o, "Message", msg, sizeof msg, why, wn)) < 0 ||
        (has_code = hubtel_field(o, "ServiceCode", code, sizeof code, why, wn)) < 0 ||
        (has_seq = hubtel_field(o, "Sequence", seq, sizeof seq, why, wn)) < 0)
        goto out;
    if (!has_type) {
        snprintf(why, wn, "missing field Type");
        goto out;
    }
    if (!has_sid || !st->sid[0]) {
        snprintf(why, wn, "missing field SessionId");
        goto out;
    }
    if (!has_mobile) {
        snprintf(why, wn, "missing field Mobile");
        goto out;
    }
    if (clean_msisdn(mobile, st->msisdn, sizeof st->msisdn) != 0) {
        snprintf(why, wn, "Mobile must be up to %d digits after an optional +",
                 HTTP_MSISDN_DIGITS);
        goto out;
    }
    if (!utf8_valid(st->sid) || (has_msg && !utf8_valid(msg))) {
        snprintf(why, wn, "a field is not UTF-8");
        goto out;
    }
    st->lower = islower((unsigned char)type[0]) != 0;
    if (strcasecmp(type, "Initiation") == 0) {
        const char *d = has_msg && msg[0] ? msg : has_code ? code : "";
        if (!d[0]) {
            snprintf(why, wn, "missing field ServiceCode");
            goto out;
        }
        if (clean_dial(d, st->dial, sizeof st->dial) != 0) {
            snprintf(why, wn, "the dial must be 1 to %d characters", SESSION_MSISDN_MAX - 3);
            goto out;
        }
        st->kind = DIALOG_BEGIN;
        st->text = st->dial;
    } else if (strcasecmp(type, "Response") == 0) {
        if (!has_msg) {
            snprintf(why, wn, "missing field Message");
            goto out;
        }
        snprintf(text, textn, "%s", msg);
        st->kind = DIALOG_INPUT;
        st->text = text;
    } else if (strcasecmp(type, "Release") == 0 || strcasecmp(type, "Timeout") == 0) {
        has_seq = 0;
        st->kind = DIALOG_ABORT;
        st->text = "";
        st->release = 1;
    } else {
        char t[40];
        clean_text(t, sizeof t, type, 0);
        snprintf(why, wn, "unknown Type '%s': Initiation, Response, Release or Timeout", t);
        goto out;
    }
    /* Hubtel numbers the requests of a session: the same Sequence twice is a resend,
     * another one a new request, whatever its text (resend.h rule 3, certain) */
    if (has_seq) {
        st->has_sig = 1;
        st->sig.conn = 0;
        st->sig.seq = 0;
        st->sig.counter = (int32_t)(resend_text_hash(seq) & 0x7FFFFFFF);
        st->sig.certain = 1;
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}

/* ---- the door ------------------------------------------------------------------------- */

static int allowed(const struct http_ingress *h, int known, int family, const uint8_t *a)
{
    if (h->n_allow == 0)
        return 1;
    if (!known)
        return 0;
    for (int i = 0; i < h->n_allow; i++)
        if (net_match(&h->allow[i], family, a))
            return 1;
    return 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct http_ingress *h = arg;
    const struct config *cfg = h->cfg;
    char peer[INET6_ADDRSTRLEN + 1], why[HTTP_REASON_MAX];
    int family = 0;
    uint8_t addr[16] = {0};
    h->requests++;
    int known = peer_of(req, &family, addr, peer, sizeof peer) == 0;

    if (!allowed(h, known, family, addr)) {
        reject(h, req, 403, peer, "source address %s not allowed", peer);
        return;
    }
    if (cfg->http_secret[0]) {
        const char *got = evhttp_find_header(evhttp_request_get_input_headers(req),
                                             HTTP_SECRET_HEADER);
        if (!got || !secret_eq(cfg->http_secret, got)) {
            reject(h, req, 401, peer, "missing or wrong " HTTP_SECRET_HEADER " header");
            return;
        }
    }
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    enum http_dialect dialect;
    if (path && strcmp(path, "/ussd") == 0) {
        dialect = HTTP_AT;
    } else if (path && strcmp(path, "/ussd/hubtel") == 0) {
        dialect = HTTP_HUBTEL;
    } else {
        reject(h, req, 404, peer, "no such path: POST to /ussd or /ussd/hubtel");
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        reject(h, req, 405, peer, "method not allowed: use POST");
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > (size_t)cfg->http_max_body) {
        reject(h, req, 413, peer, "body over %d octets", cfg->http_max_body);
        return;
    }
    char *body = malloc(len + 1);
    if (!body) {
        reject(h, req, 503, peer, "out of memory");
        return;
    }
    evbuffer_copyout(in, body, len);
    body[len] = 0;

    struct http_step st;
    memset(&st, 0, sizeof st);
    char text[SESSION_VAR_VAL_MAX + 64];
    int rc;
    if (memchr(body, 0, len)) {
        snprintf(why, sizeof why, "NUL byte in the body");
        rc = -1;
    } else if (dialect == HTTP_AT) {
        rc = parse_at(body, &st, why, sizeof why);
    } else {
        rc = parse_hubtel(body, len, &st, text, sizeof text, why, sizeof why);
    }
    if (rc != 0) {
        reject(h, req, 400, peer, "%s", why);
        free(body);
        return;
    }
    struct http_pending *p = calloc(1, sizeof *p);
    if (!p) {
        reject(h, req, 503, peer, "out of memory");
        free(body);
        return;
    }
    p->h = h;
    p->req = req;
    p->dialect = dialect;
    p->release = st.release;
    p->lower = st.lower;
    snprintf(p->sid, sizeof p->sid, "%s", st.sid);
    p->next = h->pending;
    if (h->pending)
        h->pending->prev = p;
    h->pending = p;

    if (LOG_DEBUG_ON()) {
        char m[32], q[HTTP_SID_MAX + 8];
        static const char *const kinds[] = {"begin", "input", "abort"};
        log_event(L_DEBUG, "http.in", "dialect=%s peer=%s msisdn=%s sid=%s kind=%s",
                  dialect == HTTP_AT ? "at" : "hubtel", peer,
                  log_msisdn(st.msisdn, m, sizeof m), log_q(p->sid, q, sizeof q),
                  kinds[st.kind]);
    }
    struct dialog_req dr = {
        .ingress = dialect == HTTP_AT ? "http.at" : "http.hubtel",
        .msisdn = st.msisdn,
        .sid = st.sid,
        .kind = st.kind,
        .text = st.text,
        .sig = st.has_sig ? &st.sig : NULL,
        .ecfg = &h->ecfg,
        .dial_if_new = dialect == HTTP_AT && st.kind == DIALOG_INPUT ? st.dial : NULL,
        .answers_all = st.answers_all,
        .reshow_duplicates = 1, /* every HTTP request needs an answer */
    };
    dialog_step(h->env, &dr, on_reply, p); /* copies the strings: the body can go */
    free(body);
}

/* ---- life cycle ----------------------------------------------------------------------- */

/* evhttp answers bodies over this itself (413, its own HTML page) without reading them;
 * between http_max_body and this the reply is ours. A bound on memory per connection. */
static ev_ssize_t hard_body_limit(const struct config *cfg)
{
    ev_ssize_t m = (ev_ssize_t)cfg->http_max_body * 4;
    return m < HTTP_HARD_BODY_MIN ? HTTP_HARD_BODY_MIN : m;
}

struct http_ingress *http_ingress_new(struct event_base *base, struct dialog_env *env,
                                      const struct config *cfg)
{
    char host[256], err[100];
    int port;
    if (config_split_hostport(cfg->http, host, sizeof host, &port) != 0) {
        log_event(L_ERROR, "http.config", "http=%s reason=\"not HOST:PORT\"", cfg->http);
        return NULL;
    }
    struct http_ingress *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->base = base;
    h->env = env;
    h->cfg = cfg;
    if (parse_allow(h, cfg->http_allow, err, sizeof err) != 0) {
        char q[128];
        log_event(L_ERROR, "http.config", "http_allow=%s reason=\"not an address or CIDR\"",
                  log_q(err, q, sizeof q));
        free(h);
        return NULL;
    }
    engine_cfg_default(&h->ecfg);
    h->ecfg.key_back = cfg->key_back;
    h->ecfg.key_home = cfg->key_home;
    h->ecfg.key_more = cfg->key_more;

    h->http = evhttp_new(base);
    if (!h->http) {
        free(h);
        return NULL;
    }
    evhttp_set_max_headers_size(h->http, HTTP_MAX_HEADERS);
    evhttp_set_max_body_size(h->http, hard_body_limit(cfg));
    evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
    /* read (and drop) the rest of a body too large before the 413, so the client sees it */
    evhttp_set_flags(h->http, EVHTTP_SERVER_LINGERING_CLOSE);
    /* every method reaches on_request, which answers 405 with Allow */
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(h->http, on_request, h);
    h->bound = evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port);
    if (!h->bound) {
        log_event(L_ERROR, "http.listen_failed", "http=%s", cfg->http);
        evhttp_free(h->http);
        free(h);
        return NULL;
    }
    log_event(L_INFO, "http.listening", "http=%s secret=%s allow=%d max_body=%d", cfg->http,
              cfg->http_secret[0] ? "yes" : "no", h->n_allow, cfg->http_max_body);
    return h;
}

void http_ingress_stop(struct http_ingress *h)
{
    if (!h || h->stopped)
        return;
    h->stopped = 1;
    if (h->bound) {
        evhttp_del_accept_socket(h->http, h->bound);
        h->bound = NULL;
    }
    int n = 0;
    for (struct http_pending *p = h->pending; p; p = p->next)
        n++;
    log_event(L_INFO, "http.stopping", "in_flight=%d", n);
}

void http_ingress_free(struct http_ingress *h)
{
    if (!h)
        return;
    int n = 0;
    while (h->pending) {
        struct http_pending *p = h->pending;
        unlink_pending(h, p);
        p->h = NULL; /* its dialog reply, if it ever comes, only frees it */
        n++;
        /* the loop has stopped: write the 503 now, or it would never leave */
        struct evhttp_connection *c = evhttp_request_get_connection(p->req);
        struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
        send_body(p->req, 503, "text/plain; charset=utf-8", "shutting down\n", 1);
        if (bev && bufferevent_getfd(bev) >= 0)
            evbuffer_write(bufferevent_get_output(bev), bufferevent_getfd(bev));
    }
    log_event(L_INFO, "http.stopped", "requests=%llu rejected=%llu cut=%d",
              (unsigned long long)h->requests, (unsigned long long)h->rejected, n);
    evhttp_free(h->http);
    free(h);
}
