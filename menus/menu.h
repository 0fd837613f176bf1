/*
 * menu.h: the compiled menu set, the in-memory form of every file in menus.d/.
 *
 * A menu set is read once by menu_load (menu_load.h) and then only read: the engine,
 * the renderer and the validator all take a `const struct menu_set *`. Screens are flat
 * and addressed by name; every name reference (option target, route target, dial
 * target) is resolved to an index at load time so the hot path never compares strings.
 * All memory of a set (strings, arrays, compiled regexes) is owned by the set and
 * released by menu_set_free.
 */
#ifndef USSDGW_MENU_H
#define USSDGW_MENU_H

#include <stddef.h>
#include <stdint.h>

#define MENU_MAX_LANGS 8    /* languages a set may declare */
#define MENU_NAME_MAX 63    /* screen, variable and handler names: [A-Za-z0-9_.-] */
#define MENU_NO_SCREEN (-1) /* an unresolved or absent target index */

struct pcre2_real_code_8; /* pcre2_code, without pulling pcre2.h into every file */

/* Where a thing was written: for messages of the form FILE:LINE:COL. */
struct menu_pos {
    const char *file; /* path as given to the loader */
    int line, col;    /* 1-based */
};

/* A user-facing string in every declared language. s[i] is the text for
 * set->langs[i] or NULL when not given; readers fall back to the default language. */
struct menu_text {
    const char *s[MENU_MAX_LANGS];
    struct menu_pos pos;
};

/* A `name: value` argument of a handler or SMS step. The value is a template. */
struct menu_arg {
    const char *key;
    const char *value;
};

enum screen_kind {
    SCREEN_MENU,     /* numbered options, static or from a `source` handler */
    SCREEN_INPUT,    /* free text checked by PCRE2 validators */
    SCREEN_HANDLER,  /* call a handler, route on its outcome; shows nothing */
    SCREEN_ROUTER,   /* branch on session variables; shows nothing */
    SCREEN_END,      /* final text, the dialog ends */
    SCREEN_LANGUAGE, /* choose a language, remembered per phone number */
    SCREEN_SMS,      /* queue an SMS, then go on; shows nothing */
};

struct menu_option {
    struct menu_text label;
    const char *value; /* stored into the screen's `var` when chosen; NULL: the label */
    const char *next;  /* target screen name */
    int next_idx;      /* resolved index into set->screens */
    struct menu_pos pos;
};

struct menu_validator {
    const char *pattern;
    struct pcre2_real_code_8 *re; /* compiled, UTF mode */
    struct menu_text error;       /* shown above the prompt when the pattern fails */
    struct menu_pos pos;
};

/* One outcome route of a handler screen: outcome name -> screen. */
struct menu_route {
    const char *outcome;
    const char *next;
    int next_idx;
    struct menu_pos pos;
};

enum cond_op {
    COND_EQUALS,  /* var == operand (string compare) */
    COND_MATCHES, /* var matches the PCRE2 pattern operand */
    COND_EXISTS,  /* var is set and non-empty (operand "true") or not (operand "false") */
};

/* One branch of a router screen, tried in order. */
struct menu_cond {
    const char *var;
    enum cond_op op;
    const char *operand;
    struct pcre2_real_code_8 *re; /* COND_MATCHES only */
    const char *next;
    int next_idx;
    struct menu_pos pos;
};

struct menu_screen {
    const char *name;
    enum screen_kind kind;
    struct menu_pos pos;
    struct menu_text text; /* menu/input/end/language: the screen text; sms: the message */

    /* menu: static options, or `source` (a handler producing the options at run time) */
    struct menu_option *options;
    size_t n_options;
    const char *source;  /* handler name, or NULL for static options */
    const char *var;     /* menu: var set to the chosen value; input: var set to the answer */
    const char *next;    /* menu with source, input, sms, language: where to go next */
    int next_idx;

    /* input */
    struct menu_validator *validators;
    size_t n_validators;
    int retries; /* wrong answers allowed before the dialog ends; default 3 */

    /* handler (and menu `source`): handler name and its arguments (templates) */
    const char *handler;
    struct menu_arg *args;
    size_t n_args;
    struct menu_route *routes; /* handler: outcome -> screen; `error` should be routed */
    size_t n_routes;

    /* router */
    struct menu_cond *conds;
    size_t n_conds;
    const char *default_next; /* router: when no condition holds */
    int default_idx;

    /* sms: recipient template, default "{msisdn}" */
    const char *to;
};

/* A dial string and the screen it opens: "*123#" -> "root". */
struct menu_dial {
    const char *code;
    const char *screen;
    int screen_idx;
    struct menu_pos pos;
};

/* Messages the engine itself shows; each can be overridden per language in the
 * `settings: messages:` section of a menu file. */
