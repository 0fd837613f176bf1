/*
 * menu_load_texts.c: the languages and texts of a menu set. `settings:` (in one file
 * at most) declares the languages, the default one and the engine's own messages
 * (Back, More, "Please choose one of the numbers shown", ...); every user-facing text
 * anywhere is then a string in the default language or a map of language to string,
 * and a template whose `{name}` inserts a variable. So the settings are read before
 * any text.
 */
#include <stdio.h>
#include <string.h>

#include "menu_check.h"
#include "menu_load_int.h"
#include "strbuf.h"

static const char *const msg_names[MENU_MSG_COUNT] = {
    [MENU_MSG_BACK] = "back",
    [MENU_MSG_HOME] = "home",
    [MENU_MSG_MORE] = "more",
    [MENU_MSG_INVALID_CHOICE] = "invalid_choice",
    [MENU_MSG_TOO_MANY_TRIES] = "too_many_tries",
    [MENU_MSG_RESUME] = "resume",
    [MENU_MSG_RESUME_YES] = "resume_yes",
    [MENU_MSG_RESUME_NO] = "resume_no",
    [MENU_MSG_UNAVAILABLE] = "unavailable",
    [MENU_MSG_BUSY] = "busy",
    [MENU_MSG_ERROR] = "error",
    [MENU_MSG_UNKNOWN_CODE] = "unknown_code",
    [MENU_MSG_EXPIRED] = "expired",
};

/* ---- texts ---------------------------------------------------------------------- */

int mload_template_next(const char **p, char *name, const char **in, size_t *len)
{
    for (const char *q = *p; *q; q++) {
        if (*q != '{')
            continue;
        if (q[1] == '{') {
            q++;
            continue;
        }
        const char *e = strchr(q + 1, '}');
        if (!e) {
            *p = q;
            return 0;
        }
        *in = q + 1;
        *len = (size_t)(e - q - 1);
        *p = e + 1;
        name[0] = 0;
        if (*len >= 1 && *len <= MENU_NAME_MAX) {
            memcpy(name, *in, *len);
            name[*len] = 0;
            if (!menu_name_ok(name))
                name[0] = 0;
        }
        return 1;
    }
    *p = "";
    return 0;
}

void mload_check_template(struct loader *L, const struct ynode *n, const char *s)
{
    const char *p = s, *in;
    char name[MENU_NAME_MAX + 1];
    size_t k;
    while (mload_template_next(&p, name, &in, &k))
        if (!name[0]) {
            mload_warn(L, n,
                       "'{%.*s}' is not a variable name (letters, digits, '_', '.', '-'); write "
                       "'{{' and '}}' for literal braces",
                       (int)(k > 40 ? 40 : k), in);
            return;
        }
    if (*p)
        mload_warn(L, n, "'{' with no closing '}' is shown as is; write '{{' for a literal brace");
}

int mload_arg(struct loader *L, const struct ynode *k, const struct ynode *v, const char *of,
              struct menu_arg *a, char *what, size_t cap)
{
    snprintf(what, cap, "'args' %s", of);
    const char *key = mload_get_name(L, k, what);
    if (!key)
        return 0;
    snprintf(what, cap, "arg '%s' %s", key, of);
    const char *val = "";
    if (!(v->type == Y_SCALAR && mload_is_null(v))) {
        if (!(val = mload_get_str(L, v, what)))
            return 0;
        mload_check_template(L, v, val);
    }
    *a = (struct menu_arg){key, val};
    return 1;
}

/* A user-facing text: a string (the default language) or a map language -> string.
 * With need_default, the default language's text is required. 0 when unusable. */
