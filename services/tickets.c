/*
 * tickets.c: reported problems in Redis; see tickets.h for the keys and the contract.
 *
 * Each call is a small heap record (struct op) carried through one store request (a
 * status change: two, a read and the script). The scripts get their keys as KEYS; the
 * keys only a script knows (the ticket of a reference it reads or takes, a follower's
 * language) are made from the prefixes passed in ARGV (TICKETS_KEY, SVC_LANG_KEY).
 */
#include "tickets.h"

#include <ctype.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "refs.h"
#include "sms_record.h"
#include "svc_store.h"

#define K_OPEN "ussd:tickets:open:"
#define K_PHONE "ussd:phone:"
#define K_IDEM "ussd:idem:ticket:"
#define K_SEQ "ussd:seq:TKT:"
#define IDEM_MAX 150 /* bytes of an idempotency key */

/* ---- helpers ---- */

static int msisdn_ok(const char *s)
{
    size_t l = s ? strlen(s) : 0, i = 0;
    if (l && s[0] == '+')
        i = 1;
    if (l - i < 6 || l - i > 15)
        return 0;
    for (; i < l; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* a value typed by a resident: printable, cut to 100 bytes on a character boundary */
static void clean_text(const char *in, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = in ? in : ""; *p && j + 1 < n && j < 100; p++)
        out[j++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
    while (j > 0 && ((unsigned char)out[j - 1] & 0xC0) == 0x80)
        j--; /* may drop a whole last character: harmless */
    if (j > 0 && ((unsigned char)out[j - 1] & 0xC0) == 0xC0)
        j--;
    out[j] = 0;
    size_t s = 0;
    while (out[s] == ' ')
        s++;
    if (s)
        memmove(out, out + s, strlen(out + s) + 1);
    j = strlen(out);
    while (j > 0 && out[j - 1] == ' ')
        out[--j] = 0;
}

static char *hist_json(const char *at, const char *status, const char *note)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "at", at, "status", status, "note", note ? note : "");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

/* The place of a problem: 0 with its district, sector number and open-problem key
 * (ussd:tickets:open:DD-SS:CATEGORY), or -1 when one of them is unknown. */
static int place(const char *category, const char *district, const char *sector,
                 const struct geo_district **d, int *sn, char *k_open, size_t n)
{
    *d = geo_district_by_name(district);
    *sn = *d ? geo_sector_num(*d, sector) : 0;
    if (!tickets_category_known(category) || !*d || !*sn)
        return -1;
    snprintf(k_open, n, K_OPEN "%d-%02d:%s", (*d)->code, *sn, category);
    return 0;
}

/* ---- the call record ---- */

enum op_kind { OP_REPORT, OP_OPEN, OP_LIST, OP_GET, OP_STATUS };

struct op {
    struct svc_op h; /* first: the record is a svc_op */
    union {
        tickets_report_cb report;
        tickets_open_cb open;
        tickets_list_cb list;
        tickets_get_cb get;
        tickets_status_cb status;
    } cb;
    char ref[REFS_MAX];
    char to[16], from[16];
    char note[REC_VALUE_MAX + 1];
};

/* Report o's failure to its caller and free it. */
static void op_failed(struct svc_op *h, int st, const char *why)
{
    struct op *o = (struct op *)h;
    void *a = o->h.arg;
    switch ((enum op_kind)o->h.kind) {
    case OP_REPORT: o->cb.report(a, st, why, NULL); break;
    case OP_OPEN: o->cb.open(a, st, why, NULL, NULL); break;
    case OP_LIST: o->cb.list(a, st, why, NULL, 0); break;
    case OP_GET: o->cb.get(a, st, why, NULL); break;
    case OP_STATUS: o->cb.status(a, st, why, NULL); break;
    }
    free(o);
}

/* ---- report ---- */

/* KEYS: 1 idem 2 seq 3 open 4 phone zset
 * ARGV: 1 yy 2 msisdn 3 now-text 4 now-unix 5 window 6 category 7 district 8 sector
 *       9 sector_key 10 landmark 11 description 12 hist-json 13 idem-ttl 14 channel
 *       15 idem-key 16 "1": follow only (merge into the open ticket, never create)
 *       17 the ticket key prefix
 * Returns {verdict, ref}: created | merged | existing-created | existing-merged |
 * gone (follow only: no open ticket any more) | idem_conflict | sequence. */
static struct store_script script_report = SVC_SCRIPT(
    "tickets.report",
    REFS_LUA_DAMM
    "local function ok(k,t) local y=redis.call('TYPE',k).ok return y=='none' or y==t end\n"
    "if not (ok(KEYS[1],'string') and ok(KEYS[2],'string') and ok(KEYS[3],'string') and "
    "ok(KEYS[4],'zset')) then return redis.error_reply('WRONGTYPE a key of the report has another type') end\n"
    "local P=ARGV[17]\n"
    "local old=redis.call('GET',KEYS[1])\n"
    "if old then local v,r=string.match(old,'^(%a+):(.+)$')\n"
    "  if not r then return redis.error_reply('bad idempotency value') end\n"
    "  local t=P..r\n"
    "  if v=='created' and redis.call('HGET',t,'msisdn')~=ARGV[2] then return {'idem_conflict',r} end\n"
    "  if v=='merged' and redis.call('SISMEMBER',t..':followers',ARGV[2])==0 then return {'idem_conflict',r} end\n"
    "  return {'existing-'..v,r} end\n"
    "local open=redis.call('GET',KEYS[3])\n"
    "if open then local t=P..open\n"
    "  if redis.call('TYPE',t).ok=='hash' and redis.call('TYPE',t..':followers').ok~='string' then\n"
    "    local st=redis.call('HGET',t,'status')\n"
    "    if st=='received' or st=='in_progress' then\n"
    "      redis.call('SADD',t..':followers',ARGV[2])\n"
    "      redis.call('HINCRBY',t,'reports',1)\n"
    "      redis.call('ZADD',KEYS[4],ARGV[4],open)\n"
    "      redis.call('SET',KEYS[1],'merged:'..open,'EX',ARGV[13])\n"
    "      return {'merged',open} end end end\n"
    "if ARGV[16]=='1' then return {'gone',''} end\n"
    "local ref\n"
    "for _=1,20 do local n=redis.call('INCR',KEYS[2])\n"
    "  if n>=900000 then return {'sequence',''} end\n"
    "  local s=string.format('%06d',n)\n"
    "  local r='TKT-'..ARGV[1]..'-'..s..'-'..damm('4'..ARGV[1]..s)\n"
    "  if redis.call('EXISTS',P..r)==0 then ref=r break end end\n"
    "if not ref then return {'sequence',''} end\n"
    "local t=P..ref\n"
    "redis.call('DEL',t,t..':hist',t..':followers')\n"
    "redis.call('HSET',t,'ref',ref,'category',ARGV[6],'district',ARGV[7],'sector',ARGV[8],"
    "'sector_key',ARGV[9],'landmark',ARGV[10],'description',ARGV[11],'status','received',"
    "'msisdn',ARGV[2],'created',ARGV[3],'updated',ARGV[3],'idem',ARGV[15],'channel',ARGV[14],"
    "'open_key',KEYS[3],'reports',1)\n"
    "redis.call('RPUSH',t..':hist',ARGV[12])\n"
    "redis.call('SADD',t..':followers',ARGV[2])\n"
    "redis.call('SET',KEYS[3],ref,'EX',ARGV[5])\n"
    "redis.call('ZADD',KEYS[4],ARGV[4],ref)\n"
    "redis.call('SET',KEYS[1],'created:'..ref,'EX',ARGV[13])\n"
    "return {'created',ref}\n");

static void on_report(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "tickets.redis"))
        return;
    const char *v = svc_reply_str(r, 0), *ref = svc_reply_str(r, 1);
    if (!v || !ref) {
        svc_op_fail(&o->h, REC_ERR, "data");
        return;
    }
    struct tickets_reported t = {ref, TICKETS_CREATED, strncmp(v, "existing-", 9) == 0};
    const char *verdict = t.existing ? v + 9 : v;
    int st = REC_OK;
    const char *why = NULL;
    if (strcmp(verdict, "merged") == 0)
        t.verdict = TICKETS_MERGED;
    else if (strcmp(verdict, "gone") == 0)
        t.verdict = TICKETS_GONE;
    else if (strcmp(verdict, "idem_conflict") == 0)
        st = REC_REFUSED, why = "idem_conflict";
    else if (strcmp(verdict, "created") != 0)
        st = REC_ERR, why = strcmp(verdict, "sequence") == 0 ? "sequence" : "data";
    o->cb.report(o->h.arg, st, why, &t);
    free(o);
}

