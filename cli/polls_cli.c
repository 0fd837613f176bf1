/*
 * polls_cli.c: `ussdgw poll results ID` prints the tally of poll ID (defined under
 * `polls:` in the menu folder; services/poll_tally.h reads it): one line per option,
 * "OPTION_ID<TAB>VOTES<TAB>LABEL" (label in the default language; projects and approved
 * proposals are prefixed with their district), in the order the poll gives them, then
 * "total<TAB>N" (choices: a voter with two choices counts twice) and
 * "status<TAB>open|closed|not yet open".
 *
 * `ussdgw poll notify-closed` sends the results of every closed poll with `results_sms:
 * true` to the voters who asked for them (gateway/poll_results.h: the gateway itself does
 * so every `poll_results_every` seconds for polls closed in the last 30 days; this is for
 * older polls, or a gateway run with it off); prints "poll ID: N queued, M already sent"
 * (or "being sent by another process") per poll and "queued<TAB>TOTAL".
 *
 * `ussdgw poll moderate list` prints the proposals waiting for review (oldest first),
 * "ID<TAB>DISTRICT<TAB>CATEGORY<TAB>MSISDN<TAB>TITLE"; `moderate approve ID [--poll
 * POLL]` makes proposal ID option pID of POLL (default: the first open poll);
 * `moderate reject ID [--note TEXT]` refuses it. Both are one script
 * (services/poll_proposals.h: a second approve or reject of a decided proposal changes
 * nothing and says so) and SMS the proposer (idempotency key
 * proposal:ID:approved|rejected).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "log.h"
#include "poll_proposals.h"
#include "poll_results.h"
#include "poll_tally.h"
#include "polls.h"
#include "sms_codec.h"
#include "sms_queue.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw poll results [options] ID   the votes of poll ID, per option\n"
            "       ussdgw poll notify-closed [options] SMS the results of closed polls to voters\n"
            "       ussdgw poll moderate list | approve ID [--poll POLL] | reject ID [--note TEXT]\n"
            "                                          review residents' project proposals\n"
            "options:\n"
            "  -c, --config FILE       configuration file (redis, menus)\n"
            "      --redis ADDR        HOST:PORT or unix:PATH (default 127.0.0.1:6379)\n"
            "      --menus DIR         the menu folder with the poll (default menus.d)\n"
            "      --log-level LEVEL   debug, info, warn, error (default warn)\n");
}

/* A command's wait for one answer, and what it prints. */
struct wait {
    int done, rc;
    const struct menu_set *set;
    const struct menu_poll *p;
    const char *id; /* moderation: the proposal */
    const char *addr;
};

static void not_answered(const char *what, const char *addr)
{
    fprintf(stderr, "ussdgw poll %s: Redis at %s did not answer\n", what, addr);
}

/* ---- results ---- */

static void on_tally(void *arg, int status, const char *why, const struct poll_tally *t)
{
    struct wait *w = arg;
    const struct menu_set *set = w->set;
    const struct menu_poll *p = w->p;
    (void)why;
    w->done = 1;
    if (status != REC_OK) {
        not_answered("results", w->addr);
        w->rc = 1;
        return;
    }
    long long total = 0;
    for (size_t o = 0; o < p->n_options; o++) {
        const struct menu_poll_option *opt = &p->options[o];
        printf("%s\t%lld\t%s%s%s\n", opt->id, t->votes[o], opt->district ? opt->district : "",
               opt->district ? ": " : "", menu_text_get(set, &opt->label, set->default_lang));
        total += t->votes[o];
    }
    /* approved proposals, after the menu's options, with their district like a project */
    for (size_t e = 0; e < t->n_extras; e++) {
        const struct poll_tally_extra *x = &t->extras[e];
        printf("%s\t%lld\t%s%s%s\n", x->id, x->votes, x->district, x->district[0] ? ": " : "",
               x->label);
        total += x->votes;
    }
    long long now = (long long)(svc_now_ms(NULL) / 1000);
    printf("total\t%lld\nstatus\t%s\n", total,
           now < p->opens ? "not yet open" : now < p->closes ? "open" : "closed");
}

/* `poll results ID`: the tally, one line per option, then total and status. */
static int print_results(struct app_conn *c, const struct menu_set *set,
                         const struct menu_poll *p, const char *addr)
{
    struct wait w = {.set = set, .p = p, .addr = addr};
    poll_tally_get(&c->env, p, on_tally, &w);
    app_conn_wait(c, &w.done);
    if (!w.done)
        not_answered("results", addr);
    return w.done ? w.rc : 1;
}

/* ---- notify-closed ---- */

struct notify {
    int done, status;
    size_t queued, failed;
};

