/*
 * test_engine.c: the menu engine walked through scripted dialogs, compared with golden
 * transcripts in tests/golden/engine/. Between steps the session goes through its
 * serialised form, as it does through Redis. Handlers are the built-in ones, which
 * finish inside start(), so the engine is driven without an event loop.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "gsm.h"
#include "harness.h"
#include "handler.h"
#include "geo.h"
#include "menu_load.h"
#include "session.h"

static const char *yaml =
    "settings:\n"
    "  default_language: en\n"
    "  languages: {en: English, fr: Francais}\n"
    "dial:\n"
    "  '*123#': root\n"
    "  '*123*2#': districts\n"
    "screens:\n"
    "  root:\n"
    "    kind: menu\n"
    "    text: {en: 'City services', fr: 'Services de la ville'}\n"
    "    options:\n"
    "      - {label: {en: Parcel, fr: Parcelle}, next: upi}\n"
    "      - {label: {en: District, fr: District}, next: districts}\n"
    "      - {label: {en: Language, fr: Langue}, next: lang}\n"
    "      - {label: {en: Router, fr: Routeur}, next: route}\n"
    "      - {label: {en: Long text, fr: Texte long}, next: long}\n"
    "      - {label: {en: Broken, fr: Panne}, next: broken}\n"
    "  lang:\n"
    "    kind: language\n"
    "    text: {en: 'Choose a language', fr: 'Choisissez une langue'}\n"
    "    next: root\n"
    "  upi:\n"
    "    kind: input\n"
    "    text: {en: 'Enter the UPI', fr: \"Entrez l'UPI\"}\n"
    "    var: upi\n"
    "    retries: 3\n"
    "    validate:\n"
    "      - pattern: '^\\d/\\d{2}/\\d{2}/\\d{2}/\\d{1,6}$'\n"
    "        error: {en: 'Not a UPI, e.g. 1/02/03/04/567', fr: 'Pas un UPI'}\n"
    "    next: find\n"
    "  find:\n"
    "    kind: handler\n"
    "    handler: echo\n"
    "    args: {parcel: '{upi}', ref: 'LND-{upi}'}\n"
    "    on: {ok: notify, error: sorry}\n"
    "  notify:\n"
    "    kind: sms\n"
    "    text: {en: 'Parcel {parcel}: ref {ref}', fr: 'Parcelle {parcel}: ref {ref}'}\n"
    "    next: done\n"
    "  done:\n"
    "    kind: end\n"
    "    text: {en: 'Found {parcel}. SMS sent.', fr: 'Parcelle {parcel} trouvee.'}\n"
    "  sorry:\n"
    "    kind: end\n"
    "    text: {en: 'Sorry.', fr: 'Desole.'}\n"
    "  districts:\n"
    "    kind: menu\n"
    "    text: {en: 'Choose your district:', fr: 'Choisissez votre district:'}\n"
    "    source: districts\n"
    "    var: district\n"
    "    next: district_done\n"
    "  district_done:\n"
    "    kind: end\n"
    "    text: {en: 'You chose {district}.', fr: 'Vous avez choisi {district}.'}\n"
    "  route:\n"
    "    kind: router\n"
    "    routes:\n"
    "      - if: {var: lang, equals: fr}\n"
    "        next: route_fr\n"
    "      - if: {var: upi, exists: true}\n"
    "        next: route_upi\n"
    "    default: route_none\n"
    "  route_fr: {kind: end, text: {en: 'French', fr: 'Francais'}}\n"
    "  route_upi: {kind: end, text: {en: 'Has UPI', fr: 'UPI'}}\n"
    "  route_none: {kind: end, text: {en: 'No UPI yet', fr: 'Pas encore'}}\n"
    "  long:\n"
    "    kind: end\n"
    "    text: {en: 'The land tax is due each year by the end of March. You can pay by mobile "
    "money with the bill number shown on your notice, or at any bank branch. Late payment adds "
    "a penalty of ten percent. Keep the SMS receipt as proof of payment. For help, visit your "
    "sector office any weekday morning or call the council help line free of charge.', fr: "
    "'Long.'}\n"
    "  broken:\n"
    "    kind: handler\n"
    "    handler: fail\n"
    "    args: {message: 'The registry is closed.'}\n"
    "    on: {ok: done}\n";

static int handler_ok(const char *name)
{
    return handler_exists(name);
}

static struct menu_set *load(void)
{
    struct menu_load_opts o;
    struct diags d = {0};
    menu_load_opts_default(&o);
    o.districts = geo_district_names(&o.n_districts);
    o.handler_exists = handler_ok;
    struct menu_set *set = menu_load_buffer("test.yaml", yaml, strlen(yaml), &o, &d);
    if (!set)
        diag_print(&d, stdout);
    diag_free(&d);
    return set;
}

struct walk {
    const struct menu_set *set;
    struct engine_cfg cfg;
    struct session s;
    struct engine_out out;
    char log[16384];
    size_t n;
};

static void logf_(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct walk *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(w->log + w->n, sizeof w->log - w->n, fmt, ap);
    va_end(ap);
    if (r > 0 && (size_t)r < sizeof w->log - w->n)
        w->n += (size_t)r;
}

static void on_done(void *arg, const struct handler_result *res)
{
    struct walk *w = arg;
    engine_resume(w->set, &w->cfg, &w->s, res, &w->out);
}

/* Run handlers until a screen, then record it and pass the session through its
 * serialised form. */
