/*
 * alerts_cli.c: `ussdgw alert send TOPIC DISTRICT TEXT [--text-LANG TEXT]... [--id N]` queues an alert, one
 * SMS to every subscriber of TOPIC in DISTRICT (ussd:alerts:sub:TOPIC:DISTRICT) who has
 * not sent STOP (ussd:alerts:stopped), through the durable SMS queue; a running gateway
 * sends them, paced by its links' TPS. The alert gets an id from INCR ussd:alerts:seq
 * (or --id N, to send an alert again after a failure) and each SMS the idempotency key
 * alert:ID:MSISDN, so a phone gets one SMS per alert however often it is queued.
 * With --text-LANG TEXT (LANG a language of the menu set, e.g. --text-rw, --text-fr)
 * each subscriber gets the text of their saved language (ussd:l:MSISDN, read with MGET
 * in batches of ALERT_MGET), else the main TEXT; every text is checked against
 * sms_max_parts before anything is queued.
 * At most ALERT_INFLIGHT enqueues wait for Redis at a time. Prints
 * "alert ID: N queued" (N: subscribers the alert was queued for; ", M already sent" when
 * M of them had it from an earlier run with this id) and, with --text-LANG,
 * a second line "by text: main N, rw N, fr N" (how many got each text).
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
#define ALERT_MGET 256

/* One text of the alert: the main one (lang -1) or one language's. */
struct alert_text {
    int lang; /* index into the menu set's languages, -1 for the main text */
    const char *code, *text;
    size_t queued;
};

static const char *const alert_topics[] = {"water", "waste", "roads", "health"};

struct alert_send {
    struct sms_queue *q;
    struct store *store;
    const struct menu_set *set;       /* NULL: one text for everyone */
    struct alert_text *texts;         /* [0] the main text, then one per --text-LANG */
    size_t n_texts;
    char id[24];
    char **to;       /* subscribers */
    unsigned char *which; /* per subscriber: index into texts */
    size_t n_to, next, inflight, queued, already, failed;
    size_t lang_asked, lang_pending; /* language lookups sent / waiting */
    int step;        /* 0 seq, 1 members, 4 languages, 2 enqueueing, 3 done */
    int error;
};

/* An enqueue in flight: the alert and the text it counts for. */
struct alert_item {
    struct alert_send *a;
    size_t text;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw alert send [options] TOPIC DISTRICT TEXT   SMS TEXT to every subscriber\n"
            "topics: water, waste, roads, health; DISTRICT: one of the 30 districts\n"
            "options:\n"
            "  -c, --config FILE       configuration file (redis, sms_max_parts, ...)\n"
            "      --redis ADDR        HOST:PORT or unix:PATH (default 127.0.0.1:6379)\n"
            "      --text-LANG TEXT    the text for subscribers whose language is LANG (a\n"
            "                          language of the menus: --text-rw, --text-fr); others\n"
            "                          get TEXT\n"
            "      --menus DIR         the menu folder that names the languages (default menus.d)\n"
            "      --id N              the alert id (default: a new one); sending an alert\n"
            "                          again with its id reaches only those it has not reached\n"
            "      --log-level LEVEL   debug, info, warn, error (default warn)\n");
}

static void pump(struct alert_send *a);

static void on_queued(void *arg, int status, const char *id)
{
    struct alert_item *it = arg;
    struct alert_send *a = it->a;
    (void)id;
    a->inflight--;
    if (status == 0) {
        a->queued++;
        a->texts[it->text].queued++;
    } else if (status == 1) {
        a->already++; /* this alert id was queued for them before */
    } else {
        a->failed++;
    }
    free(it);
    pump(a);
}

static void pump(struct alert_send *a)
{
    while (a->next < a->n_to && a->inflight < ALERT_INFLIGHT) {
        char key[96];
        size_t i = a->next++;
        struct alert_item *it = malloc(sizeof *it);
        if (!it) {
            a->failed++;
            continue;
        }
        *it = (struct alert_item){a, a->which ? a->which[i] : 0};
        snprintf(key, sizeof key, "alert:%s:%s", a->id, a->to[i]);
        a->inflight++;
        sms_enqueue(a->q, a->to[i], a->texts[it->text].text, key, on_queued, it);
    }
    if (a->next >= a->n_to && a->inflight == 0)
        a->step = 3;
}

/* A batch of language lookups: the text of each subscriber whose language has one. */
struct lang_batch {
    struct alert_send *a;
    size_t first, n;
};

static void on_langs(void *arg, int status, const struct redisReply *rep)
{
    struct lang_batch *b = arg;
    struct alert_send *a = b->a;
    a->lang_pending--;
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != b->n) {
        a->error = 1;
        a->step = 3;
    } else {
        for (size_t k = 0; k < b->n; k++) {
            const redisReply *e = rep->element[k];
            int l = e->type == REDIS_REPLY_STRING ? menu_find_lang(a->set, e->str) : -1;
            for (size_t t = 1; l >= 0 && t < a->n_texts; t++)
                if (a->texts[t].lang == l)
                    a->which[b->first + k] = (unsigned char)t;
        }
    }
    free(b);
    if (a->step == 4 && !a->lang_pending && a->lang_asked >= a->n_to) {
        a->step = 2;
        pump(a);
    }
}

