/*
 * geo.c: Rwanda's provinces, districts and sectors (static tables) and UPI parsing;
 * see geo.h. Sector names follow the official (NISR/MINALOC) spellings as far as we
 * know them; each district's list is alphabetical, so a sector's number is stable.
 */
#include "geo.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct geo_province provinces[GEO_N_PROVINCES] = {
    {1, "City of Kigali", "Umujyi wa Kigali", "Ville de Kigali"},
    {2, "Southern", "Amajyepfo", "Sud"},
    {3, "Western", "Iburengerazuba", "Ouest"},
    {4, "Northern", "Amajyaruguru", "Nord"},
    {5, "Eastern", "Iburasirazuba", "Est"},
};

/* City of Kigali */
static const char *const s_nyarugenge[] = {"Gitega",     "Kanyinya",  "Kigali",     "Kimisagara",
                                           "Mageragere", "Muhima",    "Nyakabanda", "Nyamirambo",
                                           "Nyarugenge", "Rwezamenyo"};
static const char *const s_gasabo[] = {"Bumbogo", "Gatsata", "Gikomero",   "Gisozi",    "Jabana",
                                       "Jali",    "Kacyiru", "Kimihurura", "Kimironko", "Kinyinya",
                                       "Ndera",   "Nduba",   "Remera",     "Rusororo",  "Rutunga"};
static const char *const s_kicukiro[] = {"Gahanga", "Gatenga",   "Gikondo",  "Kagarama",
                                         "Kanombe", "Kicukiro",  "Kigarama", "Masaka",
                                         "Niboye",  "Nyarugunga"};
/* Southern */
static const char *const s_nyanza[] = {"Busasamana", "Busoro",   "Cyabakamyi", "Kibilizi",
                                       "Kigoma",     "Mukingo",  "Muyira",     "Ntyazo",
                                       "Nyagisozi",  "Rwabicuma"};
static const char *const s_gisagara[] = {"Gikonko", "Gishubi", "Kansi",    "Kibirizi", "Kigembe",
                                         "Mamba",   "Muganza", "Mugombwa", "Mukindo",  "Musha",
                                         "Ndora",   "Nyanza",  "Save"};
static const char *const s_nyaruguru[] = {"Busanze",   "Cyahinda", "Kibeho",  "Kivu",   "Mata",
                                          "Muganza",   "Munini",   "Ngera",   "Ngoma",  "Nyabimata",
                                          "Nyagisozi", "Ruheru",   "Ruramba", "Rusenge"};
static const char *const s_huye[] = {"Gishamvu", "Huye",    "Karama", "Kigoma", "Kinazi",
                                     "Maraba",   "Mbazi",   "Mukura", "Ngoma",  "Ruhashya",
                                     "Rusatira", "Rwaniro", "Simbi",  "Tumba"};
static const char *const s_nyamagabe[] = {
    "Buruhukiro", "Cyanika",  "Gasaka",  "Gatare", "Kaduha",   "Kamegeri",
    "Kibirizi",   "Kibumbwe", "Kitabi",  "Mbazi",  "Mugano",   "Musange",
    "Musebeya",   "Mushubi",  "Nkomane", "Tare",   "Uwinkingi"};
static const char *const s_ruhango[] = {"Bweramana", "Byimana", "Kabagari", "Kinazi", "Kinihira",
                                        "Mbuye",     "Mwendo",  "Ntongwe",  "Ruhango"};
static const char *const s_muhanga[] = {"Cyeza",      "Kabacuzi",   "Kibangu",     "Kiyumba",
                                        "Muhanga",    "Mushishiro", "Nyabinoni",   "Nyamabuye",
                                        "Nyarusange", "Rongi",      "Rugendabari", "Shyogwe"};
static const char *const s_kamonyi[] = {"Gacurabwenge", "Karama",    "Kayenzi", "Kayumbu",
                                        "Mugina",       "Musambira", "Ngamba",  "Nyamiyaga",
                                        "Nyarubaka",    "Rugalika",  "Rukoma",  "Runda"};
