/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <string.h>

#include "hist.h"

uint64_t hist_bucket_high(uint32_t i)
{
	uint32_t shift;

	if (i < (1u << HIST_SUB_BITS))
		return i;
	/* inverse of hist_index(): i = shift * HALF + m, m in [HALF, 2 * HALF) */
	shift = i / HIST_HALF - 1;
	return (((uint64_t)(i - shift * HIST_HALF) + 1) << shift) - 1;
}

void hist_reset(struct hist *h)
{
	if (h->count > 0)
		memset(&h->bucket[h->lo], 0, (h->hi - h->lo + 1) * sizeof(h->bucket[0]));
	h->count = h->min = h->max = h->sum = 0;
	h->lo = h->hi = 0;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	for (uint32_t i = src->lo; i <= src->hi; i++)
		dst->bucket[i] += src->bucket[i];
	if (dst->count == 0) {
		dst->min = src->min;
		dst->max = src->max;
		dst->lo = src->lo;
		dst->hi = src->hi;
	} else {
		dst->min = src->min < dst->min ? src->min : dst->min;
		dst->max = src->max > dst->max ? src->max : dst->max;
		dst->lo = src->lo < dst->lo ? src->lo : dst->lo;
		dst->hi = src->hi > dst->hi ? src->hi : dst->hi;
	}
	dst->count += src->count;
	dst->sum += src->sum;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	rank = rank < 1 ? 1 : rank > h->count ? h->count : rank;
	for (uint32_t i = h->lo; i <= h->hi; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t v = hist_bucket_high(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
