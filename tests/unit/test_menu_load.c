/*
 * test_menu_load.c: the menu loader and checker. A valid set with every screen kind
 * loads and resolves; every class of mistake an administrator can make is shown, with
 * its exact messages, by a broken set under tests/golden/check/NAME/ whose `diag_print`
 * output is tests/golden/check/NAME.out; limits and garbage input are safe.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "diag.h"
#include "harness.h"
#include "menu.h"
#include "geo.h"
#include "menu_load.h"

static int test_handler_exists(const char *name)
{
    static const char *const known[] = {"echo", "districts", "fail", "slow"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(name, known[i]) == 0)
            return 1;
    return 0;
}

static struct menu_load_opts test_opts(void)
{
    struct menu_load_opts o;
    menu_load_opts_default(&o);
    o.districts = geo_district_names(&o.n_districts);
    o.handler_exists = test_handler_exists;
    static const char *const names[] = {"echo", "districts", "fail", "slow"};
    o.handler_names = names;
    o.n_handler_names = 4;
    return o;
}

/* diag_print's output as a malloc'd string. */
static char *diag_text(struct diags *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    diag_print(d, f);
    fclose(f);
    return buf;
}

static struct menu_set *load_str(const char *yaml, struct diags *d)
{
    struct menu_load_opts o = test_opts();
    return menu_load_buffer("t.yaml", yaml, strlen(yaml), &o, d);
}

