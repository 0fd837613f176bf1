/*
 * alerts.c: the alert subscription handlers (see builtin.h): `alert_join`,
 * `alert_leave`, `alert_stop`, `alert_start` and `alert_list` (the phone's subscriptions,
 * as a list for a menu `source`). `ussdgw alert send` (cli/alerts_cli.c) fans an
 * alert out to the subscribers.
 *
 * Redis keys (each change is one EVAL, so atomic):
 *   ussd:alerts:sub:TOPIC:DISTRICT   set of MSISDNs subscribed to TOPIC in DISTRICT
 *   ussd:alerts:phone:MSISDN         set of TOPIC:DISTRICT the phone is subscribed to
 *   ussd:alerts:district:MSISDN      the district of the phone's last JOIN (the default
 *                                    when a JOIN or LEAVE names none)
 *   ussd:alerts:stopped              set of MSISDNs that sent STOP (no alert until START)
 * TOPIC is water, waste, roads or health; DISTRICT the district's name as geo.h spells it.
 *
 * Arguments: `topic` (a topic word in English, Kinyarwanda or French, any case),
 * `district` (a district name, any case; empty: the phone's last one), or `sub`
 * ("TOPIC:DISTRICT", as alert_list gives it) instead of both. alert_join with
 * `check: yes` only names them (topic, topic_text, district; outcome ok, unknown_topic,
 * unknown_district or need_district) and changes nothing: for a confirm screen.
 * Outcomes: ok, unknown_topic, unknown_district, need_district (no district given and
 * none remembered), not_subscribed (leave), stopped (join: subscribed, but the phone
 * sent STOP), none (alert_list: no subscription), error. Variables: topic (the code),
 * topic_text (in the request's language), topic_word (the keyword to type in that
 * language: WATER, AMAZI, EAU...), district, count (alert_list, alert_start:
 * the phone's subscriptions).
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builtin.h"
#include "geo.h"
#include "log.h"
#include "store.h"
#include "store_call.h"

enum alert_op { OP_JOIN, OP_LEAVE, OP_STOP, OP_START, OP_LIST };

/* Per language: en, rw, fr (lang_index). */
struct topic_def {
    const char *code;
    const char *shown[3];      /* in a text: "water", "amazi", "eau" */
    const char *const *words;  /* accepted (ASCII case-insensitive) */
    const char *keyword[3];    /* to type for JOIN / LEAVE (GSM letters only) */
};

static const char *const w_water[] = {"water", "amazi", "eau", "eaux", NULL};
static const char *const w_waste[] = {"waste", "imyanda", "dechets", "déchets", "DÉCHETS",
                                      "ordures", NULL};
static const char *const w_roads[] = {"roads", "road", "imihanda", "umuhanda", "routes", "route",
                                      NULL};
static const char *const w_health[] = {"health", "ubuzima", "sante", "santé", "SANTÉ", NULL};

static const struct topic_def topics[] = {
    {"water", {"water", "amazi", "eau"}, w_water, {"WATER", "AMAZI", "EAU"}},
    {"waste", {"waste collection", "imyanda", "déchets"}, w_waste, {"WASTE", "IMYANDA", "DECHETS"}},
    {"roads", {"roads", "imihanda", "routes"}, w_roads, {"ROADS", "IMIHANDA", "ROUTES"}},
    {"health", {"health", "ubuzima", "santé"}, w_health, {"HEALTH", "UBUZIMA", "SANTE"}},
};

static const struct topic_def *topic_find(const char *word)
{
    if (!word)
        return NULL;
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
        for (const char *const *w = topics[i].words; *w; w++)
            if (strcasecmp(*w, word) == 0)
                return &topics[i];
    return NULL;
}

/* 0 en (and any other), 1 rw, 2 fr. */
static int lang_index(const char *lang)
{
    return lang && strcmp(lang, "rw") == 0 ? 1 : lang && strcmp(lang, "fr") == 0 ? 2 : 0;
}

#define ALERT_LUA_PREFIX "local p='ussd:alerts:' local m=ARGV[1] "
#define ALERT_LUA_DISTRICT                                                                       \
    "local d=ARGV[3] if d=='' then d=redis.call('GET',p..'district:'..m) "                       \
    "if not d then return {'need_district',''} end end "

