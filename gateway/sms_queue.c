/*
 * sms_queue.c: the outbound SMS queue in Redis and its sender; see sms_queue.h for the
 * keys.
 *
 * Four Lua scripts do every multi-key change (EVALSHA, EVAL when Redis lost them):
 * enqueue, tick (take in the dialogs' list, fail expired messages, claim due ones with a
 * lease), result (record a send: sent, retry later, failed, or released untried) and
 * receipt. A tick is one round trip; it runs every sms_poll_ms, at once after a local
 * enqueue, and again as soon as a full batch has been answered.
 *
 * Delivery semantics: a message is claimed by one process at a time (the lease token
 * must match for its result to count). The SMSC sees it at least once and, unless a
 * process dies (or loses Redis for longer than it retries) between the submit_sm_resp
 * and the recording of the result, exactly once: such a message is sent again when its
 * lease runs out. Parts already accepted are remembered, so a retry of a long message
 * sends only the parts that were not (with the same concatenation reference).
 *
 * Ownership: a struct sreq is one store request; a struct job is one claimed message,
 * from the claim until its result is recorded. sms_queue_free orphans both (q = NULL):
 * the store and the links always call back, and those callbacks free them.
 */
#include "sms_queue.h"

#include <event2/event.h>
#include <event2/util.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dialog.h"
#include "log.h"
#include "smpp_link.h"
#include "sms_codec.h"
#include "store.h"

#define SMS_BATCH 10           /* messages claimed per tick at most */
#define SMS_SCAN_EXTRA 20      /* due entries a tick looks at beyond its claims (expiry) */
#define SMS_INTAKE_MAX 100     /* records taken from the dialogs' list per tick */
#define SMS_STOP_WAIT_MS 5000  /* sms_queue_stop: longest wait for messages in flight */
#define SMS_RESULT_TRIES 20    /* recording a result: attempts, SMS_RESULT_RETRY_MS apart */
#define SMS_RESULT_RETRY_MS 500
#define SMS_LEASE_MIN_MS 60000
#define SMS_IDEM_MAX 200       /* octets of an idempotency key */

/* ---- the scripts ---- */

enum script { SC_ENQUEUE, SC_TICK, SC_RESULT, SC_RECEIPT, SC_N, SC_NONE = -1 };

/* ARGV: prefix, to, text, lang, now_ms, idem key ("" none), idem ttl s, parts.
 * Returns {id, 1} for a new message, {id, 0} when the key was used before. */
static const char enqueue_lua[] =
    "local p=ARGV[1]\n"
    "if ARGV[6]~='' then\n"
    " local old=redis.call('GET',p..'idem:'..ARGV[6])\n"
    " if old then return {old,0} end\n"
    "end\n"
    "local id=string.format('%d',redis.call('INCR',p..'seq'))\n"
    "redis.call('HSET',p..'msg:'..id,'to',ARGV[2],'text',ARGV[3],'lang',ARGV[4],\n"
    " 'state','queued','attempts','0','created_ms',ARGV[5],'next_ms',ARGV[5],\n"
    " 'key',ARGV[6],'parts',ARGV[8])\n"
    "redis.call('ZADD',p..'due',ARGV[5],id)\n"
    "if ARGV[6]~='' then redis.call('SET',p..'idem:'..ARGV[6],id,'EX',ARGV[7]) end\n"
    "return {id,1}\n";

/* ARGV: prefix, now_ms, limit, lease_ms, token, expiry_ms, scan, intake max, keep s,
 * the dialogs' list key. Returns {taken in, {bad records}, {id, to, attempts}...
 * expired, {id, to, text, attempts, smsc_ids}... claimed, the list key's type when it
 * is not a list}. */
static const char tick_lua[] =
    "local p=ARGV[1]\n"
    "local now=tonumber(ARGV[2])\n"
    "local limit=tonumber(ARGV[3])\n"
    "local lease=string.format('%d',now+tonumber(ARGV[4]))\n"
    "local expiry=tonumber(ARGV[6])\n"
    "local keep=ARGV[9]\n"
    "local list=ARGV[10]\n"
    "local n_in=0\n"
    "local bad,exp,cl={},{},{}\n"
    "local t=redis.call('TYPE',list)['ok']\n"
    "if t=='list' then\n"
    " for i=1,tonumber(ARGV[8]) do\n"
    "  local r=redis.call('LPOP',list)\n"
    "  if not r then break end\n"
    "  local ok,o=pcall(cjson.decode,r)\n"
    "  if ok and type(o)=='table' and type(o.to)=='string' and type(o.text)=='string' then\n"
    "   local id=string.format('%d',redis.call('INCR',p..'seq'))\n"
    "   local c=now\n"
    "   if type(o.queued_at)=='number' and o.queued_at>0 and o.queued_at*1000<now then\n"
    "    c=o.queued_at*1000 end\n"
    "   local lang=''\n"
    "   if type(o.lang)=='string' then lang=o.lang end\n"
    "   redis.call('HSET',p..'msg:'..id,'to',o.to,'text',o.text,'lang',lang,'state','queued',\n"
    "    'attempts','0','created_ms',string.format('%d',c),'next_ms',ARGV[2],'key','')\n"
    "   redis.call('ZADD',p..'due',ARGV[2],id)\n"
    "   n_in=n_in+1\n"
    "  else\n"
    "   bad[#bad+1]=string.sub(r,1,200)\n"
    "  end\n"
    " end\n"
    "end\n"
    "local wrong=''\n"
    "if t~='list' and t~='none' then wrong=t end\n"
    "local nc=0\n"
    "local ids=redis.call('ZRANGEBYSCORE',p..'due','-inf',ARGV[2],'LIMIT',0,tonumber(ARGV[7]))\n"
    "for _,id in ipairs(ids) do\n"
    " local k=p..'msg:'..id\n"
    " local h=redis.call('HMGET',k,'state','to','text','created_ms','attempts','smsc_ids')\n"
    " if h[1]~='queued' and h[1]~='sending' then\n"
    "  redis.call('ZREM',p..'due',id)\n"
    " elseif now-(tonumber(h[4]) or now)>expiry then\n"
    "  redis.call('HSET',k,'state','failed','error','expired','done_ms',ARGV[2])\n"
    "  redis.call('HDEL',k,'lease')\n"
    "  redis.call('ZREM',p..'due',id)\n"
    "  redis.call('EXPIRE',k,keep)\n"
    "  exp[#exp+1]=id exp[#exp+1]=h[2] or '' exp[#exp+1]=h[5] or '0'\n"
    " elseif nc<limit then\n"
    "  local a=string.format('%d',(tonumber(h[5]) or 0)+1)\n"
    "  redis.call('HSET',k,'state','sending','attempts',a,'next_ms',lease,'lease',ARGV[5])\n"
    "  redis.call('ZADD',p..'due',lease,id)\n"
    "  cl[#cl+1]=id cl[#cl+1]=h[2] or '' cl[#cl+1]=h[3] or '' cl[#cl+1]=a cl[#cl+1]=h[6] or ''\n"
    "  nc=nc+1\n"
    " end\n"
    "end\n"
    "return {n_in,bad,exp,cl,wrong}\n";

/* Shared by the result and receipt scripts: record the receipt of one part, and settle
 * the message's state once every part is delivered or one has failed. */
