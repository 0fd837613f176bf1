/*
 * latency.h: a monotonic microsecond clock and a recorder of step latencies that gives
 * exact percentiles (every sample is kept, up to a bound; beyond it a uniform
 * reservoir sample is kept and the result says so).
 */
#ifndef USSD_PHONE_LATENCY_H
#define USSD_PHONE_LATENCY_H

#include <stddef.h>
#include <stdint.h>

/* Microseconds on CLOCK_MONOTONIC. */
uint64_t latency_now_us(void);

struct latency;

/* max_samples: how many samples are kept exactly (0: a default of 16M). NULL on ENOMEM. */
struct latency *latency_new(size_t max_samples);
void latency_free(struct latency *l);

/* Record one latency in microseconds. */
void latency_add(struct latency *l, uint64_t us);

/* Samples seen, and kept (kept < seen once the bound was passed). */
uint64_t latency_seen(const struct latency *l);
size_t latency_kept(const struct latency *l);

/* The p-th percentile (0 < p <= 100) by the nearest-rank method over the kept samples,
 * in microseconds; 0 when there are none. Sorts the samples (once per change). */
uint64_t latency_percentile(struct latency *l, double p);

/* The largest latency seen (exact even when sampling). */
uint64_t latency_max(const struct latency *l);

#endif
