/*
 * menu_load.c: read every *.yaml file of a folder into a menu set; see menu_load.h.
 *
 * Three steps. First each file is read into a small tree of our own
 * (menu_load_yaml.c). Then the trees are read into the set: each file's top level,
 * the settings (a plain string is a text in the default language, so languages must
 * be known before any text: menu_load_texts.c), then the screen names of every file
 * (sorted, so each screen gets its final index and references can point into the
 * final array), the screens (menu_load_screens.c, menu_load_kinds.c), the dial
 * strings, the SMS rules and the polls. Last, references are resolved by name
 * (menu_load_targets.c) and the set-wide checks run (menu_check.c). Every problem
 * goes to the diags list; any error means NULL. The parts share menu_load_int.h.
 */
#include "menu_load.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "menu_arena.h"
#include "menu_check.h"
#include "menu_load_int.h"

#define LOAD_MAX_FILE (1024 * 1024) /* bytes per file */

/* ---- options --------------------------------------------------------------------- */

void menu_load_opts_default(struct menu_load_opts *o)
{
    o->screen_limit_gsm = 182;
    o->screen_limit_ucs2 = 80;
    o->handler_exists = NULL;
    o->handler_names = NULL;
    o->n_handler_names = 0;
    o->districts = NULL;
    o->n_districts = 0;
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
            if (!mload_is_null(r))
                mload_err(L, r,
                          "a menu file must be a map with the keys settings, dial and screens, "
                          "not %s",
                          mload_tname(r));
            F->root = NULL;
            continue;
        }
        mload_check_dups(L, r);
        mload_check_keys(L, r, top_keys, "a menu file", NULL);
        /* an empty `settings:`, `dial:` or `screens:` is as good as none */
        const struct ynode *s = mload_map_get(r, "settings");
        if (s && !mload_is_null(s)) {
            if (L->settings_file < 0) {
                L->settings_file = (int)f;
            } else {
                const struct yfile *G = &L->files[L->settings_file];
                const struct ynode *k = mload_key_of(G->root, mload_map_get(G->root, "settings"));
                mload_err(L, mload_key_of(r, s),
                          "settings are already given in %s:%d:%d; only one file may have "
                          "settings",
                          G->name, k->line, k->col);
            }
        }
        const struct ynode *dial = mload_map_get(r, "dial");
        if (dial && dial->type != Y_MAP && !mload_is_null(dial))
            mload_err(L, dial,
                      "dial must be a map of dial string to screen, like {\"*123#\": root}, "
                      "not %s",
                      mload_tname(dial));
        const struct ynode *scr = mload_map_get(r, "screens");
        if (scr && scr->type != Y_MAP && !mload_is_null(scr))
            mload_err(L, scr, "screens must be a map of screen name to screen, not %s",
                      mload_tname(scr));
    }
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

const char *mload_district(const struct loader *L, const char *name, const char *const **all,
                           size_t *n)
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
        L->opts.handler_names = o->handler_names;
        L->opts.n_handler_names = o->n_handler_names;
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
            mload_nomem(L);
            return;
        }
        L->files = f;
        L->cap_files = cap;
    }
    struct yfile *F = &L->files[L->n_files];
    memset(F, 0, sizeof *F);
    F->name = mload_strdup(L, path, strlen(path));
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
        mload_err(L, &at, "the file is larger than 1 MiB (%zu bytes): split it into several files",
                  len);
        F->broken = 1;
        return;
    }
    if (L->too_big) {
        F->broken = 1;
        return;
    }
    mload_read_yaml(L, F, buf, len);
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
        mload_settings(L);
    if (!L->oom)
        mload_collect_screens(L);
    if (!L->oom)
        mload_screens(L);
    if (!L->oom)
        mload_dials(L);
    if (!L->oom && !L->stop)
        menu_load_sms(L);
    if (!L->oom && !L->stop)
        menu_load_polls(L);
    if (!L->oom)
        mload_resolve(L);
    if (!L->oom) {
        for (size_t i = 0; i < set->n_screens; i++)
            any_broken |= L->skip[i];
        /* an error can cut edges: unreachable screens would then be noise */
        int clean = !any_broken && L->d->errors == L->errors0;
        int reach = clean && set->n_dials > 0;
        if (set->n_screens && !set->n_dials && clean) {
            L->cur = &L->files[L->ents[0].file];
            mload_warn(L, L->ents[0].key,
                       "no dial strings are declared, so no screen can be reached "
                       "(add e.g. dial: {\"*123#\": %s})",
                       L->ents[0].name);
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
            mload_nomem(&L);
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

const struct ynode *mload_file(struct loader *L, size_t f)
{
    L->cur = &L->files[f];
    return L->files[f].root;
}
