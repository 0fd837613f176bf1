/*
 * tickets.c: the "Report a problem" handlers, adapters from a menu step to the tickets
 * service (services/tickets.h: the keys, the merge of the same problem, the statuses).
 *
 * Handlers:
 *   sectors          (a menu `source`) args district: the district's sectors; not_found.
 *   ticket_report    args category district sector landmark [description] [follow: yes]:
 *                    created or merged with ref and category_text; gone (follow: yes,
 *                    and the problem has no open ticket any more); invalid; error.
 *   ticket_open      args category district sector: open (ref, category_text,
 *                    status_text: that problem is already reported and open), none,
 *                    invalid, error. Read only: the resident can follow it
 *                    (ticket_report with follow: yes) before typing a landmark.
 *   my_tickets_count ok when the phone has tickets, else none; error.
 *   my_tickets       (a menu `source`) the phone's tickets, newest first: label
 *                    "TKT-26-000012-3 in progress", value the reference; error.
 *   ticket_show      args ref: ok with ref, category_text, status_text, note_line
 *                    (". Note: TEXT": staff's note on the current status, or ""), place,
 *                    updated (dd/mm/yyyy), followers; not_found; error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "geo.h"
#include "refs.h"
#include "services.h"
#include "tickets.h"

/* ---- sectors ---- */

static struct handler_call *sectors_start(const struct svc_env *env,
                                          const struct handler_req *req, handler_done_fn done,
                                          void *arg)
{
    (void)env;
    const struct geo_district *d = geo_district_by_name(handler_arg(req, "district"));
    if (!d) {
        svc_done_now(done, arg, "not_found", NULL, 0);
        return NULL;
    }
    struct handler_item items[HANDLER_MAX_ITEMS];
    size_t n = 0;
    for (int i = 0; i < d->n_sectors && n < HANDLER_MAX_ITEMS; i++, n++)
        items[n] = (struct handler_item){d->sectors[i], d->sectors[i]};
    struct handler_result r = {.outcome = "ok", .items = items, .n_items = n};
    done(arg, &r);
    return NULL;
}

const struct handler_def handler_sectors = {"sectors", 1, sectors_start, NULL};

/* A call about one category of problem (report, open). */
struct report_call {
    struct svc_call c;
    char category[24];
};

static struct report_call *report_call_new(const struct handler_req *req, handler_done_fn done,
                                           void *arg)
{
    struct report_call *rc = svc_call_new(sizeof *rc, req, done, arg);
    const char *category = handler_arg(req, "category");
    if (rc)
        snprintf(rc->category, sizeof rc->category, "%s", category ? category : "");
    return rc;
}

/* ---- report ---- */

static void on_report(void *p, int status, const char *why, const struct tickets_reported *t)
{
    struct report_call *rc = p;
    (void)why;
    if (svc_call_gone(rc))
        return;
    static const char *const verdicts[] = {[TICKETS_CREATED] = "created",
                                           [TICKETS_MERGED] = "merged",
                                           [TICKETS_GONE] = "gone"};
    const char *outcome = status == REC_INVALID ? "invalid"
                          : status == REC_OK     ? verdicts[t->verdict]
                                                 : "error";
    if (!t) {
        svc_finish(rc, outcome, NULL, 0);
        return;
    }
    char cat[64], ref[REFS_MAX];
    tickets_category_text(rc->category, rc->c.lang, cat, sizeof cat);
    snprintf(ref, sizeof ref, "%s", t->ref);
    struct handler_kv set[] = {{"ref", ref}, {"category_text", cat}};
    svc_finish(rc, outcome, set, 2);
}

