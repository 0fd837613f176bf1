/*
 * tickets.c: "Report a problem" (like OneService or NYC311): a resident reports a
 * problem (category, district, sector, landmark, optional description) and gets a
 * ticket reference TKT-YY-NNNNNN-C. The same category in the same sector within
 * the merge window (config ticket_merge_window, default REC_TICKET_WINDOW_S: 7 days) is the same problem:
 * the resident is added to that ticket's followers instead. Staff move tickets with
 * `ussdgw app status TKT-... STATUS`, and every follower gets an SMS. Keys: records.h.
 *
 * Handlers:
 *   sectors          (a menu `source`) args district: the district's sectors; not_found.
 *   ticket_report    args category district sector landmark [description]: created or
 *                    merged with ref and category_text; invalid; error.
 *   my_tickets_count ok when the phone has tickets, else none; error.
 *   my_tickets       (a menu `source`) the phone's tickets, newest first: label
 *                    "TKT-26-000012-3 in progress", value the reference; error.
 *   ticket_show      args ref: ok with ref, category_text, status_text, note_line
 *                    (". Note: TEXT": staff's note on the current status, or ""), place,
 *                    updated (dd/mm/yyyy), followers; not_found; error.
 *   ticket_open      args category district sector: open (ref, category_text,
 *                    status_text: that problem is already reported and open), none.
 */
#include <ctype.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "geo.h"
#include "records.h"
#include "refs.h"
#include "services.h"
#include "store.h"

#define TKT_LIST_MAX 64

static const struct svc_words cat_words[] = {
    {"road", "road damage", "umuhanda wangiritse", "route endommagée"},
    {"streetlight", "streetlight", "itara ryo ku muhanda", "éclairage public"},
    {"waste", "waste not collected", "imyanda itatwawe", "déchets non ramassés"},
    {"water_leak", "water leak", "amazi ameneka", "fuite d'eau"},
    {"drainage", "drainage", "imiyoboro y'amazi", "drainage"},
    {"other", "other problem", "ikindi kibazo", "autre problème"},
    {NULL, NULL, NULL, NULL},
};

static const struct svc_words tstatus_words[] = {
    {"received", "received", "cyakiriwe", "enregistré"},
    {"in_progress", "in progress", "kirimo gukemurwa", "en cours"},
    {"resolved", "resolved", "cyakemutse", "résolu"},
    {"rejected", "closed", "cyafunzwe", "clos"},
    {NULL, NULL, NULL, NULL},
};

static int cat_known(const char *c)
{
    for (size_t i = 0; c && cat_words[i].code; i++)
        if (strcmp(cat_words[i].code, c) == 0)
            return 1;
    return 0;
}

/* ---- statuses (pure) ---- */

static const char *const tstates[] = {"received", "in_progress", "resolved", "rejected"};

int records_ticket_status_known(const char *s)
{
    for (size_t i = 0; s && i < 4; i++)
        if (strcmp(tstates[i], s) == 0)
            return 1;
    return 0;
}

const char *records_ticket_transition(const char *from, const char *to, char *allowed, size_t n)
{
    const char *next = "";
    if (from && strcmp(from, "received") == 0)
        next = "in_progress,resolved,rejected";
    else if (from && strcmp(from, "in_progress") == 0)
        next = "resolved,rejected";
    if (allowed && n)
        snprintf(allowed, n, "%s", next);
    if (!records_ticket_status_known(to))
        return "unknown";
    if (from && strcmp(from, to) == 0)
        return "same";
    if (!*next)
        return "final";
    size_t l = strlen(to);
    for (const char *p = next; (p = strstr(p, to)) != NULL; p += l)
        if ((p == next || p[-1] == ',') && (p[l] == ',' || p[l] == 0))
            return NULL;
    return "transition";
}

