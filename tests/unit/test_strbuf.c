/*
 * test_strbuf.c: core/strbuf.c, bounded string building: never past the end, always
 * terminated, cut only at a character boundary, and the cut remembered.
 */
#include "harness.h"
#include "strbuf.h"

static void test_fits(void)
{
    char buf[32];
    struct strbuf b;
    strbuf_init(&b, buf, sizeof buf);
    strbuf_put(&b, "ussd:s:");
    strbuf_putn(&b, "smpp.op:tail", 7);
    strbuf_putc(&b, ':');
    strbuf_putu(&b, 18446744073709551615ull);
    CHECK_STR(buf, "ussd:s:smpp.op:1844674407370955");
    CHECK_INT(strbuf_cut(&b), 1); /* 35 octets do not fit 31 */
    strbuf_init(&b, buf, sizeof buf);
    strbuf_join(&b, "a", "", "b", (const char *)NULL);
    strbuf_printf(&b, "-%d-%s", 42, "x");
    CHECK_STR(buf, "ab-42-x");
    CHECK_INT(strbuf_cut(&b), 0);
    CHECK_INT(b.n, 7);
}

static void test_cut_at_characters(void)
{
    char buf[6];
    struct strbuf b;
    strbuf_init(&b, buf, sizeof buf); /* 5 octets of text */
    strbuf_put(&b, "ab\xc3\xa9\xc3\xa9"); /* "abéé": 6 octets */
    CHECK_STR(buf, "ab\xc3\xa9");
    CHECK_INT(strbuf_cut(&b), 1);
    strbuf_init(&b, buf, sizeof buf);
    strbuf_put(&b, "abcd\xe2\x82\xac"); /* the euro sign cannot start at octet 4 */
    CHECK_STR(buf, "abcd");
    strbuf_init(&b, buf, sizeof buf);
    strbuf_printf(&b, "%s", "a\xf0\x9f\x98\x80z"); /* a 4-octet emoji, then z */
    CHECK_STR(buf, "a\xf0\x9f\x98\x80");
    CHECK_INT(strbuf_cut(&b), 1);
    strbuf_init(&b, buf, sizeof buf);
    strbuf_printf(&b, "%s", "ab\xf0\x9f\x98\x80");
    CHECK_STR(buf, "ab");
    strbuf_putc(&b, 'c');
    strbuf_putc(&b, 'd');
    strbuf_putc(&b, 'e');
    strbuf_putc(&b, 'f');
    CHECK_STR(buf, "abcde");
}

static void test_cat(void)
{
    char buf[8];
    CHECK_INT(strbuf_cat(buf, sizeof buf, "ab", "cd", (const char *)NULL), 0);
    CHECK_STR(buf, "abcd");
    CHECK_INT(strbuf_cat(buf, sizeof buf, "abcd", "efgh", (const char *)NULL), -1);
    CHECK_STR(buf, "abcdefg");
    CHECK_INT(strbuf_cat(buf, 1, "x", (const char *)NULL), -1);
    CHECK_STR(buf, "");
    struct strbuf b;
    strbuf_init(&b, buf, sizeof buf);
    strbuf_put(&b, NULL);
    CHECK_STR(buf, "");
    CHECK_INT(strbuf_utf8_fit("\xc3\xa9", 1), 0);
    CHECK_INT(strbuf_utf8_fit("\xc3\xa9", 2), 2);
    CHECK_INT(strbuf_utf8_fit("\x80\x80", 1), 1); /* not UTF-8: octets */
}

int main(void)
{
    RUN(test_fits);
    RUN(test_cut_at_characters);
    RUN(test_cat);
    return harness_finish();
}
