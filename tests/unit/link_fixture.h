/*
 * link_fixture.h: what the two smpp_link test programs share (test_smpp_link.c against
 * the ussd-phone simulator, test_smpp_link_raw.c against a raw-socket peer for what the
 * simulator cannot play): the event loop and its bounded waits, an observer of the
 * link's callbacks, a submit result recorder, the link configuration and a USSD
 * message. Included by one .c each; its functions are static.
 */
#ifndef USSDGW_LINK_FIXTURE_H
#define USSDGW_LINK_FIXTURE_H

#include "harness.h"
#include "smpp_link.h"
#include "smpp_pdu.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#define FIXTURE_FN static __attribute__((unused))

static struct event_base *base;

FIXTURE_FN uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Run the loop until cond holds or ms pass. A 5 ms ticker keeps EVLOOP_ONCE returning.
 * A wait for an event: ms is a deadline, and the CHECK after it says what was missed.
 * With TEST_TIMINGS=1, a wait that took over a quarter of its deadline is printed. */
#define WAIT_FOR(cond, ms) do { uint64_t t0_ = now_ms(), dl_ = t0_ + (ms); \
    while (!(cond) && now_ms() < dl_) event_base_loop(base, EVLOOP_ONCE); \
    wait_took(#cond, now_ms() - t0_, (ms)); } while (0)

FIXTURE_FN void wait_took(const char *what, uint64_t took, uint64_t deadline)
{
    char w[160], b[64];
    if (took * 4 <= deadline)
        return;
    snprintf(w, sizeof w, "WAIT_FOR(%.120s)", what);
    snprintf(b, sizeof b, "deadline %llu ms", (unsigned long long)deadline);
    harness_timing(w, (double)took, b);
}

/* ---- the link side ---- */

struct obs {
    enum smpp_link_state states[64];
    uint64_t state_at[64];
    int nstates;
    int delivers;
    struct smpp_msg last_deliver;
    struct smpp_link *link;
    int logs;
    /* called from on_state (inside the link's callback) and on_deliver, when set */
    void (*state_hook)(enum smpp_link_state st, const char *reason);
    void (*deliver_hook)(const struct smpp_msg *m);
    /* the link's own "event=send cmd=submit_sm" log lines: when it sent them */
    uint64_t submit_sent_at[64];
    int submits_sent;
    int unmatched; /* event=unmatched_response lines */
};

static struct obs O;

FIXTURE_FN void on_state(void *arg, enum smpp_link_state st, const char *reason)
{
    struct obs *o = arg;
    if (o->nstates < 64) {
        o->state_at[o->nstates] = now_ms();
        o->states[o->nstates++] = st;
    }
    if (o->state_hook)
        o->state_hook(st, reason);
}

FIXTURE_FN void on_deliver(void *arg, const struct smpp_msg *m)
{
    struct obs *o = arg;
    o->delivers++;
    o->last_deliver = *m;
    if (o->deliver_hook)
        o->deliver_hook(m);
}

FIXTURE_FN void on_log(void *arg, enum smpp_log_level lvl, const char *msg)
{
    struct obs *o = arg;
    o->logs++;
    if (strstr(msg, "event=send cmd=submit_sm ") && o->submits_sent < 64)
        o->submit_sent_at[o->submits_sent++] = now_ms();
    if (strstr(msg, "event=unmatched_response"))
        o->unmatched++;
    if (getenv("SMPP_TEST_LOG"))
        fprintf(stderr, "[%d] %s\n", (int)lvl, msg);
}

/* How many times the link entered state st. */
FIXTURE_FN int entered(enum smpp_link_state st)
{
    int n = 0;
    for (int i = 0; i < O.nstates; i++)
        n += O.states[i] == st;
    return n;
}

struct result {
    int calls;
    uint32_t status;
    char message_id[65];
};

FIXTURE_FN void resp_cb(void *arg, uint32_t status, const struct smpp_msg *resp)
{
    struct result *r = arg;
    r->calls++;
    r->status = status;
    if (resp)
        snprintf(r->message_id, sizeof(r->message_id), "%s", resp->message_id);
}

static int unbind_done_calls;

FIXTURE_FN void unbind_done(void *arg)
{
    (void)arg;
    unbind_done_calls++;
}

FIXTURE_FN void base_cfg(struct smpp_link_config *c, int port)
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

/* A new link observed by O (O is reset). */
FIXTURE_FN struct smpp_link *mk_link(const struct smpp_link_config *c)
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

/* A USSD screen for 250788123456: op 2, its_session_info session 7, sequence 1. */
FIXTURE_FN void ussd_msg(struct smpp_msg *m, const char *text)
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

FIXTURE_FN void tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
}

#endif
