/*
 * phone_ui.c: the interactive phone. A small state machine:
 *   IDLE   --dial-->    WAIT  (deliver_sm op 1 sent, step timer running)
 *   WAIT   --op 2-->    ANSWER (screen shown, "answer> ")
 *   WAIT   --op 17 / end bit / timeout / refusal--> IDLE
 *   ANSWER --answer-->  WAIT  (deliver_sm op 18, same session, next seq)
 *   ANSWER --/abort-->  IDLE  (abort op with the end bit)
 * A dial or answer typed while no ESME is bound is held until one binds (bounded by
 * --wait-bind). Piped input is paused while waiting, so a script is answered in step.
 * /resend sends the last deliver_sm again (piped input waits for its deliver_sm_resp);
 * one more screen of the resent step is then shown as usual and, outside WAIT, sets the
 * state as a step's screen does; none coming is no error. /drop closes the connection
 * of the ESME the last deliver_sm went to.
 */
#include "phone_ui.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "linein.h"
#include "phone_mo.h"
#include "phone_screen.h"
#include "smsc.h"

enum ui_state { UI_IDLE, UI_WAIT, UI_ANSWER, UI_QUIT };

struct phone_ui {
    struct event_base *base;
    struct smsc *smsc;
    const struct phone_opts *o;
    struct linein *in;
    int tty;
    enum ui_state st;
    struct phone_mo_coding coding;

    char msisdn[21];
    char code[21];          /* service code of the dialog (destination_addr) */
    unsigned session;       /* its_session_info session number of the dialog */
    unsigned seq;           /* sequence of the last step sent */
    int esme;               /* ESME of the last step (for --sticky) */
    uint64_t step_tag;      /* tag of the deliver_sm we wait on, 0: none */
    uint64_t next_tag;
    struct phone_mo_dialect dialect;

    struct smpp_msg last;   /* the last deliver_sm sent, with its sequence, for /resend */
    int has_last, last_ussd, last_esme;
    uint64_t resend_tag;    /* the last copy's deliver_sm_resp (piped input waits for it) */
    int resent_in_wait;     /* copies of the step in WAIT: its screen opens as many extras */
    int extra_open;         /* copies sent of the last screened step: one screen more each
                             * may come (or none) */
    unsigned extra_seq;     /* that step's number */
    uint64_t screen_fp;     /* fingerprint of the dialog's last screen */

    struct event *step_timer;
    struct event *bind_timer;
    struct event *linger_timer;
    char held[LINEIN_LINE_MAX + 1]; /* input waiting for an ESME to bind */
    int has_held;

    int eof;
    int prompt_shown;
    int exit_code;
};

static void on_line(void *arg, const char *line, size_t len);
static void on_eof(void *arg);
static void handle_input(struct phone_ui *ui, char *line);

/* ---- output ---- */

static void clear_prompt(struct phone_ui *ui)
{
    if (ui->tty && ui->prompt_shown)
        fputs("\r\033[K", stdout);
    ui->prompt_shown = 0;
}

