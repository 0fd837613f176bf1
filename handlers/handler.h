/*
 * handler.h: the registry of named handlers and their async contract.
 *
 * A handler screen (or a menu with `source:`) names a handler; the registry maps that
 * name to C code. A handler is a thin adapter from a menu step to a service
 * (services/): it gets the phone number, the language, the session's variables and its
 * arguments (templates already expanded), asks the service without blocking the event
 * loop, and finishes by calling `done` exactly once with an outcome ("ok",
 * "not_found", "error", ...), variables to set, list items (for menus built at run
 * time) and optionally a user-facing message. A handler that needs a service's answer
 * keeps a struct svc_call (services.h) and cancels with svc_cancel.
 *
 * handler_run wraps any handler with a timer (the step's handler_timeout_ms): when it
 * fires the caller gets outcome "error" with message NULL and the handler's work is
 * cancelled. handler_run_cancel stops a run: its `done` is then never called.
 *
 * Callback contract of handler_run (the one of every async module, ARCHITECTURE.md):
 *   - done fires exactly once per run (none after handler_run_cancel);
 *   - never from inside handler_run: a handler whose start calls done before returning
 *     (bad arguments, an answer without I/O) has it deferred to the loop, with a copy;
 *   - the result is valid only during the callback: the caller copies what it keeps;
 *   - done may start new runs; its own run is already gone (nothing to cancel).
 */
#ifndef USSDGW_HANDLER_H
#define USSDGW_HANDLER_H

#include <stddef.h>

#include "call.h"
#include "menu.h"
#include "svc.h"

struct handler_req {
    const char *msisdn;
    const char *lang;
    const struct handler_kv *vars; /* the session's variables */
    size_t n_vars;
    const struct handler_kv *args; /* the screen's arguments, expanded */
    size_t n_args;
    /* The same for every retry of this dialog step (a duplicated PDU, a second gateway
     * process, a restart between write and reply), different for any other step: the
     * idempotency key for anything a handler creates. */
    const char *step_key;
    /* The menu set of this step (its polls, texts, languages): valid for the call. */
    const struct menu_set *set;
};

typedef void (*handler_done_fn)(void *arg, const struct handler_result *res);

/* A running call, owned by the handler until done fires or cancel is called. */
struct handler_call;

struct handler_def {
    const char *name;
    int lists; /* 1: produces items (usable as a menu `source`) */
    /* Start the work. May call done before returning (then it returns NULL; handler_run
     * defers it); else done fires later, from the loop, exactly once unless cancelled. */
    struct handler_call *(*start)(const struct svc_env *env, const struct handler_req *req,
                                  handler_done_fn done, void *arg);
    /* Stop a call whose done has not fired; done must not fire afterwards. */
    void (*cancel)(struct handler_call *call);
};

/* The handler called `name`, or NULL. */
const struct handler_def *handler_find(const char *name);
int handler_exists(const char *name);
/* Every handler's name (for "did you mean"), *n of them. */
const char *const *handler_names(size_t *n);

/* Value of `key` in req->args, or NULL. */
const char *handler_arg(const struct handler_req *req, const char *key);

struct handler_run;

/* Run `def` with a timer of timeout_ms, with the contract above. Returns NULL only when
 * out of memory (then done never fires). */
struct handler_run *handler_run(const struct svc_env *env, const struct handler_def *def,
                                const struct handler_req *req, int timeout_ms,
                                handler_done_fn done, void *arg);
void handler_run_cancel(struct handler_run *run);

#endif
