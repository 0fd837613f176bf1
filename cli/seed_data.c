/*
 * seed_data.c: the demo data set, record by record; see seed_data.h. The applications'
 * part is in seed_apps.c.
 */
#include "seed_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "seed_data_int.h"

const char *const seed_states[SEED_N_ST] = {"submitted", "in_review", "approved",
                                            "rejected",  "paid",      "completed"};

const char *const seed_land_uses[6] = {"residential", "agricultural", "commercial",
                                       "industrial",  "mixed",        "forest"};

const int seed_slot_hours[SEED_SLOT_TIMES] = {9, 11, 14, 16};

const struct geo_district *seed_district(size_t i)
{
    size_t n;
    return &geo_districts(&n)[i];
}

void seed_day(time_t t, char *buf, size_t n)
{
    records_time(t, 1, buf, n);
}

static size_t scaled(double scale, size_t full, size_t min)
{
    size_t n = (size_t)llround((double)full * scale);
    return n < min ? min : n;
}

struct seed_data *seed_data_new(double scale, time_t week)
{
    struct seed_data *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    struct seed_summary *s = &d->sum;
    s->scale = scale;
    d->week = week;
    seed_day(week, s->week, sizeof s->week);
    s->n_parcels = scaled(scale, 50000, 100);
    s->n_biz = scaled(scale, 10000, 50);
    s->n_apps = scaled(scale, 6000, 36);
    s->n_persons = s->n_parcels * 3 / 5 + s->n_biz / 5;
    d->names_cap = (s->n_biz + s->n_apps) * 4 + 64;
    d->persons = calloc(s->n_persons, sizeof *d->persons);
    d->parcels = calloc(s->n_parcels, sizeof *d->parcels);
    d->biz = calloc(s->n_biz, sizeof *d->biz);
    d->order = calloc(s->n_parcels > s->n_biz ? s->n_parcels : s->n_biz, sizeof *d->order);
    d->start = calloc(s->n_persons + 1, sizeof *d->start);
    d->phone_seen = calloc(s->n_persons, 1);
    d->booked = calloc(GEO_N_DISTRICTS * SEED_SLOTS_PER_DISTRICT, 1);
    d->names = calloc(d->names_cap, sizeof *d->names);
    if (!d->persons || !d->parcels || !d->biz || !d->order || !d->start || !d->phone_seen ||
        !d->booked || !d->names) {
        seed_data_free(d);
        return NULL;
    }
    d->next_regno = 100000000;
    seed_people(d->persons, s->n_persons);
    return d;
}

void seed_data_free(struct seed_data *d)
{
    if (!d)
        return;
    free(d->persons);
    free(d->parcels);
    free(d->biz);
    free(d->order);
    free(d->start);
    free(d->phone_seen);
    free(d->booked);
    free(d->names);
    free(d->members);
    free(d->member_ptrs);
    free(d);
}

const struct seed_summary *seed_data_summary(struct seed_data *d)
{
    size_t n = 0;
    const uint8_t *bk = d->booked + d->permit_di * SEED_SLOTS_PER_DISTRICT;
    for (uint32_t x = 0; x < SEED_SLOTS_PER_DISTRICT; x++)
        n += x / (SEED_SLOT_TIMES * SEED_SLOT_INSPECTORS) % 7 < 5 && !bk[x];
    d->sum.permit_free_slots = n;
    return &d->sum;
}

/* ---- parcels ---- */