static void say(struct phone_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct phone_ui *ui, const char *fmt, ...)
{
    clear_prompt(ui);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static const char *prompt_text(const struct phone_ui *ui)
{
    return ui->st == UI_ANSWER ? "answer>" : "dial>";
}

static void show_prompt(struct phone_ui *ui)
{
    if (!ui->tty || ui->prompt_shown || ui->eof || (ui->st != UI_IDLE && ui->st != UI_ANSWER) || ui->has_held)
        return;
    printf("\033[1m%s\033[0m ", prompt_text(ui));
    fflush(stdout);
    ui->prompt_shown = 1;
}

static void show_screen(struct phone_ui *ui, const struct smpp_msg *m)
{
    static struct phone_screen_text t;           /* large: off the stack */
    static char out[PHONE_SCREEN_TEXT_MAX * 2];  /* wrapping adds at most a newline per line */
    phone_screen_decode(m, 0, &t);
    phone_screen_render(&t, PHONE_SCREEN_WIDTH, out, sizeof(out));
    clear_prompt(ui);
    fputs(out, stdout);
    fflush(stdout);
}

/* ---- state ---- */

static void quit(struct phone_ui *ui);

/* Back to reading input: IDLE or ANSWER. */
static void settle_state(struct phone_ui *ui, enum ui_state st)
{
    ui->st = st;
    ui->step_tag = 0;
    event_del(ui->step_timer);
    if (!ui->tty && ui->resend_tag)
        return; /* piped: the copy's deliver_sm_resp first */
    if (ui->eof && !ui->has_held) {
        quit(ui);
        return;
    }
    linein_resume(ui->in);
    show_prompt(ui);
}

static void on_shutdown_done(void *arg)
{
    struct phone_ui *ui = arg;
    event_base_loopbreak(ui->base);
}

static void on_linger(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct phone_ui *ui = arg;
    smsc_shutdown(ui->smsc, on_shutdown_done, ui);
}

static void quit(struct phone_ui *ui)
{
    if (ui->st == UI_QUIT)
        return;
    ui->st = UI_QUIT;
    clear_prompt(ui);
    fflush(stdout);
    event_del(ui->step_timer);
    event_del(ui->bind_timer);
    linein_pause(ui->in);
    if (ui->eof && ui->o->linger_ms > 0) { /* messages still get shown meanwhile */
        struct timeval tv = {ui->o->linger_ms / 1000, (ui->o->linger_ms % 1000) * 1000};
        event_add(ui->linger_timer, &tv);
        return;
    }
    smsc_shutdown(ui->smsc, on_shutdown_done, ui);
}

void phone_ui_quit(struct phone_ui *ui)
{
    if (event_pending(ui->linger_timer, EV_TIMEOUT, NULL)) {
        event_del(ui->linger_timer);
        smsc_shutdown(ui->smsc, on_shutdown_done, ui);
        return;
    }
    quit(ui);
}

/* Hold a line until an ESME binds. */
static void hold(struct phone_ui *ui, const char *line)
{
    snprintf(ui->held, sizeof(ui->held), "%s", line);
    ui->has_held = 1;
    if (!ui->tty)
        linein_pause(ui->in);
    if (ui->tty) {
        say(ui, "[waiting for a gateway to bind]");
    } else { /* timing-dependent: keep it out of the transcript */
        fputs("ussd-phone: waiting for a gateway to bind\n", stderr);
        fflush(stderr);
    }
    struct timeval tv = {ui->o->wait_bind_s, 0};
    event_add(ui->bind_timer, &tv);
}

static void on_bind_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct phone_ui *ui = arg;
    if (!ui->has_held)
        return;
    ui->has_held = 0;
    ui->exit_code = 1;
    say(ui, "[no gateway bound within %d s]", ui->o->wait_bind_s);
    if (!ui->tty) {
        quit(ui);
        return;
    }
    settle_state(ui, ui->st);
}

static void on_step_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct phone_ui *ui = arg;
    if (ui->st != UI_WAIT)
        return;
    ui->exit_code = 1;
    say(ui, "[no answer from the gateway]");
    settle_state(ui, UI_IDLE);
}

/* The last deliver_sm sent, for /resend. */
static void remember(struct phone_ui *ui, const struct smpp_msg *m, int esme, int ussd)
{
    ui->last = *m;
    ui->has_last = 1;
    ui->last_ussd = ussd;
    ui->last_esme = esme;
}

