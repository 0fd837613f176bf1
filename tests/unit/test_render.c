/*
 * test_render.c: unit tests of render.c: menu pagination (Rwanda's 30 districts, in
 * GSM and with a UCS2 header), long texts split into pages, the navigation line per
 * configuration, options too long for any page, truncation, and hostile input. Every
 * page of every test is checked against the handset limit.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gsm.h"
#include "harness.h"
#include "render.h"

static const char *const districts[30] = {
    "Bugesera",  "Burera",     "Gakenke", "Gasabo",     "Gatsibo",   "Gicumbi",
    "Gisagara",  "Huye",       "Kamonyi", "Karongi",    "Kayonza",   "Kicukiro",
    "Kirehe",    "Muhanga",    "Musanze", "Ngoma",      "Ngororero", "Nyabihu",
    "Nyagatare", "Nyamagabe",  "Nyamasheke", "Nyanza",  "Nyarugenge", "Nyaruguru",
    "Rubavu",    "Ruhango",    "Rulindo", "Rusizi",     "Rutsiro",   "Rwamagana",
};

static const struct render_limits lim_std = {182, 80};

static struct render_nav nav_std(int back, int home, int final)
{
    struct render_nav n = {"0", "00", "98", "Back", "Home", "More", back, home, final};
    return n;
}

static int page_fits(const char *s, const struct render_limits *lim)
{
    return gsm_fits(s, strlen(s), lim->gsm, lim->ucs2);
}

static int page_is_ucs2(const char *s)
{
    struct gsm_len l;

    gsm_measure(s, strlen(s), &l);
    return l.ucs2;
}

/* The navigation line the spec asks for, built independently of render.c. */
static void expected_nav(const struct render_nav *nav, int back, int more, char *buf, size_t cap)
{
    size_t n = 0;

    buf[0] = '\0';
    if (back)
        n += (size_t)snprintf(buf + n, cap - n, "%s %s", nav->back_key, nav->back_label);
    if (nav->home)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s %s", n ? "  " : "", nav->home_key,
                              nav->home_label);
    if (more)
        snprintf(buf + n, cap - n, "%s%s %s", n ? "  " : "", nav->more_key, nav->more_label);
}

