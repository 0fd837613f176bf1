/*
 * polls_cli.c: `ussdgw poll results ID` prints the tally of poll ID (defined under
 * `polls:` in the menu folder) from the hash ussd:poll:ID:tally: one line per option,
 * "OPTION_ID<TAB>VOTES<TAB>LABEL" (label in the default language; projects and approved
 * proposals are prefixed with their district), in the order the poll gives them, then
 * "total<TAB>N" (choices: a voter with two choices counts twice) and
 * "status<TAB>open|closed|not yet open".
 *
 * `ussdgw poll notify-closed` sends the results of every closed poll with `results_sms:
 * true` to the voters who asked for them (gateway/poll_results.h: the gateway itself does
 * so every `poll_results_every` seconds for polls closed in the last 30 days; this is for
 * older polls, or a gateway run with it off); prints "poll ID: N queued, M already sent"
 * (or "being sent by another process") per poll and "queued<TAB>TOTAL".
 *
 * `ussdgw poll moderate list` prints the proposals waiting for review (oldest first),
 * "ID<TAB>DISTRICT<TAB>CATEGORY<TAB>MSISDN<TAB>TITLE"; `moderate approve ID [--poll
 * POLL]` makes proposal ID option pID of POLL (default: the first open poll), stored
 * in ussd:poll:POLL:extra; `moderate reject ID [--note TEXT]` refuses it. Both are one
 * EVAL (a second approve or reject of a decided proposal changes nothing and says so)
 * and SMS the proposer (idempotency key proposal:ID:approved|rejected).
 */
#include <event2/event.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "log.h"
#include "poll_results.h"
#include "sms_codec.h"
#include "sms_queue.h"
#include "store.h"

enum { OPT_REDIS = 256, OPT_MENUS, OPT_LOGLEVEL, OPT_POLL, OPT_NOTE };

struct tally {
    int done, error;
    const struct menu_poll *p;
    long long *votes;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw poll results [options] ID   the votes of poll ID, per option\n"
            "       ussdgw poll notify-closed [options] SMS the results of closed polls to voters\n"
            "       ussdgw poll moderate list | approve ID [--poll POLL] | reject ID [--note TEXT]\n"
            "                                          review residents' project proposals\n"
            "options:\n"
            "  -c, --config FILE       configuration file (redis, menus)\n"
            "      --redis ADDR        HOST:PORT or unix:PATH (default 127.0.0.1:6379)\n"
            "      --menus DIR         the menu folder with the poll (default menus.d)\n"
            "      --log-level LEVEL   debug, info, warn, error (default warn)\n");
}

static void on_tally(void *arg, int status, const struct redisReply *rep)
{
    struct tally *t = arg;
    t->done = 1;
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_ARRAY) {
        t->error = 1;
        return;
    }
    for (size_t i = 0; i + 1 < rep->elements; i += 2) {
        const redisReply *k = rep->element[i], *v = rep->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        for (size_t o = 0; o < t->p->n_options; o++)
            if (strcmp(t->p->options[o].id, k->str) == 0)
                t->votes[o] = strtoll(v->str, NULL, 10);
    }
}

struct reply_wait {
    int done, error;
    char **str;
    size_t n;
};

static void on_array(void *arg, int status, const struct redisReply *rep)
{
    struct reply_wait *w = arg;
    w->done = 1;
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_ARRAY) {
        w->error = 1;
        return;
    }
    w->str = calloc(rep->elements ? rep->elements : 1, sizeof *w->str);
    if (!w->str) {
        w->error = 1;
        return;
    }
    for (size_t i = 0; i < rep->elements; i++) {
        const redisReply *e = rep->element[i];
        w->str[w->n++] = strdup(e->type == REDIS_REPLY_STRING ? e->str : "");
    }
}

static void reply_free(struct reply_wait *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->str[i]);
    free(w->str);
}

