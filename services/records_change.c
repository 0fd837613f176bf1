/*
 * records_change.c: an application's status change; see records_change.h. First the
 * application is read (records_app_view.h) and the change judged here; then one script
 * writes it, if the status is still the one read.
 */
#include "records_change.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records_app_view.h"
#include "records_op.h"
#include "sms_record.h"

/* KEYS 1 app 2 hist 3 lang 4 queue 5 bykey 6 pending 7 byname 8 names 9 regno sequence
 *      10 the owner's businesses ("" when no owner) 11.. the name's token sets
 * ARGV 1 from 2 to 3 now 4 hist-json 5 notify 6 sms-en 7 sms-rw 8 sms-fr 9 bill-action
 *      10 name-action 11 name_key 12 name_norm 13 name 14 type 15 owner_id 16 owner_name
 *      17 district 18 registered 19 licence_expiry 20 ref 21 bill prefix
 *      22 business prefix
 * Returns {verdict, current-status, sms-lang, regno}. */
static struct rec_script script_status = {
    "records.status",
    REC_LUA_COMMON
    "if not (ok(KEYS[1],'hash') and ok(KEYS[2],'list') and ok(KEYS[4],'list') and "
    "ok(KEYS[5],'hash') and ok(KEYS[6],'hash') and ok(KEYS[7],'hash') and ok(KEYS[8],'zset')) then\n"
    "  return redis.error_reply('WRONGTYPE a key of the status change has another type') end\n"
    "local cur=redis.call('HGET',KEYS[1],'status')\n"
    "if not cur then return {'not_found','','',''} end\n"
    "if cur~=ARGV[1] then return {'changed',cur,'',''} end\n"
    "local bill=redis.call('HGET',KEYS[1],'bill') or ''\n"
    "local bk=ARGV[21]..bill\n"
    "if ARGV[9]~='' and bill~='' and not ok(bk,'hash') then return redis.error_reply('WRONGTYPE bill') end\n"
    "local regno=''\n"
    "if ARGV[10]=='register' then\n"
    "  if redis.call('HEXISTS',KEYS[5],ARGV[11])==1 then return {'name_taken',cur,'',''} end\n"
    "  if not ok(KEYS[9],'string') then return redis.error_reply('WRONGTYPE '..KEYS[9]) end\n"
    "  for i=11,#KEYS do if not ok(KEYS[i],'set') then "
    "return redis.error_reply('WRONGTYPE token set') end end\n"
    "  local ok_owner=KEYS[10]~='' and ok(KEYS[10],'set')\n"
    "  for _=1,20 do regno=tostring(120000000+redis.call('INCR',KEYS[9]))\n"
    "    if redis.call('EXISTS',ARGV[22]..regno)==0 then break end regno='' end\n"
    "  if regno=='' then return {'sequence',cur,'',''} end\n"
    "  redis.call('HSET',ARGV[22]..regno,'regno',regno,'name',ARGV[13],'name_norm',ARGV[12],"
    "'type',ARGV[14],'owner_id',ARGV[15],'owner_name',ARGV[16],'district',ARGV[17],"
    "'registered',ARGV[18],'licence_expiry',ARGV[19])\n"
    "  redis.call('ZADD',KEYS[8],0,ARGV[12]) redis.call('HSET',KEYS[7],ARGV[12],regno)\n"
    "  redis.call('HSET',KEYS[5],ARGV[11],regno)\n"
    "  for i=11,#KEYS do redis.call('SADD',KEYS[i],regno) end\n"
    "  if ok_owner then redis.call('SADD',KEYS[10],regno) end\n"
    "  if redis.call('HGET',KEYS[6],ARGV[11])==ARGV[20] then redis.call('HDEL',KEYS[6],ARGV[11]) end\n"
    "  redis.call('HSET',KEYS[1],'d.regno',regno)\n"
    "elseif ARGV[10]=='release' then\n"
    "  if redis.call('HGET',KEYS[6],ARGV[11])==ARGV[20] then redis.call('HDEL',KEYS[6],ARGV[11]) end end\n"
    "redis.call('HSET',KEYS[1],'status',ARGV[2],'updated',ARGV[3])\n"
    "redis.call('RPUSH',KEYS[2],ARGV[4])\n"
    "if ARGV[9]~='' and bill~='' and redis.call('EXISTS',bk)==1 then\n"
    "  redis.call('HSET',bk,'status',ARGV[9])\n"
    "  if ARGV[9]=='paid' then redis.call('HSET',bk,'paid_at',ARGV[3]) end end\n"
    "local lang=''\n"
    "if ARGV[5]=='1' then lang='en'\n"
    "  if redis.call('TYPE',KEYS[3]).ok=='string' then local l=redis.call('GET',KEYS[3])\n"
    "    if l=='rw' or l=='fr' then lang=l end end\n"
    "  local rec=ARGV[6] if lang=='rw' then rec=ARGV[7] elseif lang=='fr' then rec=ARGV[8] end\n"
    "  redis.call('RPUSH',KEYS[4],rec) end\n"
    "return {'ok',cur,lang,regno}\n",
    {0},
};

