/*
 * engine.c: the menu engine; see engine.h. Each function moves the session from the
 * screen it waits on to the next screen that waits (or ends), passing through handler,
 * router and sms screens, and renders what the phone shows.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "strbuf.h"
#include "template.h"

void engine_cfg_default(struct engine_cfg *c)
{
    c->lim.gsm = 182;
    c->lim.ucs2 = 80;
    c->key_back = "0";
    c->key_home = "00";
    c->key_more = "98";
    c->menu_retries = 3;
    c->max_hops = 32;
}

struct ctx {
    const struct menu_set *set;
    const struct engine_cfg *cfg;
    struct session *s;
    struct engine_out *out;
    int lang;
    size_t npages; /* pages of the screen show() rendered last */
};


/* snprintf(dst, size, "%s", src) without printf (a step copies a dozen strings). */
static void scopy(char *dst, size_t size, const char *src)
{
    size_t l = strnlen(src, size - 1);
    memcpy(dst, src, l);
    dst[l] = 0;
}

static void enter(struct ctx *c, int idx);

static const char *lookup(void *arg, const char *name)
{
    const struct session *s = arg;
    if (strcmp(name, "msisdn") == 0)
        return s->msisdn;
    if (strcmp(name, "lang") == 0)
        return s->lang;
    if (strcmp(name, "dial") == 0)
        return s->dial;
    return session_get(s, name);
}

static void ctx_init(struct ctx *c, const struct menu_set *set, const struct engine_cfg *cfg,
                     struct session *s, struct engine_out *out)
{
    c->set = set;
    c->cfg = cfg;
    c->s = s;
    c->out = out;
    c->lang = menu_find_lang(set, s->lang);
    if (c->lang < 0)
        c->lang = set->default_lang;
    c->npages = 1;
}

static void out_reset(struct engine_out *o)
{
    o->status = ENGINE_SHOW;
    o->end = 0;
    o->text[0] = 0;
    o->handler = NULL;
    o->n_args = 0;
    o->call_screen = MENU_NO_SCREEN;
}

static const char *txt(struct ctx *c, const struct menu_text *t)
{
    return menu_text_get(c->set, t, c->lang);
}

static const char *msg(struct ctx *c, enum menu_msg m)
{
    return menu_msg(c->set, m, c->lang);
}

static void expand(struct ctx *c, const char *tpl, char *buf, size_t cap)
{
    template_expand(tpl, lookup, c->s, buf, cap);
}

static void nav_init(struct ctx *c, struct render_nav *nav)
{
    nav->back_key = c->cfg->key_back;
    nav->home_key = c->cfg->key_home;
    nav->more_key = c->cfg->key_more;
    nav->back_label = msg(c, MENU_MSG_BACK);
    nav->home_label = msg(c, MENU_MSG_HOME);
    nav->more_label = msg(c, MENU_MSG_MORE);
    nav->back = c->s->n_hist > 0;
    nav->home = c->s->n_hist > 1;
    nav->final = 0;
}

/* The final screen: text (already expanded) ends the dialog. Used for the engine's
 * own short messages; an `end` screen paginates through show() instead. */
static void finish(struct ctx *c, const char *text)
{
    scopy(c->out->text, sizeof c->out->text, text);
    render_truncate(c->out->text, &c->cfg->lim);
    c->out->status = ENGINE_SHOW;
    c->out->end = 1;
    c->s->state = SESSION_ENDED;
}

static void finish_msg(struct ctx *c, enum menu_msg m)
{
    finish(c, msg(c, m));
}

/* Labels of the menu on show: static options, source items, languages or the resume
 * offer. Returns the count. */
