/*
 * alerts.c: alert subscriptions and an alert's audience in Redis; see alerts.h.
 *
 * A subscription change is one script with the phone's keys as KEYS; the set of a topic
 * in a district is made in the script from the prefix in ARGV (the district may be the
 * remembered one, read there). The audience is one SDIFF, then the languages with MGET
 * in batches of ALERTS_MGET, at most ALERTS_MGET_INFLIGHT at a time.
 */
#include "alerts.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sms_codec.h"
#include "svc_store.h"

#define K_ALERTS "ussd:alerts:"
#define K_SUB K_ALERTS "sub:"
#define K_STOPPED K_ALERTS "stopped"
#define MSISDN_MAX 32
#define ALERTS_MGET 256
#define ALERTS_MGET_INFLIGHT 4

/* ---- topics ---- */

static const char *const w_water[] = {"water", "amazi", "eau", "eaux", NULL};
static const char *const w_waste[] = {"waste", "imyanda", "dechets", "déchets", "DÉCHETS",
                                      "ordures", NULL};
static const char *const w_roads[] = {"roads", "road", "imihanda", "umuhanda", "routes", "route",
                                      NULL};
static const char *const w_health[] = {"health", "ubuzima", "sante", "santé", "SANTÉ", NULL};

static const struct alerts_topic topics[] = {
    {"water", {"water", "amazi", "eau"}, w_water, {"WATER", "AMAZI", "EAU"}},
    {"waste", {"waste collection", "imyanda", "déchets"}, w_waste, {"WASTE", "IMYANDA", "DECHETS"}},
    {"roads", {"roads", "imihanda", "routes"}, w_roads, {"ROADS", "IMIHANDA", "ROUTES"}},
    {"health", {"health", "ubuzima", "santé"}, w_health, {"HEALTH", "UBUZIMA", "SANTE"}},
};

#define N_TOPICS (sizeof topics / sizeof topics[0])

const struct alerts_topic *alerts_topic_find(const char *word)
{
    for (size_t i = 0; word && i < N_TOPICS; i++)
        for (const char *const *w = topics[i].words; *w; w++)
            if (strcasecmp(*w, word) == 0)
                return &topics[i];
    return NULL;
}

const struct alerts_topic *alerts_topic_by_code(const char *code)
{
    for (size_t i = 0; code && i < N_TOPICS; i++)
        if (strcasecmp(topics[i].code, code) == 0)
            return &topics[i];
    return NULL;
}

/* 0 en (and any other), 1 rw, 2 fr. */
static int lang_ix(const char *lang)
{
    return lang && strcmp(lang, "rw") == 0 ? 1 : lang && strcmp(lang, "fr") == 0 ? 2 : 0;
}

const char *alerts_topic_text(const struct alerts_topic *t, const char *lang)
{
    return t->shown[lang_ix(lang)];
}

const char *alerts_topic_keyword(const struct alerts_topic *t, const char *lang)
{
    return t->keyword[lang_ix(lang)];
}

/* ---- the call record ---- */

enum op_kind { OP_SUB, OP_COUNT, OP_LIST, OP_ID, OP_AUDIENCE };

struct op {
    struct svc_op h; /* first: the record is a svc_op */
    union {
        alerts_sub_cb sub;
        alerts_count_cb count;
        alerts_list_cb list;
        alerts_id_cb id;
        alerts_audience_cb audience;
    } cb;
    /* the audience */
    char **to, **lang;
    size_t n, asked, pending;
    int with_langs, error;
    int asking; /* inside ask_langs: a batch answered at once (no memory) waits for it */
};

static void op_free(struct op *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->to[i]);
        if (o->lang)
            free(o->lang[i]);
    }
    free(o->to);
    free(o->lang);
    free(o);
}

