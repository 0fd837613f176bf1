/*
 * session.c: session variables, Back history and the compact serialised form.
 */
#include "session.h"

#include "strbuf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS '\x1e' /* field separator */
#define LS '\x1f' /* list entry separator */
#define N_FIELDS 17

/* Zero the fixed part; the tables are only read up to their counts, so clearing their
 * 14 KB on every step would be wasted work. */
static void session_zero(struct session *s)
{
    memset(s, 0, offsetof(struct session, vars));
    s->n_vars = 0;
    s->n_items = 0;
}

void session_init(struct session *s, const char *msisdn, const char *dial, const char *lang,
                  const char *menu_version, uint32_t now)
{
    session_zero(s);
    session_clean(s->msisdn, sizeof s->msisdn, msisdn ? msisdn : "");
    session_clean(s->dial, sizeof s->dial, dial ? dial : "");
    session_clean(s->lang, sizeof s->lang, lang ? lang : "");
    session_clean(s->menu_version, sizeof s->menu_version, menu_version ? menu_version : "");
    s->started = now;
}

/* Length of s[0..n) without a trailing incomplete UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n)
{
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return 0;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return n - (i - 1) < need ? i - 1 : n;
}

size_t session_clean(char *dst, size_t dstsize, const char *src)
{
    size_t n = 0;
    int cut = 0;
    if (!dstsize)
        return 0;
    /* The common case: no control character and it fits; one pass, then one copy. */
    const unsigned char *q = (const unsigned char *)src;
    while (n < dstsize && q[n] >= 0x20 && q[n] != 0x7f)
        n++;
    if (n < dstsize && q[n] == 0) {
        memmove(dst, src, n + 1);
        return n;
    }
    n = 0;
    /* src may equal dst: writing never overtakes reading */
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        unsigned char c = *p;
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        else if (c < 0x20 || c == 0x7f)
            continue;
        if (n + 1 >= dstsize) {
            cut = 1;
            break;
        }
        dst[n++] = (char)c;
    }
    if (cut)
        n = utf8_cut(dst, n);
    dst[n] = 0;
    return n;
}

const char *session_get(const struct session *s, const char *key)
{
    for (size_t i = 0; i < s->n_vars; i++)
        if (strcmp(s->vars[i].key, key) == 0)
            return s->vars[i].val;
    return NULL;
}

int session_set(struct session *s, const char *key, const char *val)
{
    if (!key || !*key || strlen(key) >= SESSION_VAR_KEY_MAX)
        return -1;
    struct session_var *v = NULL;
    for (size_t i = 0; i < s->n_vars; i++)
        if (strcmp(s->vars[i].key, key) == 0)
            v = &s->vars[i];
    if (!v) {
        if (s->n_vars >= SESSION_MAX_VARS)
            return -1;
        v = &s->vars[s->n_vars++];
        session_clean(v->key, sizeof v->key, key);
    }
    session_clean(v->val, sizeof v->val, val ? val : "");
    return 0;
}

void session_push(struct session *s, const char *screen)
{
    if (s->n_hist == SESSION_HIST) {
        memmove(s->hist[0], s->hist[1], sizeof s->hist[0] * (SESSION_HIST - 1));
        s->n_hist--;
    }
    session_clean(s->hist[s->n_hist++], SESSION_NAME_MAX, screen);
}

int session_pop(struct session *s, char *out, size_t outsize)
{
    if (!s->n_hist)
        return -1;
    s->n_hist--;
    snprintf(out, outsize, "%s", s->hist[s->n_hist]);
    return 0;
}

long session_encode(const struct session *s, char *buf, size_t cap)
{
    struct strbuf w;
    strbuf_init(&w, buf, cap);
    strbuf_putu(&w, s->version);
    strbuf_putc(&w, '|');
    strbuf_put(&w, s->menu_version); strbuf_putc(&w, FS);
    strbuf_put(&w, s->msisdn); strbuf_putc(&w, FS);
    strbuf_put(&w, s->dial); strbuf_putc(&w, FS);
    strbuf_put(&w, s->lang); strbuf_putc(&w, FS);
    strbuf_putu(&w, s->state); strbuf_putc(&w, FS);
    strbuf_put(&w, s->screen); strbuf_putc(&w, FS);
    strbuf_put(&w, s->home); strbuf_putc(&w, FS);
    strbuf_putu(&w, s->page); strbuf_putc(&w, FS);
    strbuf_putu(&w, s->retries); strbuf_putc(&w, FS);
    strbuf_put(&w, s->error); strbuf_putc(&w, FS);
    for (size_t i = 0; i < s->n_hist; i++) {
        if (i)
            strbuf_putc(&w, LS);
        strbuf_put(&w, s->hist[i]);
    }
    strbuf_putc(&w, FS);
    strbuf_put(&w, s->last_step); strbuf_putc(&w, FS);
    strbuf_putu(&w, s->started); strbuf_putc(&w, FS);
    strbuf_putu(&w, s->steps); strbuf_putc(&w, FS);
    for (size_t i = 0; i < s->n_vars; i++) {
        if (i)
            strbuf_putc(&w, LS);
        strbuf_put(&w, s->vars[i].key);
        strbuf_putc(&w, LS);
        strbuf_put(&w, s->vars[i].val);
    }
    strbuf_putc(&w, FS);
    for (size_t i = 0; i < s->n_items; i++) {
        if (i)
            strbuf_putc(&w, LS);
        strbuf_put(&w, s->items[i].label);
        strbuf_putc(&w, LS);
        strbuf_put(&w, s->items[i].value);
    }
    strbuf_putc(&w, FS);
    strbuf_put(&w, "e"); /* end marker: a truncated blob is refused */
    if (strbuf_cut(&w))
        return -1;
    return (long)w.n;
}

