/*
 * try.c: `ussdgw try DIAL`: one dialog with the real engine, handlers and Redis, shown
 * on stdout exactly as a phone would show each screen, each followed by `[continue]` or
 * `[end]`; answers are read from stdin, one per line.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "dialog.h"
#include "log.h"

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

/* One step: 0, or -1 when the loop ended without its reply. */
static int step(struct dialog_env *env, struct app_conn *conn, struct dialog_req *req,
                struct try_state *t)
{
    memset(t, 0, sizeof *t);
    dialog_step(env, req, on_reply, t);
    app_conn_wait(conn, &t->done);
    return t->done ? 0 : -1;
}

int app_try(struct app_opts *o, const char *dial)
{
    struct config *cfg = &o->cfg;
    struct menu_set *set = app_load_menus(cfg->menus, cfg, 1);
    if (!set)
        return 1;
    struct app_conn conn;
    if (app_conn_open(&conn, cfg, "try", 0, 0)) {
        menu_set_free(set);
        return 1;
    }
    struct dialog_env env;
    dialog_env_init(&env, conn.base, conn.store, set, cfg);
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
        if (step(&env, &conn, &req, &t) < 0) {
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
    app_conn_close(&conn);
    menu_set_free(set);
    return rc;
}