char *records_ticket_sms(const char *lang, const char *ref, const char *category, const char *to,
                         const char *note, char *buf, size_t n)
{
    const char *l = svc_lang(lang);
    int rw = l[0] == 'r', fr = l[0] == 'f';
    char cat[64], why[121];
    svc_word(cat_words, category ? category : "other", l, cat, sizeof cat);
    refs_note_line(note, why, sizeof why);
    int st = !to ? 0 : strcmp(to, "in_progress") == 0 ? 1 : strcmp(to, "resolved") == 0 ? 2
                     : strcmp(to, "rejected") == 0 ? 3 : 0;
    int k = snprintf(buf, n,
                     st == 1   ? (rw   ? "Ikibazo %s (%s) cyatangiye gukemurwa."
                                  : fr ? "Votre signalement %s (%s) est en cours de traitement."
                                       : "Your report %s (%s) is being worked on.")
                     : st == 2 ? (rw   ? "Ikibazo %s (%s) cyakemutse. Murakoze."
                                  : fr ? "Le problème signalé %s (%s) est résolu. Merci."
                                       : "The problem you reported, %s (%s), is resolved. Thank you.")
                     : st == 3 ? (rw   ? "Ikibazo %s (%s) cyafunzwe."
                                  : fr ? "Le signalement %s (%s) a été clos."
                                       : "Report %s (%s) was closed.")
                               : (rw   ? "Ikibazo %s (%s) cyakiriwe."
                                  : fr ? "Signalement %s (%s) enregistré."
                                       : "Report %s (%s) received."),
                     ref ? ref : "", cat);
    if (why[0] && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, " %s%s", rw ? "Icyitonderwa: " : fr ? "Note : " : "Note: ",
                 why);
    return buf;
}

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

static long window_s(const struct svc_env *env)
{
    return env->ticket_window_s > 0 ? env->ticket_window_s : REC_TICKET_WINDOW_S;
}

static char *hist_json(const char *at, const char *status, const char *note)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "at", at, "status", status, "note", note ? note : "");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static const char *rstr(const redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements)
        return NULL;
    const redisReply *e = r->element[i];
    return e && (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) && e->str ? e->str
                                                                                            : NULL;
}

static int reply_ok(int status, const redisReply *r)
{
    return status == STORE_OK && r && r->type != REDIS_REPLY_ERROR;
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
    /* trim */
    size_t s = 0;
    while (out[s] == ' ')
        s++;
    if (s)
        memmove(out, out + s, strlen(out + s) + 1);
    j = strlen(out);
    while (j > 0 && out[j - 1] == ' ')
        out[--j] = 0;
}

/* ---- sectors ---- */

static struct handler_call *sectors_start(const struct svc_env *env,
                                          const struct handler_req *req, handler_done_fn done,
                                          void *arg)
{
    (void)env;
    const struct geo_district *d = geo_district_by_name(handler_arg(req, "district"));
    if (!d) {
        struct handler_result r = {.outcome = "not_found"};
        done(arg, &r);
        return NULL;
    }
    struct handler_item items[HANDLER_MAX_ITEMS];
    size_t n = 0;
    for (int i = 0; i < d->n_sectors && n < HANDLER_MAX_ITEMS; i++, n++)
        items[n] = (struct handler_item){d->sectors[i], d->sectors[i]};
    struct handler_result r = {.outcome = "ok", .items = items, .n_items = n};
    done(arg, &r);
    return NULL;
}

const struct handler_def handler_sectors = {"sectors", 1, sectors_start, NULL};

/* ---- report ---- */

/* KEYS: 1 idem 2 seq 3 open 4 phone zset
 * ARGV: 1 yy 2 msisdn 3 now-text 4 now-unix 5 window 6 category 7 district 8 sector
 *       9 sector_key 10 landmark 11 description 12 hist-json 13 idem-ttl 14 channel
 *       15 idem-key 16 "1": follow only (merge into the open ticket, never create)
 * Returns {verdict, ref}: created | merged | existing-created | existing-merged |
 * gone (follow only: no open ticket any more) | idem_conflict | sequence. */