/* Line k (0-based) of s into buf; 0 when there is no such line. */
static int line_of(const char *s, size_t k, char *buf, size_t cap)
{
    for (; k > 0; k--) {
        s = strchr(s, '\n');
        if (!s)
            return 0;
        s++;
    }
    size_t n = strcspn(s, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 1;
}

static size_t count_lines(const char *s)
{
    size_t n = 1;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Walk every page of a menu and check: the limit, the header on page 0 only, every
 * option exactly once in order with continuous numbers, and the nav line. */
static void check_menu(const char *header, const char *const *labels, size_t n,
                       const struct render_nav *nav, const struct render_limits *lim,
                       size_t want_pages)
{
    char out[2048], line[512], nl[256];
    size_t npages = 0, first = 99, count = 99, next = 1;

    CHECK_INT(render_menu(header, labels, n, 0, nav, lim, out, sizeof out, &npages, &first,
                          &count), 0);
    if (want_pages)
        CHECK_INT(npages, want_pages);
    for (size_t p = 0; p < npages; p++) {
        size_t np = 0, k = 0, lines;

        CHECK_INT(render_menu(header, labels, n, p, nav, lim, out, sizeof out, &np, &first,
                              &count), 0);
        CHECK_INT(np, npages);
        CHECK(page_fits(out, lim));
        CHECK_INT(first, next - 1);
        lines = count_lines(out);
        if (p == 0 && header && *header) {
            line_of(out, k++, line, sizeof line);
            CHECK_STR(line, header);
        }
        for (size_t j = 0; j < count; j++) {
            char want[512];

            snprintf(want, sizeof want, "%zu. %s", next, labels[next - 1]);
            CHECK(line_of(out, k++, line, sizeof line));
            CHECK_STR(line, want);
            next++;
        }
        expected_nav(nav, p > 0 || nav->back, p + 1 < npages, nl, sizeof nl);
        if (*nl) {
            CHECK(line_of(out, k++, line, sizeof line));
            CHECK_STR(line, nl);
        }
        CHECK_INT(lines, k);
        CHECK(strchr(out, '\0') == out + strlen(out));
        CHECK(out[0] == '\0' || out[strlen(out) - 1] != '\n');
    }
    CHECK_INT(next, n + 1);
}

static void test_districts_exact(void)
{
    struct render_nav nav = nav_std(0, 0, 0);
    char out[512];
    size_t np, first, count;

    CHECK_INT(render_menu("Choose your district:", districts, 30, 0, &nav, &lim_std, out,
                          sizeof out, &np, &first, &count), 0);
    CHECK_STR(out, "Choose your district:\n1. Bugesera\n2. Burera\n3. Gakenke\n4. Gasabo\n"
                   "5. Gatsibo\n6. Gicumbi\n7. Gisagara\n8. Huye\n9. Kamonyi\n10. Karongi\n"
                   "11. Kayonza\n12. Kicukiro\n13. Kirehe\n98 More");
    CHECK_INT(np, 3);
    CHECK_INT(first, 0);
    CHECK_INT(count, 13);

    CHECK_INT(render_menu("Choose your district:", districts, 30, 1, &nav, &lim_std, out,
                          sizeof out, &np, &first, &count), 0);
    CHECK_STR(out, "14. Muhanga\n15. Musanze\n16. Ngoma\n17. Ngororero\n18. Nyabihu\n"
                   "19. Nyagatare\n20. Nyamagabe\n21. Nyamasheke\n22. Nyanza\n23. Nyarugenge\n"
                   "24. Nyaruguru\n25. Rubavu\n26. Ruhango\n0 Back  98 More");
    CHECK_INT(first, 13);
    CHECK_INT(count, 13);

    CHECK_INT(render_menu("Choose your district:", districts, 30, 2, &nav, &lim_std, out,
                          sizeof out, &np, &first, &count), 0);
    CHECK_STR(out, "27. Rulindo\n28. Rusizi\n29. Rutsiro\n30. Rwamagana\n0 Back");
    CHECK_INT(first, 26);
    CHECK_INT(count, 4);
}

static void test_districts_back_home_exact(void)
{
    struct render_nav nav = nav_std(1, 1, 0);
    char out[512];
    size_t np, first, count;

    CHECK_INT(render_menu("Choose your district:", districts, 30, 0, &nav, &lim_std, out,
                          sizeof out, &np, &first, &count), 0);
    CHECK_STR(out, "Choose your district:\n1. Bugesera\n2. Burera\n3. Gakenke\n4. Gasabo\n"
                   "5. Gatsibo\n6. Gicumbi\n7. Gisagara\n8. Huye\n9. Kamonyi\n10. Karongi\n"
                   "11. Kayonza\n12. Kicukiro\n0 Back  00 Home  98 More");
    CHECK_INT(np, 3);
    CHECK_INT(render_menu("Choose your district:", districts, 30, 2, &nav, &lim_std, out,
                          sizeof out, &np, &first, &count), 0);
    CHECK_STR(out, "25. Rubavu\n26. Ruhango\n27. Rulindo\n28. Rusizi\n29. Rutsiro\n"
                   "30. Rwamagana\n0 Back  00 Home");
    CHECK_INT(first, 24);
    CHECK_INT(count, 6);
}

static void test_districts_every_page(void)
{
    struct render_nav a = nav_std(0, 0, 0), b = nav_std(1, 0, 0), c = nav_std(0, 1, 0),
                      d = nav_std(1, 1, 0);

    check_menu("Choose your district:", districts, 30, &a, &lim_std, 3);
    check_menu("Choose your district:", districts, 30, &b, &lim_std, 3);
    check_menu("Choose your district:", districts, 30, &c, &lim_std, 3);
    check_menu("Choose your district:", districts, 30, &d, &lim_std, 3);
    check_menu(NULL, districts, 30, &d, &lim_std, 0);
    check_menu("", districts, 5, &a, &lim_std, 1);
}

static void test_districts_ucs2_header(void)
{
    /* The bullet (U+2022) is not GSM: page 0 is UCS2 and holds 80 units, later pages
     * (without the header) are GSM again. */
    const char *header = "Hitamo akarere \xE2\x80\xA2 Choose district:";
    struct render_nav nav = nav_std(1, 1, 0), plain = nav_std(0, 0, 0);
    char out[512];
    size_t np, first, count;

    check_menu(header, districts, 30, &nav, &lim_std, 0);
    check_menu(header, districts, 30, &plain, &lim_std, 0);
    CHECK_INT(render_menu(header, districts, 30, 0, &plain, &lim_std, out, sizeof out, &np,
                          &first, &count), 0);
    CHECK(page_is_ucs2(out));
    CHECK(gsm_fits(out, strlen(out), 0, 80));
    CHECK_INT(count, 3); /* 33 + 1 + 11+1 + 9+1 + 10+1 + 7 = 75; "4. Gasabo" would pass 80 */
    CHECK_STR(out, "Hitamo akarere \xE2\x80\xA2 Choose district:\n1. Bugesera\n2. Burera\n"
                   "3. Gakenke\n98 More");
    CHECK_INT(render_menu(header, districts, 30, 0, &nav, &lim_std, out, sizeof out, &np,
                          &first, &count), 0);
    CHECK_INT(count, 2); /* 33 + 1 + 11 + 1 + 9 + 1 + 24 ("0 Back  00 Home  98 More") = 80 */
    CHECK_INT(render_menu(header, districts, 30, 1, &nav, &lim_std, out, sizeof out, &np,
                          &first, &count), 0);
    CHECK(!page_is_ucs2(out));
    CHECK(strlen(out) > 80);

    /* A UCS2 label only makes its own page UCS2. */
    const char *labels[30];
    memcpy(labels, districts, sizeof labels);
    labels[20] = "Nyamasheke \xE2\x9C\x93";
    check_menu("Choose your district:", labels, 30, &nav, &lim_std, 0);
}

static void test_custom_keys(void)
{
    struct render_nav nav = {"*", "**", "#", "Subira", "Ahabanza", "Komeza", 1, 1, 0};
    char out[512], line[256];
    size_t np, first, count;

    check_menu("Hitamo akarere:", districts, 30, &nav, &lim_std, 0);
    CHECK_INT(render_menu("Hitamo akarere:", districts, 30, 0, &nav, &lim_std, out, sizeof out,
                          &np, &first, &count), 0);
    CHECK(line_of(out, count + 1, line, sizeof line));
    CHECK_STR(line, "* Subira  ** Ahabanza  # Komeza");
    CHECK_INT(render_menu("Hitamo akarere:", districts, 30, np - 1, &nav, &lim_std, out,
                          sizeof out, &np, &first, &count), 0);
    CHECK(line_of(out, count, line, sizeof line));
    CHECK_STR(line, "* Subira  ** Ahabanza");

    /* Only More on a first page without Back or Home; "#" alone on that line. */
    struct render_nav more_only = {"*", "**", "#", "Back", "Home", "More", 0, 0, 0};
    CHECK_INT(render_menu(NULL, districts, 30, 0, &more_only, &lim_std, out, sizeof out, &np,
                          &first, &count), 0);
    CHECK(line_of(out, count, line, sizeof line));
    CHECK_STR(line, "# More");
    CHECK(strstr(out, "* Back") == NULL);
}

static void test_option_too_long(void)
{
    struct render_nav nav = nav_std(0, 0, 0);
    char long_label[400], out[1024], line[512];
    const char *labels[3] = {"Short", long_label, "Other"};
    size_t np, first, count;

    for (size_t i = 0; i < sizeof long_label - 1; i++)
        long_label[i] = (char)('a' + i % 26);
    long_label[sizeof long_label - 1] = '\0';

    CHECK_INT(render_menu("Pick:", labels, 3, 0, &nav, &lim_std, out, sizeof out, &np, &first,
                          &count), 0);
    CHECK_STR(out, "Pick:\n1. Short\n98 More");
    CHECK_INT(np, 3);
    CHECK_INT(render_menu("Pick:", labels, 3, 1, &nav, &lim_std, out, sizeof out, &np, &first,
                          &count), -1);
    CHECK_INT(first, 1);
    CHECK_INT(count, 1);
    CHECK(page_fits(out, &lim_std));
    CHECK_INT(strlen(out), 182); /* "2. " + 160 letters + "..." + "\n0 Back  98 More" */
    CHECK(line_of(out, 0, line, sizeof line));
    CHECK(strncmp(line, "2. abcdefghij", 13) == 0);
    CHECK(strcmp(line + strlen(line) - 3, "...") == 0);
    CHECK(line_of(out, 1, line, sizeof line));
    CHECK_STR(line, "0 Back  98 More");
    CHECK_INT(render_menu("Pick:", labels, 3, 2, &nav, &lim_std, out, sizeof out, &np, &first,
                          &count), 0);
    CHECK_STR(out, "3. Other\n0 Back");

    /* A single option, too long even alone, with a header: the label is cut. */
    CHECK_INT(render_menu("Pick:", labels + 1, 1, 0, &nav, &lim_std, out, sizeof out, &np,
                          &first, &count), -1);
    CHECK_INT(np, 1);
    CHECK(page_fits(out, &lim_std));
    CHECK(strncmp(out, "Pick:\n1. abc", 12) == 0);
    CHECK(strcmp(out + strlen(out) - 3, "...") == 0);

    /* A UCS2 long label is cut to 80 units. */
    char ucs[600];
    size_t k = 0;
    for (int i = 0; i < 150; i++) {
        memcpy(ucs + k, "\xC3\xA7", 2); /* ç */
        k += 2;
    }
    ucs[k] = '\0';
    const char *l2[2] = {"Yes", ucs};
    CHECK_INT(render_menu(NULL, l2, 2, 1, &nav, &lim_std, out, sizeof out, &np, &first, &count),
              -1);
    CHECK(gsm_fits(out, strlen(out), 0, 80));
    CHECK(strcmp(out + strlen(out) - strlen("...\n0 Back"), "...\n0 Back") == 0);
}

static void test_header_too_long(void)
{
    struct render_nav nav = nav_std(1, 0, 0);
    char header[300], out[1024], line[512];
    const char *labels[2] = {"Yes", "No"};
    size_t np, first, count;

    memset(header, 'h', sizeof header - 1);
    header[sizeof header - 1] = '\0';
    CHECK_INT(render_menu(header, labels, 2, 0, &nav, &lim_std, out, sizeof out, &np, &first,
                          &count), -1);
    CHECK(page_fits(out, &lim_std));
    CHECK_INT(count, 1);
    CHECK(line_of(out, 1, line, sizeof line));
    CHECK_STR(line, "1. Yes");
    CHECK(line_of(out, 2, line, sizeof line));
    CHECK_STR(line, "0 Back  98 More");
    CHECK(line_of(out, 0, line, sizeof line));
    CHECK(strcmp(line + strlen(line) - 3, "...") == 0);
    CHECK_INT(render_menu(header, labels, 2, 1, &nav, &lim_std, out, sizeof out, &np, &first,
                          &count), 0);
    CHECK_STR(out, "2. No\n0 Back");

    /* A header that fits and a label that does not: the label is cut, not the header. */
    char mid_header[101], mid_label[101];
    memset(mid_header, 'h', 100);
    mid_header[100] = '\0';
    memset(mid_label, 'l', 100);
    mid_label[100] = '\0';
    const char *mid[2] = {mid_label, "No"};
    CHECK_INT(render_menu(mid_header, mid, 2, 0, &nav, &lim_std, out, sizeof out, &np, &first,
                          &count), -1);
    CHECK(page_fits(out, &lim_std));
    CHECK_INT(strlen(out), 182);
    CHECK(line_of(out, 0, line, sizeof line));
    CHECK_STR(line, mid_header);
    CHECK(line_of(out, 1, line, sizeof line));
    CHECK(strncmp(line, "1. lll", 6) == 0 && strcmp(line + strlen(line) - 4, "l...") == 0);
    CHECK_INT(strlen(line), 182 - 101 - 16);

    /* Header and label both too long: everything still fits, with the nav line. */
    char label[300];
    memset(label, 'l', sizeof label - 1);
    label[sizeof label - 1] = '\0';
    const char *one[1] = {label};
    CHECK_INT(render_menu(header, one, 1, 0, &nav, &lim_std, out, sizeof out, &np, &first,
                          &count), -1);
    CHECK(page_fits(out, &lim_std));
    CHECK(line_of(out, 2, line, sizeof line));
    CHECK_STR(line, "0 Back");

    /* No options and a header too long. */
    CHECK_INT(render_menu(header, one, 0, 0, &nav, &lim_std, out, sizeof out, &np, &first,
                          &count), -1);
    CHECK(page_fits(out, &lim_std));
    CHECK(strcmp(out + strlen(out) - strlen("...\n0 Back"), "...\n0 Back") == 0);
}

static void test_empty_list(void)
{
    struct render_nav nav = nav_std(0, 0, 0), back = nav_std(1, 1, 0);
    char out[256];
    size_t np = 9, first = 9, count = 9;

    CHECK_INT(render_menu("Nothing here", NULL, 0, 0, &nav, &lim_std, out, sizeof out, &np,
                          &first, &count), 0);
    CHECK_STR(out, "Nothing here");
    CHECK_INT(np, 1);
    CHECK_INT(first, 0);
    CHECK_INT(count, 0);
    CHECK_INT(render_menu("Nothing here", districts, 0, 0, &back, &lim_std, out, sizeof out,
                          &np, &first, &count), 0);
    CHECK_STR(out, "Nothing here\n0 Back  00 Home");
    CHECK_INT(render_menu(NULL, NULL, 0, 0, &nav, &lim_std, out, sizeof out, &np, &first,
                          &count), 0);
    CHECK_STR(out, "");
    CHECK_INT(render_menu("", NULL, 0, 3, &nav, &lim_std, out, sizeof out, &np, &first, &count),
              -1);
    CHECK_STR(out, "");
}

static void test_page_out_of_range(void)
{
    struct render_nav nav = nav_std(0, 0, 0);
    char out[512], p0[512];
    size_t np, first, count;

    CHECK_INT(render_menu("Choose your district:", districts, 30, 0, &nav, &lim_std, p0,
                          sizeof p0, &np, &first, &count), 0);
    CHECK_INT(render_menu("Choose your district:", districts, 30, 3, &nav, &lim_std, out,
                          sizeof out, &np, &first, &count), -1);
    CHECK_STR(out, p0);
    CHECK_INT(np, 3);
    CHECK_INT(first, 0);
    CHECK_INT(count, 13);
    CHECK_INT(render_menu("Choose your district:", districts, 30, (size_t)-1, &nav, &lim_std,
                          out, sizeof out, &np, &first, &count), -1);
    CHECK_STR(out, p0);
}

static void test_defaults_and_null_outputs(void)
{
    char out[512];

    /* NULL nav and limits mean the defaults; NULL out-parameters are allowed. */
    CHECK_INT(render_menu("Choose your district:", districts, 30, 1, NULL, NULL, out,
                          sizeof out, NULL, NULL, NULL), 0);
    CHECK(strncmp(out, "14. Muhanga\n", 12) == 0);
    CHECK(strcmp(out + strlen(out) - 15, "0 Back  98 More") == 0);
    CHECK_INT(render_text("Hello", 0, NULL, NULL, out, sizeof out, NULL), 0);
    CHECK_STR(out, "Hello");
}

static void test_cap_too_small(void)
{
    struct render_nav nav = nav_std(0, 0, 0);
    char out[64];
    size_t np, first, count;
    const char *labels[2] = {"Café", "Thé"};

    memset(out, 'x', sizeof out);
    CHECK_INT(render_menu("Boissons", labels, 2, 0, &nav, &lim_std, out, 16, &np, &first,
                          &count), -1);
    /* "Boissons\n1. Caf" + "é" would be 17 bytes with the NUL: the é is not split. */
    CHECK_STR(out, "Boissons\n1. Caf");
    CHECK_INT(out[16], 'x');
    CHECK_INT(np, 1);
    CHECK_INT(render_menu("Boissons", labels, 2, 0, &nav, &lim_std, NULL, 0, &np, &first,
                          &count), -1);
    CHECK_INT(render_menu("Boissons", labels, 2, 0, &nav, &lim_std, out, 1, &np, &first,
                          &count), -1);
    CHECK_STR(out, "");
    CHECK_INT(render_text("Some text here", 0, &nav, &lim_std, out, 5, &np), -1);
    CHECK_STR(out, "Some");
    CHECK_INT(render_text("Some text here", 0, &nav, &lim_std, NULL, 0, &np), -1);
}

/* Collapse whitespace runs to one space and trim, so page texts can be compared with
 * the original. */
static void normalize(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    int space = 0;

    for (; *s && n + 2 < cap; s++) {
        if (*s == ' ' || *s == '\n' || *s == '\r') {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = 0;
        out[n++] = *s;
    }
    out[n] = '\0';
}

/* Walk every page of a text: the limit, the nav line per page, and the pages' texts
 * adding up to the original word for word (so no word was split). */
static size_t check_text(const char *text, const struct render_nav *nav,
                         const struct render_limits *lim, int split_words)
{
    static char all[8192], want[8192], got[8192];
    char out[1024], nl[256];
    size_t npages = 0, n = 0;

    CHECK_INT(render_text(text, 0, nav, lim, out, sizeof out, &npages), 0);
    for (size_t p = 0; p < npages; p++) {
        size_t np = 0, len, chunk;
        int last = p + 1 == npages;

        CHECK_INT(render_text(text, p, nav, lim, out, sizeof out, &np), 0);
        CHECK_INT(np, npages);
        CHECK(page_fits(out, lim));
        len = strlen(out);
        if (nav->final && last)
            nl[0] = '\0';
        else
            expected_nav(nav, p > 0 || nav->back, !last, nl, sizeof nl);
        chunk = len;
        if (*nl) {
            size_t k = strlen(nl);
            CHECK(len >= k && strcmp(out + len - k, nl) == 0);
            chunk = len > k ? len - k - 1 : 0;
            if (len > k)
                CHECK(out[chunk] == '\n');
        }
        if (n && !split_words && n + 1 < sizeof all)
            all[n++] = ' ';
        if (n + chunk < sizeof all) {
            memcpy(all + n, out, chunk);
            n += chunk;
        }
    }
    all[n] = '\0';
    normalize(all, got, sizeof got);
    normalize(text, want, sizeof want);
    CHECK_STR(got, want);
    return npages;
}

static const char *long_text =
    "Murakoze! Your application for a building permit has been received by the City of "
    "Kigali One Stop Centre. Reference: BP-2024-000123. The engineer in charge of your "
    "sector will visit the parcel within ten working days; please make sure someone is "
    "there to show the boundaries. You will need the original land title, the approved "
    "architectural plans, the structural calculations signed by a registered engineer, and "
    "the receipt of the fee. Fees can be paid with Mobile Money or at any Bank of Kigali "
    "branch. To follow your file, dial *123*2# and choose option 3, or call 3260 for free. "
    "Thank you for using our services.";

static void test_long_final_text(void)
{
    struct render_nav nav = nav_std(0, 0, 1);
    char out[512], line[512];
    size_t np, pages;

    CHECK(strlen(long_text) > 550);
    pages = check_text(long_text, &nav, &lim_std, 0);
    CHECK(pages >= 4);
    CHECK_INT(render_text(long_text, 0, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK(strcmp(out + strlen(out) - 8, "\n98 More") == 0);
    CHECK(strlen(out) > 160); /* greedy: the page is nearly full */
    CHECK_INT(render_text(long_text, 1, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK(line_of(out, count_lines(out) - 1, line, sizeof line));
    CHECK_STR(line, "0 Back  98 More");
    CHECK_INT(render_text(long_text, np - 1, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK(strstr(out, "More") == NULL);
    CHECK(strstr(out, "0 Back") == NULL);
    CHECK(strcmp(out + strlen(out) - 9, "services.") == 0);
    CHECK_INT(render_text(long_text, np, &nav, &lim_std, out, sizeof out, &np), -1);

    struct render_nav all = nav_std(1, 1, 1), open = nav_std(1, 1, 0);
    check_text(long_text, &all, &lim_std, 0);
    check_text(long_text, &open, &lim_std, 0);
    struct render_limits small = {60, 30};
    check_text(long_text, &all, &small, 0);
}

static void test_text_exact(void)
{
    struct render_nav nav = nav_std(0, 0, 1);
    struct render_limits lim = {30, 15};
    const char *t = "The quick brown fox jumps over the lazy dog and runs far away";
    char out[128];
    size_t np;

    CHECK_INT(render_text(t, 0, &nav, &lim, out, sizeof out, &np), 0);
    CHECK_STR(out, "The quick brown fox\n98 More");
    CHECK_INT(np, 3);
    CHECK_INT(render_text(t, 1, &nav, &lim, out, sizeof out, &np), 0);
    CHECK_STR(out, "jumps over the\n0 Back  98 More");
    CHECK_INT(render_text(t, 2, &nav, &lim, out, sizeof out, &np), 0);
    CHECK_STR(out, "lazy dog and runs far away");

    /* Line breaks are kept inside a page and used as break points. */
    CHECK_INT(render_text("Ref: 123\nAmount: 5000 RWF\n", 0, &nav, &lim_std, out, sizeof out,
                          &np), 0);
    CHECK_STR(out, "Ref: 123\nAmount: 5000 RWF");
    CHECK_INT(np, 1);

    /* Not final: the only page still offers the nav that applies. */
    struct render_nav open = nav_std(1, 0, 0);
    CHECK_INT(render_text("Enter your ID number", 0, &open, &lim_std, out, sizeof out, &np), 0);
    CHECK_STR(out, "Enter your ID number\n0 Back");

    CHECK_INT(render_text("", 0, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK_STR(out, "");
    CHECK_INT(np, 1);
    CHECK_INT(render_text(NULL, 0, &open, &lim_std, out, sizeof out, &np), 0);
    CHECK_STR(out, "0 Back");
    CHECK_INT(render_text("   \n  ", 0, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK_STR(out, "");
}

static void test_text_ucs2_page_only(void)
{
    /* One non-GSM character makes only the page holding it UCS2. */
    char t[2048];
    size_t n = 0, np;
    char out[512];
    struct render_nav nav = nav_std(0, 0, 1);

    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(t + n, sizeof t - n, "word%02d ", i);
    n += (size_t)snprintf(t + n, sizeof t - n, "fran\xC3\xA7" "ais ");
    for (int i = 0; i < 30; i++)
        n += (size_t)snprintf(t + n, sizeof t - n, "tail%02d ", i);
    check_text(t, &nav, &lim_std, 0);
    CHECK_INT(render_text(t, 0, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK(!page_is_ucs2(out));
    CHECK(strlen(out) > 150);
    for (size_t p = 0; p < np; p++) {
        CHECK_INT(render_text(t, p, &nav, &lim_std, out, sizeof out, &np), 0);
        if (strstr(out, "fran\xC3\xA7"))
            CHECK(page_is_ucs2(out) && gsm_fits(out, strlen(out), 0, 80));
        else
            CHECK(!page_is_ucs2(out));
    }
}

static void test_text_hard_split(void)
{
    char word[700], out[512];
    struct render_nav nav = nav_std(0, 0, 1);
    size_t np;

    memset(word, 'x', 500);
    word[500] = '\0';
    CHECK(check_text(word, &nav, &lim_std, 1) >= 3);
    CHECK_INT(render_text(word, 0, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK_INT(strlen(out), 182); /* 174 x + "\n98 More" */

    /* 300 é (GSM, two bytes each): pieces end on character boundaries. */
    for (int i = 0; i < 300; i++)
        memcpy(word + 2 * i, "\xC3\xA9", 2);
    word[600] = '\0';
    check_text(word, &nav, &lim_std, 1);
    CHECK_INT(render_text(word, 0, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK_INT(np, 2);
    for (size_t p = 0; p < np; p++) {
        CHECK_INT(render_text(word, p, &nav, &lim_std, out, sizeof out, &np), 0);
        CHECK(((unsigned char)out[0] & 0xC0) != 0x80);
        CHECK(!page_is_ucs2(out));
    }

    /* A long word in the middle goes to its own pages; the words around it do not. */
    char mixed[800];
    strcpy(mixed, "Before it. ");
    memset(mixed + 11, 'y', 300);
    strcpy(mixed + 311, " After it.");
    CHECK_INT(render_text(mixed, 0, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK_INT(np, 3);
    CHECK_STR(out, "Before it.\n98 More");
    CHECK_INT(render_text(mixed, 1, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK_INT(strlen(out), 182);
    CHECK_INT(strspn(out, "y"), 166);
    CHECK_INT(render_text(mixed, 2, &nav, &lim_std, out, sizeof out, &np), 0);
    CHECK_INT(strspn(out, "y"), 134);
    CHECK_STR(out + 134, " After it.");
}

static void test_truncate(void)
{
    char s[512];
    struct render_limits lim = lim_std;

    strcpy(s, "Short text");
    render_truncate(s, &lim);
    CHECK_STR(s, "Short text");

    memset(s, 'a', 300);
    s[300] = '\0';
    render_truncate(s, &lim);
    CHECK_INT(strlen(s), 182);
    CHECK(strcmp(s + 179, "...") == 0);
    CHECK(page_fits(s, &lim));

    /* 100 ç: UCS2, cut to 77 + "..." = 80 units. */
    for (int i = 0; i < 100; i++)
        memcpy(s + 2 * i, "\xC3\xA7", 2);
    s[200] = '\0';
    render_truncate(s, &lim);
    CHECK(page_fits(s, &lim));
    CHECK_INT(strlen(s), 77 * 2 + 3);

    /* Cutting off the ç makes the rest GSM; the result must still fit in place. */
    memset(s, 'a', 179);
    memcpy(s + 179, "\xC3\xA7", 3);
    render_truncate(s, &lim);
    CHECK(page_fits(s, &lim));
    CHECK(strlen(s) <= 181);
    CHECK(strcmp(s + strlen(s) - 3, "...") == 0);

    /* Extension characters count two; a cut never splits the euro sign. */
    for (int i = 0; i < 100; i++)
        memcpy(s + 3 * i, "\xE2\x82\xAC", 3);
    s[300] = '\0';
    render_truncate(s, &lim);
    CHECK(page_fits(s, &lim));
    CHECK_INT(strlen(s), 89 * 3 + 3);

    /* A cut is at a character, not a word; trailing spaces go before the dots. */
    struct render_limits ten = {10, 5}, nine = {9, 5};
    strcpy(s, "Hello wonderful world");
    render_truncate(s, &ten);
    CHECK_STR(s, "Hello w...");
    strcpy(s, "Hello wonderful world");
    render_truncate(s, &nine);
    CHECK_STR(s, "Hello...");

    /* Limits too small even for "...". */
    struct render_limits two = {2, 2};
    strcpy(s, "abcdef");
    render_truncate(s, &two);
    CHECK_STR(s, "ab");
    struct render_limits none = {-1, -1};
    strcpy(s, "abcdef");
    render_truncate(s, &none);
    CHECK_STR(s, "");
    render_truncate(NULL, &lim);
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void random_string(char *s, size_t max)
{
    static const char *pieces[] = {"a", "bc", " ", "\n", "{", "\xE2\x82\xAC", "\xC3\xA7",
                                   "\xF0\x9F\x98\x80", "\xFF", "\x80", "\xE2\x82", "word ",
                                   "Kicukiro ", "\r\n", "\xC3\xA9"};
    size_t n = 0, want = rng() % max;

    while (n < want) {
        const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
        size_t k = strlen(p);
        if (n + k >= max)
            break;
        memcpy(s + n, p, k);
        n += k;
    }
    s[n] = '\0';
}

static void test_hostile_random(void)
{
    static char header[400], labels_buf[12][300], text[1500], copy[1500], k[3][20], l[3][40];
    const char *labels[12];
    char out[600], again[600];

    for (int round = 0; round < 400; round++) {
        struct render_limits lim;
        struct render_nav nav;
        size_t n = rng() % 12, np = 0, first, count;

        lim.gsm = (int)(rng() % 200);
        lim.ucs2 = (int)(rng() % (size_t)(lim.gsm + 1));
        if (round % 50 == 0)
            lim.gsm = lim.ucs2 = (int)(rng() % 4) - 1;
        random_string(header, rng() % 2 ? 40 : sizeof header);
        for (size_t i = 0; i < n; i++) {
            random_string(labels_buf[i], rng() % 3 ? 30 : sizeof labels_buf[i]);
            labels[i] = labels_buf[i];
        }
        for (int i = 0; i < 3; i++) {
            random_string(k[i], 4);
            random_string(l[i], rng() % 4 ? 12 : sizeof l[i]);
        }
        nav = (struct render_nav){k[0], k[1], k[2], l[0], l[1], l[2], (int)(rng() % 2),
                                  (int)(rng() % 2), (int)(rng() % 2)};
        random_string(text, sizeof text);

        render_menu(header, labels, n, 0, &nav, &lim, out, sizeof out, &np, &first, &count);
        CHECK(np >= 1);
        for (size_t p = 0; p < np && p < 200; p++) {
            size_t np2;
            render_menu(header, labels, n, p, &nav, &lim, out, sizeof out, &np2, &first, &count);
            CHECK_INT(np2, np);
            if (lim.gsm >= 0)
                CHECK(page_fits(out, &lim));
            render_menu(header, labels, n, p, &nav, &lim, again, sizeof again, &np2, &first,
                        &count);
            CHECK_STR(again, out);
        }
        render_text(text, 0, &nav, &lim, out, sizeof out, &np);
        CHECK(np >= 1);
        for (size_t p = 0; p < np && p < 200; p++) {
            render_text(text, p, &nav, &lim, out, sizeof out, NULL);
            if (lim.gsm >= 0)
                CHECK(page_fits(out, &lim));
        }
        /* Small caps never overflow. */
        size_t cap = rng() % 8;
        memset(again, 'z', 16);
        render_menu(header, labels, n, 0, &nav, &lim, again, cap, &np, &first, &count);
        CHECK(cap == 0 || strlen(again) < cap);
        CHECK(again[cap] == 'z');
        render_text(text, 0, &nav, &lim, again, cap, &np);
        CHECK(cap == 0 || strlen(again) < cap);
        strcpy(copy, text);
        render_truncate(copy, &lim);
        if (lim.gsm >= 0)
            CHECK(page_fits(copy, &lim));
        CHECK(strlen(copy) <= strlen(text));
        if (harness_failed_now)
            break;
    }
}

int main(void)
{
    RUN(test_districts_exact);
    RUN(test_districts_back_home_exact);
    RUN(test_districts_every_page);
    RUN(test_districts_ucs2_header);
    RUN(test_custom_keys);
    RUN(test_option_too_long);
    RUN(test_header_too_long);
    RUN(test_empty_list);
    RUN(test_page_out_of_range);
    RUN(test_defaults_and_null_outputs);
    RUN(test_cap_too_small);
    RUN(test_long_final_text);
    RUN(test_text_exact);
    RUN(test_text_ucs2_page_only);
    RUN(test_text_hard_split);
    RUN(test_truncate);
    RUN(test_hostile_random);
    return harness_finish();
}
