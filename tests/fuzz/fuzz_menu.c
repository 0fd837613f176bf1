/*
 * fuzz_menu.c: libFuzzer target on loading and stepping menus. The input is a menu
 * file, optionally followed by a NUL and answers separated by newlines: the file goes
 * through the loader and validator; a set that loads is walked from each dial string
 * with those answers, handler calls answered with each outcome in turn. Session blobs
 * are round-tripped at every step, as through Redis.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "geo.h"
#include "menu_load.h"
#include "session.h"

static int any_handler(const char *name)
{
    (void)name;
    return 1;
}

static void settle(const struct menu_set *set, const struct engine_cfg *cfg, struct session *s,
                   struct engine_out *out, unsigned *turn)
{
    static const char *const outcomes[] = {"ok", "not_found", "error"};
    static const struct handler_kv kv[] = {{"ref", "LND-26-004213-7"}, {"name", "A\x01" "B"}};
    static const struct handler_item items[] = {{"One", "1"}, {"Two", NULL}, {"Three", "3"}};
    for (int guard = 0; out->status == ENGINE_CALL && guard < 64; guard++) {
        struct handler_result r = {
            .outcome = outcomes[(*turn)++ % 3],
            .set = kv,
            .n_set = 2,
            .items = items,
            .n_items = 3,
            .message = (*turn % 4) ? NULL : "A message from the handler",
        };
        engine_resume(set, cfg, s, &r, out);
    }
    char blob[SESSION_BLOB_MAX];
    long n = session_encode(s, blob, sizeof blob);
    if (n > 0)
        session_decode(s, blob, (size_t)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t ylen = nul ? (size_t)(nul - data) : size;
    struct menu_load_opts o;
    struct diags d = {0};
    menu_load_opts_default(&o);
    o.districts = geo_district_names(&o.n_districts);
    o.handler_exists = any_handler;
    struct menu_set *set = menu_load_buffer("fuzz.yaml", (const char *)data, ylen, &o, &d);
    diag_free(&d);
    if (!set)
        return 0;
    struct engine_cfg cfg;
    engine_cfg_default(&cfg);
    static struct session s;
    static struct engine_out out;
    unsigned turn = 0;
    for (size_t di = 0; di < set->n_dials && di < 4; di++) {
        engine_out_init(&out);
        session_init(&s, "250788000000", NULL, NULL, NULL, 0);
        engine_begin(set, &cfg, &s, "250788000000", set->dials[di].code, NULL, 1, "b", NULL, &out);
        settle(set, &cfg, &s, &out, &turn);
        const char *p = nul ? (const char *)nul + 1 : NULL;
        const char *end = (const char *)data + size;
        int steps = 0;
        while (p && p < end && steps++ < 64) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            char in[200];
            size_t l = (size_t)((nl ? nl : end) - p);
            if (l >= sizeof in)
                l = sizeof in - 1;
            memcpy(in, p, l);
            in[l] = 0;
            char id[16];
            snprintf(id, sizeof id, "%d", steps);
            engine_out_init(&out);
            engine_input(set, &cfg, &s, in, id, &out);
            settle(set, &cfg, &s, &out, &turn);
            p = nl ? nl + 1 : NULL;
        }
    }
    menu_set_free(set);
    return 0;
}
