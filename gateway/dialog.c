/*
 * dialog.c: one step of a dialog, from session load to reply; see dialog.h.
 *
 * A step lives in a struct dialog until three things are over: the reply (cb fired),
 * the Redis request in flight (the store always calls back) and the handler run. The
 * deadline timer may reply first; whatever finishes later only releases its part.
 */
#include "dialog.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "sms_record.h"
#include "store.h"
#include "strbuf.h"

struct dialog {
    struct dialog_env *env;
    const struct menu_set *set;
    dialog_reply_fn cb;
    void *arg;
    enum dialog_kind kind;
    struct engine_cfg ecfg;
    char msisdn[SESSION_MSISDN_MAX];
    char text[1024]; /* cumulative aggregator answers can be long; one answer is cut later */
    struct step_sig sig;   /* what tells a resend of this input (has_sig) */
    struct step_mark mark; /* what the save records of the input applied (has_mark) */
    int has_sig, has_mark;
    uint32_t window_ms;
    int undelivered; /* the loaded version's screen did not reach the network */
    int retried;     /* a lost compare-and-set was loaded and judged again */
    uint32_t saved_version; /* of the save whose screen the reply is; 0 none */
    char lang[8];
    char dial_if_new[SESSION_MSISDN_MAX];
    int answers_all;
    int reshow_duplicates;
    char sess_key[256];
    char undelivered_key[256];
    char resume_key[64];
    char lang_key[64];
    char chain[SESSION_MSISDN_MAX];
    size_t chain_pos;
    uint32_t loaded_version;
    int replied;
    int store_pending;
    int counted; /* this step's save counts a new dialog (ussd:stats:dialogs:DAY) */
    struct handler_run *run;
    struct event *deadline; /* in deadline_mem, assigned to the env's base per step */
    struct work *w;         /* the session and engine output, while held (see struct work) */
    /* what a reply needs once the work area is given back (after the save is sent) */
    int reply_end;
    char cur_lang[8];
    char cur_screen[SESSION_NAME_MAX];
    /* not cleared per step: */
    char reply[ENGINE_TEXT_MAX]; /* the screen to send when the save succeeds */
    struct dialog *next_free;    /* in the pool of finished dialogs */
    void *deadline_mem;          /* event_get_struct_event_size() octets */
};

/* The large part of a step (about 22 KB): the session and the engine's output. A dialog
 * holds one only while it runs the engine, from the session load until its save is
 * sent (a handler call included); the steps waiting for Redis, usually most of those
 * in flight, hold only their small struct dialog. So memory follows the steps being
 * computed, not the steps in flight. */
struct work {
    struct work *next_free;
    struct engine_out out;
    struct session s; /* last: its tables are not cleared per step */
};

/* Finished dialogs and work areas are kept for the next steps, up to these many: no
 * malloc and free (a 22 KB one consolidates the heap, and may give pages back to be
 * faulted in again) per step. The loop is single-threaded. */
#define DIALOG_POOL_MAX 256
#define WORK_POOL_MAX 32
static struct dialog *dialog_pool;
static int dialog_pool_n;
static struct work *work_pool;
static int work_pool_n;

static struct work *work_get(void)
{
    struct work *w = work_pool;
    if (w) {
        work_pool = w->next_free;
        work_pool_n--;
        return w;
    }
    return malloc(sizeof *w);
}

static void work_put(struct work *w)
{
    if (work_pool_n >= WORK_POOL_MAX) {
        free(w);
        return;
    }
    w->next_free = work_pool;
    work_pool = w;
    work_pool_n++;
}

static struct dialog *dialog_alloc(void)
{
    struct dialog *d = dialog_pool;
    if (d) {
        dialog_pool = d->next_free;
        dialog_pool_n--;
        return d;
    }
    d = malloc(sizeof *d);
    if (d && !(d->deadline_mem = malloc(event_get_struct_event_size()))) {
        free(d);
        d = NULL;
    }
    return d;
}

static void dialog_release(struct dialog *d)
{
    if (dialog_pool_n >= DIALOG_POOL_MAX) {
        free(d->deadline_mem);
        free(d);
        return;
    }
    d->next_free = dialog_pool;
    dialog_pool = d;
    dialog_pool_n++;
}

