/*
 * export_cli.c: `ussdgw export [--redis ADDR] [--from DATE] [--to DATE] [--out FILE]`
 * writes anonymised aggregate CSV for an open data portal:
 *
 *     date,district,service,metric,value
 *
 * one row per (date, district, service, metric), sorted, RFC 4180 quoting. Sources,
 * walked with SCAN (bounded batches, never KEYS), at most one batch in flight:
 *   - ussd:stats:dialogs:DATE  hash home screen -> new dialogs (written by the session
 *     save script): metric "dialogs", district "all", service the home screen;
 *   - ussd:app:REF             (not its :hist) service, status, created, d.district
 *     (or slot_district): metrics "submissions" and "applications_STATUS";
 *   - ussd:ticket:REF          (not its sub-keys) category, district, status, created:
 *     service "report_CATEGORY", metric "tickets_STATUS";
 *   - ussd:poll:ID:tally       when present (hash option -> votes, or a zset): date and
 *     district "all", service "poll", metric "votes_ID_OPTION".
 * Only these fields are ever read (HMGET): no phone number, ID, name or free text can
 * reach the output; every value written is also checked to be a short code without a
 * long run of digits (otherwise "other"). DATE is Kigali time, the first ten characters
 * of `created`; --from and --to (inclusive) select dates; dateless poll rows always go out.
 * Memory: the aggregate table only (at most EXPORT_MAX_ROWS rows), never the raw records.
 */
#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "store.h"

#define EXPORT_SCAN_COUNT "500"
#define EXPORT_MAX_ROWS 2000000
#define EXPORT_FIELD_MAX 48
#define SEP '\x1f'

/* ---- the aggregate table: key "date SEP district SEP service SEP metric" -> sum ---- */

struct row {
    char *key;
    long long v;
};

struct agg {
    struct row *t;
    size_t cap, n;
    int full;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int agg_grow(struct agg *a)
{
    size_t ncap = a->cap ? a->cap * 2 : 1024;
    struct row *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return -1;
    for (size_t i = 0; i < a->cap; i++)
        if (a->t[i].key) {
            size_t j = (size_t)hash_str(a->t[i].key) & (ncap - 1);
            while (nt[j].key)
                j = (j + 1) & (ncap - 1);
            nt[j] = a->t[i];
        }
    free(a->t);
    a->t = nt;
    a->cap = ncap;
    return 0;
}

/* A value fit for the CSV: a short code of letters, digits and _ - . / ' or space, with
 * no run of more than 5 digits (phone numbers, IDs); "unknown" when empty, else "other". */
static const char *clean(const char *s, size_t n, char *buf)
{
    if (!s || n == 0)
        return "unknown";
    if (n > EXPORT_FIELD_MAX)
        return "other";
    int run = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (++run > 5)
                return "other";
            continue;
        }
        run = 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.' ||
              c == '/' || c == '\'' || c == ' '))
            return "other";
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    return buf;
}

static void agg_add(struct agg *a, const char *date, const char *district, const char *service,
                    const char *metric, long long v)
{
    char key[4 * (2 * EXPORT_FIELD_MAX + 16)];
    int l = snprintf(key, sizeof key, "%s%c%s%c%s%c%s", date, SEP, district, SEP, service, SEP, metric);
    if (l < 0 || (size_t)l >= sizeof key || a->full)
        return;
    if ((a->n + 1) * 2 > a->cap && (a->n >= EXPORT_MAX_ROWS || agg_grow(a) != 0)) {
        a->full = 1;
        return;
    }
    size_t j = (size_t)hash_str(key) & (a->cap - 1);
    while (a->t[j].key && strcmp(a->t[j].key, key) != 0)
        j = (j + 1) & (a->cap - 1);
    if (!a->t[j].key) {
        if (!(a->t[j].key = strdup(key))) {
            a->full = 1;
            return;
        }
        a->n++;
    }
    a->t[j].v += v;
}

/* ---- the walk ---- */

enum src { SRC_DIALOGS, SRC_APPS, SRC_TICKETS, SRC_POLLS, SRC_N };

static const char *const patterns[SRC_N] = {
    "ussd:stats:dialogs:*",
    "ussd:app:*",
    "ussd:ticket:*",
    "ussd:poll:*:tally",
};