#define CHANGE_TOKENS 24 /* token sets a registration may be indexed under */
#define CHANGE_KEY_MAX (REC_VALUE_MAX + 32)

/* What the script gets, built from the application as read. */
struct change_args {
    char k_app[64], k_hist[64], k_lang[64], k_owner[CHANGE_KEY_MAX];
    char k_tok[CHANGE_TOKENS][CHANGE_KEY_MAX];
    size_t n_tok;
    char at[REC_TIME_MAX], today[REC_TIME_MAX], expiry[REC_TIME_MAX];
    char *hist, *sms[3];
    const char *bill_action, *name_action;
};

static void change_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_status_cb)o->cb)(o->arg, status, why, NULL);
}

static int done_reply(struct rec_op *o, const redisReply *r)
{
    const char *verdict = rec_elem(r, 0);
    if (!verdict || r->elements != 4 || !rec_elem(r, 1) || !rec_elem(r, 2) || !rec_elem(r, 3))
        return rec_op_why(o, REC_ERR, "data");
    if (strcmp(verdict, "not_found") == 0)
        return rec_op_why(o, REC_NOT_FOUND, "not_found");
    static const char *const refusals[] = {"changed", "name_taken", "sequence"};
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (strcmp(verdict, refusals[i]) == 0)
            return rec_op_why(o, REC_REFUSED, refusals[i]);
    if (strcmp(verdict, "ok") != 0)
        return rec_op_why(o, REC_ERR, "data");
    struct rec_status_change c = {o->ref,  rec_elem(r, 1), o->to,
                                  o->text, rec_elem(r, 2), rec_elem(r, 3)};
    ((rec_status_cb)o->cb)(o->arg, REC_OK, NULL, &c);
    return REC_OK;
}

static const struct rec_op_kind change_done_kind = {change_fail, done_reply, 0};

/* The SMS record the sender takes in (services/sms_record.h), malloc'd; NULL when a
 * value is not UTF-8 or memory is short. */
static char *sms_json(const char *to, const char *text, const char *lang, time_t now)
{
    size_t cap = SMS_RECORD_MAX(strlen(to), strlen(text), strlen(lang));
    char *s = malloc(cap);
    if (s && sms_record_encode(s, cap, to, text, lang, (long long)now) < 0) {
        free(s);
        s = NULL;
    }
    return s;
}

static void args_free(struct change_args *c)
{
    free(c->hist);
    for (int i = 0; i < 3; i++)
        free(c->sms[i]);
}

/* The history entry and (REC_NOTIFY) the SMS in each language; 0, or -1 when one cannot
 * be encoded (a note that is not UTF-8). */
static int change_texts(struct rec_op *o, const struct rec_app *a, time_t now,
                        struct change_args *c)
{
    static const char *const langs[3] = {"en", "rw", "fr"};
    int notify = (o->flags & REC_NOTIFY) != 0;
    records_time(now, 0, c->at, sizeof c->at);
    records_time(now, 1, c->today, sizeof c->today);
    records_time(now + 365 * 86400, 1, c->expiry, sizeof c->expiry);
    c->hist = records_hist_json(c->at, o->to, o->note[0] ? o->note : NULL);
    for (int i = 0; notify && i < 3; i++) {
        char text[400];
        records_status_sms(langs[i], o->ref, o->to, o->note, a->bill, text, sizeof text);
        c->sms[i] = sms_json(a->msisdn, text, langs[i], now);
    }
    return c->hist && (!notify || (c->sms[0] && c->sms[1] && c->sms[2])) ? 0 : -1;
}

/* The keys of the change; a business registration's name: what becomes of it. */
static void change_keys(struct rec_op *o, const struct rec_app_view *v, int unpaid,
                        struct change_args *c)
{
    const struct rec_app *a = &v->a;
    const struct rec_bill *b = a->bill;
    c->bill_action = b && strcmp(o->to, "paid") == 0                  ? "paid"
                     : b && unpaid && strcmp(o->to, "rejected") == 0 ? "cancelled"
                                                                      : "";
    snprintf(c->k_app, sizeof c->k_app, REC_PREFIX "app:%s", o->ref);
    snprintf(c->k_hist, sizeof c->k_hist, REC_PREFIX "app:%s:hist", o->ref);
    snprintf(c->k_lang, sizeof c->k_lang, REC_PREFIX "l:%s", a->msisdn);
    const char *owner = records_app_detail(a, "owner_id");
    c->k_owner[0] = 0;
    if (owner[0])
        snprintf(c->k_owner, sizeof c->k_owner, REC_PREFIX "owner:%s:biz", owner);
    /* the reservation is in fields of the application, not details */
    const char *nk = rec_kv_s(v->hash, "name_key"), *t = rec_kv_s(v->hash, "name_tokens");
    c->name_action = "";
    if (nk[0] && strcmp(o->to, "rejected") == 0)
        c->name_action = "release";
    else if (nk[0] && strcmp(o->to, "completed") == 0 && strcmp(a->service, "business") == 0)
        c->name_action = "register";
    for (c->n_tok = 0; *t && c->n_tok < CHANGE_TOKENS;) {
        size_t l = strcspn(t, " \t");
        if (l)
            snprintf(c->k_tok[c->n_tok++], CHANGE_KEY_MAX, REC_PREFIX "biz:tok:%.*s", (int)l, t);
        t += l + strspn(t + l, " \t");
    }
}