/* "%u" into buf (12 octets). */
static void utoa_(char *buf, unsigned v)
{
    struct strbuf b;
    strbuf_init(&b, buf, 12);
    strbuf_putu(&b, v);
}

void dialog_env_init(struct dialog_env *env, struct event_base *base, struct store *store,
                     const struct menu_set *set, const struct config *cfg)
{
    memset(env, 0, sizeof *env);
    env->base = base;
    env->store = store;
    env->set = set;
    env->cfg = cfg;
    env->svc.base = base;
    env->svc.store = store;
    env->svc.vote_secret = cfg->vote_secret;
    env->svc.ticket_window_s = cfg->ticket_window_s;
}

static void maybe_free(struct dialog *d)
{
    if (!d->replied || d->store_pending || d->run)
        return;
    if (d->deadline)
        evtimer_del(d->deadline);
    if (d->w) {
        work_put(d->w);
        d->w = NULL;
    }
    d->env->inflight--;
    dialog_release(d);
}

static void reply(struct dialog *d, enum dialog_result r, const char *text, int end)
{
    if (d->replied)
        return;
    d->replied = 1;
    if (d->deadline)
        evtimer_del(d->deadline);
    if (r == DIALOG_SEND)
        d->env->stats.sent++;
    else
        d->env->stats.dropped++;
    d->cb(d->arg, r, text, end, r == DIALOG_SEND ? d->saved_version : 0);
}

static uint64_t now_ms(void)
{
    return clock_now_ms();
}

/* The final "unavailable" (or other engine message) screen, in the phone's language. */
static void reply_msg(struct dialog *d, enum menu_msg m)
{
    if (m == MENU_MSG_UNAVAILABLE)
        d->env->stats.unavailable++;
    if (d->w) {
        engine_fail(d->set, &d->ecfg, &d->w->s, m, &d->w->out);
        reply(d, DIALOG_SEND, d->w->out.text, 1);
        return;
    }
    /* no session at hand (not loaded yet, or its save is sent): the message needs only
     * the phone's language */
    struct work *w = work_get();
    if (!w) {
        reply(d, DIALOG_DROP, NULL, 0);
        return;
    }
    session_init(&w->s, d->msisdn, "", d->cur_lang, d->set->version, 0);
    engine_fail(d->set, &d->ecfg, &w->s, m, &w->out);
    reply(d, DIALOG_SEND, w->out.text, 1);
    work_put(w);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct dialog *d = arg;
    char m[32];
    (void)fd;
    (void)what;
    log_event(L_WARN, "dialog.deadline", "msisdn=%s screen=%s store_pending=%d handler=%d",
              log_msisdn(d->msisdn, m, sizeof m), d->w ? d->w->s.screen : d->cur_screen, d->store_pending,
              d->run != NULL);
    if (d->run) {
        handler_run_cancel(d->run);
        d->run = NULL;
    }
    reply_msg(d, MENU_MSG_UNAVAILABLE);
    maybe_free(d);
}

static void save(struct dialog *d);
static void drive(struct dialog *d);

static void on_handler(void *arg, const struct handler_result *res)
{
    struct dialog *d = arg;
    d->run = NULL;
    if (d->replied) {
        maybe_free(d);
        return;
    }
    if (strcmp(res->outcome, "error") == 0 || res->message)
        log_event(L_INFO, "handler.result", "handler=%s outcome=%s", d->w->out.handler,
                  res->outcome);
    engine_resume(d->set, &d->ecfg, &d->w->s, res, &d->w->out);
    drive(d);
}

