/*
 * test_smpp_link.c: an smpp_link against an in-process fake SMSC (plain sockets on the
 * same libevent loop). Every wait is a loop with a deadline, never a fixed sleep.
 */
#include "harness.h"
#include "smpp_link.h"
#include "smpp_pdu.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

static struct event_base *base;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Run the loop until cond holds or ms pass. A 5 ms ticker keeps EVLOOP_ONCE returning. */
#define WAIT_FOR(cond, ms) do { uint64_t dl_ = now_ms() + (ms); \
    while (!(cond) && now_ms() < dl_) event_base_loop(base, EVLOOP_ONCE); } while (0)

/* ---- the fake SMSC ---- */

#define MAX_HELD 64
#define MAX_LOG 64

struct fake {
    int lfd, cfd, port;
    struct event *ev_accept, *ev_conn;
    uint8_t buf[70000];
    size_t have;
    /* behaviour */
    int reject_binds;      /* reject this many binds (ESME_RBINDFAIL) first */
    int answer_enquire;    /* answer enquire_link */
    int hold_submits;      /* do not answer submits; keep their sequences */
    int throttle_submits;  /* answer this many submits with ESME_RTHROTTLED first */
    /* what it saw */
    int accepts, binds, enquires, submits, unbinds, nacks;
    uint64_t bind_at[MAX_LOG], submit_at[MAX_LOG];
    uint32_t submit_seq[MAX_LOG];
    uint32_t held[MAX_HELD];
    int nheld;
    struct smpp_msg last_bind, last_resp; /* last response the link sent us */
    int resps;
    uint32_t next_seq;
    int msg_ids;
};

static void fake_send(struct fake *f, const struct smpp_msg *m)
{
    uint8_t b[SMPP_ENCODE_CAP];
    size_t n = 0;
    char err[128];
    if (f->cfd < 0)
        return;
    if (smpp_pdu_encode(m, b, sizeof(b), &n, err, sizeof(err)) != 0) {
        harness_fail(__FILE__, __LINE__, "fake encode: %s", err);
        return;
    }
    if (send(f->cfd, b, n, MSG_NOSIGNAL) != (ssize_t)n)
        harness_fail(__FILE__, __LINE__, "fake send failed");
}

static void fake_send_raw(struct fake *f, const void *b, size_t n)
{
    if (f->cfd >= 0 && send(f->cfd, b, n, MSG_NOSIGNAL) != (ssize_t)n)
        harness_fail(__FILE__, __LINE__, "fake raw send failed");
}

static void fake_resp(struct fake *f, uint32_t cmd, uint32_t status, uint32_t seq)
{
    struct smpp_msg r;
    smpp_msg_init(&r, cmd);
    r.command_status = status;
    r.sequence = seq;
    if (cmd == SMPP_CMD_BIND_TRANSCEIVER_RESP)
        snprintf(r.system_id, sizeof(r.system_id), "FAKE");
    if ((cmd == SMPP_CMD_SUBMIT_SM_RESP || cmd == SMPP_CMD_DATA_SM_RESP) && !status)
        snprintf(r.message_id, sizeof(r.message_id), "m%d", ++f->msg_ids);
    fake_send(f, &r);
}

static void fake_drop_conn(struct fake *f)
{
    if (f->ev_conn)
        event_free(f->ev_conn);
    f->ev_conn = NULL;
    if (f->cfd >= 0)
        close(f->cfd);
    f->cfd = -1;
    f->have = 0;
}