int mload_get_text(struct loader *L, const struct ynode *n, struct menu_text *t,
                   const char *what, int need_default)
{
    struct menu_set *set = L->set;
    memset(t, 0, sizeof *t);
    t->pos = mload_pos(L, n);
    if (n->type == Y_SCALAR) {
        if (mload_is_null(n)) {
            mload_err(L, n, "%s has no value", what);
            return 0;
        }
        const char *s = mload_get_str(L, n, what);
        if (!s)
            return 0;
        mload_check_template(L, n, s);
        t->s[set->default_lang] = s;
        return 1;
    }
    if (n->type != Y_MAP) {
        mload_err(L, n, "%s must be a string or a map of language to string, like {en: \"...\"}, "
                        "not %s", what, mload_tname(n));
        return 0;
    }
    mload_check_dups(L, n);
    int ok = 1, seen_default = 0;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const char *code = mload_key_str(L, n->kids[i]);
        if (!code) {
            ok = 0;
            continue;
        }
        int li = menu_find_lang(set, code);
        if (li < 0) {
            if (L->settings_file < 0)
                mload_err(L, n->kids[i],
                          "language '%s' is not declared (with no settings: languages, "
                          "the only language is %s)",
                          code, L->declared);
            else
                mload_err(L, n->kids[i], "language '%s' is not declared in settings: languages "
                                         "(declared: %s)", code, L->declared);
            ok = 0;
            continue;
        }
        seen_default |= li == set->default_lang;
        if (t->s[li])
            continue; /* a duplicate key, reported */
        char w[320];
        snprintf(w, sizeof w, "%s in '%s'", what, code);
        const char *s = mload_get_str(L, n->kids[i + 1], w);
        if (!s) {
            ok = 0;
            continue;
        }
        mload_check_template(L, n->kids[i + 1], s);
        t->s[li] = s;
    }
    if (need_default && !L->no_default_check && !seen_default) {
        mload_err(L, n, "%s has no '%s' version; the default language's text is required", what,
                  set->langs[set->default_lang]);
        ok = 0;
    }
    return ok;
}

/* ---- settings -------------------------------------------------------------------- */

static const char *lang_display_name(const char *code)
{
    if (strcmp(code, "en") == 0)
        return "English";
    if (strcmp(code, "rw") == 0)
        return "Kinyarwanda";
    if (strcmp(code, "fr") == 0)
        return "Français";
    return code;
}

static void declared_list(struct loader *L)
{
    mload_join(L->declared, sizeof L->declared, L->set->langs, L->set->n_langs);
}

static void load_languages(struct loader *L, const struct ynode *s)
{
    struct menu_set *set = L->set;
    const struct ynode *langs = s ? mload_map_get(s, "languages") : NULL;
    const struct ynode *def = s ? mload_map_get(s, "default_language") : NULL;
    const char *defcode = "en";
    L->default_node = def;

    if (def) {
        const char *c = mload_get_str(L, def, "default_language");
        if (c)
            defcode = c;
        else
            L->no_default_check = 1;
    }
    if (langs && langs->type != Y_MAP) {
        mload_err(L, langs, "languages must be a map of language code to the name shown, like "
                            "{en: English, fr: Français}, not %s", mload_tname(langs));
        langs = NULL;
    }
    if (langs && langs->complete && langs->n == 0)
        mload_err(L, langs, "languages is empty: declare at least one, like {en: English}");
    if (langs) {
        mload_check_dups(L, langs);
        for (size_t i = 0; i + 1 < langs->n; i += 2) {
            const char *code = mload_key_str(L, langs->kids[i]);
            if (!code || mload_map_get(langs, code) != langs->kids[i + 1])
                continue; /* not a string, or a duplicate (reported) */
            if (!menu_name_ok(code) || strlen(code) > 15) {
                mload_err(L, langs->kids[i],
                          "language code '%s' is not valid: use a short code like "
                          "en, rw or fr",
                          code);
                continue;
            }
            if (set->n_langs == MENU_MAX_LANGS) {
                mload_err(L, langs->kids[i], "too many languages: a set can declare at most %d",
                          MENU_MAX_LANGS);
                break;
            }
            char w[64];
            snprintf(w, sizeof w, "the name of language '%s'", code);
            const char *name = mload_get_str(L, langs->kids[i + 1], w);
            const char *c = mload_strdup(L, code, strlen(code));
            if (!c)
                return;
            set->langs[set->n_langs] = c;
            set->lang_names[set->n_langs] = name ? name : c;
            set->n_langs++;
        }
    }
    if (!langs || set->n_langs == 0) {
        /* no languages declared: only the default language */
        const char *c = mload_strdup(L, defcode, strlen(defcode));
        if (!c)
            return;
        set->langs[0] = c;
        set->lang_names[0] = lang_display_name(c);
        set->n_langs = 1;
    }
    declared_list(L);
    set->default_lang = 0;
    int li = menu_find_lang(set, defcode);
    if (li >= 0) {
        set->default_lang = li;
    } else if (!L->no_default_check) {
        if (def)
            mload_err(L, def, "default_language '%s' is not one of the declared languages (%s)",
                      defcode, L->declared);
        else
            mload_err(L, langs, "the default language is en, which is not declared here (%s): add "
                                "en or set default_language", L->declared);
        L->no_default_check = 1;
    }
}

