/*
 * menu_arena.h: a menu set's memory: many zeroed allocations freed at once, plus
 * cleanups (PCRE2 codes) run when it is freed. A set lives in its own arena, so
 * menu_set_free is one menu_arena_free. Not for use outside menus/.
 */
#ifndef USSDGW_MENU_ARENA_H
#define USSDGW_MENU_ARENA_H

#include <stddef.h>

struct menu_arena;

/* A new, empty arena; NULL when out of memory. */
struct menu_arena *menu_arena_new(void);

/* n zeroed bytes, aligned for any type, owned by the arena; NULL when out of memory. */
void *menu_arena_alloc(struct menu_arena *a, size_t n);

/* Run fn(p) when the arena is freed; when that cannot be recorded, runs it now and
 * returns -1. */
int menu_arena_defer(struct menu_arena *a, void (*fn)(void *), void *p);

/* Run the cleanups, newest first, and free every allocation. NULL is fine. */
void menu_arena_free(struct menu_arena *a);

#endif