static void fake_handle(struct fake *f, const uint8_t *p, size_t n)
{
    struct smpp_msg m;
    char err[128];
    if (smpp_pdu_check(p, n, NULL) != 0 || smpp_pdu_decode(p, n, &m, err, sizeof(err)) != 0) {
        harness_fail(__FILE__, __LINE__, "fake got a bad PDU from the link");
        return;
    }
    switch (m.command_id) {
    case SMPP_CMD_BIND_TRANSCEIVER:
        if (f->binds < MAX_LOG)
            f->bind_at[f->binds] = now_ms();
        f->binds++;
        f->last_bind = m;
        if (f->reject_binds > 0) {
            f->reject_binds--;
            fake_resp(f, SMPP_CMD_BIND_TRANSCEIVER_RESP, SMPP_ESME_RBINDFAIL, m.sequence);
        } else {
            fake_resp(f, SMPP_CMD_BIND_TRANSCEIVER_RESP, 0, m.sequence);
        }
        break;
    case SMPP_CMD_ENQUIRE_LINK:
        f->enquires++;
        if (f->answer_enquire)
            fake_resp(f, SMPP_CMD_ENQUIRE_LINK_RESP, 0, m.sequence);
        break;
    case SMPP_CMD_SUBMIT_SM:
    case SMPP_CMD_DATA_SM:
        if (f->submits < MAX_LOG) {
            f->submit_at[f->submits] = now_ms();
            f->submit_seq[f->submits] = m.sequence;
        }
        f->submits++;
        if (f->throttle_submits > 0) {
            f->throttle_submits--;
            fake_resp(f, m.command_id | SMPP_CMD_RESP_BIT, SMPP_ESME_RTHROTTLED, m.sequence);
        } else if (f->hold_submits) {
            if (f->nheld < MAX_HELD)
                f->held[f->nheld++] = m.sequence;
        } else {
            fake_resp(f, m.command_id | SMPP_CMD_RESP_BIT, 0, m.sequence);
        }
        break;
    case SMPP_CMD_UNBIND:
        f->unbinds++;
        fake_resp(f, SMPP_CMD_UNBIND_RESP, 0, m.sequence);
        break;
    case SMPP_CMD_GENERIC_NACK:
        f->nacks++;
        f->last_resp = m;
        break;
    default:
        if (m.command_id & SMPP_CMD_RESP_BIT) {
            f->resps++;
            f->last_resp = m;
        }
        break;
    }
}

static void fake_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct fake *f = arg;
    (void)what;
    ssize_t r = recv(fd, f->buf + f->have, sizeof(f->buf) - f->have, 0);
    if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        fake_drop_conn(f);
        return;
    }
    f->have += (size_t)r;
    size_t plen;
    while (f->cfd >= 0 && smpp_pdu_frame(f->buf, f->have, &plen) == SMPP_FRAME_COMPLETE) {
        fake_handle(f, f->buf, plen);
        if (f->cfd < 0)
            break;
        memmove(f->buf, f->buf + plen, f->have - plen);
        f->have -= plen;
    }
}

static void fake_accept_cb(evutil_socket_t fd, short what, void *arg)
{
    struct fake *f = arg;
    (void)what;
    int c = accept(fd, NULL, NULL);
    if (c < 0)
        return;
    fake_drop_conn(f); /* one connection at a time: the newest wins */
    fcntl(c, F_SETFL, O_NONBLOCK);
    f->cfd = c;
    f->accepts++;
    f->ev_conn = event_new(base, c, EV_READ | EV_PERSIST, fake_read_cb, f);
    event_add(f->ev_conn, NULL);
}

static struct fake *fake_new(void)
{
    struct fake *f = calloc(1, sizeof(*f));
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    f->cfd = -1;
    f->answer_enquire = 1;
    f->next_seq = 1000;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(f->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(f->lfd, 8) != 0)
        harness_fail(__FILE__, __LINE__, "fake: cannot listen");
    getsockname(f->lfd, (struct sockaddr *)&a, &al);
    f->port = ntohs(a.sin_port);
    fcntl(f->lfd, F_SETFL, O_NONBLOCK);
    f->ev_accept = event_new(base, f->lfd, EV_READ | EV_PERSIST, fake_accept_cb, f);
    event_add(f->ev_accept, NULL);
    return f;
}

