/*
 * test_menu_load_parts.c: the parts of the menu loader one at a time, each through
 * menu_load_buffer with its exact messages: the YAML reader's events (documents,
 * anchors and aliases), the args of screens and SMS rules (one reader for both),
 * template checks, the polls' steps with districts the test gives (the loader knows
 * none of its own), and bounded texts (a cut list stays valid UTF-8, a loop through a
 * very long screen name is reported within its buffer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "harness.h"
#include "menu.h"
#include "menu_load.h"

static int no_unknown(const char *name)
{
    return strcmp(name, "nope") != 0;
}

static const char *const test_districts[] = {"North", "South", "East"};

/* diag_print's output as a malloc'd string (at most 64 KiB: a test's messages). */
static char *diag_text(struct diags *d)
{
    char *buf = calloc(1, 65536);
    FILE *f = buf ? fmemopen(buf, 65535, "w") : NULL;
    if (f) {
        diag_print(d, f);
        fclose(f);
    }
    return buf;
}

/* Load yaml with the test's handlers and `n_districts` of its districts; the messages
 * into *text (malloc'd). Returns 1 when the set loaded. */
static int load(const char *yaml, size_t n_districts, char **text)
{
    struct menu_load_opts o;
    struct diags d = {0};
    menu_load_opts_default(&o);
    o.handler_exists = no_unknown;
    o.districts = n_districts ? test_districts : NULL;
    o.n_districts = n_districts;
    struct menu_set *set = menu_load_buffer("t.yaml", yaml, strlen(yaml), &o, &d);
    *text = diag_text(&d);
    diag_free(&d);
    int ok = set != NULL;
    menu_set_free(set);
    return ok;
}

static void check_messages(const char *yaml, size_t n_districts, const char *want)
{
    char *got = NULL;
    load(yaml, n_districts, &got);
    CHECK_STR(got, want);
    free(got);
}

/* 1 when s is well-formed UTF-8. */
static int utf8_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        size_t n = *u < 0x80 ? 1 : (*u & 0xE0) == 0xC0 ? 2 : (*u & 0xF0) == 0xE0 ? 3
                 : (*u & 0xF8) == 0xF0 ? 4 : 0;
        if (!n)
            return 0;
        for (size_t i = 1; i < n; i++)
            if ((u[i] & 0xC0) != 0x80)
                return 0;
        u += n;
    }
    return 1;
}

/* ---- the YAML reader ------------------------------------------------------------ */

static void test_second_document(void)
{
    check_messages("dial: {\"*1#\": a}\n"
                   "screens:\n"
                   "  a: {kind: end, text: hi}\n"
                   "---\n"
                   "screens: {}\n",
                   0,
                   "t.yaml:4:1: error: a menu file holds one YAML document; this second one is "
                   "ignored\n");
}

static void test_aliases(void)
{
    /* an anchored map and an anchored scalar used again (an alias is its anchor's node,
     * position included: its problem is said once, not once per alias); an alias with
     * no anchor */
    check_messages("dial: {\"*1#\": a}\n"
                   "screens:\n"
                   "  a: &m {kind: menu, text: t, options: [{label: &l L, next: b}, "
                   "{label: *l, next: b}]}\n"
                   "  b: {kind: end, text: bye}\n"
                   "  e: *m\n"
                   "  f: *nope\n",
                   0,
                   "t.yaml:3:65: error: option 2 of screen 'a' has the same label as option 1 "
                   "('L')\n"
                   "t.yaml:6:6: error: alias '*nope' has no anchor '&nope' before it (a value "
                   "starting with '*' is an alias: quote it, e.g. \"*123#\")\n");
}

/* ---- args and templates ----------------------------------------------------------- */

static void test_screen_args(void)
{
    check_messages("dial: {\"*1#\": a}\n"
                   "screens:\n"
                   "  a:\n"
                   "    kind: handler\n"
                   "    handler: echo\n"
                   "    args: {\"bad name\": x, ok: \"{upi\", empty: , list: [1], "
                   "tpl: \"{not valid!}\", n: \"{{lit}} {x}\"}\n"
                   "    on: {ok: b}\n"
                   "  b: {kind: end, text: \"Hello {name} {{ and { unclosed\"}\n"
                   "  c: {kind: menu, text: t, source: src, args: [1], next: b}\n",
                   0,
                   "t.yaml:6:12: error: 'args' of screen 'a': 'bad name' is not a valid name; "
                   "use 1 to 63 letters, digits, '_', '.' or '-'\n"
                   "t.yaml:6:31: warning: '{' with no closing '}' is shown as is; write '{{' for "
                   "a literal brace\n"
                   "t.yaml:6:54: error: arg 'list' of screen 'a' must be a string, not a list\n"
                   "t.yaml:6:64: warning: '{not valid!}' is not a variable name (letters, "
                   "digits, '_', '.', '-'); write '{{' and '}}' for literal braces\n"
                   "t.yaml:8:24: warning: '{' with no closing '}' is shown as is; write '{{' for "
                   "a literal brace\n"
                   "t.yaml:9:47: error: 'args' of screen 'c' must be a map of name to value, not "
                   "a list\n");
}

