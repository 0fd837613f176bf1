/*
 * test_refs.c: reference numbers (Damm check digit: every single-digit error and every
 * adjacent transposition refused, over many random references), lenient parsing,
 * national ID rules with each refusal reason, masking, and business-name
 * normalisation, keys and similarity (services/refs.c).
 */
#include "harness.h"
#include "records.h"
#include "refs.h"

#include <stdint.h>
#include <stdlib.h>

static uint64_t rs = 42;
static uint32_t rnd(uint32_t n)
{
    rs = rs * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rs >> 33) % n;
}

static void test_damm_known_values(void)
{
    /* the textbook example: 572 -> check digit 4, and 5724 checks to 0 */
    CHECK_INT(refs_damm("572"), 4);
    CHECK_INT(refs_damm("5724"), 0);
    CHECK_INT(refs_damm(""), 0);
    CHECK_INT(refs_damm("5-7 2"), 4); /* only digits count */
}

static void test_make_and_check(void)
{
    char r[REFS_MAX];
    CHECK_INT(refs_make(r, sizeof r, "LND", 26, 4213), 0);
    CHECK(strncmp(r, "LND-26-004213-", 14) == 0);
    CHECK_INT(strlen(r), 15);
    CHECK(refs_check(r));
    CHECK_INT(r[14] - '0', refs_damm("126004213"));
    CHECK_INT(refs_make(r, sizeof r, "XYZ", 26, 1), -1);
    CHECK_INT(refs_make(r, sizeof r, "LND", 100, 1), -1);
    CHECK_INT(refs_make(r, sizeof r, "LND", 26, 1000000), -1);
    CHECK_INT(refs_make(r, 10, "LND", 26, 1), -1);
    char p[4];
    int yy;
    long seq;
    refs_make(r, sizeof r, "BPA", 7, 999999);
    CHECK_INT(refs_split(r, p, &yy, &seq), 0);
    CHECK_STR(p, "BPA");
    CHECK_INT(yy, 7);
    CHECK_INT(seq, 999999);
    CHECK_STR(refs_service("BIZ"), "business");
    CHECK_STR(refs_prefix("permit"), "BPA");
    CHECK(refs_prefix("tax") == NULL);
}

static void test_check_refuses_bad_format(void)
{
    char r[REFS_MAX];
    refs_make(r, sizeof r, "LND", 26, 4213);
    char bad[32];
    CHECK(!refs_check(NULL));
    CHECK(!refs_check(""));
    snprintf(bad, sizeof bad, "lnd%s", r + 3); /* lower case is not canonical */
    CHECK(!refs_check(bad));
    snprintf(bad, sizeof bad, "%.3s %s", r, r + 4);
    CHECK(!refs_check(bad));
    snprintf(bad, sizeof bad, "%s0", r);
    CHECK(!refs_check(bad));
    snprintf(bad, sizeof bad, "ABC%s", r + 3);
    CHECK(!refs_check(bad));
    CHECK(!refs_check("LND-26-04213-7"));
    CHECK(!refs_check("LND-2A-004213-7"));
}

/* The positions of the 9 digits of PFX-YY-NNNNNN-C. */
static const int digit_pos[9] = {4, 5, 7, 8, 9, 10, 11, 12, 14};

static void test_every_single_digit_error_is_caught(void)
{
    static const char *const pfx[] = {"LND", "BIZ", "BPA", "BIL"};
    long tried = 0, caught = 0;
    for (int n = 0; n < 3000; n++) {
        char r[REFS_MAX];
        refs_make(r, sizeof r, pfx[rnd(4)], (int)rnd(100), (long)rnd(1000000));
        CHECK(refs_check(r));
        for (int i = 0; i < 9; i++)
            for (char d = '0'; d <= '9'; d++) {
                char m[REFS_MAX];
                memcpy(m, r, sizeof m);
                if (m[digit_pos[i]] == d)
                    continue;
                m[digit_pos[i]] = d;
                tried++;
                caught += !refs_check(m);
            }
    }
    CHECK_INT(caught, tried);
    CHECK_INT(tried, 3000L * 9 * 9);
}

