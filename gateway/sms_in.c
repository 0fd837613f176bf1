/*
 * sms_in.c: SMS from residents to the short code, answered by the keyword rules of the
 * menu set; see sms_in.h.
 *
 * One SMS is one job: decode the text -> GET the phone's language (ussd:l:MSISDN) ->
 * match the rules (sms_rules.c) -> run the rule's handler, if any (handler_run, bounded
 * by handler_timeout_ms) -> expand the reply -> sms_enqueue it to the sender. Nothing
 * blocks; every wait is bounded by the store's, the handler's or the queue's timer.
 * Jobs count in env->inflight, so a stopping gateway lets them finish before it stops
 * the SMS sender; jobs still waiting when sms_in_free runs are cut loose and freed by
 * the callback they wait for (the store and the queue always call back).
 *
 * A resent SMS (the SMSC got no deliver_sm_resp and sent it again, with the same or a
 * new sequence number, on any bind) is answered once: each phone's last text is kept
 * (ussd:smsin:MSISDN, a hash, with the TP-MR when the SMSC passes it as
 * user_message_reference) for sms_in_resend_s, and the same text again within that time
 * is a resend, unless both carry a TP-MR and they differ (a phone numbers each new
 * message). The same text sent again by the resident within the window gets no second
 * answer: the first answers it. The reply's idempotency key (sender, sequence number,
 * text, 10-minute window) still guards a copy that races the first. A concatenated SMS arrives as several deliver_sm, each carrying a UDH:
 * the UDH is skipped and each part is matched on its own; a part other than the first
 * that no rule matches gets no answer, so a long text draws at most one sms_default.
 */
#include "sms_in.h"

#include <time.h>

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "gsm.h"
#include "log.h"
#include "smpp_pdu.h"
#include "sms_queue.h"
#include "sms_rules.h"
#include "store.h"

#define SMS_IN_TEXT_MAX (2 * SMPP_PAYLOAD_MAX + 2) /* UTF-8 of the longest text we keep */
#define SMS_IN_REPLY_MAX 2048                      /* UTF-8 bytes of a reply */
#define SMS_IN_ARG_MAX 256                         /* bytes of one expanded handler argument */
#define SMS_IN_MAX_ARGS 32

struct sms_job {
    struct sms_job *prev, *next; /* in->jobs */
    struct sms_in *in;           /* NULL once sms_in_free cut the job loose */
    char link[32];
    char mark[40];               /* this text's entry in ussd:smsin:MSISDN */
    char msisdn[21];
    char idem[96];
    int part, parts; /* of a concatenated SMS; 1, 1 otherwise */
    int lang;        /* index into set->langs */
    struct sms_match match;
    struct handler_run *run;
    int store_pending;   /* the language GET */
    int enqueue_pending; /* sms_enqueue's callback */
    char reply[SMS_IN_REPLY_MAX];
    char text[SMS_IN_TEXT_MAX];
};

struct sms_in {
    struct dialog_env *env;
    struct sms_queue *q;
    struct sms_job *jobs;
    int n_jobs;
    uint64_t resends; /* SMS taken for a resend: not answered again */
};

struct sms_in *sms_in_new(struct dialog_env *env, struct sms_queue *q)
{
    struct sms_in *in = calloc(1, sizeof *in);
    if (in) {
        in->env = env;
        in->q = q;
    }
    return in;
}

void sms_in_free(struct sms_in *in)
{
    if (!in)
        return;
    struct sms_job *j = in->jobs;
    while (j) {
        struct sms_job *next = j->next;
        j->in = NULL;
        j->prev = j->next = NULL;
        in->env->inflight--;
        if (j->run) {
            handler_run_cancel(j->run);
            j->run = NULL;
        }
        if (!j->store_pending && !j->enqueue_pending)
            free(j);
        j = next;
    }
    free(in);
}

/* ---- decoding ------------------------------------------------------------------- */

