/*
 * app_status.c: the `app_status` handler: the status of an application (land, business
 * or building permit) from its record (the hash ussd:app:REF). See builtin.h.
 * Also the words of statuses, services and application kinds that every service
 * handler shows (services.h).
 *
 * One read (records_app_brief) with the request's own timer (the store's); a cancelled
 * call (handler_run's timer fired first) waits for the records callback, which always
 * comes, and is freed then.
 *
 * A reference is read with refs_parse (any case, spaces or none). One whose check digit
 * is wrong is refused (outcome `mistyped`): records never create such a reference, so
 * no application can have it. The lookup still runs first, so that a record written by
 * hand under such a key (test fixtures, imported data) is still answered.
 */
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "log.h"
#include "records_apps.h"
#include "refs.h"
#include "services.h"

#define APP_REF_MIN 4
#define APP_REF_MAX REC_BRIEF_REF_MAX
#define APP_FIELD_MAX 64 /* bytes of a field's value kept */

/* Human words for the status, service and kind codes, per language (services.h); an
 * unknown code is shown as is (underscores as spaces), an unknown language gets English.
 * Every word is in the GSM 7-bit alphabet. */
const struct svc_words svc_status_words[] = {
    {"submitted", "submitted", "bwakiriwe", "déposée"},
    {"in_review", "under review", "burimo gusuzumwa", "en cours d'examen"},
    {"approved", "approved", "bwemejwe", "approuvée"},
    {"rejected", "rejected", "bwanzwe", "refusée"},
    {"paid", "paid", "bwishyuwe", "payée"},
    {"completed", "completed", "bwarangiye", "terminée"},
    {NULL, NULL, NULL, NULL},
};

const struct svc_words svc_service_words[] = {
    {"land", "land", "ubutaka", "foncier"},
    {"business", "business", "ubucuruzi", "entreprise"},
    {"permit", "building permit", "uruhushya rwo kubaka", "permis de construire"},
    {NULL, NULL, NULL, NULL},
};

const struct svc_words svc_kind_words[] = {
    {"transfer", "Title transfer", "Ihererekanya ry'ubutaka", "Transfert de titre"},
    {"subdivision", "Subdivision", "Kugabanya ubutaka", "Morcellement"},
    {"title_copy", "Copy of title", "Kopi y'icyangombwa", "Copie du titre"},
    {"land_use_change", "Change of land use", "Guhindura imikoreshereze", "Changement d'usage"},
    {"register", "Business registration", "Kwandikisha ubucuruzi", "Enregistrement"},
    {"trading_licence", "Trading licence", "Uruhushya rw'ubucuruzi", "Patente"},
    {"construction", "Building permit", "Uruhushya rwo kubaka", "Permis de construire"},
    {"renovation", "Renovation permit", "Uruhushya rwo kuvugurura", "Permis de rénovation"},
    {"occupancy", "Occupancy permit", "Uruhushya rwo gukoresha inyubako", "Permis d'occupation"},
    {NULL, NULL, NULL, NULL},
};

const char *svc_lang(const char *lang)
{
    if (lang && strcmp(lang, "rw") == 0)
        return "rw";
    if (lang && strcmp(lang, "fr") == 0)
        return "fr";
    return "en";
}

char *svc_word(const struct svc_words *w, const char *code, const char *lang, char *out,
               size_t cap)
{
    const char *l = svc_lang(lang);
    if (!cap)
        return out;
    for (size_t i = 0; code && w[i].code; i++) {
        if (strcmp(w[i].code, code) != 0)
            continue;
        snprintf(out, cap, "%s", l[0] == 'r' ? w[i].rw : l[0] == 'f' ? w[i].fr : w[i].en);
        return out;
    }
    snprintf(out, cap, "%s", code ? code : "");
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = ' ';
    return out;
}

/* "  lnd-26-004213-7 " -> "LND-26-004213-7". 0 when it has the shape of a reference:
 * 4 to 20 letters, digits and dashes. */
static int app_ref(const char *in, char *out, size_t cap)
{
    while (*in == ' ')
        in++;
    size_t n = strlen(in);
    while (n > 0 && in[n - 1] == ' ')
        n--;
    if (n < APP_REF_MIN || n > APP_REF_MAX || n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return -1;
        out[i] = c;
    }
    out[n] = 0;
    return 0;
}

struct app_call {
    struct svc_call c;
    int mistyped; /* refs_parse: the check digit does not match */
    char ref[APP_REF_MAX + 1];
};

static void finish(handler_done_fn done, void *arg, const char *outcome, const char *ref)
{
    struct handler_kv set[] = {{"ref", ref}};
    svc_done_now(done, arg, outcome, set, ref ? 1 : 0);
}

static void on_brief(void *arg, int status, const char *why, const struct rec_app_brief *b)
{
    struct app_call *ac = arg;
    if (svc_call_gone(ac))
        return;
    struct handler_kv ref[] = {{"ref", ac->ref}};
    if (status == REC_NOT_FOUND) {
        /* no record (or one without a status: not an application yet) */
        svc_finish(ac, ac->mistyped ? "mistyped" : "not_found", ref, 1);
        return;
    }
    if (status != REC_OK) {
        log_event(L_WARN, "app_status.redis_failed", "ref=%s why=%s", ac->ref, why ? why : "?");
        svc_finish(ac, "error", ref, 1);
        return;
    }
    char st[APP_FIELD_MAX], sv[APP_FIELD_MAX], up[APP_FIELD_MAX], st_t[APP_FIELD_MAX],
        sv_t[APP_FIELD_MAX];
    snprintf(st, sizeof st, "%s", b->status);
    snprintf(sv, sizeof sv, "%s", b->service);
    snprintf(up, sizeof up, "%s", b->updated);
    svc_word(svc_status_words, st, ac->c.lang, st_t, sizeof st_t);
    svc_word(svc_service_words, sv, ac->c.lang, sv_t, sizeof sv_t);
    struct handler_kv set[] = {
        {"ref", ac->ref}, {"status", st},         {"status_text", st_t},
        {"service", sv},  {"service_text", sv_t}, {"updated", up},
    };
    svc_finish(ac, "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *app_status_start(const struct svc_env *env,
                                             const struct handler_req *req, handler_done_fn done,
                                             void *arg)
{
    const char *given = handler_arg(req, "ref");
    char ref[APP_REF_MAX + 1];
    if (!given) {
        log_event(L_ERROR, "app_status.no_ref", "hint=%s", "give the handler args: {ref: '{ref}'}");
        finish(done, arg, "error", NULL);
        return NULL;
    }
    /* a reference as people type it, made canonical; other shapes are looked up as
     * they are (upper case), so that any key of ussd:app: can be asked about */
    const char *why = refs_parse(given, NULL, ref, sizeof ref);
    int mistyped = why && strcmp(why, "check") == 0;
    if (why && app_ref(given, ref, sizeof ref) != 0) {
        char shown[APP_REF_MAX + 1];
        snprintf(shown, sizeof shown, "%s", given);
        finish(done, arg, mistyped ? "mistyped" : "not_found", shown);
        return NULL;
    }
    struct app_call *ac = svc_call_new(sizeof *ac, req, done, arg);
    if (!ac) {
        finish(done, arg, "error", ref);
        return NULL;
    }
    ac->mistyped = mistyped;
    memcpy(ac->ref, ref, sizeof ac->ref);
    return svc_started(ac, records_app_brief(env, ref, on_brief, ac));
}

const struct handler_def handler_app_status = {"app_status", 0, app_status_start, svc_cancel};
