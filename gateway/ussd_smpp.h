/*
 * ussd_smpp.h: USSD dialogs over one SMPP link, in the dialect of that link's profile.
 *
 * deliver_sm/data_sm with ussd_service_op -> a dialog step (begin, answer or abort,
 * keyed per the profile) -> submit_sm or data_sm with the continue or end op, the
 * its_session_info echoed (end bit set on the final screen) and the text in GSM or
 * UCS2. The link answers every deliver_sm before this module sees it.
 */
#ifndef USSDGW_USSD_SMPP_H
#define USSDGW_USSD_SMPP_H

#include "config.h"
#include "dialog.h"

struct event_base;
struct smpp_link;
struct smpp_msg;
struct ussd_smpp;

struct ussd_smpp *ussd_smpp_new(struct event_base *base, struct dialog_env *env,
                                const struct link_config *lc);
void ussd_smpp_start(struct ussd_smpp *u);
/* Unbind gracefully; done(arg) fires once when the link is down. */
void ussd_smpp_unbind(struct ussd_smpp *u, void (*done)(void *arg), void *arg);
void ussd_smpp_free(struct ussd_smpp *u);
int ussd_smpp_bound(const struct ussd_smpp *u);

/* The SMPP link itself (for the SMS sender, which shares it). */
struct smpp_link *ussd_smpp_link(struct ussd_smpp *u);
const struct link_config *ussd_smpp_config(const struct ussd_smpp *u);

/* Where deliver_sm without USSD fields go: SMS and delivery receipts. Without a hook
 * they are logged and dropped. */
typedef void (*ussd_smpp_sms_fn)(void *arg, const char *link, const struct smpp_msg *m);
void ussd_smpp_set_sms_hook(struct ussd_smpp *u, ussd_smpp_sms_fn fn, void *arg);

#endif
