/*
 * test_template.c: `{name}` substitution: values, escapes, cleaning and bounds.
 */
#include <string.h>

#include "harness.h"
#include "template.h"

static const char *lookup(void *arg, const char *name)
{
    (void)arg;
    if (strcmp(name, "ref") == 0)
        return "LND-26-004213-7";
    if (strcmp(name, "evil") == 0)
        return "a\x01\x02" "b\nc\x7f";
    if (strcmp(name, "long") == 0)
        return "0123456789012345678901234567890123456789012345678901234567890123456789";
    if (strcmp(name, "utf") == 0)
        return "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9xyz";
    return NULL;
}

static void test_values(void)
{
    char out[256];
    template_expand("Ref: {ref}.", lookup, NULL, out, sizeof out);
    CHECK_STR(out, "Ref: LND-26-004213-7.");
    template_expand("[{missing}]", lookup, NULL, out, sizeof out);
    CHECK_STR(out, "[]");
    template_expand("{{ref}} {ref", lookup, NULL, out, sizeof out);
    CHECK_STR(out, "{ref} {ref");
    template_expand(NULL, lookup, NULL, out, sizeof out);
    CHECK_STR(out, "");
}

static void test_cleaning_and_bounds(void)
{
    char out[256];
    template_expand("<{evil}>", lookup, NULL, out, sizeof out);
    CHECK_STR(out, "<ab c>");
    template_expand("{long}", lookup, NULL, out, sizeof out);
    CHECK_INT(strlen(out), TEMPLATE_VALUE_CHARS);
    template_expand("{utf}", lookup, NULL, out, sizeof out);
    CHECK_INT(strlen(out), 2 * TEMPLATE_VALUE_CHARS); /* 60 characters of 2 bytes */
    char small[8];
    template_expand("abc{ref}", lookup, NULL, small, sizeof small);
    CHECK_STR(small, "abcLND-");
    template_expand("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL, NULL, small, sizeof small);
    CHECK_STR(small, "\xc3\xa9\xc3\xa9\xc3\xa9"); /* never half a character */
    template_expand("x", NULL, NULL, small, 0);
}

int main(void)
{
    RUN(test_values);
    RUN(test_cleaning_and_bounds);
    return harness_finish();
}