static void load_messages(struct loader *L, const struct ynode *s)
{
    struct menu_set *set = L->set;
    for (int m = 0; m < MENU_MSG_COUNT; m++)
        for (size_t li = 0; li < set->n_langs; li++)
            set->messages[m].s[li] = menu_builtin_msg(set->langs[li], (enum menu_msg)m);

    const struct ynode *msgs = s ? mload_map_get(s, "messages") : NULL;
    if (msgs && msgs->type != Y_MAP) {
        mload_err(L, msgs, "messages must be a map of message name to text, not %s",
                  mload_tname(msgs));
        msgs = NULL;
    }
    if (msgs) {
        mload_check_dups(L, msgs);
        for (size_t i = 0; i + 1 < msgs->n; i += 2) {
            const char *k = mload_key_str(L, msgs->kids[i]);
            if (!k || !msgs->kids[i + 1]->complete)
                continue;
            int m;
            for (m = 0; m < MENU_MSG_COUNT; m++)
                if (strcmp(k, msg_names[m]) == 0)
                    break;
            if (m == MENU_MSG_COUNT) {
                char sg[128], list[256];
                mload_err(L, msgs->kids[i], "unknown message '%s'%s; the engine's texts are: %s", k,
                          mload_suggest(sg, sizeof sg, k, msg_names, MENU_MSG_COUNT),
                          mload_join(list, sizeof list, msg_names, MENU_MSG_COUNT));
                continue;
            }
            if (mload_map_get(msgs, k) != msgs->kids[i + 1])
                continue; /* duplicate, reported */
            char w[64];
            snprintf(w, sizeof w, "message '%s'", k);
            struct menu_text t;
            if (!mload_get_text(L, msgs->kids[i + 1], &t, w, 0))
                continue;
            for (size_t li = 0; li < set->n_langs; li++)
                if (t.s[li])
                    set->messages[m].s[li] = t.s[li];
            set->messages[m].pos = t.pos;
        }
    }

    /* a default language we have no built-in texts for: say which are missing, and show
     * English until they are given */
    char missing[320];
    struct strbuf b;
    strbuf_init(&b, missing, sizeof missing);
    for (int m = 0; m < MENU_MSG_COUNT; m++) {
        if (set->messages[m].s[set->default_lang])
            continue;
        set->messages[m].s[set->default_lang] = menu_builtin_msg("en", (enum menu_msg)m);
        strbuf_join(&b, b.n ? ", " : "", msg_names[m], (const char *)NULL);
    }
    if (b.n && !L->no_default_check)
        mload_warn(
            L, L->default_node ? L->default_node : (s ? s : NULL),
            "there are no built-in engine texts in '%s'; English is shown for: %s (give them "
            "under settings: messages)",
            set->langs[set->default_lang], missing);
}

static const char *const settings_keys[] = {"default_language", "languages", "messages", NULL};

void mload_settings(struct loader *L)
{
    const struct ynode *s = NULL;
    if (L->settings_file >= 0) {
        L->cur = &L->files[L->settings_file];
        s = mload_map_get(L->cur->root, "settings");
        if (s->type != Y_MAP) {
            mload_err(L, s,
                      "settings must be a map (default_language, languages, messages), not %s",
                      mload_tname(s));
            s = NULL;
        } else {
            mload_check_dups(L, s);
            mload_check_keys(L, s, settings_keys, "settings", NULL);
        }
    } else {
        L->cur = L->n_files ? &L->files[0] : NULL;
    }
    load_languages(L, s);
    if (!L->oom)
        load_messages(L, s);
}