enum coding { CODING_GSM, CODING_LATIN1, CODING_UCS2 };

/* SMPP 3.4 5.2.19 for 0..15, GSM 03.38 coding groups above. */
static enum coding coding_of(uint8_t dc)
{
    if (dc == 8)
        return CODING_UCS2;
    if (dc == 1 || dc == 3)
        return CODING_LATIN1; /* IA5 (ASCII) is Latin-1's first half */
    if (dc < 0x10)
        return CODING_GSM; /* 0 (SMSC default), 0x0F, and alphabets we do not speak */
    if ((dc & 0xF0) == 0xF0)
        return (dc & 0x04) ? CODING_LATIN1 : CODING_GSM;
    if ((dc & 0x80) == 0) {
        unsigned alphabet = (dc >> 2) & 3u;
        return alphabet == 2 ? CODING_UCS2 : alphabet == 1 ? CODING_LATIN1 : CODING_GSM;
    }
    return (dc & 0xF0) == 0xE0 ? CODING_UCS2 : CODING_GSM;
}

/* The text of m as UTF-8, its UDH (esm_class 0x40) skipped; *part and *parts from a
 * concatenation element of the UDH (1 and 1 when there is none). */
static void decode_sms(const struct smpp_msg *m, char *out, size_t cap, int *part, int *parts)
{
    const uint8_t *p = m->short_message;
    size_t n = m->sm_length;
    if (!n && m->has_message_payload) {
        p = m->message_payload;
        n = m->message_payload_len;
    }
    *part = *parts = 1;
    if ((m->esm_class & 0x40) && n > 0) {
        size_t udhl = p[0];
        if (udhl + 1 > n) {
            n = 0; /* a UDH longer than the message: no text */
        } else {
            for (size_t i = 1; i + 2 <= udhl + 1;) {
                size_t iei = p[i], len = p[i + 1];
                if (i + 2 + len > udhl + 1)
                    break;
                if ((iei == 0x00 && len == 3) || (iei == 0x08 && len == 4)) {
                    *parts = p[i + 2 + len - 2];
                    *part = p[i + 2 + len - 1];
                }
                i += 2 + len;
            }
            p += udhl + 1;
            n -= udhl + 1;
        }
    }
    long r;
    switch (coding_of(m->data_coding)) {
    case CODING_UCS2:
        r = gsm_decode_ucs2(p, n, out, cap);
        break;
    case CODING_LATIN1:
        r = gsm_decode_latin1(p, n, out, cap);
        break;
    default:
        r = gsm_decode(p, n, out, cap);
        break;
    }
    if (r < 0)
        out[0] = 0;
}

/* Characters (code points) of a UTF-8 text. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static uint64_t fnv64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- one job --------------------------------------------------------------------- */

static void job_done(struct sms_job *j)
{
    struct sms_in *in = j->in;
    if (in) {
        if (j->prev)
            j->prev->next = j->next;
        else
            in->jobs = j->next;
        if (j->next)
            j->next->prev = j->prev;
        in->n_jobs--;
        in->env->inflight--;
    }
    free(j);
}

/* "menus.d/sms.yaml:12" for logs, or "default". */
static const char *rule_name(const struct sms_job *j, char *buf, size_t cap)
{
    const struct menu_set *set = j->in->env->set;
    if (j->match.rule < 0)
        return "default";
    const struct menu_sms_rule *r = &set->sms_rules[j->match.rule];
    snprintf(buf, cap, "%s:%d", r->pos.file, r->pos.line);
    return buf;
}