/* Send one USSD step; WAIT on success. */
static void send_step(struct phone_ui *ui, uint8_t op, const char *text, int end)
{
    struct smpp_msg m;
    char err[160];
    struct phone_mo_step step = {ui->msisdn, ui->code, text, op, ui->session, ui->seq, end};
    if (phone_mo_ussd(&m, &step, &ui->dialect, &ui->coding, err, sizeof(err))) {
        say(ui, "[cannot send: %s]", err);
        settle_state(ui, ui->st == UI_ANSWER ? UI_ANSWER : UI_IDLE);
        return;
    }
    int esme = smsc_pick(ui->smsc, ui->o->sticky ? ui->esme : 0);
    uint64_t tag = ++ui->next_tag;
    if (esme < 0 || smsc_deliver(ui->smsc, esme, &m, tag, err, sizeof(err)) != 0) {
        say(ui, "[cannot send: %s]", esme < 0 ? "no gateway bound" : err);
        ui->exit_code = 1;
        settle_state(ui, UI_IDLE);
        return;
    }
    ui->esme = esme;
    remember(ui, &m, esme, 1);
    ui->resent_in_wait = 0;
    if (end) { /* an abort: nothing comes back */
        settle_state(ui, UI_IDLE);
        return;
    }
    ui->step_tag = tag;
    ui->st = UI_WAIT;
    if (!ui->tty)
        linein_pause(ui->in);
    struct timeval tv = {ui->o->timeout_ms / 1000, (ui->o->timeout_ms % 1000) * 1000};
    event_add(ui->step_timer, &tv);
}

static int is_dial_string(const char *s)
{
    return *s && strspn(s, "0123456789*#+") == strlen(s);
}

static void dial(struct phone_ui *ui, const char *line)
{
    if (!is_dial_string(line)) {
        say(ui, "[not a dial string: type e.g. *123# (digits, * and #), or /help]");
        show_prompt(ui);
        return;
    }
    if (smsc_bound(ui->smsc) == 0) {
        hold(ui, line);
        return;
    }
    if (ui->o->service_code)
        snprintf(ui->code, sizeof(ui->code), "%s", ui->o->service_code);
    else
        phone_mo_service_code(line, ui->code, sizeof(ui->code));
    ui->session = (ui->session + 1) & 0xFFu;
    ui->seq = 0;
    ui->esme = 0;
    ui->extra_open = 0;
    send_step(ui, PHONE_MO_OP_BEGIN, line, 0);
}

static void answer(struct phone_ui *ui, const char *line)
{
    if (smsc_bound(ui->smsc) == 0) {
        hold(ui, line);
        return;
    }
    ui->seq = (ui->seq + 1) & 0x7Fu;
    send_step(ui, (uint8_t)ui->o->answer_op, line, 0);
}

/* ---- commands ---- */

static void help(struct phone_ui *ui)
{
    say(ui, "Type a dial string (e.g. *123#), then answer each screen.\n"
            "  /abort          end the dialog (user abort)\n"
            "  /resend         send the last deliver_sm again: same sequence number, same ESME\n"
            "  /resend new     send it again with a fresh sequence number\n"
            "  /drop           close the connection of the ESME it went to (the gateway rebinds)\n"
            "  /throttle N     answer the gateway's next N messages ESME_RTHROTTLED\n"
            "  /msisdn NUMBER  switch to another phone (now %s)\n"
            "  /sms TEXT       send an SMS to %s\n"
            "  /help           this text\n"
            "  /quit           leave (or Ctrl-D)",
        ui->msisdn, ui->o->sms_to);
}

static void abort_dialog(struct phone_ui *ui)
{
    ui->seq = (ui->seq + 1) & 0x7Fu;
    ui->step_tag = 0;
    event_del(ui->step_timer);
    say(ui, "[dialog aborted]");
    send_step(ui, (uint8_t)ui->o->abort_op, "", 1);
}

static void set_msisdn(struct phone_ui *ui, const char *arg)
{
    size_t n = strlen(arg);
    const char *digits = arg[0] == '+' ? arg + 1 : arg;
    if (ui->st == UI_WAIT || ui->st == UI_ANSWER)
        say(ui, "[finish or /abort the dialog first]");
    else if (!*digits || strlen(digits) > 20 || strspn(digits, "0123456789") != strlen(digits) || n > 21)
        say(ui, "[usage: /msisdn NUMBER (digits)]");
    else {
        snprintf(ui->msisdn, sizeof(ui->msisdn), "%s", digits);
        say(ui, "[phone is now %s]", ui->msisdn);
    }
}

