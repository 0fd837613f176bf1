/*
 * test_services.c: the pure parts of the service handlers (handlers/services.h):
 * amounts in each language, national IDs refused with a reason that fits a template
 * (60 characters, GSM 7-bit), idempotency keys, dates, the words of codes; and the
 * handlers that decide without Redis, run through handler_run on an event loop:
 * permit_quote, land_buyer, biz_owner, a permit reference refused before any lookup
 * (no store at all), a submission without a step key, and a call cancelled before its
 * records callback (the sanitizer build checks nothing leaks or is used after free);
 * and the records services' contract without Redis: every operation calls back once,
 * from the loop and never inside the call, for bad input and a missing store alike; one
 * without an event loop is not taken (-1) and never calls back; and, on the run's Redis
 * (USSDGW_TEST_REDIS; skipped without), the seed's writer and its waits, read back
 * through the services.
 */
#include <event2/event.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "gsm.h"
#include "harness.h"
#include "handler.h"
#include "records_apps.h"
#include "records_bills.h"
#include "records_biz.h"
#include "records_change.h"
#include "records_create.h"
#include "records_parcels.h"
#include "records_seed.h"
#include "records_slots.h"
#include "services.h"
#include "store.h"
#include "svc_store.h"
#include "tickets.h"

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


/* ---- the records services without Redis ---- */

struct rec_got {
    int calls;
    int status;
    char why[32];
};

static void got(struct rec_got *g, int status, const char *why)
{
    g->calls++;
    g->status = status;
    snprintf(g->why, sizeof g->why, "%s", why ? why : "");
}

static void on_parcel(void *a, int st, const char *why, const struct rec_parcel *p)
{
    CHECK(p == NULL);
    got(a, st, why);
}
static void on_parcels(void *a, int st, const char *why, const struct rec_parcel *p, size_t n)
{
    CHECK(p == NULL && n == 0);
    got(a, st, why);
}
static void on_biz(void *a, int st, const char *why, const struct rec_business *b)
{
    CHECK(b == NULL);
    got(a, st, why);
}
static void on_name(void *a, int st, const char *why, int verdict, const struct rec_name_match *m,
                    size_t n)
{
    CHECK(verdict == REC_NAME_FREE && m == NULL && n == 0);
    got(a, st, why);
}
static void on_app(void *a, int st, const char *why, const struct rec_app *app)
{
    CHECK(app == NULL);
    got(a, st, why);
}
static void on_apps(void *a, int st, const char *why, const struct rec_app_summary *s, size_t n)
{
    CHECK(s == NULL && n == 0);
    got(a, st, why);
}
static void on_brief(void *a, int st, const char *why, const struct rec_app_brief *b)
{
    CHECK(b == NULL);
    got(a, st, why);
}
static void on_create(void *a, int st, const char *why, const struct rec_app_created *c)
{
    CHECK(c == NULL);
    got(a, st, why);
}
static void on_change(void *a, int st, const char *why, const struct rec_status_change *c)
{
    CHECK(c == NULL);
    got(a, st, why);
}
static void on_bill(void *a, int st, const char *why, const struct rec_bill *b)
{
    CHECK(b == NULL);
    got(a, st, why);
}
static void on_tax(void *a, int st, const char *why, const struct rec_tax_bill *t)
{
    CHECK(t == NULL);
    got(a, st, why);
}
static void on_slots(void *a, int st, const char *why, const struct rec_slot *s, size_t n)
{
    CHECK(s == NULL && n == 0);
    got(a, st, why);
}
static void on_book(void *a, int st, const char *why, const struct rec_booking *b)
{
    CHECK(b == NULL);
    got(a, st, why);
}
static void on_biz_list_unused(void *a, int st, const char *why, const struct rec_business *b,
                               size_t n)
{
    CHECK(b == NULL && n == 0);
    got(a, st, why);
}
static void on_ticket(void *a, int st, const char *why, const struct tickets_ticket *t)
{
    CHECK(t == NULL);
    got(a, st, why);
}
static void on_ping(void *a, int ok)
{
    got(a, ok ? REC_OK : REC_ERR, ok ? "" : "redis");
}

#define N_CALLS 30

/* Every operation, twice: with good input (no store: REC_ERR "redis") and with bad
 * input (REC_INVALID); rc gets what each call returned. */
