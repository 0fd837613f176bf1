/*
 * test_sms_rules.c: answering an inbound SMS with the keyword rules (menus/sms_rules.c):
 * matching (always caseless, first match wins, named groups into variables, bounded
 * on hostile patterns), the choice of the reply (fixed, per handler outcome, fallbacks,
 * sms_default, per language) and its expansion; the shipped rules of menus.d; and the
 * app_status handler against the run's real Redis (USSDGW_TEST_REDIS; skipped without).
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "harness.h"
#include "handler.h"
#include "menu.h"
#include "menu_check.h"
#include "geo.h"
#include "menu_load.h"
#include "sms_rules.h"
#include "store.h"

static struct menu_set *load(const char *yaml)
{
    struct menu_load_opts o;
    struct diags d = {0};
    menu_load_opts_default(&o);
    o.districts = geo_district_names(&o.n_districts);
    o.handler_exists = handler_exists;
    struct menu_set *s = menu_load_buffer("t.yaml", yaml, strlen(yaml), &o, &d);
    if (!s || d.warnings)
        diag_print(&d, stdout);
    diag_free(&d);
    return s;
}

static const char rules[] =
    "settings:\n"
    "  languages: {en: English, rw: Kinyarwanda, fr: Français}\n"
    "dial: {\"*123#\": root}\n"
    "screens:\n"
    "  root: {kind: end, text: Hi}\n"
    "sms:\n"
    "  - keyword: '^\\s*STATUS\\s+(?<ref>[A-Z0-9-]{4,20})\\s*$'\n"
    "    handler: echo\n"
    "    args: {ref: '{ref}'}\n"
    "    on:\n"
    "      ok: {en: \"Application {ref}: {status}.\", fr: \"Demande {ref} : {status}.\"}\n"
    "      not_found: {en: \"No application {ref}.\", rw: \"Nta busabe {ref}.\"}\n"
    "  - keyword: '^\\s*PAY\\s+(?<amount>\\d+)(?:\\s+(?<note>\\w+))?\\s*$'\n"
    "    handler: echo\n"
    "    on:\n"
    "      ok: \"Paid {amount} ({note}) from {msisdn} in {lang}.\"\n"
    "      error: {en: \"Payment failed.\", fr: \"Paiement refusé.\"}\n"
    "  - keyword: '^\\s*HELP\\s*$'\n"
    "    reply: {en: \"Dial *123#.\", rw: \"Kanda *123#.\", fr: \"Composez *123#.\"}\n"
    "  - keyword: 'HELP'\n" /* never reached for a bare HELP: the first match wins */
    "    reply: \"Anything with HELP in it.\"\n"
    "  - keyword: '^ÉTAT$'\n"
    "    reply: \"État.\"\n"
    "sms_default: {en: \"Text HELP.\", fr: \"Envoyez HELP.\"}\n";

static void test_match_first_wins_and_caseless(void)
{
    struct menu_set *s = load(rules);
    CHECK(s != NULL);
    REQUIRE(s != NULL);
    struct sms_match m;
    CHECK_INT(sms_rules_match(s, "HELP", &m), 2);
    CHECK_INT(m.n_vars, 0);
    CHECK_INT(sms_rules_match(s, "help", &m), 2);
    CHECK_INT(sms_rules_match(s, "  Help \r\n", &m), 2);
    CHECK_INT(sms_rules_match(s, "please HELP me", &m), 3); /* the later, looser rule */
    CHECK_INT(sms_rules_match(s, "STATUS LND-26-004213-7", &m), 0);
    CHECK_INT(sms_rules_match(s, "status lnd-26-004213-7", &m), 0);
    CHECK_INT(sms_rules_match(s, "état", &m), 4); /* caseless beyond ASCII (UCP) */
    CHECK_INT(sms_rules_match(s, "ÉTAT", &m), 4);
    CHECK_INT(sms_rules_match(s, "STATUS", &m), SMS_RULES_NO_MATCH);
    CHECK_INT(sms_rules_match(s, "STATUS AB", &m), SMS_RULES_NO_MATCH); /* too short a ref */
    CHECK_INT(sms_rules_match(s, "", &m), SMS_RULES_NO_MATCH);
    CHECK_INT(sms_rules_match(s, "Hello", &m), SMS_RULES_NO_MATCH);
    /* not UTF-8: no rule matches (the gateway's decoders never give such text) */
    CHECK_INT(sms_rules_match(s, "HELP\xff", &m), SMS_RULES_NO_MATCH);
    CHECK_INT(sms_rules_match(NULL, "HELP", &m), SMS_RULES_NO_MATCH);
    CHECK_INT(sms_rules_match(s, NULL, &m), SMS_RULES_NO_MATCH);
    menu_set_free(s);
}