/* 1 when the line was held for a bind (then no prompt). */
static int send_sms(struct phone_ui *ui, const char *arg)
{
    struct smpp_msg m;
    char err[160];
    int esme = smsc_pick(ui->smsc, 0);
    if (!*arg) {
        say(ui, "[usage: /sms TEXT]");
    } else if (esme < 0) {
        /* like a dial: wait for a gateway to bind, then send it */
        char whole[LINEIN_LINE_MAX + 8];
        snprintf(whole, sizeof whole, "/sms %s", arg);
        hold(ui, whole);
        return 1;
    } else if (phone_mo_sms(&m, ui->msisdn, ui->o->sms_to, arg, &ui->coding, err, sizeof(err)) ||
               smsc_deliver(ui->smsc, esme, &m, ++ui->next_tag, err, sizeof(err))) {
        say(ui, "[cannot send: %s]", err);
    } else {
        remember(ui, &m, esme, 0);
        say(ui, "[SMS sent to %s]", ui->o->sms_to);
    }
    return 0;
}

/* /resend [new]. 1 when the line was held for a bind (then no prompt). */
static int resend(struct phone_ui *ui, const char *arg)
{
    int fresh = !strcmp(arg, "new");
    if (*arg && !fresh) {
        say(ui, "[usage: /resend, or /resend new for a fresh sequence number]");
        return 0;
    }
    if (!ui->has_last) {
        say(ui, "[nothing sent yet]");
        return 0;
    }
    int esme = fresh ? smsc_pick(ui->smsc, ui->o->sticky ? ui->esme : 0) : ui->last_esme;
    if (esme < 0) {
        hold(ui, "/resend new");
        return 1;
    }
    static struct smpp_msg m; /* large: off the stack */
    m = ui->last;
    char err[160];
    uint64_t tag = ++ui->next_tag;
    if (fresh ? smsc_deliver(ui->smsc, esme, &m, tag, err, sizeof(err))
              : smsc_redeliver(ui->smsc, esme, &m, tag, err, sizeof(err))) {
        say(ui, "[cannot resend: %s%s]", err, fresh ? "" : " (/resend new sends it on another)");
        return 0;
    }
    fprintf(stderr, "ussd-phone: resent deliver_sm seq=%u esme=%d\n", (unsigned)m.sequence, esme);
    fflush(stderr);
    remember(ui, &m, esme, ui->last_ussd);
    ui->esme = esme;
    ui->resend_tag = tag;
    if (ui->last_ussd) {
        ui->extra_seq = ui->seq;
        if (ui->st == UI_WAIT)
            ui->resent_in_wait++;
        else
            ui->extra_open++;
    }
    say(ui, fresh ? "[sent again with a new sequence number]" : "[sent again]");
    if (!ui->tty)
        linein_pause(ui->in); /* until the copy's deliver_sm_resp */
    return 0;
}

static void drop(struct phone_ui *ui)
{
    int esme = ui->has_last ? ui->last_esme : ui->esme;
    if (esme <= 0 || smsc_drop(ui->smsc, esme) != 0) {
        say(ui, "[no connection to drop: the last message's ESME is not bound]");
        return;
    }
    say(ui, "[connection dropped]");
}

static void throttle(struct phone_ui *ui, const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (!*arg || *end || n < 0 || n > 1000000) {
        say(ui, "[usage: /throttle N (0 to stop)]");
        return;
    }
    smsc_throttle(ui->smsc, (int)n);
    say(ui, "[the next %ld submit_sm/data_sm answered ESME_RTHROTTLED]", n);
}

