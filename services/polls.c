/*
 * polls.c: ballots, votes and the result-by-SMS wish; see polls.h.
 *
 * A vote is one script with every key it touches as KEYS (the voter's keys are made in
 * C: the voter is known before the call, a phone or the keyed hash of a national ID).
 */
#include "polls.h"

#include <hiredis/hiredis.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "refs.h"
#include "svc_store.h"

#define MSISDN_MAX 32

char *polls_key(char *buf, size_t n, const char *poll, const char *what)
{
    if (!poll)
        snprintf(buf, n, POLLS_KEY "%s", what);
    else
        snprintf(buf, n, POLLS_KEY "%s%s%s", poll, what[0] ? ":" : "", what);
    return buf;
}

/* ---- ballots ---- */

int polls_open_at(const struct menu_poll *p, long long now)
{
    return now >= p->opens && now < p->closes;
}

int polls_option_for(const struct menu_poll_option *o, const char *district)
{
    return !o->district || strcmp(o->district, district) == 0;
}

int polls_for(const struct menu_poll *p, const char *district)
{
    for (size_t i = 0; i < p->n_options; i++)
        if (polls_option_for(&p->options[i], district))
            return 1;
    return 0;
}

int polls_max_choices(const struct menu_poll *p)
{
    return p->max_choices > 1 ? p->max_choices : 1;
}

const struct menu_poll *polls_first_open(const struct menu_set *set, long long now)
{
    for (size_t i = 0; i < set->n_polls; i++)
        if (polls_open_at(&set->polls[i], now))
            return &set->polls[i];
    return NULL;
}

/* The menu option id of p on district's ballot, or NULL. */
static const struct menu_poll_option *ballot_option(const struct menu_poll *p,
                                                    const char *district, const char *id)
{
    for (size_t i = 0; i < p->n_options; i++)
        if (strcmp(p->options[i].id, id) == 0 && polls_option_for(&p->options[i], district))
            return &p->options[i];
    return NULL;
}

/* 1 when id is among the space-separated ids. */
static int listed(const char *ids, const char *id)
{
    char copy[POLLS_PICKED_MAX];
    snprintf(copy, sizeof copy, "%s", ids);
    for (char *save = NULL, *u = strtok_r(copy, " ", &save); u; u = strtok_r(NULL, " ", &save))
        if (strcmp(u, id) == 0)
            return 1;
    return 0;
}

/* Append id to the space-separated list at s (size n, len bytes so far). */
static size_t append(char *s, size_t n, size_t len, const char *id)
{
    int k = snprintf(s + len, n - len, "%s%s", len ? " " : "", id);
    return k > 0 ? len + (size_t)k : len;
}

