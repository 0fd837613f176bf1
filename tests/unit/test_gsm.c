/*
 * test_gsm.c: unit tests of gsm.c: what texts cost on a handset (septets, extension
 * characters, the switch to UCS2), the screen limits at their exact edges, and the
 * encoders and decoders, including hostile input.
 */
#include <stdint.h>
#include <string.h>

#include "gsm.h"
#include "harness.h"

static struct gsm_len measure(const char *s)
{
    struct gsm_len l;

    gsm_measure(s, strlen(s), &l);
    return l;
}

static void test_plain_ascii(void)
{
    struct gsm_len l = measure("Hello, World! 0123456789 @ $ _");

    CHECK_INT(l.ucs2, 0);
    CHECK_INT(l.septets, 30);
    CHECK_INT(l.ucs2_units, 30);
    CHECK_INT(l.chars, 30);
    CHECK_INT(gsm_cost(&l), 30);

    l = measure("");
    CHECK_INT(l.ucs2, 0);
    CHECK_INT(l.septets, 0);
    CHECK_INT(l.chars, 0);

    l = measure("Line one\nLine two\r\n");
    CHECK_INT(l.ucs2, 0);
    CHECK_INT(l.septets, 19);
}

static void test_extension_chars_cost_two(void)
{
    struct gsm_len l = measure("{}[]~\\|^");

    CHECK_INT(l.ucs2, 0);
    CHECK_INT(l.septets, 16);
    CHECK_INT(l.ucs2_units, 8);
    CHECK_INT(l.chars, 8);
    CHECK_INT(gsm_cost(&l), 16);

    l = measure("a\fb"); /* form feed is in the extension table */
    CHECK_INT(l.ucs2, 0);
    CHECK_INT(l.septets, 4);
}

static void test_euro_sign(void)
{
    struct gsm_len l = measure("Fee: 5\xE2\x82\xAC"); /* "Fee: 5€" */

    CHECK_INT(l.ucs2, 0);
    CHECK_INT(l.chars, 7);
    CHECK_INT(l.septets, 8);
    CHECK_INT(l.ucs2_units, 7);
}

static void test_whole_basic_table_is_gsm(void)
{
    /* Every character of the basic table, as UTF-8, costs one septet. */
    const char *all = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                      "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    struct gsm_len l = measure(all);

    CHECK_INT(l.ucs2, 0);
    CHECK_INT(l.chars, 127);
    CHECK_INT(l.septets, 127);
}

static void test_french_and_kinyarwanda(void)
{
    /* é è à ù and capital Ç are GSM; small ç, ê, ô, î are not. */
    struct gsm_len l = measure("Ça va très bien à Kigali, élève où");
    CHECK_INT(l.ucs2, 0);
    CHECK_INT(l.septets, 34);

    l = measure("Murakoze cyane, mwaramutse neza");
    CHECK_INT(l.ucs2, 0);
    CHECK_INT(l.septets, 31);

    l = measure("Merci, à bientôt");
    CHECK_INT(l.ucs2, 1);
    CHECK_INT(l.ucs2_units, 16);

    l = measure("Ç");
    CHECK_INT(l.ucs2, 0);
    l = measure("ç");
    CHECK_INT(l.ucs2, 1);
    l = measure("fenêtre");
    CHECK_INT(l.ucs2, 1);
    l = measure("`"); /* backtick is not in GSM 03.38 */
    CHECK_INT(l.ucs2, 1);
    l = measure("a\tb"); /* nor is TAB */
    CHECK_INT(l.ucs2, 1);
}

static void test_forces_ucs2(void)
{
    struct gsm_len l = measure("Muraho \xE2\x9C\x93 ok"); /* U+2713 check mark */

    CHECK_INT(l.ucs2, 1);
    CHECK_INT(l.chars, 11);
    CHECK_INT(l.ucs2_units, 11);
    CHECK_INT(gsm_cost(&l), 11);

    l = measure("\xE4\xBD\xA0\xE5\xA5\xBD"); /* 你好 */
    CHECK_INT(l.ucs2, 1);
    CHECK_INT(l.chars, 2);
    CHECK_INT(l.ucs2_units, 2);
}

