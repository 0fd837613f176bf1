/*
 * test_store.c: the Redis store (store/store.c) against real, private redis-server
 * processes: each test starts its own server on a free loopback port (and a unix
 * socket) in a fresh temporary directory, waits for it by polling PING with a deadline,
 * and kills it at the end. USSDGW_REDIS_SERVER overrides the redis-server path;
 * STORE_TEST_LOG=1 prints the store's log lines.
 *
 * The event loop is driven until a condition or a deadline (loop_until); nothing sleeps
 * a fixed time. Servers die with the test program (PR_SET_PDEATHSIG) if it crashes.
 */
#include "harness.h"
#include "store.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

/* ---- time and loop ---- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    *(int *)arg = 1;
}

/* Run the loop until cond(arg) holds or ms pass; returns cond(arg). */
static int loop_until(struct event_base *b, int (*cond)(const void *), const void *arg, int ms)
{
    int expired = 0;
    struct event *t = evtimer_new(b, deadline_cb, &expired);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(t, &tv);
    while (!(cond && cond(arg)) && !expired)
        event_base_loop(b, EVLOOP_ONCE);
    event_free(t);
    return cond ? cond(arg) : 0;
}

struct ge {
    const int *p;
    int want;
};

static int ge_cond(const void *arg)
{
    const struct ge *g = arg;
    return *g->p >= g->want;
}

static int loop_until_ge(struct event_base *b, const int *p, int want, int ms)
{
    struct ge g = {p, want};
    return loop_until(b, ge_cond, &g, ms);
}

/* Keep the loop running for ms (timers of the store fire meanwhile). */
static void run_for(struct event_base *b, int ms)
{
    loop_until(b, NULL, NULL, ms);
}

static int connected_cond(const void *s)
{
    return store_connected(s);
}

static int disconnected_cond(const void *s)
{
    return !store_connected(s);
}

/* ---- private redis-server ---- */

#define MAX_SRV 8
struct srv {
    pid_t pid;
    int port;
    char dir[64];
    char sock[128];
    char addr[64];
};
static struct srv *live_srv[MAX_SRV];

static void kill_all_servers(void)
{
    for (int i = 0; i < MAX_SRV; i++)
        if (live_srv[i] && live_srv[i]->pid > 0) {
            kill(live_srv[i]->pid, SIGKILL);
            waitpid(live_srv[i]->pid, NULL, 0);
            live_srv[i]->pid = 0;
        }
}

static const char *redis_path(void)
{
    const char *p = getenv("USSDGW_REDIS_SERVER");
    return p && *p ? p : "redis-server";
}

static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static redisContext *srv_connect(const struct srv *v)
{
    struct timeval tv = {0, 500000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", v->port, tv);
    if (c && !c->err && redisSetTimeout(c, tv) == REDIS_OK)
        return c;
    if (c)
        redisFree(c);
    return NULL;
}

/* A command on a fresh blocking connection: the independent view of the data. */
static redisReply *srv_cmd(const struct srv *v, const char *fmt, ...)
{
    redisContext *c = srv_connect(v);
    redisReply *r;
    va_list ap;
    if (!c)
        return NULL;
    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    return r;
}

static long long srv_int(const struct srv *v, const char *cmd, const char *key)
{
    redisReply *r = srv_cmd(v, "%s %s", cmd, key);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -999;
    if (r)
        freeReplyObject(r);
    return n;
}

/* GET key into buf (NUL-terminated too); returns its length, -1 when absent. */
static long srv_get(const struct srv *v, const char *key, char *buf, size_t size)
{
    redisReply *r = srv_cmd(v, "GET %s", key);
    long n = -1;
    if (r && r->type == REDIS_REPLY_STRING && r->len < size) {
        memcpy(buf, r->str, r->len);
        buf[r->len] = 0;
        n = (long)r->len;
    }
    if (r)
        freeReplyObject(r);
    return n;
}

static int srv_ping(const struct srv *v)
{
    redisReply *r = srv_cmd(v, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    if (r)
        freeReplyObject(r);
    return ok;
}

/* Start redis-server on v->port (already chosen) and wait until it answers PING. */
static int srv_spawn(struct srv *v)
{
    char port[16], log[96];
    snprintf(port, sizeof port, "%d", v->port);
    snprintf(log, sizeof log, "%s/redis.log", v->dir);
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
        execlp(redis_path(), redis_path(), "--port", port, "--bind", "127.0.0.1", "--unixsocket",
               v->sock, "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", v->dir,
               "--logfile", log, "--daemonize", "no", (char *)NULL);
        _exit(127);
    }
    v->pid = pid;
    long long end = now_ms() + 5000;
    while (now_ms() < end) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            v->pid = 0;
            return 0;
        }
        if (srv_ping(v))
            return 1;
        poll(NULL, 0, 5); /* between polls of a child process */
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    v->pid = 0;
    return 0;
}

static void srv_kill(struct srv *v)
{
    if (v->pid > 0) {
        kill(v->pid, SIGKILL);
        waitpid(v->pid, NULL, 0);
        v->pid = 0;
    }
}

static int srv_start(struct srv *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->dir, sizeof v->dir, "/tmp/ussdgw-store-XXXXXX");
    if (!mkdtemp(v->dir))
        return 0;
    snprintf(v->sock, sizeof v->sock, "%s/redis.sock", v->dir);
    for (int i = 0; i < MAX_SRV; i++)
        if (!live_srv[i]) {
            live_srv[i] = v;
            break;
        }
    for (int tries = 0; tries < 3; tries++) {
        v->port = free_port();
        snprintf(v->addr, sizeof v->addr, "127.0.0.1:%d", v->port);
        if (v->port > 0 && srv_spawn(v))
            return 1;
    }
    return 0;
}

