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
 *                option), invalid_id (the national ID is not valid), taken (a national
 *                ID that voted from another phone), error (also when vote_secret
 *                changed since the poll's first binding vote: logged as
 *                poll.vote_secret_changed); sets question, choice_text, closes.
 *
 * Redis keys, each vote one EVAL (atomic, idempotent on req->step_key):
 *   ussd:poll:ID:voter:VOTER   the voter's choice (VOTER: the MSISDN, or for a national ID
 *                              "id-" and a keyed hash of the poll and the ID, vote_voter_id:
 *                              the ID never reaches Redis)
 *   ussd:poll:ID:idphone:VOTER the phone that cast a national ID's vote
 *   ussd:poll:ID:voterkey      a fingerprint of the key those hashes were made with: a
 *                              vote under another vote_secret is refused, not counted
 *                              again under a new name
 *   ussd:poll:ID:tally         hash option id -> votes (the old choice is subtracted)
 *   ussd:poll:ID:phones        set of MSISDNs that voted (for results by SMS)
 *   ussd:poll:idem:STEP_KEY    the outcome of a step already recorded (7 days)
 *   ussd:poll:ID:extra         hash option id -> label: approved proposals (ids p1, p2..);
 *   ussd:poll:ID:extra:DISTRICT  the same for one district (what its ballot lists),
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
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "clock.h"
#include "geo.h"
#include "log.h"
#include "menu.h"
#include "refs.h"
#include "services.h"
#include "store.h"
#include "store_call.h"

#define POLL_IDEM_TTL_S (7 * 24 * 3600)
#define POLL_PICKED_MAX 200 /* the space-separated option ids of one vote */
#define POLL_MAX_CHOICES 64 /* as many as a poll has options (menu_load_polls.c) */

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

/* "2027-01-01 00:00" in local time. */
static void local_time(long long t, char *out, size_t n)
{
    clock_text((time_t)t, "%Y-%m-%d %H:%M", out, n);
}

static struct handler_call *open_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    (void)env;
    size_t n = req->set ? req->set->n_polls : 0;
    const struct menu_poll *ps = req->set ? req->set->polls : NULL;
    const char *district = district_of(req);
    struct handler_item items[HANDLER_MAX_ITEMS];
    size_t k = 0;
    for (size_t i = 0; i < n && k < HANDLER_MAX_ITEMS; i++)
        if (poll_open_now(&ps[i]) && poll_for(&ps[i], district))
            items[k++] = (struct handler_item){menu_poll_text(req->set, &ps[i].question, req->lang),
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
    const struct menu_set *set;
    const struct menu_poll *p;
    char district[64], lang[16], closes[32];
    char picked[POLL_PICKED_MAX], add[32];
    int pick, fresh;
};

/* The label of option id (a menu option for district, or in the extra hash rep), or
 * NULL. */
static const char *option_label(const struct options_call *c, const char *id,
                                const struct redisReply *rep)
{
    const struct menu_poll *p = c->p;
    for (size_t i = 0; i < p->n_options; i++)
        if (strcmp(p->options[i].id, id) == 0 && option_for(&p->options[i], c->district))
            return menu_poll_text(c->set, &p->options[i].label, c->lang);
    if (rep && rep->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < rep->elements; i += 2)
            if (rep->element[i]->type == REDIS_REPLY_STRING &&
                rep->element[i + 1]->type == REDIS_REPLY_STRING &&
                strcmp(rep->element[i]->str, id) == 0)
                return rep->element[i + 1]->str;
    return NULL;
}

/* Pick mode (args picked, add): adds choice `add` to the space-separated set `picked`.
 * Outcomes: one (the poll takes one choice: picked is add), more (picked grew, `left`
 * more may be added), full (max_choices reached), dup (add is already picked: picked
 * unchanged), invalid (no such option). Sets picked, picked_text (the labels), left. */
