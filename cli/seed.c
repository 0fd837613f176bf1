/*
 * seed.c: `ussdgw seed [--scale N] [--today DATE]`: the deterministic demo data set
 * (cli/seed_data.h generates it, services/records_seed.h writes it), written with at
 * most REC_CLI_INFLIGHT writes waiting, generating records as replies come back.
 * Everything it writes is a function of a fixed PRNG seed, the scale and the week, and
 * every key it fills is first deleted (or written whole), so a second run leaves the
 * same data.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "geo.h"
#include "records_cli.h"
#include "seed_data.h"
#include "seed_gen.h"

enum phase { PH_GEO, PH_PARCELS, PH_OWNERS, PH_BIZ, PH_BIZ_OWNERS, PH_APPS, PH_SLOTS, PH_META,
             PH_DONE };

struct seed_run {
    struct seed_data *d;
    struct rec_seed *w;
    enum phase phase;
    size_t i;
    int finished;
    int status;            /* of the last wait: REC_OK, or REC_ERR after a failed write */
    char first_error[200]; /* the first failure's */
};

static void next_phase(struct seed_run *s, size_t n, enum phase next)
{
    if (++s->i < n)
        return;
    s->phase = next;
    s->i = 0;
}

static void write_owned(struct seed_run *s, int parcels)
{
    char id[SEED_ID_BUF];
    const char *const *members;
    size_t n = seed_data_owned(s->d, s->i, parcels, id, sizeof id, &members);
    records_seed_owned(s->w, id, parcels ? "parcels" : "biz", members, n);
}

static void write_meta(struct seed_run *s)
{
    const struct seed_summary *m = seed_data_summary(s->d);
    char scale[32], parcels[16], biz[16], apps[16], slots[16];
    snprintf(scale, sizeof scale, "%g", m->scale);
    snprintf(parcels, sizeof parcels, "%zu", m->n_parcels);
    snprintf(biz, sizeof biz, "%zu", m->n_biz);
    snprintf(apps, sizeof apps, "%zu", m->n_apps);
    snprintf(slots, sizeof slots, "%zu", m->n_slots);
    const struct handler_kv f[] = {
        {"scale", scale},       {"week", m->week},         {"prng", "20260101"},
        {"parcels", parcels},   {"businesses", biz},       {"applications", apps},
        {"slots", slots},
    };
    records_seed_meta(s->w, f, sizeof f / sizeof f[0]);
}

/* Generate and write the next record of the current phase. */
static void seed_step(struct seed_run *s)
{
    const struct seed_summary *m = seed_data_summary(s->d);
    switch (s->phase) {
    case PH_GEO:
        records_seed_geo(s->w, s->i);
        next_phase(s, GEO_N_DISTRICTS, PH_PARCELS);
        break;
    case PH_PARCELS:
        records_seed_parcel(s->w, seed_data_parcel(s->d, s->i));
        next_phase(s, m->n_parcels, PH_OWNERS);
        break;
    case PH_OWNERS:
        write_owned(s, 1);
        next_phase(s, m->n_persons, PH_BIZ);
        break;
    case PH_BIZ:
        records_seed_business(s->w, seed_data_business(s->d, s->i));
        next_phase(s, m->n_biz, PH_BIZ_OWNERS);
        break;
    case PH_BIZ_OWNERS:
        write_owned(s, 0);
        next_phase(s, m->n_persons, PH_APPS);
        break;
    case PH_APPS:
        records_seed_app(s->w, seed_data_app(s->d, s->i));
        next_phase(s, m->n_apps, PH_SLOTS);
        break;
    case PH_SLOTS: {
        const struct rec_slot *sl;
        size_t n = seed_data_slots(s->d, s->i, &sl);
        size_t nd;
        records_seed_slots(s->w, geo_districts(&nd)[s->i].name, sl, n);
        next_phase(s, GEO_N_DISTRICTS, PH_META);
        break;
    }
    case PH_META:
        write_meta(s);
        s->phase = PH_DONE;
        break;
    case PH_DONE: break;
    }
}

static void on_written(void *arg, int status, const char *first_error)
{
    struct seed_run *s = arg;
    s->status = status;
    snprintf(s->first_error, sizeof s->first_error, "%s", first_error);
    s->finished = 1;
}

static void on_room(void *arg, int status, const char *first_error);

/* Write while there is room, then wait for more (or, at the end, for every reply). */
static void seed_pump(struct seed_run *s)
{
    while (records_seed_room(s->w) && s->phase != PH_DONE)
        seed_step(s);
    if (s->phase == PH_DONE)
        records_seed_wait(s->w, 1, on_written, s);
    else
        records_seed_wait(s->w, 0, on_room, s);
}