static void command(struct phone_ui *ui, char *line)
{
    char *arg = line + strcspn(line, " \t");
    if (*arg) {
        *arg++ = 0;
        arg += strspn(arg, " \t");
    }
    if (!strcmp(line, "/quit") || !strcmp(line, "/exit")) {
        quit(ui);
    } else if (!strcmp(line, "/help") || !strcmp(line, "/?")) {
        help(ui);
    } else if (!strcmp(line, "/abort")) {
        if (ui->st == UI_WAIT || ui->st == UI_ANSWER) {
            abort_dialog(ui);
            return;
        }
        say(ui, "[no dialog to abort]");
    } else if (!strcmp(line, "/msisdn")) {
        set_msisdn(ui, arg);
    } else if (!strcmp(line, "/sms")) {
        if (send_sms(ui, arg))
            return;
    } else if (!strcmp(line, "/resend")) {
        if (resend(ui, arg))
            return;
    } else if (!strcmp(line, "/drop")) {
        drop(ui);
    } else if (!strcmp(line, "/throttle")) {
        throttle(ui, arg);
    } else {
        say(ui, "[unknown command %s: /help lists them]", line);
    }
    if (ui->st != UI_QUIT)
        show_prompt(ui);
}

static void handle_input(struct phone_ui *ui, char *line)
{
    /* trim */
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        line[--n] = 0;
    while (isspace((unsigned char)*line))
        line++;
    if (line[0] == '/') {
        command(ui, line);
        return;
    }
    switch (ui->st) {
    case UI_IDLE:
        if (*line)
            dial(ui, line);
        else
            show_prompt(ui);
        break;
    case UI_ANSWER:
        answer(ui, line);
        break;
    case UI_WAIT:
        say(ui, "[waiting for the gateway's screen; /abort gives up]");
        break;
    case UI_QUIT:
        break;
    }
}

static void on_line(void *arg, const char *line, size_t len)
{
    struct phone_ui *ui = arg;
    char buf[LINEIN_LINE_MAX + 1];
    if (ui->st == UI_QUIT)
        return;
    if (len > LINEIN_LINE_MAX)
        len = LINEIN_LINE_MAX;
    memcpy(buf, line, len);
    buf[len] = 0;
    ui->prompt_shown = 0; /* the user's Enter ended the prompt line */
    if (!ui->tty) {
        /* a transcript: the prompt and what was typed (made printable) */
        char echo[LINEIN_LINE_MAX + 1];
        memcpy(echo, buf, len + 1);
        phone_screen_sanitize(echo);
        phone_screen_one_line(echo);
        printf("%s %s\n", prompt_text(ui), echo);
        fflush(stdout);
    }
    if (ui->has_held) {
        say(ui, "[still waiting for a gateway to bind: line ignored]");
        return;
    }
    handle_input(ui, buf);
}

static void on_eof(void *arg)
{
    struct phone_ui *ui = arg;
    ui->eof = 1;
    if (ui->tty) {
        clear_prompt(ui);
        fputc('\n', stdout);
        fflush(stdout);
    }
    if (ui->st == UI_IDLE || ui->st == UI_ANSWER) {
        if (!ui->has_held)
            quit(ui);
    }
}

/* ---- events from the smsc ---- */

void phone_ui_on_bound(struct phone_ui *ui, int esme, const char *system_id)
{
    (void)esme, (void)system_id;
    if (!ui->has_held || ui->st == UI_QUIT)
        return;
    ui->has_held = 0;
    event_del(ui->bind_timer);
    char line[sizeof(ui->held)];
    memcpy(line, ui->held, sizeof(line));
    if (line[0] == '/')
        command(ui, line); /* a held /sms */
    else if (ui->st == UI_ANSWER)
        answer(ui, line);
    else
        dial(ui, line);
    if (ui->st == UI_IDLE || ui->st == UI_ANSWER)
        settle_state(ui, ui->st);
}

/* A USSD message for this phone's dialog (its last one when IDLE). */
static int for_our_dialog(const struct phone_ui *ui, const struct smpp_msg *m)
{
    unsigned id;
    if (strcmp(m->destination_addr, ui->msisdn) != 0)
        return 0;
    return !phone_mo_reply_dialog(m, ui->o->session_id, &id) || id == ui->session;
}