static const char script_report[] =
    REFS_LUA_DAMM
    "local function ok(k,t) local y=redis.call('TYPE',k).ok return y=='none' or y==t end\n"
    "if not (ok(KEYS[1],'string') and ok(KEYS[2],'string') and ok(KEYS[3],'string') and "
    "ok(KEYS[4],'zset')) then return redis.error_reply('WRONGTYPE a key of the report has another type') end\n"
    "local old=redis.call('GET',KEYS[1])\n"
    "if old then local v,r=string.match(old,'^(%a+):(.+)$')\n"
    "  if not r then return redis.error_reply('bad idempotency value') end\n"
    "  local t='ussd:ticket:'..r\n"
    "  if v=='created' and redis.call('HGET',t,'msisdn')~=ARGV[2] then return {'idem_conflict',r} end\n"
    "  if v=='merged' and redis.call('SISMEMBER',t..':followers',ARGV[2])==0 then return {'idem_conflict',r} end\n"
    "  return {'existing-'..v,r} end\n"
    "local open=redis.call('GET',KEYS[3])\n"
    "if open then local t='ussd:ticket:'..open\n"
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
    "  if n>=" "900000" " then return {'sequence',''} end\n"
    "  local s=string.format('%06d',n)\n"
    "  local r='TKT-'..ARGV[1]..'-'..s..'-'..damm('4'..ARGV[1]..s)\n"
    "  if redis.call('EXISTS','ussd:ticket:'..r)==0 then ref=r break end end\n"
    "if not ref then return {'sequence',''} end\n"
    "local t='ussd:ticket:'..ref\n"
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
    "return {'created',ref}\n";

/* A call about one category of problem (report, open). */
struct report_call {
    struct svc_call c;
    char category[24];
};

/* The problem's place in req (args category, district, sector): 0 with them and the
 * open-problem key (ussd:tickets:open:DD-SS:CATEGORY), or -1 when one is unknown. */
static int req_place(const struct handler_req *req, const char **category,
                     const struct geo_district **d, int *sn, char *k_open, size_t k_open_size)
{
    *category = handler_arg(req, "category");
    *d = geo_district_by_name(handler_arg(req, "district"));
    *sn = *d ? geo_sector_num(*d, handler_arg(req, "sector")) : 0;
    if (!cat_known(*category) || !*d || !*sn)
        return -1;
    snprintf(k_open, k_open_size, REC_PREFIX "tickets:open:%d-%02d:%s", (*d)->code, *sn, *category);
    return 0;
}

static void on_report(void *p, int status, const redisReply *r)
{
    struct report_call *rc = p;
    if (svc_call_gone(rc))
        return;
    const char *v = rstr(r, 0), *ref = rstr(r, 1);
    if (!reply_ok(status, r) || !v || !ref) {
        svc_finish(rc, "error", NULL, 0);
        return;
    }
    char cat[64];
    svc_word(cat_words, rc->category, rc->c.lang, cat, sizeof cat);
    char refbuf[REFS_MAX];
    snprintf(refbuf, sizeof refbuf, "%s", ref);
    struct handler_kv set[] = {{"ref", refbuf}, {"category_text", cat}};
    const char *outcome = strcmp(v, "created") == 0 || strcmp(v, "existing-created") == 0 ? "created"
                          : strcmp(v, "merged") == 0 || strcmp(v, "existing-merged") == 0
                              ? "merged"
                          : strcmp(v, "gone") == 0 ? "gone"
                                                   : "error";
    svc_finish(rc, outcome, set, 2);
}

