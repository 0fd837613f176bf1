/*
 * records_biz.c: businesses, an owner's businesses and name availability; see
 * records_biz.h.
 */
#include "records_biz.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#include "records_op.h"
#include "records_owned.h"
#include "strbuf.h"

static void fill_biz(struct rec_business *b, const redisReply *h)
{
    b->regno = rec_kv_s(h, "regno");
    b->name = rec_kv_s(h, "name");
    b->type = rec_kv_s(h, "type");
    b->owner_id = rec_kv_s(h, "owner_id");
    b->owner_name = rec_kv_s(h, "owner_name");
    b->district = rec_kv_s(h, "district");
    b->registered = rec_kv_s(h, "registered");
    b->licence_expiry = rec_kv_s(h, "licence_expiry");
}

/* ---- one business ---- */

static void biz_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_business_cb)o->cb)(o->arg, status, why, NULL);
}

static int biz_reply(struct rec_op *o, const redisReply *r)
{
    struct rec_business b;
    fill_biz(&b, r);
    if (!b.regno[0])
        return rec_op_why(o, REC_ERR, "data");
    ((rec_business_cb)o->cb)(o->arg, REC_OK, NULL, &b);
    return REC_OK;
}

static const struct rec_op_kind biz_kind = {biz_fail, biz_reply, 1};

int records_business_get(const struct svc_env *env, const char *regno, rec_business_cb cb,
                         void *arg)
{
    char r[16], key[32];
    refs_id_clean(regno ? regno : "", r, sizeof r);
    int ok = strlen(r) == 9 && strspn(r, "0123456789") == 9;
    snprintf(key, sizeof key, REC_PREFIX "biz:%s", r);
    return rec_hash_get(env, &biz_kind, (rec_fn)cb, arg, ok ? NULL : "regno", key);
}

/* ---- an owner's businesses ---- */

static void bizs_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_businesses_cb)o->cb)(o->arg, status, why, NULL, 0);
}

static int bizs_reply(struct rec_op *o, const redisReply *r)
{
    if (!rec_is_arr(r))
        return rec_op_why(o, REC_ERR, "data");
    struct rec_business b[REC_LIST_MAX];
    size_t n = 0;
    for (size_t i = 0; i < r->elements && n < REC_LIST_MAX; i++)
        if (rec_is_arr(r->element[i]) && r->element[i]->elements) {
            fill_biz(&b[n], r->element[i]);
            if (b[n].regno[0])
                n++;
        }
    ((rec_businesses_cb)o->cb)(o->arg, REC_OK, NULL, b, n);
    return REC_OK;
}

static const struct rec_op_kind bizs_kind = {bizs_fail, bizs_reply, 0};

int records_businesses_of(const struct svc_env *env, const char *owner_id, size_t max,
                          rec_businesses_cb cb, void *arg)
{
    return rec_owned_get(env, &bizs_kind, (rec_fn)cb, arg, owner_id, "biz", REC_PREFIX "biz:",
                         max);
}

/* ---- name availability ---- */

int records_name_index(const char *name, char *key, size_t key_n, char *norm, size_t norm_n,
                       char *tokens, size_t tok_n)
{
    refs_name_key(name, key, key_n);
    refs_name_norm(name, norm, norm_n);
    char tok[REFS_TOKENS_MAX][REFS_TOKEN_MAX];
    size_t nt = refs_name_tokens(name, tok, REFS_TOKENS_MAX);
    struct strbuf b;
    strbuf_init(&b, tokens, tok_n);
    for (size_t i = 0; i < nt && b.n + strlen(tok[i]) + 2 < tok_n; i++)
        strbuf_join(&b, b.n ? " " : "", tok[i], NULL);
    return key[0] ? 0 : -1;
}

/* KEYS byname bykey pending names, then the token sets; ARGV norm key lexprefix max
 * business-prefix. Returns {exact_regno, pending_ref, regno1, name1, regno2, ...}. */
static struct rec_script script_name_check = {
    "records.name_check",
    "for i=1,3 do local y=redis.call('TYPE',KEYS[i]).ok if y~='none' and y~='hash' then "
    "return redis.error_reply('WRONGTYPE '..KEYS[i]) end end\n"
    "local zt=redis.call('TYPE',KEYS[4]).ok\n"
    "local exact=redis.call('HGET',KEYS[1],ARGV[1]) or redis.call('HGET',KEYS[2],ARGV[2])\n"
    "local pend=redis.call('HGET',KEYS[3],ARGV[2])\n"
    "local res={exact or '',pend or ''}\n"
    "local seen={}\n"
    "local function push(r) if r and not seen[r] then seen[r]=true local k=ARGV[5]..r\n"
    "  if redis.call('TYPE',k).ok=='hash' then local nm=redis.call('HGET',k,'name')\n"
    "    if nm then res[#res+1]=r res[#res+1]=nm end end end end\n"
    "if exact then push(exact) end\n"
    "local N=1\n"
    "if zt=='zset' then N=redis.call('ZCARD',KEYS[4])+1\n"
    "  if ARGV[3]~='' then for _,n in ipairs(redis.call('ZRANGEBYLEX',KEYS[4],'['..ARGV[3],"
    "'['..ARGV[3]..'\\255','LIMIT',0,8)) do push(redis.call('HGET',KEYS[1],n)) end end end\n"
    "local score={}\n"
    "for i=5,#KEYS do local k=KEYS[i]\n"
    "  if redis.call('TYPE',k).ok=='set' then local df=redis.call('SCARD',k)\n"
    "    if df>0 and df<=4000 then local w=math.log(N/df)+0.1\n"
    "      for _,r in ipairs(redis.call('SMEMBERS',k)) do score[r]=(score[r] or 0)+w end end end end\n"
    "local c={}\n"
    "for r,s in pairs(score) do c[#c+1]={r,s} end\n"
    "table.sort(c,function(a,b) if a[2]~=b[2] then return a[2]>b[2] end return a[1]<b[1] end)\n"
    "for i=1,math.min(#c,tonumber(ARGV[4])) do push(c[i][1]) end\n"
    "return res\n",
    {0},
};