#define RECEIPT_FUNCS_LUA                                                                \
    "local FAIL={EXPIRED=1,DELETED=1,UNDELIV=1,UNKNOWN=1,REJECTD=1}\n"                  \
    "local function rcpt(k,raw,stat,err)\n"                                              \
    " local prev=redis.call('HGET',k,'r:'..raw)\n"                                       \
    " redis.call('HSET',k,'r:'..raw,stat)\n"                                             \
    " if stat=='DELIVRD' and prev~='DELIVRD' then redis.call('HINCRBY',k,'dlvrd',1) end\n" \
    " if FAIL[stat] then redis.call('HSET',k,'rfail',stat..' err:'..err) end\n"          \
    "end\n"                                                                              \
    "local function settle(k,now)\n"                                                     \
    " local h=redis.call('HMGET',k,'state','parts','dlvrd','rfail')\n"                   \
    " if h[1]~='sent' then return h[1] or '' end\n"                                      \
    " if h[4] then\n"                                                                    \
    "  redis.call('HSET',k,'state','failed','error','receipt '..h[4],'done_ms',now)\n"   \
    "  return 'failed'\n"                                                                \
    " end\n"                                                                             \
    " if (tonumber(h[3]) or 0)>=(tonumber(h[2]) or 1) then\n"                            \
    "  redis.call('HSET',k,'state','delivered','done_ms',now)\n"                         \
    "  return 'delivered'\n"                                                             \
    " end\n"                                                                             \
    " return 'sent'\n"                                                                   \
    "end\n"

/* ARGV: prefix, id, token, kind (sent|temp|perm|release), now_ms, error, retry min ms,
 * retry max ms, expiry ms, keep s, smsc_ids, parts, then per part: raw id, hex_as_dec,
 * dec_as_hex ("" for a part not accepted). Returns {outcome, detail}: {'sent', state},
 * {'retry', delay ms}, {'failed', reason}, {'queued', ''}, {'stale', state}, {'gone', ''}. */
static const char result_lua[] =
    RECEIPT_FUNCS_LUA
    "local p,id,tok,kind=ARGV[1],ARGV[2],ARGV[3],ARGV[4]\n"
    "local now=tonumber(ARGV[5])\n"
    "local keep=ARGV[10]\n"
    "local k=p..'msg:'..id\n"
    "local h=redis.call('HMGET',k,'state','lease','attempts','created_ms')\n"
    "if not h[1] then return {'gone',''} end\n"
    "if h[2]~=tok then return {'stale',h[1]} end\n"
    "for i=13,#ARGV-2,3 do\n"
    " local raw,x,d=ARGV[i],ARGV[i+1],ARGV[i+2]\n"
    " if raw~='' and raw~='-' then\n"
    "  local v=id..'|'..raw\n"
    "  local parked={p..'rcpt:'..raw}\n"
    "  redis.call('SET',p..'smsc:'..raw,v,'EX',keep)\n"
    "  if x~='' then redis.call('SET',p..'smscx:'..x,v,'EX',keep) parked[#parked+1]=p..'rcptx:'..x end\n"
    "  if d~='' then redis.call('SET',p..'smscd:'..d,v,'EX',keep) parked[#parked+1]=p..'rcptd:'..d end\n"
    "  for _,pk in ipairs(parked) do\n"
    "   local r=redis.call('GET',pk)\n"
    "   if r then\n"
    "    local st,err=string.match(r,'^([^|]*)|(.*)$')\n"
    "    if st and redis.call('HEXISTS',k,'r:'..raw)==0 then rcpt(k,raw,st,err) end\n"
    "    redis.call('DEL',pk)\n"
    "   end\n"
    "  end\n"
    " end\n"
    "end\n"
    "redis.call('HSET',k,'smsc_ids',ARGV[11],'parts',ARGV[12])\n"
    "redis.call('HDEL',k,'lease')\n"
    "if kind=='sent' then\n"
    " redis.call('HSET',k,'state','sent','sent_ms',ARGV[5],'error','')\n"
    " redis.call('ZREM',p..'due',id)\n"
    " redis.call('EXPIRE',k,keep)\n"
    " return {'sent',settle(k,ARGV[5])}\n"
    "end\n"
    "if kind=='release' then\n"
    " local a=(tonumber(h[3]) or 1)-1\n"
    " if a<0 then a=0 end\n"
    " redis.call('HSET',k,'state','queued','attempts',string.format('%d',a),'next_ms',ARGV[5])\n"
    " redis.call('ZADD',p..'due',ARGV[5],id)\n"
    " return {'queued',''}\n"
    "end\n"
    "local created=tonumber(h[4]) or now\n"
    "if kind=='temp' and now-created<=tonumber(ARGV[9]) then\n"
    " local a=tonumber(h[3]) or 1\n"
    " local d=tonumber(ARGV[7])\n"
    " local mx=tonumber(ARGV[8])\n"
    " for i=2,a do d=d*2 if d>=mx then break end end\n"
    " if d>mx then d=mx end\n"
    " local nx=string.format('%d',now+d)\n"
    " redis.call('HSET',k,'state','queued','next_ms',nx,'error',ARGV[6])\n"
    " redis.call('ZADD',p..'due',nx,id)\n"
    " return {'retry',string.format('%d',d)}\n"
    "end\n"
    "local e=ARGV[6]\n"
    "if kind=='temp' then e='expired, last error '..e end\n"
    "redis.call('HSET',k,'state','failed','error',e,'done_ms',ARGV[5])\n"
    "redis.call('ZREM',p..'due',id)\n"
    "redis.call('EXPIRE',k,keep)\n"
    "return {'failed',e}\n";

/* ARGV: prefix, raw id, dec_as_dec, hex_as_hex, stat, err, now_ms, park s.
 * Returns {'ok', id, state, to} or {'unknown'}. A match through a converted form only
 * counts for a message still waiting for that part's receipt. */
static const char receipt_lua[] =
    RECEIPT_FUNCS_LUA
    "local p=ARGV[1]\n"
    "local function find(key,alt)\n"
    " local v=redis.call('GET',key)\n"
    " if not v then return nil end\n"
    " local id,raw=string.match(v,'^([^|]+)|(.+)$')\n"
    " if not id then return nil end\n"
    " local k=p..'msg:'..id\n"
    " local st=redis.call('HGET',k,'state')\n"
    " if not st then return nil end\n"
    " if alt and (st=='delivered' or st=='failed' or redis.call('HEXISTS',k,'r:'..raw)==1) then\n"
    "  return nil end\n"
    " return id,raw,k\n"
    "end\n"
    "local id,raw,k=find(p..'smsc:'..ARGV[2],false)\n"
    "if not id and ARGV[3]~='' then id,raw,k=find(p..'smscx:'..ARGV[3],true) end\n"
    "if not id and ARGV[4]~='' then id,raw,k=find(p..'smscd:'..ARGV[4],true) end\n"
    "if not id then\n"
    " local v=ARGV[5]..'|'..ARGV[6]\n"
    " redis.call('SET',p..'rcpt:'..ARGV[2],v,'EX',ARGV[8])\n"
    " if ARGV[3]~='' then redis.call('SET',p..'rcptx:'..ARGV[3],v,'EX',ARGV[8]) end\n"
    " if ARGV[4]~='' then redis.call('SET',p..'rcptd:'..ARGV[4],v,'EX',ARGV[8]) end\n"
    " return {'unknown'}\n"
    "end\n"
    "rcpt(k,raw,ARGV[5],ARGV[6])\n"
    "local st=settle(k,ARGV[7])\n"
    "return {'ok',id,st,redis.call('HGET',k,'to') or ''}\n";

static const char *const script_src[SC_N] = {enqueue_lua, tick_lua, result_lua, receipt_lua};
static const char *const script_name[SC_N] = {"enqueue", "tick", "result", "receipt"};

