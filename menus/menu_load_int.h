/*
 * menu_load_int.h: what the parts of the menu loader share. Not for use outside
 * menus/menu_load*.c.
 *
 * The parts, in the order a load runs them:
 *   menu_load.c          the files of a folder or a buffer, each file's top level, and
 *                        the run of the steps below; the set-wide checks at the end
 *   menu_load_yaml.c     a file's bytes into a tree of ynodes (bounded, with positions)
 *   menu_load_values.c   messages (FILE:LINE:COL) and the values read off a tree:
 *                        strings, names, keys, patterns, "did you mean"
 *   menu_load_texts.c    settings (languages, the engine's messages) and every
 *                        user-facing text, which needs the languages
 *   menu_load_screens.c  the screen names of every file (final indices, duplicates),
 *                        then each screen's kind
 *   menu_load_kinds.c    what each kind of screen holds (options, validators, routes...)
 *   menu_load_targets.c  dial strings, and names of screens resolved once all are known
 *   menu_load_sms.c      the SMS keyword rules (`sms:`, `sms_default:`)
 *   menu_load_polls.c    the polls (`polls:`)
 * Every part reports through mload_err/mload_warn, so all messages read alike.
 */
#ifndef USSDGW_MENU_LOAD_INT_H
#define USSDGW_MENU_LOAD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "menu.h"
#include "menu_load.h"

/* A node of a file's YAML tree, with its position. */
enum { Y_SCALAR = 1, Y_SEQ, Y_MAP };

struct ynode {
    unsigned char type;
    unsigned char plain;    /* a scalar written without quotes */
    unsigned char complete; /* its end was read (a syntax error can cut a container) */
    unsigned char shared;   /* in the subtree of an anchor some alias repeats */
    int line, col;          /* 1-based */
    const char *s;          /* scalar value, NUL-terminated */
    size_t len;
    struct ynode **kids; /* list: the items; map: key, value, key, value, ... */
    size_t n;
    size_t weight; /* nodes in this subtree, aliases expanded */
};

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

/* One load. */
#define LOAD_SAID_MAX 256

struct loader {
    struct menu_load_opts opts;
    struct diags *d;
    size_t errors0;         /* d->errors when the load began */
    struct menu_arena *a;   /* the set's */
    struct menu_arena *tmp; /* the trees: freed when loading ends */
    struct menu_set *set;
    uint64_t hash; /* of the file names and bytes: the set's version */
    int oom;       /* memory ran out (reported once): stop reading */
    int stop;      /* nothing worth checking (no folder, no files) */

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
    /* the problems said of a node: a node behind a YAML anchor is read once per alias,
     * and its problem is said once (the first LOAD_SAID_MAX problems) */
    struct { const struct ynode *n; const char *fmt; } said[LOAD_SAID_MAX];
    size_t n_said;
};

/* ---- menu_load.c ----------------------------------------------------------------- */

/* File f's top-level map (NULL when empty or not a map); its file becomes the file of
 * the messages that follow. */
const struct ynode *mload_file(struct loader *L, size_t f);
/* The district called `name` as the options spell it, or NULL; *all, *n: every district
 * the options give (none when they give none). */
const char *mload_district(const struct loader *L, const char *name, const char *const **all,
                           size_t *n);

/* ---- menu_load_yaml.c ------------------------------------------------------------ */

/* Read one file's bytes into F->root. On any problem (reported), F->broken is set and
 * the tree holds what came before it. The trees live in L->tmp. */
void mload_read_yaml(struct loader *L, struct yfile *F, const char *buf, size_t len);

/* ---- menu_load_values.c ---------------------------------------------------------- */

