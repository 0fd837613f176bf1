/*
 * menu_load.c: read every *.yaml file of a folder into a menu set; see menu_load.h.
 *
 * Three steps. First each file is read with libyaml's event API into a small tree of
 * our own (so we control nesting depth, node counts and aliases, and keep every
 * node's position). Then the trees are read into the set: settings first (a plain
 * string is a text in the default language, so languages must be known before any
 * text), then the screen names of every file (sorted, so each screen gets its final
 * index and references can point into the final array), then the screens and dial
 * strings. Last, references are resolved by name and the set-wide checks run
 * (menu_check.c). Every problem goes to the diags list; any error means NULL.
 */
#include "menu_load.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>

#include "menu_arena.h"
#include "menu_check.h"
#include "menu_load_int.h"

/* Bounds, so that a hostile file cannot blow memory or time. */
#define LOAD_MAX_FILE (1024 * 1024) /* bytes per file */
#define LOAD_MAX_SCREENS 2000
#define LOAD_MAX_DIALS 2000
#define LOAD_MAX_OPTIONS 64
#define LOAD_MAX_VALIDATORS 16
#define LOAD_MAX_ARGS 32
#define LOAD_MAX_ROUTES 64    /* router routes, handler outcomes */
#define LOAD_MAX_DEPTH 32     /* YAML nesting */
#define LOAD_MAX_NODES 200000 /* YAML nodes per file, aliases expanded */
#define LOAD_MAX_TOTAL_NODES 1000000
#define LOAD_MAX_ANCHORS 1000
#define LOAD_MAX_PATTERN 2048 /* bytes of a regular expression */

/* ---- options --------------------------------------------------------------------- */

void menu_load_opts_default(struct menu_load_opts *o)
{
    o->screen_limit_gsm = 182;
    o->screen_limit_ucs2 = 80;
    o->handler_exists = NULL;
    o->districts = NULL;
    o->n_districts = 0;
}

/* ---- the YAML tree (struct ynode: menu_load_int.h) --------------------------------- */

struct yfile {
    const char *name;   /* in the set's arena: positions point here */
    struct ynode *root; /* NULL for an empty file */
    int broken;         /* not read to its end: what follows the problem is missing */
};

/* A screen as named in some file, in the order met. */
struct sentry {
    const char *name;
    const struct ynode *key, *val; /* val NULL when cut by a syntax error */
    size_t file, seq;
    int idx;   /* final index in set->screens */
    int first; /* 1 for the definition that counts */
};

/* A name to resolve to a screen index once every screen is known. */
struct ref {
    const char *name;
    struct menu_pos pos;
    int *slot;
};

struct loader {
    struct menu_load_opts opts;
    struct diags *d;
    size_t errors0;
    struct menu_arena *a;   /* the set's */
    struct menu_arena *tmp; /* the trees: freed when loading ends */
    struct menu_set *set;
    uint64_t hash;
    int oom;
    int stop; /* nothing worth checking (no folder, no files) */

    struct yfile *files;
    size_t n_files, cap_files;
    size_t total_nodes;
    int too_big; /* the total node bound was hit: later files are not read */

    const struct yfile *cur; /* file of the nodes being read, for messages */
    int settings_file;       /* index of the file with settings, or -1 */
    const struct ynode *default_node;
    int no_default_check; /* the default language is broken: do not pile up errors */
    char declared[96];    /* "en, fr": for messages */

    struct sentry *ents;
    size_t n_ents, cap_ents;
    unsigned char *skip; /* per screen: content not read */
    struct ref *refs;
    size_t n_refs, cap_refs;
};

static const char *const kind_names[] = {"menu", "input", "handler", "router",
                                         "end",  "language", "sms"};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

static const char *const msg_names[MENU_MSG_COUNT] = {
    [MENU_MSG_BACK] = "back",
    [MENU_MSG_HOME] = "home",
    [MENU_MSG_MORE] = "more",
    [MENU_MSG_INVALID_CHOICE] = "invalid_choice",
    [MENU_MSG_TOO_MANY_TRIES] = "too_many_tries",
    [MENU_MSG_RESUME] = "resume",
    [MENU_MSG_RESUME_YES] = "resume_yes",
    [MENU_MSG_RESUME_NO] = "resume_no",
    [MENU_MSG_UNAVAILABLE] = "unavailable",
    [MENU_MSG_BUSY] = "busy",
    [MENU_MSG_ERROR] = "error",
    [MENU_MSG_UNKNOWN_CODE] = "unknown_code",
    [MENU_MSG_EXPIRED] = "expired",
};

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