/* ---- types ---- */

enum req_kind { RQ_ENQUEUE, RQ_TICK, RQ_RESULT, RQ_RECEIPT, RQ_LOOKUP };

struct job;

/* One store request. Its argv is kept for the EVAL fallback after NOSCRIPT. */
struct sreq {
    struct sreq *prev, *next;
    struct sms_queue *q; /* NULL once orphaned by sms_queue_free */
    enum req_kind kind;
    enum script sc;
    int retried;
    struct job *job;     /* RQ_RESULT */
    sms_enqueue_cb enq_cb;
    sms_lookup_cb look_cb;
    void *arg;
    char note[72];       /* RQ_ENQUEUE: masked number; RQ_RECEIPT: SMSC id; RQ_LOOKUP: id */
    char token[64];      /* RQ_TICK: the lease token of its claims */
    int limit;           /* RQ_TICK: claims asked for */
    int argc;
    const char **argv;
    size_t *lens;
};

struct qlink {
    struct smpp_link *link;
    const struct link_config *lc;
};

/* A part's handle at the link: the callback's arg. */
struct part_ref {
    struct job *j;
    int idx;
};

struct job {
    struct job *prev, *next;
    struct sms_queue *q;   /* NULL once orphaned: the last part callback frees the job */
    char id[24];
    char token[64];        /* the lease this process holds the message under */
    char sent_token[64];   /* the token of the result being recorded */
    char to[24];
    char *text;
    size_t text_len;
    int attempts;
    int n_parts;
    int pending;           /* parts handed to the link, not answered yet */
    int sent_now;          /* parts accepted by the SMSC in this attempt */
    int link;              /* index in q->links, -1 none */
    uint32_t status;       /* first failure of this attempt, 0 none */
    int perm;              /* a failure that no retry will cure */
    int release;           /* nothing was sent: give the attempt back */
    char error[96];        /* reason for a perm failure found before any submit */
    int recording;         /* the result script is in flight */
    int tries;             /* result recordings tried */
    const char *kind;      /* the result being recorded */
    struct event *t_retry;
    struct part_ref refs[SMS_MAX_PARTS];
    char smsc[SMS_MAX_PARTS][SMS_ID_MAX + 1]; /* "" until the part is accepted */
};

struct sms_queue {
    struct event_base *base;
    struct store *store;
    const struct config *cfg;
    struct qlink links[CONFIG_MAX_LINKS];
    int n_links;
    int rr;
    long lease_ms;
    char sha[SC_N][41];
    char proc[40];          /* this process's part of lease tokens */
    unsigned long ticks;
    struct event *t_poll, *t_kick, *t_stop, *t_done;
    int started, stopping, stop_fired;
    int tick_pending, again, more;
    int redis_down;         /* the last tick failed (log the change only) */
    int list_wrong;         /* the dialogs' list key has another type (likewise) */
    void (*stop_cb)(void *arg);
    void *stop_arg;
    struct sreq *reqs;
    struct job *jobs;
    int n_jobs;
};

static void sreq_cb(void *arg, int status, const struct redisReply *r);
static void job_send(struct job *j);
static void job_record(struct job *j);
static void job_done(struct job *j);
static void kick(struct sms_queue *q);
static void check_stopped(struct sms_queue *q);

/* ---- small helpers ---- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void arm_ms(struct event *ev, long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static const redisReply *elem(const redisReply *r, size_t i)
{
    return r && r->type == REDIS_REPLY_ARRAY && i < r->elements ? r->element[i] : NULL;
}

/* A string (or status, or integer) reply as a C string in out; 0, or -1 (then out ""). */
static int rstr(const redisReply *e, char *out, size_t cap)
{
    out[0] = '\0';
    if (!e)
        return -1;
    if (e->type == REDIS_REPLY_INTEGER) {
        snprintf(out, cap, "%lld", (long long)e->integer);
        return 0;
    }
    if ((e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS) || !e->str)
        return -1;
    size_t n = e->len < cap - 1 ? e->len : cap - 1;
    memcpy(out, e->str, n);
    out[n] = '\0';
    if (memchr(out, '\0', n))
        return -1;
    return 0;
}

static long long rnum(const redisReply *e, long long def)
{
    char b[32], *end;
    if (e && e->type == REDIS_REPLY_INTEGER)
        return e->integer;
    if (rstr(e, b, sizeof b) != 0 || !b[0])
        return def;
    long long v = strtoll(b, &end, 10);
    return *end ? def : v;
}

static int rarray(const redisReply *e)
{
    return e && e->type == REDIS_REPLY_ARRAY;
}

/* SHA-1 of a script, in hex, for EVALSHA. */
static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
    uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

static void sha1_hex(const char *s, char out[41])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t n = strlen(s), i = 0;
    unsigned char blk[64];
    for (; n - i >= 64; i += 64)
        sha1_block(h, (const unsigned char *)s + i);
    size_t rest = n - i;
    memset(blk, 0, sizeof blk);
    memcpy(blk, s + i, rest);
    blk[rest] = 0x80;
    if (rest >= 56) {
        sha1_block(h, blk);
        memset(blk, 0, sizeof blk);
    }
    uint64_t bits = (uint64_t)n * 8;
    for (int k = 0; k < 8; k++)
        blk[63 - k] = (unsigned char)(bits >> (8 * k));
    sha1_block(h, blk);
    for (int k = 0; k < 5; k++)
        snprintf(out + 8 * k, 9, "%08x", h[k]);
}

/* ---- store requests ---- */

/* A request carrying copies of argv[2..] (argv[0..1] are the command and the script,
 * filled in at send time). Returns NULL when memory is short. */
static struct sreq *sreq_new(struct sms_queue *q, enum req_kind kind, enum script sc, int nargs,
                             const char *const *args, const size_t *lens)
{
    int argc = nargs + 3; /* EVALSHA sha numkeys args... */
    size_t total = sizeof(struct sreq) + (size_t)argc * (sizeof(char *) + sizeof(size_t));
    for (int i = 0; i < nargs; i++)
        total += (lens ? lens[i] : strlen(args[i])) + 1;
    struct sreq *rq = calloc(1, total);
    if (!rq)
        return NULL;
    rq->q = q;
    rq->kind = kind;
    rq->sc = sc;
    rq->argc = argc;
    rq->argv = (const char **)(rq + 1);
    rq->lens = (size_t *)(rq->argv + argc);
    char *p = (char *)(rq->lens + argc);
    rq->argv[2] = "0";
    rq->lens[2] = 1;
    for (int i = 0; i < nargs; i++) {
        size_t n = lens ? lens[i] : strlen(args[i]);
        memcpy(p, args[i], n);
        p[n] = '\0';
        rq->argv[3 + i] = p;
        rq->lens[3 + i] = n;
        p += n + 1;
    }
    return rq;
}

static void sreq_send(struct sreq *rq)
{
    struct sms_queue *q = rq->q;
    if (rq->retried) {
        rq->argv[0] = "EVAL";
        rq->argv[1] = script_src[rq->sc];
    } else {
        rq->argv[0] = "EVALSHA";
        rq->argv[1] = q->sha[rq->sc];
    }
    rq->lens[0] = strlen(rq->argv[0]);
    rq->lens[1] = strlen(rq->argv[1]);
    store_cmd(q->store, sreq_cb, rq, rq->argc, rq->argv, rq->lens);
}

static void sreq_link(struct sms_queue *q, struct sreq *rq)
{
    rq->next = q->reqs;
    if (q->reqs)
        q->reqs->prev = rq;
    q->reqs = rq;
}

