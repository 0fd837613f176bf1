/*
 * menu_load_screens.c: the screens of a menu set. First the names of every file's
 * `screens:` are gathered and sorted, so that each screen gets its final index and
 * a reference can point into the final array before the screen is read (duplicates
 * are reported against the first definition). Then each screen's kind is told and
 * its content read (menu_load_kinds.c).
 */
#include <stdlib.h>
#include <string.h>

#include "menu_check.h"
#include "menu_load_int.h"

#define LOAD_MAX_SCREENS 2000

/* The kinds, in the order of enum screen_kind (as menu_kind_name spells them). */
static const char *const kind_names[] = {"menu", "input", "handler", "router",
                                         "end",  "language", "sms"};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

static int sentry_cmp(const void *a, const void *b)
{
    const struct sentry *x = *(const struct sentry *const *)a,
                        *y = *(const struct sentry *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* One more screen name, in the order met. -1 when out of memory. */
static int add_name(struct loader *L, const char *name, const struct ynode *k,
                    const struct ynode *v, size_t f)
{
    if (L->n_ents == L->cap_ents) {
        size_t cap = L->cap_ents ? L->cap_ents * 2 : 64;
        struct sentry *e = realloc(L->ents, cap * sizeof *e);
        if (!e) {
            mload_nomem(L);
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
    return 0;
}

/* Every screen name of every file into L->ents, up to the bound. -1 when out of
 * memory. */
static int gather_names(struct loader *L)
{
    for (size_t f = 0; f < L->n_files; f++) {
        L->cur = &L->files[f];
        const struct ynode *r = L->files[f].root;
        const struct ynode *scr = r ? mload_map_get(r, "screens") : NULL;
        if (!scr || scr->type != Y_MAP)
            continue;
        for (size_t i = 0; i < scr->n; i += 2) {
            const struct ynode *k = scr->kids[i];
            const struct ynode *v = i + 1 < scr->n ? scr->kids[i + 1] : NULL;
            const char *name = mload_key_str(L, k);
            if (!name)
                continue;
            if (!menu_name_ok(name))
                mload_err(L, k, "screen name '%s' is not valid: use 1 to %d letters, digits, '_', "
                                "'.' or '-'", name, MENU_NAME_MAX);
            if (L->n_ents == LOAD_MAX_SCREENS) {
                mload_err(L, k, "too many screens: a set can have at most %d; the rest are ignored",
                          LOAD_MAX_SCREENS);
                return 0;
            }
            if (add_name(L, name, k, v, f))
                return -1;
        }
    }
    return 0;
}

/* Sort the names into v: each gets its final index, and the first definition of a
 * name (in file order) counts. Returns the number of screens. */
static size_t number_names(struct loader *L, struct sentry **v)
{
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
    return n;
}

/* Report each duplicate of the sorted names v against the first definition. */
static void report_duplicates(struct loader *L, struct sentry *const *v)
{
    for (size_t i = 1; i < L->n_ents; i++) {
        if (v[i]->first)
            continue;
        size_t j = i;
        while (!v[j]->first)
            j--;
        const struct sentry *a = v[j], *b = v[i];
        L->cur = &L->files[b->file];
        if (a->file == b->file)
            mload_err(L, b->key, "duplicate screen '%s' (first defined at line %d)", b->name,
                      a->key->line);
        else
            mload_err(L, b->key, "duplicate screen '%s' (first defined in %s:%d:%d)", b->name,
                      L->files[a->file].name, a->key->line, a->key->col);
    }
}

/* The set's n screens, named, each skipped until its content is read. */
static int make_screens(struct loader *L, size_t n)
{
    struct menu_set *set = L->set;
    set->screens = mload_alloc(L, n * sizeof *set->screens);
    L->skip = calloc(n, 1);
    if (!set->screens || !L->skip) {
        mload_nomem(L);
        return -1;
    }
    set->n_screens = n;
    for (size_t i = 0; i < L->n_ents; i++) {
        struct sentry *e = &L->ents[i];
        if (!e->first)
            continue;
        struct menu_screen *sc = &set->screens[e->idx];
        L->cur = &L->files[e->file];
        sc->name = mload_strdup(L, e->name, strlen(e->name));
        if (!sc->name)
            return -1;
        sc->pos = mload_pos(L, e->key);
        sc->next_idx = sc->default_idx = MENU_NO_SCREEN;
        L->skip[e->idx] = 1;
    }
    return 0;
}

int mload_collect_screens(struct loader *L)
{
    if (gather_names(L))
        return -1;
    if (!L->n_ents)
        return 0;
    struct sentry **v = malloc(L->n_ents * sizeof *v);
    if (!v) {
        mload_nomem(L);
        return -1;
    }
    size_t n = number_names(L, v);
    report_duplicates(L, v);
    free(v);
    return make_screens(L, n);
}

/* Read one screen's content. 0 when its kind could not be told. */
static int load_screen(struct loader *L, struct menu_screen *sc, const struct ynode *key,
                       const struct ynode *v)
{
    char list[128], sg[128];
    mload_join(list, sizeof list, kind_names, N_KINDS);
    if (v->type != Y_MAP) {
        mload_err(L, v, "screen '%s' must be a map with a kind (%s) and its keys, not %s", sc->name,
                  list, mload_tname(v));
        return 0;
    }
    mload_check_dups(L, v);
    const struct ynode *kn = mload_map_get(v, "kind");
    if (!kn) {
        mload_err(L, key, "screen '%s' has no 'kind': give one of %s", sc->name, list);
        return 0;
    }
    if (kn->type != Y_SCALAR) {
        mload_err(L, kn, "'kind' of screen '%s' must be one of %s, not %s", sc->name, list,
                  mload_tname(kn));
        return 0;
    }
    size_t k;
    for (k = 0; k < N_KINDS; k++)
        if (strcmp(kn->s, kind_names[k]) == 0)
            break;
    if (k == N_KINDS) {
        mload_err(L, kn, "unknown screen kind '%s'%s; the kinds are: %s", kn->s,
                  mload_suggest(sg, sizeof sg, kn->s, kind_names, N_KINDS), list);
        return 0;
    }
    sc->kind = (enum screen_kind)k;
    mload_screen_body(L, sc, key, v);
    return 1;
}

void mload_screens(struct loader *L)
{
    for (size_t i = 0; i < L->n_ents && !L->oom; i++) {
        struct sentry *e = &L->ents[i];
        if (!e->val)
            continue; /* cut by a syntax error: known by name only */
        L->cur = &L->files[e->file];
        struct menu_screen *sc = &L->set->screens[e->idx];
        if (!e->first) {
            /* a duplicate: still checked, into memory the set does not point to */
            struct menu_screen *dup = mload_alloc(L, sizeof *dup);
            if (!dup)
                return;
            dup->name = sc->name;
            dup->next_idx = dup->default_idx = MENU_NO_SCREEN;
            sc = dup;
        }
        int ok = load_screen(L, sc, e->key, e->val);
        if (e->first)
            L->skip[e->idx] = (unsigned char)!ok;
    }
}
