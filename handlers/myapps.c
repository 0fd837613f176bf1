/*
 * myapps.c: "My applications" (the phone's applications, newest first, and one
 * application's history), and what every service handler shares (services.h): the
 * call record, amounts and national IDs in words, and the submission step.
 *
 * Handlers:
 *   my_apps_count  outcome ok when the phone has applications, else none; error.
 *   my_apps        (a menu `source`) the phone's applications, newest first, up to
 *                  HANDLER_MAX_ITEMS: label "LND-26-000012-3 under review", value the
 *                  reference; error.
 *   app_history    args ref: ok with ref, type_text (the kind in words), status_text
 *                  and h1..h5 (the latest history entries, oldest first, then the
 *                  inspection booked and the bill to pay, each line at most 60
 *                  characters); mistyped, not_found, error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "log.h"
#include "records.h"
#include "records_apps.h"
#include "records_bills.h"
#include "records_create.h"
#include "refs.h"
#include "services.h"

#define SVC_LINE 61    /* a template inserts 60 characters of a value */
#define SVC_IDEM_MAX 120 /* records_app_create's limit on an idempotency key */

/* ---- the call record ---- */

void *svc_call_new(size_t size, const struct handler_req *req, handler_done_fn done, void *arg)
{
    struct svc_call *c = calloc(1, size);
    if (!c)
        return NULL;
    c->done = done;
    c->arg = arg;
    snprintf(c->lang, sizeof c->lang, "%s", svc_lang(req ? req->lang : NULL));
    return c;
}

int svc_call_gone(void *call)
{
    struct svc_call *c = call;
    if (!c->cancelled)
        return 0;
    free(c);
    return 1;
}

void svc_finish(void *call, const char *outcome, const struct handler_kv *set, size_t n_set)
{
    struct svc_call *c = call;
    struct handler_result r = {.outcome = outcome, .set = set, .n_set = n_set};
    c->done(c->arg, &r);
    free(c);
}

void svc_done_now(handler_done_fn done, void *arg, const char *outcome,
                  const struct handler_kv *set, size_t n_set)
{
    struct handler_result r = {.outcome = outcome, .set = set, .n_set = n_set};
    done(arg, &r);
}

void svc_cancel(struct handler_call *call)
{
    /* the records callback always comes: it frees the call */
    ((struct svc_call *)call)->cancelled = 1;
}

struct handler_call *svc_started(void *call, int rc)
{
    struct svc_call *c = call;
    if (rc == 0)
        return call;
    svc_done_now(c->done, c->arg, "error", NULL, 0);
    free(c);
    return NULL;
}

void svc_continued(void *call, int rc)
{
    if (rc != 0)
        svc_finish(call, "error", NULL, 0);
}

/* ---- words ---- */

char *svc_amount(long v, const char *lang, char *buf, size_t n)
{
    return records_amount(v, strcmp(svc_lang(lang), "fr") == 0, buf, n);
}

const char *svc_id(const char *typed, char *out, size_t n)
{
    return refs_id_parse(typed, out, n);
}

char *svc_id_reason(const char *why, const char *cleaned, const char *lang, char *buf, size_t n)
{
    const char *l = svc_lang(lang);
    int rw = l[0] == 'r', fr = l[0] == 'f';
    size_t len = cleaned ? strlen(cleaned) : 0;
    if (!why)
        why = "";
    if (strcmp(why, "length") == 0 && len > 1 && len < 100)
        snprintf(buf, n,
                 rw   ? "Iyo nimero ifite imibare %zu aho kuba 16."
                 : fr ? "Ce numéro a %zu chiffres au lieu de 16."
                      : "That number has %zu digits, not 16.",
                 len);
    else if (strcmp(why, "length") == 0 || strcmp(why, "digits") == 0)
        snprintf(buf, n, "%s",
                 rw   ? "Indangamuntu igira imibare 16 gusa."
                 : fr ? "Le numéro d'identité a 16 chiffres, sans lettres."
                      : "A national ID has 16 digits and no letters.");
    else if (strcmp(why, "category") == 0)
        snprintf(buf, n, "%s",
                 rw   ? "Indangamuntu itangirwa na 1, 2 cyangwa 3."
                 : fr ? "Un numéro d'identité commence par 1, 2 ou 3."
                      : "A national ID starts with 1, 2 or 3.");
    else if (strcmp(why, "year") == 0)
        snprintf(buf, n, "%s",
                 rw   ? "Umwaka w'amavuko (imibare 2-5) si wo."
                 : fr ? "L'année de naissance (chiffres 2 à 5) est impossible."
                      : "The year of birth (digits 2 to 5) is not possible.");
    else
        snprintf(buf, n, "%s",
                 rw   ? "Umubare wa 6 w'indangamuntu ni 7 cyangwa 8."
                 : fr ? "Le 6e chiffre d'un numéro d'identité est 7 ou 8."
                      : "The 6th digit of a national ID is 7 or 8.");
    return buf;
}

