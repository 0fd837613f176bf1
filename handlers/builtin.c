/*
 * builtin.c: the always-present handlers; see builtin.h.
 */
#include "builtin.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

static struct handler_call *echo_start(const struct svc_env *env, const struct handler_req *req,
                                       handler_done_fn done, void *arg)
{
    struct handler_kv set[HANDLER_MAX_SET];
    size_t n = 0;
    (void)env;
    for (size_t i = 0; i < req->n_args && n < HANDLER_MAX_SET; i++)
        if (strcmp(req->args[i].key, "outcome") != 0)
            set[n++] = req->args[i];
    const char *outcome = handler_arg(req, "outcome");
    struct handler_result r = {.outcome = outcome && *outcome ? outcome : "ok", .set = set, .n_set = n};
    done(arg, &r);
    return NULL;
}

const struct handler_def handler_echo = {"echo", 0, echo_start, NULL};

static struct handler_call *fail_start(const struct svc_env *env, const struct handler_req *req,
                                       handler_done_fn done, void *arg)
{
    (void)env;
    struct handler_result r = {.outcome = "error", .message = handler_arg(req, "message")};
    done(arg, &r);
    return NULL;
}

const struct handler_def handler_fail = {"fail", 0, fail_start, NULL};

/* Each handler keeps its own call record behind the opaque struct handler_call. */
struct slow_call {
    struct event *ev;
    handler_done_fn done;
    void *arg;
};

static void slow_fire(evutil_socket_t fd, short what, void *p)
{
    struct slow_call *c = p;
    (void)fd;
    (void)what;
    handler_done_fn done = c->done;
    void *arg = c->arg;
    event_free(c->ev);
    free(c);
    struct handler_result r = {.outcome = "ok"};
    done(arg, &r);
}

static struct handler_call *slow_start(const struct svc_env *env, const struct handler_req *req,
                                       handler_done_fn done, void *arg)
{
    const char *ms = handler_arg(req, "ms");
    long v = ms ? strtol(ms, NULL, 10) : 1000;
    if (v < 0 || v > 60000)
        v = 1000;
    struct slow_call *c = calloc(1, sizeof *c);
    if (!c || !(c->ev = evtimer_new(env->base, slow_fire, c))) {
        free(c);
        struct handler_result r = {.outcome = "error"};
        done(arg, &r);
        return NULL;
    }
    c->done = done;
    c->arg = arg;
    struct timeval tv = {v / 1000, (v % 1000) * 1000};
    evtimer_add(c->ev, &tv);
    return (struct handler_call *)c;
}

static void slow_cancel(struct handler_call *call)
{
    struct slow_call *c = (struct slow_call *)call;
    event_free(c->ev);
    free(c);
}

const struct handler_def handler_slow = {"slow", 0, slow_start, slow_cancel};

static const char *const districts[] = {
    "Bugesera",  "Burera",    "Gakenke",   "Gasabo",     "Gatsibo",    "Gicumbi",
    "Gisagara",  "Huye",      "Kamonyi",   "Karongi",    "Kayonza",    "Kicukiro",
    "Kirehe",    "Muhanga",   "Musanze",   "Ngoma",      "Ngororero",  "Nyabihu",
    "Nyagatare", "Nyamagabe", "Nyamasheke", "Nyanza",    "Nyarugenge", "Nyaruguru",
    "Rubavu",    "Ruhango",   "Rulindo",   "Rusizi",     "Rutsiro",    "Rwamagana",
};

static struct handler_call *districts_start(const struct svc_env *env,
                                            const struct handler_req *req,
                                            handler_done_fn done, void *arg)
{
    struct handler_item items[sizeof districts / sizeof districts[0]];
    (void)env;
    (void)req;
    for (size_t i = 0; i < sizeof districts / sizeof districts[0]; i++)
        items[i] = (struct handler_item){districts[i], districts[i]};
    struct handler_result r = {.outcome = "ok", .items = items,
                               .n_items = sizeof districts / sizeof districts[0]};
    done(arg, &r);
    return NULL;
}

const struct handler_def handler_districts = {"districts", 1, districts_start, NULL};
