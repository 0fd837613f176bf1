/*
 * app_cli.c: what every command-line tool of ussdgw does around its own work: the log
 * level, the configuration file, the flags that override it, the check, the problems
 * printed as FILE:LINE:COL; the connection to Redis (and the SMS queue) and its loop.
 */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "sms_queue.h"
#include "store.h"

void app_cli_store_log(void *arg, int level, const char *msg)
{
    (void)arg;
    log_event(level <= 3 ? L_ERROR : level == 4 ? L_WARN : L_DEBUG, "redis", "%s", msg);
}

int app_conn_open(struct app_conn *c, const struct config *cfg, const char *cmd, int with_queue,
                  int max_inflight)
{
    memset(c, 0, sizeof *c);
    struct store_opts so = {.timeout_ms = cfg->redis_timeout_ms,
                            .log = app_cli_store_log,
                            .max_inflight = max_inflight};
    c->base = event_base_new();
    c->store = c->base ? store_new(c->base, cfg->redis, &so) : NULL;
    c->q = c->store && with_queue ? sms_queue_new(c->base, c->store, cfg) : NULL;
    if (!c->store || (with_queue && !c->q)) {
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
