/*
 * poll_results.h: results of closed polls by SMS to the voters who asked for them.
 *
 * A voter who answers "Yes" to "Send me the result?" after voting is in the hash
 * ussd:poll:ID:notify (MSISDN -> the district they voted in; handlers/polls.c). For each
 * poll with `results_sms: true` that has closed, a run sends each of them one SMS with
 * the tally of their district's ballot (the poll's options for that district and the
 * approved proposals of that district), in their language (ussd:l:MSISDN, else the
 * menus' default), through the durable SMS queue with the idempotency key
 * poll-result:ID:MSISDN, and adds them to the permanent set ussd:poll:ID:notified: a
 * phone gets its result once, however often a run is repeated, by however many
 * processes.
 *
 * A run on a poll takes the lock ussd:poll:ID:results:lock (SET NX PX) so two gateways do
 * not both walk the same voters (a poll that is locked is skipped: `busy`); it looks at a
 * poll only when the notify hash has more phones than the notified set (cheap when there
 * is nothing to send). The gateway runs one every `poll_results_every` seconds on the
 * polls that closed within POLL_RESULTS_WINDOW_S; `ussdgw poll notify-closed` runs one on
 * every closed poll.
 */
#ifndef USSDGW_POLL_RESULTS_H
#define USSDGW_POLL_RESULTS_H

#include <stddef.h>

#define POLL_RESULTS_WINDOW_S (30LL * 86400) /* the gateway's runs: polls closed this recently */
#define POLL_RESULTS_TEXT_MAX 640            /* a results SMS, octets at most */

struct menu_set;
struct menu_poll;
struct sms_queue;
struct svc_env;
struct poll_results;

/* One poll done: queued SMS, phones already sent to, SMS that could not be queued (a
 * later run sends them), busy 1 when another process held the poll's lock. */
struct poll_results_report {
    const char *poll;
    size_t queued, already, failed;
    int busy;
};
typedef void (*poll_results_poll_fn)(void *arg, const struct poll_results_report *r);
/* The run is over: status 0, or -1 when Redis failed (the rest waits for the next run). */
typedef void (*poll_results_done_fn)(void *arg, int status);

/* Start a run over the polls of set that have results_sms and closed at or before now
 * and after now - window_s (window_s 0: any time), on env's store (poll_tally.h).
 * max_parts: sms_max_parts (a text is made to fit it). owner names this process in the
 * lock. per_poll (may be NULL) fires for each poll looked at, done exactly once at the
 * end, never inside this call; what they are handed is valid during the callback;
 * per_poll must not cancel the run. set, env and q must outlive the run. NULL: out of
 * memory (then nothing fires). */
struct poll_results *poll_results_start(const struct svc_env *env, struct sms_queue *q,
                                        const struct menu_set *set, long long now,
                                        long long window_s, int max_parts, const char *owner,
                                        poll_results_poll_fn per_poll,
                                        poll_results_done_fn done, void *arg);

/* Stop a run whose done has not fired: no callback fires afterwards; the memory goes
 * when the requests in flight have answered (store and queue always answer). */
void poll_results_cancel(struct poll_results *r);

/* The results SMS of poll p for a voter of district (the name as geo.h spells it, or
 * "" for every option) in language lang (an index of set->langs; en, rw and fr words
 * around the tally, English otherwise): "Results: QUESTION option: N, ... Total N.".
 * tally and extra are flat field/value arrays (HGETALL replies: option id -> votes;
 * proposal id -> title). The text fits size octets and max_parts SMS parts: options that
 * do not fit are left out, with "and N more" (never a cut character); the total counts
 * them all. Pure. */
void poll_results_text(const struct menu_set *set, const struct menu_poll *p,
                       const char *district, int lang, const char *const *tally, size_t n_tally,
                       const char *const *extra, size_t n_extra, int max_parts, char *out,
                       size_t size);

#endif
