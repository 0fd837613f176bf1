/*
 * test_log.c: log_msisdn masks numbers and never lets a peer's bytes break a log line.
 */
#include "harness.h"
#include "log.h"

static void msisdn_masked(void)
{
    char b[32];
    log_set_level(L_INFO);
    CHECK_STR(log_msisdn("250788123456", b, sizeof b), "25078****456");
    CHECK_STR(log_msisdn("123", b, sizeof b), "****");
    /* short numbers are never shown whole: at least half is hidden */
    CHECK_STR(log_msisdn("12345678", b, sizeof b), "12****78");
    CHECK_STR(log_msisdn("123456", b, sizeof b), "12**56");
}

static void msisdn_hostile_bytes(void)
{
    char b[32];
    log_set_level(L_INFO);
    CHECK_STR(log_msisdn("25\nlevel=x y\"456", b, sizeof b), "25?le********456");
    log_set_level(L_DEBUG);
    CHECK_STR(log_msisdn("a b=c\r\n", b, sizeof b), "a?b?c??");
    log_set_level(L_INFO);
}

int main(void)
{
    RUN(msisdn_masked);
    RUN(msisdn_hostile_bytes);
    return harness_finish();
}
