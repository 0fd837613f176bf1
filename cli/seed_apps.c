/*
 * seed_apps.c: the seed's applications (seed_data_app, seed_data.h): a service, kind and
 * status, who applies and about what, the history up to that status, the bill, a booked
 * inspection; each a function of the applications' PRNG stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed_data_int.h"

/* An application being made. */
struct app_gen {
    size_t i;
    int svc, st;
    const char *service, *kind, *channel, *district;
    long fee;
    const struct seed_person *who;
    struct step {
        time_t at;
        int st;
        const char *note;
    } steps[5];
    int ns;
};

static const char *const reject_notes[] = {
    "documents incomplete",
    "parcel under dispute",
    "name too close to a registered business",
    "plans do not meet the district master plan",
    "applicant ID does not match the owner",
};

/* Service, status and kind: the first 18 cover every service in every status. */
static void app_kind(struct seed_data *d, struct app_gen *g)
{
    struct seed_rng *r = &d->rng;
    if (g->i < 18) {
        g->svc = (int)(g->i % 3);
        g->st = (int)(g->i / 3 % SEED_N_ST);
    } else {
        uint32_t a = seed_rn(r, 100), b = seed_rn(r, 100);
        g->svc = a < 45 ? 0 : a < 70 ? 1 : 2;
        g->st = b < 20   ? SEED_SUBMITTED
                : b < 38 ? SEED_IN_REVIEW
                : b < 52 ? SEED_APPROVED
                : b < 62 ? SEED_REJECTED
                : b < 74 ? SEED_PAID
                         : SEED_COMPLETED;
    }
    static const char *const services[] = {"land", "business", "permit"};
    g->service = services[g->svc];
    uint32_t k = seed_rn(r, 100);
    if (g->svc == 0)
        g->kind = k < 40 ? "transfer" : k < 65 ? "title_copy" : k < 85 ? "subdivision" : "land_use_change";
    else if (g->svc == 1)
        g->kind = k < 50 ? "register" : "trading_licence";
    else
        g->kind = k < 60 ? "construction" : k < 85 ? "renovation" : "occupancy";
    /* a registration has no fee, so it is never paid: those are licences */
    if (g->svc == 1 && g->st == SEED_PAID)
        g->kind = "trading_licence";
    g->fee = records_fee(g->service, g->kind);
}

/* A land or permit application: about one of the parcels, by its owner. */
static size_t about_parcel(struct seed_data *d, struct app_gen *g, struct app_out *o)
{
    struct seed_rng *r = &d->rng;
    size_t nd = 0;
    const struct seed_parcel *p = &d->parcels[seed_rn(r, (uint32_t)d->sum.n_parcels)];
    const struct geo_district *dd = seed_district(p->district);
    g->who = &d->persons[p->owner];
    g->district = dd->name;
    seed_parcel_upi(p, o->upi, sizeof o->upi);
    o->det[nd++] = (struct handler_kv){"upi", o->upi};
    o->det[nd++] = (struct handler_kv){"district", dd->name};
    o->det[nd++] = (struct handler_kv){"sector", dd->sectors[p->sector - 1]};
    if (strcmp(g->kind, "transfer") == 0) {
        const struct seed_person *buyer = &d->persons[seed_rn(r, (uint32_t)d->sum.n_persons)];
        seed_person_id(buyer, o->bid, sizeof o->bid);
        seed_person_name(buyer, o->bname, sizeof o->bname);
        o->det[nd++] = (struct handler_kv){"buyer_id", o->bid};
        o->det[nd++] = (struct handler_kv){"buyer_name", o->bname};
    } else if (strcmp(g->kind, "subdivision") == 0) {
        snprintf(o->parts, sizeof o->parts, "%u", 2 + seed_rn(r, 3));
        o->det[nd++] = (struct handler_kv){"parts", o->parts};
    } else if (strcmp(g->kind, "land_use_change") == 0) {
        o->det[nd++] = (struct handler_kv){"new_use", seed_land_uses[seed_rn(r, 3)]};
    } else if (strcmp(g->kind, "construction") == 0) {
        snprintf(o->floors, sizeof o->floors, "%u", 1 + seed_rn(r, 4));
        snprintf(o->built, sizeof o->built, "%u", 80 + seed_rn(r, 600));
        o->det[nd++] = (struct handler_kv){"use", seed_land_uses[seed_rn(r, 3) == 2 ? 2 : 0]};
        o->det[nd++] = (struct handler_kv){"floors", o->floors};
        o->det[nd++] = (struct handler_kv){"built_m2", o->built};
    }
    return nd;
}