static void pick_finish(const struct options_call *c, const struct redisReply *rep)
{
    const struct menu_poll *p = c->p;
    char picked[POLL_PICKED_MAX], text[400] = "", left[16], tok[POLL_PICKED_MAX];
    const char *outcome;
    int max = p->max_choices > 1 ? p->max_choices : 1, n = 0, dup = 0;
    const char *add_label = option_label(c, c->add, rep);
    snprintf(picked, sizeof picked, "%s", max > 1 ? c->picked : "");
    snprintf(tok, sizeof tok, "%s", picked);
    size_t tl = 0;
    for (char *save = NULL, *t = strtok_r(tok, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        const char *l = option_label(c, t, rep);
        n++;
        dup |= strcmp(t, c->add) == 0;
        if (tl < sizeof text)
            tl += (size_t)snprintf(text + tl, sizeof text - tl, "%s%s", tl ? ", " : "", l ? l : t);
    }
    if (!add_label)
        outcome = "invalid";
    else if (dup)
        outcome = "dup";
    else if (n >= max || strlen(picked) + strlen(c->add) + 2 > sizeof picked)
        outcome = "full";
    else {
        size_t pl = strlen(picked);
        snprintf(picked + pl, sizeof picked - pl, "%s%s", pl ? " " : "", c->add);
        if (tl < sizeof text)
            snprintf(text + tl, sizeof text - tl, "%s%s", tl ? ", " : "", add_label);
        n++;
        outcome = max == 1 ? "one" : n >= max ? "full" : "more";
    }
    snprintf(left, sizeof left, "%d", max - n > 0 ? max - n : 0);
    struct handler_kv set[] = {{"picked", picked}, {"picked_text", text}, {"left", left}};
    done_now(c->done, c->arg, outcome, set, 3);
}

/* items: the menu's options for district, then the extras (rep: HGETALL, or NULL). */
static void options_finish(const struct options_call *c, const struct redisReply *rep)
{
    const struct menu_poll *p = c->p;
    char maxc[16];
    snprintf(maxc, sizeof maxc, "%d", p->max_choices > 1 ? p->max_choices : 1);
    struct handler_kv set[] = {
        {"poll", p->id},
        {"question", menu_poll_text(c->set, &p->question, c->lang)},
        {"voter", p->voter == POLL_VOTER_NATIONAL_ID ? "national_id" : "phone"},
        {"closes", c->closes},
        {"max_choices", maxc},
        {"results_sms", p->results_sms ? "1" : "0"},
        {"picked", ""},
    };
    struct handler_item items[HANDLER_MAX_ITEMS];
    size_t k = 0;
    for (size_t i = 0; i < p->n_options && k < HANDLER_MAX_ITEMS; i++)
        if (option_for(&p->options[i], c->district))
            items[k++] = (struct handler_item){menu_poll_text(c->set, &p->options[i].label, c->lang),
                                               p->options[i].id};
    if (rep && rep->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < rep->elements && k < HANDLER_MAX_ITEMS; i += 2)
            if (rep->element[i]->type == REDIS_REPLY_STRING &&
                rep->element[i + 1]->type == REDIS_REPLY_STRING)
                items[k++] = (struct handler_item){rep->element[i + 1]->str, rep->element[i]->str};
    /* `fresh` (the handler step before the options): a new vote, no choice picked yet */
    struct handler_result r = {.outcome = k ? "ok" : "not_found", .set = set,
                               .n_set = c->fresh ? 7 : 6,
                               .items = items, .n_items = k};
    c->done(c->arg, &r);
}

static void on_extra(void *ctx, int status, const struct redisReply *rep)
{
    const struct options_call *c = ctx;
    if (status != STORE_OK)
        done_now(c->done, c->arg, "error", NULL, 0);
    else if (c->pick)
        pick_finish(c, rep);
    else
        options_finish(c, rep);
}

static struct handler_call *options_start(const struct svc_env *env,
                                          const struct handler_req *req, handler_done_fn done,
                                          void *arg)
{
    const struct menu_poll *p = menu_poll_find(req->set, handler_arg(req, "poll"));
    if (!p) {
        done_now(done, arg, "not_found", NULL, 0);
        return NULL;
    }
    struct options_call tmp = {.done = done, .arg = arg, .set = req->set, .p = p};
    snprintf(tmp.district, sizeof tmp.district, "%s", district_of(req));
    snprintf(tmp.lang, sizeof tmp.lang, "%s", req->lang ? req->lang : "");
    local_time(p->closes, tmp.closes, sizeof tmp.closes);
    const char *add = handler_arg(req, "add"), *picked = handler_arg(req, "picked");
    const char *fresh = handler_arg(req, "fresh");
    tmp.fresh = fresh && strcmp(fresh, "1") == 0;
    if (add && add[0]) {
        tmp.pick = 1;
        snprintf(tmp.add, sizeof tmp.add, "%s", add);
        snprintf(tmp.picked, sizeof tmp.picked, "%s", picked ? picked : "");
        if (strlen(add) >= sizeof tmp.add || strchr(add, ' ') ||
            (picked && strlen(picked) >= sizeof tmp.picked)) {
            done_now(done, arg, "invalid", NULL, 0);
            return NULL;
        }
    }
    if (!poll_open_now(p)) {
        struct handler_kv set[] = {
            {"poll", p->id},
            {"question", menu_poll_text(req->set, &p->question, req->lang)},
            {"voter", p->voter == POLL_VOTER_NATIONAL_ID ? "national_id" : "phone"},
            {"closes", tmp.closes},
        };
        done_now(done, arg, "closed", set, 4);
        return NULL;
    }
    if (!env->store) { /* the menu's options alone */
        if (tmp.pick)
            pick_finish(&tmp, NULL);
        else
            options_finish(&tmp, NULL);
        return NULL;
    }
    /* the approved proposals of this district only: a district's budget lists its own */
    char key[240];
    snprintf(key, sizeof key, "ussd:poll:%s:extra:%s", p->id, tmp.district);
    const char *argv[] = {"HGETALL", key};
    return store_call(env, 2, argv, &tmp, sizeof tmp, on_extra);
}

/* KEYS: idem, voter key prefix (ussd:poll:ID:voter:), tally, phones, extra, the ID's phone
 * key prefix (ussd:poll:ID:idphone:), the key fingerprint (ussd:poll:ID:voterkey). ARGV:
 * the choices (option ids, space-separated: one, or up to max_choices), idem ttl, msisdn,
 * the space-separated choices that are not menu options (each must then be in the extra
 * hash), the voter (the MSISDN, or "id-" and the keyed hash of the national ID:
 * vote_voter_id), "1" when the voter is a national ID, the key's fingerprint. The
 * voter's key holds the set; a new vote subtracts the old set and adds the new one. A
 * national ID's vote can be changed only from the phone that cast it: from another
 * phone it is `taken`. Returns the outcome, followed by a tab and each extra's label. */
static const char script_vote[] =
    "local seen=redis.call('GET',KEYS[1]) if seen then return seen end\n"
    "local label=''\n"
    "for x in string.gmatch(ARGV[4],'%S+') do\n"
    "  local l=redis.call('HGET',KEYS[5],x)\n"
    "  if not l then return 'invalid' end label=label..'\\t'..l end\n"
    "local vk=KEYS[2]..ARGV[5]\n"
    "local old=redis.call('GET',vk) local out='ok'\n"
    "if ARGV[6]=='1' then\n"
    "  local fp=redis.call('GET',KEYS[7])\n"
    "  if fp and fp~=ARGV[7] then return 'secret_changed' end\n"
    "  if not fp then redis.call('SET',KEYS[7],ARGV[7]) end\n"
    "  local pk=KEYS[6]..ARGV[5] local by=redis.call('GET',pk)\n"
    "  if old and by and by~=ARGV[3] then\n"
    "    redis.call('SET',KEYS[1],'taken','EX',tonumber(ARGV[2])) return 'taken' end\n"
    "  redis.call('SET',pk,ARGV[3]) end\n"
    "if old then out='changed' end\n"
    "if old~=ARGV[1] then\n"
    "  if old then for x in string.gmatch(old,'%S+') do redis.call('HINCRBY',KEYS[3],x,-1) end end\n"
    "  for x in string.gmatch(ARGV[1],'%S+') do redis.call('HINCRBY',KEYS[3],x,1) end\n"
    "  redis.call('SET',vk,ARGV[1]) end\n"
    "redis.call('SADD',KEYS[4],ARGV[3])\n"
    "out=out..label\n"
    "redis.call('SET',KEYS[1],out,'EX',tonumber(ARGV[2]))\n"
    "return out\n";

/* The voter of a binding vote: "id-" and 40 hex digits, a BLAKE2b hash of the poll and
 * the national ID keyed with (a hash of) the configured secret, so that neither the ID
 * nor a hash one could compute from an ID alone is ever in Redis (16-digit IDs are few
 * enough to try them all). */
static void vote_voter_id(const char *secret, const char *poll, const char *id, char *out,
                          size_t size)
{
    static const char fallback[] = "ussdgw-vote-secret-not-configured";
    unsigned char key[crypto_generichash_KEYBYTES], h[20];
    const char *sec = secret && secret[0] ? secret : fallback;
    if (sodium_init() < 0) /* idempotent: picks the fastest implementation */
        log_event(L_WARN, "polls.sodium", "init failed: the portable hash is used");
    crypto_generichash(key, sizeof key, (const unsigned char *)sec, strlen(sec), NULL, 0);
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, sizeof key, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)poll, strlen(poll));
    crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&st, (const unsigned char *)id, strlen(id));
    crypto_generichash_final(&st, h, sizeof h);
    char hex[2 * sizeof h + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, size, "id-%s", hex);
    sodium_memzero(key, sizeof key);
}

