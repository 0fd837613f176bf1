/*
 * test_geo.c: Rwanda's administrative map (services/geo.c): 5 provinces, 30 districts
 * with their national codes, 416 sectors, lookups, and UPI parsing with each refusal
 * reason.
 */
#include "geo.h"
#include "harness.h"

#include <strings.h>

static void test_counts(void)
{
    size_t n;
    const struct geo_district *d = geo_districts(&n);
    CHECK_INT(n, GEO_N_DISTRICTS);
    CHECK_INT(n, 30);
    CHECK_INT(geo_n_sectors(), 416);
    size_t sum = 0;
    int per_province[6] = {0};
    size_t sectors_per_province[6] = {0};
    for (size_t i = 0; i < n; i++) {
        sum += (size_t)d[i].n_sectors;
        CHECK(d[i].province >= 1 && d[i].province <= 5);
        CHECK_INT(d[i].code, d[i].province * 10 + d[i].num);
        per_province[d[i].province]++;
        sectors_per_province[d[i].province] += (size_t)d[i].n_sectors;
    }
    CHECK_INT(sum, 416);
    CHECK_INT(per_province[1], 3); /* City of Kigali */
    CHECK_INT(per_province[2], 8); /* Southern */
    CHECK_INT(per_province[3], 7); /* Western */
    CHECK_INT(per_province[4], 5); /* Northern */
    CHECK_INT(per_province[5], 7); /* Eastern */
    CHECK_INT(sectors_per_province[1], 35);
    CHECK_INT(sectors_per_province[2], 101);
    CHECK_INT(sectors_per_province[3], 96);
    CHECK_INT(sectors_per_province[4], 89);
    CHECK_INT(sectors_per_province[5], 95);
}

static void test_sectors_sorted_and_unique(void)
{
    size_t n;
    const struct geo_district *d = geo_districts(&n);
    for (size_t i = 0; i < n; i++)
        for (int k = 1; k < d[i].n_sectors; k++)
            if (strcmp(d[i].sectors[k - 1], d[i].sectors[k]) >= 0)
                harness_fail(__FILE__, __LINE__, "%s: %s before %s", d[i].name, d[i].sectors[k - 1],
                             d[i].sectors[k]);
    /* codes and names unique */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            CHECK(d[i].code != d[j].code);
            CHECK(strcasecmp(d[i].name, d[j].name) != 0);
        }
}

static void test_gasabo(void)
{
    static const char *const want[] = {"Bumbogo", "Gatsata", "Gikomero",   "Gisozi",    "Jabana",
                                       "Jali",    "Kacyiru", "Kimihurura", "Kimironko", "Kinyinya",
                                       "Ndera",   "Nduba",   "Remera",     "Rusororo",  "Rutunga"};
    const struct geo_district *g = geo_district_by_name("gasabo");
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK_STR(g->name, "Gasabo");
    CHECK_INT(g->code, 12);
    CHECK_INT(g->n_sectors, 15);
    for (int i = 0; i < 15 && i < g->n_sectors; i++)
        CHECK_STR(g->sectors[i], want[i]);
    CHECK(geo_district_by_code(12) == g);
    CHECK(geo_district_in(1, 2) == g);
    CHECK_INT(geo_sector_num(g, "KIMIRONKO"), 9);
    CHECK_STR(geo_sector_name(g, 3), "Gikomero");
    CHECK(geo_sector_name(g, 16) == NULL);
    CHECK(geo_sector_name(g, 0) == NULL);
    CHECK_INT(geo_sector_num(g, "Nyamirambo"), 0);
}