/* Western */
static const char *const s_karongi[] = {
    "Bwishyura", "Gashari",   "Gishyita", "Gitesi",  "Mubuga",   "Murambi", "Murundi",
    "Mutuntu",   "Rubengera", "Rugabano", "Ruganda", "Rwankuba", "Twumba"};
static const char *const s_rutsiro[] = {"Boneza",    "Gihango", "Kigeyo",  "Kivumu",   "Manihira",
                                        "Mukura",    "Murunda", "Musasa",  "Mushonyi", "Mushubati",
                                        "Nyabirasi", "Ruhango", "Rusebeya"};
static const char *const s_rubavu[] = {"Bugeshi",   "Busasamana", "Cyanzarwe", "Gisenyi",
                                       "Kanama",    "Kanzenze",   "Mudende",   "Nyakiriba",
                                       "Nyamyumba", "Nyundo",     "Rubavu",    "Rugerero"};
static const char *const s_nyabihu[] = {"Bigogwe", "Jenda",   "Jomba",    "Kabatwa",
                                        "Karago",  "Kintobo", "Mukamira", "Muringa",
                                        "Rambura", "Rugera",  "Rurembo",  "Shyira"};
static const char *const s_ngororero[] = {"Bwira",     "Gatumba", "Hindiro", "Kabaya",   "Kageyo",
                                          "Kavumu",    "Matyazo", "Muhanda", "Muhororo", "Ndaro",
                                          "Ngororero", "Nyange",  "Sovu"};
static const char *const s_rusizi[] = {
    "Bugarama",     "Butare",  "Bweyeye",   "Gashonga",   "Giheke",  "Gihundwe",
    "Gikundamvura", "Gitambi", "Kamembe",   "Muganza",    "Mururu",  "Nkanka",
    "Nkombo",       "Nkungu",  "Nyakabuye", "Nyakarenzo", "Nzahaha", "Rwimbogo"};
static const char *const s_nyamasheke[] = {"Bushekeri", "Bushenge",    "Cyato",   "Gihombo",
                                           "Kagano",    "Kanjongo",    "Karambi", "Karengera",
                                           "Kirimbi",   "Macuba",      "Mahembe", "Nyabitekeri",
                                           "Rangiro",   "Ruharambuga", "Shangi"};
/* Northern */
static const char *const s_rulindo[] = {"Base",      "Burega",   "Bushoki",   "Buyoga", "Cyinzuzi",
                                        "Cyungo",    "Kinihira", "Kisaro",    "Masoro", "Mbogo",
                                        "Murambi",   "Ngoma",    "Ntarabana", "Rukozo", "Rusiga",
                                        "Shyorongi", "Tumba"};
static const char *const s_gakenke[] = {"Busengo", "Coko",     "Cyabingo", "Gakenke",  "Gashenyi",
                                        "Janja",   "Kamubuga", "Karambo",  "Kivuruga", "Mataba",
                                        "Minazi",  "Mugunga",  "Muhondo",  "Muyongwe", "Muzo",
                                        "Nemba",   "Ruli",     "Rusasa",   "Rushashi"};
static const char *const s_musanze[] = {"Busogo",  "Cyuve",  "Gacaca", "Gashaki", "Gataraga",
                                        "Kimonyi", "Kinigi", "Muhoza", "Muko",    "Musanze",
                                        "Nkotsi",  "Nyange", "Remera", "Rwaza",   "Shingiro"};
static const char *const s_burera[] = {
    "Bungwe",   "Butaro",      "Cyanika", "Cyeru",      "Gahunga", "Gatebe",
    "Gitovu",   "Kagogo",      "Kinoni",  "Kinyababa",  "Kivuye",  "Nemba",
    "Rugarama", "Rugengabari", "Ruhunde", "Rusarabuye", "Rwerere"};
static const char *const s_gicumbi[] = {
    "Bukure",    "Bwisige", "Byumba",    "Cyumba", "Giti",   "Kageyo",    "Kaniga",
    "Manyagiro", "Miyove",  "Mukarange", "Muko",   "Mutete", "Nyamiyaga", "Nyankenke",
    "Rubaya",    "Rukomo",  "Rushaki",   "Rutare", "Ruvune", "Rwamiko",   "Shangasha"};