int polls_choices_parse(const struct menu_poll *p, const char *district, const char *choice,
                        struct polls_choices *c)
{
    char ids[POLLS_PICKED_MAX];
    memset(c, 0, sizeof *c);
    if (!p || !choice || !choice[0] || strlen(choice) >= sizeof ids)
        return -1;
    int max = polls_max_choices(p);
    size_t il = 0, el = 0;
    snprintf(ids, sizeof ids, "%s", choice);
    for (char *save = NULL, *t = strtok_r(ids, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        const struct menu_poll_option *opt = ballot_option(p, district, t);
        int extra = !opt && t[0] == 'p' && t[1] && strlen(t) < 24 &&
                    strspn(t + 1, "0123456789") == strlen(t + 1);
        if ((!opt && !extra) || listed(c->ids, t) || c->n >= max)
            return -1;
        c->opt[c->n++] = opt;
        il = append(c->ids, sizeof c->ids, il, t);
        if (extra)
            el = append(c->extras, sizeof c->extras, el, t);
    }
    return c->n > 0 ? 0 : -1;
}

/* ---- the call record ---- */

enum op_kind { OP_EXTRAS, OP_VOTE, OP_NOTIFY };

struct op {
    struct svc_op h; /* first: the record is a svc_op */
    union {
        polls_extras_cb extras;
        polls_vote_cb vote;
        polls_notify_cb notify;
    } cb;
};

static void op_failed(struct svc_op *h, int st, const char *why)
{
    struct op *o = (struct op *)h;
    void *a = o->h.arg;
    switch ((enum op_kind)o->h.kind) {
    case OP_EXTRAS: o->cb.extras(a, st, why, NULL, 0); break;
    case OP_VOTE: o->cb.vote(a, st, why, 0, NULL, 0); break;
    case OP_NOTIFY: o->cb.notify(a, st, why, POLLS_NOTIFY_OFF); break;
    }
    free(o);
}

static int msisdn_bad(const char *m)
{
    return !m || !m[0] || strlen(m) > MSISDN_MAX;
}

/* ---- a ballot's approved proposals ---- */

static void on_extras(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    size_t n = svc_reply_len(r) / 2, k = 0;
    struct polls_extra *x = calloc(n ? n : 1, sizeof *x);
    if (!x) {
        svc_op_fail(&o->h, REC_ERR, "memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        x[k] = (struct polls_extra){svc_reply_str(r, 2 * i), svc_reply_str(r, 2 * i + 1)};
        if (x[k].id && x[k].label)
            k++;
    }
    o->cb.extras(o->h.arg, REC_OK, NULL, x, k);
    free(x);
    free(o);
}

void polls_extras(const struct svc_env *env, const char *poll, const char *district,
                  polls_extras_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, env, op_failed, OP_EXTRAS, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", NULL, 0);
        return;
    }
    o->cb.extras = cb;
    if (!env || !env->store) {
        svc_op_fail_later(&o->h, REC_OK, NULL); /* no proposals to list */
        return;
    }
    char what[96], key[240];
    snprintf(what, sizeof what, "extra:%s", district ? district : "");
    polls_key(key, sizeof key, poll, what);
    const char *argv[] = {"HGETALL", key};
    svc_cmd(env, 2, argv, on_extras, o);
}

/* ---- a vote ---- */

/* KEYS: 1 idem, 2 the voter's choices, 3 tally, 4 phones, 5 extra, 6 the phone of a
 * national ID's vote, 7 the key fingerprint. ARGV: 1 the choices (option ids,
 * space-separated), 2 idem ttl, 3 msisdn, 4 the choices that are not menu options (each
 * must then be in the extra hash), 5 "1" when the voter is a national ID, 6 the key's
 * fingerprint. The voter's key holds the set; a new vote subtracts the old set and adds
 * the new one. A national ID's vote can be changed only from the phone that cast it:
 * from another phone it is `taken`. Returns the outcome, followed by a tab and each
 * extra's label. */
static struct store_script script_vote = SVC_SCRIPT(
    "polls.vote",
    "local seen=redis.call('GET',KEYS[1]) if seen then return seen end\n"
    "local label=''\n"
    "for x in string.gmatch(ARGV[4],'%S+') do\n"
    "  local l=redis.call('HGET',KEYS[5],x)\n"
    "  if not l then return 'invalid' end label=label..'\\t'..l end\n"
    "local old=redis.call('GET',KEYS[2]) local out='ok'\n"
    "if ARGV[5]=='1' then\n"
    "  local fp=redis.call('GET',KEYS[7])\n"
    "  if fp and fp~=ARGV[6] then return 'secret_changed' end\n"
    "  if not fp then redis.call('SET',KEYS[7],ARGV[6]) end\n"
    "  local by=redis.call('GET',KEYS[6])\n"
    "  if old and by and by~=ARGV[3] then\n"
    "    redis.call('SET',KEYS[1],'taken','EX',tonumber(ARGV[2])) return 'taken' end\n"
    "  redis.call('SET',KEYS[6],ARGV[3]) end\n"
    "if old then out='changed' end\n"
    "if old~=ARGV[1] then\n"
    "  if old then for x in string.gmatch(old,'%S+') do redis.call('HINCRBY',KEYS[3],x,-1) end end\n"
    "  for x in string.gmatch(ARGV[1],'%S+') do redis.call('HINCRBY',KEYS[3],x,1) end\n"
    "  redis.call('SET',KEYS[2],ARGV[1]) end\n"
    "redis.call('SADD',KEYS[4],ARGV[3])\n"
    "out=out..label\n"
    "redis.call('SET',KEYS[1],out,'EX',tonumber(ARGV[2]))\n"
    "return out\n");

/* The voter of a binding vote: "id-" and 40 hex digits, a BLAKE2b hash of the poll and
 * the national ID keyed with (a hash of) the configured secret, so that neither the ID
 * nor a hash one could compute from an ID alone is ever in Redis (16-digit IDs are few
 * enough to try them all). */
static void voter_id(const char *secret, const char *poll, const char *id, char *out,
                     size_t size)
{
    static const char fallback[] = "ussdgw-vote-secret-not-configured";
    unsigned char key[crypto_generichash_KEYBYTES], h[20];
    const char *sec = secret && secret[0] ? secret : fallback;
    if (sodium_init() < 0) /* idempotent: picks the fastest implementation */
        log_event(L_WARN, "polls.sodium", "init failed: the portable hash is used");
    crypto_generichash(key, sizeof key, (const unsigned char *)sec, strlen(sec), NULL, 0);
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, sizeof key, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)poll, strlen(poll));
    crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&st, (const unsigned char *)id, strlen(id));
    crypto_generichash_final(&st, h, sizeof h);
    char hex[2 * sizeof h + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, size, "id-%s", hex);
    sodium_memzero(key, sizeof key);
}

