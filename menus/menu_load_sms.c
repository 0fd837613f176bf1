/*
 * menu_load_sms.c: the SMS keyword rules of a menu set, `sms:` (a list of rules) and
 * `sms_default:` (the answer when no rule matches) at the top level of any menu file.
 *
 * A rule is {keyword, reply} or {keyword, handler, args, on}: the keyword is a PCRE2
 * pattern compiled caseless, UTF and UCP whose named groups become variables; `reply`
 * is a fixed answer; a handler's outcome picks the answer in `on`. Every problem is
 * reported like the screens' (menu_load_int.h); the length of the answers is checked
 * by menu_check_sms_fit once the set is read.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "menu_check.h"
#include "menu_load_int.h"

#define LOAD_MAX_SMS_RULES 500
#define LOAD_MAX_SMS_ARGS 32
#define LOAD_MAX_SMS_OUTCOMES 64
#define SMS_MAX_GROUPS 64 /* named groups looked at when checking templates */

static const char *const rule_keys[] = {"keyword", "reply", "handler", "args", "on", NULL};

/* The variables a rule's templates may use before any handler ran: the keyword's named
 * groups, then msisdn and lang. */
struct known {
    const char *v[SMS_MAX_GROUPS + 2];
    size_t n;
    int keyword; /* 0: no keyword (sms_default): only msisdn and lang */
};

static void known_init(struct known *k, const struct pcre2_real_code_8 *re)
{
    k->n = 0;
    k->keyword = re != NULL;
    if (re) {
        uint32_t count = 0, size = 0;
        PCRE2_SPTR table = NULL;
        const pcre2_code *c = (const pcre2_code *)re;
        if (pcre2_pattern_info(c, PCRE2_INFO_NAMECOUNT, &count) == 0 &&
            pcre2_pattern_info(c, PCRE2_INFO_NAMEENTRYSIZE, &size) == 0 &&
            pcre2_pattern_info(c, PCRE2_INFO_NAMETABLE, &table) == 0 && table)
            for (uint32_t i = 0; i < count && k->n < SMS_MAX_GROUPS; i++)
                k->v[k->n++] = (const char *)(table + (size_t)i * size + 2);
    }
    k->v[k->n++] = "msisdn";
    k->v[k->n++] = "lang";
}

/* Names already reported for one text. */
struct seen {
    char v[8][MENU_NAME_MAX + 1];
    size_t n;
};

/* Warn, once per name, about each `{name}` of template s that nothing sets. k NULL: the
 * keyword did not compile, so its groups are unknown. */
static void check_vars(struct loader *L, const struct ynode *n, const char *s, const char *what,
                       const struct known *k, struct seen *seen)
{
    if (!k)
        return;
    const char *p = s, *in;
    char name[MENU_NAME_MAX + 1];
    size_t len;
    while (mload_template_next(&p, name, &in, &len)) {
        if (!name[0])
            continue; /* not a variable: mload_check_template said so */
        size_t i;
        for (i = 0; i < k->n && strcmp(k->v[i], name) != 0; i++)
            ;
        if (i < k->n)
            continue;
        for (i = 0; i < seen->n && strcmp(seen->v[i], name) != 0; i++)
            ;
        if (i < seen->n)
            continue;
        const char *c = menu_closest(name, k->v, k->n);
        if (c)
            mload_warn(L, n, "'{%s}' in %s is never set (did you mean '{%s}'?)", name, what, c);
        else if (!k->keyword)
            mload_warn(L, n, "'{%s}' in %s is never set: the variables there are msisdn and lang",
                       name, what);
        else
            mload_warn(L, n, "'{%s}' in %s is never set: the keyword has no group (?<%s>...), "
                             "and the built-in variables are msisdn and lang", name, what, name);
        if (seen->n < sizeof seen->v / sizeof seen->v[0])
            memcpy(seen->v[seen->n++], name, len + 1);
    }
}

/* check_vars over every language of a text. */
static void check_text_vars(struct loader *L, const struct ynode *n, const struct menu_text *t,
                            const char *what, const struct known *k)
{
    struct seen seen = {.n = 0};
    for (int i = 0; i < MENU_MAX_LANGS; i++)
        if (t->s[i])
            check_vars(L, n, t->s[i], what, k, &seen);
}