static size_t menu_labels(struct ctx *c, const struct menu_screen *sc, const char **labels)
{
    size_t n = 0;
    if (c->s->state == SESSION_RESUME_OFFER) {
        labels[n++] = msg(c, MENU_MSG_RESUME_YES);
        labels[n++] = msg(c, MENU_MSG_RESUME_NO);
    } else if (sc->kind == SCREEN_LANGUAGE) {
        for (; n < c->set->n_langs; n++)
            labels[n] = c->set->lang_names[n];
    } else if (sc->source) {
        for (; n < c->s->n_items; n++)
            labels[n] = c->s->items[n].label;
    } else {
        for (; n < sc->n_options && n < SESSION_MAX_ITEMS; n++)
            labels[n] = txt(c, &sc->options[n].label);
    }
    return n;
}

/* Render the screen the session waits on, at its page. */
static void show(struct ctx *c)
{
    struct session *s = c->s;
    int idx = menu_find_screen(c->set, s->screen);
    if (idx < 0) {
        finish_msg(c, MENU_MSG_ERROR);
        return;
    }
    const struct menu_screen *sc = &c->set->screens[idx];
    char body[ENGINE_TEXT_MAX * 2], head[ENGINE_TEXT_MAX * 2 + SESSION_VAR_VAL_MAX + 2];
    struct render_nav nav;
    size_t npages = 1, first, count;
    nav_init(c, &nav);
    c->out->status = ENGINE_SHOW;
    c->out->end = 0;

    if (s->state == SESSION_RESUME_OFFER)
        scopy(body, sizeof body, msg(c, MENU_MSG_RESUME));
    else
        expand(c, txt(c, &sc->text), body, sizeof body);
    if (s->error[0])
        strbuf_cat(head, sizeof head, s->error, "\n", body, (const char *)NULL);
    else
        scopy(head, sizeof head, body);

    if (s->state == SESSION_RESUME_OFFER || sc->kind == SCREEN_MENU ||
        sc->kind == SCREEN_LANGUAGE) {
        const char *labels[SESSION_MAX_ITEMS > MENU_MAX_LANGS ? SESSION_MAX_ITEMS : MENU_MAX_LANGS];
        size_t n = menu_labels(c, sc, labels);
        if (s->state == SESSION_RESUME_OFFER)
            nav.back = nav.home = 0;
        render_menu(head, labels, n, s->page, &nav, &c->cfg->lim, c->out->text,
                    sizeof c->out->text, &npages, &first, &count);
    } else if (sc->kind == SCREEN_END) {
        nav.back = nav.home = 0;
        nav.final = 1;
        render_text(head, s->page, &nav, &c->cfg->lim, c->out->text, sizeof c->out->text,
                    &npages);
        if (s->page + 1u >= npages) {
            c->out->end = 1;
            s->state = SESSION_ENDED;
        }
    } else {
        render_text(head, s->page, &nav, &c->cfg->lim, c->out->text, sizeof c->out->text,
                    &npages);
    }
    if (s->page >= npages)
        s->page = 0;
    c->npages = npages;
}

/* Wait on screen idx: it is now the one the session shows. */
static void wait_on(struct ctx *c, int idx)
{
    struct session *s = c->s;
    scopy(s->screen, sizeof s->screen, c->set->screens[idx].name);
    s->page = 0;
    s->retries = 0;
    s->error[0] = 0;
    show(c);
}

static void call(struct ctx *c, int idx, const char *handler)
{
    const struct menu_screen *sc = &c->set->screens[idx];
    struct engine_out *o = c->out;
    size_t used = 0;
    o->status = ENGINE_CALL;
    o->handler = handler;
    o->call_screen = idx;
    o->n_args = 0;
    for (size_t i = 0; i < sc->n_args && o->n_args < ENGINE_MAX_ARGS; i++) {
        if (used >= sizeof o->argbuf)
            break;
        char *v = o->argbuf + used;
        size_t l = template_expand(sc->args[i].value, lookup, c->s, v, sizeof o->argbuf - used);
        used += l + 1;
        o->args[o->n_args].key = sc->args[i].key;
        o->args[o->n_args].value = v;
        o->n_args++;
    }
}

