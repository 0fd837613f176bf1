/*
 * app_cli.c: what every command-line tool of ussdgw does before its own work: the log
 * level, the configuration file, the flags that override it, the check, the problems
 * printed as FILE:LINE:COL.
 */
#include <stdio.h>

#include "app.h"
#include "log.h"

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