static void on_vote(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    const char *s = svc_reply_text(r);
    char copy[1024], *labels[POLLS_MAX_CHOICES];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", s ? s : "");
    char *tab = strchr(copy, '\t');
    if (tab)
        *tab++ = 0;
    for (char *l = tab; l && n < POLLS_MAX_CHOICES; n++) {
        labels[n] = l;
        if ((l = strchr(l, '\t')))
            *l++ = 0;
    }
    int st = REC_OK, changed = strcmp(copy, "changed") == 0;
    const char *why = NULL;
    if (strcmp(copy, "invalid") == 0)
        st = REC_INVALID, why = "choice";
    else if (strcmp(copy, "taken") == 0)
        st = REC_REFUSED, why = "taken";
    else if (strcmp(copy, "secret_changed") == 0) {
        log_event(L_ERROR, "poll.vote_secret_changed",
                  "hint=\"this poll's binding votes were keyed with another vote_secret: "
                  "restore it (votes are refused until then)\"");
        st = REC_ERR, why = "secret_changed";
    } else if (!changed && strcmp(copy, "ok") != 0) {
        log_event(L_WARN, "polls.redis", "err=%s", s ? "unknown outcome" : "no reply");
        st = REC_ERR, why = "data";
    }
    o->cb.vote(o->h.arg, st, why, changed, (const char *const *)labels, st == REC_OK ? n : 0);
    free(o);
}

/* Why ctx cannot vote v now (REC_INVALID or REC_REFUSED in *status), or NULL with the
 * voter (the phone, or a national ID's keyed hash) and the key's fingerprint. */
static const char *vote_check(const struct svc_ctx *ctx, const struct polls_vote *v,
                              int *status, char *voter, char *fingerprint, size_t n)
{
    const char *m = ctx->actor.msisdn;
    *status = REC_INVALID;
    if (!v->poll || !v->choices || v->choices->n < 1)
        return "choice";
    if (msisdn_bad(m))
        return "msisdn";
    if (!v->idem_key || !v->idem_key[0] || strlen(v->idem_key) > POLLS_STEP_KEY_MAX)
        return "idem";
    *status = REC_REFUSED;
    if (!polls_open_at(v->poll, (long long)(svc_now_ms(ctx->env) / 1000)))
        return "closed";
    *status = REC_INVALID;
    fingerprint[0] = 0;
    if (v->poll->voter != POLL_VOTER_NATIONAL_ID) {
        snprintf(voter, n, "%s", m);
        return NULL;
    }
    char nid[64];
    refs_id_clean(v->national_id ? v->national_id : "", nid, sizeof nid);
    if (refs_id_check(nid))
        return "national_id";
    const char *secret = ctx->env ? ctx->env->vote_secret : NULL;
    voter_id(secret, v->poll->id, nid, voter, n);
    /* the same hash of a name no ID can have: which key made this poll's voters */
    voter_id(secret, "", "vote-secret-fingerprint", fingerprint, n);
    sodium_memzero(nid, sizeof nid);
    return NULL;
}

