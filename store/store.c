/*
 * store.c: the Redis store (see store.h), hiredis 0.14 async on libevent.
 *
 * Ownership of a request record (struct req): it is on the store's list from the call
 * until it is freed. While hiredis holds a callback for it (in_hiredis) only that
 * callback may free it, because hiredis will call it with the reply or, when the
 * connection goes away, with NULL. Its timer ends the caller's wait (done) without
 * freeing it. A request that fails before it is sent is failed from its timer, armed
 * with a zero timeout, so that no callback fires inside the call.
 *
 * Every entry point that runs user callbacks holds s->depth; store_free called from a
 * callback only fails the pending requests and leaves the release to the outermost
 * frame (store_leave). Released store: records still held by hiredis are orphaned
 * (r->s = NULL) and freed by hiredis's NULL-reply callback.
 *
 * A HOST that is a name is looked up first, without blocking (resolve.h), then hiredis
 * connects to the address found; the connect timeout covers both. Requests made during
 * the lookup wait on the store's list (waiting, their timers running) and are handed to
 * hiredis, in the order they were made, once the context exists; they fail (from their
 * timers) if the lookup fails or times out.
 *
 * Connection end is seen in one place: the adapter's cleanup hook, which hiredis calls
 * exactly once for every attached context it frees (error, our redisAsyncFree, failed
 * connect), after the pending callbacks and before freeing the context.
 *
 * The event adapter is ours (not hiredis/adapters/libevent.h), to spare syscalls: the
 * read event is persistent (the stock one is re-added, two epoll_ctl, after every read),
 * and once connected the commands of a loop iteration are written by one deferred flush
 * (an activated event: no epoll_ctl) at its end; the write event is armed only while
 * connecting and when the socket did not take everything.
 */
#include "store.h"

#include "resolve.h"

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

/* The compare-and-set of store_session_save.
 * KEYS: sess [resume] [lang] [sms queue] [counter], those present in mode order.
 * ARGV[1] mode, four bytes: sess S|D, resume S|D|-, lang S|-, sms Q|-; a fifth byte C
 * when a counter is set. ARGV[2] expected version; then value and ttl ("0": none) for
 * every S, then the SMS, then (C) the counter's hash field, HINCRBY 1 after the writes. */
static const char save_script[] =
    "local m=ARGV[1]\n"
    "local cur=redis.call('GET',KEYS[1])\n"
    "local ver=0\n"
    "if cur then local d=string.match(cur,'^%d+') if d then ver=tonumber(d) end end\n"
    "if ver~=tonumber(ARGV[2]) then return 0 end\n"
    "local nk,na,c=#KEYS,#ARGV,string.sub(m,5,5)=='C'\n"
    "if c then nk=nk-1 na=na-1\n"
    " local t=redis.call('TYPE',KEYS[#KEYS])['ok']\n"
    " if t~='hash' and t~='none' then\n"
    "  return redis.error_reply('WRONGTYPE counter is not a hash') end\n"
    "end\n"
    "if string.sub(m,4,4)=='Q' then\n"
    " local t=redis.call('TYPE',KEYS[nk])['ok']\n"
    " if t~='list' and t~='none' then\n"
    "  return redis.error_reply('WRONGTYPE sms queue is not a list') end\n"
    "end\n"
    "local k,a=1,3\n"
    "for i=1,3 do\n"
    " local op=string.sub(m,i,i)\n"
    " if op=='S' then\n"
    "  if ARGV[a+1]=='0' then redis.call('SET',KEYS[k],ARGV[a])\n"
    "  else redis.call('SET',KEYS[k],ARGV[a],'EX',ARGV[a+1]) end\n"
    "  a=a+2 k=k+1\n"
    " elseif op=='D' then redis.call('DEL',KEYS[k]) k=k+1 end\n"
    "end\n"
    "if string.sub(m,4,4)=='Q' then redis.call('RPUSH',KEYS[k],unpack(ARGV,a,na)) end\n"
    "if c then redis.call('HINCRBY',KEYS[#KEYS],ARGV[#ARGV],1) end\n"
    "return 1\n";

enum conn_state { ST_DOWN, ST_RESOLVING, ST_CONNECTING, ST_UP };
enum req_kind { REQ_CMD, REQ_LOAD, REQ_SAVE, REQ_EVAL };

union req_cb {
    store_reply_cb cmd;
    store_load_cb load;
    store_save_cb save;
};

struct req {
    struct req *prev, *next; /* on s->reqs */
    struct store *s;         /* NULL once orphaned by the store's release */
    struct event *timer;     /* timeout, 2x watchdog, or zero timer of a deferred failure */
    enum req_kind kind;
    unsigned in_hiredis : 1; /* hiredis holds a callback for it */
    unsigned done : 1;       /* the caller's callback has fired */
    unsigned deferred : 1;   /* failed before sending */
    unsigned retried : 1;    /* REQ_SAVE, REQ_EVAL: EVAL sent after NOSCRIPT */
    unsigned load_mask : 3;  /* REQ_LOAD: 1 resume asked, 2 lang asked, 4 aux asked */
    unsigned waiting : 1;    /* made during the lookup: cmd/cmd_len wait for the context */
    union req_cb cb;
    void *arg;
    const char *lua; /* REQ_SAVE, REQ_EVAL: the script's text, for the EVAL fallback */
    size_t lua_len;
    char *cmd; /* the command as sent (REQ_SAVE, REQ_EVAL: the EVALSHA) */
    size_t cmd_len, cmd_cap, tail_off;
    int argc;
};

/* Finished request records (with their timer and command buffer) are kept for reuse,
 * up to this many; a buffer above REQ_KEEP_BUF octets is not kept. */
#define REQ_POOL_MAX 256
#define REQ_KEEP_BUF 4096

