/*
 * menu_load_int.h: what the parts of the menu loader share. menu_load.c reads the files
 * into YAML trees, the settings, screens and dial strings; menu_load_sms.c reads the SMS
 * keyword rules (`sms:`, `sms_default:`) with the same helpers, so its messages read
 * like every other (FILE:LINE:COL, "did you mean", PCRE2 errors with their offset).
 * Not for use outside menus/menu_load*.c.
 */
#ifndef USSDGW_MENU_LOAD_INT_H
#define USSDGW_MENU_LOAD_INT_H

#include <stddef.h>

#include "menu.h"
#include "menu_load.h"

/* A node of a file's YAML tree, with its position. */
enum { Y_SCALAR = 1, Y_SEQ, Y_MAP };

struct ynode {
    unsigned char type;
    unsigned char plain;    /* a scalar written without quotes */
    unsigned char complete; /* its end was read (a syntax error can cut a container) */
    int line, col;          /* 1-based */
    const char *s;          /* scalar value, NUL-terminated */
    size_t len;
    struct ynode **kids; /* list: the items; map: key, value, key, value, ... */
    size_t n;
    size_t weight; /* nodes in this subtree, aliases expanded */
};

struct loader;

/* The SMS keyword rules of every file into the set (menu_load_sms.c). Runs once the
 * settings are read (texts need the languages). */
void menu_load_sms(struct loader *L);

/* The polls of every file into the set (menu_load_polls.c), once the settings are read. */
void menu_load_polls(struct loader *L);
/* The district called `name` as the options spell it, or NULL; *all, *n: every district
 * the options give (none when they give none). */
const char *mload_district(const struct loader *L, const char *name, const char *const **all, size_t *n);

/* ---- from menu_load.c ---------------------------------------------------------- */

struct menu_set *mload_set(struct loader *L);
size_t mload_n_files(const struct loader *L);
/* File f's top-level map (NULL when empty or not a map); its file becomes the file of
 * the messages that follow. */
const struct ynode *mload_file(struct loader *L, size_t f);
const char *mload_file_name(const struct loader *L, size_t f);
/* 1 once memory ran out (reported once): stop reading. */
int mload_oom(const struct loader *L);
/* Zeroed memory owned by the set; NULL (reported) when out of memory. */
void *mload_alloc(struct loader *L, size_t n);

void mload_err(struct loader *L, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mload_warn(struct loader *L, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const struct ynode *mload_map_get(const struct ynode *m, const char *key);
const struct ynode *mload_key_of(const struct ynode *m, const struct ynode *v);
int mload_is_null(const struct ynode *n);
const char *mload_tname(const struct ynode *n); /* "a string", "a list", ... */
struct menu_pos mload_pos(struct loader *L, const struct ynode *n);

/* As the screens' own: see menu_load.c. */
const char *mload_get_str(struct loader *L, const struct ynode *n, const char *what);
const char *mload_get_name(struct loader *L, const struct ynode *n, const char *what);
int mload_get_text(struct loader *L, const struct ynode *n, struct menu_text *t,
                   const char *what, int need_default);
void mload_check_dups(struct loader *L, const struct ynode *m);
void mload_check_keys(struct loader *L, const struct ynode *m, const char *const *allowed,
                      const char *where);
void mload_check_template(struct loader *L, const struct ynode *n, const char *s);
void mload_check_handler(struct loader *L, const struct ynode *n, const char *name);
/* Compile with PCRE2_UTF | PCRE2_UCP | extra_flags; NULL (reported) when it does not. */
struct pcre2_real_code_8 *mload_compile_re(struct loader *L, const struct ynode *n,
                                           const char *pat, const char *what,
                                           unsigned extra_flags);

#endif