static void test_astral_costs_two_units(void)
{
    struct gsm_len l = measure("ok \xF0\x9F\x98\x80"); /* U+1F600 */

    CHECK_INT(l.ucs2, 1);
    CHECK_INT(l.chars, 4);
    CHECK_INT(l.ucs2_units, 5);
}

static void test_invalid_utf8(void)
{
    static const char *bad[] = {
        "\xFF",             /* never valid */
        "\x80",             /* stray continuation */
        "\xC3",             /* cut short */
        "\xC0\xAF",         /* overlong '/' */
        "\xE0\x80\xAF",     /* overlong */
        "\xED\xA0\x80",     /* surrogate */
        "\xF4\x90\x80\x80", /* above U+10FFFF */
        "\xF8\x88\x80\x80\x80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gsm_len l = measure(bad[i]);
        uint8_t b[16];

        CHECK_INT(l.ucs2, 1);
        CHECK_INT(l.chars, strlen(bad[i])); /* one U+FFFD per byte */
        CHECK_INT(l.ucs2_units, strlen(bad[i]));
        CHECK_INT(gsm_encode(bad[i], strlen(bad[i]), b, sizeof b), -1);
    }
    /* A good character right after a bad byte is still read. */
    struct gsm_len l = measure("\xC3\xC3\xA9");
    CHECK_INT(l.chars, 2);

    uint8_t u[8];
    CHECK_INT(gsm_encode_ucs2("\xFF" "A", 2, u, sizeof u), 4);
    CHECK(u[0] == 0xFF && u[1] == 0xFD && u[2] == 0 && u[3] == 'A');

    gsm_measure(NULL, 5, &l);
    CHECK_INT(l.chars, 0);
    gsm_measure("x", 1, NULL); /* must not crash */
}

static void test_embedded_nul_is_not_gsm(void)
{
    struct gsm_len l;

    gsm_measure("a\0b", 3, &l);
    CHECK_INT(l.chars, 3);
    CHECK_INT(l.ucs2, 1);
}

static void test_gsm_roundtrip(void)
{
    const char *s = "@£$¥ Hello {€} [x] ~|^\\ ÄÖÑÜ§¿äöñüà ΔΦΓΛΩΠΨΣΘΞ";
    uint8_t b[256];
    char back[256];
    long n = gsm_encode(s, strlen(s), b, sizeof b);

    CHECK(n > 0);
    CHECK_INT(b[0], 0x00); /* @ */
    CHECK_INT(b[1], 0x01); /* £ */
    CHECK_INT(b[2], 0x02); /* $ */
    CHECK_INT(gsm_decode(b, (size_t)n, back, sizeof back), (long)strlen(s));
    CHECK_STR(back, s);

    n = gsm_encode("5\xE2\x82\xAC{", 5, b, sizeof b);
    CHECK_INT(n, 5);
    CHECK(b[0] == '5' && b[1] == 0x1B && b[2] == 0x65 && b[3] == 0x1B && b[4] == 0x28);

    CHECK_INT(gsm_encode("`", 1, b, sizeof b), -1);
    CHECK_INT(gsm_encode("ç", 2, b, sizeof b), -1);
    CHECK_INT(gsm_encode("", 0, b, sizeof b), 0);
}

static void test_every_septet_roundtrips(void)
{
    for (unsigned s = 0; s < 128; s++) {
        uint8_t in[1] = {(uint8_t)s}, again[4];
        char utf8[8];
        long n;

        if (s == 0x1B)
            continue;
        n = gsm_decode(in, 1, utf8, sizeof utf8);
        CHECK(n > 0);
        CHECK_INT(gsm_encode(utf8, (size_t)n, again, sizeof again), 1);
        CHECK_INT(again[0], s);
    }
    static const uint8_t ext[] = {0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65};
    for (size_t i = 0; i < sizeof ext; i++) {
        uint8_t in[2] = {0x1B, ext[i]}, again[4];
        char utf8[8];
        long n = gsm_decode(in, 2, utf8, sizeof utf8);

        CHECK(n > 0);
        CHECK_INT(gsm_encode(utf8, (size_t)n, again, sizeof again), 2);
        CHECK_INT(again[0], 0x1B);
        CHECK_INT(again[1], ext[i]);
    }
}