/* A report checked and ready to send. */
struct checked {
    const struct geo_district *d;
    int sn;
    char k_open[80], landmark[128], desc[128];
    long long now;
    char at[REC_TIME_MAX];
};

/* Why r cannot be reported for msisdn (REC_INVALID), or NULL with c filled in. */
static const char *report_check(const struct svc_env *env, const struct tickets_report *r,
                                const char *msisdn, struct checked *c)
{
    if (place(r->category, r->district, r->sector, &c->d, &c->sn, c->k_open, sizeof c->k_open) < 0)
        return "place";
    clean_text(r->landmark, c->landmark, sizeof c->landmark);
    clean_text(r->description, c->desc, sizeof c->desc);
    if (!c->landmark[0] && !r->follow_only)
        return "landmark";
    if (!msisdn_ok(msisdn))
        return "msisdn";
    if (!r->idem_key || !r->idem_key[0] || strlen(r->idem_key) > IDEM_MAX)
        return "idem";
    c->now = (long long)(svc_now_ms(env) / 1000);
    records_time((time_t)c->now, 0, c->at, sizeof c->at);
    return NULL;
}

/* The script's call for a checked report: the keys, the values, then store_eval. */
static void report_send(struct op *o, const struct tickets_report *r, const char *msisdn,
                        const struct checked *c, const char *hist)
{
    long window = o->h.env->ticket_window_s > 0 ? o->h.env->ticket_window_s : TICKETS_WINDOW_S;
    char k_idem[200], k_seq[40], k_phone[64], yy[4], unix_s[24], win[24], ttl[24], skey[16];
    snprintf(yy, sizeof yy, "%.2s", c->at + 2);
    snprintf(skey, sizeof skey, "%d-%02d", c->d->code, c->sn);
    snprintf(k_idem, sizeof k_idem, K_IDEM "%s", r->idem_key);
    snprintf(k_seq, sizeof k_seq, K_SEQ "%s", yy);
    snprintf(k_phone, sizeof k_phone, K_PHONE "%s:tickets", msisdn);
    snprintf(unix_s, sizeof unix_s, "%lld", c->now);
    snprintf(win, sizeof win, "%ld", window);
    snprintf(ttl, sizeof ttl, "%d", REC_IDEM_TTL_S);
    const char *argv[] = {k_idem, k_seq, c->k_open, k_phone, yy, msisdn, c->at, unix_s, win,
                          r->category, c->d->name, geo_sector_name(c->d, c->sn), skey,
                          c->landmark, c->desc, hist, ttl, r->channel ? r->channel : "ussd",
                          r->idem_key, r->follow_only ? "1" : "0", TICKETS_KEY};
    svc_eval(o->h.env, &script_report, 4, (int)(sizeof argv / sizeof argv[0]), argv, on_report, o);
}

