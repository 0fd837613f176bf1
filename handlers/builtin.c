/*
 * builtin.c: the always-present handlers; see builtin.h.
 */
#include "builtin.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"

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

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The map's districts (geo.h), in alphabetical order. */
static const char *const *districts(size_t *n)
{
    static const char *sorted[GEO_N_DISTRICTS];
    static size_t count;
    if (!count) {
        size_t k = 0;
        const char *const *names = geo_district_names(&k);
        for (count = 0; count < k && count < GEO_N_DISTRICTS; count++)
            sorted[count] = names[count];
        qsort(sorted, count, sizeof *sorted, by_name);
    }
    *n = count;
    return sorted;
}

static struct handler_call *districts_start(const struct svc_env *env,
                                            const struct handler_req *req,
                                            handler_done_fn done, void *arg)
{
    struct handler_item items[GEO_N_DISTRICTS];
    size_t n = 0;
    const char *const *names = districts(&n);
    (void)env;
    (void)req;
    for (size_t i = 0; i < n; i++)
        items[i] = (struct handler_item){names[i], names[i]};
    struct handler_result r = {.outcome = "ok", .items = items, .n_items = n};
    done(arg, &r);
    return NULL;
}

const struct handler_def handler_districts = {"districts", 1, districts_start, NULL};
