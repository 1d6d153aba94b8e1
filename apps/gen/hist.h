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
	uint64_t min, max;        /* exact; min is UINT64_MAX when empty: use hist_min() */
	uint64_t sum;             /* for the mean; wraps after 2^64 ns in total */
	uint64_t bucket[HIST_BUCKETS];
};

/*
 * Bucket of value v: v itself below 2^HIST_SUB_BITS (shift 0), else the
 * bucket of v's top HIST_SUB_BITS bits. Or-ing in the low bits makes small
 * values take the same path, without a branch.
 */
static inline uint32_t hist_index(uint64_t v)
{
	unsigned shift = (64u - HIST_SUB_BITS) -
			 (unsigned)__builtin_clzll(v | ((1u << HIST_SUB_BITS) - 1));

	return shift * HIST_HALF + (uint32_t)(v >> shift);
}

/*
 * Recording a burst of values: the totals (count, sum, min, max) kept in
 * registers from hist_burst_begin() to hist_burst_end(), a bucket
 * incremented per value. The buckets in use are found from min and max
 * (hist_index is monotonic), so recording keeps no range of its own.
 * Nothing else may record into h between begin and end.
 */
struct hist_burst {
	uint64_t count, sum, min, max;
};

/* h: hist_reset() first. */
static inline void hist_burst_begin(const struct hist *h, struct hist_burst *b)
{
	b->count = h->count;
	b->sum = h->sum;
	b->min = h->min;
	b->max = h->max;
}

static inline void hist_burst_add(struct hist *h, struct hist_burst *b, uint64_t v)
{
	h->bucket[hist_index(v)]++;
	b->count++;
	b->sum += v;
	b->min = v < b->min ? v : b->min;
	b->max = v > b->max ? v : b->max;
}

static inline void hist_burst_end(struct hist *h, const struct hist_burst *b)
{
	h->count = b->count;
	h->sum = b->sum;
	h->min = b->min;
	h->max = b->max;
}

/* The smallest value recorded; 0 when empty. */
static inline uint64_t hist_min(const struct hist *h)
{
	return h->count > 0 ? h->min : 0;
}

/* Empties h (only the buckets in use are touched); also makes a zeroed h ready. */
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
