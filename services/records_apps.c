/*
 * records_apps.c: reading applications, a phone's applications and an application's
 * status alone; see records_apps.h.
 */
#include "records_apps.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records_app_view.h"
#include "records_op.h"

/* ---- one application ---- */

static void app_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_app_cb)o->cb)(o->arg, status, why, NULL);
}

static int app_reply(struct rec_op *o, const redisReply *r)
{
    /* a view is some 3 kB: not on the stack of a callback */
    struct rec_app_view *v = malloc(sizeof *v);
    if (!v)
        return rec_op_why(o, REC_ERR, "memory");
    if (rec_app_view_parse(v, r) != 0) {
        free(v);
        return rec_op_why(o, REC_ERR, "data");
    }
    ((rec_app_cb)o->cb)(o->arg, REC_OK, NULL, &v->a);
    rec_app_view_done(v);
    free(v);
    return REC_OK;
}

static const struct rec_op_kind app_kind = {app_fail, app_reply, 1};

int records_app_get(const struct svc_env *env, const char *ref, rec_app_cb cb, void *arg)
{
    struct rec_op *o = rec_op_new(env, &app_kind, (rec_fn)cb, arg);
    if (!o)
        return -1;
    const char *bad = rec_parse_ref(ref, o->ref, sizeof o->ref);
    if (bad)
        return rec_op_fail(o, REC_INVALID, bad);
    return rec_app_read(o);
}

const char *records_app_detail(const struct rec_app *a, const char *k)
{
    for (size_t i = 0; i < a->n_details; i++)
        if (strcmp(a->details[i].key, k) == 0)
            return a->details[i].value;
    return "";
}

/* ---- a phone's applications ---- */

/* KEYS phone-index; ARGV 1 max 2 application prefix. {ref, service, kind, status,
 * updated}... newest first. */
static struct rec_script script_apps_of = {
    "records.apps_of",
    "if redis.call('TYPE',KEYS[1]).ok~='zset' then return {} end\n"
    "local out={}\n"
    "for _,r in ipairs(redis.call('ZREVRANGE',KEYS[1],0,tonumber(ARGV[1])-1)) do\n"
    "  local k=ARGV[2]..r\n"
    "  if redis.call('TYPE',k).ok=='hash' then\n"
    "    local f=redis.call('HMGET',k,'service','kind','status','updated')\n"
    "    if f[3] then out[#out+1]={r,f[1] or '',f[2] or '',f[3],f[4] or ''} end end end\n"
    "return out\n",
    {0},
};

static void apps_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_apps_cb)o->cb)(o->arg, status, why, NULL, 0);
}

static const char *elem_s(const redisReply *r, size_t i)
{
    const char *s = rec_elem(r, i);
    return s ? s : "";
}

static int apps_reply(struct rec_op *o, const redisReply *r)
{
    if (!rec_is_arr(r))
        return rec_op_why(o, REC_ERR, "data");
    struct rec_app_summary s[REC_LIST_MAX];
    size_t n = 0;
    for (size_t i = 0; i < r->elements && n < REC_LIST_MAX; i++) {
        const redisReply *e = r->element[i];
        if (!rec_is_arr(e) || e->elements != 5 || !rec_elem(e, 0))
            continue;
        s[n++] = (struct rec_app_summary){elem_s(e, 0), elem_s(e, 1), elem_s(e, 2), elem_s(e, 3),
                                          elem_s(e, 4)};
    }
    ((rec_apps_cb)o->cb)(o->arg, REC_OK, NULL, s, n);
    return REC_OK;
}

static const struct rec_op_kind apps_kind = {apps_fail, apps_reply, 0};

int records_apps_of(const struct svc_env *env, const char *msisdn, size_t max, rec_apps_cb cb,
                    void *arg)
{
    int ok = rec_msisdn_ok(msisdn);
    char key[64], mx[8];
    snprintf(key, sizeof key, REC_PREFIX "phone:%s:apps", ok ? msisdn : "");
    snprintf(mx, sizeof mx, "%zu", rec_list_max(max));
    const char *args[] = {key, mx, REC_PREFIX "app:"};
    return rec_eval_get(env, &apps_kind, (rec_fn)cb, arg, ok ? NULL : "msisdn", &script_apps_of,
                        1, 3, args);
}

/* ---- an application's status ---- */

static void brief_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_brief_cb)o->cb)(o->arg, status, why, NULL);
}

static int brief_reply(struct rec_op *o, const redisReply *r)
{
    if (!rec_is_arr(r) || r->elements != 3)
        return rec_op_why(o, REC_ERR, "data");
    struct rec_app_brief b = {o->ref, elem_s(r, 0), elem_s(r, 1), elem_s(r, 2)};
    /* no record (or one without a status: not an application yet) */
    if (!b.status[0])
        return rec_op_why(o, REC_NOT_FOUND, "not_found");
    ((rec_brief_cb)o->cb)(o->arg, REC_OK, NULL, &b);
    return REC_OK;
}

static const struct rec_op_kind brief_kind = {brief_fail, brief_reply, 0};

int records_app_brief(const struct svc_env *env, const char *ref, rec_brief_cb cb, void *arg)
{
    struct rec_op *o = rec_op_new(env, &brief_kind, (rec_fn)cb, arg);
    if (!o)
        return -1;
    size_t l = ref ? strlen(ref) : 0;
    if (l < 4 || l > REC_BRIEF_REF_MAX ||
        strspn(ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != l)
        return rec_op_fail(o, REC_INVALID, "format");
    snprintf(o->ref, sizeof o->ref, "%s", ref);
    char key[sizeof REC_PREFIX "app:" + REC_BRIEF_REF_MAX];
    snprintf(key, sizeof key, REC_PREFIX "app:%s", ref);
    const char *argv[] = {"HMGET", key, "status", "service", "updated"};
    return rec_op_cmd(o, 5, argv);
}
