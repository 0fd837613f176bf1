/*
 * phone_ui.c: the interactive phone. A small state machine:
 *   IDLE   --dial-->    WAIT  (deliver_sm op 1 sent, step timer running)
 *   WAIT   --op 2-->    ANSWER (screen shown, "answer> ")
 *   WAIT   --op 17 / end bit / timeout / refusal--> IDLE
 *   ANSWER --answer-->  WAIT  (deliver_sm op 18, same session, next seq)
 *   ANSWER --/abort-->  IDLE  (abort op with the end bit)
 * A dial or answer typed while no ESME is bound is held until one binds (bounded by
 * --wait-bind). Piped input is paused while waiting, so a script is answered in step.
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

/* Send one USSD step; WAIT on success. */
static void send_step(struct phone_ui *ui, uint8_t op, const char *text, int end)
{
    struct smpp_msg m;
    char err[160];
    if (phone_mo_ussd(&m, ui->msisdn, ui->code, text, op, ui->session, ui->seq, end, &ui->coding, err, sizeof(err))) {
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
    send_step(ui, PHONE_MO_OP_BEGIN, line, 0);
}

static void answer(struct phone_ui *ui, const char *line)
{
    if (smsc_bound(ui->smsc) == 0) {
        hold(ui, line);
        return;
    }
    ui->seq = (ui->seq + 1) & 0x7Fu;
    send_step(ui, PHONE_MO_OP_ANSWER, line, 0);
}

/* ---- commands ---- */

static void help(struct phone_ui *ui)
{
    say(ui, "Type a dial string (e.g. *123#), then answer each screen.\n"
            "  /abort          end the dialog (user abort)\n"
            "  /msisdn NUMBER  switch to another phone (now %s)\n"
            "  /sms TEXT       send an SMS to %s\n"
            "  /help           this text\n"
            "  /quit           leave (or Ctrl-D)",
        ui->msisdn, ui->o->sms_to);
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
        if (ui->st != UI_WAIT && ui->st != UI_ANSWER) {
            say(ui, "[no dialog to abort]");
        } else {
            ui->seq = (ui->seq + 1) & 0x7Fu;
            ui->step_tag = 0;
            event_del(ui->step_timer);
            say(ui, "[dialog aborted]");
            send_step(ui, (uint8_t)ui->o->abort_op, "", 1);
            return;
        }
    } else if (!strcmp(line, "/msisdn")) {
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
    } else if (!strcmp(line, "/sms")) {
        struct smpp_msg m;
        char err[160];
        int esme = smsc_pick(ui->smsc, 0);
        if (!*arg)
            say(ui, "[usage: /sms TEXT]");
        else if (esme < 0) {
            /* like a dial: wait for a gateway to bind, then send it */
            char whole[LINEIN_LINE_MAX + 8];
            snprintf(whole, sizeof whole, "/sms %s", arg);
            hold(ui, whole);
            return;
        } else if (phone_mo_sms(&m, ui->msisdn, ui->o->sms_to, arg, &ui->coding, err, sizeof(err)) ||
                 smsc_deliver(ui->smsc, esme, &m, ++ui->next_tag, err, sizeof(err)))
            say(ui, "[cannot send: %s]", err);
        else
            say(ui, "[SMS sent to %s]", ui->o->sms_to);
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

static void show_ussd(struct phone_ui *ui, const struct smpp_msg *m)
{
    unsigned op = m->ussd_service_op;
    int end = m->has_its_session_info && SMPP_ITS_END(m->its_session_info);
    int ours = !strcmp(m->destination_addr, ui->msisdn);
    int same_session = !m->has_its_session_info || SMPP_ITS_SESSION(m->its_session_info) == ui->session;

    if (ui->st == UI_WAIT && ours && same_session) {
        show_screen(ui, m);
        if (op == PHONE_MO_OP_END || end) {
            say(ui, "[dialog ended]");
            settle_state(ui, UI_IDLE);
        } else if (op == PHONE_MO_OP_CONTINUE) {
            settle_state(ui, UI_ANSWER);
        } else {
            say(ui, "[ussd_service_op %u: not a continue or an end; dialog over]", op);
            settle_state(ui, UI_IDLE);
        }
        return;
    }
    if (ui->st == UI_IDLE && ours && op == PHONE_MO_OP_CONTINUE && !end && m->has_its_session_info) {
        /* network-initiated: the gateway opens a dialog on this phone */
        say(ui, "[network-initiated USSD]");
        show_screen(ui, m);
        ui->session = SMPP_ITS_SESSION(m->its_session_info);
        ui->seq = SMPP_ITS_SEQ(m->its_session_info);
        snprintf(ui->code, sizeof(ui->code), "%.20s", m->source_addr);
        phone_screen_sanitize(ui->code);
        settle_state(ui, UI_ANSWER);
        return;
    }
    char dest[80];
    snprintf(dest, sizeof(dest), "%s", m->destination_addr);
    phone_screen_sanitize(dest);
    phone_screen_one_line(dest);
    if (m->has_its_session_info)
        say(ui, "[USSD to %s outside a dialog: op %u session %u seq %u%s]", dest, op,
            SMPP_ITS_SESSION(m->its_session_info), SMPP_ITS_SEQ(m->its_session_info), end ? " end" : "");
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
