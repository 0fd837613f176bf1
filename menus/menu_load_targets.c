/*
 * menu_load_targets.c: the names of screens to go to. An option's next, a route, a
 * handler's outcome or a dial string names a screen; each name is recorded with the
 * place to write the screen's index, and resolved once every screen is known (an
 * unknown one with the closest name as a suggestion). The dial strings (`dial:` of any
 * file, each given once in the whole set) are read here too.
 */
#include <stdlib.h>
#include <string.h>

#include "menu_check.h"
#include "menu_load_int.h"

#define LOAD_MAX_DIALS 2000

/* ---- references -------------------------------------------------------------------- */

/* A reference to a screen, resolved by name once all screens are known. */
const char *mload_get_target(struct loader *L, const struct ynode *n, int *slot,
                             const char *what)
{
    *slot = MENU_NO_SCREEN;
    const char *s = mload_get_str(L, n, what);
    if (!s)
        return NULL;
    if (L->n_refs == L->cap_refs) {
        size_t cap = L->cap_refs ? L->cap_refs * 2 : 64;
        struct ref *r = realloc(L->refs, cap * sizeof *r);
        if (!r) {
            mload_nomem(L);
            return s;
        }
        L->refs = r;
        L->cap_refs = cap;
    }
    L->refs[L->n_refs++] = (struct ref){s, mload_pos(L, n), slot};
    return s;
}

void mload_resolve(struct loader *L)
{
    struct menu_set *set = L->set;
    const char **names = malloc((set->n_screens ? set->n_screens : 1) * sizeof *names);
    if (!names) {
        mload_nomem(L);
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

void mload_dials(struct loader *L)
{
    struct menu_set *set = L->set;
    size_t total = 0;
    for (size_t f = 0; f < L->n_files; f++) {
        const struct ynode *r = L->files[f].root;
        const struct ynode *dial = r ? mload_map_get(r, "dial") : NULL;
        if (dial && dial->type == Y_MAP)
            total += dial->n / 2;
    }
    if (!total)
        return;
    if (total > LOAD_MAX_DIALS)
        total = LOAD_MAX_DIALS;
    struct menu_pos *keypos = calloc(total, sizeof *keypos);
    set->dials = mload_alloc(L, total * sizeof *set->dials);
    if (!set->dials || !keypos) {
        free(keypos);
        mload_nomem(L);
        return;
    }
    for (size_t f = 0; f < L->n_files; f++) {
        L->cur = &L->files[f];
        const struct ynode *r = L->files[f].root;
        const struct ynode *dial = r ? mload_map_get(r, "dial") : NULL;
        if (!dial || dial->type != Y_MAP)
            continue;
        for (size_t i = 0; i + 1 < dial->n; i += 2) {
            const struct ynode *k = dial->kids[i], *v = dial->kids[i + 1];
            const char *code = mload_key_str(L, k);
            if (!code)
                continue;
            if (!dial_ok(code)) {
                mload_err(L, k,
                          "dial string '%s' is not valid: write a star, digits and stars, then "
                          "#, like \"*123#\" or \"*123*2#\"",
                          code);
                continue;
            }
            size_t j;
            for (j = 0; j < set->n_dials; j++)
                if (strcmp(set->dials[j].code, code) == 0)
                    break;
            if (j < set->n_dials) {
                if (keypos[j].file == L->cur->name)
                    mload_err(L, k, "dial string '%s' is given twice (first at line %d)", code,
                              keypos[j].line);
                else
                    mload_err(L, k, "dial string '%s' is already given in %s:%d:%d", code,
                              keypos[j].file, keypos[j].line, keypos[j].col);
                continue;
            }
            if (set->n_dials == total) {
                mload_err(L, k, "too many dial strings: a set can have at most %d", LOAD_MAX_DIALS);
                free(keypos);
                return;
            }
            struct menu_dial *md = &set->dials[set->n_dials];
            char w[96];
            snprintf(w, sizeof w, "the screen of dial string '%s'", code);
            if (!(md->code = mload_strdup(L, code, strlen(code))))
                break;
            md->pos = mload_pos(L, k);
            keypos[set->n_dials] = md->pos;
            md->screen = mload_get_target(L, v, &md->screen_idx, w);
            set->n_dials++;
        }
    }
    free(keypos);
}