__attribute__((format(printf, 3, 4))) static void err(struct loader *L, const struct ynode *n,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(L, DIAG_ERROR, L->cur ? L->cur->name : "?", n, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void warn(struct loader *L, const struct ynode *n,
                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(L, DIAG_WARNING, L->cur ? L->cur->name : "?", n, fmt, ap);
    va_end(ap);
}

static void oom(struct loader *L)
{
    if (!L->oom)
        diag_add(L->d, DIAG_ERROR, L->cur ? L->cur->name : "?", 1, 1,
                 "out of memory while loading the menus");
    L->oom = 1;
}

static int is_null(const struct ynode *n)
{
    return n->type == Y_SCALAR && n->plain &&
           (n->len == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
            strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0);
}

static const char *tname(const struct ynode *n)
{
    if (is_null(n))
        return "an empty value";
    return n->type == Y_SCALAR ? "a string" : n->type == Y_SEQ ? "a list" : "a map";
}

static struct menu_pos pos_of(struct loader *L, const struct ynode *n)
{
    return (struct menu_pos){L->cur ? L->cur->name : "?", n->line, n->col};
}

static char *adup(struct loader *L, const char *s, size_t len)
{
    char *p = menu_arena_alloc(L->a, len + 1);
    if (!p) {
        oom(L);
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

/* Join a NULL-terminated list as "a, b, c" into buf. */
static const char *join(char *buf, size_t cap, const char *const *v, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && v[i]; i++) {
        int w = snprintf(buf + k, cap - k, "%s%s", i ? ", " : "", v[i]);
        if (w < 0 || (size_t)w >= cap - k)
            break;
        k += (size_t)w;
    }
    return buf;
}

/* " (did you mean 'x'?)" or "" */
static const char *suggest(char *buf, size_t cap, const char *word, const char *const *cands,
                           size_t n)
{
    const char *c = menu_closest(word, cands, n);
    if (c)
        snprintf(buf, cap, " (did you mean '%s'?)", c);
    else
        buf[0] = 0;
    return buf;
}

/* ---- reading YAML into a tree --------------------------------------------------- */

struct yframe {
    struct ynode *node;
    struct ynode **kids;
    size_t n, cap;
    const char *anchor;
};

struct yanchor {
    const char *name;
    struct ynode *node;
};

struct yreader {
    struct loader *L;
    struct yfile *F;
    struct yframe st[LOAD_MAX_DEPTH];
    int depth;
    struct yanchor *anchors;
    size_t n_anchors;
    size_t nodes; /* aliases expanded */
};

static int clamp_int(size_t v)
{
    return v >= INT_MAX ? INT_MAX : (int)v;
}

static const char *tdup(struct loader *L, const char *s, size_t len)
{
    char *p = menu_arena_alloc(L->tmp, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

/* Count n more nodes against the bounds. 0 when within them. */
static int ycount(struct yreader *R, size_t n, const struct ynode *at)
{
    struct loader *L = R->L;
    R->nodes += n;
    L->total_nodes += n;
    if (R->nodes > LOAD_MAX_NODES) {
        err(L, at, "the file has more than %d YAML nodes (counting what aliases repeat); the "
                   "rest of the file is ignored", LOAD_MAX_NODES);
        return -1;
    }
    if (L->total_nodes > LOAD_MAX_TOTAL_NODES) {
        err(L, at, "the menu files hold more than %d YAML nodes in all; the rest is ignored",
            LOAD_MAX_TOTAL_NODES);
        L->too_big = 1;
        return -1;
    }
    return 0;
}

static struct ynode *ynew(struct yreader *R, int type, const yaml_mark_t *m)
{
    struct ynode *n = menu_arena_alloc(R->L->tmp, sizeof *n);
    if (!n) {
        oom(R->L);
        return NULL;
    }
    n->type = (unsigned char)type;
    n->line = clamp_int(m->line + 1);
    n->col = clamp_int(m->column + 1);
    n->complete = type == Y_SCALAR;
    n->weight = 1;
    n->s = "";
    return n;
}

static int yattach(struct yreader *R, struct ynode *n)
{
    if (R->depth == 0) {
        if (!R->F->root)
            R->F->root = n;
        return 0;
    }
    struct yframe *f = &R->st[R->depth - 1];
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        struct ynode **k = realloc(f->kids, cap * sizeof *k);
        if (!k) {
            oom(R->L);
            return -1;
        }
        f->kids = k;
        f->cap = cap;
    }
    f->kids[f->n++] = n;
    return 0;
}

static int yanchor_add(struct yreader *R, const char *name, struct ynode *n)
{
    if (!name)
        return 0;
    if (R->n_anchors == LOAD_MAX_ANCHORS) {
        err(R->L, n, "the file defines more than %d anchors; the rest of the file is ignored",
            LOAD_MAX_ANCHORS);
        return -1;
    }
    if (!R->anchors) {
        R->anchors = menu_arena_alloc(R->L->tmp, LOAD_MAX_ANCHORS * sizeof *R->anchors);
        if (!R->anchors) {
            oom(R->L);
            return -1;
        }
    }
    R->anchors[R->n_anchors++] = (struct yanchor){name, n};
    return 0;
}

/* Close the innermost container; complete when its end event was read. */
static int ypop(struct yreader *R, int complete)
{
    struct yframe *f = &R->st[--R->depth];
    struct ynode *n = f->node;
    int rc = 0;
    if (f->n) {
        n->kids = menu_arena_alloc(R->L->tmp, f->n * sizeof *n->kids);
        if (n->kids) {
            memcpy(n->kids, f->kids, f->n * sizeof *n->kids);
            n->n = f->n;
        } else {
            oom(R->L);
            rc = -1;
        }
    }
    free(f->kids);
    size_t w = 1;
    for (size_t i = 0; i < n->n; i++) {
        w += n->kids[i]->weight;
        if (w > LOAD_MAX_NODES)
            w = LOAD_MAX_NODES + 1;
    }
    n->weight = w;
    n->complete = (unsigned char)(complete && rc == 0);
    const char *anchor = f->anchor;
    memset(f, 0, sizeof *f);
    if (n->complete && rc == 0)
        rc = yanchor_add(R, anchor, n);
    return rc;
}

static void yaml_problem(struct yreader *R, yaml_parser_t *p, const char *buf, size_t len)
{
    struct loader *L = R->L;
    struct ynode at = {.line = 1, .col = 1};
    if (p->error == YAML_MEMORY_ERROR) {
        oom(L);
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        /* the reader gives a byte offset: turn it into a line and a column */
        size_t off = p->problem_offset < len ? p->problem_offset : len;
        int line = 1, col = 1;
        for (size_t i = 0; i < off; i++) {
            if (buf[i] == '\n')
                line++, col = 1;
            else if (((unsigned char)buf[i] & 0xC0) != 0x80)
                col++;
        }
        at.line = line;
        at.col = col;
        if (p->problem_value != -1)
            err(L, &at, "the file is not valid UTF-8 text: %s (byte 0x%02x)",
                p->problem ? p->problem : "bad byte", (unsigned)p->problem_value & 0xff);
        else
            err(L, &at, "the file is not valid UTF-8 text: %s",
                p->problem ? p->problem : "bad byte");
        return;
    }
    at.line = clamp_int(p->problem_mark.line + 1);
    at.col = clamp_int(p->problem_mark.column + 1);
    const char *hint = "";
    if (p->problem_mark.index < len && buf[p->problem_mark.index] == '\t')
        hint = "; tabs cannot indent YAML: use spaces";
    else if (p->context && strstr(p->context, "alias"))
        hint = "; a value starting with '*' is an alias: quote dial strings, e.g. \"*123#\"";
    if (p->context && (p->context_mark.line != p->problem_mark.line ||
                       p->context_mark.column != p->problem_mark.column))
        err(L, &at, "YAML syntax error: %s (%s at line %d, column %d)%s",
            p->problem ? p->problem : "unknown problem", p->context,
            clamp_int(p->context_mark.line + 1), clamp_int(p->context_mark.column + 1), hint);
    else
        err(L, &at, "YAML syntax error: %s%s%s%s%s", p->problem ? p->problem : "unknown problem",
            p->context ? " (" : "", p->context ? p->context : "", p->context ? ")" : "", hint);
}

/* One event into the tree. 1: go on; 0: the stream ended; -1: stop (reported). */
static int yevent(struct yreader *R, yaml_event_t *ev, int *docs)
{
    struct loader *L = R->L;
    struct ynode *n;
    const char *anchor = NULL;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 0;
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1) {
            struct ynode at = {.line = clamp_int(ev->start_mark.line + 1),
                               .col = clamp_int(ev->start_mark.column + 1)};
            err(L, &at, "a menu file holds one YAML document; this second one is ignored");
            return -1;
        }
        return 1;
    case YAML_SCALAR_EVENT:
        if (!(n = ynew(R, Y_SCALAR, &ev->start_mark)) || ycount(R, 1, n))
            return -1;
        n->s = tdup(L, (const char *)ev->data.scalar.value, ev->data.scalar.length);
        if (!n->s) {
            oom(L);
            return -1;
        }
        n->len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (yattach(R, n))
            return -1;
        if (ev->data.scalar.anchor) {
            const char *a = tdup(L, (const char *)ev->data.scalar.anchor,
                                 strlen((const char *)ev->data.scalar.anchor));
            if (!a || yanchor_add(R, a, n))
                return -1;
        }
        return 1;
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        struct ynode at = {.line = clamp_int(ev->start_mark.line + 1),
                           .col = clamp_int(ev->start_mark.column + 1)};
        n = NULL;
        for (size_t i = R->n_anchors; i-- > 0;)
            if (strcmp(R->anchors[i].name, name) == 0) {
                n = R->anchors[i].node;
                break;
            }
        if (!n) {
            err(L, &at, "alias '*%s' has no anchor '&%s' before it (a value starting with '*' "
                        "is an alias: quote it, e.g. \"*123#\")", name, name);
            return -1;
        }
        if (ycount(R, n->weight, &at))
            return -1;
        return yattach(R, n) ? -1 : 1;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int map = ev->type == YAML_MAPPING_START_EVENT;
        if (!(n = ynew(R, map ? Y_MAP : Y_SEQ, &ev->start_mark)) || ycount(R, 1, n))
            return -1;
        if (yattach(R, n))
            return -1;
        if (R->depth == LOAD_MAX_DEPTH) {
            err(L, n, "the YAML is nested deeper than %d levels; the rest of the file is ignored",
                LOAD_MAX_DEPTH);
            return -1;
        }
        const yaml_char_t *an = map ? ev->data.mapping_start.anchor
                                    : ev->data.sequence_start.anchor;
        if (an && !(anchor = tdup(L, (const char *)an, strlen((const char *)an)))) {
            oom(L);
            return -1;
        }
        R->st[R->depth++] = (struct yframe){.node = n, .anchor = anchor};
        return 1;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (R->depth > 0 && ypop(R, 1))
            return -1;
        return 1;
    default:
        return 1;
    }
}

/* Read one file's bytes into F->root. On any problem, F->broken is set and the tree
 * holds what came before it. */
static void read_yaml(struct loader *L, struct yfile *F, const char *buf, size_t len)
{
    struct yreader R = {.L = L, .F = F};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        oom(L);
        F->broken = 1;
        return;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    int docs = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            yaml_problem(&R, &p, buf, len);
            F->broken = 1;
            break;
        }
        int rc = yevent(&R, &ev, &docs);
        yaml_event_delete(&ev);
        if (rc <= 0) {
            if (rc < 0)
                F->broken = 1;
            break;
        }
    }
    while (R.depth > 0)
        ypop(&R, 0);
    yaml_parser_delete(&p);
}

/* ---- tree helpers ---------------------------------------------------------------- */

/* The value of `key` in map m (the first one), or NULL. */
static const struct ynode *map_get(const struct ynode *m, const char *key)
{
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->type == Y_SCALAR && strcmp(m->kids[i]->s, key) == 0)
            return m->kids[i + 1];
    return NULL;
}

/* The key node of value v in map m (v must be in m). */
static const struct ynode *key_of(const struct ynode *m, const struct ynode *v)
{
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i + 1] == v)
            return m->kids[i];
    return m;
}

/* A key's text, or NULL (reported) when the key is a list or a map. */
static const char *key_str(struct loader *L, const struct ynode *k)
{
    if (k->type == Y_SCALAR)
        return k->s;
    err(L, k, "a key must be a string, not %s", tname(k));
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
static void check_dups(struct loader *L, const struct ynode *m)
{
    size_t n = m->n / 2;
    if (n < 2)
        return;
    struct keyref *v = malloc(n * sizeof *v);
    if (!v) {
        oom(L);
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
            err(L, m->kids[v[i].i], "key '%s' is given twice (first at line %d); remove one",
                v[i].s, m->kids[v[j].i]->line);
    }
    free(v);
}

/* Report keys of map m that are not in `allowed` (NULL-terminated). */
static void check_keys(struct loader *L, const struct ynode *m, const char *const *allowed,
                       const char *where, const char *const *elsewhere)
{
    size_t na = 0;
    while (allowed[na])
        na++;
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const char *k = key_str(L, m->kids[i]);
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
        if (!other && *suggest(sg, sizeof sg, k, allowed, na))
            err(L, m->kids[i], "key '%s' is not allowed in %s%s", k, where, sg);
        else
            err(L, m->kids[i], "key '%s' is not allowed in %s; the keys are: %s", k, where,
                join(list, sizeof list, allowed, na));
    }
}

