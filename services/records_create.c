/*
 * records_create.c: creating an application; see records_create.h.
 */
#include "records_create.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "log.h"
#include "records_bills.h"
#include "records_biz.h"
#include "records_op.h"

/* KEYS idem seq billseq phone bykey pending
 * ARGV 1 pfx 2 yy 3 service-digit 4 now 5 now-epoch 6 idem-ttl 7 service 8 kind 9 msisdn
 *      10 amount 11 bill-expires 12 name_key 13 name_norm 14 name_tokens 15 channel
 *      16 history-json 17 idem-key 18 pay-prefix 19 pay-suffix 20 application prefix
 *      21 bill prefix 22.. d.KEY value pairs
 * Returns {verdict, ref, bill, amount, pay_code}; verdict created|existing|idem_conflict|
 * name_taken|name_pending|sequence. */
static struct rec_script script_create = {
    "records.create",
    REC_LUA_COMMON REC_LUA_NEW_BILL
    "if not (ok(KEYS[1],'string') and ok(KEYS[2],'string') and ok(KEYS[3],'string') and "
    "ok(KEYS[4],'zset') and ok(KEYS[5],'hash') and ok(KEYS[6],'hash')) then\n"
    "  return redis.error_reply('WRONGTYPE a key of the create has another type') end\n"
    "local old=redis.call('GET',KEYS[1])\n"
    "if old then local a=ARGV[20]..old\n"
    "  if redis.call('TYPE',a).ok~='hash' then return redis.error_reply('idempotency key without its application') end\n"
    "  if redis.call('HGET',a,'msisdn')~=ARGV[9] then return {'idem_conflict',old,'','0',''} end\n"
    "  local b=redis.call('HGET',a,'bill') or ''\n"
    "  local amt,pc='0',''\n"
    "  if b~='' and redis.call('TYPE',ARGV[21]..b).ok=='hash' then\n"
    "    amt=redis.call('HGET',ARGV[21]..b,'amount') or '0' pc=redis.call('HGET',ARGV[21]..b,'pay_code') or '' end\n"
    "  return {'existing',old,b,amt,pc} end\n"
    "if ARGV[12]~='' then\n"
    "  local r=redis.call('HGET',KEYS[5],ARGV[12]) if r then return {'name_taken',r,'','0',''} end\n"
    "  r=redis.call('HGET',KEYS[6],ARGV[12]) if r then return {'name_pending',r,'','0',''} end end\n"
    "local ref\n"
    "for _=1,20 do local n=redis.call('INCR',KEYS[2])\n"
    "  if n>=" REC_LUA_NUM(REC_SEED_SEQ_MIN) " then return {'sequence','','','0',''} end\n"
    "  local s=string.format('%06d',n)\n"
    "  local r=ARGV[1]..'-'..ARGV[2]..'-'..s..'-'..damm(ARGV[3]..ARGV[2]..s)\n"
    "  if redis.call('EXISTS',ARGV[20]..r)==0 then ref=r break end end\n"
    "if not ref then return {'sequence','','','0',''} end\n"
    "local bill,pc='',''\n"
    "if tonumber(ARGV[10])>0 then\n"
    "  bill,pc=new_bill(KEYS[3],ARGV[2],ARGV[21],ARGV[18],ARGV[19])\n"
    "  if not bill then return {'sequence','','','0',''} end\n"
    "  redis.call('HSET',ARGV[21]..bill,'bill',bill,'ref',ref,'amount',ARGV[10],'currency','RWF',"
    "'status','unpaid','created',ARGV[4],'expires',ARGV[11],'pay_code',pc) end\n"
    "local a=ARGV[20]..ref\n"
    "local f={'ref',ref,'service',ARGV[7],'kind',ARGV[8],'status','submitted','msisdn',ARGV[9],"
    "'created',ARGV[4],'updated',ARGV[4],'bill',bill,'idem',ARGV[17],'channel',ARGV[15]}\n"
    "if ARGV[12]~='' then f[#f+1]='name_key' f[#f+1]=ARGV[12] f[#f+1]='name_norm' f[#f+1]=ARGV[13]\n"
    "  f[#f+1]='name_tokens' f[#f+1]=ARGV[14] redis.call('HSET',KEYS[6],ARGV[12],ref) end\n"
    "for i=22,#ARGV-1,2 do f[#f+1]=ARGV[i] f[#f+1]=ARGV[i+1] end\n"
    "redis.call('DEL',a,a..':hist')\n"
    "redis.call('HSET',a,unpack(f))\n"
    "redis.call('RPUSH',a..':hist',ARGV[16])\n"
    "redis.call('ZADD',KEYS[4],ARGV[5],ref)\n"
    "redis.call('SET',KEYS[1],ref,'EX',ARGV[6])\n"
    "return {'created',ref,bill,ARGV[10],pc}\n",
    {0},
};