static void fake_free(struct fake *f)
{
    fake_drop_conn(f);
    event_free(f->ev_accept);
    close(f->lfd);
    free(f);
}

/* Answer every held submit. */
static void fake_release(struct fake *f)
{
    for (int i = 0; i < f->nheld; i++)
        fake_resp(f, SMPP_CMD_SUBMIT_SM_RESP, 0, f->held[i]);
    f->nheld = 0;
}

/* ---- the link side ---- */

struct obs {
    enum smpp_link_state states[64];
    int nstates;
    int delivers;
    struct smpp_msg last_deliver;
    int resp_was_sent_first; /* deliver_sm_resp already readable when on_deliver ran */
    struct fake *peek;       /* fake whose socket on_deliver peeks at */
    int free_in_deliver;
    struct smpp_link *link;
    int logs;
};

static struct obs O;

static void on_state(void *arg, enum smpp_link_state st, const char *reason)
{
    struct obs *o = arg;
    (void)reason;
    if (o->nstates < 64)
        o->states[o->nstates++] = st;
}

static void on_deliver(void *arg, const struct smpp_msg *m)
{
    struct obs *o = arg;
    o->delivers++;
    o->last_deliver = *m;
    if (o->peek && o->peek->cfd >= 0) {
        uint8_t b[64];
        ssize_t r = recv(o->peek->cfd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
        /* the 17-octet deliver_sm_resp for this very sequence */
        if (r >= 17 && b[7] == 0x05 && b[4] == 0x80 && (uint32_t)(b[12] << 24 | b[13] << 16 | b[14] << 8 | b[15]) ==
                                                       m->sequence)
            o->resp_was_sent_first = 1;
    }
    if (o->free_in_deliver) {
        smpp_link_free(o->link);
        o->link = NULL;
    }
}

static void on_log(void *arg, enum smpp_log_level lvl, const char *msg)
{
    struct obs *o = arg;
    o->logs++;
    if (getenv("SMPP_TEST_LOG"))
        fprintf(stderr, "[%d] %s\n", (int)lvl, msg);
}

struct result {
    int calls;
    uint32_t status;
    char message_id[65];
};

static void resp_cb(void *arg, uint32_t status, const struct smpp_msg *resp)
{
    struct result *r = arg;
    r->calls++;
    r->status = status;
    if (resp)
        snprintf(r->message_id, sizeof(r->message_id), "%s", resp->message_id);
}

static void base_cfg(struct smpp_link_config *c, int port)
{
    smpp_link_config_defaults(c);
    c->name = "test";
    c->host = "127.0.0.1";
    c->port = port;
    c->system_id = "ussdgw";
    c->password = "pw";
    c->system_type = "USSD";
    c->reconnect_min_ms = 50;
    c->reconnect_max_ms = 200;
    c->bind_fail_retry_ms = 300;
    c->response_timeout_ms = 1000;
    c->throttle_pause_ms = 200;
    c->tps = 0;
}

static struct smpp_link *mk_link(const struct smpp_link_config *c)
{
    struct smpp_link_callbacks cb = {on_deliver, on_state, on_log, &O};
    char err[128];
    memset(&O, 0, sizeof(O));
    struct smpp_link *l = smpp_link_new(base, c, &cb, err, sizeof(err));
    if (!l)
        harness_fail(__FILE__, __LINE__, "smpp_link_new: %s", err);
    O.link = l;
    return l;
}

static void ussd_msg(struct smpp_msg *m, const char *text)
{
    smpp_msg_init(m, SMPP_CMD_SUBMIT_SM);
    snprintf(m->service_type, sizeof(m->service_type), "USSD");
    snprintf(m->source_addr, sizeof(m->source_addr), "123");
    snprintf(m->destination_addr, sizeof(m->destination_addr), "250788123456");
    m->sm_length = (uint8_t)strlen(text);
    memcpy(m->short_message, text, m->sm_length);
    m->has_ussd_service_op = 1;
    m->ussd_service_op = 2;
    m->has_its_session_info = 1;
    m->its_session_info = SMPP_ITS_MAKE(7, 1, 0);
}

/* ---- tests ---- */

static void test_bind_ok(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    CHECK_INT(f->binds, 1);
    CHECK_STR(f->last_bind.system_id, "ussdgw");
    CHECK_STR(f->last_bind.password, "pw");
    CHECK_STR(f->last_bind.system_type, "USSD");
    CHECK_INT(f->last_bind.interface_version, 0x34);
    CHECK_INT(O.nstates, 3);
    CHECK_INT(O.states[0], SMPP_LINK_CONNECTING);
    CHECK_INT(O.states[1], SMPP_LINK_BINDING);
    CHECK_INT(O.states[2], SMPP_LINK_BOUND);
    CHECK(O.logs > 0);
    smpp_link_free(l);
    fake_free(f);
}

static void test_bind_rejected_retried_slowly(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    f->reject_binds = 2;
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 3000);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    CHECK_INT(f->binds, 3);
    /* each retry after a rejection waited at least bind_fail_retry_ms (not the 50 ms
     * reconnect back-off) */
    for (int i = 1; i < f->binds && i < MAX_LOG; i++)
        CHECK(f->bind_at[i] - f->bind_at[i - 1] >= 290);
    smpp_link_free(l);
    fake_free(f);
}

