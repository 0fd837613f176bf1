/*
 * loadgen.c: simulated phones running a scripted USSD dialog, and the measurement.
 *
 * A phone is IDLE (no dialog), WAIT (a step sent, its timer running), THINK (--think: a
 * screen came, the answer waits), READY (open loop only: its answer waits for the
 * pacer) or SLEEP (a short pause after a step could not be sent). Replies are matched
 * to phones by arithmetic on the MSISDN, then checked against the phone's session
 * number when the reply names one (its_session_info or user_message_reference): no
 * lookup tables. A step chosen for --resend has its deliver_sm sent twice; one more
 * identical screen of it then counts as extra_screens, not as an error.
 */
#include "loadgen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "steplat.h"
#include "phone_mo.h"
#include "phone_screen.h"
#include "smsc.h"

#define LOAD_RETRY_MS 100 /* pause after a step that could not be sent */
#define LOAD_TAG_COPY (1ull << 63) /* the deliver tag of a resent copy */

enum ph_state { PH_IDLE, PH_WAIT, PH_THINK, PH_READY, PH_SLEEP };

struct phone {
    struct loadgen *l;
    uint32_t idx;
    enum ph_state st;
    uint64_t k;            /* dialogs this phone started */
    uint64_t num;          /* MSISDN of the current dialog */
    unsigned session;
    unsigned step;         /* 0: the dial, j: answer j-1 */
    int esme;
    uint32_t gen;          /* bumped per step; the deliver tag's low half */
    uint64_t sent_us;
    uint64_t timed_out_num; /* identity of the last timed-out dialog (late replies) */
    unsigned timed_out_session;
    int has_timed_out;
    int resent;            /* the step in flight was sent twice */
    int extra_open;        /* the last screened step was resent: one more screen may come */
    uint64_t extra_num;    /* ... its dialog, step number and screen */
    unsigned extra_session, extra_seq;
    uint64_t extra_fp;
    struct event *timer;
};

struct loadgen {
    struct event_base *base;
    struct smsc *smsc;
    const struct phone_opts *o;
    struct phone_mo_coding coding;
    struct phone_mo_dialect dialect;
    uint64_t rng;          /* splitmix64 state: which steps are resent */
    char service_code[21];
    uint64_t base_num;
    int num_width;         /* digits of the MSISDN, zero-padded */

    struct phone *phones;
    uint32_t n_phones;
    uint32_t *idle;        /* open loop: phones without a dialog (a stack) */
    uint32_t n_idle;
    uint32_t *ready;       /* open loop: phones whose answer waits (a FIFO) */
    uint32_t ready_head, n_ready;

    int running, finished;
    uint64_t t0_us, t_end_us;
    struct event *bind_timer, *duration_timer, *pacer;
    uint64_t paced;        /* open loop: step slots handed out */

    struct steplat *lat;
    uint64_t started, in_dialog;
    uint64_t steps, dialogs, failed_dialogs;
    uint64_t timeouts, unexpected, rejected, send_failures, late, missed, sms;
    uint64_t resends, extra_screens;
    int max_esmes;
    int bind_failed;
    int exit_code;
};

static void start_dialog(struct phone *p);
static void finish(struct loadgen *l);

static int open_loop(const struct loadgen *l)
{
    return l->o->rate > 0;
}

/* ---- phone life ---- */

static void timer_ms(struct event *ev, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(ev, &tv);
}

static void check_finish(struct loadgen *l)
{
    if (l->running && l->started >= (uint64_t)l->o->dialogs && l->in_dialog == 0)
        finish(l);
}

/* The dialog is over (ok or not): count it; the phone has none now. */
static void close_dialog(struct phone *p, int ok)
{
    struct loadgen *l = p->l;
    event_del(p->timer);
    p->gen++;
    l->in_dialog--;
    if (ok)
        l->dialogs++;
    else
        l->failed_dialogs++;
    p->st = PH_IDLE;
}

