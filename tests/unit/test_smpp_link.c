/*
 * test_smpp_link.c: an smpp_link against the project's SMSC simulator, ./ussd-phone
 * (USSD_PHONE), started as a child process on a free port with -v: its stderr logs
 * every PDU it reads (`<-`) and writes (`->`), its binds and its lost ESMEs; its stdin
 * is the phone (a dial sends a deliver_sm, `/drop` closes the link, `/throttle N`
 * answers submits ESME_RTHROTTLED); its stdout shows what the phone got. An SMSC that
 * hangs is the simulator stopped (SIGSTOP), one that crashes is it killed, one that
 * restarts is a new one on the same port. What the simulator cannot play is in
 * test_smpp_link_raw.c, which says why.
 *
 * Every wait is a loop on the event loop (or a poll on the simulator's pipes) with a
 * deadline, never a fixed sleep; the deadlines are guards, far above what a step takes.
 */
#include "link_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the simulator ---- */

/* its line for each bind it accepts ("unbound system_id=..." is its line for a loss) */
#define BOUND_LINE "\nbound system_id=ussdgw type=transceiver "

struct sim {
    struct harness_proc p;
    struct event *ev[2];
    int port;
};

static void sim_readable(evutil_socket_t fd, short what, void *arg)
{
    struct sim *s = arg;
    (void)fd, (void)what;
    harness_proc_read(&s->p);
    if (s->p.out < 0 && s->ev[0]) {
        event_free(s->ev[0]);
        s->ev[0] = NULL;
    }
    if (s->p.err < 0 && s->ev[1]) {
        event_free(s->ev[1]);
        s->ev[1] = NULL;
    }
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

/* ./ussd-phone listening on port (0: a free one) as the phone 250788123456, with the
 * extra options (NULL-terminated); once it said "listening on". NULL (a FAIL) when it
 * does not start. */
static struct sim *sim_start(int port, const char *const *extra)
{
    const char *path = getenv("USSD_PHONE");
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    const char *argv[32] = {path && *path ? path : "./ussd-phone", "--listen", listen, "-v", "--enquire-link", "0",
                            "--timeout", "10", "--wait-bind", "30", "--msisdn", "250788123456"};
    int n = 12;
    for (; extra && *extra && n < 31; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    struct sim *s = calloc(1, sizeof *s);
    char err[256];
    if (!s || harness_proc_start(&s->p, (char *const *)argv, err, sizeof err) != 0) {
        harness_fail(__FILE__, __LINE__, "cannot start the SMSC simulator: %s", s ? err : "out of memory");
        free(s);
        return NULL;
    }
    /* it listens within milliseconds; 10 s is a guard for a loaded sanitizer build */
    long at = harness_proc_wait(&s->p, 1, 0, "listening on 127.0.0.1:", 10000);
    if (at < 0) {
        harness_fail(__FILE__, __LINE__, "the simulator did not listen: %.300s",
                     s->p.text[1] ? s->p.text[1] : "(nothing on stderr)");
        harness_proc_free(&s->p);
        free(s);
        return NULL;
    }
    s->port = atoi(s->p.text[1] + at + strlen("listening on 127.0.0.1:"));
    for (int i = 0; i < 2; i++) {
        s->ev[i] = event_new(base, i ? s->p.err : s->p.out, EV_READ | EV_PERSIST, sim_readable, s);
        event_add(s->ev[i], NULL);
    }
    return s;
}

/* End it (sig: SIGTERM unbinds and leaves, SIGKILL is a crash) and check it reported no
 * sanitizer error. Its exit status. */
static int sim_stop(struct sim *s, int sig)
{
    if (!s)
        return -1;
    for (int i = 0; i < 2; i++)
        if (s->ev[i])
            event_free(s->ev[i]);
    int st = harness_proc_end(&s->p, sig, 15000);
    const char *e = s->p.text[1] ? s->p.text[1] : "";
    const char *bad = strstr(e, "AddressSanitizer");
    if (!bad)
        bad = strstr(e, "runtime error:");
    if (!bad)
        bad = strstr(e, "LeakSanitizer");
    if (bad)
        harness_fail(__FILE__, __LINE__, "sanitizer report from ussd-phone: %.200s", bad);
    harness_proc_free(&s->p);
    free(s);
    return st;
}

/* Occurrences of needle on its stderr (the PDU log) / stdout (the phone). */
static int sim_err(const struct sim *s, const char *needle)
{
    return harness_proc_count(&s->p, 1, 0, needle);
}

static int sim_out(const struct sim *s, const char *needle)
{
    return harness_proc_count(&s->p, 0, 0, needle);
}

/* The number after the k-th (from 0) occurrence of prefix on stderr, or 0. */
static unsigned long sim_num(const struct sim *s, const char *prefix, int k)
{
    size_t from = 0, n = strlen(prefix);
    for (const char *t = s->p.text[1]; t;) {
        const char *m = strstr(t + from, prefix);
        if (!m)
            return 0;
        if (k-- == 0)
            return strtoul(m + n, NULL, 10);
        from = (size_t)(m - t) + n;
    }
    return 0;
}

/* r is a response the simulator sent: ESME_ROK with the message id in its log. */
static int sim_took(const struct sim *s, const struct result *r)
{
    char want[160];
    if (r->calls != 1 || r->status != 0 || !r->message_id[0] || strspn(r->message_id, "0123456789") != strlen(r->message_id))
        return 0;
    snprintf(want, sizeof want, " status=ESME_ROK(0x0) message_id=%s\n", r->message_id);
    return sim_err(s, want) == 1;
}

static void sim_say(struct sim *s, const char *line)
{
    char b[256];
    snprintf(b, sizeof b, "%s\n", line);
    if (harness_proc_write(&s->p, b) != 0)
        harness_fail(__FILE__, __LINE__, "cannot write to the simulator's stdin");
}

/* The simulator's PID, to stop (SIGSTOP: a hung SMSC) and continue it. */
static void sim_signal(struct sim *s, int sig)
{
    if (s && s->p.pid)
        kill(s->p.pid, sig);
}

/* A link started against s, and bound (s saw its bind number `esme`). */
static struct smpp_link *bound_link(struct smpp_link_config *c, struct sim *s)
{
    struct smpp_link *l = mk_link(c);
    if (!l)
        return NULL;
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND && sim_err(s, BOUND_LINE) >= 1,
             5000);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    return l;
}

/* ---- tests ---- */

/* The timing bounds here are lower bounds on the link's own timers (a loaded machine
 * only makes them later); measured on the sanitizer build with one or two cores kept
 * busy (4 runs): a timer of 200 ms took 198..203 ms from the call (ms clocks, 10 ms
 * slack), a bind retry 303..355 ms, TPS 20 gaps 50..54 ms, the dead link 1297..1302 ms.
 * The deadlines of the waits are guards, at least 2.5 times what the waits took. */

static void test_bind_ok(void)
{
    const char *opt[] = {"--system-id", "ussdgw", "--password", "pw", NULL};
    struct sim *s = sim_start(0, opt);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    struct smpp_link *l = bound_link(&c, s);
    /* the simulator took the system_id and password it requires */
    CHECK_INT(sim_err(s, "bound system_id=ussdgw type=transceiver esme=1 "), 1);
    CHECK_INT(sim_err(s, "<- cmd=bind_transceiver "), 1);
    CHECK_INT(sim_err(s, "<- cmd=bind_transceiver seq=1 system_id=ussdgw system_type=USSD"), 1);
    CHECK_INT(sim_err(s, "-> cmd=bind_transceiver_resp seq=1 status=ESME_ROK(0x0) system_id=ussd-phone"), 1);
    CHECK_INT(O.nstates, 3);
    CHECK_INT(O.states[0], SMPP_LINK_CONNECTING);
    CHECK_INT(O.states[1], SMPP_LINK_BINDING);
    CHECK_INT(O.states[2], SMPP_LINK_BOUND);
    CHECK(O.logs > 0);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

/* An SMSC that refuses the password twice, then is restarted with the right one. */
static struct sim *refusing;
static int refused_by_it;

static void kill_refusing_at_second(enum smpp_link_state st, const char *reason)
{
    static int rejections;
    if (st != SMPP_LINK_DOWN || strcmp(reason, "bind rejected") != 0)
        return;
    if (++rejections == 2 && refusing) {
        /* inside the link's callback: its retry timer is not even armed yet */
        harness_proc_read(&refusing->p);
        refused_by_it = sim_err(refusing, "refused: ESME_RINVPASWD");
        sim_stop(refusing, SIGKILL);
        refusing = NULL;
    }
}

static void test_bind_rejected_retried_slowly(void)
{
    const char *wrong[] = {"--password", "secret", NULL}, *right[] = {"--password", "pw", NULL};
    refusing = sim_start(0, wrong);
    REQUIRE(refusing != NULL);
    int port = refusing->port;
    struct smpp_link_config c;
    base_cfg(&c, port);
    struct smpp_link *l = mk_link(&c);
    O.state_hook = kill_refusing_at_second;
    smpp_link_start(l);
    WAIT_FOR(refusing == NULL, 5000);
    REQUIRE(refusing == NULL);
    struct sim *s = sim_start(port, right);
    REQUIRE(s != NULL);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 5000);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    CHECK_INT(refused_by_it, 2);
    CHECK_INT(sim_err(s, "bound system_id=ussdgw type=transceiver esme=1 "), 1);
    CHECK_INT(entered(SMPP_LINK_BINDING), 3);
    /* each retry after a rejection waited at least bind_fail_retry_ms (not the 50 ms
     * reconnect back-off) */
    uint64_t prev = 0;
    for (int i = 0; i < O.nstates; i++) {
        if (O.states[i] != SMPP_LINK_BINDING)
            continue;
        if (prev) {
            harness_timing("bind retry after a rejection", (double)(O.state_at[i] - prev), ">= 290, bind_fail_retry_ms 300");
            CHECK(O.state_at[i] - prev >= 290);
        }
        prev = O.state_at[i];
    }
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

static void test_enquire_link_both_ways(void)
{
    const char *opt[] = {"--enquire-link", "1", NULL};
    struct sim *s = sim_start(0, opt);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    c.enquire_link_s = 1;
    struct smpp_link *l = bound_link(&c, s);
    /* the SMSC asks every second, the link every second */
    WAIT_FOR(sim_err(s, "<- cmd=enquire_link_resp ") >= 1 && sim_err(s, "-> cmd=enquire_link_resp ") >= 2, 5000);
    CHECK(sim_err(s, "<- cmd=enquire_link_resp ") >= 1);
    CHECK(sim_err(s, "<- cmd=enquire_link seq=") >= 2);
    CHECK(sim_err(s, "-> cmd=enquire_link_resp ") >= 2);
    /* each answered under its own sequence number */
    char want[96];
    snprintf(want, sizeof want, "<- cmd=enquire_link_resp seq=%lu status=ESME_ROK", sim_num(s, "-> cmd=enquire_link seq=", 0));
    CHECK_INT(sim_err(s, want), 1);
    snprintf(want, sizeof want, "-> cmd=enquire_link_resp seq=%lu status=ESME_ROK", sim_num(s, "<- cmd=enquire_link seq=", 1));
    CHECK_INT(sim_err(s, want), 1);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    CHECK_INT(sim_err(s, BOUND_LINE), 1);
    CHECK_INT(sim_err(s, " connected from "), 1);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

/* An SMSC that hangs: stopped; continued once the link gave up on it. */
static struct sim *hung;
static uint64_t declared_dead_at;

static void continue_when_dead(enum smpp_link_state st, const char *reason)
{
    if (st == SMPP_LINK_DOWN && strcmp(reason, "no enquire_link_resp") == 0 && hung) {
        declared_dead_at = now_ms();
        sim_signal(hung, SIGCONT);
    }
}

static void test_enquire_link_unanswered_reconnects(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    c.enquire_link_s = 1;
    c.response_timeout_ms = 300;
    struct smpp_link *l = bound_link(&c, s);
    hung = s;
    declared_dead_at = 0;
    O.state_hook = continue_when_dead;
    sim_signal(s, SIGSTOP);
    uint64_t t0 = now_ms();
    WAIT_FOR(declared_dead_at && smpp_link_state(l) == SMPP_LINK_BOUND && sim_err(s, BOUND_LINE) == 2, 6000);
    hung = NULL;
    CHECK(declared_dead_at != 0);
    CHECK_INT(sim_err(s, " connected from "), 2);
    CHECK_INT(sim_err(s, BOUND_LINE), 2);
    CHECK_INT(sim_err(s, "bound system_id=ussdgw type=transceiver esme=2 "), 1);
    CHECK_INT(entered(SMPP_LINK_BINDING), 2);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    /* enquire_link after 1 s, declared dead 300 ms later */
    harness_timing("declared dead", (double)(declared_dead_at - t0), ">= 1200: enquire_link after 1 s + 300 ms");
    CHECK(declared_dead_at - t0 >= 1200);
    CHECK_INT(entered(SMPP_LINK_DOWN), 1);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

/* on_deliver: the deliver_sm_resp for this PDU has already reached the simulator. */
static struct sim *watched;
static int resp_was_sent_first;

static void resp_seen_hook(const struct smpp_msg *m)
{
    char want[96];
    snprintf(want, sizeof want, "<- cmd=deliver_sm_resp seq=%u status=ESME_ROK(0x0)", (unsigned)m->sequence);
    /* blocks the link's loop on purpose: only a response already written can arrive */
    if (watched && harness_proc_wait(&watched->p, 1, 0, want, 3000) >= 0)
        resp_was_sent_first++;
}

/* A screen from the link to the simulator's phone, in the dialog of the last deliver_sm. */
static struct result screen(struct smpp_link *l, const char *text, int op, struct sim *s, const char *shown)
{
    struct smpp_msg m;
    struct result r = {0};
    ussd_msg(&m, text);
    m.ussd_service_op = (uint8_t)op;
    m.its_session_info = SMPP_ITS_MAKE(SMPP_ITS_SESSION(O.last_deliver.its_session_info), 0, 0);
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r), 0);
    WAIT_FOR(r.calls == 1 && sim_out(s, shown) >= 1, 5000);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.status, 0);
    CHECK_INT(sim_out(s, shown), 1);
    return r;
}

static void test_deliver_answered_first(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    struct smpp_link *l = bound_link(&c, s);
    watched = s;
    resp_was_sent_first = 0;
    O.deliver_hook = resp_seen_hook;
    sim_say(s, "*123#");
    WAIT_FOR(O.delivers == 1, 5000);
    REQUIRE(O.delivers == 1);
    CHECK_INT(resp_was_sent_first, 1);
    const struct smpp_msg *d = &O.last_deliver;
    CHECK_INT(d->command_id, SMPP_CMD_DELIVER_SM);
    CHECK_STR(d->service_type, "USSD");
    CHECK_STR(d->source_addr, "250788123456");
    CHECK_STR(d->destination_addr, "123");
    CHECK_INT(d->sm_length, 5);
    CHECK(memcmp(d->short_message, "*123#", 5) == 0);
    CHECK_INT(d->ussd_service_op, 1);
    CHECK_INT(d->has_its_session_info, 1);
    CHECK_INT(SMPP_ITS_SEQ(d->its_session_info), 0);
    /* the screen goes back as submit_sm; the simulator answers with its message id */
    struct result r1 = screen(l, "Hello\n1. Yes", 2, s, "1. Yes\n");
    CHECK(sim_took(s, &r1));
    sim_say(s, "1");
    WAIT_FOR(O.delivers == 2, 5000);
    CHECK_INT(O.delivers, 2);
    CHECK_INT(resp_was_sent_first, 2);
    CHECK_INT(O.last_deliver.ussd_service_op, 18);
    CHECK_INT(SMPP_ITS_SEQ(O.last_deliver.its_session_info), 1);
    CHECK_INT(O.last_deliver.sm_length, 1);
    struct result r2 = screen(l, "Bye", 17, s, "[dialog ended]");
    CHECK(sim_took(s, &r2));
    CHECK(strtoull(r2.message_id, NULL, 10) == strtoull(r1.message_id, NULL, 10) + 1);
    CHECK_INT(sim_err(s, "<- cmd=deliver_sm_resp "), 2);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

static void test_submit_ok_and_throttled(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    struct smpp_link *l = bound_link(&c, s);
    struct smpp_msg m;
    ussd_msg(&m, "1. Yes 2. No");
    struct result r1 = {0}, r2 = {0}, r3 = {0};
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r1), 0);
    CHECK_INT(r1.calls, 0); /* never from inside submit */
    WAIT_FOR(r1.calls, 2000);
    CHECK_INT(r1.calls, 1);
    CHECK_INT(r1.status, 0);
    CHECK(sim_took(s, &r1));
    /* the phone was idle: the gateway opens a dialog on it */
    WAIT_FOR(sim_out(s, "1. Yes 2. No"), 2000);
    CHECK_INT(sim_out(s, "[network-initiated USSD]\n"), 1);
    CHECK_INT(sim_out(s, "1. Yes 2. No"), 1);
    /* throttled once: paused, then resent with a new sequence */
    sim_say(s, "/throttle 1");
    WAIT_FOR(sim_out(s, "[the next 1 submit_sm/data_sm answered ESME_RTHROTTLED]"), 2000);
    REQUIRE(sim_out(s, "[the next 1 submit_sm/data_sm answered ESME_RTHROTTLED]") == 1);
    int before = sim_err(s, "<- cmd=submit_sm ");
    uint64_t t0 = now_ms();
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r2), 0);
    WAIT_FOR(r2.calls, 3000);
    CHECK_INT(r2.calls, 1);
    CHECK_INT(r2.status, 0);
    CHECK_INT(sim_err(s, "<- cmd=submit_sm "), before + 2);
    CHECK_INT(sim_err(s, "throttled (0 more to throttle)"), 1);
    harness_timing("throttled submit taken", (double)(now_ms() - t0), ">= 190: throttle_pause_ms 200");
    CHECK(now_ms() - t0 >= 190);
    CHECK(sim_num(s, "<- cmd=submit_sm seq=", before) != sim_num(s, "<- cmd=submit_sm seq=", before + 1));
    /* fail fast: the USSD reply gets the status at once */
    sim_say(s, "/throttle 1");
    WAIT_FOR(sim_out(s, "[the next 1 submit_sm/data_sm answered ESME_RTHROTTLED]") == 2, 2000);
    REQUIRE(sim_out(s, "[the next 1 submit_sm/data_sm answered ESME_RTHROTTLED]") == 2);
    CHECK_INT(smpp_link_submit(l, &m, SMPP_FAIL_FAST, resp_cb, &r3), 0);
    WAIT_FOR(r3.calls, 2000);
    CHECK_INT(r3.calls, 1);
    CHECK_INT(r3.status, SMPP_ESME_RTHROTTLED);
    /* bad requests are refused synchronously */
    struct smpp_msg bad = m;
    bad.command_id = SMPP_CMD_DELIVER_SM;
    CHECK_INT(smpp_link_submit(l, &bad, 0, resp_cb, &r3), SMPP_LOCAL_ENCODE);
    bad = m;
    bad.sm_length = 254;
    CHECK_INT(smpp_link_submit(l, &bad, 0, resp_cb, &r3), SMPP_LOCAL_ENCODE);
    CHECK_INT(r3.calls, 1);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

