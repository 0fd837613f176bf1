/* harness.c: see harness.h. */
#include "harness.h"

#include "handler.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

void harness_timing(const char *what, double ms, const char *bound)
{
    const char *on = getenv("TEST_TIMINGS");
    if (!on || *on != '1')
        return;
    printf("TIMING %s:%s: %s = %.1f ms (%s)\n", base_name(cur_suite ? cur_suite : "?"), cur_name ? cur_name : "?", what,
           ms, bound);
    fflush(stdout);
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

/* ---- child processes ------------------------------------------------------------------ */

#define PROC_TEXT_MAX (16u << 20) /* beyond this a stream is read and dropped */

int harness_proc_start(struct harness_proc *p, char *const argv[], char *err, size_t errlen)
{
    int in[2], out[2], er[2];
    memset(p, 0, sizeof *p);
    p->in = p->out = p->err = -1;
    p->status = -1;
    if (access(argv[0], X_OK) != 0) {
        snprintf(err, errlen, "%s: %s", argv[0], strerror(errno));
        return -1;
    }
    if (pipe(in) != 0 || pipe(out) != 0 || pipe(er) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], 0), dup2(out[1], 1), dup2(er[1], 2);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in[0]), close(out[1]), close(er[1]);
    p->pid = (int)pid;
    p->in = in[1], p->out = out[0], p->err = er[0];
    fcntl(p->out, F_SETFL, O_NONBLOCK);
    fcntl(p->err, F_SETFL, O_NONBLOCK);
    fcntl(p->in, F_SETFD, FD_CLOEXEC);
    fcntl(p->out, F_SETFD, FD_CLOEXEC);
    fcntl(p->err, F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Read one stream until it would block; 1 when anything came. Closes it at EOF. */
static int proc_read_one(struct harness_proc *p, int i, int *fd)
{
    int got = 0;
    char buf[65536];
    while (*fd >= 0) {
        ssize_t r = read(*fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                close(*fd);
                *fd = -1;
            }
            break;
        }
        got = 1;
        size_t n = (size_t)r;
        if (p->len[i] + n + 1 > p->cap[i] && p->len[i] + n + 1 <= PROC_TEXT_MAX) {
            size_t cap = p->cap[i] ? p->cap[i] : 65536;
            while (cap < p->len[i] + n + 1)
                cap *= 2;
            char *t = realloc(p->text[i], cap);
            if (!t)
                continue;
            p->text[i] = t;
            p->cap[i] = cap;
        }
        if (p->len[i] + n + 1 <= p->cap[i]) {
            memcpy(p->text[i] + p->len[i], buf, n);
            p->len[i] += n;
            p->text[i][p->len[i]] = 0;
        }
    }
    return got;
}

int harness_proc_read(struct harness_proc *p)
{
    int a = proc_read_one(p, 0, &p->out);
    int b = proc_read_one(p, 1, &p->err);
    return a || b;
}

static long proc_find(const struct harness_proc *p, int stream, size_t from, const char *needle)
{
    if (!p->text[stream] || from >= p->len[stream])
        return -1;
    const char *m = strstr(p->text[stream] + from, needle);
    return m ? (long)(m - p->text[stream]) : -1;
}

static long long proc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long harness_proc_wait(struct harness_proc *p, int stream, size_t from, const char *needle, int ms)
{
    long long end = proc_now_ms() + ms;
    for (;;) {
        harness_proc_read(p);
        long at = proc_find(p, stream, from, needle);
        long long left = end - proc_now_ms();
        if (at >= 0 || left <= 0 || (p->out < 0 && p->err < 0))
            return at;
        struct pollfd pf[2] = {{p->out, POLLIN, 0}, {p->err, POLLIN, 0}};
        poll(pf, 2, (int)left);
    }
}

int harness_proc_count(const struct harness_proc *p, int stream, size_t from, const char *needle)
{
    int n = 0;
    long at;
    size_t k = strlen(needle);
    while (k && (at = proc_find(p, stream, from, needle)) >= 0) {
        n++;
        from = (size_t)at + k;
    }
    return n;
}

int harness_proc_write(struct harness_proc *p, const char *text)
{
    size_t n = strlen(text), off = 0;
    while (p->in >= 0 && off < n) {
        ssize_t w = write(p->in, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return off == n ? 0 : -1;
}

int harness_proc_end(struct harness_proc *p, int sig, int ms)
{
    if (p->in >= 0) {
        close(p->in);
        p->in = -1;
    }
    if (!p->pid)
        return p->status;
    if (sig) {
        kill(p->pid, SIGCONT);
        kill(p->pid, sig);
    }
    long long end = proc_now_ms() + ms;
    int st = 0, killed = 0;
    for (;;) {
        harness_proc_read(p);
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid)
            break;
        if (r < 0) {
            p->pid = 0;
            return p->status;
        }
        if (!killed && proc_now_ms() >= end) {
            kill(p->pid, SIGKILL);
            killed = 1;
        }
        struct pollfd pf[2] = {{p->out, POLLIN, 0}, {p->err, POLLIN, 0}};
        poll(pf, 2, 5); /* between polls of a child process's exit */
    }
    harness_proc_read(p);
    p->pid = 0;
    p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return p->status;
}

void harness_proc_free(struct harness_proc *p)
{
    if (p->pid)
        harness_proc_end(p, SIGKILL, 5000);
    if (p->out >= 0)
        close(p->out);
    if (p->err >= 0)
        close(p->err);
    free(p->text[0]);
    free(p->text[1]);
    memset(p, 0, sizeof *p);
    p->in = p->out = p->err = -1;
}