static void call_all(const struct svc_env *env, struct rec_got *g, int *rc)
{
    struct svc_ctx ctx = svc_resident(env, "250788000001");
    struct handler_kv d[] = {{"district", "gasabo"}};
    struct rec_app_new ok = {"permit", "construction", "250788000001", "k1", -1, d, 1, NULL, NULL};
    struct rec_app_new bad = {"permit", "construction", "250788000001", "k1", -1, d, 1, NULL, NULL};
    bad.kind = "castle";
    int n = 0;
#define C(call) (rc[n] = (call), n++)
    C(records_parcel_get(env, "1/02/03/04/567", on_parcel, &g[n]));
    C(records_parcel_get(env, "1/09/01/01/5", on_parcel, &g[n]));
    C(records_parcels_of(env, "1199880012345678", 4, on_parcels, &g[n]));
    C(records_parcels_of(env, "12", 4, on_parcels, &g[n]));
    C(records_business_get(env, "100000123", on_biz, &g[n]));
    C(records_business_get(env, "12", on_biz, &g[n]));
    C(records_businesses_of(env, "1199880012345678", 4, on_biz_list_unused, &g[n]));
    C(records_businesses_of(env, "x", 4, on_biz_list_unused, &g[n]));
    C(records_name_check(env, "Inzira Nziza Ltd", on_name, &g[n]));
    C(records_name_check(env, "!!", on_name, &g[n]));
    C(records_app_get(env, "BPA-26-000123-8", on_app, &g[n]));
    C(records_app_get(env, "BPA-26-000123-7", on_app, &g[n]));
    C(records_apps_of(env, "250788000001", 4, on_apps, &g[n]));
    C(records_apps_of(env, "12", 4, on_apps, &g[n]));
    C(records_app_brief(env, "BPA-26-000123-8", on_brief, &g[n]));
    C(records_app_brief(env, "bpa", on_brief, &g[n]));
    C(records_app_create(&ctx, &ok, on_create, &g[n]));
    C(records_app_create(&ctx, &bad, on_create, &g[n]));
    C(records_app_set_status(&ctx, "BPA-26-000123-8", "in_review", NULL, REC_NOTIFY, on_change, &g[n]));
    C(records_app_set_status(&ctx, "BPA-26-000123-8", "archived", NULL, 0, on_change, &g[n]));
    C(records_bill_get(env, "BIL-26-000001-6", on_bill, &g[n]));
    C(records_bill_get(env, "BIL-26-000001-7", on_bill, &g[n]));
    C(records_tax_bill(&ctx, "1/02/03/04/567", on_tax, &g[n]));
    C(records_tax_bill(&ctx, "1/09/01/01/5", on_tax, &g[n]));
    C(records_slots_free(env, "musanze", 4, on_slots, &g[n]));
    C(records_slots_free(env, "Atlantis", 4, on_slots, &g[n]));
    C(records_slot_book(&ctx, "BPA-26-000123-8", "202612010900-1", on_book, &g[n]));
    C(records_slot_book(&ctx, "BPA-26-000123-8", "2026", on_book, &g[n]));
    char tkt[REFS_MAX];
    refs_make(tkt, sizeof tkt, "TKT", 26, 1);
    C((tickets_get(env, tkt, on_ticket, &g[n]), 0));
    C((svc_ping(env, on_ping, &g[n]), 0));
#undef C
    CHECK_INT(n, N_CALLS);
}

static void test_records_call_back_from_the_loop(void)
{
    struct event_base *b = event_base_new();
    struct svc_env env = {.base = b, .store = NULL};
    struct rec_got g[N_CALLS];
    int rc[N_CALLS];
    memset(g, 0, sizeof g);
    call_all(&env, g, rc);
    for (int i = 0; i < N_CALLS; i++) {
        CHECK_INT(rc[i], 0);       /* taken */
        CHECK_INT(g[i].calls, 0); /* never from inside the call */
    }
    for (int i = 0; i < 3; i++)
        event_base_loop(b, EVLOOP_NONBLOCK);
    for (int i = 0; i < N_CALLS; i++) {
        CHECK_INT(g[i].calls, 1);
        int want = i >= N_CALLS - 2 || i % 2 == 0 ? REC_ERR : REC_INVALID; /* ticket, ping */
        if (g[i].status != want)
            harness_fail(__FILE__, __LINE__, "call %d: status %d, expected %d", i, g[i].status,
                         want);
    }
    CHECK_STR(g[0].why, "redis");
    CHECK_STR(g[1].why, "district");
    CHECK_STR(g[11].why, "check");
    CHECK_STR(g[15].why, "format");
    CHECK_STR(g[17].why, "kind");
    CHECK_STR(g[19].why, "status");
    CHECK_STR(g[27].why, "slot");
    event_base_free(b);
}

static void test_records_without_a_loop_are_not_taken(void)
{
    struct svc_env env = {.base = NULL, .store = NULL};
    struct rec_got g[N_CALLS];
    int rc[N_CALLS];
    memset(g, 0, sizeof g);
    call_all(&env, g, rc);
    /* (the last two, a ticket and a ping, are the civic services' calls, which take
     * every request: their contract has no "not taken") */
    for (int i = 0; i < N_CALLS - 2; i++) {
        CHECK_INT(rc[i], -1);
        CHECK_INT(g[i].calls, 0);
    }
    CHECK(records_seed_new(&env, 8) == NULL);
    records_seed_free(NULL);
}

/* ---- the seed's writer on the run's Redis ---- */

struct wait_got {
    int calls, status;
};

static void on_wait(void *arg, int status, const char *first_error)
{
    struct wait_got *w = arg;
    (void)first_error;
    w->calls++;
    w->status = status;
}