static void op_failed(struct svc_op *h, int st, const char *why)
{
    struct op *o = (struct op *)h;
    void *a = o->h.arg;
    switch ((enum op_kind)o->h.kind) {
    case OP_SUB: o->cb.sub(a, st, why, ALERTS_OK, NULL); break;
    case OP_COUNT: o->cb.count(a, st, why, 0); break;
    case OP_LIST: o->cb.list(a, st, why, NULL, 0); break;
    case OP_ID: o->cb.id(a, st, why, NULL); break;
    case OP_AUDIENCE: o->cb.audience(a, st, why, NULL); break;
    }
    op_free(o);
}

/* 1 when m cannot be a subscriber's phone. */
static int msisdn_bad(const char *m)
{
    return !m || !m[0] || strlen(m) > MSISDN_MAX;
}

/* ---- join, leave ---- */

/* The district: ARGV[3], or the phone's last one (KEYS[2]). */
#define LUA_DISTRICT                                                                             \
    "local m=ARGV[1] local d=ARGV[3]\n"                                                          \
    "if d=='' then d=redis.call('GET',KEYS[2]) if not d then return {'need_district',''} end end\n" \
    "local sub=ARGV[2]..':'..d\n"

/* KEYS: the phone's subscriptions, its district, the stopped set. ARGV: msisdn, topic,
 * district, the topic sets' prefix. {outcome, district}. */
static struct store_script script_join = SVC_SCRIPT(
    "alerts.join",
    LUA_DISTRICT
    "redis.call('SADD',ARGV[4]..sub,m)\n"
    "redis.call('SADD',KEYS[1],sub)\n"
    "redis.call('SET',KEYS[2],d)\n"
    "if redis.call('SISMEMBER',KEYS[3],m)==1 then return {'stopped',d} end\n"
    "return {'ok',d}\n");

/* KEYS, ARGV: as join. */
static struct store_script script_leave = SVC_SCRIPT(
    "alerts.leave",
    LUA_DISTRICT
    "local n=redis.call('SREM',ARGV[4]..sub,m)\n"
    "redis.call('SREM',KEYS[1],sub)\n"
    "if n==0 then return {'not_subscribed',d} end\n"
    "return {'ok',d}\n");

static void on_sub(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "alerts.redis"))
        return;
    static const char *const names[] = {[ALERTS_OK] = "ok",
                                        [ALERTS_NEED_DISTRICT] = "need_district",
                                        [ALERTS_NOT_SUBSCRIBED] = "not_subscribed",
                                        [ALERTS_STOPPED] = "stopped"};
    const char *v = svc_reply_str(r, 0), *d = svc_reply_str(r, 1);
    for (size_t i = 0; v && d && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(v, names[i]) == 0) {
            o->cb.sub(o->h.arg, REC_OK, NULL, (enum alerts_outcome)i, d[0] ? d : NULL);
            op_free(o);
            return;
        }
    svc_op_fail(&o->h, REC_ERR, "data");
}

static void sub_change(const struct svc_ctx *ctx, struct store_script *sc, const char *topic,
                       const char *district, alerts_sub_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, ctx->env, op_failed, OP_SUB, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", ALERTS_OK, NULL);
        return;
    }
    o->cb.sub = cb;
    const char *m = ctx->actor.msisdn;
    if (msisdn_bad(m)) {
        svc_op_fail_later(&o->h, REC_INVALID, "msisdn");
        return;
    }
    char k_phone[80], k_district[80];
    snprintf(k_phone, sizeof k_phone, K_ALERTS "phone:%s", m);
    snprintf(k_district, sizeof k_district, K_ALERTS "district:%s", m);
    const char *argv[] = {k_phone, k_district, K_STOPPED, m, topic ? topic : "",
                          district ? district : "", K_SUB};
    svc_eval(ctx->env, sc, 3, 7, argv, on_sub, o);
}

void alerts_join(const struct svc_ctx *ctx, const char *topic, const char *district,
                 alerts_sub_cb cb, void *arg)
{
    sub_change(ctx, &script_join, topic, district, cb, arg);
}