/* A screen is the resent step's second one: outside WAIT, any screen of the dialog while
 * one is expected; in WAIT (the next step's), only the same screen again, and not when
 * the its_session_info sequence number (when counted) says it answers the new step. */
static int is_extra(const struct phone_ui *ui, const struct smpp_msg *m, uint64_t fp)
{
    if (!ui->extra_open)
        return 0;
    if (ui->st != UI_WAIT)
        return 1;
    if (fp != ui->screen_fp)
        return 0;
    int counted = ui->o->session_id == PHONE_SID_ITS && !ui->o->its_seq_zero && m->has_its_session_info;
    return !counted || SMPP_ITS_SEQ(m->its_session_info) != ui->seq || ui->seq == ui->extra_seq;
}

/* A screen of the dialog sets the state: continue, end, or something else (over). */
static void take_screen(struct phone_ui *ui, const struct smpp_msg *m, int end)
{
    unsigned op = m->ussd_service_op;
    show_screen(ui, m);
    ui->screen_fp = phone_screen_fingerprint(m);
    if (op == PHONE_MO_OP_END || end) {
        say(ui, "[dialog ended]");
        settle_state(ui, UI_IDLE);
    } else if (op == PHONE_MO_OP_CONTINUE) {
        settle_state(ui, UI_ANSWER);
    } else {
        say(ui, "[ussd_service_op %u: not a continue or an end; dialog over]", op);
        settle_state(ui, UI_IDLE);
    }
}

static int network_initiated(struct phone_ui *ui, const struct smpp_msg *m, int end)
{
    unsigned id;
    int named = phone_mo_reply_dialog(m, ui->o->session_id, &id);
    if (ui->st != UI_IDLE || strcmp(m->destination_addr, ui->msisdn) != 0 ||
        m->ussd_service_op != PHONE_MO_OP_CONTINUE || end || (!named && ui->o->session_id != PHONE_SID_NONE))
        return 0;
    /* the gateway opens a dialog on this phone */
    say(ui, "[network-initiated USSD]");
    show_screen(ui, m);
    ui->screen_fp = phone_screen_fingerprint(m);
    ui->extra_open = 0;
    if (named)
        ui->session = id;
    ui->seq = m->has_its_session_info ? SMPP_ITS_SEQ(m->its_session_info) : 0;
    snprintf(ui->code, sizeof(ui->code), "%.20s", m->source_addr);
    phone_screen_sanitize(ui->code);
    settle_state(ui, UI_ANSWER);
    return 1;
}

static void show_ussd(struct phone_ui *ui, const struct smpp_msg *m)
{
    unsigned op = m->ussd_service_op;
    int end = m->has_its_session_info && SMPP_ITS_END(m->its_session_info);
    uint64_t fp = phone_screen_fingerprint(m);

    if (ui->st != UI_QUIT && for_our_dialog(ui, m) && is_extra(ui, m, fp)) {
        ui->extra_open--; /* shown as usual; in WAIT the new step still waits */
        if (ui->st == UI_WAIT)
            show_screen(ui, m);
        else
            take_screen(ui, m, end);
        return;
    }
    if (ui->st == UI_WAIT && for_our_dialog(ui, m)) {
        ui->extra_open = ui->resent_in_wait;
        ui->resent_in_wait = 0;
        take_screen(ui, m, end);
        return;
    }
    if (network_initiated(ui, m, end))
        return;
    char dest[80];
    snprintf(dest, sizeof(dest), "%s", m->destination_addr);
    phone_screen_sanitize(dest);
    phone_screen_one_line(dest);
    if (m->has_its_session_info)
        say(ui, "[USSD to %s outside a dialog: op %u session %u seq %u%s]", dest, op,
            SMPP_ITS_SESSION(m->its_session_info), SMPP_ITS_SEQ(m->its_session_info), end ? " end" : "");
    else if (m->has_user_message_reference)
        say(ui, "[USSD to %s outside a dialog: op %u umr %u]", dest, op, (unsigned)m->user_message_reference);
    else
        say(ui, "[USSD to %s outside a dialog: op %u]", dest, op);
    show_screen(ui, m);
    show_prompt(ui);
}

