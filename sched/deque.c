/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "deque.h"
#include "sched_internal.h"

int tern__deque_init(struct tern__deque *d, uint32_t size, int node)
{
	if (size < 2 || (size & (size - 1)))
		return -EINVAL;
	d->buf = tern__mem_alloc(sizeof(void *) * size, node);
	if (!d->buf)
		return -ENOMEM;
	d->mask = size - 1;
	d->top = d->bottom = 0;
	return 0;
}

void tern__deque_fini(struct tern__deque *d)
{
	if (d->buf)
		tern__mem_free(d->buf, sizeof(void *) * (size_t)(d->mask + 1));
	d->buf = NULL;
}

int tern__deque_push(struct tern__deque *d, void *x)
{
	int64_t b = __atomic_load_n(&d->bottom, __ATOMIC_RELAXED);
	/* Pairs with steal()'s CAS on top: how far thieves have taken. */
	int64_t t = __atomic_load_n(&d->top, __ATOMIC_ACQUIRE);

	if (b - t > d->mask)
		return -EAGAIN;
	__atomic_store_n(&d->buf[b & d->mask], x, __ATOMIC_RELAXED);
	/* Pairs with steal()'s acquire of bottom: the item is visible first. */
	__atomic_store_n(&d->bottom, b + 1, __ATOMIC_RELEASE);
	return 0;
}

void *tern__deque_pop(struct tern__deque *d)
{
	int64_t b = __atomic_load_n(&d->bottom, __ATOMIC_RELAXED) - 1;
	int64_t t;
	void *x = NULL;

	__atomic_store_n(&d->bottom, b, __ATOMIC_RELAXED);
	/* Orders the bottom store before the top load against a thief's
	 * top load before its bottom load (both sides fence). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t = __atomic_load_n(&d->top, __ATOMIC_RELAXED);
	if (t <= b) {
		x = __atomic_load_n(&d->buf[b & d->mask], __ATOMIC_RELAXED);
		if (t == b) {
			/* The last item: race the thieves for it. */
			if (!__atomic_compare_exchange_n(&d->top, &t, t + 1, false,
							 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
				x = NULL;
			__atomic_store_n(&d->bottom, b + 1, __ATOMIC_RELAXED);
		}
	} else {
		__atomic_store_n(&d->bottom, b + 1, __ATOMIC_RELAXED);
	}
	return x;
}

void *tern__deque_steal(struct tern__deque *d)
{
	int64_t t = __atomic_load_n(&d->top, __ATOMIC_ACQUIRE);
	int64_t b;
	void *x;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Pairs with push()'s release of bottom. */
	b = __atomic_load_n(&d->bottom, __ATOMIC_ACQUIRE);
	if (t >= b)
		return NULL;
	x = __atomic_load_n(&d->buf[t & d->mask], __ATOMIC_RELAXED);
	if (!__atomic_compare_exchange_n(&d->top, &t, t + 1, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED))
		return NULL; /* another thief, or the owner's pop, took it */
	return x;
}