static const char *const scripts[] = {
    [OP_JOIN] = ALERT_LUA_PREFIX ALERT_LUA_DISTRICT
    "redis.call('SADD',p..'sub:'..ARGV[2]..':'..d,m) "
    "redis.call('SADD',p..'phone:'..m,ARGV[2]..':'..d) "
    "redis.call('SET',p..'district:'..m,d) "
    "if redis.call('SISMEMBER',p..'stopped',m)==1 then return {'stopped',d} end "
    "return {'ok',d}",
    [OP_LEAVE] = ALERT_LUA_PREFIX ALERT_LUA_DISTRICT
    "local n=redis.call('SREM',p..'sub:'..ARGV[2]..':'..d,m) "
    "redis.call('SREM',p..'phone:'..m,ARGV[2]..':'..d) "
    "if n==0 then return {'not_subscribed',d} end "
    "return {'ok',d}",
    [OP_STOP] = ALERT_LUA_PREFIX "redis.call('SADD',p..'stopped',m) "
    "return {'ok',tostring(redis.call('SCARD',p..'phone:'..m))}",
    [OP_START] = ALERT_LUA_PREFIX "redis.call('SREM',p..'stopped',m) "
    "return {'ok',tostring(redis.call('SCARD',p..'phone:'..m))}",
    [OP_LIST] = ALERT_LUA_PREFIX "local s=redis.call('SMEMBERS',p..'phone:'..m) "
    "table.sort(s) return s",
};

struct alert_call {
    enum alert_op op;
    handler_done_fn done;
    void *arg;
    const struct topic_def *topic;
    char lang[8];
    char district[32];
};

static void finish(handler_done_fn done, void *arg, const char *outcome,
                   const struct topic_def *t, const char *lang, const char *district,
                   const char *count)
{
    struct handler_kv set[5];
    size_t n = 0;
    if (t) {
        set[n++] = (struct handler_kv){"topic", t->code};
        set[n++] = (struct handler_kv){"topic_text", t->shown[lang_index(lang)]};
        set[n++] = (struct handler_kv){"topic_word", t->keyword[lang_index(lang)]};
    }
    if (district)
        set[n++] = (struct handler_kv){"district", district};
    if (count)
        set[n++] = (struct handler_kv){"count", count};
    struct handler_result r = {.outcome = outcome, .set = set, .n_set = n};
    done(arg, &r);
}

static void list_reply(struct alert_call *c, const redisReply *rep)
{
    struct handler_item items[HANDLER_MAX_ITEMS];
    char labels[HANDLER_MAX_ITEMS][64];
    size_t n = 0;
    for (size_t i = 0; i < rep->elements && n < HANDLER_MAX_ITEMS; i++) {
        const redisReply *e = rep->element[i];
        if (e->type != REDIS_REPLY_STRING)
            continue;
        const char *colon = strchr(e->str, ':');
        char code[16];
        if (!colon || (size_t)(colon - e->str) >= sizeof code)
            continue;
        memcpy(code, e->str, (size_t)(colon - e->str));
        code[colon - e->str] = '\0';
        const struct topic_def *t = topic_find(code);
        snprintf(labels[n], sizeof labels[n], "%s, %s", t ? t->shown[lang_index(c->lang)] : code, colon + 1);
        items[n] = (struct handler_item){labels[n], e->str};
        n++;
    }
    char count[16];
    snprintf(count, sizeof count, "%zu", n);
    struct handler_kv set[] = {{"count", count}};
    struct handler_result r = {.outcome = n ? "ok" : "none", .set = set, .n_set = 1,
                               .items = items, .n_items = n};
    c->done(c->arg, &r);
}

