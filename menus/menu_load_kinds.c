/*
 * menu_load_kinds.c: what each kind of screen holds, read into its menu_screen: a
 * menu's options or source, an input's variable, validators and retries, a handler's
 * args and outcomes, a router's routes and conditions, the text (and next) of end,
 * language and sms screens. Every name of a screen to go to is recorded as a target
 * (menu_load_targets.c), resolved once every screen is known.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "menu_load_int.h"

/* Bounds, so that a hostile file cannot blow memory or time. */
#define LOAD_MAX_OPTIONS 64
#define LOAD_MAX_VALIDATORS 16
#define LOAD_MAX_ARGS 32
#define LOAD_MAX_ROUTES 64 /* router routes, handler outcomes */

/* The screen being read: its key and map in the file, and its kind for messages. */
struct sctx {
    struct menu_screen *sc;
    const struct ynode *key, *v;
    const char *kind; /* "menu" */
};

/* The value of a key the screen's kind requires, or NULL (reported). */
static const struct ynode *need(struct loader *L, const struct sctx *c, const char *key)
{
    const struct ynode *n = mload_map_get(c->v, key);
    if (!n)
        mload_err(L, c->key, "%s screen '%s' is missing the required key '%s'", c->kind,
                  c->sc->name, key);
    return n;
}

/* "'key' of screen 'name'" into buf. */
static const char *field(char *buf, size_t cap, const char *key, const struct menu_screen *sc)
{
    snprintf(buf, cap, "'%s' of screen '%.80s'", key, sc->name);
    return buf;
}

/* args: name -> template */
static void load_args(struct loader *L, struct menu_screen *sc, const struct ynode *n)
{
    if (n->type != Y_MAP) {
        mload_err(L, n, "'args' of screen '%s' must be a map of name to value, not %s", sc->name,
                  mload_tname(n));
        return;
    }
    mload_check_dups(L, n);
    size_t cnt = n->n / 2;
    if (cnt > LOAD_MAX_ARGS) {
        mload_err(L, n->kids[2 * LOAD_MAX_ARGS], "too many args: a screen can have at most %d",
                  LOAD_MAX_ARGS);
        cnt = LOAD_MAX_ARGS;
    }
    if (!(sc->args = mload_alloc(L, (cnt ? cnt : 1) * sizeof *sc->args)))
        return;
    char of[96], w[160];
    snprintf(of, sizeof of, "of screen '%.80s'", sc->name);
    for (size_t i = 0; i < cnt; i++)
        if (mload_arg(L, n->kids[2 * i], n->kids[2 * i + 1], of, &sc->args[sc->n_args], w,
                      sizeof w))
            sc->n_args++;
}

/* An item of a screen's list (an option, a validator, a route), for its messages. */
struct item {
    const struct ynode *n;
    const char *what; /* "option" */
    size_t no;        /* from 1 */
    const char *screen;
};

/* 1 when the item is a map, its keys checked; else reported: it must be a map with
 * `has` ("label and next"). */
static int item_map(struct loader *L, const struct item *it, const char *has,
                    const char *const *allowed, const char *where)
{
    if (it->n->type != Y_MAP) {
        mload_err(L, it->n, "%s %zu of screen '%s' must be a map with %s, not %s", it->what,
                  it->no, it->screen, has, mload_tname(it->n));
        return 0;
    }
    mload_check_dups(L, it->n);
    mload_check_keys(L, it->n, allowed, where, NULL);
    return 1;
}

/* The value of a key the item requires, or NULL (reported). */
static const struct ynode *item_need(struct loader *L, const struct item *it, const char *key)
{
    const struct ynode *v = mload_map_get(it->n, key);
    if (!v)
        mload_err(L, it->n, "%s %zu of screen '%s' is missing the required key '%s'", it->what,
                  it->no, it->screen, key);
    return v;
}

static const char *const option_keys[] = {"label", "next", "value", NULL};

