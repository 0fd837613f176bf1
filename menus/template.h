/*
 * template.h: `{name}` substitution in user-facing texts.
 *
 * `{name}` inserts the value the lookup gives (empty when NULL); `{{` and `}}` are
 * literal braces; a `{` with no closing brace is copied as is. Inserted values have
 * control characters removed and are cut to TEMPLATE_VALUE_CHARS characters, so a
 * variable can never break a screen's layout or the serialised session.
 */
#ifndef USSDGW_TEMPLATE_H
#define USSDGW_TEMPLATE_H

#include <stddef.h>

#define TEMPLATE_VALUE_CHARS 60

typedef const char *(*template_lookup_fn)(void *arg, const char *name);

/* Expand tpl into out (always NUL-terminated, cut at a UTF-8 boundary when cap is
 * short). Returns the length written. */
size_t template_expand(const char *tpl, template_lookup_fn lookup, void *arg, char *out,
                       size_t cap);

#endif