static void call_handler(struct dialog *d)
{
    struct engine_out *o = &d->w->out;
    const struct handler_def *def = handler_find(o->handler);
    if (!def) {
        static const struct handler_result missing = {.outcome = "error"};
        log_event(L_ERROR, "handler.missing", "handler=%s", o->handler);
        engine_resume(d->set, &d->ecfg, &d->w->s, &missing, o);
        return;
    }
    struct handler_kv vars[SESSION_MAX_VARS];
    for (size_t i = 0; i < d->w->s.n_vars; i++) {
        vars[i].key = d->w->s.vars[i].key;
        vars[i].value = d->w->s.vars[i].val;
    }
    /* the dialog's identity and the step it is on: a retry of this step loads the same
     * stored session, so it computes the same key */
    char step_key[sizeof d->sess_key + 40], started[12], steps[12];
    utoa_(started, (unsigned)d->w->s.started);
    utoa_(steps, (unsigned)d->w->s.steps);
    strbuf_cat(step_key, sizeof step_key, d->sess_key, ":", started, ":", steps, ":", o->handler,
         (const char *)NULL); /* "%s:%u:%u:%s" */
    struct handler_req req = {
        .step_key = step_key,
        .msisdn = d->w->s.msisdn,
        .lang = d->w->s.lang,
        .vars = vars,
        .n_vars = d->w->s.n_vars,
        .args = o->args,
        .n_args = o->n_args,
        .set = d->set,
    };
    d->run = handler_run(&d->env->svc, def, &req, d->env->cfg->handler_timeout_ms, on_handler, d);
    if (!d->run) {
        static const struct handler_result oom = {.outcome = "error"};
        engine_resume(d->set, &d->ecfg, &d->w->s, &oom, o);
    }
}

/* Next answer of a dial with chained answers ("*123*1*2#"), or NULL. */
static const char *next_chained(struct dialog *d, char *buf, size_t n)
{
    const char *p = d->chain + d->chain_pos;
    if (!*p)
        return NULL;
    const char *star = strchr(p, '*');
    size_t l = star ? (size_t)(star - p) : strlen(p);
    snprintf(buf, n, "%.*s", (int)l, p);
    d->chain_pos += l + (star ? 1 : 0);
    return buf;
}

/* Run the engine's requests until it has a screen to show, then save. */
static void drive(struct dialog *d)
{
    for (;;) {
        struct engine_out *o = &d->w->out;
        if (o->status == ENGINE_CALL) {
            call_handler(d);
            if (d->run)
                return; /* on_handler goes on */
            continue;
        }
        if (o->status == ENGINE_DROP) {
            reply(d, DIALOG_DROP, NULL, 0);
            maybe_free(d);
            return;
        }
        char in[SESSION_MSISDN_MAX];
        if (!o->end && next_chained(d, in, sizeof in)) {
            engine_input(d->set, &d->ecfg, &d->w->s, in, NULL, o);
            continue;
        }
        save(d);
        return;
    }
}

static void stats_expire(struct store *store);

static void on_loaded(void *arg, int status, const struct store_blob *sess,
                      const struct store_blob *resume, const struct store_blob *lang,
                      const struct store_blob *aux);

static void on_saved(void *arg, int status)
{
    struct dialog *d = arg;
    char m[32];
    d->store_pending = 0;
    if (status == STORE_OK && d->counted)
        stats_expire(d->env->store);
    if (!d->replied) {
        if (status == STORE_OK) {
            if (d->kind == DIALOG_ABORT)
                reply(d, DIALOG_DROP, NULL, 0);
            else
                reply(d, DIALOG_SEND, d->reply, d->reply_end);
        } else if (status == STORE_CONFLICT && d->has_sig && !d->retried) {
            /* another step of this dialog won, most often a copy of this input on
             * another connection: judge this one again against what won (it may be
             * the copy whose screen cannot go out) */
            d->env->stats.conflicts++;
            d->retried = 1;
            d->store_pending = 1;
            store_session_load(d->env->store, d->sess_key, NULL, NULL, d->undelivered_key,
                               on_loaded, d);
            return;
        } else if (status == STORE_CONFLICT) {
            /* another step of this dialog won: this one was a duplicate or a race */
            d->env->stats.conflicts++;
            log_event(L_INFO, "dialog.conflict", "msisdn=%s",
                      log_msisdn(d->msisdn, m, sizeof m));
            reply(d, DIALOG_DROP, NULL, 0);
        } else {
            log_event(L_WARN, "dialog.save_failed", "msisdn=%s",
                      log_msisdn(d->msisdn, m, sizeof m));
            reply_msg(d, MENU_MSG_UNAVAILABLE);
        }
    }
    maybe_free(d);
}

/* One queued SMS record (services/sms_record.h), into buf of SMS_RECORD_CAP octets;
 * NULL when a value is not valid UTF-8 (the SMS is left out). */
