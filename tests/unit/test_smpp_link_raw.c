/*
 * test_smpp_link_raw.c: an smpp_link against a raw-socket peer on the same loop, for
 * what the ussd-phone simulator (test_smpp_link.c plays everything else against it)
 * cannot play, and why:
 *   - the bind_transceiver's octets (interface_version, system_type): the simulator
 *     checks system_id and password only and logs no interface_version;
 *   - holding submits unanswered while counting what reaches the peer: the window
 *     limit, and a graceful unbind that waits for the window to drain before it
 *     sends unbind (a stopped simulator holds them too, but cannot count them, and
 *     its log orders submit_sm, its response and unbind the same either way);
 *   - a peer that leaves a submit unanswered but answers the unbind after the drain
 *     timeout: the simulator answers all or (stopped) nothing, in order;
 *   - PDUs no SMSC should send: an unknown command id, a TLV overrunning the body, a
 *     padded enquire_link, absurd and tiny command_length values;
 *   - data_sm from the SMSC (the simulator sends deliver_sm only), and the response to
 *     it already written when on_deliver runs (read on the peer's own socket);
 *   - two PDUs in one read, the link freed by the first one's callback: the simulator
 *     writes PDUs as its loop makes them, never two on demand in one segment.
 * Every wait is a loop with a deadline, never a fixed sleep.
 */
#include "link_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the raw peer ---- */

#define MAX_HELD 64

