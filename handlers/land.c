/*
 * land.c: the land handlers: a parcel by UPI, its land-tax bill, and a title transfer
 * (the seller must be the registered owner).
 *
 *   parcel        args upi. ok with upi (canonical), district, sector, area ("376 m2,
 *                 residential" in the request's language), owner (initials), amount
 *                 (land tax due, "0" when none) and when (its due date); not_found (no
 *                 such parcel, or a UPI naming no real sector); error.
 *   land_tax      args upi. The parcel's land-tax bill: ok with upi, bill, amount, pay
 *                 and expires; none (no tax due); paid (bill, upi: the bill for this
 *                 amount and due date is paid); not_found; error. One Lua script reuses
 *                 the parcel's unpaid bill for the same amount and due date while it has
 *                 not expired (field tax_bill of ussd:parcel:UPI), else takes a number
 *                 from the bills' sequence (ussd:seq:BIL:YY) and writes ussd:bill:NUMBER
 *                 with kind land_tax, upi and due_date: asking twice, from any process,
 *                 gives the same bill.
 *   land_owner    args upi, id. The seller's national ID against the parcel's owner:
 *                 ok with id (cleaned), owner (initials) and amount (the transfer fee);
 *                 bad_id with note (why the ID is refused); mismatch; not_found; error.
 *   land_buyer    args seller, buyer. ok with buyer_id (cleaned) and note (it masked,
 *                 for screens); bad_id with note;
 *                 same (the buyer is the seller).
 *   land_transfer args upi, seller_id, buyer_id, price. Submits the transfer (service
 *                 land, kind transfer; details upi, owner_id, buyer_id, price): see
 *                 svc_submit for the outcomes.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "geo.h"
#include "log.h"
#include "records.h"
#include "refs.h"
#include "services.h"
#include "store.h"

static const struct svc_words land_uses[] = {
    {"residential", "residential", "guturwamo", "résidentiel"},
    {"commercial", "commercial", "ubucuruzi", "commercial"},
    {"agricultural", "agricultural", "ubuhinzi", "agricole"},
    {"industrial", "industrial", "inganda", "industriel"},
    {"mixed", "mixed use", "ivanze", "usage mixte"},
    {"forest", "forest", "amashyamba", "forestier"},
    {NULL, NULL, NULL, NULL},
};

/* The canonical UPI of a typed one, or NULL. */
static const char *upi_canon(const char *in, char *out, size_t n)
{
    struct geo_upi u;
    if (!in || geo_upi_parse(in, &u))
        return NULL;
    return geo_upi_format(&u, out, n);
}

/* ---- parcel ---- */

struct parcel_call {
    struct svc_call c;
    char upi[GEO_UPI_MAX];
};

