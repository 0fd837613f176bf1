/*
 * sms_in.h: SMS from residents to the short code, answered by the keyword rules of the
 * menu set (`sms:` in menus.d): a rule's PCRE2 pattern (case-insensitive, named
 * captures become variables) picks a fixed reply or a handler whose outcome picks the
 * reply; anything no rule matches gets the `sms_default` text (how to use the service).
 * Replies go out through the SMS queue, in the phone's remembered language.
 */
#ifndef USSDGW_SMS_IN_H
#define USSDGW_SMS_IN_H

struct dialog_env;
struct sms_queue;
struct smpp_msg;
struct sms_in;

struct sms_in *sms_in_new(struct dialog_env *env, struct sms_queue *q);
void sms_in_free(struct sms_in *in);

/* An SMS (a deliver_sm that is neither USSD nor a delivery receipt) from link `link`. */
void sms_in_deliver(struct sms_in *in, const char *link, const struct smpp_msg *m);

#endif
