/*
 * records_cli.c: the records commands of ussdgw:
 *   ussdgw seed [--redis ADDR] [--scale N] [--today YYYY-MM-DD]
 *       load the deterministic demo data set (districts and sectors, parcels,
 *       businesses, applications in every state with history, bills, inspection slots);
 *   ussdgw app show REF
 *       print an application, its bill and its history;
 *   ussdgw app status REF NEW_STATUS [--note TEXT]
 *       move it to a new status (transition table in records.h), record the history
 *       entry and queue an SMS to the applicant in their language;
 *   ussdgw app create --service S --kind K --msisdn N --idem KEY [--amount RWF]
 *       [--detail k=v]...
 *       create one through the same API the handlers use (for tests and support).
 *
 * The seed writes through the asynchronous store with at most SEED_INFLIGHT requests
 * waiting, generating records as replies come back. Everything it writes is a function
 * of a fixed PRNG seed, the scale and the week, and every key it fills is first deleted
 * (or written whole), so a second run leaves the same data.
 */
#include <event2/event.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "clock.h"
#include "geo.h"
#include "log.h"
#include "records.h"
#include "records_apps.h"
#include "records_biz.h"
#include "records_change.h"
#include "records_create.h"
#include "records_slots.h"
#include "refs.h"
#include "store.h"

#define SEED_INFLIGHT 512
#define SEED_PRNG 20260101ULL
#define UPI_BUF 48 /* a UPI as printed here, with room for any int */
#define ID_BUF 48  /* a national ID as printed here, likewise */

/* ---- the connection, shared by the commands ---- */

struct cli {
    struct event_base *base;
    struct store *store;
    struct svc_env env;
    struct svc_ctx ctx;
    int done;
    int rc;
};

static void on_ping(void *arg, int status, const redisReply *r)
{
    struct cli *c = arg;
    c->done = 1;
    c->rc = status == STORE_OK && r && r->type == REDIS_REPLY_STATUS ? 0 : 1;
}

static void run_loop(struct cli *c)
{
    while (!c->done)
        if (event_base_loop(c->base, EVLOOP_ONCE) != 0)
            break; /* an error, or nothing left to wait for */
}

/* Connect, and PING to be sure Redis answers. Returns 0, or 1 after saying why. */
static int cli_open(struct cli *c, const struct config *cfg)
{
    memset(c, 0, sizeof *c);
    c->base = event_base_new();
    struct store_opts so = {
        .timeout_ms = cfg->redis_timeout_ms, .log = app_cli_store_log, .max_inflight = SEED_INFLIGHT * 2};
    c->store = c->base ? store_new(c->base, cfg->redis, &so) : NULL;
    if (c->store) {
        const char *argv[] = {"PING"};
        store_cmd(c->store, on_ping, c, 1, argv, NULL);
        run_loop(c);
        if (c->rc == 0) {
            c->done = 0;
            c->env = (struct svc_env){.base = c->base, .store = c->store};
            c->ctx = (struct svc_ctx){&c->env, {SVC_STAFF, NULL, NULL, NULL}};
            return 0;
        }
    }
    fprintf(stderr, "ussdgw: cannot use Redis at %s\n", cfg->redis);
    store_free(c->store);
    if (c->base)
        event_base_free(c->base);
    c->base = NULL;
    c->store = NULL;
    return 1;
}

static void cli_close(struct cli *c)
{
    store_free(c->store);
    if (c->base) {
        event_base_loop(c->base, EVLOOP_NONBLOCK); /* the store's deferred callbacks */
        event_base_free(c->base);
    }
}

/* ---- deterministic randomness ---- */

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint32_t rn(struct rng *r, uint32_t n)
{
    return n ? (uint32_t)(rnd(r) % n) : 0;
}

static void rng_init(struct rng *r, uint64_t stream)
{
    r->s = SEED_PRNG * 0x100000001B3ULL + stream;
    rnd(r);
}

#define PICK(r, arr) (arr[rn(r, sizeof arr / sizeof arr[0])])
#define COUNT(arr) (sizeof arr / sizeof arr[0])

/* ---- names ---- */

static const char *const first_f[] = {
    "Alice",        "Aline",      "Ange",      "Annonciata", "Beatrice",   "Chantal",   "Christine",
    "Claudine",     "Clementine", "Diane",     "Divine",     "Esperance",  "Esther",    "Francine",
    "Gaudence",     "Grace",      "Immaculee", "Jeanne",     "Josiane",    "Joselyne",  "Liliane",
    "Louise",       "Marie",      "Odette",    "Sandrine",   "Solange",    "Vestine",   "Yvonne",
    "Claire",       "Sarah",      "Denise",    "Agnes",      "Jacqueline", "Consolata", "Epiphanie",
    "Marie Claire", "Alphonsine", "Donatille",
};
static const char *const first_m[] = {
    "Jean",    "Jean Paul", "Jean Claude", "Jean de Dieu",  "Emmanuel",  "Eric",
    "Patrick", "Claude",    "Theogene",    "Olivier",       "Innocent",  "Yves",
    "Fabrice", "Gilbert",   "Eugene",      "Samuel",        "Didier",    "Janvier",
    "Felix",   "Faustin",   "Alphonse",    "Celestin",      "Damascene", "Egide",
    "Thierry", "Pascal",    "Vincent",     "Aimable",       "Augustin",  "Boniface",
    "Cyprien", "Etienne",   "Jean Bosco",  "Jean Baptiste", "Emile",     "Fidele",
};
static const char *const last_f[] = {
    "Mukamana",       "Uwimana",    "Uwase",     "Mukeshimana", "Nyirahabimana", "Uwamahoro",
    "Mutesi",         "Uwera",      "Ingabire",  "Umutoni",     "Mukarugwiza",   "Kayitesi",
    "Mukandayisenga", "Uwineza",    "Mbabazi",   "Nyiraneza",   "Mukamurenzi",   "Uwizeye",
    "Mukashema",      "Umuhoza",    "Uwamariya", "Mukankusi",   "Murekatete",    "Nishimwe",
    "Uwingabire",     "Iradukunda", "Ishimwe",   "Irakoze",     "Tuyishime",
};
static const char *const last_m[] = {
    "Niyonzima",     "Habimana",    "Mugisha",     "Nshimiyimana", "Hakizimana", "Ndayisaba",
    "Bizimana",      "Kamanzi",     "Nsengiyumva", "Twagirayezu",  "Munyaneza",  "Hategekimana",
    "Ntakirutimana", "Niyitegeka",  "Gatete",      "Nkurunziza",   "Rukundo",    "Nzeyimana",
    "Ngabo",         "Mugabo",      "Niyomugabo",  "Manzi",        "Ndahiro",    "Kalisa",
    "Karangwa",      "Mutabazi",    "Nsabimana",   "Ntwari",       "Gasana",     "Mugenzi",
    "Habineza",      "Twizeyimana", "Nsanzimana",  "Ndagijimana",  "Musoni",     "Kabera",
    "Sibomana",      "Munyakazi",   "Nshuti",      "Iradukunda",   "Ishimwe",    "Tuyishime",
    "Uwimana",
};

static const char *const kin_words[] = {
    "Ubumwe",     "Urumuri", "Inyange",    "Imena",   "Agaciro",   "Umucyo",    "Iterambere",
    "Amahoro",    "Ineza",   "Imbaraga",   "Isoko",   "Ikaze",     "Intwari",   "Ubwiza",
    "Umurage",    "Inzozi",  "Ejo Heza",   "Akeza",   "Twiyubake", "Abahizi",   "Dufatanye",
    "Tuzamurane", "Imanzi",  "Impano",     "Umutima", "Urukundo",  "Ubukire",   "Isange",
    "Indatwa",    "Inkingi", "Intego",     "Umuhigo", "Ubudasa",   "Ingoga",    "Inganzo",
    "Umurava",    "Ishema",  "Icyerekezo", "Ihirwe",  "Ituze",     "Umwezi",    "Inyenyeri",
    "Imboni",     "Ubuntu",  "Ikirezi",    "Intore",  "Amizero",   "Umunezero",
};
static const char *const places[] = {
    "Kigali",      "Rwanda",  "Nyabugogo", "Kimironko", "Remera",    "Nyamirambo", "Musanze",
    "Huye",        "Rubavu",  "Muhanga",   "Virunga",   "Akagera",   "Nyungwe",    "Kivu",
    "Great Lakes", "Gisenyi", "Kibungo",   "Rusizi",    "Nyagatare", "Rwamagana",  "Karongi",
    "Gicumbi",     "Butare",  "Kacyiru",   "Gisozi",    "Kicukiro",  "Nyanza",     "Muhazi",
    "Bugesera",    "Kinigi",  "Kayonza",   "Ngoma",
};
static const char *const trades[] = {
    "Fresh Foods",  "Hardware",        "Construction",
    "Logistics",    "Pharmacy",        "Tech Solutions",
    "Motors",       "Beauty Salon",    "Coffee",
    "Dairy",        "Agro Dealers",    "Printing",
    "Tailoring",    "Bakery",          "Electronics",
    "Real Estate",  "Transport",       "Supermarket",
    "Guest House",  "Restaurant",      "Butchery",
    "Stationery",   "Furniture",       "Tours",
    "Consultants",  "Builders",        "Water Services",
    "Solar Energy", "Poultry Farm",    "Grain Millers",
    "Cosmetics",    "Fashion House",   "Auto Spare Parts",
    "Clinic",       "School Supplies", "Events",
    "Car Wash",     "Media",           "Security Services",
    "Trading",      "Investments",     "Engineering",
    "Garage",       "Phone Repair",
};
static const char *const fr_trades[] = {
    "Boulangerie",       "Quincaillerie", "Pharmacie", "Alimentation",       "Garage",
    "Salon de Coiffure", "Librairie",     "Boutique",  "Atelier de Couture", "Menuiserie",
    "Restaurant",        "Cabinet",       "Papeterie", "Boucherie",          "Cafeteria",
};
static const char *const coops[] = {
    "Koperative Abahuzamugambi ba Kawa",
    "Koperative Twisungane",
    "Koperative Dukorere Hamwe",
    "Koperative Abakundakawa",
    "Koperative Abanyamurava",
    "Koperative Duteraninkunga",
    "Koperative Abahinzi b'Umuceri",
    "Koperative Tuzamurane",
    "Koperative Abworozi",
    "Koperative Dufatanye",
    "Cooperative des Eleveurs de",
    "Cooperative des Cultivateurs de",
    "Koperative Abahinzi b'Ibirayi",
    "Koperative Abadahigwa",
    "Koperative Icyerekezo",
};

