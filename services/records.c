/*
 * records.c: the records' rules that need no Redis (records.h): times, the application
 * statuses and their transitions, fees, amounts in words, history entries, the status
 * SMS texts and slot labels.
 */
#include "records.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "strbuf.h"

/* ---- time ---- */

char *records_time(time_t t, int date_only, char *buf, size_t n)
{
    return clock_text(t, date_only ? "%Y-%m-%d" : "%Y-%m-%d %H:%M", buf, n);
}

/* ---- statuses, transitions, fees ---- */

static const char *const states[] = {"submitted", "in_review", "approved",
                                     "rejected",  "paid",      "completed"};

int records_status_known(const char *s)
{
    for (size_t i = 0; s && i < sizeof states / sizeof states[0]; i++)
        if (strcmp(states[i], s) == 0)
            return 1;
    return 0;
}

/* The table: from -> the states it may go to. */
static const struct {
    const char *from;
    const char *to[3];
} moves[] = {
    {"submitted", {"in_review", "rejected", NULL}},
    {"in_review", {"approved", "rejected", NULL}},
    {"approved", {"paid", "completed", NULL}},
    {"paid", {"completed", NULL, NULL}},
    {"rejected", {NULL, NULL, NULL}},
    {"completed", {NULL, NULL, NULL}},
};

const char *records_transition(const char *from, const char *to, int has_unpaid_bill, char *allowed,
                               size_t n)
{
    const char *verdict = "transition";
    char none[1];
    struct strbuf b;
    strbuf_init(&b, allowed && n ? allowed : none, allowed && n ? n : sizeof none);
    if (!to || !records_status_known(to))
        verdict = "unknown";
    for (size_t i = 0; from && i < sizeof moves / sizeof moves[0]; i++) {
        if (strcmp(moves[i].from, from) != 0)
            continue;
        for (int k = 0; k < 3 && moves[i].to[k]; k++) {
            const char *t = moves[i].to[k];
            /* paid needs an unpaid bill; completed from approved needs nothing unpaid */
            if (strcmp(from, "approved") == 0 && strcmp(t, "paid") == 0 && !has_unpaid_bill)
                continue;
            if (strcmp(from, "approved") == 0 && strcmp(t, "completed") == 0 && has_unpaid_bill)
                continue;
            /* whole names only: a list cut inside a name would name another state */
            if (b.n + strlen(t) + 3 < b.cap)
                strbuf_join(&b, b.n ? ", " : "", t, NULL);
            if (to && strcmp(t, to) == 0 && strcmp(verdict, "unknown") != 0)
                verdict = NULL;
        }
        if (!moves[i].to[0] && verdict)
            verdict = strcmp(verdict, "unknown") == 0 ? verdict : "final";
    }
    if (verdict && to && from && strcmp(from, to) == 0)
        verdict = "same";
    return verdict;
}

static const struct {
    const char *service, *kind;
    long fee;
} fees[] = {
    {"land", "transfer", 20000},       {"land", "subdivision", 10000},
    {"land", "title_copy", 5000},      {"land", "land_use_change", 10000},
    {"business", "register", 0},       {"business", "trading_licence", 40000},
    {"permit", "construction", 50000}, {"permit", "renovation", 20000},
    {"permit", "occupancy", 20000},
};

long records_fee(const char *service, const char *kind)
{
    for (size_t i = 0; service && kind && i < sizeof fees / sizeof fees[0]; i++)
        if (strcmp(fees[i].service, service) == 0 && strcmp(fees[i].kind, kind) == 0)
            return fees[i].fee;
    return -1;
}

char *records_amount(long v, int fr, char *buf, size_t n)
{
    char d[24];
    snprintf(d, sizeof d, "%ld", v < 0 ? 0 : v);
    size_t l = strlen(d), j = 0;
    if (!n)
        return buf;
    for (size_t i = 0; i < l && j + 2 < n; i++) {
        if (i && (l - i) % 3 == 0)
            buf[j++] = fr ? ' ' : ',';
        buf[j++] = d[i];
    }
    buf[j] = 0;
    return buf;
}

/* ---- history entries ---- */

char *records_hist_json(const char *at, const char *status, const char *note)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "at", at, "status", status, "note", note ? note : "");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

/* ---- status SMS ---- */

