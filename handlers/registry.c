/*
 * registry.c: the table of named handlers, and handler_run, which bounds any handler
 * with a timer and guarantees its callback fires exactly once, from the event loop: a
 * done that comes inside the handler's start is copied and fired from a zero timer.
 */
#include "handler.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

static const struct handler_def *const table[] = {
    &handler_echo,
    &handler_fail,
    &handler_slow,
    &handler_districts,
    &handler_app_status,
    &handler_http,
    &handler_parcel,
    &handler_land_tax,
    &handler_land_owner,
    &handler_land_buyer,
    &handler_land_transfer,
    &handler_biz_name,
    &handler_biz_owner,
    &handler_biz_register,
    &handler_business,
    &handler_biz_renew,
    &handler_permit_quote,
    &handler_permit_apply,
    &handler_permit,
    &handler_permit_inspectable,
    &handler_inspection_slots,
    &handler_inspection_book,
    &handler_my_apps_count,
    &handler_my_apps,
    &handler_app_history,
    &handler_alert_join,
    &handler_alert_leave,
    &handler_alert_stop,
    &handler_alert_start,
    &handler_alert_list,
    &handler_sectors,
    &handler_ticket_report,
    &handler_my_tickets_count,
    &handler_my_tickets,
    &handler_ticket_show,
    &handler_ticket_open,
    &handler_polls_open,
    &handler_poll_options,
    &handler_poll_vote,
    &handler_poll_propose,
    &handler_poll_notify,
};

const struct handler_def *handler_find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

int handler_exists(const char *name)
{
    return handler_find(name) != NULL;
}

const char *const *handler_names(size_t *n)
{
    static const char *names[sizeof table / sizeof table[0]];
    if (!names[0])
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
            names[i] = table[i]->name;
    *n = sizeof table / sizeof table[0];
    return names;
}

const char *handler_arg(const struct handler_req *req, const char *key)
{
    for (size_t i = 0; i < req->n_args; i++)
        if (strcmp(req->args[i].key, key) == 0)
            return req->args[i].value;
    return NULL;
}

/* A result copied out of a callback, for handlers that finish inside start(). */
struct result_copy {
    struct handler_result res;
    struct handler_kv set[HANDLER_MAX_SET];
    struct handler_item items[HANDLER_MAX_ITEMS];
    char *strings; /* one allocation holding every string */
};

struct handler_run {
    const struct handler_def *def;
    struct handler_call *call;
    struct event *timer;
    handler_done_fn done;
    void *arg;
    int starting;    /* inside def->start */
    int finished;    /* def's done fired (or timed out) */
    struct result_copy *copy;
};

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static char *str_put(char **p, const char *s)
{
    if (!s)
        return NULL;
    size_t l = strlen(s) + 1;
    char *r = memcpy(*p, s, l);
    *p += l;
    return r;
}

static struct result_copy *result_copy(const struct handler_result *r)
{
    struct result_copy *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    size_t ns = r->n_set < HANDLER_MAX_SET ? r->n_set : HANDLER_MAX_SET;
    size_t ni = r->n_items < HANDLER_MAX_ITEMS ? r->n_items : HANDLER_MAX_ITEMS;
    size_t total = str_size(r->outcome) + str_size(r->message) + 1;
    for (size_t i = 0; i < ns; i++)
        total += str_size(r->set[i].key) + str_size(r->set[i].value);
    for (size_t i = 0; i < ni; i++)
        total += str_size(r->items[i].label) + str_size(r->items[i].value);
    char *p = c->strings = malloc(total);
    if (!p) {
        free(c);
        return NULL;
    }
    c->res.outcome = str_put(&p, r->outcome ? r->outcome : "error");
    c->res.message = str_put(&p, r->message);
    for (size_t i = 0; i < ns; i++) {
        c->set[i].key = str_put(&p, r->set[i].key);
        c->set[i].value = str_put(&p, r->set[i].value);
    }
    for (size_t i = 0; i < ni; i++) {
        c->items[i].label = str_put(&p, r->items[i].label);
        c->items[i].value = str_put(&p, r->items[i].value);
    }
    c->res.set = c->set;
    c->res.n_set = ns;
    c->res.items = c->items;
    c->res.n_items = ni;
    return c;
}

static void result_copy_free(struct result_copy *c)
{
    if (c) {
        free(c->strings);
        free(c);
    }
}

static void run_free(struct handler_run *run)
{
    if (run->timer)
        event_free(run->timer);
    result_copy_free(run->copy);
    free(run);
}

static void run_done(void *arg, const struct handler_result *res)
{
    struct handler_run *run = arg;
    if (run->finished)
        return;
    run->finished = 1;
    run->call = NULL;
    if (run->starting) {
        /* finished inside start(): keep a copy and fire from the loop */
        run->copy = result_copy(res);
        event_del(run->timer);
        struct timeval now = {0, 0};
        evtimer_add(run->timer, &now);
        return;
    }
    handler_done_fn done = run->done;
    void *darg = run->arg;
    run_free(run);
    done(darg, res);
}

static void run_timer(evutil_socket_t fd, short what, void *arg)
{
    struct handler_run *run = arg;
    (void)fd;
    (void)what;
    handler_done_fn done = run->done;
    void *darg = run->arg;
    if (run->finished) {
        struct result_copy *c = run->copy;
        run->copy = NULL;
        static const struct handler_result oom = {.outcome = "error"};
        run_free(run);
        done(darg, c ? &c->res : &oom);
        result_copy_free(c);
        return;
    }
    /* timed out: stop the handler's work and report an error */
    run->finished = 1;
    if (run->call && run->def->cancel)
        run->def->cancel(run->call);
    run_free(run);
    static const struct handler_result timeout = {.outcome = "error"};
    done(darg, &timeout);
}

struct handler_run *handler_run(const struct svc_env *env, const struct handler_def *def,
                                const struct handler_req *req, int timeout_ms,
                                handler_done_fn done, void *arg)
{
    struct handler_run *run = calloc(1, sizeof *run);
    if (!run)
        return NULL;
    run->def = def;
    run->done = done;
    run->arg = arg;
    run->timer = evtimer_new(env->base, run_timer, run);
    if (!run->timer) {
        free(run);
        return NULL;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(run->timer, &tv);
    run->starting = 1;
    run->call = def->start(env, req, run_done, run);
    run->starting = 0;
    if (run->finished)
        run->call = NULL; /* done came inside start: whatever it returned is gone */
    return run;
}

void handler_run_cancel(struct handler_run *run)
{
    if (!run)
        return;
    if (!run->finished && run->call && run->def->cancel)
        run->def->cancel(run->call);
    run_free(run);
}