static void test_response_timeout(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    c.response_timeout_ms = 200;
    struct smpp_link *l = bound_link(&c, s);
    sim_signal(s, SIGSTOP); /* it reads and answers nothing */
    struct smpp_msg m;
    ussd_msg(&m, "hello");
    struct result r = {0};
    uint64_t t0 = now_ms();
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r), 0);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.status, SMPP_LOCAL_TIMEOUT);
    harness_timing("response timeout", (double)(now_ms() - t0), ">= 190: response_timeout_ms 200");
    CHECK(now_ms() - t0 >= 190);
    CHECK_INT(smpp_link_outstanding(l), 0);
    /* the late response matches nothing: logged and dropped */
    sim_signal(s, SIGCONT);
    WAIT_FOR(O.unmatched == 1, 3000);
    CHECK_INT(O.unmatched, 1);
    CHECK_INT(sim_err(s, "-> cmd=submit_sm_resp "), 1);
    CHECK_INT(r.calls, 1);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

static void test_sequence_wrap(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    struct smpp_link *l = bound_link(&c, s);
    smpp_link_set_next_sequence(l, 0x7FFFFFFE);
    struct smpp_msg m;
    ussd_msg(&m, "s");
    struct result r[3];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 3; i++)
        CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r[i]), 0);
    WAIT_FOR(r[2].calls, 2000);
    CHECK_INT(sim_err(s, "<- cmd=submit_sm "), 3);
    CHECK_INT(sim_num(s, "<- cmd=submit_sm seq=", 0), 0x7FFFFFFE);
    CHECK_INT(sim_num(s, "<- cmd=submit_sm seq=", 1), 0x7FFFFFFF);
    CHECK_INT(sim_num(s, "<- cmd=submit_sm seq=", 2), 1);
    for (int i = 0; i < 3; i++)
        CHECK_INT(r[i].status, 0);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