static int wait_cmd(struct event_base *base, struct store *store, struct reply_wait *w,
                    const char *cmd, const char *key)
{
    const char *av[] = {cmd, key};
    store_cmd(store, on_array, w, 2, av, NULL);
    while (!w->done)
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            break;
    return w->done && !w->error ? 0 : -1;
}

struct notify {
    int done, status;
    size_t queued, failed;
};

static void on_poll_done(void *arg, const struct poll_results_report *r)
{
    struct notify *n = arg;
    if (r->busy)
        printf("poll %s: being sent by another process\n", r->poll);
    else
        printf("poll %s: %zu queued, %zu already sent\n", r->poll, r->queued, r->already);
    if (r->failed)
        fprintf(stderr, "ussdgw poll notify-closed: poll %s: %zu SMS could not be queued; run it again\n",
                r->poll, r->failed);
    n->queued += r->queued;
    n->failed += r->failed;
}

static void on_run_done(void *arg, int status)
{
    struct notify *n = arg;
    n->done = 1;
    n->status = status;
}

/* Results of every closed poll to the voters who asked (poll_results.h): 0, 1 when
 * some SMS could not be queued, -1 when Redis failed. */
static int notify_closed(struct menu_set *set, struct event_base *base, struct store *store,
                         struct sms_queue *q, int max_parts)
{
    struct notify n = {0};
    char owner[48];
    snprintf(owner, sizeof owner, "cli-%ld", (long)getpid());
    if (!poll_results_start(store, q, set, (long long)time(NULL), 0, max_parts, owner, on_poll_done,
                            on_run_done, &n))
        return -1;
    while (!n.done)
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            break;
    if (!n.done || n.status < 0)
        return -1;
    printf("queued\t%zu\n", n.queued);
    return n.failed ? 1 : 0;
}

/* KEYS: the proposal hash, proposals zset, the poll's extra hash (an approved proposal
 * also goes into EXTRA:DISTRICT, the ballot of its own district). ARGV: approve|reject,
 * id, poll, note. Returns {outcome, msisdn, title} (outcome approved, rejected,
 * already:STATUS, not_found). */
static const char script_moderate[] =
    "local st=redis.call('HGET',KEYS[1],'status')\n"
    "if not st then return {'not_found','','',''} end\n"
    "local h=redis.call('HMGET',KEYS[1],'msisdn','title','district','lang')\n"
    "local lang=h[4] or ''\n"
    "if lang=='' then lang=redis.call('GET','ussd:l:'..(h[1] or '')) or '' end\n"
    "if st~='pending' then return {'already:'..st,h[1],h[2],lang} end\n"
    "if ARGV[1]=='approve' then\n"
    "  redis.call('HSET',KEYS[3],'p'..ARGV[2],h[2])\n"
    "  redis.call('HSET',KEYS[3]..':'..(h[3] or ''),'p'..ARGV[2],h[2])\n"
    "  redis.call('HSET',KEYS[1],'status','approved','poll',ARGV[3])\n"
    "else redis.call('HSET',KEYS[1],'status','rejected','note',ARGV[4]) end\n"
    "redis.call('ZREM',KEYS[2],ARGV[2])\n"
    "return {ARGV[1]=='approve' and 'approved' or 'rejected',h[1],h[2],lang}\n";

struct mod_wait {
    int done, error;
    char outcome[64], msisdn[40], title[128], lang[16];
};

static void on_moderate(void *arg, int status, const struct redisReply *rep)
{
    struct mod_wait *w = arg;
    w->done = 1;
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 4) {
        w->error = 1;
        return;
    }
    char *dst[] = {w->outcome, w->msisdn, w->title, w->lang};
    size_t sz[] = {sizeof w->outcome, sizeof w->msisdn, sizeof w->title, sizeof w->lang};
    for (size_t i = 0; i < 4; i++)
        snprintf(dst[i], sz[i], "%s", rep->element[i]->type == REDIS_REPLY_STRING ? rep->element[i]->str : "");
}

