/*
 * records_seed.c: the demo data set's writer; see records_seed.h. The commands are the
 * same, in the same order, as the records' own scripts would leave the data.
 */
#include "records_seed.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "store.h"

struct rec_seed {
    struct store *store;
    struct event *ev; /* fires a wait from the loop */
    size_t max, inflight, sent, failed;
    char first_error[200];
    rec_seed_cb wait_cb; /* NULL: no wait */
    void *wait_arg;
    int wait_all;
    int freed, in_cb;
};

static int ready(const struct rec_seed *w)
{
    return w->failed ? !w->wait_all || w->inflight == 0
                     : w->inflight < (w->wait_all ? 1 : w->max);
}

static void release(struct rec_seed *w)
{
    event_free(w->ev);
    free(w);
}

static void on_ready(evutil_socket_t fd, short what, void *p)
{
    struct rec_seed *w = p;
    (void)fd;
    (void)what;
    if (!w->wait_cb || !ready(w))
        return;
    rec_seed_cb cb = w->wait_cb;
    w->wait_cb = NULL;
    w->in_cb = 1;
    cb(w->wait_arg, w->failed ? REC_ERR : REC_OK, w->first_error);
    w->in_cb = 0;
    if (w->freed && w->inflight == 0)
        release(w);
}

static void on_write(void *arg, int status, const redisReply *r)
{
    struct rec_seed *w = arg;
    w->inflight--;
    if (status != STORE_OK && w->failed++ == 0)
        snprintf(w->first_error, sizeof w->first_error, "%s",
                 r && r->type == REDIS_REPLY_ERROR && r->str ? r->str
                                                             : "no reply (timeout or disconnected)");
    if (w->freed) {
        if (w->inflight == 0 && !w->in_cb)
            release(w);
        return;
    }
    if (w->wait_cb && ready(w))
        event_active(w->ev, EV_TIMEOUT, 1);
}

struct rec_seed *records_seed_new(const struct svc_env *env, size_t max_inflight)
{
    struct rec_seed *w = env && env->store && env->base ? calloc(1, sizeof *w) : NULL;
    if (!w)
        return NULL;
    w->ev = event_new(env->base, -1, 0, on_ready, w);
    if (!w->ev) {
        free(w);
        return NULL;
    }
    w->store = env->store;
    w->max = max_inflight ? max_inflight : 1;
    return w;
}

void records_seed_free(struct rec_seed *w)
{
    if (!w || w->freed)
        return;
    w->freed = 1;
    if (w->wait_cb) {
        rec_seed_cb cb = w->wait_cb;
        w->wait_cb = NULL;
        cb(w->wait_arg, REC_ERR, "the writer was freed");
    }
    if (w->inflight == 0 && !w->in_cb)
        release(w);
}

int records_seed_room(const struct rec_seed *w)
{
    return !w->failed && w->inflight < w->max;
}

int records_seed_wait(struct rec_seed *w, int all, rec_seed_cb cb, void *arg)
{
    if (w->wait_cb || w->freed)
        return -1;
    w->wait_cb = cb;
    w->wait_arg = arg;
    w->wait_all = all;
    if (ready(w))
        event_active(w->ev, EV_TIMEOUT, 1);
    return 0;
}

size_t records_seed_sent(const struct rec_seed *w)
{
    return w->sent;
}

size_t records_seed_failed(const struct rec_seed *w)
{
    return w->failed;
}

/* ---- writing ---- */

/* One command; its argv is copied by the store during the call. */
static void put(struct rec_seed *w, int argc, const char *const *argv)
{
    w->inflight++;
    w->sent++;
    store_cmd(w->store, on_write, w, argc, argv, NULL);
}

#define PUT(w, ...)                                                                                \
    do {                                                                                           \
        const char *const a_[] = {__VA_ARGS__};                                                    \
        put(w, (int)(sizeof a_ / sizeof a_[0]), a_);                                               \
    } while (0)

/* key's members anew: DEL, then cmd (SADD, ZADD) with the items in commands of at most
 * batch items. */
static void put_batches(struct rec_seed *w, const char *cmd, const char *key,
                        const char *const *items, size_t n, size_t batch)
{
    const char *argv[2 + 80];
    PUT(w, "DEL", key);
    for (size_t i = 0; i < n; i += batch) {
        size_t k = n - i < batch ? n - i : batch;
        argv[0] = cmd;
        argv[1] = key;
        memcpy(argv + 2, items + i, k * sizeof items[0]);
        put(w, (int)(2 + k), argv);
    }
}

