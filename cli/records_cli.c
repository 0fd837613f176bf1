/*
 * records_cli.c: the records commands of ussdgw, their options and their connection:
 *   ussdgw seed [--redis ADDR] [--scale N] [--today YYYY-MM-DD]
 *       load the deterministic demo data set (districts and sectors, parcels,
 *       businesses, applications in every state with history, bills, inspection slots;
 *       seed.c);
 *   ussdgw app show REF                        print an application, its bill and its
 *                                              history, or a ticket (app_show.c);
 *   ussdgw app status REF NEW_STATUS [--note TEXT]
 *       move it to a new status (transition table in records.h), record the history
 *       entry and queue an SMS to the applicant in their language (app_change.c);
 *   ussdgw app create --service S --kind K --msisdn N --idem KEY [--amount RWF]
 *       [--detail k=v]...
 *       create one through the same service the handlers use, for tests and support
 *       (app_create.c);
 *   ussdgw app name NAME | app slots DISTRICT | app book REF SLOT.
 * Every command reaches Redis through the services (services/records_*.h) only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "records_cli.h"
#include "svc_store.h"

/* ---- the connection ---- */

static void on_ping(void *arg, int ok)
{
    struct rec_cli *c = arg;
    c->done = 1;
    c->rc = ok ? 0 : 1;
}

int rec_cli_open(struct rec_cli *c, const struct config *cfg, const char *cmd)
{
    memset(c, 0, sizeof *c);
    if (app_conn_open(&c->conn, cfg, cmd, 0, REC_CLI_INFLIGHT * 2))
        return 1;
    c->env = (struct svc_env){.base = c->conn.base, .store = c->conn.store};
    c->ctx = (struct svc_ctx){&c->env, {SVC_STAFF, NULL, NULL, NULL}};
    svc_ping(&c->env, on_ping, c);
    rec_cli_wait(c, 0);
    if (c->rc == 0)
        return 0;
    fprintf(stderr, "ussdgw %s: cannot use Redis at %s\n", cmd, cfg->redis);
    app_conn_close(&c->conn);
    return 1;
}

void rec_cli_wait(struct rec_cli *c, int rc)
{
    if (rc == 0)
        app_conn_wait(&c->conn, &c->done);
    if (!c->done)
        c->rc = 1; /* not taken, or nothing left to wait for and no answer */
    c->done = 0;
}

int rec_cli_close(struct rec_cli *c)
{
    app_conn_close(&c->conn);
    return c->rc;
}

/* ---- what the commands share ---- */

int rec_cli_bad_ref(const char *ref)
{
    char out[REFS_MAX];
    const char *why = refs_parse(ref, NULL, out, sizeof out);
    if (!why)
        return 0;
    if (strcmp(why, "check") == 0)
        fprintf(stderr,
                "ussdgw app: '%s' is not a valid reference: its check digit does not match "
                "(a mistyped digit?)\n",
                ref);
    else if (strcmp(why, "prefix") == 0)
        fprintf(stderr,
                "ussdgw app: '%s' is not a valid reference: the prefix must be LND, BIZ or BPA\n",
                ref);
    else
        fprintf(stderr,
                "ussdgw app: '%s' is not a valid reference: expected PFX-YY-NNNNNN-C, e.g. "
                "LND-26-004213-7\n",
                ref);
    return 1;
}

int rec_cli_scale(const char *v, double *out)
{
    static const struct {
        const char *name;
        double scale;
    } names[] = {{"full", 1.0}, {"small", 0.02}, {"tiny", 0.002}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!v || strcmp(v, names[i].name) == 0) {
            *out = v ? names[i].scale : 1.0;
            return 0;
        }
    char *end;
    double x = strtod(v, &end);
    if (*end || !(x > 0) || x > 4) {
        fprintf(stderr,
                "ussdgw seed: --scale takes full, small, tiny or a number in (0, 4], not '%s'\n",
                v);
        return 2;
    }
    *out = x;
    return 0;
}

/* ---- options ---- */

static void app_usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw app show REF\n"
            "       ussdgw app status REF NEW_STATUS [--note TEXT]\n"
            "       ussdgw app create --service S --kind K --msisdn N --idem KEY [--amount RWF]\n"
            "                         [--detail k=v]... [--channel C]\n"
            "       ussdgw app name NAME           is a business name free? (similar names too)\n"
            "       ussdgw app slots DISTRICT      free inspection slots from now on\n"
            "       ussdgw app book REF SLOT       book one for an approved building permit\n"
            "options: -c FILE, --redis ADDR, --log-level LEVEL\n"
            "statuses: submitted, in_review, approved, rejected, paid, completed\n"
            "ticket statuses (TKT-...): received, in_progress, resolved, rejected\n");
}

static void seed_usage(FILE *f)
{
    fprintf(
        f,
        "usage: ussdgw seed [--redis ADDR] [-c FILE] [--scale full|small|tiny|N] [--today YYYY-MM-DD]\n");
}

enum {
    O_REDIS = 300,
    O_SCALE,
    O_TODAY,
    O_NOTE,
    O_LOGLEVEL,
    O_SERVICE,
    O_KIND,
    O_MSISDN,
    O_IDEM,
    O_AMOUNT,
    O_DETAIL,
    O_CHANNEL,
};

/* What the options said. */
struct rec_opts {
    const char *config_path, *redis, *scale, *today, *note, *level;
    struct rec_app_new req;
    struct handler_kv det[REC_MAX_DETAILS];
    char detbuf[REC_MAX_DETAILS][REC_VALUE_MAX + 32];
};

