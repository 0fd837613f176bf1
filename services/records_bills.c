/*
 * records_bills.c: bills and a parcel's land-tax bill; see records_bills.h.
 */
#include "records_bills.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#include "geo.h"
#include "log.h"
#include "records_op.h"

void records_pay_parts(char *pre, size_t pre_n, char *suf, size_t suf_n)
{
    const char *pct = strstr(REC_MOMO_PAY, "%s");
    snprintf(pre, pre_n, "%.*s", (int)(pct - REC_MOMO_PAY), REC_MOMO_PAY);
    snprintf(suf, suf_n, "%s", pct + 2);
}

/* ---- one bill ---- */

static void bill_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_bill_cb)o->cb)(o->arg, status, why, NULL);
}

static int bill_reply(struct rec_op *o, const redisReply *r)
{
    struct rec_bill b;
    rec_bill_from(&b, r);
    if (!b.number[0])
        return rec_op_why(o, REC_ERR, "data");
    ((rec_bill_cb)o->cb)(o->arg, REC_OK, NULL, &b);
    return REC_OK;
}

static const struct rec_op_kind bill_kind = {bill_fail, bill_reply, 1};

int records_bill_get(const struct svc_env *env, const char *number, rec_bill_cb cb, void *arg)
{
    char canon[REFS_MAX], key[64];
    const char *bad = refs_parse(number, "BIL", canon, sizeof canon);
    snprintf(key, sizeof key, REC_PREFIX "bill:%s", bad ? "" : canon);
    return rec_hash_get(env, &bill_kind, (rec_fn)cb, arg, bad, key);
}

/* ---- a parcel's land tax ---- */

/* KEYS 1 parcel 2 bill sequence of the year
 * ARGV 1 yy 2 now 3 expires (date) 4 pay prefix 5 pay suffix 6 upi 7 today (date)
 *      8 bill prefix
 * Returns {verdict, bill, amount, expires, pay_code}; verdict created | existing |
 * paid | none | not_found | sequence. */
static struct rec_script script_tax = {
    "records.tax_bill",
    REFS_LUA_DAMM REC_LUA_NEW_BILL
    "local t=redis.call('TYPE',KEYS[1]).ok\n"
    "if t=='none' then return {'not_found','','0','',''} end\n"
    "local q=redis.call('TYPE',KEYS[2]).ok\n"
    "if t~='hash' or (q~='none' and q~='string') then\n"
    "  return redis.error_reply('WRONGTYPE a key of the land tax has another type') end\n"
    "local amt=redis.call('HGET',KEYS[1],'tax_due') or ''\n"
    "local due=tonumber(amt)\n"
    "if not due or due<0 or due~=math.floor(due) or due>100000000 then\n"
    "  return redis.error_reply('parcel tax_due is not an amount') end\n"
    "if due==0 then return {'none','','0','',''} end\n"
    "local date=redis.call('HGET',KEYS[1],'tax_due_date') or ''\n"
    "local b=redis.call('HGET',KEYS[1],'tax_bill')\n"
    "if b and b~='' and redis.call('TYPE',ARGV[8]..b).ok=='hash' then\n"
    "  local f=redis.call('HMGET',ARGV[8]..b,'status','amount','expires','pay_code','due_date')\n"
    "  if tonumber(f[2] or '')==due and f[5]==date then\n"
    "    if f[1]=='paid' then return {'paid',b,f[2],f[3] or '',f[4] or ''} end\n"
    "    if f[1]=='unpaid' and (f[3] or '')>=ARGV[7] then return {'existing',b,f[2],f[3],f[4] or ''} end\n"
    "  end end\n"
    "local bill,pc=new_bill(KEYS[2],ARGV[1],ARGV[8],ARGV[4],ARGV[5])\n"
    "if not bill then return {'sequence','','0','',''} end\n"
    "redis.call('HSET',ARGV[8]..bill,'bill',bill,'ref','','kind','land_tax','upi',ARGV[6],"
    "'due_date',date,'amount',string.format('%d',due),'currency','RWF','status','unpaid',"
    "'created',ARGV[2],'expires',ARGV[3],'pay_code',pc)\n"
    "redis.call('HSET',KEYS[1],'tax_bill',bill)\n"
    "return {'created',bill,string.format('%d',due),ARGV[3],pc}\n",
    {0},
};

static void tax_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_tax_cb)o->cb)(o->arg, status, why, NULL);
}

static int tax_reply(struct rec_op *o, const redisReply *r)
{
    static const char *const states[] = {"created", "existing", "paid", "none"};
    const char *verdict = rec_elem(r, 0);
    if (!verdict || r->elements != 5 || !rec_elem(r, 1) || !rec_elem(r, 2) || !rec_elem(r, 3) ||
        !rec_elem(r, 4))
        return rec_op_why(o, REC_ERR, "data");
    if (strcmp(verdict, "not_found") == 0)
        return rec_op_why(o, REC_NOT_FOUND, "not_found");
    if (strcmp(verdict, "sequence") == 0) {
        log_event(L_ERROR, "records.sequence_exhausted", "what=%s", "bill");
        return rec_op_why(o, REC_REFUSED, "sequence");
    }
    for (int i = 0; i < 4; i++)
        if (strcmp(verdict, states[i]) == 0) {
            struct rec_tax_bill t = {i, o->ref, rec_elem(r, 1), rec_elem(r, 3), rec_elem(r, 4),
                                     rec_to_long(rec_elem(r, 2))};
            ((rec_tax_cb)o->cb)(o->arg, REC_OK, NULL, &t);
            return REC_OK;
        }
    return rec_op_why(o, REC_ERR, "data");
}

static const struct rec_op_kind tax_kind = {tax_fail, tax_reply, 0};

int records_tax_bill(const struct svc_ctx *ctx, const char *upi, rec_tax_cb cb, void *arg)
{
    struct rec_op *o = rec_op_new(ctx ? ctx->env : NULL, &tax_kind, (rec_fn)cb, arg);
    if (!o)
        return -1;
    struct geo_upi u;
    const char *bad = geo_upi_parse(upi, &u);
    if (bad)
        return rec_op_fail(o, REC_INVALID, bad);
    geo_upi_format(&u, o->ref, sizeof o->ref);
    time_t now = rec_now(o);
    char at[REC_TIME_MAX], expires[REC_TIME_MAX], today[REC_TIME_MAX], yy[4];
    records_time(now, 0, at, sizeof at);
    records_time(now, 1, today, sizeof today);
    records_time(now + 30 * 86400, 1, expires, sizeof expires);
    snprintf(yy, sizeof yy, "%.2s", at + 2);
    char k_parcel[64], k_seq[32], pay_pre[32], pay_suf[8];
    snprintf(k_parcel, sizeof k_parcel, REC_PREFIX "parcel:%s", o->ref);
    snprintf(k_seq, sizeof k_seq, REC_PREFIX "seq:BIL:%s", yy);
    records_pay_parts(pay_pre, sizeof pay_pre, pay_suf, sizeof pay_suf);
    const char *args[] = {k_parcel, k_seq,  yy,    at,   expires, pay_pre,
                          pay_suf,  o->ref, today, REC_PREFIX "bill:"};
    return rec_op_eval(o, &script_tax, 2, 10, args);
}