static const char *var(const struct sms_match *m, const char *k)
{
    for (size_t i = 0; i < m->n_vars; i++)
        if (strcmp(m->vars[i].key, k) == 0)
            return m->vars[i].val;
    return NULL;
}

static void test_captures(void)
{
    struct menu_set *s = load(rules);
    REQUIRE(s != NULL);
    struct sms_match m;
    CHECK_INT(sms_rules_match(s, " status lnd-26-004213-7 ", &m), 0);
    CHECK_INT(m.n_vars, 1);
    CHECK_STR(var(&m, "ref"), "lnd-26-004213-7"); /* as typed: the handler normalises */
    CHECK_INT(sms_rules_match(s, "PAY 1500 rent", &m), 1);
    CHECK_INT(m.n_vars, 2);
    CHECK_STR(var(&m, "amount"), "1500");
    CHECK_STR(var(&m, "note"), "rent");
    /* an optional group that did not take part is no variable at all */
    CHECK_INT(sms_rules_match(s, "pay 20", &m), 1);
    CHECK_INT(m.n_vars, 1);
    CHECK(var(&m, "note") == NULL);
    /* a match of another text clears the previous variables */
    CHECK_INT(sms_rules_match(s, "HELP", &m), 2);
    CHECK_INT(m.n_vars, 0);
    menu_set_free(s);
}

static void test_long_capture_is_cut_on_a_character(void)
{
    struct menu_set *s = load("dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n"
                              "sms_default: Hi\n"
                              "sms: [{keyword: '^NOTE (?<note>.*)$', reply: '{note}'}]\n");
    REQUIRE(s != NULL);
    char text[600] = "NOTE ";
    for (int i = 0; i < 100; i++)
        strcat(text, "é"); /* 2 octets each: 200 octets, over SMS_RULES_VAL_MAX */
    struct sms_match m;
    CHECK_INT(sms_rules_match(s, text, &m), 0);
    CHECK_INT(strlen(var(&m, "note")), 160); /* 80 whole characters */
    menu_set_free(s);
}

static void test_hostile_pattern_is_bounded(void)
{
    struct menu_set *s = load("dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n"
                              "sms_default: Hi\n"
                              "sms:\n"
                              "  - {keyword: '^(a+)+$', reply: Bad}\n"
                              "  - {keyword: '^a', reply: Starts with a}\n");
    REQUIRE(s != NULL);
    char text[200];
    memset(text, 'a', 60);
    strcpy(text + 60, "!");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct sms_match m;
    /* the first rule runs into the match limit (no match); the next one still answers */
    CHECK_INT(sms_rules_match(s, text, &m), 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms < 1000);
    menu_set_free(s);
}

