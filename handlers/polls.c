/*
 * polls.c: the poll handlers, adapters from a menu step to the polls services
 * (services/polls.h: ballots, votes, the keys; poll_proposals.h: proposals). The polls
 * are the menu set's `polls:` (req->set).
 *   polls_open   (list) the polls open now for `district` (a poll with `options` is
 *                open to every district, one with `projects` to the districts it lists);
 *                outcomes ok (count), none.
 *   poll_options (list) the options of `poll` for `district`, then the approved
 *                proposals of that district; sets poll, question, voter (phone or
 *                national_id), closes, max_choices, results_sms (and picked "" with
 *                `fresh: 1`); outcomes ok, closed (not open now), not_found. With `add`
 *                (and `picked`): pick mode, see pick_finish.
 *   poll_vote    records the vote `choice` in `poll` (with `district`; `national_id` when
 *                the poll's voter is national_id); outcomes ok (first vote), changed (a
 *                second vote replaced the first), closed, invalid (no such poll or
 *                option), invalid_id (the national ID is not valid: note says why),
 *                taken (a national ID that voted from another phone), error (also when
 *                vote_secret changed since the poll's first binding vote); sets
 *                question, choice_text, closes, note.
 *   poll_propose records a resident's project proposal (`title`, `district`,
 *                `category`) for moderation (`ussdgw poll moderate`); outcomes ok
 *                (sets proposal: its number), invalid, error.
 *   poll_notify  whether the voter gets the result by SMS when `poll` closes (`want` yes
 *                or no; `district`: the ballot whose result they get); outcomes ok (yes),
 *                off (no), not_voter (this phone has not voted in the poll), invalid (no
 *                such poll, or its results are not sent by SMS), error; sets closes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "clock.h"
#include "geo.h"
#include "menu.h"
#include "poll_proposals.h"
#include "polls.h"
#include "services.h"

/* The district's name as geo.h spells it, or "" (none or unknown). */
static const char *district_of(const struct handler_req *req)
{
    const struct geo_district *d = geo_district_by_name(handler_arg(req, "district"));
    return d ? d->name : "";
}

/* "2027-01-01 00:00" in local time. */
static void local_time(long long t, char *out, size_t n)
{
    clock_text((time_t)t, "%Y-%m-%d %H:%M", out, n);
}

static long long now_s(const struct svc_env *env)
{
    return (long long)(svc_now_ms(env) / 1000);
}

static const char *voter_word(const struct menu_poll *p)
{
    return p->voter == POLL_VOTER_NATIONAL_ID ? "national_id" : "phone";
}

/* ---- the open polls ---- */

static struct handler_call *open_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    size_t n = req->set ? req->set->n_polls : 0;
    const struct menu_poll *ps = req->set ? req->set->polls : NULL;
    const char *district = district_of(req);
    struct handler_item items[HANDLER_MAX_ITEMS];
    size_t k = 0;
    for (size_t i = 0; i < n && k < HANDLER_MAX_ITEMS; i++)
        if (polls_open_at(&ps[i], now_s(env)) && polls_for(&ps[i], district))
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

/* ---- a poll's options ---- */

struct options_call {
    struct svc_call c;
    const struct menu_set *set;
    const struct menu_poll *p;
    char district[64], lang[16], closes[32];
    char picked[POLLS_PICKED_MAX], add[32];
    int pick, fresh;
};

/* The label of option id (a menu option for district, or an approved proposal of x),
 * or NULL. */
static const char *option_label(const struct options_call *c, const char *id,
                                const struct polls_extra *x, size_t nx)
{
    const struct menu_poll *p = c->p;
    for (size_t i = 0; i < p->n_options; i++)
        if (strcmp(p->options[i].id, id) == 0 && polls_option_for(&p->options[i], c->district))
            return menu_poll_text(c->set, &p->options[i].label, c->lang);
    for (size_t i = 0; i < nx; i++)
        if (strcmp(x[i].id, id) == 0)
            return x[i].label;
    return NULL;
}

/* picked_text: the labels of the space-separated picked, ", " between them, into text;
 * *n gets how many and *dup whether add is among them. */