/* A business application: a new name reserved while a registration is undecided, else
 * one of the registered businesses (a completed registration is one of them). */
static size_t about_business(struct seed_data *d, struct app_gen *g, struct app_out *o)
{
    struct seed_rng *r = &d->rng;
    size_t nd = 0;
    const struct seed_biz *b = &d->biz[seed_rn(r, (uint32_t)d->sum.n_biz)];
    snprintf(o->regno, sizeof o->regno, "%u", b->regno);
    o->s.name = NULL;
    if (strcmp(g->kind, "register") == 0 && g->st != SEED_COMPLETED) {
        const char *type;
        g->who = &d->persons[seed_rn(r, (uint32_t)d->sum.n_persons)];
        g->district = seed_district(seed_pick_district(r))->name;
        seed_unique_name(d, o->newname, sizeof o->newname, &type);
        o->s.name = o->newname;
        o->det[nd++] = (struct handler_kv){"name", o->newname};
        o->det[nd++] = (struct handler_kv){"type", type};
    } else {
        g->who = &d->persons[b->owner];
        g->district = seed_district(b->district)->name;
        o->det[nd++] = (struct handler_kv){"name", b->name};
        o->det[nd++] = (struct handler_kv){"regno", o->regno};
    }
    seed_person_id(g->who, o->oid, sizeof o->oid);
    seed_person_name(g->who, o->oname, sizeof o->oname);
    o->det[nd++] = (struct handler_kv){"district", g->district};
    o->det[nd++] = (struct handler_kv){"owner_id", o->oid};
    o->det[nd++] = (struct handler_kv){"owner_name", o->oname};
    return nd;
}

/* The steps after submission that lead to g->st. */
static void app_steps(struct seed_data *d, struct app_gen *g, time_t t)
{
    struct seed_rng *r = &d->rng;
    struct step *steps = g->steps;
    int ns = g->ns, st = g->st, svc = g->svc;
    if (st == SEED_REJECTED && seed_rn(r, 3) == 0) {
        steps[ns++] = (struct step){t += (time_t)(1 + seed_rn(r, 3)) * 86400 + seed_rn(r, 20000),
                                    SEED_REJECTED, SEED_PICK(r, reject_notes)};
        g->ns = ns;
        return;
    }
    steps[ns++] =
        (struct step){t += (time_t)(1 + seed_rn(r, 3)) * 86400 + seed_rn(r, 20000), SEED_IN_REVIEW,
                      svc == 0   ? "assigned to the district land officer"
                      : svc == 1 ? "assigned to the registrar"
                                 : "assigned to the one stop centre"};
    if (st == SEED_REJECTED)
        steps[ns++] = (struct step){t += (time_t)(2 + seed_rn(r, 6)) * 86400 + seed_rn(r, 20000),
                                    SEED_REJECTED, SEED_PICK(r, reject_notes)};
    else if (st != SEED_IN_REVIEW)
        steps[ns++] = (struct step){t += (time_t)(2 + seed_rn(r, 6)) * 86400 + seed_rn(r, 20000),
                                    SEED_APPROVED, "approved"};
    if ((st == SEED_PAID || st == SEED_COMPLETED) && g->fee > 0)
        steps[ns++] = (struct step){t += (time_t)(1 + seed_rn(r, 4)) * 86400 + seed_rn(r, 20000),
                                    SEED_PAID, "paid by mobile money"};
    if (st == SEED_COMPLETED)
        steps[ns++] = (struct step){
            t += (time_t)(1 + seed_rn(r, 8)) * 86400 + seed_rn(r, 20000), SEED_COMPLETED,
            svc == 0 ? "certificate issued"
            : svc == 1
                ? (strcmp(g->kind, "register") == 0 ? "business registered" : "licence issued")
                : "permit issued"};
    g->ns = ns;
}