void records_seed_geo(struct rec_seed *w, size_t i)
{
    size_t nd;
    const struct geo_district *d = geo_districts(&nd);
    if (i == 0) {
        PUT(w, "DEL", REC_PREFIX "geo:districts");
        for (size_t k = 0; k < nd; k++) {
            char code[8];
            snprintf(code, sizeof code, "%d", d[k].code);
            PUT(w, "HSET", REC_PREFIX "geo:districts", code, d[k].name);
        }
    }
    if (i >= nd)
        return;
    char key[64];
    snprintf(key, sizeof key, REC_PREFIX "geo:sectors:%s", d[i].name);
    PUT(w, "DEL", key);
    const char *argv[2 + 32];
    argv[0] = "RPUSH";
    argv[1] = key;
    for (int k = 0; k < d[i].n_sectors && k < 32; k++)
        argv[2 + k] = d[i].sectors[k];
    put(w, 2 + (d[i].n_sectors < 32 ? d[i].n_sectors : 32), argv);
}

void records_seed_parcel(struct rec_seed *w, const struct rec_parcel *p)
{
    char key[64], cell[16], area[24], tax[24];
    snprintf(key, sizeof key, REC_PREFIX "parcel:%s", p->upi);
    snprintf(cell, sizeof cell, "%d", p->cell);
    snprintf(area, sizeof area, "%ld", p->area_m2);
    snprintf(tax, sizeof tax, "%ld", p->tax_due);
    PUT(w, "DEL", key);
    PUT(w, "HSET", key, "upi", p->upi, "province", p->province, "district", p->district, "sector",
        p->sector, "cell", cell, "area_m2", area, "land_use", p->land_use, "owner_name",
        p->owner_name, "owner_id", p->owner_id, "tax_due", tax, "tax_due_date", p->tax_due_date);
}

void records_seed_owned(struct rec_seed *w, const char *owner_id, const char *what,
                        const char *const *members, size_t n)
{
    if (n == 0)
        return; /* nothing was written for nobody: reruns stay exact */
    char key[64];
    snprintf(key, sizeof key, REC_PREFIX "owner:%s:%s", owner_id, what);
    put_batches(w, "SADD", key, members, n, 64);
}

void records_seed_business(struct rec_seed *w, const struct rec_business *b)
{
    char key[32], norm[REFS_NAME_MAX], nkey[REFS_NAME_MAX];
    snprintf(key, sizeof key, REC_PREFIX "biz:%s", b->regno);
    refs_name_norm(b->name, norm, sizeof norm);
    refs_name_key(b->name, nkey, sizeof nkey);
    PUT(w, "DEL", key);
    PUT(w, "HSET", key, "regno", b->regno, "name", b->name, "name_norm", norm, "type", b->type,
        "owner_id", b->owner_id, "owner_name", b->owner_name, "district", b->district,
        "registered", b->registered, "licence_expiry", b->licence_expiry);
    PUT(w, "ZADD", REC_PREFIX "biz:names", "0", norm);
    PUT(w, "HSET", REC_PREFIX "biz:byname", norm, b->regno);
    PUT(w, "HSET", REC_PREFIX "biz:bykey", nkey, b->regno);
    char tok[REFS_TOKENS_MAX][REFS_TOKEN_MAX];
    size_t nt = refs_name_tokens(b->name, tok, REFS_TOKENS_MAX);
    for (size_t k = 0; k < nt; k++) {
        char tk[64];
        snprintf(tk, sizeof tk, REC_PREFIX "biz:tok:%s", tok[k]);
        PUT(w, "SADD", tk, b->regno);
    }
}

/* The application's hash, HSET whole. */
static void put_app_hash(struct rec_seed *w, const struct rec_seed_app *s, const char *key,
                         const char *nkey, const char *nnorm, const char *ntok)
{
    const struct rec_app *a = &s->app;
    const char *argv[2 + 2 * (16 + REC_MAX_DETAILS)];
    char dk[REC_MAX_DETAILS][32], slot_at[24];
    int n = 0;
    argv[n++] = "HSET";
    argv[n++] = key;
#define F(k, v) (argv[n++] = (k), argv[n++] = (v))
    F("ref", a->ref);
    F("service", a->service);
    F("kind", a->kind);
    F("status", a->status);
    F("msisdn", a->msisdn);
    F("created", a->created);
    F("updated", a->updated);
    F("bill", a->bill ? a->bill->number : "");
    F("idem", "seed");
    F("channel", a->channel);
    if (a->slot[0]) {
        snprintf(slot_at, sizeof slot_at, "%lld", s->slot_at);
        F("slot", a->slot);
        F("slot_at", slot_at);
        F("slot_district", a->slot_district);
    }
    if (nkey[0]) {
        F("name_key", nkey);
        F("name_norm", nnorm);
        F("name_tokens", ntok);
    }
    for (size_t k = 0; k < a->n_details && k < REC_MAX_DETAILS; k++) {
        snprintf(dk[k], sizeof dk[k], "d.%s", a->details[k].key);
        F(dk[k], a->details[k].value);
    }
#undef F
    put(w, n, argv);
}