static void sreq_unlink(struct sms_queue *q, struct sreq *rq)
{
    if (rq->prev)
        rq->prev->next = rq->next;
    else
        q->reqs = rq->next;
    if (rq->next)
        rq->next->prev = rq->prev;
    rq->prev = rq->next = NULL;
}

/* Run script sc with args; the reply goes to the handler of `kind`. 0, or -1 (no memory:
 * nothing was sent). */
static int run_script(struct sms_queue *q, enum req_kind kind, enum script sc, int nargs,
                      const char *const *args, const size_t *lens, struct sreq **out)
{
    struct sreq *rq = sreq_new(q, kind, sc, nargs, args, lens);
    if (!rq)
        return -1;
    sreq_link(q, rq);
    if (out)
        *out = rq;
    sreq_send(rq);
    return 0;
}

/* ---- links ---- */

static int link_bound(const struct qlink *l)
{
    return smpp_link_state(l->link) == SMPP_LINK_BOUND;
}

/* Submits the sender may add to this link now: its window less what is outstanding or
 * queued, keeping a quarter of it for USSD replies; with a TPS cap, no more than one
 * poll period's worth (plus one) waiting at the link, so that a USSD reply never queues
 * behind seconds of SMS. */
static int link_free(const struct sms_queue *q, const struct qlink *l)
{
    if (!link_bound(l))
        return 0;
    int w = l->lc->window > 0 ? l->lc->window : 10;
    int queued = smpp_link_queued(l->link);
    int f = w - w / 4 - smpp_link_outstanding(l->link) - queued;
    if (l->lc->tps > 0) {
        long per_poll = ((long)l->lc->tps * q->cfg->sms_poll_ms + 999) / 1000 + 1;
        if (per_poll - queued < f)
            f = (int)(per_poll - queued);
    }
    return f > 0 ? f : 0;
}

/* The next bound link, round-robin; -1 when none is bound. */
static int pick_link(struct sms_queue *q)
{
    for (int k = 0; k < q->n_links; k++) {
        int i = (q->rr + k) % q->n_links;
        if (link_bound(&q->links[i])) {
            q->rr = (i + 1) % q->n_links;
            return i;
        }
    }
    return -1;
}

/* ---- jobs ---- */

static void job_free(struct job *j)
{
    if (j->t_retry)
        event_free(j->t_retry);
    free(j->text);
    free(j);
}

static void job_unlink(struct sms_queue *q, struct job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        q->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->prev = j->next = NULL;
    q->n_jobs--;
}

static struct job *job_find(struct sms_queue *q, const char *id)
{
    for (struct job *j = q->jobs; j; j = j->next)
        if (strcmp(j->id, id) == 0)
            return j;
    return NULL;
}

static void result_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    (void)fd;
    (void)what;
    job_record(j);
}

/* A claimed message from the tick's reply: id, to, text, attempts, smsc_ids. */
static struct job *job_new(struct sms_queue *q, const redisReply *const *f, const char *token)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->q = q;
    j->link = -1;
    for (int i = 0; i < SMS_MAX_PARTS; i++) {
        j->refs[i].j = j;
        j->refs[i].idx = i;
    }
    snprintf(j->token, sizeof j->token, "%s", token);
    if (rstr(f[0], j->id, sizeof j->id) != 0 || !j->id[0]) {
        free(j);
        return NULL;
    }
    rstr(f[1], j->to, sizeof j->to);
    j->attempts = (int)rnum(f[3], 1);
    if (f[2] && f[2]->type == REDIS_REPLY_STRING && f[2]->len <= SMS_TEXT_MAX) {
        j->text = malloc(f[2]->len + 1);
        if (!j->text) {
            free(j);
            return NULL;
        }
        memcpy(j->text, f[2]->str, f[2]->len);
        j->text[f[2]->len] = '\0';
        j->text_len = f[2]->len;
    } else
        snprintf(j->error, sizeof j->error, "text unreadable or too long");
    /* parts accepted by an earlier attempt: sent again only if missing */
    char ids[SMS_MAX_PARTS * (SMS_ID_MAX + 1) + 1];
    if (rstr(f[4], ids, sizeof ids) == 0 && ids[0]) {
        int k = 0;
        for (char *s = ids; k < SMS_MAX_PARTS; k++) {
            char *c = strchr(s, ',');
            size_t n = c ? (size_t)(c - s) : strlen(s);
            if (n <= SMS_ID_MAX) {
                memcpy(j->smsc[k], s, n);
                j->smsc[k][n] = '\0';
            }
            if (!c)
                break;
            s = c + 1;
        }
        /* k stops at SMS_MAX_PARTS when Redis holds more ids than a message can have */
        j->n_parts = k < SMS_MAX_PARTS ? k + 1 : SMS_MAX_PARTS;
    }
    j->t_retry = evtimer_new(q->base, result_retry_cb, j);
    if (!j->t_retry) {
        job_free(j);
        return NULL;
    }
    j->next = q->jobs;
    if (q->jobs)
        q->jobs->prev = j;
    q->jobs = j;
    q->n_jobs++;
    return j;
}

/* Statuses worth another attempt later. */
static int status_temporary(uint32_t st)
{
    return st == SMPP_LOCAL_LINK_DOWN || st == SMPP_LOCAL_TIMEOUT || st == SMPP_LOCAL_UNBINDING ||
           st == SMPP_LOCAL_QUEUE_FULL || st == SMPP_LOCAL_BAD_RESP || st == SMPP_ESME_RTHROTTLED ||
           st == SMPP_ESME_RMSGQFUL;
}

static void note_failure(struct job *j, uint32_t st)
{
    if (!status_temporary(st))
        j->perm = 1;
    if (!j->status || (!status_temporary(st) && status_temporary(j->status)))
        j->status = st;
}

static void job_finish(struct job *j)
{
    int all = j->n_parts > 0;
    for (int i = 0; i < j->n_parts; i++)
        if (!j->smsc[i][0])
            all = 0;
    if (all && !j->error[0])
        j->kind = "sent";
    else if (j->perm || j->error[0])
        j->kind = "perm";
    else if (j->release && j->sent_now == 0)
        j->kind = "release";
    else
        j->kind = "temp";
    j->tries = 0;
    job_record(j);
}

static void on_part_resp(void *arg, uint32_t status, const struct smpp_msg *resp)
{
    struct part_ref *ref = arg;
    struct job *j = ref->j;
    j->pending--;
    if (status == 0) {
        struct sms_id_forms f;
        /* an accepted part without a usable id is still sent: "-" marks it */
        if (resp && sms_id_forms(resp->message_id, &f) == 0)
            snprintf(j->smsc[ref->idx], sizeof j->smsc[ref->idx], "%s", f.raw);
        else
            snprintf(j->smsc[ref->idx], sizeof j->smsc[ref->idx], "-");
        j->sent_now++;
    } else
        note_failure(j, status);
    if (j->pending > 0)
        return;
    if (!j->q) {
        job_free(j);
        return;
    }
    job_finish(j);
}

/* source_addr TON/NPI for the configured sender: a short code (TON 0 "unknown", NPI 1),
 * an international number given with '+' (1/1) or an alphanumeric name (5/0). */
static void source_ton_npi(const char *s, uint8_t *ton, uint8_t *npi)
{
    int digits = *s != '\0';
    for (const char *c = *s == '+' ? s + 1 : s; *c; c++)
        if (*c < '0' || *c > '9')
            digits = 0;
    if (!digits) {
        *ton = 5;
        *npi = 0;
    } else if (*s == '+') {
        *ton = 1;
        *npi = 1;
    } else {
        *ton = 0;
        *npi = 1;
    }
}

