/*
 * poll_results.c: results of closed polls by SMS (see poll_results.h), driven here over
 * the poll_tally service (services/poll_tally.h: the keys, the lock, the scripts).
 *
 * A run walks the eligible polls one after the other; for one poll:
 *   begin    nothing to send (notify no bigger than notified), the lock is another
 *            process's (busy), or the lock is ours;
 *   snapshot the tally and each district's approved proposals;
 *   scan     one batch of the notify hash at a time: the phones not notified yet, with
 *            their district and language; each gets sms_enqueue, and is marked notified
 *            once queued; the next batch when the batch is queued;
 *   end      the lock released, the poll reported.
 * Every service and queue callback counts in `pending`, so a cancelled run is freed by
 * the last one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "log.h"
#include "menu.h"
#include "poll_results.h"
#include "poll_tally.h"
#include "sms_codec.h"
#include "sms_queue.h"
#include "svc_store.h"

#define PR_BATCH 100
#define PR_NO_DISTRICT GEO_N_DISTRICTS /* the texts of a voter without a known district */

struct flat {
    char **s;
    size_t n;
};

struct poll_results {
    const struct svc_env *env;
    struct sms_queue *q;
    const struct menu_set *set;
    long long now, window_s;
    int max_parts; /* sms_max_parts: a results text never needs more */
    char owner[64];
    poll_results_poll_fn per_poll;
    poll_results_done_fn done;
    void *arg;

    int pending;   /* callbacks still to come */
    int cancelled; /* no callback of ours fires any more; freed at pending 0 */
    int finished;
    size_t next;   /* the next poll of set->polls to look at */

    /* the poll being sent */
    const struct menu_poll *p;
    char cursor[32];
    struct poll_results_report rep;
    struct flat tally, extra[GEO_N_DISTRICTS];
    char *texts[GEO_N_DISTRICTS + 1][MENU_MAX_LANGS];
    size_t inflight; /* enqueues of the batch not answered yet */
    int locked;      /* the poll's lock is ours: released at its end */
    int *freed;      /* inside poll_results_start: set when the run is freed there */
};

struct pr_item {
    struct poll_results *r;
    char msisdn[40];
};

static void next_poll(struct poll_results *r);

static void flat_free(struct flat *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->s[i]);
    free(f->s);
    *f = (struct flat){0};
}

static int flat_copy(struct flat *f, const struct poll_flat *a)
{
    flat_free(f);
    if (!a->n)
        return 0;
    if (!(f->s = calloc(a->n, sizeof *f->s)))
        return -1;
    for (size_t i = 0; i < a->n; i++)
        if (!(f->s[f->n++] = strdup(a->s[i])))
            return -1;
    return 0;
}

static void poll_clear(struct poll_results *r)
{
    flat_free(&r->tally);
    for (size_t d = 0; d < GEO_N_DISTRICTS; d++)
        flat_free(&r->extra[d]);
    for (size_t d = 0; d <= GEO_N_DISTRICTS; d++)
        for (size_t l = 0; l < MENU_MAX_LANGS; l++) {
            free(r->texts[d][l]);
            r->texts[d][l] = NULL;
        }
    r->p = NULL;
}

static void run_free(struct poll_results *r)
{
    if (r->freed)
        *r->freed = 1;
    poll_clear(r);
    free(r);
}

/* A callback came: 1 when the run goes on, 0 when it was cancelled (and maybe freed). */
static int arrived(struct poll_results *r)
{
    r->pending--;
    if (!r->cancelled)
        return 1;
    if (r->pending == 0)
        run_free(r);
    return 0;
}

static void finish(struct poll_results *r, int status)
{
    r->finished = 1;
    poll_clear(r);
    r->done(r->arg, status);
    if (r->pending == 0)
        run_free(r);
    else
        r->cancelled = 1; /* the answers still to come free it */
}

static void on_ignore(void *arg, int status)
{
    (void)status;
    arrived(arg);
}

