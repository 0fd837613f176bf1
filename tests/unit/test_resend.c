/*
 * test_resend.c: resend.c, the rules that tell a resent input from a repeated answer,
 * and the mark a session keeps of its last input.
 */
#include "harness.h"
#include "resend.h"

#define W 1000u /* resend window, ms */

static struct step_mark mark_of(const char *text, uint32_t conn, uint32_t seq, int32_t counter,
                                int counting, uint64_t sent)
{
    struct step_mark m = {resend_text_hash(text), conn, seq, counter, counting, sent};
    return m;
}

static enum resend_rule judge(const struct step_mark *last, const char *text, struct step_sig in,
                              int undelivered, uint64_t now, enum resend_verdict want)
{
    enum resend_rule why = RESEND_RULE_NO_MARK;
    enum resend_verdict v = resend_judge(last, resend_text_hash(text), &in, undelivered, now, W, &why);
    CHECK_INT(v, want);
    return why;
}

/* octet 2 left at 0 by the centre, the same connection: the resident's second "1" is
 * applied once its screen has had time to be read; a copy right after it is not */
static void test_octet2_zero(void)
{
    struct step_mark last = mark_of("1", 7, 3, 0, 0, 50000);
    struct step_sig again = {7, 4, 0, 0};
    CHECK_INT(judge(&last, "1", again, 0, 50000 + W + 1, RESEND_APPLY), RESEND_RULE_LATE_ENOUGH);
    CHECK_INT(judge(&last, "1", again, 0, 50000 + 20, RESEND_DUP), RESEND_RULE_TOO_SOON);
    CHECK_INT(judge(&last, "2", again, 0, 50000 + 20, RESEND_APPLY), RESEND_RULE_NEW_TEXT);
    /* the same sequence_number on the same bind: a resend however late */
    struct step_sig same = {7, 3, 0, 0};
    CHECK_INT(judge(&last, "1", same, 0, 50000 + 60000, RESEND_DUP), RESEND_RULE_SAME_SEQ);
    /* a number the bind used before, on another bind: not the same PDU */
    struct step_sig other = {8, 3, 0, 0};
    CHECK_INT(judge(&last, "1", other, 0, 50000 + W + 1, RESEND_APPLY), RESEND_RULE_LATE_ENOUGH);
    /* the screen it got never went out: nobody can have answered it */
    CHECK_INT(judge(&last, "1", other, 1, 50000 + 60000, RESEND_DUP), RESEND_RULE_UNDELIVERED);
}

/* a centre that counts octet 2: certain both ways, whatever the time */
static void test_octet2_counted(void)
{
    struct step_sig dial = {7, 1, 0, 0}, first = {7, 2, 1, 0};
    struct step_mark m0, m1;
    resend_mark_make(&m0, NULL, resend_text_hash("*123#"), &dial);
    CHECK_INT(m0.counting, 0);
    resend_mark_make(&m1, &m0, resend_text_hash("1"), &first);
    CHECK_INT(m1.counting, 1);
    m1.sent_ms = 1000;
    struct step_sig repeat = {7, 3, 2, 0};
    CHECK_INT(judge(&m1, "1", repeat, 0, 1001, RESEND_APPLY), RESEND_RULE_COUNTER_NEW);
    struct step_sig copy = {9, 1, 1, 0}; /* on another gateway's bind, later */
    CHECK_INT(judge(&m1, "1", copy, 0, 90000, RESEND_DUP), RESEND_RULE_COUNTER_SAME);
    /* a counter seen never moving (always 0) decides nothing */
    struct step_mark z = mark_of("1", 7, 2, 0, 0, 1000);
    struct step_sig z2 = {7, 3, 0, 0};
    CHECK_INT(judge(&z, "1", z2, 0, 1000 + W, RESEND_APPLY), RESEND_RULE_LATE_ENOUGH);
}

/* Hubtel's Sequence always moves: equal is a resend, another one a new request */
static void test_certain_counter(void)
{
    struct step_mark last = mark_of("1", 0, 0, 5, 1, 1000);
    struct step_sig same = {0, 0, 5, 1}, next = {0, 0, 6, 1};
    CHECK_INT(judge(&last, "1", same, 0, 999999, RESEND_DUP), RESEND_RULE_COUNTER_SAME);
    CHECK_INT(judge(&last, "1", next, 0, 1001, RESEND_APPLY), RESEND_RULE_COUNTER_NEW);
    struct step_mark first = mark_of("1", 0, 0, 5, 0, 1000);
    struct step_sig again = {0, 0, 5, 1};
    CHECK_INT(judge(&first, "1", again, 0, 999999, RESEND_DUP), RESEND_RULE_COUNTER_SAME);
}

