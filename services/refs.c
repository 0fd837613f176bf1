/*
 * refs.c: reference numbers (Damm check digit), national IDs, masking and business
 * names; see refs.h for the rules.
 */
#include "refs.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- reference numbers ---- */

static const struct {
    const char *prefix, *service;
    char digit;
} prefixes[] = {
    {"LND", "land", '1'},
    {"BIZ", "business", '2'},
    {"BPA", "permit", '3'},
    {"BIL", "bill", '9'},
    {"TKT", "ticket", '4'}, /* reported problems (tickets.c) */
};

#define N_PREFIXES (sizeof prefixes / sizeof prefixes[0])

/* The Damm operation table (H. M. Damm, 2004). */
static const unsigned char damm[10][10] = {
    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3}, {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
    {1, 7, 5, 0, 9, 8, 3, 4, 2, 6}, {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7}, {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
    {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

static int prefix_index(const char *p)
{
    if (!p)
        return -1;
    for (size_t i = 0; i < N_PREFIXES; i++)
        if (strcmp(prefixes[i].prefix, p) == 0)
            return (int)i;
    return -1;
}

const char *refs_prefix(const char *service)
{
    if (!service)
        return NULL;
    for (size_t i = 0; i < N_PREFIXES; i++)
        if (strcmp(prefixes[i].service, service) == 0)
            return prefixes[i].prefix;
    return NULL;
}

const char *refs_service(const char *prefix)
{
    int i = prefix_index(prefix);
    return i < 0 ? NULL : prefixes[i].service;
}

int refs_damm(const char *s)
{
    int interim = 0;
    for (; s && *s; s++)
        if (*s >= '0' && *s <= '9')
            interim = damm[interim][*s - '0'];
    return interim;
}

/* Check digit of a prefix (by index), a year and a sequence. */
static int ref_digit(int pi, int yy, long seq)
{
    char d[16];
    snprintf(d, sizeof d, "%c%02d%06ld", prefixes[pi].digit, yy, seq);
    return refs_damm(d);
}

int refs_make(char *buf, size_t n, const char *prefix, int yy, long seq)
{
    int pi = prefix_index(prefix);
    if (pi < 0 || yy < 0 || yy > 99 || seq < 0 || seq > REFS_SEQ_MAX || n < REFS_MAX)
        return -1;
    snprintf(buf, n, "%s-%02d-%06ld-%d", prefix, yy, seq, ref_digit(pi, yy, seq));
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int refs_split(const char *ref, char *prefix, int *yy, long *seq)
{
    /* PFX-YY-NNNNNN-C */
    if (!ref || strlen(ref) != 15 || ref[3] != '-' || ref[6] != '-' || ref[13] != '-' ||
        !all_digits(ref + 4, 2) || !all_digits(ref + 7, 6) || !all_digits(ref + 14, 1))
        return -1;
    char p[4] = {ref[0], ref[1], ref[2], 0};
    if (prefix_index(p) < 0)
        return -1;
    if (prefix)
        memcpy(prefix, p, 4);
    if (yy)
        *yy = (ref[4] - '0') * 10 + (ref[5] - '0');
    if (seq) {
        long v = 0;
        for (int i = 7; i < 13; i++)
            v = v * 10 + (ref[i] - '0');
        *seq = v;
    }
    return 0;
}

int refs_check(const char *ref)
{
    char p[4];
    int yy;
    long seq;
    if (refs_split(ref, p, &yy, &seq) != 0)
        return 0;
    return ref_digit(prefix_index(p), yy, seq) == ref[14] - '0';
}

static int is_ref_sep(char c)
{
    return c == '-' || c == ' ' || c == '*' || c == '/' || c == '.' || c == '_';
}

const char *refs_parse(const char *in, const char *expect, char *out, size_t n)
{
    char pfx[4] = {0};
    size_t np = 0;
    /* digit groups: at most 4, each at most 9 digits */
    char grp[4][10];
    size_t glen[4] = {0};
    int ng = 0;
    const char *p = in;
    if (!in || n < REFS_MAX)
        return "format";
    while (*p == ' ')
        p++;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
        if (np >= 3)
            return "format";
        pfx[np++] = (char)(*p >= 'a' ? *p - 32 : *p);
        p++;
    }
    if (np != 0 && np != 3)
        return "format";
    while (*p) {
        if (is_ref_sep(*p)) {
            p++;
            continue;
        }
        if (*p == '#' && p[1] == 0)
            break; /* a USSD answer may end with '#' */
        if (*p < '0' || *p > '9' || ng == 4)
            return "format";
        size_t l = 0;
        while (*p >= '0' && *p <= '9') {
            if (l >= 9)
                return "format";
            grp[ng][l++] = *p++;
        }
        grp[ng][l] = 0;
        glen[ng++] = l;
        if (*p && !is_ref_sep(*p) && !(*p == '#' && p[1] == 0))
            return "format";
    }
    char digits[10]; /* YY NNNNNN C */
    if (ng == 1 && glen[0] == 9) {
        memcpy(digits, grp[0], 10);
    } else if (ng == 3 && glen[0] == 2 && glen[1] >= 1 && glen[1] <= 6 && glen[2] == 1) {
        /* YY, then the sequence padded to 6 digits, then C */
        memcpy(digits, grp[0], 2);
        memset(digits + 2, '0', 6 - glen[1]);
        memcpy(digits + 8 - glen[1], grp[1], glen[1]);
        digits[8] = grp[2][0];
        digits[9] = 0;
    } else {
        return "format";
    }
    if (np == 0) {
        if (!expect)
            return "format";
        snprintf(pfx, sizeof pfx, "%s", expect);
    }
    if (prefix_index(pfx) < 0 || (expect && strcmp(pfx, expect) != 0))
        return "prefix";
    snprintf(out, n, "%s-%.2s-%.6s-%c", pfx, digits, digits + 2, digits[8]);
    if (!refs_check(out)) {
        out[0] = 0;
        return "check";
    }
    return NULL;
}

/* ---- national IDs ---- */

static int current_year(void)
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 2100;
    return tm.tm_year + 1900;
}

const char *refs_id_check_at(const char *id, int this_year, struct refs_id *out)
{
    if (!id || strlen(id) != 16)
        return "length";
    if (!all_digits(id, 16))
        return "digits";
    int cat = id[0] - '0';
    if (cat < 1 || cat > 3)
        return "category";
    int year = (id[1] - '0') * 1000 + (id[2] - '0') * 100 + (id[3] - '0') * 10 + (id[4] - '0');
    if (year < 1900 || year > this_year)
        return "year";
    if (id[5] != '7' && id[5] != '8')
        return "gender";
    if (out) {
        out->category = cat;
        out->year = year;
        out->female = id[5] == '7';
        long s = 0;
        for (int i = 6; i < 13; i++)
            s = s * 10 + (id[i] - '0');
        out->serial = s;
        out->issue = id[13] - '0';
    }
    return NULL;
}

const char *refs_id_check(const char *id)
{
    return refs_id_check_at(id, current_year(), NULL);
}

char *refs_id_clean(const char *id, char *out, size_t n)
{
    size_t j = 0;
    if (!n)
        return out;
    for (; id && *id && j + 1 < n; id++)
        if (*id != ' ' && *id != '-' && *id != '.')
            out[j++] = *id;
    out[j] = 0;
    return out;
}

const char *refs_id_parse(const char *id, char *out, size_t n)
{
    refs_id_clean(id ? id : "", out, n);
    return refs_id_check(out);
}

/* ---- masking ---- */

char *refs_mask_name(const char *name, char *buf, size_t n)
{
    size_t j = 0;
    const unsigned char *p = (const unsigned char *)(name ? name : "");
    if (!n)
        return buf;
    buf[0] = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        /* the word's first character, whole (UTF-8), upper-cased when ASCII */
        size_t cl = *p < 0x80 ? 1 : (*p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1);
        size_t need = (j ? 1 : 0) + cl + 1;
        if (j + need + 1 > n)
            break;
        if (j)
            buf[j++] = ' ';
        for (size_t k = 0; k < cl && p[k]; k++)
            buf[j++] = (char)(k == 0 && p[0] >= 'a' && p[0] <= 'z' ? p[0] - 32 : p[k]);
        buf[j++] = '.';
        buf[j] = 0;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    return buf;
}

static char *mask_keep(const char *s, size_t keep, int keep_plus, char *buf, size_t n)
{
    size_t l = s ? strlen(s) : 0, j = 0;
    if (!n)
        return buf;
    for (size_t i = 0; i < l && j + 1 < n; i++) {
        if (i == 0 && keep_plus && s[0] == '+')
            buf[j++] = '+';
        else
            buf[j++] = i + keep >= l ? s[i] : '*';
    }
    buf[j] = 0;
    return buf;
}

char *refs_mask_id(const char *id, char *buf, size_t n)
{
    return mask_keep(id, 4, 0, buf, n);
}

char *refs_mask_phone(const char *msisdn, char *buf, size_t n)
{
    return mask_keep(msisdn, 3, 1, buf, n);
}

/* ---- business names ---- */

/* ASCII for the Latin-1 letters U+00C0..U+00FF (0: not a letter, a separator). */
static const char latin1[65] = "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"
                               "aaaaaaaceeeeiiiidnooooo\0ouuuuyty";

/* Append the norm of name to out: lower-case words separated by one space. */
char *refs_name_norm(const char *name, char *out, size_t n)
{
    size_t j = 0;
    int space = 0;
    size_t seg = 0; /* letters since the last separator or dropped dot */
    const unsigned char *p = (const unsigned char *)(name ? name : "");
    if (!n)
        return out;
    while (*p && j + 1 < n) {
        unsigned char c = *p;
        char letter = 0;
        size_t adv = 1;
        if (c == '\'' || c == '`') {
            p++;
            continue; /* "Mama's" -> "mamas" */
        }
        if (c == '.' && seg == 1 && ((p[1] | 0x20) >= 'a' && (p[1] | 0x20) <= 'z')) {
            p++;
            seg = 0;
            continue; /* "S.A.R.L." -> "sarl" */
        }
        if (c == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
            p += 3; /* ‘ ’ */
            continue;
        }
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            letter = (char)c;
        } else if (c >= 'A' && c <= 'Z') {
            letter = (char)(c + 32);
        } else if (c == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF) {
            letter = latin1[p[1] - 0x80];
            adv = 2;
        } else if (c >= 0x80) {
            /* another non-ASCII character: keep its bytes as part of the word */
            size_t cl = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            size_t k = 0;
            while (k < cl && p[k])
                k++;
            if (space && j > 0 && j + 1 < n)
                out[j++] = ' ';
            space = 0;
            if (j + k >= n)
                break;
            memcpy(out + j, p, k);
            j += k;
            p += k;
            seg++;
            continue;
        }
        p += adv;
        if (!letter) {
            space = 1;
            seg = 0;
            continue;
        }
        seg++;
        if (space && j > 0) {
            if (j + 2 >= n)
                break;
            out[j++] = ' ';
        }
        space = 0;
        out[j++] = letter;
    }
    out[j] = 0;
    return out;
}

static const char *const legal_forms[] = {
    "ltd",
    "limited",
    "co",
    "company",
    "cooperative",
    "cooperatives",
    "coop",
    "cooperativa",
    "koperative",
    "kooperative",
    "sarl",
    "sa",
    "sprl",
    "plc",
    "inc",
    "llc",
    "ets",
    "etablissement",
    "etablissements",
};

static const char *const small_words[] = {
    "and", "the", "for", "des", "les", "pour", "aux", "bya", "cya", "rya", "kwa", "mwa",
};

static int in_list(const char *w, size_t l, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == l && memcmp(list[i], w, l) == 0)
            return 1;
    return 0;
}