#define NAME_CANDIDATES 24

static void name_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_name_cb)o->cb)(o->arg, status, why, REC_NAME_FREE, NULL, 0);
}

/* The candidates of reply r that score as alike, best first; returns how many. */
static size_t name_matches(const char *query, const char *exact, const redisReply *r,
                           struct rec_name_match *m)
{
    size_t n = 0;
    for (size_t i = 2; i + 1 < r->elements && n < NAME_CANDIDATES; i += 2) {
        const char *regno = rec_elem(r, i), *name = rec_elem(r, i + 1);
        if (!regno || !name)
            continue;
        int s = refs_name_similarity(query, name);
        if (exact && strcmp(exact, regno) == 0)
            s = 100;
        if (s < REFS_SIMILAR)
            continue;
        m[n++] = (struct rec_name_match){name, regno, s};
    }
    /* best first (insertion sort: a handful) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && m[j].score > m[j - 1].score; j--) {
            struct rec_name_match t = m[j];
            m[j] = m[j - 1];
            m[j - 1] = t;
        }
    return n;
}

static int name_reply(struct rec_op *o, const redisReply *r)
{
    if (!rec_is_arr(r) || r->elements < 2)
        return rec_op_why(o, REC_ERR, "data");
    const char *exact = rec_elem(r, 0), *pend = rec_elem(r, 1);
    struct rec_name_match m[NAME_CANDIDATES + 1];
    size_t n = name_matches(o->text, exact, r, m);
    int verdict = REC_NAME_FREE;
    if (n > 0)
        verdict = m[0].score >= 100 ? REC_NAME_TAKEN : REC_NAME_SIMILAR;
    if ((exact && exact[0]) && verdict != REC_NAME_TAKEN)
        verdict = REC_NAME_TAKEN; /* indexed but its record is gone: still not free */
    if (verdict != REC_NAME_TAKEN && pend && pend[0]) {
        verdict = REC_NAME_PENDING;
        memmove(m + 1, m, (n < REC_NAME_MATCHES ? n : REC_NAME_MATCHES - 1) * sizeof m[0]);
        m[0] = (struct rec_name_match){pend, "", 100};
        n++;
    }
    if (n > REC_NAME_MATCHES)
        n = REC_NAME_MATCHES;
    ((rec_name_cb)o->cb)(o->arg, REC_OK, NULL, verdict, m, n);
    return REC_OK;
}

static const struct rec_op_kind name_kind = {name_fail, name_reply, 0};

int records_name_check(const struct svc_env *env, const char *name, rec_name_cb cb, void *arg)
{
    struct rec_op *o = rec_op_new(env, &name_kind, (rec_fn)cb, arg);
    if (!o)
        return -1;
    char norm[REFS_NAME_MAX], key[REFS_NAME_MAX], lex[REFS_NAME_MAX];
    if (!name || strlen(name) > 100)
        return rec_op_fail(o, REC_INVALID, "name");
    refs_name_norm(name, norm, sizeof norm);
    refs_name_key(name, key, sizeof key);
    if (!norm[0] || !key[0])
        return rec_op_fail(o, REC_INVALID, "name");
    snprintf(o->text, sizeof o->text, "%s", name);
    /* names that begin with the same first two words */
    size_t w1 = strcspn(norm, " ");
    size_t cut = norm[w1] ? w1 + 1 + strcspn(norm + w1 + 1, " ") : w1;
    snprintf(lex, sizeof lex, "%.*s", (int)cut, norm);
    char tok[REFS_TOKENS_MAX][REFS_TOKEN_MAX], tok_keys[REFS_TOKENS_MAX][REFS_TOKEN_MAX + 16];
    size_t nt = refs_name_tokens(name, tok, REFS_TOKENS_MAX);
    char mx[8];
    snprintf(mx, sizeof mx, "%d", NAME_CANDIDATES - 8);
    const char *args[4 + REFS_TOKENS_MAX + 5] = {
        REC_PREFIX "biz:byname", REC_PREFIX "biz:bykey", REC_PREFIX "biz:pending",
        REC_PREFIX "biz:names",
    };
    int na = 4;
    for (size_t i = 0; i < nt; i++) {
        snprintf(tok_keys[i], sizeof tok_keys[i], REC_PREFIX "biz:tok:%.*s", REFS_TOKEN_MAX - 1,
                 tok[i]);
        args[na++] = tok_keys[i];
    }
    int nkeys = na;
    const char *rest[] = {norm, key, lex, mx, REC_PREFIX "biz:"};
    for (size_t i = 0; i < 5; i++)
        args[na++] = rest[i];
    return rec_op_eval(o, &script_name_check, nkeys, na, args);
}
