/*
 * main.c: the ussdgw command line. `ussdgw [options]` runs the gateway; `ussdgw -t`
 * checks the configuration and menus; `ussdgw check [DIR]` checks menus; `ussdgw try
 * DIAL` walks a dialog on the terminal. Flags override the config file, which
 * overrides the defaults.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "daemon.h"
#include "handler.h"
#include "log.h"
#include "menu_load.h"

#define USSDGW_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw [options]              run the gateway\n"
            "       ussdgw -t [options]           check the configuration and menus, then exit\n"
            "       ussdgw check [DIR]            check a menu folder (default menus.d)\n"
            "       ussdgw try [options] DIAL     walk a dialog on this terminal, e.g. '*123#'\n"
            "       ussdgw sms send TO TEXT [--key K] | ussdgw sms status ID\n"
            "       ussdgw alert send TOPIC DISTRICT TEXT   SMS an alert to its subscribers\n"
            "       ussdgw poll results ID   the votes of a poll (menus.d polls:), per option\n"
            "       ussdgw seed [--scale N]       load the demo records (parcels, businesses, applications)\n"
            "       ussdgw app show|status REF    an application; `ussdgw app -h` for more\n"
            "       ussdgw export [--from D] [--to D] [--out FILE]   anonymised aggregate CSV (open data)\n"
            "options:\n"
            "  -c, --config FILE       configuration file (see deploy/ussdgw.conf)\n"
            "      --smsc HOST:PORT    the SMSC of the first link (default 127.0.0.1:2775)\n"
            "      --system-id ID      bind system_id of the first link (default ussdgw)\n"
            "      --password PW       bind password of the first link\n"
            "      --redis ADDR        HOST:PORT or unix:PATH (default 127.0.0.1:6379)\n"
            "      --menus DIR         menu folder (default menus.d)\n"
            "      --log-level LEVEL   debug, info, warn, error (default info)\n"
            "      --http HOST:PORT    open the HTTP ingress for USSD aggregators (default off)\n"
            "      --msisdn N          try: the phone number (default 250788000001)\n"
            "      --lang L            try: the language to start in\n"
            "  -h, --help              this text\n"
            "  -V, --version           the version\n");
}

/* `check [DIR]`: every problem, then a one-line verdict. */
static int cmd_check(const char *dir, const struct config *cfg)
{
    struct menu_load_opts mo;
    struct diags d = {0};
    app_menu_opts(&mo);
    struct menu_set *set = menu_load_dir(dir, &mo, &d);
    diag_print(&d, stdout);
    int rc = set ? 0 : 1;
    if (set)
        printf("%s: OK: %zu screens, %zu dial strings, %zu languages, %zu warning(s), version %s\n",
               dir, set->n_screens, set->n_dials, set->n_langs, d.warnings, set->version);
    else
        printf("%s: %zu error(s), %zu warning(s)\n", dir, d.errors, d.warnings);
    (void)cfg;
    menu_set_free(set);
    diag_free(&d);
    return rc;
}

/* The first link, created with defaults when the config has none. */
static struct link_config *first_link(struct config *c)
{
    if (c->n_links == 0) {
        link_config_default(&c->links[0], "default");
        c->n_links = 1;
    }
    return &c->links[0];
}