struct fake {
    int lfd, cfd, port;
    struct event *ev_accept, *ev_conn;
    uint8_t buf[70000];
    size_t have;
    /* behaviour */
    int hold_submits;      /* do not answer submits; keep their sequences */
    /* what it saw */
    int accepts, binds, enquires, submits, unbinds, nacks;
    uint32_t held[MAX_HELD];
    int nheld;
    struct smpp_msg last_bind, last_resp; /* last response the link sent us */
    int resps;
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
        f->binds++;
        f->last_bind = m;
        fake_resp(f, SMPP_CMD_BIND_TRANSCEIVER_RESP, 0, m.sequence);
        break;
    case SMPP_CMD_ENQUIRE_LINK:
        f->enquires++;
        fake_resp(f, SMPP_CMD_ENQUIRE_LINK_RESP, 0, m.sequence);
        break;
    case SMPP_CMD_SUBMIT_SM:
    case SMPP_CMD_DATA_SM:
        f->submits++;
        if (f->hold_submits) {
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

/* A round trip: an enquire_link and its response. Everything the link had written before
 * it answers is in the stream before the response, so what the peer counts afterwards
 * is all the link sent so far: "nothing more came" without a fixed wait. */
static int fake_barrier(struct fake *f)
{
    static uint32_t seq = 900000;
    struct smpp_msg m;
    smpp_msg_init(&m, SMPP_CMD_ENQUIRE_LINK);
    m.sequence = ++seq;
    int before = f->resps;
    fake_send(f, &m);
    WAIT_FOR(f->resps > before && f->last_resp.sequence == seq, 2000);
    return f->resps > before && f->last_resp.command_id == SMPP_CMD_ENQUIRE_LINK_RESP && f->last_resp.sequence == seq;
}

/* ---- the link side ---- */

static struct fake *peek;  /* the peer whose socket on_deliver peeks at */
static int resp_was_sent_first; /* the response already readable when on_deliver ran */
static int free_in_deliver;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void raw_deliver_hook(const struct smpp_msg *m)
{
    if (peek && peek->cfd >= 0) {
        uint8_t b[64];
        ssize_t r = recv(peek->cfd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
        /* the 17-octet *_resp (deliver_sm_resp or data_sm_resp) for this very sequence */
        uint32_t want = m->command_id | SMPP_CMD_RESP_BIT;
        if (r >= 16 && be32(b + 4) == want && be32(b + 12) == m->sequence)
            resp_was_sent_first = 1;
    }
    if (free_in_deliver) {
        smpp_link_free(O.link);
        O.link = NULL;
    }
}

static struct smpp_link *mk_raw_link(const struct smpp_link_config *c)
{
    struct smpp_link *l = mk_link(c);
    O.deliver_hook = raw_deliver_hook;
    peek = NULL;
    resp_was_sent_first = 0;
    free_in_deliver = 0;
    return l;
}

/* ---- tests ---- */

static void test_bind_on_the_wire(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_raw_link(&c);
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

/* data_sm from the SMSC: answered (data_sm_resp, same sequence) before on_deliver runs */
static void test_data_sm_answered_first(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_raw_link(&c);
    smpp_link_start(l);
    WAIT_FOR(smpp_link_state(l) == SMPP_LINK_BOUND, 2000);
    REQUIRE(smpp_link_state(l) == SMPP_LINK_BOUND);
    peek = f;
    struct smpp_msg m;
    smpp_msg_init(&m, SMPP_CMD_DATA_SM);
    m.sequence = 78;
    snprintf(m.source_addr, sizeof(m.source_addr), "250788000000");
    m.has_message_payload = 1;
    m.message_payload_len = 3;
    memcpy(m.message_payload, "abc", 3);
    fake_send(f, &m);
    WAIT_FOR(O.delivers == 1 && f->resps == 1, 2000);
    CHECK_INT(O.delivers, 1);
    CHECK_INT(resp_was_sent_first, 1);
    CHECK_INT(f->last_resp.command_id, SMPP_CMD_DATA_SM_RESP);
    CHECK_INT(f->last_resp.command_status, 0);
    CHECK_INT(f->last_resp.sequence, 78);
    CHECK_INT(O.last_deliver.command_id, SMPP_CMD_DATA_SM);
    CHECK_STR(O.last_deliver.source_addr, "250788000000");
    CHECK_INT(O.last_deliver.message_payload_len, 3);
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
    struct smpp_link *l = mk_raw_link(&c);
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
    CHECK(fake_barrier(f));
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

static void test_malformed_input(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    struct smpp_link *l = mk_raw_link(&c);
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

static void test_unbind_graceful(void)
{
    struct fake *f = fake_new();
    struct smpp_link_config c;
    base_cfg(&c, f->port);
    c.window = 1;
    struct smpp_link *l = mk_raw_link(&c);
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
    CHECK(fake_barrier(f));
    CHECK_INT(f->unbinds, 0); /* still draining */
    fake_release(f);
    WAIT_FOR(unbind_done_calls == 1, 2000);
    CHECK_INT(r1.calls, 1);
    CHECK_INT(r1.status, 0);
    CHECK_INT(f->unbinds, 1);
    CHECK_INT(unbind_done_calls, 1);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_DOWN);
    /* an observation window, not a synchronisation: a link that reconnected would have
     * done so within reconnect_max_ms (200) + 25% jitter */
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
    struct smpp_link *l = mk_raw_link(&c);
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
    harness_timing("unbind done", (double)(now_ms() - t0), ">= 190: drain_timeout_ms 200");
    CHECK(now_ms() - t0 >= 190);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.status, SMPP_LOCAL_LINK_DOWN);
    smpp_link_free(l);
    fake_free(f);
}

static void test_two_links_and_free_in_callback(void)
{
    struct fake *f1 = fake_new(), *f2 = fake_new();
    struct smpp_link_config c1, c2;
    base_cfg(&c1, f1->port);
    base_cfg(&c2, f2->port);
    c2.name = "second";
    c2.system_id = "other";
    struct smpp_link *l2 = mk_raw_link(&c2);
    struct smpp_link *l1 = mk_raw_link(&c1); /* O follows l1 */
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
    free_in_deliver = 1;
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

int main(void)
{
    base = event_base_new();
    struct event *ticker = event_new(base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 5000};
    event_add(ticker, &tv);
    RUN(test_bind_on_the_wire);
    RUN(test_data_sm_answered_first);
    RUN(test_window_limit);
    RUN(test_malformed_input);
    RUN(test_unbind_graceful);
    RUN(test_unbind_drain_timeout);
    RUN(test_two_links_and_free_in_callback);
    event_free(ticker);
    event_base_free(base);
    return harness_finish();
}