/* A scalar's value copied into the set, or NULL (reported) when absent or not a string. */
static const char *get_str(struct loader *L, const struct ynode *n, const char *what)
{
    if (n->type != Y_SCALAR) {
        err(L, n, "%s must be a string, not %s", what, tname(n));
        return NULL;
    }
    if (is_null(n)) {
        err(L, n, "%s has no value", what);
        return NULL;
    }
    if (strlen(n->s) != n->len)
        err(L, n, "%s contains a NUL character", what);
    return adup(L, n->s, strlen(n->s));
}

/* A screen, variable, handler or outcome name. */
static const char *get_name(struct loader *L, const struct ynode *n, const char *what)
{
    const char *s = get_str(L, n, what);
    if (s && !menu_name_ok(s)) {
        err(L, n, "%s: '%s' is not a valid name; use 1 to %d letters, digits, '_', '.' or '-'",
            what, s, MENU_NAME_MAX);
        return NULL;
    }
    return s;
}

/* A reference to a screen, resolved by name once all screens are known. */
static const char *get_target(struct loader *L, const struct ynode *n, int *slot,
                              const char *what)
{
    *slot = MENU_NO_SCREEN;
    const char *s = get_str(L, n, what);
    if (!s)
        return NULL;
    if (L->n_refs == L->cap_refs) {
        size_t cap = L->cap_refs ? L->cap_refs * 2 : 64;
        struct ref *r = realloc(L->refs, cap * sizeof *r);
        if (!r) {
            oom(L);
            return s;
        }
        L->refs = r;
        L->cap_refs = cap;
    }
    L->refs[L->n_refs++] = (struct ref){s, pos_of(L, n), slot};
    return s;
}

/* Warn about template mistakes in a user-facing text: `{name}` inserts a variable,
 * `{{` and `}}` are literal braces. */
static void check_template(struct loader *L, const struct ynode *n, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p != '{')
            continue;
        if (p[1] == '{') {
            p++;
            continue;
        }
        const char *e = strchr(p + 1, '}');
        if (!e) {
            warn(L, n, "'{' with no closing '}' is shown as is; write '{{' for a literal brace");
            return;
        }
        size_t k = (size_t)(e - p - 1);
        char name[MENU_NAME_MAX + 1];
        int ok = k >= 1 && k <= MENU_NAME_MAX;
        if (ok) {
            memcpy(name, p + 1, k);
            name[k] = 0;
            ok = menu_name_ok(name);
        }
        if (!ok) {
            warn(L, n, "'{%.*s}' is not a variable name (letters, digits, '_', '.', '-'); write "
                       "'{{' and '}}' for literal braces", (int)(k > 40 ? 40 : k), p + 1);
            return;
        }
        p = e;
    }
}

/* A user-facing text: a string (the default language) or a map language -> string.
 * With need_default, the default language's text is required. 0 when unusable. */
static int get_text(struct loader *L, const struct ynode *n, struct menu_text *t,
                    const char *what, int need_default)
{
    struct menu_set *set = L->set;
    memset(t, 0, sizeof *t);
    t->pos = pos_of(L, n);
    if (n->type == Y_SCALAR) {
        if (is_null(n)) {
            err(L, n, "%s has no value", what);
            return 0;
        }
        const char *s = get_str(L, n, what);
        if (!s)
            return 0;
        check_template(L, n, s);
        t->s[set->default_lang] = s;
        return 1;
    }
    if (n->type != Y_MAP) {
        err(L, n, "%s must be a string or a map of language to string, like {en: \"...\"}, "
                  "not %s", what, tname(n));
        return 0;
    }
    check_dups(L, n);
    int ok = 1, seen_default = 0;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const char *code = key_str(L, n->kids[i]);
        if (!code) {
            ok = 0;
            continue;
        }
        int li = menu_find_lang(set, code);
        if (li < 0) {
            if (L->settings_file < 0)
                err(L, n->kids[i], "language '%s' is not declared (with no settings: languages, "
                                   "the only language is %s)", code, L->declared);
            else
                err(L, n->kids[i], "language '%s' is not declared in settings: languages "
                                   "(declared: %s)", code, L->declared);
            ok = 0;
            continue;
        }
        seen_default |= li == set->default_lang;
        if (t->s[li])
            continue; /* a duplicate key, reported */
        char w[320];
        snprintf(w, sizeof w, "%s in '%s'", what, code);
        const char *s = get_str(L, n->kids[i + 1], w);
        if (!s) {
            ok = 0;
            continue;
        }
        check_template(L, n->kids[i + 1], s);
        t->s[li] = s;
    }
    if (need_default && !L->no_default_check && !seen_default) {
        err(L, n, "%s has no '%s' version; the default language's text is required", what,
            set->langs[set->default_lang]);
        ok = 0;
    }
    return ok;
}

/* "'key' of screen 'name'" into buf. */
static const char *field(char *buf, size_t cap, const char *key, const struct menu_screen *sc)
{
    snprintf(buf, cap, "'%s' of screen '%.80s'", key, sc->name);
    return buf;
}

/* ---- settings -------------------------------------------------------------------- */

static const char *lang_display_name(const char *code)
{
    if (strcmp(code, "en") == 0)
        return "English";
    if (strcmp(code, "rw") == 0)
        return "Kinyarwanda";
    if (strcmp(code, "fr") == 0)
        return "Français";
    return code;
}

static void declared_list(struct loader *L)
{
    join(L->declared, sizeof L->declared, L->set->langs, L->set->n_langs);
}

static void load_languages(struct loader *L, const struct ynode *s)
{
    struct menu_set *set = L->set;
    const struct ynode *langs = s ? map_get(s, "languages") : NULL;
    const struct ynode *def = s ? map_get(s, "default_language") : NULL;
    const char *defcode = "en";
    L->default_node = def;

    if (def) {
        const char *c = get_str(L, def, "default_language");
        if (c)
            defcode = c;
        else
            L->no_default_check = 1;
    }
    if (langs && langs->type != Y_MAP) {
        err(L, langs, "languages must be a map of language code to the name shown, like "
                      "{en: English, fr: Français}, not %s", tname(langs));
        langs = NULL;
    }
    if (langs && langs->complete && langs->n == 0)
        err(L, langs, "languages is empty: declare at least one, like {en: English}");
    if (langs) {
        check_dups(L, langs);
        for (size_t i = 0; i + 1 < langs->n; i += 2) {
            const char *code = key_str(L, langs->kids[i]);
            if (!code || map_get(langs, code) != langs->kids[i + 1])
                continue; /* not a string, or a duplicate (reported) */
            if (!menu_name_ok(code) || strlen(code) > 15) {
                err(L, langs->kids[i], "language code '%s' is not valid: use a short code like "
                                       "en, rw or fr", code);
                continue;
            }
            if (set->n_langs == MENU_MAX_LANGS) {
                err(L, langs->kids[i], "too many languages: a set can declare at most %d",
                    MENU_MAX_LANGS);
                break;
            }
            char w[64];
            snprintf(w, sizeof w, "the name of language '%s'", code);
            const char *name = get_str(L, langs->kids[i + 1], w);
            const char *c = adup(L, code, strlen(code));
            if (!c)
                return;
            set->langs[set->n_langs] = c;
            set->lang_names[set->n_langs] = name ? name : c;
            set->n_langs++;
        }
    }
    if (!langs || set->n_langs == 0) {
        /* no languages declared: only the default language */
        const char *c = adup(L, defcode, strlen(defcode));
        if (!c)
            return;
        set->langs[0] = c;
        set->lang_names[0] = lang_display_name(c);
        set->n_langs = 1;
    }
    declared_list(L);
    set->default_lang = 0;
    int li = menu_find_lang(set, defcode);
    if (li >= 0) {
        set->default_lang = li;
    } else if (!L->no_default_check) {
        if (def)
            err(L, def, "default_language '%s' is not one of the declared languages (%s)",
                defcode, L->declared);
        else
            err(L, langs, "the default language is en, which is not declared here (%s): add "
                          "en or set default_language", L->declared);
        L->no_default_check = 1;
    }
}

