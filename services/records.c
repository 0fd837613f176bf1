/*
 * records.c: the services' records on the Redis store; see records.h for the key
 * schema and the callback contract.
 *
 * Each operation is a small heap record (struct op) carried through one or two store
 * requests. Reads of one key are plain commands; reads of several keys and every
 * change are Lua scripts sent with EVAL: they run at human rate (a submission, a status
 * change, a booking), Redis keeps them compiled in its script cache, and there is no
 * NOSCRIPT fallback to get wrong after a Redis restart or fail-over. Scripts compute
 * keys from stored values (an application's bill, its district), which is fine on a
 * single Redis (not on Redis Cluster).
 */
#include "records.h"

#include "clock.h"
#include "sms_record.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "log.h"
#include "refs.h"
#include "store.h"

/* ---- time ---- */

char *records_time(time_t t, int date_only, char *buf, size_t n)
{
    return clock_text(t, date_only ? "%Y-%m-%d" : "%Y-%m-%d %H:%M", buf, n);
}

/* ---- statuses, transitions, fees ---- */

static const char *const states[] = {"submitted", "in_review", "approved",
                                     "rejected",  "paid",      "completed"};

int records_status_known(const char *s)
{
    for (size_t i = 0; s && i < sizeof states / sizeof states[0]; i++)
        if (strcmp(states[i], s) == 0)
            return 1;
    return 0;
}

/* The table: from -> the states it may go to. */
static const struct {
    const char *from;
    const char *to[3];
} moves[] = {
    {"submitted", {"in_review", "rejected", NULL}},
    {"in_review", {"approved", "rejected", NULL}},
    {"approved", {"paid", "completed", NULL}},
    {"paid", {"completed", NULL, NULL}},
    {"rejected", {NULL, NULL, NULL}},
    {"completed", {NULL, NULL, NULL}},
};

const char *records_transition(const char *from, const char *to, int has_unpaid_bill, char *allowed,
                               size_t n)
{
    size_t j = 0;
    const char *verdict = "transition";
    if (allowed && n)
        allowed[0] = 0;
    if (!to || !records_status_known(to))
        verdict = "unknown";
    for (size_t i = 0; from && i < sizeof moves / sizeof moves[0]; i++) {
        if (strcmp(moves[i].from, from) != 0)
            continue;
        for (int k = 0; k < 3 && moves[i].to[k]; k++) {
            const char *t = moves[i].to[k];
            /* paid needs an unpaid bill; completed from approved needs nothing unpaid */
            if (strcmp(from, "approved") == 0 && strcmp(t, "paid") == 0 && !has_unpaid_bill)
                continue;
            if (strcmp(from, "approved") == 0 && strcmp(t, "completed") == 0 && has_unpaid_bill)
                continue;
            if (allowed && n && j + strlen(t) + 3 < n)
                j += (size_t)snprintf(allowed + j, n - j, "%s%s", j ? ", " : "", t);
            if (to && strcmp(t, to) == 0 && strcmp(verdict, "unknown") != 0)
                verdict = NULL;
        }
        if (!moves[i].to[0] && verdict)
            verdict = strcmp(verdict, "unknown") == 0 ? verdict : "final";
    }
    if (verdict && to && from && strcmp(from, to) == 0)
        verdict = "same";
    return verdict;
}

static const struct {
    const char *service, *kind;
    long fee;
} fees[] = {
    {"land", "transfer", 20000},       {"land", "subdivision", 10000},
    {"land", "title_copy", 5000},      {"land", "land_use_change", 10000},
    {"business", "register", 0},       {"business", "trading_licence", 40000},
    {"permit", "construction", 50000}, {"permit", "renovation", 20000},
    {"permit", "occupancy", 20000},
};

long records_fee(const char *service, const char *kind)
{
    for (size_t i = 0; service && kind && i < sizeof fees / sizeof fees[0]; i++)
        if (strcmp(fees[i].service, service) == 0 && strcmp(fees[i].kind, kind) == 0)
            return fees[i].fee;
    return -1;
}

/* ---- status SMS ---- */

static void amount_text(long v, int fr, char *buf, size_t n)
{
    char d[24];
    snprintf(d, sizeof d, "%ld", v < 0 ? 0 : v);
    size_t l = strlen(d), j = 0;
    for (size_t i = 0; i < l && j + 2 < n; i++) {
        if (i && (l - i) % 3 == 0)
            buf[j++] = fr ? ' ' : ',';
        buf[j++] = d[i];
    }
    buf[j] = 0;
}

/* Status SMS texts: {ref}, {amount}, {bill}, {pay} and {note} are filled in. */
static const struct {
    const char *status;
    int variant; /* approved: 1 with a bill to pay; rejected: 1 with a reason */
    const char *en, *rw, *fr;
} sms_texts[] = {
    {"submitted", 0, "Your application {ref} was received.", "Ubusabe bwanyu {ref} bwakiriwe.",
     "Votre demande {ref} a bien été enregistrée."},
    {"in_review", 0, "Your application {ref} is under review.",
     "Ubusabe bwanyu {ref} buri gusuzumwa.", "Votre demande {ref} est en cours d'examen."},
    {"approved", 0, "Your application {ref} is approved.", "Ubusabe bwanyu {ref} bwemejwe.",
     "Votre demande {ref} est approuvée."},
    {"approved", 1, "Your application {ref} is approved. Pay {amount} RWF, bill {bill}: dial {pay}",
     "Ubusabe bwanyu {ref} bwemejwe. Mwishyure {amount} RWF, fagitire {bill}: kanda {pay}",
     "Votre demande {ref} est approuvée. Payez {amount} RWF, facture {bill} : composez {pay}"},
    {"rejected", 0, "Your application {ref} was rejected.", "Ubusabe bwanyu {ref} ntibwemewe.",
     "Votre demande {ref} a été refusée."},
    {"rejected", 1, "Your application {ref} was rejected. Reason: {note}",
     "Ubusabe bwanyu {ref} ntibwemewe. Impamvu: {note}",
     "Votre demande {ref} a été refusée. Motif : {note}"},
    {"paid", 0, "Payment received for {ref}. Thank you.", "Twakiriye ubwishyu bwa {ref}. Murakoze.",
     "Paiement enregistré pour {ref}. Merci."},
    {"completed", 0, "Your application {ref} is complete. Dial *123# for details.",
     "Ubusabe bwanyu {ref} bwarangiye. Kanda *123# urebe ibisobanuro.",
     "Votre demande {ref} est terminée. Composez *123# pour les détails."},
};

char *records_status_sms(const char *lang, const char *ref, const char *to, const char *note,
                         const struct rec_bill *bill, char *buf, size_t n)
{
    int rw = lang && strcmp(lang, "rw") == 0, fr = lang && strcmp(lang, "fr") == 0;
    char amt[32] = "", why[120] = "";
    if (!n)
        return buf;
    buf[0] = 0;
    /* the note in one line, cut (a cut character would make the SMS record unencodable:
     * jansson refuses it, and the whole status change would fail) */
    refs_note_line(note, why, sizeof why);
    int pay = bill && bill->number && bill->number[0] && bill->status &&
              strcmp(bill->status, "unpaid") == 0 && bill->amount > 0;
    if (pay)
        amount_text(bill->amount, fr, amt, sizeof amt);
    int variant = to && strcmp(to, "approved") == 0   ? pay
                  : to && strcmp(to, "rejected") == 0 ? why[0] != 0
                                                      : 0;
    const char *t = NULL;
    for (size_t i = 0; to && i < sizeof sms_texts / sizeof sms_texts[0]; i++)
        if (strcmp(sms_texts[i].status, to) == 0 && sms_texts[i].variant == variant)
            t = rw ? sms_texts[i].rw : fr ? sms_texts[i].fr : sms_texts[i].en;
    size_t j = 0;
    while (t && *t && j + 1 < n) {
        const char *v = NULL;
        size_t skip = 0;
        if (*t == '{') {
            static const char *const names[] = {"{ref}", "{amount}", "{bill}", "{pay}", "{note}"};
            const char *vals[] = {ref ? ref : "", amt, pay ? bill->number : "",
                                  pay && bill->pay_code ? bill->pay_code : "", why};
            for (size_t k = 0; k < 5 && !v; k++)
                if (strncmp(t, names[k], strlen(names[k])) == 0) {
                    v = vals[k];
                    skip = strlen(names[k]);
                }
        }
        if (!v) {
            buf[j++] = *t++;
            continue;
        }
        for (; *v && j + 1 < n; v++)
            buf[j++] = *v;
        t += skip;
    }
    buf[j] = 0;
    return buf;
}

