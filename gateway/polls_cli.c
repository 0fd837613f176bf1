/*
 * polls_cli.c: `ussdgw poll results ID` prints the tally of poll ID (defined under
 * `polls:` in the menu folder) from the hash ussd:poll:ID:tally: one line per option,
 * "OPTION_ID<TAB>VOTES<TAB>LABEL" (label in the default language; projects are
 * prefixed with their district), in the order the poll gives them, then
 * "total<TAB>N" and "status<TAB>open|closed|not yet open".
 */
#include <event2/event.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "log.h"
#include "store.h"

enum { OPT_REDIS = 256, OPT_MENUS, OPT_LOGLEVEL };

struct tally {
    int done, error;
    const struct menu_poll *p;
    long long *votes;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw poll results [options] ID   the votes of poll ID, per option\n"
            "options:\n"
            "  -c, --config FILE       configuration file (redis, menus)\n"
            "      --redis ADDR        HOST:PORT or unix:PATH (default 127.0.0.1:6379)\n"
            "      --menus DIR         the menu folder with the poll (default menus.d)\n"
            "      --log-level LEVEL   debug, info, warn, error (default warn)\n");
}

static void store_log(void *arg, int level, const char *msg)
{
    (void)arg;
    log_event(level <= 3 ? L_ERROR : level == 4 ? L_WARN : L_DEBUG, "redis", "%s", msg);
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

int app_poll(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"menus", required_argument, NULL, OPT_MENUS},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct config cfg;
    const char *config_path = NULL, *redis = NULL, *menus = NULL, *level = "warn";
    int ch;
    config_default(&cfg);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': config_path = optarg; break;
        case OPT_REDIS: redis = optarg; break;
        case OPT_MENUS: menus = optarg; break;
        case OPT_LOGLEVEL: level = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    if (!sub || strcmp(sub, "results") != 0 || argc - optind != 2) {
        usage(stderr);
        return 2;
    }
    const char *id = argv[optind + 1];
    enum log_level lv;
    if (log_parse_level(level, &lv)) {
        fprintf(stderr, "ussdgw poll: log level must be debug, info, warn or error, not '%s'\n", level);
        return 2;
    }
    struct diags dg = {0};
    if (config_path)
        config_load(&cfg, config_path, &dg);
    if (redis)
        snprintf(cfg.redis, sizeof cfg.redis, "%s", redis);
    if (menus)
        snprintf(cfg.menus, sizeof cfg.menus, "%s", menus);
    config_check(&cfg, &dg, config_path ? config_path : "command line");
    diag_print(&dg, stderr);
    int bad_config = dg.errors > 0;
    diag_free(&dg);
    if (bad_config)
        return 1;
    log_set_level(lv);
    struct menu_set *set = app_load_menus(cfg.menus, &cfg, 1);
    if (!set)
        return 1;
    const struct menu_poll *p = menu_poll_find(set, id);
    if (!p) {
        fprintf(stderr, "ussdgw poll results: no poll '%s' in %s\n", id, cfg.menus);
        menu_set_free(set);
        return 1;
    }
    struct tally t = {.p = p, .votes = calloc(p->n_options ? p->n_options : 1, sizeof(long long))};
    struct event_base *base = t.votes ? event_base_new() : NULL;
    struct store_opts so = {.timeout_ms = cfg.redis_timeout_ms, .log = store_log};
    struct store *store = base ? store_new(base, cfg.redis, &so) : NULL;
    int rc = 0;
    if (!store) {
        fprintf(stderr, "ussdgw poll: cannot use Redis at %s\n", cfg.redis);
        rc = 1;
    } else {
        char key[160];
        snprintf(key, sizeof key, "ussd:poll:%s:tally", p->id);
        const char *av[] = {"HGETALL", key};
        store_cmd(store, on_tally, &t, 2, av, NULL);
        while (!t.done)
            if (event_base_loop(base, EVLOOP_ONCE) < 0)
                break;
        if (!t.done || t.error) {
            fprintf(stderr, "ussdgw poll results: Redis at %s did not answer\n", cfg.redis);
            rc = 1;
        } else {
            long long total = 0;
            for (size_t o = 0; o < p->n_options; o++) {
                const struct menu_poll_option *opt = &p->options[o];
                printf("%s\t%lld\t%s%s%s\n", opt->id, t.votes[o], opt->district ? opt->district : "",
                       opt->district ? ": " : "", menu_text_get(set, &opt->label, set->default_lang));
                total += t.votes[o];
            }
            long long now = (long long)time(NULL);
            printf("total\t%lld\nstatus\t%s\n", total,
                   now < p->opens ? "not yet open" : now < p->closes ? "open" : "closed");
        }
    }
    fflush(stdout);
    store_free(store);
    if (base) {
        event_base_loop(base, EVLOOP_NONBLOCK); /* the store's deferred callbacks */
        event_base_free(base);
    }
    free(t.votes);
    menu_set_free(set);
    return rc;
}
