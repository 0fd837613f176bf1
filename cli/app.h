/*
 * app.h: the commands of the ussdgw binary, each a function taking its command line:
 * `try` (try.c), `sms` (sms_cli.c), `alert`, `poll`, `export`, `seed` and `app`, `check`,
 * `-t` and the daemon itself (main.c, which hands the loaded menus to gateway/daemon.h);
 * and what every tool does around its own work (app_cli.c): one table of options, the
 * configuration, the connection to Redis.
 */
#ifndef USSDGW_APP_H
#define USSDGW_APP_H

#include <stdio.h>

#include "config.h"
#include "menu.h"
#include "svc.h"

struct app_opts {
    struct config cfg;
    const char *config_path;  /* -c FILE, or NULL */
    const char *msisdn;       /* try --msisdn */
    const char *lang;         /* try --lang */
};

/* Load the menu set of `dir` with the handler registry, printing every problem to
 * stderr as FILE:LINE:COL. Returns NULL when there were errors. */
struct menu_set *app_load_menus(const char *dir, const struct config *cfg, int quiet);

/* The loader's options of every command: the handler registry and the districts. */
struct menu_load_opts;
void app_menu_opts(struct menu_load_opts *mo);

/* ---- the options every tool parses ---- */

/* One option of a tool, besides the shared ones. */
struct app_opt {
    const char *name; /* the long name without "--" (or NULL: a letter only); with prefix:
                       * what it begins with */
    int short_name;   /* its letter (-x), or 0 */
    int has_value;    /* 1: takes a value: --name V, --name=V, -x V */
    int prefix;       /* 1: --NAMEanything, e.g. --text-rw TEXT: take gets "rw" */
    const char **value; /* gets the (last) value, when not NULL */
    int *flag;          /* set to 1 when given, when not NULL */
    /* each time it is given, when not NULL: -1 to go on, or the exit status after
     * printing why (2: a usage error; 0: done, e.g. after --version) */
    int (*take)(void *ctx, const char *suffix, const char *value);
};

/* A tool's command line: what it is, then what app_cli_parse found. */
struct app_cli {
    const char *cmd;            /* "alert": in the messages */
    void (*usage)(FILE *f);     /* the tool's usage, for -h and for mistakes */
    const struct app_opt *opts; /* its own options, up to a zeroed one (no name, no
                                 * letter); may be NULL */
    void *ctx;                  /* handed to take */
    int with_menus;             /* 1: --menus DIR is one of its options */
    /* the shared options as given (NULL when not): -c/--config FILE, --redis ADDR,
     * --menus DIR, --log-level LEVEL */
    const char *config_path, *redis, *menus, *level;
    char **args; /* the operands, in order (options may stand between them) */
    int n_args;
};

/* Parse argv (argv[0]: the command) with the shared options, -h/--help and c->opts.
 * Returns -1 to go on, or the exit status: 0 after --help (usage on stdout), 2 after a
 * mistake (getopt's message or the take's, then usage on stderr), or what a take
 * returned. The prefix options are taken first, in their order; the others in theirs. */
int app_cli_parse(struct app_cli *c, int argc, char **argv);

/* For the command-line tools: on top of cfg's defaults, read config_path (may be NULL),
 * then apply redis and menus when not NULL, check, print every problem to stderr and set
 * the log level. Returns 0, 1 (a bad configuration) or 2 (a bad log level). */
int app_cli_config(struct config *cfg, const char *cmd, const char *config_path,
                   const char *redis, const char *menus, const char *level);

/* app_cli_config with what c parsed; the log level "warn" when none was given. */
int app_cli_load(const struct app_cli *c, struct config *cfg);

/* ---- the connection to Redis ---- */

/* A command-line tool's connection to Redis: its own loop, the store (its lines go to
 * the log as event=redis), the services' env on them (with cfg's vote_secret and
 * ticket_merge_window) and, when asked for, the SMS queue (only queues: the running
 * gateways send). */
struct app_conn {
    struct event_base *base;
    struct store *store;
    struct sms_queue *q; /* NULL unless opened with APP_CONN_QUEUE */
    struct svc_env env;
};

#define APP_CONN_QUEUE 1 /* open the SMS queue too (1: what older callers pass) */
#define APP_CONN_PING 2  /* PING Redis and wait for its answer before returning */

/* Open c for cfg; flags: APP_CONN_QUEUE, APP_CONN_PING (or 0). max_inflight: requests
 * that may wait for Redis (0: the store's default; a bulk loader wants more). 0, or 1
 * after "ussdgw CMD: cannot use Redis at ADDR" on stderr (c is then closed). */
int app_conn_open(struct app_conn *c, const struct config *cfg, const char *cmd, int flags,
                  int max_inflight);

/* Run c's loop until *done is set, or nothing is left to wait for. */
void app_conn_wait(struct app_conn *c, const int *done);

/* Close the queue, then the store, run their last callbacks, free the loop. A zeroed or
 * already closed c is fine. */
void app_conn_close(struct app_conn *c);

/* The store's log callback of the command-line tools. */
void app_cli_store_log(void *arg, int level, const char *msg);

/* `try DIAL`: one dialog on the real engine and Redis, answers from stdin. */
int app_try(struct app_opts *o, const char *dial);

/* ---- the commands: argv[0] is the command; each returns the exit status ---- */

/* `sms send TO TEXT [--key K]` (prints the id) and `sms status ID`. */
int app_sms(int argc, char **argv);

/* `seed [--scale N] [--today DATE]` (the demo data set) and `app show REF`, `app status
 * REF NEW_STATUS [--note TEXT]`, `app create ...` (records_cli.c). argv[0] is cmd. */
int app_records_cli(const char *cmd, int argc, char **argv);

/* `alert send TOPIC DISTRICT TEXT [--text-LANG TEXT]... [--id N]` (alerts_cli.c): queue
 * an alert for every subscriber; prints "alert ID: N queued". */
int app_alert(int argc, char **argv);

/* `export [--from DATE] [--to DATE] [--out FILE]` (export_cli.c): anonymised aggregate
 * CSV (date,district,service,metric,value) of dialogs, applications, tickets and poll
 * votes. */
int app_export(int argc, char **argv);

/* `poll results ID`, `poll notify-closed`, `poll moderate ...` (polls_cli.c). */
int app_poll(int argc, char **argv);

#endif
