/*
 * records_app_view.h: one application as one read script gives it (the hash, the latest
 * history entries, the bill), parsed into struct rec_app; for records_apps.c and
 * records_change.c (not for their callers).
 */
#ifndef USSDGW_RECORDS_APP_VIEW_H
#define USSDGW_RECORDS_APP_VIEW_H

#include <jansson.h>

#include "records_apps.h"
#include "records_op.h"

/* The application; the history's JSON is kept here until rec_app_view_done. */
struct rec_app_view {
    struct rec_app a;
    const struct redisReply *hash; /* the application's HGETALL (fields beyond rec_app) */
    struct rec_bill bill;
    struct handler_kv details[REC_MAX_DETAILS];
    struct rec_hist hist[REC_MAX_HIST];
    json_t *json[REC_MAX_HIST];
    size_t n_json;
};

/* Send o's read of application o->ref; its reply is {} (none: the kind should say
 * empty_not_found) or what rec_app_view_parse takes. Returns 0. */
int rec_app_read(struct rec_op *o);

/* 0, or -1 when r is not an application (then v holds nothing to release). */
int rec_app_view_parse(struct rec_app_view *v, const struct redisReply *r);

/* Release what the parse kept. */
void rec_app_view_done(struct rec_app_view *v);

#endif
