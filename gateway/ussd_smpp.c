/*
 * ussd_smpp.c: USSD over an SMPP link; see ussd_smpp.h.
 */
#include "ussd_smpp.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gsm.h"
#include "log.h"
#include "smpp_link.h"
#include "strbuf.h"

struct ussd_smpp {
    struct link_config lc;
    struct dialog_env *env;
    struct smpp_link *link;
    struct engine_cfg ecfg;
    char ingress[48];
    void (*unbind_done)(void *arg);
    void *unbind_arg;
    ussd_smpp_sms_fn sms_hook;
    void *sms_arg;
    uint64_t node; /* this link object, random: part of every connection's id */
};

/* What a reply needs from the PDU it answers. */
struct pending {
    struct ussd_smpp *u;
    char msisdn[21];
    char service[21];
    uint8_t src_ton, src_npi, dst_ton, dst_npi;
    int has_its;
    uint16_t its;
    int has_umr;
    uint16_t umr;
    char sid[16];     /* the dialog's session id, as given to dialog_step */
    uint32_t version; /* the stored session the reply shows, for dialog_undelivered */
};

/* dst = src, cut to dstsize - 1 octets (snprintf(dst, dstsize, "%s", src)). */
static void copy_str(char *dst, size_t dstsize, const char *src)
{
    strbuf_cat(dst, dstsize, src, (const char *)NULL);
}

/* The link's lines ("link=NAME event=WHAT k=v...") as "event=smpp.WHAT link=NAME k=v...":
 * one event key per line, for whoever parses the log. */
static void link_log(void *arg, enum smpp_log_level level, const char *msg)
{
    (void)arg;
    static const enum log_level map[] = {L_ERROR, L_WARN, L_INFO, L_DEBUG};
    enum log_level lv = map[level <= SMPP_LOG_DEBUG ? level : SMPP_LOG_DEBUG];
    const char *ev = strncmp(msg, "event=", 6) == 0 ? msg : strstr(msg, " event=");
    if (!ev) {
        log_event(lv, "smpp", "%s", msg);
        return;
    }
    const char *name = ev + (ev == msg ? 6 : 7);
    size_t n = strcspn(name, " ");
    const char *after = name + n + (name[n] == ' ');
    char event[48];
    snprintf(event, sizeof event, "smpp.%.*s", (int)(n < 40 ? n : 40), name);
    /* the line without " event=WHAT" */
    int head = (int)(ev - msg);
    log_event(lv, event, "%.*s%s%s", head, msg, head && *after ? " " : "", after);
}

static void link_state(void *arg, enum smpp_link_state st, const char *reason)
{
    struct ussd_smpp *u = arg;
    char q[128];
    log_event(st == SMPP_LINK_BOUND ? L_INFO : L_DEBUG, "smpp.state", "link=%s state=%s reason=%s",
              u->lc.name, smpp_link_state_name(st), log_q(reason ? reason : "", q, sizeof q));
}

/* The text of a short_message by its data_coding, as UTF-8. */
static void decode_text(const struct smpp_msg *m, char *out, size_t cap)
{
    const uint8_t *p = m->short_message;
    size_t n = m->sm_length;
    if (!n && m->has_message_payload) {
        p = m->message_payload;
        n = m->message_payload_len;
    }
    uint8_t dc = m->data_coding;
    long r;
    if (dc == 8 || dc == 0x18 || dc == 0x48 || (dc & 0xFC) == 0x48)
        r = gsm_decode_ucs2(p, n, out, cap);
    else if (dc == 3 || dc == 1 || dc == 4)
        r = gsm_decode_latin1(p, n, out, cap);
    else
        r = gsm_decode(p, n, out, cap);
    if (r < 0)
        out[0] = 0;
}

static int is_abort(const struct link_config *lc, int op)
{
    for (int i = 0; i < lc->n_op_abort; i++)
        if (lc->op_abort[i] == op)
            return 1;
    return 0;
}