static void load_messages(struct loader *L, const struct ynode *s)
{
    struct menu_set *set = L->set;
    for (int m = 0; m < MENU_MSG_COUNT; m++)
        for (size_t li = 0; li < set->n_langs; li++)
            set->messages[m].s[li] = menu_builtin_msg(set->langs[li], (enum menu_msg)m);

    const struct ynode *msgs = s ? map_get(s, "messages") : NULL;
    if (msgs && msgs->type != Y_MAP) {
        err(L, msgs, "messages must be a map of message name to text, not %s", tname(msgs));
        msgs = NULL;
    }
    if (msgs) {
        check_dups(L, msgs);
        for (size_t i = 0; i + 1 < msgs->n; i += 2) {
            const char *k = key_str(L, msgs->kids[i]);
            if (!k || !msgs->kids[i + 1]->complete)
                continue;
            int m;
            for (m = 0; m < MENU_MSG_COUNT; m++)
                if (strcmp(k, msg_names[m]) == 0)
                    break;
            if (m == MENU_MSG_COUNT) {
                char sg[128], list[256];
                err(L, msgs->kids[i], "unknown message '%s'%s; the engine's texts are: %s", k,
                    suggest(sg, sizeof sg, k, msg_names, MENU_MSG_COUNT),
                    join(list, sizeof list, msg_names, MENU_MSG_COUNT));
                continue;
            }
            if (map_get(msgs, k) != msgs->kids[i + 1])
                continue; /* duplicate, reported */
            char w[64];
            snprintf(w, sizeof w, "message '%s'", k);
            struct menu_text t;
            if (!get_text(L, msgs->kids[i + 1], &t, w, 0))
                continue;
            for (size_t li = 0; li < set->n_langs; li++)
                if (t.s[li])
                    set->messages[m].s[li] = t.s[li];
            set->messages[m].pos = t.pos;
        }
    }

    /* a default language we have no built-in texts for: say which are missing, and show
     * English until they are given */
    char missing[320];
    size_t k = 0;
    missing[0] = 0;
    for (int m = 0; m < MENU_MSG_COUNT; m++) {
        if (set->messages[m].s[set->default_lang])
            continue;
        set->messages[m].s[set->default_lang] = menu_builtin_msg("en", (enum menu_msg)m);
        int w = snprintf(missing + k, sizeof missing - k, "%s%s", k ? ", " : "", msg_names[m]);
        if (w > 0 && (size_t)w < sizeof missing - k)
            k += (size_t)w;
    }
    if (k && !L->no_default_check)
        warn(L, L->default_node ? L->default_node : (s ? s : NULL),
             "there are no built-in engine texts in '%s'; English is shown for: %s (give them "
             "under settings: messages)", set->langs[set->default_lang], missing);
}

static const char *const settings_keys[] = {"default_language", "languages", "messages", NULL};

static void load_settings(struct loader *L)
{
    const struct ynode *s = NULL;
    if (L->settings_file >= 0) {
        L->cur = &L->files[L->settings_file];
        s = map_get(L->cur->root, "settings");
        if (s->type != Y_MAP) {
            err(L, s, "settings must be a map (default_language, languages, messages), not %s",
                tname(s));
            s = NULL;
        } else {
            check_dups(L, s);
            check_keys(L, s, settings_keys, "settings", NULL);
        }
    } else {
        L->cur = L->n_files ? &L->files[0] : NULL;
    }
    load_languages(L, s);
    if (!L->oom)
        load_messages(L, s);
}

/* ---- top level ------------------------------------------------------------------- */

static const char *const top_keys[] = {"settings", "dial", "screens", "sms", "sms_default",
                                       "polls", NULL};

/* Check each file's top level; find the one file with settings. */
static void load_top(struct loader *L)
{
    L->settings_file = -1;
    for (size_t f = 0; f < L->n_files; f++) {
        struct yfile *F = &L->files[f];
        L->cur = F;
        const struct ynode *r = F->root;
        if (!r)
            continue;
        if (r->type != Y_MAP) {
            if (!is_null(r))
                err(L, r, "a menu file must be a map with the keys settings, dial and screens, "
                          "not %s", tname(r));
            F->root = NULL;
            continue;
        }
        check_dups(L, r);
        check_keys(L, r, top_keys, "a menu file", NULL);
        /* an empty `settings:`, `dial:` or `screens:` is as good as none */
        const struct ynode *s = map_get(r, "settings");
        if (s && !is_null(s)) {
            if (L->settings_file < 0) {
                L->settings_file = (int)f;
            } else {
                const struct yfile *G = &L->files[L->settings_file];
                const struct ynode *k = key_of(G->root, map_get(G->root, "settings"));
                err(L, key_of(r, s), "settings are already given in %s:%d:%d; only one file may have "
                             "settings", G->name, k->line, k->col);
            }
        }
        const struct ynode *dial = map_get(r, "dial");
        if (dial && dial->type != Y_MAP && !is_null(dial))
            err(L, dial, "dial must be a map of dial string to screen, like {\"*123#\": root}, "
                         "not %s", tname(dial));
        const struct ynode *scr = map_get(r, "screens");
        if (scr && scr->type != Y_MAP && !is_null(scr))
            err(L, scr, "screens must be a map of screen name to screen, not %s", tname(scr));
    }
}

/* ---- screens --------------------------------------------------------------------- */