void alerts_leave(const struct svc_ctx *ctx, const char *topic, const char *district,
                  alerts_sub_cb cb, void *arg)
{
    sub_change(ctx, &script_leave, topic, district, cb, arg);
}

/* ---- stop, start ---- */

/* KEYS: the stopped set, the phone's subscriptions. ARGV: msisdn. Its subscriptions. */
static struct store_script script_stop = SVC_SCRIPT(
    "alerts.stop",
    "redis.call('SADD',KEYS[1],ARGV[1]) return redis.call('SCARD',KEYS[2])\n");

static struct store_script script_start = SVC_SCRIPT(
    "alerts.start",
    "redis.call('SREM',KEYS[1],ARGV[1]) return redis.call('SCARD',KEYS[2])\n");

static void on_count(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply_of(&o->h, status, r, REDIS_REPLY_INTEGER, "alerts.redis"))
        return;
    o->cb.count(o->h.arg, REC_OK, NULL, (long)r->integer);
    op_free(o);
}

static void stop_change(const struct svc_ctx *ctx, struct store_script *sc, alerts_count_cb cb,
                        void *arg)
{
    struct op *o = svc_op_new(sizeof *o, ctx->env, op_failed, OP_COUNT, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", 0);
        return;
    }
    o->cb.count = cb;
    if (msisdn_bad(ctx->actor.msisdn)) {
        svc_op_fail_later(&o->h, REC_INVALID, "msisdn");
        return;
    }
    char k_phone[80];
    snprintf(k_phone, sizeof k_phone, K_ALERTS "phone:%s", ctx->actor.msisdn);
    const char *argv[] = {K_STOPPED, k_phone, ctx->actor.msisdn};
    svc_eval(ctx->env, sc, 2, 3, argv, on_count, o);
}

void alerts_stop(const struct svc_ctx *ctx, alerts_count_cb cb, void *arg)
{
    stop_change(ctx, &script_stop, cb, arg);
}

void alerts_start(const struct svc_ctx *ctx, alerts_count_cb cb, void *arg)
{
    stop_change(ctx, &script_start, cb, arg);
}

/* ---- a phone's subscriptions ---- */

static struct store_script script_list = SVC_SCRIPT(
    "alerts.list",
    "local s=redis.call('SMEMBERS',KEYS[1]) table.sort(s) return s\n");

static void on_list(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "alerts.redis"))
        return;
    struct alerts_sub s[ALERTS_SUBS_MAX];
    char topic[ALERTS_SUBS_MAX][16];
    size_t n = 0;
    for (size_t i = 0; i < svc_reply_len(r) && n < ALERTS_SUBS_MAX; i++) {
        const char *e = svc_reply_str(r, i), *colon = e ? strchr(e, ':') : NULL;
        if (!colon || (size_t)(colon - e) >= sizeof topic[n])
            continue;
        snprintf(topic[n], sizeof topic[n], "%.*s", (int)(colon - e), e);
        s[n] = (struct alerts_sub){e, topic[n], colon + 1};
        n++;
    }
    o->cb.list(o->h.arg, REC_OK, NULL, s, n);
    op_free(o);
}

void alerts_of(const struct svc_env *env, const char *msisdn, alerts_list_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_LIST, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL, 0);
        return;
    }
    o->cb.list = cb;
    if (msisdn_bad(msisdn)) {
        svc_op_fail_later(&o->h, REC_INVALID, "msisdn");
        return;
    }
    char k_phone[80];
    snprintf(k_phone, sizeof k_phone, K_ALERTS "phone:%s", msisdn);
    const char *argv[] = {k_phone};
    svc_eval(env, &script_list, 1, 1, argv, on_list, o);
}

/* ---- sending: the id and the audience ---- */

static void on_id(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply_of(&o->h, status, r, REDIS_REPLY_INTEGER, "alerts.redis"))
        return;
    char id[24];
    snprintf(id, sizeof id, "%lld", r->integer);
    o->cb.id(o->h.arg, REC_OK, NULL, id);
    op_free(o);
}

