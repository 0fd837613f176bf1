/*
 * harness.h: the unit-test harness. Each test is a function; CHECK records a failure
 * and goes on, REQUIRE records one and leaves the test (a fixture that did not load).
 * Output: one line per test, `PASS <file>:<test>`, `FAIL <file>:<test>: <where>: <what>`
 * or `SKIP <file>:<test>: <why>`, then `N passed, N failed, N skipped`. tests/run.sh
 * adds the PASS/FAIL/SKIP lines of every program into the final count.
 *
 * A test cannot pass without checking something: one that ran no CHECK, REQUIRE or
 * harness_golden (and did not skip) is a FAIL, so an early `return` before the first
 * check fails loudly.
 */
#ifndef USSDGW_HARNESS_H
#define USSDGW_HARNESS_H

#include <stdio.h>
#include <string.h>

extern int harness_failed_now;
extern long harness_checks; /* CHECKs run by the current test */
void harness_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Skip the current test with a reason (the test should return then): a SKIP line, counted
 * apart, never a PASS. A test that also failed a CHECK is a FAIL. */
void harness_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void harness_run(const char *suite, const char *name, void (*fn)(void));
int harness_finish(void);
/* Read a whole file into a malloc'd NUL-terminated buffer, or NULL. */
char *harness_read_file(const char *path, size_t *len);
/* Compare `got` with the golden file at `path`. With UPDATE_GOLDEN=1 in the
 * environment, write it instead. Returns 1 when equal. */
int harness_golden(const char *path, const char *got);

/* What a handler's done callback gave: harness_got_done is a handler_done_fn whose arg
 * is a zeroed struct harness_got. */
struct handler_result;
struct harness_got {
    int done; /* times done fired */
    char outcome[32];
    char vars[16][2][96];
    size_t n;
};
void harness_got_done(void *arg, const struct handler_result *r);
/* The value the result set for key, or NULL. */
const char *harness_got_var(const struct harness_got *g, const char *key);

#define CHECK(c) do { harness_checks++; if (!(c)) harness_fail(__FILE__, __LINE__, "%s", #c); } while (0)
/* CHECK, and leave the test (a void function) when it failed: for what the rest needs. */
#define REQUIRE(c) do { harness_checks++; \
    if (!(c)) { harness_fail(__FILE__, __LINE__, "required: %s", #c); return; } } while (0)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); harness_checks++; \
    if (a_ != b_) harness_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_); } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); harness_checks++; \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) harness_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
        #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define RUN(fn) harness_run(__FILE__, #fn, fn)

#endif