static void test_reply_choice(void)
{
    struct menu_set *s = load(rules);
    REQUIRE(s != NULL);
    int en = menu_find_lang(s, "en"), rw = menu_find_lang(s, "rw"), fr = menu_find_lang(s, "fr");
    struct sms_match m;

    /* a fixed reply, per language */
    sms_rules_match(s, "help", &m);
    CHECK_STR(sms_rules_reply(s, &m, NULL, en), "Dial *123#.");
    CHECK_STR(sms_rules_reply(s, &m, NULL, rw), "Kanda *123#.");
    CHECK_STR(sms_rules_reply(s, &m, "whatever", fr), "Composez *123#.");

    /* a handler's outcome picks the reply; a language without it falls back to en */
    sms_rules_match(s, "STATUS ABCD", &m);
    CHECK_STR(sms_rules_reply(s, &m, "ok", fr), "Demande {ref} : {status}.");
    CHECK_STR(sms_rules_reply(s, &m, "ok", rw), "Application {ref}: {status}.");
    CHECK_STR(sms_rules_reply(s, &m, "not_found", rw), "Nta busabe {ref}.");
    /* no reply for the outcome and no `error` reply: the engine's texts */
    CHECK_STR(sms_rules_reply(s, &m, "error", en), menu_msg(s, MENU_MSG_UNAVAILABLE, en));
    CHECK_STR(sms_rules_reply(s, &m, "error", fr),
              "Service momentanément indisponible, veuillez réessayer plus tard.");
    CHECK_STR(sms_rules_reply(s, &m, "invalid", en), menu_msg(s, MENU_MSG_ERROR, en));

    /* an outcome without its own reply gets the rule's `error` reply */
    sms_rules_match(s, "pay 5", &m);
    CHECK_STR(sms_rules_reply(s, &m, "error", fr), "Paiement refusé.");
    CHECK_STR(sms_rules_reply(s, &m, "not_found", fr), "Paiement refusé.");
    CHECK_STR(sms_rules_reply(s, &m, NULL, en), "Payment failed.");

    /* no match: sms_default */
    sms_rules_match(s, "Good morning", &m);
    CHECK_STR(sms_rules_reply(s, &m, NULL, fr), "Envoyez HELP.");
    CHECK_STR(sms_rules_reply(s, &m, NULL, rw), "Text HELP.");
    CHECK_STR(sms_rules_reply(s, NULL, NULL, en), "Text HELP.");
    CHECK(sms_rules_reply(NULL, &m, NULL, en) == NULL);
    menu_set_free(s);

    /* without sms_default nothing answers a text no rule matches */
    s = load("dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n");
    REQUIRE(s != NULL);
    CHECK_INT(sms_rules_match(s, "HELP", &m), SMS_RULES_NO_MATCH);
    CHECK(sms_rules_reply(s, &m, NULL, 0) == NULL);
    menu_set_free(s);
}

static void test_expand(void)
{
    struct menu_set *s = load(rules);
    REQUIRE(s != NULL);
    struct sms_match m;
    char out[256];
    sms_rules_match(s, "pay 1500 rent", &m);
    struct sms_vars v = {NULL, 0, &m, "250788000001", "fr"};
    sms_rules_expand(sms_rules_reply(s, &m, "ok", 2), &v, out, sizeof out);
    CHECK_STR(out, "Paid 1500 (rent) from 250788000001 in fr.");

    /* the handler's variables come first, then the groups, then msisdn and lang */
    struct handler_kv set[] = {{"ref", "LND-26-004213-7"}, {"status", "approved"}, {"lang", "xx"}};
    sms_rules_match(s, "status lnd-26-004213-7", &m);
    struct sms_vars h = {set, 3, &m, "250788000001", "en"};
    sms_rules_expand("{ref} {status} {lang} {msisdn} {unset}.", &h, out, sizeof out);
    CHECK_STR(out, "LND-26-004213-7 approved xx 250788000001 .");
    struct sms_vars g = {NULL, 0, &m, NULL, NULL};
    sms_rules_expand("[{ref}] [{msisdn}] [{lang}] {{ref}}", &g, out, sizeof out);
    CHECK_STR(out, "[lnd-26-004213-7] [] [] {ref}");
    CHECK_STR(sms_rules_lookup(&g, "ref"), "lnd-26-004213-7");
    CHECK(sms_rules_lookup(&g, "nope") == NULL);

    /* values are cleaned of control characters and the output is bounded */
    sms_rules_match(s, "pay 7 a", &m);
    struct handler_kv ctl[] = {{"note", "two\nlines\x01"}};
    struct sms_vars c = {ctl, 1, &m, "1", "en"};
    sms_rules_expand("{note}|{amount}", &c, out, sizeof out);
    CHECK_STR(out, "two lines|7");
    CHECK_INT(sms_rules_expand("{note}|{amount}", &c, out, 5), 4);
    CHECK_STR(out, "two ");
    menu_set_free(s);
}