/* A request checked, with its details as they are stored. */
struct create_prep {
    const char *pfx;
    long amount;
    char dkey[REC_MAX_DETAILS][32];
    char dval[REC_MAX_DETAILS][REC_VALUE_MAX + 1];
    char nkey[REFS_NAME_MAX], nnorm[REFS_NAME_MAX], ntok[REFS_NAME_MAX + 16];
};

static int word_ok(const char *s, size_t max)
{
    size_t l = s ? strlen(s) : 0;
    return l >= 1 && l <= max && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == l;
}

/* Detail k=v as stored (the known ones canonical) into out, or the reason it is
 * refused. */
static const char *detail_canon(const char *k, const char *v, char *out, size_t n)
{
    if (!word_ok(k, 24) || !rec_value_ok(v))
        return "detail";
    snprintf(out, n, "%s", v);
    if (strcmp(k, "district") == 0) {
        const struct geo_district *d = geo_district_by_name(v);
        if (!d)
            return "district";
        snprintf(out, n, "%s", d->name);
    } else if (strcmp(k, "upi") == 0) {
        struct geo_upi u;
        if (geo_upi_parse(v, &u))
            return "upi";
        geo_upi_format(&u, out, n);
    } else if (strcmp(k, "owner_id") == 0 || strcmp(k, "buyer_id") == 0) {
        char id[32];
        const char *bad = refs_id_parse(v, id, sizeof id);
        if (bad)
            return bad;
        snprintf(out, n, "%s", id);
    }
    return NULL;
}

/* The details into p, and the name index of a business registration; NULL or why. */
static const char *create_details(const struct rec_app_new *req, struct create_prep *p)
{
    const char *name = NULL;
    for (size_t i = 0; i < req->n_details; i++) {
        const char *k = req->details[i].key, *v = req->details[i].value;
        const char *bad = detail_canon(k, v, p->dval[i], sizeof p->dval[i]);
        if (bad)
            return bad;
        snprintf(p->dkey[i], sizeof p->dkey[i], "d.%s", k);
        if (strcmp(k, "name") == 0)
            name = v;
    }
    p->nkey[0] = p->nnorm[0] = p->ntok[0] = 0;
    if (strcmp(req->service, "business") != 0 || strcmp(req->kind, "register") != 0)
        return NULL;
    if (!name || strlen(name) > 100 ||
        records_name_index(name, p->nkey, sizeof p->nkey, p->nnorm, sizeof p->nnorm, p->ntok,
                           sizeof p->ntok) != 0)
        return "name";
    return NULL;
}

/* NULL when req may be sent (p filled), else the REC_INVALID reason. */
static const char *create_check(const struct rec_app_new *req, struct create_prep *p)
{
    p->pfx = req ? refs_prefix(req->service) : NULL;
    if (!p->pfx || strcmp(p->pfx, "BIL") == 0)
        return "service";
    long fee = records_fee(req->service, req->kind);
    if (fee < 0)
        return "kind";
    if (!rec_msisdn_ok(req->msisdn))
        return "msisdn";
    if (!req->idem_key || !req->idem_key[0] || strlen(req->idem_key) > 120 ||
        !rec_value_ok(req->idem_key))
        return "idem_key";
    if (req->n_details > REC_MAX_DETAILS || (req->n_details && !req->details))
        return "detail";
    if (req->note && !rec_value_ok(req->note))
        return "note";
    p->amount = req->amount < 0 ? fee : req->amount;
    if (p->amount > 100000000L)
        return "amount";
    return create_details(req, p);
}

static void create_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_create_cb)o->cb)(o->arg, status, why, NULL);
}