static struct handler_call *report_start(const struct svc_env *env,
                                         const struct handler_req *req, handler_done_fn done,
                                         void *arg)
{
    const char *category;
    const struct geo_district *d;
    int sn;
    char landmark[128], desc[128], k_open[80];
    clean_text(handler_arg(req, "landmark"), landmark, sizeof landmark);
    clean_text(handler_arg(req, "description"), desc, sizeof desc);
    const char *follow = handler_arg(req, "follow");
    int follow_only = follow && strcmp(follow, "yes") == 0;
    if (req_place(req, &category, &d, &sn, k_open, sizeof k_open) < 0 ||
        (!landmark[0] && !follow_only) || !msisdn_ok(req->msisdn) || !req->step_key ||
        !req->step_key[0]) {
        svc_done_now(done, arg, "invalid", NULL, 0);
        return NULL;
    }
    struct report_call *rc = svc_call_new(sizeof *rc, req, done, arg);
    if (!rc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    snprintf(rc->category, sizeof rc->category, "%s", category);
    time_t now = time(NULL);
    char at[REC_TIME_MAX], idem[160], k_idem[200], k_seq[40], k_phone[64], yy[4],
        unix_s[24], win[24], ttl[24], skey[16];
    records_time(now, 0, at, sizeof at);
    snprintf(yy, sizeof yy, "%.2s", at + 2);
    svc_idem_key(req->step_key, idem, sizeof idem);
    snprintf(skey, sizeof skey, "%d-%02d", d->code, sn);
    snprintf(k_idem, sizeof k_idem, REC_PREFIX "idem:ticket:%s", idem);
    snprintf(k_seq, sizeof k_seq, REC_PREFIX "seq:TKT:%s", yy);
    snprintf(k_phone, sizeof k_phone, REC_PREFIX "phone:%s:tickets", req->msisdn);
    snprintf(unix_s, sizeof unix_s, "%lld", (long long)now);
    snprintf(win, sizeof win, "%ld", window_s(env));
    snprintf(ttl, sizeof ttl, "%d", REC_IDEM_TTL_S);
    char *hist = hist_json(at, "received", "reported");
    if (!hist) {
        free(rc);
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    const char *argv[] = {"EVAL", script_report, "4", k_idem, k_seq, k_open, k_phone, yy,
                          req->msisdn, at, unix_s, win, category, d->name,
                          geo_sector_name(d, sn), skey, landmark, desc, hist, ttl, "ussd", idem,
                          follow_only ? "1" : "0"};
    store_cmd(env->store, on_report, rc, (int)(sizeof argv / sizeof argv[0]), argv, NULL);
    free(hist);
    return (struct handler_call *)rc;
}

const struct handler_def handler_ticket_report = {"ticket_report", 0, report_start, svc_cancel};

/* ---- the open problem of a category in a sector ---- */

/* KEYS: open. Returns {ref, status} of the open ticket, or {}. */
static const char script_open[] =
    "local r=redis.call('GET',KEYS[1]) if not r then return {} end\n"
    "local st=redis.call('HGET','ussd:ticket:'..r,'status')\n"
    "if st=='received' or st=='in_progress' then return {r,st} end\n"
    "return {}\n";

static void on_open(void *p, int status, const redisReply *r)
{
    struct report_call *oc = p;
    if (svc_call_gone(oc))
        return;
    if (!reply_ok(status, r) || r->type != REDIS_REPLY_ARRAY) {
        svc_finish(oc, "error", NULL, 0);
        return;
    }
    if (r->elements != 2 || !rstr(r, 0) || !rstr(r, 1)) {
        svc_finish(oc, "none", NULL, 0);
        return;
    }
    char ref[REFS_MAX], cat[64], st[64];
    snprintf(ref, sizeof ref, "%s", rstr(r, 0));
    svc_word(cat_words, oc->category, oc->c.lang, cat, sizeof cat);
    svc_word(tstatus_words, rstr(r, 1), oc->c.lang, st, sizeof st);
    struct handler_kv set[] = {{"ref", ref}, {"category_text", cat}, {"status_text", st}};
    svc_finish(oc, "open", set, 3);
}

/* ticket_open: args category, district, sector: is that problem already reported and
 * open? Outcomes open (ref, category_text, status_text), none, invalid, error. Read
 * only: the resident can follow it (ticket_report with follow: yes) before typing a
 * landmark. */
static struct handler_call *open_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    const char *category;
    const struct geo_district *d;
    int sn;
    char k_open[80];
    if (req_place(req, &category, &d, &sn, k_open, sizeof k_open) < 0) {
        svc_done_now(done, arg, "invalid", NULL, 0);
        return NULL;
    }
    struct report_call *oc = svc_call_new(sizeof *oc, req, done, arg);
    if (!oc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    snprintf(oc->category, sizeof oc->category, "%s", category);
    const char *argv[] = {"EVAL", script_open, "1", k_open};
    store_cmd(env->store, on_open, oc, 4, argv, NULL);
    return (struct handler_call *)oc;
}

const struct handler_def handler_ticket_open = {"ticket_open", 0, open_start, svc_cancel};

/* ---- my tickets ---- */

static const char script_mine[] =
    "local r={} local refs=redis.call('ZREVRANGE',KEYS[1],0,tonumber(ARGV[1])-1)\n"
    "for _,ref in ipairs(refs) do local t='ussd:ticket:'..ref\n"
    "  if redis.call('TYPE',t).ok=='hash' then\n"
    "    r[#r+1]=ref r[#r+1]=redis.call('HGET',t,'status') or '' end end\n"
    "return r\n";

struct mine_call {
    struct svc_call c;
    int count_only;
};

static void on_mine(void *p, int status, const redisReply *r)
{
    struct mine_call *m = p;
    if (svc_call_gone(m))
        return;
    if (!reply_ok(status, r) || r->type != REDIS_REPLY_ARRAY) {
        svc_finish(m, "error", NULL, 0);
        return;
    }
    size_t n = r->elements / 2;
    if (m->count_only) {
        svc_finish(m, n ? "ok" : "none", NULL, 0);
        return;
    }
    if (n > HANDLER_MAX_ITEMS)
        n = HANDLER_MAX_ITEMS;
    struct handler_item items[HANDLER_MAX_ITEMS];
    char labels[HANDLER_MAX_ITEMS][64];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ref = rstr(r, 2 * i), *st = rstr(r, 2 * i + 1);
        if (!ref || !st)
            continue;
        char w[40];
        svc_word(tstatus_words, st, m->c.lang, w, sizeof w);
        snprintf(labels[k], sizeof labels[k], "%s %s", ref, w);
        items[k] = (struct handler_item){labels[k], ref};
        k++;
    }
    struct handler_result res = {.outcome = k ? "ok" : "none", .items = items, .n_items = k};
    m->c.done(m->c.arg, &res);
    free(m);
}

static struct handler_call *mine_run(const struct svc_env *env, const struct handler_req *req,
                                     handler_done_fn done, void *arg, int count_only)
{
    if (!msisdn_ok(req->msisdn)) {
        svc_done_now(done, arg, "none", NULL, 0);
        return NULL;
    }
    struct mine_call *m = svc_call_new(sizeof *m, req, done, arg);
    if (!m) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    m->count_only = count_only;
    char key[64], max[8];
    snprintf(key, sizeof key, REC_PREFIX "phone:%s:tickets", req->msisdn);
    snprintf(max, sizeof max, "%d", TKT_LIST_MAX);
    const char *argv[] = {"EVAL", script_mine, "1", key, max};
    store_cmd(env->store, on_mine, m, 5, argv, NULL);
    return (struct handler_call *)m;
}

static struct handler_call *mine_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    return mine_run(env, req, done, arg, 0);
}