#define SMS_RECORD_CAP SMS_RECORD_MAX(SESSION_MSISDN_MAX, ENGINE_SMS_MAX, sizeof(((struct session *)0)->lang))
static char *sms_record(const struct dialog *d, const struct engine_sms *m, char *buf)
{
    return sms_record_encode(buf, SMS_RECORD_CAP, m->to, m->text, d->w->s.lang, (long long)time(NULL)) < 0
               ? NULL
               : buf;
}

/* The hash that counts new dialogs per local day (clock.h) by home screen:
 * "ussd:stats:dialogs:YYYY-MM-DD". Rebuilt only when the day changes. It expires
 * DIALOG_STATS_TTL_S after its day's first dialog (more than a year, what `ussdgw
 * export` offers): one EXPIRE per process and day, after the first save that counted
 * (see stats_expire), so a step costs no extra round trip. */
#define DIALOG_STATS_PREFIX "ussd:stats:dialogs:"
#define DIALOG_STATS_TTL_S (400L * 86400)
static char stats_key[sizeof DIALOG_STATS_PREFIX + 16] = DIALOG_STATS_PREFIX;
static long long stats_day = -1;         /* the local midnight that begins the day stats_key names */
static long long stats_until = -1;       /* ... and the next one */
static long long stats_expired_day = -1; /* the day whose key was given its expiry */

static const char *dialog_stats_key(void)
{
    time_t t = time(NULL);
    if (t >= stats_day && t < stats_until)
        return stats_key; /* the day's text is made once a day */
    stats_day = (long long)clock_midnight(t);
    stats_until = (long long)clock_midnight((time_t)stats_day + 36 * 3600); /* a day of 23 or 25 h too */
    clock_text(t, "%Y-%m-%d", stats_key + sizeof DIALOG_STATS_PREFIX - 1, 16);
    return stats_key;
}

static void on_stats_expire(void *arg, int status, const struct redisReply *rep)
{
    long long day = (long long)(intptr_t)arg;
    /* not set (Redis down, or the key was not there yet): the next count tries again */
    if ((status != STORE_OK || !rep || rep->type != REDIS_REPLY_INTEGER || rep->integer != 1) &&
        stats_expired_day == day)
        stats_expired_day = -1;
}

/* After a save that counted a dialog: give today's hash its expiry, once a day. */
static void stats_expire(struct store *store)
{
    if (stats_day < 0 || stats_expired_day == stats_day)
        return;
    stats_expired_day = stats_day;
    store_cmdf(store, on_stats_expire, (void *)(intptr_t)stats_day, "EXPIRE %s %ld", stats_key,
               DIALOG_STATS_TTL_S);
}