/* A submit made while the link is down (from on_state): refused at once. */
static struct smpp_link *down_link;
static uint32_t down_submit_rc;
static struct result down_r;

static void submit_when_down(enum smpp_link_state st, const char *reason)
{
    (void)reason;
    if (st == SMPP_LINK_DOWN && down_link && !down_submit_rc) {
        struct smpp_msg m;
        ussd_msg(&m, "c");
        down_submit_rc = smpp_link_submit(down_link, &m, 0, resp_cb, &down_r);
    }
}

static void test_peer_close_rebinds(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    struct smpp_link *l = bound_link(&c, s);
    sim_say(s, "*123#");
    WAIT_FOR(O.delivers == 1, 5000);
    REQUIRE(O.delivers == 1);
    screen(l, "Closed today.", 17, s, "[dialog ended]");
    down_link = l;
    down_submit_rc = 0;
    memset(&down_r, 0, sizeof down_r);
    O.state_hook = submit_when_down;
    sim_say(s, "/drop"); /* the connection the dial came on, closed as a broken link */
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND && sim_err(s, BOUND_LINE) == 2, 5000);
    down_link = NULL;
    CHECK_INT(sim_err(s, "unbound system_id=ussdgw esme=1 reason=dropped"), 1);
    CHECK_INT(sim_err(s, " connected from "), 2);
    CHECK_INT(sim_err(s, BOUND_LINE), 2);
    CHECK_INT(sim_err(s, "bound system_id=ussdgw type=transceiver esme=2 "), 1);
    CHECK_INT(down_submit_rc, SMPP_LOCAL_LINK_DOWN);
    CHECK_INT(down_r.calls, 0);
    CHECK_INT(entered(SMPP_LINK_BINDING), 2);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

