/* harness.c: see harness.h. */
#include "harness.h"

#include "handler.h"

#include <stdarg.h>
#include <stdlib.h>

int harness_failed_now;
long harness_checks;
static int passed, failed, skipped;
static const char *cur_suite, *cur_name;
static char skip_why[256];

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (harness_failed_now++)
        fprintf(stdout, "  also ");
    else
        fprintf(stdout, "FAIL %s:%s: ", base_name(cur_suite), cur_name);
    fprintf(stdout, "%s:%d: ", base_name(file), line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

void harness_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(skip_why, sizeof skip_why, fmt, ap);
    va_end(ap);
    if (!skip_why[0])
        snprintf(skip_why, sizeof skip_why, "%s", "no reason given");
}

void harness_run(const char *suite, const char *name, void (*fn)(void))
{
    cur_suite = suite;
    cur_name = name;
    harness_failed_now = 0;
    harness_checks = 0;
    skip_why[0] = 0;
    fn();
    if (!harness_failed_now && !skip_why[0] && harness_checks == 0)
        harness_fail(suite, 0, "the test ran no CHECK: it could not have failed");
    if (harness_failed_now) {
        failed++;
    } else if (skip_why[0]) {
        skipped++;
        printf("SKIP %s:%s: %s\n", base_name(suite), name, skip_why);
    } else {
        passed++;
        printf("PASS %s:%s\n", base_name(suite), name);
    }
    fflush(stdout);
}

int harness_finish(void)
{
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

char *harness_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            } else
                b = nb;
        }
    }
    fclose(f);
    if (!b)
        return NULL;
    b[n] = 0;
    if (len)
        *len = n;
    return b;
}

int harness_golden(const char *path, const char *got)
{
    harness_checks++; /* a comparison, whatever the caller does with its result */
    const char *upd = getenv("UPDATE_GOLDEN");
    if (upd && *upd == '1') {
        FILE *f = fopen(path, "wb");
        if (!f)
            return 0;
        fputs(got, f);
        fclose(f);
        return 1;
    }
    char *want = harness_read_file(path, NULL);
    if (!want) {
        printf("  golden file %s missing (run with UPDATE_GOLDEN=1 to create it)\n", path);
        return 0;
    }
    int eq = strcmp(want, got) == 0;
    if (!eq) {
        /* show the first differing line */
        const char *a = want, *b = got;
        int line = 1;
        while (*a && *a == *b) {
            if (*a == '\n')
                line++;
            a++, b++;
        }
        printf("  %s differs at line %d\n  want: %.80s\n  got:  %.80s\n", path, line, a, b);
    }
    free(want);
    return eq;
}

void harness_got_done(void *arg, const struct handler_result *r)
{
    struct harness_got *g = arg;
    g->done++;
    snprintf(g->outcome, sizeof g->outcome, "%s", r->outcome);
    g->n = 0;
    for (size_t i = 0; i < r->n_set && i < 16; i++, g->n++) {
        snprintf(g->vars[i][0], sizeof g->vars[i][0], "%s", r->set[i].key);
        snprintf(g->vars[i][1], sizeof g->vars[i][1], "%s", r->set[i].value);
    }
}

const char *harness_got_var(const struct harness_got *g, const char *key)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->vars[i][0], key) == 0)
            return g->vars[i][1];
    return NULL;
}
