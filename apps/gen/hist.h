/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A log-linear latency histogram (HDR style), private to tern-gen.
 *
 * Values below 2^HIST_SUB_BITS are counted exactly; above, every power of
 * two is split into 2^(HIST_SUB_BITS-1) equal buckets, so a reported
 * percentile is at most 1/2^(HIST_SUB_BITS-1) (0.8%) above the true value.
 * Recording is a shift and an increment; the whole uint64_t range fits.
 */
#ifndef TERN_GEN_HIST_H
#define TERN_GEN_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 8
#define HIST_HALF (1u << (HIST_SUB_BITS - 1))
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_HALF + HIST_HALF)

struct hist {
	uint64_t count;           /* values recorded */
	uint64_t min, max;        /* exact */
	uint64_t sum;             /* for the mean; wraps after 2^64 ns in total */
	uint32_t lo, hi;          /* buckets in use: [lo, hi] (count > 0) */
	uint64_t bucket[HIST_BUCKETS];
};

/* Bucket of value v. */
static inline uint32_t hist_index(uint64_t v)
{
	unsigned e, shift;

	if (v < (1u << HIST_SUB_BITS))
		return (uint32_t)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	shift = e - (HIST_SUB_BITS - 1);
	return shift * HIST_HALF + (uint32_t)(v >> shift);
}

static inline void hist_record(struct hist *h, uint64_t v)
{
	uint32_t i = hist_index(v);

	h->bucket[i]++;
	if (h->count++ == 0) {
		h->min = h->max = v;
		h->lo = h->hi = i;
	} else {
		h->min = v < h->min ? v : h->min;
		h->max = v > h->max ? v : h->max;
		h->lo = i < h->lo ? i : h->lo;
		h->hi = i > h->hi ? i : h->hi;
	}
	h->sum += v;
}

/* Empties h (only the buckets in use are touched). */
void hist_reset(struct hist *h);

/* Adds every value of src to dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/*
 * The value at percentile p (0 < p <= 100): the highest value of the bucket
 * holding the ceil(p% * count)-th smallest value, capped at max. 0 when
 * empty.
 */
uint64_t hist_percentile(const struct hist *h, double p);

/* Highest value that falls in bucket i. */
uint64_t hist_bucket_high(uint32_t i);

#endif