static void job_send(struct job *j)
{
    struct sms_queue *q = j->q;
    const struct config *cfg = q->cfg;
    struct sms_encoded enc;

    if (j->error[0]) {
        job_finish(j);
        return;
    }
    if (!sms_msisdn_ok(j->to)) {
        snprintf(j->error, sizeof j->error, "bad number");
        job_finish(j);
        return;
    }
    uint8_t ref = (uint8_t)strtoul(j->id, NULL, 10); /* the same on every attempt */
    int rc = sms_encode(j->text, j->text_len, ref, cfg->sms_max_parts, &enc);
    if (rc != SMS_ENC_OK) {
        snprintf(j->error, sizeof j->error, "%s", sms_encode_error(rc));
        job_finish(j);
        return;
    }
    if (j->n_parts != enc.n_parts) /* ids from an attempt that split differently: ignore */
        memset(j->smsc, 0, sizeof j->smsc);
    j->n_parts = enc.n_parts;
    j->link = pick_link(q);
    if (j->link < 0) {
        j->release = 1;
        job_finish(j);
        return;
    }
    struct smpp_msg m;
    smpp_msg_init(&m, SMPP_CMD_SUBMIT_SM);
    snprintf(m.source_addr, sizeof m.source_addr, "%s",
             cfg->sms_source[0] == '+' ? cfg->sms_source + 1 : cfg->sms_source);
    source_ton_npi(cfg->sms_source, &m.source_addr_ton, &m.source_addr_npi);
    m.dest_addr_ton = 1;
    m.dest_addr_npi = 1;
    const char *dest = j->to[0] == '+' ? j->to + 1 : j->to; /* checked: at most 20 digits */
    memcpy(m.destination_addr, dest, strlen(dest) + 1);
    m.esm_class = enc.esm_class;
    m.registered_delivery = cfg->sms_receipts ? 1 : 0;
    m.data_coding = enc.data_coding;
    for (int i = 0; i < enc.n_parts; i++) {
        if (j->smsc[i][0])
            continue;
        m.sm_length = (uint8_t)enc.part[i].len;
        memcpy(m.short_message, enc.part[i].octets, enc.part[i].len);
        uint32_t st = smpp_link_submit(q->links[j->link].link, &m, 0, on_part_resp, &j->refs[i]);
        if (st == 0) {
            j->pending++;
            continue;
        }
        /* refused before it was sent: the link went down or is full; try again later */
        if (st == SMPP_LOCAL_LINK_DOWN || st == SMPP_LOCAL_UNBINDING || st == SMPP_LOCAL_QUEUE_FULL) {
            if (j->pending == 0)
                j->release = 1;
        }
        note_failure(j, st);
        break;
    }
    if (j->pending == 0)
        job_finish(j);
}

/* Record j's result (j->kind) with one script. */
static void job_record(struct job *j)
{
    struct sms_queue *q = j->q;
    const struct config *cfg = q->cfg;
    enum { FIXED = 12 };
    const char *args[FIXED + 3 * SMS_MAX_PARTS];
    char now[24], rmin[16], rmax[16], exp[24], keep[16], parts[16];
    char ids[SMS_MAX_PARTS * (SMS_ID_MAX + 1) + 1];
    char err[96];
    struct sms_id_forms forms[SMS_MAX_PARTS];

    snprintf(now, sizeof now, "%lld", now_ms());
    snprintf(rmin, sizeof rmin, "%d", cfg->sms_retry_min_ms);
    snprintf(rmax, sizeof rmax, "%d", cfg->sms_retry_max_ms);
    snprintf(exp, sizeof exp, "%lld", (long long)cfg->sms_expiry_s * 1000);
    snprintf(keep, sizeof keep, "%d", SMS_KEEP_S);
    snprintf(parts, sizeof parts, "%d", j->n_parts);
    if (j->error[0])
        snprintf(err, sizeof err, "%s", j->error);
    else if (j->status)
        snprintf(err, sizeof err, "%s", smpp_status_name(j->status));
    else
        err[0] = '\0';
    size_t off = 0;
    ids[0] = '\0';
    int n = FIXED;
    for (int i = 0; i < j->n_parts && i < SMS_MAX_PARTS; i++) {
        off += (size_t)snprintf(ids + off, sizeof ids - off, "%s%s", i ? "," : "", j->smsc[i]);
        if (off >= sizeof ids)
            off = sizeof ids - 1;
        memset(&forms[i], 0, sizeof forms[i]);
        if (j->smsc[i][0] && strcmp(j->smsc[i], "-") != 0)
            sms_id_forms(j->smsc[i], &forms[i]);
        args[n++] = forms[i].raw;
        args[n++] = forms[i].hex_as_dec;
        args[n++] = forms[i].dec_as_hex;
    }
    const char *fixed[FIXED] = {SMS_KEY_PREFIX, j->id, j->token, j->kind, now, err,
                                rmin, rmax, exp, keep, ids, parts};
    memcpy(args, fixed, sizeof fixed);
    struct sreq *rq = NULL;
    j->tries++;
    j->recording = 1;
    memcpy(j->sent_token, j->token, sizeof j->sent_token);
    if (run_script(q, RQ_RESULT, SC_RESULT, n, args, NULL, &rq) != 0) {
        j->recording = 0;
        if (j->tries < SMS_RESULT_TRIES)
            arm_ms(j->t_retry, SMS_RESULT_RETRY_MS);
        else
            job_done(j);
        return;
    }
    rq->job = j;
}

static void job_done(struct job *j)
{
    struct sms_queue *q = j->q;
    job_unlink(q, j);
    job_free(j);
    if (q->more && !q->stopping) {
        q->more = 0;
        kick(q);
    }
    check_stopped(q);
}

static void on_result(struct sms_queue *q, struct job *j, int status, const redisReply *r)
{
    char what[16], detail[128], m[32], ids[SMS_MAX_PARTS * (SMS_ID_MAX + 1) + 1], dq[160];
    j->recording = 0;
    if (status != STORE_OK || rstr(elem(r, 0), what, sizeof what) != 0) {
        if (j->tries < SMS_RESULT_TRIES) {
            if (j->tries == 1)
                log_event(L_WARN, "sms.result_retry", "id=%s result=%s redis=%s", j->id, j->kind,
                          r && r->type == REDIS_REPLY_ERROR ? "error" : "unavailable");
            arm_ms(j->t_retry, SMS_RESULT_RETRY_MS);
            return;
        }
        log_event(L_ERROR, "sms.result_lost", "id=%s result=%s lease_ms=%ld", j->id, j->kind, q->lease_ms);
        job_done(j);
        return;
    }
    rstr(elem(r, 1), detail, sizeof detail);
    log_msisdn(j->to, m, sizeof m);
    size_t off = 0;
    ids[0] = '\0';
    for (int i = 0; i < j->n_parts; i++) {
        off += (size_t)snprintf(ids + off, sizeof ids - off, "%s%s", i ? "," : "", j->smsc[i]);
        if (off >= sizeof ids)
            off = sizeof ids - 1;
    }
    const char *link = j->link >= 0 ? q->links[j->link].lc->name : "-";
    if (strcmp(what, "sent") == 0)
        log_event(L_INFO, "sms.sent", "id=%s msisdn=%s parts=%d smsc_id=%s attempt=%d link=%s state=%s",
                  j->id, m, j->n_parts, ids, j->attempts, link, detail);
    else if (strcmp(what, "retry") == 0)
        log_event(L_INFO, "sms.retry", "id=%s msisdn=%s attempt=%d status=%s sent_parts=%d/%d retry_in_ms=%s",
                  j->id, m, j->attempts, smpp_status_name(j->status), j->sent_now, j->n_parts, detail);
    else if (strcmp(what, "failed") == 0)
        log_event(L_WARN, "sms.failed", "id=%s msisdn=%s attempts=%d reason=%s", j->id, m, j->attempts,
                  log_q(detail, dq, sizeof dq));
    else if (strcmp(what, "queued") == 0)
        log_event(L_DEBUG, "sms.released", "id=%s", j->id);
    else if (strcmp(what, "stale") == 0 && strcmp(j->sent_token, j->token) != 0) {
        /* claimed again by this process while the result was on its way: record it
         * under the new lease */
        job_record(j);
        return;
    } else if (strcmp(what, "stale") == 0 && j->tries > 1)
        /* an earlier try was written but its reply was lost */
        log_event(L_INFO, "sms.result_recorded", "id=%s result=%s state=%s", j->id, j->kind,
                  detail[0] ? detail : "-");
    else
        log_event(L_WARN, "sms.result_stale", "id=%s result=%s found=%s state=%s", j->id, j->kind, what,
                  detail[0] ? detail : "-");
    job_done(j);
}

