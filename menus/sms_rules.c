/*
 * sms_rules.c: matching an inbound SMS against the keyword rules and picking the reply;
 * see sms_rules.h.
 */
#include "sms_rules.h"

#include <stdint.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "template.h"

/* Bounds of one keyword match: far above what a sane pattern needs on an SMS, far below
 * what would hold up the event loop. */
#define SMS_MATCH_LIMIT 200000
#define SMS_DEPTH_LIMIT 5000
#define SMS_HEAP_LIMIT_KIB 4096

/* Copy at most cap-1 bytes of s (len bytes), cut at a UTF-8 boundary. */
static void copy_cut(char *out, size_t cap, const char *s, size_t len)
{
    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(out, s, len);
    out[len] = 0;
}

/* The named groups of the match that took part, into m->vars. */
static void take_groups(const pcre2_code *re, pcre2_match_data *md, const char *text,
                        struct sms_match *m)
{
    uint32_t count = 0, size = 0;
    PCRE2_SPTR table = NULL;
    if (pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
        pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size) != 0 ||
        pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table) != 0 || !table)
        return;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    uint32_t pairs = pcre2_get_ovector_count(md);
    for (uint32_t i = 0; i < count && m->n_vars < SMS_RULES_MAX_VARS; i++) {
        PCRE2_SPTR e = table + (size_t)i * size;
        uint32_t group = ((uint32_t)e[0] << 8) | e[1];
        const char *name = (const char *)(e + 2);
        if (group >= pairs || ov[2 * group] == PCRE2_UNSET)
            continue; /* did not take part */
        size_t k;
        for (k = 0; k < m->n_vars && strcmp(m->vars[k].key, name) != 0; k++)
            ;
        if (k < m->n_vars)
            continue; /* a duplicate name, (?J): the first set one counts */
        struct sms_var *v = &m->vars[m->n_vars++];
        copy_cut(v->key, sizeof v->key, name, strlen(name));
        copy_cut(v->val, sizeof v->val, text + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
    }
}

int sms_rules_match(const struct menu_set *set, const char *text, struct sms_match *m)
{
    m->rule = SMS_RULES_NO_MATCH;
    m->n_vars = 0;
    if (!set || !text || !set->n_sms_rules)
        return m->rule;
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (mc) {
        pcre2_set_match_limit(mc, SMS_MATCH_LIMIT);
        pcre2_set_depth_limit(mc, SMS_DEPTH_LIMIT);
        pcre2_set_heap_limit(mc, SMS_HEAP_LIMIT_KIB);
    }
    size_t len = strlen(text);
    for (size_t i = 0; i < set->n_sms_rules; i++) {
        const pcre2_code *re = (const pcre2_code *)set->sms_rules[i].re;
        if (!re)
            continue;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        if (!md)
            break;
        int rc = pcre2_match(re, (PCRE2_SPTR)text, len, 0, 0, md, mc);
        if (rc >= 0) {
            m->rule = (int)i;
            take_groups(re, md, text, m);
        }
        pcre2_match_data_free(md);
        if (rc >= 0 || (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21))
            break; /* a match, or a text no rule can match */
    }
    pcre2_match_context_free(mc);
    return m->rule;
}

static const struct menu_text *find_on(const struct menu_sms_rule *r, const char *outcome)
{
    for (size_t i = 0; outcome && i < r->n_on; i++)
        if (strcmp(r->on[i].outcome, outcome) == 0)
            return &r->on[i].text;
    return NULL;
}

const char *sms_rules_reply(const struct menu_set *set, const struct sms_match *m,
                            const char *outcome, int lang)
{
    if (!set)
        return NULL;
    if (!m || m->rule < 0 || (size_t)m->rule >= set->n_sms_rules)
        return set->has_sms_default ? menu_text_get(set, &set->sms_default, lang) : NULL;
    const struct menu_sms_rule *r = &set->sms_rules[m->rule];
    if (!r->handler)
        return menu_text_get(set, &r->reply, lang);
    const struct menu_text *t = find_on(r, outcome);
    if (!t)
        t = find_on(r, "error");
    if (t)
        return menu_text_get(set, t, lang);
    int err = !outcome || strcmp(outcome, "error") == 0;
    return menu_msg(set, err ? MENU_MSG_UNAVAILABLE : MENU_MSG_ERROR, lang);
}

const char *sms_rules_lookup(void *vars, const char *name)
{
    const struct sms_vars *v = vars;
    for (size_t i = 0; v->set && i < v->n_set; i++)
        if (v->set[i].key && strcmp(v->set[i].key, name) == 0)
            return v->set[i].value;
    for (size_t i = 0; v->m && i < v->m->n_vars; i++)
        if (strcmp(v->m->vars[i].key, name) == 0)
            return v->m->vars[i].val;
    if (strcmp(name, "msisdn") == 0)
        return v->msisdn;
    if (strcmp(name, "lang") == 0)
        return v->lang;
    return NULL;
}

size_t sms_rules_expand(const char *tpl, const struct sms_vars *v, char *out, size_t cap)
{
    return template_expand(tpl, sms_rules_lookup, (void *)(uintptr_t)v, out, cap);
}