/* The SMSC crashes with a submit outstanding: it fails LINK_DOWN; the link binds to the
 * SMSC that comes back on the same port. */
static void test_peer_crash_fails_pending_and_rebinds(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    int port = s->port;
    struct smpp_link_config c;
    base_cfg(&c, port);
    c.response_timeout_ms = 5000;
    struct smpp_link *l = bound_link(&c, s);
    sim_signal(s, SIGSTOP); /* the submit stays unanswered */
    struct smpp_msg m;
    ussd_msg(&m, "c");
    struct result r = {0};
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r), 0);
    WAIT_FOR(O.submits_sent == 1, 1000);
    CHECK_INT(O.submits_sent, 1);
    sim_stop(s, SIGKILL);
    WAIT_FOR(r.calls == 1, 2000);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.status, SMPP_LOCAL_LINK_DOWN);
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r), SMPP_LOCAL_LINK_DOWN);
    s = sim_start(port, NULL);
    REQUIRE(s != NULL);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 5000);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    CHECK_INT(sim_err(s, "bound system_id=ussdgw type=transceiver esme=1 "), 1);
    CHECK_INT(entered(SMPP_LINK_BINDING), 2);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

/* The SMSC shuts down (SIGTERM: it unbinds every ESME); the link answers, then binds to
 * the one that comes back on the same port. */