static void on_submit_resp(void *arg, uint32_t status, const struct smpp_msg *resp)
{
    struct pending *p = arg;
    char m[32];
    (void)resp;
    if (status) {
        log_event(L_WARN, "ussd.submit_failed", "link=%s msisdn=%s status=%s", p->u->lc.name,
                  log_msisdn(p->msisdn, m, sizeof m), smpp_status_name(status));
        /* the screen may not have reached the phone: a resent answer gets it again */
        dialog_undelivered(p->u->env, p->u->ingress, p->msisdn, p->sid, p->version);
    }
    free(p);
}

static void on_reply(void *arg, enum dialog_result r, const char *text, int end, uint32_t version)
{
    struct pending *p = arg;
    struct ussd_smpp *u = p->u;
    const struct link_config *lc = &u->lc;
    if (r == DIALOG_DROP || !text) {
        free(p);
        return;
    }
    p->version = version;
    struct smpp_msg m;
    smpp_msg_init(&m, lc->use_data_sm ? SMPP_CMD_DATA_SM : SMPP_CMD_SUBMIT_SM);
    copy_str(m.service_type, sizeof m.service_type, lc->service_type);
    m.source_addr_ton = p->dst_ton;
    m.source_addr_npi = p->dst_npi;
    copy_str(m.source_addr, sizeof m.source_addr, p->service);
    m.dest_addr_ton = p->src_ton;
    m.dest_addr_npi = p->src_npi;
    copy_str(m.destination_addr, sizeof m.destination_addr, p->msisdn);
    long n = gsm_encode(text, strlen(text), m.short_message, SMPP_SM_ENCODE_MAX);
    if (n >= 0) {
        m.data_coding = (uint8_t)lc->coding_gsm;
    } else {
        n = gsm_encode_ucs2(text, strlen(text), m.short_message, SMPP_SM_ENCODE_MAX);
        m.data_coding = (uint8_t)lc->coding_ucs2;
    }
    if (n < 0)
        n = 0;
    if (lc->use_data_sm) {
        m.has_message_payload = 1;
        memcpy(m.message_payload, m.short_message, (size_t)n);
        m.message_payload_len = (uint16_t)n;
        m.sm_length = 0;
    } else {
        m.sm_length = (uint8_t)n;
    }
    m.has_ussd_service_op = 1;
    m.ussd_service_op = (uint8_t)(end ? lc->op_end : lc->op_continue);
    if (p->has_its) {
        m.has_its_session_info = 1;
        m.its_session_info = (uint16_t)((p->its & 0xFFFE) | (end ? 1 : 0));
    }
    if (p->has_umr) {
        m.has_user_message_reference = 1;
        m.user_message_reference = p->umr;
    }
    /* No SMPP_FAIL_FAST: a throttled reply (ESME_RTHROTTLED / ESME_RMSGQFUL) is paused
     * (throttle_pause_ms) and resent by the link, bounded by its max_resends; failing it at
     * once would leave the user waiting for a screen that never comes. */
    uint32_t st = smpp_link_submit(u->link, &m, 0, on_submit_resp, p);
    if (st) {
        char ms[32];
        log_event(L_WARN, "ussd.reply_not_sent", "link=%s msisdn=%s status=%s", lc->name,
                  log_msisdn(p->msisdn, ms, sizeof ms), smpp_status_name(st));
        dialog_undelivered(u->env, u->ingress, p->msisdn, p->sid, version);
        free(p);
    }
}

/* "*123#", "*123*4#", "#123#": what a phone dials. */
static int looks_like_dial(const char *t)
{
    size_t l = strlen(t);
    return l >= 2 && (t[0] == '*' || t[0] == '#') && t[l - 1] == '#' &&
           strspn(t, "0123456789*#") == l;
}

/* The dial string from a destination_addr: "*123#" as is, a bare "123" or "123*4"
 * made into "*123#" / "*123*4#". */
static void dial_from_addr(const char *addr, char *out, size_t n)
{
    if (looks_like_dial(addr) || strspn(addr, "0123456789*") != strlen(addr))
        snprintf(out, n, "%s", addr);
    else
        snprintf(out, n, "*%s#", addr);
}