struct exp {
    struct store *st;
    const char *from, *to;
    struct agg agg;
    enum src src;
    char cursor[32];
    size_t pending;  /* record reads of the current batch still waiting */
    int scanning;    /* a SCAN is in flight */
    int done, error;
};

struct rd {
    struct exp *e;
    enum src src;
    int zset_tried;
    char id[64];  /* dialogs: the date; polls: the poll id */
    char key[128];
};

static int is_date(const char *s, size_t n)
{
    static const char pat[] = "NNNN-NN-NN";
    if (n < 10)
        return 0;
    for (int i = 0; i < 10; i++)
        if (pat[i] == 'N' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != '-')
            return 0;
    return 1;
}

static int in_range(const struct exp *e, const char *date)
{
    return (!e->from || strcmp(date, e->from) >= 0) && (!e->to || strcmp(date, e->to) <= 0);
}

static void next(struct exp *e);

static const redisReply *field(const redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements || r->element[i]->type != REDIS_REPLY_STRING)
        return NULL;
    return r->element[i];
}

static long long to_ll(const redisReply *r)
{
    if (!r)
        return 0;
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type != REDIS_REPLY_STRING)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(r->str, &end); /* zset scores come as "3" or "3.0" */
    if (errno || end == r->str || d < 0 || d > 1e15)
        return 0;
    return (long long)d;
}

static void on_record(void *arg, int status, const struct redisReply *rep);

static void record_done(struct rd *q)
{
    struct exp *e = q->e;
    free(q);
    e->pending--;
    if (!e->pending && !e->scanning)
        next(e);
}

static void on_record(void *arg, int status, const struct redisReply *rep)
{
    struct rd *q = arg;
    struct exp *e = q->e;
    char b1[EXPORT_FIELD_MAX + 1], b2[EXPORT_FIELD_MAX + 1], b3[EXPORT_FIELD_MAX + 1];
    char metric[2 * EXPORT_FIELD_MAX + 32], date[11];
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_ARRAY) {
        /* a poll tally kept as a sorted set: read it as one */
        if (q->src == SRC_POLLS && !q->zset_tried && rep && rep->type == REDIS_REPLY_ERROR) {
            q->zset_tried = 1;
            store_cmdf(e->st, on_record, q, "ZRANGE %s 0 -1 WITHSCORES", q->key);
            return;
        }
        if (status != STORE_OK && !(rep && rep->type == REDIS_REPLY_ERROR))
            e->error = 1; /* timeout or disconnection: the export would be incomplete */
        record_done(q);
        return;
    }
    switch (q->src) {
    case SRC_DIALOGS:
        for (size_t i = 0; i + 1 < rep->elements; i += 2) {
            const redisReply *f = field(rep, i);
            if (f)
                agg_add(&e->agg, q->id, "all", clean(f->str, f->len, b1), "dialogs", to_ll(rep->element[i + 1]));
        }
        break;
    case SRC_APPS: { /* service status created d.district slot_district */
        const redisReply *svc = field(rep, 0), *st = field(rep, 1), *cr = field(rep, 2);
        const redisReply *di = field(rep, 3);
        if (!di || !di->len)
            di = field(rep, 4);
        if (!svc || !cr || !is_date(cr->str, cr->len))
            break;
        memcpy(date, cr->str, 10), date[10] = 0;
        if (!in_range(e, date))
            break;
        const char *district = di ? clean(di->str, di->len, b1) : "unknown";
        const char *service = clean(svc->str, svc->len, b2);
        agg_add(&e->agg, date, district, service, "submissions", 1);
        snprintf(metric, sizeof metric, "applications_%s", st ? clean(st->str, st->len, b3) : "unknown");
        agg_add(&e->agg, date, district, service, metric, 1);
        break;
    }
    case SRC_TICKETS: { /* category district status created */
        const redisReply *cat = field(rep, 0), *di = field(rep, 1), *st = field(rep, 2), *cr = field(rep, 3);
        if (!cr || !is_date(cr->str, cr->len))
            break;
        memcpy(date, cr->str, 10), date[10] = 0;
        if (!in_range(e, date))
            break;
        char service[EXPORT_FIELD_MAX + 16];
        snprintf(service, sizeof service, "report_%s", cat ? clean(cat->str, cat->len, b1) : "unknown");
        snprintf(metric, sizeof metric, "tickets_%s", st ? clean(st->str, st->len, b3) : "unknown");
        agg_add(&e->agg, date, di ? clean(di->str, di->len, b2) : "unknown", service, metric, 1);
        break;
    }
    case SRC_POLLS:
        for (size_t i = 0; i + 1 < rep->elements; i += 2) {
            const redisReply *f = field(rep, i);
            if (!f)
                continue;
            snprintf(metric, sizeof metric, "votes_%s_%s", q->id, clean(f->str, f->len, b1));
            agg_add(&e->agg, "all", "all", "poll", metric, to_ll(rep->element[i + 1]));
        }
        break;
    default: break;
    }
    record_done(q);
}