static void test_every_adjacent_transposition_is_caught(void)
{
    long tried = 0, caught = 0;
    for (int n = 0; n < 3000; n++) {
        char r[REFS_MAX];
        refs_make(r, sizeof r, "LND", (int)rnd(100), (long)rnd(1000000));
        for (int i = 0; i + 1 < 9; i++) {
            char m[REFS_MAX];
            memcpy(m, r, sizeof m);
            char a = m[digit_pos[i]], b = m[digit_pos[i + 1]];
            if (a == b)
                continue;
            m[digit_pos[i]] = b;
            m[digit_pos[i + 1]] = a;
            tried++;
            caught += !refs_check(m);
        }
    }
    CHECK(tried > 3000 * 6);
    CHECK_INT(caught, tried);
}

static void test_other_prefix_is_caught(void)
{
    /* the service digit is in the check: the same digits under another prefix fail */
    for (int n = 0; n < 500; n++) {
        char r[REFS_MAX], m[REFS_MAX];
        refs_make(r, sizeof r, "LND", (int)rnd(100), (long)rnd(1000000));
        memcpy(m, r, sizeof m);
        memcpy(m, "BPA", 3);
        CHECK(!refs_check(m));
        memcpy(m, "BIZ", 3);
        CHECK(!refs_check(m));
    }
}

static void test_parse_lenient(void)
{
    char r[REFS_MAX], out[REFS_MAX];
    refs_make(r, sizeof r, "LND", 26, 4213);
    char in[40];
    CHECK(refs_parse(r, NULL, out, sizeof out) == NULL);
    CHECK_STR(out, r);
    snprintf(in, sizeof in, " lnd %.2s %.6s %c ", r + 4, r + 7, r[14]);
    CHECK(refs_parse(in, NULL, out, sizeof out) == NULL);
    CHECK_STR(out, r);
    snprintf(in, sizeof in, "LND%.2s%.6s%c", r + 4, r + 7, r[14]);
    CHECK(refs_parse(in, NULL, out, sizeof out) == NULL);
    CHECK_STR(out, r);
    snprintf(in, sizeof in, "Lnd-26-4213-%c", r[14]); /* a short sequence, with dashes */
    CHECK(refs_parse(in, NULL, out, sizeof out) == NULL);
    CHECK_STR(out, r);
    snprintf(in, sizeof in, "26*004213*%c#", r[14]); /* typed on a keypad, the service known */
    CHECK(refs_parse(in, "LND", out, sizeof out) == NULL);
    CHECK_STR(out, r);
    snprintf(in, sizeof in, "26004213%c", r[14]);
    CHECK_STR(refs_parse(in, NULL, out, sizeof out), "format"); /* which service? */
    CHECK_STR(refs_parse(r, "BPA", out, sizeof out), "prefix");
    snprintf(in, sizeof in, "%.14s%c", r, r[14] == '9' ? '0' : r[14] + 1);
    CHECK_STR(refs_parse(in, NULL, out, sizeof out), "check");
    CHECK_STR(refs_parse("XYZ-26-004213-1", NULL, out, sizeof out), "prefix");
    CHECK_STR(refs_parse("LN-26-004213-1", NULL, out, sizeof out), "format");
    CHECK_STR(refs_parse("LND-26-0004213-1", NULL, out, sizeof out), "format");
    CHECK_STR(refs_parse("LND-26-004213", NULL, out, sizeof out), "format");
    CHECK_STR(refs_parse("", NULL, out, sizeof out), "format");
    CHECK_STR(refs_parse(NULL, NULL, out, sizeof out), "format");
    CHECK_STR(refs_parse("LND-26-004213-7x", NULL, out, sizeof out), "format");
    CHECK_STR(refs_parse(r, NULL, out, 8), "format"); /* no room */
}

static void test_id_valid(void)
{
    struct refs_id id;
    CHECK(refs_id_check("1199880012345678") == NULL);
    CHECK(refs_id_check_at("1199880012345678", 2026, &id) == NULL);
    CHECK_INT(id.category, 1);
    CHECK_INT(id.year, 1998);
    CHECK_INT(id.female, 0);
    CHECK_INT(id.serial, 12345);
    CHECK_INT(id.issue, 6);
    CHECK(refs_id_check_at("2197570000001000", 2026, &id) == NULL);
    CHECK_INT(id.category, 2);
    CHECK_INT(id.female, 1);
    CHECK(refs_id_check("3200080000001000") == NULL);
}