struct vote_call {
    handler_done_fn done;
    void *arg;
    char question[200], choice[400], closes[32], note[96];
    char ids[POLL_PICKED_MAX];      /* the choices, space-separated */
    const char *labels[POLL_MAX_CHOICES]; /* a menu option's label, or NULL: an extra */
    int n_ids;
};

/* choice_text: the labels of the choices, an extra's from the script's reply (labels:
 * tab-separated, in order, or NULL). */
static void vote_text(struct vote_call *v, const char *labels)
{
    char ids[POLL_PICKED_MAX];
    snprintf(ids, sizeof ids, "%s", v->ids);
    size_t len = 0;
    int i = 0;
    v->choice[0] = 0;
    for (char *save = NULL, *t = strtok_r(ids, " ", &save); t && i < v->n_ids;
         t = strtok_r(NULL, " ", &save), i++) {
        const char *l = v->labels[i];
        size_t ln = l ? strlen(l) : 0;
        if (!l && labels) {
            const char *tab = strchr(labels, '\t');
            l = labels;
            ln = tab ? (size_t)(tab - labels) : strlen(labels);
            labels = tab ? tab + 1 : NULL;
        }
        if (!l)
            l = t, ln = strlen(t);
        if (len < sizeof v->choice)
            len += (size_t)snprintf(v->choice + len, sizeof v->choice - len, "%s%.*s",
                                    len ? ", " : "", (int)ln, l);
    }
}

