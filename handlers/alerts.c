/*
 * alerts.c: the alert subscription handlers (see builtin.h), adapters from a menu step
 * (or an SMS keyword rule) to the alerts service (services/alerts.h: the keys):
 * `alert_join`, `alert_leave`, `alert_stop`, `alert_start` and `alert_list` (the phone's
 * subscriptions, as a list for a menu `source`). `ussdgw alert send`
 * (cli/alerts_cli.c) fans an alert out to the subscribers.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "builtin.h"
#include "geo.h"
#include "services.h"

struct alert_call {
    struct svc_call c;
    const struct alerts_topic *topic;
};

/* done with outcome and the variables of topic t, district and count (each may be
 * NULL), in lang. */
static void finish(handler_done_fn done, void *arg, const char *outcome,
                   const struct alerts_topic *t, const char *lang, const char *district,
                   const char *count)
{
    struct handler_kv set[5];
    size_t n = 0;
    if (t) {
        set[n++] = (struct handler_kv){"topic", t->code};
        set[n++] = (struct handler_kv){"topic_text", alerts_topic_text(t, lang)};
        set[n++] = (struct handler_kv){"topic_word", alerts_topic_keyword(t, lang)};
    }
    if (district)
        set[n++] = (struct handler_kv){"district", district};
    if (count)
        set[n++] = (struct handler_kv){"count", count};
    svc_done_now(done, arg, outcome, set, n);
}

/* The call's end: done, then the call is freed. */
static void call_finish(struct alert_call *c, const char *outcome, const struct alerts_topic *t,
                        const char *district, const char *count)
{
    finish(c->c.done, c->c.arg, outcome, t, c->c.lang, district, count);
    free(c);
}

static struct alert_call *call_new(const struct handler_req *req, handler_done_fn done,
                                   void *arg, const struct alerts_topic *t)
{
    struct alert_call *c = svc_call_new(sizeof *c, req, done, arg);
    if (c)
        c->topic = t;
    else
        finish(done, arg, "error", t, req->lang, NULL, NULL);
    return c;
}

/* ---- join, leave ---- */

