/*
 * app_show.c: the reading commands of `ussdgw app`: `show REF` (an application with its
 * bill and history, or a reported problem), `name NAME` (is a business name free?) and
 * `slots DISTRICT` (the free inspection slots).
 */
#include <stdio.h>
#include <string.h>

#include "records_apps.h"
#include "records_biz.h"
#include "records_cli.h"
#include "records_slots.h"
#include "tickets.h"

/* ---- show ---- */

static void print_app(const struct rec_app *a)
{
    char label[24];
    printf("%s  %s / %s  status %s\n", a->ref, a->service, a->kind, a->status);
    printf("  phone      %s\n", a->msisdn);
    printf("  created    %s   updated %s   channel %s\n", a->created, a->updated, a->channel);
    if (a->bill)
        printf("  bill       %s  %ld RWF  %s  expires %s%s%s  pay %s\n", a->bill->number,
               a->bill->amount, a->bill->status, a->bill->expires,
               a->bill->paid_at[0] ? "  paid " : "", a->bill->paid_at, a->bill->pay_code);
    else
        printf("  bill       none\n");
    if (a->slot[0])
        printf("  inspection %s, %s (%s)\n", records_slot_label(a->slot, label, sizeof label),
               a->slot_district, a->slot);
    for (size_t i = 0; i < a->n_details; i++)
        printf("  %-10s %s\n", a->details[i].key, a->details[i].value);
    printf("history:\n");
    for (size_t i = 0; i < a->n_hist; i++)
        printf("  %s  %-10s %s\n", a->hist[i].at, a->hist[i].status, a->hist[i].note);
}

static void on_show(void *arg, int status, const char *why, const struct rec_app *a)
{
    struct rec_cli *c = arg;
    c->done = 1;
    c->rc = 1;
    if (status == REC_OK) {
        print_app(a);
        c->rc = 0;
    } else if (status == REC_NOT_FOUND) {
        fprintf(stderr, "ussdgw app: no application with that reference\n");
    } else {
        fprintf(stderr, "ussdgw app: cannot read it (%s)\n", why);
    }
}

static void print_ticket(const struct tickets_ticket *t)
{
    printf("%s  report %s  status %s\n", t->ref, t->category, t->status);
    printf("  place      %s, %s, %s\n", t->landmark, t->sector, t->district);
    if (t->description[0])
        printf("  details    %s\n", t->description);
    printf("  phone      %s   followers %lld   reports %s\n", t->msisdn, t->followers, t->reports);
    printf("  created    %s   updated %s   channel %s\n", t->created, t->updated, t->channel);
    printf("history:\n");
    for (size_t i = 0; i < t->n_hist; i++)
        printf("  %s  %-11s %s\n", t->hist[i].at, t->hist[i].status, t->hist[i].note);
}

static void on_ticket(void *arg, int status, const char *why, const struct tickets_ticket *t)
{
    struct rec_cli *c = arg;
    c->done = 1;
    c->rc = 1;
    if (status == REC_OK) {
        print_ticket(t);
        c->rc = 0;
    } else if (status == REC_NOT_FOUND) {
        fprintf(stderr, "ussdgw app: no ticket with that reference\n");
    } else {
        fprintf(stderr, "ussdgw app: cannot read it (%s)\n",
                status == REC_ERR && strcmp(why, "redis") == 0 ? "Redis did not answer" : why);
    }
}

int rec_cli_show(const struct config *cfg, const char *ref)
{
    if (rec_cli_bad_ref(ref))
        return 1;
    struct rec_cli c;
    if (rec_cli_open(&c, cfg, "app"))
        return 1;
    char canon[REFS_MAX];
    if (refs_parse(ref, NULL, canon, sizeof canon) == NULL && strncmp(canon, "TKT-", 4) == 0)
        tickets_get(&c.env, canon, on_ticket, &c), rec_cli_wait(&c, 0);
    else
        rec_cli_wait(&c, records_app_get(&c.env, ref, on_show, &c));
    return rec_cli_close(&c);
}

/* ---- name ---- */

static void on_name(void *arg, int status, const char *why, int verdict,
                    const struct rec_name_match *m, size_t n)
{
    struct rec_cli *c = arg;
    static const char *const verdicts[] = {"free", "similar", "taken", "pending"};
    c->done = 1;
    if (status != REC_OK) {
        fprintf(stderr, "ussdgw app name: %s (%s)\n", status == REC_INVALID ? "invalid" : "failed",
                why);
        c->rc = 1;
        return;
    }
    printf("%s\n", verdicts[verdict]);
    for (size_t i = 0; i < n; i++)
        printf("  %3d  %s  %s\n", m[i].score, m[i].regno[0] ? m[i].regno : "(pending)", m[i].name);
    c->rc = 0;
}

int rec_cli_name(const struct config *cfg, const char *name)
{
    struct rec_cli c;
    if (rec_cli_open(&c, cfg, "app"))
        return 1;
    rec_cli_wait(&c, records_name_check(&c.env, name, on_name, &c));
    return rec_cli_close(&c);
}

/* ---- slots ---- */

static void on_slots(void *arg, int status, const char *why, const struct rec_slot *sl, size_t n)
{
    struct rec_cli *c = arg;
    c->done = 1;
    if (status != REC_OK) {
        fprintf(stderr, "ussdgw app slots: %s (%s)\n", status == REC_INVALID ? "invalid" : "failed",
                why);
        c->rc = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        printf("%s  %s\n", sl[i].id, sl[i].label);
    c->rc = 0;
}

int rec_cli_slots(const struct config *cfg, const char *district)
{
    struct rec_cli c;
    if (rec_cli_open(&c, cfg, "app"))
        return 1;
    rec_cli_wait(&c, records_slots_free(&c.env, district, 64, on_slots, &c));
    return rec_cli_close(&c);
}