/* The part of key after prefix when it has no further ':' (a record, not a sub-key). */
static const char *record_id(const char *key, size_t len, const char *prefix, const char *suffix)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    if (len <= pl + sl || strncmp(key, prefix, pl) != 0 || strcmp(key + len - sl, suffix) != 0)
        return NULL;
    if (memchr(key + pl, ':', len - pl - sl))
        return NULL;
    return key + pl;
}

static void read_record(struct exp *e, const redisReply *k)
{
    if (k->type != REDIS_REPLY_STRING || k->len >= sizeof ((struct rd *)0)->key)
        return;
    const char *id = NULL;
    size_t idlen = 0;
    switch (e->src) {
    case SRC_DIALOGS:
        if ((id = record_id(k->str, k->len, "ussd:stats:dialogs:", ""))) {
            idlen = k->len - strlen("ussd:stats:dialogs:");
            if (idlen != 10 || !is_date(id, idlen))
                return;
        }
        break;
    case SRC_APPS: id = record_id(k->str, k->len, "ussd:app:", ""); break;
    case SRC_TICKETS: id = record_id(k->str, k->len, "ussd:ticket:", ""); break;
    case SRC_POLLS:
        if ((id = record_id(k->str, k->len, "ussd:poll:", ":tally")))
            idlen = k->len - strlen("ussd:poll:") - strlen(":tally");
        break;
    default: break;
    }
    if (!id)
        return;
    struct rd *q = calloc(1, sizeof *q);
    if (!q) {
        e->error = 1;
        return;
    }
    q->e = e;
    q->src = e->src;
    memcpy(q->key, k->str, k->len);
    if (e->src == SRC_DIALOGS) {
        memcpy(q->id, id, 10);
        if (!in_range(e, q->id)) {
            free(q);
            return;
        }
    } else if (e->src == SRC_POLLS) {
        char b[EXPORT_FIELD_MAX + 1];
        snprintf(q->id, sizeof q->id, "%s", clean(id, idlen, b));
    }
    e->pending++;
    switch (e->src) {
    case SRC_DIALOGS:
    case SRC_POLLS: store_cmdf(e->st, on_record, q, "HGETALL %s", q->key); break;
    case SRC_APPS:
        store_cmdf(e->st, on_record, q, "HMGET %s service status created d.district slot_district", q->key);
        break;
    default:
        store_cmdf(e->st, on_record, q, "HMGET %s category district status created", q->key);
        break;
    }
}

static void on_scan(void *arg, int status, const struct redisReply *rep)
{
    struct exp *e = arg;
    e->scanning = 0;
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
        rep->element[0]->type != REDIS_REPLY_STRING || rep->element[1]->type != REDIS_REPLY_ARRAY ||
        rep->element[0]->len >= sizeof e->cursor) {
        e->error = 1;
        e->done = 1;
        return;
    }
    memcpy(e->cursor, rep->element[0]->str, rep->element[0]->len + 1);
    const redisReply *keys = rep->element[1];
    for (size_t i = 0; i < keys->elements; i++)
        read_record(e, keys->element[i]);
    if (!e->pending)
        next(e);
}

/* After a batch: the next SCAN of this source, or the next source. */
static void next(struct exp *e)
{
    if (e->error || e->agg.full) {
        e->done = 1;
        return;
    }
    if (strcmp(e->cursor, "0") == 0) {
        if (++e->src == SRC_N) {
            e->done = 1;
            return;
        }
    }
    e->scanning = 1;
    store_cmdf(e->st, on_scan, e, "SCAN %s MATCH %s COUNT " EXPORT_SCAN_COUNT, e->cursor, patterns[e->src]);
    if (strcmp(e->cursor, "0") == 0)
        memcpy(e->cursor, "-", 2); /* "0" again only when SCAN says the walk is over */
}