static void on_enqueued(void *arg, int status, const char *id)
{
    struct sms_job *j = arg;
    char ms[32], rn[300], q[96];
    j->enqueue_pending = 0;
    if (!j->in) {
        free(j);
        return;
    }
    if (status >= 0) /* 1: a duplicate SMS, answered before */
        log_event(L_INFO, "sms.in_answered", "link=%s msisdn=%s rule=%s id=%s", j->link,
                  log_msisdn(j->msisdn, ms, sizeof ms), rule_name(j, rn, sizeof rn),
                  log_q(id ? id : "", q, sizeof q));
    else
        log_event(L_WARN, "sms.in_reply_not_queued", "link=%s msisdn=%s rule=%s", j->link,
                  log_msisdn(j->msisdn, ms, sizeof ms), rule_name(j, rn, sizeof rn));
    job_done(j);
}

/* Pick the reply for outcome (NULL: a fixed reply or the default), expand it with the
 * handler's variables, queue it. */
static void answer(struct sms_job *j, const char *outcome, const struct handler_kv *set,
                   size_t n_set)
{
    struct sms_in *in = j->in;
    const struct menu_set *ms = in->env->set;
    char m[32], rn[300];
    if (j->match.rule < 0 && j->part > 1) {
        log_event(L_INFO, "sms.in_part_unmatched", "link=%s msisdn=%s part=%d/%d", j->link,
                  log_msisdn(j->msisdn, m, sizeof m), j->part, j->parts);
        job_done(j);
        return;
    }
    const char *tpl = sms_rules_reply(ms, &j->match, outcome, j->lang);
    if (!tpl || !*tpl) {
        log_event(L_INFO, "sms.in_unanswered", "link=%s msisdn=%s rule=%s reason=%s", j->link,
                  log_msisdn(j->msisdn, m, sizeof m), rule_name(j, rn, sizeof rn),
                  "no_sms_default");
        job_done(j);
        return;
    }
    struct sms_vars v = {set, n_set, &j->match, j->msisdn, ms->langs[j->lang]};
    sms_rules_expand(tpl, &v, j->reply, sizeof j->reply);
    j->enqueue_pending = 1;
    sms_enqueue(in->q, j->msisdn, j->reply, j->idem, on_enqueued, j);
}

static void on_handler(void *arg, const struct handler_result *res)
{
    struct sms_job *j = arg;
    char m[32], rn[300];
    j->run = NULL;
    if (strcmp(res->outcome, "ok") != 0)
        log_event(L_INFO, "sms.in_handler", "link=%s msisdn=%s rule=%s handler=%s outcome=%s",
                  j->link, log_msisdn(j->msisdn, m, sizeof m), rule_name(j, rn, sizeof rn),
                  j->in->env->set->sms_rules[j->match.rule].handler, res->outcome);
    answer(j, res->outcome, res->set, res->n_set);
}

static void call_handler(struct sms_job *j, const struct menu_sms_rule *r)
{
    struct dialog_env *env = j->in->env;
    const struct handler_def *def = handler_find(r->handler);
    if (!def) {
        log_event(L_ERROR, "handler.missing", "handler=%s", r->handler);
        answer(j, "error", NULL, 0);
        return;
    }
    const char *lang = env->set->langs[j->lang];
    struct sms_vars v = {NULL, 0, &j->match, j->msisdn, lang};
    static char argbuf[SMS_IN_MAX_ARGS][SMS_IN_ARG_MAX]; /* one loop thread; read in start */
    struct handler_kv args[SMS_IN_MAX_ARGS], vars[SMS_RULES_MAX_VARS];
    size_t n_args = 0;
    for (size_t i = 0; i < r->n_args && n_args < SMS_IN_MAX_ARGS; i++, n_args++) {
        sms_rules_expand(r->args[i].value, &v, argbuf[n_args], sizeof argbuf[n_args]);
        args[n_args] = (struct handler_kv){r->args[i].key, argbuf[n_args]};
    }
    for (size_t i = 0; i < j->match.n_vars; i++)
        vars[i] = (struct handler_kv){j->match.vars[i].key, j->match.vars[i].val};
    struct handler_req req = {
        .msisdn = j->msisdn,
        .lang = lang,
        .vars = vars,
        .n_vars = j->match.n_vars,
        .args = args,
        .n_args = n_args,
        .set = env->set,
    };
    j->run = handler_run(&env->svc, def, &req, env->cfg->handler_timeout_ms, on_handler, j);
    if (!j->run)
        answer(j, "error", NULL, 0);
}

