/*
 * permit.c: the building-permit handlers: applying on a parcel, following a permit by
 * its reference, and booking an inspection slot for an approved permit.
 *
 *   permit_quote        args type, category. ok with type_text ("New building,
 *                       House" in the request's language) and amount (the fee); error
 *                       for an unknown type or category.
 *   permit_apply        args upi, type, category. Submits the application (service
 *                       permit; kind construction for a new building or an extension,
 *                       renovation, occupancy; details upi, district, sector, works,
 *                       category): svc_submit's outcomes.
 *   permit              args ref (BPA, any spelling refs_parse reads, digits alone too).
 *                       ok with ref, status_text, when (last change), note (the last
 *                       history note, "" when it only repeats the status), bill,
 *                       amount and pay (a bill still to pay, else bill "") and slot
 *                       (the inspection booked, "" when none); mistyped (check digit:
 *                       refused before any lookup), format, not_permit (another
 *                       prefix, or not a permit), not_found, error. ref is always set.
 *   permit_inspectable  args ref. Can an inspection be booked? ok with ref, district;
 *                       booked (the same, and slot: the time already booked);
 *                       not_approved (status_text); no_slots (district); mistyped,
 *                       format, not_permit, not_found, error.
 *   inspection_slots    (a menu `source`) args district: the next free times, one per
 *                       start time, up to SLOTS_SHOWN: label "Tue 01/12 09:00", value
 *                       the slot id.
 *   inspection_book     args ref, slot, district. Books the slot atomically
 *                       (records_slot_book); when another phone was faster, another
 *                       inspector's slot at the same time if one is free. ok with slot
 *                       (the time in words) and district; taken (that time is gone, or
 *                       has passed); not_approved; error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "geo.h"
#include "log.h"
#include "records.h"
#include "records_apps.h"
#include "records_slots.h"
#include "refs.h"
#include "services.h"

#define SLOTS_SHOWN 12

static const struct svc_words permit_types[] = {
    {"new", "New building", "Inyubako nshya", "Nouvelle construction"},
    {"extension", "Extension", "Kwagura inyubako", "Extension"},
    {"renovation", "Renovation", "Kuvugurura inyubako", "Rénovation"},
    {"occupancy", "Occupancy permit", "Uruhushya rwo gukoresha", "Permis d'occuper"},
    {NULL, NULL, NULL, NULL},
};

static const struct svc_words categories[] = {
    {"house", "House", "Inzu yo guturamo", "Maison"},
    {"apartments", "Apartments", "Amazu y'amagorofa", "Immeuble d'habitation"},
    {"commercial", "Shop or office", "Iduka cyangwa ibiro", "Commerce ou bureaux"},
    {"industrial", "Factory or warehouse", "Uruganda cyangwa ububiko", "Usine ou magasin"},
    {"public", "School, clinic, church", "Ishuri, ivuriro, urusengero", "Ecole, clinique, église"},
    {NULL, NULL, NULL, NULL},
};

/* The records kind of a permit type, or NULL. */
static const char *permit_kind(const char *type)
{
    if (!type)
        return NULL;
    if (strcmp(type, "new") == 0 || strcmp(type, "extension") == 0)
        return "construction";
    if (strcmp(type, "renovation") == 0 || strcmp(type, "occupancy") == 0)
        return type;
    return NULL;
}

static int is_code(const struct svc_words *w, const char *code)
{
    for (size_t i = 0; code && w[i].code; i++)
        if (strcmp(w[i].code, code) == 0)
            return 1;
    return 0;
}

/* Day of the week of a civil date, 0 Monday .. 6 Sunday (Sakamoto's method). */
static int weekday(int y, int m, int d)
{
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3)
        y -= 1;
    int w = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7; /* 0 Sunday */
    return (w + 6) % 7;
}