/* An idle phone takes its next dialog (closed loop) or waits for the pacer. */
static void next_dialog(struct phone *p)
{
    struct loadgen *l = p->l;
    if (!l->running)
        return;
    if (open_loop(l))
        l->idle[l->n_idle++] = p->idx;
    else if (l->started < (uint64_t)l->o->dialogs)
        start_dialog(p);
    check_finish(l);
}

static void end_dialog(struct phone *p, int ok)
{
    close_dialog(p, ok);
    next_dialog(p);
}

/* A step could not go out: the dialog failed; pause before the next one (never start
 * it from here: with no ESME bound that would recurse). */
static void step_failed(struct phone *p)
{
    struct loadgen *l = p->l;
    close_dialog(p, 0);
    if (!l->running)
        return;
    p->st = PH_SLEEP;
    timer_ms(p->timer, LOAD_RETRY_MS);
    check_finish(l);
}

/* "%0*" PRIu64 with num_width, without printf (a step each). */
static void format_msisdn(const struct loadgen *l, uint64_t v, char *msisdn, size_t cap)
{
    char d[20];
    int nd = 0;
    do
        d[nd++] = (char)('0' + v % 10);
    while ((v /= 10) && nd < 20);
    int w = l->num_width > nd ? l->num_width : nd, k = 0;
    if (w > (int)cap - 1)
        w = (int)cap - 1;
    for (; k < w - nd; k++)
        msisdn[k] = '0';
    while (k < w && nd)
        msisdn[k++] = d[--nd];
    msisdn[k] = 0;
}