static int sentry_cmp(const void *a, const void *b)
{
    const struct sentry *x = *(const struct sentry *const *)a, *y = *(const struct sentry *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Gather every screen name of every file, give each its final (sorted) index and report
 * duplicates. */
static int collect_screens(struct loader *L)
{
    int over = 0;
    for (size_t f = 0; f < L->n_files && !over; f++) {
        L->cur = &L->files[f];
        const struct ynode *r = L->files[f].root;
        const struct ynode *scr = r ? map_get(r, "screens") : NULL;
        if (!scr || scr->type != Y_MAP)
            continue;
        for (size_t i = 0; i < scr->n; i += 2) {
            const struct ynode *k = scr->kids[i];
            const struct ynode *v = i + 1 < scr->n ? scr->kids[i + 1] : NULL;
            const char *name = key_str(L, k);
            if (!name)
                continue;
            if (!menu_name_ok(name))
                err(L, k, "screen name '%s' is not valid: use 1 to %d letters, digits, '_', "
                          "'.' or '-'", name, MENU_NAME_MAX);
            if (L->n_ents == LOAD_MAX_SCREENS) {
                err(L, k, "too many screens: a set can have at most %d; the rest are ignored",
                    LOAD_MAX_SCREENS);
                over = 1;
                break;
            }
            if (L->n_ents == L->cap_ents) {
                size_t cap = L->cap_ents ? L->cap_ents * 2 : 64;
                struct sentry *e = realloc(L->ents, cap * sizeof *e);
                if (!e) {
                    oom(L);
                    return -1;
                }
                L->ents = e;
                L->cap_ents = cap;
            }
            L->ents[L->n_ents] = (struct sentry){
                .name = name,
                .key = k,
                .val = v && v->complete ? v : NULL,
                .file = f,
                .seq = L->n_ents,
            };
            L->n_ents++;
        }
    }

    struct menu_set *set = L->set;
    if (!L->n_ents)
        return 0;
    struct sentry **v = malloc(L->n_ents * sizeof *v);
    if (!v) {
        oom(L);
        return -1;
    }
    for (size_t i = 0; i < L->n_ents; i++)
        v[i] = &L->ents[i];
    qsort(v, L->n_ents, sizeof *v, sentry_cmp);
    size_t n = 0;
    for (size_t i = 0; i < L->n_ents; i++) {
        if (i > 0 && strcmp(v[i]->name, v[i - 1]->name) == 0) {
            v[i]->idx = v[i - 1]->idx;
            v[i]->first = 0;
            continue;
        }
        v[i]->idx = (int)n++;
        v[i]->first = 1;
    }
    /* report each duplicate against the first definition */
    for (size_t i = 1; i < L->n_ents; i++) {
        if (v[i]->first)
            continue;
        size_t j = i;
        while (!v[j]->first)
            j--;
        const struct sentry *a = v[j], *b = v[i];
        L->cur = &L->files[b->file];
        if (a->file == b->file)
            err(L, b->key, "duplicate screen '%s' (first defined at line %d)", b->name,
                a->key->line);
        else
            err(L, b->key, "duplicate screen '%s' (first defined in %s:%d:%d)", b->name,
                L->files[a->file].name, a->key->line, a->key->col);
    }
    free(v);

    set->screens = menu_arena_alloc(L->a, n * sizeof *set->screens);
    L->skip = calloc(n, 1);
    if (!set->screens || !L->skip) {
        oom(L);
        return -1;
    }
    set->n_screens = n;
    for (size_t i = 0; i < L->n_ents; i++) {
        struct sentry *e = &L->ents[i];
        if (!e->first)
            continue;
        struct menu_screen *sc = &set->screens[e->idx];
        L->cur = &L->files[e->file];
        sc->name = adup(L, e->name, strlen(e->name));
        if (!sc->name)
            return -1;
        sc->pos = pos_of(L, e->key);
        sc->next_idx = sc->default_idx = MENU_NO_SCREEN;
        L->skip[e->idx] = 1; /* until its content is read */
    }
    return 0;
}

struct sctx {
    struct menu_screen *sc;
    const struct ynode *key, *v;
    const char *kind; /* "menu" */
};

static const struct ynode *need(struct loader *L, const struct sctx *c, const char *key)
{
    const struct ynode *n = map_get(c->v, key);
    if (!n)
        err(L, c->key, "%s screen '%s' is missing the required key '%s'", c->kind, c->sc->name,
            key);
    return n;
}

static void check_handler(struct loader *L, const struct ynode *n, const char *name)
{
    if (name && L->opts.handler_exists && !L->opts.handler_exists(name))
        err(L, n, "unknown handler '%s'", name);
}

/* args: name -> template */
static void load_args(struct loader *L, struct menu_screen *sc, const struct ynode *n)
{
    if (n->type != Y_MAP) {
        err(L, n, "'args' of screen '%s' must be a map of name to value, not %s", sc->name,
            tname(n));
        return;
    }
    check_dups(L, n);
    size_t cnt = n->n / 2;
    if (cnt > LOAD_MAX_ARGS) {
        err(L, n->kids[2 * LOAD_MAX_ARGS], "too many args: a screen can have at most %d",
            LOAD_MAX_ARGS);
        cnt = LOAD_MAX_ARGS;
    }
    sc->args = menu_arena_alloc(L->a, (cnt ? cnt : 1) * sizeof *sc->args);
    if (!sc->args) {
        oom(L);
        return;
    }
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
        char w[160];
        const char *key = get_name(L, k, field(w, sizeof w, "args", sc));
        if (!key)
            continue;
        const char *val;
        if (v->type == Y_SCALAR && is_null(v)) {
            val = "";
        } else {
            snprintf(w, sizeof w, "arg '%s' of screen '%.80s'", key, sc->name);
            if (!(val = get_str(L, v, w)))
                continue;
            check_template(L, v, val);
        }
        sc->args[sc->n_args++] = (struct menu_arg){key, val};
    }
}

static void free_re(void *re)
{
    pcre2_code_free(re);
}

static struct pcre2_real_code_8 *compile_re_flags(struct loader *L, const struct ynode *n,
                                                  const char *pat, const char *what,
                                                  uint32_t extra_flags)
{
    if (strlen(pat) > LOAD_MAX_PATTERN) {
        err(L, n, "%s is longer than %d bytes", what, LOAD_MAX_PATTERN);
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
        err(L, n, "%s does not compile: %s (at offset %zu in '%s')", what, (const char *)msg,
            (size_t)off, pat);
        return NULL;
    }
    if (menu_arena_defer(L->a, free_re, re)) {
        oom(L);
        return NULL;
    }
    return re;
}

static struct pcre2_real_code_8 *compile_re(struct loader *L, const struct ynode *n,
                                            const char *pat, const char *what)
{
    return compile_re_flags(L, n, pat, what, 0);
}

static const char *const option_keys[] = {"label", "next", "value", NULL};

static void load_options(struct loader *L, const struct sctx *c, const struct ynode *n)
{
    struct menu_screen *sc = c->sc;
    if (n->type != Y_SEQ) {
        err(L, n, "'options' of screen '%s' must be a list of {label, next}, not %s", sc->name,
            tname(n));
        return;
    }
    if (n->n == 0) {
        err(L, n, "'options' of screen '%s' is empty: give at least one option", sc->name);
        return;
    }
    size_t cnt = n->n;
    if (cnt > LOAD_MAX_OPTIONS) {
        err(L, n->kids[LOAD_MAX_OPTIONS], "too many options: a menu can have at most %d (for "
                                          "long lists, use a 'source' handler)", LOAD_MAX_OPTIONS);
        if (cnt >= 98)
            err(L, n->kids[97], "option 98 would have the number 98, which is the More key; "
                                "options must stay below the navigation keys 0, 00 and 98");
        cnt = LOAD_MAX_OPTIONS;
    }
    sc->options = menu_arena_alloc(L->a, cnt * sizeof *sc->options);
    if (!sc->options) {
        oom(L);
        return;
    }
    sc->n_options = cnt;
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *o = n->kids[i];
        struct menu_option *op = &sc->options[i];
        op->next_idx = MENU_NO_SCREEN;
        op->pos = pos_of(L, o);
        if (o->type != Y_MAP) {
            err(L, o, "option %zu of screen '%s' must be a map with label and next, not %s",
                i + 1, sc->name, tname(o));
            continue;
        }
        check_dups(L, o);
        check_keys(L, o, option_keys, "an option", NULL);
        char w[160];
        const struct ynode *lab = map_get(o, "label"), *nx = map_get(o, "next"),
                           *val = map_get(o, "value");
        snprintf(w, sizeof w, "the label of option %zu of screen '%.80s'", i + 1, sc->name);
        if (!lab)
            err(L, o, "option %zu of screen '%s' is missing the required key 'label'", i + 1,
                sc->name);
        else
            get_text(L, lab, &op->label, w, 1);
        snprintf(w, sizeof w, "the next of option %zu of screen '%.80s'", i + 1, sc->name);
        if (!nx)
            err(L, o, "option %zu of screen '%s' is missing the required key 'next'", i + 1,
                sc->name);
        else
            op->next = get_target(L, nx, &op->next_idx, w);
        if (val) {
            snprintf(w, sizeof w, "the value of option %zu of screen '%.80s'", i + 1, sc->name);
            op->value = get_str(L, val, w);
        }
    }
    /* two options showing the same label */
    for (size_t j = 1; j < cnt; j++)
        for (size_t i = 0; i < j; i++) {
            size_t li;
            for (li = 0; li < L->set->n_langs; li++) {
                const char *a = sc->options[i].label.s[li], *b = sc->options[j].label.s[li];
                if (a && b && strcmp(a, b) == 0)
                    break;
            }
            if (li < L->set->n_langs) {
                err(L, n->kids[j], "option %zu of screen '%s' has the same label as option %zu "
                                   "('%s')", j + 1, sc->name, i + 1,
                    sc->options[j].label.s[li]);
                i = j; /* once per option */
            }
        }
}

static void load_menu(struct loader *L, const struct sctx *c)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *t = need(L, c, "text"), *opts = map_get(c->v, "options"),
                       *src = map_get(c->v, "source"), *nx = map_get(c->v, "next"),
                       *args = map_get(c->v, "args"), *var = map_get(c->v, "var");
    char w[160];
    if (t)
        get_text(L, t, &sc->text, field(w, sizeof w, "text", sc), 1);
    if (var)
        sc->var = get_name(L, var, field(w, sizeof w, "var", sc));
    if (opts && src) {
        err(L, src, "menu screen '%s' has both 'options' and 'source': use 'options' for a fixed "
                    "list or 'source' for options from a handler, not both", sc->name);
        return;
    }
    if (!opts && !src) {
        err(L, c->key, "menu screen '%s' needs 'options' (a fixed list) or 'source' (a handler "
                       "that lists them)", sc->name);
        return;
    }
    if (opts) {
        load_options(L, c, opts);
        if (nx)
            err(L, nx, "menu screen '%s' has fixed options, so it cannot have 'next': each "
                       "option has its own 'next' (or use 'source')", sc->name);
        if (args)
            err(L, args, "menu screen '%s' has 'args' but no 'source': args are passed to the "
                         "source handler", sc->name);
        return;
    }
    sc->source = get_name(L, src, field(w, sizeof w, "source", sc));
    check_handler(L, src, sc->source);
    sc->handler = sc->source;
    if (args)
        load_args(L, sc, args);
    if (!nx)
        err(L, c->key, "menu screen '%s' has a 'source', so it needs 'next' (where an option "
                       "chosen from the list leads)", sc->name);
    else
        sc->next = get_target(L, nx, &sc->next_idx, field(w, sizeof w, "next", sc));
}

static const char *const validator_keys[] = {"pattern", "error", NULL};

static void load_validators(struct loader *L, struct menu_screen *sc, const struct ynode *n)
{
    if (n->type != Y_SEQ) {
        err(L, n, "'validate' of screen '%s' must be a list of {pattern, error}, not %s", sc->name,
            tname(n));
        return;
    }
    size_t cnt = n->n;
    if (cnt > LOAD_MAX_VALIDATORS) {
        err(L, n->kids[LOAD_MAX_VALIDATORS], "too many validators: a screen can have at most %d",
            LOAD_MAX_VALIDATORS);
        cnt = LOAD_MAX_VALIDATORS;
    }
    if (!cnt)
        return;
    sc->validators = menu_arena_alloc(L->a, cnt * sizeof *sc->validators);
    if (!sc->validators) {
        oom(L);
        return;
    }
    sc->n_validators = cnt;
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *v = n->kids[i];
        struct menu_validator *mv = &sc->validators[i];
        mv->pos = pos_of(L, v);
        if (v->type != Y_MAP) {
            err(L, v, "validator %zu of screen '%s' must be a map with pattern and error, not %s",
                i + 1, sc->name, tname(v));
            continue;
        }
        check_dups(L, v);
        check_keys(L, v, validator_keys, "a validator", NULL);
        const struct ynode *p = map_get(v, "pattern"), *e = map_get(v, "error");
        char w[160];
        snprintf(w, sizeof w, "the pattern of validator %zu of screen '%.80s'", i + 1, sc->name);
        if (!p)
            err(L, v, "validator %zu of screen '%s' is missing the required key 'pattern'", i + 1,
                sc->name);
        else if ((mv->pattern = get_str(L, p, w)))
            mv->re = compile_re(L, p, mv->pattern, w);
        snprintf(w, sizeof w, "the error of validator %zu of screen '%.80s'", i + 1, sc->name);
        if (!e)
            err(L, v, "validator %zu of screen '%s' is missing the required key 'error'", i + 1,
                sc->name);
        else
            get_text(L, e, &mv->error, w, 1);
    }
}