static void on_reply(void *ctx, int status, const struct redisReply *rep)
{
    struct alert_call *c = ctx;
    if (status != STORE_OK || !rep || rep->type != REDIS_REPLY_ARRAY) {
        log_event(L_WARN, "alerts.redis", "op=%d err=%s", (int)c->op,
                  rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply");
        finish(c->done, c->arg, "error", c->topic, c->lang, NULL, NULL);
        return;
    }
    if (c->op == OP_LIST) {
        list_reply(c, rep);
        return;
    }
    char outcome[32] = "error", val[64] = "";
    if (rep->elements >= 2 && rep->element[0]->type == REDIS_REPLY_STRING &&
        rep->element[1]->type == REDIS_REPLY_STRING) {
        snprintf(outcome, sizeof outcome, "%s", rep->element[0]->str);
        snprintf(val, sizeof val, "%s", rep->element[1]->str);
    }
    if (c->op == OP_STOP || c->op == OP_START)
        finish(c->done, c->arg, outcome, NULL, c->lang, NULL, val);
    else
        finish(c->done, c->arg, outcome, c->topic, c->lang, val[0] ? val : NULL, NULL);
}

/* Copy s without surrounding spaces into out. */
static void trim(const char *s, char *out, size_t n)
{
    if (!s)
        s = "";
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    snprintf(out, n, "%s", s);
    size_t l = strlen(out);
    while (l && (out[l - 1] == ' ' || out[l - 1] == '\t' || out[l - 1] == '\r' || out[l - 1] == '\n'))
        out[--l] = '\0';
}

static struct handler_call *alert_start_op(enum alert_op op, const struct svc_env *env,
                                           const struct handler_req *req, handler_done_fn done,
                                           void *arg)
{
    const char *lang = req->lang ? req->lang : "";
    const struct topic_def *t = NULL;
    char dist[32] = "";
    if (op == OP_JOIN || op == OP_LEAVE) {
        char word[48], dword[48];
        const char *sub = handler_arg(req, "sub");
        if (sub && *sub) {
            /* "TOPIC:DISTRICT", as alert_list gives it */
            char tmp[96];
            trim(sub, tmp, sizeof tmp);
            char *colon = strchr(tmp, ':');
            if (colon)
                *colon++ = '\0';
            trim(tmp, word, sizeof word);
            trim(colon ? colon : "", dword, sizeof dword);
        } else {
            trim(handler_arg(req, "topic"), word, sizeof word);
            trim(handler_arg(req, "district"), dword, sizeof dword);
        }
        t = topic_find(word);
        if (!t) {
            struct handler_kv set[] = {{"topic", word}};
            struct handler_result r = {.outcome = "unknown_topic", .set = set, .n_set = 1};
            done(arg, &r);
            return NULL;
        }
        if (dword[0]) {
            const struct geo_district *d = geo_district_by_name(dword);
            if (!d) {
                finish(done, arg, "unknown_district", t, lang, dword, NULL);
                return NULL;
            }
            snprintf(dist, sizeof dist, "%s", d->name);
        }
        const char *check = handler_arg(req, "check");
        if (op == OP_JOIN && check && *check) {
            finish(done, arg, dist[0] ? "ok" : "need_district", t, lang, dist[0] ? dist : NULL,
                   NULL);
            return NULL;
        }
    }
    if (!req->msisdn || !req->msisdn[0] || strlen(req->msisdn) > 32) {
        finish(done, arg, "error", t, lang, NULL, NULL);
        return NULL;
    }
    struct alert_call c = {.op = op, .done = done, .arg = arg, .topic = t};
    snprintf(c.lang, sizeof c.lang, "%s", lang);
    snprintf(c.district, sizeof c.district, "%s", dist);
    const char *argv[] = {"EVAL", scripts[op], "0", req->msisdn, t ? t->code : "", dist};
    return store_call(env, 6, argv, &c, sizeof c, on_reply);
}

#define ALERT_HANDLER(fn, OP)                                                                    \
    static struct handler_call *fn(const struct svc_env *env, const struct handler_req *req, \
                                   handler_done_fn done, void *arg)                              \
    {                                                                                            \
        return alert_start_op(OP, env, req, done, arg);                                          \
    }

ALERT_HANDLER(join_start, OP_JOIN)
ALERT_HANDLER(leave_start, OP_LEAVE)
ALERT_HANDLER(stop_start, OP_STOP)
ALERT_HANDLER(start_start, OP_START)
ALERT_HANDLER(list_start, OP_LIST)

const struct handler_def handler_alert_join = {"alert_join", 0, join_start, store_call_cancel};
const struct handler_def handler_alert_leave = {"alert_leave", 0, leave_start, store_call_cancel};
const struct handler_def handler_alert_stop = {"alert_stop", 0, stop_start, store_call_cancel};
const struct handler_def handler_alert_start = {"alert_start", 0, start_start, store_call_cancel};
const struct handler_def handler_alert_list = {"alert_list", 1, list_start, store_call_cancel};
