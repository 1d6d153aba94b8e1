/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "inbox.h"
#include "sched_internal.h"

int tern__inbox_init(struct tern__inbox *q, uint32_t size, int node)
{
	if (size < 2 || (size & (size - 1)))
		return -EINVAL;
	q->slots = tern__mem_alloc(sizeof(*q->slots) * size, node);
	if (!q->slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < size; i++)
		q->slots[i].seq = i; /* slot i is free for position i */
	q->mask = size - 1;
	q->head = q->tail = 0;
	q->posted_full = 0;
	return 0;
}

void tern__inbox_fini(struct tern__inbox *q)
{
	if (q->slots)
		tern__mem_free(q->slots, sizeof(*q->slots) * (q->mask + 1));
	q->slots = NULL;
}

int tern__inbox_post(struct tern__inbox *q, struct tern__msg *m)
{
	uint64_t pos = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);

	for (;;) {
		struct tern__slot *sl = &q->slots[pos & q->mask];
		/* Pairs with the consumer's release in take(): the slot is free
		 * for this lap once seq == pos. */
		uint64_t seq = __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE);
		int64_t dif = (int64_t)(seq - pos);

		if (dif == 0) {
			if (__atomic_compare_exchange_n(&q->tail, &pos, pos + 1, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
				sl->msg = m;
				/* Pairs with take()'s acquire: the message (and all
				 * the sender wrote before posting) is visible. */
				__atomic_store_n(&sl->seq, pos + 1, __ATOMIC_RELEASE);
				return 0;
			}
			/* pos was reloaded by the failed CAS */
		} else if (dif < 0) {
			__atomic_fetch_add(&q->posted_full, 1, __ATOMIC_RELAXED);
			return -EAGAIN; /* a full lap behind: the ring is full */
		} else {
			pos = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
		}
	}
}

unsigned tern__inbox_take(struct tern__inbox *q, struct tern__msg **out, unsigned max)
{
	unsigned n = 0;

	while (n < max) {
		struct tern__slot *sl = &q->slots[q->head & q->mask];
		/* Pairs with post()'s release of seq = pos + 1. */
		if (__atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE) != q->head + 1)
			break;
		out[n++] = sl->msg;
		/* Pairs with post()'s acquire: free for the next lap. */
		__atomic_store_n(&sl->seq, q->head + q->mask + 1, __ATOMIC_RELEASE);
		q->head++;
	}
	return n;
}

bool tern__inbox_ready(const struct tern__inbox *q)
{
	const struct tern__slot *sl = &q->slots[q->head & q->mask];

	return __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE) == q->head + 1;
}
