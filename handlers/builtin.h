/*
 * builtin.h: the handlers every menu set can use, whatever services are installed:
 * `echo` (sets its arguments as variables; outcome from the `outcome` argument, default
 * "ok"), `fail` (outcome "error" with the `message` argument), `slow` (finishes after
 * `ms` milliseconds, for timeout tests) and `districts` (Rwanda's 30 districts as a
 * list, for menus with `source: districts`).
 */
#ifndef USSDGW_BUILTIN_H
#define USSDGW_BUILTIN_H

#include "handler.h"

extern const struct handler_def handler_echo;
extern const struct handler_def handler_fail;
extern const struct handler_def handler_slow;
extern const struct handler_def handler_districts;

#endif
