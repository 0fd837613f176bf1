/*
 * main.c: ussd-phone, the SMSC and feature-phone simulator of ussdgw. Parses the
 * command line, listens as the SMSC, and runs either the interactive phone (stdin) or
 * the load generator; signals end either cleanly (unbind, report).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "loadgen.h"
#include "phone_opts.h"
#include "phone_ui.h"
#include "smsc.h"

struct app {
    struct event_base *base;
    struct phone_ui *ui;
    struct loadgen *load;
    int signals;
};

static void on_bound(void *arg, int esme, const char *system_id)
{
    struct app *a = arg;
    if (a->ui)
        phone_ui_on_bound(a->ui, esme, system_id);
    if (a->load)
        loadgen_on_bound(a->load, esme, system_id);
}

static void on_message(void *arg, int esme, const struct smpp_msg *m)
{
    struct app *a = arg;
    if (a->ui)
        phone_ui_on_message(a->ui, esme, m);
    if (a->load)
        loadgen_on_message(a->load, esme, m);
}

static void on_deliver_resp(void *arg, uint64_t tag, uint32_t status)
{
    struct app *a = arg;
    if (a->ui)
        phone_ui_on_deliver_resp(a->ui, tag, status);
    if (a->load)
        loadgen_on_deliver_resp(a->load, tag, status);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what;
    struct app *a = arg;
    if (++a->signals > 1) { /* a second Ctrl-C: do not wait for unbind_resp */
        event_base_loopbreak(a->base);
        return;
    }
    if (a->ui)
        phone_ui_quit(a->ui);
    if (a->load)
        loadgen_stop(a->load);
}

int main(int argc, char **argv)
{
    struct phone_opts o;
    int r = phone_opts_parse(&o, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);

    struct app a;
    memset(&a, 0, sizeof(a));
    a.base = event_base_new();
    if (!a.base) {
        fputs("ussd-phone: cannot create the event loop\n", stderr);
        return 1;
    }
    struct smsc_config cfg = {
        .host = o.listen_host,
        .port = o.listen_port,
        .system_id = o.system_id,
        .password = o.password,
        .enquire_link_s = o.enquire_link_s,
        .bind_timeout_s = o.bind_timeout_s,
        .response_timeout_ms = o.timeout_ms,
        .receipts = o.receipts,
        .verbose = o.verbose,
    };
    struct smsc_callbacks cb = {
        .on_bound = on_bound,
        .on_message = on_message,
        .on_deliver_resp = on_deliver_resp,
        .arg = &a,
    };
    char err[256];
    struct smsc *smsc = smsc_new(a.base, &cfg, &cb, err, sizeof(err));
    if (!smsc) {
        fprintf(stderr, "ussd-phone: %s\n", err);
        event_base_free(a.base);
        return 1;
    }
    if (o.load_phones)
        a.load = loadgen_new(a.base, smsc, &o);
    else
        a.ui = phone_ui_new(a.base, smsc, &o);
    struct event *sigint = evsignal_new(a.base, SIGINT, on_signal, &a);
    struct event *sigterm = evsignal_new(a.base, SIGTERM, on_signal, &a);
    if ((!a.load && !a.ui) || !sigint || !sigterm || event_add(sigint, NULL) || event_add(sigterm, NULL)) {
        fputs("ussd-phone: out of memory\n", stderr);
        return 1;
    }

    event_base_dispatch(a.base);

    int code = a.load ? loadgen_exit_code(a.load) : phone_ui_exit_code(a.ui);
    if (a.signals && a.ui)
        code = code ? code : 130;
    loadgen_free(a.load);
    phone_ui_free(a.ui);
    smsc_free(smsc);
    event_free(sigint);
    event_free(sigterm);
    event_base_free(a.base);
    return code;
}
