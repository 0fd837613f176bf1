/*
 * alerts_cli.c: `ussdgw alert send TOPIC DISTRICT TEXT [--id N]` queues an alert, one
 * SMS to every subscriber of TOPIC in DISTRICT (ussd:alerts:sub:TOPIC:DISTRICT) who has
 * not sent STOP (ussd:alerts:stopped), through the durable SMS queue; a running gateway
 * sends them, paced by its links' TPS. The alert gets an id from INCR ussd:alerts:seq
 * (or --id N, to send an alert again after a failure) and each SMS the idempotency key
 * alert:ID:MSISDN, so a phone gets one SMS per alert however often it is queued.
 * At most ALERT_INFLIGHT enqueues wait for Redis at a time. Prints
 * "alert ID: N queued" (N: subscribers the alert was queued for).
 */
#include <event2/event.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "geo.h"
#include "log.h"
#include "sms_codec.h"
#include "sms_queue.h"
#include "store.h"

#define ALERT_INFLIGHT 64

static const char *const alert_topics[] = {"water", "waste", "roads", "health"};

struct alert_send {
    struct sms_queue *q;
    const char *text;
    char id[24];
    char **to;       /* subscribers */
    size_t n_to, next, inflight, queued, failed;
    int step;        /* 0 seq, 1 members, 2 enqueueing, 3 done */
    int error;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw alert send [options] TOPIC DISTRICT TEXT   SMS TEXT to every subscriber\n"
            "topics: water, waste, roads, health; DISTRICT: one of the 30 districts\n"
            "options:\n"
            "  -c, --config FILE       configuration file (redis, sms_max_parts, ...)\n"
            "      --redis ADDR        HOST:PORT or unix:PATH (default 127.0.0.1:6379)\n"
            "      --id N              the alert id (default: a new one); sending an alert\n"
            "                          again with its id reaches only those it has not reached\n"
            "      --log-level LEVEL   debug, info, warn, error (default warn)\n");
}

static void store_log(void *arg, int level, const char *msg)
{
    (void)arg;
    log_event(level <= 3 ? L_ERROR : level == 4 ? L_WARN : L_DEBUG, "redis", "%s", msg);
}

static void pump(struct alert_send *a);

static void on_queued(void *arg, int status, const char *id)
{
    struct alert_send *a = arg;
    (void)id;
    a->inflight--;
    if (status == 0)
        a->queued++;
    else
        a->failed++;
    pump(a);
}

static void pump(struct alert_send *a)
{
    while (a->next < a->n_to && a->inflight < ALERT_INFLIGHT) {
        char key[96];
        const char *to = a->to[a->next++];
        snprintf(key, sizeof key, "alert:%s:%s", a->id, to);
        a->inflight++;
        sms_enqueue(a->q, to, a->text, key, on_queued, a);
    }
    if (a->next >= a->n_to && a->inflight == 0)
        a->step = 3;
}

static void on_members(void *arg, int status, const struct redisReply *rep)
{
    struct alert_send *a = arg;
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_ARRAY) {
        a->error = 1;
        a->step = 3;
        return;
    }
    a->to = calloc(rep->elements ? rep->elements : 1, sizeof *a->to);
    if (!a->to) {
        a->error = 1;
        a->step = 3;
        return;
    }
    for (size_t i = 0; i < rep->elements; i++) {
        const redisReply *e = rep->element[i];
        if (e->type != REDIS_REPLY_STRING || !sms_msisdn_ok(e->str))
            continue;
        a->to[a->n_to] = strdup(e->str);
        if (a->to[a->n_to])
            a->n_to++;
    }
    a->step = 2;
    pump(a);
}

static void on_seq(void *arg, int status, const struct redisReply *rep)
{
    struct alert_send *a = arg;
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_INTEGER) {
        a->error = 1;
        a->step = 3;
        return;
    }
    snprintf(a->id, sizeof a->id, "%lld", rep->integer);
    a->step = 1;
}

enum { OPT_REDIS = 256, OPT_ID, OPT_LOGLEVEL };