static void load_options(struct loader *L, const struct sctx *c, const struct ynode *n)
{
    struct menu_screen *sc = c->sc;
    if (n->type != Y_SEQ) {
        mload_err(L, n, "'options' of screen '%s' must be a list of {label, next}, not %s",
                  sc->name, mload_tname(n));
        return;
    }
    if (n->n == 0) {
        mload_err(L, n, "'options' of screen '%s' is empty: give at least one option", sc->name);
        return;
    }
    size_t cnt = n->n;
    if (cnt > LOAD_MAX_OPTIONS) {
        mload_err(L, n->kids[LOAD_MAX_OPTIONS],
                  "too many options: a menu can have at most %d (for "
                  "long lists, use a 'source' handler)",
                  LOAD_MAX_OPTIONS);
        if (cnt >= 98)
            mload_err(L, n->kids[97], "option 98 would have the number 98, which is the More key; "
                                      "options must stay below the navigation keys 0, 00 and 98");
        cnt = LOAD_MAX_OPTIONS;
    }
    if (!(sc->options = mload_alloc(L, cnt * sizeof *sc->options)))
        return;
    sc->n_options = cnt;
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *o = n->kids[i];
        struct menu_option *op = &sc->options[i];
        op->next_idx = MENU_NO_SCREEN;
        op->pos = mload_pos(L, o);
        struct item it = {o, "option", i + 1, sc->name};
        if (!item_map(L, &it, "label and next", option_keys, "an option"))
            continue;
        char w[160];
        const struct ynode *lab = item_need(L, &it, "label"), *nx, *val = mload_map_get(o, "value");
        snprintf(w, sizeof w, "the label of option %zu of screen '%.80s'", i + 1, sc->name);
        if (lab)
            mload_get_text(L, lab, &op->label, w, 1);
        snprintf(w, sizeof w, "the next of option %zu of screen '%.80s'", i + 1, sc->name);
        if ((nx = item_need(L, &it, "next")))
            op->next = mload_get_target(L, nx, &op->next_idx, w);
        if (val) {
            snprintf(w, sizeof w, "the value of option %zu of screen '%.80s'", i + 1, sc->name);
            op->value = mload_get_str(L, val, w);
        }
    }
    /* two options showing the same label */
    for (size_t j = 1; j < cnt; j++)
        for (size_t i = 0; i < j; i++) {
            size_t li;
            for (li = 0; li < L->set->n_langs; li++) {
                const char *a = sc->options[i].label.s[li], *b = sc->options[j].label.s[li];
                if (a && b && strcmp(a, b) == 0)
                    break;
            }
            if (li < L->set->n_langs) {
                mload_err(L, n->kids[j],
                          "option %zu of screen '%s' has the same label as option %zu "
                          "('%s')",
                          j + 1, sc->name, i + 1, sc->options[j].label.s[li]);
                i = j; /* once per option */
            }
        }
}

static void load_menu(struct loader *L, const struct sctx *c)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *t = need(L, c, "text"), *opts = mload_map_get(c->v, "options"),
                       *src = mload_map_get(c->v, "source"), *nx = mload_map_get(c->v, "next"),
                       *args = mload_map_get(c->v, "args"), *var = mload_map_get(c->v, "var");
    char w[160];
    if (t)
        mload_get_text(L, t, &sc->text, field(w, sizeof w, "text", sc), 1);
    if (var)
        sc->var = mload_get_name(L, var, field(w, sizeof w, "var", sc));
    if (opts && src) {
        mload_err(L, src,
                  "menu screen '%s' has both 'options' and 'source': use 'options' for a fixed "
                  "list or 'source' for options from a handler, not both",
                  sc->name);
        return;
    }
    if (!opts && !src) {
        mload_err(L, c->key,
                  "menu screen '%s' needs 'options' (a fixed list) or 'source' (a handler "
                  "that lists them)",
                  sc->name);
        return;
    }
    if (opts) {
        load_options(L, c, opts);
        if (nx)
            mload_err(L, nx, "menu screen '%s' has fixed options, so it cannot have 'next': each "
                             "option has its own 'next' (or use 'source')", sc->name);
        if (args)
            mload_err(L, args,
                      "menu screen '%s' has 'args' but no 'source': args are passed to the "
                      "source handler",
                      sc->name);
        return;
    }
    sc->source = mload_get_name(L, src, field(w, sizeof w, "source", sc));
    mload_check_handler(L, src, sc->source);
    sc->handler = sc->source;
    if (args)
        load_args(L, sc, args);
    if (!nx)
        mload_err(L, c->key, "menu screen '%s' has a 'source', so it needs 'next' (where an option "
                             "chosen from the list leads)", sc->name);
    else
        sc->next = mload_get_target(L, nx, &sc->next_idx, field(w, sizeof w, "next", sc));
}