static void on_one_queued(void *arg, int status, const char *id)
{
    (void)id;
    *(int *)arg = status >= 0 ? 1 : -1; /* 1: queued before (idempotency key) */
}

static int moderate_run(struct menu_set *set, struct event_base *base, struct store *store,
                        struct sms_queue *q, const char *act, const char *pid, const char *poll,
                        const char *note, const char *addr)
{
    if (strcmp(act, "list") == 0) {
        struct reply_wait w = {0};
        const char *av[] = {"ZRANGE", "ussd:poll:proposals", "0", "-1"};
        store_cmd(store, on_array, &w, 4, av, NULL);
        while (!w.done)
            if (event_base_loop(base, EVLOOP_ONCE) < 0)
                break;
        if (!w.done || w.error) {
            fprintf(stderr, "ussdgw poll moderate: Redis at %s did not answer\n", addr);
            reply_free(&w);
            return 1;
        }
        for (size_t i = 0; i < w.n; i++) {
            char key[96];
            snprintf(key, sizeof key, "ussd:poll:proposal:%s", w.str[i]);
            struct reply_wait h = {0};
            const char *hav[] = {"HMGET", key, "district", "category", "msisdn", "title"};
            store_cmd(store, on_array, &h, 6, hav, NULL);
            while (!h.done)
                if (event_base_loop(base, EVLOOP_ONCE) < 0)
                    break;
            if (!h.error && h.n == 4)
                printf("%s\t%s\t%s\t%s\t%s\n", w.str[i], h.str[0], h.str[1], h.str[2], h.str[3]);
            reply_free(&h);
        }
        printf("pending\t%zu\n", w.n);
        reply_free(&w);
        return 0;
    }
    if (!pid || !pid[0] || strlen(pid) > 20 || strspn(pid, "0123456789") != strlen(pid)) {
        fprintf(stderr, "ussdgw poll moderate: the proposal ID is a number, not '%s'\n", pid ? pid : "");
        return 2;
    }
    int approve = strcmp(act, "approve") == 0;
    const struct menu_poll *p = NULL;
    long long now = (long long)time(NULL);
    if (approve && poll)
        p = menu_poll_find(set, poll);
    else if (approve)
        for (size_t i = 0; i < set->n_polls && !p; i++)
            if (now >= set->polls[i].opens && now < set->polls[i].closes)
                p = &set->polls[i];
    if (approve && !p) {
        if (poll)
            fprintf(stderr, "ussdgw poll moderate: no poll '%s'\n", poll);
        else
            fprintf(stderr, "ussdgw poll moderate: no poll is open; name one with --poll\n");
        return 1;
    }
    char k_prop[96], k_extra[160];
    snprintf(k_prop, sizeof k_prop, "ussd:poll:proposal:%s", pid);
    snprintf(k_extra, sizeof k_extra, "ussd:poll:%s:extra", p ? p->id : "-");
    struct mod_wait w = {0};
    const char *av[] = {"EVAL", script_moderate, "3", k_prop, "ussd:poll:proposals", k_extra,
                        approve ? "approve" : "reject", pid, p ? p->id : "", note};
    store_cmd(store, on_moderate, &w, 10, av, NULL);
    while (!w.done)
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            break;
    if (!w.done || w.error) {
        fprintf(stderr, "ussdgw poll moderate: Redis at %s did not answer\n", addr);
        return 1;
    }
    if (strcmp(w.outcome, "not_found") == 0) {
        fprintf(stderr, "ussdgw poll moderate: no proposal %s\n", pid);
        return 1;
    }
    if (strncmp(w.outcome, "already:", 8) == 0) {
        printf("proposal %s was already %s\n", pid, w.outcome + 8);
        return 0;
    }
    /* in the proposer's language (as they proposed, else as last used); the staff's
     * note as they wrote it */
    char text[400], idem[96];
    int rw = strcmp(w.lang, "rw") == 0, fr = strcmp(w.lang, "fr") == 0;
    if (approve)
        snprintf(text, sizeof text,
                 rw   ? "Umushinga wanyu \"%s\" (no. %s) wemejwe: mushobora kuwutora kuri *123#."
                 : fr ? "Votre projet \"%s\" (no %s) est approuvé : vous pouvez voter pour lui sur *123#."
                      : "Your project \"%s\" (no. %s) was approved: you can now vote for it on *123#.",
                 w.title, pid);
    else
        snprintf(text, sizeof text,
                 rw   ? "Umushinga wanyu \"%s\" (no. %s) ntiwemejwe.%s%s"
                 : fr ? "Votre projet \"%s\" (no %s) n'a pas été retenu.%s%s"
                      : "Your project \"%s\" (no. %s) was not approved.%s%s",
                 w.title, pid, note[0] ? " " : "", note);
    snprintf(idem, sizeof idem, "proposal:%s:%s", pid, approve ? "approved" : "rejected");
    int queued = 0;
    if (sms_msisdn_ok(w.msisdn)) {
        sms_enqueue(q, w.msisdn, text, idem, on_one_queued, &queued);
        while (!queued)
            if (event_base_loop(base, EVLOOP_ONCE) < 0)
                break;
    }
    if (approve)
        printf("proposal %s approved: option p%s of poll %s\n", pid, pid, p->id);
    else
        printf("proposal %s rejected\n", pid);
    if (queued != 1) {
        fprintf(stderr, "ussdgw poll moderate: the SMS to the proposer could not be queued\n");
        return 1;
    }
    log_event(L_INFO, "poll.moderated", "proposal=%s action=%s", pid, act);
    return 0;
}