int app_alert(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"id", required_argument, NULL, OPT_ID},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct config cfg;
    const char *config_path = NULL, *redis = NULL, *given_id = NULL, *level = "warn";
    int ch;

    config_default(&cfg);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': config_path = optarg; break;
        case OPT_REDIS: redis = optarg; break;
        case OPT_ID: given_id = optarg; break;
        case OPT_LOGLEVEL: level = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    if (!sub || strcmp(sub, "send") != 0 || argc - optind - 1 != 3) {
        usage(stderr);
        return 2;
    }
    const char *topic_in = argv[optind + 1], *district_in = argv[optind + 2], *text = argv[optind + 3];
    const char *topic = NULL;
    for (size_t i = 0; i < sizeof alert_topics / sizeof alert_topics[0]; i++)
        if (strcasecmp(topic_in, alert_topics[i]) == 0)
            topic = alert_topics[i];
    if (!topic) {
        fprintf(stderr, "ussdgw alert send: unknown topic '%s' (water, waste, roads or health)\n", topic_in);
        return 1;
    }
    const struct geo_district *d = geo_district_by_name(district_in);
    if (!d) {
        fprintf(stderr, "ussdgw alert send: unknown district '%s'\n", district_in);
        return 1;
    }
    if (given_id && (!*given_id || strspn(given_id, "0123456789") != strlen(given_id) || strlen(given_id) > 18)) {
        fprintf(stderr, "ussdgw alert send: --id must be a number, not '%s'\n", given_id);
        return 2;
    }
    int rc = app_cli_config(&cfg, "alert", config_path, redis, NULL, level);
    if (rc)
        return rc;
    int parts = sms_count_parts(text, strlen(text));
    if (parts == 0) {
        fprintf(stderr, "ussdgw alert send: the text is empty\n");
        return 1;
    }
    if (parts > cfg.sms_max_parts) {
        fprintf(stderr, "ussdgw alert send: the text needs %s%d parts; sms_max_parts is %d\n",
                parts > SMS_MAX_PARTS ? "more than " : "", parts > SMS_MAX_PARTS ? SMS_MAX_PARTS : parts,
                cfg.sms_max_parts);
        return 1;
    }

    struct event_base *base = event_base_new();
    struct store_opts so = {.timeout_ms = cfg.redis_timeout_ms, .log = store_log};
    struct store *store = base ? store_new(base, cfg.redis, &so) : NULL;
    struct sms_queue *q = store ? sms_queue_new(base, store, &cfg) : NULL;
    if (!q) {
        fprintf(stderr, "ussdgw alert: cannot use Redis at %s\n", cfg.redis);
        store_free(store);
        if (base)
            event_base_free(base);
        return 1;
    }
    struct alert_send a = {.q = q, .text = text};
    if (given_id) {
        snprintf(a.id, sizeof a.id, "%s", given_id);
        a.step = 1;
    } else {
        store_cmdf(store, on_seq, &a, "INCR ussd:alerts:seq");
    }
    int asked = 0;
    while (a.step != 3) {
        if (a.step == 1 && !asked) {
            char subkey[96];
            snprintf(subkey, sizeof subkey, "ussd:alerts:sub:%s:%s", topic, d->name);
            store_cmdf(store, on_members, &a, "SDIFF %s ussd:alerts:stopped", subkey);
            asked = 1;
        }
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            break;
    }
    rc = 0;
    if (a.step != 3 || a.error) {
        fprintf(stderr, "ussdgw alert send: Redis at %s did not answer\n", cfg.redis);
        rc = 1;
    } else {
        printf("alert %s: %zu queued\n", a.id, a.queued);
        if (a.failed) {
            fprintf(stderr, "ussdgw alert send: %zu SMS could not be queued; send again with --id %s\n",
                    a.failed, a.id);
            rc = 1;
        }
        log_event(L_INFO, "alert.sent", "id=%s topic=%s district=%s queued=%zu failed=%zu", a.id,
                  topic, d->name, a.queued, a.failed);
    }
    fflush(stdout);
    for (size_t i = 0; i < a.n_to; i++)
        free(a.to[i]);
    free(a.to);
    sms_queue_free(q);
    store_free(store);
    event_base_loop(base, EVLOOP_NONBLOCK); /* the store's deferred callbacks */
    event_base_free(base);
    return rc;
}