static void test_peer_unbind(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    int port = s->port;
    struct smpp_link_config c;
    base_cfg(&c, port);
    struct smpp_link *l = bound_link(&c, s);
    sim_signal(s, SIGTERM);
    /* its stderr closes when it has exited */
    WAIT_FOR(s->p.err < 0 && entered(SMPP_LINK_DOWN) >= 1, 5000);
    CHECK(s->p.err < 0);
    CHECK_INT(sim_err(s, "-> cmd=unbind "), 1);
    char want[96];
    snprintf(want, sizeof want, "<- cmd=unbind_resp seq=%lu status=ESME_ROK", sim_num(s, "-> cmd=unbind seq=", 0));
    CHECK_INT(sim_err(s, want), 1);
    CHECK_INT(sim_stop(s, 0), 130);
    s = sim_start(port, NULL);
    REQUIRE(s != NULL);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 5000);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    CHECK_INT(sim_err(s, "bound system_id=ussdgw type=transceiver esme=1 "), 1);
    CHECK_INT(entered(SMPP_LINK_BINDING), 2);
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

static void test_tps_cap(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    c.tps = 20;
    c.window = 50;
    struct smpp_link *l = bound_link(&c, s);
    struct smpp_msg m;
    ussd_msg(&m, "t");
    struct result r[8];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 8; i++)
        CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r[i]), 0);
    WAIT_FOR(r[7].calls, 3000);
    CHECK_INT(sim_err(s, "<- cmd=submit_sm "), 8);
    for (int i = 0; i < 8; i++)
        CHECK_INT(r[i].status, 0);
    /* 20 per second: at least 50 ms between two sends (the link's own send times; a
     * little slack for timers) */
    CHECK_INT(O.submits_sent, 8);
    for (int i = 1; i < 8 && i < O.submits_sent; i++) {
        harness_timing("between two sends", (double)(O.submit_sent_at[i] - O.submit_sent_at[i - 1]), ">= 45: tps 20");
        CHECK(O.submit_sent_at[i] - O.submit_sent_at[i - 1] >= 45);
    }
    smpp_link_free(l);
    sim_stop(s, SIGTERM);
}

