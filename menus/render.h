/*
 * render.h: lay out a screen within the handset's limit, paginating when needed.
 *
 * Pure functions. A menu page is: the header (first page only), then whole options
 * numbered from 1 across all pages ("10. Kicukiro" stays 10 on page 2), then one
 * navigation line with only the keys that apply, e.g. "0 Back  98 More". An option is
 * never split. Long texts (final screens, long prompts) are split at spaces or line
 * breaks into pages with the same navigation line. Every page measures at most the
 * limit after encoding (gsm.h). Lines are separated by "\n".
 */
#ifndef USSDGW_RENDER_H
#define USSDGW_RENDER_H

#include <stddef.h>

struct render_limits {
    int gsm;  /* septets, default 182 */
    int ucs2; /* UTF-16 units, default 80 */
};

struct render_nav {
    const char *back_key, *home_key, *more_key;       /* NULL: "0", "00", "98" */
    const char *back_label, *home_label, *more_label; /* NULL: "Back", "Home", "More" */
    int back;  /* offer Back on the first page (there is a previous screen) */
    int home;  /* offer Home (deep enough for it to help) */
    int final; /* render_text: the last page ends the dialog, so it has no nav line */
};

/* Render page `page` (0-based) of a menu with header `header` (may be "" or NULL) and
 * `n` option labels. Writes NUL-terminated UTF-8 to out and returns 0; sets *npages
 * to the number of pages and *first / *count to the options on this page. The nav
 * line holds, in this order and joined by two spaces, "<back_key> <back_label>",
 * "<home_key> <home_label>", "<more_key> <more_label>" where they apply. Returns -1
 * when a single option cannot fit a page even alone (the output is still written,
 * cut to fit: the label ends in "...", and so does a header too long for any page),
 * when cap is too small (cut at a character boundary), or page >= *npages (page 0 is
 * written). nav and lim may be NULL for the defaults. */
int render_menu(const char *header, const char *const *labels, size_t n, size_t page,
                const struct render_nav *nav, const struct render_limits *lim, char *out,
                size_t cap, size_t *npages, size_t *first, size_t *count);

/* Render page `page` of a long text. More appears on every page but the last; Back on
 * every page after the first (and on the first when nav->back); Home when nav->home;
 * with nav->final the last page has no navigation line at all. Returns 0, or -1 when
 * page >= *npages (page 0 is written) or the output had to be cut (cap too small, or
 * a nav line too long for the limit by itself). */
int render_text(const char *text, size_t page, const struct render_nav *nav,
                const struct render_limits *lim, char *out, size_t cap, size_t *npages);

/* Cut `s` in place to fit the limit, at a character boundary, ending in "..." when cut
 * (without it when not even "..." fits). */
void render_truncate(char *s, const struct render_limits *lim);

#endif
