/*
 * menu_load_polls.c: the polls and participatory budgets of a menu set, `polls:` (a list
 * of polls) at the top level of any menu file:
 *
 *   polls:
 *     - id: budget-2027
 *       question: {en: "...", rw: "...", fr: "..."}
 *       projects:                       # or options: [{id, label}, ...] for everyone
 *         Gasabo: [{id: gs-water, label: {en: "..."}}, ...]
 *       opens: "2026-01-01T00:00"       # local time (config timezone)
 *       closes: "2027-01-01T00:00"
 *       max_choices: 1                  # 1..options (default 1)
 *       voter: phone                    # or national_id (default phone)
 *       results_sms: true               # default false
 *
 * Every problem is reported like the screens' (menu_load_int.h). The poll handlers find
 * a set's polls in the menu set of their step (handler_req.set): there is no global.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "menu_check.h"
#include "menu_load_int.h"

#define LOAD_MAX_POLLS 100
#define LOAD_MAX_POLL_OPTIONS 64

static const char *const poll_keys[] = {"id",          "question", "options", "projects",
                                        "opens",       "closes",   "max_choices", "voter",
                                        "results_sms", NULL};
static const char *const option_keys[] = {"id", "label", NULL};

/* "YYYY-MM-DDTHH:MM[:SS]" (or a space for T) in local time (clock.h) -> Unix seconds;
 * -1 if not. */
static long long parse_local(const char *s)
{
    int y, mo, d, h, mi, se = 0, used = 0;
    char t;
    if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &t, &h, &mi, &used) != 6)
        return -1;
    if (s[used] == ':') {
        int more = 0;
        if (sscanf(s + used, ":%2d%n", &se, &more) != 1)
            return -1;
        used += more;
    }
    if (s[used] || (t != 'T' && t != ' ') || y < 2000 || y > 2100)
        return -1;
    return clock_from_local(y, mo, d, h, mi, se);
}

static long long get_time(struct loader *L, const struct ynode *n, const char *what)
{
    const char *s = mload_get_str(L, n, what);
    if (!s)
        return -1;
    long long t = parse_local(s);
    if (t < 0)
        mload_err(L, n, "%s '%s' is not a date and time: write it like \"2026-07-01T08:00\" "
                        "(local time)", what, s);
    return t;
}

/* Options from a list of {id, label} into p->options from index p->n_options. */
static void load_options(struct loader *L, struct menu_poll *p, const struct ynode *list,
                         const char *district, size_t cap)
{
    char w[160];
    if (list->type != Y_SEQ) {
        mload_err(L, list, "the options of poll '%s'%s%s must be a list of {id, label}, not %s",
                  p->id, district ? " in " : "", district ? district : "", mload_tname(list));
        return;
    }
    size_t first = p->n_options;
    for (size_t i = 0; i < list->n && !L->oom; i++) {
        const struct ynode *o = list->kids[i];
        if (!o->complete)
            continue;
        if (o->type != Y_MAP) {
            mload_err(L, o, "an option of poll '%s' must be a map with id and label, not %s",
                      p->id, mload_tname(o));
            continue;
        }
        if (p->n_options == cap) {
            mload_err(L, o, "too many options: a poll can have at most %d",
                      LOAD_MAX_POLL_OPTIONS);
            return;
        }
        mload_check_dups(L, o);
        mload_check_keys(L, o, option_keys, "a poll option", NULL);
        struct menu_poll_option *opt = &p->options[p->n_options];
        opt->pos = mload_pos(L, o);
        opt->district = district;
        const struct ynode *id = mload_map_get(o, "id"), *label = mload_map_get(o, "label");
        if (!id) {
            mload_err(L, o, "an option of poll '%s' is missing the required key 'id'", p->id);
            continue;
        }
        snprintf(w, sizeof w, "the id of an option of poll '%s'", p->id);
        if (!(opt->id = mload_get_name(L, id, w)))
            continue;
        for (size_t j = district ? first : 0; j < p->n_options; j++)
            if (strcmp(p->options[j].id, opt->id) == 0) {
                struct menu_pos q = p->options[j].pos;
                mload_err(L, id, "option '%s' of poll '%s' is already given at line %d",
                          opt->id, p->id, q.line);
                opt->id = NULL;
                break;
            }
        if (!opt->id)
            continue;
        if (!label) {
            mload_err(L, o, "option '%s' of poll '%s' is missing the required key 'label'",
                      opt->id, p->id);
            continue;
        }
        snprintf(w, sizeof w, "the label of option '%s' of poll '%s'", opt->id, p->id);
        if (mload_get_text(L, label, &opt->label, w, 1))
            p->n_options++;
    }
}

