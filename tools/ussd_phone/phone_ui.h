/*
 * phone_ui.h: the interactive feature phone. Reads dial strings, answers and /commands
 * from stdin (a terminal or a pipe) through linein, sends them as deliver_sm through
 * the smsc, and shows what the gateway sends back as phone screens on stdout.
 *
 * On a terminal it shows prompts ("dial> ", "answer> ", bold); piped, it echoes each
 * input line after its prompt instead, handles one line per dialog step (waiting for
 * the screen or the timeout before reading on) and quits after EOF once the last step
 * is done. Quitting unbinds every ESME and then breaks the event loop.
 */
#ifndef USSD_PHONE_PHONE_UI_H
#define USSD_PHONE_PHONE_UI_H

#include <stdint.h>

#include "phone_opts.h"
#include "smpp_pdu.h"

struct event_base;
struct smsc;
struct phone_ui;

/* Start reading stdin. o must outlive the ui. NULL on failure. */
struct phone_ui *phone_ui_new(struct event_base *base, struct smsc *smsc, const struct phone_opts *o);
void phone_ui_free(struct phone_ui *ui);

/* 0, or 1 when a step timed out, was refused, or no gateway bound in time. */
int phone_ui_exit_code(const struct phone_ui *ui);

/* Quit now (signals). */
void phone_ui_quit(struct phone_ui *ui);

/* Events from the smsc (see smsc.h). */
void phone_ui_on_bound(struct phone_ui *ui, int esme, const char *system_id);
void phone_ui_on_message(struct phone_ui *ui, int esme, const struct smpp_msg *m);
void phone_ui_on_deliver_resp(struct phone_ui *ui, uint64_t tag, uint32_t status);

#endif
