/*
 * tickets_words.c: the words of reported problems; see tickets_words.h.
 */
#include "tickets_words.h"

#include <stdio.h>
#include <string.h>

#include "refs.h"

struct words {
    const char *code;
    const char *text[3]; /* en, rw, fr */
};

static const struct words categories[] = {
    {"road", {"road damage", "umuhanda wangiritse", "route endommagée"}},
    {"streetlight", {"streetlight", "itara ryo ku muhanda", "éclairage public"}},
    {"waste", {"waste not collected", "imyanda itatwawe", "déchets non ramassés"}},
    {"water_leak", {"water leak", "amazi ameneka", "fuite d'eau"}},
    {"drainage", {"drainage", "imiyoboro y'amazi", "drainage"}},
    {"other", {"other problem", "ikindi kibazo", "autre problème"}},
    {NULL, {NULL, NULL, NULL}},
};

static const struct words statuses[] = {
    {"received", {"received", "cyakiriwe", "enregistré"}},
    {"in_progress", {"in progress", "kirimo gukemurwa", "en cours"}},
    {"resolved", {"resolved", "cyakemutse", "résolu"}},
    {"rejected", {"closed", "cyafunzwe", "clos"}},
    {NULL, {NULL, NULL, NULL}},
};

/* 0 en (and any other), 1 rw, 2 fr. */
static int lang_ix(const char *lang)
{
    return lang && strcmp(lang, "rw") == 0 ? 1 : lang && strcmp(lang, "fr") == 0 ? 2 : 0;
}

static const struct words *word_find(const struct words *t, const char *code)
{
    for (; code && t->code; t++)
        if (strcmp(t->code, code) == 0)
            return t;
    return NULL;
}

static char *word_text(const struct words *t, const char *code, const char *lang, char *buf,
                       size_t n)
{
    const struct words *w = word_find(t, code);
    if (!n)
        return buf;
    snprintf(buf, n, "%s", w ? w->text[lang_ix(lang)] : code ? code : "");
    for (char *p = buf; !w && *p; p++)
        *p = *p == '_' ? ' ' : *p;
    return buf;
}

int tickets_category_known(const char *c)
{
    return word_find(categories, c) != NULL;
}

int tickets_status_known(const char *s)
{
    return word_find(statuses, s) != NULL;
}

char *tickets_category_text(const char *code, const char *lang, char *buf, size_t n)
{
    return word_text(categories, code, lang, buf, n);
}

char *tickets_status_text(const char *code, const char *lang, char *buf, size_t n)
{
    return word_text(statuses, code, lang, buf, n);
}

const char *tickets_transition(const char *from, const char *to, char *allowed, size_t n)
{
    const char *next = "";
    if (from && strcmp(from, "received") == 0)
        next = "in_progress,resolved,rejected";
    else if (from && strcmp(from, "in_progress") == 0)
        next = "resolved,rejected";
    if (allowed && n)
        snprintf(allowed, n, "%s", next);
    if (!tickets_status_known(to))
        return "unknown";
    if (from && strcmp(from, to) == 0)
        return "same";
    if (!*next)
        return "final";
    size_t l = strlen(to);
    for (const char *p = next; (p = strstr(p, to)) != NULL; p += l)
        if ((p == next || p[-1] == ',') && (p[l] == ',' || p[l] == 0))
            return NULL;
    return "transition";
}

/* The SMS of each status (received, in_progress, resolved, rejected) in en, rw, fr:
 * what comes before "REF (CATEGORY)" and after it. */
static const char *const sms_texts[4][3][2] = {
    {{"Report ", " received."}, {"Ikibazo ", " cyakiriwe."}, {"Signalement ", " enregistré."}},
    {{"Your report ", " is being worked on."},
     {"Ikibazo ", " cyatangiye gukemurwa."},
     {"Votre signalement ", " est en cours de traitement."}},
    {{"The problem you reported, ", ", is resolved. Thank you."},
     {"Ikibazo ", " cyakemutse. Murakoze."},
     {"Le problème signalé ", " est résolu. Merci."}},
    {{"Report ", " was closed."}, {"Ikibazo ", " cyafunzwe."}, {"Le signalement ", " a été clos."}},
};

char *tickets_sms(const char *lang, const char *ref, const char *category, const char *to,
                  const char *note, char *buf, size_t n)
{
    static const char *const note_word[3] = {"Note: ", "Icyitonderwa: ", "Note : "};
    int l = lang_ix(lang);
    char cat[64], why[121];
    tickets_category_text(category ? category : "other", lang, cat, sizeof cat);
    refs_note_line(note, why, sizeof why);
    int st = !to ? 0 : strcmp(to, "in_progress") == 0 ? 1 : strcmp(to, "resolved") == 0 ? 2
                     : strcmp(to, "rejected") == 0 ? 3 : 0;
    int k = snprintf(buf, n, "%s%s (%s)%s", sms_texts[st][l][0], ref ? ref : "", cat,
                     sms_texts[st][l][1]);
    if (why[0] && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, " %s%s", note_word[l], why);
    return buf;
}
