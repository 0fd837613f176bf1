/*
 * alerts_cli.c: `ussdgw alert send TOPIC DISTRICT TEXT [--text-LANG TEXT]... [--id N]`
 * queues an alert, one SMS to every subscriber of TOPIC in DISTRICT who has not sent
 * STOP (the audience: services/alerts.h), through the durable SMS queue; a running
 * gateway sends them, paced by its links' TPS. The alert gets a new id (or --id N, to
 * send an alert again after a failure) and each SMS the idempotency key
 * alert:ID:MSISDN, so a phone gets one SMS per alert however often it is queued.
 * With --text-LANG TEXT (LANG a language of the menu set, e.g. --text-rw, --text-fr)
 * each subscriber gets the text of their saved language, else the main TEXT; every
 * text is checked against sms_max_parts before anything is queued.
 * At most ALERT_INFLIGHT enqueues wait for Redis at a time. Prints
 * "alert ID: N queued" (N: subscribers the alert was queued for; ", M already sent" when
 * M of them had it from an earlier run with this id) and, with --text-LANG,
 * a second line "by text: main N, rw N, fr N" (how many got each text).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "app.h"
#include "geo.h"
#include "log.h"
#include "sms_codec.h"
#include "sms_queue.h"

#define ALERT_INFLIGHT 64
#define ALERT_MAX_TEXTS (MENU_MAX_LANGS + 1)

/* One text of the alert: the main one (lang -1) or one language's. */
struct alert_text {
    int lang; /* index into the menu set's languages, -1 for the main text */
    const char *code, *text;
    size_t queued;
};

/* [0] the main text, then one per --text-LANG. */
struct alert_texts {
    struct alert_text t[ALERT_MAX_TEXTS];
    size_t n;
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

/* ---- the texts ---- */

/* --text-LANG TEXT: the text for LANG (its code checked against the menus later). */
static int take_text(void *ctx, const char *code, const char *text)
{
    struct alert_texts *x = ctx;
    size_t len = strlen(code);
    if (!len || len > 15 || !text) {
        fprintf(stderr, "ussdgw alert send: --text-%s needs a language and a text, e.g. --text-rw TEXT\n",
                code);
        return 2;
    }
    if (x->n >= ALERT_MAX_TEXTS) {
        fprintf(stderr, "ussdgw alert send: too many --text-LANG options\n");
        return 2;
    }
    char *c = strdup(code);
    if (!c)
        return 2;
    x->t[x->n++] = (struct alert_text){.lang = -1, .code = c, .text = text};
    return -1;
}

static void free_texts(struct alert_texts *x)
{
    for (size_t i = 1; i < x->n; i++)
        free((char *)x->t[i].code);
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

/* The menu language of each --text-LANG: 0, or 1 after saying what is wrong. */
static int text_langs(const struct menu_set *set, struct alert_texts *x)
{
    for (size_t i = 1; i < x->n; i++) {
        int l = menu_find_lang(set, x->t[i].code);
        for (size_t j = 1; l >= 0 && j < i; j++)
            if (x->t[j].lang == l) {
                fprintf(stderr, "ussdgw alert send: --text-%s is given twice\n", x->t[i].code);
                return 1;
            }
        if (l < 0) {
            char known[128] = "";
            for (size_t k = 0; k < set->n_langs; k++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                         k ? ", " : "", set->langs[k]);
            fprintf(stderr, "ussdgw alert send: unknown language '%s' in --text-%s (the menus have %s)\n",
                    x->t[i].code, x->t[i].code, known);
            return 1;
        }
        x->t[i].lang = l;
    }
    return 0;
}

/* ---- the send ---- */

struct alert_send {
    struct app_conn *conn;
    const struct menu_set *set; /* NULL: one text for everyone */
    struct alert_texts *x;
    const char *topic, *district;
    char id[24];
    char **to;            /* subscribers */
    unsigned char *which; /* per subscriber: index into the texts */
    size_t n_to, next, inflight, queued, already, failed;
    int done, error;
};

/* An enqueue in flight: the alert and the text it counts for. */
struct alert_item {
    struct alert_send *a;
    size_t text;
};

static void pump(struct alert_send *a);

static void on_queued(void *arg, int status, const char *id)
{
    struct alert_item *it = arg;
    struct alert_send *a = it->a;
    (void)id;
    a->inflight--;
    if (status == 0) {
        a->queued++;
        a->x->t[it->text].queued++;
    } else if (status == 1) {
        a->already++; /* this alert id was queued for them before */
    } else {
        a->failed++;
    }
    free(it);
    pump(a);
}

/* Enqueue the next subscribers, ALERT_INFLIGHT at a time; done when all answered. */
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
        sms_enqueue(a->conn->q, a->to[i], a->x->t[it->text].text, key, on_queued, it);
    }
    if (a->next >= a->n_to && a->inflight == 0)
        a->done = 1;
}