static const char *const validator_keys[] = {"pattern", "error", NULL};

static void load_validators(struct loader *L, struct menu_screen *sc, const struct ynode *n)
{
    if (n->type != Y_SEQ) {
        mload_err(L, n, "'validate' of screen '%s' must be a list of {pattern, error}, not %s",
                  sc->name, mload_tname(n));
        return;
    }
    size_t cnt = n->n;
    if (cnt > LOAD_MAX_VALIDATORS) {
        mload_err(L, n->kids[LOAD_MAX_VALIDATORS],
                  "too many validators: a screen can have at most %d", LOAD_MAX_VALIDATORS);
        cnt = LOAD_MAX_VALIDATORS;
    }
    if (!cnt)
        return;
    if (!(sc->validators = mload_alloc(L, cnt * sizeof *sc->validators)))
        return;
    sc->n_validators = cnt;
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *v = n->kids[i];
        struct menu_validator *mv = &sc->validators[i];
        mv->pos = mload_pos(L, v);
        struct item it = {v, "validator", i + 1, sc->name};
        if (!item_map(L, &it, "pattern and error", validator_keys, "a validator"))
            continue;
        const struct ynode *p = item_need(L, &it, "pattern"), *e;
        char w[160];
        snprintf(w, sizeof w, "the pattern of validator %zu of screen '%.80s'", i + 1, sc->name);
        if (p && (mv->pattern = mload_get_str(L, p, w)))
            mv->re = mload_compile_re(L, p, mv->pattern, w, 0);
        snprintf(w, sizeof w, "the error of validator %zu of screen '%.80s'", i + 1, sc->name);
        if ((e = item_need(L, &it, "error")))
            mload_get_text(L, e, &mv->error, w, 1);
    }
}

static void load_input(struct loader *L, const struct sctx *c)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *t = need(L, c, "text"), *var = need(L, c, "var"),
                       *nx = need(L, c, "next"), *val = mload_map_get(c->v, "validate"),
                       *r = mload_map_get(c->v, "retries");
    char w[160];
    if (t)
        mload_get_text(L, t, &sc->text, field(w, sizeof w, "text", sc), 1);
    if (var)
        sc->var = mload_get_name(L, var, field(w, sizeof w, "var", sc));
    if (nx)
        sc->next = mload_get_target(L, nx, &sc->next_idx, field(w, sizeof w, "next", sc));
    if (val)
        load_validators(L, sc, val);
    sc->retries = 3;
    if (r) {
        int ok = r->type == Y_SCALAR && r->len >= 1 && r->len <= 2, v = 0;
        for (size_t i = 0; ok && i < r->len; i++) {
            ok = r->s[i] >= '0' && r->s[i] <= '9';
            v = v * 10 + (r->s[i] - '0');
        }
        if (!ok || v < 1 || v > 10)
            mload_err(L, r, "%s must be a whole number from 1 to 10, not %s%s%s",
                      field(w, sizeof w, "retries", sc),
                      r->type == Y_SCALAR ? "'" : "", r->type == Y_SCALAR ? r->s : mload_tname(r),
                      r->type == Y_SCALAR ? "'" : "");
        else
            sc->retries = v;
    }
}

static void load_handler(struct loader *L, const struct sctx *c)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *h = need(L, c, "handler"), *on = need(L, c, "on"),
                       *args = mload_map_get(c->v, "args");
    char w[160];
    if (h) {
        sc->handler = mload_get_name(L, h, field(w, sizeof w, "handler", sc));
        mload_check_handler(L, h, sc->handler);
    }
    if (args)
        load_args(L, sc, args);
    if (!on)
        return;
    if (on->type != Y_MAP) {
        mload_err(L, on, "'on' of screen '%s' must be a map of outcome to screen, like {ok: done, "
                         "error: sorry}, not %s", sc->name, mload_tname(on));
        return;
    }
    if (on->n == 0) {
        mload_err(L, on, "'on' of screen '%s' is empty: route at least the outcome 'ok'", sc->name);
        return;
    }
    mload_check_dups(L, on);
    size_t cnt = on->n / 2;
    if (cnt > LOAD_MAX_ROUTES) {
        mload_err(L, on->kids[2 * LOAD_MAX_ROUTES],
                  "too many outcomes: a handler screen can route at "
                  "most %d",
                  LOAD_MAX_ROUTES);
        cnt = LOAD_MAX_ROUTES;
    }
    if (!(sc->routes = mload_alloc(L, cnt * sizeof *sc->routes)))
        return;
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *k = on->kids[2 * i], *v = on->kids[2 * i + 1];
        const char *out = mload_get_name(L, k, field(w, sizeof w, "on", sc));
        if (!out)
            continue;
        struct menu_route *rt = &sc->routes[sc->n_routes++];
        rt->pos = mload_pos(L, k);
        rt->outcome = out;
        snprintf(w, sizeof w, "the screen for outcome '%s' of screen '%.80s'", out, sc->name);
        rt->next = mload_get_target(L, v, &rt->next_idx, w);
    }
}