struct store {
    struct event_base *base;
    char *addr; /* as given, for messages */
    char *host, *unix_path;
    int port;
    struct store_opts o;
    const struct timeval *tv_req; /* common timeout of every request timer */
    struct event *reconnect_ev, *connect_ev;
    redisAsyncContext *ac;    /* connecting or connected; NULL when down */
    redisAsyncContext *dying; /* a context hiredis is tearing down right now */
    struct resolver *res;     /* made on the first lookup (HOST is a name) */
    struct resolve_req *rq;   /* the lookup of this attempt (ST_RESOLVING) */
    long long connect_deadline_ms;
    char conn_addr[RESOLVE_ADDR_TEXT]; /* the address of this attempt, for logs */
    int n_waiting;                     /* requests with `waiting` set */
    enum conn_state state;
    int attempts;        /* connect attempts since Redis last answered */
    int consec_timeouts; /* timeouts since the last timely reply */
    int depth;           /* entry points on the stack that run user callbacks */
    int freeing;
    uint64_t rng;
    struct req *reqs;
    struct req *pool; /* spare records, linked by next */
    int n_pool;
    struct store_stats st;
    char sha[41];
};

static void req_timer_cb(evutil_socket_t fd, short what, void *arg);
static void reply_cb(redisAsyncContext *ac, void *reply, void *priv);
static void store_destroy(struct store *s);

/* ---- small helpers ---- */

