/*
 * menu_load_values.c: how the parts of the menu loader speak and read (see
 * menu_load_int.h): messages at a node's FILE:LINE:COL, and the values read off a
 * file's tree with the message when one is not what it should be: strings, names,
 * keys (twice given, not allowed, "did you mean"), handlers and PCRE2 patterns.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "menu_arena.h"
#include "menu_check.h"
#include "menu_load_int.h"
#include "strbuf.h"

#define LOAD_MAX_PATTERN 2048 /* bytes of a regular expression */

/* ---- messages ------------------------------------------------------------------- */

__attribute__((format(printf, 5, 0))) static void vreport(struct loader *L,
                                                          enum diag_severity sev,
                                                          const char *file, const struct ynode *n,
                                                          const char *fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    diag_add(L->d, sev, file, n ? n->line : 1, n ? n->col : 1, "%s", buf);
}

/* 1 when this problem (its message's format) was said of node n before: an aliased
 * node, read again through another alias. */
static int said_before(struct loader *L, const struct ynode *n, const char *fmt)
{
    if (!n || !n->shared)
        return 0;
    for (size_t i = 0; i < L->n_said; i++)
        if (L->said[i].n == n && L->said[i].fmt == fmt)
            return 1;
    if (L->n_said < LOAD_SAID_MAX) {
        L->said[L->n_said].n = n;
        L->said[L->n_said].fmt = fmt;
        L->n_said++;
    }
    return 0;
}

void mload_err(struct loader *L, const struct ynode *n, const char *fmt, ...)
{
    va_list ap;
    if (said_before(L, n, fmt))
        return;
    va_start(ap, fmt);
    vreport(L, DIAG_ERROR, L->cur ? L->cur->name : "?", n, fmt, ap);
    va_end(ap);
}

void mload_warn(struct loader *L, const struct ynode *n, const char *fmt, ...)
{
    va_list ap;
    if (said_before(L, n, fmt))
        return;
    va_start(ap, fmt);
    vreport(L, DIAG_WARNING, L->cur ? L->cur->name : "?", n, fmt, ap);
    va_end(ap);
}

void mload_nomem(struct loader *L)
{
    if (!L->oom)
        diag_add(L->d, DIAG_ERROR, L->cur ? L->cur->name : "?", 1, 1,
                 "out of memory while loading the menus");
    L->oom = 1;
}

int mload_is_null(const struct ynode *n)
{
    return n->type == Y_SCALAR && n->plain &&
           (n->len == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
            strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0);
}

const char *mload_tname(const struct ynode *n)
{
    if (mload_is_null(n))
        return "an empty value";
    return n->type == Y_SCALAR ? "a string" : n->type == Y_SEQ ? "a list" : "a map";
}

struct menu_pos mload_pos(struct loader *L, const struct ynode *n)
{
    return (struct menu_pos){L->cur ? L->cur->name : "?", n->line, n->col};
}

/* Join a NULL-terminated list as "a, b, c" into buf. */
const char *mload_join(char *buf, size_t cap, const char *const *v, size_t n)
{
    struct strbuf b;
    strbuf_init(&b, buf, cap);
    for (size_t i = 0; i < n && v[i] && !strbuf_cut(&b); i++)
        strbuf_join(&b, i ? ", " : "", v[i], (const char *)NULL);
    return buf;
}

/* " (did you mean 'x'?)" or "" */
const char *mload_suggest(char *buf, size_t cap, const char *word, const char *const *cands,
                          size_t n)
{
    const char *c = menu_closest(word, cands, n);
    if (c)
        snprintf(buf, cap, " (did you mean '%s'?)", c);
    else
        buf[0] = 0;
    return buf;
}

/* ---- the tree ------------------------------------------------------------------- */

/* The value of `key` in map m (the first one), or NULL. */
const struct ynode *mload_map_get(const struct ynode *m, const char *key)
{
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->type == Y_SCALAR && strcmp(m->kids[i]->s, key) == 0)
            return m->kids[i + 1];
    return NULL;
}

/* The key node of value v in map m (v must be in m). */
const struct ynode *mload_key_of(const struct ynode *m, const struct ynode *v)
{
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i + 1] == v)
            return m->kids[i];
    return m;
}

/* A key's text, or NULL (reported) when the key is a list or a map. */
const char *mload_key_str(struct loader *L, const struct ynode *k)
{
    if (k->type == Y_SCALAR)
        return k->s;
    mload_err(L, k, "a key must be a string, not %s", mload_tname(k));
    return NULL;
}

struct keyref {
    const char *s;
    size_t i;
};

