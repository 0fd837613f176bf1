/*
 * test_services.c: the pure parts of the service handlers (handlers/services.h):
 * amounts in each language, national IDs refused with a reason that fits a template
 * (60 characters, GSM 7-bit), idempotency keys, dates, the words of codes; and the
 * handlers that decide without Redis, run through handler_run on an event loop:
 * permit_quote, land_buyer, biz_owner, a permit reference refused before any lookup
 * (no store at all), a submission without a step key, and a call cancelled before its
 * records callback (the sanitizer build checks nothing leaks or is used after free).
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "gsm.h"
#include "harness.h"
#include "handler.h"
#include "services.h"

/* A text a template may insert whole and a GSM screen can show. */
static int fits_template(const char *s)
{
    struct gsm_len l;
    gsm_measure(s, strlen(s), &l);
    return !l.ucs2 && l.chars <= 60;
}

static void test_amounts(void)
{
    char b[32];
    CHECK_STR(svc_amount(0, "en", b, sizeof b), "0");
    CHECK_STR(svc_amount(999, "en", b, sizeof b), "999");
    CHECK_STR(svc_amount(1000, "en", b, sizeof b), "1,000");
    CHECK_STR(svc_amount(50000, "rw", b, sizeof b), "50,000");
    CHECK_STR(svc_amount(50000, "fr", b, sizeof b), "50 000");
    CHECK_STR(svc_amount(1234567, "en", b, sizeof b), "1,234,567");
    CHECK_STR(svc_amount(100000000, "fr", b, sizeof b), "100 000 000");
    CHECK_STR(svc_amount(-5, "en", b, sizeof b), "0");
    CHECK_STR(svc_amount(20000, "de", b, sizeof b), "20,000"); /* unknown language: en */
    char small[4];
    svc_amount(123456, "en", small, sizeof small); /* cut, never past the buffer */
    CHECK(strlen(small) < sizeof small);
}

static void test_ids(void)
{
    char id[40], why[80];
    CHECK(svc_id("1199880012345678", id, sizeof id) == NULL);
    CHECK(svc_id("1 1998 8 0012345 6 78", id, sizeof id) == NULL);
    CHECK_STR(id, "1199880012345678");
    CHECK(svc_id("1199-8800-1234-5678", id, sizeof id) == NULL);
    CHECK_STR(svc_id("119988001234567", id, sizeof id), "length");
    CHECK_STR(svc_id_reason("length", id, "en", why, sizeof why), "That number has 15 digits, not 16.");
    CHECK_STR(svc_id_reason("length", id, "fr", why, sizeof why), "Ce numéro a 15 chiffres au lieu de 16.");
    CHECK_STR(svc_id_reason("length", "1", "en", why, sizeof why),
              "A national ID has 16 digits and no letters.");
    CHECK_STR(svc_id("119988001234567x", id, sizeof id), "digits");
    CHECK_STR(svc_id("4199880012345678", id, sizeof id), "category");
    CHECK_STR(svc_id("1189980012345678", id, sizeof id), "year");
    CHECK_STR(svc_id("1199850012345678", id, sizeof id), "gender");
    CHECK_STR(svc_id_reason("gender", id, "rw", why, sizeof why),
              "Umubare wa 6 w'indangamuntu ni 7 cyangwa 8.");
    /* every reason, every language: a whole template value, GSM only */
    static const char *const reasons[] = {"length", "digits", "category", "year", "gender"};
    static const char *const langs[] = {"en", "rw", "fr"};
    for (size_t r = 0; r < 5; r++)
        for (size_t l = 0; l < 3; l++) {
            svc_id_reason(reasons[r], "12345678901234567890123", langs[l], why, sizeof why);
            CHECK(fits_template(why));
            svc_id_reason(reasons[r], "1", langs[l], why, sizeof why);
            CHECK(fits_template(why));
        }
}

static void test_idem_keys(void)
{
    char k[130], k2[130];
    const char *step = "ussd:s:smpp.default:250788000001:7:1795722678:4:land_transfer";
    CHECK_STR(svc_idem_key(step, k, sizeof k), step);
    char longer[400];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    svc_idem_key(longer, k, sizeof k);
    CHECK_INT(strlen(k), 34);
    CHECK(strncmp(k, "h:", 2) == 0);
    CHECK_STR(svc_idem_key(longer, k2, sizeof k2), k); /* the same step, the same key */
    longer[200] = 'b';
    svc_idem_key(longer, k2, sizeof k2);
    CHECK(strcmp(k, k2) != 0);
}