static void settle(struct walk *w)
{
    while (w->out.status == ENGINE_CALL) {
        const struct handler_def *def = handler_find(w->out.handler);
        struct handler_req req = {.msisdn = w->s.msisdn, .lang = w->s.lang,
                                  .args = w->out.args, .n_args = w->out.n_args};
        CHECK(def != NULL);
        if (!def)
            return;
        def->start(NULL, &req, on_done, w);
    }
    if (w->out.status == ENGINE_DROP) {
        logf_(w, "%s", "[drop]\n");
        return;
    }
    struct gsm_len l;
    gsm_measure(w->out.text, strlen(w->out.text), &l);
    CHECK(l.ucs2 ? l.ucs2_units <= 80 : l.septets <= 182);
    logf_(w, "%s\n", w->out.text);
    logf_(w, "%s\n", w->out.end ? "[end]" : "[continue]");
    for (size_t i = 0; i < w->out.n_sms; i++) {
        logf_(w, "[sms to %s: ", w->out.sms[i].to);
        logf_(w, "%s]\n", w->out.sms[i].text);
    }
    if (w->out.lang_chosen)
        logf_(w, "[remember language %s]\n", w->s.lang);
    char blob[SESSION_BLOB_MAX];
    long n = session_encode(&w->s, blob, sizeof blob);
    CHECK(n > 0);
    struct session copy;
    CHECK_INT(session_decode(&copy, blob, (size_t)n), 0);
    char again[SESSION_BLOB_MAX];
    long m = session_encode(&copy, again, sizeof again);
    CHECK(m == n && memcmp(blob, again, (size_t)n) == 0);
    w->s = copy;
}

static void begin(struct walk *w, const char *dial, const char *lang, const struct session *resume)
{
    logf_(w, "> dial %s\n", dial);
    engine_out_init(&w->out);
    engine_begin(w->set, &w->cfg, &w->s, "250788123456", dial, lang, 1000, "b", resume, &w->out);
    settle(w);
}

static void answer(struct walk *w, const char *in)
{
    static int step;
    char id[16];
    snprintf(id, sizeof id, "s%d", ++step);
    logf_(w, "> %s\n", in);
    engine_out_init(&w->out);
    engine_input(w->set, &w->cfg, &w->s, in, id, &w->out);
    settle(w);
}

/* A walk over the test menus, or NULL when they did not load (the loader's diagnostics
 * are printed): each test REQUIREs one, so a broken fixture fails it. */
static struct walk *walk_new(void)
{
    struct walk *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->set = load();
    if (!w->set) {
        free(w);
        return NULL;
    }
    engine_cfg_default(&w->cfg);
    return w;
}

static void walk_check(struct walk *w, const char *golden)
{
    char path[256];
    snprintf(path, sizeof path, "tests/golden/engine/%s.txt", golden);
    CHECK(harness_golden(path, w->log));
    menu_set_free((struct menu_set *)w->set);
    free(w);
}

static void test_parcel_flow(void)
{
    struct walk *w = walk_new();
    REQUIRE(w != NULL);
    begin(w, "*123#", NULL, NULL);
    answer(w, "1");
    answer(w, "12345");
    answer(w, "1/02/03/04/567");
    CHECK_STR(session_get(&w->s, "ref"), "LND-1/02/03/04/567");
    CHECK_INT(w->s.state, SESSION_ENDED);
    answer(w, "1"); /* after the end: dropped */
    walk_check(w, "parcel_flow");
}

static void test_districts_pages(void)
{
    struct walk *w = walk_new();
    REQUIRE(w != NULL);
    begin(w, "*123#", NULL, NULL);
    answer(w, "2");
    answer(w, "98");
    answer(w, "98");
    answer(w, "0");
    answer(w, "12");
    CHECK_STR(session_get(&w->s, "district"), "Kicukiro");
    walk_check(w, "districts_pages");
}

static void test_back_home(void)
{
    struct walk *w = walk_new();
    REQUIRE(w != NULL);
    begin(w, "*123#", NULL, NULL);
    answer(w, "1");
    answer(w, "0");
    answer(w, "2");
    answer(w, "00");
    answer(w, "7"); /* not an option */
    answer(w, "0"); /* back at the root: nothing behind it */
    walk_check(w, "back_home");
}