/* A uniform number in [0, 1) (splitmix64). */
static double rand_unit(struct loadgen *l)
{
    uint64_t z = (l->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* Another bound ESME than `esme` (the next in round-robin order), or esme itself. */
static int other_esme(struct loadgen *l, int esme)
{
    int n = smsc_bound(l->smsc);
    for (int i = 0; i < n; i++) {
        int e = smsc_pick(l->smsc, 0);
        if (e != esme)
            return e;
    }
    return esme;
}

/* --resend: the step's deliver_sm m (sent to esme) once more, right away. */
static void send_copy(struct phone *p, struct smpp_msg *m, int esme, uint64_t tag)
{
    struct loadgen *l = p->l;
    char err[160];
    int r = l->o->resend_mode == PHONE_RESEND_SAME
                ? smsc_redeliver(l->smsc, esme, m, tag | LOAD_TAG_COPY, err, sizeof(err))
                : smsc_deliver(l->smsc, other_esme(l, esme), m, tag | LOAD_TAG_COPY, err, sizeof(err));
    if (r) {
        l->send_failures++;
        if (l->o->verbose)
            fprintf(stderr, "ussd-phone: load: resend: %s\n", err);
        return;
    }
    l->resends++;
    p->resent = 1;
}

static void send_step(struct phone *p)
{
    struct loadgen *l = p->l;
    const struct phone_opts *o = l->o;
    char msisdn[21], err[160];
    format_msisdn(l, p->num, msisdn, sizeof(msisdn));
    struct phone_mo_step st = {
        .msisdn = msisdn,
        .service_code = l->service_code,
        .text = p->step == 0 ? o->dial : o->answers[p->step - 1],
        .op = p->step == 0 ? PHONE_MO_OP_BEGIN : (uint8_t)o->answer_op,
        .session = p->session,
        .seq = p->step & 0x7Fu,
    };
    struct smpp_msg m;
    if (phone_mo_ussd(&m, &st, &l->dialect, &l->coding, err, sizeof(err))) {
        fprintf(stderr, "ussd-phone: load: %s\n", err);
        l->send_failures++;
        step_failed(p);
        return;
    }
    int esme = smsc_pick(l->smsc, o->sticky && p->step > 0 ? p->esme : 0);
    p->gen++;
    uint64_t tag = (uint64_t)p->idx << 32 | p->gen;
    if (esme < 0 || smsc_deliver(l->smsc, esme, &m, tag, err, sizeof(err)) != 0) {
        l->send_failures++;
        if (l->o->verbose)
            fprintf(stderr, "ussd-phone: load: phone %s: %s\n", msisdn, esme < 0 ? "no ESME bound" : err);
        step_failed(p);
        return;
    }
    p->sent_us = steplat_now_us();
    p->esme = esme;
    p->st = PH_WAIT;
    p->resent = 0;
    timer_ms(p->timer, o->timeout_ms);
    if (o->resend > 0 && rand_unit(l) < o->resend)
        send_copy(p, &m, esme, tag);
}

/* After a continue screen: the next answer now, after --think, or when the pacer says. */
static void answer_now(struct phone *p)
{
    struct loadgen *l = p->l;
    if (open_loop(l)) {
        p->st = PH_READY;
        p->gen++;
        l->ready[(l->ready_head + l->n_ready) % l->n_phones] = p->idx;
        l->n_ready++;
        return;
    }
    send_step(p);
}

static void answer_next(struct phone *p)
{
    if (p->l->o->think_ms > 0) {
        p->st = PH_THINK;
        timer_ms(p->timer, p->l->o->think_ms);
        return;
    }
    answer_now(p);
}

static void start_dialog(struct phone *p)
{
    struct loadgen *l = p->l;
    uint64_t k = p->k++;
    l->started++;
    l->in_dialog++;
    p->num = l->base_num + p->idx + (uint64_t)l->n_phones * (k / 256u);
    p->session = (unsigned)((p->idx + k) & 0xFFu);
    p->step = 0;
    send_step(p);
}

static void on_phone_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct phone *p = arg;
    struct loadgen *l = p->l;
    if (!l->running)
        return;
    if (p->st == PH_SLEEP) {
        p->st = PH_IDLE;
        next_dialog(p);
        return;
    }
    if (p->st == PH_THINK) {
        answer_now(p);
        return;
    }
    if (p->st != PH_WAIT)
        return;
    l->timeouts++;
    p->resent = 0;
    p->extra_open = 0;
    p->timed_out_num = p->num;
    p->timed_out_session = p->session;
    p->has_timed_out = 1;
    end_dialog(p, 0);
}

/* ---- the open-loop pacer ---- */

static void on_pacer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct loadgen *l = arg;
    if (!l->running)
        return;
    double rate = l->o->rate;
    uint64_t due = (uint64_t)((double)(steplat_now_us() - l->t0_us) * rate / 1e6);
    uint64_t second = (uint64_t)rate + 1; /* steps in a second, rounded up */
    if (due > l->paced + second) { /* more than a second behind: let it go */
        uint64_t skip = due - l->paced - second;
        if (l->started < (uint64_t)l->o->dialogs)
            l->missed += skip;
        l->paced += skip;
    }
    while (l->running && l->paced < due) {
        l->paced++;
        if (l->n_ready) {
            struct phone *p = &l->phones[l->ready[l->ready_head]];
            l->ready_head = (l->ready_head + 1) % l->n_phones;
            l->n_ready--;
            send_step(p);
        } else if (l->n_idle && l->started < (uint64_t)l->o->dialogs) {
            start_dialog(&l->phones[l->idle[--l->n_idle]]);
        } else if (l->started < (uint64_t)l->o->dialogs) {
            l->missed++; /* every phone is busy: --load too small for --rate */
        }
    }
}

/* ---- start and stop ---- */

static void on_duration(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    finish(arg);
}

static void start(struct loadgen *l)
{
    if (l->running || l->finished)
        return;
    event_del(l->bind_timer);
    l->running = 1;
    l->t0_us = steplat_now_us();
    double dur_ms = l->o->duration_s * 1000.0;
    timer_ms(l->duration_timer, dur_ms > 2e9 ? 2000000000 : (int)dur_ms);
    if (open_loop(l)) {
        for (uint32_t i = 0; i < l->n_phones; i++)
            l->idle[l->n_idle++] = l->n_phones - 1 - i; /* phone 0 on top */
        double period_ms = 1000.0 / l->o->rate; /* one tick per step, between 1 and 100 ms */
        period_ms = period_ms < 1.0 ? 1.0 : period_ms > 100.0 ? 100.0 : period_ms;
        struct timeval tv = {0, (int)(period_ms * 1000)};
        event_add(l->pacer, &tv);
        return;
    }
    for (uint32_t i = 0; i < l->n_phones && l->running && l->started < (uint64_t)l->o->dialogs; i++)
        start_dialog(&l->phones[i]);
    check_finish(l);
}