static void picked_text(const struct options_call *c, const char *picked,
                        const struct polls_extra *x, size_t nx, char *text, size_t size,
                        int *n, int *dup)
{
    char tok[POLLS_PICKED_MAX];
    size_t tl = 0;
    snprintf(tok, sizeof tok, "%s", picked);
    *n = *dup = 0;
    for (char *save = NULL, *t = strtok_r(tok, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        const char *l = option_label(c, t, x, nx);
        (*n)++;
        *dup |= strcmp(t, c->add) == 0;
        if (tl < size)
            tl += (size_t)snprintf(text + tl, size - tl, "%s%s", tl ? ", " : "", l ? l : t);
    }
}

/* Pick mode (args picked, add): adds choice `add` to the space-separated set `picked`.
 * Outcomes: one (the poll takes one choice: picked is add), more (picked grew, `left`
 * more may be added), full (max_choices reached), dup (add is already picked: picked
 * unchanged), invalid (no such option). Sets picked, picked_text (the labels), left. */
static void pick_finish(struct options_call *c, const struct polls_extra *x, size_t nx)
{
    char picked[POLLS_PICKED_MAX], text[400] = "", left[16];
    const char *outcome;
    int max = polls_max_choices(c->p), n, dup;
    const char *add_label = option_label(c, c->add, x, nx);
    snprintf(picked, sizeof picked, "%s", max > 1 ? c->picked : "");
    picked_text(c, picked, x, nx, text, sizeof text, &n, &dup);
    if (!add_label)
        outcome = "invalid";
    else if (dup)
        outcome = "dup";
    else if (n >= max || strlen(picked) + strlen(c->add) + 2 > sizeof picked)
        outcome = "full";
    else {
        size_t pl = strlen(picked), tl = strlen(text);
        snprintf(picked + pl, sizeof picked - pl, "%s%s", pl ? " " : "", c->add);
        if (tl < sizeof text)
            snprintf(text + tl, sizeof text - tl, "%s%s", tl ? ", " : "", add_label);
        n++;
        outcome = max == 1 ? "one" : n >= max ? "full" : "more";
    }
    snprintf(left, sizeof left, "%d", max - n > 0 ? max - n : 0);
    struct handler_kv set[] = {{"picked", picked}, {"picked_text", text}, {"left", left}};
    svc_finish(c, outcome, set, 3);
}

/* items: the menu's options for district, then the approved proposals x. */
static void options_finish(struct options_call *c, const struct polls_extra *x, size_t nx)
{
    const struct menu_poll *p = c->p;
    char maxc[16];
    snprintf(maxc, sizeof maxc, "%d", polls_max_choices(p));
    struct handler_kv set[] = {
        {"poll", p->id},
        {"question", menu_poll_text(c->set, &p->question, c->lang)},
        {"voter", voter_word(p)},
        {"closes", c->closes},
        {"max_choices", maxc},
        {"results_sms", p->results_sms ? "1" : "0"},
        {"picked", ""},
    };
    struct handler_item items[HANDLER_MAX_ITEMS];
    size_t k = 0;
    for (size_t i = 0; i < p->n_options && k < HANDLER_MAX_ITEMS; i++)
        if (polls_option_for(&p->options[i], c->district))
            items[k++] = (struct handler_item){menu_poll_text(c->set, &p->options[i].label, c->lang),
                                               p->options[i].id};
    for (size_t i = 0; i < nx && k < HANDLER_MAX_ITEMS; i++)
        items[k++] = (struct handler_item){x[i].label, x[i].id};
    /* `fresh` (the handler step before the options): a new vote, no choice picked yet */
    struct handler_result r = {.outcome = k ? "ok" : "not_found", .set = set,
                               .n_set = c->fresh ? 7 : 6, .items = items, .n_items = k};
    c->c.done(c->c.arg, &r);
    free(c);
}

static void on_extras(void *p, int status, const char *why, const struct polls_extra *x,
                      size_t n)
{
    struct options_call *c = p;
    (void)why;
    if (svc_call_gone(c))
        return;
    if (status != REC_OK)
        svc_finish(c, "error", NULL, 0);
    else if (c->pick)
        pick_finish(c, x, n);
    else
        options_finish(c, x, n);
}

/* The pick-mode arguments add and picked into c: 0, or -1 when they cannot be. */
static int options_pick(struct options_call *c, const struct handler_req *req)
{
    const char *add = handler_arg(req, "add"), *picked = handler_arg(req, "picked");
    if (!add || !add[0])
        return 0;
    c->pick = 1;
    snprintf(c->add, sizeof c->add, "%s", add);
    snprintf(c->picked, sizeof c->picked, "%s", picked ? picked : "");
    return strlen(add) >= sizeof c->add || strchr(add, ' ') ||
                   (picked && strlen(picked) >= sizeof c->picked)
               ? -1
               : 0;
}

static struct handler_call *options_start(const struct svc_env *env,
                                          const struct handler_req *req, handler_done_fn done,
                                          void *arg)
{
    const struct menu_poll *p = menu_poll_find(req->set, handler_arg(req, "poll"));
    struct options_call *c = p ? svc_call_new(sizeof *c, req, done, arg) : NULL;
    if (!c) {
        svc_done_now(done, arg, p ? "error" : "not_found", NULL, 0);
        return NULL;
    }
    const char *fresh = handler_arg(req, "fresh");
    c->set = req->set;
    c->p = p;
    c->fresh = fresh && strcmp(fresh, "1") == 0;
    snprintf(c->district, sizeof c->district, "%s", district_of(req));
    snprintf(c->lang, sizeof c->lang, "%s", req->lang ? req->lang : "");
    local_time(p->closes, c->closes, sizeof c->closes);
    if (options_pick(c, req) < 0) {
        svc_finish(c, "invalid", NULL, 0);
        return NULL;
    }
    if (!polls_open_at(p, now_s(env))) {
        struct handler_kv set[] = {{"poll", p->id},
                                   {"question", menu_poll_text(req->set, &p->question, req->lang)},
                                   {"voter", voter_word(p)},
                                   {"closes", c->closes}};
        svc_finish(c, "closed", set, 4);
        return NULL;
    }
    /* the approved proposals of this district only: a district's budget lists its own */
    polls_extras(env, p->id, c->district, on_extras, c);
    return (struct handler_call *)c;
}

/* ---- a vote ---- */

struct vote_call {
    struct svc_call c;
    char question[200], choice[400], closes[32], note[96];
    char lang[16], national_id[256];
    struct polls_choices choices;
    const char *labels[POLLS_MAX_CHOICES]; /* a menu option's label, or NULL: a proposal */
};

/* choice_text: the labels of the choices, a proposal's from extra (in order), else its
 * id. */
static void vote_text(struct vote_call *v, const char *const *extra, size_t n_extra)
{
    char ids[POLLS_PICKED_MAX];
    snprintf(ids, sizeof ids, "%s", v->choices.ids);
    size_t len = 0, e = 0;
    int i = 0;
    v->choice[0] = 0;
    for (char *save = NULL, *t = strtok_r(ids, " ", &save); t && i < v->choices.n;
         t = strtok_r(NULL, " ", &save), i++) {
        const char *l = v->labels[i];
        if (!l && e < n_extra)
            l = extra[e++];
        if (!l)
            l = t;
        if (len < sizeof v->choice)
            len += (size_t)snprintf(v->choice + len, sizeof v->choice - len, "%s%s",
                                    len ? ", " : "", l);
    }
}

static void vote_finish(struct vote_call *v, const char *outcome)
{
    struct handler_kv set[] = {{"question", v->question},
                               {"choice_text", v->choice},
                               {"closes", v->closes},
                               {"note", v->note}};
    svc_finish(v, outcome, set, 4);
}

static void on_vote(void *p, int status, const char *why, int changed,
                    const char *const *labels, size_t n_labels)
{
    struct vote_call *v = p;
    if (svc_call_gone(v))
        return;
    if (n_labels)
        vote_text(v, labels, n_labels);
    const char *outcome = "error";
    if (status == REC_OK)
        outcome = changed ? "changed" : "ok";
    else if (status == REC_REFUSED)
        outcome = strcmp(why, "closed") == 0 ? "closed" : "taken";
    else if (status == REC_INVALID && strcmp(why, "national_id") == 0) {
        char nid[64];
        const char *bad = svc_id(v->national_id, nid, sizeof nid);
        svc_id_reason(bad, nid, v->lang, v->note, sizeof v->note);
        outcome = "invalid_id";
    } else if (status == REC_INVALID)
        outcome = "invalid";
    vote_finish(v, outcome);
}

static struct handler_call *vote_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    struct vote_call *v = svc_call_new(sizeof *v, req, done, arg);
    if (!v) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    const struct menu_poll *p = menu_poll_find(req->set, handler_arg(req, "poll"));
    const char *nid = handler_arg(req, "national_id");
    snprintf(v->lang, sizeof v->lang, "%s", req->lang ? req->lang : "");
    snprintf(v->national_id, sizeof v->national_id, "%s", nid ? nid : "");
    if (p) {
        snprintf(v->question, sizeof v->question, "%s",
                 menu_poll_text(req->set, &p->question, req->lang));
        local_time(p->closes, v->closes, sizeof v->closes);
    }
    if (polls_choices_parse(p, district_of(req), handler_arg(req, "choice"), &v->choices) < 0) {
        vote_finish(v, "invalid");
        return NULL;
    }
    for (int i = 0; i < v->choices.n; i++)
        v->labels[i] = v->choices.opt[i]
                           ? menu_poll_text(req->set, &v->choices.opt[i]->label, req->lang)
                           : NULL;
    vote_text(v, NULL, 0);
    struct polls_vote pv = {p, &v->choices, v->national_id, req->step_key};
    struct svc_ctx ctx = svc_resident(env, req->msisdn);
    polls_vote(&ctx, &pv, on_vote, v);
    return (struct handler_call *)v;
}