static void test_sms_rule_args(void)
{
    check_messages("dial: {\"*1#\": a}\n"
                   "screens:\n"
                   "  a: {kind: end, text: hi}\n"
                   "sms:\n"
                   "  - keyword: '^(?<ref>\\w+)$'\n"
                   "    handler: look\n"
                   "    args: {ref: \"{ref}\", other: \"{refx}\", nothing: \"{zzz}\", empty: , "
                   "\"bad key\": v, lst: [1]}\n"
                   "    on: {ok: \"Found {ref}\"}\n"
                   "  - keyword: HELP\n"
                   "    handler: h\n"
                   "    args: [1, 2]\n"
                   "    on: {ok: ok}\n"
                   "sms_default: \"Send HELP {msisdn} {foo}\"\n",
                   0,
                   "t.yaml:7:33: warning: '{refx}' in arg 'other' of SMS rule 1 is never set (did "
                   "you mean '{ref}'?)\n"
                   "t.yaml:7:52: warning: '{zzz}' in arg 'nothing' of SMS rule 1 is never set: "
                   "the keyword has no group (?<zzz>...), and the built-in variables are msisdn "
                   "and lang\n"
                   "t.yaml:7:70: error: 'args' of SMS rule 1: 'bad key' is not a valid name; use "
                   "1 to 63 letters, digits, '_', '.' or '-'\n"
                   "t.yaml:7:89: error: arg 'lst' of SMS rule 1 must be a string, not a list\n"
                   "t.yaml:11:11: error: 'args' of SMS rule 2 must be a map of name to value, not "
                   "a list\n"
                   "t.yaml:13:14: warning: '{foo}' in sms_default is never set: the variables "
                   "there are msisdn and lang\n");
}

/* ---- polls, with the test's districts ------------------------------------------- */

static const char polls_yaml[] =
    "dial: {\"*1#\": a}\n"
    "screens:\n"
    "  a: {kind: end, text: hi}\n"
    "polls:\n"
    "  - id: p1\n"
    "    question: Which?\n"
    "    projects:\n"
    "      North: [{id: n1, label: One}]\n"
    "      south: [{id: s1, label: S1}, {id: s2, label: S2}, {id: s3, label: S3}]\n"
    "      Nowhere: [{id: x1, label: X}]\n"
    "      Sout: [{id: y1, label: Y}, {id: y2, label: Y2}]\n"
    "    opens: \"2026-01-01T00:00\"\n"
    "    closes: \"2025-01-01T00:00\"\n"
    "    max_choices: 3\n"
    "    voter: email\n"
    "    results_sms: maybe\n"
    "  - id: p2\n"
    "    question: {en: Q}\n"
    "    options: [{id: a, label: A}]\n"
    "    opens: \"2026-01-01 00:00:30\"\n"
    "    closes: \"2027-01-01T00:00\"\n"
    "    max_choices: 0\n"
    "  - id: p3\n"
    "    question: Q\n"
    "    options: [{id: a, label: A}, {id: b, label: B}]\n"
    "    projects: {North: []}\n"
    "    opens: bad\n"
    "    closes: \"2027-01-01T00:00\"\n"
    "  - id: p4\n"
    "    question: Q\n"
    "    projects: []\n"
    "    opens: \"2026-01-01T00:00\"\n"
    "  - {question: Q}\n"
    "  - not a map\n"
    "  - id: p1\n"
    "    question: Q\n"
    "    options: [{id: a, label: A}, {id: b, label: B}]\n"
    "    opens: \"2026-01-01T00:00\"\n"
    "    closes: \"2027-01-01T00:00\"\n";

static void test_poll_steps(void)
{
    check_messages(
        polls_yaml, 3,
        "t.yaml:8:7: error: poll 'p1' has 1 project in North: give at least 2\n"
        "t.yaml:10:7: error: 'Nowhere' in the projects of poll 'p1' is not a district (write "
        "it like North or East)\n"
        "t.yaml:11:7: error: 'Sout' in the projects of poll 'p1' is not a district (did you "
        "mean 'South'?)\n"
        "t.yaml:13:13: error: poll 'p1' closes before it opens: 'closes' must be after "
        "'opens'\n"
        "t.yaml:14:18: error: max_choices of poll 'p1' must be a number from 1 to 1 (its "
        "options in the smallest district), not '3'\n"
        "t.yaml:15:12: error: voter must be phone (one vote per phone number) or national_id "
        "(one vote per national ID), not 'email'\n"
        "t.yaml:16:18: error: results_sms must be true or false, not 'maybe'\n"
        "t.yaml:19:14: error: poll 'p2' has 1 option: give at least 2\n"
        "t.yaml:22:18: error: max_choices of poll 'p2' must be a number from 1 to 1 (its "
        "options), not '0'\n"
        "t.yaml:26:15: error: poll 'p3' has both 'options' and 'projects': give options (for "
        "everyone) or projects per district\n"
        "t.yaml:27:12: error: opens 'bad' is not a date and time: write it like "
        "\"2026-07-01T08:00\" (local time)\n"
        "t.yaml:29:5: error: poll 'p4' is missing the required key 'closes' (like "
        "\"2026-07-31T18:00\", local time)\n"
        "t.yaml:31:15: error: the projects of poll 'p4' must be a map of district to a list of "
        "{id, label}, not a list\n"
        "t.yaml:33:5: error: poll 5 is missing the required key 'id' (a name, like "
        "budget-2027)\n"
        "t.yaml:34:5: error: poll 6 must be a map with id, question, options, opens and "
        "closes, not a string\n"
        "t.yaml:35:9: error: poll 'p1' is already given in t.yaml:5:5\n");
}