static void test_enquire_link_both_ways(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    c.enquire_link_s = 1;
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    /* the SMSC asks */
    struct smpp_msg m;
    smpp_msg_init(&m, SMPP_CMD_ENQUIRE_LINK);
    m.sequence = 4242;
    fake_send(f, &m);
    WAIT_FOR(f->resps > 0, 1000);
    CHECK_INT(f->last_resp.command_id, SMPP_CMD_ENQUIRE_LINK_RESP);
    CHECK_INT(f->last_resp.sequence, 4242);
    /* the link asks, every second */
    WAIT_FOR(f->enquires >= 2, 3000);
    CHECK(f->enquires >= 2);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    CHECK_INT(f->accepts, 1);
    smpp_link_free(l);
    fake_free(f);
}

static void test_enquire_link_unanswered_reconnects(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    c.enquire_link_s = 1;
    c.response_timeout_ms = 300;
    f->answer_enquire = 0;
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    uint64_t t0 = now_ms();
    WAIT_FOR(f->accepts >= 2 && smpp_link_state(l) == SMPP_LINK_BOUND, 4000);
    CHECK_INT(f->accepts, 2);
    CHECK_INT(f->binds, 2);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    /* enquire_link after 1 s, declared dead 300 ms later */
    CHECK(now_ms() - t0 >= 1200);
    int downs = 0;
    for (int i = 0; i < O.nstates; i++)
        downs += O.states[i] == SMPP_LINK_DOWN;
    CHECK_INT(downs, 1);
    smpp_link_free(l);
    fake_free(f);
}