static void on_parcel(void *arg, int status, const char *why, const struct rec_parcel *p)
{
    struct parcel_call *pc = arg;
    if (svc_call_gone(pc))
        return;
    if (status != REC_OK) {
        if (status == REC_ERR)
            log_event(L_WARN, "land.parcel_failed", "upi=%s why=%s", pc->upi, why ? why : "?");
        struct handler_kv set[] = {{"upi", pc->upi}};
        svc_finish(pc, status == REC_ERR ? "error" : "not_found", set, 1);
        return;
    }
    const char *l = pc->c.lang;
    char area[64], use[32], owner[40], amount[32], m2[24];
    svc_word(land_uses, p->land_use, l, use, sizeof use);
    svc_amount(p->area_m2, l, m2, sizeof m2);
    snprintf(area, sizeof area, "%s m2, %s", m2, use);
    refs_mask_name(p->owner_name, owner, sizeof owner);
    svc_amount(p->tax_due, l, amount, sizeof amount);
    struct handler_kv set[] = {
        {"upi", p->upi},     {"district", p->district}, {"sector", p->sector},
        {"area", area},      {"owner", owner},          {"amount", amount},
        {"when", p->tax_due_date},
    };
    svc_finish(pc, "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *parcel_start(const struct svc_env *env,
                                         const struct handler_req *req, handler_done_fn done,
                                         void *arg)
{
    const char *upi = handler_arg(req, "upi");
    struct parcel_call *pc = svc_call_new(sizeof *pc, req, done, arg);
    if (!pc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    if (!upi_canon(upi, pc->upi, sizeof pc->upi))
        snprintf(pc->upi, sizeof pc->upi, "%s", upi ? upi : "");
    records_parcel_get(env, upi ? upi : "", on_parcel, pc);
    return (struct handler_call *)pc;
}

const struct handler_def handler_parcel = {"parcel", 0, parcel_start, svc_cancel};

/* ---- land_tax ---- */

/* KEYS 1 parcel 2 bill sequence of the year
 * ARGV 1 yy 2 now 3 expires (date) 4 pay prefix 5 pay suffix 6 upi 7 today (date)
 * Returns {verdict, bill, amount, expires, pay_code}; verdict created | existing |
 * paid | none | not_found | sequence. */
static const char script_tax[] =
    REFS_LUA_DAMM
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
    "if b and b~='' and redis.call('TYPE','ussd:bill:'..b).ok=='hash' then\n"
    "  local f=redis.call('HMGET','ussd:bill:'..b,'status','amount','expires','pay_code','due_date')\n"
    "  if tonumber(f[2] or '')==due and f[5]==date then\n"
    "    if f[1]=='paid' then return {'paid',b,f[2],f[3] or '',f[4] or ''} end\n"
    "    if f[1]=='unpaid' and (f[3] or '')>=ARGV[7] then return {'existing',b,f[2],f[3],f[4] or ''} end\n"
    "  end end\n"
    "for _=1,20 do local n=redis.call('INCR',KEYS[2])\n"
    "  if n>=" "900000" " then return {'sequence','','0','',''} end\n"
    "  local s=string.format('%06d',n) local c=damm('9'..ARGV[1]..s)\n"
    "  local bill='BIL-'..ARGV[1]..'-'..s..'-'..c\n"
    "  local k='ussd:bill:'..bill\n"
    "  if redis.call('EXISTS',k)==0 then\n"
    "    local pc=ARGV[4]..ARGV[1]..s..c..ARGV[5]\n"
    "    redis.call('HSET',k,'bill',bill,'ref','','kind','land_tax','upi',ARGV[6],'due_date',date,"
    "'amount',string.format('%d',due),'currency','RWF','status','unpaid','created',ARGV[2],"
    "'expires',ARGV[3],'pay_code',pc)\n"
    "    redis.call('HSET',KEYS[1],'tax_bill',bill)\n"
    "    return {'created',bill,string.format('%d',due),ARGV[3],pc} end end\n"
    "return {'sequence','','0','',''}\n";

struct tax_call {
    struct svc_call c;
    int starting, answered; /* a store request that fails inside store_cmd (no memory) */
    char upi[GEO_UPI_MAX];
};

static const char *reply_str(const redisReply *r, size_t i)
{
    return r && r->type == REDIS_REPLY_ARRAY && i < r->elements && r->element[i] &&
                   r->element[i]->type == REDIS_REPLY_STRING
               ? r->element[i]->str
               : NULL;
}

static void tax_finish(struct tax_call *tc, const char *outcome, const struct handler_kv *set,
                       size_t n)
{
    if (tc->starting) {
        /* inside tax_start: it frees the call */
        tc->answered = 1;
        svc_done_now(tc->c.done, tc->c.arg, outcome, set, n);
        return;
    }
    svc_finish(tc, outcome, set, n);
}

static void on_tax(void *arg, int status, const struct redisReply *r)
{
    struct tax_call *tc = arg;
    if (!tc->starting && svc_call_gone(tc))
        return;
    const char *verdict = reply_str(r, 0);
    if (status != STORE_OK || !verdict || r->elements != 5 || !reply_str(r, 1) ||
        !reply_str(r, 2) || !reply_str(r, 3) || !reply_str(r, 4)) {
        char q[160];
        log_event(L_WARN, "land.tax_failed", "upi=%s error=%s", tc->upi,
                  log_q(r && r->type == REDIS_REPLY_ERROR && r->str ? r->str : "no reply", q,
                        sizeof q));
        tax_finish(tc, "error", NULL, 0);
        return;
    }
    struct handler_kv upi[] = {{"upi", tc->upi}};
    if (strcmp(verdict, "not_found") == 0 || strcmp(verdict, "none") == 0) {
        tax_finish(tc, verdict, upi, 1);
        return;
    }
    if (strcmp(verdict, "sequence") == 0) {
        log_event(L_ERROR, "records.sequence_exhausted", "what=%s", "bill");
        tax_finish(tc, "error", NULL, 0);
        return;
    }
    char amount[32];
    svc_amount(strtol(reply_str(r, 2), NULL, 10), tc->c.lang, amount, sizeof amount);
    struct handler_kv set[] = {
        {"upi", tc->upi},
        {"bill", reply_str(r, 1)},
        {"amount", amount},
        {"expires", reply_str(r, 3)},
        {"pay", reply_str(r, 4)},
    };
    if (strcmp(verdict, "created") == 0)
        log_event(L_INFO, "land.tax_bill", "upi=%s bill=%s", tc->upi, reply_str(r, 1));
    tax_finish(tc, strcmp(verdict, "paid") == 0 ? "paid" : "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *tax_start(const struct svc_env *env,
                                      const struct handler_req *req, handler_done_fn done,
                                      void *arg)
{
    const char *upi = handler_arg(req, "upi");
    char canon[GEO_UPI_MAX];
    if (!upi_canon(upi, canon, sizeof canon)) {
        struct handler_kv set[] = {{"upi", upi ? upi : ""}};
        svc_done_now(done, arg, "not_found", set, 1);
        return NULL;
    }
    struct tax_call *tc = env->store ? svc_call_new(sizeof *tc, req, done, arg) : NULL;
    if (!tc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    snprintf(tc->upi, sizeof tc->upi, "%s", canon);
    time_t now = time(NULL);
    char at[REC_TIME_MAX], expires[REC_TIME_MAX], today[REC_TIME_MAX], yy[4];
    records_time(now, 0, at, sizeof at);
    records_time(now, 1, today, sizeof today);
    records_time(now + 30 * 86400, 1, expires, sizeof expires);
    snprintf(yy, sizeof yy, "%.2s", at + 2);
    char k_parcel[64], k_seq[32], pay_pre[32], pay_suf[8];
    snprintf(k_parcel, sizeof k_parcel, REC_PREFIX "parcel:%s", canon);
    snprintf(k_seq, sizeof k_seq, REC_PREFIX "seq:BIL:%s", yy);
    const char *pct = strstr(REC_MOMO_PAY, "%s");
    snprintf(pay_pre, sizeof pay_pre, "%.*s", (int)(pct - REC_MOMO_PAY), REC_MOMO_PAY);
    snprintf(pay_suf, sizeof pay_suf, "%s", pct + 2);
    const char *argv[] = {"EVAL", script_tax, "2", k_parcel, k_seq, yy, at, expires,
                          pay_pre, pay_suf, canon, today};
    tc->starting = 1;
    store_cmd(env->store, on_tax, tc, (int)(sizeof argv / sizeof argv[0]), argv, NULL);
    tc->starting = 0;
    if (tc->answered) {
        free(tc);
        return NULL;
    }
    return (struct handler_call *)tc;
}

const struct handler_def handler_land_tax = {"land_tax", 0, tax_start, svc_cancel};

/* ---- land_owner ---- */

struct owner_call {
    struct svc_call c;
    char upi[GEO_UPI_MAX];
    char id[40];
};

static void on_owner(void *arg, int status, const char *why, const struct rec_parcel *p)
{
    struct owner_call *oc = arg;
    if (svc_call_gone(oc))
        return;
    struct handler_kv upi[] = {{"upi", oc->upi}};
    if (status != REC_OK) {
        if (status == REC_ERR)
            log_event(L_WARN, "land.parcel_failed", "upi=%s why=%s", oc->upi, why ? why : "?");
        svc_finish(oc, status == REC_ERR ? "error" : "not_found", upi, 1);
        return;
    }
    if (strcmp(p->owner_id, oc->id) != 0) {
        log_event(L_INFO, "land.owner_mismatch", "upi=%s", oc->upi);
        svc_finish(oc, "mismatch", upi, 1);
        return;
    }
    char owner[40], amount[32];
    refs_mask_name(p->owner_name, owner, sizeof owner);
    svc_amount(records_fee("land", "transfer"), oc->c.lang, amount, sizeof amount);
    struct handler_kv set[] = {
        {"upi", p->upi}, {"id", oc->id}, {"owner", owner}, {"amount", amount},
    };
    svc_finish(oc, "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *owner_start(const struct svc_env *env,
                                        const struct handler_req *req, handler_done_fn done,
                                        void *arg)
{
    const char *upi = handler_arg(req, "upi"), *id = handler_arg(req, "id");
    char clean[40], note[80];
    const char *bad = svc_id(id, clean, sizeof clean);
    if (bad) {
        svc_id_reason(bad, clean, req->lang, note, sizeof note);
        struct handler_kv set[] = {{"note", note}};
        svc_done_now(done, arg, "bad_id", set, 1);
        return NULL;
    }
    struct owner_call *oc = svc_call_new(sizeof *oc, req, done, arg);
    if (!oc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    if (!upi_canon(upi, oc->upi, sizeof oc->upi))
        snprintf(oc->upi, sizeof oc->upi, "%s", upi ? upi : "");
    snprintf(oc->id, sizeof oc->id, "%s", clean);
    records_parcel_get(env, upi ? upi : "", on_owner, oc);
    return (struct handler_call *)oc;
}

const struct handler_def handler_land_owner = {"land_owner", 0, owner_start, svc_cancel};

/* ---- land_buyer ---- */

static struct handler_call *buyer_start(const struct svc_env *env,
                                        const struct handler_req *req, handler_done_fn done,
                                        void *arg)
{
    (void)env;
    char seller[40], buyer[40], note[80];
    const char *bad = svc_id(handler_arg(req, "buyer"), buyer, sizeof buyer);
    if (bad) {
        svc_id_reason(bad, buyer, req->lang, note, sizeof note);
        struct handler_kv set[] = {{"note", note}};
        svc_done_now(done, arg, "bad_id", set, 1);
        return NULL;
    }
    refs_id_clean(handler_arg(req, "seller") ? handler_arg(req, "seller") : "", seller,
                  sizeof seller);
    char shown[40]; /* screens show IDs masked */
    refs_mask_id(buyer, shown, sizeof shown);
    struct handler_kv set[] = {{"buyer_id", buyer}, {"note", shown}};
    svc_done_now(done, arg, strcmp(seller, buyer) == 0 ? "same" : "ok", set,
                 sizeof set / sizeof set[0]);
    return NULL;
}

const struct handler_def handler_land_buyer = {"land_buyer", 0, buyer_start, NULL};

/* ---- land_transfer ---- */

static struct handler_call *transfer_start(const struct svc_env *env,
                                           const struct handler_req *req, handler_done_fn done,
                                           void *arg)
{
    const char *upi = handler_arg(req, "upi"), *seller = handler_arg(req, "seller_id"),
               *buyer = handler_arg(req, "buyer_id"), *price = handler_arg(req, "price");
    char canon[GEO_UPI_MAX];
    size_t pl = price ? strlen(price) : 0;
    if (!upi_canon(upi, canon, sizeof canon) || !seller || !buyer || pl < 1 || pl > 12 ||
        strspn(price, "0123456789") != pl) {
        log_event(L_ERROR, "land.transfer_args", "hint=%s",
                  "give land_transfer upi, seller_id, buyer_id and price (digits)");
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    struct handler_kv details[] = {
        {"upi", canon}, {"owner_id", seller}, {"buyer_id", buyer}, {"price", price},
    };
    return svc_submit(env, req, "land", "transfer", details, sizeof details / sizeof details[0],
                      done, arg);
}

const struct handler_def handler_land_transfer = {"land_transfer", 0, transfer_start, svc_cancel};
