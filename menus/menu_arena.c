/*
 * menu_arena.c: a menu set's memory; see menu_arena.h. Blocks of 16 KiB filled in
 * turn; a large allocation gets a block of its own, and the current block goes on
 * filling.
 */
#include "menu_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

struct arena_cleanup {
    struct arena_cleanup *next;
    void (*fn)(void *);
    void *p;
};

struct menu_arena {
    struct arena_block *blocks;
    struct arena_cleanup *cleanups;
};

struct menu_arena *menu_arena_new(void)
{
    return calloc(1, sizeof(struct menu_arena));
}

void *menu_arena_alloc(struct menu_arena *a, size_t n)
{
    if (!a || n > SIZE_MAX / 4)
        return NULL;
    n = (n + 15) & ~(size_t)15;
    if (!n)
        n = 16;
    struct arena_block *b = a->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        if (a->blocks && n > 4096) {
            /* a big allocation: keep filling the current block afterwards */
            b->next = a->blocks->next;
            a->blocks->next = b;
        } else {
            b->next = a->blocks;
            a->blocks = b;
        }
    }
    void *p = (unsigned char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

int menu_arena_defer(struct menu_arena *a, void (*fn)(void *), void *p)
{
    struct arena_cleanup *c = menu_arena_alloc(a, sizeof *c);
    if (!c) {
        fn(p);
        return -1;
    }
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
    return 0;
}

void menu_arena_free(struct menu_arena *a)
{
    if (!a)
        return;
    for (struct arena_cleanup *c = a->cleanups; c; c = c->next)
        c->fn(c->p);
    struct arena_block *b = a->blocks;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}