void tickets_report(const struct svc_ctx *ctx, const struct tickets_report *r,
                    tickets_report_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, ctx->env, op_failed, OP_REPORT, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.report = cb;
    struct checked c;
    const char *bad = report_check(ctx->env, r, ctx->actor.msisdn, &c);
    if (bad) {
        svc_op_fail_later(&o->h, REC_INVALID, bad);
        return;
    }
    char *hist = hist_json(c.at, "received", "reported");
    if (!hist) {
        svc_op_fail_later(&o->h, REC_ERR, "memory");
        return;
    }
    report_send(o, r, ctx->actor.msisdn, &c, hist);
    free(hist);
}

/* ---- the open problem of a category in a sector ---- */

/* KEYS: open. ARGV: the ticket key prefix. Returns {ref, status} of the open ticket,
 * or {}. */
static struct store_script script_open = SVC_SCRIPT(
    "tickets.open",
    "local r=redis.call('GET',KEYS[1]) if not r then return {} end\n"
    "local st=redis.call('HGET',ARGV[1]..r,'status')\n"
    "if st=='received' or st=='in_progress' then return {r,st} end\n"
    "return {}\n");

static void on_open(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply_of(&o->h, status, r, REDIS_REPLY_ARRAY, "tickets.redis"))
        return;
    const char *ref = svc_reply_str(r, 0), *st = svc_reply_str(r, 1);
    if (r->elements != 2 || !ref || !st)
        ref = st = NULL;
    o->cb.open(o->h.arg, REC_OK, NULL, ref, st);
    free(o);
}