static void test_retry_limit(void)
{
    struct walk *w = walk_new();
    REQUIRE(w != NULL);
    begin(w, "*123#", NULL, NULL);
    answer(w, "1");
    answer(w, "x");
    answer(w, "y");
    answer(w, "z");
    CHECK_INT(w->s.state, SESSION_ENDED);
    walk_check(w, "retry_limit");
}

static void test_language(void)
{
    struct walk *w = walk_new();
    REQUIRE(w != NULL);
    begin(w, "*123#", NULL, NULL);
    answer(w, "3");
    answer(w, "2");
    CHECK_STR(w->s.lang, "fr");
    answer(w, "4");
    walk_check(w, "language");
}

static void test_resume(void)
{
    struct walk *w = walk_new();
    REQUIRE(w != NULL);
    begin(w, "*123#", NULL, NULL);
    answer(w, "1");
    struct session cut = w->s; /* the network cut the dialog here */
    w->s.version = 7;
    begin(w, "*123#", NULL, &cut);
    CHECK_INT(w->s.version, 7);
    CHECK_INT(w->s.state, SESSION_RESUME_OFFER);
    answer(w, "1");
    CHECK_STR(w->s.screen, "upi");
    begin(w, "*123#", NULL, &cut);
    answer(w, "7"); /* not an option: said so, and offered again */
    CHECK_INT(w->s.state, SESSION_RESUME_OFFER);
    answer(w, "2");
    CHECK_STR(w->s.screen, "root");
    CHECK_INT(w->s.retries, 0);
    walk_check(w, "resume");
}

static void test_duplicates(void)
{
    struct walk *w = walk_new();
    REQUIRE(w != NULL);
    begin(w, "*123#", NULL, NULL);
    engine_out_init(&w->out);
    engine_input(w->set, &w->cfg, &w->s, "1", "same", &w->out);
    CHECK_INT(w->out.status, ENGINE_SHOW);
    engine_out_init(&w->out);
    engine_input(w->set, &w->cfg, &w->s, "1", "same", &w->out);
    CHECK_INT(w->out.status, ENGINE_DROP);
    CHECK_STR(w->s.screen, "upi");
    menu_set_free((struct menu_set *)w->set);
    free(w);
}

static void test_chain_router_unknown(void)
{
    struct walk *w = walk_new();
    REQUIRE(w != NULL);
    begin(w, "*123*1*2#", NULL, NULL);
    CHECK_STR(w->out.chain, "1*2");
    begin(w, "*123*2#", NULL, NULL);
    CHECK_STR(w->out.chain, "");
    CHECK_STR(w->s.home, "districts");
    begin(w, "*999#", NULL, NULL);
    begin(w, "*123#", "fr", NULL);
    answer(w, "4");
    begin(w, "*123#", NULL, NULL);
    answer(w, "4");
    walk_check(w, "chain_router_unknown");
}

static void test_long_text_and_errors(void)
{
    struct walk *w = walk_new();
    REQUIRE(w != NULL);
    begin(w, "*123#", NULL, NULL);
    answer(w, "5");
    CHECK_INT(w->out.end, 0);
    answer(w, "98");
    answer(w, "98");
    begin(w, "*123#", NULL, NULL);
    answer(w, "6");
    walk_check(w, "long_text_and_errors");
}

static void test_session_hostile_blobs(void)
{
    struct session s;
    const char *bad[] = {"", "x", "12", "1|", "1|a\x1e" "b", "99999999999|", "1|\x1e\x1e\x1e\x1e"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(session_decode(&s, bad[i], strlen(bad[i])), -1);
    /* a valid blob cut at every length never decodes to garbage or crashes */
    struct session a;
    session_init(&a, "250788123456", "*123#", "en", "abcdef0123456789", 5);
    session_set(&a, "name", "Mukamana \x01 Alice\nB");
    CHECK_STR(session_get(&a, "name"), "Mukamana  Alice B");
    char blob[SESSION_BLOB_MAX];
    long n = session_encode(&a, blob, sizeof blob);
    CHECK(n > 0);
    for (long cut = 0; cut < n; cut++)
        CHECK_INT(session_decode(&s, blob, (size_t)cut), -1);
    CHECK_INT(session_decode(&s, blob, (size_t)n), 0);
    CHECK_STR(session_get(&s, "name"), "Mukamana  Alice B");
    /* too small a buffer */
    CHECK_INT(session_encode(&a, blob, 10), -1);
}

int main(void)
{
    RUN(test_parcel_flow);
    RUN(test_districts_pages);
    RUN(test_back_home);
    RUN(test_retry_limit);
    RUN(test_language);
    RUN(test_resume);
    RUN(test_duplicates);
    RUN(test_chain_router_unknown);
    RUN(test_long_text_and_errors);
    RUN(test_session_hostile_blobs);
    return harness_finish();
}