/* Copy field [p, e) into dst (bounded, cleaned of separators by construction). */
static void field_copy(char *dst, size_t dstsize, const char *p, const char *e)
{
    size_t l = (size_t)(e - p);
    if (l >= dstsize)
        l = dstsize - 1;
    memcpy(dst, p, l);
    dst[l] = 0;
    /* a hostile blob may hold bytes that a cleaned value never has */
    session_clean(dst, dstsize, dst);
}

static int field_uint(const char *p, const char *e, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    if (p == e)
        return -1;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > max)
            return -1;
    }
    *out = v;
    return 0;
}

/* Split [p, e) on LS into at most max entries; returns the count or -1. */
static int split_list(const char *p, const char *e, const char **starts, const char **ends, int max)
{
    int n = 0;
    if (p == e)
        return 0;
    const char *q = p;
    for (;;) {
        const char *sep = memchr(q, LS, (size_t)(e - q));
        if (n >= max)
            return -1;
        starts[n] = q;
        ends[n] = sep ? sep : e;
        n++;
        if (!sep)
            break;
        q = sep + 1;
    }
    return n;
}

int session_decode(struct session *s, const char *buf, size_t len)
{
    const char *f[N_FIELDS + 1], *fe[N_FIELDS + 1];
    const char *p = buf, *e = buf + len;
    unsigned long v;
    session_zero(s);

    const char *bar = memchr(p, '|', len);
    if (!bar || field_uint(p, bar, 0xFFFFFFFFul, &v))
        goto bad;
    s->version = (uint32_t)v;
    p = bar + 1;
    int nf = 0;
    while (nf <= N_FIELDS) {
        const char *sep = memchr(p, FS, (size_t)(e - p));
        f[nf] = p;
        fe[nf] = sep ? sep : e;
        nf++;
        if (!sep)
            break;
        p = sep + 1;
    }
    if (nf != N_FIELDS || fe[N_FIELDS - 1] - f[N_FIELDS - 1] != 1 || *f[N_FIELDS - 1] != 'e')
        goto bad;

    field_copy(s->menu_version, sizeof s->menu_version, f[0], fe[0]);
    field_copy(s->msisdn, sizeof s->msisdn, f[1], fe[1]);
    field_copy(s->dial, sizeof s->dial, f[2], fe[2]);
    field_copy(s->lang, sizeof s->lang, f[3], fe[3]);
    if (field_uint(f[4], fe[4], 2, &v))
        goto bad;
    s->state = (uint8_t)v;
    field_copy(s->screen, sizeof s->screen, f[5], fe[5]);
    field_copy(s->home, sizeof s->home, f[6], fe[6]);
    if (field_uint(f[7], fe[7], 0xFFFF, &v))
        goto bad;
    s->page = (uint16_t)v;
    if (field_uint(f[8], fe[8], 255, &v))
        goto bad;
    s->retries = (uint8_t)v;
    field_copy(s->error, sizeof s->error, f[9], fe[9]);

    const char *ls[2 * SESSION_MAX_ITEMS], *le[2 * SESSION_MAX_ITEMS];
    int n = split_list(f[10], fe[10], ls, le, SESSION_HIST);
    if (n < 0)
        goto bad;
    for (int i = 0; i < n; i++)
        field_copy(s->hist[i], SESSION_NAME_MAX, ls[i], le[i]);
    s->n_hist = (uint8_t)n;
    field_copy(s->last_step, sizeof s->last_step, f[11], fe[11]);
    if (field_uint(f[12], fe[12], 0xFFFFFFFFul, &v))
        goto bad;
    s->started = (uint32_t)v;
    if (field_uint(f[13], fe[13], 0xFFFFFFFFul, &v))
        goto bad;
    s->steps = (uint32_t)v;

    n = split_list(f[14], fe[14], ls, le, 2 * SESSION_MAX_VARS);
    if (n < 0 || n % 2)
        goto bad;
    for (int i = 0; i < n; i += 2) {
        field_copy(s->vars[i / 2].key, SESSION_VAR_KEY_MAX, ls[i], le[i]);
        field_copy(s->vars[i / 2].val, SESSION_VAR_VAL_MAX, ls[i + 1], le[i + 1]);
    }
    s->n_vars = (uint8_t)(n / 2);

    n = split_list(f[15], fe[15], ls, le, 2 * SESSION_MAX_ITEMS);
    if (n < 0 || n % 2)
        goto bad;
    for (int i = 0; i < n; i += 2) {
        field_copy(s->items[i / 2].label, SESSION_ITEM_LABEL_MAX, ls[i], le[i]);
        field_copy(s->items[i / 2].value, SESSION_ITEM_VALUE_MAX, ls[i + 1], le[i + 1]);
    }
    s->n_items = (uint8_t)(n / 2);
    return 0;
bad:
    session_zero(s);
    return -1;
}