/* The timeline: each step a few days after the previous one, ending before the week. */
static void app_timeline(struct seed_data *d, struct app_gen *g)
{
    struct seed_rng *r = &d->rng;
    time_t t = d->week - (time_t)(3 + seed_rn(r, 70)) * 86400 + (time_t)(7 * 3600 + seed_rn(r, 9 * 3600));
    static const char *const channels[] = {"ussd", "ussd", "ussd", "agent", "web"};
    g->channel = SEED_PICK(r, channels);
    g->ns = 0;
    g->steps[g->ns++] = (struct step){t, SEED_SUBMITTED,
                                      strcmp(g->channel, "agent") == 0 ? "submitted at the sector office"
                                                                       : "submitted"};
    if (g->st != SEED_SUBMITTED)
        app_steps(d, g, t);
    time_t last = g->steps[g->ns - 1].at, limit = d->week - 3600;
    if (last > limit)
        for (int k = 0; k < g->ns; k++)
            g->steps[k].at -= last - limit;
}

/* The bill of an application with a fee: the seed's range of numbers. */
static void app_bill(struct seed_data *d, const struct app_gen *g, struct app_out *o, int yy)
{
    o->s.app.bill = NULL;
    if (g->fee <= 0)
        return;
    struct rec_bill *b = &o->bill;
    refs_make(o->bill_no, sizeof o->bill_no, "BIL", yy, REC_SEED_SEQ_MIN + 1 + (long)d->bill_seq++);
    char digits[12];
    snprintf(digits, sizeof digits, "%.2s%.6s%c", o->bill_no + 4, o->bill_no + 7, o->bill_no[14]);
    snprintf(o->pay, sizeof o->pay, REC_MOMO_PAY, digits);
    time_t exp = g->steps[0].at + 30 * 86400;
    if (g->st == SEED_APPROVED && exp < d->week + 14 * 86400)
        exp = d->week + 14 * 86400;
    seed_day(exp, o->bexp, sizeof o->bexp);
    records_time(g->steps[0].at, 0, o->bcreated, sizeof o->bcreated);
    o->paid_at[0] = 0;
    const char *status = "unpaid";
    if (g->st == SEED_PAID || g->st == SEED_COMPLETED) {
        status = "paid";
        for (int k = 0; k < g->ns; k++)
            if (g->steps[k].st == SEED_PAID)
                records_time(g->steps[k].at, 0, o->paid_at, sizeof o->paid_at);
    } else if (g->st == SEED_REJECTED)
        status = "cancelled";
    *b = (struct rec_bill){o->bill_no, o->ref, g->fee, status, o->bcreated, o->bexp, o->paid_at,
                           o->pay};
    o->s.app.bill = b;
    d->sum.n_bills++;
    if (strcmp(status, "unpaid") == 0)
        d->sum.n_unpaid++;
}

/* A paid building permit often has its inspection booked already. */
static void app_slot(struct seed_data *d, const struct app_gen *g, struct app_out *o)
{
    struct seed_rng *r = &d->rng;
    o->slot[0] = 0;
    o->s.slot_at = 0;
    if (g->svc != 2 || g->st != SEED_PAID || seed_rn(r, 2) != 0)
        return;
    const struct geo_district *dd = geo_district_by_name(g->district);
    size_t di = (size_t)(dd - seed_district(0));
    uint8_t *bk = d->booked + di * SEED_SLOTS_PER_DISTRICT;
    for (int tries = 0; tries < 50; tries++) {
        uint32_t x = (uint32_t)(SEED_SLOT_TIMES * SEED_SLOT_INSPECTORS * 7) +
                     seed_rn(r, SEED_SLOTS_PER_DISTRICT - SEED_SLOT_TIMES * SEED_SLOT_INSPECTORS * 7);
        uint32_t dayi = x / (SEED_SLOT_TIMES * SEED_SLOT_INSPECTORS);
        if (dayi % 7 >= 5 || bk[x])
            continue;
        bk[x] = 1;
        d->sum.n_booked++;
        time_t start;
        seed_slot_id(d, x, o->slot, sizeof o->slot, &start);
        o->s.slot_at = (long long)start;
        return;
    }
}