static size_t count_options(const struct ynode *opts, const struct ynode *projects)
{
    size_t n = 0;
    if (opts && opts->type == Y_SEQ)
        n += opts->n;
    if (projects && projects->type == Y_MAP)
        for (size_t i = 1; i < projects->n; i += 2)
            if (projects->kids[i]->type == Y_SEQ)
                n += projects->kids[i]->n;
    return n > LOAD_MAX_POLL_OPTIONS ? LOAD_MAX_POLL_OPTIONS : n;
}

/* opens and closes, in local time; closes after opens. */
static void load_times(struct loader *L, struct menu_poll *p, const struct ynode *n)
{
    const struct ynode *opens = mload_map_get(n, "opens"), *closes = mload_map_get(n, "closes");
    p->opens = p->closes = -1;
    if (!opens)
        mload_err(L, n, "poll '%s' is missing the required key 'opens' (like \"2026-07-01T08:00\", "
                        "local time)", p->id);
    else
        p->opens = get_time(L, opens, "opens");
    if (!closes)
        mload_err(L, n, "poll '%s' is missing the required key 'closes' (like "
                        "\"2026-07-31T18:00\", local time)", p->id);
    else
        p->closes = get_time(L, closes, "closes");
    if (p->opens >= 0 && p->closes >= 0 && p->closes <= p->opens)
        mload_err(L, closes, "poll '%s' closes before it opens: 'closes' must be after 'opens'",
                  p->id);
}

/* voter (phone or national_id) and results_sms (true or false). */
static void load_flags(struct loader *L, struct menu_poll *p, const struct ynode *n)
{
    const struct ynode *voter = mload_map_get(n, "voter"), *rs = mload_map_get(n, "results_sms");
    p->voter = POLL_VOTER_PHONE;
    if (voter) {
        const char *v = mload_get_str(L, voter, "voter");
        if (v && strcmp(v, "national_id") == 0)
            p->voter = POLL_VOTER_NATIONAL_ID;
        else if (v && strcmp(v, "phone") != 0)
            mload_err(L, voter, "voter must be phone (one vote per phone number) or national_id "
                                "(one vote per national ID), not '%s'", v);
    }
    if (rs) {
        const char *v = mload_get_str(L, rs, "results_sms");
        if (v && strcmp(v, "true") == 0)
            p->results_sms = 1;
        else if (v && strcmp(v, "false") != 0)
            mload_err(L, rs, "results_sms must be true or false, not '%s'", v);
    }
}

/* The district a key of `projects` names, or NULL (reported). */
static const char *project_district(struct loader *L, const struct menu_poll *p,
                                    const struct ynode *k)
{
    const char *dn = mload_get_str(L, k, "a district of 'projects'");
    if (!dn)
        return NULL;
    const char *const *all;
    size_t nd;
    const char *gd = mload_district(L, dn, &all, &nd);
    if (gd)
        return gd;
    const char *c = nd ? menu_closest(dn, all, nd) : NULL;
    if (c)
        mload_err(L, k, "'%s' in the projects of poll '%s' is not a district "
                        "(did you mean '%s'?)", dn, p->id, c);
    else if (nd)
        mload_err(L, k, "'%s' in the projects of poll '%s' is not a district "
                        "(write it like %s or %s)", dn, p->id, all[0], all[nd - 1]);
    else
        mload_err(L, k, "poll '%s' has projects by district, but no districts "
                        "are known to this check", p->id);
    return NULL;
}

