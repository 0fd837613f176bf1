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
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = len; i-- > 0 && k < sizeof buf - 80;) {
        int w = snprintf(buf + k, sizeof buf - k, "%s -> ", set->screens[g->queue[i]].name);
        if (w > 0)
            k += (size_t)w;
    }
    if (k >= sizeof buf - 80)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "... -> ");
    snprintf(buf + k, sizeof buf - k, "%s", set->screens[start].name);
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
                     "screen '%s' cannot be reached from any dial string", set->screens[i].name);
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

/* A growable string; on allocation failure it is marked bad and stays as it was. */
struct sbuf {
    char *p;
    size_t n, cap;
    int bad;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->bad)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->bad = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* The fixed part of a template: variables left out, "{{" and "}}" as single braces, a
 * "{" with no closing brace as is (like template_expand). */
static void sb_fixed(struct sbuf *b, const char *t)
{
    while (*t) {
        if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) {
            sb_add(b, t, 1);
            t += 2;
        } else if (t[0] == '{' && strchr(t, '}')) {
            t = strchr(t, '}') + 1;
        } else {
            sb_add(b, t, 1);
            t++;
        }
    }
}

struct fit {
    const struct menu_set *set;
    const struct menu_load_opts *o;
    struct diags *d;
    struct sbuf b;
};

/* Measure f->b; report when it does not fit. 0 when it fits (or could not be built). */
static int fit_check(struct fit *f, const struct menu_pos *p, const struct menu_screen *s, int lang,
                     const char *what)
{
    if (f->b.bad || gsm_fits(f->b.p ? f->b.p : "", f->b.n, f->o->screen_limit_gsm,
                             f->o->screen_limit_ucs2))
        return 0;
    struct gsm_len l;
    gsm_measure(f->b.p, f->b.n, &l);
    if (l.ucs2)
        diag_add(f->d, DIAG_ERROR, p->file, p->line, p->col,
                 "screen '%s' is too long in '%s': %s take %zu characters in UCS2 (needed for a "
                 "character outside the GSM 7-bit alphabet); a screen then holds %d",
                 s->name, f->set->langs[lang], what, l.ucs2_units, f->o->screen_limit_ucs2);
    else
        diag_add(f->d, DIAG_ERROR, p->file, p->line, p->col,
                 "screen '%s' is too long in '%s': %s take %zu characters; a screen holds %d",
                 s->name, f->set->langs[lang], what, l.septets, f->o->screen_limit_gsm);
    return 1;
}

static const char *txt(const struct fit *f, const struct menu_text *t, int lang)
{
    return menu_text_get(f->set, t, lang);
}

static void fit_nav(struct fit *f, int lang, int more)
{
    sb_str(&f->b, "\n0 ");
    sb_str(&f->b, menu_msg(f->set, MENU_MSG_BACK, lang));
    sb_str(&f->b, "  00 ");
    sb_str(&f->b, menu_msg(f->set, MENU_MSG_HOME, lang));
    if (more) {
        sb_str(&f->b, "  98 ");
        sb_str(&f->b, menu_msg(f->set, MENU_MSG_MORE, lang));
    }
}

static void fit_menu(struct fit *f, const struct menu_screen *s, int lang)
{
    if (s->source || !s->n_options) {
        f->b.n = 0;
        sb_fixed(&f->b, txt(f, &s->text, lang));
        fit_nav(f, lang, 1);
        fit_check(f, &s->text.pos, s, lang, "its text and the navigation line");
        return;
    }
    /* the text with each option alone: report the longest that does not fit */
    size_t worst = 0, worst_cost = 0;
    int bad = 0;
    for (size_t i = 0; i < s->n_options; i++) {
        char num[24];
        f->b.n = 0;
        sb_fixed(&f->b, txt(f, &s->text, lang));
        snprintf(num, sizeof num, "\n%zu. ", i + 1);
        sb_str(&f->b, num);
        sb_fixed(&f->b, txt(f, &s->options[i].label, lang));
        fit_nav(f, lang, 1);
        if (f->b.bad)
            return;
        if (gsm_fits(f->b.p, f->b.n, f->o->screen_limit_gsm, f->o->screen_limit_ucs2))
            continue;
        struct gsm_len l;
        gsm_measure(f->b.p, f->b.n, &l);
        if (!bad || gsm_cost(&l) > worst_cost) {
            worst = i;
            worst_cost = gsm_cost(&l);
        }
        bad = 1;
    }
    if (!bad)
        return;
    char num[24], what[96];
    f->b.n = 0;
    sb_fixed(&f->b, txt(f, &s->text, lang));
    snprintf(num, sizeof num, "\n%zu. ", worst + 1);
    sb_str(&f->b, num);
    sb_fixed(&f->b, txt(f, &s->options[worst].label, lang));
    fit_nav(f, lang, 1);
    snprintf(what, sizeof what, "its text, option %zu and the navigation line", worst + 1);
    fit_check(f, &s->text.pos, s, lang, what);
}

static void fit_input(struct fit *f, const struct menu_screen *s, int lang)
{
    f->b.n = 0;
    sb_fixed(&f->b, txt(f, &s->text, lang));
    fit_nav(f, lang, 0);
    fit_check(f, &s->text.pos, s, lang, "its text and the navigation line");
    for (size_t i = 0; i < s->n_validators; i++) {
        char what[64];
        f->b.n = 0;
        sb_fixed(&f->b, txt(f, &s->validators[i].error, lang));
        sb_str(&f->b, "\n");
        sb_fixed(&f->b, txt(f, &s->text, lang));
        snprintf(what, sizeof what, "the error of validator %zu and its text", i + 1);
        fit_check(f, &s->validators[i].error.pos, s, lang, what);
    }
}

static void fit_language(struct fit *f, const struct menu_screen *s, int lang)
{
    f->b.n = 0;
    sb_fixed(&f->b, txt(f, &s->text, lang));
    for (size_t i = 0; i < f->set->n_langs; i++) {
        char num[24];
        snprintf(num, sizeof num, "\n%zu. ", i + 1);
        sb_str(&f->b, num);
        sb_str(&f->b, f->set->lang_names[i] ? f->set->lang_names[i] : f->set->langs[i]);
    }
    fit_check(f, &s->text.pos, s, lang, "its text and the list of languages");
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
    free(f.b.p);
}