static const char *const route_keys[] = {"if", "next", NULL};
static const char *const cond_keys[] = {"var", "equals", "matches", "exists", NULL};

static void load_cond(struct loader *L, struct menu_screen *sc, size_t i,
                      const struct ynode *n, struct menu_cond *k)
{
    if (n->type != Y_MAP) {
        mload_err(L, n,
                  "the if of route %zu of screen '%s' must be a map like {var: x, equals: y}, "
                  "not %s",
                  i + 1, sc->name, mload_tname(n));
        return;
    }
    mload_check_dups(L, n);
    mload_check_keys(L, n, cond_keys, "a route condition", NULL);
    const struct ynode *var = mload_map_get(n, "var"), *ops[3] = {mload_map_get(n, "equals"),
                                                           mload_map_get(n, "matches"),
                                                           mload_map_get(n, "exists")};
    static const char *const opn[3] = {"equals", "matches", "exists"};
    if (!var)
        mload_err(L, n, "the condition of route %zu of screen '%s' has no 'var' (the variable it "
                        "tests)", i + 1, sc->name);
    else
        k->var = mload_get_name(L, var, "the var of a route condition");
    int cnt = !!ops[0] + !!ops[1] + !!ops[2];
    if (cnt == 0) {
        mload_err(L, n,
                  "the condition of route %zu of screen '%s' needs one of 'equals', 'matches' "
                  "or 'exists'",
                  i + 1, sc->name);
        return;
    }
    if (cnt > 1) {
        int a = ops[0] ? 0 : 1, b = ops[2] ? 2 : 1;
        mload_err(L, ops[b],
                  "the condition of route %zu of screen '%s' has both '%s' and '%s': give "
                  "exactly one of equals, matches, exists",
                  i + 1, sc->name, opn[a], opn[b]);
        return;
    }
    char w[160];
    if (ops[0]) {
        k->op = COND_EQUALS;
        snprintf(w, sizeof w, "'equals' of route %zu of screen '%.80s'", i + 1, sc->name);
        if (mload_is_null(ops[0]))
            mload_err(L, ops[0], "%s has no value (write \"\" for an empty value)", w);
        else
            k->operand = mload_get_str(L, ops[0], w);
    } else if (ops[1]) {
        k->op = COND_MATCHES;
        snprintf(w, sizeof w, "the pattern of route %zu of screen '%.80s'", i + 1, sc->name);
        if ((k->operand = mload_get_str(L, ops[1], w)))
            k->re = mload_compile_re(L, ops[1], k->operand, w, 0);
    } else {
        k->op = COND_EXISTS;
        const struct ynode *e = ops[2];
        if (e->type == Y_SCALAR && strcasecmp(e->s, "true") == 0)
            k->operand = "true";
        else if (e->type == Y_SCALAR && strcasecmp(e->s, "false") == 0)
            k->operand = "false";
        else
            mload_err(L, e,
                      "'exists' of route %zu of screen '%s' must be true or false, not %s%s%s",
                      i + 1, sc->name, e->type == Y_SCALAR ? "'" : "",
                      e->type == Y_SCALAR ? e->s : mload_tname(e), e->type == Y_SCALAR ? "'" : "");
    }
}