static void test_id_reasons(void)
{
    CHECK_STR(refs_id_check(NULL), "length");
    CHECK_STR(refs_id_check(""), "length");
    CHECK_STR(refs_id_check("119988001234567"), "length");
    CHECK_STR(refs_id_check("11998800123456789"), "length");
    CHECK_STR(refs_id_check("1 1998 8 0012345 6 78"), "length");
    CHECK_STR(refs_id_check("11998800123456A8"), "digits");
    CHECK_STR(refs_id_check("0199880012345678"), "category");
    CHECK_STR(refs_id_check("4199880012345678"), "category");
    CHECK_STR(refs_id_check("1185080012345678"), "year");
    CHECK_STR(refs_id_check("1299980012345678"), "year");
    CHECK_STR(refs_id_check_at("1202780012345678", 2026, NULL), "year");
    CHECK(refs_id_check_at("1202680012345678", 2026, NULL) == NULL);
    CHECK_STR(refs_id_check("1199850012345678"), "gender");
    CHECK_STR(refs_id_check("1199800012345678"), "gender");
    char c[32];
    CHECK_STR(refs_id_clean("1 1998 8 0012345 6 78", c, sizeof c), "1199880012345678");
    CHECK(refs_id_check(c) == NULL);
    CHECK_STR(refs_id_clean("1-1998-8", c, 4), "119");
}

static void test_masking(void)
{
    char b[64];
    /* staff's notes: one line, never half a character */
    char nb[8];
    CHECK_STR(refs_note_line("a\nb\tc", nb, sizeof nb), "a b c");
    CHECK_STR(refs_note_line("abcd\xc3\xa9xyz", nb, sizeof nb), "abcd\xc3\xa9x");
    CHECK_STR(refs_note_line("abcdef\xc3\xa9", nb, sizeof nb), "abcdef");
    CHECK_STR(refs_note_line(NULL, nb, sizeof nb), "");
    CHECK_STR(refs_mask_name("Mukamana Alice", b, sizeof b), "M. A.");
    CHECK_STR(refs_mask_name("  niyonzima   jean de dieu ", b, sizeof b), "N. J. D. D.");
    CHECK_STR(refs_mask_name("\xc3\x89lise", b, sizeof b), "\xc3\x89.");
    CHECK_STR(refs_mask_name("", b, sizeof b), "");
    CHECK_STR(refs_mask_name(NULL, b, sizeof b), "");
    CHECK_STR(refs_mask_name("Mukamana Alice", b, 4), "M.");
    CHECK_STR(refs_mask_id("1199880012345678", b, sizeof b), "************5678");
    CHECK_STR(refs_mask_id("123", b, sizeof b), "123");
    CHECK_STR(refs_mask_phone("250788123456", b, sizeof b), "*********456");
    CHECK_STR(refs_mask_phone("+250788123456", b, sizeof b), "+*********456");
    CHECK_STR(refs_mask_id("1199880012345678", b, 5), "****");
}

static void test_name_norm(void)
{
    char a[REFS_NAME_MAX], b[REFS_NAME_MAX];
    refs_name_norm("Kigali Fresh-Foods Ltd.", a, sizeof a);
    refs_name_norm("kigali fresh foods ltd", b, sizeof b);
    CHECK_STR(a, b);
    CHECK_STR(a, "kigali fresh foods ltd");
    CHECK_STR(refs_name_norm("  KIGALI   FRESH__FOODS, LTD!! ", a, sizeof a),
              "kigali fresh foods ltd");
    CHECK_STR(refs_name_norm("Caf\xc3\xa9 \xc3\x89l\xc3\xa9gance S.A.R.L.", a, sizeof a),
              "cafe elegance sarl");
    CHECK_STR(refs_name_norm("Mama's Kitchen", a, sizeof a), "mamas kitchen");
    CHECK_STR(refs_name_norm("Mama\xe2\x80\x99s Kitchen", a, sizeof a), "mamas kitchen");
    CHECK_STR(refs_name_norm("Co.Ltd", a, sizeof a), "co ltd");
    CHECK_STR(refs_name_norm("", a, sizeof a), "");
    CHECK_STR(refs_name_norm("!!!", a, sizeof a), "");
    CHECK_STR(refs_name_norm("Kigali Fresh Foods", a, 7), "kigali");
    /* other scripts stay as they are, as letters */
    CHECK_STR(refs_name_norm("Ubumwe \xce\xb1\xce\xb2", a, sizeof a), "ubumwe \xce\xb1\xce\xb2");
}