/* ---- the data set ---- */

struct person {
    uint8_t female, lang; /* lang: 0 en, 1 rw, 2 fr */
    uint8_t first, last;
    uint16_t year;
    uint8_t cat, issue, check;
    uint32_t serial, phone;
    uint8_t op;
};

struct parcel {
    uint8_t district; /* index into geo_districts */
    uint8_t sector, cell, use;
    uint32_t number, area, owner;
};

struct biz {
    uint32_t owner;
    uint32_t regno;
    uint8_t district;
    char name[REFS_NAME_MAX];
};

static const char *const land_uses[] = {"residential", "agricultural", "commercial",
                                        "industrial",  "mixed",        "forest"};
static const char *const lang_codes[] = {"en", "rw", "fr"};

enum { ST_SUBMITTED, ST_IN_REVIEW, ST_APPROVED, ST_REJECTED, ST_PAID, ST_COMPLETED, N_ST };
static const char *const st_names[N_ST] = {"submitted", "in_review", "approved",
                                           "rejected",  "paid",      "completed"};

#define SLOT_DAYS 28
#define SLOT_TIMES 4
#define SLOT_INSPECTORS 2
#define SLOTS_PER_DISTRICT (SLOT_DAYS * SLOT_TIMES * SLOT_INSPECTORS)
static const int slot_hours[SLOT_TIMES] = {9, 11, 14, 16};

enum phase {
    PH_GEO,
    PH_PARCELS,
    PH_OWNERS,
    PH_BIZ,
    PH_BIZ_OWNERS,
    PH_APPS,
    PH_SLOTS,
    PH_META,
    PH_DONE,
};

struct seed {
    struct store *store;
    /* sizes */
    double scale;
    size_t n_persons, n_parcels, n_biz, n_apps;
    time_t week; /* Monday 00:00 Kigali of the week seeded, as Unix time */
    char week_s[12];
    /* data */
    struct person *persons;
    struct parcel *parcels;
    struct biz *biz;
    uint32_t *order; /* parcel or business indices sorted by owner */
    uint32_t *start; /* per person: first index into order */
    uint8_t *phone_cleared;
    uint8_t *booked; /* per district: SLOTS_PER_DISTRICT flags */
    uint64_t *names; /* hash set of business name keys */
    size_t names_cap, names_n;
    uint32_t next_regno;
    /* progress */
    enum phase phase;
    size_t i;
    struct rng rng;
    size_t inflight, sent, errors;
    char first_error[200];
    int finished;
    /* counts and records to try */
    size_t n_sectors, n_owners, n_bills, n_unpaid, n_slots, n_booked, n_pending;
    size_t st_count[N_ST];
    char try_parcel[UPI_BUF], try_parcel_owner[80], try_parcel_id[ID_BUF], try_parcel_phone[16];
    char try_biz[REFS_NAME_MAX], try_biz_regno[12], try_biz_alike[REFS_NAME_MAX];
    char try_app[N_ST][REFS_MAX], try_app_phone[N_ST][16], try_app_service[N_ST][12];
    int try_fixed[N_ST];
    char try_permit[REFS_MAX], try_permit_district[16];
    size_t try_permit_di;
    size_t bill_seq;
};

static void seed_pump(struct seed *s);

static void on_seed_reply(void *arg, int status, const redisReply *r)
{
    struct seed *s = arg;
    s->inflight--;
    if (status != STORE_OK) {
        if (s->errors++ == 0)
            snprintf(s->first_error, sizeof s->first_error, "%s",
                     r && r->type == REDIS_REPLY_ERROR && r->str
                         ? r->str
                         : "no reply (timeout or disconnected)");
    }
    if (s->phase != PH_DONE && !s->errors)
        seed_pump(s);
    else if (s->inflight == 0)
        s->finished = 1;
}

/* One command; argv items are copied by the store during the call. */
static void put(struct seed *s, int argc, const char *const *argv)
{
    s->inflight++;
    s->sent++;
    store_cmd(s->store, on_seed_reply, s, argc, argv, NULL);
}

#define PUT(s, ...)                                                                                \
    do {                                                                                           \
        const char *const a_[] = {__VA_ARGS__};                                                    \
        put(s, (int)(sizeof a_ / sizeof a_[0]), a_);                                               \
    } while (0)

static const struct geo_district *district_at(size_t i)
{
    size_t n;
    return &geo_districts(&n)[i];
}

static void person_name(const struct person *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s", p->female ? last_f[p->last] : last_m[p->last],
             p->female ? first_f[p->first] : first_m[p->first]);
}

static void person_id(const struct person *p, char *buf, size_t n)
{
    snprintf(buf, n, "%u%04u%c%07u%u%02u", p->cat, p->year, p->female ? '7' : '8', p->serial,
             p->issue, p->check);
}

static void person_phone(const struct person *p, char *buf, size_t n)
{
    static const char *const ops[] = {"78", "79", "72", "73"};
    snprintf(buf, n, "250%s%07u", ops[p->op], p->phone);
}

static void fmt_long(char *buf, size_t n, long v)
{
    snprintf(buf, n, "%ld", v);
}

/* Kigali date of t as YYYY-MM-DD, or time too. */
static void day(time_t t, char *buf, size_t n)
{
    records_time(t, 1, buf, n);
}

/* ---- business names ---- */

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

/* Add the key of name to the set; 0 when it was there already. */
static int name_add(struct seed *s, const char *name)
{
    char key[REFS_NAME_MAX];
    refs_name_key(name, key, sizeof key);
    uint64_t h = fnv(key);
    size_t i = (size_t)(h % s->names_cap);
    while (s->names[i]) {
        if (s->names[i] == h)
            return 0;
        i = (i + 1) % s->names_cap;
    }
    s->names[i] = h;
    s->names_n++;
    return 1;
}

/* A plausible business name, unique by key; *type gets its legal form. */
static void biz_name(struct seed *s, struct rng *r, char *out, size_t n, const char **type)
{
    for (int attempt = 0;; attempt++) {
        uint32_t k = rn(r, 100);
        const struct person *p = &s->persons[rn(r, (uint32_t)s->n_persons)];
        const char *surname = p->female ? last_f[p->last] : last_m[p->last];
        *type = "company";
        if (k < 24)
            snprintf(out, n, "%s %s Ltd", PICK(r, kin_words), PICK(r, trades));
        else if (k < 42)
            snprintf(out, n, "%s %s Ltd", PICK(r, places), PICK(r, trades));
        else if (k < 54) {
            snprintf(out, n, "%s %s", PICK(r, fr_trades), PICK(r, kin_words));
            *type = "enterprise";
        } else if (k < 61) {
            snprintf(out, n, rn(r, 3) ? "Ets %s" : "Ets %s & Fils", surname);
            *type = "enterprise";
        } else if (k < 71) {
            snprintf(out, n, "%s %s", PICK(r, coops), district_at(rn(r, GEO_N_DISTRICTS))->name);
            *type = "cooperative";
        } else if (k < 81) {
            snprintf(out, n, "%s %s", surname, PICK(r, trades));
            *type = "enterprise";
        } else if (k < 86)
            snprintf(out, n, "%s %s %s Ltd", PICK(r, kin_words), PICK(r, kin_words),
                     PICK(r, trades));
        else if (k < 91)
            snprintf(out, n, "%s %s Group Ltd", PICK(r, places), PICK(r, kin_words));
        else if (k < 94) {
            const struct person *q = &s->persons[rn(r, (uint32_t)s->n_persons)];
            snprintf(out, n, "%s & %s Partners", surname,
                     q->female ? last_f[q->last] : last_m[q->last]);
            *type = "partnership";
        } else
            snprintf(out, n, "%s %s Company Ltd", PICK(r, kin_words), PICK(r, places));
        if (attempt >= 8) {
            /* a branch number makes it unique at last */
            size_t l = strlen(out);
            snprintf(out + l, n - l, " %u", 2 + attempt - 8);
        }
        if (name_add(s, out))
            return;
    }
}

/* ---- phases ---- */

static void emit_geo(struct seed *s)
{
    size_t nd;
    const struct geo_district *d = geo_districts(&nd);
    if (s->i == 0) {
        PUT(s, "DEL", REC_PREFIX "geo:districts");
        for (size_t k = 0; k < nd; k++) {
            char code[8];
            snprintf(code, sizeof code, "%d", d[k].code);
            PUT(s, "HSET", REC_PREFIX "geo:districts", code, d[k].name);
        }
    }
    const struct geo_district *g = &d[s->i];
    char key[64];
    snprintf(key, sizeof key, REC_PREFIX "geo:sectors:%s", g->name);
    PUT(s, "DEL", key);
    const char *argv[2 + 32];
    argv[0] = "RPUSH";
    argv[1] = key;
    for (int k = 0; k < g->n_sectors; k++)
        argv[2 + k] = g->sectors[k];
    put(s, 2 + g->n_sectors, argv);
    s->n_sectors += (size_t)g->n_sectors;
    if (++s->i == nd) {
        s->phase = PH_PARCELS;
        s->i = 0;
        rng_init(&s->rng, 2);
    }
}