static void vote_finish(handler_done_fn done, void *arg, const char *outcome,
                        const struct vote_call *v)
{
    struct handler_kv set[] = {{"question", v->question},
                               {"choice_text", v->choice},
                               {"closes", v->closes},
                               {"note", v->note}};
    done_now(done, arg, outcome, set, 4);
}

static void on_vote(void *ctx, int status, const struct redisReply *rep)
{
    struct vote_call *c = ctx;
    const char *outcome = "error";
    char out[16] = "";
    if (status == STORE_OK && rep && rep->type == REDIS_REPLY_STRING) {
        const char *tab = strchr(rep->str, '\t');
        size_t n = tab ? (size_t)(tab - rep->str) : strlen(rep->str);
        if (n < sizeof out)
            memcpy(out, rep->str, n), out[n] = 0;
        vote_text(c, tab ? tab + 1 : NULL);
    }
    static const char *const outcomes[] = {"ok", "changed", "invalid", "taken"};
    for (size_t i = 0; i < sizeof outcomes / sizeof *outcomes; i++)
        if (strcmp(out, outcomes[i]) == 0)
            outcome = outcomes[i];
    if (strcmp(out, "secret_changed") == 0)
        log_event(L_ERROR, "poll.vote_secret_changed",
                  "hint=\"this poll's binding votes were keyed with another vote_secret: "
                  "restore it (votes are refused until then)\"");
    else if (strcmp(outcome, "error") == 0)
        log_event(L_WARN, "polls.redis", "err=%s",
                  rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply");
    vote_finish(c->done, c->arg, outcome, c);
}

static struct handler_call *vote_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    struct vote_call tmp = {.done = done, .arg = arg};
    const struct menu_poll *p = menu_poll_find(req->set, handler_arg(req, "poll"));
    const char *choice = handler_arg(req, "choice");
    const char *district = district_of(req);
    char extras[POLL_PICKED_MAX] = "", ids[POLL_PICKED_MAX];
    int ok = p && choice && choice[0] && strlen(choice) < sizeof ids;
    if (p) {
        snprintf(tmp.question, sizeof tmp.question, "%s",
                 menu_poll_text(req->set, &p->question, req->lang));
        local_time(p->closes, tmp.closes, sizeof tmp.closes);
    }
    /* each choice a menu option for district or (checked by the script) an approved
     * proposal p1, p2...; no choice twice; at most max_choices */
    if (ok) {
        int max = p->max_choices > 1 ? p->max_choices : 1;
        snprintf(ids, sizeof ids, "%s", choice);
        size_t el = 0, il = 0;
        for (char *save = NULL, *t = strtok_r(ids, " ", &save); t && ok;
             t = strtok_r(NULL, " ", &save)) {
            const struct menu_poll_option *opt = NULL;
            for (size_t i = 0; i < p->n_options && !opt; i++)
                if (strcmp(p->options[i].id, t) == 0 && option_for(&p->options[i], district))
                    opt = &p->options[i];
            int extra = !opt && t[0] == 'p' && t[1] && strlen(t) < 24 &&
                        strspn(t + 1, "0123456789") == strlen(t + 1);
            for (int j = 0; j < tmp.n_ids && ok; j++) {
                /* the ids so far are tmp.ids, space-separated */
                char prev[POLL_PICKED_MAX];
                snprintf(prev, sizeof prev, "%s", tmp.ids);
                for (char *s2 = NULL, *u = strtok_r(prev, " ", &s2); u; u = strtok_r(NULL, " ", &s2))
                    if (strcmp(u, t) == 0)
                        ok = 0;
            }
            if (!ok || (!opt && !extra) || tmp.n_ids >= max) {
                ok = 0;
                break;
            }
            tmp.labels[tmp.n_ids++] = opt ? menu_poll_text(req->set, &opt->label, req->lang) : NULL;
            il += (size_t)snprintf(tmp.ids + il, sizeof tmp.ids - il, "%s%s", il ? " " : "", t);
            if (extra)
                el += (size_t)snprintf(extras + el, sizeof extras - el, "%s%s", el ? " " : "", t);
        }
        ok = ok && tmp.n_ids > 0;
    }
    if (ok)
        vote_text(&tmp, NULL);
    if (!ok || !req->msisdn || !req->msisdn[0] || strlen(req->msisdn) > 32 ||
        !req->step_key || !req->step_key[0] || strlen(req->step_key) > 200) {
        vote_finish(done, arg, "invalid", &tmp);
        return NULL;
    }
    if (!poll_open_now(p)) {
        vote_finish(done, arg, "closed", &tmp);
        return NULL;
    }
    char voter[64], fingerprint[64] = "";
    if (p->voter == POLL_VOTER_NATIONAL_ID) {
        char nid[64];
        const char *bad = svc_id(handler_arg(req, "national_id"), nid, sizeof nid);
        if (bad) {
            svc_id_reason(bad, nid, req->lang, tmp.note, sizeof tmp.note);
            vote_finish(done, arg, "invalid_id", &tmp);
            return NULL;
        }
        vote_voter_id(env->vote_secret, p->id, nid, voter, sizeof voter);
        /* the same hash of a name no ID can have: which key made this poll's voters */
        vote_voter_id(env->vote_secret, "", "vote-secret-fingerprint", fingerprint,
                      sizeof fingerprint);
    } else {
        snprintf(voter, sizeof voter, "%s", req->msisdn);
    }
    char k_idem[256], k_voter[192], k_tally[128], k_phones[128], k_extra[128], k_idphone[160];
    char ttl[16], k_fp[128];
    snprintf(k_idphone, sizeof k_idphone, "ussd:poll:%s:idphone:", p->id);
    snprintf(k_fp, sizeof k_fp, "ussd:poll:%s:voterkey", p->id);
    snprintf(k_extra, sizeof k_extra, "ussd:poll:%s:extra", p->id);
    snprintf(k_idem, sizeof k_idem, "ussd:poll:idem:%s", req->step_key);
    snprintf(k_voter, sizeof k_voter, "ussd:poll:%s:voter:", p->id);
    snprintf(k_tally, sizeof k_tally, "ussd:poll:%s:tally", p->id);
    snprintf(k_phones, sizeof k_phones, "ussd:poll:%s:phones", p->id);
    snprintf(ttl, sizeof ttl, "%d", POLL_IDEM_TTL_S);
    const char *argv[] = {"EVAL", script_vote, "7", k_idem, k_voter, k_tally, k_phones, k_extra,
                          k_idphone, k_fp, tmp.ids, ttl, req->msisdn, extras, voter,
                          p->voter == POLL_VOTER_NATIONAL_ID ? "1" : "0", fingerprint};
    return store_call(env, (int)(sizeof argv / sizeof argv[0]), argv, &tmp, sizeof tmp, on_vote);
}