static void test_name_key_and_tokens(void)
{
    char a[REFS_NAME_MAX], b[REFS_NAME_MAX];
    CHECK_STR(refs_name_key("Kigali Fresh Foods Limited", a, sizeof a), "kigalifreshfoods");
    CHECK_STR(refs_name_key("KigaliFreshFoods Ltd.", b, sizeof b), "kigalifreshfoods");
    CHECK_STR(refs_name_key("Koperative Twisungane", a, sizeof a), "twisungane");
    CHECK_STR(refs_name_key("Ets Mugisha & Fils", a, sizeof a), "mugishafils");
    char t[REFS_TOKENS_MAX][REFS_TOKEN_MAX];
    size_t n = refs_name_tokens("The Kigali Fresh Foods Ltd of Kigali", t, REFS_TOKENS_MAX);
    CHECK_INT(n, 3);
    CHECK_STR(t[0], "kigali");
    CHECK_STR(t[1], "fresh");
    CHECK_STR(t[2], "foods");
    CHECK_INT(refs_name_tokens("Ltd", t, REFS_TOKENS_MAX), 0);
    CHECK_INT(refs_name_tokens("a b c d e f g h i j k l m n o", t, 2), 0);
    CHECK_INT(refs_name_tokens("alpha beta gamma delta", t, 2), 2);
}

static void test_name_similarity(void)
{
    CHECK_INT(refs_name_similarity("Kigali Fresh-Foods Ltd.", "kigali fresh foods ltd"), 100);
    CHECK_INT(refs_name_similarity("Kigali Fresh Foods Limited", "Kigali Fresh Foods Ltd"), 100);
    CHECK(refs_name_similarity("Kigali Fresh Food Ltd", "Kigali Fresh Foods Ltd") >= REFS_SIMILAR);
    CHECK(refs_name_similarity("Kigali Fresh Foods Supply", "Kigali Fresh Foods Ltd") >=
          REFS_SIMILAR);
    CHECK(refs_name_similarity("Fresh Foods Kigali", "Kigali Fresh Foods Ltd") >= REFS_SIMILAR);
    CHECK(refs_name_similarity("Ubumwe Hardware Ltd", "Kigali Fresh Foods Ltd") < REFS_SIMILAR);
    CHECK(refs_name_similarity("Inzira Nziza Bakeries", "Inzira Nziza Bakery Ltd") >= REFS_SIMILAR);
    CHECK(refs_name_similarity("Inzira Nziza Bakeries", "Inzira Nziza Bakery Ltd") < 100);
    CHECK(refs_name_similarity("Fresh Kigali Foods", "Kigali Fresh Foods Ltd") < 100);
    CHECK(refs_name_similarity("Kigali Bakeries", "Kigali Motors") < REFS_SIMILAR);
    CHECK(refs_name_similarity("Kigali Motors", "Kigali Fresh Foods Ltd") < REFS_SIMILAR);
    CHECK_INT(refs_name_similarity("", "Kigali"), 0);
    CHECK_INT(refs_name_similarity("Ltd", "Limited"), 0);
}

static void test_transitions(void)
{
    char allowed[96];
    CHECK(records_transition("submitted", "in_review", 1, allowed, sizeof allowed) == NULL);
    CHECK_STR(allowed, "in_review, rejected");
    CHECK(records_transition("in_review", "approved", 1, NULL, 0) == NULL);
    CHECK(records_transition("in_review", "rejected", 1, NULL, 0) == NULL);
    CHECK(records_transition("approved", "paid", 1, NULL, 0) == NULL);
    CHECK_STR(records_transition("approved", "completed", 1, allowed, sizeof allowed),
              "transition");
    CHECK_STR(allowed, "paid");
    CHECK(records_transition("approved", "completed", 0, NULL, 0) == NULL);
    CHECK_STR(records_transition("approved", "paid", 0, NULL, 0), "transition");
    CHECK(records_transition("paid", "completed", 0, NULL, 0) == NULL);
    CHECK_STR(records_transition("submitted", "paid", 1, NULL, 0), "transition");
    CHECK_STR(records_transition("submitted", "approved", 1, NULL, 0), "transition");
    CHECK_STR(records_transition("completed", "paid", 0, allowed, sizeof allowed), "final");
    CHECK_STR(allowed, "");
    CHECK_STR(records_transition("rejected", "approved", 0, NULL, 0), "final");
    CHECK_STR(records_transition("in_review", "in_review", 0, NULL, 0), "same");
    CHECK_STR(records_transition("in_review", "bogus", 0, NULL, 0), "unknown");
    CHECK_STR(records_transition("odd", "paid", 0, NULL, 0), "transition");
    CHECK(records_status_known("in_review"));
    CHECK(!records_status_known("In_Review"));
    CHECK_INT(records_fee("land", "transfer"), 20000);
    CHECK_INT(records_fee("business", "register"), 0);
    CHECK_INT(records_fee("land", "register"), -1);
}

