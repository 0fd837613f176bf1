/*
 * poll_proposals.c: proposals and their moderation; see poll_proposals.h.
 *
 * A proposal's key is known only inside the scripts that take or read its id: they get
 * the prefix (ussd:poll:proposal:) in ARGV. The moderation script also writes the
 * district's extra hash (the proposal's district, stored) and reads the proposer's
 * language from the language key prefix in ARGV.
 */
#include "poll_proposals.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "polls.h"
#include "svc_store.h"

#define MSISDN_MAX 32

static const char *const categories[] = {"water", "roads", "health", "schools", "markets",
                                         "other"};

int poll_proposal_category_known(const char *c)
{
    for (size_t i = 0; c && i < sizeof categories / sizeof *categories; i++)
        if (strcmp(c, categories[i]) == 0)
            return 1;
    return 0;
}

/* ---- the call record ---- */

enum op_kind { OP_PROPOSE, OP_PENDING, OP_MODERATE };

struct op {
    struct svc_op h; /* first: the record is a svc_op */
    union {
        poll_proposal_cb propose;
        poll_pending_cb pending;
        poll_moderate_cb moderate;
    } cb;
    int approve;
};

static void op_failed(struct svc_op *h, int st, const char *why)
{
    struct op *o = (struct op *)h;
    void *a = o->h.arg;
    switch ((enum op_kind)o->h.kind) {
    case OP_PROPOSE: o->cb.propose(a, st, why, NULL); break;
    case OP_PENDING: o->cb.pending(a, st, why, NULL, 0); break;
    case OP_MODERATE: o->cb.moderate(a, st, why, NULL); break;
    }
    free(o);
}

/* ---- a proposal ---- */

/* KEYS: idem, seq, proposals. ARGV: title, district, category, msisdn, now, idem ttl,
 * language (the proposer's: the moderation SMS is in it), the proposal key prefix. */
static struct store_script script_propose = SVC_SCRIPT(
    "polls.propose",
    "local seen=redis.call('GET',KEYS[1]) if seen then return seen end\n"
    "local id=tostring(redis.call('INCR',KEYS[2]))\n"
    "redis.call('HSET',ARGV[8]..id,'title',ARGV[1],'district',ARGV[2],\n"
    "  'category',ARGV[3],'msisdn',ARGV[4],'created',ARGV[5],'status','pending','lang',ARGV[7])\n"
    "redis.call('ZADD',KEYS[3],tonumber(ARGV[5]),id)\n"
    "redis.call('SET',KEYS[1],id,'EX',tonumber(ARGV[6]))\n"
    "return id\n");

static void on_propose(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    const char *id = svc_reply_text(r);
    if (!id || strlen(id) >= 24) {
        svc_op_fail(&o->h, REC_ERR, "data");
        return;
    }
    o->cb.propose(o->h.arg, REC_OK, NULL, id);
    free(o);
}

/* Why p cannot be proposed by msisdn, or NULL. */
static const char *propose_check(const struct poll_proposal_new *p, const char *msisdn)
{
    size_t tl = p->title ? strlen(p->title) : 0;
    if (tl < 3 || tl > 60 || strpbrk(p->title, "\t\r\n"))
        return "title";
    if (!geo_district_by_name(p->district))
        return "district";
    if (!poll_proposal_category_known(p->category))
        return "category";
    if (!msisdn || !msisdn[0] || strlen(msisdn) > MSISDN_MAX)
        return "msisdn";
    if (!p->idem_key || !p->idem_key[0] || strlen(p->idem_key) > POLLS_STEP_KEY_MAX)
        return "idem";
    return NULL;
}

void poll_propose(const struct svc_ctx *ctx, const struct poll_proposal_new *p,
                  poll_proposal_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, ctx->env, op_failed, OP_PROPOSE, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.propose = cb;
    const char *why = propose_check(p, ctx->actor.msisdn);
    if (why) {
        svc_op_fail_later(&o->h, REC_INVALID, why);
        return;
    }
    char k_idem[256], k_seq[64], k_list[64], prefix[64], now[24], ttl[16];
    polls_key(k_idem, sizeof k_idem, NULL, "pidem:");
    snprintf(k_idem + strlen(k_idem), sizeof k_idem - strlen(k_idem), "%s", p->idem_key);
    polls_key(k_seq, sizeof k_seq, NULL, "proposal:seq");
    polls_key(k_list, sizeof k_list, NULL, "proposals");
    polls_key(prefix, sizeof prefix, NULL, "proposal:");
    snprintf(now, sizeof now, "%llu", (unsigned long long)(svc_now_ms(ctx->env) / 1000));
    snprintf(ttl, sizeof ttl, "%d", POLLS_IDEM_TTL_S);
    const char *argv[] = {k_idem, k_seq, k_list, p->title, geo_district_by_name(p->district)->name,
                          p->category, ctx->actor.msisdn, now, ttl,
                          p->lang && strlen(p->lang) < 16 ? p->lang : "", prefix};
    svc_eval(ctx->env, &script_propose, 3, (int)(sizeof argv / sizeof argv[0]), argv,
             on_propose, o);
}

/* ---- waiting for review ---- */

/* KEYS: proposals. ARGV: the proposal key prefix. {{id, district, category, msisdn,
 * title} or {id} when its record cannot be read}, oldest first. */
static struct store_script script_pending = SVC_SCRIPT(
    "polls.pending",
    "local out={}\n"
    "for _,id in ipairs(redis.call('ZRANGE',KEYS[1],0,-1)) do\n"
    "  local h=redis.pcall('HMGET',ARGV[1]..id,'district','category','msisdn','title')\n"
    "  if h.err then out[#out+1]={id} else table.insert(h,1,id) out[#out+1]=h end end\n"
    "return out\n");

