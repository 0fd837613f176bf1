/*
 * main.c: the ussdgw command line. `ussdgw [options]` runs the gateway; `ussdgw -t`
 * checks the configuration and menus; `ussdgw check [DIR]` checks menus; `ussdgw try
 * DIAL` walks a dialog on the terminal. Flags override the config file, which
 * overrides the defaults.
 */
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

static int run_seed(int argc, char **argv)
{
    return app_records_cli("seed", argc, argv);
}

static int run_app(int argc, char **argv)
{
    return app_records_cli("app", argc, argv);
}

/* The tools with options of their own (--key, --id, --from, --scale, ...). */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} tools[] = {
    {"sms", app_sms},       {"alert", app_alert}, {"poll", app_poll},
    {"export", app_export}, {"seed", run_seed},   {"app", run_app},
};

/* The daemon's flags, kept until the config file is read (they override it). */
struct flags {
    const char *smsc, *sysid, *pw, *level, *http;
    int test_only;
};

static int take_version(void *ctx, const char *suffix, const char *value)
{
    (void)ctx;
    (void)suffix;
    (void)value;
    printf("ussdgw %s\n", USSDGW_VERSION);
    return 0;
}

/* The daemon's command line into o and f; -1 to go on, else the exit status. */
static int parse_flags(struct app_cli *cli, struct app_opts *o, struct flags *f, int argc,
                       char **argv)
{
    const struct app_opt opts[] = {
        {"smsc", 0, 1, 0, &f->smsc, NULL, NULL},
        {"system-id", 0, 1, 0, &f->sysid, NULL, NULL},
        {"password", 0, 1, 0, &f->pw, NULL, NULL},
        {"msisdn", 0, 1, 0, &o->msisdn, NULL, NULL},
        {"lang", 0, 1, 0, &o->lang, NULL, NULL},
        {"http", 0, 1, 0, &f->http, NULL, NULL},
        {NULL, 't', 0, 0, NULL, &f->test_only, NULL},
        {"version", 'V', 0, 0, NULL, NULL, take_version},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    *cli = (struct app_cli){.cmd = argv[0], .usage = usage, .opts = opts, .with_menus = 1};
    int rc = app_cli_parse(cli, argc, argv);
    o->config_path = cli->config_path;
    f->level = cli->level;
    return rc;
}

/* The config file, then the flags over it, checked: 0, or 1 after printing why. */
static int load_config(struct app_opts *o, const struct app_cli *cli, const struct flags *f)
{
    struct diags d = {0};
    if (o->config_path)
        config_load(&o->cfg, o->config_path, &d);
    const char *origin = o->config_path ? o->config_path : "command line";
    if (f->smsc) {
        struct link_config *l = first_link(&o->cfg);
        if (config_split_hostport(f->smsc, l->host, sizeof l->host, &l->port))
            diag_add(&d, DIAG_ERROR, "--smsc", 1, 1, "must be HOST:PORT, not '%s'", f->smsc);
    }
    if (f->sysid)
        snprintf(first_link(&o->cfg)->system_id, sizeof o->cfg.links[0].system_id, "%s", f->sysid);
    if (f->pw)
        snprintf(first_link(&o->cfg)->password, sizeof o->cfg.links[0].password, "%s", f->pw);
    if (cli->redis)
        snprintf(o->cfg.redis, sizeof o->cfg.redis, "%s", cli->redis);
    if (cli->menus)
        snprintf(o->cfg.menus, sizeof o->cfg.menus, "%s", cli->menus);
    if (f->level)
        snprintf(o->cfg.log_level, sizeof o->cfg.log_level, "%s", f->level);
    if (f->http)
        snprintf(o->cfg.http, sizeof o->cfg.http, "%s", f->http);
    enum log_level lv;
    if (log_parse_level(o->cfg.log_level, &lv))
        diag_add(&d, DIAG_ERROR, origin, 1, 1, "log level must be debug, info, warn or error, not '%s'",
                 o->cfg.log_level);
    else
        log_set_level(lv);
    config_check(&o->cfg, &d, origin);
    diag_print(&d, stderr);
    int bad = d.errors > 0;
    diag_free(&d);
    return bad;
}

/* `-t`: the configuration and the menus checked. */
static int cmd_test(const struct app_opts *o)
{
    struct menu_set *set = app_load_menus(o->cfg.menus, &o->cfg, 0);
    if (!set)
        return 1;
    printf("configuration OK: %s, menus %s (%zu screens), %d link(s)\n",
           o->config_path ? o->config_path : "defaults", o->cfg.menus, set->n_screens,
           o->cfg.n_links ? o->cfg.n_links : 1);
    menu_set_free(set);
    return 0;
}

/* What the command line asks for, once the configuration is loaded. */
static int run(const char *cmd, struct app_opts *o, const struct app_cli *cli, int test_only)
{
    if (cmd && strcmp(cmd, "check") == 0)
        return cmd_check(cli->n_args > 0 ? cli->args[0] : o->cfg.menus, &o->cfg);
    if (cmd && strcmp(cmd, "try") == 0) {
        if (cli->n_args < 1) {
            fprintf(stderr, "ussdgw try: which dial string? e.g. ussdgw try '*123#'\n");
            return 2;
        }
        return app_try(o, cli->args[0]);
    }
    if (cmd) {
        fprintf(stderr, "ussdgw: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
    }
    if (test_only)
        return cmd_test(o);
    struct menu_set *set = app_load_menus(o->cfg.menus, &o->cfg, 0);
    if (!set)
        return 1;
    return daemon_run(&o->cfg, set);
}

int main(int argc, char **argv)
{
    const char *cmd = NULL;
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        argv++;
        argc--;
    }
    for (size_t i = 0; cmd && i < sizeof tools / sizeof tools[0]; i++)
        if (strcmp(cmd, tools[i].name) == 0)
            return tools[i].run(argc, argv);
    struct app_opts o;
    struct flags f = {0};
    struct app_cli cli;
    memset(&o, 0, sizeof o);
    config_default(&o.cfg);
    int rc = parse_flags(&cli, &o, &f, argc, argv);
    if (rc >= 0)
        return rc;
    if (load_config(&o, &cli, &f))
        return 1;
    return run(cmd, &o, &cli, f.test_only);
}