void polls_vote(const struct svc_ctx *ctx, const struct polls_vote *v, polls_vote_cb cb,
                void *arg)
{
    struct op *o = svc_op_new(sizeof *o, ctx->env, op_failed, OP_VOTE, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", 0, NULL, 0);
        return;
    }
    o->cb.vote = cb;
    char voter[64], fp[64];
    int status;
    const char *why = vote_check(ctx, v, &status, voter, fp, sizeof voter);
    if (why) {
        svc_op_fail_later(&o->h, status, why);
        return;
    }
    const char *id = v->poll->id;
    char k_idem[256], k_voter[192], k_tally[128], k_phones[128], k_extra[128], k_idphone[192],
        k_fp[128], what[96], ttl[16];
    polls_key(k_idem, sizeof k_idem, NULL, "idem:");
    snprintf(k_idem + strlen(k_idem), sizeof k_idem - strlen(k_idem), "%s", v->idem_key);
    snprintf(what, sizeof what, "voter:%s", voter);
    polls_key(k_voter, sizeof k_voter, id, what);
    snprintf(what, sizeof what, "idphone:%s", voter);
    polls_key(k_idphone, sizeof k_idphone, id, what);
    polls_key(k_tally, sizeof k_tally, id, "tally");
    polls_key(k_phones, sizeof k_phones, id, "phones");
    polls_key(k_extra, sizeof k_extra, id, "extra");
    polls_key(k_fp, sizeof k_fp, id, "voterkey");
    snprintf(ttl, sizeof ttl, "%d", POLLS_IDEM_TTL_S);
    const char *argv[] = {k_idem, k_voter, k_tally, k_phones, k_extra, k_idphone, k_fp,
                          v->choices->ids, ttl, ctx->actor.msisdn, v->choices->extras,
                          fp[0] ? "1" : "0", fp};
    svc_eval(ctx->env, &script_vote, 7, (int)(sizeof argv / sizeof argv[0]), argv, on_vote, o);
}

/* ---- the result by SMS ---- */

/* KEYS: phones, notify. ARGV: msisdn, yes|no, district. Only a voter may ask. */
static struct store_script script_notify = SVC_SCRIPT(
    "polls.notify",
    "if redis.call('SISMEMBER',KEYS[1],ARGV[1])==0 then return 'not_voter' end\n"
    "if ARGV[2]=='yes' then redis.call('HSET',KEYS[2],ARGV[1],ARGV[3]) return 'ok' end\n"
    "redis.call('HDEL',KEYS[2],ARGV[1]) return 'off'\n");

static void on_notify(void *p, int status, const redisReply *r)
{
    struct op *o = p;
    if (!svc_op_reply(&o->h, status, r, "polls.redis"))
        return;
    static const char *const names[] = {[POLLS_NOTIFY_ON] = "ok", [POLLS_NOTIFY_OFF] = "off",
                                        [POLLS_NOT_VOTER] = "not_voter"};
    const char *s = svc_reply_text(r);
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0) {
            o->cb.notify(o->h.arg, REC_OK, NULL, (enum polls_notify)i);
            free(o);
            return;
        }
    log_event(L_WARN, "polls.redis", "err=%s", "unknown outcome");
    svc_op_fail(&o->h, REC_ERR, "data");
}

void polls_notify_set(const struct svc_ctx *ctx, const char *poll, int want,
                      const char *district, polls_notify_cb cb, void *arg)
{
    struct op *o = svc_op_new(sizeof *o, ctx->env, op_failed, OP_NOTIFY, arg);
    if (!o) {
        cb(arg, REC_ERR, "memory", POLLS_NOTIFY_OFF);
        return;
    }
    o->cb.notify = cb;
    if (msisdn_bad(ctx->actor.msisdn) || !poll) {
        svc_op_fail_later(&o->h, REC_INVALID, "msisdn");
        return;
    }
    char k_phones[128], k_notify[128];
    polls_key(k_phones, sizeof k_phones, poll, "phones");
    polls_key(k_notify, sizeof k_notify, poll, "notify");
    const char *argv[] = {k_phones, k_notify, ctx->actor.msisdn, want ? "yes" : "no",
                          district ? district : ""};
    svc_eval(ctx->env, &script_notify, 2, 5, argv, on_notify, o);
}
