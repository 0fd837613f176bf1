/*
 * business.c: the business handlers: is a name free, registering a business, and
 * renewing a trading licence.
 *
 *   biz_name      args name. free, similar, taken or pending, each with name (as typed,
 *                 spaces trimmed) and note (registered names alike, best first, joined
 *                 by ", " within 60 characters; "" for free and pending); invalid (no
 *                 letter or digit); error. Names compare without case, accents,
 *                 punctuation or legal form (records_name_check).
 *   biz_owner     args id, type. ok with id (cleaned), note (the ID masked, for screens),
 *                 type_text (the type in words) and
 *                 amount (the registration fee, "0" when free); bad_id with note.
 *   biz_register  args name, type, owner_id, district. Submits the registration
 *                 (business/register, which also reserves the name): svc_submit's
 *                 outcomes, among them taken and pending.
 *   business      args regno. ok with regno, name, district, when (licence expiry) and
 *                 amount (the trading-licence fee); not_found; error.
 *   biz_renew     args regno, name, district. Submits a trading-licence renewal
 *                 (business/trading_licence): svc_submit's outcomes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "log.h"
#include "records.h"
#include "records_biz.h"
#include "refs.h"
#include "services.h"

#define NOTE_CHARS 60

static const struct svc_words biz_types[] = {
    {"enterprise", "Sole trader", "Umucuruzi ku giti cye", "Entreprise individuelle"},
    {"company", "Company", "Sosiyete", "Société"},
    {"cooperative", "Cooperative", "Koperative", "Coopérative"},
    {"partnership", "Partnership", "Ubufatanye", "Partenariat"},
    {NULL, NULL, NULL, NULL},
};

/* Characters (not bytes) of a UTF-8 string. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* ---- biz_name ---- */

struct name_call {
    struct svc_call c;
    char name[REFS_NAME_MAX];
};

static void on_name(void *arg, int status, const char *why, int verdict,
                    const struct rec_name_match *m, size_t n)
{
    struct name_call *nc = arg;
    if (svc_call_gone(nc))
        return;
    struct handler_kv set[] = {{"name", nc->name}, {"note", ""}};
    if (status != REC_OK) {
        if (status == REC_ERR)
            log_event(L_WARN, "business.name_failed", "why=%s", why ? why : "?");
        svc_finish(nc, status == REC_INVALID ? "invalid" : "error", set, 1);
        return;
    }
    /* registered names alike (a pending registration's "name" is its reference: not
     * shown), as many whole names as fit; the first one cut if it alone is too long */
    char note[4 * NOTE_CHARS + 8] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (!m[i].regno[0])
            continue;
        size_t add = chars(m[i].name) + (used ? 2 : 0);
        if (used && used + add > NOTE_CHARS)
            break;
        size_t l = strlen(note);
        snprintf(note + l, sizeof note - l, "%s%s", used ? ", " : "", m[i].name);
        used += add;
    }
    if (verdict == REC_NAME_TAKEN) {
        /* the registered name first (records list it first), alone */
        snprintf(note, sizeof note, "%s", n && m[0].regno[0] ? m[0].name : nc->name);
    }
    if (chars(note) > NOTE_CHARS) {
        size_t k = 0, c = 0;
        for (; note[k]; k++) {
            if (((unsigned char)note[k] & 0xC0) == 0x80)
                continue;
            if (c == NOTE_CHARS - 3)
                break;
            c++;
        }
        snprintf(note + k, sizeof note - k, "...");
    }
    set[1].value = note;
    const char *outcome = verdict == REC_NAME_TAKEN     ? "taken"
                          : verdict == REC_NAME_PENDING ? "pending"
                          : verdict == REC_NAME_SIMILAR ? "similar"
                                                        : "free";
    if (verdict == REC_NAME_PENDING)
        set[1].value = "";
    svc_finish(nc, outcome, set, 2);
}