static void slog(const struct store *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void slog(const struct store *s, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!s->o.log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->o.log(s->o.log_arg, level, msg);
}

static uint32_t rol32(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
    uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20)
            f = (b & c) | (~b & d), k = 0x5A827999;
        else if (i < 40)
            f = b ^ c ^ d, k = 0x6ED9EBA1;
        else if (i < 60)
            f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
        else
            f = b ^ c ^ d, k = 0xCA62C1D6;
        uint32_t t = rol32(a, 5) + f + e + k + w[i];
        e = d, d = c, c = rol32(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

/* SHA1 of the script, as EVALSHA wants it: 40 lowercase hex digits. */
static void sha1_hex(const char *data, size_t len, char out[41])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const unsigned char *p = (const unsigned char *)data;
    unsigned char blk[64];
    size_t i = 0;
    for (; len - i >= 64; i += 64)
        sha1_block(h, p + i);
    memset(blk, 0, sizeof blk);
    memcpy(blk, p + i, len - i);
    blk[len - i] = 0x80;
    if (len - i >= 56) {
        sha1_block(h, blk);
        memset(blk, 0, sizeof blk);
    }
    uint64_t bits = (uint64_t)len * 8;
    for (int j = 0; j < 8; j++)
        blk[63 - j] = (unsigned char)(bits >> (8 * j));
    sha1_block(h, blk);
    for (int j = 0; j < 20; j++)
        snprintf(out + 2 * j, 3, "%02x", (unsigned)(h[j / 4] >> (24 - 8 * (j % 4))) & 0xffu);
}

static size_t put_num(char *p, size_t v)
{
    char tmp[24];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while (v /= 10);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static size_t num_len(size_t v)
{
    size_t n = 1;
    while (v >= 10)
        v /= 10, n++;
    return n;
}

/* Serialise a command in RESP into *out, a malloc'd buffer of *cap octets that is grown
 * (realloc) when too small. 0 on success. */
static int resp_build(int argc, const char *const *argv, const size_t *argvlen, char **out, size_t *cap,
                      size_t *outlen)
{
    size_t total = 1 + num_len((size_t)argc) + 2;
    for (int i = 0; i < argc; i++) {
        if (!argv[i])
            return -1;
        size_t n = argvlen ? argvlen[i] : strlen(argv[i]);
        total += 1 + num_len(n) + 2 + n + 2;
    }
    if (total > *cap) {
        char *nb = realloc(*out, total);
        if (!nb)
            return -1;
        *out = nb;
        *cap = total;
    }
    char *b = *out, *p = b;
    *p++ = '*';
    p += put_num(p, (size_t)argc);
    *p++ = '\r', *p++ = '\n';
    for (int i = 0; i < argc; i++) {
        size_t n = argvlen ? argvlen[i] : strlen(argv[i]);
        *p++ = '$';
        p += put_num(p, n);
        *p++ = '\r', *p++ = '\n';
        memcpy(p, argv[i], n);
        p += n;
        *p++ = '\r', *p++ = '\n';
    }
    *outlen = total;
    return 0;
}

/* Read a decimal number ending in CRLF at buf[*pos]. */
static int resp_num(const char *buf, size_t len, size_t *pos, size_t *v)
{
    size_t i = *pos, n = 0;
    if (i >= len || buf[i] < '0' || buf[i] > '9')
        return -1;
    while (i < len && buf[i] >= '0' && buf[i] <= '9') {
        if (n > (SIZE_MAX - 9) / 10)
            return -1;
        n = n * 10 + (size_t)(buf[i++] - '0');
    }
    if (len - i < 2 || buf[i] != '\r' || buf[i + 1] != '\n')
        return -1;
    *pos = i + 2;
    *v = n;
    return 0;
}

/* Next bulk argument of a serialised command. */
static int resp_arg(const char *buf, size_t len, size_t *pos, const char **p, size_t *n)
{
    size_t i = *pos, v;
    if (i >= len || buf[i] != '$')
        return -1;
    i++;
    if (resp_num(buf, len, &i, &v) || v > len - i || len - i - v < 2)
        return -1;
    *p = buf + i;
    *n = v;
    *pos = i + v + 2;
    return 0;
}

static int word_is(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

/* Commands that would put the connection into a state the request/reply pairing of
 * this module (and hiredis 0.14's asserts) cannot follow. */
static int cmd_allowed(const char *buf, size_t len)
{
    static const char *const refused[] = {
        "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
        "sunsubscribe", "monitor", "quit", "reset", "hello", "sync", "psync", NULL};
    size_t pos = 1, argc, n;
    const char *p;
    if (len < 1 || buf[0] != '*' || resp_num(buf, len, &pos, &argc) || argc < 1 ||
        resp_arg(buf, len, &pos, &p, &n))
        return 0;
    for (int i = 0; refused[i]; i++)
        if (word_is(p, n, refused[i]))
            return 0;
    if (word_is(p, n, "client") && argc >= 2 && resp_arg(buf, len, &pos, &p, &n) == 0 &&
        word_is(p, n, "reply"))
        return 0;
    return 1;
}

static struct timeval ms_tv(long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t rng_next(struct store *s)
{
    uint64_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->rng = x;
    return (uint32_t)(x >> 32);
}

static void store_leave(struct store *s)
{
    if (--s->depth == 0 && s->freeing)
        store_destroy(s);
}

/* ---- connection ---- */

static void conn_start(struct store *s);
static void req_reject(struct store *s, struct req *r);
static int req_submit(struct store *s, struct req *r, const char *cmd, size_t len);

static void schedule_reconnect(struct store *s)
{
    if (s->freeing)
        return;
    long d = s->o.backoff_min_ms;
    for (int i = 0; i < s->attempts && d < s->o.backoff_max_ms; i++)
        d *= 2;
    if (d > s->o.backoff_max_ms)
        d = s->o.backoff_max_ms;
    long j = d / 2 + (long)(rng_next(s) % (uint32_t)(d - d / 2 + 1));
    struct timeval tv = ms_tv(j);
    if (s->attempts < INT_MAX)
        s->attempts++;
    evtimer_add(s->reconnect_ev, &tv);
}

/* The store stops using `ac`; hiredis frees it (now or soon). */
static void conn_detach(struct store *s, redisAsyncContext *ac)
{
    if (s->ac != ac)
        return;
    s->ac = NULL;
    s->dying = ac;
    s->state = ST_DOWN;
    evtimer_del(s->connect_ev);
    schedule_reconnect(s);
}

static void conn_lost(struct store *s, redisAsyncContext *ac)
{
    if (s->ac != ac)
        return;
    if (s->state == ST_UP)
        slog(s, LOG_WARNING, "store: connection to %s lost: %s", s->addr,
             ac->err ? ac->errstr : "closed");
    conn_detach(s, ac);
}

/* Drop the current connection at once: pending requests fail with STORE_ERR. Never
 * called from inside a hiredis callback. */
static void conn_drop(struct store *s)
{
    redisAsyncContext *ac = s->ac;
    if (!ac)
        return;
    s->st.drops++;
    conn_detach(s, ac);
    redisAsyncFree(ac);
}

/* ---- the event adapter ---- */

struct rl_events {
    redisAsyncContext *ac;
    struct event *rev;   /* EV_READ | EV_PERSIST */
    struct event *wev;   /* EV_WRITE | EV_PERSIST: connecting, or a write that did not finish */
    struct event *flush; /* deferred redisAsyncHandleWrite, activated by rl_add_write */
    unsigned reading : 1, writing : 1, flush_queued : 1, in_flush : 1, cleaned : 1;
};

static void rl_free(struct rl_events *e)
{
    event_free(e->rev);
    event_free(e->wev);
    event_free(e->flush);
    free(e);
}

static void rl_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rl_events *e = arg;
    (void)fd, (void)what;
    redisAsyncHandleRead(e->ac); /* may free the context and e: nothing after */
}

static void rl_write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rl_events *e = arg;
    (void)fd, (void)what;
    redisAsyncHandleWrite(e->ac); /* may free the context and e: nothing after */
}

static void rl_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rl_events *e = arg;
    (void)fd, (void)what;
    e->flush_queued = 0;
    e->in_flush = 1;
    redisAsyncHandleWrite(e->ac);
    e->in_flush = 0;
    if (e->cleaned) /* the context went away inside: its cleanup left e to us */
        rl_free(e);
}

static void rl_add_read(void *priv)
{
    struct rl_events *e = priv;
    if (!e->reading) {
        e->reading = 1;
        event_add(e->rev, NULL);
    }
}

static void rl_del_read(void *priv)
{
    struct rl_events *e = priv;
    if (e->reading) {
        e->reading = 0;
        event_del(e->rev);
    }
}

static void rl_add_write(void *priv)
{
    struct rl_events *e = priv;
    if ((e->ac->c.flags & REDIS_CONNECTED) && !e->in_flush) {
        /* commands of this loop iteration go out together at its end */
        if (!e->flush_queued && !e->writing) {
            e->flush_queued = 1;
            event_active(e->flush, 0, 0);
        }
        return;
    }
    /* connecting (hiredis learns the outcome from writability), or the socket is full */
    if (!e->writing) {
        e->writing = 1;
        event_add(e->wev, NULL);
    }
}

static void rl_del_write(void *priv)
{
    struct rl_events *e = priv;
    if (e->writing) {
        e->writing = 0;
        event_del(e->wev);
    }
}

/* The one place every end of a connection passes (hiredis calls it exactly once for
 * every context it frees, after the pending callbacks). */
static void conn_cleanup(void *priv)
{
    struct rl_events *e = priv;
    redisAsyncContext *ac = e->ac;
    struct store *s = ac->data;
    event_del(e->rev);
    event_del(e->wev);
    event_del(e->flush);
    if (e->in_flush)
        e->cleaned = 1;
    else
        rl_free(e);
    ac->data = NULL;
    if (!s)
        return;
    conn_lost(s, ac);
    if (s->dying == ac)
        s->dying = NULL;
}

static int rl_attach(redisAsyncContext *ac, struct event_base *base)
{
    struct rl_events *e;
    if (ac->ev.data != NULL || !(e = calloc(1, sizeof *e)))
        return REDIS_ERR;
    e->ac = ac;
    e->rev = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, rl_read_cb, e);
    e->wev = event_new(base, ac->c.fd, EV_WRITE | EV_PERSIST, rl_write_cb, e);
    e->flush = event_new(base, -1, 0, rl_flush_cb, e);
    if (!e->rev || !e->wev || !e->flush) {
        if (e->rev)
            event_free(e->rev);
        if (e->wev)
            event_free(e->wev);
        if (e->flush)
            event_free(e->flush);
        free(e);
        return REDIS_ERR;
    }
    ac->ev.addRead = rl_add_read;
    ac->ev.delRead = rl_del_read;
    ac->ev.addWrite = rl_add_write;
    ac->ev.delWrite = rl_del_write;
    ac->ev.cleanup = conn_cleanup;
    ac->ev.data = e;
    rl_add_read(e);
    rl_add_write(e); /* not connected yet: the write event tells when it is */
    return REDIS_OK;
}

