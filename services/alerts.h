/*
 * alerts.h: alert subscriptions in Redis (residents follow a topic in a district) and
 * the audience of an alert staff send (`ussdgw alert send`, cli/alerts_cli.c, which
 * queues one SMS per subscriber).
 *
 * Keys (this module names them all; each change is one script, so atomic):
 *   ussd:alerts:sub:TOPIC:DISTRICT   set of MSISDNs subscribed to TOPIC in DISTRICT
 *   ussd:alerts:phone:MSISDN         set of TOPIC:DISTRICT the phone is subscribed to
 *   ussd:alerts:district:MSISDN      the district of the phone's last join (the default
 *                                    when a join or leave names none)
 *   ussd:alerts:stopped              set of MSISDNs that sent STOP (no alert until START)
 *   ussd:alerts:seq                  INCR counter: alert ids
 * TOPIC is water, waste, roads or health; DISTRICT the district's name as geo.h spells
 * it. A subscriber's language is the dialog's ussd:l:MSISDN.
 *
 * Calls: a change for someone takes a svc_ctx (actor.msisdn: the resident's phone, at
 * most 32 bytes, else REC_INVALID "msisdn"); a read takes the env. Outcomes are
 * records.h's REC_* with a reason `why`. Callback contract, for every call: cb fires
 * exactly once, from the event loop, never inside the call (bad input too); what it is
 * handed is valid only during the callback; it may make new calls.
 */
#ifndef USSDGW_ALERTS_H
#define USSDGW_ALERTS_H

#include <stddef.h>

#include "records.h"
#include "svc.h"

/* ---- topics (pure) ---- */

struct alerts_topic {
    const char *code;         /* water, waste, roads, health */
    const char *shown[3];     /* in a text, en rw fr: "water", "amazi", "eau" */
    const char *const *words; /* accepted (ASCII case-insensitive), any language */
    const char *keyword[3];   /* to type for JOIN / LEAVE (GSM letters only): WATER, AMAZI */
};

/* The topic a word names (any of its words), or NULL. */
const struct alerts_topic *alerts_topic_find(const char *word);

/* The topic whose code is `code` (any case), or NULL. */
const struct alerts_topic *alerts_topic_by_code(const char *code);

/* Its words in lang (en, rw, fr; any other: en). */
const char *alerts_topic_text(const struct alerts_topic *t, const char *lang);
const char *alerts_topic_keyword(const struct alerts_topic *t, const char *lang);

/* ---- a phone's subscriptions ---- */

enum alerts_outcome {
    ALERTS_OK,
    ALERTS_NEED_DISTRICT,  /* no district given, and none remembered */
    ALERTS_NOT_SUBSCRIBED, /* leave: it was not */
    ALERTS_STOPPED,        /* join: subscribed, but the phone sent STOP */
};

/* district: the one used (NULL with ALERTS_NEED_DISTRICT or a failure). */
typedef void (*alerts_sub_cb)(void *arg, int status, const char *why, enum alerts_outcome o,
                              const char *district);

/* Subscribe ctx's phone to topic (a code) in district (geo's spelling; "" or NULL: the
 * phone's last one), and remember the district. */
void alerts_join(const struct svc_ctx *ctx, const char *topic, const char *district,
                 alerts_sub_cb cb, void *arg);

/* Unsubscribe it, the same way. */
void alerts_leave(const struct svc_ctx *ctx, const char *topic, const char *district,
                  alerts_sub_cb cb, void *arg);

/* count: the phone's subscriptions (kept while stopped). */
typedef void (*alerts_count_cb)(void *arg, int status, const char *why, long count);

/* STOP: no alert to ctx's phone until START. */
void alerts_stop(const struct svc_ctx *ctx, alerts_count_cb cb, void *arg);

/* START: alerts again. */
void alerts_start(const struct svc_ctx *ctx, alerts_count_cb cb, void *arg);

struct alerts_sub {
    const char *id;       /* "TOPIC:DISTRICT" */
    const char *topic;    /* the code */
    const char *district;
};

typedef void (*alerts_list_cb)(void *arg, int status, const char *why,
                               const struct alerts_sub *s, size_t n);

/* A phone's subscriptions, sorted by id (at most ALERTS_SUBS_MAX). */
#define ALERTS_SUBS_MAX 128
void alerts_of(const struct svc_env *env, const char *msisdn, alerts_list_cb cb, void *arg);

/* ---- sending an alert ---- */

typedef void (*alerts_id_cb)(void *arg, int status, const char *why, const char *id);

/* A new alert id, for ctx's staff member. */
void alerts_new_id(const struct svc_ctx *ctx, alerts_id_cb cb, void *arg);

struct alerts_audience {
    const char *const *to;   /* the subscribers' phones (sms_codec's sms_msisdn_ok) */
    const char *const *lang; /* with_langs: each one's saved language, or NULL; else NULL */
    size_t n;
};

typedef void (*alerts_audience_cb)(void *arg, int status, const char *why,
                                   const struct alerts_audience *a);

/* Who an alert of topic (a code) in district reaches: the subscribers who have not sent
 * STOP, with (with_langs) their saved languages, read in batches. */
void alerts_audience(const struct svc_env *env, const char *topic, const char *district,
                     int with_langs, alerts_audience_cb cb, void *arg);

#endif