static void srv_stop(struct srv *v)
{
    srv_kill(v);
    for (int i = 0; i < MAX_SRV; i++)
        if (live_srv[i] == v)
            live_srv[i] = NULL;
    if (!v->dir[0])
        return;
    DIR *d = opendir(v->dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[400];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", v->dir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(v->dir);
    v->dir[0] = 0;
}

/* ---- fixture ---- */

static int log_warnings;

static void test_log(void *arg, int level, const char *msg)
{
    (void)arg;
    if (level <= 4)
        log_warnings++;
    if (getenv("STORE_TEST_LOG"))
        fprintf(stderr, "  log %d: %s\n", level, msg);
}

struct fix {
    struct srv v;
    struct event_base *base;
    struct store *s;
};

static struct store_opts opts_default(void)
{
    struct store_opts o;
    memset(&o, 0, sizeof o);
    o.log = test_log;
    return o;
}

static int fix_up(struct fix *f, const struct store_opts *o)
{
    memset(f, 0, sizeof *f);
    if (!srv_start(&f->v)) {
        harness_fail(__FILE__, __LINE__, "cannot start %s", redis_path());
        return 0;
    }
    f->base = event_base_new();
    struct store_opts d = opts_default();
    f->s = store_new(f->base, f->v.addr, o ? o : &d);
    CHECK(f->s != NULL);
    if (!f->s)
        return 0;
    CHECK(loop_until(f->base, connected_cond, f->s, 3000));
    return store_connected(f->s);
}

static void fix_down(struct fix *f)
{
    store_free(f->s);
    f->s = NULL;
    if (f->base)
        event_base_free(f->base);
    f->base = NULL;
    srv_stop(&f->v);
}

/* ---- callback recorders ---- */

static int in_request; /* set around store_* calls: a callback seeing it ran synchronously */
#define CALL(expr) do { in_request = 1; expr; in_request = 0; } while (0)

struct rec {
    int calls, status, type, sync;
    long long integer, at_ms;
    char str[256];
    size_t len;
};

static void rec_cb(void *arg, int status, const struct redisReply *r)
{
    struct rec *x = arg;
    x->calls++;
    x->status = status;
    x->at_ms = now_ms();
    x->sync |= in_request;
    x->type = r ? r->type : 0;
    x->integer = r ? r->integer : 0;
    x->len = 0;
    x->str[0] = 0;
    if (r && r->str && r->len < sizeof x->str) {
        memcpy(x->str, r->str, r->len);
        x->str[r->len] = 0;
        x->len = r->len;
    }
}

/* Run a command given as NUL-terminated words and wait for its callback. */
static void run_cmd(struct fix *f, struct rec *x, ...)
{
    const char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, x);
    while (argc < 16 && (argv[argc] = va_arg(ap, const char *)))
        argc++;
    va_end(ap);
    memset(x, 0, sizeof *x);
    CALL(store_cmd(f->s, rec_cb, x, argc, argv, NULL));
    CHECK(loop_until_ge(f->base, &x->calls, 1, 5000));
}

struct lrec {
    int calls, status, sync, aux_have;
    int have[3];
    char v[3][128];
    size_t len[3];
};

static void lrec_cb(void *arg, int status, const struct store_blob *a, const struct store_blob *b,
                    const struct store_blob *c, const struct store_blob *aux)
{
    struct lrec *x = arg;
    const struct store_blob *bl[3] = {a, b, c};
    x->aux_have = aux && aux->p;
    x->calls++;
    x->status = status;
    x->sync |= in_request;
    for (int i = 0; i < 3; i++) {
        x->have[i] = bl[i] && bl[i]->p;
        x->len[i] = 0;
        if (x->have[i] && bl[i]->len < sizeof x->v[i]) {
            memcpy(x->v[i], bl[i]->p, bl[i]->len);
            x->v[i][bl[i]->len] = 0;
            x->len[i] = bl[i]->len;
        }
    }
}

static void load(struct fix *f, struct lrec *x, const char *k1, const char *k2, const char *k3)
{
    memset(x, 0, sizeof *x);
    CALL(store_session_load(f->s, k1, k2, k3, NULL, lrec_cb, x));
    CHECK(loop_until_ge(f->base, &x->calls, 1, 5000));
}

struct srec {
    int calls, status, sync, order;
};
static int save_seq;

static void srec_cb(void *arg, int status)
{
    struct srec *x = arg;
    x->calls++;
    x->status = status;
    x->sync |= in_request;
    x->order = ++save_seq;
}

static int save(struct fix *f, const struct store_save *q)
{
    struct srec x = {0, 0, 0, 0};
    CALL(store_session_save(f->s, q, srec_cb, &x));
    CHECK(loop_until_ge(f->base, &x.calls, 1, 5000));
    CHECK_INT(x.calls, 1);
    CHECK(!x.sync);
    return x.status;
}

static struct store_save save_req(const char *key, uint64_t expect, const char *blob, long ttl)
{
    struct store_save q;
    memset(&q, 0, sizeof q);
    q.sess_key = key;
    q.expect_version = expect;
    q.blob = blob;
    q.blob_len = blob ? strlen(blob) : 0;
    q.ttl_s = ttl;
    return q;
}

/* Send PING every 20 ms until one succeeds or ms pass. */
static int ping_until_ok(struct fix *f, int ms)
{
    static struct rec x; /* static: a callback may outlive a failed wait */
    long long end = now_ms() + ms;
    while (now_ms() < end) {
        memset(&x, 0, sizeof x);
        CALL(store_cmdf(f->s, rec_cb, &x, "PING"));
        loop_until_ge(f->base, &x.calls, 1, 5000);
        if (x.calls == 1 && x.status == STORE_OK && strcmp(x.str, "PONG") == 0)
            return 1;
        run_for(f->base, 20);
    }
    return 0;
}

/* ---- tests ---- */

