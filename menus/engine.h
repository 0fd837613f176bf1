/*
 * engine.h: the menu engine, pure: (menu set, session, input) -> (screen, actions).
 *
 * No I/O happens here. A step starts with engine_begin (a dial) or engine_input (an
 * answer) and ends with status ENGINE_SHOW (send out->text; out->end tells whether the
 * dialog ends) or ENGINE_DROP (a duplicate or late input: send and save nothing). When a
 * screen needs a handler the status is ENGINE_CALL: the caller runs out->handler with
 * out->args and passes the result to engine_resume with the same `out`, which goes on
 * from there (possibly to another ENGINE_CALL). Actions to carry out when the session
 * is saved (SMS to queue, a language to remember) accumulate in `out`.
 */
#ifndef USSDGW_ENGINE_H
#define USSDGW_ENGINE_H

#include "call.h"
#include "menu.h"
#include "render.h"
#include "session.h"

#define ENGINE_TEXT_MAX 1024
#define ENGINE_MAX_SMS 4
#define ENGINE_SMS_MAX 640
#define ENGINE_MAX_ARGS 32

struct engine_cfg {
    struct render_limits lim;              /* default 182 septets / 80 UCS2 units */
    const char *key_back, *key_home, *key_more; /* default "0", "00", "98" */
    int menu_retries;                      /* wrong choices on a menu before the end */
    int max_hops;                          /* screens passed in one step, default 32 */
};

void engine_cfg_default(struct engine_cfg *c);

enum engine_status {
    ENGINE_SHOW,
    ENGINE_CALL,
    ENGINE_DROP,
};

struct engine_sms {
    char to[SESSION_MSISDN_MAX];
    char text[ENGINE_SMS_MAX];
};

struct engine_out {
    enum engine_status status;
    int end;                     /* ENGINE_SHOW: 1 when this is the final screen */
    char text[ENGINE_TEXT_MAX];  /* ENGINE_SHOW: the screen, within the limit */

    const char *handler;         /* ENGINE_CALL: the handler's name */
    struct handler_kv args[ENGINE_MAX_ARGS];
    size_t n_args;

    struct engine_sms sms[ENGINE_MAX_SMS]; /* SMS to queue with the save */
    size_t n_sms;
    int lang_chosen;             /* remember s->lang for the phone number */
    char chain[SESSION_MSISDN_MAX]; /* begin: answers typed into the dial ("*123*1*2#"
                                       with only "*123#" declared leaves "1*2") */

    /* internal */
    int call_screen;
    int hops;
    char argbuf[2048];
};

/* Clear out, once at the start of each step: actions accumulate over the calls of one
 * step (a dial with answers chained in it runs several). */
void engine_out_init(struct engine_out *out);

/* Start a dialog for `dial`. `s` keeps its version (the stored one, 0 when new);
 * everything else is reset. `lang` is the phone's remembered language or NULL.
 * `resume` is the phone's previous, cut dialog or NULL: when it can go on, the
 * first screen asks "Continue where you left off?". */
void engine_begin(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                  const char *msisdn, const char *dial, const char *lang, uint32_t now,
                  const char *step_id, const struct session *resume, struct engine_out *out);

/* Apply an answer. `step_id` identifies the input (e.g. from the PDU); the same id
 * twice in a row is a duplicate: ENGINE_DROP. NULL or "" disables the check. */
void engine_input(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                  const char *input, const char *step_id, struct engine_out *out);

/* Go on after out->handler finished with `res`. */
void engine_resume(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                   const struct handler_result *res, struct engine_out *out);

/* Render the screen the session waits on again, changing nothing (a retried request). */
void engine_show(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                 struct engine_out *out);

/* End the dialog now with engine message `m` (e.g. when Redis is down). */
void engine_fail(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                 enum menu_msg m, struct engine_out *out);

#endif
