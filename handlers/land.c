/*
 * land.c: the land handlers: a parcel by UPI, its land-tax bill, and a title transfer
 * (the seller must be the registered owner).
 *
 *   parcel        args upi. ok with upi (canonical), district, sector, area ("376 m2,
 *                 residential" in the request's language), owner (initials), amount
 *                 (land tax due, "0" when none) and when (its due date); not_found (no
 *                 such parcel, or a UPI naming no real sector); error.
 *   land_tax      args upi. The parcel's land-tax bill (records_tax_bill: the same bill
 *                 when asked twice, from any process): ok with upi, bill, amount, pay
 *                 and expires; none (no tax due); paid (bill, upi: the bill for this
 *                 amount and due date is paid); not_found; error.
 *   land_owner    args upi, id. The seller's national ID against the parcel's owner:
 *                 ok with id (cleaned), owner (initials) and amount (the transfer fee);
 *                 bad_id with note (why the ID is refused); mismatch; not_found; error.
 *   land_buyer    args seller, buyer. ok with buyer_id (cleaned) and note (it masked,
 *                 for screens); bad_id with note;
 *                 same (the buyer is the seller).
 *   land_transfer args upi, seller_id, buyer_id, price. Submits the transfer (service
 *                 land, kind transfer; details upi, owner_id, buyer_id, price): see
 *                 svc_submit for the outcomes.
 */
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "geo.h"
#include "log.h"
#include "records.h"
#include "records_bills.h"
#include "records_parcels.h"
#include "refs.h"
#include "services.h"

static const struct svc_words land_uses[] = {
    {"residential", "residential", "guturwamo", "résidentiel"},
    {"commercial", "commercial", "ubucuruzi", "commercial"},
    {"agricultural", "agricultural", "ubuhinzi", "agricole"},
    {"industrial", "industrial", "inganda", "industriel"},
    {"mixed", "mixed use", "ivanze", "usage mixte"},
    {"forest", "forest", "amashyamba", "forestier"},
    {NULL, NULL, NULL, NULL},
};

/* The canonical UPI of a typed one, or NULL. */
static const char *upi_canon(const char *in, char *out, size_t n)
{
    struct geo_upi u;
    if (!in || geo_upi_parse(in, &u))
        return NULL;
    return geo_upi_format(&u, out, n);
}

/* ---- parcel ---- */

struct parcel_call {
    struct svc_call c;
    char upi[GEO_UPI_MAX];
};