/* District weights for where parcels and businesses are: Kigali's three lead. */
size_t seed_pick_district(struct seed_rng *r)
{
    static const uint8_t w[GEO_N_DISTRICTS] = {6, 9, 7, 3, 3, 3, 4, 3, 3, 4, 4, 3, 3, 5, 3,
                                               3, 4, 3, 3, 3, 5, 3, 4, 4, 4, 4, 3, 3, 4, 4};
    uint32_t total = 0;
    for (size_t i = 0; i < GEO_N_DISTRICTS; i++)
        total += w[i];
    uint32_t x = seed_rn(r, total);
    for (size_t i = 0; i < GEO_N_DISTRICTS; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return 0;
}

void seed_parcel_upi(const struct seed_parcel *p, char *buf, size_t n)
{
    const struct geo_district *d = seed_district(p->district);
    snprintf(buf, n, "%d/%02d/%02d/%02u/%u", d->province, d->num, p->sector, p->cell, p->number);
}

/* Where parcel p is, what it is used for, how big it is and whose it is. */
static void parcel_draw(struct seed_data *d, struct seed_parcel *p)
{
    struct seed_rng *r = &d->rng;
    p->district = (uint8_t)seed_pick_district(r);
    const struct geo_district *g = seed_district(p->district);
    p->sector = (uint8_t)(1 + seed_rn(r, (uint32_t)g->n_sectors));
    p->cell = (uint8_t)(1 + seed_rn(r, 3 + (p->sector * 7 + g->code) % 6));
    uint32_t *c = &d->parcel_counter[p->district][p->sector][p->cell];
    *c += 1 + seed_rn(r, 4);
    p->number = *c;
    int kigali = g->province == 1;
    uint32_t u = seed_rn(r, 100);
    p->use = kigali ? (u < 70 ? 0 : u < 78 ? 1 : u < 90 ? 2 : u < 94 ? 3 : u < 99 ? 4 : 5)
                    : (u < 45 ? 0 : u < 88 ? 1 : u < 94 ? 2 : u < 96 ? 3 : u < 98 ? 4 : 5);
    static const uint32_t lo[] = {250, 800, 200, 1500, 300, 2000},
                          span[] = {900, 15000, 1500, 20000, 1200, 30000};
    p->area = lo[p->use] + seed_rn(r, span[p->use]);
    p->owner = seed_rn(r, (uint32_t)d->sum.n_persons);
}

/* The land tax of p this year: RWF per m2 by use and place; agricultural land under
 * 2 ha pays none; 35% have paid. */
static long parcel_tax(struct seed_data *d, const struct seed_parcel *p)
{
    static const int rate_kigali[] = {50, 0, 80, 20, 60, 0}, rate_other[] = {30, 0, 40, 20, 30, 0};
    int kigali = seed_district(p->district)->province == 1;
    long tax = (long)p->area * (kigali ? rate_kigali[p->use] : rate_other[p->use]);
    if (p->use == 1 && p->area > 20000)
        tax = (long)(p->area - 20000) * 5;
    tax = tax / 100 * 100;
    if (seed_rn(&d->rng, 100) < 35)
        tax = 0; /* paid this year */
    return tax;
}

const struct rec_parcel *seed_data_parcel(struct seed_data *d, size_t i)
{
    if (i == 0) {
        seed_rng_init(&d->rng, 2);
        memset(d->parcel_counter, 0, sizeof d->parcel_counter);
    }
    struct seed_parcel *p = &d->parcels[i];
    struct parcel_out *o = &d->parcel_out;
    parcel_draw(d, p);
    long tax = parcel_tax(d, p);
    const struct geo_district *g = seed_district(p->district);
    const struct seed_person *owner = &d->persons[p->owner];
    seed_parcel_upi(p, o->upi, sizeof o->upi);
    seed_person_name(owner, o->name, sizeof o->name);
    seed_person_id(owner, o->id, sizeof o->id);
    snprintf(o->prov, sizeof o->prov, "%d", g->province);
    char yyyy[REC_TIME_MAX];
    seed_day(d->week, yyyy, sizeof yyyy);
    snprintf(o->due, sizeof o->due, "%.4s-12-31", yyyy);
    o->p = (struct rec_parcel){o->upi,  o->prov,   g->name, g->sectors[p->sector - 1],
                               p->cell, p->area,   seed_land_uses[p->use],
                               o->name, o->id,     tax,     o->due};
    struct seed_summary *s = &d->sum;
    if (!s->parcel[0] && g->code == 12 && tax > 0) {
        snprintf(s->parcel, sizeof s->parcel, "%s", o->upi);
        snprintf(s->parcel_owner, sizeof s->parcel_owner, "%s", o->name);
        snprintf(s->parcel_id, sizeof s->parcel_id, "%s", o->id);
        seed_person_phone(owner, s->parcel_phone, sizeof s->parcel_phone);
    }
    return &o->p;
}

/* ---- owners ---- */

/* order[] = indices of items grouped by owner; start[p]..start[p+1] are p's. */
static void group_by_owner(struct seed_data *d, int parcels)
{
    size_t n = parcels ? d->sum.n_parcels : d->sum.n_biz, np = d->sum.n_persons;
    memset(d->start, 0, (np + 1) * sizeof d->start[0]);
    for (size_t i = 0; i < n; i++)
        d->start[(parcels ? d->parcels[i].owner : d->biz[i].owner) + 1]++;
    for (size_t p = 0; p < np; p++)
        d->start[p + 1] += d->start[p];
    uint32_t *fill = calloc(np, sizeof *fill);
    for (size_t i = 0; i < n && fill; i++) {
        uint32_t o = parcels ? d->parcels[i].owner : d->biz[i].owner;
        d->order[d->start[o] + fill[o]++] = (uint32_t)i;
    }
    free(fill);
}

/* Room for n members in d->members; 0, or -1 when memory is short. */
static int members_room(struct seed_data *d, size_t n)
{
    if (n <= d->members_cap)
        return 0;
    char(*m)[SEED_ID_BUF] = realloc(d->members, n * sizeof *m);
    if (m)
        d->members = m;
    const char **p = m ? realloc(d->member_ptrs, n * sizeof *p) : NULL;
    if (p)
        d->member_ptrs = p;
    if (!m || !p)
        return -1;
    d->members_cap = n;
    return 0;
}

size_t seed_data_owned(struct seed_data *d, size_t i, int parcels, char *id, size_t id_n,
                       const char *const **members)
{
    if (i == 0)
        group_by_owner(d, parcels);
    uint32_t a = d->start[i], b = d->start[i + 1];
    *members = NULL;
    seed_person_id(&d->persons[i], id, id_n);
    if (a == b || members_room(d, b - a) != 0)
        return 0;
    const char **ptrs = d->member_ptrs;
    for (uint32_t k = a; k < b; k++) {
        char *m = d->members[k - a];
        if (parcels)
            seed_parcel_upi(&d->parcels[d->order[k]], m, SEED_ID_BUF);
        else
            snprintf(m, SEED_ID_BUF, "%u", d->biz[d->order[k]].regno);
        ptrs[k - a] = m;
    }
    if (parcels)
        d->sum.n_owners++;
    *members = (const char *const *)d->member_ptrs;
    return b - a;
}

/* ---- businesses ---- */

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

/* Add the key of name to the set; 0 when it was there already. */
static int name_add(struct seed_data *d, const char *name)
{
    char key[REFS_NAME_MAX];
    refs_name_key(name, key, sizeof key);
    uint64_t h = fnv(key);
    size_t i = (size_t)(h % d->names_cap);
    while (d->names[i]) {
        if (d->names[i] == h)
            return 0;
        i = (i + 1) % d->names_cap;
    }
    d->names[i] = h;
    d->names_n++;
    return 1;
}

void seed_unique_name(struct seed_data *d, char *out, size_t n, const char **type)
{
    for (int attempt = 0;; attempt++) {
        seed_biz_name(&d->rng, d->persons, d->sum.n_persons, attempt, out, n, type);
        if (name_add(d, out))
            return;
    }
}

/* The business to try: the first company's, and the same name as people type it. */
static void biz_try(struct seed_summary *s, const struct seed_biz *b, const char *regno)
{
    if (s->biz[0] || !strstr(b->name, " Ltd"))
        return;
    snprintf(s->biz, sizeof s->biz, "%s", b->name);
    snprintf(s->biz_regno, sizeof s->biz_regno, "%s", regno);
    /* lower case, "Limited" */
    refs_name_norm(b->name, s->biz_alike, sizeof s->biz_alike);
    char *ltd = strstr(s->biz_alike, " ltd");
    if (ltd)
        snprintf(ltd, sizeof s->biz_alike - (size_t)(ltd - s->biz_alike), " limited");
}

const struct rec_business *seed_data_business(struct seed_data *d, size_t i)
{
    if (i == 0)
        seed_rng_init(&d->rng, 3);
    struct seed_rng *r = &d->rng;
    struct seed_biz *b = &d->biz[i];
    struct biz_out *o = &d->biz_out;
    const char *type;
    seed_unique_name(d, b->name, sizeof b->name, &type);
    b->owner = seed_rn(r, (uint32_t)d->sum.n_persons);
    b->district = (uint8_t)seed_pick_district(r);
    d->next_regno += 1 + seed_rn(r, 97);
    b->regno = d->next_regno;
    const struct seed_person *owner = &d->persons[b->owner];
    snprintf(o->regno, sizeof o->regno, "%u", b->regno);
    seed_person_name(owner, o->oname, sizeof o->oname);
    seed_person_id(owner, o->oid, sizeof o->oid);
    seed_day(d->week - (time_t)(30 + seed_rn(r, 3650)) * 86400, o->registered,
             sizeof o->registered);
    seed_day(d->week + ((time_t)seed_rn(r, 455) - 90) * 86400, o->expiry, sizeof o->expiry);
    o->b = (struct rec_business){o->regno, b->name, type, o->oid, o->oname,
                                 seed_district(b->district)->name, o->registered, o->expiry};
    biz_try(&d->sum, b, o->regno);
    return &o->b;
}

/* ---- inspection slots ---- */

void seed_slot_id(struct seed_data *d, uint32_t x, char *id, size_t n, time_t *start)
{
    uint32_t dayi = x / (SEED_SLOT_TIMES * SEED_SLOT_INSPECTORS);
    int hour = seed_slot_hours[x / SEED_SLOT_INSPECTORS % SEED_SLOT_TIMES];
    *start = d->week + (time_t)dayi * 86400 + hour * 3600;
    char ymd[REC_TIME_MAX];
    records_time(*start, 0, ymd, sizeof ymd);
    snprintf(id, n, "%.4s%.2s%.2s%02d00-%u", ymd, ymd + 5, ymd + 8, hour,
             x % SEED_SLOT_INSPECTORS + 1);
}

size_t seed_data_slots(struct seed_data *d, size_t i, const struct rec_slot **slots)
{
    const uint8_t *bk = d->booked + i * SEED_SLOTS_PER_DISTRICT;
    struct slots_out *o = &d->slots_out;
    size_t n = 0;
    for (uint32_t x = 0; x < SEED_SLOTS_PER_DISTRICT; x++) {
        uint32_t dayi = x / (SEED_SLOT_TIMES * SEED_SLOT_INSPECTORS);
        if (dayi % 7 >= 5)
            continue; /* no inspections at the weekend */
        d->sum.n_slots++;
        if (bk[x])
            continue;
        time_t start;
        seed_slot_id(d, x, o->id[n], sizeof o->id[n], &start);
        o->s[n] = (struct rec_slot){o->id[n], start, ""};
        n++;
    }
    *slots = o->s;
    return n;
}