static void test_connect_refused_backoff(void)
{
    int port = free_port(); /* nobody listens there */
    REQUIRE(port > 0);
    struct smpp_link_config c;
    base_cfg(&c, port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    /* an observation window, not a synchronisation: how often it tries in 700 ms */
    WAIT_FOR(0, 700);
    int attempts = entered(SMPP_LINK_CONNECTING);
    /* 50 ms doubling to 200 ms: a handful of tries, not a tight loop */
    CHECK(attempts >= 2);
    CHECK(attempts <= 8);
    smpp_link_free(l);
}

static void test_free_with_pending(void)
{
    struct sim *s = sim_start(0, NULL);
    REQUIRE(s != NULL);
    struct smpp_link_config c;
    base_cfg(&c, s->port);
    struct smpp_link *l = bound_link(&c, s);
    sim_signal(s, SIGSTOP); /* the submit stays pending */
    struct smpp_msg m;
    ussd_msg(&m, "p");
    struct result r = {0};
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r), 0);
    smpp_link_free(l);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.status, SMPP_LOCAL_LINK_DOWN);
    smpp_link_free(NULL);
    /* bad configs are refused with a reason */
    char err[128] = "";
    c.system_id = "a-system-id-that-is-too-long";
    CHECK(smpp_link_new(base, &c, NULL, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "system_id") != NULL);
    base_cfg(&c, s->port);
    c.addr_ton = 9; /* not a TON the bind can carry */
    CHECK(smpp_link_new(base, &c, NULL, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "TON") != NULL);
    sim_stop(s, SIGTERM);
}

