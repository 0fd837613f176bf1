/*
 * steplat.c: latency samples in a growable array (bounded), sorted on demand for
 * nearest-rank percentiles.
 */
#include "steplat.h"

#include <stdlib.h>
#include <time.h>

#define STEPLAT_DEFAULT_MAX (16u * 1024u * 1024u)

struct steplat {
    uint64_t *v;
    size_t n, cap, max;
    uint64_t seen;
    uint64_t maxv;
    int sorted;
    uint64_t rng; /* reservoir sampling once n reached max */
};

uint64_t steplat_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct steplat *steplat_new(size_t max_samples)
{
    struct steplat *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->max = max_samples ? max_samples : STEPLAT_DEFAULT_MAX;
    l->rng = 0x9E3779B97F4A7C15ull;
    l->sorted = 1;
    return l;
}

void steplat_free(struct steplat *l)
{
    if (!l)
        return;
    free(l->v);
    free(l);
}

static uint64_t next_rand(struct steplat *l)
{
    /* xorshift64*: plenty for picking reservoir slots */
    l->rng ^= l->rng >> 12;
    l->rng ^= l->rng << 25;
    l->rng ^= l->rng >> 27;
    return l->rng * 2685821657736338717ull;
}

void steplat_add(struct steplat *l, uint64_t us)
{
    l->seen++;
    if (us > l->maxv)
        l->maxv = us;
    if (l->n < l->max) {
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 4096;
            if (nc > l->max)
                nc = l->max;
            uint64_t *nv = realloc(l->v, nc * sizeof(*nv));
            if (!nv)
                return; /* keep what we have: the count in seen stays right */
            l->v = nv;
            l->cap = nc;
        }
        l->v[l->n++] = us;
        l->sorted = 0;
        return;
    }
    uint64_t j = next_rand(l) % l->seen;
    if (j < l->n) {
        l->v[j] = us;
        l->sorted = 0;
    }
}

uint64_t steplat_seen(const struct steplat *l)
{
    return l->seen;
}

size_t steplat_kept(const struct steplat *l)
{
    return l->n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t steplat_percentile(struct steplat *l, double p)
{
    if (!l->n)
        return 0;
    if (!l->sorted) {
        qsort(l->v, l->n, sizeof(*l->v), cmp_u64);
        l->sorted = 1;
    }
    if (p <= 0)
        return l->v[0];
    if (p >= 100)
        return l->v[l->n - 1];
    /* nearest rank: the smallest value with at least p% of samples at or below it */
    /* In integers (p in thousandths of a percent) so 95% of 100 samples is rank 95,
     * not 96 through a rounding error. */
    uint64_t milli = (uint64_t)(p * 1000.0 + 0.5);
    uint64_t rank = (milli * (uint64_t)l->n + 99999u) / 100000u;
    if (rank < 1)
        rank = 1;
    if (rank > l->n)
        rank = l->n;
    return l->v[rank - 1];
}

uint64_t steplat_max(const struct steplat *l)
{
    return l->maxv;
}