/* ---- operations ---- */

enum op_kind {
    OP_PARCEL,
    OP_PARCELS,
    OP_BIZ,
    OP_BIZS,
    OP_NAME,
    OP_APP,
    OP_APPS,
    OP_CREATE,
    OP_STATUS,
    OP_BILL,
    OP_SLOTS,
    OP_BOOK,
};

struct op {
    enum op_kind kind;
    union {
        rec_parcel_cb parcel;
        rec_parcels_cb parcels;
        rec_business_cb biz;
        rec_businesses_cb bizs;
        rec_name_cb name;
        rec_app_cb app;
        rec_apps_cb apps;
        rec_create_cb create;
        rec_status_cb status;
        rec_bill_cb bill;
        rec_slots_cb slots;
        rec_book_cb book;
    } cb;
    void *arg;
    struct event_base *base;
    struct store *store;
    int fail_status;
    const char *fail_why;
    size_t max;
    int flags;
    char ref[REFS_MAX];
    char to[16];
    char slot[24];
    char note[REC_VALUE_MAX + 1];
    char query[REFS_NAME_MAX]; /* name check: the name asked about */
};

static struct op *op_new(const struct svc_env *env, enum op_kind kind, void *arg)
{
    struct op *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->kind = kind;
    o->arg = arg;
    o->base = env ? env->base : NULL;
    o->store = env ? env->store : NULL;
    return o;
}

/* Report a failure to the caller and free the operation. */
static void op_fail_now(struct op *o, int status, const char *why)
{
    void *a = o->arg;
    switch (o->kind) {
    case OP_PARCEL: o->cb.parcel(a, status, why, NULL); break;
    case OP_PARCELS: o->cb.parcels(a, status, why, NULL, 0); break;
    case OP_BIZ: o->cb.biz(a, status, why, NULL); break;
    case OP_BIZS: o->cb.bizs(a, status, why, NULL, 0); break;
    case OP_NAME: o->cb.name(a, status, why, REC_NAME_FREE, NULL, 0); break;
    case OP_APP: o->cb.app(a, status, why, NULL); break;
    case OP_APPS: o->cb.apps(a, status, why, NULL, 0); break;
    case OP_CREATE: o->cb.create(a, status, why, NULL); break;
    case OP_STATUS: o->cb.status(a, status, why, NULL); break;
    case OP_BILL: o->cb.bill(a, status, why, NULL); break;
    case OP_SLOTS: o->cb.slots(a, status, why, NULL, 0); break;
    case OP_BOOK: o->cb.book(a, status, why, NULL); break;
    }
    free(o);
}

static void op_deferred(evutil_socket_t fd, short what, void *p)
{
    struct op *o = p;
    (void)fd;
    (void)what;
    op_fail_now(o, o->fail_status, o->fail_why);
}

/* Report a failure from the event loop (never inside the caller's call). */
static void op_fail(struct op *o, int status, const char *why)
{
    static const struct timeval zero = {0, 0};
    o->fail_status = status;
    o->fail_why = why;
    if (!o->base || event_base_once(o->base, -1, EV_TIMEOUT, op_deferred, o, &zero) != 0)
        op_fail_now(o, status, why); /* no loop or no memory: the documented exception */
}

/* The failure a store reply stands for. */
static const char *reply_why(int status, const redisReply *r)
{
    if (status == STORE_OK && r && r->type != REDIS_REPLY_ERROR)
        return NULL;
    if (r && r->type == REDIS_REPLY_ERROR) {
        char q[160];
        log_event(L_WARN, "records.redis_error", "error=%s",
                  log_q(r->str ? r->str : "", q, sizeof q));
        return "data";
    }
    return "redis";
}

static int is_str(const redisReply *r)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && r->str;
}

static int is_arr(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY;
}

/* The reply to op o's command: 1 when there is one to read; otherwise o has failed with
 * REC_ERR and the reason (reply_why) and is gone. */
static int op_reply(struct op *o, int status, const redisReply *r)
{
    const char *why = reply_why(status, r);
    if (!why)
        return 1;
    op_fail_now(o, REC_ERR, why);
    return 0;
}

/* The reply to a hash read (HGETALL): 1 when the record exists; otherwise o has failed
 * (REC_ERR, or REC_NOT_FOUND for no record) and is gone. */
static int op_hash(struct op *o, int status, const redisReply *r)
{
    if (!op_reply(o, status, r))
        return 0;
    if (!is_arr(r) || r->elements == 0) {
        op_fail_now(o, REC_NOT_FOUND, "not_found");
        return 0;
    }
    return 1;
}

/* Value of field k in a flat HGETALL reply, or NULL. */
static const char *kv_get(const redisReply *h, const char *k)
{
    if (!is_arr(h))
        return NULL;
    for (size_t i = 0; i + 1 < h->elements; i += 2)
        if (is_str(h->element[i]) && strcmp(h->element[i]->str, k) == 0)
            return is_str(h->element[i + 1]) ? h->element[i + 1]->str : NULL;
    return NULL;
}

static const char *kv_s(const redisReply *h, const char *k)
{
    const char *v = kv_get(h, k);
    return v ? v : "";
}

static long to_long(const char *s)
{
    if (!s || !*s)
        return 0;
    char *end;
    long v = strtol(s, &end, 10);
    return *end && *end != '.' ? 0 : v;
}

static long kv_l(const redisReply *h, const char *k)
{
    return to_long(kv_get(h, k));
}

static const char *elem_str(const redisReply *r, size_t i)
{
    return is_arr(r) && i < r->elements && is_str(r->element[i]) ? r->element[i]->str : NULL;
}

/* EVAL with up to 96 arguments after the script. */
static void eval(struct store *s, store_reply_cb cb, void *arg, const char *script, int nkeys,
                 const char *const *args, int nargs)
{
    const char *argv[3 + 96];
    char nk[8];
    if (nargs > 96)
        nargs = 96;
    snprintf(nk, sizeof nk, "%d", nkeys);
    argv[0] = "EVAL";
    argv[1] = script;
    argv[2] = nk;
    for (int i = 0; i < nargs; i++)
        argv[3 + i] = args[i] ? args[i] : "";
    store_cmd(s, cb, arg, 3 + nargs, argv, NULL);
}

#define REC_STR_(x) #x
#define REC_STR(x) REC_STR_(x)

/* Lua: the Damm table and type checks shared by the scripts. */
#define LUA_COMMON                                                                                 \
    REFS_LUA_DAMM                                                                                  \
    "local function ok(k,t) local y=redis.call('TYPE',k).ok return y=='none' or y==t end\n"

/* ---- parcels ---- */

static void fill_parcel(struct rec_parcel *p, const redisReply *h)
{
    p->upi = kv_s(h, "upi");
    p->province = kv_s(h, "province");
    p->district = kv_s(h, "district");
    p->sector = kv_s(h, "sector");
    p->cell = (int)kv_l(h, "cell");
    p->area_m2 = kv_l(h, "area_m2");
    p->land_use = kv_s(h, "land_use");
    p->owner_name = kv_s(h, "owner_name");
    p->owner_id = kv_s(h, "owner_id");
    p->tax_due = kv_l(h, "tax_due");
    p->tax_due_date = kv_s(h, "tax_due_date");
}

static void on_parcel(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_hash(o, status, r))
        return;
    struct rec_parcel pc;
    fill_parcel(&pc, r);
    if (!pc.upi[0]) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    o->cb.parcel(o->arg, REC_OK, NULL, &pc);
    free(o);
}