/* "Tue 01/12 09:00" for slot id 202612010900-1, in the language; "" when malformed. */
static char *slot_words(const char *id, const char *lang, char *buf, size_t n)
{
    static const char *const en[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const fr[] = {"lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."};
    static const char *const rw[] = {"Kuwa mbere", "Kuwa kabiri", "Kuwa gatatu", "Kuwa kane",
                                     "Kuwa gatanu", "Kuwa gatandatu", "Ku cyumweru"};
    char label[24];
    records_slot_label(id, label, sizeof label);
    if (!label[0]) {
        snprintf(buf, n, "%s", "");
        return buf;
    }
    int y = (id[0] - '0') * 1000 + (id[1] - '0') * 100 + (id[2] - '0') * 10 + (id[3] - '0');
    int m = (id[4] - '0') * 10 + (id[5] - '0'), d = (id[6] - '0') * 10 + (id[7] - '0');
    if (m < 1 || m > 12 || d < 1 || d > 31) {
        snprintf(buf, n, "%s", label);
        return buf;
    }
    int w = weekday(y, m, d);
    const char *l = svc_lang(lang);
    snprintf(buf, n, "%s %s", l[0] == 'r' ? rw[w] : l[0] == 'f' ? fr[w] : en[w], label);
    return buf;
}

/* ---- permit_quote ---- */

static struct handler_call *quote_start(const struct svc_env *env,
                                        const struct handler_req *req, handler_done_fn done,
                                        void *arg)
{
    (void)env;
    const char *type = handler_arg(req, "type"), *cat = handler_arg(req, "category");
    const char *kind = permit_kind(type);
    if (!kind || !is_code(categories, cat)) {
        log_event(L_ERROR, "permit.quote_args", "hint=%s",
                  "give permit_quote type (new, extension, renovation, occupancy) and category");
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    char t[64], c[64], both[130], amount[32];
    svc_word(permit_types, type, req->lang, t, sizeof t);
    svc_word(categories, cat, req->lang, c, sizeof c);
    snprintf(both, sizeof both, "%s, %s", t, c);
    svc_amount(records_fee("permit", kind), req->lang, amount, sizeof amount);
    struct handler_kv set[] = {{"type_text", both}, {"amount", amount}};
    svc_done_now(done, arg, "ok", set, 2);
    return NULL;
}

const struct handler_def handler_permit_quote = {"permit_quote", 0, quote_start, NULL};

/* ---- permit_apply ---- */

static struct handler_call *apply_start(const struct svc_env *env,
                                        const struct handler_req *req, handler_done_fn done,
                                        void *arg)
{
    const char *upi = handler_arg(req, "upi"), *type = handler_arg(req, "type"),
               *cat = handler_arg(req, "category");
    const char *kind = permit_kind(type);
    struct geo_upi u;
    if (!kind || !is_code(categories, cat) || !upi || geo_upi_parse(upi, &u)) {
        log_event(L_ERROR, "permit.apply_args", "hint=%s",
                  "give permit_apply upi, type and category (codes)");
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    char canon[GEO_UPI_MAX];
    geo_upi_format(&u, canon, sizeof canon);
    struct handler_kv details[] = {
        {"upi", canon},   {"district", u.d->name}, {"sector", u.sector_name},
        {"works", type},  {"category", cat},
    };
    return svc_submit(env, req, "permit", kind, details, sizeof details / sizeof details[0], done,
                      arg);
}

const struct handler_def handler_permit_apply = {"permit_apply", 0, apply_start, svc_cancel};

/* ---- permit, permit_inspectable ---- */

struct permit_call {
    struct svc_call c;
    struct svc_env env;
    int inspect; /* permit_inspectable */
    char ref[REFS_MAX + 8];
    char district[32];
    char slot[32];
};

/* The typed reference as a BPA one: NULL with the canonical in out, or the outcome. */
static const char *permit_ref(const char *typed, char *out, size_t n)
{
    const char *why = refs_parse(typed ? typed : "", "BPA", out, n);
    if (!why)
        return NULL;
    if (strcmp(why, "check") == 0)
        return "mistyped";
    if (strcmp(why, "prefix") == 0)
        return "not_permit";
    return "format";
}

static void on_inspect_slots(void *arg, int status, const char *why, const struct rec_slot *s,
                             size_t n)
{
    struct permit_call *pc = arg;
    (void)s;
    if (svc_call_gone(pc))
        return;
    struct handler_kv set[] = {{"ref", pc->ref}, {"district", pc->district}, {"slot", pc->slot}};
    if (status != REC_OK) {
        log_event(L_WARN, "permit.slots_failed", "ref=%s why=%s", pc->ref, why ? why : "?");
        svc_finish(pc, "error", set, 1);
        return;
    }
    const char *outcome = pc->slot[0] ? "booked" : n ? "ok" : "no_slots";
    svc_finish(pc, outcome, set, 3);
}

static void on_permit(void *arg, int status, const char *why, const struct rec_app *a)
{
    struct permit_call *pc = arg;
    if (svc_call_gone(pc))
        return;
    struct handler_kv ref[] = {{"ref", pc->ref}};
    if (status != REC_OK) {
        if (status == REC_ERR)
            log_event(L_WARN, "permit.get_failed", "ref=%s why=%s", pc->ref, why ? why : "?");
        svc_finish(pc, status == REC_ERR ? "error" : "not_found", ref, 1);
        return;
    }
    if (strcmp(a->service, "permit") != 0) {
        svc_finish(pc, "not_permit", ref, 1);
        return;
    }
    const char *l = pc->c.lang;
    char st[48], slot[40] = "";
    svc_word(svc_status_words, a->status, l, st, sizeof st);
    if (a->slot[0])
        slot_words(a->slot, l, slot, sizeof slot);
    if (pc->inspect) {
        if (strcmp(a->status, "approved") != 0 && strcmp(a->status, "paid") != 0) {
            struct handler_kv set[] = {{"ref", pc->ref}, {"status_text", st}};
            svc_finish(pc, "not_approved", set, 2);
            return;
        }
        snprintf(pc->district, sizeof pc->district, "%s", records_app_detail(a, "district"));
        snprintf(pc->slot, sizeof pc->slot, "%s", slot);
        if (!geo_district_by_name(pc->district)) {
            log_event(L_WARN, "permit.no_district", "ref=%s", pc->ref);
            svc_finish(pc, "error", ref, 1);
            return;
        }
        svc_continued(pc, records_slots_free(&pc->env, pc->district, 1, on_inspect_slots, pc));
        return;
    }
    /* the last note, unless it only repeats the status */
    const char *note = "";
    if (a->n_hist) {
        const struct rec_hist *h = &a->hist[a->n_hist - 1];
        if (strcmp(h->note, h->status) != 0)
            note = h->note;
    }
    char amount[32] = "0";
    const char *bill = "", *pay = "";
    if (a->bill && strcmp(a->bill->status, "unpaid") == 0 && a->bill->amount > 0) {
        bill = a->bill->number;
        pay = a->bill->pay_code;
        svc_amount(a->bill->amount, l, amount, sizeof amount);
    }
    char day[REC_TIME_MAX];
    snprintf(day, sizeof day, "%.10s", a->updated);
    struct handler_kv set[] = {
        {"ref", a->ref},   {"status_text", st}, {"when", day},        {"note", note},
        {"bill", bill},    {"amount", amount},  {"pay", pay},         {"slot", slot},
    };
    svc_finish(pc, "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *permit_get_start(const struct svc_env *env,
                                             const struct handler_req *req,
                                             handler_done_fn done, void *arg, int inspect)
{
    const char *typed = handler_arg(req, "ref");
    char ref[REFS_MAX];
    const char *bad = permit_ref(typed, ref, sizeof ref);
    if (bad) {
        char shown[REFS_MAX + 8];
        snprintf(shown, sizeof shown, "%s", typed ? typed : "");
        struct handler_kv set[] = {{"ref", shown}};
        svc_done_now(done, arg, bad, set, 1);
        return NULL;
    }
    struct permit_call *pc = svc_call_new(sizeof *pc, req, done, arg);
    if (!pc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    pc->env = *env;
    pc->inspect = inspect;
    snprintf(pc->ref, sizeof pc->ref, "%s", ref);
    return svc_started(pc, records_app_get(env, ref, on_permit, pc));
}

static struct handler_call *permit_start(const struct svc_env *env,
                                         const struct handler_req *req, handler_done_fn done,
                                         void *arg)
{
    return permit_get_start(env, req, done, arg, 0);
}

static struct handler_call *inspectable_start(const struct svc_env *env,
                                              const struct handler_req *req,
                                              handler_done_fn done, void *arg)
{
    return permit_get_start(env, req, done, arg, 1);
}

const struct handler_def handler_permit = {"permit", 0, permit_start, svc_cancel};
const struct handler_def handler_permit_inspectable = {"permit_inspectable", 0,
                                                       inspectable_start, svc_cancel};

/* ---- inspection_slots ---- */

static void on_slots(void *arg, int status, const char *why, const struct rec_slot *s, size_t n)
{
    struct svc_call *c = arg;
    if (svc_call_gone(c))
        return;
    if (status != REC_OK) {
        log_event(status == REC_ERR ? L_WARN : L_ERROR, "permit.slots_failed", "why=%s",
                  why ? why : "?");
        svc_finish(c, "error", NULL, 0);
        return;
    }
    char labels[SLOTS_SHOWN][40];
    struct handler_item items[SLOTS_SHOWN];
    size_t k = 0;
    for (size_t i = 0; i < n && k < SLOTS_SHOWN; i++) {
        slot_words(s[i].id, c->lang, labels[k], sizeof labels[k]);
        if (!labels[k][0])
            continue;
        items[k] = (struct handler_item){labels[k], s[i].id};
        k++;
    }
    if (k == 0) {
        /* taken meanwhile: a menu `source` that is not ok ends with its message */
        const char *l = c->lang;
        struct handler_result r = {
            .outcome = "none",
            .message = l[0] == 'r'   ? "Nta gihe cy'igenzura gisigaye mu byumweru 4 biri imbere. "
                                       "Hamagara ibiro by'akarere."
                       : l[0] == 'f' ? "Plus aucun créneau d'inspection libre dans les 4 semaines. "
                                       "Appelez le bureau du district."
                                     : "No inspection time is free in the next 4 weeks. Please "
                                       "call the district office.",
        };
        c->done(c->arg, &r);
        free(c);
        return;
    }
    struct handler_result r = {.outcome = "ok", .items = items, .n_items = k};
    c->done(c->arg, &r);
    free(c);
}

static struct handler_call *slots_start(const struct svc_env *env,
                                        const struct handler_req *req, handler_done_fn done,
                                        void *arg)
{
    const char *district = handler_arg(req, "district");
    struct svc_call *c = svc_call_new(sizeof *c, req, done, arg);
    if (!c) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    return svc_started(c, records_slots_free(env, district ? district : "", SLOTS_SHOWN, on_slots, c));
}

const struct handler_def handler_inspection_slots = {"inspection_slots", 1, slots_start,
                                                     svc_cancel};

/* ---- inspection_book ---- */

/* A slot taken meanwhile is often one of several inspectors at the same time: the
 * booking then takes another inspector's slot at that time (one more try), so that the
 * time the resident chose is kept whenever it can be. */
struct book_call {
    struct svc_call c;
    struct svc_env env;
    int retried;
    char msisdn[32];
    char ref[REFS_MAX + 8];
    char slot[24];
    char district[32];
};

static void on_book(void *arg, int status, const char *why, const struct rec_booking *b);

/* Ask records to book bc->slot, on behalf of the resident. */
static int book(struct book_call *bc)
{
    struct svc_ctx ctx = svc_resident(&bc->env, bc->msisdn);
    return records_slot_book(&ctx, bc->ref, bc->slot, on_book, bc);
}

static void on_same_time(void *arg, int status, const char *why, const struct rec_slot *s,
                         size_t n)
{
    struct book_call *bc = arg;
    if (svc_call_gone(bc))
        return;
    for (size_t i = 0; status == REC_OK && i < n; i++)
        if (strncmp(s[i].id, bc->slot, 12) == 0 && strcmp(s[i].id, bc->slot) != 0) {
            snprintf(bc->slot, sizeof bc->slot, "%s", s[i].id);
            svc_continued(bc, book(bc));
            return;
        }
    if (status == REC_ERR)
        log_event(L_WARN, "permit.slots_failed", "why=%s", why ? why : "?");
    svc_finish(bc, "taken", NULL, 0);
}

static void on_book(void *arg, int status, const char *why, const struct rec_booking *b)
{
    struct book_call *bc = arg;
    if (svc_call_gone(bc))
        return;
    if (status == REC_REFUSED && why && strcmp(why, "slot_taken") == 0 && !bc->retried &&
        geo_district_by_name(bc->district)) {
        bc->retried = 1;
        svc_continued(bc, records_slots_free(&bc->env, bc->district, REC_LIST_MAX, on_same_time, bc));
        return;
    }
    if (status != REC_OK) {
        const char *outcome = "error";
        if (status == REC_REFUSED && why &&
            (strcmp(why, "slot_taken") == 0 || strcmp(why, "past") == 0))
            outcome = "taken";
        else if (status == REC_REFUSED && why && strcmp(why, "status") == 0)
            outcome = "not_approved";
        log_event(status == REC_ERR ? L_WARN : L_INFO, "permit.book_refused", "why=%s outcome=%s",
                  why ? why : "?", outcome);
        svc_finish(bc, outcome, NULL, 0);
        return;
    }
    char slot[40];
    slot_words(b->slot, bc->c.lang, slot, sizeof slot);
    log_event(L_INFO, "permit.booked", "ref=%s slot=%s same=%d previous=%s", b->ref, b->slot,
              b->same, b->previous[0] ? b->previous : "-");
    struct handler_kv set[] = {{"ref", b->ref}, {"slot", slot}, {"district", b->district}};
    svc_finish(bc, "ok", set, 3);
}

static struct handler_call *book_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    const char *ref = handler_arg(req, "ref"), *slot = handler_arg(req, "slot"),
               *district = handler_arg(req, "district");
    struct book_call *bc = svc_call_new(sizeof *bc, req, done, arg);
    if (!bc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    bc->env = *env;
    snprintf(bc->msisdn, sizeof bc->msisdn, "%s", req->msisdn ? req->msisdn : "");
    snprintf(bc->ref, sizeof bc->ref, "%s", ref ? ref : "");
    snprintf(bc->slot, sizeof bc->slot, "%s", slot ? slot : "");
    snprintf(bc->district, sizeof bc->district, "%s", district ? district : "");
    return svc_started(bc, book(bc));
}

const struct handler_def handler_inspection_book = {"inspection_book", 0, book_start, svc_cancel};