/* District weights for where parcels and businesses are: Kigali's three lead. */
static size_t pick_district(struct rng *r)
{
    static const uint8_t w[GEO_N_DISTRICTS] = {6, 9, 7, 3, 3, 3, 4, 3, 3, 4, 4, 3, 3, 5, 3,
                                               3, 4, 3, 3, 3, 5, 3, 4, 4, 4, 4, 3, 3, 4, 4};
    uint32_t total = 0;
    for (size_t i = 0; i < GEO_N_DISTRICTS; i++)
        total += w[i];
    uint32_t x = rn(r, total);
    for (size_t i = 0; i < GEO_N_DISTRICTS; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return 0;
}

static void parcel_upi(const struct parcel *p, char *buf, size_t n)
{
    const struct geo_district *d = district_at(p->district);
    snprintf(buf, n, "%d/%02d/%02d/%02u/%u", d->province, d->num, p->sector, p->cell, p->number);
}

static void emit_parcel(struct seed *s)
{
    struct rng *r = &s->rng;
    struct parcel *p = &s->parcels[s->i];
    static uint32_t counter[GEO_N_DISTRICTS][32][10]; /* last parcel number per sector and cell */
    if (s->i == 0)
        memset(counter, 0, sizeof counter);
    p->district = (uint8_t)pick_district(r);
    const struct geo_district *d = district_at(p->district);
    p->sector = (uint8_t)(1 + rn(r, (uint32_t)d->n_sectors));
    p->cell = (uint8_t)(1 + rn(r, 3 + (p->sector * 7 + d->code) % 6));
    uint32_t *c = &counter[p->district][p->sector][p->cell];
    *c += 1 + rn(r, 4);
    p->number = *c;
    int kigali = d->province == 1;
    uint32_t u = rn(r, 100);
    p->use = kigali ? (u < 70   ? 0
                       : u < 78 ? 1
                       : u < 90 ? 2
                       : u < 94 ? 3
                       : u < 99 ? 4
                                : 5)
                    : (u < 45   ? 0
                       : u < 88 ? 1
                       : u < 94 ? 2
                       : u < 96 ? 3
                       : u < 98 ? 4
                                : 5);
    static const uint32_t lo[] = {250, 800, 200, 1500, 300, 2000},
                          span[] = {900, 15000, 1500, 20000, 1200, 30000};
    p->area = lo[p->use] + rn(r, span[p->use]);
    p->owner = rn(r, (uint32_t)s->n_persons);
    /* land tax: RWF per m2 by use and place; agricultural land under 2 ha pays none */
    static const int rate_kigali[] = {50, 0, 80, 20, 60, 0}, rate_other[] = {30, 0, 40, 20, 30, 0};
    long tax = (long)p->area * (kigali ? rate_kigali[p->use] : rate_other[p->use]);
    if (p->use == 1 && p->area > 20000)
        tax = (long)(p->area - 20000) * 5;
    tax = tax / 100 * 100;
    if (rn(r, 100) < 35)
        tax = 0; /* paid this year */

    char upi[UPI_BUF], key[64], name[80], id[ID_BUF], area[16], cell[4], taxs[24], due[12], prov[4];
    parcel_upi(p, upi, sizeof upi);
    snprintf(key, sizeof key, REC_PREFIX "parcel:%s", upi);
    const struct person *o = &s->persons[p->owner];
    person_name(o, name, sizeof name);
    person_id(o, id, sizeof id);
    snprintf(area, sizeof area, "%u", p->area);
    snprintf(cell, sizeof cell, "%u", p->cell);
    fmt_long(taxs, sizeof taxs, tax);
    snprintf(prov, sizeof prov, "%d", d->province);
    char yyyy[REC_TIME_MAX];
    day(s->week, yyyy, sizeof yyyy);
    snprintf(due, sizeof due, "%.4s-12-31", yyyy);
    PUT(s, "DEL", key);
    PUT(s, "HSET", key, "upi", upi, "province", prov, "district", d->name, "sector",
        d->sectors[p->sector - 1], "cell", cell, "area_m2", area, "land_use", land_uses[p->use],
        "owner_name", name, "owner_id", id, "tax_due", taxs, "tax_due_date", due);
    if (!s->try_parcel[0] && d->code == 12 && tax > 0) {
        snprintf(s->try_parcel, sizeof s->try_parcel, "%s", upi);
        snprintf(s->try_parcel_owner, sizeof s->try_parcel_owner, "%s", name);
        snprintf(s->try_parcel_id, sizeof s->try_parcel_id, "%s", id);
        person_phone(o, s->try_parcel_phone, sizeof s->try_parcel_phone);
    }
    if (++s->i == s->n_parcels) {
        s->phase = PH_OWNERS;
        s->i = 0;
    }
}

/* order[] = indices of items grouped by owner; start[p]..start[p+1] are p's. */
static void group_by_owner(struct seed *s, size_t n, uint32_t (*owner)(const struct seed *, size_t))
{
    memset(s->start, 0, (s->n_persons + 1) * sizeof s->start[0]);
    for (size_t i = 0; i < n; i++)
        s->start[owner(s, i) + 1]++;
    for (size_t p = 0; p < s->n_persons; p++)
        s->start[p + 1] += s->start[p];
    uint32_t *fill = calloc(s->n_persons, sizeof *fill);
    for (size_t i = 0; i < n && fill; i++) {
        uint32_t o = owner(s, i);
        s->order[s->start[o] + fill[o]++] = (uint32_t)i;
    }
    free(fill);
}

static uint32_t parcel_owner(const struct seed *s, size_t i)
{
    return s->parcels[i].owner;
}

static uint32_t biz_owner(const struct seed *s, size_t i)
{
    return s->biz[i].owner;
}

/* One person's index set: DEL, then SADD of every member (a person with none gets
 * only the DEL, which keeps reruns exact). */
static void emit_owner_set(struct seed *s, const char *suffix, int parcels)
{
    const struct person *o = &s->persons[s->i];
    char id[ID_BUF], key[64];
    uint32_t a = s->start[s->i], b = s->start[s->i + 1];
    if (a < b) {
        person_id(o, id, sizeof id);
        snprintf(key, sizeof key, REC_PREFIX "owner:%s:%s", id, suffix);
        PUT(s, "DEL", key);
        const char *argv[2 + 64];
        char mem[64][UPI_BUF];
        int n = 0;
        argv[0] = "SADD";
        argv[1] = key;
        for (uint32_t k = a; k < b; k++) {
            if (parcels)
                parcel_upi(&s->parcels[s->order[k]], mem[n], sizeof mem[n]);
            else
                snprintf(mem[n], sizeof mem[n], "%u", s->biz[s->order[k]].regno);
            argv[2 + n] = mem[n];
            if (++n == 64 || k + 1 == b) {
                put(s, 2 + n, argv);
                n = 0;
            }
        }
        if (parcels)
            s->n_owners++;
    }
    s->i++;
}

static void emit_biz(struct seed *s)
{
    struct rng *r = &s->rng;
    struct biz *b = &s->biz[s->i];
    const char *type;
    biz_name(s, r, b->name, sizeof b->name, &type);
    b->owner = rn(r, (uint32_t)s->n_persons);
    b->district = (uint8_t)pick_district(r);
    s->next_regno += 1 + rn(r, 97);
    b->regno = s->next_regno;
    const struct person *o = &s->persons[b->owner];
    char regno[12], key[32], norm[REFS_NAME_MAX], nkey[REFS_NAME_MAX], oname[80], oid[ID_BUF];
    char registered[12], expiry[12];
    snprintf(regno, sizeof regno, "%u", b->regno);
    snprintf(key, sizeof key, REC_PREFIX "biz:%s", regno);
    refs_name_norm(b->name, norm, sizeof norm);
    refs_name_key(b->name, nkey, sizeof nkey);
    person_name(o, oname, sizeof oname);
    person_id(o, oid, sizeof oid);
    day(s->week - (time_t)(30 + rn(r, 3650)) * 86400, registered, sizeof registered);
    day(s->week + ((time_t)rn(r, 455) - 90) * 86400, expiry, sizeof expiry);
    PUT(s, "DEL", key);
    PUT(s, "HSET", key, "regno", regno, "name", b->name, "name_norm", norm, "type", type,
        "owner_id", oid, "owner_name", oname, "district", district_at(b->district)->name,
        "registered", registered, "licence_expiry", expiry);
    PUT(s, "ZADD", REC_PREFIX "biz:names", "0", norm);
    PUT(s, "HSET", REC_PREFIX "biz:byname", norm, regno);
    PUT(s, "HSET", REC_PREFIX "biz:bykey", nkey, regno);
    char tok[REFS_TOKENS_MAX][REFS_TOKEN_MAX];
    size_t nt = refs_name_tokens(b->name, tok, REFS_TOKENS_MAX);
    for (size_t k = 0; k < nt; k++) {
        char tk[64];
        snprintf(tk, sizeof tk, REC_PREFIX "biz:tok:%s", tok[k]);
        PUT(s, "SADD", tk, regno);
    }
    if (!s->try_biz[0] && strstr(b->name, " Ltd")) {
        snprintf(s->try_biz, sizeof s->try_biz, "%s", b->name);
        snprintf(s->try_biz_regno, sizeof s->try_biz_regno, "%s", regno);
        /* the same name as people type it: lower case, "Limited" */
        refs_name_norm(b->name, s->try_biz_alike, sizeof s->try_biz_alike);
        char *ltd = strstr(s->try_biz_alike, " ltd");
        if (ltd)
            snprintf(ltd, sizeof s->try_biz_alike - (size_t)(ltd - s->try_biz_alike), " limited");
    }
    if (++s->i == s->n_biz) {
        s->phase = PH_BIZ_OWNERS;
        s->i = 0;
    }
}

/* ---- applications ---- */

struct step {
    time_t at;
    int st;
    const char *note;
};

static const char *const reject_notes[] = {
    "documents incomplete",
    "parcel under dispute",
    "name too close to a registered business",
    "plans do not meet the district master plan",
    "applicant ID does not match the owner",
};

static void emit_app(struct seed *s)
{
    struct rng *r = &s->rng;
    size_t i = s->i;
    int svc, st;
    if (i < 18) {
        svc = (int)(i % 3);
        st = (int)(i / 3 % N_ST);
    } else {
        uint32_t a = rn(r, 100), b = rn(r, 100);
        svc = a < 45 ? 0 : a < 70 ? 1 : 2;
        st = b < 20   ? ST_SUBMITTED
             : b < 38 ? ST_IN_REVIEW
             : b < 52 ? ST_APPROVED
             : b < 62 ? ST_REJECTED
             : b < 74 ? ST_PAID
                      : ST_COMPLETED;
    }
    static const char *const services[] = {"land", "business", "permit"};
    const char *service = services[svc];
    const char *kind;
    uint32_t k = rn(r, 100);
    if (svc == 0)
        kind = k < 40   ? "transfer"
               : k < 65 ? "title_copy"
               : k < 85 ? "subdivision"
                        : "land_use_change";
    else if (svc == 1)
        kind = k < 50 ? "register" : "trading_licence";
    else
        kind = k < 60 ? "construction" : k < 85 ? "renovation" : "occupancy";
    /* a registration has no fee, so it is never paid: those are licences */
    if (svc == 1 && st == ST_PAID)
        kind = "trading_licence";
    long fee = records_fee(service, kind);

    /* who applies, and about what */
    struct handler_kv det[REC_MAX_DETAILS];
    size_t nd = 0;
    char upi[UPI_BUF], bid[ID_BUF], bname[80], parts[4], floors[4], built[12], regno[12];
    char oid[ID_BUF], oname[80], newname[REFS_NAME_MAX];
    char nkey[REFS_NAME_MAX] = "", nnorm[REFS_NAME_MAX] = "", ntok[REFS_NAME_MAX + 16] = "";
    const struct person *who;
    const char *district;
    if (svc != 1) {
        const struct parcel *p = &s->parcels[rn(r, (uint32_t)s->n_parcels)];
        const struct geo_district *d = district_at(p->district);
        who = &s->persons[p->owner];
        district = d->name;
        parcel_upi(p, upi, sizeof upi);
        det[nd++] = (struct handler_kv){"upi", upi};
        det[nd++] = (struct handler_kv){"district", d->name};
        det[nd++] = (struct handler_kv){"sector", d->sectors[p->sector - 1]};
        if (strcmp(kind, "transfer") == 0) {
            const struct person *buyer = &s->persons[rn(r, (uint32_t)s->n_persons)];
            person_id(buyer, bid, sizeof bid);
            person_name(buyer, bname, sizeof bname);
            det[nd++] = (struct handler_kv){"buyer_id", bid};
            det[nd++] = (struct handler_kv){"buyer_name", bname};
        } else if (strcmp(kind, "subdivision") == 0) {
            snprintf(parts, sizeof parts, "%u", 2 + rn(r, 3));
            det[nd++] = (struct handler_kv){"parts", parts};
        } else if (strcmp(kind, "land_use_change") == 0) {
            det[nd++] = (struct handler_kv){"new_use", land_uses[rn(r, 3)]};
        } else if (strcmp(kind, "construction") == 0) {
            snprintf(floors, sizeof floors, "%u", 1 + rn(r, 4));
            snprintf(built, sizeof built, "%u", 80 + rn(r, 600));
            det[nd++] = (struct handler_kv){"use", land_uses[rn(r, 3) == 2 ? 2 : 0]};
            det[nd++] = (struct handler_kv){"floors", floors};
            det[nd++] = (struct handler_kv){"built_m2", built};
        }
    } else {
        const struct biz *b = &s->biz[rn(r, (uint32_t)s->n_biz)];
        snprintf(regno, sizeof regno, "%u", b->regno);
        if (strcmp(kind, "register") == 0 && st != ST_COMPLETED) {
            /* a new name, reserved while the registration is undecided */
            const char *type;
            who = &s->persons[rn(r, (uint32_t)s->n_persons)];
            district = district_at(pick_district(r))->name;
            biz_name(s, r, newname, sizeof newname, &type);
            person_id(who, oid, sizeof oid);
            person_name(who, oname, sizeof oname);
            det[nd++] = (struct handler_kv){"name", newname};
            det[nd++] = (struct handler_kv){"type", type};
            det[nd++] = (struct handler_kv){"district", district};
            det[nd++] = (struct handler_kv){"owner_id", oid};
            det[nd++] = (struct handler_kv){"owner_name", oname};
            refs_name_key(newname, nkey, sizeof nkey);
            refs_name_norm(newname, nnorm, sizeof nnorm);
            char tok[REFS_TOKENS_MAX][REFS_TOKEN_MAX];
            size_t nt = refs_name_tokens(newname, tok, REFS_TOKENS_MAX), j = 0;
            for (size_t t = 0; t < nt; t++)
                j += (size_t)snprintf(ntok + j, sizeof ntok - j, "%s%s", j ? " " : "", tok[t]);
        } else {
            /* a completed registration is one of the registered businesses */
            who = &s->persons[b->owner];
            district = district_at(b->district)->name;
            person_id(who, oid, sizeof oid);
            person_name(who, oname, sizeof oname);
            det[nd++] = (struct handler_kv){"name", b->name};
            det[nd++] = (struct handler_kv){"regno", regno};
            det[nd++] = (struct handler_kv){"district", district};
            det[nd++] = (struct handler_kv){"owner_id", oid};
            det[nd++] = (struct handler_kv){"owner_name", oname};
        }
    }

    /* the timeline: each step a few days after the previous one, ending before the week */
    struct step steps[5];
    int ns = 0;
    time_t t = s->week - (time_t)(3 + rn(r, 70)) * 86400 + (time_t)(7 * 3600 + rn(r, 9 * 3600));
    static const char *const channels[] = {"ussd", "ussd", "ussd", "agent", "web"};
    const char *channel = PICK(r, channels);
    steps[ns++] = (struct step){t, ST_SUBMITTED,
                                strcmp(channel, "agent") == 0 ? "submitted at the sector office"
                                                              : "submitted"};
    if (st != ST_SUBMITTED) {
        if (st == ST_REJECTED && rn(r, 3) == 0) {
            steps[ns++] = (struct step){t += (time_t)(1 + rn(r, 3)) * 86400 + rn(r, 20000),
                                        ST_REJECTED, PICK(r, reject_notes)};
        } else {
            steps[ns++] =
                (struct step){t += (time_t)(1 + rn(r, 3)) * 86400 + rn(r, 20000), ST_IN_REVIEW,
                              svc == 0   ? "assigned to the district land officer"
                              : svc == 1 ? "assigned to the registrar"
                                         : "assigned to the one stop centre"};
            if (st == ST_REJECTED)
                steps[ns++] = (struct step){t += (time_t)(2 + rn(r, 6)) * 86400 + rn(r, 20000),
                                            ST_REJECTED, PICK(r, reject_notes)};
            else if (st != ST_IN_REVIEW)
                steps[ns++] = (struct step){t += (time_t)(2 + rn(r, 6)) * 86400 + rn(r, 20000),
                                            ST_APPROVED, "approved"};
            if ((st == ST_PAID || st == ST_COMPLETED) && fee > 0)
                steps[ns++] = (struct step){t += (time_t)(1 + rn(r, 4)) * 86400 + rn(r, 20000),
                                            ST_PAID, "paid by mobile money"};
            if (st == ST_COMPLETED)
                steps[ns++] = (struct step){
                    t += (time_t)(1 + rn(r, 8)) * 86400 + rn(r, 20000), ST_COMPLETED,
                    svc == 0 ? "certificate issued"
                    : svc == 1
                        ? (strcmp(kind, "register") == 0 ? "business registered" : "licence issued")
                        : "permit issued"};
        }
    }
    time_t last = steps[ns - 1].at, limit = s->week - 3600;
    if (last > limit)
        for (int k2 = 0; k2 < ns; k2++)
            steps[k2].at -= last - limit;

    /* the reference: the seed's range of sequence numbers, the year of submission */
    char ref[REFS_MAX], created[REC_TIME_MAX], updated[REC_TIME_MAX], yy[4];
    records_time(steps[0].at, 0, created, sizeof created);
    records_time(steps[ns - 1].at, 0, updated, sizeof updated);
    snprintf(yy, sizeof yy, "%.2s", created + 2);
    refs_make(ref, sizeof ref, refs_prefix(service), atoi(yy), REC_SEED_SEQ_MIN + 1 + (long)i);

    /* the bill */
    char bill[REFS_MAX] = "", pay[40] = "", amount[24], bexp[12], paid_at[REC_TIME_MAX] = "";
    const char *bstatus = "unpaid";
    if (fee > 0) {
        refs_make(bill, sizeof bill, "BIL", atoi(yy), REC_SEED_SEQ_MIN + 1 + (long)s->bill_seq++);
        char digits[12];
        snprintf(digits, sizeof digits, "%.2s%.6s%c", bill + 4, bill + 7, bill[14]);
        snprintf(pay, sizeof pay, REC_MOMO_PAY, digits);
        fmt_long(amount, sizeof amount, fee);
        time_t exp = steps[0].at + 30 * 86400;
        if (st == ST_APPROVED && exp < s->week + 14 * 86400)
            exp = s->week + 14 * 86400;
        day(exp, bexp, sizeof bexp);
        if (st == ST_PAID || st == ST_COMPLETED) {
            bstatus = "paid";
            for (int k2 = 0; k2 < ns; k2++)
                if (steps[k2].st == ST_PAID)
                    records_time(steps[k2].at, 0, paid_at, sizeof paid_at);
        } else if (st == ST_REJECTED)
            bstatus = "cancelled";
        s->n_bills++;
        if (strcmp(bstatus, "unpaid") == 0)
            s->n_unpaid++;
    }

    /* a paid building permit often has its inspection booked already */
    char slot[24] = "", slot_at[24] = "";
    if (svc == 2 && st == ST_PAID && rn(r, 2) == 0) {
        const struct geo_district *d = geo_district_by_name(district);
        size_t di = (size_t)(d - district_at(0));
        uint8_t *bk = s->booked + di * SLOTS_PER_DISTRICT;
        for (int tries = 0; tries < 50; tries++) {
            uint32_t x = (uint32_t)(SLOT_TIMES * SLOT_INSPECTORS * 7) +
                         rn(r, SLOTS_PER_DISTRICT - SLOT_TIMES * SLOT_INSPECTORS * 7);
            uint32_t dayi = x / (SLOT_TIMES * SLOT_INSPECTORS);
            if (dayi % 7 >= 5 || bk[x])
                continue;
            bk[x] = 1;
            s->n_booked++;
            int hour = slot_hours[x / SLOT_INSPECTORS % SLOT_TIMES];
            time_t start = s->week + (time_t)dayi * 86400 + hour * 3600;
            char ymd[REC_TIME_MAX];
            records_time(start, 0, ymd, sizeof ymd);
            snprintf(slot, sizeof slot, "%.4s%.2s%.2s%02d00-%u", ymd, ymd + 5, ymd + 8, hour,
                     x % SLOT_INSPECTORS + 1);
            snprintf(slot_at, sizeof slot_at, "%lld", (long long)start);
            break;
        }
    }

    /* write it */
    char key[48], hkey[56], pkey[48], lkey[48], phone[16], bkey[40], epoch[24];
    person_phone(who, phone, sizeof phone);
    snprintf(key, sizeof key, REC_PREFIX "app:%s", ref);
    snprintf(hkey, sizeof hkey, REC_PREFIX "app:%s:hist", ref);
    snprintf(pkey, sizeof pkey, REC_PREFIX "phone:%s:apps", phone);
    snprintf(lkey, sizeof lkey, REC_PREFIX "l:%s", phone);
    snprintf(epoch, sizeof epoch, "%lld", (long long)steps[0].at);
    const char *argv[2 + 2 * (16 + REC_MAX_DETAILS)];
    char dk[REC_MAX_DETAILS][32];
    int n = 0;
    argv[n++] = "HSET";
    argv[n++] = key;
#define F(k, v) (argv[n++] = (k), argv[n++] = (v))
    F("ref", ref);
    F("service", service);
    F("kind", kind);
    F("status", st_names[st]);
    F("msisdn", phone);
    F("created", created);
    F("updated", updated);
    F("bill", bill);
    F("idem", "seed");
    F("channel", channel);
    if (slot[0]) {
        F("slot", slot);
        F("slot_at", slot_at);
        F("slot_district", district);
    }
    if (nkey[0]) {
        F("name_key", nkey);
        F("name_norm", nnorm);
        F("name_tokens", ntok);
    }
    for (size_t k2 = 0; k2 < nd; k2++) {
        snprintf(dk[k2], sizeof dk[k2], "d.%s", det[k2].key);
        F(dk[k2], det[k2].value);
    }
#undef F
    PUT(s, "DEL", key, hkey);
    put(s, n, argv);
    const char *hist[2 + 6];
    char *js[6];
    int nh = 0;
    hist[0] = "RPUSH";
    hist[1] = hkey;
    for (int k2 = 0; k2 < ns; k2++) {
        char at[REC_TIME_MAX];
        records_time(steps[k2].at, 0, at, sizeof at);
        json_t *o = json_pack("{s:s, s:s, s:s}", "at", at, "status", st_names[steps[k2].st], "note",
                              steps[k2].note);
        js[nh] = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (js[nh]) {
            hist[2 + nh] = js[nh];
            nh++;
        }
    }
    if (slot[0] && nh < 6) {
        char at[REC_TIME_MAX], label[24], note[64];
        records_time(steps[ns - 1].at + 600, 0, at, sizeof at);
        snprintf(note, sizeof note, "inspection booked for %s",
                 records_slot_label(slot, label, sizeof label));
        json_t *o = json_pack("{s:s, s:s, s:s}", "at", at, "status", "paid", "note", note);
        js[nh] = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (js[nh]) {
            hist[2 + nh] = js[nh];
            nh++;
        }
    }
    put(s, 2 + nh, hist);
    for (int k2 = 0; k2 < nh; k2++)
        free(js[k2]);
    size_t pi = (size_t)(who - s->persons);
    if (!s->phone_cleared[pi]) {
        s->phone_cleared[pi] = 1;
        PUT(s, "DEL", pkey);
        PUT(s, "SET", lkey, lang_codes[who->lang]);
    }
    PUT(s, "ZADD", pkey, epoch, ref);
    if (bill[0]) {
        char screated[REC_TIME_MAX];
        records_time(steps[0].at, 0, screated, sizeof screated);
        snprintf(bkey, sizeof bkey, REC_PREFIX "bill:%s", bill);
        PUT(s, "DEL", bkey);
        if (paid_at[0])
            PUT(s, "HSET", bkey, "bill", bill, "ref", ref, "amount", amount, "currency", "RWF",
                "status", bstatus, "created", screated, "expires", bexp, "pay_code", pay, "paid_at",
                paid_at);
        else
            PUT(s, "HSET", bkey, "bill", bill, "ref", ref, "amount", amount, "currency", "RWF",
                "status", bstatus, "created", screated, "expires", bexp, "pay_code", pay);
    }
    if (nkey[0] && st != ST_REJECTED) {
        PUT(s, "HSET", REC_PREFIX "biz:pending", nkey, ref);
        s->n_pending++;
    }
    s->st_count[st]++;
    if (!s->try_app[st][0] ||
        (svc == st % 3 && strcmp(s->try_app_service[st], service) != 0 && !s->try_fixed[st])) {
        s->try_fixed[st] = svc == st % 3;
        snprintf(s->try_app[st], sizeof s->try_app[st], "%s", ref);
        snprintf(s->try_app_phone[st], sizeof s->try_app_phone[st], "%s", phone);
        snprintf(s->try_app_service[st], sizeof s->try_app_service[st], "%s", service);
    }
    if (!s->try_permit[0] && svc == 2 && st == ST_APPROVED) {
        snprintf(s->try_permit, sizeof s->try_permit, "%s", ref);
        snprintf(s->try_permit_district, sizeof s->try_permit_district, "%s", district);
        s->try_permit_di = (size_t)(geo_district_by_name(district) - district_at(0));
    }
    if (++s->i == s->n_apps) {
        s->phase = PH_SLOTS;
        s->i = 0;
    }
}

static void emit_slots(struct seed *s)
{
    const struct geo_district *d = district_at(s->i);
    const uint8_t *bk = s->booked + s->i * SLOTS_PER_DISTRICT;
    char key[48], bkey[56];
    snprintf(key, sizeof key, REC_PREFIX "slots:%s", d->name);
    snprintf(bkey, sizeof bkey, REC_PREFIX "slots:%s:booked", d->name);
    PUT(s, "DEL", key, bkey);
    const char *argv[2 + 2 * 40];
    char sc[40][24], id[40][24];
    int n = 0;
    for (uint32_t x = 0; x < SLOTS_PER_DISTRICT; x++) {
        uint32_t dayi = x / (SLOT_TIMES * SLOT_INSPECTORS);
        if (dayi % 7 >= 5)
            continue; /* no inspections at the weekend */
        s->n_slots++;
        if (bk[x])
            continue;
        int hour = slot_hours[x / SLOT_INSPECTORS % SLOT_TIMES];
        time_t start = s->week + (time_t)dayi * 86400 + hour * 3600;
        char ymd[REC_TIME_MAX];
        records_time(start, 0, ymd, sizeof ymd);
        snprintf(id[n], sizeof id[n], "%.4s%.2s%.2s%02d00-%u", ymd, ymd + 5, ymd + 8, hour,
                 x % SLOT_INSPECTORS + 1);
        snprintf(sc[n], sizeof sc[n], "%lld", (long long)start);
        argv[2 + 2 * n] = sc[n];
        argv[3 + 2 * n] = id[n];
        if (++n == 40) {
            argv[0] = "ZADD";
            argv[1] = key;
            put(s, 2 + 2 * n, argv);
            n = 0;
        }
    }
    if (n) {
        argv[0] = "ZADD";
        argv[1] = key;
        put(s, 2 + 2 * n, argv);
    }
    if (++s->i == GEO_N_DISTRICTS) {
        s->phase = PH_META;
        s->i = 0;
    }
}

static void emit_meta(struct seed *s)
{
    char scale[32], parcels[16], biz[16], apps[16], slots[16];
    snprintf(scale, sizeof scale, "%g", s->scale);
    snprintf(parcels, sizeof parcels, "%zu", s->n_parcels);
    snprintf(biz, sizeof biz, "%zu", s->n_biz);
    snprintf(apps, sizeof apps, "%zu", s->n_apps);
    snprintf(slots, sizeof slots, "%zu", s->n_slots);
    PUT(s, "DEL", REC_PREFIX "seed");
    PUT(s, "HSET", REC_PREFIX "seed", "scale", scale, "week", s->week_s, "prng", "20260101",
        "parcels", parcels, "businesses", biz, "applications", apps, "slots", slots);
    s->phase = PH_DONE;
}

static int seed_step(struct seed *s)
{
    switch (s->phase) {
    case PH_GEO: emit_geo(s); break;
    case PH_PARCELS: emit_parcel(s); break;
    case PH_OWNERS:
        if (s->i == 0)
            group_by_owner(s, s->n_parcels, parcel_owner);
        if (s->i < s->n_persons)
            emit_owner_set(s, "parcels", 1);
        if (s->i >= s->n_persons) {
            s->phase = PH_BIZ;
            s->i = 0;
            rng_init(&s->rng, 3);
        }
        break;
    case PH_BIZ: emit_biz(s); break;
    case PH_BIZ_OWNERS:
        if (s->i == 0)
            group_by_owner(s, s->n_biz, biz_owner);
        if (s->i < s->n_persons)
            emit_owner_set(s, "biz", 0);
        if (s->i >= s->n_persons) {
            s->phase = PH_APPS;
            s->i = 0;
            rng_init(&s->rng, 4);
        }
        break;
    case PH_APPS: emit_app(s); break;
    case PH_SLOTS: emit_slots(s); break;
    case PH_META: emit_meta(s); break;
    case PH_DONE: return 0;
    }
    return 1;
}

static void seed_pump(struct seed *s)
{
    while (s->inflight < SEED_INFLIGHT && seed_step(s))
        ;
    if (s->phase == PH_DONE && s->inflight == 0)
        s->finished = 1;
}

static void make_persons(struct seed *s)
{
    struct rng r;
    rng_init(&r, 1);
    for (size_t i = 0; i < s->n_persons; i++) {
        struct person *p = &s->persons[i];
        p->female = (uint8_t)rn(&r, 2);
        p->first = (uint8_t)rn(&r, p->female ? COUNT(first_f) : COUNT(first_m));
        p->last = (uint8_t)rn(&r, p->female ? COUNT(last_f) : COUNT(last_m));
        /* adults, more of them young */
        uint32_t a = rn(&r, 100);
        p->year = (uint16_t)(a < 55   ? 1985 + rn(&r, 21)
                             : a < 85 ? 1965 + rn(&r, 20)
                                      : 1940 + rn(&r, 25));
        uint32_t c = rn(&r, 100);
        p->cat = c < 97 ? 1 : c < 99 ? 2 : 3;
        /* unique serials and phone numbers: i through a bijection of 0..10^7-1 */
        p->serial = (uint32_t)((i * 7919ULL + 104729ULL) % 10000000ULL);
        p->phone = (uint32_t)((i * 1000003ULL + 4242424ULL) % 10000000ULL);
        p->issue = rn(&r, 10) < 8 ? 0 : (uint8_t)(1 + rn(&r, 2));
        p->check = (uint8_t)rn(&r, 100);
        p->op = (uint8_t)(rn(&r, 10) < 6 ? rn(&r, 2) : 2 + rn(&r, 2));
        uint32_t l = rn(&r, 100);
        p->lang = l < 60 ? 1 : l < 90 ? 0 : 2;
    }
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

static int parse_scale(const char *v, double *out)
{
    if (!v || strcmp(v, "full") == 0) {
        *out = 1.0;
        return 0;
    }
    if (strcmp(v, "small") == 0) {
        *out = 0.02;
        return 0;
    }
    if (strcmp(v, "tiny") == 0) {
        *out = 0.002;
        return 0;
    }
    char *end;
    double x = strtod(v, &end);
    if (*end || !(x > 0) || x > 4)
        return -1;
    *out = x;
    return 0;
}

static size_t scaled(double scale, size_t full, size_t min)
{
    size_t n = (size_t)llround((double)full * scale);
    return n < min ? min : n;
}

static void print_seed(const struct seed *s, const char *addr, double secs)
{
    printf(
        "seeded %s in %.1f s (%zu commands, at most %d in flight): scale %g, week of %s, PRNG seed %llu\n",
        addr, secs, s->sent, SEED_INFLIGHT, s->scale, s->week_s, (unsigned long long)SEED_PRNG);
    printf("  %d districts, %zu sectors\n", GEO_N_DISTRICTS, s->n_sectors);
    printf("  %zu parcels (%zu owners)\n", s->n_parcels, s->n_owners);
    printf("  %zu businesses (%zu names reserved by pending registrations)\n", s->n_biz,
           s->n_pending);
    printf("  %zu applications:", s->n_apps);
    for (int k = 0; k < N_ST; k++)
        printf(" %s %zu%s", st_names[k], s->st_count[k], k + 1 < N_ST ? "," : "\n");
    printf("  %zu bills (%zu unpaid)\n", s->n_bills, s->n_unpaid);
    printf("  %zu inspection slots in the 4 weeks from %s, %zu free\n", s->n_slots, s->week_s,
           s->n_slots - s->n_booked);
    printf("records to try:\n");
    printf("  parcel        %s  owner %s, ID %s, phone %s\n", s->try_parcel, s->try_parcel_owner,
           s->try_parcel_id, s->try_parcel_phone);
    printf("  business      %s (reg. %s); \"%s\" is taken by it too\n", s->try_biz,
           s->try_biz_regno, s->try_biz_alike);
    for (int k = 0; k < N_ST; k++)
        printf("  %-12s  %s  (%s, phone %s)\n", st_names[k], s->try_app[k], s->try_app_service[k],
               s->try_app_phone[k]);
    size_t free_slots = 0;
    const uint8_t *bk = s->booked + s->try_permit_di * SLOTS_PER_DISTRICT;
    for (uint32_t x = 0; x < SLOTS_PER_DISTRICT; x++)
        free_slots += x / (SLOT_TIMES * SLOT_INSPECTORS) % 7 < 5 && !bk[x];
    printf("  permit        %s  approved building permit, %s: %zu free inspection slots "
           "(ussdgw app slots %s)\n",
           s->try_permit, s->try_permit_district, free_slots, s->try_permit_district);
    printf("  phone         %s  has applications (ussd:phone:%s:apps)\n", s->try_app_phone[0],
           s->try_app_phone[0]);
}

static int cmd_seed(struct cli *c, const struct config *cfg, const char *scale_s, const char *today)
{
    struct seed *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    if (parse_scale(scale_s, &s->scale) != 0) {
        fprintf(stderr,
                "ussdgw seed: --scale takes full, small, tiny or a number in (0, 4], not '%s'\n",
                scale_s);
        free(s);
        return 2;
    }
    if (week_of(today, &s->week) != 0) {
        fprintf(stderr, "ussdgw seed: --today takes YYYY-MM-DD, not '%s'\n", today);
        free(s);
        return 2;
    }
    day(s->week, s->week_s, sizeof s->week_s);
    s->n_parcels = scaled(s->scale, 50000, 100);
    s->n_biz = scaled(s->scale, 10000, 50);
    s->n_apps = scaled(s->scale, 6000, 36);
    s->n_persons = s->n_parcels * 3 / 5 + s->n_biz / 5;
    s->names_cap = (s->n_biz + s->n_apps) * 4 + 64;
    s->persons = calloc(s->n_persons, sizeof *s->persons);
    s->parcels = calloc(s->n_parcels, sizeof *s->parcels);
    s->biz = calloc(s->n_biz, sizeof *s->biz);
    s->order = calloc(s->n_parcels > s->n_biz ? s->n_parcels : s->n_biz, sizeof *s->order);
    s->start = calloc(s->n_persons + 1, sizeof *s->start);
    s->phone_cleared = calloc(s->n_persons, 1);
    s->booked = calloc(GEO_N_DISTRICTS * SLOTS_PER_DISTRICT, 1);
    s->names = calloc(s->names_cap, sizeof *s->names);
    int rc = 1;
    if (s->persons && s->parcels && s->biz && s->order && s->start && s->phone_cleared &&
        s->booked && s->names) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        s->store = c->store;
        s->next_regno = 100000000;
        make_persons(s);
        rng_init(&s->rng, 0);
        seed_pump(s);
        while (!s->finished)
            if (event_base_loop(c->base, EVLOOP_ONCE) != 0)
                break;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (s->errors) {
            fprintf(stderr, "ussdgw seed: %zu command(s) failed, the first: %s\n", s->errors,
                    s->first_error);
        } else {
            print_seed(s, cfg->redis, secs);
            rc = 0;
        }
    } else {
        fprintf(stderr, "ussdgw seed: out of memory\n");
    }
    free(s->persons);
    free(s->parcels);
    free(s->biz);
    free(s->order);
    free(s->start);
    free(s->phone_cleared);
    free(s->booked);
    free(s->names);
    free(s);
    return rc;
}

/* ---- app show / status / create ---- */

static void print_app(const struct rec_app *a)
{
    char label[24];
    printf("%s  %s / %s  status %s\n", a->ref, a->service, a->kind, a->status);
    printf("  phone      %s\n", a->msisdn);
    printf("  created    %s   updated %s   channel %s\n", a->created, a->updated, a->channel);
    if (a->bill)
        printf("  bill       %s  %ld RWF  %s  expires %s%s%s  pay %s\n", a->bill->number,
               a->bill->amount, a->bill->status, a->bill->expires,
               a->bill->paid_at[0] ? "  paid " : "", a->bill->paid_at, a->bill->pay_code);
    else
        printf("  bill       none\n");
    if (a->slot[0])
        printf("  inspection %s, %s (%s)\n", records_slot_label(a->slot, label, sizeof label),
               a->slot_district, a->slot);
    for (size_t i = 0; i < a->n_details; i++)
        printf("  %-10s %s\n", a->details[i].key, a->details[i].value);
    printf("history:\n");
    for (size_t i = 0; i < a->n_hist; i++)
        printf("  %s  %-10s %s\n", a->hist[i].at, a->hist[i].status, a->hist[i].note);
}

struct app_cmd {
    struct cli *c;
    const char *to;
    int want_allowed; /* a refused transition: read the record to say what is allowed */
};

/* A reported problem (handlers/tickets.c): {HGETALL, history (JSON), followers}. */
static const char script_ticket_show[] =
    "local t='ussd:ticket:'..ARGV[1]\n"
    "if redis.call('TYPE',t).ok~='hash' then return {} end\n"
    "return {redis.call('HGETALL',t),redis.call('LRANGE',t..':hist',0,-1),"
    "redis.call('SCARD',t..':followers')}\n";

static const char *kv_get(const redisReply *h, const char *key)
{
    for (size_t i = 0; h && i + 1 < h->elements; i += 2)
        if (h->element[i]->type == REDIS_REPLY_STRING && strcmp(h->element[i]->str, key) == 0)
            return h->element[i + 1]->type == REDIS_REPLY_STRING ? h->element[i + 1]->str : "";
    return "";
}

/* One history entry {"at","status","note"}: the three strings, or "" each. */
static void hist_print(const char *json)
{
    json_error_t err;
    json_t *j = json_loads(json, 0, &err);
    const char *at = j ? json_string_value(json_object_get(j, "at")) : NULL;
    const char *st = j ? json_string_value(json_object_get(j, "status")) : NULL;
    const char *note = j ? json_string_value(json_object_get(j, "note")) : NULL;
    printf("  %s  %-11s %s\n", at ? at : "", st ? st : "", note ? note : "");
    json_decref(j);
}

static void on_ticket_show(void *arg, int status, const redisReply *r)
{
    struct cli *c = arg;
    c->done = 1;
    c->rc = 1;
    if (status != STORE_OK || !r || r->type != REDIS_REPLY_ARRAY) {
        fprintf(stderr, "ussdgw app: cannot read it (%s)\n",
                r && r->type == REDIS_REPLY_ERROR ? r->str : "Redis did not answer");
        return;
    }
    if (r->elements != 3 || r->element[0]->type != REDIS_REPLY_ARRAY) {
        fprintf(stderr, "ussdgw app: no ticket with that reference\n");
        return;
    }
    const redisReply *h = r->element[0], *hist = r->element[1];
    printf("%s  report %s  status %s\n", kv_get(h, "ref"), kv_get(h, "category"),
           kv_get(h, "status"));
    printf("  place      %s, %s, %s\n", kv_get(h, "landmark"), kv_get(h, "sector"),
           kv_get(h, "district"));
    if (kv_get(h, "description")[0])
        printf("  details    %s\n", kv_get(h, "description"));
    printf("  phone      %s   followers %lld   reports %s\n", kv_get(h, "msisdn"),
           r->element[2]->type == REDIS_REPLY_INTEGER ? r->element[2]->integer : 0LL,
           kv_get(h, "reports"));
    printf("  created    %s   updated %s   channel %s\n", kv_get(h, "created"),
           kv_get(h, "updated"), kv_get(h, "channel"));
    printf("history:\n");
    for (size_t i = 0; hist->type == REDIS_REPLY_ARRAY && i < hist->elements; i++)
        if (hist->element[i]->type == REDIS_REPLY_STRING)
            hist_print(hist->element[i]->str);
    c->rc = 0;
}

static void on_show(void *arg, int status, const char *why, const struct rec_app *a)
{
    struct app_cmd *ac = arg;
    struct cli *c = ac->c;
    c->done = 1;
    if (status == REC_OK) {
        if (ac->want_allowed) {
            char allowed[96];
            int unpaid = a->bill && strcmp(a->bill->status, "unpaid") == 0 && a->bill->amount > 0;
            const char *bad =
                records_transition(a->status, ac->to, unpaid, allowed, sizeof allowed);
            if (!bad)
                fprintf(stderr, "ussdgw app: %s changed while this ran; it is now %s: try again\n",
                        a->ref, a->status);
            else if (strcmp(bad, "same") == 0)
                fprintf(stderr, "ussdgw app: %s is already %s\n", a->ref, a->status);
            else if (!allowed[0])
                fprintf(stderr, "ussdgw app: %s is %s, a final status: it cannot go to %s\n",
                        a->ref, a->status, ac->to);
            else
                fprintf(stderr,
                        "ussdgw app: %s is %s: it cannot go to %s; from %s it can go to: %s\n",
                        a->ref, a->status, ac->to, a->status, allowed);
            c->rc = 1;
            return;
        }
        print_app(a);
        c->rc = 0;
    } else if (status == REC_NOT_FOUND) {
        fprintf(stderr, "ussdgw app: no application with that reference\n");
        c->rc = 1;
    } else {
        fprintf(stderr, "ussdgw app: cannot read it (%s)\n", why);
        c->rc = 1;
    }
}

static void on_status(void *arg, int status, const char *why, const struct rec_status_change *ch)
{
    struct app_cmd *ac = arg;
    struct cli *c = ac->c;
    if (status == REC_OK) {
        printf("%s: %s -> %s", ch->ref, ch->from, ch->to);
        if (ch->regno[0])
            printf("; business registered as %s", ch->regno);
        if (ch->sms_lang[0])
            printf("; SMS queued to %s (%s)", ch->msisdn, ch->sms_lang);
        printf("\n");
        c->rc = 0;
        c->done = 1;
        return;
    }
    if (status == REC_REFUSED && (strcmp(why, "transition") == 0 || strcmp(why, "final") == 0 ||
                                  strcmp(why, "same") == 0 || strcmp(why, "changed") == 0)) {
        /* the caller reads the record next, to say what it may do instead */
        ac->want_allowed = 1;
        c->done = 1;
        return;
    }
    if (status == REC_NOT_FOUND)
        fprintf(stderr, "ussdgw app: no application with that reference\n");
    else if (status == REC_REFUSED)
        fprintf(stderr, "ussdgw app: refused: %s\n", why);
    else
        fprintf(stderr, "ussdgw app: cannot change it (%s)\n", why);
    c->rc = 1;
    c->done = 1;
}

static void on_ticket_status(void *arg, int status, const char *why,
                             const struct rec_ticket_change *ch)
{
    struct cli *c = arg;
    c->done = 1;
    c->rc = 1;
    if (status == REC_OK) {
        printf("%s: %s -> %s; SMS queued to %ld follower%s\n", ch->ref, ch->from, ch->to,
               ch->notified, ch->notified == 1 ? "" : "s");
        c->rc = 0;
    } else if (status == REC_NOT_FOUND)
        fprintf(stderr, "ussdgw app: no ticket with that reference\n");
    else if (status == REC_REFUSED && ch && strcmp(why, "final") == 0)
        fprintf(stderr, "ussdgw app: %s is %s, a final status\n", ch->ref, ch->from);
    else if (status == REC_REFUSED && ch && strcmp(why, "same") == 0)
        fprintf(stderr, "ussdgw app: %s is already %s\n", ch->ref, ch->from);
    else if (status == REC_REFUSED && ch)
        fprintf(stderr, "ussdgw app: %s is %s; it may go to: %s\n", ch->ref, ch->from, ch->to);
    else
        fprintf(stderr, "ussdgw app: cannot change it (%s)\n", why ? why : "?");
}

static void on_create(void *arg, int status, const char *why, const struct rec_app_created *cr)
{
    struct cli *c = arg;
    c->done = 1;
    if (status == REC_OK) {
        printf("%s %s %s\n", cr->ref, cr->bill[0] ? cr->bill : "-",
               cr->existing ? "existing" : "created");
        c->rc = 0;
    } else {
        fprintf(stderr, "ussdgw app create: %s (%s)\n",
                status == REC_REFUSED   ? "refused"
                : status == REC_INVALID ? "invalid"
                                        : "failed",
                why);
        c->rc = 1;
    }
}

static void on_name(void *arg, int status, const char *why, int verdict,
                    const struct rec_name_match *m, size_t n)
{
    struct cli *c = arg;
    static const char *const verdicts[] = {"free", "similar", "taken", "pending"};
    c->done = 1;
    if (status != REC_OK) {
        fprintf(stderr, "ussdgw app name: %s (%s)\n", status == REC_INVALID ? "invalid" : "failed",
                why);
        c->rc = 1;
        return;
    }
    printf("%s\n", verdicts[verdict]);
    for (size_t i = 0; i < n; i++)
        printf("  %3d  %s  %s\n", m[i].score, m[i].regno[0] ? m[i].regno : "(pending)", m[i].name);
    c->rc = 0;
}

static void on_slots(void *arg, int status, const char *why, const struct rec_slot *sl, size_t n)
{
    struct cli *c = arg;
    c->done = 1;
    if (status != REC_OK) {
        fprintf(stderr, "ussdgw app slots: %s (%s)\n", status == REC_INVALID ? "invalid" : "failed",
                why);
        c->rc = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        printf("%s  %s\n", sl[i].id, sl[i].label);
    c->rc = 0;
}

static void on_book(void *arg, int status, const char *why, const struct rec_booking *b)
{
    struct cli *c = arg;
    c->done = 1;
    if (status != REC_OK) {
        fprintf(stderr, "ussdgw app book: %s (%s)\n",
                status == REC_REFUSED     ? "refused"
                : status == REC_INVALID   ? "invalid"
                : status == REC_NOT_FOUND ? "no such application"
                                          : "failed",
                why);
        c->rc = 1;
        return;
    }
    printf("%s: inspection %s in %s%s%s%s\n", b->ref, b->slot, b->district,
           b->same ? " (already booked)" : "", b->previous[0] ? "; gave back " : "", b->previous);
    c->rc = 0;
}

/* Explain a reference refused at entry. */
static int bad_ref(const char *ref)
{
    char out[REFS_MAX];
    const char *why = refs_parse(ref, NULL, out, sizeof out);
    if (!why)
        return 0;
    if (strcmp(why, "check") == 0)
        fprintf(stderr,
                "ussdgw app: '%s' is not a valid reference: its check digit does not match "
                "(a mistyped digit?)\n",
                ref);
    else if (strcmp(why, "prefix") == 0)
        fprintf(stderr,
                "ussdgw app: '%s' is not a valid reference: the prefix must be LND, BIZ or BPA\n",
                ref);
    else
        fprintf(stderr,
                "ussdgw app: '%s' is not a valid reference: expected PFX-YY-NNNNNN-C, e.g. "
                "LND-26-004213-7\n",
                ref);
    return 1;
}

static void app_usage(FILE *f)
{
    fprintf(f,
            "usage: ussdgw app show REF\n"
            "       ussdgw app status REF NEW_STATUS [--note TEXT]\n"
            "       ussdgw app create --service S --kind K --msisdn N --idem KEY [--amount RWF]\n"
            "                         [--detail k=v]... [--channel C]\n"
            "       ussdgw app name NAME           is a business name free? (similar names too)\n"
            "       ussdgw app slots DISTRICT      free inspection slots from now on\n"
            "       ussdgw app book REF SLOT       book one for an approved building permit\n"
            "options: -c FILE, --redis ADDR, --log-level LEVEL\n"
            "statuses: submitted, in_review, approved, rejected, paid, completed\n"
            "ticket statuses (TKT-...): received, in_progress, resolved, rejected\n");
}

static void seed_usage(FILE *f)
{
    fprintf(
        f,
        "usage: ussdgw seed [--redis ADDR] [-c FILE] [--scale full|small|tiny|N] [--today YYYY-MM-DD]\n");
}

enum {
    O_REDIS = 300,
    O_SCALE,
    O_TODAY,
    O_NOTE,
    O_LOGLEVEL,
    O_SERVICE,
    O_KIND,
    O_MSISDN,
    O_IDEM,
    O_AMOUNT,
    O_DETAIL,
    O_CHANNEL,
};

int app_records_cli(const char *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"redis", required_argument, NULL, O_REDIS},
        {"scale", required_argument, NULL, O_SCALE},
        {"today", required_argument, NULL, O_TODAY},
        {"note", required_argument, NULL, O_NOTE},
        {"log-level", required_argument, NULL, O_LOGLEVEL},
        {"service", required_argument, NULL, O_SERVICE},
        {"kind", required_argument, NULL, O_KIND},
        {"msisdn", required_argument, NULL, O_MSISDN},
        {"idem", required_argument, NULL, O_IDEM},
        {"amount", required_argument, NULL, O_AMOUNT},
        {"detail", required_argument, NULL, O_DETAIL},
        {"channel", required_argument, NULL, O_CHANNEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int seed = strcmp(cmd, "seed") == 0;
    struct config cfg;
    config_default(&cfg);
    const char *config_path = NULL, *redis = NULL, *scale = NULL, *today = NULL, *note = NULL,
               *level = NULL;
    struct rec_app_new req = {.amount = -1};
    struct handler_kv det[REC_MAX_DETAILS];
    char detbuf[REC_MAX_DETAILS][REC_VALUE_MAX + 32];
    size_t nd = 0;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': config_path = optarg; break;
        case O_REDIS: redis = optarg; break;
        case O_SCALE: scale = optarg; break;
        case O_TODAY: today = optarg; break;
        case O_NOTE: note = optarg; break;
        case O_LOGLEVEL: level = optarg; break;
        case O_SERVICE: req.service = optarg; break;
        case O_KIND: req.kind = optarg; break;
        case O_MSISDN: req.msisdn = optarg; break;
        case O_IDEM: req.idem_key = optarg; break;
        case O_CHANNEL: req.channel = optarg; break;
        case O_AMOUNT: {
            char *end;
            req.amount = strtol(optarg, &end, 10);
            if (*end || req.amount < 0) {
                fprintf(stderr, "ussdgw app create: --amount takes RWF, not '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case O_DETAIL: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || nd == REC_MAX_DETAILS ||
                strlen(optarg) >= sizeof detbuf[0]) {
                fprintf(stderr, "ussdgw app create: --detail takes key=value (at most %d)\n",
                        REC_MAX_DETAILS);
                return 2;
            }
            snprintf(detbuf[nd], sizeof detbuf[nd], "%s", optarg);
            detbuf[nd][eq - optarg] = 0;
            det[nd] = (struct handler_kv){detbuf[nd], detbuf[nd] + (eq - optarg) + 1};
            nd++;
            break;
        }
        case 'h': seed ? seed_usage(stdout) : app_usage(stdout); return 0;
        default: seed ? seed_usage(stderr) : app_usage(stderr); return 2;
        }
    }
    struct diags d = {0};
    if (config_path && config_load(&cfg, config_path, &d) != 0) {
        diag_print(&d, stderr);
        diag_free(&d);
        return 1;
    }
    diag_free(&d);
    if (redis)
        snprintf(cfg.redis, sizeof cfg.redis, "%s", redis);
    enum log_level lv;
    if (level && log_parse_level(level, &lv) == 0)
        log_set_level(lv);
    else
        log_set_level(L_WARN);

    struct cli c;
    if (seed) {
        if (optind < argc) {
            seed_usage(stderr);
            return 2;
        }
        double x;
        if (parse_scale(scale, &x) != 0) {
            fprintf(
                stderr,
                "ussdgw seed: --scale takes full, small, tiny or a number in (0, 4], not '%s'\n",
                scale);
            return 2;
        }
        if (cli_open(&c, &cfg))
            return 1;
        int rc = cmd_seed(&c, &cfg, scale, today);
        cli_close(&c);
        return rc;
    }

    const char *sub = optind < argc ? argv[optind] : NULL;
    const char *ref = optind + 1 < argc ? argv[optind + 1] : NULL;
    struct app_cmd ac = {&c, NULL, 0};
    if (sub && strcmp(sub, "show") == 0 && ref && optind + 2 == argc) {
        if (bad_ref(ref))
            return 1;
        if (cli_open(&c, &cfg))
            return 1;
        char canon[REFS_MAX];
        if (refs_parse(ref, NULL, canon, sizeof canon) == NULL && strncmp(canon, "TKT-", 4) == 0) {
            const char *av[] = {"EVAL", script_ticket_show, "0", canon};
            store_cmd(c.store, on_ticket_show, &c, 4, av, NULL);
        } else {
            records_app_get(&c.env, ref, on_show, &ac);
        }
        run_loop(&c);
    } else if (sub && strcmp(sub, "status") == 0 && ref && optind + 3 == argc) {
        const char *to = argv[optind + 2];
        if (bad_ref(ref))
            return 1;
        char canon[REFS_MAX];
        if (refs_parse(ref, NULL, canon, sizeof canon) == NULL && strncmp(canon, "TKT-", 4) == 0) {
            /* a reported problem (tickets.c): its own statuses, SMS to every follower */
            if (!records_ticket_status_known(to)) {
                fprintf(stderr,
                        "ussdgw app: unknown ticket status '%s'; one of received, in_progress, "
                        "resolved, rejected\n",
                        to);
                return 2;
            }
            if (cli_open(&c, &cfg))
                return 1;
            records_ticket_set_status(&c.env, canon, to, note, on_ticket_status, &c);
            run_loop(&c);
            cli_close(&c);
            return c.rc;
        }
        if (!records_status_known(to)) {
            fprintf(stderr,
                    "ussdgw app: unknown status '%s'; one of submitted, in_review, approved, "
                    "rejected, paid, completed\n",
                    to);
            return 2;
        }
        if (cli_open(&c, &cfg))
            return 1;
        ac.to = to;
        records_app_set_status(&c.ctx, ref, to, note, REC_NOTIFY, on_status, &ac);
        run_loop(&c);
        if (ac.want_allowed) {
            c.done = 0;
            records_app_get(&c.env, ref, on_show, &ac);
            run_loop(&c);
        }
    } else if (sub && strcmp(sub, "name") == 0 && ref && optind + 2 == argc) {
        if (cli_open(&c, &cfg))
            return 1;
        records_name_check(&c.env, ref, on_name, &c);
        run_loop(&c);
    } else if (sub && strcmp(sub, "slots") == 0 && ref && optind + 2 == argc) {
        if (cli_open(&c, &cfg))
            return 1;
        records_slots_free(&c.env, ref, 64, on_slots, &c);
        run_loop(&c);
    } else if (sub && strcmp(sub, "book") == 0 && ref && optind + 3 == argc) {
        if (bad_ref(ref))
            return 1;
        if (cli_open(&c, &cfg))
            return 1;
        records_slot_book(&c.ctx, ref, argv[optind + 2], on_book, &c);
        run_loop(&c);
    } else if (sub && strcmp(sub, "create") == 0 && optind + 1 == argc) {
        if (!req.service || !req.kind || !req.msisdn || !req.idem_key) {
            fprintf(stderr,
                    "ussdgw app create: --service, --kind, --msisdn and --idem are required\n");
            return 2;
        }
        if (cli_open(&c, &cfg))
            return 1;
        req.details = det;
        req.n_details = nd;
        if (!req.channel)
            req.channel = "cli";
        records_app_create(&c.ctx, &req, on_create, &c);
        run_loop(&c);
    } else {
        app_usage(stderr);
        return 2;
    }
    cli_close(&c);
    return c.rc;
}