static void load_rule_args(struct loader *L, struct menu_sms_rule *r, size_t no,
                           const struct ynode *n, const struct known *k)
{
    char w[160];
    if (n->type != Y_MAP) {
        mload_err(L, n, "'args' of SMS rule %zu must be a map of name to value, not %s", no,
                  mload_tname(n));
        return;
    }
    mload_check_dups(L, n);
    size_t cnt = n->n / 2;
    if (cnt > LOAD_MAX_SMS_ARGS) {
        mload_err(L, n->kids[2 * LOAD_MAX_SMS_ARGS], "too many args: an SMS rule can have at "
                                                     "most %d", LOAD_MAX_SMS_ARGS);
        cnt = LOAD_MAX_SMS_ARGS;
    }
    r->args = mload_alloc(L, (cnt ? cnt : 1) * sizeof *r->args);
    if (!r->args)
        return;
    char of[40];
    snprintf(of, sizeof of, "of SMS rule %zu", no);
    for (size_t i = 0; i < cnt; i++) {
        struct menu_arg *a = &r->args[r->n_args];
        if (!mload_arg(L, n->kids[2 * i], n->kids[2 * i + 1], of, a, w, sizeof w))
            continue;
        struct seen seen = {.n = 0};
        check_vars(L, n->kids[2 * i + 1], a->value, w, k, &seen);
        r->n_args++;
    }
}

static void load_rule_on(struct loader *L, struct menu_sms_rule *r, size_t no,
                         const struct ynode *on)
{
    char w[160];
    if (on->type != Y_MAP) {
        mload_err(L, on, "'on' of SMS rule %zu must be a map of outcome to reply, like {ok: "
                         "\"...\", error: \"...\"}, not %s", no, mload_tname(on));
        return;
    }
    if (on->n == 0) {
        mload_err(L, on, "'on' of SMS rule %zu is empty: give the reply for at least the "
                         "outcome 'ok'", no);
        return;
    }
    mload_check_dups(L, on);
    size_t cnt = on->n / 2;
    if (cnt > LOAD_MAX_SMS_OUTCOMES) {
        mload_err(L, on->kids[2 * LOAD_MAX_SMS_OUTCOMES], "too many outcomes: an SMS rule can "
                                                          "answer at most %d", LOAD_MAX_SMS_OUTCOMES);
        cnt = LOAD_MAX_SMS_OUTCOMES;
    }
    r->on = mload_alloc(L, cnt * sizeof *r->on);
    if (!r->on)
        return;
    for (size_t i = 0; i < cnt; i++) {
        const struct ynode *k = on->kids[2 * i], *v = on->kids[2 * i + 1];
        snprintf(w, sizeof w, "an outcome in 'on' of SMS rule %zu", no);
        const char *out = mload_get_name(L, k, w);
        if (!out)
            continue;
        struct menu_sms_reply *rp = &r->on[r->n_on];
        rp->outcome = out;
        rp->pos = mload_pos(L, k);
        snprintf(w, sizeof w, "the reply for outcome '%s' of SMS rule %zu", out, no);
        if (mload_get_text(L, v, &rp->text, w, 1))
            r->n_on++;
    }
}

static void load_rule(struct loader *L, struct menu_sms_rule *r, size_t no, const struct ynode *n)
{
    char w[160];
    r->pos = mload_pos(L, n);
    if (n->type != Y_MAP) {
        mload_err(L, n, "SMS rule %zu must be a map with keyword and reply (or keyword, handler "
                        "and on), not %s", no, mload_tname(n));
        return;
    }
    mload_check_dups(L, n);
    mload_check_keys(L, n, rule_keys, "an SMS rule", NULL);
    const struct ynode *kw = mload_map_get(n, "keyword"), *reply = mload_map_get(n, "reply"),
                       *h = mload_map_get(n, "handler"), *args = mload_map_get(n, "args"),
                       *on = mload_map_get(n, "on");
    if (!kw) {
        mload_err(L, n, "SMS rule %zu is missing the required key 'keyword' (a pattern, like "
                        "'^\\s*HELP\\s*$')", no);
    } else {
        snprintf(w, sizeof w, "the keyword of SMS rule %zu", no);
        if ((r->keyword = mload_get_str(L, kw, w)))
            r->re = mload_compile_re(L, kw, r->keyword, w, PCRE2_CASELESS);
    }
    struct known k;
    known_init(&k, r->re);

    if (reply && h)
        mload_err(L, h, "SMS rule %zu has both 'reply' and 'handler': give a fixed 'reply', or "
                        "a 'handler' and the reply for each of its outcomes in 'on'", no);
    else if (!reply && !h)
        mload_err(L, n, "SMS rule %zu needs 'reply' (a fixed answer) or 'handler' (with 'on': "
                        "the answer for each outcome)", no);
    if (on && !h)
        mload_err(L, on, "SMS rule %zu has 'on' but no 'handler': 'on' picks the reply by a "
                         "handler's outcome; a fixed answer goes in 'reply'", no);
    if (args && !h)
        mload_err(L, args, "SMS rule %zu has 'args' but no 'handler': args are passed to the "
                           "handler", no);
    if (h && !on && !reply)
        mload_err(L, n, "SMS rule %zu has a 'handler', so it needs 'on': the reply for each "
                        "outcome, like {ok: \"...\", not_found: \"...\", error: \"...\"}", no);

    if (reply) {
        snprintf(w, sizeof w, "the reply of SMS rule %zu", no);
        r->has_reply = mload_get_text(L, reply, &r->reply, w, 1);
        if (r->has_reply)
            check_text_vars(L, reply, &r->reply, w, r->re ? &k : NULL);
    }
    if (h) {
        snprintf(w, sizeof w, "the handler of SMS rule %zu", no);
        r->handler = mload_get_name(L, h, w);
        mload_check_handler(L, h, r->handler);
        if (args)
            load_rule_args(L, r, no, args, r->re ? &k : NULL);
        if (on)
            load_rule_on(L, r, no, on);
    }
}