static struct handler_call *report_start(const struct svc_env *env,
                                         const struct handler_req *req, handler_done_fn done,
                                         void *arg)
{
    struct report_call *rc = report_call_new(req, done, arg);
    if (!rc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    const char *follow = handler_arg(req, "follow");
    char idem[160] = "";
    if (req->step_key && req->step_key[0])
        svc_idem_key(req->step_key, idem, sizeof idem);
    struct tickets_report r = {
        .category = handler_arg(req, "category"),
        .district = handler_arg(req, "district"),
        .sector = handler_arg(req, "sector"),
        .landmark = handler_arg(req, "landmark"),
        .description = handler_arg(req, "description"),
        .idem_key = idem,
        .follow_only = follow && strcmp(follow, "yes") == 0,
    };
    struct svc_ctx ctx = svc_resident(env, req->msisdn);
    tickets_report(&ctx, &r, on_report, rc);
    return (struct handler_call *)rc;
}

const struct handler_def handler_ticket_report = {"ticket_report", 0, report_start, svc_cancel};

/* ---- the open problem of a category in a sector ---- */

static void on_open(void *p, int status, const char *why, const char *ref, const char *st)
{
    struct report_call *oc = p;
    (void)why;
    if (svc_call_gone(oc))
        return;
    if (status != REC_OK || !ref) {
        svc_finish(oc, status == REC_INVALID ? "invalid" : status == REC_OK ? "none" : "error",
                   NULL, 0);
        return;
    }
    char r[REFS_MAX], cat[64], stt[64];
    snprintf(r, sizeof r, "%s", ref);
    tickets_category_text(oc->category, oc->c.lang, cat, sizeof cat);
    tickets_status_text(st, oc->c.lang, stt, sizeof stt);
    struct handler_kv set[] = {{"ref", r}, {"category_text", cat}, {"status_text", stt}};
    svc_finish(oc, "open", set, 3);
}

static struct handler_call *open_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    struct report_call *oc = report_call_new(req, done, arg);
    if (!oc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    tickets_open(env, handler_arg(req, "category"), handler_arg(req, "district"),
                 handler_arg(req, "sector"), on_open, oc);
    return (struct handler_call *)oc;
}

const struct handler_def handler_ticket_open = {"ticket_open", 0, open_start, svc_cancel};

/* ---- my tickets ---- */

struct mine_call {
    struct svc_call c;
    int count_only;
};

static void on_mine(void *p, int status, const char *why, const struct tickets_summary *t,
                    size_t n)
{
    struct mine_call *m = p;
    (void)why;
    if (svc_call_gone(m))
        return;
    if (status != REC_OK || m->count_only) {
        svc_finish(m, status != REC_OK ? "error" : n ? "ok" : "none", NULL, 0);
        return;
    }
    struct handler_item items[HANDLER_MAX_ITEMS];
    char labels[HANDLER_MAX_ITEMS][64];
    size_t k = 0;
    for (; k < n && k < HANDLER_MAX_ITEMS; k++) {
        char w[40];
        tickets_status_text(t[k].status, m->c.lang, w, sizeof w);
        snprintf(labels[k], sizeof labels[k], "%s %s", t[k].ref, w);
        items[k] = (struct handler_item){labels[k], t[k].ref};
    }
    struct handler_result res = {.outcome = k ? "ok" : "none", .items = items, .n_items = k};
    m->c.done(m->c.arg, &res);
    free(m);
}

static struct handler_call *mine_run(const struct svc_env *env, const struct handler_req *req,
                                     handler_done_fn done, void *arg, int count_only)
{
    struct mine_call *m = svc_call_new(sizeof *m, req, done, arg);
    if (!m) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    m->count_only = count_only;
    tickets_of(env, req->msisdn, TICKETS_LIST_MAX, on_mine, m);
    return (struct handler_call *)m;
}

static struct handler_call *mine_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    return mine_run(env, req, done, arg, 0);
}

static struct handler_call *mine_count_start(const struct svc_env *env,
                                             const struct handler_req *req, handler_done_fn done,
                                             void *arg)
{
    return mine_run(env, req, done, arg, 1);
}

const struct handler_def handler_my_tickets = {"my_tickets", 1, mine_start, svc_cancel};
const struct handler_def handler_my_tickets_count = {"my_tickets_count", 0, mine_count_start,
                                                     svc_cancel};

/* ---- one ticket ---- */

struct show_call {
    struct svc_call c;
    char in[160]; /* the reference as given */
};

static void on_show(void *p, int status, const char *why, const struct tickets_ticket *t)
{
    struct show_call *s = p;
    (void)why;
    if (svc_call_gone(s))
        return;
    if (status != REC_OK) {
        /* not_found: the reference canonical when it is one, else as given */
        char ref[REFS_MAX];
        struct handler_kv set[] = {{"ref", s->in}};
        if (status == REC_NOT_FOUND && refs_parse(s->in, "TKT", ref, sizeof ref) == NULL)
            set[0].value = ref;
        svc_finish(s, status == REC_ERR ? "error" : "not_found", set, status == REC_ERR ? 0 : 1);
        return;
    }
    char cat[64], st[40], place[128], upd[16], note[200] = "";
    tickets_category_text(t->category, s->c.lang, cat, sizeof cat);
    tickets_status_text(t->status, s->c.lang, st, sizeof st);
    snprintf(place, sizeof place, "%s, %s, %s", t->landmark, t->sector, t->district);
    svc_day(t->updated, upd, sizeof upd);
    if (t->note[0]) {
        char line[151];
        snprintf(note, sizeof note, ". %s: %s",
                 strcmp(s->c.lang, "rw") == 0 ? "Icyitonderwa" : "Note",
                 refs_note_line(t->note, line, sizeof line));
    }
    char ref[REFS_MAX], followers[24];
    refs_parse(s->in, "TKT", ref, sizeof ref);
    snprintf(followers, sizeof followers, "%lld", t->followers);
    struct handler_kv set[] = {{"ref", ref},       {"category_text", cat}, {"status_text", st},
                               {"place", place},   {"updated", upd},       {"followers", followers},
                               {"note_line", note}};
    svc_finish(s, "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *show_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    struct show_call *s = svc_call_new(sizeof *s, req, done, arg);
    if (!s) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    const char *in = handler_arg(req, "ref");
    snprintf(s->in, sizeof s->in, "%s", in ? in : "");
    tickets_get(env, s->in, on_show, s);
    return (struct handler_call *)s;
}

const struct handler_def handler_ticket_show = {"ticket_show", 0, show_start, svc_cancel};