/* Rules of several files are tried in the order of the file names. */
static void test_order_across_files(void)
{
    char dir[] = "/tmp/test_sms_rules.XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    static const struct {
        const char *name, *text;
    } files[] = {
        {"b.yaml", "sms: [{keyword: '^HELP$', reply: From b}, {keyword: '^B$', reply: B}]\n"},
        {"a.yaml", "dial: {\"*1#\": a}\nscreens:\n  a: {kind: end, text: Hi}\n"
                   "sms: [{keyword: 'HELP', reply: From a}]\nsms_default: Default\n"},
        {"c.yaml", "sms: [{keyword: '^(HELP|B|C)$', reply: From c}]\n"},
    };
    char path[300];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(files[i].text, f);
            fclose(f);
        }
    }
    struct menu_load_opts o;
    struct diags d = {0};
    menu_load_opts_default(&o);
    o.districts = geo_district_names(&o.n_districts);
    struct menu_set *s = menu_load_dir(dir, &o, &d);
    CHECK(s != NULL);
    CHECK_INT(d.warnings, 0);
    diag_free(&d);
    if (s) {
        struct sms_match m;
        CHECK_INT(s->n_sms_rules, 4);
        sms_rules_match(s, "help", &m);
        CHECK_STR(sms_rules_reply(s, &m, NULL, 0), "From a");
        sms_rules_match(s, "b", &m);
        CHECK_STR(sms_rules_reply(s, &m, NULL, 0), "B");
        sms_rules_match(s, "c", &m);
        CHECK_STR(sms_rules_reply(s, &m, NULL, 0), "From c");
        sms_rules_match(s, "d", &m);
        CHECK_STR(sms_rules_reply(s, &m, NULL, 0), "Default");
    }
    menu_set_free(s);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        unlink(path);
    }
    rmdir(dir);
}

static void test_sms_parts(void)
{
    CHECK_INT(menu_sms_parts(0, 0), 1);
    CHECK_INT(menu_sms_parts(160, 0), 1);
    CHECK_INT(menu_sms_parts(161, 0), 2);
    CHECK_INT(menu_sms_parts(306, 0), 2);
    CHECK_INT(menu_sms_parts(307, 0), 3);
    CHECK_INT(menu_sms_parts(459, 0), 3);
    CHECK_INT(menu_sms_parts(460, 0), 4);
    CHECK_INT(menu_sms_parts(70, 1), 1);
    CHECK_INT(menu_sms_parts(71, 1), 2);
    CHECK_INT(menu_sms_parts(201, 1), 3);
    CHECK_INT(menu_sms_parts(202, 1), 4);
}

/* The shipped rules: HELP, STATUS <ref> and the default, in en, rw and fr. */
static void test_shipped_rules(void)
{
    struct menu_load_opts o;
    struct diags d = {0};
    menu_load_opts_default(&o);
    o.districts = geo_district_names(&o.n_districts);
    o.handler_exists = handler_exists;
    struct menu_set *s = menu_load_dir("menus.d", &o, &d);
    CHECK(s != NULL);
    CHECK_INT(d.warnings, 0);
    diag_free(&d);
    REQUIRE(s != NULL);
    CHECK(s->has_sms_default);
    struct sms_match m;
    int en = menu_find_lang(s, "en"), rw = menu_find_lang(s, "rw"), fr = menu_find_lang(s, "fr");
    CHECK(en >= 0 && rw >= 0 && fr >= 0);

    int help = sms_rules_match(s, "HELP", &m);
    CHECK(help >= 0);
    const char *help_en = sms_rules_reply(s, &m, NULL, en);
    CHECK(strstr(help_en, "*123#") && strstr(help_en, "STATUS"));
    CHECK(strstr(sms_rules_reply(s, &m, NULL, fr), "Composez *123#"));
    CHECK(strstr(sms_rules_reply(s, &m, NULL, rw), "Kanda *123#"));
    CHECK_INT(sms_rules_match(s, "help", &m), help);

    /* anything else: the same help text */
    CHECK_INT(sms_rules_match(s, "What is this?", &m), SMS_RULES_NO_MATCH);
    CHECK_STR(sms_rules_reply(s, &m, NULL, en), help_en);
    CHECK_INT(sms_rules_match(s, "STATUS", &m), SMS_RULES_NO_MATCH);

    int st = sms_rules_match(s, "Status lnd-26-004213-7", &m);
    CHECK(st >= 0 && st != help);
    if (st < 0)
        goto out;
    CHECK_STR(s->sms_rules[st].handler, "app_status");
    CHECK_STR(var(&m, "ref"), "lnd-26-004213-7");
    struct handler_kv set[] = {{"ref", "LND-26-004213-7"}, {"status", "in_review"},
                               {"status_text", "en cours d'examen"}, {"service", "land"},
                               {"service_text", "foncier"}, {"updated", "2026-11-20"}};
    struct sms_vars v = {set, 6, &m, "250788000001", "fr"};
    char out[400];
    sms_rules_expand(sms_rules_reply(s, &m, "ok", fr), &v, out, sizeof out);
    CHECK_STR(out, "Demande LND-26-004213-7 (foncier) : en cours d'examen. Dernière mise à jour : "
                   "2026-11-20.");
    struct handler_kv nf[] = {{"ref", "XYZ-1"}};
    struct sms_vars w = {nf, 1, &m, "250788000001", "en"};
    sms_rules_expand(sms_rules_reply(s, &m, "not_found", en), &w, out, sizeof out);
    CHECK(strstr(out, "No application XYZ-1 was found") == out);
    CHECK(strstr(sms_rules_reply(s, &m, "error", rw), "Mwihangane") != NULL);
out:
    menu_set_free(s);
}