void tickets_open(const struct svc_env *env, const char *category, const char *district,
                  const char *sector, tickets_open_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_OPEN, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL, NULL);
        return;
    }
    o->cb.open = cb;
    const struct geo_district *d;
    int sn;
    char k_open[80];
    if (place(category, district, sector, &d, &sn, k_open, sizeof k_open) < 0) {
        svc_op_fail_later(&o->h, REC_INVALID, "place");
        return;
    }
    const char *argv[] = {k_open, TICKETS_KEY};
    svc_eval(env, &script_open, 1, 2, argv, on_open, o);
}

/* ---- a phone's tickets ---- */

/* KEYS: the phone's zset. ARGV: max, the ticket key prefix. {ref, status, ...}. */
static struct store_script script_mine = SVC_SCRIPT(
    "tickets.mine",
    "local r={} local refs=redis.call('ZREVRANGE',KEYS[1],0,tonumber(ARGV[1])-1)\n"
    "for _,ref in ipairs(refs) do local t=ARGV[2]..ref\n"
    "  if redis.call('TYPE',t).ok=='hash' then\n"
    "    r[#r+1]=ref r[#r+1]=redis.call('HGET',t,'status') or '' end end\n"
    "return r\n");

static void on_mine(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply_of(&o->h, status, r, REDIS_REPLY_ARRAY, "tickets.redis"))
        return;
    struct tickets_summary t[TICKETS_LIST_MAX];
    size_t n = 0;
    for (size_t i = 0; i + 1 < svc_reply_len(r) && n < TICKETS_LIST_MAX; i += 2) {
        t[n] = (struct tickets_summary){svc_reply_str(r, i), svc_reply_str(r, i + 1)};
        if (t[n].ref && t[n].status)
            n++;
    }
    o->cb.list(o->h.arg, REC_OK, NULL, t, n);
    free(o);
}

void tickets_of(const struct svc_env *env, const char *msisdn, size_t max, tickets_list_cb cb,
                void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_LIST, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL, 0);
        return;
    }
    o->cb.list = cb;
    if (!msisdn_ok(msisdn)) {
        svc_op_fail_later(&o->h, REC_OK, NULL); /* no tickets */
        return;
    }
    char key[64], n[8];
    snprintf(key, sizeof key, K_PHONE "%s:tickets", msisdn);
    snprintf(n, sizeof n, "%zu", max < 1 ? 1 : max > TICKETS_LIST_MAX ? TICKETS_LIST_MAX : max);
    const char *argv[] = {key, n, TICKETS_KEY};
    svc_eval(env, &script_mine, 1, 3, argv, on_mine, o);
}

/* ---- one ticket ---- */

/* KEYS: ticket, hist, followers. ARGV: how many of the latest history entries.
 * {fields (tickets_get's order), history, followers}, or {} without the ticket. */
static struct store_script script_get = SVC_SCRIPT(
    "tickets.get",
    "if redis.call('TYPE',KEYS[1]).ok~='hash' then return {} end\n"
    "return {redis.call('HMGET',KEYS[1],'ref','category','district','sector','landmark',"
    "'description','status','msisdn','created','updated','channel','reports'),"
    "redis.call('LRANGE',KEYS[2],-tonumber(ARGV[1]),-1),redis.call('SCARD',KEYS[3])}\n");

/* The history entries of the reply h (JSON texts) into t: each decoded object goes to
 * docs (decref'd by the caller after the callback). */
static void get_hist(const redisReply *h, struct tickets_hist *hist, json_t **docs, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < svc_reply_len(h) && *n < REC_MAX_HIST; i++) {
        const char *s = svc_reply_str(h, i);
        json_t *j = s ? json_loads(s, 0, NULL) : NULL;
        const char *at = json_string_value(json_object_get(j, "at"));
        const char *st = json_string_value(json_object_get(j, "status"));
        const char *note = json_string_value(json_object_get(j, "note"));
        docs[*n] = j;
        hist[(*n)++] = (struct tickets_hist){at ? at : "", st ? st : "", note ? note : ""};
    }
}