static void save(struct dialog *d)
{
    struct session *s = &d->w->s;
    struct engine_out *o = &d->w->out;
    const struct config *cfg = d->env->cfg;
    static char blob[SESSION_BLOB_MAX]; /* the loop is single-threaded; used during the call */
    s->version = d->loaded_version + 1;
    d->saved_version = s->version;
    if (d->has_mark) {
        /* the screen goes out right after this save: the time rule of resend.h counts
         * from here */
        d->mark.sent_ms = now_ms();
        resend_mark_format(&d->mark, s->last_step);
    }
    long len = session_encode(s, blob, sizeof blob);
    if (len < 0) {
        log_event(L_ERROR, "session.too_big", "screen=%s", s->screen);
        reply_msg(d, MENU_MSG_ERROR);
        maybe_free(d);
        return;
    }
    struct store_save req = {
        .sess_key = d->sess_key,
        .expect_version = d->loaded_version,
        .blob = blob,
        .blob_len = (size_t)len,
        .ttl_s = cfg->session_ttl_s,
    };
    /* What the next dial may resume: a dialog cut while waiting somewhere past its first
     * screen. A finished dialog leaves nothing to resume; an abort keeps the last one. */
    if (d->kind != DIALOG_ABORT && s->state != SESSION_RESUME_OFFER) {
        req.resume_key = d->resume_key;
        if (s->state == SESSION_ACTIVE && (s->n_hist > 0 || strcmp(s->screen, s->home) != 0)) {
            req.resume_blob = blob;
            req.resume_blob_len = (size_t)len;
            req.resume_ttl_s = cfg->session_ttl_s + cfg->resume_window_s;
        }
    }
    /* A dial's first step: one more dialog for today and its home screen, counted by
     * the save script itself (no extra round trip). */
    d->counted = d->kind == DIALOG_BEGIN && s->home[0];
    if (d->counted) {
        req.count_key = dialog_stats_key();
        req.count_field = s->home;
    }
    if (o->lang_chosen) {
        req.lang_key = d->lang_key;
        req.lang = s->lang;
        req.lang_ttl_s = cfg->lang_ttl_s;
    }
    static char sms[STORE_MAX_SMS][SMS_RECORD_CAP]; /* like blob: used during the call */
    int n_sms = 0;
    for (size_t i = 0; i < o->n_sms && n_sms < STORE_MAX_SMS; i++)
        if (sms_record(d, &o->sms[i], sms[n_sms])) {
            req.sms[n_sms] = sms[n_sms];
            n_sms++;
        }
    if (n_sms) {
        req.sms_queue_key = DIALOG_SMS_QUEUE;
        req.n_sms = n_sms;
    }
    /* Until on_saved the step needs only the screen to send and, should the save fail,
     * the language: the work area goes back to the pool once the request is made (the
     * store reads req's pointers, some into it, during the call only; on_saved may run
     * inside the call when the store is gone, and then finds all it needs in d). */
    size_t l = strnlen(o->text, sizeof d->reply - 1);
    memcpy(d->reply, o->text, l);
    d->reply[l] = 0;
    d->reply_end = o->end;
    memcpy(d->cur_lang, s->lang, sizeof d->cur_lang);
    memcpy(d->cur_screen, s->screen, sizeof d->cur_screen);
    struct work *w = d->w;
    d->w = NULL;
    d->store_pending = 1;
    store_session_save(d->env->store, &req, on_saved, d);
    work_put(w);
}

/* The version a stored blob carries, even when the rest is unreadable. */
static uint32_t blob_version(const struct store_blob *b)
{
    uint32_t v = 0;
    for (size_t i = 0; i < b->len && i < 10 && b->p[i] >= '0' && b->p[i] <= '9'; i++)
        v = v * 10 + (uint32_t)(b->p[i] - '0');
    return v;
}

_Static_assert(SESSION_STEP_MAX >= RESEND_MARK_MAX, "a resend mark fits session.last_step");

/* A resent input: applied once already. The screen it got again (unsaved: nothing
 * changed) over HTTP, which answers every request, and over SMPP when that screen went
 * out on another connection or not at all; else nothing. A stale copy (of an input
 * before the last) gets nothing: the phone has answered a later screen. */
static void on_resend(struct dialog *d, const struct step_mark *last, enum resend_verdict v,
                      enum resend_rule why)
{
    struct engine_out *o = &d->w->out;
    char m[32];
    int same_conn = last && d->sig.conn && d->sig.conn == last->conn;
    d->env->stats.resends++;
    if (LOG_DEBUG_ON())
        log_event(L_DEBUG, "dialog.resend", "msisdn=%s rule=%s screen=%s same_conn=%d undelivered=%d",
                  log_msisdn(d->msisdn, m, sizeof m), resend_rule_name(why), d->w->s.screen,
                  same_conn, d->undelivered);
    if (d->w->s.state == SESSION_ENDED || v == RESEND_STALE ||
        (!d->reshow_duplicates && same_conn && !d->undelivered)) {
        reply(d, DIALOG_DROP, NULL, 0);
        maybe_free(d);
        return;
    }
    engine_show(d->set, &d->ecfg, &d->w->s, o);
    if (o->status == ENGINE_DROP) {
        reply(d, DIALOG_DROP, NULL, 0);
        maybe_free(d);
        return;
    }
    if (d->undelivered) {
        /* shown now: a failure to send it this time marks it again (the reply's version) */
        const char *argv[] = {"DEL", d->undelivered_key};
        store_cmd(d->env->store, NULL, NULL, 2, argv, NULL);
    }
    d->saved_version = d->loaded_version;
    reply(d, DIALOG_SEND, o->text, o->end);
    maybe_free(d);
}

/* Judge the input against the session's mark (resend.h). Returns 1 when it was a
 * resend and has been dealt with; 0 when it is to be applied (its mark is then ready
 * for the save). */