static void load_input(struct loader *L, const struct sctx *c)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *t = need(L, c, "text"), *var = need(L, c, "var"),
                       *nx = need(L, c, "next"), *val = map_get(c->v, "validate"),
                       *r = map_get(c->v, "retries");
    char w[160];
    if (t)
        get_text(L, t, &sc->text, field(w, sizeof w, "text", sc), 1);
    if (var)
        sc->var = get_name(L, var, field(w, sizeof w, "var", sc));
    if (nx)
        sc->next = get_target(L, nx, &sc->next_idx, field(w, sizeof w, "next", sc));
    if (val)
        load_validators(L, sc, val);
    sc->retries = 3;
    if (r) {
        int ok = r->type == Y_SCALAR && r->len >= 1 && r->len <= 2, v = 0;
        for (size_t i = 0; ok && i < r->len; i++) {
            ok = r->s[i] >= '0' && r->s[i] <= '9';
            v = v * 10 + (r->s[i] - '0');
        }
        if (!ok || v < 1 || v > 10)
            err(L, r, "%s must be a whole number from 1 to 10, not %s%s%s",
                field(w, sizeof w, "retries", sc),
                r->type == Y_SCALAR ? "'" : "", r->type == Y_SCALAR ? r->s : tname(r),
                r->type == Y_SCALAR ? "'" : "");
        else
            sc->retries = v;
    }
}

static void load_handler(struct loader *L, const struct sctx *c)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *h = need(L, c, "handler"), *on = need(L, c, "on"),
                       *args = map_get(c->v, "args");
    char w[160];
    if (h) {
        sc->handler = get_name(L, h, field(w, sizeof w, "handler", sc));
        check_handler(L, h, sc->handler);
    }
    if (args)
        load_args(L, sc, args);
    if (!on)
        return;
    if (on->type != Y_MAP) {
        err(L, on, "'on' of screen '%s' must be a map of outcome to screen, like {ok: done, "
                   "error: sorry}, not %s", sc->name, tname(on));
        return;
    }
    if (on->n == 0) {
        err(L, on, "'on' of screen '%s' is empty: route at least the outcome 'ok'", sc->name);
        return;
    }
    check_dups(L, on);
    size_t cnt = on->n / 2;
    if (cnt > LOAD_MAX_ROUTES) {
        err(L, on->kids[2 * LOAD_MAX_ROUTES], "too many outcomes: a handler screen can route at "
                                              "most %d", LOAD_MAX_ROUTES);
        cnt = LOAD_MAX_ROUTES;
    }
    sc->routes = menu_arena_alloc(L->a, cnt * sizeof *sc->routes);
    if (!sc->routes) {
        oom(L);
        return;
    }
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *k = on->kids[2 * i], *v = on->kids[2 * i + 1];
        const char *out = get_name(L, k, field(w, sizeof w, "on", sc));
        if (!out)
            continue;
        struct menu_route *rt = &sc->routes[sc->n_routes++];
        rt->pos = pos_of(L, k);
        rt->outcome = out;
        snprintf(w, sizeof w, "the screen for outcome '%s' of screen '%.80s'", out, sc->name);
        rt->next = get_target(L, v, &rt->next_idx, w);
    }
}

static const char *const route_keys[] = {"if", "next", NULL};
static const char *const cond_keys[] = {"var", "equals", "matches", "exists", NULL};

static void load_cond(struct loader *L, struct menu_screen *sc, size_t i,
                      const struct ynode *n, struct menu_cond *k)
{
    if (n->type != Y_MAP) {
        err(L, n, "the if of route %zu of screen '%s' must be a map like {var: x, equals: y}, "
                  "not %s", i + 1, sc->name, tname(n));
        return;
    }
    check_dups(L, n);
    check_keys(L, n, cond_keys, "a route condition", NULL);
    const struct ynode *var = map_get(n, "var"), *ops[3] = {map_get(n, "equals"),
                                                           map_get(n, "matches"),
                                                           map_get(n, "exists")};
    static const char *const opn[3] = {"equals", "matches", "exists"};
    if (!var)
        err(L, n, "the condition of route %zu of screen '%s' has no 'var' (the variable it "
                  "tests)", i + 1, sc->name);
    else
        k->var = get_name(L, var, "the var of a route condition");
    int cnt = !!ops[0] + !!ops[1] + !!ops[2];
    if (cnt == 0) {
        err(L, n, "the condition of route %zu of screen '%s' needs one of 'equals', 'matches' "
                  "or 'exists'", i + 1, sc->name);
        return;
    }
    if (cnt > 1) {
        int a = ops[0] ? 0 : 1, b = ops[2] ? 2 : 1;
        err(L, ops[b], "the condition of route %zu of screen '%s' has both '%s' and '%s': give "
                       "exactly one of equals, matches, exists", i + 1, sc->name, opn[a], opn[b]);
        return;
    }
    char w[160];
    if (ops[0]) {
        k->op = COND_EQUALS;
        snprintf(w, sizeof w, "'equals' of route %zu of screen '%.80s'", i + 1, sc->name);
        if (is_null(ops[0]))
            err(L, ops[0], "%s has no value (write \"\" for an empty value)", w);
        else
            k->operand = get_str(L, ops[0], w);
    } else if (ops[1]) {
        k->op = COND_MATCHES;
        snprintf(w, sizeof w, "the pattern of route %zu of screen '%.80s'", i + 1, sc->name);
        if ((k->operand = get_str(L, ops[1], w)))
            k->re = compile_re(L, ops[1], k->operand, w);
    } else {
        k->op = COND_EXISTS;
        const struct ynode *e = ops[2];
        if (e->type == Y_SCALAR && strcasecmp(e->s, "true") == 0)
            k->operand = "true";
        else if (e->type == Y_SCALAR && strcasecmp(e->s, "false") == 0)
            k->operand = "false";
        else
            err(L, e, "'exists' of route %zu of screen '%s' must be true or false, not %s%s%s",
                i + 1, sc->name, e->type == Y_SCALAR ? "'" : "",
                e->type == Y_SCALAR ? e->s : tname(e), e->type == Y_SCALAR ? "'" : "");
    }
}

static void load_router(struct loader *L, const struct sctx *c)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *routes = need(L, c, "routes"), *def = need(L, c, "default");
    char w[160];
    if (def)
        sc->default_next = get_target(L, def, &sc->default_idx, field(w, sizeof w, "default", sc));
    if (!routes)
        return;
    if (routes->type != Y_SEQ) {
        err(L, routes, "'routes' of screen '%s' must be a list of {if, next}, not %s", sc->name,
            tname(routes));
        return;
    }
    size_t cnt = routes->n;
    if (cnt > LOAD_MAX_ROUTES) {
        err(L, routes->kids[LOAD_MAX_ROUTES], "too many routes: a router can have at most %d",
            LOAD_MAX_ROUTES);
        cnt = LOAD_MAX_ROUTES;
    }
    if (!cnt) {
        err(L, routes, "'routes' of screen '%s' is empty: give at least one {if, next}", sc->name);
        return;
    }
    sc->conds = menu_arena_alloc(L->a, cnt * sizeof *sc->conds);
    if (!sc->conds) {
        oom(L);
        return;
    }
    sc->n_conds = cnt;
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *r = routes->kids[i];
        struct menu_cond *k = &sc->conds[i];
        k->next_idx = MENU_NO_SCREEN;
        k->pos = pos_of(L, r);
        if (r->type != Y_MAP) {
            err(L, r, "route %zu of screen '%s' must be a map with if and next, not %s", i + 1,
                sc->name, tname(r));
            continue;
        }
        check_dups(L, r);
        check_keys(L, r, route_keys, "a route", NULL);
        const struct ynode *cond = map_get(r, "if"), *nx = map_get(r, "next");
        if (!cond)
            err(L, r, "route %zu of screen '%s' is missing the required key 'if'", i + 1,
                sc->name);
        else
            load_cond(L, sc, i, cond, k);
        snprintf(w, sizeof w, "the next of route %zu of screen '%.80s'", i + 1, sc->name);
        if (!nx)
            err(L, r, "route %zu of screen '%s' is missing the required key 'next'", i + 1,
                sc->name);
        else
            k->next = get_target(L, nx, &k->next_idx, w);
    }
}

static void load_text_next(struct loader *L, const struct sctx *c, int with_next)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *t = need(L, c, "text");
    char w[160];
    if (t)
        get_text(L, t, &sc->text, field(w, sizeof w, "text", sc), 1);
    if (with_next) {
        const struct ynode *nx = need(L, c, "next");
        if (nx)
            sc->next = get_target(L, nx, &sc->next_idx, field(w, sizeof w, "next", sc));
    }
}

