/*
 * records_parcels.c: reading parcels and an owner's parcels; see records_parcels.h.
 */
#include "records_parcels.h"

#include <hiredis/hiredis.h>
#include <stdio.h>

#include "geo.h"
#include "records_op.h"
#include "records_owned.h"

static void fill_parcel(struct rec_parcel *p, const redisReply *h)
{
    p->upi = rec_kv_s(h, "upi");
    p->province = rec_kv_s(h, "province");
    p->district = rec_kv_s(h, "district");
    p->sector = rec_kv_s(h, "sector");
    p->cell = (int)rec_kv_l(h, "cell");
    p->area_m2 = rec_kv_l(h, "area_m2");
    p->land_use = rec_kv_s(h, "land_use");
    p->owner_name = rec_kv_s(h, "owner_name");
    p->owner_id = rec_kv_s(h, "owner_id");
    p->tax_due = rec_kv_l(h, "tax_due");
    p->tax_due_date = rec_kv_s(h, "tax_due_date");
}

/* ---- one parcel ---- */

static void parcel_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_parcel_cb)o->cb)(o->arg, status, why, NULL);
}

static int parcel_reply(struct rec_op *o, const redisReply *r)
{
    struct rec_parcel p;
    fill_parcel(&p, r);
    if (!p.upi[0])
        return rec_op_why(o, REC_ERR, "data");
    ((rec_parcel_cb)o->cb)(o->arg, REC_OK, NULL, &p);
    return REC_OK;
}

static const struct rec_op_kind parcel_kind = {parcel_fail, parcel_reply, 1};

int records_parcel_get(const struct svc_env *env, const char *upi, rec_parcel_cb cb, void *arg)
{
    struct geo_upi u;
    const char *bad = geo_upi_parse(upi, &u);
    char c[GEO_UPI_MAX], key[64] = "";
    if (!bad)
        snprintf(key, sizeof key, REC_PREFIX "parcel:%s", geo_upi_format(&u, c, sizeof c));
    return rec_hash_get(env, &parcel_kind, (rec_fn)cb, arg, bad, key);
}

/* ---- an owner's parcels ---- */

static void parcels_fail(const struct rec_op *o, int status, const char *why)
{
    ((rec_parcels_cb)o->cb)(o->arg, status, why, NULL, 0);
}

static int parcels_reply(struct rec_op *o, const redisReply *r)
{
    if (!rec_is_arr(r))
        return rec_op_why(o, REC_ERR, "data");
    struct rec_parcel pc[REC_LIST_MAX];
    size_t n = 0;
    for (size_t i = 0; i < r->elements && n < REC_LIST_MAX; i++)
        if (rec_is_arr(r->element[i]) && r->element[i]->elements) {
            fill_parcel(&pc[n], r->element[i]);
            if (pc[n].upi[0])
                n++;
        }
    ((rec_parcels_cb)o->cb)(o->arg, REC_OK, NULL, pc, n);
    return REC_OK;
}

static const struct rec_op_kind parcels_kind = {parcels_fail, parcels_reply, 0};

int records_parcels_of(const struct svc_env *env, const char *owner_id, size_t max,
                       rec_parcels_cb cb, void *arg)
{
    return rec_owned_get(env, &parcels_kind, (rec_fn)cb, arg, owner_id, "parcels",
                         REC_PREFIX "parcel:", max);
}
