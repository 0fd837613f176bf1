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
 *
 * Redis keys (prefix SMS_KEY_PREFIX, "ussd:sms:"); every change that touches more than
 * one key is one Lua script, so it is atomic:
 *   ussd:sms:seq            INCR counter: message ids are 1, 2, 3, ...
 *   ussd:sms:msg:ID         hash: to, text, lang, state (queued|sending|sent|delivered|
 *                           failed), attempts, created_ms, next_ms, lease (token of the
 *                           process sending it), parts, smsc_ids (one per part, comma
 *                           separated, empty for a part not accepted yet), error, key,
 *                           sent_ms, done_ms, dlvrd (parts delivered), r:SMSCID (receipt
 *                           state of that part), rfail. No expiry while queued or
 *                           sending; SMS_KEEP_S after it is sent or failed.
 *   ussd:sms:due            zset of ID by next_ms: queued messages, and sending ones by
 *                           the end of their lease (a process that dies mid-send lets
 *                           another take them when the lease runs out)
 *   ussd:sms:queue          list of JSON records {"to","text","lang","queued_at"} that
 *                           `sms` steps RPUSH with the session save; taken in by the
 *                           claim script
 *   ussd:sms:idem:KEY       ID of the first message queued with idempotency key KEY
 *                           (expires sms_expiry + SMS_KEEP_S after it was set)
 *   ussd:sms:smsc:SMSCID    "ID|SMSCID" for receipts, SMSCID as submit_sm_resp gave it
 *   ussd:sms:smscx:N        the same, N = that id read as hex, in decimal (a receipt
 *                           may give the id in decimal) ...
 *   ussd:sms:smscd:H        ... H = that id read as decimal, in hex; SMS_KEEP_S
 *   ussd:sms:rcpt:SMSCID    a receipt for an id not known (yet), "STAT|ERR", under the
 *   ussd:sms:rcptx:N        receipt's id as given, read as decimal and read as hex;
 *   ussd:sms:rcptd:H        applied when a matching id is recorded within SMS_PARK_S
 *                           (a receipt can overtake the recording of a part's id)
 * The scripts derive key names from the prefix (they do not list them in KEYS): one
 * Redis server (with replicas or Sentinel), not Redis Cluster.
 */
#ifndef USSDGW_SMS_QUEUE_H
#define USSDGW_SMS_QUEUE_H

#include "config.h"

#define SMS_KEY_PREFIX "ussd:sms:"
#define SMS_KEEP_S (3 * 86400) /* how long finished messages and SMSC id maps stay */
#define SMS_PARK_S 120         /* how long a receipt for an unknown id is kept */

struct event_base;
struct store;
struct smpp_link;
struct smpp_msg;
struct sms_queue;

struct sms_queue *sms_queue_new(struct event_base *base, struct store *store,
                                const struct config *cfg);
/* Free the queue (NULL is fine). Pending sms_enqueue / sms_lookup callbacks fire with
 * -1 first. Submits still at a link keep their small records until the link answers
 * them (on loss or free at the latest), so free the links after the queue. */
void sms_queue_free(struct sms_queue *q);

/* A link the sender may send on (round-robin over the bound ones). Call before start. */
void sms_queue_add_link(struct sms_queue *q, struct smpp_link *link, const struct link_config *lc);

/* Start the sender (claims messages due, sends, records results). */
void sms_queue_start(struct sms_queue *q);

/* Stop claiming; done(arg) fires once the messages in flight have their results (or
 * a bounded wait ran out: they are then retried by whoever claims them next). */
void sms_queue_stop(struct sms_queue *q, void (*done)(void *arg), void *arg);

/* Queue a message. idem_key may be NULL. cb(arg, status, id): status 0 with the new
 * message's id (valid during the callback), 1 with the id of the message queued
 * earlier under the same idem_key (nothing new is queued), or -1 (Redis unavailable,
 * text too long for sms_max_parts, bad number). cb fires exactly once, never inside
 * this call. */
typedef void (*sms_enqueue_cb)(void *arg, int status, const char *id);
void sms_enqueue(struct sms_queue *q, const char *to, const char *text, const char *idem_key,
                 sms_enqueue_cb cb, void *arg);

/* When m is a delivery receipt (esm_class 0x04, or 0x20: an intermediate notification),
 * record it and return 1. Other SMSC / SME acknowledgements (0x08, 0x10) are logged and
 * consumed too (1). Anything else (an SMS from a phone) returns 0. */
int sms_queue_on_receipt(struct sms_queue *q, const struct smpp_msg *m);

/* One message as sms_lookup found it; strings valid during the callback. */
struct sms_info {
    const char *id;
    const char *state;    /* queued, sending, sent, delivered, failed */
    const char *to;
    const char *text;
    const char *smsc_ids; /* comma separated, one per part; "" before it was sent */
    const char *error;    /* last error or failure reason, "" when none */
    const char *key;      /* idempotency key, "" when none */
    int attempts;
    int parts;
    int parts_delivered;
    long long created_ms, next_ms, sent_ms, done_ms; /* ms since the epoch, 0 when unset */
};

/* cb(arg, status, info): status 0 with info, 1 when there is no such message (info
 * NULL), -1 when Redis could not be asked (info NULL). Fires exactly once, never inside
 * this call. */
typedef void (*sms_lookup_cb)(void *arg, int status, const struct sms_info *info);
void sms_lookup(struct sms_queue *q, const char *id, sms_lookup_cb cb, void *arg);

#endif