/* The history: the steps, and the booking of an inspection. */
static void app_history(const struct app_gen *g, struct app_out *o)
{
    size_t nh = 0;
    for (int k = 0; k < g->ns; k++, nh++) {
        records_time(g->steps[k].at, 0, o->hist_at[nh], sizeof o->hist_at[nh]);
        o->hist[nh] = (struct rec_hist){o->hist_at[nh], seed_states[g->steps[k].st], g->steps[k].note};
    }
    if (o->slot[0]) {
        char label[24];
        records_time(g->steps[g->ns - 1].at + 600, 0, o->hist_at[nh], sizeof o->hist_at[nh]);
        snprintf(o->slot_note, sizeof o->slot_note, "inspection booked for %s",
                 records_slot_label(o->slot, label, sizeof label));
        o->hist[nh] = (struct rec_hist){o->hist_at[nh], "paid", o->slot_note};
        nh++;
    }
    o->s.app.hist = o->hist;
    o->s.app.n_hist = nh;
}

/* The records to try: one application per status (of the service that status picks
 * first, when there is one), and an approved building permit. */
static void app_try(struct seed_data *d, const struct app_gen *g, const struct app_out *o)
{
    struct seed_summary *s = &d->sum;
    int st = g->st, svc = g->svc;
    s->st_count[st]++;
    if (o->s.name && st != SEED_REJECTED)
        s->n_pending++;
    if (!s->app[st][0] ||
        (svc == st % 3 && strcmp(s->app_service[st], g->service) != 0 && !d->try_fixed[st])) {
        d->try_fixed[st] = svc == st % 3;
        snprintf(s->app[st], sizeof s->app[st], "%s", o->ref);
        snprintf(s->app_phone[st], sizeof s->app_phone[st], "%s", o->phone);
        snprintf(s->app_service[st], sizeof s->app_service[st], "%s", g->service);
    }
    if (!s->permit[0] && svc == 2 && st == SEED_APPROVED) {
        snprintf(s->permit, sizeof s->permit, "%s", o->ref);
        snprintf(s->permit_district, sizeof s->permit_district, "%s", g->district);
        d->permit_di = (size_t)(geo_district_by_name(g->district) - seed_district(0));
    }
}

const struct rec_seed_app *seed_data_app(struct seed_data *d, size_t i)
{
    if (i == 0)
        seed_rng_init(&d->rng, 4);
    struct app_gen g = {.i = i};
    struct app_out *o = &d->app_out;
    app_kind(d, &g);
    size_t nd = g.svc != 1 ? about_parcel(d, &g, o) : about_business(d, &g, o);
    if (g.svc != 1)
        o->s.name = NULL;
    app_timeline(d, &g);
    /* the reference: the seed's range of sequence numbers, the year of submission */
    records_time(g.steps[0].at, 0, o->created, sizeof o->created);
    records_time(g.steps[g.ns - 1].at, 0, o->updated, sizeof o->updated);
    int yy = atoi(o->created + 2);
    refs_make(o->ref, sizeof o->ref, refs_prefix(g.service), yy, REC_SEED_SEQ_MIN + 1 + (long)i);
    app_bill(d, &g, o, yy);
    app_slot(d, &g, o);
    app_history(&g, o);
    seed_person_phone(g.who, o->phone, sizeof o->phone);
    snprintf(o->slot_district, sizeof o->slot_district, "%s", o->slot[0] ? g.district : "");
    struct rec_app *a = &o->s.app;
    *a = (struct rec_app){o->ref,   g.service,      g.kind,     seed_states[g.st], o->phone,
                          o->created, o->updated,   g.channel,  o->det,            nd,
                          a->hist,  a->n_hist,      a->bill,    o->slot,           o->slot_district};
    o->s.submitted_at = (long long)g.steps[0].at;
    size_t pi = (size_t)(g.who - d->persons);
    o->s.phone_lang = d->phone_seen[pi] ? NULL : seed_person_lang(g.who);
    d->phone_seen[pi] = 1;
    app_try(d, &g, o);
    return &o->s;
}
