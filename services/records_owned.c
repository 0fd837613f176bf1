/*
 * records_owned.c: an owner's records in one read; see records_owned.h.
 */
#include "records_owned.h"

#include <stdio.h>

/* KEYS the set; ARGV 1 the hashes' prefix 2 max. Members sorted, each key's HGETALL. */
static struct rec_script script_set_hashes = {
    "records.owned",
    "if redis.call('TYPE',KEYS[1]).ok~='set' then return {} end\n"
    "local m=redis.call('SMEMBERS',KEYS[1]) table.sort(m)\n"
    "local out={}\n"
    "for i=1,math.min(#m,tonumber(ARGV[2])) do local k=ARGV[1]..m[i]\n"
    "  if redis.call('TYPE',k).ok=='hash' then out[#out+1]=redis.call('HGETALL',k) end end\n"
    "return out\n",
    {0},
};

int rec_owned_get(const struct svc_env *env, const struct rec_op_kind *kind, rec_fn cb, void *arg,
                  const char *owner_id, const char *what, const char *prefix, size_t max)
{
    char id[32], key[64], mx[8];
    const char *bad = refs_id_parse(owner_id, id, sizeof id);
    snprintf(key, sizeof key, REC_PREFIX "owner:%s:%s", id, what);
    snprintf(mx, sizeof mx, "%zu", rec_list_max(max));
    const char *args[] = {key, prefix, mx};
    return rec_eval_get(env, kind, cb, arg, bad, &script_set_hashes, 1, 3, args);
}