static void test_roundtrip(void)
{
    struct fix f;
    struct rec x;
    if (!fix_up(&f, NULL))
        goto out;

    const char *argv[] = {"SET", "bin", "a\0b"};
    size_t lens[] = {3, 3, 3};
    memset(&x, 0, sizeof x);
    CALL(store_cmd(f.s, rec_cb, &x, 3, argv, lens));
    CHECK_INT(x.calls, 0); /* never inside the call */
    CHECK(loop_until_ge(f.base, &x.calls, 1, 3000));
    CHECK_INT(x.status, STORE_OK);
    CHECK_INT(x.type, REDIS_REPLY_STATUS);
    CHECK_STR(x.str, "OK");

    memset(&x, 0, sizeof x);
    CALL(store_cmdf(f.s, rec_cb, &x, "GET %s", "bin"));
    CHECK(loop_until_ge(f.base, &x.calls, 1, 3000));
    CHECK_INT(x.status, STORE_OK);
    CHECK_INT(x.type, REDIS_REPLY_STRING);
    CHECK_INT(x.len, 3);
    CHECK(memcmp(x.str, "a\0b", 3) == 0);

    /* %b: binary argument through the format path */
    memset(&x, 0, sizeof x);
    CALL(store_cmdf(f.s, rec_cb, &x, "SET %s %b", "bin2", "x\0y\0z", (size_t)5));
    CHECK(loop_until_ge(f.base, &x.calls, 1, 3000));
    CHECK_INT(x.status, STORE_OK);
    char buf[64];
    CHECK_INT(srv_get(&f.v, "bin2", buf, sizeof buf), 5);
    CHECK(memcmp(buf, "x\0y\0z", 5) == 0);

    /* Redis error replies: STORE_ERR with the reply to read */
    run_cmd(&f, &x, "INCR", "bin", NULL);
    CHECK_INT(x.status, STORE_ERR);
    CHECK_INT(x.type, REDIS_REPLY_ERROR);
    CHECK(strstr(x.str, "not an integer") != NULL);
    run_cmd(&f, &x, "NO-SUCH-COMMAND", NULL);
    CHECK_INT(x.status, STORE_ERR);
    CHECK_INT(x.type, REDIS_REPLY_ERROR);

    /* Integers and nested arrays */
    run_cmd(&f, &x, "RPUSH", "l", "a", "b", NULL);
    CHECK_INT(x.status, STORE_OK);
    CHECK_INT(x.integer, 2);
    run_cmd(&f, &x, "EVAL", "return {1,{2,'x'},redis.status_reply('y')}", "0", NULL);
    CHECK_INT(x.status, STORE_OK);
    CHECK_INT(x.type, REDIS_REPLY_ARRAY);

    /* Connection-state commands are refused (deferred, no reply) and the store goes on */
    static const char *const refused[][3] = {{"SUBSCRIBE", "ch", NULL}, {"MONITOR", NULL, NULL},
                                             {"client", "reply", "off"}, {"QUIT", NULL, NULL}};
    for (int i = 0; i < 4; i++) {
        int n = refused[i][1] ? (refused[i][2] ? 3 : 2) : 1;
        memset(&x, 0, sizeof x);
        CALL(store_cmd(f.s, rec_cb, &x, n, refused[i], NULL));
        CHECK(loop_until_ge(f.base, &x.calls, 1, 3000));
        CHECK_INT(x.status, STORE_ERR);
        CHECK_INT(x.type, 0);
        CHECK(!x.sync);
    }
    memset(&x, 0, sizeof x);
    CALL(store_cmdf(f.s, rec_cb, &x, "psubscribe %s", "c*"));
    CHECK(loop_until_ge(f.base, &x.calls, 1, 3000));
    CHECK_INT(x.status, STORE_ERR);
    memset(&x, 0, sizeof x);
    CALL(store_cmd(f.s, rec_cb, &x, 0, NULL, NULL));
    CHECK(loop_until_ge(f.base, &x.calls, 1, 3000));
    CHECK_INT(x.status, STORE_ERR);
    CHECK(!x.sync);
    run_cmd(&f, &x, "PING", NULL);
    CHECK_INT(x.status, STORE_OK);
    CHECK_STR(x.str, "PONG");

    struct store_stats st;
    store_stats(f.s, &st);
    CHECK(st.sent >= 8);
    CHECK(st.replies >= 8);
    CHECK(st.rejected >= 6);
    CHECK(st.errors >= 8);
    CHECK_INT(st.inflight, 0);
    CHECK_INT(st.connects, 1);
    CHECK_INT(st.reconnects, 0);

    /* The same server over its unix socket */
    char ua[160];
    snprintf(ua, sizeof ua, "unix:%s", f.v.sock);
    struct store_opts o = opts_default();
    struct store *u = store_new(f.base, ua, &o);
    CHECK(u != NULL);
    if (u) {
        CHECK(loop_until(f.base, connected_cond, u, 3000));
        memset(&x, 0, sizeof x);
        CALL(store_cmdf(u, rec_cb, &x, "GET %s", "bin2"));
        CHECK(loop_until_ge(f.base, &x.calls, 1, 3000));
        CHECK_INT(x.status, STORE_OK);
        CHECK_INT(x.len, 5);
        store_free(u);
    }

    /* Malformed addresses */
    static const char *const bad[] = {"nohost", "h:0", "h:70000", "h:", ":6379", "unix:",
                                      "::1:6379", "[::1]6379", "h:12x", NULL};
    int warn0 = log_warnings;
    for (int i = 0; bad[i]; i++) {
        struct store *b = store_new(f.base, bad[i], &o);
        if (b)
            harness_fail(__FILE__, __LINE__, "address \"%s\" accepted", bad[i]);
        store_free(b);
    }
    CHECK(log_warnings > warn0);
    CHECK(store_new(f.base, NULL, &o) == NULL);
    CHECK(store_new(NULL, f.v.addr, &o) == NULL);
    store_free(NULL);
out:
    fix_down(&f);
}

static void test_load_absent(void)
{
    struct fix f;
    struct lrec x;
    if (!fix_up(&f, NULL))
        goto out;

    load(&f, &x, "s:1", "r:1", "l:1");
    CHECK_INT(x.status, STORE_OK);
    CHECK(!x.sync);
    CHECK(!x.have[0] && !x.have[1] && !x.have[2]);

    load(&f, &x, "s:1", NULL, NULL);
    CHECK_INT(x.status, STORE_OK);
    CHECK(!x.have[0] && !x.have[1] && !x.have[2]);

    redisReply *r = srv_cmd(&f.v, "MSET s:1 %b l:1 rw r:1 %s", "3|a\0b", (size_t)5, "");
    CHECK(r && r->type == REDIS_REPLY_STATUS);
    if (r)
        freeReplyObject(r);
    load(&f, &x, "s:1", "r:1", "l:1");
    CHECK_INT(x.status, STORE_OK);
    CHECK(x.have[0] && x.have[1] && x.have[2]);
    CHECK_INT(x.len[0], 5);
    CHECK(memcmp(x.v[0], "3|a\0b", 5) == 0);
    CHECK_INT(x.len[1], 0); /* empty, but present */
    CHECK_STR(x.v[2], "rw");

    load(&f, &x, "s:1", NULL, "l:1"); /* resume not asked */
    CHECK_INT(x.status, STORE_OK);
    CHECK(x.have[0] && !x.have[1] && x.have[2]);
    CHECK_STR(x.v[2], "rw");

    load(&f, &x, "s:1", "r:1", NULL);
    CHECK(x.have[0] && x.have[1] && !x.have[2]);

    /* A wrong-typed key reads as absent (MGET gives nil); no crash */
    r = srv_cmd(&f.v, "RPUSH s:list x");
    if (r)
        freeReplyObject(r);
    load(&f, &x, "s:list", "r:1", NULL);
    CHECK_INT(x.status, STORE_OK);
    CHECK(!x.have[0] && x.have[1]);

    load(&f, &x, NULL, "r:1", NULL);
    CHECK_INT(x.status, STORE_ERR);
    CHECK(!x.sync);
    CHECK(!x.have[0] && !x.have[1] && !x.have[2]);

    struct store_stats st;
    store_stats(f.s, &st);
    CHECK_INT(st.sent, 6); /* one MGET per load */
out:
    fix_down(&f);
}