/* Eastern */
static const char *const s_rwamagana[] = {
    "Fumbwe",     "Gahengeri", "Gishali", "Karenge", "Kigabiro",  "Muhazi", "Munyaga",
    "Munyiginya", "Musha",     "Muyumbu", "Mwulire", "Nyakaliro", "Nzige",  "Rubona"};
static const char *const s_nyagatare[] = {
    "Gatunda", "Karama",  "Karangazi", "Katabagemu", "Kiyombe",   "Matimba",   "Mimuli",
    "Mukama",  "Musheli", "Nyagatare", "Rukomo",     "Rwempasha", "Rwimiyaga", "Tabagwe"};
static const char *const s_gatsibo[] = {"Gasange",    "Gatsibo",  "Gitoki",   "Kabarore", "Kageyo",
                                        "Kiramuruzi", "Kiziguro", "Muhura",   "Murambi",  "Ngarama",
                                        "Nyagihanga", "Remera",   "Rugarama", "Rwimbogo"};
static const char *const s_kayonza[] = {"Gahini",    "Kabare",  "Kabarondo", "Mukarange",
                                        "Murama",    "Murundi", "Mwiri",     "Ndego",
                                        "Nyamirama", "Rukara",  "Ruramira",  "Rwinkwavu"};
static const char *const s_kirehe[] = {"Gahara",    "Gatore", "Kigarama",  "Kigina",
                                       "Kirehe",    "Mahama", "Mpanga",    "Musaza",
                                       "Mushikiri", "Nasho",  "Nyamugari", "Nyarubuye"};
static const char *const s_ngoma[] = {"Gashanda",  "Jarama",  "Karembo",   "Kazo",   "Kibungo",
                                      "Mugesera",  "Murama",  "Mutenderi", "Remera", "Rukira",
                                      "Rukumberi", "Rurenge", "Sake",      "Zaza"};
static const char *const s_bugesera[] = {"Gashora",    "Juru",   "Kamabuye", "Mareba",  "Mayange",
                                         "Musenyi",    "Mwogo",  "Ngeruka",  "Ntarama", "Nyamata",
                                         "Nyarugenge", "Rilima", "Ruhuha",   "Rweru",   "Shyara"};

#define D(code, name, arr)                                                                         \
    {                                                                                              \
        code, code / 10, code % 10, name, arr, (int)(sizeof arr / sizeof arr[0])                   \
    }

static const struct geo_district districts[GEO_N_DISTRICTS] = {
    D(11, "Nyarugenge", s_nyarugenge),
    D(12, "Gasabo", s_gasabo),
    D(13, "Kicukiro", s_kicukiro),
    D(21, "Nyanza", s_nyanza),
    D(22, "Gisagara", s_gisagara),
    D(23, "Nyaruguru", s_nyaruguru),
    D(24, "Huye", s_huye),
    D(25, "Nyamagabe", s_nyamagabe),
    D(26, "Ruhango", s_ruhango),
    D(27, "Muhanga", s_muhanga),
    D(28, "Kamonyi", s_kamonyi),
    D(31, "Karongi", s_karongi),
    D(32, "Rutsiro", s_rutsiro),
    D(33, "Rubavu", s_rubavu),
    D(34, "Nyabihu", s_nyabihu),
    D(35, "Ngororero", s_ngororero),
    D(36, "Rusizi", s_rusizi),
    D(37, "Nyamasheke", s_nyamasheke),
    D(41, "Rulindo", s_rulindo),
    D(42, "Gakenke", s_gakenke),
    D(43, "Musanze", s_musanze),
    D(44, "Burera", s_burera),
    D(45, "Gicumbi", s_gicumbi),
    D(51, "Rwamagana", s_rwamagana),
    D(52, "Nyagatare", s_nyagatare),
    D(53, "Gatsibo", s_gatsibo),
    D(54, "Kayonza", s_kayonza),
    D(55, "Kirehe", s_kirehe),
    D(56, "Ngoma", s_ngoma),
    D(57, "Bugesera", s_bugesera),
};