static void on_parcel_back(void *a, int st, const char *why, const struct rec_parcel *p)
{
    struct rec_got *g = a;
    got(g, st, why);
    if (st == REC_OK) {
        CHECK_STR(p->owner_name, "Test Owner");
        CHECK_INT(p->area_m2, 512);
        CHECK_INT(p->tax_due, 2500);
        CHECK_STR(p->sector, "Gikomero");
    }
}

static void on_name_back(void *a, int st, const char *why, int verdict,
                         const struct rec_name_match *m, size_t n)
{
    got(a, st, why);
    CHECK_INT(verdict, REC_NAME_TAKEN);
    CHECK(n >= 1 && strcmp(m[0].regno, "199999991") == 0);
}

static void run_until(struct event_base *b, const int *calls)
{
    for (int i = 0; i < 2000 && !*calls; i++)
        event_base_loop(b, EVLOOP_ONCE);
}

static void test_seed_writer_on_redis(void)
{
    const char *addr = getenv("USSDGW_TEST_REDIS");
    if (!addr) {
        harness_skip("USSDGW_TEST_REDIS is not set (tests/run.sh sets it)");
        return;
    }
    struct event_base *b = event_base_new();
    struct store_opts so = {.timeout_ms = 2000};
    struct svc_env env = {.base = b, .store = store_new(b, addr, &so)};
    struct rec_seed *w = records_seed_new(&env, 2);
    CHECK(w != NULL);
    struct rec_parcel p = {"1/02/03/04/999991", "1", "Gasabo", "Gikomero", 4, 512, "residential",
                           "Test Owner", "1199880012345678", 2500, "2026-12-31"};
    records_seed_parcel(w, &p); /* DEL, HSET: two writes, no room left */
    CHECK_INT(records_seed_room(w), 0);
    struct wait_got wg = {0, -9};
    CHECK_INT(records_seed_wait(w, 0, on_wait, &wg), 0);
    CHECK_INT(records_seed_wait(w, 0, on_wait, &wg), -1); /* one at a time */
    CHECK_INT(wg.calls, 0);
    run_until(b, &wg.calls);
    CHECK_INT(wg.calls, 1);
    CHECK_INT(wg.status, REC_OK);
    struct rec_business biz = {"199999991", "Zzqx Wamaqo Holdings Ltd", "company",
                               "1199880012345678", "Test Owner", "Gasabo", "2020-01-01",
                               "2027-01-01"};
    records_seed_business(w, &biz);
    wg.calls = 0;
    CHECK_INT(records_seed_wait(w, 1, on_wait, &wg), 0);
    run_until(b, &wg.calls);
    CHECK_INT(wg.calls, 1);
    CHECK_INT(wg.status, REC_OK);
    CHECK_INT(records_seed_failed(w), 0);
    CHECK(records_seed_sent(w) >= 7);
    records_seed_free(w);

    struct rec_got g[2];
    memset(g, 0, sizeof g);
    CHECK_INT(records_parcel_get(&env, "1-02-03-04-999991", on_parcel_back, &g[0]), 0);
    CHECK_INT(records_name_check(&env, "zzqx wamaqo holdings limited", on_name_back, &g[1]), 0);
    CHECK_INT(g[0].calls + g[1].calls, 0);
    run_until(b, &g[0].calls);
    run_until(b, &g[1].calls);
    CHECK_INT(g[0].status, REC_OK);
    CHECK_INT(g[1].status, REC_OK);
    /* leave the run's Redis as it was */
    char norm[REFS_NAME_MAX], nkey[REFS_NAME_MAX], tok[REFS_TOKENS_MAX][REFS_TOKEN_MAX], tk[64];
    refs_name_norm(biz.name, norm, sizeof norm);
    refs_name_key(biz.name, nkey, sizeof nkey);
    const char *del[] = {"DEL", "ussd:parcel:1/02/03/04/999991", "ussd:biz:199999991"};
    const char *zrem[] = {"ZREM", "ussd:biz:names", norm};
    const char *hdel1[] = {"HDEL", "ussd:biz:byname", norm};
    const char *hdel2[] = {"HDEL", "ussd:biz:bykey", nkey};
    store_cmd(env.store, NULL, NULL, 3, del, NULL);
    store_cmd(env.store, NULL, NULL, 3, zrem, NULL);
    store_cmd(env.store, NULL, NULL, 3, hdel1, NULL);
    store_cmd(env.store, NULL, NULL, 3, hdel2, NULL);
    size_t nt = refs_name_tokens(biz.name, tok, REFS_TOKENS_MAX);
    for (size_t i = 0; i < nt; i++) {
        snprintf(tk, sizeof tk, "ussd:biz:tok:%s", tok[i]);
        const char *srem[] = {"SREM", tk, "199999991"};
        store_cmd(env.store, NULL, NULL, 3, srem, NULL);
    }
    struct rec_got last = {0};
    svc_ping(&env, on_ping, &last); /* after the clean-up, in order */
    run_until(b, &last.calls);
    store_free(env.store);
    event_base_loop(b, EVLOOP_NONBLOCK);
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
    RUN(test_records_call_back_from_the_loop);
    RUN(test_records_without_a_loop_are_not_taken);
    RUN(test_seed_writer_on_redis);
    return harness_finish();
}