static void on_get(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply_of(&o->h, status, r, REDIS_REPLY_ARRAY, "tickets.redis"))
        return;
    const redisReply *f = svc_reply_at(r, 0);
    if (svc_reply_len(r) != 3 || svc_reply_len(f) != 12) {
        svc_op_fail(&o->h, REC_NOT_FOUND, "not_found");
        return;
    }
    const char *v[12];
    for (size_t i = 0; i < 12; i++)
        v[i] = svc_reply_str(f, i) ? svc_reply_str(f, i) : "";
    struct tickets_hist hist[REC_MAX_HIST];
    json_t *docs[REC_MAX_HIST];
    size_t nh;
    get_hist(svc_reply_at(r, 1), hist, docs, &nh);
    struct tickets_ticket t = {v[0][0] ? v[0] : o->ref, v[1], v[2], v[3], v[4], v[5], v[6],
                               v[7], v[8], v[9], v[10], v[11], svc_reply_num(r, 2), "",
                               hist, nh};
    /* staff's note on the current status: the last entry's, when it records it */
    if (nh && strcmp(hist[nh - 1].status, t.status) == 0 && strcmp(t.status, "received") != 0)
        t.note = hist[nh - 1].note;
    o->cb.get(o->h.arg, REC_OK, NULL, &t);
    for (size_t i = 0; i < nh; i++)
        json_decref(docs[i]);
    free(o);
}

/* The ticket's keys of ref: the hash, its history and its followers. */
static void ticket_keys(const char *ref, char *t, char *h, char *f, size_t n)
{
    snprintf(t, n, TICKETS_KEY "%s", ref);
    snprintf(h, n, TICKETS_KEY "%s:hist", ref);
    snprintf(f, n, TICKETS_KEY "%s:followers", ref);
}

void tickets_get(const struct svc_env *env, const char *ref, tickets_get_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_GET, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.get = cb;
    const char *why = refs_parse(ref ? ref : "", "TKT", o->ref, sizeof o->ref);
    if (why) {
        svc_op_fail_later(&o->h, REC_INVALID, why);
        return;
    }
    char k_t[64], k_h[64], k_f[64], max[8];
    ticket_keys(o->ref, k_t, k_h, k_f, sizeof k_t);
    snprintf(max, sizeof max, "%d", REC_MAX_HIST);
    const char *argv[] = {k_t, k_h, k_f, max};
    svc_eval(env, &script_get, 3, 4, argv, on_get, o);
}

/* ---- status changes (staff) ---- */

/* KEYS: 1 ticket 2 hist 3 followers 4 SMS queue [5 the open-problem key]
 * ARGV: 1 expected from 2 to 3 now-text 4 hist-json 5 final (1/0) 6 the language key
 *       prefix 7 the SMS record's head, then its tails in 8 en 9 rw 10 fr
 * Returns {'ok', n} | {'changed', status} | {'not_found',''}. */
static struct store_script script_status = SVC_SCRIPT(
    "tickets.status",
    "local function ok(k,t) local y=redis.call('TYPE',k).ok return y=='none' or y==t end\n"
    "local t=KEYS[1]\n"
    "if redis.call('TYPE',t).ok~='hash' then return {'not_found',''} end\n"
    "if not (ok(KEYS[2],'list') and ok(KEYS[4],'list')) then\n"
    "  return redis.error_reply('WRONGTYPE a key of the ticket has another type') end\n"
    "local st=redis.call('HGET',t,'status') or ''\n"
    "if st~=ARGV[1] then return {'changed',st} end\n"
    "redis.call('HSET',t,'status',ARGV[2],'updated',ARGV[3])\n"
    "redis.call('RPUSH',KEYS[2],ARGV[4])\n"
    "if ARGV[5]=='1' and KEYS[5] and redis.call('GET',KEYS[5])==redis.call('HGET',t,'ref') then\n"
    "  redis.call('DEL',KEYS[5]) end\n"
    "local n=0\n"
    "if redis.call('TYPE',KEYS[3]).ok=='set' then\n"
    "  for _,m in ipairs(redis.call('SMEMBERS',KEYS[3])) do\n"
    "    local l=redis.call('GET',ARGV[6]..m)\n"
    "    local x=ARGV[8] if l=='rw' then x=ARGV[9] elseif l=='fr' then x=ARGV[10] end\n"
    "    redis.call('RPUSH',KEYS[4],ARGV[7]..m..x)\n"
    "    n=n+1 end end\n"
    "return {'ok',tostring(n)}\n");