const struct geo_province *geo_province(int code)
{
    return code >= 1 && code <= GEO_N_PROVINCES ? &provinces[code - 1] : NULL;
}

const char *const *geo_district_names(size_t *n)
{
    static const char *names[GEO_N_DISTRICTS];
    if (!names[0])
        for (size_t i = 0; i < GEO_N_DISTRICTS; i++)
            names[i] = districts[i].name;
    *n = GEO_N_DISTRICTS;
    return names;
}

const struct geo_district *geo_districts(size_t *n)
{
    if (n)
        *n = GEO_N_DISTRICTS;
    return districts;
}

const struct geo_district *geo_district_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < GEO_N_DISTRICTS; i++)
        if (strcasecmp(districts[i].name, name) == 0)
            return &districts[i];
    return NULL;
}

const struct geo_district *geo_district_by_code(int code)
{
    for (size_t i = 0; i < GEO_N_DISTRICTS; i++)
        if (districts[i].code == code)
            return &districts[i];
    return NULL;
}

const struct geo_district *geo_district_in(int province, int num)
{
    if (province < 1 || province > 9 || num < 1 || num > 9)
        return NULL;
    return geo_district_by_code(province * 10 + num);
}

int geo_sector_num(const struct geo_district *d, const char *name)
{
    if (!d || !name)
        return 0;
    for (int i = 0; i < d->n_sectors; i++)
        if (strcasecmp(d->sectors[i], name) == 0)
            return i + 1;
    return 0;
}

const char *geo_sector_name(const struct geo_district *d, int num)
{
    return d && num >= 1 && num <= d->n_sectors ? d->sectors[num - 1] : NULL;
}

size_t geo_n_sectors(void)
{
    size_t n = 0;
    for (size_t i = 0; i < GEO_N_DISTRICTS; i++)
        n += (size_t)districts[i].n_sectors;
    return n;
}

static int is_sep(char c)
{
    return c == '/' || c == '*' || c == '#' || c == '-' || c == '.' || c == ' ';
}

const char *geo_upi_parse(const char *in, struct geo_upi *out)
{
    long part[5];
    int len[5];
    int n = 0;
    const char *p = in;
    if (!in)
        return "format";
    while (*p == ' ')
        p++;
    while (n < 5) {
        long v = 0;
        int l = 0;
        while (*p >= '0' && *p <= '9') {
            if (l < 7)
                v = v * 10 + (*p - '0');
            l++;
            p++;
        }
        if (l == 0 || l > 7)
            return "format";
        part[n] = v;
        len[n] = l;
        n++;
        if (n == 5)
            break;
        if (!is_sep(*p))
            return "format";
        /* one separator, possibly padded with spaces ("1 / 02") */
        while (*p == ' ')
            p++;
        if (is_sep(*p) && *p != ' ')
            p++;
        while (*p == ' ')
            p++;
    }
    while (*p == ' ' || *p == '#')
        p++;
    if (*p)
        return "format";
    if (len[0] != 1 || !geo_province((int)part[0]))
        return "province";
    if (len[1] > 2)
        return "district";
    const struct geo_district *d = geo_district_in((int)part[0], (int)part[1]);
    if (!d)
        return "district";
    if (len[2] > 2 || part[2] < 1 || part[2] > d->n_sectors)
        return "sector";
    if (len[3] > 2 || part[3] < 1 || part[3] > 99)
        return "cell";
    if (len[4] > 6 || part[4] < 1 || part[4] > 999999)
        return "parcel";
    if (out) {
        out->province = (int)part[0];
        out->district = (int)part[1];
        out->sector = (int)part[2];
        out->cell = (int)part[3];
        out->parcel = part[4];
        out->d = d;
        out->sector_name = d->sectors[part[2] - 1];
    }
    return NULL;
}

char *geo_upi_format(const struct geo_upi *u, char *buf, size_t n)
{
    if (n)
        snprintf(buf, n, "%d/%02d/%02d/%02d/%ld", u->province, u->district, u->sector, u->cell,
                 u->parcel);
    return buf;
}