static void on_deliver(void *arg, const struct smpp_msg *m)
{
    struct ussd_smpp *u = arg;
    const struct link_config *lc = &u->lc;
    char ms[32];
    if (!m->has_ussd_service_op) {
        /* an SMS or a delivery receipt */
        if (u->sms_hook)
            u->sms_hook(u->sms_arg, lc->name, m);
        else
            log_event(L_INFO, "sms.ignored", "link=%s msisdn=%s esm_class=%u", lc->name,
                      log_msisdn(m->source_addr, ms, sizeof ms), m->esm_class);
        return;
    }
    int op = m->ussd_service_op;
    enum dialog_kind kind;
    if (is_abort(lc, op) || (m->has_its_session_info && SMPP_ITS_END(m->its_session_info) &&
                             op != lc->op_begin))
        kind = DIALOG_ABORT;
    else if (op == lc->op_begin)
        kind = DIALOG_BEGIN;
    else if (op == lc->op_answer)
        kind = DIALOG_INPUT;
    else {
        log_event(L_WARN, "ussd.unknown_op", "link=%s op=%d", lc->name, op);
        return;
    }
    if (!m->source_addr[0]) {
        log_event(L_WARN, "ussd.no_msisdn", "link=%s", lc->name);
        return;
    }
    struct pending *p = calloc(1, sizeof *p);
    if (!p)
        return;
    p->u = u;
    copy_str(p->msisdn, sizeof p->msisdn, m->source_addr);
    copy_str(p->service, sizeof p->service, m->destination_addr); /* "%.20s": 21 octets */
    p->src_ton = m->source_addr_ton;
    p->src_npi = m->source_addr_npi;
    p->dst_ton = m->dest_addr_ton;
    p->dst_npi = m->dest_addr_npi;
    p->has_its = m->has_its_session_info;
    p->its = m->its_session_info;
    p->has_umr = m->has_user_message_reference;
    p->umr = m->user_message_reference;

    char text[SESSION_VAR_VAL_MAX * 2];
    decode_text(m, text, sizeof text);
    /* centres that send answers with the begin op too: a dial string (or nothing) opens
     * a dialog, anything else answers one */
    if (kind == DIALOG_BEGIN && lc->op_answer == lc->op_begin && text[0] && !looks_like_dial(text))
        kind = DIALOG_INPUT;
    if (kind == DIALOG_BEGIN && (lc->dial_in == DIAL_DESTINATION_ADDR || !text[0]) &&
        m->destination_addr[0])
        dial_from_addr(m->destination_addr, text, sizeof text);

    /* The dialog: its_session_info's octet 1 (never all 16 bits: octet 2 moves on the
     * centres that count it), the user_message_reference, or the MSISDN alone. */
    struct strbuf b;
    if (lc->session_key == SKEY_ITS_SESSION_INFO && m->has_its_session_info) {
        strbuf_init(&b, p->sid, sizeof p->sid);
        strbuf_putu(&b, SMPP_ITS_SESSION(m->its_session_info));
    } else if (lc->session_key == SKEY_USER_MESSAGE_REFERENCE && m->has_user_message_reference) {
        strbuf_init(&b, p->sid, sizeof p->sid);
        strbuf_putu(&b, (unsigned)m->user_message_reference);
    }
    /* What tells a resend from a repeated answer (resend.h): the connection and
     * sequence_number, and octet 2 of its_session_info when the centre counts it. */
    struct step_sig sig = {
        .conn = resend_conn_id(u->node, lc->name, smpp_link_conn_serial(u->link)),
        .seq = m->sequence,
        .counter = m->has_its_session_info ? (int32_t)SMPP_ITS_SEQ(m->its_session_info) : -1,
    };
    if (LOG_DEBUG_ON()) {
        char q[32];
        log_event(L_DEBUG, "ussd.in", "link=%s msisdn=%s op=%d sid=%s seq=%u its_seq=%d", lc->name,
                  log_msisdn(p->msisdn, q, sizeof q), op, p->sid, (unsigned)m->sequence,
                  (int)sig.counter);
    }
    struct dialog_req req = {
        .ingress = u->ingress,
        .msisdn = p->msisdn,
        .sid = p->sid,
        .kind = kind,
        .text = text,
        .sig = &sig,
        .resend_window_ms = (uint32_t)lc->resend_window_ms,
        .ecfg = &u->ecfg,
    };
    dialog_step(u->env, &req, on_reply, p);
}