/* --detail k=v into o; 0, or 2 after saying why. */
static int opt_detail(struct rec_opts *o, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t nd = o->req.n_details;
    if (!eq || eq == kv || nd == REC_MAX_DETAILS || strlen(kv) >= sizeof o->detbuf[0]) {
        fprintf(stderr, "ussdgw app create: --detail takes key=value (at most %d)\n",
                REC_MAX_DETAILS);
        return 2;
    }
    snprintf(o->detbuf[nd], sizeof o->detbuf[nd], "%s", kv);
    o->detbuf[nd][eq - kv] = 0;
    o->det[nd] = (struct handler_kv){o->detbuf[nd], o->detbuf[nd] + (eq - kv) + 1};
    o->req.details = o->det;
    o->req.n_details = nd + 1;
    return 0;
}

/* One option ch with its argument into o: 0, or the exit status (2) after saying why. */
static int opt_one(struct rec_opts *o, int ch, const char *arg)
{
    switch (ch) {
    case 'c': o->config_path = arg; break;
    case O_REDIS: o->redis = arg; break;
    case O_SCALE: o->scale = arg; break;
    case O_TODAY: o->today = arg; break;
    case O_NOTE: o->note = arg; break;
    case O_LOGLEVEL: o->level = arg; break;
    case O_SERVICE: o->req.service = arg; break;
    case O_KIND: o->req.kind = arg; break;
    case O_MSISDN: o->req.msisdn = arg; break;
    case O_IDEM: o->req.idem_key = arg; break;
    case O_CHANNEL: o->req.channel = arg; break;
    case O_AMOUNT: {
        char *end;
        o->req.amount = strtol(arg, &end, 10);
        if (*end || o->req.amount < 0) {
            fprintf(stderr, "ussdgw app create: --amount takes RWF, not '%s'\n", arg);
            return 2;
        }
        break;
    }
    case O_DETAIL: return opt_detail(o, arg);
    default: return 2;
    }
    return 0;
}

/* Read the options of argv into o: -1 to go on, else the exit status. */
static int opts_read(struct rec_opts *o, int seed, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"redis", required_argument, NULL, O_REDIS},
        {"scale", required_argument, NULL, O_SCALE},
        {"today", required_argument, NULL, O_TODAY},
        {"note", required_argument, NULL, O_NOTE},
        {"log-level", required_argument, NULL, O_LOGLEVEL},
        {"service", required_argument, NULL, O_SERVICE},
        {"kind", required_argument, NULL, O_KIND},
        {"msisdn", required_argument, NULL, O_MSISDN},
        {"idem", required_argument, NULL, O_IDEM},
        {"amount", required_argument, NULL, O_AMOUNT},
        {"detail", required_argument, NULL, O_DETAIL},
        {"channel", required_argument, NULL, O_CHANNEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        if (ch == 'h') {
            seed ? seed_usage(stdout) : app_usage(stdout);
            return 0;
        }
        if (ch == '?') {
            seed ? seed_usage(stderr) : app_usage(stderr);
            return 2;
        }
        int rc = opt_one(o, ch, optarg);
        if (rc)
            return rc;
    }
    return -1;
}

/* The configuration file, --redis and the log level; 0, or 1 after the problems. */
static int opts_config(const struct rec_opts *o, struct config *cfg)
{
    config_default(cfg);
    struct diags d = {0};
    if (o->config_path && config_load(cfg, o->config_path, &d) != 0) {
        diag_print(&d, stderr);
        diag_free(&d);
        return 1;
    }
    diag_free(&d);
    if (o->redis)
        snprintf(cfg->redis, sizeof cfg->redis, "%s", o->redis);
    enum log_level lv;
    if (o->level && log_parse_level(o->level, &lv) == 0)
        log_set_level(lv);
    else
        log_set_level(L_WARN);
    return 0;
}

/* `app SUB ...`: the subcommand with its arguments. */
static int app_sub(const struct config *cfg, struct rec_opts *o, int n, char **args)
{
    const char *sub = n > 0 ? args[0] : NULL, *a1 = n > 1 ? args[1] : NULL;
    if (sub && strcmp(sub, "show") == 0 && n == 2)
        return rec_cli_show(cfg, a1);
    if (sub && strcmp(sub, "status") == 0 && n == 3)
        return rec_cli_status(cfg, a1, args[2], o->note);
    if (sub && strcmp(sub, "name") == 0 && n == 2)
        return rec_cli_name(cfg, a1);
    if (sub && strcmp(sub, "slots") == 0 && n == 2)
        return rec_cli_slots(cfg, a1);
    if (sub && strcmp(sub, "book") == 0 && n == 3)
        return rec_cli_book(cfg, a1, args[2]);
    if (sub && strcmp(sub, "create") == 0 && n == 1)
        return rec_cli_create(cfg, &o->req);
    app_usage(stderr);
    return 2;
}

/* The command with its arguments (after the options). */
static int records_run(const struct config *cfg, struct rec_opts *o, int seed, int n, char **args)
{
    if (!seed)
        return app_sub(cfg, o, n, args);
    if (n > 0) {
        seed_usage(stderr);
        return 2;
    }
    return rec_cli_seed(cfg, o->scale, o->today);
}

int app_records_cli(const char *cmd, int argc, char **argv)
{
    int seed = strcmp(cmd, "seed") == 0;
    struct rec_opts *o = calloc(1, sizeof *o);
    if (!o)
        return 1;
    o->req.amount = -1;
    struct config cfg;
    int rc = opts_read(o, seed, argc, argv);
    if (rc < 0)
        rc = opts_config(o, &cfg) ? 1 : records_run(&cfg, o, seed, argc - optind, argv + optind);
    free(o);
    return rc;
}