static void test_poll_without_districts(void)
{
    char *got = NULL;
    CHECK(!load(polls_yaml, 0, &got));
    CHECK(got && strstr(got, "t.yaml:8:7: error: poll 'p1' has projects by district, but no "
                             "districts are known to this check\n"));
    CHECK(got && !strstr(got, "North"));
    free(got);
}

static void test_poll_by_district_loads(void)
{
    static const char yaml[] = "dial: {\"*1#\": a}\n"
                               "screens:\n"
                               "  a: {kind: end, text: hi}\n"
                               "polls:\n"
                               "  - id: p\n"
                               "    question: Q\n"
                               "    projects:\n"
                               "      north: [{id: a, label: A}, {id: b, label: B}]\n"
                               "      East: [{id: a, label: A}, {id: c, label: C}, {id: d, "
                               "label: D}]\n"
                               "    opens: \"2026-01-01T00:00\"\n"
                               "    closes: \"2027-01-01T00:00\"\n"
                               "    max_choices: 2\n"
                               "    voter: national_id\n"
                               "    results_sms: true\n";
    struct menu_load_opts o;
    struct diags d = {0};
    menu_load_opts_default(&o);
    o.districts = test_districts;
    o.n_districts = 3;
    struct menu_set *set = menu_load_buffer("t.yaml", yaml, strlen(yaml), &o, &d);
    CHECK(set != NULL);
    const struct menu_poll *p = set ? menu_poll_find(set, "p") : NULL;
    CHECK(p != NULL);
    if (p) {
        CHECK_INT(p->by_district, 1);
        CHECK_INT(p->n_options, 5);
        CHECK_STR(p->options[0].district, "North"); /* as the options spell it */
        CHECK_STR(p->options[4].district, "East");
        CHECK_INT(p->max_choices, 2);
        CHECK_INT(p->voter, POLL_VOTER_NATIONAL_ID);
        CHECK_INT(p->results_sms, 1);
        CHECK(p->closes > p->opens);
    }
    menu_set_free(set);
    diag_free(&d);
}

/* ---- bounded texts ---------------------------------------------------------------- */

static void test_cut_list_is_utf8(void)
{
    /* the declared languages, listed in messages, are cut to their buffer: at a
     * character, never inside one */
    char yaml[512];
    char lang[128] = "";
    for (int i = 0; i < 60; i++)
        strcat(lang, "\xc3\xa9");
    snprintf(yaml, sizeof yaml,
             "settings:\n"
             "  default_language: \"%s\"\n"
             "  messages: {back: {fr: Retour}}\n"
             "dial: {\"*1#\": a}\n"
             "screens:\n"
             "  a: {kind: end, text: hi}\n",
             lang);
    char *got = NULL;
    CHECK(!load(yaml, 0, &got));
    CHECK(got && strstr(got, "t.yaml:3:21: error: language 'fr' is not declared in settings: "
                             "languages (declared: \xc3\xa9"));
    CHECK(got && utf8_ok(got));
    free(got);
}

static void test_loop_through_long_name(void)
{
    /* a loop report names the screens of the loop in a bounded buffer */
    size_t n = 3000;
    char *name = malloc(n + 1);
    char *yaml = malloc(3 * n + 400);
    if (!name || !yaml) {
        free(name);
        free(yaml);
        CHECK(0);
        return;
    }
    memset(name, 'a', n);
    name[n] = 0;
    snprintf(yaml, 3 * n + 400,
             "dial: {\"*1#\": x}\n"
             "screens:\n"
             "  ? %s\n"
             "  : {kind: router, routes: [{if: {var: x, exists: true}, next: x}], default: x}\n"
             "  x: {kind: router, routes: [{if: {var: x, exists: true}, next: %s}], default: x}\n",
             name, name);
    char *got = NULL;
    CHECK(!load(yaml, 0, &got));
    CHECK(got && strstr(got, "t.yaml:3:5: error: these screens loop without ever waiting for "
                             "input: aaaa"));
    free(got);
    free(name);
    free(yaml);
}

int main(void)
{
    RUN(test_second_document);
    RUN(test_aliases);
    RUN(test_screen_args);
    RUN(test_sms_rule_args);
    RUN(test_poll_steps);
    RUN(test_poll_without_districts);
    RUN(test_poll_by_district_loads);
    RUN(test_cut_list_is_utf8);
    RUN(test_loop_through_long_name);
    return harness_finish();
}
