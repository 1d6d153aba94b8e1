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
		memset(&h->bucket[hist_index(h->min)], 0,
		       (hist_index(h->max) - hist_index(h->min) + 1) * sizeof(h->bucket[0]));
	h->count = h->max = h->sum = 0;
	h->min = UINT64_MAX;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	for (uint32_t i = hist_index(src->min); i <= hist_index(src->max); i++)
		dst->bucket[i] += src->bucket[i];
	dst->min = src->min < dst->min ? src->min : dst->min;
	dst->max = src->max > dst->max ? src->max : dst->max;
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
	for (uint32_t i = hist_index(h->min); i <= hist_index(h->max); i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t v = hist_bucket_high(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