/* Ask for the languages of the next subscribers (one MGET per ALERT_MGET of them). */
static void ask_langs(struct alert_send *a)
{
    while (a->step == 4 && a->lang_asked < a->n_to && a->lang_pending < 4) {
        size_t n = a->n_to - a->lang_asked < ALERT_MGET ? a->n_to - a->lang_asked : ALERT_MGET;
        struct lang_batch *b = malloc(sizeof *b);
        const char **argv = calloc(n + 1, sizeof *argv);
        char *keys = malloc(n * 48);
        if (!b || !argv || !keys) {
            free(b);
            free(argv);
            free(keys);
            a->error = 1;
            a->step = 3; /* the lookups in flight are waited for before the end */
            return;
        }
        *b = (struct lang_batch){a, a->lang_asked, n};
        argv[0] = "MGET";
        for (size_t k = 0; k < n; k++) {
            snprintf(keys + k * 48, 48, "ussd:l:%s", a->to[a->lang_asked + k]);
            argv[k + 1] = keys + k * 48;
        }
        a->lang_asked += n;
        a->lang_pending++;
        store_cmd(a->store, on_langs, b, (int)n + 1, argv, NULL);
        free(argv);
        free(keys);
    }
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
    if (a->n_texts > 1 && a->n_to) {
        if (!(a->which = calloc(a->n_to, 1))) {
            a->error = 1;
            a->step = 3;
            return;
        }
        a->step = 4;
        ask_langs(a);
        return;
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

enum { OPT_REDIS = 256, OPT_ID, OPT_LOGLEVEL, OPT_MENUS };

#define ALERT_MAX_TEXTS (MENU_MAX_LANGS + 1)

/* Take the --text-LANG TEXT (or --text-LANG=TEXT) options out of argv (getopt cannot
 * know their names) into texts[1..]; the values of the other options and what follows
 * "--" are left alone. Returns the new argc, or -1 after printing why. */
static int take_lang_texts(int argc, char **argv, struct alert_text *texts, size_t *n_texts)
{
    static const char *const with_value[] = {"-c", "--config", "--redis", "--id", "--log-level",
                                             "--menus"};
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (strncmp(s, "--text-", 7) != 0) {
            argv[out++] = argv[i];
            for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
                if (strcmp(s, with_value[k]) == 0 && i + 1 < argc)
                    argv[out++] = argv[++i];
            continue;
        }
        const char *code = s + 7, *eq = strchr(code, '=');
        size_t len = eq ? (size_t)(eq - code) : strlen(code);
        const char *text = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!len || len > 15 || !text) {
            fprintf(stderr, "ussdgw alert send: %s needs a language and a text, e.g. --text-rw TEXT\n",
                    s);
            return -1;
        }
        if (*n_texts >= ALERT_MAX_TEXTS) {
            fprintf(stderr, "ussdgw alert send: too many --text-LANG options\n");
            return -1;
        }
        char *c = strndup(code, len);
        if (!c)
            return -1;
        texts[(*n_texts)++] = (struct alert_text){.lang = -1, .code = c, .text = text};
    }
    argv[out] = NULL;
    return out;
}

/* Check one text's length as the SMS queue will; 0 when it can be sent. */
static int check_text(const struct alert_text *t, int max_parts)
{
    char which[40] = "the text";
    if (t->code)
        snprintf(which, sizeof which, "the --text-%s text", t->code);
    int parts = sms_count_parts(t->text, strlen(t->text));
    if (parts == 0) {
        fprintf(stderr, "ussdgw alert send: %s is empty\n", which);
        return 1;
    }
    if (parts > max_parts) {
        fprintf(stderr, "ussdgw alert send: %s needs %s%d parts; sms_max_parts is %d\n", which,
                parts > SMS_MAX_PARTS ? "more than " : "", parts > SMS_MAX_PARTS ? SMS_MAX_PARTS : parts,
                max_parts);
        return 1;
    }
    return 0;
}

static void free_texts(struct alert_text *texts, size_t n)
{
    for (size_t i = 1; i < n; i++)
        free((char *)texts[i].code);
}

