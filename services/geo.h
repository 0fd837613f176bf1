/*
 * geo.h: Rwanda's administrative map as static data: the 5 provinces (City of Kigali
 * and four others), the 30 districts and their 416 sectors (imirenge), with the
 * national codes that parcel numbers (UPI) are built on. Pure: no I/O, no allocation.
 *
 * Codes: a province is 1 City of Kigali, 2 Southern, 3 Western, 4 Northern, 5 Eastern;
 * a district has a number within its province (Gasabo is 2 in province 1) and a national
 * code province*10 + number (Gasabo 12); a sector has a number within its district, its
 * position in the district's alphabetical list, from 1.
 *
 * A UPI (unique parcel identifier) is PROVINCE/DISTRICT/SECTOR/CELL/PARCEL, e.g.
 * 1/02/03/04/567: province 1 digit, district 2 digits, sector 2 digits, cell 2 digits,
 * parcel number 1 to 6 digits.
 */
#ifndef USSDGW_GEO_H
#define USSDGW_GEO_H

#include <stddef.h>

#define GEO_N_PROVINCES 5
#define GEO_N_DISTRICTS 30
#define GEO_N_SECTORS 416
#define GEO_UPI_MAX 20 /* "1/02/03/04/123456" and its NUL, with room */

struct geo_province {
    int code;            /* 1..5 */
    const char *name;    /* English: "City of Kigali", "Southern", ... */
    const char *name_rw; /* "Umujyi wa Kigali", "Amajyepfo", ... */
    const char *name_fr; /* "Ville de Kigali", "Sud", ... */
};

struct geo_district {
    int code;                   /* national code: province*10 + num, e.g. 12 */
    int province;               /* 1..5 */
    int num;                    /* number within the province, 1..8 */
    const char *name;           /* "Gasabo" */
    const char *const *sectors; /* alphabetical; sector number = index + 1 */
    int n_sectors;
};

/* A parsed UPI. */
struct geo_upi {
    int province, district, sector, cell; /* district and sector: numbers within their parent */
    long parcel;                          /* 1..999999 */
    const struct geo_district *d;
    const char *sector_name;
};

/* Province by code 1..5, or NULL. */
const struct geo_province *geo_province(int code);

/* Every district in code order (11, 12, 13, 21, ...); *n gets GEO_N_DISTRICTS. */
const struct geo_district *geo_districts(size_t *n);
/* Their names ("Bugesera" ...), in the same order. */
const char *const *geo_district_names(size_t *n);

/* District by name (ASCII case-insensitive), by national code (11..57), or by province
 * and number within it; NULL when there is none. */
const struct geo_district *geo_district_by_name(const char *name);
const struct geo_district *geo_district_by_code(int code);
const struct geo_district *geo_district_in(int province, int num);

/* Number (from 1) of the sector called `name` in d (case-insensitive), or 0. */
int geo_sector_num(const struct geo_district *d, const char *name);

/* Name of sector `num` (from 1) of d, or NULL. */
const char *geo_sector_name(const struct geo_district *d, int num);

/* Sectors in all districts: GEO_N_SECTORS. */
size_t geo_n_sectors(void);

/* Parse a UPI. Separators may be '/', '*', '#', '-', '.' or spaces (a feature phone
 * types '*' more easily than '/'); each part is digits only. Returns NULL and fills
 * *out when it names a real province, district and sector, a cell 1..99 and a parcel
 * 1..999999; otherwise the reason: "format", "province", "district", "sector", "cell"
 * or "parcel". */
const char *geo_upi_parse(const char *in, struct geo_upi *out);

/* The canonical text of u: "1/02/03/04/567". Returns buf. */
char *geo_upi_format(const struct geo_upi *u, char *buf, size_t n);

#endif