static void on_bind_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct loadgen *l = arg;
    if (l->running || l->finished)
        return;
    fprintf(stderr, "ussd-phone: %d of %d ESMEs bound within %d s\n", smsc_bound(l->smsc), l->o->min_esmes,
            l->o->wait_bind_s);
    l->bind_failed = 1;
    l->t0_us = steplat_now_us();
    finish(l);
}

static double per_s(uint64_t n, double secs)
{
    return secs > 0 ? (double)n / secs : 0.0;
}

static void report(struct loadgen *l)
{
    double secs = (double)(l->t_end_us - l->t0_us) / 1e6;
    uint64_t errors = l->timeouts + l->unexpected + l->rejected + l->send_failures + (uint64_t)l->bind_failed;
    printf("steps=%" PRIu64 "\n", l->steps);
    printf("dialogs=%" PRIu64 "\n", l->dialogs);
    printf("errors=%" PRIu64 "\n", errors);
    printf("elapsed_s=%.3f\n", secs);
    printf("steps_per_s=%.1f\n", per_s(l->steps, secs));
    printf("dialogs_per_s=%.1f\n", per_s(l->dialogs, secs));
    printf("p50_ms=%.3f\n", (double)steplat_percentile(l->lat, 50) / 1000.0);
    printf("p95_ms=%.3f\n", (double)steplat_percentile(l->lat, 95) / 1000.0);
    printf("p99_ms=%.3f\n", (double)steplat_percentile(l->lat, 99) / 1000.0);
    printf("max_ms=%.3f\n", (double)steplat_max(l->lat) / 1000.0);
    printf("timeouts=%" PRIu64 "\n", l->timeouts);
    printf("unexpected=%" PRIu64 "\n", l->unexpected);
    printf("rejected=%" PRIu64 "\n", l->rejected);
    printf("send_failures=%" PRIu64 "\n", l->send_failures);
    printf("late=%" PRIu64 "\n", l->late);
    printf("resends=%" PRIu64 "\n", l->resends);
    printf("extra_screens=%" PRIu64 "\n", l->extra_screens);
    printf("failed_dialogs=%" PRIu64 "\n", l->failed_dialogs);
    printf("abandoned_dialogs=%" PRIu64 "\n", l->in_dialog);
    printf("sms=%" PRIu64 "\n", l->sms);
    printf("phones=%" PRIu32 "\n", l->n_phones);
    printf("esmes=%d\n", l->max_esmes);
    printf("mode=%s\n", open_loop(l) ? "open" : "closed");
    if (open_loop(l)) {
        printf("rate=%.3f\n", l->o->rate);
        printf("missed=%" PRIu64 "\n", l->missed);
    }
    if (steplat_kept(l->lat) < steplat_seen(l->lat))
        printf("latency_samples=%zu\n", steplat_kept(l->lat));
    if (l->bind_failed)
        printf("bind_timeout=1\n");
    fflush(stdout);
    l->exit_code = errors ? 1 : 0;
}

static void on_shutdown_done(void *arg)
{
    struct loadgen *l = arg;
    event_base_loopbreak(l->base);
}

static void finish(struct loadgen *l)
{
    if (l->finished)
        return;
    l->finished = 1;
    l->running = 0;
    l->t_end_us = steplat_now_us();
    event_del(l->bind_timer);
    event_del(l->duration_timer);
    event_del(l->pacer);
    for (uint32_t i = 0; i < l->n_phones; i++)
        event_del(l->phones[i].timer);
    report(l);
    smsc_shutdown(l->smsc, on_shutdown_done, l);
}

void loadgen_stop(struct loadgen *l)
{
    if (!l->running && !l->finished)
        l->t0_us = steplat_now_us();
    finish(l);
}

/* ---- events ---- */

void loadgen_on_bound(struct loadgen *l, int esme, const char *system_id)
{
    (void)esme, (void)system_id;
    int n = smsc_bound(l->smsc);
    if (n > l->max_esmes)
        l->max_esmes = n;
    if (n >= l->o->min_esmes)
        start(l);
}