static void on_sub(void *p, int status, const char *why, enum alerts_outcome o,
                   const char *district)
{
    struct alert_call *c = p;
    (void)why;
    if (svc_call_gone(c))
        return;
    static const char *const outcomes[] = {[ALERTS_OK] = "ok",
                                           [ALERTS_NEED_DISTRICT] = "need_district",
                                           [ALERTS_NOT_SUBSCRIBED] = "not_subscribed",
                                           [ALERTS_STOPPED] = "stopped"};
    call_finish(c, status == REC_OK ? outcomes[o] : "error", c->topic,
                status == REC_OK ? district : NULL, NULL);
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

/* The topic word and district word of req: `sub` ("TOPIC:DISTRICT"), or the arguments
 * topic and district. */
static void sub_words(const struct handler_req *req, char *word, char *dword, size_t n)
{
    const char *sub = handler_arg(req, "sub");
    if (!sub || !*sub) {
        trim(handler_arg(req, "topic"), word, n);
        trim(handler_arg(req, "district"), dword, n);
        return;
    }
    char tmp[96];
    trim(sub, tmp, sizeof tmp);
    char *colon = strchr(tmp, ':');
    if (colon)
        *colon++ = '\0';
    trim(tmp, word, n);
    trim(colon ? colon : "", dword, n);
}

/* Join or leave: the topic and district of req checked, then the service. */
static struct handler_call *sub_start(int join, const struct svc_env *env,
                                      const struct handler_req *req, handler_done_fn done,
                                      void *arg)
{
    const char *lang = req->lang ? req->lang : "";
    char word[48], dword[48], dist[32] = "";
    sub_words(req, word, dword, sizeof word);
    const struct alerts_topic *t = alerts_topic_find(word);
    if (!t) {
        struct handler_kv set[] = {{"topic", word}};
        svc_done_now(done, arg, "unknown_topic", set, 1);
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
    if (join && check && *check) {
        finish(done, arg, dist[0] ? "ok" : "need_district", t, lang, dist[0] ? dist : NULL, NULL);
        return NULL;
    }
    struct alert_call *c = call_new(req, done, arg, t);
    if (!c)
        return NULL;
    struct svc_ctx ctx = svc_resident(env, req->msisdn);
    (join ? alerts_join : alerts_leave)(&ctx, t->code, dist, on_sub, c);
    return (struct handler_call *)c;
}

static struct handler_call *join_start(const struct svc_env *env, const struct handler_req *req,
                                       handler_done_fn done, void *arg)
{
    return sub_start(1, env, req, done, arg);
}

static struct handler_call *leave_start(const struct svc_env *env, const struct handler_req *req,
                                        handler_done_fn done, void *arg)
{
    return sub_start(0, env, req, done, arg);
}

/* ---- stop, start ---- */

static void on_count(void *p, int status, const char *why, long count)
{
    struct alert_call *c = p;
    (void)why;
    if (svc_call_gone(c))
        return;
    char n[24];
    snprintf(n, sizeof n, "%ld", count);
    call_finish(c, status == REC_OK ? "ok" : "error", NULL, NULL, status == REC_OK ? n : NULL);
}

static struct handler_call *stop_start(const struct svc_env *env, const struct handler_req *req,
                                       handler_done_fn done, void *arg)
{
    struct alert_call *c = call_new(req, done, arg, NULL);
    struct svc_ctx ctx = svc_resident(env, req->msisdn);
    if (c)
        alerts_stop(&ctx, on_count, c);
    return (struct handler_call *)c;
}

static struct handler_call *start_start(const struct svc_env *env, const struct handler_req *req,
                                        handler_done_fn done, void *arg)
{
    struct alert_call *c = call_new(req, done, arg, NULL);
    struct svc_ctx ctx = svc_resident(env, req->msisdn);
    if (c)
        alerts_start(&ctx, on_count, c);
    return (struct handler_call *)c;
}

/* ---- the phone's subscriptions ---- */

static void on_list(void *p, int status, const char *why, const struct alerts_sub *s, size_t n)
{
    struct alert_call *c = p;
    (void)why;
    if (svc_call_gone(c))
        return;
    if (status != REC_OK) {
        call_finish(c, "error", NULL, NULL, NULL);
        return;
    }
    struct handler_item items[HANDLER_MAX_ITEMS];
    char labels[HANDLER_MAX_ITEMS][64];
    size_t k = 0;
    for (; k < n && k < HANDLER_MAX_ITEMS; k++) {
        const struct alerts_topic *t = alerts_topic_find(s[k].topic);
        snprintf(labels[k], sizeof labels[k], "%s, %s",
                 t ? alerts_topic_text(t, c->c.lang) : s[k].topic, s[k].district);
        items[k] = (struct handler_item){labels[k], s[k].id};
    }
    char count[16];
    snprintf(count, sizeof count, "%zu", k);
    struct handler_kv set[] = {{"count", count}};
    struct handler_result r = {.outcome = k ? "ok" : "none", .set = set, .n_set = 1,
                               .items = items, .n_items = k};
    c->c.done(c->c.arg, &r);
    free(c);
}

static struct handler_call *list_start(const struct svc_env *env, const struct handler_req *req,
                                       handler_done_fn done, void *arg)
{
    struct alert_call *c = call_new(req, done, arg, NULL);
    if (c)
        alerts_of(env, req->msisdn, on_list, c);
    return (struct handler_call *)c;
}

const struct handler_def handler_alert_join = {"alert_join", 0, join_start, svc_cancel};
const struct handler_def handler_alert_leave = {"alert_leave", 0, leave_start, svc_cancel};
const struct handler_def handler_alert_stop = {"alert_stop", 0, stop_start, svc_cancel};
const struct handler_def handler_alert_start = {"alert_start", 0, start_start, svc_cancel};
const struct handler_def handler_alert_list = {"alert_list", 1, list_start, svc_cancel};