static void test_save_version(void)
{
    struct fix f;
    struct lrec x;
    char buf[128];
    if (!fix_up(&f, NULL))
        goto out;

    struct store_save q = save_req("sv:1", 0, NULL, 60);
    q.blob = "1|hello\0bin";
    q.blob_len = 11;
    CHECK_INT(save(&f, &q), STORE_OK);
    load(&f, &x, "sv:1", NULL, NULL);
    CHECK_INT(x.status, STORE_OK);
    CHECK_INT(x.len[0], 11);
    CHECK(memcmp(x.v[0], "1|hello\0bin", 11) == 0);

    q = save_req("sv:1", 0, "1|again", 60); /* stale: someone saved version 1 */
    CHECK_INT(save(&f, &q), STORE_CONFLICT);
    CHECK_INT(srv_get(&f.v, "sv:1", buf, sizeof buf), 11);

    q = save_req("sv:1", 1, "2|next", 60);
    CHECK_INT(save(&f, &q), STORE_OK);
    CHECK_INT(srv_get(&f.v, "sv:1", buf, sizeof buf), 6);
    CHECK_STR(buf, "2|next");
    q = save_req("sv:1", 5, "6|x", 60);
    CHECK_INT(save(&f, &q), STORE_CONFLICT);
    q = save_req("sv:1", 1, "2|x", 60);
    CHECK_INT(save(&f, &q), STORE_CONFLICT);

    /* Multi-digit versions and a blob NULL: delete */
    q = save_req("sv:1", 2, "123456789012|z", 60);
    CHECK_INT(save(&f, &q), STORE_OK);
    q = save_req("sv:1", 123456789012ull, NULL, 0);
    CHECK_INT(save(&f, &q), STORE_OK);
    CHECK_INT(srv_int(&f.v, "EXISTS", "sv:1"), 0);

    /* A value without a leading number counts as version 0 */
    redisReply *r = srv_cmd(&f.v, "SET sv:2 garbage");
    if (r)
        freeReplyObject(r);
    q = save_req("sv:2", 3, "4|x", 60);
    CHECK_INT(save(&f, &q), STORE_CONFLICT);
    q = save_req("sv:2", 0, "1|x", 60);
    CHECK_INT(save(&f, &q), STORE_OK);

    /* A wrong-typed session key is an error, not a conflict */
    r = srv_cmd(&f.v, "RPUSH sv:3 x");
    if (r)
        freeReplyObject(r);
    q = save_req("sv:3", 0, "1|x", 60);
    CHECK_INT(save(&f, &q), STORE_ERR);

    struct store_stats st;
    store_stats(f.s, &st);
    CHECK_INT(st.conflicts, 4);
    CHECK_INT(st.noscript, 0); /* SCRIPT LOAD at connect: EVALSHA finds it */
out:
    fix_down(&f);
}

static void test_concurrent_writers(void)
{
    struct fix f;
    struct srec a = {0, 0, 0, 0}, b = {0, 0, 0, 0};
    char buf[64];
    if (!fix_up(&f, NULL))
        goto out;

    /* Two writers loaded version 4 and save back to back */
    redisReply *r = srv_cmd(&f.v, "SET cw:1 4|base");
    if (r)
        freeReplyObject(r);
    struct store_save qa = save_req("cw:1", 4, "5|from-a", 60);
    struct store_save qb = save_req("cw:1", 4, "5|from-b", 60);
    CALL(store_session_save(f.s, &qa, srec_cb, &a));
    CALL(store_session_save(f.s, &qb, srec_cb, &b));
    CHECK(loop_until_ge(f.base, &b.calls, 1, 3000));
    CHECK(loop_until_ge(f.base, &a.calls, 1, 3000));
    CHECK_INT(a.calls + b.calls, 2);
    CHECK((a.status == STORE_OK && b.status == STORE_CONFLICT) ||
          (a.status == STORE_CONFLICT && b.status == STORE_OK));
    srv_get(&f.v, "cw:1", buf, sizeof buf);
    CHECK_STR(buf, a.status == STORE_OK ? "5|from-a" : "5|from-b");

    /* Two gateway processes: two stores, two connections */
    struct store_opts o = opts_default();
    struct store *s2 = store_new(f.base, f.v.addr, &o);
    CHECK(s2 && loop_until(f.base, connected_cond, s2, 3000));
    for (int round = 0; round < 20 && s2; round++) {
        char blob_a[32], blob_b[32];
        snprintf(blob_a, sizeof blob_a, "%d|a", round + 6);
        snprintf(blob_b, sizeof blob_b, "%d|b", round + 6);
        qa = save_req("cw:1", (uint64_t)round + 5, blob_a, 60);
        qb = save_req("cw:1", (uint64_t)round + 5, blob_b, 60);
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        CALL(store_session_save(f.s, &qa, srec_cb, &a));
        CALL(store_session_save(s2, &qb, srec_cb, &b));
        CHECK(loop_until_ge(f.base, &a.calls, 1, 3000));
        CHECK(loop_until_ge(f.base, &b.calls, 1, 3000));
        CHECK((a.status == STORE_OK) + (b.status == STORE_OK) == 1);
        CHECK((a.status == STORE_CONFLICT) + (b.status == STORE_CONFLICT) == 1);
    }
    store_free(s2);

    /* A new session: two writers expect 0 */
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    qa = save_req("cw:new", 0, "1|a", 60);
    qb = save_req("cw:new", 0, "1|b", 60);
    CALL(store_session_save(f.s, &qa, srec_cb, &a));
    CALL(store_session_save(f.s, &qb, srec_cb, &b));
    CHECK(loop_until_ge(f.base, &a.calls, 1, 3000));
    CHECK(loop_until_ge(f.base, &b.calls, 1, 3000));
    CHECK_INT(a.status, STORE_OK); /* one connection: first sent, first served */
    CHECK_INT(b.status, STORE_CONFLICT);
    CHECK(!a.sync && !b.sync);
    srv_get(&f.v, "cw:new", buf, sizeof buf);
    CHECK_STR(buf, "1|a");
out:
    fix_down(&f);
}

struct exists_poll {
    struct fix *f;
    const char *key;
};