/* The text of a subscriber whose saved language is lang (may be NULL): its index. */
static unsigned char text_for(const struct alert_send *a, const char *lang)
{
    int l = lang ? menu_find_lang(a->set, lang) : -1;
    unsigned char which = 0;
    for (size_t t = 1; l >= 0 && t < a->x->n; t++)
        if (a->x->t[t].lang == l)
            which = (unsigned char)t;
    return which;
}

/* The subscribers and their texts kept, then the enqueues. */
static void on_audience(void *arg, int status, const char *why, const struct alerts_audience *au)
{
    struct alert_send *a = arg;
    (void)why;
    if (status != REC_OK || !(a->to = calloc(au->n ? au->n : 1, sizeof *a->to)) ||
        (au->lang && !(a->which = calloc(au->n ? au->n : 1, 1)))) {
        a->error = a->done = 1;
        return;
    }
    for (size_t i = 0; i < au->n; i++) {
        if (!(a->to[a->n_to] = strdup(au->to[i])))
            continue;
        if (a->which)
            a->which[a->n_to] = text_for(a, au->lang[i]);
        a->n_to++;
    }
    pump(a);
}

static void on_id(void *arg, int status, const char *why, const char *id)
{
    struct alert_send *a = arg;
    (void)why;
    if (status != REC_OK) {
        a->error = a->done = 1;
        return;
    }
    snprintf(a->id, sizeof a->id, "%s", id);
    alerts_audience(&a->conn->env, a->topic, a->district, a->x->n > 1, on_audience, a);
}

/* What the send did, on stdout (and its failures on stderr): the exit status. */
static int report(const struct alert_send *a, const char *addr)
{
    const struct alert_texts *x = a->x;
    if (!a->done || a->error) {
        fprintf(stderr, "ussdgw alert send: Redis at %s did not answer\n", addr);
        return 1;
    }
    if (a->already)
        printf("alert %s: %zu queued, %zu already sent\n", a->id, a->queued, a->already);
    else
        printf("alert %s: %zu queued\n", a->id, a->queued);
    if (x->n > 1) {
        printf("by text: main %zu", x->t[0].queued);
        for (size_t i = 1; i < x->n; i++)
            printf(", %s %zu", a->set->langs[x->t[i].lang], x->t[i].queued);
        printf("\n");
    }
    if (a->failed)
        fprintf(stderr, "ussdgw alert send: %zu SMS could not be queued; send again with --id %s\n",
                a->failed, a->id);
    log_event(L_INFO, "alert.sent", "id=%s topic=%s district=%s queued=%zu failed=%zu texts=%zu",
              a->id, a->topic, a->district, a->queued, a->failed, x->n);
    return a->failed ? 1 : 0;
}

/* Send the alert on a new connection: the id (given, or a new one), the audience, the
 * enqueues. Returns the exit status. */
