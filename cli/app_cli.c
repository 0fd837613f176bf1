/*
 * app_cli.c: what every command-line tool of ussdgw does around its own work: its
 * options (the shared ones and its own, from one table), the log level, the
 * configuration file, the flags that override it, the check, the problems printed as
 * FILE:LINE:COL; the connection to Redis (and the SMS queue) and its loop.
 */
#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "sms_queue.h"
#include "store.h"
#include "svc_store.h"

/* ---- options ---- */

#define APP_MAX_OPTS 32 /* a tool's own options, at most */

/* The shared options, in the order of their index. */
enum { SH_CONFIG, SH_REDIS, SH_MENUS, SH_LEVEL, SH_HELP, SH_N };

static const struct app_opt shared[SH_N] = {
    {"config", 'c', 1, 0, NULL, NULL, NULL},
    {"redis", 0, 1, 0, NULL, NULL, NULL},
    {"menus", 0, 1, 0, NULL, NULL, NULL},
    {"log-level", 0, 1, 0, NULL, NULL, NULL},
    {"help", 'h', 0, 0, NULL, NULL, NULL},
};

/* Every option of c: the shared ones (without --menus unless the tool takes it), then
 * the tool's; returns how many. */
static size_t all_opts(const struct app_cli *c, const struct app_opt **out)
{
    size_t n = 0;
    for (size_t i = 0; i < SH_N; i++)
        if (i != SH_MENUS || c->with_menus)
            out[n++] = &shared[i];
    for (size_t i = 0; c->opts && (c->opts[i].name || c->opts[i].short_name) &&
                       n < SH_N + APP_MAX_OPTS;
         i++)
        out[n++] = &c->opts[i];
    return n;
}

/* 1 when the option argument s takes the next argument as its value. */
static int value_follows(const char *s, const struct app_opt *const *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!o[i]->has_value || o[i]->prefix)
            continue;
        if ((s[1] == '-' && o[i]->name && strcmp(s + 2, o[i]->name) == 0) ||
            (o[i]->short_name && s[1] == o[i]->short_name && !s[2]))
            return 1;
    }
    return 0;
}

/* Take the prefix options (--text-LANG TEXT, --text-LANG=TEXT) out of argv, which
 * getopt cannot name; the values of the other options and what follows "--" are left
 * alone. *argc becomes the new count. -1, or a take's exit status. */
static int take_prefixed(const struct app_cli *c, int *argc, char **argv,
                         const struct app_opt *const *o, size_t n)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *s = argv[i];
        const struct app_opt *p = NULL;
        for (size_t k = 0; s[0] == '-' && s[1] == '-' && k < n && !p; k++)
            if (o[k]->prefix && strncmp(s + 2, o[k]->name, strlen(o[k]->name)) == 0)
                p = o[k];
        if (strcmp(s, "--") == 0) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        if (!p) {
            argv[out++] = argv[i];
            if (s[0] == '-' && value_follows(s, o, n) && i + 1 < *argc)
                argv[out++] = argv[++i];
            continue;
        }
        const char *rest = s + 2 + strlen(p->name), *eq = strchr(rest, '=');
        char suffix[64];
        snprintf(suffix, sizeof suffix, "%.*s", (int)(eq ? (size_t)(eq - rest) : strlen(rest)),
                 rest);
        const char *value = eq ? eq + 1 : i + 1 < *argc ? argv[++i] : NULL;
        int rc = p->take ? p->take(c->ctx, suffix, value) : -1;
        if (rc >= 0)
            return rc;
    }
    argv[out] = NULL;
    *argc = out;
    return -1;
}

/* One option getopt found: -1 to go on, or the exit status. */
static int take_one(struct app_cli *c, const struct app_opt *o, const char *value)
{
    const char **slot[SH_N] = {&c->config_path, &c->redis, &c->menus, &c->level, NULL};
    for (size_t i = 0; i < SH_N; i++) {
        if (o != &shared[i])
            continue;
        if (i == SH_HELP) {
            c->usage(stdout);
            return 0;
        }
        *slot[i] = value;
        return -1;
    }
    if (o->value)
        *o->value = value;
    if (o->flag)
        *o->flag = 1;
    return o->take ? o->take(c->ctx, "", value) : -1;
}