static void test_deliver_answered_first(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    O.peek = f;
    struct smpp_msg m;
    smpp_msg_init(&m, SMPP_CMD_DELIVER_SM);
    m.sequence = 77;
    snprintf(m.service_type, sizeof(m.service_type), "USSD");
    snprintf(m.source_addr, sizeof(m.source_addr), "250788123456");
    snprintf(m.destination_addr, sizeof(m.destination_addr), "*123#");
    memcpy(m.short_message, "*123#", 5);
    m.sm_length = 5;
    m.has_ussd_service_op = 1;
    m.ussd_service_op = 1;
    m.has_its_session_info = 1;
    m.its_session_info = SMPP_ITS_MAKE(9, 0, 0);
    fake_send(f, &m);
    WAIT_FOR(O.delivers == 1 && f->resps == 1, 2000);
    CHECK_INT(O.delivers, 1);
    CHECK_INT(O.resp_was_sent_first, 1);
    CHECK_STR(O.last_deliver.source_addr, "250788123456");
    CHECK_INT(O.last_deliver.ussd_service_op, 1);
    CHECK_INT(SMPP_ITS_SESSION(O.last_deliver.its_session_info), 9);
    CHECK_INT(f->last_resp.command_id, SMPP_CMD_DELIVER_SM_RESP);
    CHECK_INT(f->last_resp.command_status, 0);
    CHECK_INT(f->last_resp.sequence, 77);
    /* data_sm too */
    smpp_msg_init(&m, SMPP_CMD_DATA_SM);
    m.sequence = 78;
    snprintf(m.source_addr, sizeof(m.source_addr), "250788000000");
    m.has_message_payload = 1;
    m.message_payload_len = 3;
    memcpy(m.message_payload, "abc", 3);
    fake_send(f, &m);
    WAIT_FOR(O.delivers == 2 && f->resps == 2, 2000);
    CHECK_INT(f->last_resp.command_id, SMPP_CMD_DATA_SM_RESP);
    CHECK_INT(f->last_resp.sequence, 78);
    CHECK_INT(O.last_deliver.message_payload_len, 3);
    smpp_link_free(l);
    fake_free(f);
}

static void test_submit_ok_and_throttled(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    struct smpp_msg m;
    ussd_msg(&m, "1. Yes 2. No");
    struct result r1 = {0}, r2 = {0}, r3 = {0};
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r1), 0);
    CHECK_INT(r1.calls, 0); /* never from inside submit */
    WAIT_FOR(r1.calls, 2000);
    CHECK_INT(r1.calls, 1);
    CHECK_INT(r1.status, 0);
    CHECK_STR(r1.message_id, "m1");
    /* throttled once: paused, then resent with a new sequence */
    f->throttle_submits = 1;
    int before = f->submits;
    uint64_t t0 = now_ms();
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r2), 0);
    WAIT_FOR(r2.calls, 3000);
    CHECK_INT(r2.calls, 1);
    CHECK_INT(r2.status, 0);
    CHECK_INT(f->submits, before + 2);
    CHECK(now_ms() - t0 >= 190);
    CHECK(f->submit_seq[before] != f->submit_seq[before + 1]);
    /* fail fast: the USSD reply gets the status at once */
    f->throttle_submits = 1;
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
    fake_free(f);
}

static void test_response_timeout(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    c.response_timeout_ms = 200;
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    f->hold_submits = 1;
    struct smpp_msg m;
    ussd_msg(&m, "hello");
    struct result r = {0};
    uint64_t t0 = now_ms();
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r), 0);
    WAIT_FOR(r.calls, 2000);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.status, SMPP_LOCAL_TIMEOUT);
    CHECK(now_ms() - t0 >= 190);
    CHECK_INT(smpp_link_outstanding(l), 0);
    /* the late response matches nothing: logged and dropped */
    fake_release(f);
    WAIT_FOR(0, 100);
    CHECK_INT(r.calls, 1);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    smpp_link_free(l);
    fake_free(f);
}

static void test_window_limit(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    c.window = 3;
    c.queue_max = 2;
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    f->hold_submits = 1;
    struct smpp_msg m;
    ussd_msg(&m, "w");
    struct result r[6];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 5; i++)
        CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r[i]), 0);
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r[5]), SMPP_LOCAL_QUEUE_FULL);
    CHECK_INT(smpp_link_outstanding(l), 3);
    CHECK_INT(smpp_link_queued(l), 2);
    WAIT_FOR(f->submits == 3, 1000);
    WAIT_FOR(f->submits > 3, 100);
    CHECK_INT(f->submits, 3);
    f->hold_submits = 0;
    fake_release(f);
    WAIT_FOR(r[4].calls == 1, 2000);
    for (int i = 0; i < 5; i++) {
        CHECK_INT(r[i].calls, 1);
        CHECK_INT(r[i].status, 0);
    }
    CHECK_INT(r[5].calls, 0);
    CHECK_INT(f->submits, 5);
    smpp_link_free(l);
    fake_free(f);
}