char *svc_day(const char *at, char *buf, size_t n)
{
    /* "YYYY-MM-DD..." */
    if (at && strlen(at) >= 10 && at[4] == '-' && at[7] == '-')
        snprintf(buf, n, "%.2s/%.2s/%.4s", at + 8, at + 5, at);
    else
        snprintf(buf, n, "%s", at ? at : "");
    return buf;
}

/* ---- submissions ---- */

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

char *svc_idem_key(const char *step_key, char *out, size_t n)
{
    if (strlen(step_key) <= SVC_IDEM_MAX) {
        snprintf(out, n, "%s", step_key);
        return out;
    }
    snprintf(out, n, "h:%016llx%016llx", (unsigned long long)fnv1a(step_key, 14695981039346656037ULL),
             (unsigned long long)fnv1a(step_key, 0x9e3779b97f4a7c15ULL));
    return out;
}

struct submit_call {
    struct svc_call c;
    struct svc_env env;
    char ref[REFS_MAX];
    char bill[REFS_MAX];
    char pay[48];
    long amount;
};

static void submit_done(struct submit_call *s, const char *expires)
{
    char amount[32];
    svc_amount(s->bill[0] ? s->amount : 0, s->c.lang, amount, sizeof amount);
    struct handler_kv set[] = {
        {"ref", s->ref},
        {"bill", s->bill},
        {"amount", amount},
        {"pay", s->bill[0] ? s->pay : ""},
        {"expires", s->bill[0] ? expires : ""},
    };
    svc_finish(s, "ok", set, sizeof set / sizeof set[0]);
}

static void on_submit_bill(void *arg, int status, const char *why, const struct rec_bill *b)
{
    struct submit_call *s = arg;
    if (svc_call_gone(s))
        return;
    if (status == REC_OK && b && b->expires[0]) {
        submit_done(s, b->expires);
        return;
    }
    /* the application exists: say so even when its bill cannot be read now, with the
     * expiry records give a new bill (30 days) */
    char exp[REC_TIME_MAX];
    log_event(L_WARN, "services.bill_unread", "ref=%s bill=%s why=%s", s->ref, s->bill,
              why ? why : "?");
    time_t now = (time_t)(svc_now_ms(&s->env) / 1000);
    submit_done(s, records_time(now + 30 * 86400, 1, exp, sizeof exp));
}

static void on_submit_created(void *arg, int status, const char *why,
                              const struct rec_app_created *cr)
{
    struct submit_call *s = arg;
    if (svc_call_gone(s))
        return;
    if (status != REC_OK) {
        const char *outcome = "error";
        if (status == REC_REFUSED && why && strcmp(why, "name_taken") == 0)
            outcome = "taken";
        else if (status == REC_REFUSED && why && strcmp(why, "name_pending") == 0)
            outcome = "pending";
        else if (status == REC_INVALID)
            outcome = "invalid";
        log_event(status == REC_ERR ? L_WARN : L_INFO, "services.submit_refused",
                  "status=%d why=%s outcome=%s", status, why ? why : "?", outcome);
        struct handler_kv set[] = {{"note", why ? why : ""}};
        svc_finish(s, outcome, set, status == REC_INVALID ? 1 : 0);
        return;
    }
    snprintf(s->ref, sizeof s->ref, "%s", cr->ref);
    snprintf(s->bill, sizeof s->bill, "%s", cr->bill);
    snprintf(s->pay, sizeof s->pay, "%s", cr->pay_code);
    s->amount = cr->amount;
    log_event(L_INFO, "services.submitted", "ref=%s bill=%s existing=%d", s->ref,
              s->bill[0] ? s->bill : "-", cr->existing);
    if (!s->bill[0]) {
        submit_done(s, "");
        return;
    }
    svc_continued(s, records_bill_get(&s->env, s->bill, on_submit_bill, s));
}