int app_cli_parse(struct app_cli *c, int argc, char **argv)
{
    const struct app_opt *o[SH_N + APP_MAX_OPTS];
    size_t n = all_opts(c, o);
    int rc = take_prefixed(c, &argc, argv, o, n);
    if (rc >= 0)
        return rc;
    struct option longopts[SH_N + APP_MAX_OPTS + 1];
    char shorts[2 * (SH_N + APP_MAX_OPTS) + 1];
    size_t nl = 0, ns = 0;
    for (size_t i = 0; i < n; i++) {
        if (o[i]->prefix)
            continue;
        if (o[i]->name)
            longopts[nl++] = (struct option){o[i]->name,
                                             o[i]->has_value ? required_argument : no_argument,
                                             NULL, 1000 + (int)i};
        if (o[i]->short_name) {
            shorts[ns++] = (char)o[i]->short_name;
            if (o[i]->has_value)
                shorts[ns++] = ':';
        }
    }
    longopts[nl] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = 0;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
        const struct app_opt *found = NULL;
        for (size_t i = 0; i < n && !found; i++)
            if (ch == 1000 + (int)i || (ch != '?' && ch == o[i]->short_name))
                found = o[i];
        if (!found) {
            c->usage(stderr);
            return 2;
        }
        if ((rc = take_one(c, found, optarg)) >= 0)
            return rc;
    }
    c->args = argv + optind;
    c->n_args = argc - optind;
    return -1;
}

int app_cli_config(struct config *cfg, const char *cmd, const char *config_path,
                   const char *redis, const char *menus, const char *level)
{
    enum log_level lv;
    if (log_parse_level(level, &lv)) {
        fprintf(stderr, "ussdgw %s: log level must be debug, info, warn or error, not '%s'\n", cmd,
                level);
        return 2;
    }
    struct diags d = {0};
    if (config_path)
        config_load(cfg, config_path, &d);
    if (redis)
        snprintf(cfg->redis, sizeof cfg->redis, "%s", redis);
    if (menus)
        snprintf(cfg->menus, sizeof cfg->menus, "%s", menus);
    config_check(cfg, &d, config_path ? config_path : "command line");
    diag_print(&d, stderr);
    int bad = d.errors > 0;
    diag_free(&d);
    if (bad)
        return 1;
    log_set_level(lv);
    return 0;
}

int app_cli_load(const struct app_cli *c, struct config *cfg)
{
    return app_cli_config(cfg, c->cmd, c->config_path, c->redis, c->menus,
                          c->level ? c->level : "warn");
}

/* ---- the connection ---- */

void app_cli_store_log(void *arg, int level, const char *msg)
{
    (void)arg;
    log_event(level <= 3 ? L_ERROR : level == 4 ? L_WARN : L_DEBUG, "redis", "%s", msg);
}

struct ping {
    int done, ok;
};

static void on_ping(void *arg, int ok)
{
    struct ping *p = arg;
    p->done = 1;
    p->ok = ok;
}

/* PING and wait: 0 when Redis answered. */
static int ping(struct app_conn *c)
{
    struct ping p = {0, 0};
    svc_ping(&c->env, on_ping, &p);
    app_conn_wait(c, &p.done);
    return p.ok ? 0 : -1;
}

int app_conn_open(struct app_conn *c, const struct config *cfg, const char *cmd, int flags,
                  int max_inflight)
{
    memset(c, 0, sizeof *c);
    struct store_opts so = {.timeout_ms = cfg->redis_timeout_ms,
                            .log = app_cli_store_log,
                            .max_inflight = max_inflight};
    int with_queue = (flags & APP_CONN_QUEUE) != 0;
    c->base = event_base_new();
    c->store = c->base ? store_new(c->base, cfg->redis, &so) : NULL;
    c->q = c->store && with_queue ? sms_queue_new(c->base, c->store, cfg) : NULL;
    c->env = (struct svc_env){.base = c->base,
                              .store = c->store,
                              .vote_secret = cfg->vote_secret,
                              .ticket_window_s = cfg->ticket_window_s};
    if (!c->store || (with_queue && !c->q) || ((flags & APP_CONN_PING) && ping(c) != 0)) {
        fprintf(stderr, "ussdgw %s: cannot use Redis at %s\n", cmd, cfg->redis);
        app_conn_close(c);
        return 1;
    }
    return 0;
}

void app_conn_wait(struct app_conn *c, const int *done)
{
    while (!*done)
        if (event_base_loop(c->base, EVLOOP_ONCE) != 0)
            break; /* an error, or nothing left to wait for */
}

void app_conn_close(struct app_conn *c)
{
    fflush(stdout);
    sms_queue_free(c->q);
    store_free(c->store);
    if (c->base) {
        event_base_loop(c->base, EVLOOP_NONBLOCK); /* the store's deferred callbacks */
        event_base_free(c->base);
    }
    memset(c, 0, sizeof *c);
}
