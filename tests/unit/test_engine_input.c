/*
 * test_engine_input.c: engine_input's steps one at a time on a small set with no
 * handlers: duplicates and late input dropped, the answer trimmed, the built-in keys
 * (Back, Home, More, and "98" as an answer on an input screen), a menu choice and its
 * value, a language, an input's validators and retries, and the resume offer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "engine.h"
#include "harness.h"
#include "menu_load.h"
#include "session.h"

static const char yaml[] =
    "settings:\n"
    "  languages: {en: English, fr: Français}\n"
    "dial: {\"*1#\": root}\n"
    "screens:\n"
    "  root:\n"
    "    kind: menu\n"
    "    text: Root\n"
    "    var: pick\n"
    "    options:\n"
    "      - {label: Number, next: num, value: n}\n"
    "      - {label: Language, next: lang}\n"
    "      - {label: Done, next: bye}\n"
    "  num:\n"
    "    kind: input\n"
    "    text: Type a number\n"
    "    var: number\n"
    "    retries: 2\n"
    "    validate: [{pattern: '^[0-9]+$', error: \"Digits only, not {msisdn}\"}]\n"
    "    next: bye\n"
    "  lang: {kind: language, text: Language, next: root}\n"
    "  bye: {kind: end, text: \"Bye {number}\"}\n";

struct t {
    struct menu_set *set;
    struct engine_cfg cfg;
    struct session s;
    struct engine_out out;
    int step;
};

static int setup(struct t *t)
{
    struct menu_load_opts o;
    struct diags d = {0};
    memset(t, 0, sizeof *t);
    menu_load_opts_default(&o);
    t->set = menu_load_buffer("t.yaml", yaml, strlen(yaml), &o, &d);
    if (!t->set)
        diag_print(&d, stdout);
    diag_free(&d);
    CHECK(t->set != NULL);
    if (!t->set)
        return 0;
    engine_cfg_default(&t->cfg);
    engine_out_init(&t->out);
    engine_begin(t->set, &t->cfg, &t->s, "250700000001", "*1#", NULL, 1, "b", NULL, &t->out);
    CHECK_STR(t->s.screen, "root");
    return 1;
}

/* One answer with a new step id. */
static void say(struct t *t, const char *in)
{
    char id[16];
    snprintf(id, sizeof id, "s%d", ++t->step);
    engine_out_init(&t->out);
    engine_input(t->set, &t->cfg, &t->s, in, id, &t->out);
}

static void test_drop_and_trim(void)
{
    struct t t;
    if (!setup(&t))
        return;
    engine_out_init(&t.out);
    engine_input(t.set, &t.cfg, &t.s, " 1 ", "x", &t.out);
    CHECK_INT(t.out.status, ENGINE_SHOW);
    CHECK_STR(t.s.screen, "num");
    CHECK_STR(session_get(&t.s, "pick"), "n"); /* the option's value */
    engine_input(t.set, &t.cfg, &t.s, "1", "x", &t.out); /* the same step again */
    CHECK_INT(t.out.status, ENGINE_DROP);
    CHECK_STR(t.s.screen, "num");
    menu_set_free(t.set);
}

static void test_keys(void)
{
    struct t t;
    if (!setup(&t))
        return;
    say(&t, "0"); /* Back with nothing to go back to: shown again */
    CHECK_STR(t.s.screen, "root");
    CHECK_INT(t.out.end, 0);
    say(&t, "98"); /* More on a one-page menu: a wrong choice */
    CHECK_INT(t.s.retries, 1);
    CHECK(strstr(t.out.text, "Please choose one of the numbers shown.") != NULL);
    say(&t, "1");
    CHECK_STR(t.s.screen, "num");
    say(&t, "98"); /* on an input with one page, 98 is an answer */
    CHECK_INT(t.out.end, 1);
    CHECK_STR(t.out.text, "Bye 98");
    menu_set_free(t.set);
}

static void test_back_and_home(void)
{
    struct t t;
    if (!setup(&t))
        return;
    say(&t, "1");
    CHECK_STR(t.s.screen, "num");
    say(&t, "0");
    CHECK_STR(t.s.screen, "root");
    say(&t, "1");
    say(&t, "00");
    CHECK_STR(t.s.screen, "root");
    CHECK_INT(t.s.n_hist, 0);
    menu_set_free(t.set);
}

static void test_validators_and_retries(void)
{
    struct t t;
    if (!setup(&t))
        return;
    say(&t, "1");
    say(&t, "abc");
    CHECK_STR(t.s.screen, "num");
    CHECK_STR(t.s.error, "Digits only, not 250700000001");
    CHECK(strncmp(t.out.text, "Digits only, not 250700000001\nType a number", 43) == 0);
    say(&t, "abc"); /* retries: 2 */
    CHECK_INT(t.out.end, 1);
    CHECK_STR(t.out.text, "Too many wrong answers. Please dial again.");
    say(&t, "1"); /* the dialog has ended */
    CHECK_INT(t.out.status, ENGINE_DROP);
    menu_set_free(t.set);
}

static void test_language(void)
{
    struct t t;
    if (!setup(&t))
        return;
    say(&t, "2");
    CHECK_STR(t.s.screen, "lang");
    say(&t, "3"); /* two languages */
    CHECK_INT(t.s.retries, 1);
    say(&t, "2");
    CHECK_STR(t.s.lang, "fr");
    CHECK_INT(t.out.lang_chosen, 1);
    CHECK_STR(t.s.screen, "root");
    CHECK_INT(t.s.n_hist, 0); /* arriving home is going home */
    menu_set_free(t.set);
}

static void test_resume_offer(void)
{
    struct t t;
    if (!setup(&t))
        return;
    say(&t, "1");
    struct session cut = t.s;
    for (int answer = 0; answer < 3; answer++) {
        engine_out_init(&t.out);
        engine_begin(t.set, &t.cfg, &t.s, "250700000001", "*1#", NULL, 2, "b2", &cut, &t.out);
        CHECK_INT(t.s.state, SESSION_RESUME_OFFER);
        say(&t, answer == 0 ? "1" : answer == 1 ? "2" : "9");
        if (answer == 0) {
            CHECK_INT(t.s.state, SESSION_ACTIVE);
            CHECK_STR(t.s.screen, "num");
        } else if (answer == 1) {
            CHECK_INT(t.s.state, SESSION_ACTIVE);
            CHECK_STR(t.s.screen, "root");
            CHECK_INT(t.s.n_vars, 0);
        } else {
            CHECK_INT(t.s.state, SESSION_RESUME_OFFER);
            CHECK_INT(t.s.retries, 1);
        }
    }
    menu_set_free(t.set);
}

int main(void)
{
    RUN(test_drop_and_trim);
    RUN(test_keys);
    RUN(test_back_and_home);
    RUN(test_validators_and_retries);
    RUN(test_language);
    RUN(test_resume_offer);
    return harness_finish();
}