static int judge(struct dialog *d, int have)
{
    struct step_mark last;
    int has_last = have && resend_mark_parse(d->w->s.last_step, &last) == 0;
    uint32_t text = resend_text_hash(d->text);
    enum resend_rule why = RESEND_RULE_NO_MARK;
    enum resend_verdict v = have ? resend_judge(has_last ? &last : NULL, text, &d->sig, d->undelivered,
                                                now_ms(), d->window_ms, &why)
                                 : RESEND_APPLY;
    if (v == RESEND_STALE && d->kind == DIALOG_BEGIN)
        v = RESEND_APPLY; /* a dial is never late: a new dialog on a reused session id */
    if (v != RESEND_APPLY) {
        on_resend(d, &last, v, why);
        return 1;
    }
    if (d->retried) {
        /* what won the compare-and-set was another input: this one came too late */
        char m[32];
        log_event(L_INFO, "dialog.conflict", "msisdn=%s", log_msisdn(d->msisdn, m, sizeof m));
        reply(d, DIALOG_DROP, NULL, 0);
        maybe_free(d);
        return 1;
    }
    resend_mark_make(&d->mark, has_last ? &last : NULL, text, &d->sig);
    d->has_mark = 1;
    return 0;
}

static void on_loaded(void *arg, int status, const struct store_blob *sess,
                      const struct store_blob *resume, const struct store_blob *lang,
                      const struct store_blob *aux)
{
    struct dialog *d = arg;
    char m[32];
    d->store_pending = 0;
    if (d->replied) {
        maybe_free(d);
        return;
    }
    if (status != STORE_OK) {
        log_event(L_WARN, "dialog.load_failed", "msisdn=%s", log_msisdn(d->msisdn, m, sizeof m));
        reply_msg(d, MENU_MSG_UNAVAILABLE);
        maybe_free(d);
        return;
    }
    if (!d->w) { /* (held already when called again below, for an aggregator's first step) */
        if (!(d->w = work_get())) {
            log_event(L_ERROR, "dialog.no_memory", "msisdn=%s", log_msisdn(d->msisdn, m, sizeof m));
            reply(d, DIALOG_DROP, NULL, 0);
            maybe_free(d);
            return;
        }
        session_init(&d->w->s, d->msisdn, "", d->cur_lang, d->set->version, 0);
    }
    struct engine_out *o = &d->w->out;
    int have = sess->p != NULL && session_decode(&d->w->s, sess->p, sess->len) == 0;
    d->loaded_version = sess->p ? blob_version(sess) : 0;
    d->undelivered = d->loaded_version && aux->p && blob_version(aux) == d->loaded_version;
    engine_out_init(o);
    if (d->has_sig && d->kind != DIALOG_ABORT && judge(d, have))
        return;

    if (d->kind == DIALOG_BEGIN) {
        /* the phone's cut dialog, when it has one: rare, so decoded on the heap */
        struct session *r = NULL;
        if (resume->p && (r = malloc(sizeof *r)) && session_decode(r, resume->p, resume->len) != 0) {
            free(r);
            r = NULL;
        }
        char lbuf[8] = "";
        if (d->lang[0])
            strbuf_cat(lbuf, sizeof lbuf, d->lang, (const char *)NULL);
        else if (lang->p && lang->len < sizeof lbuf) {
            memcpy(lbuf, lang->p, lang->len); /* "%.*s": up to a NUL */
            lbuf[lang->len] = 0;
        }
        d->w->s.version = d->loaded_version;
        engine_begin(d->set, &d->ecfg, &d->w->s, d->msisdn, d->text, lbuf[0] ? lbuf : NULL,
                     (uint32_t)time(NULL), NULL, r, o);
        free(r);
        strbuf_cat(d->chain, sizeof d->chain, o->chain, (const char *)NULL);
        d->chain_pos = 0;
        drive(d);
        return;
    }
    if (!have && d->kind == DIALOG_INPUT && d->dial_if_new[0]) {
        /* an aggregator's first request: the dial plus any answers typed into it */
        char dial[sizeof d->text + SESSION_MSISDN_MAX + 2];
        size_t dl = strlen(d->dial_if_new);
        if (d->text[0] && dl > 1 && d->dial_if_new[dl - 1] == '#')
            snprintf(dial, sizeof dial, "%.*s*%s#", (int)(dl - 1), d->dial_if_new, d->text);
        else
            snprintf(dial, sizeof dial, "%s", d->dial_if_new);
        session_clean(d->text, sizeof d->text, dial);
        d->kind = DIALOG_BEGIN;
        on_loaded(d, status, sess, resume, lang, aux);
        return;
    }
    if (!have) {
        if (d->kind == DIALOG_ABORT) {
            reply(d, DIALOG_DROP, NULL, 0);
        } else {
            /* expired or never known: nothing to go on from */
            log_event(L_INFO, "dialog.unknown_session", "msisdn=%s",
                      log_msisdn(d->msisdn, m, sizeof m));
            session_init(&d->w->s, d->msisdn, "", NULL, d->set->version, 0);
            reply_msg(d, MENU_MSG_EXPIRED);
        }
        maybe_free(d);
        return;
    }
    if (d->kind == DIALOG_ABORT) {
        if (d->w->s.state == SESSION_ENDED) {
            reply(d, DIALOG_DROP, NULL, 0);
            maybe_free(d);
            return;
        }
        d->w->s.state = SESSION_ENDED;
        save(d);
        return;
    }
    if (d->answers_all) {
        /* "1*Alice*2": the session has applied s.steps answers; what follows is new */
        const char *p = d->text;
        for (uint32_t i = 0; i < d->w->s.steps && p; i++) {
            p = strchr(p, '*');
            if (p)
                p++;
        }
        if (!p || (!*p && d->w->s.steps > 0)) {
            engine_show(d->set, &d->ecfg, &d->w->s, o); /* a retried request */
            if (o->status == ENGINE_DROP)
                reply(d, DIALOG_DROP, NULL, 0);
            else
                reply(d, DIALOG_SEND, o->text, o->end);
            maybe_free(d);
            return;
        }
        memmove(d->text, p, strlen(p) + 1);
    }
    engine_input(d->set, &d->ecfg, &d->w->s, d->text, NULL, o);
    if (o->status == ENGINE_DROP && d->reshow_duplicates && d->w->s.state != SESSION_ENDED) {
        engine_show(d->set, &d->ecfg, &d->w->s, o); /* nothing changed: nothing to save */
        reply(d, DIALOG_SEND, o->text, o->end);
        maybe_free(d);
        return;
    }
    drive(d);
}