/* The resend mark "HASH:MR" ("-" without a TP-MR). 1 when old says m is a resend. */
static int sms_resend(const char *old, const char *m)
{
    const char *oc = strchr(old, ':'), *mc = strchr(m, ':');
    if (!oc || !mc || oc - old != mc - m || memcmp(old, m, (size_t)(oc - old)) != 0)
        return 0;           /* another text */
    if (strcmp(oc, ":-") == 0 || strcmp(mc, ":-") == 0)
        return 1;           /* the same text within the window, no TP-MR to tell */
    return strcmp(oc, mc) == 0; /* the phone's TP-MR: equal is the same message */
}

static void on_lang(void *arg, int status, const struct redisReply *reply);

static void on_mark(void *arg, int status, const struct redisReply *reply)
{
    struct sms_job *j = arg;
    char m[32];
    j->store_pending = 0;
    if (!j->in) {
        free(j);
        return;
    }
    if (status == STORE_OK && reply && reply->type == REDIS_REPLY_STRING && reply->str &&
        sms_resend(reply->str, j->mark)) {
        j->in->resends++;
        log_event(L_DEBUG, "sms.in_resend", "link=%s msisdn=%s part=%d/%d", j->link,
                  log_msisdn(j->msisdn, m, sizeof m), j->part, j->parts);
        job_done(j);
        return;
    }
    /* not a resend, or Redis could not say: answer it */
    char key[64];
    snprintf(key, sizeof key, DIALOG_KEY_PREFIX "l:%s", j->msisdn);
    const char *argv[] = {"GET", key};
    j->store_pending = 1;
    store_cmd(j->in->env->store, on_lang, j, 2, argv, NULL);
}

static void on_lang(void *arg, int status, const struct redisReply *reply)
{
    struct sms_job *j = arg;
    char m[32], rn[300];
    j->store_pending = 0;
    if (!j->in) {
        free(j);
        return;
    }
    const struct menu_set *set = j->in->env->set;
    j->lang = set->default_lang;
    if (status == STORE_OK && reply && reply->type == REDIS_REPLY_STRING && reply->len < 16) {
        int li = menu_find_lang(set, reply->str);
        if (li >= 0)
            j->lang = li;
    } else if (status != STORE_OK) {
        /* Redis is down or slow: answer in the default language all the same */
        log_event(L_WARN, "sms.in_lang_failed", "link=%s msisdn=%s", j->link,
                  log_msisdn(j->msisdn, m, sizeof m));
    }
    sms_rules_match(set, j->text, &j->match);
    log_event(L_INFO, "sms.in", "link=%s msisdn=%s part=%d/%d chars=%zu lang=%s rule=%s",
              j->link, log_msisdn(j->msisdn, m, sizeof m), j->part, j->parts, utf8_chars(j->text),
              set->langs[j->lang], rule_name(j, rn, sizeof rn));
    if (LOG_DEBUG_ON()) {
        char q[400];
        log_event(L_DEBUG, "sms.in_text", "msisdn=%s text=%s", j->msisdn,
                  log_q(j->text, q, sizeof q));
    }
    const struct menu_sms_rule *r = j->match.rule >= 0 ? &set->sms_rules[j->match.rule] : NULL;
    if (r && r->handler)
        call_handler(j, r);
    else
        answer(j, NULL, NULL, 0);
}