/* unbind on a link that is not bound: it just stops, done comes from the loop */
static void test_unbind_when_down(void)
{
    int port = free_port();
    REQUIRE(port > 0);
    struct smpp_link_config c;
    base_cfg(&c, port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    unbind_done_calls = 0;
    CHECK_INT(smpp_link_unbind(l, unbind_done, NULL), 0);
    CHECK_INT(unbind_done_calls, 0);
    WAIT_FOR(unbind_done_calls == 1, 1000);
    CHECK_INT(unbind_done_calls, 1);
    int n = O.nstates;
    /* an observation window: a reconnect would come within reconnect_max_ms (200) */
    WAIT_FOR(O.nstates > n, 300);
    CHECK_INT(O.nstates, n); /* no reconnect attempts any more */
    CHECK_INT(smpp_link_state(l), SMPP_LINK_DOWN);
    smpp_link_free(l);
}

int main(void)
{
    base = event_base_new();
    struct event *ticker = event_new(base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 5000};
    event_add(ticker, &tv);
    RUN(test_bind_ok);
    RUN(test_bind_rejected_retried_slowly);
    RUN(test_enquire_link_both_ways);
    RUN(test_enquire_link_unanswered_reconnects);
    RUN(test_deliver_answered_first);
    RUN(test_submit_ok_and_throttled);
    RUN(test_response_timeout);
    RUN(test_sequence_wrap);
    RUN(test_peer_close_rebinds);
    RUN(test_peer_crash_fails_pending_and_rebinds);
    RUN(test_peer_unbind);
    RUN(test_tps_cap);
    RUN(test_connect_refused_backoff);
    RUN(test_free_with_pending);
    RUN(test_unbind_when_down);
    event_free(ticker);
    event_base_free(base);
    return harness_finish();
}