/* a copy of an input before the last: stale, whatever its text */
static void test_stale(void)
{
    struct step_mark last = mark_of("2", 7, 10, 5, 1, 1000);
    /* sequence numbers tell no order: a peer may resend under the old one while new
     * PDUs take the next */
    struct step_sig older_seq = {7, 9, -1, 0};
    CHECK_INT(judge(&last, "1", older_seq, 0, 99999, RESEND_APPLY), RESEND_RULE_NEW_TEXT);
    struct step_sig older_counter = {9, 1, 4, 0};
    CHECK_INT(judge(&last, "1", older_counter, 0, 99999, RESEND_STALE), RESEND_RULE_COUNTER_OLD);
    struct step_mark near_wrap = mark_of("2", 7, 10, 1, 1, 1000);
    struct step_sig before_wrap = {9, 1, 127, 0};
    CHECK_INT(judge(&near_wrap, "2", before_wrap, 0, 99999, RESEND_STALE), RESEND_RULE_COUNTER_OLD);
    struct step_sig after_wrap = {9, 1, 2, 0};
    CHECK_INT(judge(&near_wrap, "2", after_wrap, 0, 1001, RESEND_APPLY), RESEND_RULE_COUNTER_NEW);
    /* a counter not seen moving says nothing of order */
    struct step_mark unknown = mark_of("2", 7, 10, 5, 0, 1000);
    CHECK_INT(judge(&unknown, "1", older_counter, 0, 1001, RESEND_APPLY), RESEND_RULE_NEW_TEXT);
    /* Hubtel's Sequence is a hash: equal or not, never behind */
    struct step_mark hub = mark_of("1", 0, 0, 9, 1, 1000);
    struct step_sig hub_other = {0, 0, 3, 1};
    CHECK_INT(judge(&hub, "1", hub_other, 0, 1001, RESEND_APPLY), RESEND_RULE_COUNTER_NEW);
}

static void test_no_mark(void)
{
    struct step_sig in = {1, 1, -1, 0};
    CHECK_INT(judge(NULL, "1", in, 1, 0, RESEND_APPLY), RESEND_RULE_NO_MARK);
    /* a clock behind the one that saved: too soon, not a new answer */
    struct step_mark last = mark_of("1", 2, 1, -1, 0, 5000);
    CHECK_INT(judge(&last, "1", in, 0, 4000, RESEND_DUP), RESEND_RULE_TOO_SOON);
}

static void test_mark_text(void)
{
    struct step_mark m = mark_of("Alice", 0xDEADBEEF, 0x7FFFFFFF, -1, 1, 1796400000123ull), back;
    char t[RESEND_MARK_MAX];
    resend_mark_format(&m, t);
    CHECK_INT(resend_mark_parse(t, &back), 0);
    CHECK_INT(back.text, m.text);
    CHECK_INT(back.conn, m.conn);
    CHECK_INT(back.seq, m.seq);
    CHECK_INT(back.counter, -1);
    CHECK_INT(back.counting, 1);
    CHECK(back.sent_ms == m.sent_ms);
    struct step_mark big = mark_of("x", 0xFFFFFFFF, 0xFFFFFFFF, 0x7FFFFFFF, 1, ~0ull);
    resend_mark_format(&big, t);
    CHECK(strlen(t) < RESEND_MARK_MAX);
    CHECK_INT(resend_mark_parse(t, &back), 0);
    CHECK_INT(back.counter, 0x7FFFFFFF);
    /* the step ids of older sessions, and garbage, are no mark */
    const char *bad[] = {"", "i256:1", "q4:2", "h3", "r1.", "r1.1.2.3.-.2.5", "r1.1.2.3.4.1",
                         "r1.1.2.3.4.1.5.6", "r1.g.2.3.4.1.5", "r1.1.2.3.80000000.1.5",
                         "r1.11111111111111111.2.3.4.1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (resend_mark_parse(bad[i], &back) != -1)
            harness_fail(__FILE__, __LINE__, "'%s' parsed as a mark", bad[i]);
    CHECK_INT(resend_mark_parse(NULL, &back), -1);
}

static void test_conn_id(void)
{
    uint32_t a = resend_conn_id(1, "op", 1), b = resend_conn_id(1, "op", 2),
             c = resend_conn_id(2, "op", 1), d = resend_conn_id(1, "op2", 1);
    CHECK(a != b && a != c && a != d && b != c);
    CHECK(a != 0 && b != 0);
    CHECK_INT(resend_conn_id(1, "op", 1), a);
}

int main(void)
{
    RUN(test_octet2_zero);
    RUN(test_octet2_counted);
    RUN(test_certain_counter);
    RUN(test_stale);
    RUN(test_no_mark);
    RUN(test_mark_text);
    RUN(test_conn_id);
    return harness_finish();
}
