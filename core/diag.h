/*
 * diag.h: a list of problems found in files an administrator wrote (menus, config),
 * each with file, line and column, printed as `FILE:LINE:COL: error: message`.
 */
#ifndef USSDGW_DIAG_H
#define USSDGW_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag {
    enum diag_severity severity;
    char *file;
    int line, col;
    char *msg;
};

struct diags {
    struct diag *v;
    size_t n, cap;
    size_t errors, warnings;
};

/* Append a problem; the strings are copied. Never fails visibly: on allocation failure
 * the problem is counted but not stored. */
void diag_add(struct diags *d, enum diag_severity sev, const char *file, int line, int col,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Sort by file, line, column and print each as `FILE:LINE:COL: error: msg`. */
void diag_print(struct diags *d, FILE *out);

void diag_free(struct diags *d);

#endif