enum { OPT_SMSC = 256, OPT_SYSID, OPT_PASSWORD, OPT_REDIS, OPT_MENUS, OPT_LOGLEVEL, OPT_MSISDN, OPT_LANG, OPT_HTTP };

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"smsc", required_argument, NULL, OPT_SMSC},
        {"system-id", required_argument, NULL, OPT_SYSID},
        {"password", required_argument, NULL, OPT_PASSWORD},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"menus", required_argument, NULL, OPT_MENUS},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"msisdn", required_argument, NULL, OPT_MSISDN},
        {"lang", required_argument, NULL, OPT_LANG},
        {"http", required_argument, NULL, OPT_HTTP},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct app_opts o;
    memset(&o, 0, sizeof o);
    config_default(&o.cfg);
    const char *cmd = NULL;
    int test_only = 0;
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        argv++;
        argc--;
    }
    if (cmd && strcmp(cmd, "sms") == 0)
        return app_sms(argc, argv); /* its own flags (--key) */
    if (cmd && strcmp(cmd, "alert") == 0)
        return app_alert(argc, argv); /* its own flags (--id) */
    if (cmd && strcmp(cmd, "poll") == 0)
        return app_poll(argc, argv); /* its own flags (--menus) */
    if (cmd && strcmp(cmd, "export") == 0)
        return app_export(argc, argv); /* its own flags (--from, --to, --out) */
    if (cmd && (strcmp(cmd, "seed") == 0 || strcmp(cmd, "app") == 0))
        return app_records_cli(cmd, argc, argv); /* its own flags (--scale, --note, ...) */
    /* flags are applied after the config file, so keep them until it is read */
    const char *f_smsc = NULL, *f_sysid = NULL, *f_pw = NULL, *f_redis = NULL, *f_menus = NULL,
               *f_level = NULL, *f_http = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:thV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config_path = optarg; break;
        case 't': test_only = 1; break;
        case OPT_SMSC: f_smsc = optarg; break;
        case OPT_SYSID: f_sysid = optarg; break;
        case OPT_PASSWORD: f_pw = optarg; break;
        case OPT_REDIS: f_redis = optarg; break;
        case OPT_MENUS: f_menus = optarg; break;
        case OPT_LOGLEVEL: f_level = optarg; break;
        case OPT_MSISDN: o.msisdn = optarg; break;
        case OPT_LANG: o.lang = optarg; break;
        case OPT_HTTP: f_http = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("ussdgw %s\n", USSDGW_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    struct diags d = {0};
    if (o.config_path)
        config_load(&o.cfg, o.config_path, &d);
    const char *origin = o.config_path ? o.config_path : "command line";
    if (f_smsc) {
        struct link_config *l = first_link(&o.cfg);
        if (config_split_hostport(f_smsc, l->host, sizeof l->host, &l->port))
            diag_add(&d, DIAG_ERROR, "--smsc", 1, 1, "must be HOST:PORT, not '%s'", f_smsc);
    }
    if (f_sysid)
        snprintf(first_link(&o.cfg)->system_id, sizeof o.cfg.links[0].system_id, "%s", f_sysid);
    if (f_pw)
        snprintf(first_link(&o.cfg)->password, sizeof o.cfg.links[0].password, "%s", f_pw);
    if (f_redis)
        snprintf(o.cfg.redis, sizeof o.cfg.redis, "%s", f_redis);
    if (f_menus)
        snprintf(o.cfg.menus, sizeof o.cfg.menus, "%s", f_menus);
    if (f_level)
        snprintf(o.cfg.log_level, sizeof o.cfg.log_level, "%s", f_level);
    if (f_http)
        snprintf(o.cfg.http, sizeof o.cfg.http, "%s", f_http);
    enum log_level lv;
    if (log_parse_level(o.cfg.log_level, &lv))
        diag_add(&d, DIAG_ERROR, origin, 1, 1, "log level must be debug, info, warn or error, not '%s'",
                 o.cfg.log_level);
    else
        log_set_level(lv);
    config_check(&o.cfg, &d, origin);
    if (d.errors) {
        diag_print(&d, stderr);
        diag_free(&d);
        return 1;
    }
    diag_print(&d, stderr);
    diag_free(&d);

    if (cmd && strcmp(cmd, "check") == 0)
        return cmd_check(optind < argc ? argv[optind] : o.cfg.menus, &o.cfg);
    if (cmd && strcmp(cmd, "try") == 0) {
        if (optind >= argc) {
            fprintf(stderr, "ussdgw try: which dial string? e.g. ussdgw try '*123#'\n");
            return 2;
        }
        return app_try(&o, argv[optind]);
    }
    if (cmd) {
        fprintf(stderr, "ussdgw: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
    }
    if (test_only) {
        struct menu_set *set = app_load_menus(o.cfg.menus, &o.cfg, 0);
        if (!set)
            return 1;
        printf("configuration OK: %s, menus %s (%zu screens), %d link(s)\n",
               o.config_path ? o.config_path : "defaults", o.cfg.menus, set->n_screens,
               o.cfg.n_links ? o.cfg.n_links : 1);
        menu_set_free(set);
        return 0;
    }
    struct menu_set *set = app_load_menus(o.cfg.menus, &o.cfg, 0);
    if (!set)
        return 1;
    return daemon_run(&o.cfg, set);
}
