/*
 * menu_load_yaml.c: a menu file's bytes into a tree of our own (menu_load_int.h's
 * ynode), read with libyaml's event API, so that we control nesting depth, node counts
 * and aliases (an alias bomb is counted as what it expands to), and keep every node's
 * position for the messages. A syntax error is reported at its place and the tree
 * keeps what came before it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "menu_arena.h"
#include "menu_load_int.h"

/* Bounds, so that a hostile file cannot blow memory or time. */
#define LOAD_MAX_DEPTH 32     /* YAML nesting */
#define LOAD_MAX_NODES 200000 /* YAML nodes per file, aliases expanded */
#define LOAD_MAX_TOTAL_NODES 1000000
#define LOAD_MAX_ANCHORS 1000

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
        mload_err(L, at, "the file has more than %d YAML nodes (counting what aliases repeat); the "
                         "rest of the file is ignored", LOAD_MAX_NODES);
        return -1;
    }
    if (L->total_nodes > LOAD_MAX_TOTAL_NODES) {
        mload_err(L, at, "the menu files hold more than %d YAML nodes in all; the rest is ignored",
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
        mload_nomem(R->L);
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
            mload_nomem(R->L);
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
        mload_err(R->L, n, "the file defines more than %d anchors; the rest of the file is ignored",
                  LOAD_MAX_ANCHORS);
        return -1;
    }
    if (!R->anchors) {
        R->anchors = menu_arena_alloc(R->L->tmp, LOAD_MAX_ANCHORS * sizeof *R->anchors);
        if (!R->anchors) {
            mload_nomem(R->L);
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
            mload_nomem(R->L);
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

/* A position to report at, from a libyaml mark. */
static struct ynode yat(const yaml_mark_t *m)
{
    return (struct ynode){.line = clamp_int(m->line + 1), .col = clamp_int(m->column + 1)};
}

/* Report why libyaml stopped, at its place, with a hint for the usual mistakes (a tab,
 * an unquoted dial string read as an alias). */
static void yaml_problem(struct yreader *R, yaml_parser_t *p, const char *buf, size_t len)
{
    struct loader *L = R->L;
    struct ynode at = {.line = 1, .col = 1};
    if (p->error == YAML_MEMORY_ERROR) {
        mload_nomem(L);
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
            mload_err(L, &at, "the file is not valid UTF-8 text: %s (byte 0x%02x)",
                      p->problem ? p->problem : "bad byte", (unsigned)p->problem_value & 0xff);
        else
            mload_err(L, &at, "the file is not valid UTF-8 text: %s",
                      p->problem ? p->problem : "bad byte");
        return;
    }
    at = yat(&p->problem_mark);
    const char *hint = "";
    if (p->problem_mark.index < len && buf[p->problem_mark.index] == '\t')
        hint = "; tabs cannot indent YAML: use spaces";
    else if (p->context && strstr(p->context, "alias"))
        hint = "; a value starting with '*' is an alias: quote dial strings, e.g. \"*123#\"";
    if (p->context && (p->context_mark.line != p->problem_mark.line ||
                       p->context_mark.column != p->problem_mark.column))
        mload_err(L, &at, "YAML syntax error: %s (%s at line %d, column %d)%s",
                  p->problem ? p->problem : "unknown problem", p->context,
                  clamp_int(p->context_mark.line + 1), clamp_int(p->context_mark.column + 1), hint);
    else
        mload_err(L, &at, "YAML syntax error: %s%s%s%s%s",
                  p->problem ? p->problem : "unknown problem", p->context ? " (" : "",
                  p->context ? p->context : "", p->context ? ")" : "", hint);
}

/* The steps of yevent, each returning 1 to go on or -1 to stop (reported). A document
 * begins: a menu file holds one. */
static int ydocument(struct yreader *R, const yaml_event_t *ev, int *docs)
{
    if (++*docs > 1) {
        struct ynode at = yat(&ev->start_mark);
        mload_err(R->L, &at, "a menu file holds one YAML document; this second one is ignored");
        return -1;
    }
    return 1;
}

/* A scalar: a leaf, maybe anchored. */
static int yscalar(struct yreader *R, const yaml_event_t *ev)
{
    struct loader *L = R->L;
    struct ynode *n;
    if (!(n = ynew(R, Y_SCALAR, &ev->start_mark)) || ycount(R, 1, n))
        return -1;
    n->s = tdup(L, (const char *)ev->data.scalar.value, ev->data.scalar.length);
    if (!n->s) {
        mload_nomem(L);
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
}

/* Mark n's subtree as repeated by an alias (once: a subtree marked is not walked again). */
static void yshare(struct ynode *n)
{
    if (!n || n->shared)
        return;
    n->shared = 1;
    for (size_t i = 0; i < n->n; i++)
        yshare(n->kids[i]);
}

/* An alias: the anchored node again (the latest of that name), counted in full. */
static int yalias(struct yreader *R, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    struct ynode at = yat(&ev->start_mark);
    struct ynode *n = NULL;
    for (size_t i = R->n_anchors; i-- > 0;)
        if (strcmp(R->anchors[i].name, name) == 0) {
            n = R->anchors[i].node;
            break;
        }
    if (!n) {
        mload_err(R->L, &at,
                  "alias '*%s' has no anchor '&%s' before it (a value starting with '*' "
                  "is an alias: quote it, e.g. \"*123#\")",
                  name, name);
        return -1;
    }
    if (ycount(R, n->weight, &at))
        return -1;
    yshare(n);
    return yattach(R, n) ? -1 : 1;
}

/* A list or a map begins: a new innermost container. */
static int ystart(struct yreader *R, const yaml_event_t *ev, int map)
{
    struct loader *L = R->L;
    struct ynode *n;
    const char *anchor = NULL;
    if (!(n = ynew(R, map ? Y_MAP : Y_SEQ, &ev->start_mark)) || ycount(R, 1, n))
        return -1;
    if (yattach(R, n))
        return -1;
    if (R->depth == LOAD_MAX_DEPTH) {
        mload_err(L, n, "the YAML is nested deeper than %d levels; the rest of the file is ignored",
                  LOAD_MAX_DEPTH);
        return -1;
    }
    const yaml_char_t *an = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (an && !(anchor = tdup(L, (const char *)an, strlen((const char *)an)))) {
        mload_nomem(L);
        return -1;
    }
    R->st[R->depth++] = (struct yframe){.node = n, .anchor = anchor};
    return 1;
}

/* One event into the tree. 1: go on; 0: the stream ended; -1: stop (reported). */
static int yevent(struct yreader *R, const yaml_event_t *ev, int *docs)
{
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 0;
    case YAML_DOCUMENT_START_EVENT:
        return ydocument(R, ev, docs);
    case YAML_SCALAR_EVENT:
        return yscalar(R, ev);
    case YAML_ALIAS_EVENT:
        return yalias(R, ev);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return ystart(R, ev, ev->type == YAML_MAPPING_START_EVENT);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return R->depth > 0 && ypop(R, 1) ? -1 : 1;
    default:
        return 1;
    }
}

/* Read one file's bytes into F->root. On any problem, F->broken is set and the tree
 * holds what came before it. */
void mload_read_yaml(struct loader *L, struct yfile *F, const char *buf, size_t len)
{
    struct yreader R = {.L = L, .F = F};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        mload_nomem(L);
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