static void test_sequence_wrap(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    smpp_link_set_next_sequence(l, 0x7FFFFFFE);
    struct smpp_msg m;
    ussd_msg(&m, "s");
    struct result r[3];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 3; i++)
        CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r[i]), 0);
    WAIT_FOR(r[2].calls, 2000);
    CHECK_INT(f->submits, 3);
    CHECK_INT(f->submit_seq[0], 0x7FFFFFFE);
    CHECK_INT(f->submit_seq[1], 0x7FFFFFFF);
    CHECK_INT(f->submit_seq[2], 1);
    for (int i = 0; i < 3; i++)
        CHECK_INT(r[i].status, 0);
    smpp_link_free(l);
    fake_free(f);
}

static void test_peer_close_rebinds(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    f->hold_submits = 1;
    struct smpp_msg m;
    ussd_msg(&m, "c");
    struct result r = {0};
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r), 0);
    WAIT_FOR(f->submits == 1, 1000);
    fake_drop_conn(f);
    WAIT_FOR(r.calls == 1, 2000);
    CHECK_INT(r.status, SMPP_LOCAL_LINK_DOWN);
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r), SMPP_LOCAL_LINK_DOWN);
    WAIT_FOR(f->accepts == 2 && smpp_link_state(l) == SMPP_LINK_BOUND, 3000);
    CHECK_INT(f->binds, 2);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    smpp_link_free(l);
    fake_free(f);
}

static void test_peer_unbind(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    struct smpp_msg m;
    smpp_msg_init(&m, SMPP_CMD_UNBIND);
    m.sequence = 555;
    fake_send(f, &m);
    WAIT_FOR(f->resps == 1, 1000);
    CHECK_INT(f->last_resp.command_id, SMPP_CMD_UNBIND_RESP);
    CHECK_INT(f->last_resp.sequence, 555);
    WAIT_FOR(f->accepts == 2 && smpp_link_state(l) == SMPP_LINK_BOUND, 3000);
    CHECK_INT(f->accepts, 2);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    smpp_link_free(l);
    fake_free(f);
}

static void test_malformed_input(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    /* unknown command id -> generic_nack ESME_RINVCMDID, same sequence */
    static const uint8_t unknown[16] = {0, 0, 0, 16, 0, 0, 0x77, 0x77, 0, 0, 0, 0, 0, 0, 0, 9};
    fake_send_raw(f, unknown, sizeof(unknown));
    WAIT_FOR(f->nacks == 1, 1000);
    CHECK_INT(f->nacks, 1);
    CHECK_INT(f->last_resp.command_status, SMPP_ESME_RINVCMDID);
    CHECK_INT(f->last_resp.sequence, 9);
    /* a deliver_sm whose only TLV overruns the body -> deliver_sm_resp with the status */
    static const uint8_t badtlv[] = {0, 0, 0, 49, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 10,
                                     0, 1, 1, '1', '2', 0, 0, 0, '3', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0x05, 0x01, 0x00, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint8_t b[sizeof(badtlv)];
    memcpy(b, badtlv, sizeof(b));
    b[3] = (uint8_t)sizeof(b);
    b[39] = 0x20; /* claims 32 octets, 9 follow */
    fake_send_raw(f, b, sizeof(b));
    WAIT_FOR(f->resps == 1, 1000);
    CHECK_INT(f->last_resp.command_id, SMPP_CMD_DELIVER_SM_RESP);
    CHECK_INT(f->last_resp.command_status, SMPP_ESME_RINVOPTPARSTREAM);
    CHECK_INT(f->last_resp.sequence, 10);
    CHECK_INT(O.delivers, 0);
    /* a header that claims 20 octets for enquire_link is framed and answered */
    static const uint8_t padded[20] = {0, 0, 0, 20, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 11};
    fake_send_raw(f, padded, sizeof(padded));
    WAIT_FOR(f->resps == 2, 1000);
    CHECK_INT(f->last_resp.command_id, SMPP_CMD_ENQUIRE_LINK_RESP);
    /* an absurd length breaks framing: the link drops the connection and comes back */
    static const uint8_t absurd[16] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 12};
    fake_send_raw(f, absurd, sizeof(absurd));
    WAIT_FOR(f->accepts == 2 && smpp_link_state(l) == SMPP_LINK_BOUND, 3000);
    CHECK_INT(f->accepts, 2);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_BOUND);
    /* command_length 8 (< 16) too */
    static const uint8_t tiny[16] = {0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 13};
    fake_send_raw(f, tiny, sizeof(tiny));
    WAIT_FOR(f->accepts == 3 && smpp_link_state(l) == SMPP_LINK_BOUND, 3000);
    CHECK_INT(f->accepts, 3);
    smpp_link_free(l);
    fake_free(f);
}