static const char *const keys_menu[] = {"kind", "text", "options", "source",
                                        "args", "var",  "next",    NULL};
static const char *const keys_input[] = {"kind", "text", "var", "next", "validate", "retries",
                                         NULL};
static const char *const keys_handler[] = {"kind", "handler", "args", "on", NULL};
static const char *const keys_router[] = {"kind", "routes", "default", NULL};
static const char *const keys_end[] = {"kind", "text", NULL};
static const char *const keys_language[] = {"kind", "text", "next", NULL};
static const char *const keys_sms[] = {"kind", "text", "to", "next", NULL};
static const char *const screen_keys[] = {"kind",     "text",    "options", "source", "args",
                                          "var",      "next",    "validate", "retries", "handler",
                                          "on",       "routes",  "default", "to",      NULL};
static const char *const *const kind_keys[] = {keys_menu, keys_input,    keys_handler, keys_router,
                                               keys_end,  keys_language, keys_sms};

/* Read one screen's content. 0 when its kind could not be told. */
static int load_screen(struct loader *L, struct menu_screen *sc, const struct ynode *key,
                       const struct ynode *v)
{
    char list[128], sg[128];
    join(list, sizeof list, kind_names, N_KINDS);
    if (v->type != Y_MAP) {
        err(L, v, "screen '%s' must be a map with a kind (%s) and its keys, not %s", sc->name,
            list, tname(v));
        return 0;
    }
    check_dups(L, v);
    const struct ynode *kn = map_get(v, "kind");
    if (!kn) {
        err(L, key, "screen '%s' has no 'kind': give one of %s", sc->name, list);
        return 0;
    }
    if (kn->type != Y_SCALAR) {
        err(L, kn, "'kind' of screen '%s' must be one of %s, not %s", sc->name, list, tname(kn));
        return 0;
    }
    size_t k;
    for (k = 0; k < N_KINDS; k++)
        if (strcmp(kn->s, kind_names[k]) == 0)
            break;
    if (k == N_KINDS) {
        err(L, kn, "unknown screen kind '%s'%s; the kinds are: %s", kn->s,
            suggest(sg, sizeof sg, kn->s, kind_names, N_KINDS), list);
        return 0;
    }
    sc->kind = (enum screen_kind)k;
    char where[32];
    snprintf(where, sizeof where, "%s %s screen", strchr("aeiou", kind_names[k][0]) ? "an" : "a",
             kind_names[k]);
    check_keys(L, v, kind_keys[k], where, screen_keys);
    struct sctx c = {sc, key, v, kind_names[k]};
    switch (sc->kind) {
    case SCREEN_MENU:
        load_menu(L, &c);
        break;
    case SCREEN_INPUT:
        load_input(L, &c);
        break;
    case SCREEN_HANDLER:
        load_handler(L, &c);
        break;
    case SCREEN_ROUTER:
        load_router(L, &c);
        break;
    case SCREEN_END:
        load_text_next(L, &c, 0);
        break;
    case SCREEN_LANGUAGE:
        load_text_next(L, &c, 1);
        break;
    case SCREEN_SMS: {
        load_text_next(L, &c, 1);
        const struct ynode *to = map_get(v, "to");
        sc->to = "{msisdn}";
        char w[160];
        if (to && (sc->to = get_str(L, to, field(w, sizeof w, "to", sc))))
            check_template(L, to, sc->to);
        break;
    }
    }
    return 1;
}

static void load_screens(struct loader *L)
{
    for (size_t i = 0; i < L->n_ents && !L->oom; i++) {
        struct sentry *e = &L->ents[i];
        if (!e->val)
            continue; /* cut by a syntax error: known by name only */
        L->cur = &L->files[e->file];
        struct menu_screen *sc = &L->set->screens[e->idx];
        if (!e->first) {
            /* a duplicate: still checked, into memory the set does not point to */
            struct menu_screen *dup = menu_arena_alloc(L->a, sizeof *dup);
            if (!dup) {
                oom(L);
                return;
            }
            dup->name = sc->name;
            dup->next_idx = dup->default_idx = MENU_NO_SCREEN;
            sc = dup;
        }
        int ok = load_screen(L, sc, e->key, e->val);
        if (e->first)
            L->skip[e->idx] = (unsigned char)!ok;
    }
}

/* ---- dial strings ------------------------------------------------------------------ */