/* The phone a reply is for, from its destination_addr; NULL when none. */
static struct phone *phone_of(struct loadgen *l, const char *addr, uint64_t *num)
{
    size_t n = strlen(addr);
    if (n == 0 || n > 19 || strspn(addr, "0123456789") != n)
        return NULL;
    errno = 0;
    unsigned long long v = strtoull(addr, NULL, 10);
    if (errno || v < l->base_num)
        return NULL;
    *num = v;
    return &l->phones[(v - l->base_num) % l->n_phones];
}

/* The second screen of a resent step: the same screen again for the dialog it belongs
 * to. When its_session_info counts the steps, its sequence number says which step a
 * screen answers; otherwise a screen identical to the resent step's, while the next
 * step waits, is taken for its second one. Counted apart, not an error. */
static int extra_screen(struct phone *p, const struct smpp_msg *m, uint64_t num, int named, unsigned id,
                        uint64_t fp)
{
    const struct phone_opts *o = p->l->o;
    if (!p->extra_open || num != p->extra_num || (named && id != p->extra_session) || fp != p->extra_fp)
        return 0;
    int counted = o->session_id == PHONE_SID_ITS && !o->its_seq_zero && m->has_its_session_info;
    if (counted && SMPP_ITS_SEQ(m->its_session_info) != p->extra_seq)
        return 0;
    p->extra_open = 0;
    return 1;
}

/* A reply for phone p that is not the screen of its step in flight. */
static void stray_reply(struct loadgen *l, struct phone *p, const struct smpp_msg *m, uint64_t num, int named,
                        unsigned id)
{
    int was_timed_out = p->has_timed_out && p->timed_out_num == num && (!named || id == p->timed_out_session);
    if (was_timed_out) {
        l->late++;
        return;
    }
    l->unexpected++;
    if (l->o->verbose)
        fprintf(stderr, "ussd-phone: load: reply for %.20s session %u matches no step in flight\n",
                m->destination_addr, named ? id : 0);
}

/* The screen of p's step in flight: the dialog ends, fails or goes on. */
static void step_done(struct loadgen *l, struct phone *p, const struct smpp_msg *m, uint64_t fp)
{
    p->extra_open = p->resent;
    if (p->resent) {
        p->extra_num = p->num;
        p->extra_session = p->session;
        p->extra_seq = p->step & 0x7Fu;
        p->extra_fp = fp;
    }
    p->resent = 0;
    unsigned op = m->ussd_service_op;
    int end = m->has_its_session_info && SMPP_ITS_END(m->its_session_info);
    if (op == PHONE_MO_OP_END || end) {
        end_dialog(p, 1);
        return;
    }
    if (op != PHONE_MO_OP_CONTINUE) {
        l->unexpected++;
        if (l->o->verbose)
            fprintf(stderr, "ussd-phone: load: ussd_service_op %u is not a continue or an end\n", op);
        end_dialog(p, 0);
        return;
    }
    if (p->step >= (unsigned)l->o->n_answers) { /* the script is done: the phone says no more */
        end_dialog(p, 1);
        return;
    }
    p->step++;
    answer_next(p);
}

void loadgen_on_message(struct loadgen *l, int esme, const struct smpp_msg *m)
{
    (void)esme;
    if (!l->running)
        return;
    if (!m->has_ussd_service_op) {
        l->sms++; /* an SMS from the menus (e.g. a reference number): not a step */
        return;
    }
    uint64_t now = steplat_now_us();
    uint64_t num = 0;
    struct phone *p = phone_of(l, m->destination_addr, &num);
    if (!p) {
        l->unexpected++;
        if (l->o->verbose)
            fprintf(stderr, "ussd-phone: load: reply to unknown phone %.20s\n", m->destination_addr);
        return;
    }
    unsigned id = 0;
    int named = phone_mo_reply_dialog(m, l->o->session_id, &id);
    uint64_t fp = phone_screen_fingerprint(m);
    if (extra_screen(p, m, num, named, id, fp)) {
        l->extra_screens++;
        return;
    }
    if (p->st != PH_WAIT || p->num != num || (named && id != p->session)) {
        stray_reply(l, p, m, num, named, id);
        return;
    }
    steplat_add(l->lat, now - p->sent_us);
    l->steps++;
    event_del(p->timer);
    step_done(l, p, m, fp);
}