/* A step refused before it began (busy, draining, no memory), answered from the loop:
 * never inside dialog_step (ARCHITECTURE.md, the callback rule). */
struct refusal {
    dialog_reply_fn cb;
    void *arg;
    enum dialog_result r;
    char text[ENGINE_TEXT_MAX];
};

static void refusal_fire(evutil_socket_t fd, short what, void *p)
{
    struct refusal *x = p;
    (void)fd;
    (void)what;
    x->cb(x->arg, x->r, x->r == DIALOG_SEND ? x->text : NULL, 1, 0);
    free(x);
}

static void refuse(struct dialog_env *env, dialog_reply_fn cb, void *arg, enum dialog_result r,
                   const char *text)
{
    static const struct timeval now = {0, 0};
    struct refusal *x = malloc(sizeof *x);
    if (x) {
        x->cb = cb;
        x->arg = arg;
        x->r = text ? r : DIALOG_DROP;
        strbuf_cat(x->text, sizeof x->text, text ? text : "", (const char *)NULL);
    }
    if (!x || event_base_once(env->base, -1, EV_TIMEOUT, refusal_fire, x, &now) != 0) {
        free(x);
        cb(arg, DIALOG_DROP, NULL, 0, 0); /* no memory left to wait with: the one exception */
    }
}