void phone_ui_on_message(struct phone_ui *ui, int esme, const struct smpp_msg *m)
{
    (void)esme;
    if (ui->st == UI_QUIT && !event_pending(ui->linger_timer, EV_TIMEOUT, NULL))
        return;
    if (m->has_ussd_service_op) {
        show_ussd(ui, m);
        return;
    }
    char line[PHONE_SCREEN_TEXT_MAX + 128];
    phone_screen_sms_line(m, line, sizeof(line));
    say(ui, "%s", line);
    show_prompt(ui);
}

void phone_ui_on_deliver_resp(struct phone_ui *ui, uint64_t tag, uint32_t status)
{
    if (tag && tag == ui->resend_tag) {
        ui->resend_tag = 0;
        if (ui->st == UI_QUIT)
            return;
        if (SMPP_STATUS_IS_LOCAL(status))
            say(ui, "[no deliver_sm_resp for the resent message: %s]", smpp_status_name(status));
        else if (status != SMPP_ESME_ROK)
            say(ui, "[the gateway did not take the resent message: %s (0x%X)]", smpp_status_name(status),
                (unsigned)status);
        if (ui->st == UI_IDLE || ui->st == UI_ANSWER)
            settle_state(ui, ui->st); /* piped: read on */
        return;
    }
    if (status == SMPP_ESME_ROK || ui->st == UI_QUIT)
        return;
    if (tag == ui->step_tag && ui->st == UI_WAIT) {
        ui->exit_code = 1;
        say(ui, "[the gateway did not take the message: %s (0x%X)]", smpp_status_name(status), (unsigned)status);
        settle_state(ui, UI_IDLE);
        return;
    }
    say(ui, "[an earlier message was not taken: %s]", smpp_status_name(status));
    show_prompt(ui);
}

/* ---- life ---- */

struct phone_ui *phone_ui_new(struct event_base *base, struct smsc *smsc, const struct phone_opts *o)
{
    struct phone_ui *ui = calloc(1, sizeof(*ui));
    if (!ui)
        return NULL;
    ui->base = base;
    ui->smsc = smsc;
    ui->o = o;
    ui->tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    ui->st = UI_IDLE;
    ui->coding.encoding = o->encoding;
    ui->coding.gsm_dcs = o->gsm_dcs;
    ui->dialect.session_id = o->session_id;
    ui->dialect.its_seq_zero = o->its_seq_zero;
    snprintf(ui->msisdn, sizeof(ui->msisdn), "%s", o->msisdn);
    ui->session = (unsigned)(time(NULL) ^ getpid()) & 0xFFu;
    ui->step_timer = evtimer_new(base, on_step_timeout, ui);
    ui->bind_timer = evtimer_new(base, on_bind_timeout, ui);
    ui->linger_timer = evtimer_new(base, on_linger, ui);
    struct linein_callbacks cb = {on_line, on_eof, ui};
    ui->in = linein_new(base, STDIN_FILENO, &cb);
    if (!ui->step_timer || !ui->bind_timer || !ui->linger_timer || !ui->in) {
        phone_ui_free(ui);
        return NULL;
    }
    if (ui->tty) {
        say(ui, "ussd-phone: phone %s. Type a dial string like *123#, /help for commands.", ui->msisdn);
        show_prompt(ui);
    }
    return ui;
}

void phone_ui_free(struct phone_ui *ui)
{
    if (!ui)
        return;
    if (ui->step_timer)
        event_free(ui->step_timer);
    if (ui->bind_timer)
        event_free(ui->bind_timer);
    if (ui->linger_timer)
        event_free(ui->linger_timer);
    linein_free(ui->in);
    free(ui);
}

int phone_ui_exit_code(const struct phone_ui *ui)
{
    return ui->exit_code;
}
