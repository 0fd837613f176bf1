/*
 * app.h: the commands of the ussdgw binary, each a function taking the parsed options:
 * `try` (try.c), `sms` (sms_cli.c), `check`, `-t` and the daemon itself (main.c, which
 * hands the loaded menus to gateway/daemon.h).
 */
#ifndef USSDGW_APP_H
#define USSDGW_APP_H

#include "config.h"
#include "menu.h"

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

/* For the command-line tools: on top of cfg's defaults, read config_path (may be NULL),
 * then apply redis and menus when not NULL, check, print every problem to stderr and set
 * the log level. Returns 0, 1 (a bad configuration) or 2 (a bad log level). */
int app_cli_config(struct config *cfg, const char *cmd, const char *config_path,
                   const char *redis, const char *menus, const char *level);

/* A command-line tool's connection to Redis: its own loop, the store (its lines go to
 * the log as event=redis) and, when asked for, the SMS queue (only queues: the running
 * gateways send). */
struct app_conn {
    struct event_base *base;
    struct store *store;
    struct sms_queue *q; /* NULL unless opened with_queue */
};

/* Open c for cfg. 0, or 1 after "ussdgw CMD: cannot use Redis at ADDR" on stderr (c is
 * then closed). max_inflight 0: the store's default. */
int app_conn_open(struct app_conn *c, const struct config *cfg, const char *cmd, int with_queue,
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

/* `sms send TO TEXT [--key K]` (prints the id) and `sms status ID`. argv[0] is "sms";
 * takes -c, --redis and --log-level itself. Returns the exit status. */
int app_sms(int argc, char **argv);

/* `seed [--scale N] [--today DATE]` (the demo data set) and `app show REF`, `app status
 * REF NEW_STATUS [--note TEXT]`, `app create ...` (records_cli.c). argv[0] is cmd; takes
 * -c, --redis and --log-level itself. Returns the exit status. */
int app_records_cli(const char *cmd, int argc, char **argv);

/* `alert send TOPIC DISTRICT TEXT [--id N]` (alerts_cli.c): queue an alert for every
 * subscriber; prints "alert ID: N queued". argv[0] is "alert". Returns the exit status. */
int app_alert(int argc, char **argv);

/* `export [--from DATE] [--to DATE] [--out FILE]` (export_cli.c): anonymised aggregate
 * CSV (date,district,service,metric,value) of dialogs, applications, tickets and poll
 * votes. argv[0] is "export"; takes -c, --redis and --log-level itself. Returns the exit
 * status. */
int app_export(int argc, char **argv);

/* `poll results ID` (polls_cli.c): the tally of poll ID, one line per option.
 * argv[0] is "poll"; takes -c, --redis, --menus and --log-level itself. */
int app_poll(int argc, char **argv);

#endif