static void test_ttl(void)
{
    struct fix f;
    struct rec x;
    if (!fix_up(&f, NULL))
        goto out;

    struct store_save q = save_req("ttl:long", 0, "1|x", 60);
    CHECK_INT(save(&f, &q), STORE_OK);
    long long pttl = srv_int(&f.v, "PTTL", "ttl:long");
    CHECK(pttl > 55000 && pttl <= 60000);

    q = save_req("ttl:none", 0, "1|x", 0);
    CHECK_INT(save(&f, &q), STORE_OK);
    CHECK_INT(srv_int(&f.v, "PTTL", "ttl:none"), -1);

    /* A second save renews the TTL (SET ... EX) */
    q = save_req("ttl:long", 1, "2|x", 120);
    CHECK_INT(save(&f, &q), STORE_OK);
    CHECK(srv_int(&f.v, "PTTL", "ttl:long") > 60000);

    /* Expiry observed by polling through the store */
    q = save_req("ttl:short", 0, "1|x", 1);
    long long t0 = now_ms();
    CHECK_INT(save(&f, &q), STORE_OK);
    int gone = 0;
    while (!gone && now_ms() - t0 < 4000) {
        run_cmd(&f, &x, "EXISTS", "ttl:short", NULL);
        CHECK_INT(x.status, STORE_OK);
        if (x.integer == 0)
            gone = 1;
        else
            run_for(f.base, 25);
    }
    long long took = now_ms() - t0;
    CHECK(gone);
    CHECK(took >= 900 && took < 4000);
    /* and a new session may start there */
    q = save_req("ttl:short", 0, "1|y", 1);
    CHECK_INT(save(&f, &q), STORE_OK);
out:
    fix_down(&f);
}

static void test_extras_atomic(void)
{
    struct fix f;
    struct lrec x;
    char buf[128];
    if (!fix_up(&f, NULL))
        goto out;

    struct store_save q = save_req("ex:s", 0, "1|sess", 60);
    q.resume_key = "ex:r";
    q.resume_blob = "resume\0bin";
    q.resume_blob_len = 10;
    q.resume_ttl_s = 30;
    q.lang_key = "ex:l";
    q.lang = "rw";
    q.lang_ttl_s = 31536000;
    q.sms_queue_key = "ex:q";
    q.sms[0] = "sms one";
    q.sms[1] = "sms two";
    q.sms[2] = "";
    q.n_sms = 3;
    CHECK_INT(save(&f, &q), STORE_OK);
    CHECK_INT(srv_get(&f.v, "ex:r", buf, sizeof buf), 10);
    CHECK(memcmp(buf, "resume\0bin", 10) == 0);
    long long pttl = srv_int(&f.v, "PTTL", "ex:r");
    CHECK(pttl > 25000 && pttl <= 30000);
    CHECK_INT(srv_get(&f.v, "ex:l", buf, sizeof buf), 2);
    CHECK_STR(buf, "rw");
    CHECK(srv_int(&f.v, "TTL", "ex:l") > 31536000 - 60);
    redisReply *r = srv_cmd(&f.v, "LRANGE ex:q 0 -1");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
        CHECK_STR(r->element[0]->str, "sms one");
        CHECK_STR(r->element[1]->str, "sms two");
        CHECK_STR(r->element[2]->str, "");
    }
    if (r)
        freeReplyObject(r);

    /* All three come back in one MGET */
    load(&f, &x, "ex:s", "ex:r", "ex:l");
    CHECK_INT(x.status, STORE_OK);
    CHECK_STR(x.v[0], "1|sess");
    CHECK_INT(x.len[1], 10);
    CHECK_STR(x.v[2], "rw");

    /* A conflict writes nothing at all */
    struct store_save c = q;
    c.expect_version = 0;
    c.blob = "1|other";
    c.blob_len = 7;
    c.resume_blob = NULL;
    c.lang = "fr";
    c.sms[0] = "must not be queued";
    c.n_sms = 1;
    CHECK_INT(save(&f, &c), STORE_CONFLICT);
    CHECK_INT(srv_int(&f.v, "LLEN", "ex:q"), 3);
    CHECK_INT(srv_int(&f.v, "EXISTS", "ex:r"), 1);
    srv_get(&f.v, "ex:l", buf, sizeof buf);
    CHECK_STR(buf, "rw");
    srv_get(&f.v, "ex:s", buf, sizeof buf);
    CHECK_STR(buf, "1|sess");

    /* resume_blob NULL deletes the resume key; lang and queue left alone */
    q = save_req("ex:s", 1, "2|sess", 60);
    q.resume_key = "ex:r";
    CHECK_INT(save(&f, &q), STORE_OK);
    CHECK_INT(srv_int(&f.v, "EXISTS", "ex:r"), 0);
    srv_get(&f.v, "ex:l", buf, sizeof buf);
    CHECK_STR(buf, "rw");
    CHECK_INT(srv_int(&f.v, "LLEN", "ex:q"), 3);

    /* resume_key NULL leaves an existing resume key alone */
    r = srv_cmd(&f.v, "SET ex:r keep");
    if (r)
        freeReplyObject(r);
    q = save_req("ex:s", 2, "3|sess", 60);
    CHECK_INT(save(&f, &q), STORE_OK);
    srv_get(&f.v, "ex:r", buf, sizeof buf);
    CHECK_STR(buf, "keep");

    /* A queue of the wrong type fails before anything is written */
    r = srv_cmd(&f.v, "SET ex:badq string");
    if (r)
        freeReplyObject(r);
    q = save_req("ex:s", 3, "4|sess", 60);
    q.lang_key = "ex:l";
    q.lang = "fr";
    q.sms_queue_key = "ex:badq";
    q.sms[0] = "x";
    q.n_sms = 1;
    CHECK_INT(save(&f, &q), STORE_ERR);
    srv_get(&f.v, "ex:s", buf, sizeof buf);
    CHECK_STR(buf, "3|sess");
    srv_get(&f.v, "ex:l", buf, sizeof buf);
    CHECK_STR(buf, "rw");

    /* Invalid requests fail (deferred) without a round trip */
    struct store_stats st0, st1;
    store_stats(f.s, &st0);
    q = save_req("ex:s", 3, "4|sess", 60);
    q.n_sms = STORE_MAX_SMS + 1;
    q.sms_queue_key = "ex:q";
    for (int i = 0; i < STORE_MAX_SMS; i++)
        q.sms[i] = "x";
    CHECK_INT(save(&f, &q), STORE_ERR);
    q.n_sms = 1;
    q.sms_queue_key = NULL;
    CHECK_INT(save(&f, &q), STORE_ERR);
    q = save_req("ex:s", 3, "4|sess", 60);
    q.lang_key = "ex:l";
    CHECK_INT(save(&f, &q), STORE_ERR); /* lang_key without lang */
    q = save_req(NULL, 3, "4|sess", 60);
    CHECK_INT(save(&f, &q), STORE_ERR);
    struct srec sx = {0, 0, 0, 0};
    CALL(store_session_save(f.s, NULL, srec_cb, &sx));
    CHECK(loop_until_ge(f.base, &sx.calls, 1, 3000));
    CHECK_INT(sx.status, STORE_ERR);
    store_stats(f.s, &st1);
    CHECK_INT(st1.sent, st0.sent);
    CHECK_INT(st1.rejected - st0.rejected, 5);

    /* The full eight SMS */
    q = save_req("ex:s", 3, "4|sess", 60);
    q.sms_queue_key = "ex:q8";
    q.n_sms = STORE_MAX_SMS;
    for (int i = 0; i < STORE_MAX_SMS; i++)
        q.sms[i] = "m";
    CHECK_INT(save(&f, &q), STORE_OK);
    CHECK_INT(srv_int(&f.v, "LLEN", "ex:q8"), STORE_MAX_SMS);