static void load_router(struct loader *L, const struct sctx *c)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *routes = need(L, c, "routes"), *def = need(L, c, "default");
    char w[160];
    if (def)
        sc->default_next =
            mload_get_target(L, def, &sc->default_idx, field(w, sizeof w, "default", sc));
    if (!routes)
        return;
    if (routes->type != Y_SEQ) {
        mload_err(L, routes, "'routes' of screen '%s' must be a list of {if, next}, not %s",
                  sc->name, mload_tname(routes));
        return;
    }
    size_t cnt = routes->n;
    if (cnt > LOAD_MAX_ROUTES) {
        mload_err(L, routes->kids[LOAD_MAX_ROUTES], "too many routes: a router can have at most %d",
                  LOAD_MAX_ROUTES);
        cnt = LOAD_MAX_ROUTES;
    }
    if (!cnt) {
        mload_err(L, routes, "'routes' of screen '%s' is empty: give at least one {if, next}",
                  sc->name);
        return;
    }
    if (!(sc->conds = mload_alloc(L, cnt * sizeof *sc->conds)))
        return;
    sc->n_conds = cnt;
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *r = routes->kids[i];
        struct menu_cond *k = &sc->conds[i];
        k->next_idx = MENU_NO_SCREEN;
        k->pos = mload_pos(L, r);
        struct item it = {r, "route", i + 1, sc->name};
        if (!item_map(L, &it, "if and next", route_keys, "a route"))
            continue;
        const struct ynode *cond = item_need(L, &it, "if"), *nx;
        if (cond)
            load_cond(L, sc, i, cond, k);
        snprintf(w, sizeof w, "the next of route %zu of screen '%.80s'", i + 1, sc->name);
        if ((nx = item_need(L, &it, "next")))
            k->next = mload_get_target(L, nx, &k->next_idx, w);
    }
}

static void load_text_next(struct loader *L, const struct sctx *c, int with_next)
{
    struct menu_screen *sc = c->sc;
    const struct ynode *t = need(L, c, "text");
    char w[160];
    if (t)
        mload_get_text(L, t, &sc->text, field(w, sizeof w, "text", sc), 1);
    if (with_next) {
        const struct ynode *nx = need(L, c, "next");
        if (nx)
            sc->next = mload_get_target(L, nx, &sc->next_idx, field(w, sizeof w, "next", sc));
    }
}

static void load_sms(struct loader *L, const struct sctx *c)
{
    struct menu_screen *sc = c->sc;
    load_text_next(L, c, 1);
    const struct ynode *to = mload_map_get(c->v, "to");
    sc->to = "{msisdn}";
    char w[160];
    if (to && (sc->to = mload_get_str(L, to, field(w, sizeof w, "to", sc))))
        mload_check_template(L, to, sc->to);
}

/* The keys a screen of each kind may have, in the order of enum screen_kind. */
static const char *const keys_menu[] = {"kind", "text", "options", "source",
                                        "args", "var",  "next",    NULL};
static const char *const keys_input[] = {"kind", "text", "var", "next", "validate", "retries",
                                         NULL};
static const char *const keys_handler[] = {"kind", "handler", "args", "on", NULL};
static const char *const keys_router[] = {"kind", "routes", "default", NULL};
static const char *const keys_end[] = {"kind", "text", NULL};
static const char *const keys_language[] = {"kind", "text", "next", NULL};
static const char *const keys_sms[] = {"kind", "text", "to", "next", NULL};
static const char *const screen_keys[] = {"kind",     "text",    "options", "source", "args",
                                          "var",      "next",    "validate", "retries", "handler",
                                          "on",       "routes",  "default", "to",      NULL};
static const char *const *const kind_keys[] = {keys_menu, keys_input,    keys_handler, keys_router,
                                               keys_end,  keys_language, keys_sms};

void mload_screen_body(struct loader *L, struct menu_screen *sc, const struct ynode *key,
                       const struct ynode *v)
{
    const char *kind = menu_kind_name(sc->kind);
    char where[32];
    snprintf(where, sizeof where, "%s %s screen", strchr("aeiou", kind[0]) ? "an" : "a", kind);
    mload_check_keys(L, v, kind_keys[sc->kind], where, screen_keys);
    struct sctx c = {sc, key, v, kind};
    switch (sc->kind) {
    case SCREEN_MENU:
        load_menu(L, &c);
        break;
    case SCREEN_INPUT:
        load_input(L, &c);
        break;
    case SCREEN_HANDLER:
        load_handler(L, &c);
        break;
    case SCREEN_ROUTER:
        load_router(L, &c);
        break;
    case SCREEN_END:
        load_text_next(L, &c, 0);
        break;
    case SCREEN_LANGUAGE:
        load_text_next(L, &c, 1);
        break;
    case SCREEN_SMS:
        load_sms(L, &c);
        break;
    }
}