static void on_connect(const redisAsyncContext *cac, int status)
{
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    struct store *s = ac->data;
    if (!s || s->ac != ac)
        return;
    if (status != REDIS_OK) {
        /* hiredis frees the context when this returns */
        slog(s, s->attempts == 0 ? LOG_WARNING : LOG_DEBUG, "store: connect to %s: %s", s->addr,
             ac->errstr);
        conn_detach(s, ac);
        return;
    }
    evtimer_del(s->connect_ev);
    s->state = ST_UP;
    s->consec_timeouts = 0;
    if (s->st.connects++)
        s->st.reconnects++;
    slog(s, LOG_INFO, "store: connected to %s addr=%s", s->addr, s->conn_addr);
}

static void script_loaded(redisAsyncContext *ac, void *rv, void *priv)
{
    const redisReply *reply = rv;
    struct store *s = ac->data;
    (void)priv;
    if (!s || !reply)
        return;
    s->attempts = 0;
    if (reply->type != REDIS_REPLY_STRING || reply->len != 40 || !reply->str ||
        memcmp(reply->str, s->sha, 40) != 0)
        slog(s, LOG_WARNING, "store: SCRIPT LOAD on %s: unexpected reply (%s); saves will use EVAL",
             s->addr, reply->type == REDIS_REPLY_ERROR && reply->str ? reply->str : "not our SHA1");
}

/* Connect hiredis to host (a numeric address; NULL: the unix socket) with a connect
 * timer of timeout_ms. Returns 0, or -1 after scheduling a retry. */
static int conn_open(struct store *s, const char *host, long timeout_ms)
{
    redisAsyncContext *ac = host ? redisAsyncConnect(host, s->port) : redisAsyncConnectUnix(s->unix_path);
    if (!ac || ac->err) {
        slog(s, s->attempts == 0 ? LOG_WARNING : LOG_DEBUG, "store: connect to %s: %s", s->addr,
             ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        s->state = ST_DOWN;
        schedule_reconnect(s);
        return -1;
    }
    ac->data = s;
    if (rl_attach(ac, s->base) != REDIS_OK) {
        ac->data = NULL;
        redisAsyncFree(ac);
        s->state = ST_DOWN;
        schedule_reconnect(s);
        return -1;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    s->ac = ac;
    s->state = ST_CONNECTING;
    struct timeval tv = ms_tv(timeout_ms);
    evtimer_add(s->connect_ev, &tv);
    /* First on the wire, so any EVALSHA behind it finds the script. */
    redisAsyncCommand(ac, script_loaded, NULL, "SCRIPT LOAD %s", save_script);
    return 0;
}

/* Requests made during the lookup fail (from their zero timers). */
static void fail_waiting(struct store *s)
{
    for (struct req *r = s->reqs; r && s->n_waiting > 0; r = r->next)
        if (r->waiting) {
            r->waiting = 0;
            s->n_waiting--;
            req_reject(s, r);
        }
}

/* The context exists: hand the waiting requests to hiredis, oldest first (s->reqs has
 * the newest first). Their timers keep running from the original calls. */
static void send_waiting(struct store *s)
{
    struct req *r = s->reqs;
    while (r && r->next)
        r = r->next;
    for (; r && s->n_waiting > 0; r = r->prev)
        if (r->waiting) {
            r->waiting = 0;
            s->n_waiting--;
            if (req_submit(s, r, r->cmd, r->cmd_len) != 0)
                req_reject(s, r);
        }
}

static void lookup_failed(struct store *s)
{
    s->state = ST_DOWN;
    evtimer_del(s->connect_ev);
    fail_waiting(s);
    schedule_reconnect(s);
}

static void on_resolved(void *arg, int status, const struct sockaddr *sa, socklen_t salen, const char *error)
{
    struct store *s = arg;
    (void)salen;
    s->rq = NULL;
    if (status != 0) {
        slog(s, s->attempts == 0 ? LOG_WARNING : LOG_DEBUG, "store: connect to %s: cannot resolve %s: %s",
             s->addr, s->host, error);
        lookup_failed(s);
        return;
    }
    resolve_addr_text(sa, s->conn_addr, sizeof s->conn_addr);
    slog(s, LOG_DEBUG, "store: connecting to %s addr=%s", s->addr, s->conn_addr);
    long long left = s->connect_deadline_ms - mono_ms();
    if (conn_open(s, s->conn_addr, left > 0 ? (long)left : 1) == 0)
        send_waiting(s);
    else
        fail_waiting(s);
}

/* One connect attempt. A numeric address (or a unix socket) is connected to at once,
 * as requests made right after store_new expect; a name is looked up first. */
static void conn_start(struct store *s)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (s->unix_path) {
        snprintf(s->conn_addr, sizeof s->conn_addr, "unix:%s", s->unix_path);
        (void)conn_open(s, NULL, s->o.connect_timeout_ms);
        return;
    }
    if (resolve_numeric(s->host, s->port, &ss, &len) == 0) {
        snprintf(s->conn_addr, sizeof s->conn_addr, "%s", s->host);
        (void)conn_open(s, s->host, s->o.connect_timeout_ms);
        return;
    }
    if (!s->res)
        s->res = resolver_new(s->base);
    s->rq = s->res ? resolve_start(s->res, s->host, s->port, on_resolved, s) : NULL;
    if (!s->rq) {
        slog(s, LOG_WARNING, "store: connect to %s: cannot start the lookup of %s", s->addr, s->host);
        schedule_reconnect(s);
        return;
    }
    s->state = ST_RESOLVING;
    s->connect_deadline_ms = mono_ms() + s->o.connect_timeout_ms;
    struct timeval tv = ms_tv(s->o.connect_timeout_ms);
    evtimer_add(s->connect_ev, &tv);
}

static void reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
    struct store *s = arg;
    (void)fd, (void)what;
    if (!s->freeing && !s->ac && !s->rq)
        conn_start(s);
}