/* ---- the tick: take in, expire, claim, send ---- */

static void tick(struct sms_queue *q)
{
    if (!q->started || q->stopping)
        return;
    if (q->tick_pending) {
        q->again = 1;
        return;
    }
    int free_slots = 0;
    for (int i = 0; i < q->n_links; i++)
        free_slots += link_free(q, &q->links[i]);
    int limit = free_slots < SMS_BATCH ? free_slots : SMS_BATCH;
    char now[24], lim[16], lease[24], token[64], exp[24], scan[16], intake[16], keep[16];
    snprintf(now, sizeof now, "%lld", now_ms());
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(lease, sizeof lease, "%ld", q->lease_ms);
    snprintf(token, sizeof token, "%s:%lu", q->proc, ++q->ticks);
    snprintf(exp, sizeof exp, "%lld", (long long)q->cfg->sms_expiry_s * 1000);
    snprintf(scan, sizeof scan, "%d", limit + SMS_SCAN_EXTRA);
    snprintf(intake, sizeof intake, "%d", SMS_INTAKE_MAX);
    snprintf(keep, sizeof keep, "%d", SMS_KEEP_S);
    const char *args[] = {SMS_KEY_PREFIX, now, lim, lease, token, exp, scan, intake, keep,
                          DIALOG_SMS_QUEUE};
    struct sreq *rq = NULL;
    if (run_script(q, RQ_TICK, SC_TICK, (int)(sizeof args / sizeof args[0]), args, NULL, &rq) == 0) {
        q->tick_pending = 1;
        rq->limit = limit;
        snprintf(rq->token, sizeof rq->token, "%s", token);
    }
}

static void on_tick(struct sms_queue *q, const struct sreq *rq, int status, const redisReply *r)
{
    char m[32], s[220], sq[480];
    const char *token = rq->token;
    int limit = rq->limit;
    q->tick_pending = 0;
    const redisReply *bad = elem(r, 1), *exp = elem(r, 2), *cl = elem(r, 3);
    if (status != STORE_OK || !rarray(bad) || !rarray(exp) || !rarray(cl)) {
        if (!q->redis_down)
            log_event(L_WARN, "sms.redis_unavailable", "reason=%s",
                      r && r->type == REDIS_REPLY_ERROR && r->str ? log_q(r->str, sq, sizeof sq)
                      : status == STORE_OK                      ? "unexpected_reply"
                                                                : "no_reply");
        q->redis_down = 1;
        check_stopped(q);
        return;
    }
    if (q->redis_down)
        log_event(L_INFO, "sms.redis_back", "ok=1");
    q->redis_down = 0;
    char wrong[32];
    rstr(elem(r, 4), wrong, sizeof wrong);
    if (wrong[0] && !q->list_wrong)
        log_event(L_ERROR, "sms.list_unusable", "key=%s type=%s", DIALOG_SMS_QUEUE, wrong);
    q->list_wrong = wrong[0] != '\0';
    long long n_in = rnum(elem(r, 0), 0);
    if (n_in > 0)
        log_event(L_INFO, "sms.intake", "records=%lld", n_in);
    for (size_t i = 0; i < bad->elements; i++) {
        rstr(bad->element[i], s, sizeof s);
        log_event(L_WARN, "sms.bad_record", "list=%s record=%s", DIALOG_SMS_QUEUE, log_q(s, sq, sizeof sq));
    }
    for (size_t i = 0; i + 2 < exp->elements; i += 3) {
        char id[24], to[24];
        rstr(exp->element[i], id, sizeof id);
        rstr(exp->element[i + 1], to, sizeof to);
        log_event(L_WARN, "sms.failed", "id=%s msisdn=%s attempts=%lld reason=expired expiry_s=%d", id,
                  log_msisdn(to, m, sizeof m), rnum(exp->element[i + 2], 0), q->cfg->sms_expiry_s);
    }
    size_t claimed = cl->elements / 5;
    for (size_t i = 0; i + 4 < cl->elements; i += 5) {
        const redisReply *const *f = (const redisReply *const *)&cl->element[i];
        char id[24];
        rstr(f[0], id, sizeof id);
        struct job *old = job_find(q, id);
        if (old) {
            /* still ours from a claim whose lease ran out: keep that send, under the new
             * lease, so that its result counts */
            snprintf(old->token, sizeof old->token, "%s", token);
            old->attempts = (int)rnum(f[3], old->attempts);
            continue;
        }
        struct job *j = id[0] ? job_new(q, f, token) : NULL;
        if (!j) {
            /* stays leased: retried when the lease runs out */
            log_event(L_ERROR, "sms.claim_unusable", "id=%s reason=%s", id[0] ? id : "-",
                      id[0] ? "no_memory" : "unreadable_reply");
            continue;
        }
        if (q->stopping) {
            j->kind = "release";
            job_record(j);
        } else
            job_send(j);
    }
    q->more = limit > 0 && claimed >= (size_t)limit;
    if (q->again && !q->stopping) {
        q->again = 0;
        kick(q);
    }
    check_stopped(q);
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sms_queue *q = arg;
    (void)fd;
    (void)what;
    tick(q);
    if (!q->stopping)
        arm_ms(q->t_poll, q->cfg->sms_poll_ms);
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    tick(arg);
}

static void kick(struct sms_queue *q)
{
    if (q->started && !q->stopping && !evtimer_pending(q->t_kick, NULL))
        arm_ms(q->t_kick, 0);
}

/* ---- enqueue, receipts, lookup: replies ---- */

static void on_enqueue(struct sms_queue *q, struct sreq *rq, int status, const redisReply *r)
{
    char id[24] = "";
    long long fresh = rnum(elem(r, 1), -1);
    sms_enqueue_cb cb = rq->enq_cb;
    void *arg = rq->arg;
    if (status != STORE_OK || rstr(elem(r, 0), id, sizeof id) != 0 || !id[0] || fresh < 0) {
        log_event(L_WARN, "sms.not_queued", "msisdn=%s reason=redis", rq->note);
        free(rq);
        cb(arg, -1, NULL);
        return;
    }
    if (fresh)
        log_event(L_INFO, "sms.queued", "id=%s msisdn=%s", id, rq->note);
    else
        log_event(L_INFO, "sms.duplicate", "id=%s msisdn=%s (idempotency key seen before)", id, rq->note);
    free(rq);
    kick(q);
    cb(arg, fresh ? 0 : 1, id); /* last: it may free the queue */
}

