/*
 * menu.c: look-ups in a compiled menu set, the engine's built-in texts, and freeing a
 * set; see menu.h. Loading and checking are in menu_load*.c and menu_check.c.
 */
#include "menu.h"

#include <stdlib.h>
#include <string.h>

#include "menu_arena.h"
#include "menu_check.h"

/* The engine's own texts in the languages we ship; a set declaring one of these
 * languages gets them unless its settings override them. */
static const struct {
    const char *lang;
    const char *msg[MENU_MSG_COUNT];
} builtin[] = {
    {"en",
     {
         [MENU_MSG_BACK] = "Back",
         [MENU_MSG_HOME] = "Home",
         [MENU_MSG_MORE] = "More",
         [MENU_MSG_INVALID_CHOICE] = "Please choose one of the numbers shown.",
         [MENU_MSG_TOO_MANY_TRIES] = "Too many wrong answers. Please dial again.",
         [MENU_MSG_RESUME] = "Continue where you left off?",
         [MENU_MSG_RESUME_YES] = "Continue",
         [MENU_MSG_RESUME_NO] = "Start again",
         [MENU_MSG_UNAVAILABLE] = "Service temporarily unavailable, please try again later.",
         [MENU_MSG_BUSY] = "The service is busy. Please try again in a few minutes.",
         [MENU_MSG_ERROR] = "Sorry, something went wrong. Please try again later.",
         [MENU_MSG_UNKNOWN_CODE] = "Unknown service code.",
         [MENU_MSG_EXPIRED] = "This session has ended. Please dial again.",
     }},
    {"rw",
     {
         [MENU_MSG_BACK] = "Subira",
         [MENU_MSG_HOME] = "Ahabanza",
         [MENU_MSG_MORE] = "Ibindi",
         [MENU_MSG_INVALID_CHOICE] = "Hitamo umwe mu mibare yerekanwe.",
         [MENU_MSG_TOO_MANY_TRIES] = "Wibeshye inshuro nyinshi. Ongera ukande kode.",
         [MENU_MSG_RESUME] = "Urashaka gukomeza aho wari ugeze?",
         [MENU_MSG_RESUME_YES] = "Komeza",
         [MENU_MSG_RESUME_NO] = "Tangira bushya",
         [MENU_MSG_UNAVAILABLE] = "Serivisi ntiboneka muri iki gihe, ongera ugerageze nyuma.",
         [MENU_MSG_BUSY] = "Serivisi ifite abantu benshi. Ongera ugerageze mu minota mike.",
         [MENU_MSG_ERROR] = "Mwihangane, habaye ikibazo. Ongera ugerageze nyuma.",
         [MENU_MSG_UNKNOWN_CODE] = "Iyi kode ntizwi.",
         [MENU_MSG_EXPIRED] = "Iki gikorwa cyarangiye. Ongera ukande kode.",
     }},
    {"fr",
     {
         [MENU_MSG_BACK] = "Retour",
         [MENU_MSG_HOME] = "Accueil",
         [MENU_MSG_MORE] = "Suite",
         [MENU_MSG_INVALID_CHOICE] = "Veuillez choisir l'un des numéros affichés.",
         [MENU_MSG_TOO_MANY_TRIES] = "Trop de réponses erronées. Veuillez recomposer le code.",
         [MENU_MSG_RESUME] = "Reprendre là où vous en étiez ?",
         [MENU_MSG_RESUME_YES] = "Reprendre",
         [MENU_MSG_RESUME_NO] = "Recommencer",
         [MENU_MSG_UNAVAILABLE] = "Service momentanément indisponible, veuillez réessayer plus tard.",
         [MENU_MSG_BUSY] = "Le service est saturé. Veuillez réessayer dans quelques minutes.",
         [MENU_MSG_ERROR] = "Désolé, une erreur s'est produite. Veuillez réessayer plus tard.",
         [MENU_MSG_UNKNOWN_CODE] = "Code de service inconnu.",
         [MENU_MSG_EXPIRED] = "Cette session est terminee. Veuillez recomposer le code.",
     }},
};

const char *menu_builtin_msg(const char *lang, enum menu_msg m)
{
    if ((int)m < 0 || m >= MENU_MSG_COUNT || !lang)
        return NULL;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcmp(builtin[i].lang, lang) == 0)
            return builtin[i].msg[m];
    return NULL;
}

int menu_find_screen(const struct menu_set *set, const char *name)
{
    if (!set || !name)
        return MENU_NO_SCREEN;
    size_t lo = 0, hi = set->n_screens;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, set->screens[mid].name);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return MENU_NO_SCREEN;
}

int menu_find_lang(const struct menu_set *set, const char *code)
{
    if (!set || !code)
        return -1;
    for (size_t i = 0; i < set->n_langs && i < MENU_MAX_LANGS; i++)
        if (set->langs[i] && strcmp(set->langs[i], code) == 0)
            return (int)i;
    return -1;
}

/* Equal when the same after dropping spaces: "*123 #" is "*123#". */
static int dial_eq(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (*a != *b)
            return 0;
        if (!*a)
            return 1;
        a++, b++;
    }
}

const struct menu_dial *menu_find_dial(const struct menu_set *set, const char *code)
{
    if (!set || !code)
        return NULL;
    for (size_t i = 0; i < set->n_dials; i++)
        if (dial_eq(set->dials[i].code, code))
            return &set->dials[i];
    return NULL;
}

const char *menu_text_get(const struct menu_set *set, const struct menu_text *t, int lang)
{
    if (!t)
        return "";
    if (lang >= 0 && lang < MENU_MAX_LANGS && t->s[lang])
        return t->s[lang];
    if (set && set->default_lang >= 0 && set->default_lang < MENU_MAX_LANGS &&
        t->s[set->default_lang])
        return t->s[set->default_lang];
    for (int i = 0; i < MENU_MAX_LANGS; i++)
        if (t->s[i])
            return t->s[i];
    return "";
}

const char *menu_msg(const struct menu_set *set, enum menu_msg m, int lang)
{
    if ((int)m < 0 || m >= MENU_MSG_COUNT)
        return "";
    if (!set)
        return menu_builtin_msg("en", m);
    return menu_text_get(set, &set->messages[m], lang);
}

const char *menu_kind_name(enum screen_kind k)
{
    switch (k) {
    case SCREEN_MENU:
        return "menu";
    case SCREEN_INPUT:
        return "input";
    case SCREEN_HANDLER:
        return "handler";
    case SCREEN_ROUTER:
        return "router";
    case SCREEN_END:
        return "end";
    case SCREEN_LANGUAGE:
        return "language";
    case SCREEN_SMS:
        return "sms";
    }
    return "?";
}

void menu_set_free(struct menu_set *set)
{
    if (set)
        menu_arena_free(set->arena); /* the set itself lives in its arena */
}