void alerts_new_id(const struct svc_ctx *ctx, alerts_id_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, ctx->env, op_failed, OP_ID, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.id = cb;
    const char *argv[] = {"INCR", K_ALERTS "seq"};
    svc_cmd(ctx->env, 2, argv, on_id, o);
}

static void audience_done(struct op *o)
{
    if (o->error) {
        svc_op_fail(&o->h, REC_ERR, "redis");
        return;
    }
    struct alerts_audience a = {(const char *const *)o->to, (const char *const *)o->lang, o->n};
    o->cb.audience(o->h.arg, REC_OK, NULL, &a);
    op_free(o);
}

static void ask_langs(struct op *o);

/* A batch of languages: the first subscriber it is for, and how many. */
struct batch {
    struct op *o;
    size_t first, n;
};

static void on_langs(void *p, int status, const redisReply *r)
{
    struct batch b = *(struct batch *)p;
    struct op *o = b.o;
    free(p);
    o->pending--;
    if (!svc_reply_ok(status, r, "alerts.redis") || svc_reply_len(r) != b.n)
        o->error = 1;
    for (size_t k = 0; !o->error && k < b.n; k++) {
        const char *l = svc_reply_str(r, k);
        if (l && !(o->lang[b.first + k] = strdup(l)))
            o->error = 1;
    }
    if (!o->asking)
        ask_langs(o);
}

/* The next batches, up to ALERTS_MGET_INFLIGHT in flight; the answer when all came. */
static void ask_langs(struct op *o)
{
    o->asking = 1;
    while (!o->error && o->asked < o->n && o->pending < ALERTS_MGET_INFLIGHT) {
        size_t n = o->n - o->asked < ALERTS_MGET ? o->n - o->asked : ALERTS_MGET;
        struct batch *b = malloc(sizeof *b);
        const char **argv = calloc(n + 1, sizeof *argv);
        char *keys = malloc(n * 48);
        if (!b || !argv || !keys) {
            free(b);
            free(argv);
            free(keys);
            o->error = 1; /* the batches in flight are waited for */
            break;
        }
        *b = (struct batch){o, o->asked, n};
        argv[0] = "MGET";
        for (size_t k = 0; k < n; k++) {
            snprintf(keys + k * 48, 48, SVC_LANG_KEY "%s", o->to[o->asked + k]);
            argv[k + 1] = keys + k * 48;
        }
        o->asked += n;
        o->pending++;
        svc_cmd(o->h.env, (int)n + 1, argv, on_langs, b);
        free(argv);
        free(keys);
    }
    o->asking = 0;
    if (!o->pending && (o->error || o->asked >= o->n))
        audience_done(o);
}

static void on_members(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "alerts.redis"))
        return;
    size_t n = svc_reply_len(r);
    o->to = calloc(n ? n : 1, sizeof *o->to);
    if (!o->to) {
        svc_op_fail(&o->h, REC_ERR, "memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *m = svc_reply_str(r, i);
        if (m && sms_msisdn_ok(m) && (o->to[o->n] = strdup(m)))
            o->n++;
    }
    if (o->with_langs && o->n && !(o->lang = calloc(o->n, sizeof *o->lang))) {
        svc_op_fail(&o->h, REC_ERR, "memory");
        return;
    }
    if (o->lang)
        ask_langs(o);
    else
        audience_done(o);
}

void alerts_audience(const struct svc_env *env, const char *topic, const char *district,
                     int with_langs, alerts_audience_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_AUDIENCE, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.audience = cb;
    o->with_langs = with_langs;
    char k_sub[96];
    snprintf(k_sub, sizeof k_sub, K_SUB "%s:%s", topic ? topic : "", district ? district : "");
    const char *argv[] = {"SDIFF", k_sub, K_STOPPED};
    svc_cmd(env, 3, argv, on_members, o);
}