struct handler_call *svc_submit(const struct svc_env *env, const struct handler_req *req,
                                const char *service, const char *kind,
                                const struct handler_kv *details, size_t n_details,
                                handler_done_fn done, void *arg)
{
    if (!req->step_key || !req->step_key[0] || !req->msisdn) {
        log_event(L_ERROR, "services.no_step_key", "service=%s kind=%s", service, kind);
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    struct submit_call *s = svc_call_new(sizeof *s, req, done, arg);
    if (!s) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    s->env = *env;
    char idem[SVC_IDEM_MAX + 1];
    svc_idem_key(req->step_key, idem, sizeof idem);
    struct rec_app_new app = {
        .service = service,
        .kind = kind,
        .msisdn = req->msisdn,
        .idem_key = idem,
        .amount = -1,
        .details = details,
        .n_details = n_details,
        .channel = "ussd",
    };
    struct svc_ctx ctx = svc_resident(env, req->msisdn);
    return svc_started(s, records_app_create(&ctx, &app, on_submit_created, s));
}

/* ---- my_apps_count, my_apps ---- */

struct apps_call {
    struct svc_call c;
    int count_only;
};

static void on_apps(void *arg, int status, const char *why, const struct rec_app_summary *a,
                    size_t n)
{
    struct apps_call *ac = arg;
    if (svc_call_gone(ac))
        return;
    if (status == REC_INVALID) {
        /* a number records do not take (not 6 to 15 digits) has no applications */
        svc_finish(ac, ac->count_only ? "none" : "ok", NULL, 0);
        return;
    }
    if (status != REC_OK) {
        log_event(L_WARN, "my_apps.failed", "why=%s", why ? why : "?");
        svc_finish(ac, "error", NULL, 0);
        return;
    }
    if (ac->count_only) {
        svc_finish(ac, n ? "ok" : "none", NULL, 0);
        return;
    }
    char labels[HANDLER_MAX_ITEMS][SVC_LINE + 20];
    struct handler_item items[HANDLER_MAX_ITEMS];
    size_t k = 0;
    for (size_t i = 0; i < n && k < HANDLER_MAX_ITEMS; i++) {
        char st[48];
        svc_word(svc_status_words, a[i].status, ac->c.lang, st, sizeof st);
        snprintf(labels[k], sizeof labels[k], "%s %s", a[i].ref, st);
        items[k] = (struct handler_item){labels[k], a[i].ref};
        k++;
    }
    struct handler_result r = {.outcome = "ok", .items = items, .n_items = k};
    ac->c.done(ac->c.arg, &r);
    free(ac);
}

static struct handler_call *apps_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg, int count_only)
{
    struct apps_call *ac = svc_call_new(sizeof *ac, req, done, arg);
    if (!ac) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    ac->count_only = count_only;
    return svc_started(ac, records_apps_of(env, req->msisdn ? req->msisdn : "",
                                           count_only ? 1 : HANDLER_MAX_ITEMS, on_apps, ac));
}

static struct handler_call *my_apps_count_start(const struct svc_env *env,
                                                const struct handler_req *req,
                                                handler_done_fn done, void *arg)
{
    return apps_start(env, req, done, arg, 1);
}

static struct handler_call *my_apps_start(const struct svc_env *env,
                                          const struct handler_req *req, handler_done_fn done,
                                          void *arg)
{
    return apps_start(env, req, done, arg, 0);
}

const struct handler_def handler_my_apps_count = {"my_apps_count", 0, my_apps_count_start,
                                                  svc_cancel};
const struct handler_def handler_my_apps = {"my_apps", 1, my_apps_start, svc_cancel};

/* ---- app_history ---- */

#define HIST_LINES 5

struct hist_call {
    struct svc_call c;
    char ref[REFS_MAX];
};

/* text cut to fit SVC_LINE - 1 characters (UTF-8 aware), ending with "..." when cut */
static void line_fit(char *s, size_t cap)
{
    size_t max = SVC_LINE - 1, chars = 0, i = 0, cut3 = 0;
    if (cap < 4)
        return;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue; /* a continuation byte */
        if (chars == max - 3)
            cut3 = i;
        if (++chars > max) {
            snprintf(s + cut3, cap - cut3, "...");
            return;
        }
    }
}