static int create_reply(struct rec_op *o, const redisReply *r)
{
    const char *verdict = rec_elem(r, 0);
    if (!verdict || r->elements != 5 || !rec_elem(r, 1) || !rec_elem(r, 2) || !rec_elem(r, 3) ||
        !rec_elem(r, 4))
        return rec_op_why(o, REC_ERR, "data");
    if (strcmp(verdict, "created") == 0 || strcmp(verdict, "existing") == 0) {
        struct rec_app_created c = {rec_elem(r, 1), rec_elem(r, 2), rec_to_long(rec_elem(r, 3)),
                                    rec_elem(r, 4), strcmp(verdict, "existing") == 0};
        ((rec_create_cb)o->cb)(o->arg, REC_OK, NULL, &c);
        return REC_OK;
    }
    if (strcmp(verdict, "sequence") == 0)
        log_event(L_ERROR, "records.sequence_exhausted", "limit=%d",
                  REC_SEED_SEQ_MIN - 1); /* the seed's references start above it */
    /* the verdict lives in the reply: hand a static copy */
    static const char *const known[] = {"idem_conflict", "name_taken", "name_pending", "sequence"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i], verdict) == 0)
            return rec_op_why(o, REC_REFUSED, known[i]);
    return rec_op_why(o, REC_ERR, "data");
}

static const struct rec_op_kind create_kind = {create_fail, create_reply, 0};

/* Send the checked request: the keys and arguments of script_create. */
static int create_send(struct rec_op *o, const struct rec_app_new *req, const struct create_prep *p)
{
    time_t now = rec_now(o);
    char at[REC_TIME_MAX], expires[REC_TIME_MAX], yy[4], epoch[24], ttl[16], amt[24];
    records_time(now, 0, at, sizeof at);
    records_time(now + 30 * 86400, 1, expires, sizeof expires);
    snprintf(yy, sizeof yy, "%.2s", at + 2);
    snprintf(epoch, sizeof epoch, "%lld", (long long)now);
    snprintf(ttl, sizeof ttl, "%d", REC_IDEM_TTL_S);
    snprintf(amt, sizeof amt, "%ld", p->amount);
    char *hist = records_hist_json(at, "submitted", req->note ? req->note : "submitted");
    if (!hist)
        return rec_op_fail(o, REC_INVALID, "note");
    char k_idem[160], k_seq[32], k_bseq[32], k_phone[64], pay_pre[32], pay_suf[8];
    snprintf(k_idem, sizeof k_idem, REC_PREFIX "idem:app:%s", req->idem_key);
    snprintf(k_seq, sizeof k_seq, REC_PREFIX "seq:%s:%s", p->pfx, yy);
    snprintf(k_bseq, sizeof k_bseq, REC_PREFIX "seq:BIL:%s", yy);
    snprintf(k_phone, sizeof k_phone, REC_PREFIX "phone:%s:apps", req->msisdn);
    records_pay_parts(pay_pre, sizeof pay_pre, pay_suf, sizeof pay_suf);
    char sdigit[2] = {strcmp(p->pfx, "LND") == 0 ? '1' : strcmp(p->pfx, "BIZ") == 0 ? '2' : '3', 0};
    const char *args[6 + 21 + 2 * REC_MAX_DETAILS] = {
        k_idem,       k_seq,        k_bseq,   k_phone,  REC_PREFIX "biz:bykey",
        REC_PREFIX "biz:pending",   p->pfx,   yy,       sdigit,
        at,           epoch,        ttl,      req->service,
        req->kind,    req->msisdn,  amt,      expires,  p->nkey,
        p->nnorm,     p->ntok,      req->channel ? req->channel : "ussd",
        hist,         req->idem_key, pay_pre, pay_suf,  REC_PREFIX "app:",
        REC_PREFIX "bill:",
    };
    int na = 6 + 21;
    for (size_t i = 0; i < req->n_details; i++) {
        args[na++] = p->dkey[i];
        args[na++] = p->dval[i];
    }
    int rc = rec_op_eval(o, &script_create, 6, na, args);
    free(hist);
    return rc;
}

int records_app_create(const struct svc_ctx *ctx, const struct rec_app_new *req, rec_create_cb cb,
                       void *arg)
{
    struct rec_op *o = rec_op_new(ctx ? ctx->env : NULL, &create_kind, (rec_fn)cb, arg);
    if (!o)
        return -1;
    struct create_prep *p = malloc(sizeof *p); /* some 7 kB */
    if (!p)
        return rec_op_fail(o, REC_ERR, "memory");
    const char *bad = create_check(req, p);
    int rc = bad ? rec_op_fail(o, REC_INVALID, bad) : create_send(o, req, p);
    free(p);
    return rc;
}