static int cond_holds(struct ctx *c, const struct menu_cond *k)
{
    const char *v = lookup(c->s, k->var);
    switch (k->op) {
    case COND_EQUALS:
        return v && strcmp(v, k->operand) == 0;
    case COND_EXISTS: {
        int set = v && *v;
        return strcmp(k->operand, "false") == 0 ? !set : set;
    }
    case COND_MATCHES: {
        if (!v || !k->re)
            return 0;
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        if (!md)
            return 0;
        int rc = pcre2_match((pcre2_code *)k->re, (PCRE2_SPTR)v, strlen(v), 0, 0, md, NULL);
        pcre2_match_data_free(md);
        return rc >= 0;
    }
    }
    return 0;
}

static void add_sms(struct ctx *c, const struct menu_screen *sc)
{
    struct engine_out *o = c->out;
    if (o->n_sms >= ENGINE_MAX_SMS)
        return;
    struct engine_sms *m = &o->sms[o->n_sms++];
    expand(c, sc->to ? sc->to : "{msisdn}", m->to, sizeof m->to);
    expand(c, txt(c, &sc->text), m->text, sizeof m->text);
}

/* Move to screen idx and on through the screens that do not wait. */
static void enter(struct ctx *c, int idx)
{
    for (;;) {
        if (idx < 0 || (size_t)idx >= c->set->n_screens || ++c->out->hops > c->cfg->max_hops) {
            finish_msg(c, MENU_MSG_ERROR);
            return;
        }
        const struct menu_screen *sc = &c->set->screens[idx];
        switch (sc->kind) {
        case SCREEN_MENU:
            c->s->n_items = 0;
            if (sc->source) {
                call(c, idx, sc->source);
                return;
            }
            wait_on(c, idx);
            return;
        case SCREEN_INPUT:
        case SCREEN_LANGUAGE:
        case SCREEN_END:
            wait_on(c, idx);
            return;
        case SCREEN_HANDLER:
            call(c, idx, sc->handler);
            return;
        case SCREEN_ROUTER: {
            int next = sc->default_idx;
            for (size_t i = 0; i < sc->n_conds; i++)
                if (cond_holds(c, &sc->conds[i])) {
                    next = sc->conds[i].next_idx;
                    break;
                }
            idx = next;
            continue;
        }
        case SCREEN_SMS:
            add_sms(c, sc);
            idx = sc->next_idx;
            continue;
        }
        finish_msg(c, MENU_MSG_ERROR);
        return;
    }
}

/* Leave the current screen for idx, remembering it for Back. */
static void go(struct ctx *c, int idx)
{
    /* arriving home by a menu's own route is going home: nothing to go back to */
    if (idx >= 0 && strcmp(c->set->screens[idx].name, c->s->home) == 0)
        c->s->n_hist = 0;
    else
        session_push(c->s, c->s->screen);
    enter(c, idx);
}

static void go_home(struct ctx *c)
{
    c->s->n_hist = 0;
    c->s->state = SESSION_ACTIVE;
    enter(c, menu_find_screen(c->set, c->s->home));
}

/* A choice 1..n, or 0 when the input is not one. */
static size_t choice(const char *in, size_t n)
{
    char *end;
    if (!*in || *in < '0' || *in > '9')
        return 0;
    unsigned long v = strtoul(in, &end, 10);
    while (*end == ' ')
        end++;
    return *end || v < 1 || v > n ? 0 : v;
}

static void wrong(struct ctx *c, const char *error, int limit)
{
    struct session *s = c->s;
    if (++s->retries >= limit) {
        finish_msg(c, MENU_MSG_TOO_MANY_TRIES);
        return;
    }
    session_clean(s->error, sizeof s->error, error);
    show(c);
}