void sms_in_deliver(struct sms_in *in, const char *link, const struct smpp_msg *m)
{
    char ms[32];
    if (!in || !m)
        return;
    struct dialog_env *env = in->env;
    const struct config *cfg = env->cfg;
    if (m->esm_class & 0x3C) {
        /* a receipt or an acknowledgement, not a resident's text: never answer those (an
         * answer to an answer could go back and forth for ever) */
        log_event(L_INFO, "sms.in_not_a_message", "link=%s msisdn=%s esm_class=%u", link,
                  log_msisdn(m->source_addr, ms, sizeof ms), m->esm_class);
        return;
    }
    if (!m->source_addr[0] || strcmp(m->source_addr, cfg->sms_source) == 0) {
        log_event(L_WARN, "sms.in_no_sender", "link=%s source=%s", link,
                  m->source_addr[0] ? "short_code" : "none");
        return;
    }
    if (!env->set->n_sms_rules && !env->set->has_sms_default) {
        log_event(L_INFO, "sms.in_unanswered", "link=%s msisdn=%s reason=%s", link,
                  log_msisdn(m->source_addr, ms, sizeof ms), "no_sms_rules");
        return;
    }
    if (in->n_jobs >= cfg->max_dialogs) {
        log_event(L_WARN, "sms.in_busy", "link=%s msisdn=%s in_flight=%d", link,
                  log_msisdn(m->source_addr, ms, sizeof ms), in->n_jobs);
        return;
    }
    struct sms_job *j = malloc(sizeof *j);
    if (!j) {
        log_event(L_ERROR, "sms.in_no_memory", "link=%s", link);
        return;
    }
    memset(j, 0, offsetof(struct sms_job, reply));
    j->reply[0] = 0;
    j->in = in;
    snprintf(j->link, sizeof j->link, "%s", link ? link : "");
    snprintf(j->msisdn, sizeof j->msisdn, "%s", m->source_addr);
    decode_sms(m, j->text, sizeof j->text, &j->part, &j->parts);
    /* a resent deliver_sm comes within seconds; sequence numbers restart on every bind,
     * so the key also carries a 10-minute window, or the same text with a recycled
     * sequence number days later would go unanswered */
    snprintf(j->idem, sizeof j->idem, "sms-in:%s:%lu:%016llx:%lu", j->msisdn,
             (unsigned long)m->sequence, (unsigned long long)fnv64(j->text),
             (unsigned long)(time(NULL) / 600));
    /* the message as sent (coding, UDH and text): a resend carries the same octets */
    uint64_t h = 0xcbf29ce484222325ULL;
    const uint8_t *o = m->sm_length || !m->has_message_payload ? m->short_message : m->message_payload;
    size_t on = m->sm_length || !m->has_message_payload ? m->sm_length : m->message_payload_len;
    uint8_t head[2] = {m->data_coding, (uint8_t)(m->esm_class & 0x40)};
    for (size_t i = 0; i < sizeof head + on; i++) {
        h ^= i < sizeof head ? head[i] : o[i - sizeof head];
        h *= 0x100000001b3ULL;
    }
    if (m->has_user_message_reference)
        snprintf(j->mark, sizeof j->mark, "%016llx:%u", (unsigned long long)h,
                 (unsigned)m->user_message_reference);
    else
        snprintf(j->mark, sizeof j->mark, "%016llx:-", (unsigned long long)h);
    j->match.rule = SMS_RULES_NO_MATCH;
    j->next = in->jobs;
    if (in->jobs)
        in->jobs->prev = j;
    in->jobs = j;
    in->n_jobs++;
    env->inflight++;

    /* this text becomes the phone's last one; the one before says whether it is a resend */
    char key[64], px[16];
    snprintf(key, sizeof key, DIALOG_KEY_PREFIX "smsin:%s", j->msisdn);
    snprintf(px, sizeof px, "%ld", (long)cfg->sms_in_resend_s * 1000L);
    j->store_pending = 1;
    if (cfg->sms_in_resend_s <= 0) {
        on_mark(j, STORE_ERR, NULL);
        return;
    }
    const char *argv[] = {"SET", key, j->mark, "PX", px, "GET"};
    store_cmd(env->store, on_mark, j, 6, argv, NULL);
}
