/*
 * menu_load.h: read every *.yaml file of a folder into a menu set and validate it.
 *
 * The loader reports every problem it can find (not only the first) into a diags list:
 * YAML syntax, unknown keys and kinds, unresolved targets (with the closest name as a
 * suggestion), PCRE2 compile errors (with PCRE2's message and offset), unknown handlers,
 * duplicate names and dial strings, unreachable screens (warning), loops that never wait
 * for input, missing default-language texts, and screens whose fixed text plus one
 * option cannot fit the screen limit.
 */
#ifndef USSDGW_MENU_LOAD_H
#define USSDGW_MENU_LOAD_H

#include "diag.h"
#include "menu.h"

struct menu_load_opts {
    int screen_limit_gsm;  /* septets, default 182 */
    int screen_limit_ucs2; /* UTF-16 units, default 80 */
    /* Returns 1 when a handler of that name exists. NULL: any name is accepted. */
    int (*handler_exists)(const char *name);
    /* The handlers' names, for a suggestion when one is unknown. NULL: none. */
    const char *const *handler_names;
    size_t n_handler_names;
    /* The districts a poll's `projects` may name, as they are spelled (matched without
     * regard to case). NULL: polls cannot have projects by district. */
    const char *const *districts;
    size_t n_districts;
};

void menu_load_opts_default(struct menu_load_opts *o);

/* Load and check the folder `dir`. Returns the set when no error was found (warnings
 * allowed), NULL otherwise; every problem is appended to `d`. */
struct menu_set *menu_load_dir(const char *dir, const struct menu_load_opts *o, struct diags *d);

/* Load from memory: `name` is used as the file name in messages. For tests and fuzzing. */
struct menu_set *menu_load_buffer(const char *name, const char *yaml, size_t len,
                                  const struct menu_load_opts *o, struct diags *d);

#endif
