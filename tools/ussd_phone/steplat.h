/*
 * steplat.h: a monotonic microsecond clock and a recorder of step latencies that gives
 * exact percentiles (every sample is kept, up to a bound; beyond it a uniform
 * reservoir sample is kept and the result says so).
 */
#ifndef USSD_PHONE_STEPLAT_H
#define USSD_PHONE_STEPLAT_H

#include <stddef.h>
#include <stdint.h>

/* Microseconds on CLOCK_MONOTONIC. */
uint64_t steplat_now_us(void);

struct steplat;

/* max_samples: how many samples are kept exactly (0: a default of 16M). NULL on ENOMEM. */
struct steplat *steplat_new(size_t max_samples);
void steplat_free(struct steplat *l);

/* Record one latency in microseconds. */
void steplat_add(struct steplat *l, uint64_t us);

/* Samples seen, and kept (kept < seen once the bound was passed). */
uint64_t steplat_seen(const struct steplat *l);
size_t steplat_kept(const struct steplat *l);

/* The p-th percentile (0 < p <= 100) by the nearest-rank method over the kept samples,
 * in microseconds; 0 when there are none. Sorts the samples (once per change). */
uint64_t steplat_percentile(struct steplat *l, double p);

/* The largest latency seen (exact even when sampling). */
uint64_t steplat_max(const struct steplat *l);

#endif