static void test_lookups(void)
{
    CHECK_STR(geo_province(1)->name, "City of Kigali");
    CHECK_STR(geo_province(2)->name_rw, "Amajyepfo");
    CHECK_STR(geo_province(5)->name_fr, "Est");
    CHECK(geo_province(0) == NULL);
    CHECK(geo_province(6) == NULL);
    CHECK_STR(geo_district_by_code(11)->name, "Nyarugenge");
    CHECK_STR(geo_district_by_code(24)->name, "Huye");
    CHECK_STR(geo_district_by_code(33)->name, "Rubavu");
    CHECK_STR(geo_district_by_code(43)->name, "Musanze");
    CHECK_STR(geo_district_by_code(57)->name, "Bugesera");
    CHECK(geo_district_by_code(14) == NULL);
    CHECK(geo_district_by_code(58) == NULL);
    CHECK(geo_district_by_name("Kigali") == NULL);
    CHECK(geo_district_by_name(NULL) == NULL);
    CHECK_INT(geo_district_by_name("GICUMBI")->n_sectors, 21);
    CHECK_INT(geo_district_by_name("Rusizi")->n_sectors, 18);
    CHECK_INT(geo_district_by_name("Ruhango")->n_sectors, 9);
    CHECK(geo_district_in(0, 1) == NULL);
    CHECK(geo_district_in(1, 4) == NULL);
    /* two districts have a sector of the same name as another district */
    CHECK(geo_sector_num(geo_district_by_name("Bugesera"), "Nyarugenge") > 0);
}

static void test_upi(void)
{
    struct geo_upi u;
    char buf[GEO_UPI_MAX];
    CHECK(geo_upi_parse("1/02/03/04/567", &u) == NULL);
    CHECK_INT(u.province, 1);
    CHECK_INT(u.district, 2);
    CHECK_INT(u.sector, 3);
    CHECK_INT(u.cell, 4);
    CHECK_INT(u.parcel, 567);
    CHECK_STR(u.d->name, "Gasabo");
    CHECK_STR(u.sector_name, "Gikomero");
    CHECK_STR(geo_upi_format(&u, buf, sizeof buf), "1/02/03/04/567");
    /* other separators, padding, a closing '#' */
    CHECK(geo_upi_parse("1*02*03*04*567#", &u) == NULL);
    CHECK_STR(geo_upi_format(&u, buf, sizeof buf), "1/02/03/04/567");
    CHECK(geo_upi_parse(" 1 / 2 / 3 / 4 / 0567 ", &u) == NULL);
    CHECK_STR(geo_upi_format(&u, buf, sizeof buf), "1/02/03/04/567");
    CHECK(geo_upi_parse("5/07/15/01/999999", &u) == NULL);
    CHECK_STR(u.d->name, "Bugesera");
    CHECK_STR(u.sector_name, "Shyara");
    /* reasons */
    CHECK_STR(geo_upi_parse("6/02/03/04/567", &u), "province");
    CHECK_STR(geo_upi_parse("0/02/03/04/567", &u), "province");
    CHECK_STR(geo_upi_parse("11/02/03/04/567", &u), "province");
    CHECK_STR(geo_upi_parse("1/04/03/04/567", &u), "district");
    CHECK_STR(geo_upi_parse("1/002/03/04/567", &u), "district");
    CHECK_STR(geo_upi_parse("1/02/16/04/567", &u), "sector");
    CHECK_STR(geo_upi_parse("1/02/00/04/567", &u), "sector");
    CHECK_STR(geo_upi_parse("1/02/03/00/567", &u), "cell");
    CHECK_STR(geo_upi_parse("1/02/03/100/567", &u), "cell");
    CHECK_STR(geo_upi_parse("1/02/03/04/0", &u), "parcel");
    CHECK_STR(geo_upi_parse("1/02/03/04/1234567", &u), "parcel");
    CHECK_STR(geo_upi_parse("1/02/03/04", &u), "format");
    CHECK_STR(geo_upi_parse("1/02/03/04/567/8", &u), "format");
    CHECK_STR(geo_upi_parse("1//02/03/04/567", &u), "format");
    CHECK_STR(geo_upi_parse("a/02/03/04/567", &u), "format");
    CHECK_STR(geo_upi_parse("1/02/03/04/56x", &u), "format");
    CHECK_STR(geo_upi_parse("", &u), "format");
    CHECK_STR(geo_upi_parse(NULL, &u), "format");
    CHECK_STR(geo_upi_parse("1/02/03/04/99999999999999999999", &u), "format");
}

int main(void)
{
    RUN(test_counts);
    RUN(test_sectors_sorted_and_unique);
    RUN(test_gasabo);
    RUN(test_lookups);
    RUN(test_upi);
    return harness_finish();
}