static void on_pending(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    size_t n = svc_reply_len(r);
    struct poll_proposal *x = calloc(n ? n : 1, sizeof *x);
    if (!x) {
        svc_op_fail(&o->h, REC_ERR, "memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const redisReply *e = svc_reply_at(r, i);
        const char *f[5];
        for (size_t k = 0; k < 5; k++)
            f[k] = svc_reply_str(e, k) ? svc_reply_str(e, k) : "";
        x[i] = (struct poll_proposal){f[0], f[1], f[2], f[3], f[4], svc_reply_len(e) == 5};
    }
    o->cb.pending(o->h.arg, REC_OK, NULL, x, n);
    free(x);
    free(o);
}

void poll_proposals_pending(const struct svc_env *env, poll_pending_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_PENDING, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL, 0);
        return;
    }
    o->cb.pending = cb;
    char k_list[64], prefix[64];
    polls_key(k_list, sizeof k_list, NULL, "proposals");
    polls_key(prefix, sizeof prefix, NULL, "proposal:");
    const char *argv[] = {k_list, prefix};
    svc_eval(env, &script_pending, 1, 2, argv, on_pending, o);
}

/* ---- moderation ---- */

/* KEYS: the proposal hash, proposals zset, the poll's extra hash (an approved proposal
 * also goes into EXTRA:DISTRICT, the ballot of its own district). ARGV: approve|reject,
 * id, poll, note, the language key prefix. Returns {outcome, msisdn, title, lang}
 * (outcome approved, rejected, already:STATUS, not_found). */
static struct store_script script_moderate = SVC_SCRIPT(
    "polls.moderate",
    "local st=redis.call('HGET',KEYS[1],'status')\n"
    "if not st then return {'not_found','','',''} end\n"
    "local h=redis.call('HMGET',KEYS[1],'msisdn','title','district','lang')\n"
    "local lang=h[4] or ''\n"
    "if lang=='' then lang=redis.call('GET',ARGV[5]..(h[1] or '')) or '' end\n"
    "if st~='pending' then return {'already:'..st,h[1],h[2],lang} end\n"
    "if ARGV[1]=='approve' then\n"
    "  redis.call('HSET',KEYS[3],'p'..ARGV[2],h[2])\n"
    "  redis.call('HSET',KEYS[3]..':'..(h[3] or ''),'p'..ARGV[2],h[2])\n"
    "  redis.call('HSET',KEYS[1],'status','approved','poll',ARGV[3])\n"
    "else redis.call('HSET',KEYS[1],'status','rejected','note',ARGV[4]) end\n"
    "redis.call('ZREM',KEYS[2],ARGV[2])\n"
    "return {ARGV[1]=='approve' and 'approved' or 'rejected',h[1],h[2],lang}\n");

static void on_moderate(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    const char *f[4];
    for (size_t k = 0; k < 4; k++)
        f[k] = svc_reply_str(r, k) ? svc_reply_str(r, k) : "";
    if (svc_reply_len(r) != 4 || strcmp(f[0], "not_found") == 0) {
        svc_op_fail(&o->h, svc_reply_len(r) != 4 ? REC_ERR : REC_NOT_FOUND,
                    svc_reply_len(r) != 4 ? "data" : "not_found");
        return;
    }
    struct poll_moderated m = {o->approve ? POLL_APPROVED : POLL_REJECTED, "", f[1], f[2], f[3]};
    if (strncmp(f[0], "already:", 8) == 0)
        m.verdict = POLL_ALREADY, m.status = f[0] + 8;
    o->cb.moderate(o->h.arg, REC_OK, NULL, &m);
    free(o);
}

void poll_moderate(const struct svc_ctx *ctx, const char *id, const char *poll,
                   const char *note, poll_moderate_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, ctx->env, op_failed, OP_MODERATE, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.moderate = cb;
    o->approve = poll != NULL;
    if (!id || !id[0] || strlen(id) > 20 || strspn(id, "0123456789") != strlen(id)) {
        svc_op_fail_later(&o->h, REC_INVALID, "id");
        return;
    }
    char what[48], k_prop[96], k_list[64], k_extra[160];
    snprintf(what, sizeof what, "proposal:%s", id);
    polls_key(k_prop, sizeof k_prop, NULL, what);
    polls_key(k_list, sizeof k_list, NULL, "proposals");
    polls_key(k_extra, sizeof k_extra, poll ? poll : "-", "extra");
    const char *argv[] = {k_prop, k_list, k_extra, poll ? "approve" : "reject", id,
                          poll ? poll : "", note ? note : "", SVC_LANG_KEY};
    svc_eval(ctx->env, &script_moderate, 3, 8, argv, on_moderate, o);
}

char *poll_moderation_sms(const char *lang, int approved, const char *title, const char *id,
                          const char *note, char *buf, size_t n)
{
    int rw = lang && strcmp(lang, "rw") == 0, fr = lang && strcmp(lang, "fr") == 0;
    if (!note)
        note = "";
    if (approved)
        snprintf(buf, n,
                 rw   ? "Umushinga wanyu \"%s\" (no. %s) wemejwe: mushobora kuwutora kuri *123#."
                 : fr ? "Votre projet \"%s\" (no %s) est approuvé : vous pouvez voter pour lui sur *123#."
                      : "Your project \"%s\" (no. %s) was approved: you can now vote for it on *123#.",
                 title, id);
    else
        snprintf(buf, n,
                 rw   ? "Umushinga wanyu \"%s\" (no. %s) ntiwemejwe.%s%s"
                 : fr ? "Votre projet \"%s\" (no %s) n'a pas été retenu.%s%s"
                      : "Your project \"%s\" (no. %s) was not approved.%s%s",
                 title, id, note[0] ? " " : "", note);
    return buf;
}
