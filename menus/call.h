/*
 * call.h: what a menu step asks of a handler and gets back, as the engine sees it.
 * The engine (engine.h) names the handler and its arguments; whoever runs handlers
 * (handlers/handler.h) answers with a handler_result. Plain data, no I/O.
 */
#ifndef USSDGW_CALL_H
#define USSDGW_CALL_H

#include <stddef.h>

#define HANDLER_MAX_ITEMS 64
#define HANDLER_MAX_SET 16

struct handler_kv {
    const char *key;
    const char *value;
};

struct handler_item {
    const char *label; /* shown as the option text */
    const char *value; /* stored into the menu's var when chosen */
};

struct handler_result {
    const char *outcome; /* never NULL */
    const struct handler_kv *set;
    size_t n_set;
    const struct handler_item *items;
    size_t n_items;
    const char *message; /* user-facing text for the error screen, or NULL */
};

#endif
