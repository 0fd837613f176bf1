/*
 * daemon.c: the gateway process: Redis store, dialog flow and one USSD link per
 * `[link]`, until SIGTERM/SIGINT, which stops new dialogs, lets the steps in flight
 * finish (bounded), unbinds every link and exits 0.
 */
#include <event2/event.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "dialog.h"
#include "http_ingress.h"
#include "log.h"
#include "poll_results.h"
#include "sms_in.h"
#include "sms_queue.h"
#include "store.h"
#include "ussd_smpp.h"

#define DRAIN_MAX_MS 8000

struct daemon {
    struct event_base *base;
    struct dialog_env env;
    struct ussd_smpp *links[CONFIG_MAX_LINKS];
    int n_links;
    int unbinding;
    struct event *drain_timer;
    int drain_waited_ms;
    struct sms_queue *sms;
    struct sms_in *sms_in;
    struct http_ingress *http;
    struct event *results_timer;    /* poll results by SMS, every poll_results_every s */
    struct poll_results *results;   /* the run in progress, or NULL */
    const struct menu_set *set;
    char owner[64];                 /* this process in a poll's results lock */
};

static void results_done(void *arg, int status)
{
    struct daemon *d = arg;
    d->results = NULL;
    if (status < 0)
        log_event(L_WARN, "poll.results_failed", "retry_in_s=%d", d->env.cfg->poll_results_every_s);
}

/* Results of polls closed lately to the voters who asked (poll_results.h); one run at
 * a time, none while stopping. */
static void results_tick(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    (void)fd;
    (void)what;
    if (d->env.draining || d->results)
        return;
    d->results = poll_results_start(&d->env.svc, d->sms, d->set, (long long)time(NULL),
                                    POLL_RESULTS_WINDOW_S, d->env.cfg->sms_max_parts, d->owner,
                                    NULL, results_done, d);
}

/* deliver_sm without USSD fields: a delivery receipt, or an SMS from a resident. */
static void on_sms(void *arg, const char *link, const struct smpp_msg *m)
{
    struct daemon *d = arg;
    if (!sms_queue_on_receipt(d->sms, m))
        sms_in_deliver(d->sms_in, link, m);
}

/* libevent's own lines (evdns: "Nameserver ... has failed") into our log format. */
static void libevent_log(int severity, const char *msg)
{
    char q[600];
    log_event(severity >= EVENT_LOG_ERR ? L_ERROR : severity == EVENT_LOG_WARN ? L_WARN : L_DEBUG,
              "libevent", "msg=%s", log_q(msg, q, sizeof q));
}

static void store_log(void *arg, int level, const char *msg)
{
    (void)arg;
    char q[600];
    if (strncmp(msg, "store: ", 7) == 0)
        msg += 7;
    log_event(level <= 3 ? L_ERROR : level == 4 ? L_WARN : L_INFO, "redis", "msg=%s",
              log_q(msg, q, sizeof q));
}

static void link_unbound(void *arg)
{
    struct daemon *d = arg;
    if (--d->unbinding == 0)
        event_base_loopexit(d->base, NULL);
}

static void sms_stopped(void *arg);

static void drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct daemon *d = arg;
    (void)fd;
    (void)what;
    if (d->env.inflight > 0 && d->drain_waited_ms < DRAIN_MAX_MS) {
        struct timeval tv = {0, 20000};
        d->drain_waited_ms += 20;
        evtimer_add(d->drain_timer, &tv);
        return;
    }
    /* the SMS sender first: its messages in flight need the links */
    sms_queue_stop(d->sms, sms_stopped, d);
}

static void sms_stopped(void *arg)
{
    struct daemon *d = arg;
    log_event(L_INFO, "gateway.unbinding", "in_flight=%d", d->env.inflight);
    d->unbinding = d->n_links;
    if (!d->n_links) {
        event_base_loopexit(d->base, NULL);
        return;
    }
    for (int i = 0; i < d->n_links; i++)
        ussd_smpp_unbind(d->links[i], link_unbound, d);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon *d = arg;
    (void)what;
    if (d->env.draining) {
        log_event(L_WARN, "gateway.stop_now", "signal=%d", (int)sig);
        event_base_loopbreak(d->base);
        return;
    }
    log_event(L_INFO, "gateway.stopping", "signal=%d in_flight=%d", (int)sig, d->env.inflight);
    d->env.draining = 1;
    if (d->results_timer)
        event_del(d->results_timer);
    http_ingress_stop(d->http); /* no new HTTP dialogs either */
    drain_tick(-1, 0, d);
}

