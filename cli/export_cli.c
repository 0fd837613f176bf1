/*
 * export_cli.c: `ussdgw export [--redis ADDR] [--from DATE] [--to DATE] [--out FILE]`
 * writes anonymised aggregate CSV for an open data portal:
 *
 *     date,district,service,metric,value
 *
 * one row per (date, district, service, metric), sorted, RFC 4180 quoting; the rows,
 * what they count and what can never be in them: services/export.h. Cells under
 * --min-cell (default 5) are hidden, with their complements (export_suppress): the value
 * is empty and the last column, whose name states the rule, says why. With --out the CSV
 * goes to FILE.tmp, renamed to FILE once whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "export.h"
#include "log.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw export [options]   anonymised aggregate CSV for open data\n"
            "columns: date,district,service,metric,value (metrics: dialogs, submissions,\n"
            "applications_STATUS, tickets_STATUS, votes_POLL_OPTION); no phone numbers, IDs or names\n"
            "options:\n"
            "  -c, --config FILE       configuration file (redis, redis_timeout_ms)\n"
            "      --redis ADDR        HOST:PORT or unix:PATH (default 127.0.0.1:6379)\n"
            "      --from YYYY-MM-DD   first day (Kigali time) to export (default: all)\n"
            "      --to YYYY-MM-DD     last day to export, inclusive (default: all)\n"
            "      --out FILE          write FILE (default standard output)\n"
            "      --min-cell N        hide counts from 1 to N-1, and what would reveal them\n"
            "                          (default 5; 1 hides nothing: not for publication)\n"
            "      --log-level LEVEL   debug, info, warn, error (default warn)\n");
}

static void csv_field(FILE *f, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int write_csv(FILE *f, const struct export_row *r, size_t n, long long min_cell)
{
    static const char *const why[] = {"", "small", "complement"};
    fprintf(f, "date,district,service,metric,value,hidden_below_%lld\r\n", min_cell > 1 ? min_cell : 1);
    for (size_t i = 0; i < n; i++) {
        const char *v[4] = {r[i].date, r[i].district, r[i].service, r[i].metric};
        for (int c = 0; c < 4; c++) {
            csv_field(f, v[c]);
            fputc(',', f);
        }
        if (r[i].hidden)
            fprintf(f, ",%s\r\n", why[r[i].hidden]);
        else
            fprintf(f, "%lld,\r\n", r[i].value);
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* The CSV to out (NULL: stdout), through out.tmp: 0, or 1 after saying why. */
static int write_out(const char *out, const struct export_row *r, size_t n, long long min_cell)
{
    char tmp[4096];
    FILE *f = stdout;
    if (out) {
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
        if (!(f = fopen(tmp, "w"))) {
            fprintf(stderr, "ussdgw export: cannot write %s\n", tmp);
            return 1;
        }
    }
    int bad = write_csv(f, r, n, min_cell);
    if (out) {
        bad |= fclose(f) != 0;
        if (bad || rename(tmp, out) != 0) {
            remove(tmp);
            bad = 1;
        }
    }
    if (bad)
        fprintf(stderr, "ussdgw export: cannot write %s\n", out ? out : "the output");
    return bad ? 1 : 0;
}

struct export_cmd {
    const char *out, *addr;
    long long min_cell;
    int done, rc;
    size_t rows, hidden;
};

static void on_rows(void *arg, int status, const char *why, struct export_row *r, size_t n)
{
    struct export_cmd *x = arg;
    (void)why;
    x->done = 1;
    x->rows = n;
    if (status == REC_ERR) {
        fprintf(stderr, "ussdgw export: Redis at %s did not answer\n", x->addr);
        x->rc = 1;
    } else if (status != REC_OK) {
        fprintf(stderr, "ussdgw export: more than %d rows or out of memory; narrow --from/--to\n",
                EXPORT_MAX_ROWS);
        x->rc = 1;
    } else {
        /* the rows are this callback's to change (export.h) */
        x->hidden = export_suppress(r, n, x->min_cell);
        x->rc = write_out(x->out, r, n, x->min_cell);
    }
}

int app_export(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *out = NULL, *min_cell = "5";
    const struct app_opt opts[] = {
        {"from", 0, 1, 0, &from, NULL, NULL},
        {"to", 0, 1, 0, &to, NULL, NULL},
        {"out", 0, 1, 0, &out, NULL, NULL},
        {"min-cell", 0, 1, 0, &min_cell, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct app_cli cli = {.cmd = "export", .usage = usage, .opts = opts};
    struct config cfg;
    config_default(&cfg);
    int rc = app_cli_parse(&cli, argc, argv);
    if (rc >= 0)
        return rc;
    if (cli.n_args > 0) {
        usage(stderr);
        return 2;
    }
    if ((from && !export_is_date(from)) || (to && !export_is_date(to))) {
        fprintf(stderr, "ussdgw export: --from and --to take a date, YYYY-MM-DD\n");
        return 2;
    }
    char *end = NULL;
    long long mc = strtoll(min_cell, &end, 10);
    if (!*min_cell || *end || mc < 1 || mc > 1000000) {
        fprintf(stderr, "ussdgw export: --min-cell takes a count from 1 to 1000000\n");
        return 2;
    }
    if ((rc = app_cli_load(&cli, &cfg)))
        return rc;
    struct app_conn conn;
    if (app_conn_open(&conn, &cfg, "export", 0, 0))
        return 1;
    struct export_cmd x = {.out = out, .addr = cfg.redis, .min_cell = mc};
    export_run(&conn.env, from, to, on_rows, &x);
    app_conn_wait(&conn, &x.done);
    if (!x.done) {
        fprintf(stderr, "ussdgw export: Redis at %s did not answer\n", cfg.redis);
        x.rc = 1;
    }
    log_event(L_INFO, "export.done", "rows=%zu hidden=%zu min_cell=%lld rc=%d", x.rows, x.hidden, mc, x.rc);
    app_conn_close(&conn);
    return x.rc;
}
