/*
 * records_owned.h: what a national ID owns, for records_parcels.c and records_biz.c (not
 * for their callers): the members of the index ussd:owner:ID:WHAT, sorted, and the hash
 * of each, in one read script.
 */
#ifndef USSDGW_RECORDS_OWNED_H
#define USSDGW_RECORDS_OWNED_H

#include <stddef.h>

#include "records_op.h"

/* The hashes prefix+MEMBER of the members of ussd:owner:ID:what (at most max, <= 64,
 * by member) for kind: its reply gets an array of HGETALL replies. REC_INVALID with
 * refs_id_check's reason for a bad ID. Returns 0, or -1 (records.h). */
int rec_owned_get(const struct svc_env *env, const struct rec_op_kind *kind, rec_fn cb, void *arg,
                  const char *owner_id, const char *what, const char *prefix, size_t max);

#endif
