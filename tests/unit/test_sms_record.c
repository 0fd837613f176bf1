/*
 * test_sms_record.c: services/sms_record.c, the one encoder of a queued SMS record,
 * byte for byte what jansson writes for the same object (the reference), for every
 * character class a text can hold, and refused where jansson refuses.
 */
#include <jansson.h>
#include <stdlib.h>

#include "harness.h"
#include "sms_record.h"

static char *reference(const char *to, const char *text, const char *lang, long long at)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "to", to, "text", text, "lang", lang, "queued_at",
                          (json_int_t)at);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static void same(const char *to, const char *text, const char *lang, long long at)
{
    char buf[SMS_RECORD_MAX(64, 512, 8)];
    char *want = reference(to, text, lang, at);
    long n = sms_record_encode(buf, sizeof buf, to, text, lang, at);
    if (!want) {
        if (n != -1)
            harness_fail(__FILE__, __LINE__, "'%s': encoded, jansson refuses it", text);
        return;
    }
    if (n < 0 || strcmp(buf, want) != 0)
        harness_fail(__FILE__, __LINE__, "got %s, want %s", n < 0 ? "(refused)" : buf, want);
    /* the fan-out form: head + phone + tail is the same record */
    char t[sizeof buf], whole[2 * sizeof buf];
    if (sms_record_tail(t, sizeof t, text, lang, at) < 0)
        harness_fail(__FILE__, __LINE__, "tail refused for '%s'", text);
    snprintf(whole, sizeof whole, "%s%s%s", SMS_RECORD_HEAD, to, t);
    CHECK_STR(whole, want);
    free(want);
}

static void test_as_jansson(void)
{
    same("250788000001", "Your reference is BPA-26-000001-5.", "en", 1796400000);
    same("250788000001", "Quote \" backslash \\ slash / tab\t nl\n cr\r bs\b ff\f vt\v nul-ish \x01\x1f",
         "rw", 0);
    same("1", "Français: é è à ç, Kinyarwanda: ubutaka, € ₣ 𝄞", "fr", -5);
    same("", "", "", 9223372036854775807LL);
    /* every control character and the ASCII range */
    char all[130];
    for (int i = 1; i < 128; i++)
        all[i - 1] = (char)i;
    all[127] = 0;
    same("2", all, "en", 1);
}

static void test_refused(void)
{
    const char *bad[] = {"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xffz", "\xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        same("3", bad[i], "en", 1);
    char small[16];
    CHECK_INT(sms_record_encode(small, sizeof small, "250788000001", "hello", "en", 1), -1);
    CHECK_STR(small, "");
}

int main(void)
{
    RUN(test_as_jansson);
    RUN(test_refused);
    return harness_finish();
}