/* A message at node n (NULL: line 1, column 1) of the current file. */
void mload_err(struct loader *L, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mload_warn(struct loader *L, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Memory ran out: reported once, and L->oom set so that reading stops. */
void mload_nomem(struct loader *L);
/* Zeroed memory owned by the set; NULL (reported) when out of memory. */
void *mload_alloc(struct loader *L, size_t n);
/* s[0..len) copied into the set, NUL-terminated; NULL (reported) when out of memory. */
char *mload_strdup(struct loader *L, const char *s, size_t len);

/* 1 when n is YAML's empty value: nothing, ~ or null, unquoted. */
int mload_is_null(const struct ynode *n);
/* What n is, for messages: "a string", "a list", "a map", "an empty value". */
const char *mload_tname(const struct ynode *n);
/* n's place in the current file, kept in the set. */
struct menu_pos mload_pos(struct loader *L, const struct ynode *n);
/* Join the first n of a NULL-terminated list as "a, b, c" into buf. */
const char *mload_join(char *buf, size_t cap, const char *const *v, size_t n);
/* " (did you mean 'x'?)" or "" into buf. */
const char *mload_suggest(char *buf, size_t cap, const char *word, const char *const *cands,
                          size_t n);

/* The value of `key` in map m (the first one), or NULL. */
const struct ynode *mload_map_get(const struct ynode *m, const char *key);
/* The key node of value v in map m (v must be in m). */
const struct ynode *mload_key_of(const struct ynode *m, const struct ynode *v);
/* A key's text, or NULL (reported) when the key is a list or a map. */
const char *mload_key_str(struct loader *L, const struct ynode *k);
/* Report keys given twice in map m. */
void mload_check_dups(struct loader *L, const struct ynode *m);
/* Report keys of map m that are not in `allowed` (NULL-terminated): with the closest
 * allowed key as a suggestion, or else the list of allowed keys. A key of `elsewhere`
 * (a sibling kind's keys: a likely mix-up rather than a typo; NULL for none) always
 * gets the list. */
void mload_check_keys(struct loader *L, const struct ynode *m, const char *const *allowed,
                      const char *where, const char *const *elsewhere);

/* A scalar's value copied into the set, or NULL (reported) when absent or not a string. */
const char *mload_get_str(struct loader *L, const struct ynode *n, const char *what);
/* A screen, variable, handler or outcome name. */
const char *mload_get_name(struct loader *L, const struct ynode *n, const char *what);
/* Report a handler the options do not know. */
void mload_check_handler(struct loader *L, const struct ynode *n, const char *name);
/* Compile with PCRE2_UTF | PCRE2_UCP | extra_flags, freed with the set; NULL (reported)
 * when it does not. */
struct pcre2_real_code_8 *mload_compile_re(struct loader *L, const struct ynode *n,
                                           const char *pat, const char *what,
                                           unsigned extra_flags);

/* ---- menu_load_texts.c ----------------------------------------------------------- */

/* Settings into the set: the languages, then the engine's messages. Runs before any
 * text is read (a plain string is a text in the default language). */
void mload_settings(struct loader *L);
/* A user-facing text: a string (the default language) or a map language -> string.
 * With need_default, the default language's text is required. 0 when unusable. */
int mload_get_text(struct loader *L, const struct ynode *n, struct menu_text *t,
                   const char *what, int need_default);
/* Warn about template mistakes in a user-facing text: `{name}` inserts a variable,
 * `{{` and `}}` are literal braces. */
void mload_check_template(struct loader *L, const struct ynode *n, const char *s);
/* The next `{...}` of a template from *p on (`{{` is a literal brace, not one): 1 with
 * what is inside at *in (*len bytes) and *p moved past its '}'; name (MENU_NAME_MAX + 1
 * bytes) gets a copy when it is a variable name, "" when not. 0 at the end: *p then at
 * a '{' with no '}', or at "". */
int mload_template_next(const char **p, char *name, const char **in, size_t *len);

/* One entry of an `args` map: a name, and a template ("" when empty). `of` says whose
 * args they are in messages, like "of screen 'x'"; what (cap bytes) gets the value's
 * name for further messages. 1 with *a set; 0 when unusable (reported). */
int mload_arg(struct loader *L, const struct ynode *k, const struct ynode *v, const char *of,
              struct menu_arg *a, char *what, size_t cap);

/* ---- menu_load_screens.c, menu_load_kinds.c -------------------------------------- */

/* Gather every screen name of every file, give each its final (sorted) index in
 * set->screens and report duplicates. -1 when out of memory. */
int mload_collect_screens(struct loader *L);
/* Read every screen's content (a duplicate is checked too, into memory the set does
 * not point to); L->skip marks screens whose kind could not be told. */
void mload_screens(struct loader *L);
/* The keys and content of screen sc, whose kind is set, from its map v. */
void mload_screen_body(struct loader *L, struct menu_screen *sc, const struct ynode *key,
                       const struct ynode *v);

/* ---- menu_load_targets.c --------------------------------------------------------- */

/* A reference to a screen: its name (NULL, reported, when not a string); *slot gets
 * the screen's index from mload_resolve. */
const char *mload_get_target(struct loader *L, const struct ynode *n, int *slot,
                             const char *what);
/* The dial strings of every file into the set. */
void mload_dials(struct loader *L);
/* Every reference to its screen, or an error with the closest name. */
void mload_resolve(struct loader *L);

/* ---- menu_load_sms.c, menu_load_polls.c ------------------------------------------ */

/* The SMS keyword rules of every file into the set. Runs once the settings are read
 * (texts need the languages). */
void menu_load_sms(struct loader *L);
/* The polls of every file into the set, once the settings are read. */
void menu_load_polls(struct loader *L);

#endif