/* A long note is cut to 119 bytes: never inside a UTF-8 character (the SMS record is
 * JSON, and an invalid byte sequence made the whole status change fail). */
static void test_status_sms_note_cut_is_utf8(void)
{
    char note[REC_VALUE_MAX + 1], b[400];
    for (int i = 0; i < 60; i++)
        memcpy(note + 2 * i, "\xc3\xa9", 2); /* 60 times "é": byte 119 is inside one */
    note[120] = 0;
    records_status_sms("fr", "LND-26-004213-7", "rejected", note, NULL, b, sizeof b);
    const char *m = strstr(b, "Motif : ");
    CHECK(m != NULL);
    CHECK_INT(m ? strlen(m + 8) : 0, 118); /* 59 whole characters */
    CHECK(m && (unsigned char)m[8 + 117] == 0xa9);
}

static void test_status_sms_texts(void)
{
    char b[300];
    struct rec_bill bill = {.number = "BIL-26-000001-6",
                            .amount = 20000,
                            .status = "unpaid",
                            .pay_code = "*182*3*7*260000016#"};
    records_status_sms("en", "LND-26-004213-7", "approved", NULL, &bill, b, sizeof b);
    CHECK_STR(b,
              "Your application LND-26-004213-7 is approved. Pay 20,000 RWF, bill BIL-26-000001-6: "
              "dial *182*3*7*260000016#");
    records_status_sms("fr", "LND-26-004213-7", "approved", NULL, &bill, b, sizeof b);
    CHECK(strstr(b, "20 000 RWF") != NULL);
    records_status_sms("rw", "LND-26-004213-7", "rejected", "documents incomplete\n", NULL, b,
                       sizeof b);
    CHECK_STR(b, "Ubusabe bwanyu LND-26-004213-7 ntibwemewe. Impamvu: documents incomplete ");
    records_status_sms("fr", "LND-26-004213-7", "rejected", NULL, NULL, b, sizeof b);
    CHECK_STR(b, "Votre demande LND-26-004213-7 a été refusée.");
    records_status_sms("en", "LND-26-004213-7", "paid", NULL, &bill, b, 20);
    CHECK_STR(b, "Payment received fo");
    records_status_sms("xx", "LND-26-004213-7", "in_review", NULL, NULL, b, sizeof b);
    CHECK_STR(b, "Your application LND-26-004213-7 is under review.");
    records_status_sms("en", "LND-26-004213-7", "approved", NULL, NULL, b, sizeof b);
    CHECK_STR(b, "Your application LND-26-004213-7 is approved.");
    char t[REC_TIME_MAX];
    CHECK_STR(records_time(0, 0, t, sizeof t), "1970-01-01 02:00");
    char l[24];
    CHECK_STR(records_slot_label("202612010900-2", l, sizeof l), "01/12 09:00");
    CHECK_STR(records_slot_label("2026120109-2", l, sizeof l), "");
}

int main(void)
{
    RUN(test_damm_known_values);
    RUN(test_make_and_check);
    RUN(test_check_refuses_bad_format);
    RUN(test_every_single_digit_error_is_caught);
    RUN(test_every_adjacent_transposition_is_caught);
    RUN(test_other_prefix_is_caught);
    RUN(test_parse_lenient);
    RUN(test_id_valid);
    RUN(test_id_reasons);
    RUN(test_masking);
    RUN(test_name_norm);
    RUN(test_name_key_and_tokens);
    RUN(test_name_similarity);
    RUN(test_transitions);
    RUN(test_status_sms_texts);
    RUN(test_status_sms_note_cut_is_utf8);
    return harness_finish();
}