static void test_gsm_decode_odd_septets(void)
{
    char out[16];
    static const uint8_t high[] = {'a', 0x80, 0xFF};
    static const uint8_t bad_ext[] = {0x1B, 0x41};
    static const uint8_t dangling[] = {'a', 0x1B};
    static const uint8_t double_esc[] = {0x1B, 0x1B};

    CHECK_INT(gsm_decode(high, sizeof high, out, sizeof out), 3);
    CHECK_STR(out, "a??");
    CHECK_INT(gsm_decode(bad_ext, sizeof bad_ext, out, sizeof out), 1);
    CHECK_STR(out, "A");
    CHECK_INT(gsm_decode(dangling, sizeof dangling, out, sizeof out), 2);
    CHECK_STR(out, "a?");
    CHECK_INT(gsm_decode(double_esc, sizeof double_esc, out, sizeof out), 1);
    CHECK_STR(out, "?");
}

static void test_ucs2_roundtrip(void)
{
    const char *s = "Muraho \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80 ç€";
    uint8_t b[128];
    char back[128];
    long n = gsm_encode_ucs2(s, strlen(s), b, sizeof b);

    CHECK_INT(n, 2 * 15); /* the emoji is a surrogate pair */
    CHECK(b[0] == 0 && b[1] == 'M');
    CHECK(b[20] == 0xD8 && b[21] == 0x3D && b[22] == 0xDE && b[23] == 0x00);
    CHECK_INT(gsm_decode_ucs2(b, (size_t)n, back, sizeof back), (long)strlen(s));
    CHECK_STR(back, s);
}

static void test_ucs2_decode_hostile(void)
{
    char out[32];
    static const uint8_t lone_hi[] = {0xD8, 0x3D, 0x00, 'A'};
    static const uint8_t lone_lo[] = {0xDE, 0x00};
    static const uint8_t hi_at_end[] = {0x00, 'A', 0xD8, 0x3D};
    static const uint8_t odd[] = {0x00, 'A', 0x00};

    CHECK_INT(gsm_decode_ucs2(lone_hi, sizeof lone_hi, out, sizeof out), 4);
    CHECK_STR(out, "\xEF\xBF\xBD" "A");
    CHECK_INT(gsm_decode_ucs2(lone_lo, sizeof lone_lo, out, sizeof out), 3);
    CHECK_STR(out, "\xEF\xBF\xBD");
    CHECK_INT(gsm_decode_ucs2(hi_at_end, sizeof hi_at_end, out, sizeof out), 4);
    CHECK_STR(out, "A\xEF\xBF\xBD");
    CHECK_INT(gsm_decode_ucs2(odd, sizeof odd, out, sizeof out), 1);
    CHECK_STR(out, "A");
    CHECK_INT(gsm_decode_ucs2(NULL, 0, out, sizeof out), 0);
    CHECK_STR(out, "");
}

static void test_latin1(void)
{
    static const uint8_t in[] = {'C', 'a', 'f', 0xE9, ' ', 0xA3};
    char out[16];

    CHECK_INT(gsm_decode_latin1(in, sizeof in, out, sizeof out), 8);
    CHECK_STR(out, "Café £");
}

