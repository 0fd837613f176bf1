/*
 * test_harness.c: the harness keeps its promises. A child process runs a set of sample
 * tests (one passes, others fail a CHECK, fail a REQUIRE, check nothing, skip, fail and
 * then skip) with its stdout on a pipe; the tests here read what it printed and its exit
 * status: a test that cannot fail is a FAIL, a skip is a SKIP and never a PASS, and the
 * last line is "N passed, N failed, N skipped".
 */
#include "harness.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void sample_pass(void)
{
    CHECK(1);
}

static void sample_check_fails(void)
{
    CHECK_INT(1 + 1, 3);
}

static void sample_require_fails(void)
{
    REQUIRE(getenv("HARNESS_SAMPLE_NOT_SET_EVER") != NULL);
    printf("reached after a failed REQUIRE\n");
    CHECK(1);
}

static void sample_checks_nothing(void)
{
    if (!getenv("HARNESS_SAMPLE_NOT_SET_EVER"))
        return; /* a fixture "missing", no check made */
    CHECK(1);
}

static void sample_skip(void)
{
    harness_skip("no %s here", "redis");
}

static void sample_fail_then_skip(void)
{
    CHECK_STR("a", "b");
    harness_skip("too late to skip");
}

static char out[8192];
static int status = -1;

/* Run the samples in a child; out gets what it printed, status its exit status. */
static void run_samples(void)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        RUN(sample_pass);
        RUN(sample_check_fails);
        RUN(sample_require_fails);
        RUN(sample_checks_nothing);
        RUN(sample_skip);
        RUN(sample_fail_then_skip);
        int rc = harness_finish();
        fflush(stdout);
        _exit(rc);
    }
    close(p[1]);
    size_t n = 0;
    struct pollfd pf = {p[0], POLLIN, 0};
    /* the child runs no loop and no timer: 10 s is a deadline, never reached */
    while (n + 1 < sizeof out && poll(&pf, 1, 10000) > 0) {
        ssize_t r = read(p[0], out + n, sizeof out - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    out[n] = 0;
    close(p[0]);
    int st;
    if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
        status = WEXITSTATUS(st);
}

/* The line of the child's output that starts with prefix, or NULL. */
static const char *line_of(const char *prefix)
{
    static char line[512];
    size_t k = strlen(prefix);
    for (const char *p = out; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len >= k && strncmp(p, prefix, k) == 0 && len < sizeof line) {
            memcpy(line, p, len);
            line[len] = 0;
            return line;
        }
        p += len + (e ? 1 : 0);
    }
    return NULL;
}

static void test_pass_and_check_failures(void)
{
    REQUIRE(out[0] != 0);
    CHECK_STR(line_of("PASS test_harness.c:sample_pass"), "PASS test_harness.c:sample_pass");
    const char *f = line_of("FAIL test_harness.c:sample_check_fails: ");
    CHECK(f && strstr(f, "1 + 1 == 2, expected 3"));
    CHECK(line_of("PASS test_harness.c:sample_check_fails") == NULL);
}

static void test_require_leaves_the_test(void)
{
    REQUIRE(out[0] != 0);
    const char *f = line_of("FAIL test_harness.c:sample_require_fails: ");
    CHECK(f && strstr(f, "required: getenv"));
    CHECK(strstr(out, "reached after a failed REQUIRE") == NULL);
}

static void test_no_check_is_a_failure(void)
{
    REQUIRE(out[0] != 0);
    const char *f = line_of("FAIL test_harness.c:sample_checks_nothing: ");
    CHECK(f && strstr(f, "ran no CHECK"));
    CHECK(line_of("PASS test_harness.c:sample_checks_nothing") == NULL);
}

static void test_skip_is_not_a_pass(void)
{
    REQUIRE(out[0] != 0);
    CHECK_STR(line_of("SKIP test_harness.c:sample_skip"), "SKIP test_harness.c:sample_skip: no redis here");
    CHECK(line_of("PASS test_harness.c:sample_skip") == NULL);
    /* a failure stays a failure when the test skips after it */
    CHECK(line_of("FAIL test_harness.c:sample_fail_then_skip: ") != NULL);
    CHECK(line_of("SKIP test_harness.c:sample_fail_then_skip") == NULL);
}

static void test_last_line_and_status(void)
{
    REQUIRE(out[0] != 0);
    size_t n = strlen(out);
    CHECK(n > 0 && out[n - 1] == '\n');
    const char *last = out + n - 1;
    while (last > out && last[-1] != '\n')
        last--;
    CHECK_STR(last, "1 passed, 4 failed, 1 skipped\n");
    CHECK_INT(status, 1);
}

int main(void)
{
    run_samples();
    RUN(test_pass_and_check_failures);
    RUN(test_require_leaves_the_test);
    RUN(test_no_check_is_a_failure);
    RUN(test_skip_is_not_a_pass);
    RUN(test_last_line_and_status);
    return harness_finish();
}
