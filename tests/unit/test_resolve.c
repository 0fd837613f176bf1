/*
 * test_resolve.c: the non-blocking resolver (core/resolve.c) on a real event loop.
 *
 * Numeric addresses and /etc/hosts names ("localhost") need no network; a name in the
 * reserved .invalid TLD goes to the configured nameservers, so that case accepts a
 * failure or, when no answer comes within its deadline (no network), a cancelled
 * lookup; it never accepts an address. Cancellations and frees with lookups in flight
 * rely on ASan (make SANITIZE=address,undefined) for "no leak, no use after free". The
 * last tests free a store and an SMPP link in the middle of their lookups.
 * The loop is driven until a condition or a deadline; nothing sleeps.
 */
#include "harness.h"
#include "resolve.h"
#include "smpp_link.h"
#include "store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

static struct event_base *base;

struct answer {
    int fired;
    int status;
    int family;
    int port;
    char text[RESOLVE_ADDR_TEXT];
    char error[128];
    struct resolver *free_in_cb; /* resolver_free it from inside the callback */
};

static void on_answer(void *arg, int status, const struct sockaddr *sa, socklen_t salen, const char *error)
{
    struct answer *a = arg;
    a->fired++;
    a->status = status;
    if (status == 0 && sa) {
        a->family = sa->sa_family;
        if (sa->sa_family == AF_INET && salen >= (socklen_t)sizeof(struct sockaddr_in))
            a->port = ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
        else if (sa->sa_family == AF_INET6 && salen >= (socklen_t)sizeof(struct sockaddr_in6))
            a->port = ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
        resolve_addr_text(sa, a->text, sizeof a->text);
    } else {
        a->family = sa ? -1 : 0;
        snprintf(a->error, sizeof a->error, "%s", error ? error : "(null)");
    }
    if (a->free_in_cb) {
        resolver_free(a->free_in_cb);
        a->free_in_cb = NULL;
    }
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    *(int *)arg = 1;
}