void dialog_step(struct dialog_env *env, const struct dialog_req *req, dialog_reply_fn cb,
                 void *arg)
{
    struct engine_out busy;
    struct session tmp;
    env->stats.steps++;
    if (env->inflight >= env->cfg->max_dialogs || (env->draining && req->kind == DIALOG_BEGIN)) {
        env->stats.busy++;
        session_init(&tmp, req->msisdn, "", req->lang, env->set->version, 0);
        engine_fail(env->set, req->ecfg, &tmp, env->draining ? MENU_MSG_UNAVAILABLE : MENU_MSG_BUSY, &busy);
        refuse(env, cb, arg, req->kind == DIALOG_ABORT ? DIALOG_DROP : DIALOG_SEND, busy.text);
        return;
    }
    /* not calloc: the reply buffer is set before it is read */
    struct dialog *d = dialog_alloc();
    if (d)
        memset(d, 0, offsetof(struct dialog, reply));
    if (!d) {
        refuse(env, cb, arg, DIALOG_DROP, NULL);
        return;
    }
    env->inflight++;
    d->env = env;
    d->set = env->set;
    d->cb = cb;
    d->arg = arg;
    d->kind = req->kind;
    d->ecfg = *req->ecfg;
    session_clean(d->msisdn, sizeof d->msisdn, req->msisdn);
    session_clean(d->text, sizeof d->text, req->text ? req->text : "");
    d->has_sig = req->sig != NULL;
    if (req->sig)
        d->sig = *req->sig;
    d->window_ms = req->resend_window_ms;
    session_clean(d->lang, sizeof d->lang, req->lang ? req->lang : "");
    session_clean(d->dial_if_new, sizeof d->dial_if_new, req->dial_if_new ? req->dial_if_new : "");
    d->answers_all = req->answers_all;
    d->reshow_duplicates = req->reshow_duplicates;
    strbuf_cat(d->sess_key, sizeof d->sess_key, DIALOG_KEY_PREFIX "s:", req->ingress, ":", d->msisdn, ":",
         req->sid ? req->sid : "", (const char *)NULL);
    strbuf_cat(d->undelivered_key, sizeof d->undelivered_key, DIALOG_KEY_PREFIX "u:", req->ingress, ":",
         d->msisdn, ":", req->sid ? req->sid : "", (const char *)NULL);
    strbuf_cat(d->resume_key, sizeof d->resume_key, DIALOG_KEY_PREFIX "r:", d->msisdn, (const char *)NULL);
    strbuf_cat(d->lang_key, sizeof d->lang_key, DIALOG_KEY_PREFIX "l:", d->msisdn, (const char *)NULL);
    /* the language a reply_msg before the load speaks (session_init cleans it the same) */
    session_clean(d->cur_lang, sizeof d->cur_lang, d->lang);

    /* the timer's memory stays with the dialog; it is assigned anew each step, so a
     * pooled dialog may serve another event base */
    if (event_assign(d->deadline_mem, env->base, -1, 0, on_deadline, d) == 0)
        d->deadline = d->deadline_mem;
    if (d->deadline) {
        int ms = env->cfg->step_timeout_ms;
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        /* every step has the same timeout: a libevent common timeout (a queue, found
         * again by its duration) instead of the timer heap */
        const struct timeval *common = event_base_init_common_timeout(env->base, &tv);
        evtimer_add(d->deadline, common ? common : &tv);
    }
    d->store_pending = 1;
    int begin = req->kind == DIALOG_BEGIN;
    store_session_load(env->store, d->sess_key, begin ? d->resume_key : NULL,
                       begin ? d->lang_key : NULL, d->has_sig ? d->undelivered_key : NULL, on_loaded, d);
}

void dialog_undelivered(struct dialog_env *env, const char *ingress, const char *msisdn,
                        const char *sid, uint32_t version)
{
    char key[256], ms[SESSION_MSISDN_MAX], m[32], ver[12], ttl[12];
    if (!version)
        return;
    session_clean(ms, sizeof ms, msisdn ? msisdn : "");
    strbuf_cat(key, sizeof key, DIALOG_KEY_PREFIX "u:", ingress, ":", ms, ":", sid ? sid : "",
         (const char *)NULL);
    utoa_(ver, version);
    utoa_(ttl, (unsigned)(env->cfg->session_ttl_s > 0 ? env->cfg->session_ttl_s : 1));
    env->stats.undelivered++;
    log_event(L_INFO, "dialog.undelivered", "msisdn=%s version=%s", log_msisdn(ms, m, sizeof m), ver);
    const char *argv[] = {"SET", key, ver, "EX", ttl};
    store_cmd(env->store, NULL, NULL, 5, argv, NULL);
}