/* The poll is over (error: a Redis failure stops the whole run). */
static void end_poll(struct poll_results *r, int error)
{
    if (r->locked) {
        r->pending++;
        poll_results_release(r->env, r->p->id, r->owner, on_ignore, r);
    }
    r->locked = 0;
    log_event(error || r->rep.failed ? L_WARN : L_INFO, "poll.results",
              "poll=%s queued=%zu already=%zu failed=%zu busy=%d error=%d", r->p->id,
              r->rep.queued, r->rep.already, r->rep.failed, r->rep.busy, error);
    if (r->per_poll)
        r->per_poll(r->arg, &r->rep);
    poll_clear(r);
    if (error)
        finish(r, -1);
    else
        next_poll(r);
}

static int district_index(const char *name)
{
    size_t n = 0;
    const struct geo_district *all = geo_districts(&n);
    const struct geo_district *d = geo_district_by_name(name);
    return d ? (int)(d - all) : PR_NO_DISTRICT;
}

static const char *text_for(struct poll_results *r, const char *district, const char *lang_code)
{
    int di = district_index(district);
    int lang = lang_code[0] ? menu_find_lang(r->set, lang_code) : -1;
    if (lang < 0)
        lang = r->set->default_lang;
    if (lang < 0 || lang >= MENU_MAX_LANGS)
        lang = 0;
    char **t = &r->texts[di][lang];
    if (!*t && (*t = malloc(POLL_RESULTS_TEXT_MAX))) {
        const struct flat *x = di < GEO_N_DISTRICTS ? &r->extra[di] : NULL;
        poll_results_text(r->set, r->p, di < GEO_N_DISTRICTS ? district : "", lang,
                          (const char *const *)r->tally.s, r->tally.n,
                          x ? (const char *const *)x->s : NULL, x ? x->n : 0, r->max_parts,
                          *t, POLL_RESULTS_TEXT_MAX);
    }
    return *t;
}

static void scan(struct poll_results *r);

static void batch_step(struct poll_results *r)
{
    if (r->inflight)
        return;
    if (strcmp(r->cursor, "0") == 0)
        end_poll(r, 0);
    else
        scan(r);
}

/* msisdn got its result, or never can: the notified set. */
static void mark(struct poll_results *r, const char *msisdn)
{
    r->pending++;
    poll_results_mark(r->env, r->p->id, msisdn, on_ignore, r);
}

static void on_queued(void *arg, int status, const char *id)
{
    struct pr_item *it = arg;
    struct poll_results *r = it->r;
    (void)id;
    if (!arrived(r)) {
        free(it);
        return;
    }
    r->inflight--;
    if (status >= 0) {
        /* 1: queued by an earlier run that stopped before recording it */
        if (status == 0)
            r->rep.queued++;
        else
            r->rep.already++;
        mark(r, it->msisdn);
    } else {
        r->rep.failed++;
    }
    free(it);
    batch_step(r);
}

/* The result SMS of one voter into the queue. */
static void send_one(struct poll_results *r, const struct poll_voter *v)
{
    if (!sms_msisdn_ok(v->msisdn)) {
        mark(r, v->msisdn); /* never sendable: recorded so that it is not looked at again */
        r->rep.failed++;
        return;
    }
    const char *text = text_for(r, v->district, v->lang);
    struct pr_item *it = text ? malloc(sizeof *it) : NULL;
    if (!it) {
        r->rep.failed++;
        return;
    }
    it->r = r;
    snprintf(it->msisdn, sizeof it->msisdn, "%s", v->msisdn);
    char idem[240];
    snprintf(idem, sizeof idem, "poll-result:%s:%s", r->p->id, v->msisdn);
    r->inflight++;
    r->pending++;
    sms_enqueue(r->q, it->msisdn, text, idem, on_queued, it);
}

static void on_scan(void *arg, int status, const char *cursor, long long already,
                    const struct poll_voter *v, size_t n)
{
    struct poll_results *r = arg;
    if (!arrived(r))
        return;
    if (status != REC_OK) {
        end_poll(r, 1);
        return;
    }
    snprintf(r->cursor, sizeof r->cursor, "%s", cursor);
    r->rep.already += (size_t)already;
    for (size_t i = 0; i < n; i++)
        send_one(r, &v[i]);
    batch_step(r);
}

