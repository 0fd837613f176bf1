/*
 * sms_rules.h: answering an inbound SMS with the keyword rules of a menu set (`sms:`
 * and `sms_default:` in menus.d), pure: (set, text) -> the rule that matched and its
 * named groups; (rule, handler outcome, language) -> the reply template; template plus
 * variables -> the reply. No I/O: gateway/sms_in.c does Redis, the handler and the queue.
 *
 * Rules are tried in order (files in name order, rules in file order); the first whose
 * keyword matches wins. Keywords are compiled caseless, UTF and UCP (menu_load_sms.c);
 * a match is bounded by PCRE2's match and depth limits, so a careless pattern cannot
 * stall the gateway on a hostile text.
 */
#ifndef USSDGW_SMS_RULES_H
#define USSDGW_SMS_RULES_H

#include <stddef.h>

#include "call.h"
#include "menu.h"

#define SMS_RULES_NO_MATCH (-1)
#define SMS_RULES_MAX_VARS 16 /* named groups kept per match */
#define SMS_RULES_NAME_MAX 33 /* PCRE2 group names are at most 32 characters */
#define SMS_RULES_VAL_MAX 161 /* bytes of a group's value, NUL included; cut at a UTF-8 boundary */

struct sms_var {
    char key[SMS_RULES_NAME_MAX];
    char val[SMS_RULES_VAL_MAX];
};

struct sms_match {
    int rule; /* index into set->sms_rules, or SMS_RULES_NO_MATCH */
    struct sms_var vars[SMS_RULES_MAX_VARS]; /* the named groups that took part */
    size_t n_vars;
};

/* Match `text` (UTF-8) against the rules. Returns m->rule. A text that is not valid
 * UTF-8 matches no rule; so does a keyword that runs into the match limits. */
int sms_rules_match(const struct menu_set *set, const char *text, struct sms_match *m);

/* The reply template in language `lang` (an index into set->langs; texts fall back to
 * the default language):
 *   - no rule matched: sms_default, or NULL when the set has none (nothing is sent);
 *   - a rule with a fixed reply: that reply (outcome is ignored);
 *   - a handler rule: its reply in `on` for `outcome`; else its reply for `error`; else
 *     the engine's `unavailable` text when the outcome is "error" (Redis down, a
 *     timeout) or the engine's `error` text for any other outcome. */
const char *sms_rules_reply(const struct menu_set *set, const struct sms_match *m,
                            const char *outcome, int lang);

/* What a reply's (or an argument's) variables are looked up in, in this order: the
 * handler's variables (set, n_set), the keyword's named groups, then msisdn and lang.
 * Every pointer may be NULL. */
struct sms_vars {
    const struct handler_kv *set;
    size_t n_set;
    const struct sms_match *m;
    const char *msisdn;
    const char *lang; /* the language code, "en" */
};

/* A template_lookup_fn over a struct sms_vars. */
const char *sms_rules_lookup(void *vars, const char *name);

/* Expand template tpl with v into out (always NUL-terminated). Returns the length. */
size_t sms_rules_expand(const char *tpl, const struct sms_vars *v, char *out, size_t cap);

#endif
