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
/* With TEST_TIMINGS=1 in the environment, print `TIMING <file>:<test>: <what> = <ms> ms
 * (<bound>)`: the measured side of a timing bound, to set bounds from measurements
 * (e.g. under `make SANITIZE=address,undefined test` on a loaded machine). */
void harness_timing(const char *what, double ms, const char *bound);
/* Read a whole file into a malloc'd NUL-terminated buffer, or NULL. */
char *harness_read_file(const char *path, size_t *len);
/* Compare `got` with the golden file at `path`. With UPDATE_GOLDEN=1 in the
 * environment, write it instead. Returns 1 when equal. */
int harness_golden(const char *path, const char *got);

/* A child program with its stdin, stdout and stderr on pipes: a real peer of the test
 * (./ussd-phone as the SMSC). It dies with the test program (PR_SET_PDEATHSIG). What it
 * writes is kept, NUL-terminated, in text[0] (stdout) and text[1] (stderr); nothing is
 * read by itself: call harness_proc_read (from an event on out/err, or in a wait loop),
 * or the child may block on a full pipe. */
struct harness_proc {
    int pid;           /* 0 once reaped */
    int in, out, err;  /* our ends of its stdin, stdout, stderr; -1 once closed */
    char *text[2];
    size_t len[2], cap[2];
    int status;        /* exit status, 128 + signal, or -1 while it runs */
};
/* Start argv[0] (a path) with argv. 0, or -1 with err. */
int harness_proc_start(struct harness_proc *p, char *const argv[], char *err, size_t errlen);
/* Take what the child wrote, without waiting. 1 when anything came. */
int harness_proc_read(struct harness_proc *p);
/* Wait up to ms for stream (0 stdout, 1 stderr) to hold needle at or after offset from;
 * the offset of the match, or -1. Blocks (poll) on the pipes, not on an event loop. */
long harness_proc_wait(struct harness_proc *p, int stream, size_t from, const char *needle, int ms);
/* Occurrences of needle in stream, from offset from on. */
int harness_proc_count(const struct harness_proc *p, int stream, size_t from, const char *needle);
/* Write text on its stdin. 0, or -1. */
int harness_proc_write(struct harness_proc *p, const char *text);
/* Close its stdin, send sig (0: none; a stopped child is continued first), and wait up
 * to ms for it to exit, reading its output meanwhile; then SIGKILL. Its status. */
int harness_proc_end(struct harness_proc *p, int sig, int ms);
/* harness_proc_end(p, SIGKILL, ...) if it runs, and free the buffers. */
void harness_proc_free(struct harness_proc *p);

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