int daemon_run(struct config *cfg, struct menu_set *set)
{
    struct daemon d;
    memset(&d, 0, sizeof d);
    if (cfg->n_links == 0) {
        link_config_default(&cfg->links[0], "default");
        cfg->n_links = 1;
    }
    event_set_log_callback(libevent_log);
    d.base = event_base_new();
    struct store_opts so = {.timeout_ms = cfg->redis_timeout_ms, .log = store_log};
    struct store *store = d.base ? store_new(d.base, cfg->redis, &so) : NULL;
    if (!store) {
        log_event(L_ERROR, "gateway.redis_config", "redis=%s", cfg->redis);
        menu_set_free(set);
        return 1;
    }
    dialog_env_init(&d.env, d.base, store, set, cfg);
    for (int i = 0; i < cfg->n_links; i++) {
        struct ussd_smpp *u = ussd_smpp_new(d.base, &d.env, &cfg->links[i]);
        if (!u) {
            for (int j = 0; j < d.n_links; j++)
                ussd_smpp_free(d.links[j]);
            store_free(store);
            event_base_free(d.base);
            menu_set_free(set);
            return 1;
        }
        d.links[d.n_links++] = u;
    }
    int rc = 0;
    struct event *sigterm = NULL, *sigint = NULL;
    d.sms = sms_queue_new(d.base, store, cfg);
    d.sms_in = sms_in_new(&d.env, d.sms);
    if (!d.sms || !d.sms_in) {
        rc = 1;
        goto out;
    }
    for (int i = 0; i < d.n_links; i++) {
        sms_queue_add_link(d.sms, ussd_smpp_link(d.links[i]), ussd_smpp_config(d.links[i]));
        ussd_smpp_set_sms_hook(d.links[i], on_sms, &d);
    }
    if (cfg->http[0] && !(d.http = http_ingress_new(d.base, &d.env, cfg))) {
        rc = 1;
        goto out;
    }
    sigterm = evsignal_new(d.base, SIGTERM, on_signal, &d);
    sigint = evsignal_new(d.base, SIGINT, on_signal, &d);
    d.drain_timer = evtimer_new(d.base, drain_tick, &d);
    if (!sigterm || !sigint || !d.drain_timer) {
        rc = 1;
        goto out;
    }
    evsignal_add(sigterm, NULL);
    evsignal_add(sigint, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < d.n_links; i++)
        ussd_smpp_start(d.links[i]);
    sms_queue_start(d.sms);
    d.set = set;
    /* unique across machines and containers (where every gateway may be pid 1) */
    if (sodium_init() < 0)
        log_event(L_WARN, "gateway.sodium", "init failed");
    snprintf(d.owner, sizeof d.owner, "gw-%ld-%08lx%08lx", (long)getpid(),
             (unsigned long)randombytes_random(), (unsigned long)randombytes_random());
    if (cfg->poll_results_every_s > 0 &&
        (d.results_timer = event_new(d.base, -1, EV_PERSIST, results_tick, &d))) {
        struct timeval every = {cfg->poll_results_every_s, 0};
        event_add(d.results_timer, &every);
    }
    for (size_t i = 0; i < set->n_polls; i++)
        if (set->polls[i].voter == POLL_VOTER_NATIONAL_ID && !cfg->vote_secret[0]) {
            log_event(L_WARN, "poll.no_vote_secret",
                      "poll=%s hint=\"set vote_secret: without it a national ID could be "
                      "found from its hash by anyone who reads Redis\"", set->polls[i].id);
            break;
        }
    log_event(L_INFO, "gateway.started", "menus=%s menu_version=%s screens=%zu links=%d redis=%s http=%s",
              cfg->menus, set->version, set->n_screens, d.n_links, cfg->redis,
              cfg->http[0] ? cfg->http : "off");

    event_base_dispatch(d.base);

    log_event(L_INFO, "gateway.stopped",
              "steps=%llu sent=%llu unavailable=%llu busy=%llu resends=%llu conflicts=%llu undelivered=%llu",
              (unsigned long long)d.env.stats.steps, (unsigned long long)d.env.stats.sent,
              (unsigned long long)d.env.stats.unavailable, (unsigned long long)d.env.stats.busy,
              (unsigned long long)d.env.stats.resends, (unsigned long long)d.env.stats.conflicts,
              (unsigned long long)d.env.stats.undelivered);
out:
    /* the store first: steps still waiting on it finish (and fail their replies) while
     * the links exist */
    if (d.results_timer)
        event_free(d.results_timer);
    poll_results_cancel(d.results);
    http_ingress_free(d.http);
    sms_in_free(d.sms_in);
    sms_queue_free(d.sms);
    store_free(store);
    for (int i = 0; i < d.n_links; i++)
        ussd_smpp_free(d.links[i]);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (d.drain_timer)
        event_free(d.drain_timer);
    event_base_free(d.base);
    menu_set_free(set);
    return rc;
}