static void scan(struct poll_results *r)
{
    r->pending++;
    poll_results_scan(r->env, r->p->id, r->cursor, PR_BATCH, on_scan, r);
}

static void on_snapshot(void *arg, int status, const struct poll_snapshot *s)
{
    struct poll_results *r = arg;
    if (!arrived(r))
        return;
    if (status != REC_OK || flat_copy(&r->tally, &s->tally) < 0) {
        end_poll(r, 1);
        return;
    }
    for (size_t d = 0; d < GEO_N_DISTRICTS; d++)
        if (flat_copy(&r->extra[d], &s->extra[d]) < 0) {
            end_poll(r, 1);
            return;
        }
    snprintf(r->cursor, sizeof r->cursor, "0");
    scan(r);
}

static void on_begin(void *arg, int status, enum poll_results_state state, long long asked,
                     long long notified)
{
    struct poll_results *r = arg;
    (void)notified;
    if (!arrived(r))
        return;
    if (status != REC_OK) {
        end_poll(r, 1);
        return;
    }
    if (state != POLL_RESULTS_LOCKED) {
        r->rep.busy = state == POLL_RESULTS_BUSY;
        if (state == POLL_RESULTS_NOTHING)
            r->rep.already = (size_t)asked;
        if (r->per_poll)
            r->per_poll(r->arg, &r->rep);
        poll_clear(r);
        next_poll(r);
        return;
    }
    r->locked = 1;
    r->pending++;
    poll_results_snapshot(r->env, r->p->id, on_snapshot, r);
}

static void on_nothing(void *arg)
{
    struct poll_results *r = arg;
    if (arrived(r))
        finish(r, 0);
}

static int eligible(const struct poll_results *r, const struct menu_poll *p)
{
    return p->results_sms && p->closes <= r->now &&
           (r->window_s <= 0 || p->closes > r->now - r->window_s);
}

static void next_poll(struct poll_results *r)
{
    while (r->next < r->set->n_polls && !eligible(r, &r->set->polls[r->next]))
        r->next++;
    if (r->next >= r->set->n_polls) {
        finish(r, 0);
        return;
    }
    r->p = &r->set->polls[r->next++];
    r->rep = (struct poll_results_report){.poll = r->p->id};
    r->inflight = 0;
    r->pending++;
    poll_results_begin(r->env, r->p->id, r->owner, on_begin, r);
}

struct poll_results *poll_results_start(const struct svc_env *env, struct sms_queue *q,
                                        const struct menu_set *set, long long now,
                                        long long window_s, int max_parts, const char *owner,
                                        poll_results_poll_fn per_poll,
                                        poll_results_done_fn done, void *arg)
{
    struct poll_results *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    *r = (struct poll_results){.env = env, .q = q, .set = set, .now = now,
                               .window_s = window_s, .max_parts = max_parts > 0 ? max_parts : 1,
                               .per_poll = per_poll, .done = done, .arg = arg};
    snprintf(r->owner, sizeof r->owner, "%s", owner ? owner : "");
    size_t first = 0;
    while (first < set->n_polls && !eligible(r, &set->polls[first]))
        first++;
    int freed = 0;
    r->freed = &freed;
    if (first >= set->n_polls) {
        r->pending++;
        svc_later(env, on_nothing, r); /* nothing to look at: done from the loop too */
    } else {
        next_poll(r);
    }
    if (freed)
        return NULL; /* no memory: it failed at once (done fired) */
    r->freed = NULL;
    return r;
}

void poll_results_cancel(struct poll_results *r)
{
    if (!r || r->finished)
        return;
    r->cancelled = 1;
    r->finished = 1;
    if (r->pending == 0)
        run_free(r);
}

/* Append piece to out (len octets so far) when the whole, with reserve after it, still
 * fits size octets and max_parts SMS parts: 1, or 0 (out unchanged). */