/* `poll results ID`: the tally, one line per option, then total and status. */
static int print_results(const struct menu_set *set, const struct menu_poll *p,
                         struct event_base *base, struct store *store, const char *addr)
{
    struct tally t = {.p = p, .votes = calloc(p->n_options ? p->n_options : 1, sizeof(long long))};
    int rc = 0;
    if (!t.votes)
        return 1;
    char key[160];
    snprintf(key, sizeof key, "ussd:poll:%s:tally", p->id);
    const char *av[] = {"HGETALL", key};
    store_cmd(store, on_tally, &t, 2, av, NULL);
    while (!t.done)
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            break;
    if (!t.done || t.error) {
        fprintf(stderr, "ussdgw poll results: Redis at %s did not answer\n", addr);
        rc = 1;
    } else {
        long long total = 0;
        for (size_t o = 0; o < p->n_options; o++) {
            const struct menu_poll_option *opt = &p->options[o];
            printf("%s\t%lld\t%s%s%s\n", opt->id, t.votes[o], opt->district ? opt->district : "",
                   opt->district ? ": " : "", menu_text_get(set, &opt->label, set->default_lang));
            total += t.votes[o];
        }
        /* approved proposals (ussd:poll:ID:extra), after the menu's options */
        struct reply_wait ew = {0}, tw = {0};
        snprintf(key, sizeof key, "ussd:poll:%s:extra", p->id);
        if (wait_cmd(base, store, &ew, "HGETALL", key) == 0) {
            snprintf(key, sizeof key, "ussd:poll:%s:tally", p->id);
            wait_cmd(base, store, &tw, "HGETALL", key);
            for (size_t e = 0; e + 1 < ew.n; e += 2) {
                long long v = 0;
                for (size_t k = 0; k + 1 < tw.n; k += 2)
                    if (strcmp(tw.str[k], ew.str[e]) == 0)
                        v = strtoll(tw.str[k + 1], NULL, 10);
                /* its district, like a project's (pN is proposal N) */
                if (ew.str[e][0] != 'p' || strspn(ew.str[e] + 1, "0123456789") == 0)
                    continue; /* not written by moderation: not counted either */
                char pkey[96];
                struct reply_wait dw = {0};
                snprintf(pkey, sizeof pkey, "ussd:poll:proposal:%s", ew.str[e] + 1);
                const char *dav[] = {"HMGET", pkey, "district"};
                store_cmd(store, on_array, &dw, 3, dav, NULL);
                while (!dw.done)
                    if (event_base_loop(base, EVLOOP_ONCE) < 0)
                        break;
                const char *dist = !dw.error && dw.n == 1 ? dw.str[0] : "";
                printf("%s\t%lld\t%s%s%s\n", ew.str[e], v, dist, dist[0] ? ": " : "",
                       ew.str[e + 1]);
                reply_free(&dw);
                total += v;
            }
        }
        reply_free(&ew);
        reply_free(&tw);
        long long now = (long long)time(NULL);
        printf("total\t%lld\nstatus\t%s\n", total,
               now < p->opens ? "not yet open" : now < p->closes ? "open" : "closed");
    }
    free(t.votes);
    return rc;
}