static void connect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct store *s = arg;
    (void)fd, (void)what;
    if (s->state == ST_RESOLVING && s->rq) {
        slog(s, LOG_WARNING, "store: connect to %s timed out after %d ms (looking up %s)", s->addr,
             s->o.connect_timeout_ms, s->host);
        resolve_cancel(s->rq);
        s->rq = NULL;
        lookup_failed(s);
        return;
    }
    if (s->state != ST_CONNECTING || !s->ac)
        return;
    slog(s, LOG_WARNING, "store: connect to %s timed out after %d ms", s->addr,
         s->o.connect_timeout_ms);
    s->depth++;
    conn_drop(s);
    store_leave(s);
}

/* ---- requests ---- */

static void req_unlink(struct store *s, struct req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else if (s->reqs == r)
        s->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void req_free(struct req *r)
{
    if (r->timer)
        event_free(r->timer);
    free(r->cmd);
    free(r);
}

/* A finished record of a live store: into the pool (timer stopped), or freed. */
static void req_release(struct store *s, struct req *r)
{
    if (s->freeing || s->n_pool >= REQ_POOL_MAX || !r->timer) {
        req_free(r);
        return;
    }
    evtimer_del(r->timer);
    if (r->cmd_cap > REQ_KEEP_BUF) {
        free(r->cmd);
        r->cmd = NULL;
        r->cmd_cap = 0;
    }
    r->prev = NULL;
    r->next = s->pool;
    s->pool = r;
    s->n_pool++;
}

static void call_cb(enum req_kind kind, union req_cb cb, void *arg, int status,
                    const redisReply *reply, const struct store_blob b[4])
{
    switch (kind) {
    case REQ_CMD:
    case REQ_EVAL:
        if (cb.cmd)
            cb.cmd(arg, status, reply);
        break;
    case REQ_LOAD:
        if (cb.load)
            cb.load(arg, status, &b[0], &b[1], &b[2], &b[3]);
        break;
    case REQ_SAVE:
        if (cb.save)
            cb.save(arg, status);
        break;
    }
}

/* MGET reply -> blobs; anything but an array of strings and nils of the asked size is
 * an error. */
static int load_parse(const struct req *r, const redisReply *reply, struct store_blob b[4])
{
    size_t want = 1 + (r->load_mask & 1) + ((r->load_mask >> 1) & 1) + ((r->load_mask >> 2) & 1), at = 0;
    memset(b, 0, 4 * sizeof *b);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != want || !reply->element)
        return STORE_ERR;
    for (int slot = 0; slot < 4; slot++) {
        if (slot > 0 && !(r->load_mask & (1u << (slot - 1))))
            continue;
        const redisReply *e = reply->element[at++];
        if (!e)
            goto bad;
        if (e->type == REDIS_REPLY_STRING) {
            b[slot].p = e->str ? e->str : "";
            b[slot].len = e->str ? e->len : 0;
        } else if (e->type != REDIS_REPLY_NIL)
            goto bad;
    }
    return STORE_OK;
bad:
    memset(b, 0, 4 * sizeof *b);
    return STORE_ERR;
}

/* End the caller's wait: status from `reply` (NULL: failure). Marks done first, so a
 * store_free from the callback skips it. */
static void req_complete(struct store *s, struct req *r, const redisReply *reply)
{
    struct store_blob b[4] = {{NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}};
    int status = STORE_ERR;
    r->done = 1;
    if (r->timer)
        evtimer_del(r->timer);
    switch (r->kind) {
    case REQ_CMD:
    case REQ_EVAL:
        if (reply && reply->type != REDIS_REPLY_ERROR)
            status = STORE_OK;
        break;
    case REQ_LOAD:
        status = load_parse(r, reply, b);
        if (reply && status != STORE_OK)
            slog(s, LOG_WARNING, "store: session load: %s",
                 reply->type == REDIS_REPLY_ERROR && reply->str ? reply->str : "unexpected reply");
        break;
    case REQ_SAVE:
        if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1)
            status = STORE_OK;
        else if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
            status = STORE_CONFLICT;
            s->st.conflicts++;
        } else if (reply)
            slog(s, LOG_WARNING, "store: session save: %s",
                 reply->type == REDIS_REPLY_ERROR && reply->str ? reply->str : "unexpected reply");
        break;
    }
    if (status == STORE_ERR)
        s->st.errors++;
    call_cb(r->kind, r->cb, r->arg, status, reply, b);
}

/* A request that cannot be created (store released, no memory) fails at once. */
static struct req *req_begin(struct store *s, enum req_kind kind, union req_cb cb, void *arg)
{
    static const struct store_blob none[4];
    if (s && !s->freeing) {
        struct req *r = s->pool;
        if (r) {
            /* a spare record: its timer (bound to it) and buffer are kept */
            struct event *t = r->timer;
            char *cmd = r->cmd;
            size_t cap = r->cmd_cap;
            s->pool = r->next;
            s->n_pool--;
            memset(r, 0, sizeof *r);
            r->timer = t;
            r->cmd = cmd;
            r->cmd_cap = cap;
        } else if ((r = calloc(1, sizeof *r)) && !(r->timer = evtimer_new(s->base, req_timer_cb, r))) {
            free(r);
            r = NULL;
        }
        if (r) {
            r->s = s;
            r->kind = kind;
            r->cb = cb;
            r->arg = arg;
            r->next = s->reqs;
            if (s->reqs)
                s->reqs->prev = r;
            s->reqs = r;
            return r;
        }
    }
    if (s) {
        s->st.rejected++;
        s->st.errors++;
    }
    call_cb(kind, cb, arg, STORE_ERR, NULL, none);
    return NULL;
}

static void req_reject(struct store *s, struct req *r)
{
    static const struct timeval now = {0, 0};
    s->st.rejected++;
    r->deferred = 1;
    evtimer_add(r->timer, &now);
}