/* ---- the output ---- */

static int cmp_rows(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->key, ((const struct row *)b)->key);
}

static void csv_field(FILE *f, const char *s, size_t n)
{
    if (strcspn(s, ",\"\r\n") >= n) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

static int write_csv(FILE *f, struct agg *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->cap; i++)
        if (a->t[i].key)
            a->t[n++] = a->t[i];
    qsort(a->t, n, sizeof *a->t, cmp_rows);
    fputs("date,district,service,metric,value\r\n", f);
    for (size_t i = 0; i < n; i++) {
        const char *p = a->t[i].key;
        for (int c = 0; c < 4; c++) {
            const char *s = strchr(p, SEP);
            size_t l = s ? (size_t)(s - p) : strlen(p);
            csv_field(f, p, l);
            fputc(',', f);
            p += l + (s ? 1 : 0);
        }
        fprintf(f, "%lld\r\n", a->t[i].v);
    }
    a->cap = n; /* the rows are packed now */
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

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
            "      --log-level LEVEL   debug, info, warn, error (default warn)\n");
}

enum { OPT_REDIS = 256, OPT_FROM, OPT_TO, OPT_OUT, OPT_LOGLEVEL };

int app_export(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"out", required_argument, NULL, OPT_OUT},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct config cfg;
    const char *config_path = NULL, *redis = NULL, *from = NULL, *to = NULL, *out = NULL, *level = "warn";
    int ch;

    config_default(&cfg);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': config_path = optarg; break;
        case OPT_REDIS: redis = optarg; break;
        case OPT_FROM: from = optarg; break;
        case OPT_TO: to = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_LOGLEVEL: level = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    if ((from && (strlen(from) != 10 || !is_date(from, 10))) || (to && (strlen(to) != 10 || !is_date(to, 10)))) {
        fprintf(stderr, "ussdgw export: --from and --to take a date, YYYY-MM-DD\n");
        return 2;
    }
    int rc = app_cli_config(&cfg, "export", config_path, redis, NULL, level);
    if (rc)
        return rc;

    struct app_conn conn;
    if (app_conn_open(&conn, &cfg, "export", 0, 0))
        return 1;
    struct exp e = {.st = conn.store, .from = from, .to = to, .src = SRC_DIALOGS};
    memcpy(e.cursor, "-", 2);
    e.scanning = 1;
    store_cmdf(conn.store, on_scan, &e, "SCAN 0 MATCH %s COUNT " EXPORT_SCAN_COUNT, patterns[e.src]);
    app_conn_wait(&conn, &e.done);
    rc = 0;
    if (!e.done || e.error) {
        fprintf(stderr, "ussdgw export: Redis at %s did not answer\n", cfg.redis);
        rc = 1;
    } else if (e.agg.full) {
        fprintf(stderr, "ussdgw export: more than %d rows or out of memory; narrow --from/--to\n",
                EXPORT_MAX_ROWS);
        rc = 1;
    } else {
        char tmp[4096];
        FILE *f = stdout;
        if (out) {
            snprintf(tmp, sizeof tmp, "%s.tmp", out);
            if (!(f = fopen(tmp, "w"))) {
                fprintf(stderr, "ussdgw export: cannot write %s\n", tmp);
                rc = 1;
            }
        }
        if (f) {
            int bad = write_csv(f, &e.agg);
            if (out) {
                bad |= fclose(f) != 0;
                if (bad || rename(tmp, out) != 0) {
                    remove(tmp);
                    bad = 1;
                }
            }
            if (bad) {
                fprintf(stderr, "ussdgw export: cannot write %s\n", out ? out : "the output");
                rc = 1;
            }
        }
    }
    size_t rows = 0;
    for (size_t i = 0; i < e.agg.cap; i++)
        if (e.agg.t[i].key) {
            free(e.agg.t[i].key);
            rows++;
        }
    free(e.agg.t);
    log_event(L_INFO, "export.done", "rows=%zu rc=%d", rows, rc);
    app_conn_close(&conn);
    return rc;
}
