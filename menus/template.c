/*
 * template.c: `{name}` substitution; see template.h.
 */
#include "template.h"

#include <string.h>

struct out {
    char *p;
    size_t n, cap;
};

/* Append one UTF-8 character (len bytes) if it fits whole. */
static int put_char(struct out *o, const char *c, size_t len)
{
    if (o->n + len >= o->cap)
        return -1;
    memcpy(o->p + o->n, c, len);
    o->n += len;
    return 0;
}

static size_t utf8_len(unsigned char c)
{
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* Append a value: cleaned of control characters, at most TEMPLATE_VALUE_CHARS chars. */
static int put_value(struct out *o, const char *v)
{
    size_t chars = 0;
    while (*v && chars < TEMPLATE_VALUE_CHARS) {
        unsigned char c = (unsigned char)*v;
        if (c >= 0x20 && c < 0x7f) { /* printable ASCII, the common case */
            if (o->n + 1 >= o->cap)
                return -1;
            o->p[o->n++] = (char)c;
            v++;
            chars++;
            continue;
        }
        size_t l = utf8_len(c);
        if (strnlen(v, l) < l)
            break; /* truncated sequence at the end of the value */
        if (c < 0x20 || c == 0x7f) {
            if (c == '\n' || c == '\t' || c == '\r') {
                if (put_char(o, " ", 1))
                    return -1;
                chars++;
            }
            v++;
            continue;
        }
        if (put_char(o, v, l))
            return -1;
        v += l;
        chars++;
    }
    return 0;
}

size_t template_expand(const char *tpl, template_lookup_fn lookup, void *arg, char *out,
                       size_t cap)
{
    struct out o = {out, 0, cap};
    if (!cap)
        return 0;
    const char *p = tpl ? tpl : "";
    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80 && c != '{' && c != '}') { /* plain ASCII, the common case */
            if (o.n + 1 >= o.cap)
                break;
            o.p[o.n++] = (char)c;
            p++;
            continue;
        }
        if (p[0] == '{' && p[1] == '{') {
            if (put_char(&o, "{", 1))
                break;
            p += 2;
            continue;
        }
        if (p[0] == '}' && p[1] == '}') {
            if (put_char(&o, "}", 1))
                break;
            p += 2;
            continue;
        }
        if (p[0] == '{') {
            const char *close = strchr(p + 1, '}');
            size_t nl = close ? (size_t)(close - p - 1) : 0;
            if (close && nl > 0 && nl < 64) {
                char name[64];
                memcpy(name, p + 1, nl);
                name[nl] = 0;
                const char *v = lookup ? lookup(arg, name) : NULL;
                if (v && put_value(&o, v))
                    break;
                p = close + 1;
                continue;
            }
        }
        size_t l = utf8_len((unsigned char)*p);
        if (strnlen(p, l) < l || put_char(&o, p, l))
            break;
        p += l;
    }
    out[o.n] = 0;
    return o.n;
}