static int req_submit(struct store *s, struct req *r, const char *cmd, size_t len)
{
    if (!s->ac || s->state == ST_DOWN || s->st.inflight >= (uint64_t)s->o.max_inflight ||
        redisAsyncFormattedCommand(s->ac, reply_cb, r, cmd, len) != REDIS_OK)
        return -1;
    r->in_hiredis = 1;
    s->st.inflight++;
    s->st.sent++;
    return 0;
}

/* Made during the lookup: keep the command (in r->cmd) until the context exists. */
static void req_wait(struct store *s, struct req *r, const char *cmd, size_t len)
{
    if (s->st.inflight + (uint64_t)s->n_waiting >= (uint64_t)s->o.max_inflight) {
        req_reject(s, r);
        return;
    }
    if (cmd != r->cmd) {
        if (r->cmd_cap < len) {
            char *b = realloc(r->cmd, len);
            if (!b) {
                req_reject(s, r);
                return;
            }
            r->cmd = b;
            r->cmd_cap = len;
        }
        memcpy(r->cmd, cmd, len);
    }
    r->cmd_len = len;
    r->waiting = 1;
    s->n_waiting++;
    evtimer_add(r->timer, s->tv_req);
}

static void req_send(struct store *s, struct req *r, const char *cmd, size_t len)
{
    if (s->state == ST_RESOLVING && !s->ac)
        req_wait(s, r, cmd, len);
    else if (req_submit(s, r, cmd, len) != 0)
        req_reject(s, r);
    else
        evtimer_add(r->timer, s->tv_req);
}

/* NOSCRIPT: send the same script call as EVAL (same arguments after the SHA1). */
static int script_eval(struct store *s, struct req *r)
{
    size_t slen = r->lua_len, tail = r->cmd_len - r->tail_off;
    size_t total = 1 + num_len((size_t)r->argc) + 2 + 10 + 1 + num_len(slen) + 2 + slen + 2 + tail;
    char *b = malloc(total), *p = b;
    if (!b)
        return -1;
    *p++ = '*';
    p += put_num(p, (size_t)r->argc);
    memcpy(p, "\r\n$4\r\nEVAL\r\n$", 13);
    p += 13;
    p += put_num(p, slen);
    *p++ = '\r', *p++ = '\n';
    memcpy(p, r->lua, slen);
    p += slen;
    *p++ = '\r', *p++ = '\n';
    memcpy(p, r->cmd + r->tail_off, tail);
    p += tail;
    int rc = req_submit(s, r, b, (size_t)(p - b));
    free(b);
    if (rc == 0) {
        r->retried = 1;
        s->st.noscript++;
    }
    return rc;
}

static int is_noscript(const redisReply *reply)
{
    return reply->type == REDIS_REPLY_ERROR && reply->str && reply->len >= 8 &&
           memcmp(reply->str, "NOSCRIPT", 8) == 0;
}

static void reply_cb(redisAsyncContext *ac, void *rv, void *priv)
{
    struct req *r = priv;
    const redisReply *reply = rv;
    struct store *s = r->s;
    r->in_hiredis = 0;
    if (!s) {
        req_free(r);
        return;
    }
    s->st.inflight--;
    s->depth++;
    if (!reply)
        conn_lost(s, ac);
    else {
        s->st.replies++;
        s->attempts = 0;
        if (r->done)
            s->st.late++;
        else
            s->consec_timeouts = 0;
    }
    if (!r->done) {
        if ((r->kind == REQ_SAVE || r->kind == REQ_EVAL) && reply && !r->retried &&
            is_noscript(reply) && s->ac == ac && script_eval(s, r) == 0) {
            store_leave(s);
            return;
        }
        req_complete(s, r, reply);
    }
    req_unlink(s, r);
    req_release(s, r);
    store_leave(s);
}

static void req_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct req *r = arg;
    struct store *s = r->s;
    (void)fd, (void)what;
    s->depth++;
    if (r->waiting) { /* the lookup took longer than the request's timeout */
        r->waiting = 0;
        s->n_waiting--;
        s->st.timeouts++;
        req_complete(s, r, NULL);
        req_unlink(s, r);
        req_release(s, r);
    } else if (r->deferred) {
        req_complete(s, r, NULL);
        req_unlink(s, r);
        req_release(s, r);
    } else if (!r->done) {
        s->st.timeouts++;
        s->consec_timeouts++;
        req_complete(s, r, NULL);
        if (!s->freeing && r->in_hiredis) {
            if (s->consec_timeouts >= s->o.drop_after_timeouts) {
                slog(s, LOG_WARNING, "store: %d requests in a row timed out; reconnecting to %s",
                     s->consec_timeouts, s->addr);
                conn_drop(s); /* frees r */
            } else
                evtimer_add(r->timer, s->tv_req); /* the 2x watchdog */
        }
    } else if (!s->freeing && r->in_hiredis) {
        slog(s, LOG_WARNING, "store: no reply from %s for %d ms; reconnecting", s->addr,
             2 * s->o.timeout_ms);
        conn_drop(s);
    }
    store_leave(s);
}

/* ---- public ---- */

static int parse_addr(struct store *s, const char *addr)
{
    const char *hs = addr, *he, *colon;
    if (strncmp(addr, "unix:", 5) == 0) {
        if (!addr[5])
            return -1;
        s->unix_path = strdup(addr + 5);
        return s->unix_path ? 0 : -1;
    }
    if (addr[0] == '[') {
        hs = addr + 1;
        he = strchr(hs, ']');
        if (!he || he[1] != ':')
            return -1;
        colon = he + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
            return -1;
        he = colon;
    }
    if (he == hs || colon[1] < '0' || colon[1] > '9')
        return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        return -1;
    s->port = (int)port;
    s->host = strndup(hs, (size_t)(he - hs));
    return s->host ? 0 : -1;
}