static void test_words_and_days(void)
{
    char b[64];
    CHECK_STR(svc_word(svc_status_words, "in_review", "fr", b, sizeof b), "en cours d'examen");
    CHECK_STR(svc_word(svc_status_words, "in_review", "xx", b, sizeof b), "under review");
    CHECK_STR(svc_word(svc_status_words, "on_hold", "en", b, sizeof b), "on hold");
    CHECK_STR(svc_word(svc_kind_words, "trading_licence", "fr", b, sizeof b), "Patente");
    CHECK_STR(svc_word(svc_service_words, NULL, "en", b, sizeof b), "");
    CHECK_STR(svc_lang(NULL), "en");
    CHECK_STR(svc_lang("rw"), "rw");
    const struct svc_words *tables[] = {svc_status_words, svc_service_words, svc_kind_words};
    for (size_t t = 0; t < 3; t++)
        for (size_t i = 0; tables[t][i].code; i++) {
            CHECK(fits_template(tables[t][i].en));
            CHECK(fits_template(tables[t][i].rw));
            CHECK(fits_template(tables[t][i].fr));
        }
    CHECK_STR(svc_day("2026-11-07 09:25", b, sizeof b), "07/11/2026");
    CHECK_STR(svc_day("2026-11-07", b, sizeof b), "07/11/2026");
    CHECK_STR(svc_day("odd", b, sizeof b), "odd");
}

/* ---- handlers on a loop, without Redis ---- */


static struct harness_got run(const char *handler, const char *lang, const struct handler_kv *args,
                      size_t n, const char *step_key)
{
    struct harness_got g;
    memset(&g, 0, sizeof g);
    struct event_base *b = event_base_new();
    struct svc_env env = {.base = b, .store = NULL}; /* no store: any lookup fails with "error" */
    struct handler_req req = {.msisdn = "250788000001", .lang = lang, .args = args,
                              .n_args = n, .step_key = step_key};
    const struct handler_def *def = handler_find(handler);
    CHECK(def != NULL);
    if (def) {
        struct handler_run *r = handler_run(&env, def, &req, 2000, harness_got_done, &g);
        CHECK(r != NULL);
        CHECK_INT(g.done, 0); /* never from inside the call */
        while (!g.done && event_base_loop(b, EVLOOP_ONCE) == 0)
            ;
    }
    CHECK_INT(g.done, 1);
    event_base_free(b);
    return g;
}

static void test_permit_quote(void)
{
    struct handler_kv a[] = {{"type", "extension"}, {"category", "commercial"}};
    struct harness_got g = run("permit_quote", "en", a, 2, NULL);
    CHECK_STR(g.outcome, "ok");
    CHECK_STR(harness_got_var(&g, "type_text"), "Extension, Shop or office");
    CHECK_STR(harness_got_var(&g, "amount"), "50,000");
    struct handler_kv r[] = {{"type", "renovation"}, {"category", "house"}};
    g = run("permit_quote", "fr", r, 2, NULL);
    CHECK_STR(harness_got_var(&g, "type_text"), "Rénovation, Maison");
    CHECK_STR(harness_got_var(&g, "amount"), "20 000");
    CHECK(fits_template(harness_got_var(&g, "type_text")));
    struct handler_kv bad[] = {{"type", "demolition"}, {"category", "house"}};
    g = run("permit_quote", "en", bad, 2, NULL);
    CHECK_STR(g.outcome, "error");
    /* every type and category together: one template value, GSM only, in each language */
    static const char *const types[] = {"new", "extension", "renovation", "occupancy"};
    static const char *const cats[] = {"house", "apartments", "commercial", "industrial", "public"};
    static const char *const langs[] = {"en", "rw", "fr"};
    for (size_t t = 0; t < 4; t++)
        for (size_t c = 0; c < 5; c++)
            for (size_t l = 0; l < 3; l++) {
                struct handler_kv x[] = {{"type", types[t]}, {"category", cats[c]}};
                g = run("permit_quote", langs[l], x, 2, NULL);
                CHECK(harness_got_var(&g, "type_text") && fits_template(harness_got_var(&g, "type_text")));
            }
}