/* Status SMS texts: {ref}, {amount}, {bill}, {pay} and {note} are filled in. */
static const struct {
    const char *status;
    int variant; /* approved: 1 with a bill to pay; rejected: 1 with a reason */
    const char *en, *rw, *fr;
} sms_texts[] = {
    {"submitted", 0, "Your application {ref} was received.", "Ubusabe bwanyu {ref} bwakiriwe.",
     "Votre demande {ref} a bien été enregistrée."},
    {"in_review", 0, "Your application {ref} is under review.",
     "Ubusabe bwanyu {ref} buri gusuzumwa.", "Votre demande {ref} est en cours d'examen."},
    {"approved", 0, "Your application {ref} is approved.", "Ubusabe bwanyu {ref} bwemejwe.",
     "Votre demande {ref} est approuvée."},
    {"approved", 1, "Your application {ref} is approved. Pay {amount} RWF, bill {bill}: dial {pay}",
     "Ubusabe bwanyu {ref} bwemejwe. Mwishyure {amount} RWF, fagitire {bill}: kanda {pay}",
     "Votre demande {ref} est approuvée. Payez {amount} RWF, facture {bill} : composez {pay}"},
    {"rejected", 0, "Your application {ref} was rejected.", "Ubusabe bwanyu {ref} ntibwemewe.",
     "Votre demande {ref} a été refusée."},
    {"rejected", 1, "Your application {ref} was rejected. Reason: {note}",
     "Ubusabe bwanyu {ref} ntibwemewe. Impamvu: {note}",
     "Votre demande {ref} a été refusée. Motif : {note}"},
    {"paid", 0, "Payment received for {ref}. Thank you.", "Twakiriye ubwishyu bwa {ref}. Murakoze.",
     "Paiement enregistré pour {ref}. Merci."},
    {"completed", 0, "Your application {ref} is complete. Dial *123# for details.",
     "Ubusabe bwanyu {ref} bwarangiye. Kanda *123# urebe ibisobanuro.",
     "Votre demande {ref} est terminée. Composez *123# pour les détails."},
};

/* The template t with its five names replaced by vals, into b (cut at a character). */
static void fill_in(struct strbuf *b, const char *t, const char *const vals[5])
{
    static const char *const names[] = {"{ref}", "{amount}", "{bill}", "{pay}", "{note}"};
    while (t && *t) {
        size_t k = 0;
        while (*t == '{' && k < 5 && strncmp(t, names[k], strlen(names[k])) != 0)
            k++;
        if (*t == '{' && k < 5) {
            strbuf_put(b, vals[k]);
            t += strlen(names[k]);
            continue;
        }
        size_t run = 1 + strcspn(t + 1, "{");
        strbuf_putn(b, t, run);
        t += run;
    }
}

char *records_status_sms(const char *lang, const char *ref, const char *to, const char *note,
                         const struct rec_bill *bill, char *buf, size_t n)
{
    int rw = lang && strcmp(lang, "rw") == 0, fr = lang && strcmp(lang, "fr") == 0;
    char amt[32] = "", why[120] = "";
    if (!n)
        return buf;
    /* the note in one line, cut (a cut character would make the SMS record unencodable:
     * the whole status change would fail) */
    refs_note_line(note, why, sizeof why);
    int pay = bill && bill->number && bill->number[0] && bill->status &&
              strcmp(bill->status, "unpaid") == 0 && bill->amount > 0;
    if (pay)
        records_amount(bill->amount, fr, amt, sizeof amt);
    int variant = to && strcmp(to, "approved") == 0   ? pay
                  : to && strcmp(to, "rejected") == 0 ? why[0] != 0
                                                      : 0;
    const char *t = NULL;
    for (size_t i = 0; to && i < sizeof sms_texts / sizeof sms_texts[0]; i++)
        if (strcmp(sms_texts[i].status, to) == 0 && sms_texts[i].variant == variant)
            t = rw ? sms_texts[i].rw : fr ? sms_texts[i].fr : sms_texts[i].en;
    const char *vals[5] = {ref ? ref : "", amt, pay ? bill->number : "",
                           pay && bill->pay_code ? bill->pay_code : "", why};
    struct strbuf b;
    strbuf_init(&b, buf, n);
    fill_in(&b, t, vals);
    return buf;
}

/* ---- inspection slots ---- */

char *records_slot_label(const char *id, char *buf, size_t n)
{
    if (!n)
        return buf;
    buf[0] = 0;
    /* YYYYMMDDHHMM-N */
    if (!id || strlen(id) < 14 || id[12] != '-')
        return buf;
    for (int i = 0; i < 12; i++)
        if (id[i] < '0' || id[i] > '9')
            return buf;
    snprintf(buf, n, "%.2s/%.2s %.2s:%.2s", id + 6, id + 4, id + 8, id + 10);
    return buf;
}
