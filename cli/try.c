/*
 * try.c: `ussdgw try DIAL`: one dialog with the real engine, handlers and Redis, shown
 * on stdout exactly as a phone would show each screen, each followed by `[continue]` or
 * `[end]`; answers are read from stdin, one per line.
 */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "dialog.h"
#include "log.h"
#include "store.h"

struct try_state {
    int done;
    int end;
    int dropped;
    char text[ENGINE_TEXT_MAX];
};

static void on_reply(void *arg, enum dialog_result r, const char *text, int end, uint32_t version)
{
    struct try_state *t = arg;
    (void)version;
    t->done = 1;
    t->dropped = r == DIALOG_DROP;
    t->end = end;
    snprintf(t->text, sizeof t->text, "%s", text ? text : "");
}

static int step(struct dialog_env *env, struct event_base *base, struct dialog_req *req,
                struct try_state *t)
{
    memset(t, 0, sizeof *t);
    dialog_step(env, req, on_reply, t);
    while (!t->done)
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            return -1;
    return 0;
}

int app_try(struct app_opts *o, const char *dial)
{
    struct config *cfg = &o->cfg;
    struct menu_set *set = app_load_menus(cfg->menus, cfg, 1);
    if (!set)
        return 1;
    struct event_base *base = event_base_new();
    struct store_opts so = {.timeout_ms = cfg->redis_timeout_ms, .log = app_cli_store_log};
    struct store *store = base ? store_new(base, cfg->redis, &so) : NULL;
    if (!store) {
        fprintf(stderr, "ussdgw: cannot use Redis at %s\n", cfg->redis);
        menu_set_free(set);
        if (base)
            event_base_free(base);
        return 1;
    }
    struct dialog_env env;
    dialog_env_init(&env, base, store, set, cfg);
    struct engine_cfg ecfg;
    engine_cfg_default(&ecfg);
    ecfg.key_back = cfg->key_back;
    ecfg.key_home = cfg->key_home;
    ecfg.key_more = cfg->key_more;

    char sid[48];
    snprintf(sid, sizeof sid, "%ld-%ld", (long)getpid(), (long)time(NULL));
    struct dialog_req req = {
        .ingress = "try",
        .msisdn = o->msisdn ? o->msisdn : "250788000001",
        .sid = sid,
        .kind = DIALOG_BEGIN,
        .text = dial,
        .lang = o->lang,
        .ecfg = &ecfg,
    };
    struct try_state t;
    int rc = 0;
    char line[512];
    for (;;) {
        if (step(&env, base, &req, &t) < 0) {
            rc = 1;
            break;
        }
        if (t.dropped) {
            printf("[dropped]\n");
            break;
        }
        printf("%s\n[%s]\n", t.text, t.end ? "end" : "continue");
        fflush(stdout);
        if (t.end)
            break;
        if (!fgets(line, sizeof line, stdin))
            break;
        line[strcspn(line, "\r\n")] = 0;
        req.kind = DIALOG_INPUT;
        req.text = line;
        req.lang = NULL;
    }
    store_free(store);
    /* let the store's deferred callbacks run before the loop goes */
    event_base_loop(base, EVLOOP_NONBLOCK);
    event_base_free(base);
    menu_set_free(set);
    return rc;
}
