/*
 * export.c: the open-data aggregates; see export.h.
 *
 * The table is an open-addressing hash of "date SEP district SEP service SEP metric" ->
 * sum. The walk goes source by source: one SCAN batch, then one read per record of the
 * batch (all in flight together), then the next batch when every read has answered.
 */
#include "export.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polls.h"
#include "svc_store.h"
#include "tickets.h"

#define EXPORT_SCAN_COUNT "500"
#define EXPORT_FIELD_MAX 48
#define SEP '\x1f'

#define K_DIALOGS "ussd:stats:dialogs:" /* the dialog step's counters (gateway/dialog.c) */
#define K_APP REC_PREFIX "app:"         /* records.h */
#define K_POLL POLLS_KEY                /* polls.h: ussd:poll:ID:tally */

/* ---- the aggregate table ---- */

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

static void agg_free(struct agg *a)
{
    for (size_t i = 0; i < a->cap; i++)
        free(a->t[i].key);
    free(a->t);
}

/* A value fit for the output: a short code of letters, digits and _ - . / ' or space,
 * with no run of more than 5 digits (phone numbers, IDs); "unknown" when empty, else
 * "other". */
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

static int cmp_rows(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->key, ((const struct row *)b)->key);
}

/* The table's rows sorted, their keys cut into the four fields (the table is packed
 * and its keys changed: only agg_free after this). NULL without memory. */
static struct export_row *agg_rows(struct agg *a, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < a->cap; i++)
        if (a->t[i].key)
            a->t[k++] = a->t[i];
    for (size_t i = k; i < a->cap; i++)
        a->t[i].key = NULL;
    qsort(a->t, k, sizeof *a->t, cmp_rows);
    struct export_row *r = calloc(k ? k : 1, sizeof *r);
    for (size_t i = 0; r && i < k; i++) {
        char *f[4], *p = a->t[i].key;
        for (int c = 0; c < 4; c++) {
            f[c] = p;
            p = strchr(p, SEP);
            if (p)
                *p++ = 0;
            else
                p = f[c] + strlen(f[c]);
        }
        r[i] = (struct export_row){f[0], f[1], f[2], f[3], a->t[i].v, EXPORT_SHOWN};
    }
    *n = k;
    return r;
}

/* ---- the walk ---- */

enum src { SRC_DIALOGS, SRC_APPS, SRC_TICKETS, SRC_POLLS, SRC_N };

static const char *const patterns[SRC_N] = {
    K_DIALOGS "*",
    K_APP "*",
    TICKETS_KEY "*",
    K_POLL "*:tally",
};

struct exp {
    const struct svc_env *env;
    export_cb cb;
    void *arg;
    const char *from, *to;
    struct agg agg;
    enum src src;
    char cursor[32];
    size_t pending; /* record reads of the current batch still waiting */
    int scanning;   /* a SCAN is in flight */
    int error;
};

/* One record read. */
struct rd {
    struct exp *e;
    enum src src;
    int zset_tried;
    char id[64]; /* dialogs: the date; polls: the poll id */
    char key[128];
};

/* 1 when s (n bytes) begins with a date. */
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

int export_is_date(const char *s)
{
    return s && strlen(s) == 10 && is_date(s, 10);
}

static int in_range(const struct exp *e, const char *date)
{
    return (!e->from || strcmp(date, e->from) >= 0) && (!e->to || strcmp(date, e->to) <= 0);
}

static void next(struct exp *e);

/* The walk is over: the rows to the caller, then everything freed. */
static void finish(struct exp *e)
{
    size_t n = 0;
    struct export_row *rows = e->error || e->agg.full ? NULL : agg_rows(&e->agg, &n);
    if (e->error)
        e->cb(e->arg, REC_ERR, "redis", NULL, 0);
    else if (!rows)
        e->cb(e->arg, REC_REFUSED, "too_many", NULL, 0);
    else
        e->cb(e->arg, REC_OK, NULL, rows, n);
    free(rows);
    agg_free(&e->agg);
    free(e);
}