static int unbind_done_calls;
static void unbind_done(void *arg)
{
    (void)arg;
    unbind_done_calls++;
}

static void test_unbind_graceful(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    c.window = 1;
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    f->hold_submits = 1;
    struct smpp_msg m;
    ussd_msg(&m, "u");
    struct result r1 = {0}, r2 = {0};
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r1), 0);
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r2), 0); /* queued behind the window */
    WAIT_FOR(f->submits == 1, 1000);
    unbind_done_calls = 0;
    CHECK_INT(smpp_link_unbind(l, unbind_done, NULL), 0);
    CHECK_INT(smpp_link_unbind(l, unbind_done, NULL), -1);
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r2), SMPP_LOCAL_UNBINDING);
    WAIT_FOR(r2.calls == 1, 1000);
    CHECK_INT(r2.status, SMPP_LOCAL_UNBINDING);
    WAIT_FOR(f->unbinds > 0, 100);
    CHECK_INT(f->unbinds, 0); /* still draining */
    fake_release(f);
    WAIT_FOR(unbind_done_calls == 1, 2000);
    CHECK_INT(r1.calls, 1);
    CHECK_INT(r1.status, 0);
    CHECK_INT(f->unbinds, 1);
    CHECK_INT(unbind_done_calls, 1);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_DOWN);
    WAIT_FOR(f->accepts > 1, 300);
    CHECK_INT(f->accepts, 1); /* stays down */
    smpp_link_free(l);
    fake_free(f);
}

static void test_unbind_drain_timeout(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    c.drain_timeout_ms = 200;
    c.response_timeout_ms = 5000;
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    f->hold_submits = 1;
    struct smpp_msg m;
    ussd_msg(&m, "u");
    struct result r = {0};
    CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r), 0);
    unbind_done_calls = 0;
    uint64_t t0 = now_ms();
    CHECK_INT(smpp_link_unbind(l, unbind_done, NULL), 0);
    WAIT_FOR(unbind_done_calls == 1, 2000);
    CHECK_INT(unbind_done_calls, 1);
    CHECK(now_ms() - t0 >= 190);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.status, SMPP_LOCAL_LINK_DOWN);
    smpp_link_free(l);
    fake_free(f);
}

static void test_tps_cap(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    c.tps = 20;
    c.window = 50;
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    struct smpp_msg m;
    ussd_msg(&m, "t");
    struct result r[8];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 8; i++)
        CHECK_INT(smpp_link_submit(l, &m, 0, resp_cb, &r[i]), 0);
    WAIT_FOR(r[7].calls, 3000);
    CHECK_INT(f->submits, 8);
    /* 20 per second: at least 50 ms between two sends (a little slack for timers) */
    for (int i = 1; i < 8; i++)
        CHECK(f->submit_at[i] - f->submit_at[i - 1] >= 45);
    smpp_link_free(l);
    fake_free(f);
}

