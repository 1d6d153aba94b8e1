/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched/ private: FIFO queues of waiting tasks, behind the async mutex,
 * semaphore, event and channel.
 *
 * A waiter lives on its task's stack for the length of one wait. It is
 * linked into the queue before tern__wait() suspends; whoever wakes it
 * unlinks it first (tern__waitq_pop), and a token that fires unlinks it
 * through the wait's withdraw. So a waiter is in the queue exactly while it
 * can still be served, and what a completer hands over (a permit, a lock,
 * an item) goes to a waiter that will return it: a cancelled waiter is
 * gone from the queue before anything can be handed to it.
 */
#ifndef TERN_SCHED_WAITQ_H
#define TERN_SCHED_WAITQ_H

#include "sched_internal.h"

struct tern__waiter {
	struct tern__wait w;
	struct tern__waiter *next, *prev;
	intptr_t item; /* a channel item in flight, either way */
};

struct tern__waitq {
	struct tern__waiter *head, *tail;
	uint32_t len;
};

static inline bool tern__waitq_empty(const struct tern__waitq *q)
{
	return q->head == NULL;
}

/* Unlinks and returns the oldest waiter, or NULL. */
struct tern__waiter *tern__waitq_pop(struct tern__waitq *q);

/*
 * Queues @wt at the tail of @q and suspends the calling task until a
 * completer pops and wakes it or @tok fires (then it has left the queue).
 * Returns the result the completer chose, or the token's error. The caller
 * must have checked it runs in a task of @s (tern__waitq_can_wait).
 */
intptr_t tern__waitq_wait(struct tern_sched *s, struct tern__waitq *q,
			  struct tern__waiter *wt, tern_token_t tok);

/* Pops the oldest waiter and wakes it with @result; false if none. */
bool tern__waitq_wake_one(struct tern__waitq *q, intptr_t result);

/* Wakes every waiter with @result, oldest first. */
void tern__waitq_wake_all(struct tern__waitq *q, intptr_t result);

/*
 * 0 when the calling thread drives @s (or nobody does) and runs a task of
 * it, so it may wait; -EXDEV or -EPERM with a log line naming @what.
 */
int tern__waitq_can_wait(const struct tern_sched *s, const char *what);

/*
 * The core an object is created on: @opt_sched, or the calling thread's.
 * NULL (and a log line naming @what) when there is none.
 */
struct tern_sched *tern__sync_home(struct tern_sched *opt_sched, const char *what);

#endif
