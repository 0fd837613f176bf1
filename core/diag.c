/*
 * diag.c: the list of problems found in files an administrator wrote; see diag.h.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *diag_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void diag_add(struct diags *d, enum diag_severity sev, const char *file, int line, int col,
              const char *fmt, ...)
{
    if (sev == DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;

    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *msg = malloc((size_t)n + 1);
    if (!msg)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    /* one problem, one line: names quoted from a file may hold line breaks */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';

    char *f = diag_strdup(file ? file : "");
    if (!f || (d->n == d->cap && d->cap > ((size_t)-1) / 2 / sizeof *d->v)) {
        free(f);
        free(msg);
        return;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct diag *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            free(f);
            free(msg);
            return;
        }
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = (struct diag){sev, f, line, col, msg};
}

static int diag_cmp(const struct diag *a, const struct diag *b)
{
    int c = strcmp(a->file, b->file);
    if (c)
        return c;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return 0;
}

/* Stable merge sort (qsort is not stable); insertion sort when no scratch memory. */
static void diag_sort(struct diag *v, size_t n)
{
    struct diag *tmp = n > 1 ? malloc(n * sizeof *tmp) : NULL;
    if (!tmp) {
        for (size_t i = 1; i < n; i++) {
            struct diag x = v[i];
            size_t j = i;
            while (j > 0 && diag_cmp(&v[j - 1], &x) > 0) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
        return;
    }
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = diag_cmp(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof *v);
    }
    free(tmp);
}

void diag_print(struct diags *d, FILE *out)
{
    diag_sort(d->v, d->n);
    for (size_t i = 0; i < d->n; i++) {
        const struct diag *g = &d->v[i];
        fprintf(out, "%s:%d:%d: %s: %s\n", g->file, g->line, g->col,
                g->severity == DIAG_ERROR ? "error" : "warning", g->msg);
    }
}

void diag_free(struct diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    memset(d, 0, sizeof *d);
}