/* ---- a proposal ---- */

static void on_propose(void *p, int status, const char *why, const char *id)
{
    struct svc_call *c = p;
    (void)why;
    if (svc_call_gone(c))
        return;
    char n[24];
    snprintf(n, sizeof n, "%s", id ? id : "");
    struct handler_kv set[] = {{"proposal", n}};
    svc_finish(c, status == REC_OK ? "ok" : status == REC_INVALID ? "invalid" : "error", set,
               status == REC_OK ? 1 : 0);
}

static struct handler_call *propose_start(const struct svc_env *env,
                                          const struct handler_req *req, handler_done_fn done,
                                          void *arg)
{
    struct svc_call *c = svc_call_new(sizeof *c, req, done, arg);
    if (!c) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    struct poll_proposal_new pr = {handler_arg(req, "title"), handler_arg(req, "district"),
                                   handler_arg(req, "category"), req->lang, req->step_key};
    struct svc_ctx ctx = svc_resident(env, req->msisdn);
    poll_propose(&ctx, &pr, on_propose, c);
    return (struct handler_call *)c;
}

/* ---- the result by SMS ---- */

struct notify_call {
    struct svc_call c;
    char closes[32];
};

static void on_notify(void *p, int status, const char *why, enum polls_notify n)
{
    struct notify_call *c = p;
    (void)why;
    if (svc_call_gone(c))
        return;
    static const char *const outcomes[] = {[POLLS_NOTIFY_ON] = "ok", [POLLS_NOTIFY_OFF] = "off",
                                           [POLLS_NOT_VOTER] = "not_voter"};
    if (status == REC_INVALID) {
        svc_finish(c, "invalid", NULL, 0);
        return;
    }
    struct handler_kv set[] = {{"closes", c->closes}};
    svc_finish(c, status == REC_OK ? outcomes[n] : "error", set, 1);
}

