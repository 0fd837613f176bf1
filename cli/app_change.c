/*
 * app_change.c: the commands of `ussdgw app` that change an application or a ticket:
 * `status REF NEW_STATUS [--note TEXT]` (a refused change says what is allowed
 * instead) and `book REF SLOT` (an inspection of an approved building permit).
 */
#include <stdio.h>
#include <string.h>

#include "records_apps.h"
#include "records_change.h"
#include "records_cli.h"
#include "records_slots.h"
#include "tickets.h"

/* ---- status of an application ---- */

struct status_cmd {
    struct rec_cli c;
    const char *to;
    int explain; /* a refused transition: read the record to say what is allowed */
};

/* After a refusal: what the application read now allows. */
static void on_read(void *arg, int status, const char *why, const struct rec_app *a)
{
    struct status_cmd *sc = arg;
    sc->c.done = 1;
    sc->c.rc = 1;
    if (status == REC_NOT_FOUND) {
        fprintf(stderr, "ussdgw app: no application with that reference\n");
        return;
    }
    if (status != REC_OK) {
        fprintf(stderr, "ussdgw app: cannot read it (%s)\n", why);
        return;
    }
    char allowed[96];
    int unpaid = a->bill && strcmp(a->bill->status, "unpaid") == 0 && a->bill->amount > 0;
    const char *bad = records_transition(a->status, sc->to, unpaid, allowed, sizeof allowed);
    if (!bad)
        fprintf(stderr, "ussdgw app: %s changed while this ran; it is now %s: try again\n", a->ref,
                a->status);
    else if (strcmp(bad, "same") == 0)
        fprintf(stderr, "ussdgw app: %s is already %s\n", a->ref, a->status);
    else if (!allowed[0])
        fprintf(stderr, "ussdgw app: %s is %s, a final status: it cannot go to %s\n", a->ref,
                a->status, sc->to);
    else
        fprintf(stderr, "ussdgw app: %s is %s: it cannot go to %s; from %s it can go to: %s\n",
                a->ref, a->status, sc->to, a->status, allowed);
}

static void on_status(void *arg, int status, const char *why, const struct rec_status_change *ch)
{
    struct status_cmd *sc = arg;
    sc->c.done = 1;
    sc->c.rc = 1;
    if (status == REC_OK) {
        printf("%s: %s -> %s", ch->ref, ch->from, ch->to);
        if (ch->regno[0])
            printf("; business registered as %s", ch->regno);
        if (ch->sms_lang[0])
            printf("; SMS queued to %s (%s)", ch->msisdn, ch->sms_lang);
        printf("\n");
        sc->c.rc = 0;
    } else if (status == REC_REFUSED &&
               (strcmp(why, "transition") == 0 || strcmp(why, "final") == 0 ||
                strcmp(why, "same") == 0 || strcmp(why, "changed") == 0)) {
        sc->explain = 1; /* the caller reads the record next */
    } else if (status == REC_NOT_FOUND) {
        fprintf(stderr, "ussdgw app: no application with that reference\n");
    } else if (status == REC_REFUSED) {
        fprintf(stderr, "ussdgw app: refused: %s\n", why);
    } else {
        fprintf(stderr, "ussdgw app: cannot change it (%s)\n", why);
    }
}

static int app_status(const struct config *cfg, const char *ref, const char *to, const char *note)
{
    if (!records_status_known(to)) {
        fprintf(stderr,
                "ussdgw app: unknown status '%s'; one of submitted, in_review, approved, "
                "rejected, paid, completed\n",
                to);
        return 2;
    }
    struct status_cmd sc = {.to = to};
    if (rec_cli_open(&sc.c, cfg, "app"))
        return 1;
    rec_cli_wait(&sc.c, records_app_set_status(&sc.c.ctx, ref, to, note, REC_NOTIFY, on_status,
                                               &sc));
    if (sc.explain)
        rec_cli_wait(&sc.c, records_app_get(&sc.c.env, ref, on_read, &sc));
    return rec_cli_close(&sc.c);
}

/* ---- status of a ticket ---- */

static void on_ticket_status(void *arg, int status, const char *why,
                             const struct tickets_change *ch)
{
    struct rec_cli *c = arg;
    c->done = 1;
    c->rc = 1;
    if (status == REC_OK) {
        printf("%s: %s -> %s; SMS queued to %ld follower%s\n", ch->ref, ch->from, ch->to,
               ch->notified, ch->notified == 1 ? "" : "s");
        c->rc = 0;
    } else if (status == REC_NOT_FOUND)
        fprintf(stderr, "ussdgw app: no ticket with that reference\n");
    else if (status == REC_REFUSED && ch && strcmp(why, "final") == 0)
        fprintf(stderr, "ussdgw app: %s is %s, a final status\n", ch->ref, ch->from);
    else if (status == REC_REFUSED && ch && strcmp(why, "same") == 0)
        fprintf(stderr, "ussdgw app: %s is already %s\n", ch->ref, ch->from);
    else if (status == REC_REFUSED && ch)
        fprintf(stderr, "ussdgw app: %s is %s; it may go to: %s\n", ch->ref, ch->from, ch->to);
    else
        fprintf(stderr, "ussdgw app: cannot change it (%s)\n", why ? why : "?");
}

/* A reported problem (services/tickets.h): its own statuses, SMS to every follower. */
static int ticket_status(const struct config *cfg, const char *ref, const char *to,
                         const char *note)
{
    if (!tickets_status_known(to)) {
        fprintf(stderr,
                "ussdgw app: unknown ticket status '%s'; one of received, in_progress, "
                "resolved, rejected\n",
                to);
        return 2;
    }
    struct rec_cli c;
    if (rec_cli_open(&c, cfg, "app"))
        return 1;
    /* its callback always comes, from the loop (bad input too) */
    struct svc_ctx staff = {&c.env, {SVC_STAFF, NULL, NULL, NULL}};
    tickets_set_status(&staff, ref, to, note, on_ticket_status, &c);
    rec_cli_wait(&c, 0);
    return rec_cli_close(&c);
}

int rec_cli_status(const struct config *cfg, const char *ref, const char *to, const char *note)
{
    if (rec_cli_bad_ref(ref))
        return 1;
    char canon[REFS_MAX];
    refs_parse(ref, NULL, canon, sizeof canon);
    if (strncmp(canon, "TKT-", 4) == 0)
        return ticket_status(cfg, canon, to, note);
    return app_status(cfg, ref, to, note);
}

/* ---- book ---- */

static void on_book(void *arg, int status, const char *why, const struct rec_booking *b)
{
    struct rec_cli *c = arg;
    c->done = 1;
    if (status != REC_OK) {
        fprintf(stderr, "ussdgw app book: %s (%s)\n",
                status == REC_REFUSED     ? "refused"
                : status == REC_INVALID   ? "invalid"
                : status == REC_NOT_FOUND ? "no such application"
                                          : "failed",
                why);
        c->rc = 1;
        return;
    }
    printf("%s: inspection %s in %s%s%s%s\n", b->ref, b->slot, b->district,
           b->same ? " (already booked)" : "", b->previous[0] ? "; gave back " : "", b->previous);
    c->rc = 0;
}

int rec_cli_book(const struct config *cfg, const char *ref, const char *slot)
{
    if (rec_cli_bad_ref(ref))
        return 1;
    struct rec_cli c;
    if (rec_cli_open(&c, cfg, "app"))
        return 1;
    rec_cli_wait(&c, records_slot_book(&c.ctx, ref, slot, on_book, &c));
    return rec_cli_close(&c);
}