static void on_receipt(struct sms_queue *q, struct sreq *rq, int status, const redisReply *r)
{
    char what[16], id[24], st[16], to[24], m[32];
    (void)q;
    if (status != STORE_OK || rstr(elem(r, 0), what, sizeof what) != 0) {
        log_event(L_WARN, "sms.receipt_not_recorded", "smsc_id=%s redis=%s", rq->note,
                  r && r->type == REDIS_REPLY_ERROR ? "error" : "unavailable");
    } else if (strcmp(what, "ok") == 0) {
        rstr(elem(r, 1), id, sizeof id);
        rstr(elem(r, 2), st, sizeof st);
        rstr(elem(r, 3), to, sizeof to);
        log_event(L_INFO, "sms.receipt", "id=%s msisdn=%s smsc_id=%s state=%s", id,
                  log_msisdn(to, m, sizeof m), rq->note, st);
    } else
        log_event(L_INFO, "sms.receipt_unknown", "smsc_id=%s kept_s=%d", rq->note, SMS_PARK_S);
    free(rq);
}

static void on_lookup(struct sms_queue *q, struct sreq *rq, int status, const redisReply *r)
{
    enum { F_STATE, F_TO, F_TEXT, F_ATT, F_PARTS, F_DLV, F_IDS, F_ERR, F_KEY, F_CR, F_NX, F_SENT, F_DONE, F_N };
    static char text[SMS_TEXT_MAX + 1];
    char state[16], to[24], ids[SMS_MAX_PARTS * (SMS_ID_MAX + 1) + 1], err[256], key[SMS_IDEM_MAX + 1];
    char id[sizeof rq->note];
    sms_lookup_cb cb = rq->look_cb;
    void *arg = rq->arg;
    (void)q;
    memcpy(id, rq->note, sizeof id);
    free(rq);
    if (status != STORE_OK || !rarray(r) || r->elements != F_N) {
        cb(arg, -1, NULL);
        return;
    }
    if (rstr(r->element[F_STATE], state, sizeof state) != 0) {
        cb(arg, 1, NULL);
        return;
    }
    rstr(r->element[F_TO], to, sizeof to);
    rstr(r->element[F_TEXT], text, sizeof text);
    rstr(r->element[F_IDS], ids, sizeof ids);
    rstr(r->element[F_ERR], err, sizeof err);
    rstr(r->element[F_KEY], key, sizeof key);
    struct sms_info info = {
        .id = id, .state = state, .to = to, .text = text, .smsc_ids = ids, .error = err, .key = key,
        .attempts = (int)rnum(r->element[F_ATT], 0),
        .parts = (int)rnum(r->element[F_PARTS], 0),
        .parts_delivered = (int)rnum(r->element[F_DLV], 0),
        .created_ms = rnum(r->element[F_CR], 0),
        .next_ms = rnum(r->element[F_NX], 0),
        .sent_ms = rnum(r->element[F_SENT], 0),
        .done_ms = rnum(r->element[F_DONE], 0),
    };
    cb(arg, 0, &info);
}

static void sreq_cb(void *arg, int status, const struct redisReply *r)
{
    struct sreq *rq = arg;
    struct sms_queue *q = rq->q;
    if (!q) {
        if (rq->job)
            job_free(rq->job);
        free(rq);
        return;
    }
    if (status != STORE_OK && r && r->type == REDIS_REPLY_ERROR && r->str && rq->sc != SC_NONE &&
        !rq->retried && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        rq->retried = 1;
        sreq_send(rq);
        return;
    }
    if (status != STORE_OK && r && r->type == REDIS_REPLY_ERROR && r->str && rq->sc != SC_NONE &&
        rq->kind != RQ_TICK) { /* a failing tick is logged once, by on_tick */
        char e[300];
        log_event(L_WARN, "sms.script_error", "script=%s error=%s", script_name[rq->sc],
                  log_q(r->str, e, sizeof e));
    }
    sreq_unlink(q, rq);
    switch (rq->kind) {
    case RQ_TICK:
        on_tick(q, rq, status, r);
        free(rq);
        break;
    case RQ_RESULT: {
        struct job *j = rq->job;
        free(rq);
        on_result(q, j, status, r);
        break;
    }
    case RQ_ENQUEUE: on_enqueue(q, rq, status, r); break;
    case RQ_RECEIPT: on_receipt(q, rq, status, r); break;
    case RQ_LOOKUP: on_lookup(q, rq, status, r); break;
    }
}

/* ---- stopping ---- */

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sms_queue *q = arg;
    (void)fd;
    (void)what;
    if (q->stop_cb)
        q->stop_cb(q->stop_arg);
}

static void fire_stopped(struct sms_queue *q)
{
    if (q->stop_fired)
        return;
    q->stop_fired = 1;
    evtimer_del(q->t_stop);
    arm_ms(q->t_done, 0);
}

static void check_stopped(struct sms_queue *q)
{
    if (q->stopping && !q->tick_pending && q->n_jobs == 0)
        fire_stopped(q);
}

static void stop_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sms_queue *q = arg;
    (void)fd;
    (void)what;
    log_event(L_WARN, "sms.stop_timeout", "in_flight=%d (retried after their lease, %ld ms)", q->n_jobs,
              q->lease_ms);
    fire_stopped(q);
}

/* ---- public ---- */

