/*
 * menu_check.h: internals shared by the menu loader (menu_load*.c), the set-wide checks
 * (menu_check.c) and the look-ups (menu.c). Not for use outside menus/.
 */
#ifndef USSDGW_MENU_CHECK_H
#define USSDGW_MENU_CHECK_H

#include <stddef.h>

#include "diag.h"
#include "menu.h"
#include "menu_load.h"

/* The built-in text of an engine message in language `lang`, or NULL. */
const char *menu_builtin_msg(const char *lang, enum menu_msg m);

/* 1 when s is a valid screen, variable or handler name: [A-Za-z0-9_.-]{1,63}. */
int menu_name_ok(const char *s);

/* The candidate closest to `word` by Levenshtein distance when close enough to be a
 * likely typo, or NULL. */
const char *menu_closest(const char *word, const char *const *cands, size_t n);

/* Loops of screens that never wait for input (errors) and, with check_reach, screens
 * no dial string reaches (warnings). skip[i] marks screens whose content could not be
 * read (their edges are unknown). */
void menu_check_graph(const struct menu_set *set, const unsigned char *skip, int check_reach,
                      struct diags *d);

/* Screens whose fixed text and one option (or navigation line, language list, input
 * error) cannot fit the screen limit, per language. */
void menu_check_fit(const struct menu_set *set, const unsigned char *skip,
                    const struct menu_load_opts *o, struct diags *d);

/* SMS answers (the keyword rules' replies and sms_default) whose fixed text takes more
 * than MENU_SMS_WARN_PARTS SMS parts in some language: warnings. */
#define MENU_SMS_WARN_PARTS 3
void menu_check_sms_fit(const struct menu_set *set, struct diags *d);

/* SMS parts a text of this cost takes: 160 GSM 7-bit septets (70 UCS2 units) in one
 * part, 153 (67) per part when concatenated. 1 for an empty text. */
size_t menu_sms_parts(size_t cost, int ucs2);

#endif
