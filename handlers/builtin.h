/*
 * builtin.h: the handlers every menu set can use, whatever services are installed:
 * `echo` (sets its arguments as variables; outcome from the `outcome` argument, default
 * "ok"), `fail` (outcome "error" with the `message` argument), `slow` (finishes after
 * `ms` milliseconds, for timeout tests), `districts` (Rwanda's 30 districts as a
 * list, for menus with `source: districts`) and `app_status` (app_status.c).
 *
 * app_status: the record of an application, the Redis hash ussd:app:REF (REF upper
 * case, e.g. LND-26-004213-7; fields status, service, updated). Argument `ref` (any
 * case, spaces around ignored). Outcomes: `ok` with the variables ref (upper case),
 * status and service (the codes), status_text and service_text (the codes in words, in
 * the request's language: en, rw or fr) and updated; `not_found` (no record, or a ref
 * not shaped like one: 4 to 20 letters, digits and dashes) with ref; `error` (Redis
 * failed or timed out).
 */
#ifndef USSDGW_BUILTIN_H
#define USSDGW_BUILTIN_H

#include "handler.h"

extern const struct handler_def handler_echo;
extern const struct handler_def handler_fail;
extern const struct handler_def handler_slow;
extern const struct handler_def handler_districts;
extern const struct handler_def handler_app_status;

#endif