int app_alert(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"id", required_argument, NULL, OPT_ID},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"menus", required_argument, NULL, OPT_MENUS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct config cfg;
    const char *config_path = NULL, *redis = NULL, *menus = NULL, *given_id = NULL, *level = "warn";
    struct alert_text texts[ALERT_MAX_TEXTS] = {{.lang = -1}};
    size_t n_texts = 1;
    int ch;

    config_default(&cfg);
    argc = take_lang_texts(argc, argv, texts, &n_texts);
    if (argc < 0) {
        free_texts(texts, n_texts);
        return 2;
    }
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': config_path = optarg; break;
        case OPT_REDIS: redis = optarg; break;
        case OPT_ID: given_id = optarg; break;
        case OPT_LOGLEVEL: level = optarg; break;
        case OPT_MENUS: menus = optarg; break;
        case 'h': usage(stdout); free_texts(texts, n_texts); return 0;
        default: usage(stderr); free_texts(texts, n_texts); return 2;
        }
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    if (!sub || strcmp(sub, "send") != 0 || argc - optind - 1 != 3) {
        usage(stderr);
        free_texts(texts, n_texts);
        return 2;
    }
    const char *topic_in = argv[optind + 1], *district_in = argv[optind + 2];
    texts[0].text = argv[optind + 3];
    const char *topic = NULL;
    for (size_t i = 0; i < sizeof alert_topics / sizeof alert_topics[0]; i++)
        if (strcasecmp(topic_in, alert_topics[i]) == 0)
            topic = alert_topics[i];
    int rc = 1;
    struct menu_set *set = NULL;
    const struct geo_district *d = NULL;
    if (!topic) {
        fprintf(stderr, "ussdgw alert send: unknown topic '%s' (water, waste, roads or health)\n", topic_in);
        goto out;
    }
    if (!(d = geo_district_by_name(district_in))) {
        fprintf(stderr, "ussdgw alert send: unknown district '%s'\n", district_in);
        goto out;
    }
    if (given_id && (!*given_id || strspn(given_id, "0123456789") != strlen(given_id) || strlen(given_id) > 18)) {
        fprintf(stderr, "ussdgw alert send: --id must be a number, not '%s'\n", given_id);
        rc = 2;
        goto out;
    }
    if ((rc = app_cli_config(&cfg, "alert", config_path, redis, menus, level)))
        goto out;
    rc = 1;
    for (size_t i = 0; i < n_texts; i++)
        if (check_text(&texts[i], cfg.sms_max_parts))
            goto out;
    /* the languages of the texts: those of the menu set, as the phones chose them */
    if (n_texts > 1) {
        if (!(set = app_load_menus(cfg.menus, &cfg, 1))) {
            fprintf(stderr, "ussdgw alert send: --text-LANG needs the menus (%s) for their languages\n",
                    cfg.menus);
            goto out;
        }
        for (size_t i = 1; i < n_texts; i++) {
            int l = menu_find_lang(set, texts[i].code);
            for (size_t j = 1; l >= 0 && j < i; j++)
                if (texts[j].lang == l) {
                    fprintf(stderr, "ussdgw alert send: --text-%s is given twice\n", texts[i].code);
                    goto out;
                }
            if (l < 0) {
                char known[128] = "";
                for (size_t k = 0; k < set->n_langs; k++)
                    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                             k ? ", " : "", set->langs[k]);
                fprintf(stderr, "ussdgw alert send: unknown language '%s' in --text-%s (the menus have %s)\n",
                        texts[i].code, texts[i].code, known);
                goto out;
            }
            texts[i].lang = l;
        }
    }

    struct app_conn conn;
    if (app_conn_open(&conn, &cfg, "alert", 1, 0))
        goto out;
    struct event_base *base = conn.base;
    struct store *store = conn.store;
    struct alert_send a = {.q = conn.q, .store = store, .set = set, .texts = texts, .n_texts = n_texts};
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
        if (a.step == 4)
            ask_langs(&a);
        if (a.step == 3)
            break;
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            break;
    }
    /* a failed language lookup: wait for the others before freeing what they use */
    while (a.lang_pending || a.inflight)
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            break;
    rc = 0;
    if (a.step != 3 || a.error) {
        fprintf(stderr, "ussdgw alert send: Redis at %s did not answer\n", cfg.redis);
        rc = 1;
    } else {
        if (a.already)
            printf("alert %s: %zu queued, %zu already sent\n", a.id, a.queued, a.already);
        else
            printf("alert %s: %zu queued\n", a.id, a.queued);
        if (n_texts > 1) {
            printf("by text: main %zu", texts[0].queued);
            for (size_t i = 1; i < n_texts; i++)
                printf(", %s %zu", set->langs[texts[i].lang], texts[i].queued);
            printf("\n");
        }
        if (a.failed) {
            fprintf(stderr, "ussdgw alert send: %zu SMS could not be queued; send again with --id %s\n",
                    a.failed, a.id);
            rc = 1;
        }
        log_event(L_INFO, "alert.sent", "id=%s topic=%s district=%s queued=%zu failed=%zu texts=%zu",
                  a.id, topic, d->name, a.queued, a.failed, n_texts);
    }
    for (size_t i = 0; i < a.n_to; i++)
        free(a.to[i]);
    free(a.to);
    free(a.which);
    app_conn_close(&conn);
out:
    menu_set_free(set);
    free_texts(texts, n_texts);
    return rc;
}
