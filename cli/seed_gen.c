/*
 * seed_gen.c: the seed's PRNG, people and names; see seed_gen.h.
 */
#include "seed_gen.h"

#include <stdio.h>
#include <string.h>

#include "geo.h"

/* ---- the PRNG ---- */

static uint64_t rnd(struct seed_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint32_t seed_rn(struct seed_rng *r, uint32_t n)
{
    return n ? (uint32_t)(rnd(r) % n) : 0;
}

void seed_rng_init(struct seed_rng *r, uint64_t stream)
{
    r->s = SEED_PRNG * 0x100000001B3ULL + stream;
    rnd(r);
}

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

/* ---- people ---- */

void seed_people(struct seed_person *people, size_t n)
{
    struct seed_rng r;
    seed_rng_init(&r, 1);
    for (size_t i = 0; i < n; i++) {
        struct seed_person *p = &people[i];
        p->female = (uint8_t)seed_rn(&r, 2);
        p->first = (uint8_t)seed_rn(&r, p->female ? SEED_COUNT(first_f) : SEED_COUNT(first_m));
        p->last = (uint8_t)seed_rn(&r, p->female ? SEED_COUNT(last_f) : SEED_COUNT(last_m));
        /* adults, more of them young */
        uint32_t a = seed_rn(&r, 100);
        p->year = (uint16_t)(a < 55   ? 1985 + seed_rn(&r, 21)
                             : a < 85 ? 1965 + seed_rn(&r, 20)
                                      : 1940 + seed_rn(&r, 25));
        uint32_t c = seed_rn(&r, 100);
        p->cat = c < 97 ? 1 : c < 99 ? 2 : 3;
        /* unique serials and phone numbers: i through a bijection of 0..10^7-1 */
        p->serial = (uint32_t)((i * 7919ULL + 104729ULL) % 10000000ULL);
        p->phone = (uint32_t)((i * 1000003ULL + 4242424ULL) % 10000000ULL);
        p->issue = seed_rn(&r, 10) < 8 ? 0 : (uint8_t)(1 + seed_rn(&r, 2));
        p->check = (uint8_t)seed_rn(&r, 100);
        p->op = (uint8_t)(seed_rn(&r, 10) < 6 ? seed_rn(&r, 2) : 2 + seed_rn(&r, 2));
        uint32_t l = seed_rn(&r, 100);
        p->lang = l < 60 ? 1 : l < 90 ? 0 : 2;
    }
}

static const char *surname(const struct seed_person *p)
{
    return p->female ? last_f[p->last] : last_m[p->last];
}

void seed_person_name(const struct seed_person *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s", surname(p), p->female ? first_f[p->first] : first_m[p->first]);
}

void seed_person_id(const struct seed_person *p, char *buf, size_t n)
{
    snprintf(buf, n, "%u%04u%c%07u%u%02u", p->cat, p->year, p->female ? '7' : '8', p->serial,
             p->issue, p->check);
}

void seed_person_phone(const struct seed_person *p, char *buf, size_t n)
{
    static const char *const ops[] = {"78", "79", "72", "73"};
    snprintf(buf, n, "250%s%07u", ops[p->op], p->phone);
}

const char *seed_person_lang(const struct seed_person *p)
{
    static const char *const codes[] = {"en", "rw", "fr"};
    return codes[p->lang < 3 ? p->lang : 0];
}

/* ---- business names ---- */

void seed_biz_name(struct seed_rng *r, const struct seed_person *people, size_t n, int attempt,
                   char *out, size_t out_n, const char **type)
{
    size_t nd;
    const struct geo_district *districts = geo_districts(&nd);
    uint32_t k = seed_rn(r, 100);
    const struct seed_person *p = &people[seed_rn(r, (uint32_t)n)];
    const char *sur = surname(p);
    *type = "company";
    if (k < 24)
        snprintf(out, out_n, "%s %s Ltd", SEED_PICK(r, kin_words), SEED_PICK(r, trades));
    else if (k < 42)
        snprintf(out, out_n, "%s %s Ltd", SEED_PICK(r, places), SEED_PICK(r, trades));
    else if (k < 54) {
        snprintf(out, out_n, "%s %s", SEED_PICK(r, fr_trades), SEED_PICK(r, kin_words));
        *type = "enterprise";
    } else if (k < 61) {
        snprintf(out, out_n, seed_rn(r, 3) ? "Ets %s" : "Ets %s & Fils", sur);
        *type = "enterprise";
    } else if (k < 71) {
        snprintf(out, out_n, "%s %s", SEED_PICK(r, coops),
                 districts[seed_rn(r, GEO_N_DISTRICTS)].name);
        *type = "cooperative";
    } else if (k < 81) {
        snprintf(out, out_n, "%s %s", sur, SEED_PICK(r, trades));
        *type = "enterprise";
    } else if (k < 86)
        snprintf(out, out_n, "%s %s %s Ltd", SEED_PICK(r, kin_words), SEED_PICK(r, kin_words),
                 SEED_PICK(r, trades));
    else if (k < 91)
        snprintf(out, out_n, "%s %s Group Ltd", SEED_PICK(r, places), SEED_PICK(r, kin_words));
    else if (k < 94) {
        const struct seed_person *q = &people[seed_rn(r, (uint32_t)n)];
        snprintf(out, out_n, "%s & %s Partners", sur, surname(q));
        *type = "partnership";
    } else
        snprintf(out, out_n, "%s %s Company Ltd", SEED_PICK(r, kin_words), SEED_PICK(r, places));
    if (attempt >= 8) {
        /* a branch number makes it unique at last */
        size_t l = strlen(out);
        snprintf(out + l, out_n - l, " %u", 2 + attempt - 8);
    }
}