static void test_cap_too_small(void)
{
    uint8_t b[8];
    char out[8];
    static const uint8_t sept[] = {'a', 'b', 'c', 0x1B, 0x65};
    static const uint8_t ucs[] = {0x00, 'a', 0x00, 0xE9};
    static const uint8_t lat[] = {'a', 0xE9};

    CHECK_INT(gsm_encode("abc", 3, b, 2), -1);
    CHECK_INT(gsm_encode("ab{", 3, b, 3), -1); /* escape pair needs two octets */
    CHECK_INT(gsm_encode("ab{", 3, b, 4), 4);
    CHECK_INT(gsm_encode("a", 1, b, 0), -1);
    CHECK_INT(gsm_encode("a", 1, NULL, 0), -1);
    CHECK_INT(gsm_encode_ucs2("ab", 2, b, 3), -1);
    CHECK_INT(gsm_encode_ucs2("\xF0\x9F\x98\x80", 4, b, 3), -1);
    CHECK_INT(gsm_encode_ucs2("ab", 2, b, 4), 4);

    /* Decoders need room for the NUL, and leave a whole-character prefix. */
    CHECK_INT(gsm_decode(sept, sizeof sept, out, 4), -1);
    CHECK_STR(out, "abc");
    CHECK_INT(gsm_decode(sept, sizeof sept, out, 6), -1); /* € needs 3 bytes */
    CHECK_STR(out, "abc");
    CHECK_INT(gsm_decode(sept, sizeof sept, out, 7), 6);
    CHECK_INT(gsm_decode(sept, sizeof sept, out, 0), -1);
    CHECK_INT(gsm_decode_ucs2(ucs, sizeof ucs, out, 3), -1);
    CHECK_STR(out, "a");
    CHECK_INT(gsm_decode_ucs2(ucs, sizeof ucs, out, 4), 3);
    CHECK_INT(gsm_decode_latin1(lat, sizeof lat, out, 3), -1);
    CHECK_STR(out, "a");
    CHECK_INT(gsm_decode_latin1(lat, sizeof lat, out, 0), -1);
}

static void test_limit_182_septets(void)
{
    char s[200];

    memset(s, 'a', sizeof s);
    CHECK(gsm_fits(s, 182, 182, 80));
    CHECK(!gsm_fits(s, 183, 182, 80));

    /* Extension characters count two: 91 braces are 182 septets. */
    memset(s, '{', sizeof s);
    CHECK(gsm_fits(s, 91, 182, 80));
    CHECK(!gsm_fits(s, 92, 182, 80));

    CHECK(gsm_fits("", 0, 0, 0));
    CHECK(!gsm_fits("a", 1, -1, 80));
}

static void test_limit_80_ucs2_units(void)
{
    char s[200];

    memcpy(s, "ç", 2); /* forces UCS2; 1 unit */
    memset(s + 2, 'a', sizeof s - 2);
    CHECK(gsm_fits(s, 2 + 79, 182, 80));
    CHECK(!gsm_fits(s, 2 + 80, 182, 80));

    /* 40 emoji are 80 units, 41 are 82. */
    char e[41 * 4];
    for (int i = 0; i < 41; i++)
        memcpy(e + 4 * i, "\xF0\x9F\x98\x80", 4);
    CHECK(gsm_fits(e, 40 * 4, 182, 80));
    CHECK(!gsm_fits(e, 41 * 4, 182, 80));
}

int main(void)
{
    RUN(test_plain_ascii);
    RUN(test_extension_chars_cost_two);
    RUN(test_euro_sign);
    RUN(test_whole_basic_table_is_gsm);
    RUN(test_french_and_kinyarwanda);
    RUN(test_forces_ucs2);
    RUN(test_astral_costs_two_units);
    RUN(test_invalid_utf8);
    RUN(test_embedded_nul_is_not_gsm);
    RUN(test_gsm_roundtrip);
    RUN(test_every_septet_roundtrips);
    RUN(test_gsm_decode_odd_septets);
    RUN(test_ucs2_roundtrip);
    RUN(test_ucs2_decode_hostile);
    RUN(test_latin1);
    RUN(test_cap_too_small);
    RUN(test_limit_182_septets);
    RUN(test_limit_80_ucs2_units);
    return harness_finish();
}