static void on_parcel(void *arg, int status, const char *why, const struct rec_parcel *p)
{
    struct parcel_call *pc = arg;
    if (svc_call_gone(pc))
        return;
    if (status != REC_OK) {
        if (status == REC_ERR)
            log_event(L_WARN, "land.parcel_failed", "upi=%s why=%s", pc->upi, why ? why : "?");
        struct handler_kv set[] = {{"upi", pc->upi}};
        svc_finish(pc, status == REC_ERR ? "error" : "not_found", set, 1);
        return;
    }
    const char *l = pc->c.lang;
    char area[64], use[32], owner[40], amount[32], m2[24];
    svc_word(land_uses, p->land_use, l, use, sizeof use);
    svc_amount(p->area_m2, l, m2, sizeof m2);
    snprintf(area, sizeof area, "%s m2, %s", m2, use);
    refs_mask_name(p->owner_name, owner, sizeof owner);
    svc_amount(p->tax_due, l, amount, sizeof amount);
    struct handler_kv set[] = {
        {"upi", p->upi},     {"district", p->district}, {"sector", p->sector},
        {"area", area},      {"owner", owner},          {"amount", amount},
        {"when", p->tax_due_date},
    };
    svc_finish(pc, "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *parcel_start(const struct svc_env *env,
                                         const struct handler_req *req, handler_done_fn done,
                                         void *arg)
{
    const char *upi = handler_arg(req, "upi");
    struct parcel_call *pc = svc_call_new(sizeof *pc, req, done, arg);
    if (!pc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    if (!upi_canon(upi, pc->upi, sizeof pc->upi))
        snprintf(pc->upi, sizeof pc->upi, "%s", upi ? upi : "");
    return svc_started(pc, records_parcel_get(env, upi ? upi : "", on_parcel, pc));
}

const struct handler_def handler_parcel = {"parcel", 0, parcel_start, svc_cancel};

/* ---- land_tax ---- */

struct tax_call {
    struct svc_call c;
    char upi[GEO_UPI_MAX];
};

static void on_tax(void *arg, int status, const char *why, const struct rec_tax_bill *t)
{
    struct tax_call *tc = arg;
    if (svc_call_gone(tc))
        return;
    struct handler_kv upi[] = {{"upi", tc->upi}};
    if (status == REC_NOT_FOUND || (status == REC_OK && t->state == REC_TAX_NONE)) {
        svc_finish(tc, status == REC_OK ? "none" : "not_found", upi, 1);
        return;
    }
    if (status != REC_OK) {
        log_event(L_WARN, "land.tax_failed", "upi=%s why=%s", tc->upi, why ? why : "?");
        svc_finish(tc, "error", NULL, 0);
        return;
    }
    char amount[32];
    svc_amount(t->amount, tc->c.lang, amount, sizeof amount);
    struct handler_kv set[] = {
        {"upi", tc->upi},         {"bill", t->bill}, {"amount", amount},
        {"expires", t->expires}, {"pay", t->pay_code},
    };
    if (t->state == REC_TAX_CREATED)
        log_event(L_INFO, "land.tax_bill", "upi=%s bill=%s", tc->upi, t->bill);
    svc_finish(tc, t->state == REC_TAX_PAID ? "paid" : "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *tax_start(const struct svc_env *env,
                                      const struct handler_req *req, handler_done_fn done,
                                      void *arg)
{
    const char *upi = handler_arg(req, "upi");
    char canon[GEO_UPI_MAX];
    if (!upi_canon(upi, canon, sizeof canon)) {
        struct handler_kv set[] = {{"upi", upi ? upi : ""}};
        svc_done_now(done, arg, "not_found", set, 1);
        return NULL;
    }
    struct tax_call *tc = svc_call_new(sizeof *tc, req, done, arg);
    if (!tc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    snprintf(tc->upi, sizeof tc->upi, "%s", canon);
    struct svc_ctx ctx = svc_resident(env, req->msisdn);
    return svc_started(tc, records_tax_bill(&ctx, canon, on_tax, tc));
}

const struct handler_def handler_land_tax = {"land_tax", 0, tax_start, svc_cancel};

/* ---- land_owner ---- */

struct owner_call {
    struct svc_call c;
    char upi[GEO_UPI_MAX];
    char id[40];
};

static void on_owner(void *arg, int status, const char *why, const struct rec_parcel *p)
{
    struct owner_call *oc = arg;
    if (svc_call_gone(oc))
        return;
    struct handler_kv upi[] = {{"upi", oc->upi}};
    if (status != REC_OK) {
        if (status == REC_ERR)
            log_event(L_WARN, "land.parcel_failed", "upi=%s why=%s", oc->upi, why ? why : "?");
        svc_finish(oc, status == REC_ERR ? "error" : "not_found", upi, 1);
        return;
    }
    if (strcmp(p->owner_id, oc->id) != 0) {
        log_event(L_INFO, "land.owner_mismatch", "upi=%s", oc->upi);
        svc_finish(oc, "mismatch", upi, 1);
        return;
    }
    char owner[40], amount[32];
    refs_mask_name(p->owner_name, owner, sizeof owner);
    svc_amount(records_fee("land", "transfer"), oc->c.lang, amount, sizeof amount);
    struct handler_kv set[] = {
        {"upi", p->upi}, {"id", oc->id}, {"owner", owner}, {"amount", amount},
    };
    svc_finish(oc, "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *owner_start(const struct svc_env *env,
                                        const struct handler_req *req, handler_done_fn done,
                                        void *arg)
{
    const char *upi = handler_arg(req, "upi"), *id = handler_arg(req, "id");
    char clean[40], note[80];
    const char *bad = svc_id(id, clean, sizeof clean);
    if (bad) {
        svc_id_reason(bad, clean, req->lang, note, sizeof note);
        struct handler_kv set[] = {{"note", note}};
        svc_done_now(done, arg, "bad_id", set, 1);
        return NULL;
    }
    struct owner_call *oc = svc_call_new(sizeof *oc, req, done, arg);
    if (!oc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    if (!upi_canon(upi, oc->upi, sizeof oc->upi))
        snprintf(oc->upi, sizeof oc->upi, "%s", upi ? upi : "");
    snprintf(oc->id, sizeof oc->id, "%s", clean);
    return svc_started(oc, records_parcel_get(env, upi ? upi : "", on_owner, oc));
}

const struct handler_def handler_land_owner = {"land_owner", 0, owner_start, svc_cancel};

/* ---- land_buyer ---- */

static struct handler_call *buyer_start(const struct svc_env *env,
                                        const struct handler_req *req, handler_done_fn done,
                                        void *arg)
{
    (void)env;
    char seller[40], buyer[40], note[80];
    const char *bad = svc_id(handler_arg(req, "buyer"), buyer, sizeof buyer);
    if (bad) {
        svc_id_reason(bad, buyer, req->lang, note, sizeof note);
        struct handler_kv set[] = {{"note", note}};
        svc_done_now(done, arg, "bad_id", set, 1);
        return NULL;
    }
    refs_id_clean(handler_arg(req, "seller") ? handler_arg(req, "seller") : "", seller,
                  sizeof seller);
    char shown[40]; /* screens show IDs masked */
    refs_mask_id(buyer, shown, sizeof shown);
    struct handler_kv set[] = {{"buyer_id", buyer}, {"note", shown}};
    svc_done_now(done, arg, strcmp(seller, buyer) == 0 ? "same" : "ok", set,
                 sizeof set / sizeof set[0]);
    return NULL;
}

const struct handler_def handler_land_buyer = {"land_buyer", 0, buyer_start, NULL};

/* ---- land_transfer ---- */

static struct handler_call *transfer_start(const struct svc_env *env,
                                           const struct handler_req *req, handler_done_fn done,
                                           void *arg)
{
    const char *upi = handler_arg(req, "upi"), *seller = handler_arg(req, "seller_id"),
               *buyer = handler_arg(req, "buyer_id"), *price = handler_arg(req, "price");
    char canon[GEO_UPI_MAX];
    size_t pl = price ? strlen(price) : 0;
    if (!upi_canon(upi, canon, sizeof canon) || !seller || !buyer || pl < 1 || pl > 12 ||
        strspn(price, "0123456789") != pl) {
        log_event(L_ERROR, "land.transfer_args", "hint=%s",
                  "give land_transfer upi, seller_id, buyer_id and price (digits)");
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    struct handler_kv details[] = {
        {"upi", canon}, {"owner_id", seller}, {"buyer_id", buyer}, {"price", price},
    };
    return svc_submit(env, req, "land", "transfer", details, sizeof details / sizeof details[0],
                      done, arg);
}

const struct handler_def handler_land_transfer = {"land_transfer", 0, transfer_start, svc_cancel};