static void on_hist(void *arg, int status, const char *why, const struct rec_app *a)
{
    struct hist_call *h = arg;
    if (svc_call_gone(h))
        return;
    if (status != REC_OK) {
        const char *outcome = status == REC_NOT_FOUND          ? "not_found"
                              : status == REC_INVALID && why && strcmp(why, "check") == 0 ? "mistyped"
                              : status == REC_INVALID          ? "not_found"
                                                               : "error";
        if (status == REC_ERR)
            log_event(L_WARN, "app_history.failed", "ref=%s why=%s", h->ref, why ? why : "?");
        struct handler_kv set[] = {{"ref", h->ref}};
        svc_finish(h, outcome, set, 1);
        return;
    }
    const char *l = h->c.lang;
    int rw = l[0] == 'r', fr = l[0] == 'f';
    /* every candidate line: the history, the inspection, the bill to pay */
    /* room for a whole line before line_fit cuts it by characters: a cut by snprintf
     * could split a UTF-8 character */
    char lines[REC_MAX_HIST + 2][4 * SVC_LINE + REC_VALUE_MAX];
    size_t n = 0;
    for (size_t i = 0; i < a->n_hist; i++) {
        char day[16], st[48];
        const struct rec_hist *e = &a->hist[i];
        svc_day(e->at, day, sizeof day);
        svc_word(svc_status_words, e->status, l, st, sizeof st);
        /* a note that only repeats the status says nothing */
        if (e->note[0] && strcmp(e->note, e->status) != 0)
            snprintf(lines[n], sizeof lines[n], fr ? "%s %s : %s" : "%s %s: %s", day, st, e->note);
        else
            snprintf(lines[n], sizeof lines[n], "%s %s", day, st);
        line_fit(lines[n], sizeof lines[n]);
        n++;
    }
    if (a->slot[0]) {
        char label[24];
        records_slot_label(a->slot, label, sizeof label);
        snprintf(lines[n], sizeof lines[n],
                 rw ? "Igenzura: %s" : fr ? "Inspection : %s" : "Inspection: %s", label);
        n++;
    }
    if (a->bill && strcmp(a->bill->status, "unpaid") == 0 && a->bill->amount > 0 &&
        (strcmp(a->status, "approved") == 0 || strcmp(a->status, "submitted") == 0 ||
         strcmp(a->status, "in_review") == 0)) {
        char amt[32];
        svc_amount(a->bill->amount, l, amt, sizeof amt);
        snprintf(lines[n], sizeof lines[n],
                 rw   ? "Ishyura %s RWF: kanda %s"
                 : fr ? "Payer %s RWF : composez %s"
                      : "Pay %s RWF: dial %s",
                 amt, a->bill->pay_code);
        line_fit(lines[n], sizeof lines[n]);
        n++;
    }
    size_t first = n > HIST_LINES ? n - HIST_LINES : 0;
    char kind[64], st[48];
    svc_word(svc_kind_words, a->kind, l, kind, sizeof kind);
    svc_word(svc_status_words, a->status, l, st, sizeof st);
    struct handler_kv set[3 + HIST_LINES];
    static const char *const hk[HIST_LINES] = {"h1", "h2", "h3", "h4", "h5"};
    size_t k = 0;
    set[k++] = (struct handler_kv){"ref", a->ref};
    set[k++] = (struct handler_kv){"type_text", kind};
    set[k++] = (struct handler_kv){"status_text", st};
    for (size_t i = 0; i < HIST_LINES; i++)
        set[k++] = (struct handler_kv){hk[i], first + i < n ? lines[first + i] : ""};
    svc_finish(h, "ok", set, k);
}

static struct handler_call *app_history_start(const struct svc_env *env,
                                              const struct handler_req *req,
                                              handler_done_fn done, void *arg)
{
    const char *ref = handler_arg(req, "ref");
    struct hist_call *h = svc_call_new(sizeof *h, req, done, arg);
    if (!h) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    snprintf(h->ref, sizeof h->ref, "%s", ref ? ref : "");
    return svc_started(h, records_app_get(env, ref ? ref : "", on_hist, h));
}

const struct handler_def handler_app_history = {"app_history", 0, app_history_start, svc_cancel};
