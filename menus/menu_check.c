/*
 * menu_check.c: checks over a whole loaded menu set, run by the loader once every
 * reference is resolved: loops of screens that never wait for input, screens no dial
 * string reaches, screens too long for a handset; and the small helpers the loader
 * uses for names and "did you mean" suggestions. See menu_check.h.
 */
#include "menu_check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gsm.h"
#include "strbuf.h"

int menu_name_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
        if (n >= MENU_NAME_MAX)
            return 0;
    }
    return n >= 1;
}

#define LEV_MAX 64

static size_t levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > LEV_MAX || lb > LEV_MAX)
        return SIZE_MAX;
    size_t row[LEV_MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *menu_closest(const char *word, const char *const *cands, size_t n)
{
    size_t len = strlen(word);
    /* about one edit in three characters: "lnad" -> "land", "optons" -> "options" */
    size_t maxd = (len + 2) / 3;
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        size_t cl = strlen(cands[i]);
        if ((cl > len ? cl - len : len - cl) > maxd)
            continue; /* too far apart in length alone */
        size_t d = levenshtein(word, cands[i]);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    if (best && bestd <= maxd && bestd < len)
        return best;
    /* a candidate that starts the word or that the word starts: "ending" -> "end" */
    for (size_t i = 0; i < n; i++) {
        size_t cl = cands[i] ? strlen(cands[i]) : 0;
        size_t k = cl < len ? cl : len;
        if (k >= 3 && strncmp(word, cands[i], k) == 0)
            return cands[i];
    }
    return NULL;
}

/* ---- the graph of screens ---------------------------------------------------------- */

#define MAX_TARGETS (2 * 64 + 2)

/* The screens s can go to (resolved indexes, MENU_NO_SCREEN skipped). */
static size_t targets(const struct menu_screen *s, int *out)
{
    size_t n = 0;
#define ADD(x)                                                                                 \
    do {                                                                                       \
        if ((x) >= 0 && n < MAX_TARGETS)                                                       \
            out[n++] = (x);                                                                    \
    } while (0)
    switch (s->kind) {
    case SCREEN_MENU:
        for (size_t i = 0; i < s->n_options; i++)
            ADD(s->options[i].next_idx);
        ADD(s->next_idx);
        break;
    case SCREEN_HANDLER:
        for (size_t i = 0; i < s->n_routes; i++)
            ADD(s->routes[i].next_idx);
        break;
    case SCREEN_ROUTER:
        for (size_t i = 0; i < s->n_conds; i++)
            ADD(s->conds[i].next_idx);
        ADD(s->default_idx);
        break;
    case SCREEN_INPUT:
    case SCREEN_LANGUAGE:
    case SCREEN_SMS:
        ADD(s->next_idx);
        break;
    case SCREEN_END:
        break;
    }
#undef ADD
    return n;
}

/* Screens that show nothing and pass straight on. */
static int passes_on(const struct menu_screen *s)
{
    return s->kind == SCREEN_HANDLER || s->kind == SCREEN_ROUTER || s->kind == SCREEN_SMS;
}

struct graph {
    const struct menu_set *set;
    const unsigned char *skip;
    int *index, *low, *comp, *stack, *parent, *queue;
    unsigned char *on;
    struct {
        int v;
        size_t i;
    } *frames;
};

static int in_loop_graph(const struct graph *g, int w)
{
    return w >= 0 && !g->skip[w] && passes_on(&g->set->screens[w]);
}

/* Report one cycle of the strongly connected component `id`, through its first screen
 * by name (the lowest index), found by a breadth-first search back to it. */
static void report_cycle(struct graph *g, int start, int id, struct diags *d)
{
    const struct menu_set *set = g->set;
    int t[MAX_TARGETS];
    size_t qh = 0, qt = 0;
    int last = -1;
    g->parent[start] = -1;
    g->queue[qt++] = start;
    for (size_t i = 0; i < set->n_screens; i++)
        if (g->comp[i] == id && (int)i != start)
            g->parent[i] = -2; /* not seen */
    while (qh < qt && last < 0) {
        int u = g->queue[qh++];
        size_t n = targets(&set->screens[u], t);
        for (size_t k = 0; k < n; k++) {
            int w = t[k];
            if (!in_loop_graph(g, w) || g->comp[w] != id)
                continue;
            if (w == start) {
                last = u;
                break;
            }
            if (g->parent[w] == -2) {
                g->parent[w] = u;
                g->queue[qt++] = w;
            }
        }
    }
    if (last < 0)
        return;
    /* the path start .. last, read backwards through parent */
    size_t len = 0;
    for (int v = last; v >= 0; v = g->parent[v])
        g->queue[len++] = v;
    char buf[1024];
    struct strbuf b;
    strbuf_init(&b, buf, sizeof buf);
    for (size_t i = len; i-- > 0 && b.n < sizeof buf - 80;)
        strbuf_join(&b, set->screens[g->queue[i]].name, " -> ", (const char *)NULL);
    if (b.n >= sizeof buf - 80)
        strbuf_put(&b, "... -> ");
    strbuf_put(&b, set->screens[start].name);
    const struct menu_pos *p = &set->screens[start].pos;
    diag_add(d, DIAG_ERROR, p->file, p->line, p->col,
             "these screens loop without ever waiting for input: %s (handler, router and sms "
             "screens pass straight on)", buf);
}

/* Tarjan's strongly connected components over the screens that pass straight on,
 * without recursion. A component with a cycle is a loop that never waits. */
static void find_loops(struct graph *g, struct diags *d)
{
    const struct menu_set *set = g->set;
    size_t n = set->n_screens;
    int counter = 0, ncomp = 0;
    size_t sp = 0;
    int t[MAX_TARGETS];
    for (size_t i = 0; i < n; i++) {
        g->index[i] = -1;
        g->comp[i] = -1;
    }
    for (size_t r = 0; r < n; r++) {
        if (!in_loop_graph(g, (int)r) || g->index[r] >= 0)
            continue;
        size_t fp = 0;
        g->frames[fp].v = (int)r;
        g->frames[fp++].i = 0;
        g->index[r] = g->low[r] = counter++;
        g->stack[sp++] = (int)r;
        g->on[r] = 1;
        while (fp) {
            int v = g->frames[fp - 1].v;
            size_t nt = targets(&set->screens[v], t);
            if (g->frames[fp - 1].i < nt) {
                int w = t[g->frames[fp - 1].i++];
                if (!in_loop_graph(g, w))
                    continue;
                if (g->index[w] < 0) {
                    g->index[w] = g->low[w] = counter++;
                    g->stack[sp++] = w;
                    g->on[w] = 1;
                    g->frames[fp].v = w;
                    g->frames[fp++].i = 0;
                } else if (g->on[w] && g->index[w] < g->low[v]) {
                    g->low[v] = g->index[w];
                }
                continue;
            }
            if (g->low[v] == g->index[v]) {
                int id = ncomp++, size = 0, first = v, w;
                do {
                    w = g->stack[--sp];
                    g->on[w] = 0;
                    g->comp[w] = id;
                    if (w < first)
                        first = w;
                    size++;
                } while (w != v);
                int self = 0;
                for (size_t k = 0; k < nt; k++)
                    self |= t[k] == v;
                if (size > 1 || self)
                    report_cycle(g, first, id, d);
            }
            fp--;
            if (fp) {
                int u = g->frames[fp - 1].v;
                if (g->low[v] < g->low[u])
                    g->low[u] = g->low[v];
            }
        }
    }
}

static void find_unreachable(struct graph *g, struct diags *d)
{
    const struct menu_set *set = g->set;
    int t[MAX_TARGETS];
    size_t qh = 0, qt = 0;
    memset(g->on, 0, set->n_screens);
    for (size_t i = 0; i < set->n_dials; i++) {
        int s = set->dials[i].screen_idx;
        if (s >= 0 && !g->on[s]) {
            g->on[s] = 1;
            g->queue[qt++] = s;
        }
    }
    while (qh < qt) {
        int u = g->queue[qh++];
        size_t n = targets(&set->screens[u], t);
        for (size_t k = 0; k < n; k++)
            if (!g->on[t[k]]) {
                g->on[t[k]] = 1;
                g->queue[qt++] = t[k];
            }
    }
    for (size_t i = 0; i < set->n_screens; i++)
        if (!g->on[i] && !g->skip[i]) {
            const struct menu_pos *p = &set->screens[i].pos;
            diag_add(d, DIAG_WARNING, p->file, p->line, p->col,
                     "screen '%.100s' cannot be reached from any dial string", set->screens[i].name);
        }
}

void menu_check_graph(const struct menu_set *set, const unsigned char *skip, int check_reach,
                      struct diags *d)
{
    size_t n = set->n_screens;
    if (!n)
        return;
    struct graph g = {.set = set, .skip = skip};
    g.index = malloc(n * sizeof *g.index);
    g.low = malloc(n * sizeof *g.low);
    g.comp = malloc(n * sizeof *g.comp);
    g.stack = malloc(n * sizeof *g.stack);
    g.parent = malloc(n * sizeof *g.parent);
    g.queue = malloc(n * sizeof *g.queue);
    g.on = calloc(n, 1);
    g.frames = malloc(n * sizeof *g.frames);
    if (g.index && g.low && g.comp && g.stack && g.parent && g.queue && g.on && g.frames) {
        find_loops(&g, d);
        if (check_reach)
            find_unreachable(&g, d);
    } else {
        diag_add(d, DIAG_ERROR, set->screens[0].pos.file, 1, 1,
                 "out of memory while checking the menus");
    }
    free(g.index);
    free(g.low);
    free(g.comp);
    free(g.stack);
    free(g.parent);
    free(g.queue);
    free(g.on);
    free(g.frames);
}

/* ---- screen lengths ---------------------------------------------------------------- */

/* What a piece of screen costs. Costs add up: a screen is the sum of its pieces, and it
 * needs UCS2 when any piece does. So each text is measured once, whatever its size. */
struct cost {
    size_t septets, units;
    int ucs2;
};

static void cost_add(struct cost *c, const char *s, size_t n)
{
    struct gsm_len l;
    gsm_measure(s, n, &l);
    c->septets += l.septets;
    c->units += l.ucs2_units;
    c->ucs2 |= l.ucs2;
}

static void cost_str(struct cost *c, const char *s)
{
    cost_add(c, s, strlen(s));
}

static struct cost cost_sum(struct cost a, struct cost b)
{
    return (struct cost){a.septets + b.septets, a.units + b.units, a.ucs2 | b.ucs2};
}

/* The fixed part of a template: variables left out, "{{" and "}}" as single braces, a
 * "{" with no closing brace as is (like template_expand). */
static struct cost cost_fixed(const char *t)
{
    struct cost c = {0, 0, 0};
    const char *last_close = strrchr(t, '}');
    while (*t) {
        size_t run = strcspn(t, "{}");
        cost_add(&c, t, run);
        t += run;
        if (!*t)
            break;
        if (t[1] == t[0]) { /* "{{" or "}}" */
            cost_add(&c, t, 1);
            t += 2;
        } else if (t[0] == '{' && last_close && t < last_close) {
            t = strchr(t, '}') + 1; /* a variable: not fixed */
        } else {
            cost_add(&c, t, 1);
            t++;
        }
    }
    return c;
}

struct fit {
    const struct menu_set *set;
    const struct menu_load_opts *o;
    struct diags *d;
};

/* Report when cost c does not fit a screen. Returns 1 when it does not. */
static int fit_check(struct fit *f, struct cost c, const struct menu_pos *p,
                     const struct menu_screen *s, int lang, const char *what)
{
    if (c.ucs2 ? c.units <= (size_t)f->o->screen_limit_ucs2
               : c.septets <= (size_t)f->o->screen_limit_gsm)
        return 0;
    if (c.ucs2)
        diag_add(f->d, DIAG_ERROR, p->file, p->line, p->col,
                 "screen '%.100s' is too long in '%s': %s take %zu characters in UCS2 (needed "
                 "for a character outside the GSM 7-bit alphabet); a screen then holds %d",
                 s->name, f->set->langs[lang], what, c.units, f->o->screen_limit_ucs2);
    else
        diag_add(f->d, DIAG_ERROR, p->file, p->line, p->col,
                 "screen '%.100s' is too long in '%s': %s take %zu characters; a screen holds %d",
                 s->name, f->set->langs[lang], what, c.septets, f->o->screen_limit_gsm);
    return 1;
}

static int fits(const struct fit *f, struct cost c)
{
    return c.ucs2 ? c.units <= (size_t)f->o->screen_limit_ucs2
                  : c.septets <= (size_t)f->o->screen_limit_gsm;
}

static size_t cost_of(struct cost c)
{
    return c.ucs2 ? c.units : c.septets;
}

static struct cost text_cost(const struct fit *f, const struct menu_text *t, int lang)
{
    return cost_fixed(menu_text_get(f->set, t, lang));
}

/* "\n0 Back  00 Home" and, with more, "  98 More", in the language's words. */
static struct cost nav_cost(const struct fit *f, int lang, int more)
{
    struct cost c = {0, 0, 0};
    cost_str(&c, "\n0 ");
    cost_str(&c, menu_msg(f->set, MENU_MSG_BACK, lang));
    cost_str(&c, "  00 ");
    cost_str(&c, menu_msg(f->set, MENU_MSG_HOME, lang));
    if (more) {
        cost_str(&c, "  98 ");
        cost_str(&c, menu_msg(f->set, MENU_MSG_MORE, lang));
    }
    return c;
}

static void fit_menu(struct fit *f, const struct menu_screen *s, int lang)
{
    struct cost base = cost_sum(text_cost(f, &s->text, lang), nav_cost(f, lang, 1));
    if (s->source || !s->n_options) {
        fit_check(f, base, &s->text.pos, s, lang, "its text and the navigation line");
        return;
    }
    /* the text with each option alone ("\nN. label"): report the longest */
    struct cost worst = {0, 0, 0};
    size_t worst_i = 0;
    int bad = 0;
    for (size_t i = 0; i < s->n_options; i++) {
        char num[32];
        struct cost c = base;
        snprintf(num, sizeof num, "\n%zu. ", i + 1);
        cost_str(&c, num);
        c = cost_sum(c, text_cost(f, &s->options[i].label, lang));
        if (fits(f, c) || (bad && cost_of(c) <= cost_of(worst)))
            continue;
        worst = c;
        worst_i = i;
        bad = 1;
    }
    if (bad) {
        char what[96];
        snprintf(what, sizeof what, "its text, option %zu and the navigation line", worst_i + 1);
        fit_check(f, worst, &s->text.pos, s, lang, what);
    }
}

static void fit_input(struct fit *f, const struct menu_screen *s, int lang)
{
    struct cost text = text_cost(f, &s->text, lang);
    fit_check(f, cost_sum(text, nav_cost(f, lang, 0)), &s->text.pos, s, lang,
              "its text and the navigation line");
    for (size_t i = 0; i < s->n_validators; i++) {
        char what[64];
        struct cost c = text_cost(f, &s->validators[i].error, lang);
        cost_str(&c, "\n");
        snprintf(what, sizeof what, "the error of validator %zu and its text", i + 1);
        fit_check(f, cost_sum(c, text), &s->validators[i].error.pos, s, lang, what);
    }
}

static void fit_language(struct fit *f, const struct menu_screen *s, int lang)
{
    struct cost c = text_cost(f, &s->text, lang);
    for (size_t i = 0; i < f->set->n_langs; i++) {
        char num[32];
        snprintf(num, sizeof num, "\n%zu. ", i + 1);
        cost_str(&c, num);
        cost_str(&c, f->set->lang_names[i] ? f->set->lang_names[i] : f->set->langs[i]);
    }
    fit_check(f, c, &s->text.pos, s, lang, "its text and the list of languages");
}

void menu_check_fit(const struct menu_set *set, const unsigned char *skip,
                    const struct menu_load_opts *o, struct diags *d)
{
    struct fit f = {.set = set, .o = o, .d = d};
    for (size_t i = 0; i < set->n_screens; i++) {
        const struct menu_screen *s = &set->screens[i];
        if (skip[i])
            continue;
        for (size_t lang = 0; lang < set->n_langs; lang++) {
            switch (s->kind) {
            case SCREEN_MENU:
                fit_menu(&f, s, (int)lang);
                break;
            case SCREEN_INPUT:
                fit_input(&f, s, (int)lang);
                break;
            case SCREEN_LANGUAGE:
                fit_language(&f, s, (int)lang);
                break;
            default:
                break; /* end screens are paginated; the others show nothing */
            }
        }
    }
}

/* ---- SMS answers ------------------------------------------------------------------- */

size_t menu_sms_parts(size_t cost, int ucs2)
{
    size_t one = ucs2 ? 70 : 160, each = ucs2 ? 67 : 153;
    return cost <= one ? 1 : (cost + each - 1) / each;
}

/* Warn when a text's fixed part takes more than MENU_SMS_WARN_PARTS parts, in each
 * language that has its own text. */
static void sms_fit_text(const struct menu_set *set, const struct menu_text *t, const char *what,
                         struct diags *d)
{
    for (size_t lang = 0; lang < set->n_langs && lang < MENU_MAX_LANGS; lang++) {
        if (!t->s[lang])
            continue;
        struct cost c = cost_fixed(t->s[lang]);
        size_t n = c.ucs2 ? c.units : c.septets;
        size_t parts = menu_sms_parts(n, c.ucs2);
        if (parts <= MENU_SMS_WARN_PARTS)
            continue;
        diag_add(d, DIAG_WARNING, t->pos.file, t->pos.line, t->pos.col,
                 "%s takes %zu SMS parts in '%s' (%zu characters%s); keep an SMS answer to %d "
                 "parts at most (%zu characters in GSM 7-bit, %zu when a character needs UCS2)",
                 what, parts, set->langs[lang], n, c.ucs2 ? " in UCS2" : "", MENU_SMS_WARN_PARTS,
                 (size_t)153 * MENU_SMS_WARN_PARTS, (size_t)67 * MENU_SMS_WARN_PARTS);
    }
}

void menu_check_sms_fit(const struct menu_set *set, struct diags *d)
{
    char what[160];
    size_t no = 0; /* rules are numbered per file, as the loader's messages do */
    for (size_t i = 0; i < set->n_sms_rules; i++) {
        const struct menu_sms_rule *r = &set->sms_rules[i];
        no = i > 0 && r->pos.file == set->sms_rules[i - 1].pos.file ? no + 1 : 1;
        if (r->has_reply) {
            snprintf(what, sizeof what, "the reply of SMS rule %zu", no);
            sms_fit_text(set, &r->reply, what, d);
        }
        for (size_t j = 0; j < r->n_on; j++) {
            snprintf(what, sizeof what, "the reply for outcome '%.80s' of SMS rule %zu",
                     r->on[j].outcome, no);
            sms_fit_text(set, &r->on[j].text, what, d);
        }
    }
    if (set->has_sms_default)
        sms_fit_text(set, &set->sms_default, "sms_default", d);
}