static const redisReply *field(const redisReply *r, size_t i)
{
    const redisReply *f = svc_reply_at(r, i);
    return f && f->type == REDIS_REPLY_STRING ? f : NULL;
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

static void record_done(struct rd *q)
{
    struct exp *e = q->e;
    free(q);
    e->pending--;
    if (!e->pending && !e->scanning)
        next(e);
}

/* The record's date when it has one within the range: 1 with date (11 bytes). */
static int dated(const struct exp *e, const redisReply *created, char *date)
{
    if (!created || !is_date(created->str, created->len))
        return 0;
    memcpy(date, created->str, 10);
    date[10] = 0;
    return in_range(e, date);
}

/* An application: service status created d.district slot_district. */
static void add_app(struct exp *e, const redisReply *rep)
{
    char b1[EXPORT_FIELD_MAX + 1], b2[EXPORT_FIELD_MAX + 1], b3[EXPORT_FIELD_MAX + 1];
    char metric[2 * EXPORT_FIELD_MAX + 32], date[11];
    const redisReply *svc = field(rep, 0), *st = field(rep, 1), *di = field(rep, 3);
    if (!di || !di->len)
        di = field(rep, 4);
    if (!svc || !dated(e, field(rep, 2), date))
        return;
    const char *district = di ? clean(di->str, di->len, b1) : "unknown";
    const char *service = clean(svc->str, svc->len, b2);
    agg_add(&e->agg, date, district, service, "submissions", 1);
    snprintf(metric, sizeof metric, "applications_%s", st ? clean(st->str, st->len, b3) : "unknown");
    agg_add(&e->agg, date, district, service, metric, 1);
}

/* A ticket: category district status created. */
static void add_ticket(struct exp *e, const redisReply *rep)
{
    char b1[EXPORT_FIELD_MAX + 1], b2[EXPORT_FIELD_MAX + 1], b3[EXPORT_FIELD_MAX + 1];
    char metric[2 * EXPORT_FIELD_MAX + 32], date[11], service[EXPORT_FIELD_MAX + 16];
    const redisReply *cat = field(rep, 0), *di = field(rep, 1), *st = field(rep, 2);
    if (!dated(e, field(rep, 3), date))
        return;
    snprintf(service, sizeof service, "report_%s", cat ? clean(cat->str, cat->len, b1) : "unknown");
    snprintf(metric, sizeof metric, "tickets_%s", st ? clean(st->str, st->len, b3) : "unknown");
    agg_add(&e->agg, date, di ? clean(di->str, di->len, b2) : "unknown", service, metric, 1);
}

/* Field/value pairs: a day's dialogs per home screen, or a poll's votes per option. */
static void add_pairs(struct exp *e, const struct rd *q, const redisReply *rep)
{
    char b[EXPORT_FIELD_MAX + 1], metric[2 * EXPORT_FIELD_MAX + 32];
    for (size_t i = 0; i + 1 < rep->elements; i += 2) {
        const redisReply *f = field(rep, i);
        if (!f)
            continue;
        if (q->src == SRC_DIALOGS) {
            agg_add(&e->agg, q->id, "all", clean(f->str, f->len, b), "dialogs",
                    to_ll(rep->element[i + 1]));
            continue;
        }
        snprintf(metric, sizeof metric, "votes_%s_%s", q->id, clean(f->str, f->len, b));
        agg_add(&e->agg, "all", "all", "poll", metric, to_ll(rep->element[i + 1]));
    }
}

static void on_record(void *arg, int status, const redisReply *rep)
{
    struct rd *q = arg;
    struct exp *e = q->e;
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_ARRAY) {
        /* a poll tally kept as a sorted set: read it as one */
        if (q->src == SRC_POLLS && !q->zset_tried && rep && rep->type == REDIS_REPLY_ERROR) {
            q->zset_tried = 1;
            const char *argv[] = {"ZRANGE", q->key, "0", "-1", "WITHSCORES"};
            svc_cmd(e->env, 5, argv, on_record, q);
            return;
        }
        if (status != STORE_OK && !(rep && rep->type == REDIS_REPLY_ERROR))
            e->error = 1; /* timeout or disconnection: the export would be incomplete */
        record_done(q);
        return;
    }
    if (q->src == SRC_APPS)
        add_app(e, rep);
    else if (q->src == SRC_TICKETS)
        add_ticket(e, rep);
    else
        add_pairs(e, q, rep);
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

/* The record id of key k in the current source (NULL: not one of its records), and its
 * length in *idlen for the dialogs and the polls. */
static const char *source_id(const struct exp *e, const redisReply *k, size_t *idlen)
{
    const char *id = NULL;
    switch (e->src) {
    case SRC_DIALOGS:
        id = record_id(k->str, k->len, K_DIALOGS, "");
        *idlen = id ? k->len - strlen(K_DIALOGS) : 0;
        return id && *idlen == 10 && is_date(id, *idlen) ? id : NULL;
    case SRC_APPS: return record_id(k->str, k->len, K_APP, "");
    case SRC_TICKETS: return record_id(k->str, k->len, TICKETS_KEY, "");
    case SRC_POLLS:
        id = record_id(k->str, k->len, K_POLL, ":tally");
        *idlen = id ? k->len - strlen(K_POLL) - strlen(":tally") : 0;
        return id;
    default: return NULL;
    }
}

/* The read of one record: HGETALL for the pairs, HMGET of the fields it may give. */
static void read_send(struct exp *e, struct rd *q)
{
    const char *all[] = {"HGETALL", q->key};
    const char *app[] = {"HMGET", q->key, "service", "status", "created", "d.district",
                         "slot_district"};
    const char *tkt[] = {"HMGET", q->key, "category", "district", "status", "created"};
    e->pending++;
    if (e->src == SRC_APPS)
        svc_cmd(e->env, 7, app, on_record, q);
    else if (e->src == SRC_TICKETS)
        svc_cmd(e->env, 6, tkt, on_record, q);
    else
        svc_cmd(e->env, 2, all, on_record, q);
}

static void read_record(struct exp *e, const redisReply *k)
{
    if (k->type != REDIS_REPLY_STRING || k->len >= sizeof((struct rd *)0)->key)
        return;
    size_t idlen = 0;
    const char *id = source_id(e, k, &idlen);
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
    read_send(e, q);
}

static void on_scan(void *arg, int status, const redisReply *rep)
{
    struct exp *e = arg;
    e->scanning = 0;
    const redisReply *cur = svc_reply_at(rep, 0), *keys = svc_reply_at(rep, 1);
    if (status != STORE_OK || svc_reply_len(rep) != 2 || !cur || cur->type != REDIS_REPLY_STRING ||
        !keys || keys->type != REDIS_REPLY_ARRAY || cur->len >= sizeof e->cursor) {
        e->error = 1;
        finish(e);
        return;
    }
    memcpy(e->cursor, cur->str, cur->len + 1);
    for (size_t i = 0; i < keys->elements; i++)
        read_record(e, keys->element[i]);
    if (!e->pending)
        next(e);
}

static void scan(struct exp *e, const char *cursor)
{
    const char *argv[] = {"SCAN", cursor, "MATCH", patterns[e->src], "COUNT", EXPORT_SCAN_COUNT};
    e->scanning = 1;
    svc_cmd(e->env, 6, argv, on_scan, e);
}

/* After a batch: the next SCAN of this source, the next source, or the end. */
static void next(struct exp *e)
{
    if (e->error || e->agg.full || (strcmp(e->cursor, "0") == 0 && ++e->src == SRC_N)) {
        finish(e);
        return;
    }
    scan(e, e->cursor);
    if (strcmp(e->cursor, "0") == 0)
        memcpy(e->cursor, "-", 2); /* "0" again only when SCAN says the walk is over */
}

void export_run(const struct svc_env *env, const char *from, const char *to, export_cb cb,
                void *arg)
{
    struct exp *e = calloc(1, sizeof *e);
    if (!e) {
        cb(arg, REC_REFUSED, "too_many", NULL, 0);
        return;
    }
    *e = (struct exp){.env = env, .cb = cb, .arg = arg, .from = from, .to = to,
                      .src = SRC_DIALOGS};
    memcpy(e->cursor, "-", 2);
    scan(e, "0");
}

/* ---- small cells ---- */

static int is_part(const struct export_row *r)
{
    return strncmp(r->metric, "applications_", 13) == 0;
}

/* One group [g, e) of a date, district and service: hide a second part where one alone
 * would show through its total. */
static size_t complement(struct export_row *g, size_t n)
{
    struct export_row *total = NULL, *small = NULL;
    size_t hidden = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(g[i].metric, "submissions") == 0)
            total = &g[i];
    if (!total || total->hidden)
        return 0; /* a hidden total shows nothing of its parts */
    for (size_t i = 0; i < n; i++)
        if (is_part(&g[i]) && g[i].hidden)
            hidden++;
    if (hidden != 1)
        return 0; /* none, or two and more: no one part follows from the rest */
    for (size_t i = 0; i < n; i++)
        if (is_part(&g[i]) && !g[i].hidden && (!small || g[i].value < small->value))
            small = &g[i];
    (small ? small : total)->hidden = EXPORT_COMPLEMENT;
    return 1;
}

size_t export_suppress(struct export_row *rows, size_t n, long long min_cell)
{
    size_t hidden = 0;
    if (min_cell <= 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].value > 0 && rows[i].value < min_cell) {
            rows[i].hidden = EXPORT_SMALL;
            hidden++;
        }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(rows[j].date, rows[i].date) == 0 &&
               strcmp(rows[j].district, rows[i].district) == 0 && strcmp(rows[j].service, rows[i].service) == 0)
            j++;
        hidden += complement(rows + i, j - i);
        i = j;
    }
    return hidden;
}
