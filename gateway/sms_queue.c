/*
 * sms_queue.c: placeholder until the queue lands: every enqueue fails.
 */
#include "sms_queue.h"

#include <event2/event.h>
#include <stdlib.h>

struct sms_queue {
    struct event_base *base;
};

struct sms_queue *sms_queue_new(struct event_base *base, struct store *store,
                                const struct config *cfg)
{
    (void)store;
    (void)cfg;
    struct sms_queue *q = calloc(1, sizeof *q);
    if (q)
        q->base = base;
    return q;
}

void sms_queue_free(struct sms_queue *q)
{
    free(q);
}

void sms_queue_add_link(struct sms_queue *q, struct smpp_link *link, const struct link_config *lc)
{
    (void)q;
    (void)link;
    (void)lc;
}

void sms_queue_start(struct sms_queue *q)
{
    (void)q;
}

void sms_queue_stop(struct sms_queue *q, void (*done)(void *arg), void *arg)
{
    (void)q;
    if (done)
        done(arg);
}

struct later {
    sms_enqueue_cb cb;
    void *arg;
};

static void fail_later(evutil_socket_t fd, short what, void *p)
{
    struct later *l = p;
    (void)fd;
    (void)what;
    l->cb(l->arg, -1, NULL);
    free(l);
}

void sms_enqueue(struct sms_queue *q, const char *to, const char *text, const char *idem_key,
                 sms_enqueue_cb cb, void *arg)
{
    (void)to;
    (void)text;
    (void)idem_key;
    struct later *l = malloc(sizeof *l);
    if (!l)
        return;
    l->cb = cb;
    l->arg = arg;
    event_base_once(q->base, -1, EV_TIMEOUT, fail_later, l, NULL);
}

int sms_queue_on_receipt(struct sms_queue *q, const struct smpp_msg *m)
{
    (void)q;
    (void)m;
    return 0;
}