static int send_alert(const struct config *cfg, const struct menu_set *set,
                      struct alert_texts *x, const char *topic, const char *district,
                      const char *given_id)
{
    struct app_conn conn;
    if (app_conn_open(&conn, cfg, "alert", APP_CONN_QUEUE, 0))
        return 1;
    struct alert_send a = {.conn = &conn, .set = set, .x = x, .topic = topic,
                           .district = district};
    struct svc_ctx staff = {&conn.env, {SVC_STAFF, NULL, NULL, NULL}};
    if (given_id)
        on_id(&a, REC_OK, NULL, given_id);
    else
        alerts_new_id(&staff, on_id, &a);
    app_conn_wait(&conn, &a.done);
    int rc = report(&a, cfg->redis);
    for (size_t i = 0; i < a.n_to; i++)
        free(a.to[i]);
    free(a.to);
    free(a.which);
    app_conn_close(&conn);
    return rc;
}

/* ---- the command ---- */

/* The operands and --id checked: 0 with the topic and district, else the exit status
 * after saying why. */
static int check_args(const struct app_cli *cli, const char *given_id, const char **topic,
                      const struct geo_district **d)
{
    if (cli->n_args != 4 || strcmp(cli->args[0], "send") != 0) {
        usage(stderr);
        return 2;
    }
    const struct alerts_topic *t = alerts_topic_by_code(cli->args[1]);
    if (!t) {
        fprintf(stderr, "ussdgw alert send: unknown topic '%s' (water, waste, roads or health)\n",
                cli->args[1]);
        return 1;
    }
    *topic = t->code;
    if (!(*d = geo_district_by_name(cli->args[2]))) {
        fprintf(stderr, "ussdgw alert send: unknown district '%s'\n", cli->args[2]);
        return 1;
    }
    if (given_id && (!*given_id || strspn(given_id, "0123456789") != strlen(given_id) ||
                     strlen(given_id) > 18)) {
        fprintf(stderr, "ussdgw alert send: --id must be a number, not '%s'\n", given_id);
        return 2;
    }
    return 0;
}

/* The configuration, the texts checked and (with --text-LANG) the menus for their
 * languages: 0 with *set (NULL without --text-LANG), else the exit status. */
static int prepare(const struct app_cli *cli, struct config *cfg, struct alert_texts *x,
                   struct menu_set **set)
{
    int rc = app_cli_load(cli, cfg);
    if (rc)
        return rc;
    for (size_t i = 0; i < x->n; i++)
        if (check_text(&x->t[i], cfg->sms_max_parts))
            return 1;
    if (x->n < 2)
        return 0;
    if (!(*set = app_load_menus(cfg->menus, cfg, 1))) {
        fprintf(stderr, "ussdgw alert send: --text-LANG needs the menus (%s) for their languages\n",
                cfg->menus);
        return 1;
    }
    return text_langs(*set, x);
}

int app_alert(int argc, char **argv)
{
    struct alert_texts x = {.t = {{.lang = -1}}, .n = 1};
    const char *given_id = NULL;
    const struct app_opt opts[] = {
        {"id", 0, 1, 0, &given_id, NULL, NULL},
        {"text-", 0, 1, 1, NULL, NULL, take_text},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct app_cli cli = {.cmd = "alert", .usage = usage, .opts = opts, .ctx = &x, .with_menus = 1};
    struct config cfg;
    config_default(&cfg);
    struct menu_set *set = NULL;
    const char *topic = NULL;
    const struct geo_district *d = NULL;
    int rc = app_cli_parse(&cli, argc, argv);
    if (rc < 0 && (rc = check_args(&cli, given_id, &topic, &d)) == 0) {
        x.t[0].text = cli.args[3];
        if ((rc = prepare(&cli, &cfg, &x, &set)) == 0)
            rc = send_alert(&cfg, set, &x, topic, d->name, given_id);
    }
    menu_set_free(set);
    free_texts(&x);
    return rc;
}