static int is_legal_form(const char *w, size_t l)
{
    return in_list(w, l, legal_forms, sizeof legal_forms / sizeof legal_forms[0]);
}

char *refs_name_key(const char *name, char *out, size_t n)
{
    char norm[REFS_NAME_MAX];
    size_t j = 0;
    if (!n)
        return out;
    refs_name_norm(name, norm, sizeof norm);
    for (const char *w = norm; *w;) {
        size_t l = strcspn(w, " ");
        if (!is_legal_form(w, l)) {
            for (size_t k = 0; k < l && j + 1 < n; k++)
                out[j++] = w[k];
        }
        w += l;
        while (*w == ' ')
            w++;
    }
    out[j] = 0;
    return out;
}

size_t refs_name_tokens(const char *name, char tok[][REFS_TOKEN_MAX], size_t max)
{
    char norm[REFS_NAME_MAX];
    size_t k = 0;
    refs_name_norm(name, norm, sizeof norm);
    for (const char *w = norm; *w && k < max;) {
        size_t l = strcspn(w, " ");
        if (l >= 3 && !is_legal_form(w, l) &&
            !in_list(w, l, small_words, sizeof small_words / sizeof small_words[0])) {
            size_t c = l < REFS_TOKEN_MAX - 1 ? l : REFS_TOKEN_MAX - 1;
            memcpy(tok[k], w, c);
            tok[k][c] = 0;
            /* a repeated word counts once */
            size_t i;
            for (i = 0; i < k && strcmp(tok[i], tok[k]) != 0; i++)
                ;
            if (i == k)
                k++;
        }
        w += l;
        while (*w == ' ')
            w++;
    }
    return k;
}

