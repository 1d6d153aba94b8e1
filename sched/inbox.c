/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "inbox.h"
#include "sched_internal.h"

int tern__inbox_init(struct tern__inbox *q, uint32_t size, int node)
{
	if (size < 2 || (size & (size - 1)))
		return -EINVAL;
	q->slots = tern__mem_alloc(sizeof(*q->slots) * size, node);
	if (!q->slots)
		return -ENOMEM;
	/* seq 0 never equals pos + 1 for a slot's first position. The pages
	 * come zeroed; cleared anyway, so no allocator change can break it. */
	memset(q->slots, 0, sizeof(*q->slots) * size);
	q->mask = q->cmask = size - 1;
	q->cslots = q->slots;
	q->head = q->tail = q->head_seen = 0;
	q->posted_full = 0;
	return 0;
}

void tern__inbox_fini(struct tern__inbox *q)
{
	if (q->slots)
		tern__mem_free(q->slots, sizeof(*q->slots) * (q->mask + 1));
	q->slots = q->cslots = NULL;
}

/* True when position @pos is free: the consumer has taken pos - size. */
/* True when position @pos is free (the consumer has taken pos - size), or
 * when @pos is stale (behind the head: the tail moved on, the CAS fails). */
static bool has_room(struct tern__inbox *q, uint64_t pos)
{
	/* Pairs with the release below (another producer's refresh), which
	 * passes on its acquire of the consumer's head. */
	uint64_t head = __atomic_load_n(&q->head_seen, __ATOMIC_ACQUIRE);

	if ((int64_t)(pos - head) <= (int64_t)q->mask)
		return true;
	/* Pairs with take()'s release of head: the consumer is done reading
	 * the slots before it, so they may be written again. */
	head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
	/* Racing producers may store an older head: that only makes a later
	 * post reload it again, never reuse a slot too early. */
	__atomic_store_n(&q->head_seen, head, __ATOMIC_RELEASE);
	return (int64_t)(pos - head) <= (int64_t)q->mask;
}

int tern__inbox_post(struct tern__inbox *q, struct tern__msg *m)
{
	uint64_t pos = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
	struct tern__slot *sl;

	do {
		if (!has_room(q, pos)) {
			__atomic_fetch_add(&q->posted_full, 1, __ATOMIC_RELAXED);
			return -EAGAIN; /* a full lap ahead of the consumer */
		}
		/* Relaxed: has_room's acquire already ordered the slot's
		 * reuse; the CAS only claims pos. On failure pos is reloaded. */
	} while (!__atomic_compare_exchange_n(&q->tail, &pos, pos + 1, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	sl = &q->slots[pos & q->mask];
	sl->msg = m;
	/* Pairs with take()'s acquire: the message (and all the sender wrote
	 * before posting) is visible once seq says so. */
	__atomic_store_n(&sl->seq, pos + 1, __ATOMIC_RELEASE);
	return 0;
}

unsigned tern__inbox_take(struct tern__inbox *q, struct tern__msg **out, unsigned max)
{
	uint64_t head = q->head;
	unsigned n = 0;

	while (n < max) {
		struct tern__slot *sl = &q->cslots[head & q->cmask];
		/* Pairs with post()'s release of seq = pos + 1. */
		if (__atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE) != head + 1)
			break;
		out[n++] = sl->msg;
		head++;
	}
	/* Pairs with has_room()'s acquire: these slots are read, producers
	 * may reuse them. One store per batch, not one per slot. */
	if (n)
		__atomic_store_n(&q->head, head, __ATOMIC_RELEASE);
	return n;
}

bool tern__inbox_ready(const struct tern__inbox *q)
{
	const struct tern__slot *sl = &q->cslots[q->head & q->cmask];

	return __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE) == q->head + 1;
}