static int keyref_cmp(const void *a, const void *b)
{
    const struct keyref *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

/* Report keys given twice in map m. */
void mload_check_dups(struct loader *L, const struct ynode *m)
{
    size_t n = m->n / 2;
    if (n < 2)
        return;
    struct keyref *v = malloc(n * sizeof *v);
    if (!v) {
        mload_nomem(L);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->type == Y_SCALAR)
            v[k++] = (struct keyref){m->kids[i]->s, i};
    qsort(v, k, sizeof *v, keyref_cmp);
    for (size_t i = 1; i < k; i++) {
        size_t j = i;
        while (j > 0 && strcmp(v[j - 1].s, v[i].s) == 0)
            j--;
        if (j != i)
            mload_err(L, m->kids[v[i].i], "key '%s' is given twice (first at line %d); remove one",
                      v[i].s, m->kids[v[j].i]->line);
    }
    free(v);
}

/* Report keys of map m that are not in `allowed` (NULL-terminated). */
void mload_check_keys(struct loader *L, const struct ynode *m, const char *const *allowed,
                      const char *where, const char *const *elsewhere)
{
    size_t na = 0;
    while (allowed[na])
        na++;
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const char *k = mload_key_str(L, m->kids[i]);
        if (!k)
            continue;
        size_t j;
        for (j = 0; j < na; j++)
            if (strcmp(k, allowed[j]) == 0)
                break;
        if (j < na)
            continue;
        /* a key of another kind of screen: a likely mix-up, not a typo */
        int other = 0;
        for (size_t o = 0; elsewhere && elsewhere[o] && !other; o++)
            other = strcmp(k, elsewhere[o]) == 0;
        char sg[128], list[256];
        if (!other && *mload_suggest(sg, sizeof sg, k, allowed, na))
            mload_err(L, m->kids[i], "key '%s' is not allowed in %s%s", k, where, sg);
        else
            mload_err(L, m->kids[i], "key '%s' is not allowed in %s; the keys are: %s", k, where,
                      mload_join(list, sizeof list, allowed, na));
    }
}

/* A scalar's value copied into the set, or NULL (reported) when absent or not a string. */
const char *mload_get_str(struct loader *L, const struct ynode *n, const char *what)
{
    if (n->type != Y_SCALAR) {
        mload_err(L, n, "%s must be a string, not %s", what, mload_tname(n));
        return NULL;
    }
    if (mload_is_null(n)) {
        mload_err(L, n, "%s has no value", what);
        return NULL;
    }
    if (strlen(n->s) != n->len)
        mload_err(L, n, "%s contains a NUL character", what);
    return mload_strdup(L, n->s, strlen(n->s));
}

/* A screen, variable, handler or outcome name. */
const char *mload_get_name(struct loader *L, const struct ynode *n, const char *what)
{
    const char *s = mload_get_str(L, n, what);
    if (s && !menu_name_ok(s)) {
        mload_err(L, n,
                  "%s: '%s' is not a valid name; use 1 to %d letters, digits, '_', '.' or '-'",
                  what, s, MENU_NAME_MAX);
        return NULL;
    }
    return s;
}

/* ---- handlers and patterns -------------------------------------------------------- */

void mload_check_handler(struct loader *L, const struct ynode *n, const char *name)
{
    if (name && L->opts.handler_exists && !L->opts.handler_exists(name)) {
        const char *c = L->opts.handler_names
                            ? menu_closest(name, L->opts.handler_names, L->opts.n_handler_names)
                            : NULL;
        if (c)
            mload_err(L, n, "unknown handler '%s' (did you mean '%s'?)", name, c);
        else
            mload_err(L, n, "unknown handler '%s'", name);
    }
}

static void free_re(void *re)
{
    pcre2_code_free(re);
}

struct pcre2_real_code_8 *mload_compile_re(struct loader *L, const struct ynode *n,
                                           const char *pat, const char *what,
                                           unsigned extra_flags)
{
    if (strlen(pat) > LOAD_MAX_PATTERN) {
        mload_err(L, n, "%s is longer than %d bytes", what, LOAD_MAX_PATTERN);
        return NULL;
    }
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | extra_flags, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", code);
        mload_err(L, n, "%s does not compile: %s (at offset %zu in '%s')", what, (const char *)msg,
                  (size_t)off, pat);
        return NULL;
    }
    if (menu_arena_defer(L->a, free_re, re)) {
        mload_nomem(L);
        return NULL;
    }
    return re;
}

/* ---- memory ---------------------------------------------------------------------- */

void *mload_alloc(struct loader *L, size_t n)
{
    void *p = menu_arena_alloc(L->a, n);
    if (!p)
        mload_nomem(L);
    return p;
}

char *mload_strdup(struct loader *L, const char *s, size_t len)
{
    char *p = mload_alloc(L, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}