/* ---- app_status against the run's Redis ------------------------------------------------ */


static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    *(int *)arg = 1;
}

/* Run the loop until g->done or ms pass. */
static void wait_done(struct event_base *b, struct harness_got *g, int ms)
{
    int expired = 0;
    struct event *t = evtimer_new(b, timeout_cb, &expired);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(t, &tv);
    while (!g->done && !expired)
        event_base_loop(b, EVLOOP_ONCE);
    event_free(t);
}

static void cmd_done(void *arg, int status, const struct redisReply *r)
{
    (void)r;
    *(int *)arg = status == STORE_OK ? 1 : -1;
}

/* One command, waited for. */
static int redis(struct event_base *b, struct store *st, int argc, const char *const *argv)
{
    int rc = 0;
    int expired = 0;
    struct event *t = evtimer_new(b, timeout_cb, &expired);
    struct timeval tv = {3, 0};
    evtimer_add(t, &tv);
    store_cmd(st, cmd_done, &rc, argc, argv, NULL);
    while (!rc && !expired)
        event_base_loop(b, EVLOOP_ONCE);
    event_free(t);
    return rc;
}

static struct harness_got status_of(struct event_base *b, struct svc_env *env, const char *ref,
                            const char *lang)
{
    struct harness_got g = {0};
    struct handler_kv args[] = {{"ref", ref}};
    struct handler_req req = {.msisdn = "250788000001", .lang = lang, .args = args,
                              .n_args = ref ? 1 : 0};
    struct handler_run *run = handler_run(env, &handler_app_status, &req, 3000, harness_got_done, &g);
    CHECK(run != NULL);
    wait_done(b, &g, 5000);
    CHECK_INT(g.done, 1);
    return g;
}

