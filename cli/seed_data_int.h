/*
 * seed_data_int.h: the inside of a seed data set, shared by seed_data.c (people,
 * parcels, owners, businesses, slots) and seed_apps.c (applications); not for other
 * files.
 */
#ifndef USSDGW_SEED_DATA_INT_H
#define USSDGW_SEED_DATA_INT_H

#include <stdint.h>

#include "geo.h"
#include "seed_data.h"
#include "seed_gen.h"

#define SEED_SLOT_DAYS 28
#define SEED_SLOT_TIMES 4
#define SEED_SLOT_INSPECTORS 2
#define SEED_SLOTS_PER_DISTRICT (SEED_SLOT_DAYS * SEED_SLOT_TIMES * SEED_SLOT_INSPECTORS)

struct seed_parcel {
    uint8_t district; /* index into geo_districts */
    uint8_t sector, cell, use;
    uint32_t number, area, owner;
};

struct seed_biz {
    uint32_t owner;
    uint32_t regno;
    uint8_t district;
    char name[REFS_NAME_MAX];
};

/* The records handed out, with the strings they point to. */
struct parcel_out {
    struct rec_parcel p;
    char upi[SEED_ID_BUF], name[80], id[SEED_ID_BUF], prov[4], due[12];
};

struct biz_out {
    struct rec_business b;
    char regno[12], oname[80], oid[SEED_ID_BUF], registered[12], expiry[12];
};

struct app_out {
    struct rec_seed_app s;
    struct handler_kv det[REC_MAX_DETAILS];
    char upi[SEED_ID_BUF], bid[SEED_ID_BUF], bname[80], parts[4], floors[4], built[12];
    char regno[12], oid[SEED_ID_BUF], oname[80], newname[REFS_NAME_MAX];
    struct rec_hist hist[REC_SEED_HIST_MAX];
    char hist_at[REC_SEED_HIST_MAX][REC_TIME_MAX], slot_note[64];
    struct rec_bill bill;
    char bill_no[REFS_MAX], pay[40], bexp[12], paid_at[REC_TIME_MAX], bcreated[REC_TIME_MAX];
    char ref[REFS_MAX], created[REC_TIME_MAX], updated[REC_TIME_MAX], phone[16];
    char slot[24], slot_district[16];
};

struct slots_out {
    struct rec_slot s[SEED_SLOTS_PER_DISTRICT];
    char id[SEED_SLOTS_PER_DISTRICT][24];
};

struct seed_data {
    struct seed_summary sum;
    time_t week; /* Monday 00:00 local time of the week seeded */
    struct seed_person *persons;
    struct seed_parcel *parcels;
    struct seed_biz *biz;
    uint32_t *order;     /* parcel or business indices sorted by owner */
    uint32_t *start;     /* per person: first index into order */
    uint8_t *phone_seen; /* per person: an application of theirs was made */
    uint8_t *booked;     /* per district: SEED_SLOTS_PER_DISTRICT flags */
    uint64_t *names;     /* hash set of business name keys */
    size_t names_cap, names_n;
    uint32_t next_regno;
    size_t bill_seq;
    int try_fixed[SEED_N_ST];
    size_t permit_di;
    struct seed_rng rng;
    uint32_t parcel_counter[GEO_N_DISTRICTS][32][10]; /* last number per sector and cell */
    char (*members)[SEED_ID_BUF];
    const char **member_ptrs;
    size_t members_cap;
    struct parcel_out parcel_out;
    struct biz_out biz_out;
    struct app_out app_out;
    struct slots_out slots_out;
};

extern const char *const seed_land_uses[6];
extern const int seed_slot_hours[SEED_SLOT_TIMES];

const struct geo_district *seed_district(size_t i);
size_t seed_pick_district(struct seed_rng *r);
void seed_day(time_t t, char *buf, size_t n);
void seed_parcel_upi(const struct seed_parcel *p, char *buf, size_t n);
/* A business name not used before, from d's current stream. */
void seed_unique_name(struct seed_data *d, char *out, size_t n, const char **type);
/* Slot x of a district's 4 weeks: its id and start. */
void seed_slot_id(struct seed_data *d, uint32_t x, char *id, size_t n, time_t *start);

#endif