static struct handler_call *mine_count_start(const struct svc_env *env,
                                             const struct handler_req *req, handler_done_fn done,
                                             void *arg)
{
    return mine_run(env, req, done, arg, 1);
}

const struct handler_def handler_my_tickets = {"my_tickets", 1, mine_start, svc_cancel};
const struct handler_def handler_my_tickets_count = {"my_tickets_count", 0, mine_count_start,
                                                     svc_cancel};

/* ---- one ticket ---- */

static const char script_show[] =
    "local t='ussd:ticket:'..ARGV[1]\n"
    "if redis.call('TYPE',t).ok~='hash' then return {} end\n"
    "local h=redis.call('HMGET',t,'category','status','sector','district','landmark','updated')\n"
    "for i=1,6 do if not h[i] then h[i]='' end end\n"
    "h[7]=tostring(redis.call('SCARD',t..':followers'))\n"
    "h[8]=''\n"
    "local ok,j=pcall(cjson.decode,redis.call('LINDEX',t..':hist',-1) or '')\n"
    "if ok and type(j)=='table' and j.status==h[2] and h[2]~='received' and "
    "type(j.note)=='string' then h[8]=j.note end\n"
    "return h\n";

struct show_call {
    struct svc_call c;
    char ref[REFS_MAX];
};

