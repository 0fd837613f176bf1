/*
 * records_bills.h: bills (ussd:bill:NUMBER): reading one, and a parcel's land-tax bill,
 * made once and then reused; and, for the records scripts that write bills, how a bill
 * number is taken. The callbacks keep records.h's contract.
 */
#ifndef USSDGW_RECORDS_BILLS_H
#define USSDGW_RECORDS_BILLS_H

#include <stddef.h>

#include "records.h"

typedef void (*rec_bill_cb)(void *arg, int status, const char *why, const struct rec_bill *b);

/* A bill by number (refs_parse spelling, or its 9 digits alone). Returns 0, or -1
 * (records.h). */
int records_bill_get(const struct svc_env *env, const char *number, rec_bill_cb cb, void *arg);

enum rec_tax_state {
    REC_TAX_CREATED = 0, /* a new bill for the tax due */
    REC_TAX_EXISTING,    /* the parcel's unpaid bill for this amount and due date */
    REC_TAX_PAID,        /* the bill for this amount and due date is paid */
    REC_TAX_NONE,        /* no tax is due (no bill) */
};

struct rec_tax_bill {
    int state;
    const char *upi;                       /* canonical */
    const char *bill, *expires, *pay_code; /* "" for REC_TAX_NONE */
    long amount;                           /* RWF */
};

typedef void (*rec_tax_cb)(void *arg, int status, const char *why, const struct rec_tax_bill *t);

/* The land-tax bill of a parcel (any geo_upi_parse spelling: REC_INVALID with the geo
 * reason), in one script: the parcel's unpaid bill (its field tax_bill) for the same
 * amount and due date while it has not expired, else a new bill (kind land_tax, upi,
 * due_date; expiring in 30 days): asking twice, from any process, gives the same bill.
 * REC_NOT_FOUND: no such parcel; REC_REFUSED "sequence": no bill number left this year.
 * Made on behalf of ctx's actor. Returns 0 or -1. */
int records_tax_bill(const struct svc_ctx *ctx, const char *upi, rec_tax_cb cb, void *arg);

/* Lua for the scripts that take a bill number: new_bill(seq, yy, prefix, pay_pre,
 * pay_suf) INCRs the year's sequence seq until BIL-yy-NNNNNN-C is free under prefix
 * and returns it and its pay code (pay_pre digits pay_suf), or nil when the live range
 * (below REC_SEED_SEQ_MIN) is used up. Needs REFS_LUA_DAMM before it. */
#define REC_LUA_NEW_BILL                                                                           \
    "local function new_bill(seq,yy,pfx,pre,suf)\n"                                                \
    "  for _=1,20 do local n=redis.call('INCR',seq)\n"                                             \
    "    if n>=" REC_LUA_NUM(REC_SEED_SEQ_MIN) " then return nil end\n"                            \
    "    local s=string.format('%06d',n) local c=damm('9'..yy..s)\n"                               \
    "    local b='BIL-'..yy..'-'..s..'-'..c\n"                                                     \
    "    if redis.call('EXISTS',pfx..b)==0 then return b,pre..yy..s..c..suf end end\n"             \
    "  return nil end\n"
#define REC_LUA_NUM_(x) #x
#define REC_LUA_NUM(x) REC_LUA_NUM_(x)

/* The mobile-money pay code around a bill's digits (REC_MOMO_PAY): what comes before
 * and after them. */
void records_pay_parts(char *pre, size_t pre_n, char *suf, size_t suf_n);

#endif
