/*
 * polls.h: polls and participatory budgets over Redis (the polls themselves are the
 * menu set's `polls:`, menus/menu_load_polls.c): which polls and options a district's
 * ballot has, a resident's vote, and their wish to get the result by SMS. Proposals and
 * their moderation: poll_proposals.h; the tally and the results by SMS: poll_tally.h.
 *
 * Keys (prefix POLLS_KEY; polls_key names them):
 *   ussd:poll:ID:voter:VOTER   the voter's choices, space-separated (VOTER: the MSISDN,
 *                              or for a national ID "id-" and a keyed hash of the poll
 *                              and the ID: the ID never reaches Redis)
 *   ussd:poll:ID:idphone:VOTER the phone that cast a national ID's vote
 *   ussd:poll:ID:voterkey      a fingerprint of the key those hashes were made with: a
 *                              vote under another vote_secret is refused, not counted
 *                              again under a new name
 *   ussd:poll:ID:tally         hash option id -> votes (the old choices are subtracted)
 *   ussd:poll:ID:phones        set of MSISDNs that voted
 *   ussd:poll:ID:notify        hash MSISDN -> the district whose result they asked for
 *   ussd:poll:idem:STEP_KEY    the outcome of a vote step already recorded (7 days)
 *   ussd:poll:ID:extra         hash option id -> label: approved proposals (p1, p2..);
 *   ussd:poll:ID:extra:DISTRICT  the same for one district (what its ballot lists),
 *                              listed after the menu's options, voted on like them
 *
 * Calls: a change for a resident takes a svc_ctx (actor.msisdn: the phone, at most 32
 * bytes); a read takes the env. Outcomes are records.h's REC_* with a reason `why`.
 * Callback contract, for every call: cb fires exactly once, from the event loop, never
 * inside the call (bad input too); what it is handed is valid only during the callback;
 * it may make new calls.
 */
#ifndef USSDGW_POLLS_H
#define USSDGW_POLLS_H

#include <stddef.h>

#include "menu.h"
#include "records.h"
#include "svc.h"

#define POLLS_KEY "ussd:poll:"
#define POLLS_IDEM_TTL_S (7 * 24 * 3600)
#define POLLS_PICKED_MAX 200 /* the space-separated option ids of one vote */
#define POLLS_MAX_CHOICES 64 /* as many as a poll has options (menu_load_polls.c) */
#define POLLS_STEP_KEY_MAX 200

/* "ussd:poll:POLL:WHAT" (WHAT "" : "ussd:poll:POLL"; POLL NULL: "ussd:poll:WHAT") into
 * buf; returns buf. */
char *polls_key(char *buf, size_t n, const char *poll, const char *what);

/* ---- ballots (pure) ---- */

/* 1 when p is open at now (Unix seconds): opens <= now < closes. */
int polls_open_at(const struct menu_poll *p, long long now);

/* 1 when option o is on district's ballot (an option without a district is on all). */
int polls_option_for(const struct menu_poll_option *o, const char *district);

/* 1 when p has an option on district's ballot. */
int polls_for(const struct menu_poll *p, const char *district);

/* How many choices a vote on p may have (1 or more). */
int polls_max_choices(const struct menu_poll *p);

/* The first poll of set open at now, or NULL. */
const struct menu_poll *polls_first_open(const struct menu_set *set, long long now);

/* A vote's choices, checked against the ballot. */
struct polls_choices {
    char ids[POLLS_PICKED_MAX]; /* the option ids, space-separated, in order */
    const struct menu_poll_option *opt[POLLS_MAX_CHOICES]; /* NULL: an approved proposal */
    char extras[POLLS_PICKED_MAX]; /* the proposals' ids (pN), space-separated */
    int n;
};

/* choice (space-separated option ids) for district's ballot of p into c: each a menu
 * option for district or a proposal id p1, p2... (the vote checks it is approved), none
 * twice, at most polls_max_choices. 0, or -1 when it is not a valid vote. */
int polls_choices_parse(const struct menu_poll *p, const char *district, const char *choice,
                        struct polls_choices *c);

/* ---- a ballot's approved proposals ---- */

struct polls_extra {
    const char *id, *label;
};

typedef void (*polls_extras_cb)(void *arg, int status, const char *why,
                                const struct polls_extra *x, size_t n);

/* The approved proposals on district's ballot of poll (n 0 as well when env has no
 * store: the menu's options alone). */
void polls_extras(const struct svc_env *env, const char *poll, const char *district,
                  polls_extras_cb cb, void *arg);

/* ---- a vote ---- */

struct polls_vote {
    const struct menu_poll *poll;
    const struct polls_choices *choices; /* from polls_choices_parse */
    const char *national_id; /* a binding vote (voter: national_id): the ID as typed */
    const char *idem_key;    /* the dialog step's key, at most POLLS_STEP_KEY_MAX bytes */
};

/* REC_OK: changed 1 when it replaced the voter's earlier vote; labels: those of the
 * approved proposals among the choices, in their order. */
typedef void (*polls_vote_cb)(void *arg, int status, const char *why, int changed,
                              const char *const *labels, size_t n_labels);

/* Record ctx's resident's vote, in one script: idempotent on the step key; a new vote
 * replaces the voter's earlier one (the tally subtracts the old choices); a national
 * ID's vote can be changed only from the phone that cast it. REC_INVALID why:
 * "choice" (no choices, or a proposal not approved), "msisdn", "idem", "national_id"
 * (not a valid ID: refs_id_check says why); REC_REFUSED "closed" (not open now),
 * "taken" (an ID that voted from another phone); REC_ERR "secret_changed" (vote_secret
 * is not the one the poll's binding votes were made with; logged as
 * poll.vote_secret_changed). */
void polls_vote(const struct svc_ctx *ctx, const struct polls_vote *v, polls_vote_cb cb,
                void *arg);

/* ---- the result by SMS ---- */

enum polls_notify {
    POLLS_NOTIFY_ON,  /* they get it */
    POLLS_NOTIFY_OFF, /* they do not */
    POLLS_NOT_VOTER,  /* this phone has not voted in the poll */
};

typedef void (*polls_notify_cb)(void *arg, int status, const char *why, enum polls_notify n);

/* Whether ctx's resident, a voter of poll, gets its result by SMS when it closes (want
 * 1) or not, for district's ballot. */
void polls_notify_set(const struct svc_ctx *ctx, const char *poll, int want,
                      const char *district, polls_notify_cb cb, void *arg);

#endif