static void on_show(void *p, int status, const redisReply *r)
{
    struct show_call *s = p;
    if (svc_call_gone(s))
        return;
    if (!reply_ok(status, r) || r->type != REDIS_REPLY_ARRAY) {
        svc_finish(s, "error", NULL, 0);
        return;
    }
    if (r->elements < 7) {
        struct handler_kv set[] = {{"ref", s->ref}};
        svc_finish(s, "not_found", set, 1);
        return;
    }
    char cat[64], st[40], place[128], upd[16], note[200] = "";
    svc_word(cat_words, rstr(r, 0) ? rstr(r, 0) : "other", s->c.lang, cat, sizeof cat);
    svc_word(tstatus_words, rstr(r, 1) ? rstr(r, 1) : "", s->c.lang, st, sizeof st);
    snprintf(place, sizeof place, "%s, %s, %s", rstr(r, 4) ? rstr(r, 4) : "",
             rstr(r, 2) ? rstr(r, 2) : "", rstr(r, 3) ? rstr(r, 3) : "");
    svc_day(rstr(r, 5), upd, sizeof upd);
    /* staff's note on the current status, as a line of its own */
    const char *nt = r->elements > 7 ? rstr(r, 7) : NULL;
    if (nt && nt[0]) {
        char line[151];
        snprintf(note, sizeof note, ". %s: %s",
                 strcmp(s->c.lang, "rw") == 0 ? "Icyitonderwa" : "Note",
                 refs_note_line(nt, line, sizeof line));
    }
    struct handler_kv set[] = {{"ref", s->ref},   {"category_text", cat},
                               {"status_text", st}, {"place", place},
                               {"updated", upd},  {"followers", rstr(r, 6) ? rstr(r, 6) : "1"},
                               {"note_line", note}};
    svc_finish(s, "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *show_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    char ref[REFS_MAX];
    const char *in = handler_arg(req, "ref");
    if (refs_parse(in ? in : "", "TKT", ref, sizeof ref) != NULL) {
        struct handler_kv set[] = {{"ref", in ? in : ""}};
        svc_done_now(done, arg, "not_found", set, 1);
        return NULL;
    }
    struct show_call *s = svc_call_new(sizeof *s, req, done, arg);
    if (!s) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    snprintf(s->ref, sizeof s->ref, "%s", ref);
    const char *argv[] = {"EVAL", script_show, "0", s->ref};
    store_cmd(env->store, on_show, s, 4, argv, NULL);
    return (struct handler_call *)s;
}

const struct handler_def handler_ticket_show = {"ticket_show", 0, show_start, svc_cancel};

/* ---- status changes (staff, through the CLI) ---- */

/* KEYS: 1 ticket 2 queue. ARGV: 1 expected from 2 to 3 now-text 4 now-unix 5 hist-json
 *       6 en text 7 rw text 8 fr text 9 final (1/0)
 * Returns {'ok', n} | {'changed', status} | {'not_found',''}. */
static const char script_tstatus[] =
    "local t=KEYS[1]\n"
    "if redis.call('TYPE',t).ok~='hash' then return {'not_found',''} end\n"
    "local st=redis.call('HGET',t,'status') or ''\n"
    "if st~=ARGV[1] then return {'changed',st} end\n"
    "redis.call('HSET',t,'status',ARGV[2],'updated',ARGV[3])\n"
    "redis.call('RPUSH',t..':hist',ARGV[5])\n"
    "if ARGV[9]=='1' then local ok=redis.call('HGET',t,'open_key')\n"
    "  if ok and ok~='' and redis.call('GET',ok)==redis.call('HGET',t,'ref') then redis.call('DEL',ok) end end\n"
    "local n=0\n"
    "if redis.call('TYPE',t..':followers').ok=='set' then\n"
    "  for _,m in ipairs(redis.call('SMEMBERS',t..':followers')) do\n"
    "    local l=redis.call('GET','ussd:l:'..m)\n"
    "    if l~='rw' and l~='fr' then l='en' end\n"
    "    local x=ARGV[6] if l=='rw' then x=ARGV[7] elseif l=='fr' then x=ARGV[8] end\n"
    "    redis.call('RPUSH',KEYS[2],cjson.encode({to=m,text=x,lang=l,queued_at=tonumber(ARGV[4])}))\n"
    "    n=n+1 end end\n"
    "return {'ok',tostring(n)}\n";

struct tstatus_op {
    rec_ticket_status_cb cb;
    void *arg;
    struct store *store;
    char ref[REFS_MAX];
    char to[16];
    char from[16];
    char note[REC_VALUE_MAX + 1];
};

static void tstatus_fail(struct tstatus_op *o, int status, const char *why,
                         const struct rec_ticket_change *c)
{
    o->cb(o->arg, status, why, c);
    free(o);
}

static void on_tstatus_done(void *p, int status, const redisReply *r)
{
    struct tstatus_op *o = p;
    const char *v = rstr(r, 0);
    if (!reply_ok(status, r) || !v) {
        tstatus_fail(o, REC_ERR, status == STORE_OK ? "data" : "redis", NULL);
        return;
    }
    if (strcmp(v, "not_found") == 0) {
        tstatus_fail(o, REC_NOT_FOUND, "not_found", NULL);
        return;
    }
    if (strcmp(v, "changed") == 0) {
        tstatus_fail(o, REC_REFUSED, "changed", NULL);
        return;
    }
    struct rec_ticket_change c = {o->ref, o->from, o->to, atol(rstr(r, 1) ? rstr(r, 1) : "0")};
    o->cb(o->arg, REC_OK, NULL, &c);
    free(o);
}

static void on_tstatus_read(void *p, int status, const redisReply *r)
{
    struct tstatus_op *o = p;
    if (!reply_ok(status, r) || r->type != REDIS_REPLY_ARRAY) {
        tstatus_fail(o, REC_ERR, status == STORE_OK ? "data" : "redis", NULL);
        return;
    }
    const char *st = rstr(r, 0), *cat = rstr(r, 1);
    if (!st) {
        tstatus_fail(o, REC_NOT_FOUND, "not_found", NULL);
        return;
    }
    snprintf(o->from, sizeof o->from, "%s", st);
    char allowed[64];
    const char *why = records_ticket_transition(o->from, o->to, allowed, sizeof allowed);
    if (why) {
        struct rec_ticket_change c = {o->ref, o->from, allowed, 0};
        tstatus_fail(o, REC_REFUSED, why, &c);
        return;
    }
    char en[400], rw[400], fr[400], at[REC_TIME_MAX], unix_s[24];
    time_t now = time(NULL);
    records_time(now, 0, at, sizeof at);
    snprintf(unix_s, sizeof unix_s, "%lld", (long long)now);
    records_ticket_sms("en", o->ref, cat, o->to, o->note, en, sizeof en);
    records_ticket_sms("rw", o->ref, cat, o->to, o->note, rw, sizeof rw);
    records_ticket_sms("fr", o->ref, cat, o->to, o->note, fr, sizeof fr);
    char *hist = hist_json(at, o->to, o->note);
    if (!hist) {
        tstatus_fail(o, REC_ERR, "memory", NULL);
        return;
    }
    char key[64];
    snprintf(key, sizeof key, REC_PREFIX "ticket:%s", o->ref);
    int fin = strcmp(o->to, "resolved") == 0 || strcmp(o->to, "rejected") == 0;
    const char *argv[] = {"EVAL", script_tstatus, "2", key, REC_SMS_QUEUE, o->from, o->to, at,
                          unix_s, hist, en, rw, fr, fin ? "1" : "0"};
    store_cmd(o->store, on_tstatus_done, o, (int)(sizeof argv / sizeof argv[0]), argv, NULL);
    free(hist);
}

void records_ticket_set_status(const struct svc_env *env, const char *ref, const char *to,
                               const char *note, rec_ticket_status_cb cb, void *arg)
{
    /* called from the CLI, outside callbacks: a synchronous failure report is fine
     * there, but keep the contract (from the loop) by going through Redis anyway */
    struct tstatus_op *o = calloc(1, sizeof *o);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL);
        return;
    }
    o->cb = cb;
    o->arg = arg;
    o->store = env->store;
    const char *why = refs_parse(ref ? ref : "", "TKT", o->ref, sizeof o->ref);
    if (why) {
        tstatus_fail(o, REC_INVALID, why, NULL);
        return;
    }
    if (!records_ticket_status_known(to)) {
        tstatus_fail(o, REC_INVALID, "status", NULL);
        return;
    }
    snprintf(o->to, sizeof o->to, "%s", to);
    snprintf(o->note, sizeof o->note, "%s", note ? note : "");
    store_cmdf(o->store, on_tstatus_read, o, "HMGET " REC_PREFIX "ticket:%s status category",
               o->ref);
}