static int dial_ok(const char *s)
{
    if (*s != '*')
        return 0;
    size_t n = strlen(s);
    if (n < 3 || s[n - 1] != '#')
        return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if (!(s[i] == '*' || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

static void load_dials(struct loader *L)
{
    struct menu_set *set = L->set;
    size_t total = 0;
    for (size_t f = 0; f < L->n_files; f++) {
        const struct ynode *r = L->files[f].root;
        const struct ynode *dial = r ? map_get(r, "dial") : NULL;
        if (dial && dial->type == Y_MAP)
            total += dial->n / 2;
    }
    if (!total)
        return;
    if (total > LOAD_MAX_DIALS)
        total = LOAD_MAX_DIALS;
    struct menu_pos *keypos = calloc(total, sizeof *keypos);
    set->dials = menu_arena_alloc(L->a, total * sizeof *set->dials);
    if (!set->dials || !keypos) {
        free(keypos);
        oom(L);
        return;
    }
    for (size_t f = 0; f < L->n_files; f++) {
        L->cur = &L->files[f];
        const struct ynode *r = L->files[f].root;
        const struct ynode *dial = r ? map_get(r, "dial") : NULL;
        if (!dial || dial->type != Y_MAP)
            continue;
        for (size_t i = 0; i + 1 < dial->n; i += 2) {
            const struct ynode *k = dial->kids[i], *v = dial->kids[i + 1];
            const char *code = key_str(L, k);
            if (!code)
                continue;
            if (!dial_ok(code)) {
                err(L, k, "dial string '%s' is not valid: write a star, digits and stars, then "
                          "#, like \"*123#\" or \"*123*2#\"", code);
                continue;
            }
            size_t j;
            for (j = 0; j < set->n_dials; j++)
                if (strcmp(set->dials[j].code, code) == 0)
                    break;
            if (j < set->n_dials) {
                if (keypos[j].file == L->cur->name)
                    err(L, k, "dial string '%s' is given twice (first at line %d)", code,
                        keypos[j].line);
                else
                    err(L, k, "dial string '%s' is already given in %s:%d:%d", code,
                        keypos[j].file, keypos[j].line, keypos[j].col);
                continue;
            }
            if (set->n_dials == total) {
                err(L, k, "too many dial strings: a set can have at most %d", LOAD_MAX_DIALS);
                free(keypos);
                return;
            }
            struct menu_dial *md = &set->dials[set->n_dials];
            char w[96];
            snprintf(w, sizeof w, "the screen of dial string '%s'", code);
            if (!(md->code = adup(L, code, strlen(code))))
                break;
            md->pos = pos_of(L, k);
            keypos[set->n_dials] = md->pos;
            md->screen = get_target(L, v, &md->screen_idx, w);
            set->n_dials++;
        }
    }
    free(keypos);
}

/* ---- references -------------------------------------------------------------------- */

static void resolve(struct loader *L)
{
    struct menu_set *set = L->set;
    const char **names = malloc((set->n_screens ? set->n_screens : 1) * sizeof *names);
    if (!names) {
        oom(L);
        return;
    }
    for (size_t i = 0; i < set->n_screens; i++)
        names[i] = set->screens[i].name;
    size_t misses = 0;
    for (size_t i = 0; i < L->n_refs; i++) {
        const struct ref *r = &L->refs[i];
        int idx = menu_find_screen(set, r->name);
        *r->slot = idx;
        if (idx != MENU_NO_SCREEN)
            continue;
        /* suggestions cost a pass over every name: enough of them for a person to read */
        const char *c = ++misses <= 500 ? menu_closest(r->name, names, set->n_screens) : NULL;
        if (c)
            diag_add(L->d, DIAG_ERROR, r->pos.file, r->pos.line, r->pos.col,
                     "no screen named '%.100s' (did you mean '%s'?)", r->name, c);
        else
            diag_add(L->d, DIAG_ERROR, r->pos.file, r->pos.line, r->pos.col,
                     "no screen named '%.100s'", r->name);
    }
    free(names);
}

/* ---- the whole set ----------------------------------------------------------------- */

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 0x100000001b3ULL;
    }
}

const char *mload_district(const struct loader *L, const char *name, const char *const **all, size_t *n)
{
    *all = L->opts.districts;
    *n = L->opts.n_districts;
    for (size_t i = 0; name && i < L->opts.n_districts; i++)
        if (strcasecmp(L->opts.districts[i], name) == 0)
            return L->opts.districts[i];
    return NULL;
}

static int loader_init(struct loader *L, const struct menu_load_opts *o, struct diags *d)
{
    memset(L, 0, sizeof *L);
    menu_load_opts_default(&L->opts);
    if (o) {
        if (o->screen_limit_gsm > 0)
            L->opts.screen_limit_gsm = o->screen_limit_gsm;
        if (o->screen_limit_ucs2 > 0)
            L->opts.screen_limit_ucs2 = o->screen_limit_ucs2;
        L->opts.handler_exists = o->handler_exists;
        L->opts.districts = o->districts;
        L->opts.n_districts = o->n_districts;
    }
    L->d = d;
    L->errors0 = d->errors;
    L->hash = 0xcbf29ce484222325ULL;
    L->settings_file = -1;
    L->a = menu_arena_new();
    L->tmp = menu_arena_new();
    if (L->a)
        L->set = menu_arena_alloc(L->a, sizeof *L->set);
    if (!L->set || !L->tmp) {
        menu_arena_free(L->a);
        menu_arena_free(L->tmp);
        diag_add(d, DIAG_ERROR, "?", 1, 1, "out of memory while loading the menus");
        return -1;
    }
    L->set->arena = L->a;
    return 0;
}

/* Read one file's bytes (hashing them into the version) into a tree. */
static void add_file(struct loader *L, const char *path, const char *buf, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    fnv(&L->hash, base, strlen(base));
    if (buf)
        fnv(&L->hash, buf, len);
    if (L->n_files == L->cap_files) {
        size_t cap = L->cap_files ? L->cap_files * 2 : 8;
        struct yfile *f = realloc(L->files, cap * sizeof *f);
        if (!f) {
            oom(L);
            return;
        }
        L->files = f;
        L->cap_files = cap;
    }
    struct yfile *F = &L->files[L->n_files];
    memset(F, 0, sizeof *F);
    F->name = adup(L, path, strlen(path));
    if (!F->name)
        return;
    L->n_files++;
    L->cur = F;
    struct ynode at = {.line = 1, .col = 1};
    if (!buf) {
        F->broken = 1;
        return;
    }
    if (len > LOAD_MAX_FILE) {
        err(L, &at, "the file is larger than 1 MiB (%zu bytes): split it into several files",
            len);
        F->broken = 1;
        return;
    }
    if (L->too_big) {
        F->broken = 1;
        return;
    }
    read_yaml(L, F, buf, len);
}

static struct menu_set *finish(struct loader *L)
{
    struct menu_set *set = L->set;
    snprintf(set->version, sizeof set->version, "%016llx", (unsigned long long)L->hash);

    int any_broken = 0;
    for (size_t f = 0; f < L->n_files; f++)
        any_broken |= L->files[f].broken;

    if (!L->oom && !L->stop)
        load_top(L);
    if (!L->oom)
        load_settings(L);
    if (!L->oom)
        collect_screens(L);
    if (!L->oom)
        load_screens(L);
    if (!L->oom)
        load_dials(L);
    if (!L->oom && !L->stop)
        menu_load_sms(L);
    if (!L->oom && !L->stop)
        menu_load_polls(L);
    if (!L->oom)
        resolve(L);
    if (!L->oom) {
        for (size_t i = 0; i < set->n_screens; i++)
            any_broken |= L->skip[i];
        /* an error can cut edges: unreachable screens would then be noise */
        int clean = !any_broken && L->d->errors == L->errors0;
        int reach = clean && set->n_dials > 0;
        if (set->n_screens && !set->n_dials && clean) {
            L->cur = &L->files[L->ents[0].file];
            warn(L, L->ents[0].key, "no dial strings are declared, so no screen can be reached "
                                    "(add e.g. dial: {\"*123#\": %s})", L->ents[0].name);
        }
        menu_check_graph(set, L->skip, reach, L->d);
        menu_check_fit(set, L->skip, &L->opts, L->d);
        menu_check_sms_fit(set, L->d);
    }

    free(L->files);
    free(L->ents);
    free(L->refs);
    free(L->skip);
    menu_arena_free(L->tmp);
    if (L->oom || L->stop || L->d->errors > L->errors0) {
        menu_arena_free(L->a);
        return NULL;
    }
    return set;
}

struct menu_set *menu_load_buffer(const char *name, const char *yaml, size_t len,
                                  const struct menu_load_opts *o, struct diags *d)
{
    struct loader L;
    if (loader_init(&L, o, d))
        return NULL;
    add_file(&L, name ? name : "(buffer)", yaml ? yaml : "", yaml ? len : 0);
    return finish(&L);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The whole file, at most LOAD_MAX_FILE + 1 bytes (enough to tell it is too big). */
static char *read_file(const char *path, size_t *len, int *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *e = errno;
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0 || n > LOAD_MAX_FILE)
            break;
        if (n == cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    *e = b ? (ferror(f) ? EIO : 0) : ENOMEM;
    fclose(f);
    if (b && *e) {
        free(b);
        b = NULL;
    }
    *len = n;
    return b;
}

struct menu_set *menu_load_dir(const char *dir, const struct menu_load_opts *o, struct diags *d)
{
    struct loader L;
    if (loader_init(&L, o, d))
        return NULL;
    DIR *dh = opendir(dir);
    if (!dh) {
        diag_add(d, DIAG_ERROR, dir, 1, 1, "cannot open the menu folder: %s", strerror(errno));
        L.stop = 1;
        return finish(&L);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t k = strlen(de->d_name);
        if (de->d_name[0] == '.' || k < 6 || strcmp(de->d_name + k - 5, ".yaml") != 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    closedir(dh);
    if (n)
        qsort(names, n, sizeof *names, name_cmp);
    size_t dl = strlen(dir);
    int slash = dl && dir[dl - 1] == '/';
    for (size_t i = 0; i < n; i++) {
        size_t pl = dl + 1 + strlen(names[i]) + 1;
        char *path = malloc(pl);
        if (!path) {
            oom(&L);
            break;
        }
        snprintf(path, pl, "%s%s%s", dir, slash ? "" : "/", names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        size_t len = 0;
        int e = 0;
        char *buf = read_file(path, &len, &e);
        add_file(&L, path, buf, len);
        if (!buf)
            diag_add(d, DIAG_ERROR, path, 1, 1, "cannot read the file: %s", strerror(e));
        free(buf);
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (!L.n_files && !L.oom) {
        diag_add(d, DIAG_ERROR, dir, 1, 1, "no *.yaml menu files in this folder");
        L.stop = 1;
    }
    return finish(&L);
}

/* ---- for the other parts of the loader (menu_load_int.h) --------------------------- */

struct menu_set *mload_set(struct loader *L)
{
    return L->set;
}

size_t mload_n_files(const struct loader *L)
{
    return L->n_files;
}

const struct ynode *mload_file(struct loader *L, size_t f)
{
    L->cur = &L->files[f];
    return L->files[f].root;
}

const char *mload_file_name(const struct loader *L, size_t f)
{
    return L->files[f].name;
}

int mload_oom(const struct loader *L)
{
    return L->oom;
}

void *mload_alloc(struct loader *L, size_t n)
{
    void *p = menu_arena_alloc(L->a, n);
    if (!p)
        oom(L);
    return p;
}

void mload_err(struct loader *L, const struct ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(L, DIAG_ERROR, L->cur ? L->cur->name : "?", n, fmt, ap);
    va_end(ap);
}

void mload_warn(struct loader *L, const struct ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(L, DIAG_WARNING, L->cur ? L->cur->name : "?", n, fmt, ap);
    va_end(ap);
}

const struct ynode *mload_map_get(const struct ynode *m, const char *key)
{
    return map_get(m, key);
}

const struct ynode *mload_key_of(const struct ynode *m, const struct ynode *v)
{
    return key_of(m, v);
}

int mload_is_null(const struct ynode *n)
{
    return is_null(n);
}

const char *mload_tname(const struct ynode *n)
{
    return tname(n);
}

struct menu_pos mload_pos(struct loader *L, const struct ynode *n)
{
    return pos_of(L, n);
}

const char *mload_get_str(struct loader *L, const struct ynode *n, const char *what)
{
    return get_str(L, n, what);
}

const char *mload_get_name(struct loader *L, const struct ynode *n, const char *what)
{
    return get_name(L, n, what);
}

int mload_get_text(struct loader *L, const struct ynode *n, struct menu_text *t,
                   const char *what, int need_default)
{
    return get_text(L, n, t, what, need_default);
}

void mload_check_dups(struct loader *L, const struct ynode *m)
{
    check_dups(L, m);
}

void mload_check_keys(struct loader *L, const struct ynode *m, const char *const *allowed,
                      const char *where)
{
    check_keys(L, m, allowed, where, NULL);
}

void mload_check_template(struct loader *L, const struct ynode *n, const char *s)
{
    check_template(L, n, s);
}

void mload_check_handler(struct loader *L, const struct ynode *n, const char *name)
{
    check_handler(L, n, name);
}

struct pcre2_real_code_8 *mload_compile_re(struct loader *L, const struct ynode *n,
                                           const char *pat, const char *what,
                                           unsigned extra_flags)
{
    return compile_re_flags(L, n, pat, what, (uint32_t)extra_flags);
}