/* Send the script of the change judged possible on application v. */
static int change_send(struct rec_op *o, const struct rec_app_view *v, int unpaid,
                       struct change_args *c)
{
    const struct rec_app *a = &v->a;
    change_keys(o, v, unpaid, c);
    const char *type = records_app_detail(a, "type");
    const char *args[10 + CHANGE_TOKENS + 22] = {
        c->k_app, c->k_hist, c->k_lang, REC_SMS_QUEUE, REC_PREFIX "biz:bykey",
        REC_PREFIX "biz:pending", REC_PREFIX "biz:byname", REC_PREFIX "biz:names",
        REC_PREFIX "seq:regno", c->k_owner,
    };
    int na = 10;
    for (size_t i = 0; i < c->n_tok; i++)
        args[na++] = c->k_tok[i];
    int nkeys = na;
    const char *rest[22] = {
        a->status, o->to, c->at, c->hist, (o->flags & REC_NOTIFY) ? "1" : "0", c->sms[0],
        c->sms[1], c->sms[2], c->bill_action, c->name_action, rec_kv_s(v->hash, "name_key"),
        rec_kv_s(v->hash, "name_norm"), records_app_detail(a, "name"),
        type[0] ? type : "enterprise", records_app_detail(a, "owner_id"),
        records_app_detail(a, "owner_name"), records_app_detail(a, "district"), c->today,
        c->expiry, o->ref, REC_PREFIX "bill:", REC_PREFIX "biz:",
    };
    for (size_t i = 0; i < 22; i++)
        args[na++] = rest[i];
    o->kind = &change_done_kind;
    return rec_op_eval(o, &script_status, nkeys, na, args);
}

/* Judge the change on application v, and send it. */
static int change_judge(struct rec_op *o, const struct rec_app_view *v)
{
    const struct rec_app *a = &v->a;
    const struct rec_bill *b = a->bill;
    int unpaid = b && strcmp(b->status, "unpaid") == 0 && b->amount > 0;
    const char *bad = records_transition(a->status, o->to, unpaid, NULL, 0);
    if (bad || !rec_msisdn_ok(a->msisdn))
        return rec_op_why(o, bad ? REC_REFUSED : REC_ERR, bad ? bad : "data");
    snprintf(o->text, sizeof o->text, "%s", a->msisdn); /* kept for the result */
    struct change_args *c = calloc(1, sizeof *c);
    if (!c)
        return rec_op_why(o, REC_ERR, "memory");
    int st;
    if (change_texts(o, a, rec_now(o), c) != 0)
        st = rec_op_why(o, REC_INVALID, "note");
    else
        st = change_send(o, v, unpaid, c) == 0 ? REC_PENDING : REC_ERR;
    args_free(c);
    free(c);
    return st;
}

static int read_reply(struct rec_op *o, const redisReply *r)
{
    struct rec_app_view *v = malloc(sizeof *v);
    if (!v)
        return rec_op_why(o, REC_ERR, "memory");
    int st = rec_app_view_parse(v, r) != 0 ? rec_op_why(o, REC_ERR, "data") : change_judge(o, v);
    rec_app_view_done(v);
    free(v);
    return st;
}

static const struct rec_op_kind change_read_kind = {change_fail, read_reply, 1};

int records_app_set_status(const struct svc_ctx *ctx, const char *ref, const char *to,
                           const char *note, int flags, rec_status_cb cb, void *arg)
{
    struct rec_op *o = rec_op_new(ctx ? ctx->env : NULL, &change_read_kind, (rec_fn)cb, arg);
    if (!o)
        return -1;
    o->flags = flags;
    const char *bad = rec_parse_ref(ref, o->ref, sizeof o->ref);
    if (bad)
        return rec_op_fail(o, REC_INVALID, bad);
    if (!records_status_known(to))
        return rec_op_fail(o, REC_INVALID, "status");
    if (note && !rec_value_ok(note))
        return rec_op_fail(o, REC_INVALID, "note");
    snprintf(o->to, sizeof o->to, "%s", to);
    snprintf(o->note, sizeof o->note, "%s", note ? note : "");
    return rec_app_read(o);
}