struct store *store_new(struct event_base *base, const char *addr, const struct store_opts *o)
{
    struct store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (o)
        s->o = *o;
    if (!base || !addr || parse_addr(s, addr) != 0) {
        slog(s, LOG_ERR, "store: bad Redis address \"%s\": want HOST:PORT or unix:PATH",
             addr ? addr : "(null)");
        goto fail;
    }
    s->base = base;
    if (s->o.timeout_ms <= 0)
        s->o.timeout_ms = 2000;
    if (s->o.connect_timeout_ms <= 0)
        s->o.connect_timeout_ms = s->o.timeout_ms;
    if (s->o.backoff_min_ms <= 0)
        s->o.backoff_min_ms = 100;
    if (s->o.backoff_max_ms <= 0)
        s->o.backoff_max_ms = 5000;
    if (s->o.backoff_max_ms < s->o.backoff_min_ms)
        s->o.backoff_max_ms = s->o.backoff_min_ms;
    if (s->o.max_inflight <= 0)
        s->o.max_inflight = 10000;
    if (s->o.drop_after_timeouts <= 0)
        s->o.drop_after_timeouts = 3;
    struct timeval tv = ms_tv(s->o.timeout_ms);
    s->tv_req = event_base_init_common_timeout(base, &tv);
    s->addr = strdup(addr);
    s->reconnect_ev = evtimer_new(base, reconnect_cb, s);
    s->connect_ev = evtimer_new(base, connect_timeout_cb, s);
    if (!s->tv_req || !s->addr || !s->reconnect_ev || !s->connect_ev)
        goto fail;
    sha1_hex(save_script, sizeof save_script - 1, s->sha);
    s->rng = ((uint64_t)time(NULL) << 32) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)s;
    if (!s->rng)
        s->rng = 0x9E3779B97F4A7C15ull;

    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
        sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);

    conn_start(s);
    return s;
fail:
    if (s->reconnect_ev)
        event_free(s->reconnect_ev);
    if (s->connect_ev)
        event_free(s->connect_ev);
    free(s->addr);
    free(s->host);
    free(s->unix_path);
    free(s);
    return NULL;
}

/* The release proper, at depth 0; every caller's callback has fired already. */
static void store_destroy(struct store *s)
{
    struct req *r, *next;
    for (r = s->reqs; r; r = next) {
        next = r->next;
        r->prev = r->next = NULL;
        if (r->in_hiredis) {
            r->s = NULL;
            event_free(r->timer);
            r->timer = NULL;
        } else
            req_free(r);
    }
    s->reqs = NULL;
    while ((r = s->pool) != NULL) {
        s->pool = r->next;
        req_free(r);
    }
    if (s->dying)
        s->dying->data = NULL;
    if (s->ac) {
        redisAsyncContext *ac = s->ac;
        s->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac); /* deferred by hiredis when inside its callback */
    }
    resolve_cancel(s->rq);
    s->rq = NULL;
    resolver_free(s->res);
    event_free(s->reconnect_ev);
    event_free(s->connect_ev);
    free(s->addr);
    free(s->host);
    free(s->unix_path);
    free(s);
}

void store_free(struct store *s)
{
    if (!s || s->freeing)
        return;
    s->freeing = 1;
    s->depth++;
    if (s->rq) {
        resolve_cancel(s->rq);
        s->rq = NULL;
    }
    evtimer_del(s->reconnect_ev);
    evtimer_del(s->connect_ev);
    /* Callbacks cannot add requests now (they fail at once) nor free any. */
    for (struct req *r = s->reqs; r; r = r->next)
        if (!r->done)
            req_complete(s, r, NULL);
    store_leave(s);
}

int store_connected(const struct store *s)
{
    return s && s->state == ST_UP && !s->freeing;
}

void store_stats(const struct store *s, struct store_stats *out)
{
    if (!out)
        return;
    if (s)
        *out = s->st;
    else
        memset(out, 0, sizeof *out);
}

void store_cmd(struct store *s, store_reply_cb cb, void *arg, int argc, const char *const *argv,
               const size_t *argvlen)
{
    union req_cb u = {.cmd = cb};
    struct req *r = req_begin(s, REQ_CMD, u, arg);
    size_t len = 0;
    if (!r)
        return;
    if (argc < 1 || !argv || resp_build(argc, argv, argvlen, &r->cmd, &r->cmd_cap, &len) != 0 ||
        !cmd_allowed(r->cmd, len))
        req_reject(s, r);
    else
        req_send(s, r, r->cmd, len);
}

void store_cmdf(struct store *s, store_reply_cb cb, void *arg, const char *fmt, ...)
{
    union req_cb u = {.cmd = cb};
    struct req *r = req_begin(s, REQ_CMD, u, arg);
    char *buf = NULL;
    int len = -1;
    va_list ap;
    if (!r)
        return;
    if (fmt) {
        va_start(ap, fmt);
        len = redisvFormatCommand(&buf, fmt, ap);
        va_end(ap);
    }
    if (len <= 0 || !buf || !cmd_allowed(buf, (size_t)len))
        req_reject(s, r);
    else
        req_send(s, r, buf, (size_t)len);
    if (buf)
        redisFreeCommand(buf);
}

void store_session_load(struct store *s, const char *sess_key, const char *resume_key,
                        const char *lang_key, const char *aux_key, store_load_cb cb, void *arg)
{
    union req_cb u = {.load = cb};
    struct req *r = req_begin(s, REQ_LOAD, u, arg);
    const char *argv[5] = {"MGET", sess_key, NULL, NULL, NULL};
    int argc = 2;
    size_t len;
    if (!r)
        return;
    if (resume_key) {
        argv[argc++] = resume_key;
        r->load_mask |= 1;
    }
    if (lang_key) {
        argv[argc++] = lang_key;
        r->load_mask |= 2;
    }
    if (aux_key) {
        argv[argc++] = aux_key;
        r->load_mask |= 4;
    }
    if (!sess_key || resp_build(argc, argv, NULL, &r->cmd, &r->cmd_cap, &len) != 0)
        req_reject(s, r);
    else
        req_send(s, r, r->cmd, len);
}

