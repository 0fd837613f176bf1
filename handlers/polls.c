/*
 * polls.c: the poll handlers (polls from `polls:` in menus.d, menus/menu_load_polls.c):
 *   polls_open   (list) the polls open now for `district` (a poll with `options` is
 *                open to every district, one with `projects` to the districts it lists);
 *                outcomes ok (count), none.
 *   poll_options (list) the options of `poll` for `district`; sets poll, question,
 *                voter (phone or national_id), closes; outcomes ok, closed (not open
 *                now), not_found.
 *   poll_vote    records the vote `choice` in `poll` (with `district`; `national_id` when
 *                the poll's voter is national_id); outcomes ok (first vote), changed (a
 *                second vote replaced the first), closed, invalid (no such poll or
 *                option), invalid_id (the national ID is not valid), error; sets
 *                question, choice_text, closes.
 *
 * Redis keys, each vote one EVAL (atomic, idempotent on req->step_key):
 *   ussd:poll:ID:voter:VOTER   the voter's choice (VOTER: the MSISDN or national ID)
 *   ussd:poll:ID:tally         hash option id -> votes (the old choice is subtracted)
 *   ussd:poll:ID:phones        set of MSISDNs that voted (for results by SMS)
 *   ussd:poll:idem:STEP_KEY    the outcome of a step already recorded (7 days)
 *   ussd:poll:ID:extra         hash option id -> label: approved proposals (ids p1, p2..),
 *                              listed after the menu's options, voted on like them
 *
 *   poll_propose records a resident's project proposal (`title`, `district`,
 *                `category`) for moderation (`ussdgw poll moderate`); outcomes ok
 *                (sets proposal: its number), invalid, error. One EVAL, idempotent on
 *                req->step_key:
 *   ussd:poll:proposal:seq     INCR counter: proposal ids
 *   ussd:poll:proposal:ID      hash title, district, category, msisdn, created, status
 *                              (pending|approved|rejected), poll, note
 *   ussd:poll:proposals        zset of pending ids by creation time (seconds)
 *   ussd:poll:pidem:STEP_KEY   the id a step already created (7 days)
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "geo.h"
#include "log.h"
#include "menu.h"
#include "refs.h"
#include "store.h"

#define POLL_IDEM_TTL_S (7 * 24 * 3600)

static void done_now(handler_done_fn done, void *arg, const char *outcome,
                     const struct handler_kv *set, size_t n_set)
{
    struct handler_result r = {.outcome = outcome, .set = set, .n_set = n_set};
    done(arg, &r);
}

static int poll_open_now(const struct menu_poll *p)
{
    long long now = (long long)time(NULL);
    return now >= p->opens && now < p->closes;
}

/* The district's name as geo.h spells it, or "" (none or unknown). */
static const char *district_of(const struct handler_req *req)
{
    const struct geo_district *d = geo_district_by_name(handler_arg(req, "district"));
    return d ? d->name : "";
}

static int option_for(const struct menu_poll_option *o, const char *district)
{
    return !o->district || strcmp(o->district, district) == 0;
}

static int poll_for(const struct menu_poll *p, const char *district)
{
    for (size_t i = 0; i < p->n_options; i++)
        if (option_for(&p->options[i], district))
            return 1;
    return 0;
}