/* Edit distance of a and b, or limit + 1 when it exceeds limit. */
static int edit_distance(const char *a, const char *b, int limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 80 || lb > 80)
        return limit + 1;
    if ((la > lb ? la - lb : lb - la) > (size_t)limit)
        return limit + 1;
    int prev[81], cur[81];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        int best = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            int v = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > limit)
            return limit + 1;
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

/* Two words with a common beginning of 5 letters or more, at least 70% of the shorter. */
static int same_stem(const char *a, const char *b)
{
    size_t k = 0, la = strlen(a), lb = strlen(b);
    while (a[k] && a[k] == b[k])
        k++;
    size_t shorter = la < lb ? la : lb;
    return k >= 5 && k * 10 >= shorter * 7;
}

int refs_name_similarity(const char *a, const char *b)
{
    char ka[REFS_NAME_MAX], kb[REFS_NAME_MAX];
    refs_name_key(a, ka, sizeof ka);
    refs_name_key(b, kb, sizeof kb);
    if (!ka[0] || !kb[0])
        return 0;
    if (strcmp(ka, kb) == 0)
        return 100;
    int score = 0;
    char ta[REFS_TOKENS_MAX][REFS_TOKEN_MAX], tb[REFS_TOKENS_MAX][REFS_TOKEN_MAX];
    size_t na = refs_name_tokens(a, ta, REFS_TOKENS_MAX);
    size_t nb = refs_name_tokens(b, tb, REFS_TOKENS_MAX);
    if (na && nb) {
        /* words in common; a word that shares its first 5+ letters with one of the other
         * name (bakery, bakeries) counts for 0.8 */
        size_t common = 0, fuzzy = 0;
        for (size_t i = 0; i < na; i++) {
            int best = 0;
            for (size_t j = 0; j < nb && best < 2; j++) {
                if (strcmp(ta[i], tb[j]) == 0)
                    best = 2;
                else if (same_stem(ta[i], tb[j]))
                    best = 1;
            }
            common += best == 2;
            fuzzy += best == 1;
        }
        size_t uni = na + nb - common - fuzzy;
        score = (int)((100 * common + 80 * fuzzy) / uni);
        if (score > 95)
            score = 95; /* only the same key is 100 */
    }
    size_t la = strlen(ka), lb = strlen(kb);
    const char *shorter = la <= lb ? ka : kb, *longer = la <= lb ? kb : ka;
    size_t ls = la <= lb ? la : lb;
    if (ls >= 6 && strncmp(shorter, longer, ls) == 0 && score < 75)
        score = 75;
    int limit = la >= 10 && lb >= 10 ? 2 : 1;
    if (la >= 5 && lb >= 5) {
        int d = edit_distance(ka, kb, limit);
        if (d <= limit) {
            int s = d == 1 ? 90 : 80;
            if (s > score)
                score = s;
        }
    }
    return score;
}

char *refs_note_line(const char *note, char *buf, size_t n)
{
    if (!n)
        return buf;
    size_t w = 0;
    const char *p = note ? note : "";
    for (; *p && w + 1 < n; p++)
        buf[w++] = (unsigned char)*p < 0x20 ? ' ' : *p;
    if (((unsigned char)*p & 0xC0) == 0x80) { /* cut inside a character: drop its start */
        while (w > 0 && ((unsigned char)buf[w - 1] & 0xC0) == 0x80)
            w--;
        if (w > 0)
            w--;
    }
    buf[w] = 0;
    return buf;
}