static int match(const struct pcre2_real_code_8 *re, const char *s)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match((const pcre2_code *)re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* ---- a valid set ------------------------------------------------------------------- */

static const char valid_set[] =
    "settings:\n"
    "  default_language: en\n"
    "  languages: {en: English, rw: Kinyarwanda, fr: Français}\n"
    "  messages:\n"
    "    back: {fr: Précédent}\n"
    "    busy: Too busy, sorry.\n"
    "dial:\n"
    "  \"*123#\": root\n"
    "  \"*123*2#\": district\n"
    "screens:\n"
    "  root:\n"
    "    kind: menu\n"
    "    text: {en: City services, rw: Serivisi z'umujyi, fr: Services de la ville}\n"
    "    var: choice\n"
    "    options:\n"
    "      - label: {en: Look up a parcel, fr: Chercher une parcelle}\n"
    "        next: parcel_upi\n"
    "        value: parcel\n"
    "      - label: Districts\n"
    "        next: district\n"
    "      - label: {en: Language, rw: Ururimi, fr: Langue}\n"
    "        next: choose_lang\n"
    "  choose_lang:\n"
    "    kind: language\n"
    "    text: {en: Choose a language, fr: Choisissez une langue}\n"
    "    next: root\n"
    "  district:\n"
    "    kind: menu\n"
    "    text: Pick a district\n"
    "    source: districts\n"
    "    args: {province: \"{province}\", limit: \"10\"}\n"
    "    var: district\n"
    "    next: parcel_upi\n"
    "  parcel_upi:\n"
    "    kind: input\n"
    "    text: {en: \"Enter the parcel UPI, e.g. 1/02/03/04/567\"}\n"
    "    var: upi\n"
    "    retries: 5\n"
    "    validate:\n"
    "      - pattern: '^\\d/\\d{2}/\\d{2}/\\d{2}/\\d{1,6}$'\n"
    "        error: {en: That is not a UPI., fr: Ce n'est pas un UPI.}\n"
    "      - pattern: '^[^é]*$'\n"
    "        error: No accents.\n"
    "    next: parcel_find\n"
    "  parcel_find:\n"
    "    kind: handler\n"
    "    handler: echo\n"
    "    args: {parcel: \"{upi}\"}\n"
    "    on:\n"
    "      ok: check\n"
    "      not_found: sorry\n"
    "      error: sorry\n"
    "  check:\n"
    "    kind: router\n"
    "    routes:\n"
    "      - if: {var: owner, exists: true}\n"
    "        next: parcel_sms\n"
    "      - if: {var: upi, matches: '^1/'}\n"
    "        next: sorry\n"
    "      - if: {var: choice, equals: parcel}\n"
    "        next: parcel_done\n"
    "    default: sorry\n"
    "  parcel_sms:\n"
    "    kind: sms\n"
    "    text: {en: \"Parcel {parcel} was found.\", fr: \"Parcelle {parcel} trouvée.\"}\n"
    "    next: parcel_done\n"
    "  parcel_done:\n"
    "    kind: end\n"
    "    text: {en: \"Parcel {parcel} found. We sent you an SMS.\"}\n"
    "  sorry:\n"
    "    kind: end\n"
    "    text: Sorry, try again later.\n";

static void test_valid_set_loads(void)
{
    struct diags d = {0};
    struct menu_set *s = load_str(valid_set, &d);
    CHECK(s != NULL);
    CHECK_INT(d.errors, 0);
    CHECK_INT(d.warnings, 0);
    if (!s) {
        diag_print(&d, stdout);
        diag_free(&d);
        return;
    }
    CHECK_INT(s->n_screens, 9);
    for (size_t i = 1; i < s->n_screens; i++)
        CHECK(strcmp(s->screens[i - 1].name, s->screens[i].name) < 0);
    CHECK_INT(strlen(s->version), 16);
    CHECK_INT(s->n_langs, 3);
    CHECK_STR(s->langs[2], "fr");
    CHECK_STR(s->lang_names[2], "Français");
    CHECK_INT(s->default_lang, 0);
    CHECK_INT(menu_find_lang(s, "rw"), 1);
    CHECK_INT(menu_find_lang(s, "de"), -1);

    int root = menu_find_screen(s, "root");
    CHECK(root >= 0);
    const struct menu_screen *r = &s->screens[root];
    CHECK_INT(r->kind, SCREEN_MENU);
    CHECK_INT(r->n_options, 3);
    CHECK_STR(r->var, "choice");
    CHECK_STR(r->options[0].value, "parcel");
    CHECK(r->options[1].value == NULL);
    CHECK_INT(r->options[0].next_idx, menu_find_screen(s, "parcel_upi"));
    CHECK_INT(r->options[2].next_idx, menu_find_screen(s, "choose_lang"));
    CHECK_STR(menu_text_get(s, &r->text, 1), "Serivisi z'umujyi");
    CHECK_STR(menu_text_get(s, &r->options[0].label, 1), "Look up a parcel"); /* fallback */
    CHECK_STR(menu_text_get(s, &r->options[1].label, 2), "Districts");
    CHECK_INT(r->pos.line, 11);
    CHECK_INT(r->pos.col, 3);
    CHECK_STR(r->pos.file, "t.yaml");

    const struct menu_screen *dist = &s->screens[menu_find_screen(s, "district")];
    CHECK_STR(dist->source, "districts");
    CHECK_INT(dist->n_args, 2);
    CHECK_STR(dist->args[0].key, "province");
    CHECK_STR(dist->args[0].value, "{province}");
    CHECK_INT(dist->next_idx, menu_find_screen(s, "parcel_upi"));

    const struct menu_screen *in = &s->screens[menu_find_screen(s, "parcel_upi")];
    CHECK_INT(in->kind, SCREEN_INPUT);
    CHECK_INT(in->retries, 5);
    CHECK_INT(in->n_validators, 2);
    CHECK(in->validators[0].re != NULL);
    CHECK(match(in->validators[0].re, "1/02/03/04/567"));
    CHECK(!match(in->validators[0].re, "1/2/3"));
    CHECK(match(in->validators[1].re, "abc"));
    CHECK(!match(in->validators[1].re, "café")); /* UTF mode: é is one character */
    CHECK_STR(menu_text_get(s, &in->validators[0].error, 2), "Ce n'est pas un UPI.");
    CHECK_INT(in->next_idx, menu_find_screen(s, "parcel_find"));

    const struct menu_screen *h = &s->screens[menu_find_screen(s, "parcel_find")];
    CHECK_STR(h->handler, "echo");
    CHECK_INT(h->n_routes, 3);
    CHECK_STR(h->routes[1].outcome, "not_found");
    CHECK_INT(h->routes[1].next_idx, menu_find_screen(s, "sorry"));
    CHECK_STR(h->args[0].value, "{upi}");

    const struct menu_screen *ck = &s->screens[menu_find_screen(s, "check")];
    CHECK_INT(ck->n_conds, 3);
    CHECK_INT(ck->conds[0].op, COND_EXISTS);
    CHECK_STR(ck->conds[0].operand, "true");
    CHECK_INT(ck->conds[1].op, COND_MATCHES);
    CHECK(ck->conds[1].re && match(ck->conds[1].re, "1/02"));
    CHECK_INT(ck->conds[2].op, COND_EQUALS);
    CHECK_STR(ck->conds[2].var, "choice");
    CHECK_STR(ck->conds[2].operand, "parcel");
    CHECK_INT(ck->conds[2].next_idx, menu_find_screen(s, "parcel_done"));
    CHECK_INT(ck->default_idx, menu_find_screen(s, "sorry"));

    const struct menu_screen *sms = &s->screens[menu_find_screen(s, "parcel_sms")];
    CHECK_INT(sms->kind, SCREEN_SMS);
    CHECK_STR(sms->to, "{msisdn}");
    CHECK_STR(menu_text_get(s, &sms->text, 2), "Parcelle {parcel} trouvée.");
    CHECK_INT(s->screens[menu_find_screen(s, "choose_lang")].kind, SCREEN_LANGUAGE);
    CHECK_INT(s->screens[menu_find_screen(s, "sorry")].kind, SCREEN_END);

    CHECK_INT(s->n_dials, 2);
    const struct menu_dial *dl = menu_find_dial(s, " *123 * 2 # ");
    CHECK(dl != NULL);
    CHECK_INT(dl ? dl->screen_idx : -9, menu_find_screen(s, "district"));
    CHECK(menu_find_dial(s, "*124#") == NULL);
    CHECK_INT(menu_find_screen(s, "nope"), MENU_NO_SCREEN);

    /* engine texts: built-in per language, overrides merged in */
    CHECK_STR(menu_msg(s, MENU_MSG_BACK, 0), "Back");
    CHECK_STR(menu_msg(s, MENU_MSG_BACK, 1), "Subira");
    CHECK_STR(menu_msg(s, MENU_MSG_BACK, 2), "Précédent");
    CHECK_STR(menu_msg(s, MENU_MSG_BUSY, 0), "Too busy, sorry.");
    CHECK_STR(menu_msg(s, MENU_MSG_HOME, 2), "Accueil");
    CHECK_STR(menu_msg(s, MENU_MSG_UNKNOWN_CODE, 1), "Iyi kode ntizwi.");
    CHECK_STR(menu_msg(s, MENU_MSG_INVALID_CHOICE, 0), "Please choose one of the numbers shown.");
    menu_set_free(s);
    diag_free(&d);
}

static void test_defaults_without_settings(void)
{
    struct diags d = {0};
    struct menu_set *s = load_str("dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n", &d);
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(s->n_langs, 1);
        CHECK_STR(s->langs[0], "en");
        CHECK_STR(s->lang_names[0], "English");
        CHECK_INT(s->default_lang, 0);
        CHECK_STR(menu_msg(s, MENU_MSG_TOO_MANY_TRIES, 0),
                  "Too many wrong answers. Please dial again.");
        CHECK_STR(menu_msg(s, MENU_MSG_RESUME, 0), "Continue where you left off?");
        CHECK_STR(menu_msg(s, MENU_MSG_RESUME_YES, 0), "Continue");
        CHECK_STR(menu_msg(s, MENU_MSG_RESUME_NO, 0), "Start again");
        CHECK_STR(menu_msg(s, MENU_MSG_UNAVAILABLE, 0),
                  "Service temporarily unavailable, please try again later.");
        CHECK_STR(menu_msg(s, MENU_MSG_ERROR, 0),
                  "Sorry, something went wrong. Please try again later.");
        CHECK_STR(menu_msg(s, MENU_MSG_BUSY, 5), /* out of range: the default */
                  "The service is busy. Please try again in a few minutes.");
        CHECK_STR(menu_text_get(s, NULL, 0), "");
        CHECK_STR(menu_kind_name(SCREEN_ROUTER), "router");
    }
    menu_set_free(s);
    diag_free(&d);
}

