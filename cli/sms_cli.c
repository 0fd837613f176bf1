/*
 * sms_cli.c: `ussdgw sms send TO TEXT [--key K]` queues one SMS in Redis and prints its
 * id; `ussdgw sms status ID` prints what became of it. Both talk to Redis only: a
 * running gateway (any of them) sends the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "log.h"
#include "sms_codec.h"
#include "sms_queue.h"

struct cli_state {
    int done;
    int status;
    char id[24];
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw sms send [options] TO TEXT [--key K]   queue an SMS, print its id\n"
            "       ussdgw sms status [options] ID                  what became of it\n"
            "options:\n"
            "  -c, --config FILE       configuration file (redis, sms_max_parts, ...)\n"
            "      --redis ADDR        HOST:PORT or unix:PATH (default 127.0.0.1:6379)\n"
            "      --key K             idempotency key: a second send with it returns the first id\n"
            "      --log-level LEVEL   debug, info, warn, error (default warn)\n");
}

static void on_queued(void *arg, int status, const char *id)
{
    struct cli_state *s = arg;
    s->done = 1;
    s->status = status < 0 ? -1 : 0; /* 1: the key's earlier message: its id */
    if (status >= 0)
        snprintf(s->id, sizeof s->id, "%s", id);
}

static void print_time(const char *name, long long ms)
{
    if (ms <= 0)
        return;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char b[32];
    gmtime_r(&t, &tm);
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    printf("%s: %s.%03lldZ\n", name, b, ms % 1000);
}

static void on_found(void *arg, int status, const struct sms_info *i)
{
    struct cli_state *s = arg;
    s->done = 1;
    s->status = status;
    if (status != 0)
        return;
    printf("id: %s\nstate: %s\nto: %s\nattempts: %d\nparts: %d\nparts_delivered: %d\nsmsc_ids: %s\n"
           "error: %s\nkey: %s\n",
           i->id, i->state, i->to, i->attempts, i->parts, i->parts_delivered, i->smsc_ids, i->error, i->key);
    print_time("created", i->created_ms);
    if (strcmp(i->state, "queued") == 0 || strcmp(i->state, "sending") == 0)
        print_time("next_attempt", i->next_ms);
    print_time("sent", i->sent_ms);
    print_time("done", i->done_ms);
    printf("text: %s\n", i->text);
}

/* The text's checks before it is queued: 0, or 1 after saying why. */
static int check_send(const char *to, const char *text, int max_parts)
{
    int parts = sms_count_parts(text, strlen(text));
    if (!sms_msisdn_ok(to)) {
        fprintf(stderr, "ussdgw sms send: '%s' is not a phone number (3 to 20 digits, optionally after a '+')\n", to);
        return 1;
    }
    if (parts == 0) {
        fprintf(stderr, "ussdgw sms send: the text is empty\n");
        return 1;
    }
    if (parts > max_parts) {
        fprintf(stderr, "ussdgw sms send: the text needs %s%d parts; sms_max_parts is %d\n",
                parts > SMS_MAX_PARTS ? "more than " : "", parts > SMS_MAX_PARTS ? SMS_MAX_PARTS : parts,
                max_parts);
        return 1;
    }
    return 0;
}

int app_sms(int argc, char **argv)
{
    const char *key = NULL;
    const struct app_opt opts[] = {
        {"key", 0, 1, 0, &key, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct app_cli cli = {.cmd = "sms", .usage = usage, .opts = opts};
    struct config cfg;
    config_default(&cfg);
    int rc = app_cli_parse(&cli, argc, argv);
    if (rc >= 0)
        return rc;
    const char *sub = cli.n_args > 0 ? cli.args[0] : NULL;
    int nargs = cli.n_args - 1;
    int is_send = sub && strcmp(sub, "send") == 0, is_status = sub && strcmp(sub, "status") == 0;
    if ((!is_send && !is_status) || (is_send && nargs != 2) || (is_status && nargs != 1)) {
        usage(stderr);
        return 2;
    }
    if ((rc = app_cli_load(&cli, &cfg)))
        return rc;
    if (is_send && check_send(cli.args[1], cli.args[2], cfg.sms_max_parts))
        return 1;

    struct app_conn conn;
    if (app_conn_open(&conn, &cfg, "sms", APP_CONN_QUEUE, 0))
        return 1;
    struct cli_state s = {0};
    if (is_send)
        sms_enqueue(conn.q, cli.args[1], cli.args[2], key, on_queued, &s);
    else
        sms_lookup(conn.q, cli.args[1], on_found, &s);
    app_conn_wait(&conn, &s.done);
    rc = 0;
    if (!s.done || s.status < 0) {
        fprintf(stderr, "ussdgw sms %s: Redis at %s did not answer\n", sub, cfg.redis);
        rc = 1;
    } else if (is_send)
        printf("%s\n", s.id);
    else if (s.status == 1) {
        fprintf(stderr, "ussdgw sms status: no message %s\n", cli.args[1]);
        rc = 1;
    }
    app_conn_close(&conn);
    return rc;
}