static int validate(const struct menu_validator *v, const char *in)
{
    if (!v->re)
        return 1;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md)
        return 0;
    int rc = pcre2_match((pcre2_code *)v->re, (PCRE2_SPTR)in, strlen(in), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* Longest declared dial that `dial` extends with answers: "*123*1*2#" -> "*123#",
 * chain "1*2". */
static const struct menu_dial *find_dial(const struct menu_set *set, const char *dial,
                                         char *chain, size_t chainsize)
{
    const struct menu_dial *d = menu_find_dial(set, dial);
    chain[0] = 0;
    if (d)
        return d;
    size_t len = strlen(dial);
    if (len < 3 || dial[len - 1] != '#' || len >= 64)
        return NULL;
    char buf[64];
    memcpy(buf, dial, len + 1);
    for (size_t cut = len - 1; cut > 1; cut--) {
        if (buf[cut] != '*')
            continue;
        char saved[64];
        memcpy(saved, buf, len + 1);
        buf[cut] = '#';
        buf[cut + 1] = 0;
        d = menu_find_dial(set, buf);
        memcpy(buf, saved, len + 1);
        if (d) {
            size_t cl = len - 1 - (cut + 1);
            if (cl > chainsize - 1)
                cl = chainsize - 1;
            memcpy(chain, dial + cut + 1, cl);
            chain[cl] = 0;
            return d;
        }
    }
    return NULL;
}

static int can_resume(const struct menu_set *set, const struct session *r, const char *dial)
{
    return r && r->state == SESSION_ACTIVE && r->screen[0] && strcmp(r->dial, dial) == 0 &&
           (r->n_hist > 0 || strcmp(r->screen, r->home) != 0) &&
           menu_find_screen(set, r->screen) >= 0 && menu_find_screen(set, r->home) >= 0;
}

void engine_out_init(struct engine_out *out)
{
    out_reset(out);
    out->n_sms = 0;
    out->lang_chosen = 0;
    out->chain[0] = 0;
    out->hops = 0;
}

void engine_begin(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                  const char *msisdn, const char *dial, const char *lang, uint32_t now,
                  const char *step_id, const struct session *resume, struct engine_out *out)
{
    struct ctx c;
    uint32_t version = s->version;
    out_reset(out);
    out->hops = 0;
    out->chain[0] = 0;
    session_init(s, msisdn, dial, NULL, set->version, now);
    s->version = version;
    if (lang && menu_find_lang(set, lang) >= 0)
        scopy(s->lang, sizeof s->lang, lang);
    else
        scopy(s->lang, sizeof s->lang, set->langs[set->default_lang]);
    if (step_id)
        session_clean(s->last_step, sizeof s->last_step, step_id);
    ctx_init(&c, set, cfg, s, out);

    char chain[SESSION_MSISDN_MAX];
    const struct menu_dial *d = find_dial(set, s->dial, chain, sizeof chain);
    if (!d) {
        finish_msg(&c, MENU_MSG_UNKNOWN_CODE);
        return;
    }
    scopy(s->home, sizeof s->home, d->screen);
    if (!chain[0] && can_resume(set, resume, s->dial)) {
        /* carry the cut dialog over, keeping this session's identity */
        char step[SESSION_STEP_MAX];
        scopy(step, sizeof step, s->last_step);
        *s = *resume;
        s->version = version;
        s->started = now;
        s->steps = 0;
        s->state = SESSION_RESUME_OFFER;
        s->page = 0;
        s->error[0] = 0; /* the cut dialog's last validator error is no news now */
        scopy(s->last_step, sizeof s->last_step, step);
        scopy(s->msisdn, sizeof s->msisdn, msisdn);
        ctx_init(&c, set, cfg, s, out);
        show(&c);
        return;
    }
    scopy(out->chain, sizeof out->chain, chain);
    enter(&c, d->screen_idx);
}

/* The answer to "Continue where you left off?": 1 goes on, 2 starts again. */
static void answer_resume(struct ctx *c, const char *in)
{
    struct session *s = c->s;
    size_t ch = choice(in, 2);
    if (ch == 1) {
        s->state = SESSION_ACTIVE;
        s->error[0] = 0;
        s->retries = 0;
        show(c);
    } else if (ch == 2) {
        s->n_vars = 0;
        s->n_items = 0;
        s->error[0] = 0;
        s->retries = 0;
        go_home(c);
    } else {
        /* like any menu: say what went wrong, and end after too many tries */
        wrong(c, msg(c, MENU_MSG_INVALID_CHOICE), c->cfg->menu_retries);
    }
}

/* The built-in keys: Back, Home and More. 1 when the input was one of them and is
 * answered. */
static int navigate(struct ctx *c, const struct menu_screen *sc, const char *in)
{
    struct session *s = c->s;
    const struct engine_cfg *cfg = c->cfg;
    if (strcmp(in, cfg->key_back) == 0) {
        char prev[SESSION_NAME_MAX];
        s->error[0] = 0;
        if (s->page > 0) {
            s->page--;
            show(c);
        } else if (session_pop(s, prev, sizeof prev) == 0) {
            enter(c, menu_find_screen(c->set, prev));
        } else {
            show(c);
        }
        return 1;
    }
    if (strcmp(in, cfg->key_home) == 0) {
        go_home(c);
        return 1;
    }
    if (strcmp(in, cfg->key_more) == 0) {
        show(c); /* learns how many pages the screen has */
        if (s->page + 1u < c->npages) {
            s->page++;
            s->error[0] = 0;
            show(c);
            return 1;
        }
        if (sc->kind != SCREEN_INPUT) {
            wrong(c, msg(c, MENU_MSG_INVALID_CHOICE), cfg->menu_retries);
            return 1;
        }
        /* on an input screen with no further page, "98" is an answer */
    }
    return 0;
}

/* A choice on a menu: its value into the menu's variable, then its next screen. */
static void answer_menu(struct ctx *c, const struct menu_screen *sc, const char *in)
{
    struct session *s = c->s;
    size_t n = sc->source ? s->n_items : sc->n_options;
    size_t ch = choice(in, n);
    if (!ch) {
        wrong(c, msg(c, MENU_MSG_INVALID_CHOICE), c->cfg->menu_retries);
        return;
    }
    int next;
    if (sc->source) {
        if (sc->var)
            session_set(s, sc->var, s->items[ch - 1].value);
        next = sc->next_idx;
    } else {
        const struct menu_option *o = &sc->options[ch - 1];
        if (sc->var)
            session_set(s, sc->var, o->value ? o->value : txt(c, &o->label));
        next = o->next_idx;
    }
    go(c, next);
}

static void answer_language(struct ctx *c, const struct menu_screen *sc, const char *in)
{
    size_t ch = choice(in, c->set->n_langs);
    if (!ch) {
        wrong(c, msg(c, MENU_MSG_INVALID_CHOICE), c->cfg->menu_retries);
        return;
    }
    scopy(c->s->lang, sizeof c->s->lang, c->set->langs[ch - 1]);
    c->lang = (int)ch - 1;
    c->out->lang_chosen = 1;
    go(c, sc->next_idx);
}

/* An answer to an input screen: every validator must match, or its error is shown. */
static void answer_input(struct ctx *c, const struct menu_screen *sc, const char *in)
{
    for (size_t i = 0; i < sc->n_validators; i++)
        if (!validate(&sc->validators[i], in)) {
            char err[SESSION_VAR_VAL_MAX];
            expand(c, txt(c, &sc->validators[i].error), err, sizeof err);
            wrong(c, err, sc->retries > 0 ? sc->retries : 3);
            return;
        }
    session_set(c->s, sc->var, in);
    c->s->error[0] = 0;
    go(c, sc->next_idx);
}

/* The input cleaned, without the spaces keypads and some centres add around it. */
static const char *trim_input(char *in, size_t cap, const char *input)
{
    session_clean(in, cap, input ? input : "");
    char *p = in;
    while (*p == ' ')
        p++;
    size_t l = strlen(p);
    while (l && p[l - 1] == ' ')
        p[--l] = 0;
    return p;
}

void engine_input(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                  const char *input, const char *step_id, struct engine_out *out)
{
    struct ctx c;
    char in[SESSION_VAR_VAL_MAX];
    out_reset(out);
    out->hops = 0;
    if (s->state == SESSION_ENDED ||
        (step_id && *step_id && strcmp(step_id, s->last_step) == 0)) {
        out->status = ENGINE_DROP;
        return;
    }
    if (step_id)
        session_clean(s->last_step, sizeof s->last_step, step_id);
    s->steps++;
    ctx_init(&c, set, cfg, s, out);
    const char *p = trim_input(in, sizeof in, input);

    int idx = menu_find_screen(set, s->screen);
    if (idx < 0) {
        finish_msg(&c, MENU_MSG_ERROR);
        return;
    }
    const struct menu_screen *sc = &set->screens[idx];
    if (s->state == SESSION_RESUME_OFFER) {
        answer_resume(&c, p);
        return;
    }
    if (navigate(&c, sc, p))
        return;
    switch (sc->kind) {
    case SCREEN_MENU:
        answer_menu(&c, sc, p);
        return;
    case SCREEN_LANGUAGE:
        answer_language(&c, sc, p);
        return;
    case SCREEN_INPUT:
        answer_input(&c, sc, p);
        return;
    case SCREEN_END:
    default:
        /* a paginated final text takes only More and Back */
        show(&c);
        return;
    }
}

void engine_resume(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                   const struct handler_result *res, struct engine_out *out)
{
    struct ctx c;
    int idx = out->call_screen;
    out_reset(out);
    ctx_init(&c, set, cfg, s, out);
    if (idx < 0 || (size_t)idx >= set->n_screens) {
        finish_msg(&c, MENU_MSG_ERROR);
        return;
    }
    const struct menu_screen *sc = &set->screens[idx];
    for (size_t i = 0; i < res->n_set; i++)
        session_set(s, res->set[i].key, res->set[i].value);
    if (res->message)
        session_set(s, "message", res->message);

    if (sc->kind == SCREEN_MENU) {
        if (strcmp(res->outcome, "ok") != 0) {
            if (res->message)
                finish(&c, res->message);
            else
                finish_msg(&c, MENU_MSG_ERROR);
            return;
        }
        size_t n = res->n_items < SESSION_MAX_ITEMS ? res->n_items : SESSION_MAX_ITEMS;
        for (size_t i = 0; i < n; i++) {
            session_clean(s->items[i].label, sizeof s->items[i].label, res->items[i].label);
            session_clean(s->items[i].value, sizeof s->items[i].value,
                          res->items[i].value ? res->items[i].value : res->items[i].label);
        }
        scopy(s->screen, sizeof s->screen, sc->name);
        s->page = 0;
        s->retries = 0;
        s->error[0] = 0;
        s->n_items = (uint8_t)n;
        show(&c);
        return;
    }
    for (size_t i = 0; i < sc->n_routes; i++)
        if (strcmp(sc->routes[i].outcome, res->outcome) == 0) {
            enter(&c, sc->routes[i].next_idx);
            return;
        }
    if (res->message)
        finish(&c, res->message);
    else
        finish_msg(&c, MENU_MSG_ERROR);
}

void engine_show(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                 struct engine_out *out)
{
    struct ctx c;
    out_reset(out);
    ctx_init(&c, set, cfg, s, out);
    if (s->state == SESSION_ENDED) {
        out->status = ENGINE_DROP;
        return;
    }
    show(&c);
}

void engine_fail(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                 enum menu_msg m, struct engine_out *out)
{
    struct ctx c;
    out_reset(out);
    ctx_init(&c, set, cfg, s, out);
    finish_msg(&c, m);
}