static void on_status_done(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "tickets.redis"))
        return;
    const char *v = svc_reply_str(r, 0);
    if (!v || strcmp(v, "not_found") == 0 || strcmp(v, "changed") == 0) {
        svc_op_fail(&o->h, !v ? REC_ERR : v[0] == 'n' ? REC_NOT_FOUND : REC_REFUSED,
                    !v ? "data" : v[0] == 'n' ? "not_found" : "changed");
        return;
    }
    struct tickets_change c = {o->ref, o->from, o->to, (long)svc_reply_num(r, 1)};
    o->cb.status(o->h.arg, REC_OK, NULL, &c);
    free(o);
}

/* The tails of the status SMS in en, rw and fr (sms_record.h), malloc'd into tails; 0,
 * or -1 (then nothing to free). */
static int status_tails(const struct op *o, const char *category, long long now, char *tails[3])
{
    static const char *const langs[3] = {"en", "rw", "fr"};
    for (int i = 0; i < 3; i++) {
        char text[400];
        tickets_sms(langs[i], o->ref, category, o->to, o->note, text, sizeof text);
        size_t cap = SMS_RECORD_MAX(0, strlen(text), 2);
        tails[i] = malloc(cap);
        if (!tails[i] || sms_record_tail(tails[i], cap, text, langs[i], now) < 0) {
            for (int k = 0; k <= i; k++)
                free(tails[k]);
            return -1;
        }
    }
    return 0;
}

/* The script's call: the ticket's keys, the history entry and the SMS tails. */
static void status_send(struct op *o, const char *category, const char *open_key)
{
    long long now = (long long)(svc_now_ms(o->h.env) / 1000);
    char at[REC_TIME_MAX], k_t[64], k_h[64], k_f[64];
    records_time((time_t)now, 0, at, sizeof at);
    ticket_keys(o->ref, k_t, k_h, k_f, sizeof k_t);
    char *tails[3], *hist = hist_json(at, o->to, o->note);
    if (!hist || status_tails(o, category, now, tails) < 0) {
        free(hist);
        svc_op_fail(&o->h, REC_ERR, "memory");
        return;
    }
    int fin = strcmp(o->to, "resolved") == 0 || strcmp(o->to, "rejected") == 0;
    const char *argv[15];
    int nk = 0, n;
    argv[nk++] = k_t;
    argv[nk++] = k_h;
    argv[nk++] = k_f;
    argv[nk++] = REC_SMS_QUEUE;
    if (open_key && open_key[0])
        argv[nk++] = open_key;
    n = nk;
    argv[n++] = o->from;
    argv[n++] = o->to;
    argv[n++] = at;
    argv[n++] = hist;
    argv[n++] = fin ? "1" : "0";
    argv[n++] = SVC_LANG_KEY;
    argv[n++] = SMS_RECORD_HEAD;
    for (int i = 0; i < 3; i++)
        argv[n++] = tails[i];
    svc_eval(o->h.env, &script_status, nk, n, argv, on_status_done, o);
    free(hist);
    for (int i = 0; i < 3; i++)
        free(tails[i]);
}

static void on_status_read(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply_of(&o->h, status, r, REDIS_REPLY_ARRAY, "tickets.redis"))
        return;
    const char *st = svc_reply_str(r, 0), *cat = svc_reply_str(r, 1);
    if (!st) {
        svc_op_fail(&o->h, REC_NOT_FOUND, "not_found");
        return;
    }
    snprintf(o->from, sizeof o->from, "%s", st);
    char allowed[64];
    const char *why = tickets_transition(o->from, o->to, allowed, sizeof allowed);
    if (why) {
        struct tickets_change c = {o->ref, o->from, allowed, 0};
        o->cb.status(o->h.arg, REC_REFUSED, why, &c);
        free(o);
        return;
    }
    status_send(o, cat, svc_reply_str(r, 2));
}

void tickets_set_status(const struct svc_ctx *ctx, const char *ref, const char *to,
                        const char *note, tickets_status_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, ctx->env, op_failed, OP_STATUS, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb.status = cb;
    const char *why = refs_parse(ref ? ref : "", "TKT", o->ref, sizeof o->ref);
    if (why || !tickets_status_known(to)) {
        svc_op_fail_later(&o->h, REC_INVALID, why ? why : "status");
        return;
    }
    snprintf(o->to, sizeof o->to, "%s", to);
    snprintf(o->note, sizeof o->note, "%s", note ? note : "");
    char k_t[64];
    snprintf(k_t, sizeof k_t, TICKETS_KEY "%s", o->ref);
    const char *argv[] = {"HMGET", k_t, "status", "category", "open_key"};
    svc_cmd(ctx->env, 5, argv, on_status_read, o);
}