/* projects: district -> options. Returns the options of the smallest district. */
static size_t load_projects(struct loader *L, struct menu_poll *p, const struct ynode *projects,
                            size_t cap)
{
    p->by_district = 1;
    if (projects->type != Y_MAP || projects->n == 0) {
        mload_err(L, projects, "the projects of poll '%s' must be a map of district to a "
                               "list of {id, label}, not %s", p->id, mload_tname(projects));
        return 0;
    }
    mload_check_dups(L, projects);
    size_t min_n = (size_t)-1;
    for (size_t i = 0; i + 1 < projects->n; i += 2) {
        const struct ynode *k = projects->kids[i], *v = projects->kids[i + 1];
        const char *gd = project_district(L, p, k);
        if (!gd)
            continue;
        load_options(L, p, v, gd, cap);
        size_t got = v->type == Y_SEQ ? v->n : 0;
        if (got < 2 && v->type == Y_SEQ)
            mload_err(L, k, "poll '%s' has %zu project%s in %s: give at least 2", p->id,
                      got, got == 1 ? "" : "s", gd);
        if (got < min_n)
            min_n = got;
    }
    return min_n == (size_t)-1 ? 0 : min_n;
}

/* The choices: options for everyone, or projects per district. *min_n: the options of
 * the smallest district (or of everyone). 0 when out of memory. */
static int load_choices(struct loader *L, struct menu_poll *p, const struct ynode *n,
                        size_t *min_n)
{
    const struct ynode *opts = mload_map_get(n, "options"),
                       *projects = mload_map_get(n, "projects");
    *min_n = 0;
    if (opts && projects)
        mload_err(L, projects, "poll '%s' has both 'options' and 'projects': give options (for "
                               "everyone) or projects per district", p->id);
    else if (!opts && !projects)
        mload_err(L, n, "poll '%s' needs 'options' (a list of {id, label}) or 'projects' (per "
                        "district: {Gasabo: [{id, label}, ...]})", p->id);
    size_t cap = count_options(opts, projects);
    if (cap && !(p->options = mload_alloc(L, cap * sizeof *p->options)))
        return 0;
    if (opts && !projects) {
        load_options(L, p, opts, NULL, cap);
        *min_n = opts->type == Y_SEQ ? opts->n : 0;
        if (*min_n < 2 && opts->type == Y_SEQ)
            mload_err(L, opts, "poll '%s' has %zu option%s: give at least 2", p->id, *min_n,
                      *min_n == 1 ? "" : "s");
    } else if (projects && !opts) {
        *min_n = load_projects(L, p, projects, cap);
    }
    return 1;
}

/* max_choices: 1 to the options of the smallest district (min_n), default 1. */
static void load_max_choices(struct loader *L, struct menu_poll *p, const struct ynode *maxc,
                             size_t min_n)
{
    p->max_choices = 1;
    if (!maxc)
        return;
    const char *v = mload_get_str(L, maxc, "max_choices");
    char *end = NULL;
    long m = v ? strtol(v, &end, 10) : 0;
    if (v && (!*v || *end || m < 1 || (min_n >= 1 && (size_t)m > min_n)))
        mload_err(L, maxc, "max_choices of poll '%s' must be a number from 1 to %zu (its "
                           "options%s), not '%s'", p->id, min_n ? min_n : 1,
                  p->by_district ? " in the smallest district" : "", v);
    else if (v)
        p->max_choices = (int)m;
}