/* The history: RPUSH of every entry that encodes. */
static void put_app_hist(struct rec_seed *w, const struct rec_app *a, const char *hkey)
{
    const char *argv[2 + REC_SEED_HIST_MAX];
    char *js[REC_SEED_HIST_MAX];
    int nh = 0;
    argv[0] = "RPUSH";
    argv[1] = hkey;
    for (size_t k = 0; k < a->n_hist && nh < REC_SEED_HIST_MAX; k++) {
        js[nh] = records_hist_json(a->hist[k].at, a->hist[k].status, a->hist[k].note);
        if (js[nh]) {
            argv[2 + nh] = js[nh];
            nh++;
        }
    }
    put(w, 2 + nh, argv);
    for (int k = 0; k < nh; k++)
        free(js[k]);
}

static void put_bill(struct rec_seed *w, const struct rec_bill *b)
{
    char key[48], amount[24];
    snprintf(key, sizeof key, REC_PREFIX "bill:%s", b->number);
    snprintf(amount, sizeof amount, "%ld", b->amount);
    PUT(w, "DEL", key);
    if (b->paid_at && b->paid_at[0])
        PUT(w, "HSET", key, "bill", b->number, "ref", b->ref, "amount", amount, "currency", "RWF",
            "status", b->status, "created", b->created, "expires", b->expires, "pay_code",
            b->pay_code, "paid_at", b->paid_at);
    else
        PUT(w, "HSET", key, "bill", b->number, "ref", b->ref, "amount", amount, "currency", "RWF",
            "status", b->status, "created", b->created, "expires", b->expires, "pay_code",
            b->pay_code);
}

void records_seed_app(struct rec_seed *w, const struct rec_seed_app *s)
{
    const struct rec_app *a = &s->app;
    char key[48], hkey[56], pkey[48], lkey[48], epoch[24];
    char nkey[REFS_NAME_MAX] = "", nnorm[REFS_NAME_MAX] = "", ntok[REFS_NAME_MAX + 16] = "";
    if (s->name)
        records_name_index(s->name, nkey, sizeof nkey, nnorm, sizeof nnorm, ntok, sizeof ntok);
    snprintf(key, sizeof key, REC_PREFIX "app:%s", a->ref);
    snprintf(hkey, sizeof hkey, REC_PREFIX "app:%s:hist", a->ref);
    snprintf(pkey, sizeof pkey, REC_PREFIX "phone:%s:apps", a->msisdn);
    snprintf(lkey, sizeof lkey, REC_PREFIX "l:%s", a->msisdn);
    snprintf(epoch, sizeof epoch, "%lld", s->submitted_at);
    PUT(w, "DEL", key, hkey);
    put_app_hash(w, s, key, nkey, nnorm, ntok);
    put_app_hist(w, a, hkey);
    if (s->phone_lang) {
        PUT(w, "DEL", pkey);
        PUT(w, "SET", lkey, s->phone_lang);
    }
    PUT(w, "ZADD", pkey, epoch, a->ref);
    if (a->bill)
        put_bill(w, a->bill);
    if (nkey[0] && strcmp(a->status, "rejected") != 0)
        PUT(w, "HSET", REC_PREFIX "biz:pending", nkey, a->ref);
}

void records_seed_slots(struct rec_seed *w, const char *district, const struct rec_slot *s,
                        size_t n)
{
    char key[48], bkey[56];
    snprintf(key, sizeof key, REC_PREFIX "slots:%s", district);
    snprintf(bkey, sizeof bkey, REC_PREFIX "slots:%s:booked", district);
    PUT(w, "DEL", key, bkey);
    const char *argv[2 + 2 * 40];
    char sc[40][24];
    size_t k = 0;
    argv[0] = "ZADD";
    argv[1] = key;
    for (size_t i = 0; i < n; i++) {
        snprintf(sc[k], sizeof sc[k], "%lld", (long long)s[i].at);
        argv[2 + 2 * k] = sc[k];
        argv[3 + 2 * k] = s[i].id;
        if (++k == 40 || i + 1 == n) {
            put(w, (int)(2 + 2 * k), argv);
            k = 0;
        }
    }
}

void records_seed_meta(struct rec_seed *w, const struct handler_kv *f, size_t n)
{
    const char *argv[2 + 2 * 16];
    size_t k = 0;
    argv[0] = "HSET";
    argv[1] = REC_PREFIX "seed";
    for (size_t i = 0; i < n && i < 16; i++) {
        argv[2 + k++] = f[i].key;
        argv[2 + k++] = f[i].value;
    }
    PUT(w, "DEL", REC_PREFIX "seed");
    put(w, (int)(2 + k), argv);
}