enum menu_msg {
    MENU_MSG_BACK,           /* "Back" */
    MENU_MSG_HOME,           /* "Home" */
    MENU_MSG_MORE,           /* "More" */
    MENU_MSG_INVALID_CHOICE, /* "Please choose one of the numbers shown." */
    MENU_MSG_TOO_MANY_TRIES, /* "Too many wrong answers. Please dial again." */
    MENU_MSG_RESUME,         /* "Continue where you left off?" */
    MENU_MSG_RESUME_YES,     /* "Continue" */
    MENU_MSG_RESUME_NO,      /* "Start again" */
    MENU_MSG_UNAVAILABLE,    /* "Service temporarily unavailable, please try again later." */
    MENU_MSG_BUSY,           /* "The service is busy. Please try again in a few minutes." */
    MENU_MSG_ERROR,          /* "Sorry, something went wrong. Please try again later." */
    MENU_MSG_UNKNOWN_CODE,   /* "Unknown service code." */
    MENU_MSG_EXPIRED,        /* "This session has ended. Please dial again." */
    MENU_MSG_COUNT
};

/* SMS keyword rules (`sms:` in a menu file): an inbound SMS is matched against each
 * rule in order (files in name order, rules in file order); the first whose keyword
 * matches answers it. */

/* One reply of an SMS rule's handler: outcome name -> reply text (a template). */
struct menu_sms_reply {
    const char *outcome;
    struct menu_text text;
    struct menu_pos pos;
};

struct menu_sms_rule {
    const char *keyword;          /* the PCRE2 pattern as written */
    struct pcre2_real_code_8 *re; /* compiled caseless, UTF, UCP; named groups -> variables */
    int has_reply;                /* 1: a fixed reply in `reply` */
    struct menu_text reply;
    const char *handler;          /* or a handler (NULL when none) whose outcome picks... */
    struct menu_arg *args;        /* ...with these arguments (templates) */
    size_t n_args;
    struct menu_sms_reply *on;    /* ...the reply in `on` */
    size_t n_on;
    struct menu_pos pos;
};

/* Polls and participatory budgets (`polls:` in a menu file, menus/menu_load_polls.c). */
enum menu_poll_voter {
    POLL_VOTER_PHONE,       /* one vote per phone number */
    POLL_VOTER_NATIONAL_ID, /* one vote per national ID (typed, checked by refs_id_check) */
};

/* An option, or a project of one district (`projects:`). */
struct menu_poll_option {
    const char *id;       /* [A-Za-z0-9_.-], unique in its poll: the tally's field */
    struct menu_text label;
    const char *district; /* projects: the district as menu_load_opts spells it; else NULL */
    struct menu_pos pos;
};

struct menu_poll {
    const char *id; /* [A-Za-z0-9_.-] */
    struct menu_text question;
    struct menu_poll_option *options;
    size_t n_options;
    int by_district;      /* 1: `projects:` (options per district) */
    long long opens, closes; /* Unix seconds (written in local time) */
    int max_choices;
    enum menu_poll_voter voter;
    int results_sms;
    struct menu_pos pos;
};

struct menu_set {
    char version[17]; /* 16 hex digits: a hash of every file's name and bytes */

    const char *langs[MENU_MAX_LANGS];      /* codes, "en", "rw", "fr" */
    const char *lang_names[MENU_MAX_LANGS]; /* as shown on a language screen */
    size_t n_langs;
    int default_lang; /* index into langs */

    struct menu_screen *screens; /* sorted by name (menu_find_screen bisects) */
    size_t n_screens;
    struct menu_dial *dials;
    size_t n_dials;

    struct menu_text messages[MENU_MSG_COUNT]; /* built-in defaults unless overridden */

    struct menu_sms_rule *sms_rules; /* in the order they are tried */
    size_t n_sms_rules;
    int has_sms_default;          /* 1: sms_default answers what no rule matches */
    struct menu_text sms_default;

    struct menu_poll *polls; /* in file order */
    size_t n_polls;

    void *arena; /* owns every string and array above */
};

/* Index of the screen called `name`, or MENU_NO_SCREEN. */
int menu_find_screen(const struct menu_set *set, const char *name);

/* Index of the language with code `code`, or -1. */
int menu_find_lang(const struct menu_set *set, const char *code);

/* The screen a dial string opens, or NULL. Matching ignores spaces. */
const struct menu_dial *menu_find_dial(const struct menu_set *set, const char *code);

/* The text in language `lang` (an index), falling back to the default language, then
 * to any language; "" when the text is absent altogether. */
const char *menu_text_get(const struct menu_set *set, const struct menu_text *t, int lang);

/* The engine's own message `m` in language `lang`. */
const char *menu_msg(const struct menu_set *set, enum menu_msg m, int lang);

const char *menu_kind_name(enum screen_kind k);

void menu_set_free(struct menu_set *set);

/* The poll called id in set, or NULL (set NULL too). */
const struct menu_poll *menu_poll_find(const struct menu_set *set, const char *id);
/* A text of one of set's polls in language code lang (falling back like menu_text_get);
 * "" when there is none. */
const char *menu_poll_text(const struct menu_set *set, const struct menu_text *t, const char *lang);

#endif