/* Run the loop until a->fired or ms pass; returns a->fired. */
static int wait_answer(const struct answer *a, int ms)
{
    int expired = 0;
    struct event *t = evtimer_new(base, deadline_cb, &expired);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(t, &tv);
    while (!a->fired && !expired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    return a->fired;
}

/* A few non-blocking turns: what is already due (zero timers, evdns's deferred
 * cancellations, the resolver's release) runs. */
static void settle(void)
{
    for (int i = 0; i < 4; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

static void test_numeric_ipv4(void)
{
    struct resolver *r = resolver_new(base);
    struct answer a = {0};
    CHECK(r != NULL);
    struct resolve_req *q = resolve_start(r, "127.0.0.1", 2775, on_answer, &a);
    CHECK(q != NULL);
    CHECK_INT(a.fired, 0); /* never from inside resolve_start */
    CHECK(wait_answer(&a, 2000));
    CHECK_INT(a.fired, 1);
    CHECK_INT(a.status, 0);
    CHECK_INT(a.family, AF_INET);
    CHECK_INT(a.port, 2775);
    CHECK_STR(a.text, "127.0.0.1");
    resolver_free(r);
    settle();
    CHECK_INT(a.fired, 1);
}

static void test_numeric_ipv6(void)
{
    struct resolver *r = resolver_new(base);
    struct answer a = {0};
    struct resolve_req *q = resolve_start(r, "::1", 6379, on_answer, &a);
    CHECK(q != NULL);
    CHECK_INT(a.fired, 0);
    CHECK(wait_answer(&a, 2000));
    CHECK_INT(a.status, 0);
    CHECK_INT(a.family, AF_INET6);
    CHECK_INT(a.port, 6379);
    CHECK_STR(a.text, "::1");

    struct sockaddr_storage ss;
    socklen_t len = 0;
    CHECK_INT(resolve_numeric("2001:db8::1", 80, &ss, &len), 0);
    CHECK_INT(ss.ss_family, AF_INET6);
    CHECK_INT(resolve_numeric("localhost", 80, &ss, &len), -1);
    CHECK_INT(resolve_numeric("[::1]", 80, &ss, &len), -1); /* brackets are the caller's */
    resolver_free(r);
}

static void test_localhost(void)
{
    struct resolver *r = resolver_new(base);
    struct answer a = {0};
    struct resolve_req *q = resolve_start(r, "localhost", 2775, on_answer, &a);
    CHECK(q != NULL);
    CHECK_INT(a.fired, 0); /* answered from /etc/hosts, still from the loop */
    CHECK(wait_answer(&a, 5000));
    CHECK_INT(a.status, 0);
    CHECK_INT(a.port, 2775);
    CHECK(strncmp(a.text, "127.", 4) == 0 || strcmp(a.text, "::1") == 0);
    if (a.status != 0)
        printf("  localhost: %s\n", a.error);
    resolver_free(r);
    settle();
}

static void test_invalid_tld_fails(void)
{
    struct resolver *r = resolver_new(base);
    struct answer a = {0};
    struct resolve_req *q = resolve_start(r, "no-such-host.ussdgw-test.invalid", 2775, on_answer, &a);
    CHECK(q != NULL);
    CHECK_INT(a.fired, 0);
    if (wait_answer(&a, 3000)) {
        CHECK(a.status != 0);
        CHECK_INT(a.family, 0); /* no address with a failure */
        CHECK(a.error[0] != 0);
    } else {
        /* no nameserver answered in time (no network here): what callers do at their
         * connect timeout */
        printf("  (no DNS answer within 3 s: lookup cancelled instead)\n");
        resolve_cancel(q);
    }
    resolver_free(r);
    settle();
    CHECK(a.fired <= 1);
}

static void test_cancel_before_answer(void)
{
    struct resolver *r = resolver_new(base);
    struct answer a1 = {0}, a2 = {0}, a3 = {0}, done = {0};
    /* numeric: the answer is only due on the loop */
    struct resolve_req *q1 = resolve_start(r, "127.0.0.1", 1, on_answer, &a1);
    /* a name evdns has to ask a nameserver for */
    struct resolve_req *q2 = resolve_start(r, "cancel-me.ussdgw-test.invalid", 2, on_answer, &a2);
    /* a hosts-file name */
    struct resolve_req *q3 = resolve_start(r, "localhost", 3, on_answer, &a3);
    CHECK(q1 && q2 && q3);
    resolve_cancel(q1);
    resolve_cancel(q2);
    resolve_cancel(q3);
    resolve_cancel(NULL);
    /* a later request still works, and by its answer the cancellations are due too */
    CHECK(resolve_start(r, "127.0.0.2", 4, on_answer, &done) != NULL);
    CHECK(wait_answer(&done, 2000));
    settle();
    CHECK_INT(a1.fired, 0);
    CHECK_INT(a2.fired, 0);
    CHECK_INT(a3.fired, 0);
    CHECK_STR(done.text, "127.0.0.2");
    resolver_free(r);
    settle();
}

static void test_free_with_requests_in_flight(void)
{
    struct resolver *r = resolver_new(base);
    struct answer a1 = {0}, a2 = {0};
    CHECK(resolve_start(r, "in-flight.ussdgw-test.invalid", 5, on_answer, &a1) != NULL);
    CHECK(resolve_start(r, "::1", 6, on_answer, &a2) != NULL);
    resolver_free(r); /* cancels both: no callback, memory released by the loop */
    settle();
    CHECK_INT(a1.fired, 0);
    CHECK_INT(a2.fired, 0);
}

static void test_free_from_callback(void)
{
    struct resolver *r = resolver_new(base);
    struct answer a1 = {0}, a2 = {0};
    a1.free_in_cb = r;
    CHECK(resolve_start(r, "127.0.0.1", 7, on_answer, &a1) != NULL);
    CHECK(resolve_start(r, "pending.ussdgw-test.invalid", 8, on_answer, &a2) != NULL);
    CHECK(wait_answer(&a1, 2000));
    settle();
    CHECK_INT(a1.fired, 1);
    CHECK_INT(a2.fired, 0); /* cancelled by the resolver_free inside a1's callback */
}

static void test_bad_arguments(void)
{
    struct resolver *r = resolver_new(base);
    struct answer a = {0};
    CHECK(resolve_start(r, "127.0.0.1", 0, on_answer, &a) == NULL);
    CHECK(resolve_start(r, "127.0.0.1", 65536, on_answer, &a) == NULL);
    CHECK(resolve_start(r, "", 80, on_answer, &a) == NULL);
    CHECK(resolve_start(r, NULL, 80, on_answer, &a) == NULL);
    CHECK(resolve_start(NULL, "127.0.0.1", 80, on_answer, &a) == NULL);
    CHECK(resolver_new(NULL) == NULL);
    resolver_free(NULL);
    settle();
    CHECK_INT(a.fired, 0);
    resolver_free(r);
}

static void on_store_reply(void *arg, int status, const struct redisReply *reply)
{
    (void)reply;
    int *p = arg;
    *p = status == STORE_OK ? 1 : -1;
}

static void test_store_free_while_resolving(void)
{
    /* a name only a nameserver could answer: the store is still looking it up */
    struct store_opts o = {.timeout_ms = 5000};
    struct store *s = store_new(base, "redis.ussdgw-test.invalid:6379", &o);
    int got = 0;
    CHECK(s != NULL);
    CHECK(!store_connected(s));
    store_cmdf(s, on_store_reply, &got, "PING");
    CHECK_INT(got, 0); /* waits for the connection, not failed inside the call */
    store_free(s);     /* cancels the lookup; the waiting request fails now */
    CHECK_INT(got, -1);
    settle();
}

static void test_store_name_without_server(void)
{
    /* localhost resolves (hosts file) but nothing listens on port 1: the request made
     * during the lookup fails from the loop, never inside the call */
    struct store_opts o = {.timeout_ms = 2000, .backoff_min_ms = 50};
    struct store *s = store_new(base, "localhost:1", &o);
    int got = 0;
    CHECK(s != NULL);
    store_cmdf(s, on_store_reply, &got, "PING");
    CHECK_INT(got, 0);
    int expired = 0;
    struct event *t = evtimer_new(base, deadline_cb, &expired);
    struct timeval tv = {3, 0};
    evtimer_add(t, &tv);
    while (!got && !expired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    CHECK_INT(got, -1);
    store_free(s);
    settle();
}

static void test_link_free_while_resolving(void)
{
    struct smpp_link_config c;
    smpp_link_config_defaults(&c);
    c.name = "dns";
    c.host = "smsc.ussdgw-test.invalid";
    c.port = 2775;
    c.system_id = "gw";
    char err[128] = "";
    struct smpp_link *l = smpp_link_new(base, &c, NULL, err, sizeof err);
    CHECK(l != NULL);
    smpp_link_start(l);
    CHECK_INT(smpp_link_state(l), SMPP_LINK_CONNECTING); /* looking the name up */
    event_base_loop(base, EVLOOP_NONBLOCK);
    smpp_link_free(l); /* cancels the lookup */
    settle();
}

int main(void)
{
    base = event_base_new();
    RUN(test_numeric_ipv4);
    RUN(test_numeric_ipv6);
    RUN(test_localhost);
    RUN(test_invalid_tld_fails);
    RUN(test_cancel_before_answer);
    RUN(test_free_with_requests_in_flight);
    RUN(test_free_from_callback);
    RUN(test_bad_arguments);
    RUN(test_store_free_while_resolving);
    RUN(test_store_name_without_server);
    RUN(test_link_free_while_resolving);
    event_base_free(base);
    return harness_finish();
}