out:
    fix_down(&f);
}

static void test_noscript(void)
{
    struct fix f;
    struct rec x;
    struct store_stats st;
    if (!fix_up(&f, NULL))
        goto out;

    struct store_save q = save_req("ns:1", 0, "1|a", 60);
    CHECK_INT(save(&f, &q), STORE_OK);
    store_stats(f.s, &st);
    CHECK_INT(st.noscript, 0);

    run_cmd(&f, &x, "SCRIPT", "FLUSH", NULL);
    CHECK_INT(x.status, STORE_OK);
    q = save_req("ns:1", 1, "2|b", 60);
    CHECK_INT(save(&f, &q), STORE_OK);
    store_stats(f.s, &st);
    CHECK_INT(st.noscript, 1);
    char buf[32];
    srv_get(&f.v, "ns:1", buf, sizeof buf);
    CHECK_STR(buf, "2|b");

    /* EVAL cached it: back to one EVALSHA */
    q = save_req("ns:1", 2, "3|c", 60);
    CHECK_INT(save(&f, &q), STORE_OK);
    q = save_req("ns:1", 2, "3|d", 60);
    CHECK_INT(save(&f, &q), STORE_CONFLICT);
    store_stats(f.s, &st);
    CHECK_INT(st.noscript, 1);

    /* A conflict found through the EVAL path */
    run_cmd(&f, &x, "SCRIPT", "FLUSH", NULL);
    q = save_req("ns:1", 9, "10|c", 60);
    CHECK_INT(save(&f, &q), STORE_CONFLICT);
    store_stats(f.s, &st);
    CHECK_INT(st.noscript, 2);
out:
    fix_down(&f);
}

/* store_eval: keys as KEYS, by SHA1, EVAL when Redis lost the script, errors as replies */
static void test_eval(void)
{
    struct fix f;
    struct rec x;
    struct store_stats st;
    static struct store_script incr;
    store_script_init(&incr, "incr", "return redis.call('INCRBY', KEYS[1], ARGV[1])");
    CHECK_INT(strlen(incr.sha), 40);
    if (!fix_up(&f, NULL))
        goto out;
    const char *argv[] = {"ev:1", "5"};
    for (int round = 0; round < 3; round++) {
        if (round == 2) {
            run_cmd(&f, &x, "SCRIPT", "FLUSH", NULL);
            CHECK_INT(x.status, STORE_OK);
        }
        memset(&x, 0, sizeof x);
        CALL(store_eval(f.s, &incr, 1, 2, argv, NULL, rec_cb, &x));
        CHECK(loop_until_ge(f.base, &x.calls, 1, 5000));
        CHECK_INT(x.sync, 0);
        CHECK_INT(x.status, STORE_OK);
        CHECK_INT(x.integer, 5 * (round + 1));
    }
    store_stats(f.s, &st);
    CHECK_INT(st.noscript, 2); /* the first call (never loaded) and the one after FLUSH */
    static struct store_script bad;
    store_script_init(&bad, "bad", "return redis.error_reply('no such thing')");
    memset(&x, 0, sizeof x);
    CALL(store_eval(f.s, &bad, 0, 0, NULL, NULL, rec_cb, &x));
    CHECK(loop_until_ge(f.base, &x.calls, 1, 5000));
    CHECK_INT(x.status, STORE_ERR);
    CHECK_STR(x.str, "no such thing");
    /* a bad request fails from the loop, not inside the call */
    memset(&x, 0, sizeof x);
    CALL(store_eval(f.s, &incr, 3, 2, argv, NULL, rec_cb, &x));
    CHECK(loop_until_ge(f.base, &x.calls, 1, 5000));
    CHECK_INT(x.sync, 0);
    CHECK_INT(x.status, STORE_ERR);
out:
    fix_down(&f);
}

static int drops_ge(const void *arg)
{
    const struct store *s = arg;
    struct store_stats st;
    store_stats(s, &st);
    return st.drops >= 1;
}

static void test_sigstop(void)
{
    struct fix f;
    struct rec x[4];
    struct store_stats st;
    struct store_opts o = opts_default();
    o.timeout_ms = 300;
    o.backoff_min_ms = 20;
    o.backoff_max_ms = 200;
    if (!fix_up(&f, &o))
        goto out;
    CHECK(ping_until_ok(&f, 1000));

    CHECK_INT(kill(f.v.pid, SIGSTOP), 0);
    /* One request: STORE_ERR within the timeout (and a margin) */
    memset(x, 0, sizeof x);
    long long t0 = now_ms();
    CALL(store_cmdf(f.s, rec_cb, &x[0], "SET %s %s", "k", "v"));
    CHECK(loop_until_ge(f.base, &x[0].calls, 1, 2000));
    long long took = x[0].at_ms - t0;
    CHECK_INT(x[0].status, STORE_ERR);
    CHECK_INT(x[0].type, 0);
    CHECK(took >= 290 && took <= 300 + 200);
    store_stats(f.s, &st);
    CHECK_INT(st.timeouts, 1);
    CHECK_INT(st.drops, 0);

    /* Still no reply at twice the timeout: the store drops the connection */
    CHECK(loop_until(f.base, drops_ge, f.s, 1000));
    took = now_ms() - t0;
    CHECK(took >= 590 && took <= 600 + 300);

    /* Reconnected (the kernel accepts for a stopped server); three timeouts in a row
     * drop it again */
    CHECK(loop_until(f.base, connected_cond, f.s, 2000));
    t0 = now_ms();
    for (int i = 0; i < 3; i++)
        CALL(store_cmdf(f.s, rec_cb, &x[i + 1], "GET %s", "k"));
    for (int i = 1; i < 4; i++) {
        CHECK(loop_until_ge(f.base, &x[i].calls, 1, 2000));
        CHECK_INT(x[i].status, STORE_ERR);
        CHECK(x[i].at_ms - t0 <= 300 + 200);
    }
    store_stats(f.s, &st);
    CHECK_INT(st.drops, 2);
    CHECK_INT(st.timeouts, 4);
    CHECK_INT(st.inflight, 0);

    /* Resumed: served again by the same store */
    CHECK_INT(kill(f.v.pid, SIGCONT), 0);
    long long t1 = now_ms();
    CHECK(ping_until_ok(&f, 5000));
    CHECK(now_ms() - t1 < 3000);
    struct store_save q = save_req("stop:1", 0, "1|x", 60);
    CHECK_INT(save(&f, &q), STORE_OK);
    for (int i = 0; i < 4; i++)
        CHECK_INT(x[i].calls, 1);
    store_stats(f.s, &st);
    CHECK(st.reconnects >= 1);
out:
    if (f.v.pid > 0)
        kill(f.v.pid, SIGCONT);
    fix_down(&f);
}