struct ussd_smpp *ussd_smpp_new(struct event_base *base, struct dialog_env *env,
                                const struct link_config *lc)
{
    struct ussd_smpp *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->lc = *lc;
    u->env = env;
    randombytes_buf(&u->node, sizeof u->node);
    /* dialogs are the centre's: several binds to one centre (or one per gateway) share them */
    snprintf(u->ingress, sizeof u->ingress, "smpp.%s", lc->centre[0] ? lc->centre : lc->name);
    engine_cfg_default(&u->ecfg);
    u->ecfg.lim.gsm = lc->screen_limit;
    u->ecfg.lim.ucs2 = lc->screen_limit_ucs2;
    u->ecfg.key_back = env->cfg->key_back;
    u->ecfg.key_home = env->cfg->key_home;
    u->ecfg.key_more = env->cfg->key_more;

    struct smpp_link_config c;
    smpp_link_config_defaults(&c);
    c.name = u->lc.name;
    c.host = u->lc.host;
    c.port = u->lc.port;
    c.system_id = u->lc.system_id;
    c.password = u->lc.password;
    c.system_type = u->lc.system_type;
    c.addr_ton = (uint8_t)u->lc.addr_ton;
    c.addr_npi = (uint8_t)u->lc.addr_npi;
    c.address_range = u->lc.address_range;
    c.enquire_link_s = u->lc.enquire_link_s;
    c.response_timeout_ms = u->lc.response_timeout_ms;
    c.window = u->lc.window;
    c.tps = u->lc.tps;
    c.reconnect_min_ms = u->lc.reconnect_min_ms;
    c.reconnect_max_ms = u->lc.reconnect_max_ms;
    c.bind_fail_retry_ms = u->lc.bind_retry_ms;
    c.throttle_pause_ms = u->lc.throttle_pause_ms;
    struct smpp_link_callbacks cb = {on_deliver, link_state, link_log, u};
    char err[200];
    u->link = smpp_link_new(base, &c, &cb, err, sizeof err);
    if (!u->link) {
        log_event(L_ERROR, "smpp.config", "link=%s reason=\"%s\"", lc->name, err);
        free(u);
        return NULL;
    }
    /* the link need not format lines log_event would drop (the level is set at start) */
    enum log_level lv = log_get_level();
    smpp_link_set_log_level(u->link, lv <= L_DEBUG ? SMPP_LOG_DEBUG
                                     : lv == L_INFO ? SMPP_LOG_INFO
                                     : lv == L_WARN ? SMPP_LOG_WARN
                                                    : SMPP_LOG_ERROR);
    return u;
}

void ussd_smpp_start(struct ussd_smpp *u)
{
    log_event(L_INFO, "smpp.connecting", "link=%s smsc=%s:%d system_id=%s", u->lc.name,
              u->lc.host, u->lc.port, u->lc.system_id);
    smpp_link_start(u->link);
}

static void unbound(void *arg)
{
    struct ussd_smpp *u = arg;
    log_event(L_INFO, "smpp.unbound", "link=%s", u->lc.name);
    if (u->unbind_done)
        u->unbind_done(u->unbind_arg);
}

void ussd_smpp_unbind(struct ussd_smpp *u, void (*done)(void *arg), void *arg)
{
    u->unbind_done = done;
    u->unbind_arg = arg;
    if (smpp_link_unbind(u->link, unbound, u) != 0 && done)
        done(arg);
}

void ussd_smpp_free(struct ussd_smpp *u)
{
    if (!u)
        return;
    smpp_link_free(u->link);
    free(u);
}

int ussd_smpp_bound(const struct ussd_smpp *u)
{
    return smpp_link_state(u->link) == SMPP_LINK_BOUND;
}

struct smpp_link *ussd_smpp_link(struct ussd_smpp *u)
{
    return u->link;
}

const struct link_config *ussd_smpp_config(const struct ussd_smpp *u)
{
    return &u->lc;
}

void ussd_smpp_set_sms_hook(struct ussd_smpp *u, ussd_smpp_sms_fn fn, void *arg)
{
    u->sms_hook = fn;
    u->sms_arg = arg;
}
