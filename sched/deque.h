/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A work-stealing deque (Chase and Lev, with the C11 orderings of Le, Pop,
 * Cohen and Zappa Nardelli, PPoPP 2013), fixed size: the owning core pushes
 * and pops at the bottom, any other core steals at the top.
 */
#ifndef TERN_SCHED_DEQUE_H
#define TERN_SCHED_DEQUE_H

#include <stdint.h>

struct tern__deque {
	int64_t top __attribute__((aligned(64)));    /* thieves' line */
	int64_t bottom __attribute__((aligned(64))); /* the owner's line */
	int64_t mask;
	void **buf;
};

int tern__deque_init(struct tern__deque *d, uint32_t size, int node);
void tern__deque_fini(struct tern__deque *d);
/* Owner only. 0, or -EAGAIN when full. */
int tern__deque_push(struct tern__deque *d, void *x);
/* Owner only: the newest item, or NULL. */
void *tern__deque_pop(struct tern__deque *d);
/* Any other thread: the oldest item, or NULL (empty, or lost a race). */
void *tern__deque_steal(struct tern__deque *d);

#endif