struct sms_queue *sms_queue_new(struct event_base *base, struct store *store, const struct config *cfg)
{
    struct sms_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->base = base;
    q->store = store;
    q->cfg = cfg;
    q->lease_ms = SMS_LEASE_MIN_MS;
    for (int i = 0; i < SC_N; i++)
        sha1_hex(script_src[i], q->sha[i]);
    unsigned char rnd[6];
    evutil_secure_rng_get_bytes(rnd, sizeof rnd);
    snprintf(q->proc, sizeof q->proc, "%ld-%02x%02x%02x%02x%02x%02x", (long)getpid(), rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    q->t_poll = evtimer_new(base, poll_cb, q);
    q->t_kick = evtimer_new(base, kick_cb, q);
    q->t_stop = evtimer_new(base, stop_timeout_cb, q);
    q->t_done = evtimer_new(base, done_cb, q);
    if (!q->t_poll || !q->t_kick || !q->t_stop || !q->t_done) {
        sms_queue_free(q);
        return NULL;
    }
    return q;
}

void sms_queue_free(struct sms_queue *q)
{
    if (!q)
        return;
    struct sreq *rq = q->reqs;
    q->reqs = NULL;
    while (rq) {
        struct sreq *next = rq->next;
        rq->q = NULL;
        rq->prev = rq->next = NULL;
        if (rq->job)
            rq->job->q = NULL; /* freed with rq when the store calls back */
        if (rq->kind == RQ_ENQUEUE && rq->enq_cb) {
            rq->enq_cb(rq->arg, -1, NULL);
            rq->enq_cb = NULL;
        } else if (rq->kind == RQ_LOOKUP && rq->look_cb) {
            rq->look_cb(rq->arg, -1, NULL);
            rq->look_cb = NULL;
        }
        rq = next;
    }
    struct job *j = q->jobs;
    while (j) {
        struct job *next = j->next;
        j->q = NULL;
        j->prev = j->next = NULL;
        if (j->t_retry)
            evtimer_del(j->t_retry);
        if (j->pending == 0 && !j->recording)
            job_free(j);
        j = next;
    }
    if (q->t_poll)
        event_free(q->t_poll);
    if (q->t_kick)
        event_free(q->t_kick);
    if (q->t_stop)
        event_free(q->t_stop);
    if (q->t_done)
        event_free(q->t_done);
    free(q);
}

void sms_queue_add_link(struct sms_queue *q, struct smpp_link *link, const struct link_config *lc)
{
    if (!q || !link || !lc || q->n_links >= CONFIG_MAX_LINKS)
        return;
    q->links[q->n_links].link = link;
    q->links[q->n_links].lc = lc;
    q->n_links++;
    /* a lease must outlast the longest a submit can take to be answered by the link:
     * queue wait, then each throttled resend with its pause and response timer */
    struct smpp_link_config d;
    smpp_link_config_defaults(&d);
    long rt = lc->response_timeout_ms > 0 ? lc->response_timeout_ms : d.response_timeout_ms;
    long tp = lc->throttle_pause_ms > 0 ? lc->throttle_pause_ms : d.throttle_pause_ms;
    long lease = d.queue_timeout_ms + (long)(d.max_resends + 1) * (rt + tp);
    if (lease > q->lease_ms)
        q->lease_ms = lease;
}

void sms_queue_start(struct sms_queue *q)
{
    if (!q || q->started)
        return;
    q->started = 1;
    log_event(L_INFO, "sms.sender_started", "links=%d poll_ms=%d lease_ms=%ld expiry_s=%d", q->n_links,
              q->cfg->sms_poll_ms, q->lease_ms, q->cfg->sms_expiry_s);
    arm_ms(q->t_poll, 0);
}

void sms_queue_stop(struct sms_queue *q, void (*done)(void *arg), void *arg)
{
    if (!q) {
        if (done)
            done(arg);
        return;
    }
    if (q->stopping)
        return;
    q->stopping = 1;
    q->stop_cb = done;
    q->stop_arg = arg;
    evtimer_del(q->t_poll);
    evtimer_del(q->t_kick);
    arm_ms(q->t_stop, SMS_STOP_WAIT_MS);
    if (q->n_jobs || q->tick_pending)
        log_event(L_INFO, "sms.stopping", "in_flight=%d", q->n_jobs);
    check_stopped(q);
}

struct later {
    sms_enqueue_cb enq;
    sms_lookup_cb look;
    void *arg;
    int status;
};

static void later_cb(evutil_socket_t fd, short what, void *p)
{
    struct later l = *(struct later *)p;
    (void)fd;
    (void)what;
    free(p);
    if (l.enq)
        l.enq(l.arg, l.status, NULL);
    else
        l.look(l.arg, l.status, NULL);
}

/* Fail a request from the loop, not inside the call. */
static void fail_later(struct sms_queue *q, sms_enqueue_cb enq, sms_lookup_cb look, void *arg, int status)
{
    struct later *l = malloc(sizeof *l);
    if (l) {
        l->enq = enq;
        l->look = look;
        l->arg = arg;
        l->status = status;
        if (event_base_once(q->base, -1, EV_TIMEOUT, later_cb, l, NULL) == 0)
            return;
        free(l);
    }
    log_event(L_ERROR, "sms.no_memory", "callback=lost");
}

void sms_enqueue(struct sms_queue *q, const char *to, const char *text, const char *idem_key,
                 sms_enqueue_cb cb, void *arg)
{
    char m[32], nowb[24], ttl[24], parts[16];
    const char *why = NULL;
    size_t tlen = text ? strlen(text) : 0;
    int n = sms_count_parts(text, tlen);
    log_msisdn(to ? to : "", m, sizeof m);
    if (!sms_msisdn_ok(to))
        why = "bad_number";
    else if (n == 0)
        why = "empty_text";
    else if (n > q->cfg->sms_max_parts)
        why = "too_long";
    else if (idem_key && strlen(idem_key) > SMS_IDEM_MAX)
        why = "key_too_long";
    if (why) {
        log_event(L_WARN, "sms.not_queued", "msisdn=%s reason=%s parts=%d max_parts=%d", m, why, n,
                  q->cfg->sms_max_parts);
        fail_later(q, cb, NULL, arg, -1);
        return;
    }
    snprintf(nowb, sizeof nowb, "%lld", now_ms());
    snprintf(ttl, sizeof ttl, "%d", q->cfg->sms_expiry_s + SMS_KEEP_S);
    snprintf(parts, sizeof parts, "%d", n);
    const char *args[] = {SMS_KEY_PREFIX, to, text, "", nowb, idem_key ? idem_key : "", ttl, parts};
    struct sreq *rq = NULL;
    if (run_script(q, RQ_ENQUEUE, SC_ENQUEUE, 8, args, NULL, &rq) != 0) {
        fail_later(q, cb, NULL, arg, -1);
        return;
    }
    rq->enq_cb = cb;
    rq->arg = arg;
    snprintf(rq->note, sizeof rq->note, "%s", m);
}

int sms_queue_on_receipt(struct sms_queue *q, const struct smpp_msg *m)
{
    struct sms_receipt rc;
    struct sms_id_forms f;
    char now[24], park[16], idq[80];
    if (!q || !m)
        return 0;
    if (!sms_is_receipt(m->esm_class)) {
        if ((m->esm_class & 0x3C) == 0)
            return 0;
        log_event(L_INFO, "sms.ack_ignored", "esm_class=0x%02x", m->esm_class);
        return 1;
    }
    if (sms_receipt_parse(m, &rc) != 0 || sms_id_forms(rc.id, &f) != 0) {
        log_event(L_WARN, "sms.receipt_bad", "esm_class=0x%02x id=%s state=%d", m->esm_class,
                  log_q(rc.id, idq, sizeof idq), (int)rc.state);
        return 1;
    }
    snprintf(now, sizeof now, "%lld", now_ms());
    snprintf(park, sizeof park, "%d", SMS_PARK_S);
    const char *args[] = {SMS_KEY_PREFIX, f.raw, f.dec_as_dec, f.hex_as_hex, sms_rcpt_stat_name(rc.state),
                          rc.err, now, park};
    struct sreq *rq = NULL;
    if (run_script(q, RQ_RECEIPT, SC_RECEIPT, 8, args, NULL, &rq) != 0) {
        log_event(L_ERROR, "sms.no_memory", "receipt=%s", f.raw);
        return 1;
    }
    snprintf(rq->note, sizeof rq->note, "%s", f.raw);
    return 1;
}

void sms_lookup(struct sms_queue *q, const char *id, sms_lookup_cb cb, void *arg)
{
    size_t n = id ? strlen(id) : 0;
    int ok = n > 0 && n < 20;
    for (size_t i = 0; ok && i < n; i++)
        ok = id[i] >= '0' && id[i] <= '9';
    if (!ok) {
        fail_later(q, NULL, cb, arg, 1);
        return;
    }
    char key[64];
    snprintf(key, sizeof key, "%smsg:%s", SMS_KEY_PREFIX, id);
    const char *args[] = {"HMGET", key, "state", "to", "text", "attempts", "parts", "dlvrd", "smsc_ids",
                          "error", "key", "created_ms", "next_ms", "sent_ms", "done_ms"};
    struct sreq *rq = sreq_new(q, RQ_LOOKUP, SC_NONE, 0, NULL, NULL);
    if (!rq) {
        fail_later(q, NULL, cb, arg, -1);
        return;
    }
    rq->look_cb = cb;
    rq->arg = arg;
    snprintf(rq->note, sizeof rq->note, "%s", id);
    sreq_link(q, rq);
    store_cmd(q->store, sreq_cb, rq, (int)(sizeof args / sizeof args[0]), args, NULL);
}