static void test_connect_refused_backoff(void)
{
    /* a port with nobody listening */
    struct fake *f = fake_new();
    int port = f->port;
    fake_free(f);
    struct smpp_link_config c;
    base_cfg(&c, port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(0, 700);
    int attempts = 0;
    for (int i = 0; i < O.nstates; i++)
        attempts += O.states[i] == SMPP_LINK_CONNECTING;
    /* 50 ms doubling to 200 ms: a handful of tries, not a tight loop */
    CHECK(attempts >= 2);
    CHECK(attempts <= 8);
    smpp_link_free(l);
}

static void test_two_links_and_free_in_callback(void)
{
    struct fake *f1 = fake_new(), *f2 = fake_new();
    struct smpp_link_config c1, c2;
    base_cfg(&c1, f1->port);
    base_cfg(&c2, f2->port);
    c2.name = "second";
    c2.system_id = "other";
    struct smpp_link *l2 = mk_link(&c2);
    struct smpp_link *l1 = mk_link(&c1); /* O follows l1 */
    smpp_link_start(l1);
    smpp_link_start(l2);
    WAIT_FOR(smpp_link_state(l1) == SMPP_LINK_BOUND && smpp_link_state(l2) == SMPP_LINK_BOUND, 2000);
    CHECK_INT(smpp_link_state(l1), SMPP_LINK_BOUND);
    CHECK_INT(smpp_link_state(l2), SMPP_LINK_BOUND);
    CHECK_STR(f2->last_bind.system_id, "other");
    /* a pending submit on l1, then l1 is freed from inside on_deliver */
    f1->hold_submits = 1;
    struct smpp_msg m;
    ussd_msg(&m, "f");
    struct result r = {0};
    CHECK_INT(smpp_link_submit(l1, &m, 0, resp_cb, &r), 0);
    WAIT_FOR(f1->submits == 1, 1000);
    O.free_in_deliver = 1;
    struct smpp_msg d;
    smpp_msg_init(&d, SMPP_CMD_DELIVER_SM);
    d.sequence = 5;
    fake_send(f1, &d);
    fake_send(f1, &d); /* a second PDU in the same read: must not be touched after free */
    WAIT_FOR(O.link == NULL && r.calls == 1, 2000);
    CHECK(O.link == NULL);
    CHECK_INT(O.delivers, 1);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.status, SMPP_LOCAL_LINK_DOWN);
    /* l2 is unaffected */
    struct result r2 = {0};
    CHECK_INT(smpp_link_submit(l2, &m, 0, resp_cb, &r2), 0);
    WAIT_FOR(r2.calls, 2000);
    CHECK_INT(r2.status, 0);
    smpp_link_free(l2);
    fake_free(f1);
    fake_free(f2);
}

static void test_free_with_pending(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    f->hold_submits = 1;
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
    base_cfg(&c, f->port);
    c.addr_ton = 9; /* not a TON the bind can carry */
    CHECK(smpp_link_new(base, &c, NULL, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "TON") != NULL);
    fake_free(f);
}

/* unbind on a link that is not bound: it just stops, done comes from the loop */
static void test_unbind_when_down(void)
{
    struct fake *f = fake_new();
    int port = f->port;
    fake_free(f);
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
    WAIT_FOR(O.nstates > n, 300);
    CHECK_INT(O.nstates, n); /* no reconnect attempts any more */
    CHECK_INT(smpp_link_state(l), SMPP_LINK_DOWN);
    smpp_link_free(l);
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
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
    RUN(test_window_limit);
    RUN(test_sequence_wrap);
    RUN(test_peer_close_rebinds);
    RUN(test_peer_unbind);
    RUN(test_malformed_input);
    RUN(test_unbind_graceful);
    RUN(test_unbind_drain_timeout);
    RUN(test_tps_cap);
    RUN(test_connect_refused_backoff);
    RUN(test_two_links_and_free_in_callback);
    RUN(test_free_with_pending);
    RUN(test_unbind_when_down);
    event_free(ticker);
    event_base_free(base);
    return harness_finish();
}