void records_parcel_get(const struct svc_env *env, const char *upi, rec_parcel_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_PARCEL, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.parcel = cb;
    struct geo_upi u;
    const char *bad = geo_upi_parse(upi, &u);
    if (bad) {
        op_fail(o, REC_INVALID, bad);
        return;
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    char c[GEO_UPI_MAX], key[64];
    snprintf(key, sizeof key, REC_PREFIX "parcel:%s", geo_upi_format(&u, c, sizeof c));
    store_cmdf(o->store, on_parcel, o, "HGETALL %s", key);
}

/* Members of a set, each key's HGETALL, sorted by member; at most ARGV[2]. */
static const char script_set_hashes[] =
    "if redis.call('TYPE',KEYS[1]).ok~='set' then return {} end\n"
    "local m=redis.call('SMEMBERS',KEYS[1]) table.sort(m)\n"
    "local out={}\n"
    "for i=1,math.min(#m,tonumber(ARGV[2])) do local k=ARGV[1]..m[i]\n"
    "  if redis.call('TYPE',k).ok=='hash' then out[#out+1]=redis.call('HGETALL',k) end end\n"
    "return out\n";

#define REC_LIST_MAX 64

static void on_parcels(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    if (!is_arr(r)) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    struct rec_parcel pc[REC_LIST_MAX];
    size_t n = 0;
    for (size_t i = 0; i < r->elements && n < REC_LIST_MAX; i++)
        if (is_arr(r->element[i]) && r->element[i]->elements) {
            fill_parcel(&pc[n], r->element[i]);
            if (pc[n].upi[0])
                n++;
        }
    o->cb.parcels(o->arg, REC_OK, NULL, pc, n);
    free(o);
}

static const char *clean_id(const char *in, char *out, size_t n)
{
    refs_id_clean(in ? in : "", out, n);
    return refs_id_check(out);
}

void records_parcels_of(const struct svc_env *env, const char *owner_id, size_t max,
                        rec_parcels_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_PARCELS, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL, 0);
        return;
    }
    o->cb.parcels = cb;
    char id[32], key[64], mx[8];
    const char *bad = clean_id(owner_id, id, sizeof id);
    if (bad) {
        op_fail(o, REC_INVALID, bad);
        return;
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    snprintf(key, sizeof key, REC_PREFIX "owner:%s:parcels", id);
    snprintf(mx, sizeof mx, "%zu", max == 0 || max > REC_LIST_MAX ? (size_t)REC_LIST_MAX : max);
    const char *args[] = {key, REC_PREFIX "parcel:", mx};
    eval(o->store, on_parcels, o, script_set_hashes, 1, args, 3);
}

/* ---- businesses ---- */

static void fill_biz(struct rec_business *b, const redisReply *h)
{
    b->regno = kv_s(h, "regno");
    b->name = kv_s(h, "name");
    b->type = kv_s(h, "type");
    b->owner_id = kv_s(h, "owner_id");
    b->owner_name = kv_s(h, "owner_name");
    b->district = kv_s(h, "district");
    b->registered = kv_s(h, "registered");
    b->licence_expiry = kv_s(h, "licence_expiry");
}

static void on_biz(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_hash(o, status, r))
        return;
    struct rec_business b;
    fill_biz(&b, r);
    if (!b.regno[0]) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    o->cb.biz(o->arg, REC_OK, NULL, &b);
    free(o);
}