/* "2027-01-01 00:00" in Kigali time. */
static void kigali_time(long long t, char *out, size_t n)
{
    time_t k = (time_t)(t + 2 * 3600);
    struct tm tm;
    gmtime_r(&k, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

static struct handler_call *open_start(const struct handler_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    (void)env;
    size_t n = 0;
    const struct menu_poll *ps = menu_polls_active(&n);
    const char *district = district_of(req);
    struct handler_item items[HANDLER_MAX_ITEMS];
    size_t k = 0;
    for (size_t i = 0; i < n && k < HANDLER_MAX_ITEMS; i++)
        if (poll_open_now(&ps[i]) && poll_for(&ps[i], district))
            items[k++] = (struct handler_item){menu_poll_text(&ps[i].question, req->lang),
                                               ps[i].id};
    char count[16];
    snprintf(count, sizeof count, "%zu", k);
    struct handler_kv set[] = {{"count", count}};
    struct handler_result r = {.outcome = k ? "ok" : "none", .set = set, .n_set = 1,
                               .items = items, .n_items = k};
    done(arg, &r);
    return NULL;
}

struct options_call {
    handler_done_fn done;
    void *arg;
    const struct menu_poll *p;
    char district[64], lang[16], closes[32];
    int starting, answered, cancelled;
};

/* items: the menu's options for district, then the extras (rep: HGETALL, or NULL). */
static void options_finish(const struct options_call *c, const struct redisReply *rep)
{
    const struct menu_poll *p = c->p;
    struct handler_kv set[] = {
        {"poll", p->id},
        {"question", menu_poll_text(&p->question, c->lang)},
        {"voter", p->voter == POLL_VOTER_NATIONAL_ID ? "national_id" : "phone"},
        {"closes", c->closes},
    };
    struct handler_item items[HANDLER_MAX_ITEMS];
    size_t k = 0;
    for (size_t i = 0; i < p->n_options && k < HANDLER_MAX_ITEMS; i++)
        if (option_for(&p->options[i], c->district))
            items[k++] = (struct handler_item){menu_poll_text(&p->options[i].label, c->lang),
                                               p->options[i].id};
    if (rep && rep->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < rep->elements && k < HANDLER_MAX_ITEMS; i += 2)
            if (rep->element[i]->type == REDIS_REPLY_STRING &&
                rep->element[i + 1]->type == REDIS_REPLY_STRING)
                items[k++] = (struct handler_item){rep->element[i + 1]->str, rep->element[i]->str};
    struct handler_result r = {.outcome = k ? "ok" : "not_found", .set = set, .n_set = 4,
                               .items = items, .n_items = k};
    c->done(c->arg, &r);
}

static void on_extra(void *arg, int status, const struct redisReply *rep)
{
    struct options_call *c = arg;
    c->answered = 1;
    if (c->cancelled) {
        free(c);
        return;
    }
    struct options_call v = *c;
    if (!c->starting)
        free(c);
    if (status != STORE_OK) {
        done_now(v.done, v.arg, "error", NULL, 0);
        return;
    }
    options_finish(&v, rep);
}

static struct handler_call *options_start(const struct handler_env *env,
                                          const struct handler_req *req, handler_done_fn done,
                                          void *arg)
{
    const struct menu_poll *p = menu_poll_find(NULL, handler_arg(req, "poll"));
    if (!p) {
        done_now(done, arg, "not_found", NULL, 0);
        return NULL;
    }
    struct options_call tmp = {.done = done, .arg = arg, .p = p};
    snprintf(tmp.district, sizeof tmp.district, "%s", district_of(req));
    snprintf(tmp.lang, sizeof tmp.lang, "%s", req->lang ? req->lang : "");
    kigali_time(p->closes, tmp.closes, sizeof tmp.closes);
    if (!poll_open_now(p)) {
        struct handler_kv set[] = {
            {"poll", p->id},
            {"question", menu_poll_text(&p->question, req->lang)},
            {"voter", p->voter == POLL_VOTER_NATIONAL_ID ? "national_id" : "phone"},
            {"closes", tmp.closes},
        };
        done_now(done, arg, "closed", set, 4);
        return NULL;
    }
    struct options_call *c = env->store ? malloc(sizeof *c) : NULL;
    if (!c) {
        options_finish(&tmp, NULL);
        return NULL;
    }
    *c = tmp;
    char key[160];
    snprintf(key, sizeof key, "ussd:poll:%s:extra", p->id);
    const char *argv[] = {"HGETALL", key};
    c->starting = 1;
    store_cmd(env->store, on_extra, c, 2, argv, NULL);
    c->starting = 0;
    if (c->answered) {
        free(c);
        return NULL;
    }
    return (struct handler_call *)c;
}

static void options_cancel(struct handler_call *call)
{
    ((struct options_call *)call)->cancelled = 1;
}

/* KEYS: idem, voter, tally, phones, extra. ARGV: choice, idem ttl, msisdn, "1" when the
 * choice is not a menu option (it must then be in the extra hash). Returns the outcome,
 * for an extra option followed by a tab and its label. */
static const char script_vote[] =
    "local seen=redis.call('GET',KEYS[1]) if seen then return seen end\n"
    "local label=''\n"
    "if ARGV[4]=='1' then label=redis.call('HGET',KEYS[5],ARGV[1])\n"
    "  if not label then return 'invalid' end label='\\t'..label end\n"
    "local old=redis.call('GET',KEYS[2]) local out='ok'\n"
    "if old then out='changed' end\n"
    "if old~=ARGV[1] then\n"
    "  if old then redis.call('HINCRBY',KEYS[3],old,-1) end\n"
    "  redis.call('HINCRBY',KEYS[3],ARGV[1],1)\n"
    "  redis.call('SET',KEYS[2],ARGV[1]) end\n"
    "redis.call('SADD',KEYS[4],ARGV[3])\n"
    "out=out..label\n"
    "redis.call('SET',KEYS[1],out,'EX',tonumber(ARGV[2]))\n"
    "return out\n";

struct vote_call {
    handler_done_fn done;
    void *arg;
    char question[200], choice[200], closes[32];
    int starting, answered, cancelled;
};

static void vote_finish(handler_done_fn done, void *arg, const char *outcome,
                        const struct vote_call *v)
{
    struct handler_kv set[] = {{"question", v->question},
                               {"choice_text", v->choice},
                               {"closes", v->closes}};
    done_now(done, arg, outcome, set, 3);
}

static void on_vote(void *arg, int status, const struct redisReply *rep)
{
    struct vote_call *c = arg;
    c->answered = 1;
    if (c->cancelled) {
        free(c);
        return;
    }
    struct vote_call v = *c;
    if (!c->starting)
        free(c);
    const char *outcome = "error";
    char out[16] = "";
    if (status == STORE_OK && rep && rep->type == REDIS_REPLY_STRING) {
        const char *tab = strchr(rep->str, '\t');
        size_t n = tab ? (size_t)(tab - rep->str) : strlen(rep->str);
        if (n < sizeof out)
            memcpy(out, rep->str, n), out[n] = 0;
        if (tab)
            snprintf(v.choice, sizeof v.choice, "%s", tab + 1);
    }
    if (strcmp(out, "ok") == 0 || strcmp(out, "changed") == 0 || strcmp(out, "invalid") == 0)
        outcome = strcmp(out, "ok") == 0 ? "ok" : strcmp(out, "changed") == 0 ? "changed" : "invalid";
    else
        log_event(L_WARN, "polls.redis", "err=%s",
                  rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply");
    vote_finish(v.done, v.arg, outcome, &v);
}

static struct handler_call *vote_start(const struct handler_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    struct vote_call tmp = {.done = done, .arg = arg};
    const struct menu_poll *p = menu_poll_find(NULL, handler_arg(req, "poll"));
    const char *choice = handler_arg(req, "choice");
    const char *district = district_of(req);
    const struct menu_poll_option *opt = NULL;
    if (p) {
        snprintf(tmp.question, sizeof tmp.question, "%s",
                 menu_poll_text(&p->question, req->lang));
        kigali_time(p->closes, tmp.closes, sizeof tmp.closes);
        for (size_t i = 0; choice && i < p->n_options && !opt; i++)
            if (strcmp(p->options[i].id, choice) == 0 && option_for(&p->options[i], district))
                opt = &p->options[i];
    }
    if (opt)
        snprintf(tmp.choice, sizeof tmp.choice, "%s", menu_poll_text(&opt->label, req->lang));
    /* not a menu option: maybe an approved proposal (p1, p2, ...), checked by the script */
    int extra = p && !opt && choice && choice[0] == 'p' && strlen(choice) < 24 &&
                strspn(choice + 1, "0123456789") == strlen(choice + 1) && choice[1];
    if (!p || (!opt && !extra) || !req->msisdn || !req->msisdn[0] || strlen(req->msisdn) > 32 ||
        !req->step_key || !req->step_key[0] || strlen(req->step_key) > 200) {
        vote_finish(done, arg, "invalid", &tmp);
        return NULL;
    }
    if (!poll_open_now(p)) {
        vote_finish(done, arg, "closed", &tmp);
        return NULL;
    }
    char voter[64];
    if (p->voter == POLL_VOTER_NATIONAL_ID) {
        const char *raw = handler_arg(req, "national_id");
        refs_id_clean(raw ? raw : "", voter, sizeof voter);
        if (!voter[0] || refs_id_check(voter) != NULL) {
            vote_finish(done, arg, "invalid_id", &tmp);
            return NULL;
        }
    } else {
        snprintf(voter, sizeof voter, "%s", req->msisdn);
    }
    struct vote_call *c = env->store ? malloc(sizeof *c) : NULL;
    if (!c) {
        vote_finish(done, arg, "error", &tmp);
        return NULL;
    }
    *c = tmp;
    char k_idem[256], k_voter[192], k_tally[128], k_phones[128], k_extra[128], ttl[16];
    snprintf(k_extra, sizeof k_extra, "ussd:poll:%s:extra", p->id);
    snprintf(k_idem, sizeof k_idem, "ussd:poll:idem:%s", req->step_key);
    snprintf(k_voter, sizeof k_voter, "ussd:poll:%s:voter:%s", p->id, voter);
    snprintf(k_tally, sizeof k_tally, "ussd:poll:%s:tally", p->id);
    snprintf(k_phones, sizeof k_phones, "ussd:poll:%s:phones", p->id);
    snprintf(ttl, sizeof ttl, "%d", POLL_IDEM_TTL_S);
    const char *argv[] = {"EVAL", script_vote, "5", k_idem, k_voter, k_tally, k_phones, k_extra,
                          opt ? opt->id : choice, ttl, req->msisdn, extra ? "1" : "0"};
    c->starting = 1;
    store_cmd(env->store, on_vote, c, (int)(sizeof argv / sizeof argv[0]), argv, NULL);
    c->starting = 0;
    if (c->answered) {
        free(c);
        return NULL;
    }
    return (struct handler_call *)c;
}

static void vote_cancel(struct handler_call *call)
{
    /* the store's callback always comes: it frees the call */
    ((struct vote_call *)call)->cancelled = 1;
}

/* KEYS: idem, seq, proposals. ARGV: title, district, category, msisdn, now, idem ttl. */
static const char script_propose[] =
    "local seen=redis.call('GET',KEYS[1]) if seen then return seen end\n"
    "local id=tostring(redis.call('INCR',KEYS[2]))\n"
    "redis.call('HSET','ussd:poll:proposal:'..id,'title',ARGV[1],'district',ARGV[2],\n"
    "  'category',ARGV[3],'msisdn',ARGV[4],'created',ARGV[5],'status','pending')\n"
    "redis.call('ZADD',KEYS[3],tonumber(ARGV[5]),id)\n"
    "redis.call('SET',KEYS[1],id,'EX',tonumber(ARGV[6]))\n"
    "return id\n";

struct propose_call {
    handler_done_fn done;
    void *arg;
    int starting, answered, cancelled;
};

static void on_propose(void *arg, int status, const struct redisReply *rep)
{
    struct propose_call *c = arg;
    c->answered = 1;
    if (c->cancelled) {
        free(c);
        return;
    }
    struct propose_call v = *c;
    if (!c->starting)
        free(c);
    if (status == STORE_OK && rep && rep->type == REDIS_REPLY_STRING && strlen(rep->str) < 24) {
        struct handler_kv set[] = {{"proposal", rep->str}};
        done_now(v.done, v.arg, "ok", set, 1);
        return;
    }
    log_event(L_WARN, "polls.redis", "err=%s",
              rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply");
    done_now(v.done, v.arg, "error", NULL, 0);
}

static const char *const proposal_categories[] = {"water", "roads", "health", "schools",
                                                  "markets", "other"};

static struct handler_call *propose_start(const struct handler_env *env,
                                          const struct handler_req *req, handler_done_fn done,
                                          void *arg)
{
    const char *title = handler_arg(req, "title"), *category = handler_arg(req, "category");
    const char *district = district_of(req);
    int cat_ok = 0;
    for (size_t i = 0; category && i < sizeof proposal_categories / sizeof *proposal_categories; i++)
        cat_ok |= strcmp(category, proposal_categories[i]) == 0;
    size_t tl = title ? strlen(title) : 0;
    if (tl < 3 || tl > 60 || !district[0] || !cat_ok || strpbrk(title, "\t\r\n") ||
        !req->msisdn || !req->msisdn[0] || strlen(req->msisdn) > 32 || !req->step_key ||
        !req->step_key[0] || strlen(req->step_key) > 200) {
        done_now(done, arg, "invalid", NULL, 0);
        return NULL;
    }
    struct propose_call *c = env->store ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    c->done = done;
    c->arg = arg;
    char k_idem[256], now[24], ttl[16];
    snprintf(k_idem, sizeof k_idem, "ussd:poll:pidem:%s", req->step_key);
    snprintf(now, sizeof now, "%lld", (long long)time(NULL));
    snprintf(ttl, sizeof ttl, "%d", POLL_IDEM_TTL_S);
    const char *argv[] = {"EVAL", script_propose, "3", k_idem, "ussd:poll:proposal:seq",
                          "ussd:poll:proposals", title, district, category, req->msisdn, now, ttl};
    c->starting = 1;
    store_cmd(env->store, on_propose, c, (int)(sizeof argv / sizeof argv[0]), argv, NULL);
    c->starting = 0;
    if (c->answered) {
        free(c);
        return NULL;
    }
    return (struct handler_call *)c;
}

static void propose_cancel(struct handler_call *call)
{
    ((struct propose_call *)call)->cancelled = 1;
}

static void no_cancel(struct handler_call *call)
{
    (void)call;
}

const struct handler_def handler_polls_open = {"polls_open", 1, open_start, no_cancel};
const struct handler_def handler_poll_options = {"poll_options", 1, options_start, options_cancel};
const struct handler_def handler_poll_propose = {"poll_propose", 0, propose_start, propose_cancel};
const struct handler_def handler_poll_vote = {"poll_vote", 0, vote_start, vote_cancel};