void menu_load_sms(struct loader *L)
{
    struct menu_set *set = L->set;
    size_t nf = L->n_files, total = 0;
    for (size_t f = 0; f < nf; f++) {
        const struct ynode *root = mload_file(L, f);
        const struct ynode *sms = root ? mload_map_get(root, "sms") : NULL;
        if (sms && sms->type == Y_SEQ)
            total += sms->n;
    }
    if (total > LOAD_MAX_SMS_RULES)
        total = LOAD_MAX_SMS_RULES;
    if (total && !(set->sms_rules = mload_alloc(L, total * sizeof *set->sms_rules)))
        return;

    const struct ynode *first_sms = NULL, *def_key = NULL;
    size_t first_file = 0, def_file = 0;
    int over = 0;
    for (size_t f = 0; f < nf && !L->oom; f++) {
        const struct ynode *root = mload_file(L, f);
        if (!root || root->type != Y_MAP)
            continue;
        const struct ynode *sms = mload_map_get(root, "sms");
        /* an empty `sms:` is as good as none */
        if (sms && !mload_is_null(sms)) {
            if (!first_sms) {
                first_sms = mload_key_of(root, sms);
                first_file = f;
            }
            if (sms->type != Y_SEQ) {
                mload_err(L, sms, "sms must be a list of rules, like - {keyword: '^\\s*HELP\\s*$', "
                                  "reply: \"...\"}, not %s", mload_tname(sms));
            } else {
                for (size_t i = 0; i < sms->n && !L->oom; i++) {
                    if (set->n_sms_rules == total) {
                        if (!over)
                            mload_err(L, sms->kids[i], "too many SMS rules: a set can have at "
                                                       "most %d", LOAD_MAX_SMS_RULES);
                        over = 1;
                        break;
                    }
                    if (!sms->kids[i]->complete)
                        continue; /* cut by a syntax error, reported */
                    struct menu_sms_rule *r = &set->sms_rules[set->n_sms_rules++];
                    load_rule(L, r, i + 1, sms->kids[i]);
                }
            }
        }
        const struct ynode *def = mload_map_get(root, "sms_default");
        if (!def || !def->complete)
            continue;
        const struct ynode *key = mload_key_of(root, def);
        if (def_key) {
            mload_err(L, key, "sms_default is already given in %s:%d:%d; only one file may have "
                              "sms_default", L->files[def_file].name, def_key->line,
                      def_key->col);
            continue;
        }
        def_key = key;
        def_file = f;
        if (mload_get_text(L, def, &set->sms_default, "sms_default", 1)) {
            set->has_sms_default = 1;
            struct known k;
            known_init(&k, NULL);
            check_text_vars(L, def, &set->sms_default, "sms_default", &k);
        }
    }
    if (first_sms && !def_key && !L->oom) {
        mload_file(L, first_file);
        mload_warn(L, first_sms, "there are SMS rules but no sms_default, so a text no rule "
                                 "matches gets no answer: add sms_default: {%s: \"...\"} saying "
                                 "how to use the service", set->langs[set->default_lang]);
    }
}