static struct handler_call *name_start(const struct svc_env *env,
                                       const struct handler_req *req, handler_done_fn done,
                                       void *arg)
{
    const char *name = handler_arg(req, "name");
    struct name_call *nc = svc_call_new(sizeof *nc, req, done, arg);
    if (!nc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    const char *p = name ? name : "";
    while (*p == ' ')
        p++;
    snprintf(nc->name, sizeof nc->name, "%s", p);
    size_t l = strlen(nc->name);
    while (l && nc->name[l - 1] == ' ')
        nc->name[--l] = 0;
    return svc_started(nc, records_name_check(env, nc->name, on_name, nc));
}

const struct handler_def handler_biz_name = {"biz_name", 0, name_start, svc_cancel};

/* ---- biz_owner ---- */

static struct handler_call *owner_start(const struct svc_env *env,
                                        const struct handler_req *req, handler_done_fn done,
                                        void *arg)
{
    (void)env;
    char id[40], note[80], type[48], amount[32];
    const char *bad = svc_id(handler_arg(req, "id"), id, sizeof id);
    if (bad) {
        svc_id_reason(bad, id, req->lang, note, sizeof note);
        struct handler_kv set[] = {{"note", note}};
        svc_done_now(done, arg, "bad_id", set, 1);
        return NULL;
    }
    svc_word(biz_types, handler_arg(req, "type"), req->lang, type, sizeof type);
    long fee = records_fee("business", "register");
    svc_amount(fee > 0 ? fee : 0, req->lang, amount, sizeof amount);
    /* screens show IDs masked: `note` (free once the ID is good) carries that form */
    char shown[40];
    refs_mask_id(id, shown, sizeof shown);
    struct handler_kv set[] = {{"id", id}, {"type_text", type}, {"amount", amount}, {"note", shown}};
    svc_done_now(done, arg, "ok", set, sizeof set / sizeof set[0]);
    return NULL;
}

const struct handler_def handler_biz_owner = {"biz_owner", 0, owner_start, NULL};

/* ---- biz_register ---- */

static struct handler_call *register_start(const struct svc_env *env,
                                           const struct handler_req *req,
                                           handler_done_fn done, void *arg)
{
    const char *name = handler_arg(req, "name"), *type = handler_arg(req, "type"),
               *owner = handler_arg(req, "owner_id"), *district = handler_arg(req, "district");
    int type_ok = 0;
    for (size_t i = 0; type && biz_types[i].code; i++)
        type_ok |= strcmp(biz_types[i].code, type) == 0;
    if (!name || !name[0] || !type_ok || !owner || !district) {
        log_event(L_ERROR, "business.register_args", "hint=%s",
                  "give biz_register name, type (a code), owner_id and district");
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    struct handler_kv details[] = {
        {"name", name}, {"type", type}, {"owner_id", owner}, {"district", district},
    };
    return svc_submit(env, req, "business", "register", details,
                      sizeof details / sizeof details[0], done, arg);
}

const struct handler_def handler_biz_register = {"biz_register", 0, register_start, svc_cancel};

/* ---- business ---- */

struct biz_call {
    struct svc_call c;
    char regno[16];
};

static void on_biz(void *arg, int status, const char *why, const struct rec_business *b)
{
    struct biz_call *bc = arg;
    if (svc_call_gone(bc))
        return;
    if (status != REC_OK) {
        if (status == REC_ERR)
            log_event(L_WARN, "business.get_failed", "why=%s", why ? why : "?");
        struct handler_kv set[] = {{"regno", bc->regno}};
        svc_finish(bc, status == REC_ERR ? "error" : "not_found", set, 1);
        return;
    }
    char amount[32];
    svc_amount(records_fee("business", "trading_licence"), bc->c.lang, amount, sizeof amount);
    struct handler_kv set[] = {
        {"regno", b->regno},   {"name", b->name},     {"district", b->district},
        {"when", b->licence_expiry}, {"amount", amount},
    };
    svc_finish(bc, "ok", set, sizeof set / sizeof set[0]);
}

static struct handler_call *biz_start(const struct svc_env *env,
                                      const struct handler_req *req, handler_done_fn done,
                                      void *arg)
{
    const char *regno = handler_arg(req, "regno");
    struct biz_call *bc = svc_call_new(sizeof *bc, req, done, arg);
    if (!bc) {
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    snprintf(bc->regno, sizeof bc->regno, "%s", regno ? regno : "");
    return svc_started(bc, records_business_get(env, bc->regno, on_biz, bc));
}

const struct handler_def handler_business = {"business", 0, biz_start, svc_cancel};

/* ---- biz_renew ---- */

static struct handler_call *renew_start(const struct svc_env *env,
                                        const struct handler_req *req, handler_done_fn done,
                                        void *arg)
{
    const char *regno = handler_arg(req, "regno"), *name = handler_arg(req, "name"),
               *district = handler_arg(req, "district");
    if (!regno || strlen(regno) != 9 || strspn(regno, "0123456789") != 9) {
        log_event(L_ERROR, "business.renew_args", "hint=%s",
                  "give biz_renew regno (9 digits), name and district");
        svc_done_now(done, arg, "error", NULL, 0);
        return NULL;
    }
    struct handler_kv details[3];
    size_t n = 0;
    details[n++] = (struct handler_kv){"regno", regno};
    if (name && name[0])
        details[n++] = (struct handler_kv){"name", name};
    if (district && district[0])
        details[n++] = (struct handler_kv){"district", district};
    return svc_submit(env, req, "business", "trading_licence", details, n, done, arg);
}

const struct handler_def handler_biz_renew = {"biz_renew", 0, renew_start, svc_cancel};