static int regno_ok(const char *s)
{
    size_t l = s ? strlen(s) : 0;
    if (l != 9)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

void records_business_get(const struct svc_env *env, const char *regno, rec_business_cb cb,
                          void *arg)
{
    struct op *o = op_new(env, OP_BIZ, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.biz = cb;
    char r[16];
    refs_id_clean(regno ? regno : "", r, sizeof r);
    if (!regno_ok(r)) {
        op_fail(o, REC_INVALID, "regno");
        return;
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    store_cmdf(o->store, on_biz, o, "HGETALL " REC_PREFIX "biz:%s", r);
}

static void on_bizs(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    if (!is_arr(r)) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    struct rec_business b[REC_LIST_MAX];
    size_t n = 0;
    for (size_t i = 0; i < r->elements && n < REC_LIST_MAX; i++)
        if (is_arr(r->element[i]) && r->element[i]->elements) {
            fill_biz(&b[n], r->element[i]);
            if (b[n].regno[0])
                n++;
        }
    o->cb.bizs(o->arg, REC_OK, NULL, b, n);
    free(o);
}

void records_businesses_of(const struct svc_env *env, const char *owner_id, size_t max,
                           rec_businesses_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_BIZS, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL, 0);
        return;
    }
    o->cb.bizs = cb;
    char id[32], key[64], mx[8];
    const char *bad = clean_id(owner_id, id, sizeof id);
    if (bad) {
        op_fail(o, REC_INVALID, bad);
        return;
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    snprintf(key, sizeof key, REC_PREFIX "owner:%s:biz", id);
    snprintf(mx, sizeof mx, "%zu", max == 0 || max > REC_LIST_MAX ? (size_t)REC_LIST_MAX : max);
    const char *args[] = {key, REC_PREFIX "biz:", mx};
    eval(o->store, on_bizs, o, script_set_hashes, 1, args, 3);
}

/* ---- name availability ---- */

/* KEYS byname bykey pending names; ARGV norm key lexprefix max tokens...
 * Returns {exact_regno, pending_ref, regno1, name1, regno2, name2, ...}. */
static const char script_name_check[] =
    "for i=1,3 do local y=redis.call('TYPE',KEYS[i]).ok if y~='none' and y~='hash' then "
    "return redis.error_reply('WRONGTYPE '..KEYS[i]) end end\n"
    "local zt=redis.call('TYPE',KEYS[4]).ok\n"
    "local exact=redis.call('HGET',KEYS[1],ARGV[1]) or redis.call('HGET',KEYS[2],ARGV[2])\n"
    "local pend=redis.call('HGET',KEYS[3],ARGV[2])\n"
    "local res={exact or '',pend or ''}\n"
    "local seen={}\n"
    "local function push(r) if r and not seen[r] then seen[r]=true local k='ussd:biz:'..r\n"
    "  if redis.call('TYPE',k).ok=='hash' then local nm=redis.call('HGET',k,'name')\n"
    "    if nm then res[#res+1]=r res[#res+1]=nm end end end end\n"
    "if exact then push(exact) end\n"
    "local N=1\n"
    "if zt=='zset' then N=redis.call('ZCARD',KEYS[4])+1\n"
    "  if ARGV[3]~='' then for _,n in ipairs(redis.call('ZRANGEBYLEX',KEYS[4],'['..ARGV[3],"
    "'['..ARGV[3]..'\\255','LIMIT',0,8)) do push(redis.call('HGET',KEYS[1],n)) end end end\n"
    "local score={}\n"
    "for i=5,#ARGV do local k='ussd:biz:tok:'..ARGV[i]\n"
    "  if redis.call('TYPE',k).ok=='set' then local df=redis.call('SCARD',k)\n"
    "    if df>0 and df<=4000 then local w=math.log(N/df)+0.1\n"
    "      for _,r in ipairs(redis.call('SMEMBERS',k)) do score[r]=(score[r] or 0)+w end end end end\n"
    "local c={}\n"
    "for r,s in pairs(score) do c[#c+1]={r,s} end\n"
    "table.sort(c,function(a,b) if a[2]~=b[2] then return a[2]>b[2] end return a[1]<b[1] end)\n"
    "for i=1,math.min(#c,tonumber(ARGV[4])) do push(c[i][1]) end\n"
    "return res\n";

#define NAME_CANDIDATES 24

static void on_name(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    if (!is_arr(r) || r->elements < 2) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    const char *exact = elem_str(r, 0), *pend = elem_str(r, 1);
    struct rec_name_match m[NAME_CANDIDATES + 1];
    size_t n = 0;
    int verdict = REC_NAME_FREE;
    for (size_t i = 2; i + 1 < r->elements && n < NAME_CANDIDATES; i += 2) {
        const char *regno = elem_str(r, i), *name = elem_str(r, i + 1);
        if (!regno || !name)
            continue;
        int s = refs_name_similarity(o->query, name);
        if (exact && strcmp(exact, regno) == 0)
            s = 100;
        if (s < REFS_SIMILAR)
            continue;
        m[n++] = (struct rec_name_match){name, regno, s};
    }
    /* best first (insertion sort: a handful) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && m[j].score > m[j - 1].score; j--) {
            struct rec_name_match t = m[j];
            m[j] = m[j - 1];
            m[j - 1] = t;
        }
    if (n > 0)
        verdict = m[0].score >= 100 ? REC_NAME_TAKEN : REC_NAME_SIMILAR;
    if ((exact && exact[0]) && verdict != REC_NAME_TAKEN)
        verdict = REC_NAME_TAKEN; /* indexed but its record is gone: still not free */
    if (verdict != REC_NAME_TAKEN && pend && pend[0]) {
        verdict = REC_NAME_PENDING;
        memmove(m + 1, m, (n < REC_NAME_MATCHES ? n : REC_NAME_MATCHES - 1) * sizeof m[0]);
        m[0] = (struct rec_name_match){pend, "", 100};
        n++;
    }
    if (n > REC_NAME_MATCHES)
        n = REC_NAME_MATCHES;
    o->cb.name(o->arg, REC_OK, NULL, verdict, m, n);
    free(o);
}

void records_name_check(const struct svc_env *env, const char *name, rec_name_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_NAME, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", REC_NAME_FREE, NULL, 0);
        return;
    }
    o->cb.name = cb;
    char norm[REFS_NAME_MAX], key[REFS_NAME_MAX], lex[REFS_NAME_MAX];
    char tok[REFS_TOKENS_MAX][REFS_TOKEN_MAX];
    if (!name || strlen(name) > 100) {
        op_fail(o, REC_INVALID, "name");
        return;
    }
    refs_name_norm(name, norm, sizeof norm);
    refs_name_key(name, key, sizeof key);
    if (!norm[0] || !key[0]) {
        op_fail(o, REC_INVALID, "name");
        return;
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    snprintf(o->query, sizeof o->query, "%s", name);
    /* names that begin with the same first two words */
    size_t w1 = strcspn(norm, " ");
    size_t cut = norm[w1] ? w1 + 1 + strcspn(norm + w1 + 1, " ") : w1;
    snprintf(lex, sizeof lex, "%.*s", (int)cut, norm);
    size_t nt = refs_name_tokens(name, tok, REFS_TOKENS_MAX);
    char mx[8];
    snprintf(mx, sizeof mx, "%d", NAME_CANDIDATES - 8);
    const char *args[8 + REFS_TOKENS_MAX] = {
        REC_PREFIX "biz:byname",
        REC_PREFIX "biz:bykey",
        REC_PREFIX "biz:pending",
        REC_PREFIX "biz:names",
        norm,
        key,
        lex,
        mx,
    };
    for (size_t i = 0; i < nt; i++)
        args[8 + i] = tok[i];
    eval(o->store, on_name, o, script_name_check, 4, args, 8 + (int)nt);
}

/* ---- applications: reading ---- */

/* KEYS app hist; ARGV max-history. Returns {} or {apphash, history, billhash}. */
static const char script_app_get[] =
    "if redis.call('EXISTS',KEYS[1])==0 then return {} end\n"
    "local a=redis.call('HGETALL',KEYS[1])\n"
    "local h={}\n"
    "if redis.call('TYPE',KEYS[2]).ok=='list' then h=redis.call('LRANGE',KEYS[2],-tonumber(ARGV[1]),-1) end\n"
    "local b={}\n"
    "local bill=redis.call('HGET',KEYS[1],'bill')\n"
    "if bill and bill~='' then local k='ussd:bill:'..bill\n"
    "  if redis.call('TYPE',k).ok=='hash' then b=redis.call('HGETALL',k) end end\n"
    "return {a,h,b}\n";

static void fill_bill(struct rec_bill *b, const redisReply *h)
{
    b->number = kv_s(h, "bill");
    b->ref = kv_s(h, "ref");
    b->amount = kv_l(h, "amount");
    b->status = kv_s(h, "status");
    b->created = kv_s(h, "created");
    b->expires = kv_s(h, "expires");
    b->paid_at = kv_s(h, "paid_at");
    b->pay_code = kv_s(h, "pay_code");
}

/* An application parsed from script_app_get's reply; the JSON of its history is kept
 * here until the callback returns. */
struct app_view {
    struct rec_app a;
    struct rec_bill bill;
    struct handler_kv details[REC_MAX_DETAILS];
    struct rec_hist hist[REC_MAX_HIST];
    json_t *json[REC_MAX_HIST];
    size_t n_json;
};

static const char *json_str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* 0, or -1 when the reply is not an application. */
static int app_view_parse(struct app_view *v, const redisReply *r)
{
    memset(v, 0, sizeof *v);
    if (!is_arr(r) || r->elements != 3 || !is_arr(r->element[0]) || !is_arr(r->element[1]) ||
        !is_arr(r->element[2]))
        return -1;
    const redisReply *h = r->element[0], *hist = r->element[1], *b = r->element[2];
    struct rec_app *a = &v->a;
    a->ref = kv_s(h, "ref");
    a->service = kv_s(h, "service");
    a->kind = kv_s(h, "kind");
    a->status = kv_s(h, "status");
    a->msisdn = kv_s(h, "msisdn");
    a->created = kv_s(h, "created");
    a->updated = kv_s(h, "updated");
    a->channel = kv_s(h, "channel");
    a->slot = kv_s(h, "slot");
    a->slot_district = kv_s(h, "slot_district");
    if (!a->ref[0] || !a->status[0])
        return -1;
    for (size_t i = 0; i + 1 < h->elements && a->n_details < REC_MAX_DETAILS; i += 2) {
        const char *k = elem_str(h, i), *val = elem_str(h, i + 1);
        if (k && val && strncmp(k, "d.", 2) == 0 && k[2])
            v->details[a->n_details++] = (struct handler_kv){k + 2, val};
    }
    a->details = v->details;
    for (size_t i = 0; i < hist->elements && v->n_json < REC_MAX_HIST; i++) {
        const char *s = elem_str(hist, i);
        json_t *j = s ? json_loads(s, 0, NULL) : NULL;
        if (!json_is_object(j)) {
            json_decref(j);
            continue;
        }
        v->json[v->n_json] = j;
        v->hist[v->n_json] =
            (struct rec_hist){json_str(j, "at"), json_str(j, "status"), json_str(j, "note")};
        v->n_json++;
    }
    a->hist = v->hist;
    a->n_hist = v->n_json;
    if (b->elements) {
        fill_bill(&v->bill, b);
        if (v->bill.number[0])
            a->bill = &v->bill;
    }
    return 0;
}

static void app_view_done(struct app_view *v)
{
    for (size_t i = 0; i < v->n_json; i++)
        json_decref(v->json[i]);
    v->n_json = 0;
}

static void on_app(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    if (is_arr(r) && r->elements == 0) {
        op_fail_now(o, REC_NOT_FOUND, "not_found");
        return;
    }
    struct app_view *v = malloc(sizeof *v);
    if (!v) {
        op_fail_now(o, REC_ERR, "memory");
        return;
    }
    if (app_view_parse(v, r) != 0) {
        free(v);
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    o->cb.app(o->arg, REC_OK, NULL, &v->a);
    app_view_done(v);
    free(v);
    free(o);
}

static void app_keys(const char *ref, char *app, size_t na, char *hist, size_t nh)
{
    snprintf(app, na, REC_PREFIX "app:%s", ref);
    snprintf(hist, nh, REC_PREFIX "app:%s:hist", ref);
}

static void app_read(struct op *o, store_reply_cb cb)
{
    char ka[64], kh[64], mx[8];
    app_keys(o->ref, ka, sizeof ka, kh, sizeof kh);
    snprintf(mx, sizeof mx, "%d", REC_MAX_HIST);
    const char *args[] = {ka, kh, mx};
    eval(o->store, cb, o, script_app_get, 2, args, 3);
}

/* The canonical reference of a typed one, or the reason it is refused. */
static const char *parse_ref(const char *in, char *out, size_t n)
{
    const char *why = refs_parse(in, NULL, out, n);
    /* digits alone do not say which service: "format" */
    return why;
}

void records_app_get(const struct svc_env *env, const char *ref, rec_app_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_APP, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.app = cb;
    const char *bad = parse_ref(ref, o->ref, sizeof o->ref);
    if (bad) {
        op_fail(o, REC_INVALID, bad);
        return;
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    app_read(o, on_app);
}

static int msisdn_ok(const char *s)
{
    size_t l = s ? strlen(s) : 0;
    if (l < 6 || l > 15)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* KEYS phone-index; ARGV max. {ref, service, kind, status, updated}... newest first. */
static const char script_apps_of[] =
    "if redis.call('TYPE',KEYS[1]).ok~='zset' then return {} end\n"
    "local out={}\n"
    "for _,r in ipairs(redis.call('ZREVRANGE',KEYS[1],0,tonumber(ARGV[1])-1)) do\n"
    "  local k='ussd:app:'..r\n"
    "  if redis.call('TYPE',k).ok=='hash' then\n"
    "    local f=redis.call('HMGET',k,'service','kind','status','updated')\n"
    "    if f[3] then out[#out+1]={r,f[1] or '',f[2] or '',f[3],f[4] or ''} end end end\n"
    "return out\n";

static void on_apps(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    if (!is_arr(r)) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    struct rec_app_summary s[REC_LIST_MAX];
    size_t n = 0;
    for (size_t i = 0; i < r->elements && n < REC_LIST_MAX; i++) {
        const redisReply *e = r->element[i];
        if (!is_arr(e) || e->elements != 5 || !elem_str(e, 0))
            continue;
        s[n++] = (struct rec_app_summary){elem_str(e, 0), elem_str(e, 1) ? elem_str(e, 1) : "",
                                          elem_str(e, 2) ? elem_str(e, 2) : "",
                                          elem_str(e, 3) ? elem_str(e, 3) : "",
                                          elem_str(e, 4) ? elem_str(e, 4) : ""};
    }
    o->cb.apps(o->arg, REC_OK, NULL, s, n);
    free(o);
}

void records_apps_of(const struct svc_env *env, const char *msisdn, size_t max, rec_apps_cb cb,
                     void *arg)
{
    struct op *o = op_new(env, OP_APPS, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL, 0);
        return;
    }
    o->cb.apps = cb;
    if (!msisdn_ok(msisdn)) {
        op_fail(o, REC_INVALID, "msisdn");
        return;
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    char key[64], mx[8];
    snprintf(key, sizeof key, REC_PREFIX "phone:%s:apps", msisdn);
    snprintf(mx, sizeof mx, "%zu", max == 0 || max > REC_LIST_MAX ? (size_t)REC_LIST_MAX : max);
    const char *args[] = {key, mx};
    eval(o->store, on_apps, o, script_apps_of, 1, args, 2);
}

/* ---- applications: creating ---- */

/* KEYS idem seq billseq phone bykey pending
 * ARGV 1 pfx 2 yy 3 service-digit 4 now 5 now-epoch 6 idem-ttl 7 service 8 kind 9 msisdn
 *      10 amount 11 bill-expires 12 name_key 13 name_norm 14 name_tokens 15 channel
 *      16 history-json 17 idem-key 18 pay-prefix 19 pay-suffix 20.. d.KEY value pairs
 * Returns {verdict, ref, bill, amount, pay_code}; verdict created|existing|idem_conflict|
 * name_taken|name_pending|sequence. */
static const char script_create[] = LUA_COMMON
    "if not (ok(KEYS[1],'string') and ok(KEYS[2],'string') and ok(KEYS[3],'string') and "
    "ok(KEYS[4],'zset') and ok(KEYS[5],'hash') and ok(KEYS[6],'hash')) then\n"
    "  return redis.error_reply('WRONGTYPE a key of the create has another type') end\n"
    "local old=redis.call('GET',KEYS[1])\n"
    "if old then local a='ussd:app:'..old\n"
    "  if redis.call('TYPE',a).ok~='hash' then return redis.error_reply('idempotency key without its application') end\n"
    "  if redis.call('HGET',a,'msisdn')~=ARGV[9] then return {'idem_conflict',old,'','0',''} end\n"
    "  local b=redis.call('HGET',a,'bill') or ''\n"
    "  local amt,pc='0',''\n"
    "  if b~='' and redis.call('TYPE','ussd:bill:'..b).ok=='hash' then\n"
    "    amt=redis.call('HGET','ussd:bill:'..b,'amount') or '0' pc=redis.call('HGET','ussd:bill:'..b,'pay_code') or '' end\n"
    "  return {'existing',old,b,amt,pc} end\n"
    "if ARGV[12]~='' then\n"
    "  local r=redis.call('HGET',KEYS[5],ARGV[12]) if r then return {'name_taken',r,'','0',''} end\n"
    "  r=redis.call('HGET',KEYS[6],ARGV[12]) if r then return {'name_pending',r,'','0',''} end end\n"
    "local ref\n"
    "for _=1,20 do local n=redis.call('INCR',KEYS[2])\n"
    "  if n>="
    REC_STR(REC_SEED_SEQ_MIN)
    " then return {'sequence','','','0',''} end\n"
    "  local s=string.format('%06d',n)\n"
    "  local r=ARGV[1]..'-'..ARGV[2]..'-'..s..'-'..damm(ARGV[3]..ARGV[2]..s)\n"
    "  if redis.call('EXISTS','ussd:app:'..r)==0 then ref=r break end end\n"
    "if not ref then return {'sequence','','','0',''} end\n"
    "local bill,pc='',''\n"
    "if tonumber(ARGV[10])>0 then\n"
    "  for _=1,20 do local n=redis.call('INCR',KEYS[3])\n"
    "    if n>=" REC_STR(REC_SEED_SEQ_MIN) " then return {'sequence','','','0',''} end\n"
    "    local s=string.format('%06d',n) local c=damm('9'..ARGV[2]..s)\n"
    "    local b='BIL-'..ARGV[2]..'-'..s..'-'..c\n"
    "    if redis.call('EXISTS','ussd:bill:'..b)==0 then bill=b pc=ARGV[18]..ARGV[2]..s..c..ARGV[19] break end end\n"
    "  if bill=='' then return {'sequence','','','0',''} end\n"
    "  redis.call('HSET','ussd:bill:'..bill,'bill',bill,'ref',ref,'amount',ARGV[10],'currency','RWF',"
    "'status','unpaid','created',ARGV[4],'expires',ARGV[11],'pay_code',pc) end\n"
    "local a='ussd:app:'..ref\n"
    "local f={'ref',ref,'service',ARGV[7],'kind',ARGV[8],'status','submitted','msisdn',ARGV[9],"
    "'created',ARGV[4],'updated',ARGV[4],'bill',bill,'idem',ARGV[17],'channel',ARGV[15]}\n"
    "if ARGV[12]~='' then f[#f+1]='name_key' f[#f+1]=ARGV[12] f[#f+1]='name_norm' f[#f+1]=ARGV[13]\n"
    "  f[#f+1]='name_tokens' f[#f+1]=ARGV[14] redis.call('HSET',KEYS[6],ARGV[12],ref) end\n"
    "for i=20,#ARGV-1,2 do f[#f+1]=ARGV[i] f[#f+1]=ARGV[i+1] end\n"
    "redis.call('DEL',a,a..':hist')\n"
    "redis.call('HSET',a,unpack(f))\n"
    "redis.call('RPUSH',a..':hist',ARGV[16])\n"
    "redis.call('ZADD',KEYS[4],ARGV[5],ref)\n"
    "redis.call('SET',KEYS[1],ref,'EX',ARGV[6])\n"
    "return {'created',ref,bill,ARGV[10],pc}\n";

static int word_ok(const char *s, size_t max)
{
    size_t l = s ? strlen(s) : 0;
    if (l < 1 || l > max)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int value_ok(const char *s)
{
    size_t l = s ? strlen(s) : 0;
    if (l > REC_VALUE_MAX)
        return 0;
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* A history entry as stored: {"at","status","note"}; malloc'd, or NULL. */
static char *hist_json(const char *at, const char *status, const char *note)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "at", at, "status", status, "note", note ? note : "");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static void on_created(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    const char *verdict = elem_str(r, 0);
    if (!verdict || r->elements != 5 || !elem_str(r, 1) || !elem_str(r, 2) || !elem_str(r, 3) ||
        !elem_str(r, 4)) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    if (strcmp(verdict, "created") != 0 && strcmp(verdict, "existing") != 0) {
        if (strcmp(verdict, "sequence") == 0)
            log_event(L_ERROR, "records.sequence_exhausted", "limit=%d",
                      REC_SEED_SEQ_MIN - 1); /* the seed's references start above it */
        /* the verdict lives in the reply: hand a static copy */
        static const char *const known[] = {"idem_conflict", "name_taken", "name_pending",
                                            "sequence"};
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (strcmp(known[i], verdict) == 0) {
                op_fail_now(o, REC_REFUSED, known[i]);
                return;
            }
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    struct rec_app_created c = {elem_str(r, 1), elem_str(r, 2), to_long(elem_str(r, 3)),
                                elem_str(r, 4), strcmp(verdict, "existing") == 0};
    o->cb.create(o->arg, REC_OK, NULL, &c);
    free(o);
}

void records_app_create(const struct svc_env *env, const struct rec_app_new *req,
                        rec_create_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_CREATE, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.create = cb;
    const char *pfx = req ? refs_prefix(req->service) : NULL;
    if (!pfx || strcmp(pfx, "BIL") == 0) {
        op_fail(o, REC_INVALID, "service");
        return;
    }
    long fee = records_fee(req->service, req->kind);
    if (fee < 0) {
        op_fail(o, REC_INVALID, "kind");
        return;
    }
    if (!msisdn_ok(req->msisdn)) {
        op_fail(o, REC_INVALID, "msisdn");
        return;
    }
    if (!req->idem_key || !req->idem_key[0] || strlen(req->idem_key) > 120 ||
        !value_ok(req->idem_key)) {
        op_fail(o, REC_INVALID, "idem_key");
        return;
    }
    if (req->n_details > REC_MAX_DETAILS || (req->n_details && !req->details)) {
        op_fail(o, REC_INVALID, "detail");
        return;
    }
    if (req->note && !value_ok(req->note)) {
        op_fail(o, REC_INVALID, "note");
        return;
    }
    long amount = req->amount < 0 ? fee : req->amount;
    if (amount > 100000000L) {
        op_fail(o, REC_INVALID, "amount");
        return;
    }

    /* details: checked, and the known ones made canonical */
    char dkey[REC_MAX_DETAILS][32];
    char dval[REC_MAX_DETAILS][REC_VALUE_MAX + 1];
    const char *name = NULL;
    for (size_t i = 0; i < req->n_details; i++) {
        const char *k = req->details[i].key, *v = req->details[i].value;
        if (!word_ok(k, 24) || !value_ok(v)) {
            op_fail(o, REC_INVALID, "detail");
            return;
        }
        snprintf(dkey[i], sizeof dkey[i], "d.%s", k);
        snprintf(dval[i], sizeof dval[i], "%s", v);
        if (strcmp(k, "district") == 0) {
            const struct geo_district *d = geo_district_by_name(v);
            if (!d) {
                op_fail(o, REC_INVALID, "district");
                return;
            }
            snprintf(dval[i], sizeof dval[i], "%s", d->name);
        } else if (strcmp(k, "upi") == 0) {
            struct geo_upi u;
            const char *bad = geo_upi_parse(v, &u);
            if (bad) {
                op_fail(o, REC_INVALID, "upi");
                return;
            }
            geo_upi_format(&u, dval[i], sizeof dval[i]);
        } else if (strcmp(k, "owner_id") == 0 || strcmp(k, "buyer_id") == 0) {
            char id[32];
            const char *bad = clean_id(v, id, sizeof id);
            if (bad) {
                op_fail(o, REC_INVALID, bad);
                return;
            }
            snprintf(dval[i], sizeof dval[i], "%s", id);
        } else if (strcmp(k, "name") == 0) {
            name = v;
        }
    }
    char nkey[REFS_NAME_MAX] = "", nnorm[REFS_NAME_MAX] = "", ntok[REFS_NAME_MAX + 16] = "";
    if (strcmp(req->service, "business") == 0 && strcmp(req->kind, "register") == 0) {
        if (!name || strlen(name) > 100) {
            op_fail(o, REC_INVALID, "name");
            return;
        }
        refs_name_key(name, nkey, sizeof nkey);
        refs_name_norm(name, nnorm, sizeof nnorm);
        if (!nkey[0]) {
            op_fail(o, REC_INVALID, "name");
            return;
        }
        char tok[REFS_TOKENS_MAX][REFS_TOKEN_MAX];
        size_t nt = refs_name_tokens(name, tok, REFS_TOKENS_MAX), j = 0;
        for (size_t i = 0; i < nt && j + strlen(tok[i]) + 2 < sizeof ntok; i++)
            j += (size_t)snprintf(ntok + j, sizeof ntok - j, "%s%s", j ? " " : "", tok[i]);
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }

    time_t now = time(NULL);
    char at[REC_TIME_MAX], expires[REC_TIME_MAX], yy[4], epoch[24], ttl[16], amt[24];
    records_time(now, 0, at, sizeof at);
    records_time(now + 30 * 86400, 1, expires, sizeof expires);
    snprintf(yy, sizeof yy, "%.2s", at + 2);
    snprintf(epoch, sizeof epoch, "%lld", (long long)now);
    snprintf(ttl, sizeof ttl, "%d", REC_IDEM_TTL_S);
    snprintf(amt, sizeof amt, "%ld", amount);
    char *hist = hist_json(at, "submitted", req->note ? req->note : "submitted");
    if (!hist) {
        op_fail(o, REC_INVALID, "note");
        return;
    }
    char k_idem[160], k_seq[32], k_bseq[32], k_phone[64];
    snprintf(k_idem, sizeof k_idem, REC_PREFIX "idem:app:%s", req->idem_key);
    snprintf(k_seq, sizeof k_seq, REC_PREFIX "seq:%s:%s", pfx, yy);
    snprintf(k_bseq, sizeof k_bseq, REC_PREFIX "seq:BIL:%s", yy);
    snprintf(k_phone, sizeof k_phone, REC_PREFIX "phone:%s:apps", req->msisdn);
    /* the MoMo pay code around the bill's digits */
    char pay_pre[32], pay_suf[8];
    const char *pct = strstr(REC_MOMO_PAY, "%s");
    snprintf(pay_pre, sizeof pay_pre, "%.*s", (int)(pct - REC_MOMO_PAY), REC_MOMO_PAY);
    snprintf(pay_suf, sizeof pay_suf, "%s", pct + 2);
    char sdigit[2] = {strcmp(pfx, "LND") == 0 ? '1' : strcmp(pfx, "BIZ") == 0 ? '2' : '3', 0};
    const char *args[6 + 19 + 2 * REC_MAX_DETAILS] = {
        k_idem,
        k_seq,
        k_bseq,
        k_phone,
        REC_PREFIX "biz:bykey",
        REC_PREFIX "biz:pending",
        pfx,
        yy,
        sdigit,
        at,
        epoch,
        ttl,
        req->service,
        req->kind,
        req->msisdn,
        amt,
        expires,
        nkey,
        nnorm,
        ntok,
        req->channel ? req->channel : "ussd",
        hist,
        req->idem_key,
        pay_pre,
        pay_suf,
    };
    int na = 6 + 19;
    for (size_t i = 0; i < req->n_details; i++) {
        args[na++] = dkey[i];
        args[na++] = dval[i];
    }
    eval(o->store, on_created, o, script_create, 6, args, na);
    free(hist);
}

/* ---- applications: status ---- */

/* KEYS app hist lang queue bykey pending byname names
 * ARGV 1 from 2 to 3 now 4 hist-json 5 notify 6 sms-en 7 sms-rw 8 sms-fr 9 bill-action
 *      10 name-action 11 name_key 12 name_norm 13 tokens 14 name 15 type 16 owner_id
 *      17 owner_name 18 district 19 registered 20 licence_expiry 21 ref
 * Returns {verdict, current-status, sms-lang, regno}. */
static const char script_status[] = LUA_COMMON
    "if not (ok(KEYS[1],'hash') and ok(KEYS[2],'list') and ok(KEYS[4],'list') and "
    "ok(KEYS[5],'hash') and ok(KEYS[6],'hash') and ok(KEYS[7],'hash') and ok(KEYS[8],'zset')) then\n"
    "  return redis.error_reply('WRONGTYPE a key of the status change has another type') end\n"
    "local cur=redis.call('HGET',KEYS[1],'status')\n"
    "if not cur then return {'not_found','','',''} end\n"
    "if cur~=ARGV[1] then return {'changed',cur,'',''} end\n"
    "local bill=redis.call('HGET',KEYS[1],'bill') or ''\n"
    "local bk='ussd:bill:'..bill\n"
    "if ARGV[9]~='' and bill~='' and not ok(bk,'hash') then return redis.error_reply('WRONGTYPE bill') end\n"
    "local regno=''\n"
    "if ARGV[10]=='register' then\n"
    "  if redis.call('HEXISTS',KEYS[5],ARGV[11])==1 then return {'name_taken',cur,'',''} end\n"
    "  if not ok('ussd:seq:regno','string') then return redis.error_reply('WRONGTYPE ussd:seq:regno') end\n"
    "  for t in ARGV[13]:gmatch('%S+') do if not ok('ussd:biz:tok:'..t,'set') then "
    "return redis.error_reply('WRONGTYPE token set') end end\n"
    "  local ok_owner=ARGV[16]~='' and ok('ussd:owner:'..ARGV[16]..':biz','set')\n"
    "  for _=1,20 do regno=tostring(120000000+redis.call('INCR','ussd:seq:regno'))\n"
    "    if redis.call('EXISTS','ussd:biz:'..regno)==0 then break end regno='' end\n"
    "  if regno=='' then return {'sequence',cur,'',''} end\n"
    "  redis.call('HSET','ussd:biz:'..regno,'regno',regno,'name',ARGV[14],'name_norm',ARGV[12],"
    "'type',ARGV[15],'owner_id',ARGV[16],'owner_name',ARGV[17],'district',ARGV[18],"
    "'registered',ARGV[19],'licence_expiry',ARGV[20])\n"
    "  redis.call('ZADD',KEYS[8],0,ARGV[12]) redis.call('HSET',KEYS[7],ARGV[12],regno)\n"
    "  redis.call('HSET',KEYS[5],ARGV[11],regno)\n"
    "  for t in ARGV[13]:gmatch('%S+') do redis.call('SADD','ussd:biz:tok:'..t,regno) end\n"
    "  if ok_owner then redis.call('SADD','ussd:owner:'..ARGV[16]..':biz',regno) end\n"
    "  if redis.call('HGET',KEYS[6],ARGV[11])==ARGV[21] then redis.call('HDEL',KEYS[6],ARGV[11]) end\n"
    "  redis.call('HSET',KEYS[1],'d.regno',regno)\n"
    "elseif ARGV[10]=='release' then\n"
    "  if redis.call('HGET',KEYS[6],ARGV[11])==ARGV[21] then redis.call('HDEL',KEYS[6],ARGV[11]) end end\n"
    "redis.call('HSET',KEYS[1],'status',ARGV[2],'updated',ARGV[3])\n"
    "redis.call('RPUSH',KEYS[2],ARGV[4])\n"
    "if ARGV[9]~='' and bill~='' and redis.call('EXISTS',bk)==1 then\n"
    "  redis.call('HSET',bk,'status',ARGV[9])\n"
    "  if ARGV[9]=='paid' then redis.call('HSET',bk,'paid_at',ARGV[3]) end end\n"
    "local lang=''\n"
    "if ARGV[5]=='1' then lang='en'\n"
    "  if redis.call('TYPE',KEYS[3]).ok=='string' then local l=redis.call('GET',KEYS[3])\n"
    "    if l=='rw' or l=='fr' then lang=l end end\n"
    "  local rec=ARGV[6] if lang=='rw' then rec=ARGV[7] elseif lang=='fr' then rec=ARGV[8] end\n"
    "  redis.call('RPUSH',KEYS[4],rec) end\n"
    "return {'ok',cur,lang,regno}\n";

/* The SMS record the sender takes in (services/sms_record.h), malloc'd; NULL when a
 * value is not UTF-8 or memory is short. */
static char *sms_json(const char *to, const char *text, const char *lang, time_t now)
{
    size_t cap = SMS_RECORD_MAX(strlen(to), strlen(text), strlen(lang));
    char *s = malloc(cap);
    if (s && sms_record_encode(s, cap, to, text, lang, (long long)now) < 0) {
        free(s);
        s = NULL;
    }
    return s;
}

static const char *detail(const struct rec_app *a, const char *k)
{
    for (size_t i = 0; i < a->n_details; i++)
        if (strcmp(a->details[i].key, k) == 0)
            return a->details[i].value;
    return "";
}

static void on_status_done(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    const char *verdict = elem_str(r, 0);
    if (!verdict || r->elements != 4 || !elem_str(r, 1) || !elem_str(r, 2) || !elem_str(r, 3)) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    if (strcmp(verdict, "not_found") == 0) {
        op_fail_now(o, REC_NOT_FOUND, "not_found");
        return;
    }
    if (strcmp(verdict, "changed") == 0) {
        op_fail_now(o, REC_REFUSED, "changed");
        return;
    }
    if (strcmp(verdict, "name_taken") == 0) {
        op_fail_now(o, REC_REFUSED, "name_taken");
        return;
    }
    if (strcmp(verdict, "sequence") == 0) {
        op_fail_now(o, REC_REFUSED, "sequence");
        return;
    }
    if (strcmp(verdict, "ok") != 0) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    struct rec_status_change c = {o->ref,   elem_str(r, 1), o->to,
                                  o->query, elem_str(r, 2), elem_str(r, 3)};
    o->cb.status(o->arg, REC_OK, NULL, &c);
    free(o);
}

static void on_status_read(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    if (is_arr(r) && r->elements == 0) {
        op_fail_now(o, REC_NOT_FOUND, "not_found");
        return;
    }
    struct app_view *v = malloc(sizeof *v);
    if (!v) {
        op_fail_now(o, REC_ERR, "memory");
        return;
    }
    if (app_view_parse(v, r) != 0) {
        free(v);
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    const struct rec_app *a = &v->a;
    const struct rec_bill *b = a->bill;
    int unpaid = b && strcmp(b->status, "unpaid") == 0 && b->amount > 0;
    const char *bad = records_transition(a->status, o->to, unpaid, NULL, 0);
    if (bad || !msisdn_ok(a->msisdn)) {
        app_view_done(v);
        free(v);
        op_fail_now(o, bad ? REC_REFUSED : REC_ERR, bad ? bad : "data");
        return;
    }
    snprintf(o->query, sizeof o->query, "%s", a->msisdn); /* kept for the result */

    time_t now = time(NULL);
    char at[REC_TIME_MAX], today[REC_TIME_MAX], expiry[REC_TIME_MAX];
    records_time(now, 0, at, sizeof at);
    records_time(now, 1, today, sizeof today);
    records_time(now + 365 * 86400, 1, expiry, sizeof expiry);
    char *hist = hist_json(at, o->to, o->note[0] ? o->note : NULL);
    char *sms[3] = {NULL, NULL, NULL};
    static const char *const langs[3] = {"en", "rw", "fr"};
    int notify = (o->flags & REC_NOTIFY) != 0;
    for (int i = 0; notify && i < 3; i++) {
        char text[400];
        records_status_sms(langs[i], o->ref, o->to, o->note, b, text, sizeof text);
        sms[i] = sms_json(a->msisdn, text, langs[i], now);
    }
    if (!hist || (notify && (!sms[0] || !sms[1] || !sms[2]))) {
        free(hist);
        for (int i = 0; i < 3; i++)
            free(sms[i]);
        app_view_done(v);
        free(v);
        op_fail_now(o, REC_INVALID, "note");
        return;
    }
    const char *bill_action = "";
    if (b && strcmp(o->to, "paid") == 0)
        bill_action = "paid";
    else if (b && unpaid && strcmp(o->to, "rejected") == 0)
        bill_action = "cancelled";
    const char *name_action = "";
    /* the name reservation of a business registration */
    char k_app[64], k_hist[64], k_lang[64];
    app_keys(o->ref, k_app, sizeof k_app, k_hist, sizeof k_hist);
    snprintf(k_lang, sizeof k_lang, REC_PREFIX "l:%s", a->msisdn);
    const char *nk = "", *nn = "", *nt = "";
    /* the application hash carries name_key/name_norm/name_tokens; they are fields, not
     * details: look them up in the raw reply */
    const redisReply *h = r->element[0];
    nk = kv_s(h, "name_key");
    nn = kv_s(h, "name_norm");
    nt = kv_s(h, "name_tokens");
    if (nk[0]) {
        if (strcmp(o->to, "rejected") == 0)
            name_action = "release";
        else if (strcmp(o->to, "completed") == 0 && strcmp(a->service, "business") == 0)
            name_action = "register";
    }
    const char *type = detail(a, "type");
    const char *args[8 + 21] = {
        k_app,
        k_hist,
        k_lang,
        REC_SMS_QUEUE,
        REC_PREFIX "biz:bykey",
        REC_PREFIX "biz:pending",
        REC_PREFIX "biz:byname",
        REC_PREFIX "biz:names",
        a->status,
        o->to,
        at,
        hist,
        notify ? "1" : "0",
        sms[0] ? sms[0] : "",
        sms[1] ? sms[1] : "",
        sms[2] ? sms[2] : "",
        bill_action,
        name_action,
        nk,
        nn,
        nt,
        detail(a, "name"),
        type[0] ? type : "enterprise",
        detail(a, "owner_id"),
        detail(a, "owner_name"),
        detail(a, "district"),
        today,
        expiry,
        o->ref,
    };
    eval(o->store, on_status_done, o, script_status, 8, args, 8 + 21);
    free(hist);
    for (int i = 0; i < 3; i++)
        free(sms[i]);
    app_view_done(v);
    free(v);
}

void records_app_set_status(const struct svc_env *env, const char *ref, const char *to,
                            const char *note, int flags, rec_status_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_STATUS, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.status = cb;
    o->flags = flags;
    const char *bad = parse_ref(ref, o->ref, sizeof o->ref);
    if (bad) {
        op_fail(o, REC_INVALID, bad);
        return;
    }
    if (!records_status_known(to)) {
        op_fail(o, REC_INVALID, "status");
        return;
    }
    if (note && (!value_ok(note))) {
        op_fail(o, REC_INVALID, "note");
        return;
    }
    snprintf(o->to, sizeof o->to, "%s", to);
    snprintf(o->note, sizeof o->note, "%s", note ? note : "");
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    app_read(o, on_status_read);
}

/* ---- bills ---- */

static void on_bill(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_hash(o, status, r))
        return;
    struct rec_bill b;
    fill_bill(&b, r);
    if (!b.number[0]) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    o->cb.bill(o->arg, REC_OK, NULL, &b);
    free(o);
}

void records_bill_get(const struct svc_env *env, const char *number, rec_bill_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_BILL, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.bill = cb;
    const char *bad = refs_parse(number, "BIL", o->ref, sizeof o->ref);
    if (bad) {
        op_fail(o, REC_INVALID, bad);
        return;
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    store_cmdf(o->store, on_bill, o, "HGETALL " REC_PREFIX "bill:%s", o->ref);
}

/* ---- inspection slots ---- */

char *records_slot_label(const char *id, char *buf, size_t n)
{
    if (!n)
        return buf;
    buf[0] = 0;
    /* YYYYMMDDHHMM-N */
    if (!id || strlen(id) < 14 || id[12] != '-')
        return buf;
    for (int i = 0; i < 12; i++)
        if (id[i] < '0' || id[i] > '9')
            return buf;
    snprintf(buf, n, "%.2s/%.2s %.2s:%.2s", id + 6, id + 4, id + 8, id + 10);
    return buf;
}

static void on_slots(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    if (!is_arr(r)) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    struct rec_slot s[REC_LIST_MAX];
    char labels[REC_LIST_MAX][24];
    size_t n = 0;
    for (size_t i = 0; i + 1 < r->elements && n < o->max; i += 2) {
        const char *id = elem_str(r, i);
        time_t at = (time_t)to_long(elem_str(r, i + 1));
        if (!id || !at)
            continue;
        /* one entry per start time (another inspector at the same time is the same
         * choice for the applicant) */
        if (n && s[n - 1].at == at)
            continue;
        records_slot_label(id, labels[n], sizeof labels[n]);
        if (!labels[n][0])
            continue;
        s[n] = (struct rec_slot){id, at, labels[n]};
        n++;
    }
    o->cb.slots(o->arg, REC_OK, NULL, s, n);
    free(o);
}

void records_slots_free(const struct svc_env *env, const char *district, size_t max,
                        rec_slots_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_SLOTS, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL, 0);
        return;
    }
    o->cb.slots = cb;
    const struct geo_district *d = geo_district_by_name(district);
    if (!d) {
        op_fail(o, REC_INVALID, "district");
        return;
    }
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    o->max = max == 0 || max > REC_LIST_MAX ? REC_LIST_MAX : max;
    char key[64], from[24], lim[16];
    snprintf(key, sizeof key, REC_PREFIX "slots:%s", d->name);
    snprintf(from, sizeof from, "%lld", (long long)time(NULL));
    /* room for several inspectors per start time */
    snprintf(lim, sizeof lim, "%zu", o->max * 4);
    const char *argv[] = {"ZRANGEBYSCORE", key, from, "+inf", "WITHSCORES", "LIMIT", "0", lim};
    store_cmd(o->store, on_slots, o, 8, argv, NULL);
}

/* KEYS app hist; ARGV 1 slot 2 now 3 now-epoch 4 history note 5 ref.
 * Returns {verdict, district, slot, previous}. */
static const char script_book[] = LUA_COMMON
    "local t=redis.call('TYPE',KEYS[1]).ok\n"
    "if t=='none' then return {'not_found','','',''} end\n"
    "if t~='hash' or not ok(KEYS[2],'list') then return redis.error_reply('WRONGTYPE application') end\n"
    "local f=redis.call('HMGET',KEYS[1],'service','status','d.district','slot','slot_at','slot_district')\n"
    "if f[1]~='permit' then return {'not_permit','','',''} end\n"
    "if f[2]~='approved' and f[2]~='paid' then return {'status','','',''} end\n"
    "local d=f[3]\n"
    "if not d or d=='' then return {'no_district','','',''} end\n"
    "local free='ussd:slots:'..d local booked=free..':booked'\n"
    "if not (ok(free,'zset') and ok(booked,'hash')) then return redis.error_reply('WRONGTYPE slots') end\n"
    "if f[4]==ARGV[1] and f[6]==d then return {'same',d,ARGV[1],''} end\n"
    "local sc=redis.call('ZSCORE',free,ARGV[1])\n"
    "if not sc then return {'slot_taken',d,ARGV[1],''} end\n"
    "if tonumber(sc)<tonumber(ARGV[3]) then return {'past',d,ARGV[1],''} end\n"
    "local prev=''\n"
    "if f[4] and f[4]~='' and f[6] and f[6]~='' then\n"
    "  local pf='ussd:slots:'..f[6] local pb=pf..':booked'\n"
    "  if ok(pf,'zset') and ok(pb,'hash') and redis.call('HGET',pb,f[4])==ARGV[5] then\n"
    "    prev=f[4] redis.call('HDEL',pb,f[4])\n"
    "    if tonumber(f[5] or '') then redis.call('ZADD',pf,f[5],f[4]) end end end\n"
    "redis.call('ZREM',free,ARGV[1])\n"
    "redis.call('HSET',booked,ARGV[1],ARGV[5])\n"
    "redis.call('HSET',KEYS[1],'slot',ARGV[1],'slot_at',sc,'slot_district',d,'updated',ARGV[2])\n"
    "redis.call('RPUSH',KEYS[2],cjson.encode({at=ARGV[2],status=f[2],note=ARGV[4]}))\n"
    "return {'ok',d,ARGV[1],prev}\n";

static void on_booked(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!op_reply(o, status, r))
        return;
    const char *verdict = elem_str(r, 0);
    if (!verdict || r->elements != 4 || !elem_str(r, 1) || !elem_str(r, 2) || !elem_str(r, 3)) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    static const char *const refusals[] = {"not_permit", "status", "no_district", "slot_taken",
                                           "past"};
    if (strcmp(verdict, "not_found") == 0) {
        op_fail_now(o, REC_NOT_FOUND, "not_found");
        return;
    }
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (strcmp(verdict, refusals[i]) == 0) {
            op_fail_now(o, REC_REFUSED, refusals[i]);
            return;
        }
    if (strcmp(verdict, "ok") != 0 && strcmp(verdict, "same") != 0) {
        op_fail_now(o, REC_ERR, "data");
        return;
    }
    struct rec_booking b = {o->ref, elem_str(r, 2), elem_str(r, 1), elem_str(r, 3),
                            strcmp(verdict, "same") == 0};
    o->cb.book(o->arg, REC_OK, NULL, &b);
    free(o);
}

void records_slot_book(const struct svc_env *env, const char *ref, const char *slot,
                       rec_book_cb cb, void *arg)
{
    struct op *o = op_new(env, OP_BOOK, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.book = cb;
    const char *bad = parse_ref(ref, o->ref, sizeof o->ref);
    if (bad) {
        op_fail(o, REC_INVALID, bad);
        return;
    }
    char label[24];
    if (!slot || strlen(slot) >= sizeof o->slot ||
        !records_slot_label(slot, label, sizeof label)[0]) {
        op_fail(o, REC_INVALID, "slot");
        return;
    }
    for (const char *q = slot + 13; *q; q++)
        if (*q < '0' || *q > '9') {
            op_fail(o, REC_INVALID, "slot");
            return;
        }
    snprintf(o->slot, sizeof o->slot, "%s", slot);
    if (!o->store) {
        op_fail(o, REC_ERR, "redis");
        return;
    }
    time_t now = time(NULL);
    char at[REC_TIME_MAX], epoch[24], note[64];
    records_time(now, 0, at, sizeof at);
    snprintf(epoch, sizeof epoch, "%lld", (long long)now);
    snprintf(note, sizeof note, "inspection booked for %s", label);
    char k_app[64], k_hist[64];
    app_keys(o->ref, k_app, sizeof k_app, k_hist, sizeof k_hist);
    const char *args[] = {k_app, k_hist, o->slot, at, epoch, note, o->ref};
    eval(o->store, on_booked, o, script_book, 2, args, 7);
}
