/*
 * test_log.c: log_msisdn masks numbers and never lets a peer's bytes break a log line.
 */
#include "harness.h"
#include "log.h"

static void msisdn_masked(void)
{
    char b[32];
    /* at most the country code and the last 3 digits, at every level */
    for (int lv = L_DEBUG; lv <= L_INFO; lv++) {
        log_set_level((enum log_level)lv);
        CHECK_STR(log_msisdn("250788123456", b, sizeof b), "250******456");
        CHECK_STR(log_msisdn("+250788123456", b, sizeof b), "+250******456");
        CHECK_STR(log_msisdn("14155550123", b, sizeof b), "1*******123");
        CHECK_STR(log_msisdn("447700900123", b, sizeof b), "44*******123");
        CHECK_STR(log_msisdn("0788123456", b, sizeof b), "*******456"); /* local: no prefix */
        CHECK_STR(log_msisdn("12345678", b, sizeof b), "*****678");
        CHECK_STR(log_msisdn("123456", b, sizeof b), "***");
        CHECK_STR(log_msisdn("123", b, sizeof b), "***");
    }
    log_set_level(L_INFO);
}

static void msisdn_hostile_bytes(void)
{
    char b[32];
    log_set_level(L_INFO);
    CHECK_STR(log_msisdn("25\nlevel=x y\"456", b, sizeof b), "25?**********456");
    log_set_level(L_DEBUG);
    CHECK_STR(log_msisdn("a b=c\r\n", b, sizeof b), "****c??");
    log_set_level(L_INFO);
}

int main(void)
{
    RUN(msisdn_masked);
    RUN(msisdn_hostile_bytes);
    return harness_finish();
}