static void test_restart(void)
{
    struct fix f;
    struct rec x;
    struct store_stats st;
    struct store_opts o = opts_default();
    o.timeout_ms = 1000;
    o.backoff_min_ms = 20;
    o.backoff_max_ms = 200;
    if (!fix_up(&f, &o))
        goto out;
    CHECK(ping_until_ok(&f, 1000));

    srv_kill(&f.v);
    CHECK(loop_until(f.base, disconnected_cond, f.s, 2000));

    /* While down: every request fails at once (no queueing), never synchronously */
    static struct rec many[100];
    int done = 0;
    long long t0 = now_ms();
    for (int i = 0; i < 100; i++) {
        memset(&many[i], 0, sizeof many[i]);
        CALL(store_cmdf(f.s, rec_cb, &many[i], "GET %s", "k"));
    }
    for (int i = 0; i < 100; i++) {
        loop_until_ge(f.base, &many[i].calls, 1, 1000);
        done += many[i].calls == 1 && many[i].status == STORE_ERR && !many[i].sync &&
                !store_connected(f.s);
    }
    CHECK_INT(done, 100);
    CHECK(now_ms() - t0 < 200);

    /* Restarted on the same port: the store finds it by itself */
    int warn0 = log_warnings;
    CHECK(srv_spawn(&f.v));
    t0 = now_ms();
    CHECK(loop_until(f.base, connected_cond, f.s, 3000));
    CHECK(ping_until_ok(&f, 3000));
    CHECK(now_ms() - t0 < 2000);
    (void)warn0;

    /* The new server has an empty script cache: SCRIPT LOAD at connect refilled it */
    struct store_save q = save_req("rs:1", 0, "1|x", 60);
    CHECK_INT(save(&f, &q), STORE_OK);
    store_stats(f.s, &st);
    CHECK_INT(st.noscript, 0);
    CHECK(st.reconnects >= 1);
    run_cmd(&f, &x, "GET", "rs:1", NULL);
    CHECK_STR(x.str, "1|x");
out:
    fix_down(&f);
}

static void test_starts_before_redis(void)
{
    struct srv v;
    struct event_base *base = event_base_new();
    struct store_opts o = opts_default();
    o.backoff_min_ms = 10;
    o.backoff_max_ms = 100;
    memset(&v, 0, sizeof v);
    snprintf(v.dir, sizeof v.dir, "/tmp/ussdgw-store-XXXXXX");
    CHECK(mkdtemp(v.dir) != NULL);
    snprintf(v.sock, sizeof v.sock, "%s/redis.sock", v.dir);
    v.port = free_port();
    snprintf(v.addr, sizeof v.addr, "127.0.0.1:%d", v.port);
    for (int i = 0; i < MAX_SRV; i++)
        if (!live_srv[i]) {
            live_srv[i] = &v;
            break;
        }

    struct store *s = store_new(base, v.addr, &o);
    CHECK(s != NULL);
    if (!s)
        goto out;
    run_for(base, 50);
    CHECK(!store_connected(s));
    struct rec x;
    memset(&x, 0, sizeof x);
    CALL(store_cmdf(s, rec_cb, &x, "PING"));
    CHECK(loop_until_ge(base, &x.calls, 1, 1000));
    CHECK_INT(x.status, STORE_ERR);

    CHECK(srv_spawn(&v));
    CHECK(loop_until(base, connected_cond, s, 3000));
    memset(&x, 0, sizeof x);
    CALL(store_cmdf(s, rec_cb, &x, "PING"));
    CHECK(loop_until_ge(base, &x.calls, 1, 1000));
    CHECK_INT(x.status, STORE_OK);
    struct store_stats st;
    store_stats(s, &st);
    CHECK_INT(st.connects, 1);
    CHECK_INT(st.reconnects, 0);
out:
    store_free(s);
    event_base_free(base);
    srv_stop(&v);
}

static void test_inflight(void)
{
    struct fix f;
    enum { N = 1000 };
    static struct rec cmds[N];
    static struct lrec loads[N];
    static struct srec saves[N];
    static char keys[N][32];
    if (!fix_up(&f, NULL))
        goto out;

    int n_ok = 0, calls = 0;
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "in:%d", i);
        memset(&cmds[i], 0, sizeof cmds[i]);
        memset(&loads[i], 0, sizeof loads[i]);
        memset(&saves[i], 0, sizeof saves[i]);
    }
    for (int i = 0; i < N; i++) {
        switch (i % 3) {
        case 0:
            CALL(store_cmdf(f.s, rec_cb, &cmds[i], "INCR %s", "in:counter"));
            break;
        case 1: {
            struct store_save q = save_req(keys[i], 0, "1|x", 60);
            q.sms_queue_key = "in:q";
            q.sms[0] = keys[i];
            q.n_sms = 1;
            CALL(store_session_save(f.s, &q, srec_cb, &saves[i]));
            break;
        }
        default:
            CALL(store_session_load(f.s, keys[i - 1], NULL, NULL, NULL, lrec_cb, &loads[i]));
        }
    }
    struct store_stats st;
    store_stats(f.s, &st);
    CHECK_INT(st.inflight, N);
    for (int i = 0; i < N; i++) {
        const int *c = i % 3 == 0 ? &cmds[i].calls : i % 3 == 1 ? &saves[i].calls : &loads[i].calls;
        int status = 0;
        CHECK(loop_until_ge(f.base, c, 1, 5000));
        calls += *c;
        status = i % 3 == 0 ? cmds[i].status : i % 3 == 1 ? saves[i].status : loads[i].status;
        n_ok += status == STORE_OK;
        if (i % 3 == 2) /* issued after its save on the same connection: sees it */
            n_ok -= !(loads[i].have[0] && strcmp(loads[i].v[0], "1|x") == 0);
    }
    CHECK_INT(calls, N);
    CHECK_INT(n_ok, N);
    char buf[32];
    srv_get(&f.v, "in:counter", buf, sizeof buf);
    CHECK_STR(buf, "334");
    CHECK_INT(srv_int(&f.v, "LLEN", "in:q"), 333);
    store_stats(f.s, &st);
    CHECK_INT(st.inflight, 0);
    CHECK_INT(st.errors, 0);

    /* The bound: beyond max_inflight, fail fast */
    struct store_opts o = opts_default();
    o.max_inflight = 10;
    struct store *s2 = store_new(f.base, f.v.addr, &o);
    CHECK(s2 && loop_until(f.base, connected_cond, s2, 3000));
    if (s2) {
        for (int i = 0; i < 25; i++) {
            memset(&cmds[i], 0, sizeof cmds[i]);
            CALL(store_cmdf(s2, rec_cb, &cmds[i], "PING"));
        }
        int ok = 0, err = 0;
        for (int i = 0; i < 25; i++) {
            CHECK(loop_until_ge(f.base, &cmds[i].calls, 1, 3000));
            ok += cmds[i].status == STORE_OK;
            err += cmds[i].status == STORE_ERR && cmds[i].type == 0 && !cmds[i].sync;
        }
        CHECK_INT(ok, 10);
        CHECK_INT(err, 15);
        store_stats(s2, &st);
        CHECK_INT(st.rejected, 15);
        store_free(s2);
    }
