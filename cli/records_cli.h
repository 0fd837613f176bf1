/*
 * records_cli.h: the records commands of ussdgw (`seed`, and `app show|status|create|
 * name|slots|book`), whose options records_cli.c reads: the connection they share and
 * each command. A command checks its arguments, connects (rec_cli_open), makes its
 * service calls and waits for them; it returns the exit status (0, 1 failed, 2 usage).
 */
#ifndef USSDGW_RECORDS_CLI_H
#define USSDGW_RECORDS_CLI_H

#include "app.h"
#include "records_create.h"

#define REC_CLI_INFLIGHT 512 /* the seed's writes waiting for Redis */

/* A command's connection: the loop and store (cli/app.h), the services' env on them,
 * the context of a member of staff at the command line, and the command's outcome. */
struct rec_cli {
    struct app_conn conn;
    struct svc_env env;
    struct svc_ctx ctx;
    int done; /* the callback came: stop waiting */
    int rc;   /* the exit status */
};

/* Connect for command cmd (app_conn_open, with room for the seed's writes) and PING:
 * 0, or 1 after "ussdgw CMD: cannot use Redis at ADDR" (c is then closed). */
int rec_cli_open(struct rec_cli *c, const struct config *cfg, const char *cmd);

/* Wait for the callback of a service call that returned rc: run the loop until c->done
 * (then clear it), or nothing is left to wait for (c->rc 1). rc -1 (not taken: no
 * callback comes) is c->rc 1 at once. */
void rec_cli_wait(struct rec_cli *c, int rc);

/* Close the connection; returns c->rc. */
int rec_cli_close(struct rec_cli *c);

/* `seed [--scale S] [--today DATE]` (seed.c). */
int rec_cli_seed(const struct config *cfg, const char *scale, const char *today);

/* `app show REF`, `app name NAME`, `app slots DISTRICT` (app_show.c). */
int rec_cli_show(const struct config *cfg, const char *ref);
int rec_cli_name(const struct config *cfg, const char *name);
int rec_cli_slots(const struct config *cfg, const char *district);

/* `app status REF NEW_STATUS [--note TEXT]`, `app book REF SLOT` (app_change.c). */
int rec_cli_status(const struct config *cfg, const char *ref, const char *to, const char *note);
int rec_cli_book(const struct config *cfg, const char *ref, const char *slot);

/* `app create ...` (app_create.c): req's channel NULL is "cli". */
int rec_cli_create(const struct config *cfg, struct rec_app_new *req);

/* 0 when ref is a reference, else 1 after saying on stderr what is wrong with it. */
int rec_cli_bad_ref(const char *ref);

/* 0 with the scale of --scale (full, small, tiny or a number in (0, 4]; NULL: full),
 * else 2 after saying so on stderr. */
int rec_cli_scale(const char *v, double *out);

#endif