void store_session_save(struct store *s, const struct store_save *q, store_save_cb cb, void *arg)
{
    union req_cb u = {.save = cb};
    struct req *r = req_begin(s, REQ_SAVE, u, arg);
    const char *argv[3 + 5 + 2 + 6 + STORE_MAX_SMS + 1];
    size_t lens[sizeof argv / sizeof argv[0]];
    char nkeys[8], mode[6], ver[24], ttl[3][24];
    int argc = 0;
    if (!r)
        return;
    if (!q || !q->sess_key || q->n_sms < 0 || q->n_sms > STORE_MAX_SMS ||
        (q->n_sms > 0 && !q->sms_queue_key) || (q->lang_key && !q->lang) ||
        (q->count_key && !q->count_field)) {
        req_reject(s, r);
        return;
    }
    for (int i = 0; i < q->n_sms; i++)
        if (!q->sms[i]) {
            req_reject(s, r);
            return;
        }
#define ARG(p, n) (argv[argc] = (p), lens[argc++] = (n))
#define SARG(p) ARG((p), strlen(p))
    nkeys[put_num(nkeys, (size_t)(1 + (q->resume_key != NULL) + (q->lang_key != NULL) + (q->n_sms > 0) +
                                  (q->count_key != NULL)))] = 0;
    SARG("EVALSHA");
    SARG(s->sha);
    SARG(nkeys);
    SARG(q->sess_key);
    if (q->resume_key)
        SARG(q->resume_key);
    if (q->lang_key)
        SARG(q->lang_key);
    if (q->n_sms > 0)
        SARG(q->sms_queue_key);
    if (q->count_key)
        SARG(q->count_key);
    mode[0] = q->blob ? 'S' : 'D';
    mode[1] = !q->resume_key ? '-' : q->resume_blob ? 'S' : 'D';
    mode[2] = q->lang_key ? 'S' : '-';
    mode[3] = q->n_sms > 0 ? 'Q' : '-';
    mode[4] = q->count_key ? 'C' : 0;
    mode[5] = 0;
    SARG(mode);
    ver[put_num(ver, (size_t)q->expect_version)] = 0;
    SARG(ver);
    ttl[0][put_num(ttl[0], q->ttl_s > 0 ? (size_t)q->ttl_s : 0)] = 0;
    ttl[1][put_num(ttl[1], q->resume_ttl_s > 0 ? (size_t)q->resume_ttl_s : 0)] = 0;
    ttl[2][put_num(ttl[2], q->lang_ttl_s > 0 ? (size_t)q->lang_ttl_s : 0)] = 0;
    if (q->blob) {
        ARG(q->blob, q->blob_len);
        SARG(ttl[0]);
    }
    if (q->resume_key && q->resume_blob) {
        ARG(q->resume_blob, q->resume_blob_len);
        SARG(ttl[1]);
    }
    if (q->lang_key) {
        SARG(q->lang);
        SARG(ttl[2]);
    }
    for (int i = 0; i < q->n_sms; i++)
        SARG(q->sms[i]);
    if (q->count_key)
        SARG(q->count_field);
#undef SARG
#undef ARG
    /* The arguments after the SHA1 start after "*N\r\n$7\r\nEVALSHA\r\n$40\r\n<sha>\r\n". */
    size_t pos = 1, n;
    const char *p;
    if (resp_build(argc, argv, lens, &r->cmd, &r->cmd_cap, &r->cmd_len) != 0 ||
        resp_num(r->cmd, r->cmd_len, &pos, &n) || resp_arg(r->cmd, r->cmd_len, &pos, &p, &n) ||
        resp_arg(r->cmd, r->cmd_len, &pos, &p, &n)) {
        req_reject(s, r);
        return;
    }
    r->tail_off = pos;
    r->argc = argc;
    r->lua = save_script;
    r->lua_len = sizeof save_script - 1;
    req_send(s, r, r->cmd, r->cmd_len);
}

void store_script_init(struct store_script *sc, const char *name, const char *lua)
{
    sc->name = name;
    sc->lua = lua;
    sc->len = strlen(lua);
    sha1_hex(lua, sc->len, sc->sha);
}

#define STORE_EVAL_MAX_ARGS 256

void store_eval(struct store *s, const struct store_script *sc, int nkeys, int argc,
                const char *const *argv, const size_t *argvlen, store_reply_cb cb, void *arg)
{
    union req_cb u = {.cmd = cb};
    struct req *r = req_begin(s, REQ_EVAL, u, arg);
    const char *a[3 + STORE_EVAL_MAX_ARGS];
    size_t l[3 + STORE_EVAL_MAX_ARGS];
    char nk[16];
    if (!r)
        return;
    if (!sc || !sc->lua || sc->sha[0] == 0 || nkeys < 0 || argc < nkeys || argc > STORE_EVAL_MAX_ARGS ||
        (argc && !argv)) {
        req_reject(s, r);
        return;
    }
    nk[put_num(nk, (size_t)nkeys)] = 0;
    a[0] = "EVALSHA", l[0] = 7;
    a[1] = sc->sha, l[1] = 40;
    a[2] = nk, l[2] = strlen(nk);
    for (int i = 0; i < argc; i++) {
        if (!argv[i]) {
            req_reject(s, r);
            return;
        }
        a[3 + i] = argv[i];
        l[3 + i] = argvlen ? argvlen[i] : strlen(argv[i]);
    }
    size_t pos = 1, n;
    const char *p;
    if (resp_build(argc + 3, a, l, &r->cmd, &r->cmd_cap, &r->cmd_len) != 0 ||
        resp_num(r->cmd, r->cmd_len, &pos, &n) || resp_arg(r->cmd, r->cmd_len, &pos, &p, &n) ||
        resp_arg(r->cmd, r->cmd_len, &pos, &p, &n)) {
        req_reject(s, r);
        return;
    }
    r->tail_off = pos;
    r->argc = argc + 3;
    r->lua = sc->lua;
    r->lua_len = sc->len;
    req_send(s, r, r->cmd, r->cmd_len);
}