out:
    fix_down(&f);
}

/* ---- store_free with requests pending, from everywhere ---- */

struct freer {
    struct store **s;
    struct rec r;
    struct rec after; /* a request made after store_free, from the callback */
    int free_it;
};

static void freer_cb(void *arg, int status, const struct redisReply *reply)
{
    struct freer *x = arg;
    rec_cb(&x->r, status, reply);
    if (x->free_it && *x->s) {
        struct store *s = *x->s;
        store_free(s);
        *x->s = NULL;
        /* after store_free: fails at once (documented exception) */
        store_cmdf(s, rec_cb, &x->after, "PING");
    }
}

static void test_free_pending(void)
{
    struct fix f;
    struct rec r[6];
    struct store_opts o = opts_default();
    if (!fix_up(&f, NULL))
        goto out;

    /* a) store_free right after issuing: each callback once, before it returns */
    struct store *s = store_new(f.base, f.v.addr, &o);
    CHECK(loop_until(f.base, connected_cond, s, 3000));
    memset(r, 0, sizeof r);
    for (int i = 0; i < 5; i++)
        CALL(store_cmdf(s, rec_cb, &r[i], "PING"));
    CALL(store_cmd(s, rec_cb, &r[5], 0, NULL, NULL)); /* a deferred failure */
    store_free(s);
    for (int i = 0; i < 6; i++) {
        CHECK_INT(r[i].calls, 1);
        CHECK_INT(r[i].status, STORE_ERR);
    }
    run_for(f.base, 50);
    for (int i = 0; i < 6; i++)
        CHECK_INT(r[i].calls, 1);

    /* b) from inside a reply callback */
    static struct freer fr[3];
    s = store_new(f.base, f.v.addr, &o);
    CHECK(loop_until(f.base, connected_cond, s, 3000));
    memset(fr, 0, sizeof fr);
    for (int i = 0; i < 3; i++) {
        fr[i].s = &s;
        fr[i].free_it = i == 0;
        CALL(store_cmdf(s, freer_cb, &fr[i], "PING"));
    }
    CHECK(loop_until_ge(f.base, &fr[0].r.calls, 1, 3000));
    CHECK(s == NULL);
    CHECK_INT(fr[0].r.status, STORE_OK);
    CHECK_INT(fr[0].after.calls, 1);
    CHECK_INT(fr[0].after.status, STORE_ERR);
    CHECK_INT(fr[1].r.calls, 1);
    CHECK_INT(fr[1].r.status, STORE_ERR);
    CHECK_INT(fr[2].r.calls, 1);
    run_for(f.base, 50);
    CHECK_INT(fr[1].r.calls + fr[2].r.calls, 2);

    /* c) from inside a timeout callback (Redis stopped) */
    o.timeout_ms = 100;
    s = store_new(f.base, f.v.addr, &o);
    CHECK(loop_until(f.base, connected_cond, s, 3000));
    CHECK(kill(f.v.pid, SIGSTOP) == 0);
    memset(fr, 0, sizeof fr);
    for (int i = 0; i < 3; i++) {
        fr[i].s = &s;
        fr[i].free_it = i == 0;
        CALL(store_cmdf(s, freer_cb, &fr[i], "GET %s", "k"));
    }
    CHECK(loop_until_ge(f.base, &fr[0].r.calls, 1, 3000));
    CHECK(s == NULL);
    CHECK_INT(fr[0].r.status, STORE_ERR);
    CHECK_INT(fr[1].r.calls + fr[2].r.calls, 2);

    /* d) from inside the NULL-reply callbacks of a connection that breaks */
    o.timeout_ms = 5000;
    s = store_new(f.base, f.v.addr, &o);
    CHECK(loop_until(f.base, connected_cond, s, 3000)); /* the kernel accepts */
    memset(fr, 0, sizeof fr);
    for (int i = 0; i < 3; i++) {
        fr[i].s = &s;
        fr[i].free_it = i == 1;
        CALL(store_cmdf(s, freer_cb, &fr[i], "GET %s", "k"));
    }
    run_for(f.base, 20);
    srv_kill(&f.v); /* the stopped server dies: connection reset */
    CHECK(loop_until_ge(f.base, &fr[1].r.calls, 1, 3000));
    CHECK(s == NULL);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(fr[i].r.calls, 1);
        CHECK_INT(fr[i].r.status, STORE_ERR);
    }
    run_for(f.base, 50);
    CHECK_INT(fr[0].r.calls + fr[1].r.calls + fr[2].r.calls, 3);
    store_free(s);
out:
    fix_down(&f);
}

/* A callback may issue the next request (the session step's second round trip). */
struct chain {
    struct store *s;
    int step, status;
};

static void chain_cb(void *arg, int status, const struct redisReply *reply)
{
    struct chain *c = arg;
    (void)reply;
    c->status = status;
    if (status == STORE_OK && ++c->step < 50)
        store_cmdf(c->s, chain_cb, c, "INCR %s", "chain");
}

static void test_chained(void)
{
    struct fix f;
    struct chain c = {NULL, 0, 0};
    if (!fix_up(&f, NULL))
        goto out;
    c.s = f.s;
    store_cmdf(f.s, chain_cb, &c, "INCR %s", "chain");
    CHECK(loop_until_ge(f.base, &c.step, 50, 5000));
    CHECK_INT(c.status, STORE_OK);
    CHECK_INT(srv_int(&f.v, "STRLEN", "chain"), 2);
out:
    fix_down(&f);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_all_servers);
    RUN(test_roundtrip);
    RUN(test_load_absent);
    RUN(test_save_version);
    RUN(test_concurrent_writers);
    RUN(test_ttl);
    RUN(test_extras_atomic);
    RUN(test_noscript);
    RUN(test_eval);
    RUN(test_sigstop);
    RUN(test_restart);
    RUN(test_starts_before_redis);
    RUN(test_inflight);
    RUN(test_free_pending);
    RUN(test_chained);
    return harness_finish();
}
