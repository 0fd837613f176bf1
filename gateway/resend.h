/*
 * resend.h: tells a resent input from a repeated answer. Pure logic, no I/O.
 *
 * A USSD centre resends a deliver_sm when it did not get our deliver_sm_resp in time or
 * the link dropped first; a resident may also press the same key twice on two screens
 * in a row ("1" Land, then "1" Look up a parcel). The text alone never tells them
 * apart. Each ingress describes what its PDU or request really carries (a step_sig);
 * the session keeps a mark of the last input it applied; resend_judge compares the two:
 *
 *   1. the same connection and the same sequence_number  -> resend (certain: a new PDU
 *                                                           on a bind gets a new number)
 *   2. a per-message counter in both (its_session_info octet 2) known to move in this
 *      dialog, behind the mark's                         -> a stale copy (sequence_number
 *                                                           tells no order: peers may
 *                                                           resend under an old one)
 *   3. another text                                      -> apply
 *   4. the counter (also Hubtel's Sequence, said by the ingress to always move):
 *      known to move and equal                           -> resend
 *      different                                         -> apply (and now known to move)
 *   5. the screen answering the last input did not reach
 *      the network (its submit failed)                   -> resend: nobody saw the next
 *                                                           screen, so nobody answered it
 *   6. less than window_ms since that screen was saved   -> resend: too soon for the
 *                                                           phone to show it and a
 *                                                           resident to answer it
 *   7. otherwise                                         -> apply (a stalled resident
 *                                                           is worse than a rare double
 *                                                           step)
 * A stale copy (an input older than the one applied last) is never shown a screen: the
 * phone has answered a later one.
 */
#ifndef USSDGW_RESEND_H
#define USSDGW_RESEND_H

#include <stddef.h>
#include <stdint.h>

/* What an input carries, as its ingress sees it. */
struct step_sig {
    uint32_t conn;   /* the connection it came on (resend_conn_id), 0: none (HTTP) */
    uint32_t seq;    /* its sequence_number on that connection */
    int32_t counter; /* a per-message counter, -1 when the input has none */
    int certain;     /* the counter always moves (Hubtel's Sequence): equal is a resend */
};

/* The last input a session applied (kept in session.last_step as text). */
struct step_mark {
    uint32_t text;    /* resend_text_hash of the input */
    uint32_t conn, seq;
    int32_t counter;  /* -1: none */
    int counting;     /* the counter has been seen moving in this dialog */
    uint64_t sent_ms; /* when the screen answering it was saved, unix ms; 0: unknown */
};

enum resend_verdict {
    RESEND_APPLY = 0, /* a new input */
    RESEND_DUP = 1,   /* a copy of the input applied last */
    RESEND_STALE = 2, /* a copy of an input before it */
};

/* Why: for the debug log line and the counters. */
enum resend_rule {
    RESEND_RULE_NO_MARK,     /* apply: the session has no mark (first input, old blob) */
    RESEND_RULE_NEW_TEXT,    /* apply */
    RESEND_RULE_SAME_SEQ,    /* resend */
    RESEND_RULE_COUNTER_OLD, /* stale */
    RESEND_RULE_COUNTER_NEW, /* apply */
    RESEND_RULE_COUNTER_SAME,/* resend */
    RESEND_RULE_UNDELIVERED, /* resend */
    RESEND_RULE_TOO_SOON,    /* resend */
    RESEND_RULE_LATE_ENOUGH, /* apply */
};
const char *resend_rule_name(enum resend_rule r);

/* FNV-1a of an input's text (after the ingress's cleaning). */
uint32_t resend_text_hash(const char *text);

/* A connection's id: this process (node, random at start), the link and the count of
 * its connections. Never 0. */
uint32_t resend_conn_id(uint64_t node, const char *link, unsigned serial);

/* last: the session's mark, or NULL when it has none. undelivered: the screen that
 * answered `last` is known not to have reached the network. */
enum resend_verdict resend_judge(const struct step_mark *last, uint32_t text, const struct step_sig *in,
                                 int undelivered, uint64_t now_ms, uint32_t window_ms,
                                 enum resend_rule *why);

/* The mark an applied input leaves: `counting` carries over from last (NULL: none). */
void resend_mark_make(struct step_mark *out, const struct step_mark *last, uint32_t text,
                      const struct step_sig *in);

/* Text form for the session, NUL-terminated; RESEND_MARK_MAX octets with the NUL. */
#define RESEND_MARK_MAX 64
void resend_mark_format(const struct step_mark *m, char out[RESEND_MARK_MAX]);
/* Parse a session's mark. Returns 0, or -1 when s is not one (empty, or an older form):
 * then the session has no mark. */
int resend_mark_parse(const char *s, struct step_mark *m);

#endif