static void on_room(void *arg, int status, const char *first_error)
{
    struct seed_run *s = arg;
    (void)first_error;
    if (status != REC_OK)
        records_seed_wait(s->w, 1, on_written, s); /* a write failed: the rest come back */
    else
        seed_pump(s);
}

/* Monday 00:00 local time (clock.h) of the week holding `today` (YYYY-MM-DD, or NULL:
 * now). */
static int week_of(const char *today, time_t *out)
{
    time_t t;
    if (today) {
        int y, m, d;
        char extra;
        if (sscanf(today, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || y < 2000 || y > 2099)
            return -1;
        long long v = clock_from_local(y, m, d, 0, 0, 0);
        if (v < 0)
            return -1;
        t = (time_t)v;
    } else {
        t = clock_midnight(time(NULL));
    }
    struct tm w;
    clock_local(t, &w);
    int back = (w.tm_wday + 6) % 7;
    /* midday, then its midnight: right on a day of 23 or 25 hours too */
    *out = clock_midnight(t - (time_t)back * 86400 + 12 * 3600);
    return 0;
}

static void print_seed(struct seed_run *s, const char *addr, double secs)
{
    const struct seed_summary *m = seed_data_summary(s->d);
    printf("seeded %s in %.1f s (%zu commands, at most %d in flight): scale %g, week of %s, "
           "PRNG seed %llu\n",
           addr, secs, records_seed_sent(s->w), REC_CLI_INFLIGHT, m->scale, m->week,
           (unsigned long long)SEED_PRNG);
    printf("  %d districts, %zu sectors\n", GEO_N_DISTRICTS, geo_n_sectors());
    printf("  %zu parcels (%zu owners)\n", m->n_parcels, m->n_owners);
    printf("  %zu businesses (%zu names reserved by pending registrations)\n", m->n_biz,
           m->n_pending);
    printf("  %zu applications:", m->n_apps);
    for (int k = 0; k < SEED_N_ST; k++)
        printf(" %s %zu%s", seed_states[k], m->st_count[k], k + 1 < SEED_N_ST ? "," : "\n");
    printf("  %zu bills (%zu unpaid)\n", m->n_bills, m->n_unpaid);
    printf("  %zu inspection slots in the 4 weeks from %s, %zu free\n", m->n_slots, m->week,
           m->n_slots - m->n_booked);
    printf("records to try:\n");
    printf("  parcel        %s  owner %s, ID %s, phone %s\n", m->parcel, m->parcel_owner,
           m->parcel_id, m->parcel_phone);
    printf("  business      %s (reg. %s); \"%s\" is taken by it too\n", m->biz, m->biz_regno,
           m->biz_alike);
    for (int k = 0; k < SEED_N_ST; k++)
        printf("  %-12s  %s  (%s, phone %s)\n", seed_states[k], m->app[k], m->app_service[k],
               m->app_phone[k]);
    printf("  permit        %s  approved building permit, %s: %zu free inspection slots "
           "(ussdgw app slots %s)\n",
           m->permit, m->permit_district, m->permit_free_slots, m->permit_district);
    printf("  phone         %s  has applications (ussd:phone:%s:apps)\n", m->app_phone[0],
           m->app_phone[0]);
}

/* Write the data set on c; 0, or 1 after saying why. */
static int seed_write(struct rec_cli *c, struct seed_run *s, const struct config *cfg)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    seed_pump(s);
    app_conn_wait(&c->conn, &s->finished);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (!s->finished || s->status != REC_OK) {
        fprintf(stderr, "ussdgw seed: %zu command(s) failed, the first: %s\n",
                records_seed_failed(s->w), s->first_error);
        return 1;
    }
    print_seed(s, cfg->redis, secs);
    return 0;
}

int rec_cli_seed(const struct config *cfg, const char *scale_s, const char *today)
{
    double scale;
    time_t week;
    if (rec_cli_scale(scale_s, &scale) != 0)
        return 2;
    if (week_of(today, &week) != 0) {
        fprintf(stderr, "ussdgw seed: --today takes YYYY-MM-DD, not '%s'\n", today);
        return 2;
    }
    struct rec_cli c;
    if (rec_cli_open(&c, cfg, "seed"))
        return 1;
    struct seed_run s = {.d = seed_data_new(scale, week)};
    s.w = s.d ? records_seed_new(&c.env, REC_CLI_INFLIGHT) : NULL;
    if (!s.w) {
        fprintf(stderr, "ussdgw seed: out of memory\n");
        c.rc = 1;
    } else {
        c.rc = seed_write(&c, &s, cfg);
    }
    records_seed_free(s.w);
    seed_data_free(s.d);
    return rec_cli_close(&c);
}