static void on_poll_done(void *arg, const struct poll_results_report *r)
{
    struct notify *n = arg;
    if (r->busy)
        printf("poll %s: being sent by another process\n", r->poll);
    else
        printf("poll %s: %zu queued, %zu already sent\n", r->poll, r->queued, r->already);
    if (r->failed)
        fprintf(stderr, "ussdgw poll notify-closed: poll %s: %zu SMS could not be queued; run it again\n",
                r->poll, r->failed);
    n->queued += r->queued;
    n->failed += r->failed;
}

static void on_run_done(void *arg, int status)
{
    struct notify *n = arg;
    n->done = 1;
    n->status = status;
}

/* Results of every closed poll to the voters who asked (poll_results.h): 0, or 1 when
 * some SMS could not be queued or Redis failed. */
static int notify_closed(struct app_conn *c, const struct menu_set *set,
                         const struct config *cfg)
{
    struct notify n = {0};
    char owner[48];
    snprintf(owner, sizeof owner, "cli-%ld", (long)getpid());
    if (!poll_results_start(&c->env, c->q, set, (long long)(svc_now_ms(NULL) / 1000), 0,
                            cfg->sms_max_parts, owner, on_poll_done, on_run_done, &n))
        n.status = -1;
    else
        app_conn_wait(c, &n.done);
    if (!n.done || n.status < 0) {
        not_answered("notify-closed", cfg->redis);
        return 1;
    }
    printf("queued\t%zu\n", n.queued);
    return n.failed ? 1 : 0;
}

/* ---- moderation ---- */