static void test_land_buyer_and_biz_owner(void)
{
    struct handler_kv a[] = {{"seller", "1199880012345678"}, {"buyer", "1 1998 8 0012345 6 78"}};
    struct harness_got g = run("land_buyer", "en", a, 2, NULL);
    CHECK_STR(g.outcome, "same");
    struct handler_kv b[] = {{"seller", "1199880012345678"}, {"buyer", "1199870012345678"}};
    g = run("land_buyer", "en", b, 2, NULL);
    CHECK_STR(g.outcome, "ok");
    CHECK_STR(harness_got_var(&g, "buyer_id"), "1199870012345678");
    struct handler_kv c[] = {{"seller", "1199880012345678"}, {"buyer", "11998700123"}};
    g = run("land_buyer", "fr", c, 2, NULL);
    CHECK_STR(g.outcome, "bad_id");
    CHECK_STR(harness_got_var(&g, "note"), "Ce numéro a 11 chiffres au lieu de 16.");

    struct handler_kv o[] = {{"id", "2199870012345678"}, {"type", "cooperative"}};
    g = run("biz_owner", "rw", o, 2, NULL);
    CHECK_STR(g.outcome, "ok");
    CHECK_STR(harness_got_var(&g, "id"), "2199870012345678");
    CHECK_STR(harness_got_var(&g, "type_text"), "Koperative");
    CHECK_STR(harness_got_var(&g, "amount"), "0");
    struct handler_kv o2[] = {{"id", "5199870012345678"}, {"type", "company"}};
    g = run("biz_owner", "en", o2, 2, NULL);
    CHECK_STR(g.outcome, "bad_id");
    CHECK_STR(harness_got_var(&g, "note"), "A national ID starts with 1, 2 or 3.");
}

static void test_refused_before_any_lookup(void)
{
    /* no store: reaching Redis would give "error" */
    struct handler_kv a[] = {{"ref", "BPA-26-000123-7"}}; /* its check digit is 8 */
    struct harness_got g = run("permit", "en", a, 1, NULL);
    CHECK_STR(g.outcome, "mistyped");
    CHECK_STR(harness_got_var(&g, "ref"), "BPA-26-000123-7");
    struct handler_kv t[] = {{"ref", "BPA-26-001023-8"}}; /* 0 and 1 swapped */
    g = run("permit_inspectable", "en", t, 1, NULL);
    CHECK_STR(g.outcome, "mistyped");
    struct handler_kv l[] = {{"ref", "LND-26-004213-7"}};
    g = run("permit", "en", l, 1, NULL);
    CHECK_STR(g.outcome, "not_permit");
    struct handler_kv f[] = {{"ref", "BPA-2"}};
    g = run("permit", "en", f, 1, NULL);
    CHECK_STR(g.outcome, "format");
    /* the right reference goes on to the lookup, which fails without a store */
    struct handler_kv ok[] = {{"ref", "bpa 26 000123 8"}};
    g = run("permit", "en", ok, 1, NULL);
    CHECK_STR(g.outcome, "error");
    /* a UPI naming no real sector is not found without a lookup */
    struct handler_kv u[] = {{"upi", "1/09/01/01/5"}};
    g = run("land_tax", "en", u, 1, NULL);
    CHECK_STR(g.outcome, "not_found");
}

static void test_submission_needs_a_step_key(void)
{
    struct handler_kv a[] = {{"type", "new"}, {"category", "house"}, {"upi", "1/02/03/04/567"}};
    struct harness_got g = run("permit_apply", "en", a, 3, NULL);
    CHECK_STR(g.outcome, "error");
    g = run("permit_apply", "en", a, 3, "k1"); /* a key, no store: the records error */
    CHECK_STR(g.outcome, "error");
    struct handler_kv bad[] = {{"type", "new"}, {"category", "castle"}, {"upi", "1/02/03/04/567"}};
    g = run("permit_apply", "en", bad, 3, "k1");
    CHECK_STR(g.outcome, "error");
}

static void test_cancelled_call_is_freed(void)
{
    struct event_base *b = event_base_new();
    struct svc_env env = {.base = b, .store = NULL};
    struct harness_got g;
    memset(&g, 0, sizeof g);
    struct handler_kv a[] = {{"upi", "1/02/03/04/567"}};
    struct handler_req req = {.msisdn = "250788000001", .lang = "en", .args = a, .n_args = 1};
    static const char *const names[] = {"parcel", "my_apps", "app_history", "biz_name",
                                        "business", "inspection_slots"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct handler_run *r = handler_run(&env, handler_find(names[i]), &req, 2000, harness_got_done, &g);
        CHECK(r != NULL);
        handler_run_cancel(r);
    }
    /* the records callbacks come from the loop and free their calls without done */
    for (int i = 0; i < 5; i++)
        event_base_loop(b, EVLOOP_NONBLOCK);
    CHECK_INT(g.done, 0);
    event_base_free(b);
}

int main(void)
{
    RUN(test_amounts);
    RUN(test_ids);
    RUN(test_idem_keys);
    RUN(test_words_and_days);
    RUN(test_permit_quote);
    RUN(test_land_buyer_and_biz_owner);
    RUN(test_refused_before_any_lookup);
    RUN(test_submission_needs_a_step_key);
    RUN(test_cancelled_call_is_freed);
    return harness_finish();
}
