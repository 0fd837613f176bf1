/*
 * render.c: screen layout and pagination of menus and long texts within the handset
 * limit. Costs are measured with gsm.h once per piece (a line, a word) and added up;
 * a page's cost is its pieces' septets, or their UCS2 units as soon as one piece needs
 * UCS2. Breaks are always computed from page 0, so page k is the same on every call.
 */
#include "render.h"

#include <string.h>

#include "gsm.h"

#define RENDER_NONE ((size_t)-1)
#define RENDER_CACHE 64 /* option costs kept on the stack; longer menus re-measure */
#define RENDER_DOTS "..."
#define RENDER_GALLOP 48 /* bytes of text measured at once while a page is far from full */

enum { RENDER_BACK = 1, RENDER_HOME = 2, RENDER_MORE = 4 };

/* What a piece of a page costs. `lines` is 0 for nothing at all (an absent nav line),
 * so adding it neither costs a separator nor counts. */
struct render_cost {
    size_t sept, units;
    int ucs2;
    size_t lines;
};

/* The navigation items, measured once per call. */
struct render_bar {
    const char *key[3], *label[3];
    size_t key_len[3], label_len[3];
    struct render_cost item[3]; /* lines == 0: the item is empty and never shown */
};

/* Bounded output: always NUL-terminated, cut at a character boundary when full. */
struct render_out {
    char *buf;
    size_t cap, len;
    int cut;
};

/* A page of a menu: its options, navigation flags, and whether something on it had
 * to be cut to fit. */
struct render_mpage {
    size_t first, count;
    int flags, cut;
};

/* A page of a text: bytes [from, to) of the text, where the next page starts. */
struct render_tpage {
    size_t from, to, next;
    int flags, cut;
};

static const struct render_nav render_default_nav = {
    "0", "00", "98", "Back", "Home", "More", 0, 0, 0,
};
static const struct render_limits render_default_limits = {182, 80};

static struct render_cost render_measure(const char *s, size_t len)
{
    struct gsm_len l;
    struct render_cost c;

    gsm_measure(s, len, &l);
    c.sept = l.septets;
    c.units = l.ucs2_units;
    c.ucs2 = l.ucs2;
    c.lines = 1;
    return c;
}

/* Add n GSM characters that cost one septet and one unit each (ASCII digits, '.'). */
static void render_add_plain(struct render_cost *c, size_t n)
{
    c->sept += n;
    c->units += n;
}

/* Append a line to a page: the "\n" separator when the page already has a line. */
static void render_add_line(struct render_cost *page, const struct render_cost *line)
{
    if (!line->lines)
        return;
    if (page->lines)
        render_add_plain(page, 1);
    page->sept += line->sept;
    page->units += line->units;
    page->ucs2 |= line->ucs2;
    page->lines += line->lines;
}

/* Extend the last line of a page with more text. */
static void render_add_inline(struct render_cost *page, const struct render_cost *more)
{
    page->sept += more->sept;
    page->units += more->units;
    page->ucs2 |= more->ucs2;
    if (!page->lines)
        page->lines = 1;
}

static int render_fits(const struct render_cost *c, const struct render_limits *lim)
{
    if (c->ucs2)
        return lim->ucs2 >= 0 && c->units <= (size_t)lim->ucs2;
    return lim->gsm >= 0 && c->sept <= (size_t)lim->gsm;
}

/* page + line, without changing page. */
static int render_fits_with(struct render_cost page, const struct render_cost *line,
                            const struct render_limits *lim)
{
    render_add_line(&page, line);
    return render_fits(&page, lim);
}

/* The end of the character starting at s[i]. Never splits a well-formed UTF-8
 * sequence, and every position it returns is also a character boundary for gsm.h's
 * decoder (which reads a lead byte plus continuation bytes, at most 4), so costs of
 * the pieces add up to the cost of the whole. */
static size_t render_step(const char *s, size_t len, size_t i)
{
    size_t j = i + 1;

    while (j < len && j - i < 4 && ((unsigned char)s[j] & 0xC0) == 0x80)
        j++;
    return j;
}

static int render_is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\r';
}

/* The longest prefix of s (at most max_bytes) such that base + prefix + dots (dots is
 * "..." or "") fits, trailing spaces dropped; RENDER_NONE when not even the empty
 * prefix fits. base already holds the line the prefix starts or extends. */