static void test_app_status(void)
{
    const char *addr = getenv("USSDGW_TEST_REDIS");
    if (!addr) {
        harness_skip("USSDGW_TEST_REDIS is not set (tests/run.sh sets it)");
        return;
    }
    CHECK(handler_find("app_status") == &handler_app_status);
    struct event_base *b = event_base_new();
    struct store_opts so = {.timeout_ms = 2000};
    struct store *st = store_new(b, addr, &so);
    CHECK(st != NULL);
    if (!st) {
        event_base_free(b);
        return;
    }
    struct svc_env env = {.base = b, .store = st};
    char ref[32], key[64], lower[32];
    snprintf(ref, sizeof ref, "TST-%d-7", (int)getpid() % 100000);
    snprintf(key, sizeof key, "ussd:app:%s", ref);
    snprintf(lower, sizeof lower, "  tst-%d-7 ", (int)getpid() % 100000);
    const char *hset[] = {"HSET", key, "status", "in_review", "service", "land", "updated",
                          "2026-11-20", "applicant", "someone"};
    CHECK_INT(redis(b, st, 10, hset), 1);

    struct harness_got g = status_of(b, &env, lower, "fr");
    CHECK_STR(g.outcome, "ok");
    CHECK_STR(harness_got_var(&g, "ref"), ref);
    CHECK_STR(harness_got_var(&g, "status"), "in_review");
    CHECK_STR(harness_got_var(&g, "status_text"), "en cours d'examen");
    CHECK_STR(harness_got_var(&g, "service"), "land");
    CHECK_STR(harness_got_var(&g, "service_text"), "foncier");
    CHECK_STR(harness_got_var(&g, "updated"), "2026-11-20");
    g = status_of(b, &env, ref, "en");
    CHECK_STR(harness_got_var(&g, "status_text"), "under review");
    g = status_of(b, &env, ref, "rw");
    CHECK_STR(harness_got_var(&g, "service_text"), "ubutaka");
    g = status_of(b, &env, ref, "de"); /* unknown language: English words */
    CHECK_STR(harness_got_var(&g, "service_text"), "land");

    /* a status the table does not know is shown as is */
    const char *odd[] = {"HSET", key, "status", "on_hold", "service", "fishing"};
    CHECK_INT(redis(b, st, 6, odd), 1);
    g = status_of(b, &env, ref, "en");
    CHECK_STR(harness_got_var(&g, "status_text"), "on hold");
    CHECK_STR(harness_got_var(&g, "service_text"), "fishing");

    /* no record; a ref not shaped like one; no ref at all */
    g = status_of(b, &env, "NOPE-0000-0", "en");
    CHECK_STR(g.outcome, "not_found");
    CHECK_STR(harness_got_var(&g, "ref"), "NOPE-0000-0");
    g = status_of(b, &env, "a b", "en");
    CHECK_STR(g.outcome, "not_found");
    CHECK_STR(harness_got_var(&g, "ref"), "a b");
    g = status_of(b, &env, NULL, "en");
    CHECK_STR(g.outcome, "error");

    /* a key of the wrong type is a Redis error */
    const char *del[] = {"DEL", key};
    const char *set_str[] = {"SET", key, "x"};
    CHECK_INT(redis(b, st, 3, set_str), 1);
    g = status_of(b, &env, ref, "en");
    CHECK_STR(g.outcome, "error");
    CHECK_INT(redis(b, st, 2, del), 1);
    store_free(st);

    /* Redis unreachable: error, within the store's timer */
    st = store_new(b, "127.0.0.1:1", &so);
    env.store = st;
    g = status_of(b, &env, ref, "en");
    CHECK_STR(g.outcome, "error");
    store_free(st);
    event_base_free(b);
}

/* A "Redis" that accepts connections (the kernel does) and never answers. */
static int mute_server(char *addr, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(addr, cap, "127.0.0.1:%d", ntohs(sa.sin_port));
    return fd;
}

/* handler_run's timer fires before Redis answers: the call is cancelled, the caller gets
 * "error", and the reply that comes later (here: the store's failure at free) frees the
 * call (no use after free, no leak: the sanitizer build checks). */
static void test_app_status_cancelled(void)
{
    char addr[64];
    int fd = mute_server(addr, sizeof addr);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    struct event_base *b = event_base_new();
    struct store_opts so = {.timeout_ms = 5000};
    struct store *st = store_new(b, addr, &so);
    CHECK(st != NULL);
    if (!st) {
        event_base_free(b);
        close(fd);
        return;
    }
    struct svc_env env = {.base = b, .store = st};
    struct harness_got g = {0};
    struct handler_kv args[] = {{"ref", "LND-26-004213-7"}};
    struct handler_req req = {.lang = "en", .args = args, .n_args = 1};
    /* cancelled by the caller */
    struct handler_run *run = handler_run(&env, &handler_app_status, &req, 3000, harness_got_done, &g);
    handler_run_cancel(run);
    /* timed out by the run's own timer */
    run = handler_run(&env, &handler_app_status, &req, 50, harness_got_done, &g);
    CHECK(run != NULL);
    wait_done(b, &g, 3000);
    CHECK_INT(g.done, 1);
    CHECK_STR(g.outcome, "error");
    store_free(st); /* the two pending requests fail now and free their calls */
    event_base_free(b);
    close(fd);
}

int main(void)
{
    RUN(test_match_first_wins_and_caseless);
    RUN(test_captures);
    RUN(test_long_capture_is_cut_on_a_character);
    RUN(test_hostile_pattern_is_bounded);
    RUN(test_reply_choice);
    RUN(test_expand);
    RUN(test_order_across_files);
    RUN(test_sms_parts);
    RUN(test_shipped_rules);
    RUN(test_app_status);
    RUN(test_app_status_cancelled);
    return harness_finish();
}