/* Poll number `no` of its list. 0 when it has no usable id (or memory ran out). */
static int load_poll(struct loader *L, struct menu_poll *p, const struct ynode *n, size_t no)
{
    char w[160];
    p->pos = mload_pos(L, n);
    if (n->type != Y_MAP) {
        mload_err(L, n, "poll %zu must be a map with id, question, options, opens and closes, "
                        "not %s", no, mload_tname(n));
        return 0;
    }
    mload_check_dups(L, n);
    mload_check_keys(L, n, poll_keys, "a poll", NULL);
    const struct ynode *id = mload_map_get(n, "id"), *q = mload_map_get(n, "question");
    if (!id) {
        mload_err(L, n, "poll %zu is missing the required key 'id' (a name, like budget-2027)",
                  no);
        return 0;
    }
    snprintf(w, sizeof w, "the id of poll %zu", no);
    if (!(p->id = mload_get_name(L, id, w)))
        return 0;
    if (!q)
        mload_err(L, n, "poll '%s' is missing the required key 'question'", p->id);
    else {
        snprintf(w, sizeof w, "the question of poll '%s'", p->id);
        mload_get_text(L, q, &p->question, w, 1);
    }
    load_times(L, p, n);
    load_flags(L, p, n);
    size_t min_n;
    if (!load_choices(L, p, n, &min_n))
        return 0;
    load_max_choices(L, p, mload_map_get(n, "max_choices"), min_n);
    return 1;
}

void menu_load_polls(struct loader *L)
{
    struct menu_set *set = L->set;
    size_t nf = L->n_files, total = 0;
    for (size_t f = 0; f < nf; f++) {
        const struct ynode *root = mload_file(L, f);
        const struct ynode *polls = root ? mload_map_get(root, "polls") : NULL;
        if (polls && polls->type == Y_SEQ)
            total += polls->n;
    }
    if (total > LOAD_MAX_POLLS)
        total = LOAD_MAX_POLLS;
    if (total && !(set->polls = mload_alloc(L, total * sizeof *set->polls)))
        return;
    /* where each poll id was first given, for duplicates */
    size_t *files = total ? calloc(total, sizeof *files) : NULL;
    if (total && !files)
        return;
    for (size_t f = 0; f < nf && !L->oom; f++) {
        const struct ynode *root = mload_file(L, f);
        if (!root || root->type != Y_MAP)
            continue;
        const struct ynode *polls = mload_map_get(root, "polls");
        if (!polls || mload_is_null(polls))
            continue;
        if (polls->type != Y_SEQ) {
            mload_err(L, polls, "polls must be a list of polls, like - {id: budget-2027, "
                                "question: \"...\", options: [...], opens: ..., closes: ...}, "
                                "not %s", mload_tname(polls));
            continue;
        }
        for (size_t i = 0; i < polls->n && !L->oom; i++) {
            if (set->n_polls == total) {
                mload_err(L, polls->kids[i], "too many polls: a set can have at most %d",
                          LOAD_MAX_POLLS);
                break;
            }
            if (!polls->kids[i]->complete)
                continue;
            struct menu_poll *p = &set->polls[set->n_polls];
            memset(p, 0, sizeof *p);
            if (!load_poll(L, p, polls->kids[i], i + 1))
                continue;
            size_t j;
            for (j = 0; j < set->n_polls && strcmp(set->polls[j].id, p->id) != 0; j++)
                ;
            if (j < set->n_polls) {
                const struct ynode *idn = mload_map_get(polls->kids[i], "id");
                mload_err(L, idn, "poll '%s' is already given in %s:%d:%d", p->id,
                          L->files[files[j]].name, set->polls[j].pos.line,
                          set->polls[j].pos.col);
                continue;
            }
            files[set->n_polls++] = f;
        }
    }
    free(files);
}

/* ---- finding polls and their texts ---------------------------------------------------- */

const char *menu_poll_text(const struct menu_set *set, const struct menu_text *t, const char *lang)
{
    int l = set && lang ? menu_find_lang(set, lang) : -1;
    if (l >= 0 && l < MENU_MAX_LANGS && t->s[l])
        return t->s[l];
    if (set && set->default_lang >= 0 && set->default_lang < MENU_MAX_LANGS &&
        t->s[set->default_lang])
        return t->s[set->default_lang];
    for (l = 0; l < MENU_MAX_LANGS; l++)
        if (t->s[l])
            return t->s[l];
    return "";
}

const struct menu_poll *menu_poll_find(const struct menu_set *set, const char *id)
{
    for (size_t i = 0; set && id && i < set->n_polls; i++)
        if (set->polls[i].id && strcmp(set->polls[i].id, id) == 0)
            return &set->polls[i];
    return NULL;
}
