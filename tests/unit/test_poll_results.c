/*
 * test_poll_results.c: the results SMS of a poll (poll_results_text): a voter's
 * district's ballot, in their language, within sms_max_parts whatever the labels (long
 * ones, characters outside the GSM alphabet), never a character cut in half, "and N
 * more" for what is left out, the total always at the end.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "menu.h"
#include "geo.h"
#include "menu_load.h"
#include "poll_results.h"
#include "sms_codec.h"

static const char yaml[] =
    "settings:\n  languages: {en: English, fr: Fran\xc3\xa7" "ais}\n"
    "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n"
    "polls:\n"
    "  - id: pb\n    question: {en: \"Budget?\", fr: \"Budget ?\"}\n"
    "    opens: \"2026-01-01T00:00\"\n    closes: \"2026-02-01T00:00\"\n"
    "    results_sms: true\n"
    "    projects:\n"
    "      Gasabo: [{id: a, label: {en: Water, fr: Eau}}, {id: b, label: Road}]\n"
    "      Huye: [{id: c, label: Clinic}, {id: d, label: Market}]\n";

static struct menu_set *load(void)
{
    struct menu_load_opts o;
    menu_load_opts_default(&o);
    o.districts = geo_district_names(&o.n_districts);
    struct diags d = {0};
    struct menu_set *s = menu_load_buffer("t.yaml", yaml, strlen(yaml), &o, &d);
    if (!s)
        diag_print(&d, stdout);
    diag_free(&d);
    return s;
}

/* 1 when s is valid UTF-8. */
static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0)
            return 0;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static void test_district_ballot_and_language(void)
{
    struct menu_set *s = load();
    CHECK(s != NULL);
    if (!s)
        return;
    const char *tally[] = {"a", "3", "b", "1", "c", "7", "p9", "2"};
    const char *extra[] = {"p9", "Bridge"};
    char out[POLL_RESULTS_TEXT_MAX];
    poll_results_text(s, &s->polls[0], "Gasabo", 0, tally, 8, extra, 2, 6, out, sizeof out);
    CHECK_STR(out, "Results: Budget? Water: 3, Road: 1, Bridge: 2. Total 6.");
    poll_results_text(s, &s->polls[0], "Gasabo", 1, tally, 8, NULL, 0, 6, out, sizeof out);
    CHECK_STR(out, "R\xc3\xa9sultats : Budget ? Eau: 3, Road: 1. Total 4.");
    /* no district: every option, with its district */
    poll_results_text(s, &s->polls[0], "", 0, tally, 8, NULL, 0, 6, out, sizeof out);
    CHECK_STR(out, "Results: Budget? Water: 3, Road: 1, Clinic: 7, Market: 0. Total 11.");
    menu_set_free(s);
}

static void test_fits_parts_and_never_cuts_a_character(void)
{
    struct menu_set *s = load();
    CHECK(s != NULL);
    if (!s)
        return;
    /* 40 approved proposals with long titles, one with a letter outside GSM (UCS2) */
    static char titles[40][64], ids[40][8];
    const char *extra[80], *tally[80];
    for (int i = 0; i < 40; i++) {
        snprintf(ids[i], sizeof ids[i], "p%d", i + 1);
        snprintf(titles[i], sizeof titles[i], "%s project number %d of the district",
                 i == 20 ? "C\xc3\xb4te" : "Long", i + 1);
        extra[2 * i] = ids[i];
        extra[2 * i + 1] = titles[i];
        tally[2 * i] = ids[i];
        tally[2 * i + 1] = "1";
    }
    char out[POLL_RESULTS_TEXT_MAX];
    for (int parts = 1; parts <= 6; parts++) {
        poll_results_text(s, &s->polls[0], "Gasabo", 0, tally, 80, extra, 80, parts, out,
                          sizeof out);
        CHECK(sms_count_parts(out, strlen(out)) <= parts);
        CHECK(utf8_ok(out));
        CHECK(ends_with(out, " more. Total 40."));
        CHECK(strstr(out, "Results: Budget?") == out);
    }
    menu_set_free(s);
}

int main(void)
{
    RUN(test_district_ballot_and_language);
    RUN(test_fits_parts_and_never_cuts_a_character);
    return harness_finish();
}