void loadgen_on_deliver_resp(struct loadgen *l, uint64_t tag, uint32_t status)
{
    if (!l->running || status == SMPP_ESME_ROK)
        return;
    /* A lost link or a missing response is left to the step timer: the screen may still
     * come through another ESME. A refusal ends the dialog now; a refused copy is an
     * error of its own (a centre resends what got no response: it must be taken). */
    if (SMPP_STATUS_IS_LOCAL(status))
        return;
    if (tag & LOAD_TAG_COPY) {
        l->rejected++;
        if (l->o->verbose)
            fprintf(stderr, "ussd-phone: load: resent deliver_sm refused: %s\n", smpp_status_name(status));
        return;
    }
    uint32_t idx = (uint32_t)(tag >> 32);
    if (idx >= l->n_phones)
        return;
    struct phone *p = &l->phones[idx];
    if (p->st != PH_WAIT || p->gen != (uint32_t)tag)
        return;
    l->rejected++;
    if (l->o->verbose)
        fprintf(stderr, "ussd-phone: load: deliver_sm refused: %s\n", smpp_status_name(status));
    end_dialog(p, 0);
}

/* ---- life ---- */

struct loadgen *loadgen_new(struct event_base *base, struct smsc *smsc, const struct phone_opts *o)
{
    struct loadgen *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->base = base;
    l->smsc = smsc;
    l->o = o;
    l->coding.encoding = o->encoding;
    l->coding.gsm_dcs = o->gsm_dcs;
    l->dialect.session_id = o->session_id;
    l->dialect.its_seq_zero = o->its_seq_zero;
    l->rng = o->seed;
    if (o->service_code)
        snprintf(l->service_code, sizeof(l->service_code), "%s", o->service_code);
    else
        phone_mo_service_code(o->dial, l->service_code, sizeof(l->service_code));
    l->base_num = strtoull(o->msisdn, NULL, 10);
    l->num_width = (int)strlen(o->msisdn);
    l->n_phones = (uint32_t)o->load_phones;
    l->phones = calloc(l->n_phones, sizeof(*l->phones));
    l->idle = calloc(l->n_phones, sizeof(*l->idle));
    l->ready = calloc(l->n_phones, sizeof(*l->ready));
    l->lat = steplat_new(0);
    l->bind_timer = evtimer_new(base, on_bind_timeout, l);
    l->duration_timer = evtimer_new(base, on_duration, l);
    l->pacer = event_new(base, -1, EV_PERSIST, on_pacer, l);
    if (!l->phones || !l->idle || !l->ready || !l->lat || !l->bind_timer || !l->duration_timer || !l->pacer)
        goto fail;
    for (uint32_t i = 0; i < l->n_phones; i++) {
        struct phone *p = &l->phones[i];
        p->l = l;
        p->idx = i;
        p->timer = evtimer_new(base, on_phone_timer, p);
        if (!p->timer)
            goto fail;
    }
    if (smsc_bound(smsc) >= o->min_esmes) {
        start(l);
    } else {
        struct timeval tv = {o->wait_bind_s, 0};
        event_add(l->bind_timer, &tv);
    }
    return l;
fail:
    loadgen_free(l);
    return NULL;
}

void loadgen_free(struct loadgen *l)
{
    if (!l)
        return;
    if (l->phones)
        for (uint32_t i = 0; i < l->n_phones; i++)
            if (l->phones[i].timer)
                event_free(l->phones[i].timer);
    free(l->phones);
    free(l->idle);
    free(l->ready);
    steplat_free(l->lat);
    if (l->bind_timer)
        event_free(l->bind_timer);
    if (l->duration_timer)
        event_free(l->duration_timer);
    if (l->pacer)
        event_free(l->pacer);
    free(l);
}

int loadgen_exit_code(const struct loadgen *l)
{
    return l->exit_code;
}
