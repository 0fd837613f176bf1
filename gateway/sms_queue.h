/*
 * sms_queue.h: the durable outbound SMS queue, in Redis, and the sender that drains it.
 *
 * One way to send an SMS: sms_enqueue (from handlers, keyword replies, the CLI) or an
 * `sms` screen step (its records reach the queue through the list ussd:sms:queue that
 * the session save appends to atomically; the sender takes them in). Messages survive a
 * gateway restart and an SMSC outage; every gateway process drains the same queue, a
 * message is claimed by one process at a time, sent paced by the link's TPS cap,
 * retried with back-off on temporary errors (throttled, queue full, link down, no
 * response) and given up after sms_expiry with a log line. An idempotency key makes a
 * second enqueue of the same message return the first one's id instead.
 *
 * Each message's state (queued, sending, sent with its SMSC ids, delivered, failed) can
 * be looked up with sms_lookup. Delivery receipts update it (sms_queue_on_receipt).
 */
#ifndef USSDGW_SMS_QUEUE_H
#define USSDGW_SMS_QUEUE_H

#include "config.h"

struct event_base;
struct store;
struct smpp_link;
struct smpp_msg;
struct sms_queue;

struct sms_queue *sms_queue_new(struct event_base *base, struct store *store,
                                const struct config *cfg);
void sms_queue_free(struct sms_queue *q);

/* A link the sender may send on (round-robin over the bound ones). Call before start. */
void sms_queue_add_link(struct sms_queue *q, struct smpp_link *link, const struct link_config *lc);

/* Start the sender (claims messages due, sends, records results). */
void sms_queue_start(struct sms_queue *q);

/* Stop claiming; done(arg) fires once the messages in flight have their results (or
 * a bounded wait ran out: they are then retried by whoever claims them next). */
void sms_queue_stop(struct sms_queue *q, void (*done)(void *arg), void *arg);

/* Queue a message. idem_key may be NULL. cb(arg, status, id): status 0 with the
 * message id (valid during the callback), or -1 (Redis unavailable, text too long for
 * sms_max_parts, bad number). cb fires exactly once, never inside this call. */
typedef void (*sms_enqueue_cb)(void *arg, int status, const char *id);
void sms_enqueue(struct sms_queue *q, const char *to, const char *text, const char *idem_key,
                 sms_enqueue_cb cb, void *arg);

/* When m is a delivery receipt (esm_class 0x04), record it and return 1; else 0. */
int sms_queue_on_receipt(struct sms_queue *q, const struct smpp_msg *m);

#endif