static struct handler_call *notify_start(const struct svc_env *env,
                                         const struct handler_req *req, handler_done_fn done,
                                         void *arg)
{
    const struct menu_poll *p = menu_poll_find(req->set, handler_arg(req, "poll"));
    const char *want = handler_arg(req, "want");
    int yes = want && strcmp(want, "yes") == 0, no = want && strcmp(want, "no") == 0;
    if (!p || !p->results_sms || (!yes && !no)) {
        svc_done_now(done, arg, "invalid", NULL, 0);
        return NULL;
    }
    struct notify_call *c = svc_call_new(sizeof *c, req, done, arg);
    if (!c) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    local_time(p->closes, c->closes, sizeof c->closes);
    struct svc_ctx ctx = svc_resident(env, req->msisdn);
    polls_notify_set(&ctx, p->id, yes, district_of(req), on_notify, c);
    return (struct handler_call *)c;
}

const struct handler_def handler_polls_open = {"polls_open", 1, open_start, NULL};
const struct handler_def handler_poll_options = {"poll_options", 1, options_start, svc_cancel};
const struct handler_def handler_poll_propose = {"poll_propose", 0, propose_start, svc_cancel};
const struct handler_def handler_poll_vote = {"poll_vote", 0, vote_start, svc_cancel};
const struct handler_def handler_poll_notify = {"poll_notify", 0, notify_start, svc_cancel};