int app_poll(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"menus", required_argument, NULL, OPT_MENUS},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"poll", required_argument, NULL, OPT_POLL},
        {"note", required_argument, NULL, OPT_NOTE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct config cfg;
    const char *config_path = NULL, *redis = NULL, *menus = NULL, *level = "warn";
    const char *mod_poll = NULL, *mod_note = "";
    int ch;
    config_default(&cfg);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': config_path = optarg; break;
        case OPT_REDIS: redis = optarg; break;
        case OPT_MENUS: menus = optarg; break;
        case OPT_LOGLEVEL: level = optarg; break;
        case OPT_POLL: mod_poll = optarg; break;
        case OPT_NOTE: mod_note = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    int notify = sub && strcmp(sub, "notify-closed") == 0;
    int moderate = sub && strcmp(sub, "moderate") == 0;
    const char *act = moderate && argc - optind >= 2 ? argv[optind + 1] : "";
    int mod_ok = strcmp(act, "list") == 0 ? argc - optind == 2
                 : strcmp(act, "approve") == 0 || strcmp(act, "reject") == 0 ? argc - optind == 3
                                                                             : 0;
    if (!sub || (notify     ? argc - optind != 1
                 : moderate ? !mod_ok
                            : strcmp(sub, "results") != 0 || argc - optind != 2)) {
        usage(stderr);
        return 2;
    }
    const char *id = notify || moderate ? NULL : argv[optind + 1];
    int rc = app_cli_config(&cfg, "poll", config_path, redis, menus, level);
    if (rc)
        return rc;
    struct menu_set *set = app_load_menus(cfg.menus, &cfg, 1);
    if (!set)
        return 1;
    const struct menu_poll *p = NULL;
    if (!moderate && !notify && !(p = menu_poll_find(set, id))) {
        fprintf(stderr, "ussdgw poll results: no poll '%s' in %s\n", id, cfg.menus);
        menu_set_free(set);
        return 1;
    }
    struct app_conn conn;
    if (app_conn_open(&conn, &cfg, "poll", moderate || notify, 0)) {
        menu_set_free(set);
        return 1;
    }
    if (moderate) {
        rc = moderate_run(set, conn.base, conn.store, conn.q, act,
                          argc - optind == 3 ? argv[optind + 2] : NULL, mod_poll, mod_note,
                          cfg.redis);
    } else if (notify) {
        if ((rc = notify_closed(set, conn.base, conn.store, conn.q, cfg.sms_max_parts)) < 0) {
            fprintf(stderr, "ussdgw poll notify-closed: Redis at %s did not answer\n", cfg.redis);
            rc = 1;
        }
    } else {
        rc = print_results(set, p, conn.base, conn.store, cfg.redis);
    }
    app_conn_close(&conn);
    menu_set_free(set);
    return rc;
}