static void on_pending(void *arg, int status, const char *why, const struct poll_proposal *p,
                       size_t n)
{
    struct wait *w = arg;
    (void)why;
    w->done = 1;
    if (status != REC_OK) {
        not_answered("moderate", w->addr);
        w->rc = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (p[i].readable)
            printf("%s\t%s\t%s\t%s\t%s\n", p[i].id, p[i].district, p[i].category, p[i].msisdn,
                   p[i].title);
    printf("pending\t%zu\n", n);
}

/* `moderate list`: the proposals waiting, oldest first. */
static int moderate_list(struct app_conn *c, const char *addr)
{
    struct wait w = {.addr = addr};
    poll_proposals_pending(&c->env, on_pending, &w);
    app_conn_wait(c, &w.done);
    return w.done ? w.rc : 1;
}

static void on_one_queued(void *arg, int status, const char *id)
{
    (void)id;
    *(int *)arg = status >= 0 ? 1 : -1; /* 1: queued before (idempotency key) */
}

/* A decision as the service answered it, kept for after the wait. */
struct decide {
    struct wait w;
    int status;
    enum poll_verdict verdict;
    char was[64], msisdn[40], title[128], lang[16];
};

static void on_moderated(void *arg, int status, const char *why, const struct poll_moderated *m)
{
    struct decide *d = arg;
    (void)why;
    d->w.done = 1;
    d->status = status;
    if (status != REC_OK)
        return;
    d->verdict = m->verdict;
    snprintf(d->was, sizeof d->was, "%s", m->status);
    snprintf(d->msisdn, sizeof d->msisdn, "%s", m->msisdn);
    snprintf(d->title, sizeof d->title, "%s", m->title);
    snprintf(d->lang, sizeof d->lang, "%s", m->lang);
}

/* The proposer's SMS of a decision: 1 when it is queued (or was before). */
static int tell_proposer(struct app_conn *c, const struct decide *d, const char *note)
{
    /* in the proposer's language (as they proposed, else as last used); the staff's
     * note as they wrote it */
    int approved = d->verdict == POLL_APPROVED;
    char text[400], idem[96];
    poll_moderation_sms(d->lang, approved, d->title, d->w.id, note, text, sizeof text);
    snprintf(idem, sizeof idem, "proposal:%s:%s", d->w.id, approved ? "approved" : "rejected");
    int queued = 0;
    if (sms_msisdn_ok(d->msisdn)) {
        sms_enqueue(c->q, d->msisdn, text, idem, on_one_queued, &queued);
        app_conn_wait(c, &queued);
    }
    return queued == 1;
}

/* What a decision did, on stdout and stderr, once the proposer is told: the status. */
static int decided(struct app_conn *c, const struct decide *d, const char *note)
{
    const char *id = d->w.id;
    if (!d->w.done || (d->status != REC_OK && d->status != REC_NOT_FOUND)) {
        not_answered("moderate", d->w.addr);
        return 1;
    }
    if (d->status == REC_NOT_FOUND) {
        fprintf(stderr, "ussdgw poll moderate: no proposal %s\n", id);
        return 1;
    }
    if (d->verdict == POLL_ALREADY) {
        printf("proposal %s was already %s\n", id, d->was);
        return 0;
    }
    int told = tell_proposer(c, d, note);
    if (d->verdict == POLL_APPROVED)
        printf("proposal %s approved: option p%s of poll %s\n", id, id, d->w.p->id);
    else
        printf("proposal %s rejected\n", id);
    if (!told) {
        fprintf(stderr, "ussdgw poll moderate: the SMS to the proposer could not be queued\n");
        return 1;
    }
    log_event(L_INFO, "poll.moderated", "proposal=%s action=%s", id,
              d->verdict == POLL_APPROVED ? "approve" : "reject");
    return 0;
}

/* `moderate approve ID [--poll POLL]` or `moderate reject ID [--note TEXT]`. */
static int moderate_decide(struct app_conn *c, const struct menu_set *set, int approve,
                           const char *id, const char *poll, const char *note, const char *addr)
{
    const struct menu_poll *p = NULL;
    if (approve && poll)
        p = menu_poll_find(set, poll);
    else if (approve)
        p = polls_first_open(set, (long long)(svc_now_ms(NULL) / 1000));
    if (approve && !p) {
        if (poll)
            fprintf(stderr, "ussdgw poll moderate: no poll '%s'\n", poll);
        else
            fprintf(stderr, "ussdgw poll moderate: no poll is open; name one with --poll\n");
        return 1;
    }
    struct decide d = {.w = {.p = p, .id = id, .addr = addr}};
    struct svc_ctx staff = {&c->env, {SVC_STAFF, NULL, NULL, NULL}};
    poll_moderate(&staff, id, p ? p->id : NULL, note, on_moderated, &d);
    app_conn_wait(c, &d.w.done);
    return decided(c, &d, note);
}

/* ---- the command ---- */

/* What the operands ask for: 'r' results, 'n' notify-closed, 'l' moderate list, 'a'
 * approve, 'x' reject; 0 when they make no sense. */
static int poll_action(const struct app_cli *cli)
{
    const char *sub = cli->n_args > 0 ? cli->args[0] : "";
    const char *act = cli->n_args > 1 ? cli->args[1] : "";
    if (strcmp(sub, "results") == 0)
        return cli->n_args == 2 ? 'r' : 0;
    if (strcmp(sub, "notify-closed") == 0)
        return cli->n_args == 1 ? 'n' : 0;
    if (strcmp(sub, "moderate") != 0)
        return 0;
    if (strcmp(act, "list") == 0)
        return cli->n_args == 2 ? 'l' : 0;
    if (strcmp(act, "approve") == 0 || strcmp(act, "reject") == 0)
        return cli->n_args == 3 ? act[0] == 'a' ? 'a' : 'x' : 0;
    return 0;
}

/* 1 when id can be a proposal's (digits), else 0 after saying why. */
static int proposal_id_ok(const char *id)
{
    if (id[0] && strlen(id) <= 20 && strspn(id, "0123456789") == strlen(id))
        return 1;
    fprintf(stderr, "ussdgw poll moderate: the proposal ID is a number, not '%s'\n", id);
    return 0;
}

/* Run the action on a connection to Redis: the exit status. */
static int poll_run(int action, const struct app_cli *cli, const struct config *cfg,
                    const struct menu_set *set, const char *mod_poll, const char *mod_note)
{
    const struct menu_poll *p = NULL;
    if (action == 'r' && !(p = menu_poll_find(set, cli->args[1]))) {
        fprintf(stderr, "ussdgw poll results: no poll '%s' in %s\n", cli->args[1], cfg->menus);
        return 1;
    }
    struct app_conn conn;
    if (app_conn_open(&conn, cfg, "poll", action == 'r' ? 0 : APP_CONN_QUEUE, 0))
        return 1;
    int rc;
    if (action == 'r')
        rc = print_results(&conn, set, p, cfg->redis);
    else if (action == 'n')
        rc = notify_closed(&conn, set, cfg);
    else if (action == 'l')
        rc = moderate_list(&conn, cfg->redis);
    else if (!proposal_id_ok(cli->args[2]))
        rc = 2;
    else
        rc = moderate_decide(&conn, set, action == 'a', cli->args[2], mod_poll, mod_note,
                             cfg->redis);
    app_conn_close(&conn);
    return rc;
}

int app_poll(int argc, char **argv)
{
    const char *mod_poll = NULL, *mod_note = "";
    const struct app_opt opts[] = {
        {"poll", 0, 1, 0, &mod_poll, NULL, NULL},
        {"note", 0, 1, 0, &mod_note, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct app_cli cli = {.cmd = "poll", .usage = usage, .opts = opts, .with_menus = 1};
    struct config cfg;
    config_default(&cfg);
    int rc = app_cli_parse(&cli, argc, argv);
    if (rc >= 0)
        return rc;
    int action = poll_action(&cli);
    if (!action) {
        usage(stderr);
        return 2;
    }
    if ((rc = app_cli_load(&cli, &cfg)))
        return rc;
    struct menu_set *set = app_load_menus(cfg.menus, &cfg, 1);
    if (!set)
        return 1;
    rc = poll_run(action, &cli, &cfg, set, mod_poll, mod_note);
    menu_set_free(set);
    return rc;
}