static size_t render_cut(const char *s, size_t len, struct render_cost base, const char *dots,
                         size_t max_bytes, const struct render_limits *lim)
{
    size_t best, i = 0;

    render_add_plain(&base, strlen(dots));
    if (!render_fits(&base, lim))
        return RENDER_NONE;
    best = 0;
    while (i < len) {
        /* Try a run of characters with one measure, then one by one when it overflows. */
        size_t j = i;
        struct render_cost seg, trial = base;

        do
            j = render_step(s, len, j);
        while (j < len && j - i < 32);
        seg = render_measure(s + i, j - i);
        render_add_inline(&trial, &seg);
        if (j <= max_bytes && render_fits(&trial, lim)) {
            base = trial;
            best = i = j;
            continue;
        }
        while (i < j) {
            size_t k = render_step(s, len, i);

            seg = render_measure(s + i, k - i);
            render_add_inline(&base, &seg);
            if (k > max_bytes || !render_fits(&base, lim))
                break;
            best = i = k;
        }
        break;
    }
    while (best > 0 && render_is_space(s[best - 1]))
        best--;
    return best;
}

static void render_out_init(struct render_out *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
    w->cut = w->cap == 0;
    if (w->cap)
        buf[0] = '\0';
}

static void render_put(struct render_out *w, const char *s, size_t n)
{
    size_t room;

    if (w->cut || n == 0)
        return;
    room = w->cap - 1 - w->len;
    if (n > room) {
        /* Back up so a multi-byte character is not split by the cut. */
        while (room > 0 && ((unsigned char)s[room] & 0xC0) == 0x80)
            room--;
        n = room;
        w->cut = 1;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void render_put_line(struct render_out *w, size_t *lines, const char *s, size_t n)
{
    if ((*lines)++)
        render_put(w, "\n", 1);
    render_put(w, s, n);
}

static void render_bar_init(struct render_bar *b, const struct render_nav *nav)
{
    const char *keys[3] = {nav->back_key, nav->home_key, nav->more_key};
    const char *labels[3] = {nav->back_label, nav->home_label, nav->more_label};
    const char *dkeys[3] = {render_default_nav.back_key, render_default_nav.home_key,
                            render_default_nav.more_key};
    const char *dlabels[3] = {render_default_nav.back_label, render_default_nav.home_label,
                              render_default_nav.more_label};

    for (int k = 0; k < 3; k++) {
        struct render_cost c = {0, 0, 0, 0};

        b->key[k] = keys[k] ? keys[k] : dkeys[k];
        b->label[k] = labels[k] ? labels[k] : dlabels[k];
        b->key_len[k] = strlen(b->key[k]);
        b->label_len[k] = strlen(b->label[k]);
        if (b->key_len[k]) {
            struct render_cost m = render_measure(b->key[k], b->key_len[k]);
            render_add_inline(&c, &m);
        }
        if (b->label_len[k]) {
            struct render_cost m = render_measure(b->label[k], b->label_len[k]);
            if (b->key_len[k])
                render_add_plain(&c, 1);
            render_add_inline(&c, &m);
        }
        b->item[k] = c;
    }
}

/* The nav line for these flags; lines == 0 when it has no item. */
static struct render_cost render_bar_cost(const struct render_bar *b, int flags)
{
    struct render_cost c = {0, 0, 0, 0};

    for (int k = 0; k < 3; k++) {
        if (!(flags & (1 << k)) || !b->item[k].lines)
            continue;
        if (c.lines)
            render_add_plain(&c, 2);
        render_add_inline(&c, &b->item[k]);
    }
    return c;
}

static void render_bar_write(struct render_out *w, size_t *lines, const struct render_bar *b,
                             int flags)
{
    int any = 0;

    for (int k = 0; k < 3; k++) {
        if (!(flags & (1 << k)) || !b->item[k].lines)
            continue;
        if (any)
            render_put(w, "  ", 2);
        else
            render_put_line(w, lines, "", 0);
        any = 1;
        render_put(w, b->key[k], b->key_len[k]);
        if (b->key_len[k] && b->label_len[k])
            render_put(w, " ", 1);
        render_put(w, b->label[k], b->label_len[k]);
    }
}

/* Back and Home are the same on every page of a screen but the first. */
static int render_base_flags(const struct render_nav *nav, size_t page)
{
    return (page > 0 || nav->back ? RENDER_BACK : 0) | (nav->home ? RENDER_HOME : 0);
}

/* Every character costs at least one septet or unit and takes at most 4 bytes, so a
 * longer piece of text cannot fit: no need to measure (or even scan) all of it. */
static size_t render_max_bytes(const struct render_limits *lim)
{
    int most = lim->gsm > lim->ucs2 ? lim->gsm : lim->ucs2;

    return 4 * (size_t)(most > 0 ? most : 0) + 4;
}

/* ---- menus ---- */

struct render_menu_ctx {
    const char *const *labels;
    size_t n;
    const struct render_nav *nav;
    const struct render_limits *lim;
    struct render_bar bar;
    const char *header;
    size_t header_len;
    struct render_cost header_cost;
    struct render_cost cache[RENDER_CACHE];
};

static const char *render_label(const struct render_menu_ctx *m, size_t j)
{
    const char *s = m->labels ? m->labels[j] : NULL;
    return s ? s : "";
}

static size_t render_digits(size_t v)
{
    size_t d = 1;

    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* "N. label" */
static struct render_cost render_option_measure(const struct render_menu_ctx *m, size_t j)
{
    const char *label = render_label(m, j);
    struct render_cost c = render_measure(label, strlen(label));

    render_add_plain(&c, render_digits(j + 1) + 2);
    return c;
}

static struct render_cost render_option_cost(const struct render_menu_ctx *m, size_t j)
{
    return j < RENDER_CACHE ? m->cache[j] : render_option_measure(m, j);
}

/* Greedy: all remaining options when they fit as the last page, else as many as fit
 * with More, else the first one alone (to be cut). */
static void render_menu_page(const struct render_menu_ctx *m, size_t i, size_t page,
                             struct render_mpage *pg)
{
    int fl = render_base_flags(m->nav, page);
    struct render_cost last = render_bar_cost(&m->bar, fl);
    struct render_cost more = render_bar_cost(&m->bar, fl | RENDER_MORE);
    struct render_cost acc = {0, 0, 0, 0};
    size_t fit_more = 0;

    if (page == 0 && m->header_len)
        render_add_line(&acc, &m->header_cost);
    pg->first = i;
    if (i >= m->n) {
        pg->count = 0;
        pg->flags = fl;
        pg->cut = !render_fits_with(acc, &last, m->lim);
        return;
    }
    for (size_t j = i; j < m->n; j++) {
        struct render_cost opt = render_option_cost(m, j);

        render_add_line(&acc, &opt);
        if (j + 1 == m->n) {
            if (render_fits_with(acc, &last, m->lim)) {
                pg->count = m->n - i;
                pg->flags = fl;
                pg->cut = 0;
                return;
            }
            break;
        }
        if (render_fits_with(acc, &more, m->lim))
            fit_more = j - i + 1;
        else if (!render_fits_with(acc, &last, m->lim))
            break; /* no longer page can fit, with or without More */
    }
    if (fit_more) {
        pg->count = fit_more;
        pg->flags = fl | RENDER_MORE;
        pg->cut = 0;
    } else {
        pg->count = 1;
        pg->flags = fl | (i + 1 < m->n ? RENDER_MORE : 0);
        pg->cut = 1;
    }
}

/* Header and label lengths to show on a page that does not fit as is, each followed
 * by "..." when cut (RENDER_NONE: shown whole). The label is cut first; the header
 * only when it is too long even for "N. ..." beside it. */
static void render_menu_cuts(const struct render_menu_ctx *m, size_t page,
                             const struct render_mpage *pg, size_t *hcut, size_t *lcut)
{
    int has_header = page == 0 && m->header_len;
    struct render_cost bar = render_bar_cost(&m->bar, pg->flags);
    struct render_cost empty = {0, 0, 0, 1}, base = {0, 0, 0, 0}, opt = {0, 0, 0, 0};

    *hcut = *lcut = RENDER_NONE;
    if (pg->count) {
        const char *label = render_label(m, pg->first);
        size_t prefix = render_digits(pg->first + 1) + 2; /* "N. " */

        if (has_header)
            render_add_line(&base, &m->header_cost);
        render_add_line(&base, &bar);
        render_add_line(&base, &empty);
        render_add_plain(&base, prefix);
        *lcut = render_cut(label, strlen(label), base, RENDER_DOTS, RENDER_NONE, m->lim);
        if (*lcut != RENDER_NONE)
            return;
        opt = render_option_cost(m, pg->first);
        if (!render_fits_with(opt, &bar, m->lim)) {
            /* Even alone the option needs cutting: keep only "N. ...". */
            *lcut = 0;
            opt = empty;
            render_add_plain(&opt, prefix + strlen(RENDER_DOTS));
        }
    }
    if (!has_header)
        return;
    base = empty;
    render_add_line(&base, &opt);
    render_add_line(&base, &bar);
    *hcut = render_cut(m->header, m->header_len, base, RENDER_DOTS, RENDER_NONE, m->lim);
    if (*hcut == RENDER_NONE)
        *hcut = 0; /* the nav line alone is too long: cut from the end below */
}

static void render_menu_write(const struct render_menu_ctx *m, size_t page,
                              const struct render_mpage *pg, struct render_out *w)
{
    size_t lines = 0, hcut = RENDER_NONE, lcut = RENDER_NONE;

    if (pg->cut)
        render_menu_cuts(m, page, pg, &hcut, &lcut);
    if (page == 0 && m->header_len) {
        render_put_line(w, &lines, m->header, hcut == RENDER_NONE ? m->header_len : hcut);
        if (hcut != RENDER_NONE)
            render_put(w, RENDER_DOTS, strlen(RENDER_DOTS));
    }
    for (size_t j = pg->first; j < pg->first + pg->count; j++) {
        const char *label = render_label(m, j);
        char num[32];
        size_t k = sizeof num, v = j + 1;

        /* Digits by hand: snprintf would be most of the cost of a page. */
        num[--k] = ' ';
        num[--k] = '.';
        do
            num[--k] = (char)('0' + v % 10);
        while ((v /= 10) > 0);
        render_put_line(w, &lines, num + k, sizeof num - k);
        if (j == pg->first && lcut != RENDER_NONE) {
            render_put(w, label, lcut);
            render_put(w, RENDER_DOTS, strlen(RENDER_DOTS));
        } else
            render_put(w, label, strlen(label));
    }
    render_bar_write(w, &lines, &m->bar, pg->flags);
}

int render_menu(const char *header, const char *const *labels, size_t n, size_t page,
                const struct render_nav *nav, const struct render_limits *lim, char *out,
                size_t cap, size_t *npages, size_t *first, size_t *count)
{
    struct render_menu_ctx m;
    struct render_mpage pg, pg0 = {0, 0, 0, 0}, want = {0, 0, 0, 0};
    struct render_out w;
    size_t i = 0, p = 0;
    int rc = 0;

    m.labels = labels;
    m.n = labels ? n : 0;
    m.nav = nav ? nav : &render_default_nav;
    m.lim = lim ? lim : &render_default_limits;
    m.header = header ? header : "";
    m.header_len = strlen(m.header);
    m.header_cost = render_measure(m.header, m.header_len);
    render_bar_init(&m.bar, m.nav);
    for (size_t j = 0; j < m.n && j < RENDER_CACHE; j++)
        m.cache[j] = render_option_measure(&m, j);

    do {
        render_menu_page(&m, i, p, &pg);
        if (p == 0)
            pg0 = pg;
        if (p == page)
            want = pg;
        i += pg.count;
        p++;
    } while (i < m.n);

    if (page >= p) {
        page = 0;
        want = pg0;
        rc = -1;
    }
    render_out_init(&w, out, cap);
    render_menu_write(&m, page, &want, &w);
    if (want.cut) {
        rc = -1;
        /* Last resort, when the nav line alone is too long: cut the page's end. */
        if (w.cap)
            render_truncate(w.buf, m.lim);
    }
    if (w.cut)
        rc = -1;
    if (npages)
        *npages = p;
    if (first)
        *first = want.first;
    if (count)
        *count = want.count;
    return rc;
}

/* ---- texts ---- */

/* Greedy over words: the rest of the text when it fits as the last page, else as many
 * words as fit with More, else the first word split at a character boundary. */
static void render_text_page(const char *t, size_t end, size_t i, size_t page,
                             const struct render_nav *nav, const struct render_bar *bar,
                             const struct render_limits *lim, struct render_tpage *pg)
{
    int fl = render_base_flags(nav, page), last_fl = nav->final ? 0 : fl;
    struct render_cost last = render_bar_cost(bar, last_fl);
    struct render_cost more = render_bar_cost(bar, fl | RENDER_MORE);
    struct render_cost acc = {0, 0, 0, 1};
    size_t pos = i, best = RENDER_NONE, j;
    int gallop = 1;
    size_t max_bytes = render_max_bytes(lim);

    pg->from = i;
    pg->cut = 0;
    if (i >= end) {
        pg->to = pg->next = end;
        pg->flags = last_fl;
        pg->cut = !render_fits_with((struct render_cost){0, 0, 0, 0}, &last, lim);
        return;
    }
    while (pos < end) {
        /* A piece is the next word, or while galloping the next words up to about
         * RENDER_GALLOP bytes: one measure for several words while the page is far
         * from full, word by word near its end. */
        size_t w = pos, want = gallop ? RENDER_GALLOP : 1;
        struct render_cost seg, trial = acc;

        do {
            while (w < end && render_is_space(t[w]) && w - pos <= max_bytes)
                w++;
            while (w < end && !render_is_space(t[w]) && w - pos <= max_bytes)
                w++;
        } while (w < end && w - pos < want && w - pos <= max_bytes);
        if (w - pos > max_bytes) {
            if (gallop) {
                gallop = 0;
                continue;
            }
            break;
        }
        seg = render_measure(t + pos, w - pos);
        render_add_inline(&trial, &seg);
        if (w == end && render_fits_with(trial, &last, lim)) {
            pg->to = pg->next = end;
            pg->flags = last_fl;
            return;
        }
        if (w < end && render_fits_with(trial, &more, lim)) {
            best = w;
        } else if (gallop) {
            gallop = 0;
            continue;
        } else if (w == end || !render_fits_with(trial, &last, lim))
            break; /* no longer page can fit, with or without More */
        acc = trial;
        pos = w;
    }
    pg->flags = fl | RENDER_MORE;
    if (best != RENDER_NONE) {
        pg->to = best;
    } else {
        /* The first word alone is too long: split it where the page is full. The rest
         * did not fit as the last page, so leave at least a character for the next
         * one: when lim->ucs2 > lim->gsm / 2, the page without a UCS2 More could be
         * GSM and cost more. */
        acc = (struct render_cost){0, 0, 0, 1};
        render_add_line(&acc, &more);
        j = render_cut(t + i, end - i, acc, "",
                       end - i - 1 < max_bytes ? end - i - 1 : max_bytes, lim);
        if (j == RENDER_NONE || j == 0) {
            /* Not one character fits beside the nav line: move on anyway. */
            j = render_step(t, end, i) - i;
            pg->cut = 1;
        }
        pg->to = i + j;
    }
    for (j = pg->to; j < end && render_is_space(t[j]); j++)
        ;
    pg->next = j;
    if (j >= end)
        pg->flags = last_fl;
}

int render_text(const char *text, size_t page, const struct render_nav *nav,
                const struct render_limits *lim, char *out, size_t cap, size_t *npages)
{
    struct render_bar bar;
    struct render_tpage pg, pg0 = {0, 0, 0, 0, 0}, want = {0, 0, 0, 0, 0};
    struct render_out w;
    size_t start = 0, end, i, p = 0, lines = 0;
    int rc = 0;

    if (!text)
        text = "";
    if (!nav)
        nav = &render_default_nav;
    if (!lim)
        lim = &render_default_limits;
    render_bar_init(&bar, nav);
    end = strlen(text);
    while (end > 0 && render_is_space(text[end - 1]))
        end--;
    while (start < end && render_is_space(text[start]))
        start++;

    i = start;
    do {
        render_text_page(text, end, i, p, nav, &bar, lim, &pg);
        if (p == 0)
            pg0 = pg;
        if (p == page)
            want = pg;
        i = pg.next;
        p++;
    } while (i < end);

    if (page >= p) {
        want = pg0;
        rc = -1;
    }
    render_out_init(&w, out, cap);
    if (want.to > want.from)
        render_put_line(&w, &lines, text + want.from, want.to - want.from);
    render_bar_write(&w, &lines, &bar, want.flags);
    if (want.cut) {
        rc = -1;
        /* Last resort, when the nav line alone is too long: cut the page's end. */
        if (w.cap)
            render_truncate(w.buf, lim);
    }
    if (w.cut)
        rc = -1;
    if (npages)
        *npages = p;
    return rc;
}

void render_truncate(char *s, const struct render_limits *lim)
{
    struct render_cost zero = {0, 0, 0, 0};
    size_t len, c = RENDER_NONE;

    if (!s)
        return;
    if (!lim)
        lim = &render_default_limits;
    len = strlen(s);
    if (gsm_fits(s, len, lim->gsm, lim->ucs2))
        return;
    /* Cut in place: the prefix plus "..." must not be longer than s itself. */
    if (len >= strlen(RENDER_DOTS))
        c = render_cut(s, len, zero, RENDER_DOTS, len - strlen(RENDER_DOTS), lim);
    if (c != RENDER_NONE) {
        memcpy(s + c, RENDER_DOTS, sizeof RENDER_DOTS);
        return;
    }
    /* Not even "..." fits: keep what fits, without it. */
    c = render_cut(s, len, zero, "", len, lim);
    s[c == RENDER_NONE ? 0 : c] = '\0';
}