static int try_add(char *out, size_t size, size_t *len, const char *piece, const char *reserve,
                   int max_parts)
{
    size_t pl = strlen(piece), rl = strlen(reserve);
    if (*len + pl + rl >= size)
        return 0;
    memcpy(out + *len, piece, pl);
    memcpy(out + *len + pl, reserve, rl + 1);
    if (sms_count_parts(out, *len + pl + rl) > max_parts) {
        out[*len] = 0;
        return 0;
    }
    *len += pl;
    out[*len] = 0;
    return 1;
}

/* ", and N more" in language code (en, rw, fr; English otherwise). */
static void more_words(const char *code, size_t n, char *buf, size_t size)
{
    if (strcmp(code, "rw") == 0)
        snprintf(buf, size, ", n'ibindi %zu", n);
    else if (strcmp(code, "fr") == 0)
        snprintf(buf, size, ", et %zu autres", n);
    else
        snprintf(buf, size, ", and %zu more", n);
}

void poll_results_text(const struct menu_set *set, const struct menu_poll *p,
                       const char *district, int lang, const char *const *tally, size_t n_tally,
                       const char *const *extra, size_t n_extra, int max_parts, char *out,
                       size_t size)
{
    const char *code = lang >= 0 && (size_t)lang < set->n_langs ? set->langs[lang] : "en";
    const char *head = "Results: ", *total_word = "Total";
    if (strcmp(code, "rw") == 0)
        head = "Ibyavuye mu itora: ", total_word = "Yose hamwe";
    else if (strcmp(code, "fr") == 0)
        head = "Résultats : ";
    if (!size)
        return;
    out[0] = 0;
    /* the items of this voter's ballot, and their sum (the tail says it) */
    enum { MAX_ITEMS = 160 };
    const char *label[MAX_ITEMS];
    long long votes[MAX_ITEMS], sum = 0;
    size_t n = 0;
    for (size_t o = 0; o < p->n_options && n < MAX_ITEMS; o++) {
        const struct menu_poll_option *opt = &p->options[o];
        if (district[0] && opt->district && strcmp(opt->district, district) != 0)
            continue;
        votes[n] = 0;
        for (size_t k = 0; k + 1 < n_tally; k += 2)
            if (strcmp(tally[k], opt->id) == 0)
                votes[n] = strtoll(tally[k + 1], NULL, 10);
        label[n++] = menu_text_get(set, &opt->label, lang);
    }
    for (size_t e = 0; e + 1 < n_extra && n < MAX_ITEMS; e += 2) {
        votes[n] = 0;
        for (size_t k = 0; k + 1 < n_tally; k += 2)
            if (strcmp(tally[k], extra[e]) == 0)
                votes[n] = strtoll(tally[k + 1], NULL, 10);
        label[n++] = extra[e + 1];
    }
    for (size_t i = 0; i < n; i++)
        sum += votes[i];
    char tail[64], more[128], piece[320];
    snprintf(tail, sizeof tail, ". %s %lld.", total_word, sum);
    /* room kept for "and N more" (N at most n) and the tail */
    more_words(code, n, more, 64);
    strcat(more, tail);
    /* head and question, then as many items as fit within size and max_parts with the
     * tail after them; "and N more" when some had to be left out */
    size_t len = 0;
    snprintf(piece, sizeof piece, "%s%s", head, menu_text_get(set, &p->question, lang));
    if (!try_add(out, size, &len, piece, tail, max_parts))
        try_add(out, size, &len, head, tail, max_parts);
    size_t shown = 0;
    for (; shown < n; shown++) {
        snprintf(piece, sizeof piece, "%s %s: %lld", shown ? "," : "", label[shown], votes[shown]);
        if (!try_add(out, size, &len, piece, shown + 1 < n ? more : tail, max_parts))
            break;
    }
    if (shown < n) {
        more_words(code, n - shown, piece, sizeof piece);
        try_add(out, size, &len, piece, tail, max_parts);
    }
    try_add(out, size, &len, tail, "", max_parts);
}
