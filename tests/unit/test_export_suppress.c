/*
 * test_export_suppress.c: services/export.c's small-cell suppression: no count from 1 to
 * min_cell - 1 is shown, and no hidden count follows from a total and the rest.
 */
#include "export.h"
#include "harness.h"

#define ROW(d, di, sv, m, v) {d, di, sv, m, v, EXPORT_SHOWN}

static void test_small_and_complement(void)
{
    struct export_row r[] = {
        ROW("2026-12-01", "Gasabo", "business", "applications_approved", 9),
        ROW("2026-12-01", "Gasabo", "business", "applications_rejected", 2),
        ROW("2026-12-01", "Gasabo", "business", "applications_submitted", 6),
        ROW("2026-12-01", "Gasabo", "business", "submissions", 17),
        ROW("2026-12-01", "Gasabo", "land", "applications_paid", 1),
        ROW("2026-12-01", "Gasabo", "land", "submissions", 1),
        ROW("2026-12-01", "Huye", "land", "applications_paid", 7),
        ROW("2026-12-01", "Huye", "land", "submissions", 7),
        ROW("2026-12-02", "Huye", "report_water", "tickets_received", 3),
        ROW("all", "all", "poll", "votes_b_roads", 40),
    };
    size_t n = sizeof r / sizeof r[0];
    CHECK_INT(export_suppress(r, n, 5), 5);
    CHECK_INT(r[0].hidden, EXPORT_SHOWN);
    CHECK_INT(r[1].hidden, EXPORT_SMALL);      /* 2 */
    CHECK_INT(r[2].hidden, EXPORT_COMPLEMENT); /* 17 - 9 would give the 2 */
    CHECK_INT(r[3].hidden, EXPORT_SHOWN);
    CHECK_INT(r[4].hidden, EXPORT_SMALL); /* one application and its status */
    CHECK_INT(r[5].hidden, EXPORT_SMALL);
    CHECK_INT(r[6].hidden, EXPORT_SHOWN);
    CHECK_INT(r[7].hidden, EXPORT_SHOWN);
    CHECK_INT(r[8].hidden, EXPORT_SMALL);
    CHECK_INT(r[9].hidden, EXPORT_SHOWN);
    /* no shown value under 5, and no group where the total and all but one part show */
    for (size_t i = 0; i < n; i++)
        CHECK(r[i].hidden || r[i].value >= 5);
}

static void test_total_hidden_when_no_other_part(void)
{
    struct export_row r[] = {
        ROW("d", "x", "permit", "applications_approved", 30),
        ROW("d", "x", "permit", "applications_rejected", 3),
        ROW("d", "x", "permit", "submissions", 33),
    };
    /* the 3 would be 33 - 30: the 30 is hidden with it */
    CHECK_INT(export_suppress(r, 3, 5), 2);
    CHECK_INT(r[0].hidden, EXPORT_COMPLEMENT);
    CHECK_INT(r[1].hidden, EXPORT_SMALL);
    CHECK_INT(r[2].hidden, EXPORT_SHOWN);
    struct export_row lone[] = {
        ROW("d", "y", "permit", "applications_rejected", 3),
        ROW("d", "y", "permit", "submissions", 8), /* parts do not add up: data in flight */
    };
    CHECK_INT(export_suppress(lone, 2, 5), 2);
    CHECK_INT(lone[1].hidden, EXPORT_COMPLEMENT); /* no other part to hide: the total */
}

static void test_off(void)
{
    struct export_row r[] = {ROW("d", "x", "land", "submissions", 1)};
    CHECK_INT(export_suppress(r, 1, 1), 0);
    CHECK_INT(r[0].hidden, EXPORT_SHOWN);
}

int main(void)
{
    RUN(test_small_and_complement);
    RUN(test_total_hidden_when_no_other_part);
    RUN(test_off);
    return harness_finish();
}