/* A default language without built-in texts: English is shown, with a warning. */
static void test_default_language_without_builtins(void)
{
    struct diags d = {0};
    struct menu_set *s = load_str("settings: {default_language: sw, languages: {sw: Kiswahili}, "
                                  "messages: {back: Rudi}}\n"
                                  "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Habari}\n",
                                  &d);
    CHECK(s != NULL);
    CHECK_INT(d.warnings, 1);
    if (s) {
        CHECK_STR(menu_msg(s, MENU_MSG_BACK, 0), "Rudi");
        CHECK_STR(menu_msg(s, MENU_MSG_HOME, 0), "Home");
        CHECK_STR(s->lang_names[0], "Kiswahili");
    }
    char *got = diag_text(&d);
    CHECK_STR(got, "t.yaml:1:30: warning: there are no built-in engine texts in 'sw'; English is "
                   "shown for: home, more, invalid_choice, too_many_tries, resume, resume_yes, "
                   "resume_no, unavailable, busy, error, unknown_code, expired (give them under settings: "
                   "messages)\n");
    free(got);
    menu_set_free(s);
    diag_free(&d);
}

/* FNV-1a 64 over the file's base name, then its bytes. */
static void test_version(void)
{
    const char *y = "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n";
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *parts[2] = {"v.yaml", y};
    for (int p = 0; p < 2; p++)
        for (const char *c = parts[p]; *c; c++) {
            h ^= (unsigned char)*c;
            h *= 0x100000001b3ULL;
        }
    char want[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
    struct diags d = {0};
    struct menu_load_opts o = test_opts();
    struct menu_set *a = menu_load_buffer("some/dir/v.yaml", y, strlen(y), &o, &d);
    struct menu_set *b = menu_load_buffer("w.yaml", y, strlen(y), &o, &d);
    CHECK(a && b);
    if (a && b) {
        CHECK_STR(a->version, want);
        CHECK(strcmp(a->version, b->version) != 0);
    }
    menu_set_free(a);
    menu_set_free(b);
    diag_free(&d);
}

static void test_free_null_and_lookups_on_null(void)
{
    menu_set_free(NULL);
    CHECK_INT(menu_find_screen(NULL, "a"), MENU_NO_SCREEN);
    CHECK(menu_find_dial(NULL, "*1#") == NULL);
    CHECK_INT(menu_find_lang(NULL, "en"), -1);
    CHECK_STR(menu_msg(NULL, MENU_MSG_MORE, 0), "More");
    struct diags d = {0};
    diag_free(&d);
}

static void test_empty_buffer(void)
{
    struct diags d = {0};
    struct menu_set *s = load_str("", &d);
    CHECK(s != NULL);
    CHECK_INT(d.errors + d.warnings, 0);
    if (s)
        CHECK_INT(s->n_screens, 0);
    menu_set_free(s);
    diag_free(&d);
}

static void test_diag_sorted_and_stable(void)
{
    struct diags d = {0};
    diag_add(&d, DIAG_ERROR, "b.yaml", 1, 1, "b1");
    diag_add(&d, DIAG_WARNING, "a.yaml", 10, 2, "a10-first");
    diag_add(&d, DIAG_ERROR, "a.yaml", 2, 5, "a2");
    diag_add(&d, DIAG_ERROR, "a.yaml", 10, 2, "a10-second %d", 2);
    diag_add(&d, DIAG_ERROR, "a.yaml", 10, 1, "a10col1");
    CHECK_INT(d.errors, 4);
    CHECK_INT(d.warnings, 1);
    char *got = diag_text(&d);
    CHECK_STR(got, "a.yaml:2:5: error: a2\n"
                   "a.yaml:10:1: error: a10col1\n"
                   "a.yaml:10:2: warning: a10-first\n"
                   "a.yaml:10:2: error: a10-second 2\n"
                   "b.yaml:1:1: error: b1\n");
    free(got);
    diag_free(&d);
    CHECK_INT(d.n, 0);
}

/* The diagnostics of loading `yaml` from memory, as printed. */
static char *load_msgs(const char *yaml, size_t len, int *loaded)
{
    struct diags d = {0};
    struct menu_load_opts o = test_opts();
    struct menu_set *s = menu_load_buffer("y.yaml", yaml, len, &o, &d);
    *loaded = s != NULL;
    char *got = diag_text(&d);
    menu_set_free(s);
    diag_free(&d);
    return got;
}

static void test_yaml_level(void)
{
    int ok;
    /* anchors and aliases share a text; CRLF line ends; empty top-level keys */
    const char *y = "settings:\r\n"
                    "dial: {\"*1#\": a}\r\n"
                    "screens:\r\n"
                    "  a: {kind: menu, text: &t {en: Pick}, options: [{label: *t, next: b}]}\r\n"
                    "  b: {kind: end, text: *t}\r\n";
    char *got = load_msgs(y, strlen(y), &ok);
    CHECK(ok);
    CHECK_STR(got, "");
    free(got);

    got = load_msgs("screens:\n", 9, &ok);
    CHECK(ok);
    CHECK_STR(got, "");
    free(got);

    const char bad_utf8[] = "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: \"h\xc3\xa9 \xff\"}\n";
    got = load_msgs(bad_utf8, sizeof bad_utf8 - 1, &ok);
    CHECK(!ok);
    CHECK_STR(got, "y.yaml:3:28: error: the file is not valid UTF-8 text: invalid leading UTF-8 "
                   "octet (byte 0xff)\n");
    free(got);

    y = "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n---\nscreens: {}\n";
    got = load_msgs(y, strlen(y), &ok);
    CHECK(!ok);
    CHECK_STR(got, "y.yaml:4:1: error: a menu file holds one YAML document; this second one is "
                   "ignored\n");
    free(got);

    y = "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: *nothing}\n";
    got = load_msgs(y, strlen(y), &ok);
    CHECK(!ok);
    CHECK_STR(got, "y.yaml:3:24: error: alias '*nothing' has no anchor '&nothing' before it (a "
                   "value starting with '*' is an alias: quote it, e.g. \"*123#\")\n");
    free(got);

    /* a quoted key with a line break still gives one line per problem */
    y = "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi, \"te\\nxt\": 1}\n";
    got = load_msgs(y, strlen(y), &ok);
    CHECK(!ok);
    CHECK_STR(got, "y.yaml:3:28: error: key 'te xt' is not allowed in an end screen (did you mean "
                   "'text'?)\n");
    free(got);
}

/* ---- broken sets, compared with their golden output ---------------------------------- */

static void check_golden(const char *name, int want_set)
{
    char dir[256], out[256];
    snprintf(dir, sizeof dir, "tests/golden/check/%s", name);
    snprintf(out, sizeof out, "tests/golden/check/%s.out", name);
    struct diags d = {0};
    struct menu_load_opts o = test_opts();
    struct menu_set *s = menu_load_dir(dir, &o, &d);
    char *got = diag_text(&d);
    if (!got || !harness_golden(out, got))
        harness_fail(__FILE__, __LINE__, "%s: diagnostics differ from %s", name, out);
    if (want_set && !s)
        harness_fail(__FILE__, __LINE__, "%s: the set should load (warnings only)", name);
    if (!want_set && s)
        harness_fail(__FILE__, __LINE__, "%s: the set should not load", name);
    free(got);
    menu_set_free(s);
    diag_free(&d);
}

#define GOLDEN(name, ok)                                                                       \
    static void test_check_##name(void)                                                        \
    {                                                                                          \
        check_golden(#name, ok);                                                               \
    }
GOLDEN(syntax, 0)
GOLDEN(toplevel, 0)
GOLDEN(unknown_kind, 0)
GOLDEN(unknown_key, 0)
GOLDEN(missing_key, 0)
GOLDEN(wrong_type, 0)
GOLDEN(bad_target, 0)
GOLDEN(bad_pattern, 0)
GOLDEN(unknown_handler, 0)
GOLDEN(dup_screen, 0)
GOLDEN(dup_dial, 0)
GOLDEN(dup_option, 0)
GOLDEN(bad_dial, 0)
GOLDEN(unreachable, 1)
GOLDEN(no_dial, 1)
GOLDEN(loop, 0)
GOLDEN(missing_default, 0)
GOLDEN(undeclared_lang, 0)
GOLDEN(undeclared_lang2, 0)
GOLDEN(too_long, 0)
GOLDEN(two_settings, 0)
GOLDEN(bad_default_lang, 0)
GOLDEN(menu_source, 0)
GOLDEN(menu_next, 0)
GOLDEN(option98, 0)
GOLDEN(retries, 0)
GOLDEN(bad_name, 0)
GOLDEN(router_cond, 0)
GOLDEN(messages, 0)
GOLDEN(multi, 0)
GOLDEN(limits_depth, 0)
GOLDEN(alias_bomb, 0)
GOLDEN(templates, 1)
GOLDEN(sms_pattern, 0)
GOLDEN(sms_handler, 0)
GOLDEN(sms_reply_or_handler, 0)
GOLDEN(sms_unknown_key, 0)
GOLDEN(sms_missing_lang, 0)
GOLDEN(sms_wrong_type, 0)
GOLDEN(sms_two_defaults, 0)
GOLDEN(sms_too_long, 1)
GOLDEN(sms_no_default, 1)
GOLDEN(sms_vars, 1)
GOLDEN(poll_invalid, 0)
GOLDEN(poll_dup, 0)
GOLDEN(poll_projects, 0)
GOLDEN(alias_once, 0)

static void test_missing_folder(void)
{
    struct diags d = {0};
    struct menu_load_opts o = test_opts();
    struct menu_set *s = menu_load_dir("tests/golden/check/no-such-folder", &o, &d);
    CHECK(s == NULL);
    char *got = diag_text(&d);
    CHECK_STR(got, "tests/golden/check/no-such-folder:1:1: error: cannot open the menu folder: "
                   "No such file or directory\n");
    free(got);
    diag_free(&d);
    /* a folder with no *.yaml in it */
    s = menu_load_dir("tests/golden/check", &o, &d);
    CHECK(s == NULL);
    got = diag_text(&d);
    CHECK_STR(got, "tests/golden/check:1:1: error: no *.yaml menu files in this folder\n");
    free(got);
    diag_free(&d);
}

/* ---- limits --------------------------------------------------------------------------- */

struct buf {
    char *p;
    size_t n, cap;
};

__attribute__((format(printf, 2, 3))) static void bprintf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->n + (size_t)n + 1 > b->cap) {
        b->cap = (b->n + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

/* Does the diagnostics output contain `want`? */
static int diags_have(struct diags *d, const char *want)
{
    char *got = diag_text(d);
    int ok = got && strstr(got, want) != NULL;
    if (!ok)
        printf("  wanted: %s\n  in: %.600s\n", want, got ? got : "(null)");
    free(got);
    return ok;
}

static void test_limit_screens(void)
{
    struct buf b = {0};
    bprintf(&b, "dial: {\"*1#\": s0}\nscreens:\n");
    for (int i = 0; i < 2001; i++)
        bprintf(&b, "  s%d: {kind: end, text: Hi}\n", i);
    struct diags d = {0};
    struct menu_set *s = load_str(b.p, &d);
    CHECK(s == NULL);
    CHECK(diags_have(&d, "t.yaml:2003:3: error: too many screens: a set can have at most 2000; "
                         "the rest are ignored\n"));
    diag_free(&d);
    free(b.p);
}

static void test_limit_options_validators_args(void)
{
    struct buf b = {0};
    bprintf(&b, "dial: {\"*1#\": m}\nscreens:\n  m:\n    kind: menu\n    text: T\n"
                "    options:\n");
    for (int i = 0; i < 65; i++)
        bprintf(&b, "      - {label: O%d, next: i}\n", i);
    bprintf(&b, "  i:\n    kind: input\n    text: T\n    var: v\n    next: h\n    validate:\n");
    for (int i = 0; i < 17; i++)
        bprintf(&b, "      - {pattern: x%d, error: E}\n", i);
    bprintf(&b, "  h:\n    kind: handler\n    handler: echo\n    on: {ok: m}\n    args:\n");
    for (int i = 0; i < 33; i++)
        bprintf(&b, "      a%d: v\n", i);
    struct diags d = {0};
    struct menu_set *s = load_str(b.p, &d);
    CHECK(s == NULL);
    CHECK(diags_have(&d, "t.yaml:71:9: error: too many options: a menu can have at most 64 (for "
                         "long lists, use a 'source' handler)\n"));
    CHECK(diags_have(&d, "t.yaml:94:9: error: too many validators: a screen can have at most "
                         "16\n"));
    CHECK(diags_have(&d, "t.yaml:132:7: error: too many args: a screen can have at most 32\n"));
    CHECK_INT(d.errors, 3);
    diag_free(&d);
    free(b.p);
}

static void test_limit_file_size(void)
{
    size_t n = 1024 * 1024 + 1;
    char *y = malloc(n);
    memset(y, '#', n); /* one long comment */
    struct diags d = {0};
    struct menu_load_opts o = test_opts();
    struct menu_set *s = menu_load_buffer("big.yaml", y, n, &o, &d);
    CHECK(s == NULL);
    char *got = diag_text(&d);
    CHECK_STR(got, "big.yaml:1:1: error: the file is larger than 1 MiB (1048577 bytes): split it "
                   "into several files\n");
    free(got);
    diag_free(&d);
    /* exactly 1 MiB is fine */
    s = menu_load_buffer("big.yaml", y, n - 1, &o, &d);
    CHECK(s != NULL);
    CHECK_INT(d.errors, 0);
    menu_set_free(s);
    diag_free(&d);
    free(y);
}

static void test_limit_nodes(void)
{
    /* a flat list of 300000 items: more nodes than a file may have */
    struct buf b = {0};
    bprintf(&b, "x: [");
    for (int i = 0; i < 300000; i++)
        bprintf(&b, "1,");
    bprintf(&b, "1]\n");
    struct diags d = {0};
    struct menu_set *s = load_str(b.p, &d);
    CHECK(s == NULL);
    CHECK(diags_have(&d, "error: the file has more than 200000 YAML nodes"));
    diag_free(&d);
    free(b.p);
}

/* ---- garbage ------------------------------------------------------------------------- */

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* Random bytes, and random mutations of a valid set: never a crash, never a set with
 * an error, and every target of a loaded set resolved. */
static void test_garbage_is_safe(void)
{
    static const char alphabet[] = "abc:-[]{}\n  \t#*&!|>'\"\\0123456789.,?%@`~\xc3\xa9\xff";
    size_t vlen = strlen(valid_set);
    char *m = malloc(vlen + 64);
    for (int round = 0; round < 3000; round++) {
        size_t n;
        if (round % 2) {
            n = rnd() % 300;
            for (size_t i = 0; i < n; i++)
                m[i] = round % 4 == 1 ? (char)rnd() : alphabet[rnd() % (sizeof alphabet - 1)];
        } else {
            memcpy(m, valid_set, vlen);
            n = vlen;
            for (int k = 0; k < 1 + (int)(rnd() % 4); k++)
                m[rnd() % n] = alphabet[rnd() % (sizeof alphabet - 1)];
            if (rnd() % 3 == 0)
                n = rnd() % n;
        }
        struct diags d = {0};
        struct menu_load_opts o = test_opts();
        struct menu_set *s = menu_load_buffer("g.yaml", m, n, &o, &d);
        if (s) {
            CHECK_INT(d.errors, 0);
            for (size_t i = 0; i < s->n_dials; i++)
                CHECK(s->dials[i].screen_idx >= 0);
            for (size_t i = 0; i < s->n_screens; i++)
                for (size_t j = 0; j < s->screens[i].n_options; j++)
                    CHECK(s->screens[i].options[j].next_idx >= 0);
        } else {
            CHECK(d.errors > 0);
        }
        char *t = diag_text(&d);
        free(t);
        menu_set_free(s);
        diag_free(&d);
        if (harness_failed_now)
            break;
    }
    free(m);
}

/* ---- SMS keyword rules -------------------------------------------------------------- */

static const char sms_set[] =
    "settings:\n"
    "  languages: {en: English, fr: Français}\n"
    "dial: {\"*123#\": root}\n"
    "screens:\n"
    "  root: {kind: end, text: Hi}\n"
    "sms:\n"
    "  - keyword: '^\\s*STATUS\\s+(?<ref>[A-Z0-9-]{4,20})\\s*$'\n"
    "    handler: echo\n"
    "    args: {ref: '{ref}', empty: }\n"
    "    on:\n"
    "      ok: {en: \"Application {ref}: {status}.\", fr: \"Demande {ref} : {status}.\"}\n"
    "      not_found: \"No application {ref}.\"\n"
    "  - keyword: '^\\s*HELP\\s*$'\n"
    "    reply: {en: \"Dial *123#.\", fr: \"Composez *123#.\"}\n"
    "sms: []\n"
    "sms_default: \"Text HELP.\"\n";

/* A valid poll set: the model, the Kigali times and the active copy. */
static void test_polls_load(void)
{
    static const char y[] =
        "settings:\n  languages: {en: English, fr: Fran\xc3\xa7" "ais}\n"
        "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n"
        "polls:\n"
        "  - id: b27\n    question: {en: \"Q?\", fr: \"Q ?\"}\n"
        "    opens: \"2026-07-01T08:00\"\n    closes: \"2026-07-31 18:00:30\"\n"
        "    max_choices: 2\n    voter: national_id\n    results_sms: true\n"
        "    projects:\n      gasabo: [{id: a, label: A}, {id: b, label: {en: B, fr: Bf}}]\n"
        "      Kicukiro: [{id: a, label: A2}, {id: c, label: C}]\n"
        "  - id: o\n    question: O\n    opens: \"2026-01-01T00:00\"\n"
        "    closes: \"2026-01-02T00:00\"\n    options: [{id: x, label: X}, {id: y, label: Y}]\n";
    struct diags d = {0};
    struct menu_set *s = load_str(y, &d);
    CHECK(s != NULL);
    CHECK_INT(d.errors, 0);
    CHECK_INT(d.warnings, 0);
    if (!s) {
        diag_print(&d, stdout);
        diag_free(&d);
        return;
    }
    CHECK_INT(s->n_polls, 2);
    const struct menu_poll *p = menu_poll_find(s, "b27");
    CHECK(p != NULL);
    if (p) {
        CHECK_INT(p->n_options, 4);
        CHECK_INT(p->by_district, 1);
        CHECK_INT(p->max_choices, 2);
        CHECK_INT(p->voter, POLL_VOTER_NATIONAL_ID);
        CHECK_INT(p->results_sms, 1);
        CHECK(p->opens == 1782885600LL); /* 2026-07-01 06:00 UTC */
        CHECK(p->closes == 1785513630LL); /* 2026-07-31 16:00:30 UTC */
        CHECK_STR(p->options[0].district, "Gasabo");
        CHECK_STR(p->options[2].district, "Kicukiro");
        /* texts in the set's languages, falling back to its default */
        CHECK_STR(menu_poll_text(s, &p->options[1].label, "fr"), "Bf");
        CHECK_STR(menu_poll_text(s, &p->options[1].label, "rw"), "B");
        CHECK_STR(menu_poll_text(s, &p->question, "en"), "Q?");
    }
    CHECK(menu_poll_find(s, "o") != NULL && menu_poll_find(s, "zz") == NULL);
    CHECK(menu_poll_find(NULL, "b27") == NULL); /* no global copy of the polls */
    menu_set_free(s);
    diag_free(&d);
}

static void test_sms_rules_load(void)
{
    struct diags d = {0};
    /* `sms` is given twice above: the duplicate is reported, the first one counts */
    struct menu_set *s = load_str(sms_set, &d);
    CHECK(s == NULL);
    CHECK(diags_have(&d, "t.yaml:15:1: error: key 'sms' is given twice (first at line 6); "
                         "remove one\n"));
    diag_free(&d);

    size_t n = strlen(sms_set) - strlen("sms: []\nsms_default: \"Text HELP.\"\n");
    char *y = malloc(n + 64);
    if (!y)
        return;
    memcpy(y, sms_set, n);
    strcpy(y + n, "sms_default: \"Text HELP.\"\n");
    s = load_str(y, &d);
    free(y);
    CHECK(s != NULL);
    CHECK_INT(d.errors, 0);
    CHECK_INT(d.warnings, 0);
    if (!s) {
        diag_print(&d, stdout);
        diag_free(&d);
        return;
    }
    CHECK_INT(s->n_sms_rules, 2);
    const struct menu_sms_rule *st = &s->sms_rules[0], *help = &s->sms_rules[1];
    CHECK_STR(st->keyword, "^\\s*STATUS\\s+(?<ref>[A-Z0-9-]{4,20})\\s*$");
    CHECK(st->re != NULL);
    CHECK(match(st->re, "STATUS LND-26-004213-7"));
    CHECK(match(st->re, "  status lnd-26-004213-7 ")); /* always caseless */
    CHECK(!match(st->re, "STATUS"));
    CHECK_STR(st->handler, "echo");
    CHECK(!st->has_reply);
    CHECK_INT(st->n_args, 2);
    CHECK_STR(st->args[0].key, "ref");
    CHECK_STR(st->args[0].value, "{ref}");
    CHECK_STR(st->args[1].value, "");
    CHECK_INT(st->n_on, 2);
    CHECK_STR(st->on[0].outcome, "ok");
    CHECK_STR(menu_text_get(s, &st->on[0].text, 1), "Demande {ref} : {status}.");
    CHECK_STR(st->on[1].outcome, "not_found");
    CHECK_STR(menu_text_get(s, &st->on[1].text, 1), "No application {ref}."); /* fallback */
    CHECK_INT(st->pos.line, 7);
    CHECK_INT(st->pos.col, 5);
    CHECK_STR(st->pos.file, "t.yaml");
    CHECK(help->has_reply);
    CHECK(help->handler == NULL);
    CHECK_INT(help->n_on, 0);
    CHECK(match(help->re, "help"));
    CHECK(match(help->re, "Help "));
    CHECK_STR(menu_text_get(s, &help->reply, 1), "Composez *123#.");
    CHECK(s->has_sms_default);
    CHECK_STR(menu_text_get(s, &s->sms_default, 1), "Text HELP.");
    menu_set_free(s);
    diag_free(&d);

    /* a set without SMS keys has no rules, no default and no warning about them */
    s = load_str("dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\nsms:\n", &d);
    CHECK(s != NULL);
    CHECK_INT(d.warnings, 0);
    CHECK_INT(s ? s->n_sms_rules : 9, 0);
    CHECK(s && !s->has_sms_default);
    menu_set_free(s);
    diag_free(&d);

    /* only an sms_default: every text gets it */
    s = load_str("dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n"
                 "sms_default: Dial *1#\n", &d);
    CHECK(s != NULL);
    CHECK_INT(d.warnings, 0);
    CHECK(s && s->has_sms_default && s->n_sms_rules == 0);
    menu_set_free(s);
    diag_free(&d);

    /* an empty sms_default */
    s = load_str("dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\nsms_default:\n", &d);
    CHECK(s == NULL);
    CHECK(diags_have(&d, "t.yaml:4:13: error: sms_default has no value\n"));
    menu_set_free(s);
    diag_free(&d);
}

static void test_sms_rules_limit(void)
{
    struct buf b = {0};
    bprintf(&b, "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\nsms_default: Hi\nsms:\n");
    for (int i = 0; i < 501; i++)
        bprintf(&b, "  - {keyword: '^K%d$', reply: R}\n", i);
    struct diags d = {0};
    struct menu_set *s = load_str(b.p, &d);
    CHECK(s == NULL);
    CHECK(diags_have(&d, "t.yaml:506:5: error: too many SMS rules: a set can have at most 500\n"));
    CHECK_INT(d.errors, 1);
    free(b.p);
    diag_free(&d);

    /* a catastrophic pattern still loads: matching is bounded (test_sms_rules.c) */
    s = load_str("dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\nsms_default: Hi\n"
                 "sms: [{keyword: '^(a+)+$', reply: R}]\n", &d);
    CHECK(s != NULL);
    menu_set_free(s);
    diag_free(&d);
}

int main(void)
{
    RUN(test_valid_set_loads);
    RUN(test_defaults_without_settings);
    RUN(test_default_language_without_builtins);
    RUN(test_version);
    RUN(test_free_null_and_lookups_on_null);
    RUN(test_empty_buffer);
    RUN(test_diag_sorted_and_stable);
    RUN(test_yaml_level);
    RUN(test_check_syntax);
    RUN(test_check_toplevel);
    RUN(test_check_unknown_kind);
    RUN(test_check_unknown_key);
    RUN(test_check_missing_key);
    RUN(test_check_wrong_type);
    RUN(test_check_bad_target);
    RUN(test_check_bad_pattern);
    RUN(test_check_unknown_handler);
    RUN(test_check_dup_screen);
    RUN(test_check_dup_dial);
    RUN(test_check_dup_option);
    RUN(test_check_bad_dial);
    RUN(test_check_unreachable);
    RUN(test_check_no_dial);
    RUN(test_check_loop);
    RUN(test_check_missing_default);
    RUN(test_check_undeclared_lang);
    RUN(test_check_undeclared_lang2);
    RUN(test_check_too_long);
    RUN(test_check_two_settings);
    RUN(test_check_bad_default_lang);
    RUN(test_check_menu_source);
    RUN(test_check_menu_next);
    RUN(test_check_option98);
    RUN(test_check_retries);
    RUN(test_check_bad_name);
    RUN(test_check_router_cond);
    RUN(test_check_messages);
    RUN(test_check_multi);
    RUN(test_check_limits_depth);
    RUN(test_check_alias_bomb);
    RUN(test_check_templates);
    RUN(test_check_sms_pattern);
    RUN(test_check_sms_handler);
    RUN(test_check_sms_reply_or_handler);
    RUN(test_check_sms_unknown_key);
    RUN(test_check_sms_missing_lang);
    RUN(test_check_sms_wrong_type);
    RUN(test_check_sms_two_defaults);
    RUN(test_check_sms_too_long);
    RUN(test_check_sms_no_default);
    RUN(test_check_sms_vars);
    RUN(test_check_poll_invalid);
    RUN(test_check_poll_dup);
    RUN(test_check_poll_projects);
    RUN(test_check_alias_once);
    RUN(test_polls_load);
    RUN(test_sms_rules_load);
    RUN(test_sms_rules_limit);
    RUN(test_missing_folder);
    RUN(test_limit_screens);
    RUN(test_limit_options_validators_args);
    RUN(test_limit_file_size);
    RUN(test_limit_nodes);
    RUN(test_garbage_is_safe);
    return harness_finish();
}