/* KEYS: idem, seq, proposals. ARGV: title, district, category, msisdn, now, idem ttl,
 * language (the proposer's: the moderation SMS is in it). */
static const char script_propose[] =
    "local seen=redis.call('GET',KEYS[1]) if seen then return seen end\n"
    "local id=tostring(redis.call('INCR',KEYS[2]))\n"
    "redis.call('HSET','ussd:poll:proposal:'..id,'title',ARGV[1],'district',ARGV[2],\n"
    "  'category',ARGV[3],'msisdn',ARGV[4],'created',ARGV[5],'status','pending','lang',ARGV[7])\n"
    "redis.call('ZADD',KEYS[3],tonumber(ARGV[5]),id)\n"
    "redis.call('SET',KEYS[1],id,'EX',tonumber(ARGV[6]))\n"
    "return id\n";

struct propose_call {
    handler_done_fn done;
    void *arg;
};

static void on_propose(void *ctx, int status, const struct redisReply *rep)
{
    const struct propose_call *c = ctx;
    if (status == STORE_OK && rep && rep->type == REDIS_REPLY_STRING && strlen(rep->str) < 24) {
        struct handler_kv set[] = {{"proposal", rep->str}};
        done_now(c->done, c->arg, "ok", set, 1);
        return;
    }
    log_event(L_WARN, "polls.redis", "err=%s",
              rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply");
    done_now(c->done, c->arg, "error", NULL, 0);
}

static const char *const proposal_categories[] = {"water", "roads", "health", "schools",
                                                  "markets", "other"};

static struct handler_call *propose_start(const struct svc_env *env,
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
    struct propose_call c = {done, arg};
    char k_idem[256], now[24], ttl[16];
    snprintf(k_idem, sizeof k_idem, "ussd:poll:pidem:%s", req->step_key);
    snprintf(now, sizeof now, "%lld", (long long)time(NULL));
    snprintf(ttl, sizeof ttl, "%d", POLL_IDEM_TTL_S);
    const char *argv[] = {"EVAL", script_propose, "3", k_idem, "ussd:poll:proposal:seq",
                          "ussd:poll:proposals", title, district, category, req->msisdn, now, ttl,
                          req->lang && strlen(req->lang) < 16 ? req->lang : ""};
    return store_call(env, (int)(sizeof argv / sizeof argv[0]), argv, &c, sizeof c, on_propose);
}

/* KEYS: phones, notify. ARGV: msisdn, yes|no, district. Only a voter may ask. */
static const char script_notify[] =
    "if redis.call('SISMEMBER',KEYS[1],ARGV[1])==0 then return 'not_voter' end\n"
    "if ARGV[2]=='yes' then redis.call('HSET',KEYS[2],ARGV[1],ARGV[3]) return 'ok' end\n"
    "redis.call('HDEL',KEYS[2],ARGV[1]) return 'off'\n";

struct notify_call {
    handler_done_fn done;
    void *arg;
    char closes[32];
};

static void on_notify(void *ctx, int status, const struct redisReply *rep)
{
    const struct notify_call *c = ctx;
    const char *outcome = "error";
    if (status == STORE_OK && rep && rep->type == REDIS_REPLY_STRING &&
        (strcmp(rep->str, "ok") == 0 || strcmp(rep->str, "off") == 0 ||
         strcmp(rep->str, "not_voter") == 0))
        outcome = rep->str;
    else
        log_event(L_WARN, "polls.redis", "err=%s",
                  rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply");
    struct handler_kv set[] = {{"closes", c->closes}};
    done_now(c->done, c->arg, outcome, set, 1);
}

/* poll_notify: whether the voter gets the result by SMS when `poll` closes (`want` yes or
 * no; `district`: the ballot whose result they get). Outcomes ok (yes), off (no),
 * not_voter (this phone has not voted in the poll), invalid (no such poll, or its
 * results are not sent by SMS), error. Sets closes. */
static struct handler_call *notify_start(const struct svc_env *env,
                                         const struct handler_req *req, handler_done_fn done,
                                         void *arg)
{
    const struct menu_poll *p = menu_poll_find(req->set, handler_arg(req, "poll"));
    const char *want = handler_arg(req, "want");
    int yes = want && strcmp(want, "yes") == 0, no = want && strcmp(want, "no") == 0;
    if (!p || !p->results_sms || (!yes && !no) || !req->msisdn || !req->msisdn[0] ||
        strlen(req->msisdn) > 32) {
        done_now(done, arg, "invalid", NULL, 0);
        return NULL;
    }
    struct notify_call c = {done, arg, ""};
    local_time(p->closes, c.closes, sizeof c.closes);
    char k_phones[128], k_notify[128];
    snprintf(k_phones, sizeof k_phones, "ussd:poll:%s:phones", p->id);
    snprintf(k_notify, sizeof k_notify, "ussd:poll:%s:notify", p->id);
    const char *argv[] = {"EVAL", script_notify, "2", k_phones, k_notify, req->msisdn,
                          yes ? "yes" : "no", district_of(req)};
    return store_call(env, (int)(sizeof argv / sizeof argv[0]), argv, &c, sizeof c, on_notify);
}

static void no_cancel(struct handler_call *call)
{
    (void)call;
}

const struct handler_def handler_polls_open = {"polls_open", 1, open_start, no_cancel};
const struct handler_def handler_poll_options = {"poll_options", 1, options_start, store_call_cancel};
const struct handler_def handler_poll_propose = {"poll_propose", 0, propose_start, store_call_cancel};
const struct handler_def handler_poll_vote = {"poll_vote", 0, vote_start, store_call_cancel};
const struct handler_def handler_poll_notify = {"poll_notify", 0, notify_start, store_call_cancel};
