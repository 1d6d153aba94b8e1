/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Waitlists: how the RX poller (or ARP) wakes tasks, on public primitives
 * only. A waiter is a list node on the task's stack and the task parked on
 * it (tern_park): nothing allocated, no promise.
 */
#include "engine_internal.h"

#include <tern/task.h>

void eng_waitlist_init(struct eng_waitlist *wl)
{
	wl->head.next = wl->head.prev = &wl->head;
	wl->n = 0;
	wl->busy = 0;
}

static void wl_link(struct eng_waitlist *wl, struct eng_waiter *w)
{
	w->prev = wl->head.prev;
	w->next = &wl->head;
	wl->head.prev->next = w;
	wl->head.prev = w;
	wl->n++;
}

static void wl_unlink(struct eng_waitlist *wl, struct eng_waiter *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->next = w->prev = NULL;
	wl->n--;
}

/* A token fired: unlink before the task is woken, so no waker finds it. */
static void waiter_withdraw(struct tern_parked *pk)
{
	struct eng_waiter *w = container_of(pk, struct eng_waiter, pk);

	wl_unlink(w->wl, w);
}

/*
 * While it waits, and from its wake-up until it runs, the task counts in
 * wl->busy: the owner of wl is not freed under it (tern_udp_close,
 * tern_udp_serve, tern_engine_destroy refuse with -EBUSY).
 *
 * A wait the token ended was unlinked by waiter_withdraw() before the task
 * was woken; a wait that was woken (unlinked by the waker) returns the
 * waker's value even if the token fires afterwards: the wake-up carried
 * something (a datagram in the queue or in out[], a resolved address)
 * that must not be lost.
 */
intptr_t eng_wait_rx(struct eng_waitlist *wl, struct tern_udp_dgram *out,
		     struct rte_mbuf **out_m, uint16_t cap, tern_token_t tok)
{
	struct eng_waiter w = { .wl = wl, .out = out, .out_m = out_m, .cap = cap };
	intptr_t v;

	/* Outside a task: -EPERM quietly (callers document it), before w is
	 * linked. Inside one, tern_park() refuses nothing else, and every
	 * error it returns has run the withdraw: w is never left linked. */
	if (!tern_in_task())
		return -EPERM;
	wl_link(wl, &w);
	wl->busy++;
	v = tern_park(&w.pk, waiter_withdraw, tok);
	wl->busy--;
	return v;
}

intptr_t eng_wait(struct eng_waitlist *wl, tern_token_t tok)
{
	return eng_wait_rx(wl, NULL, NULL, 0, tok);
}

void eng_wake_waiter(struct eng_waitlist *wl, struct eng_waiter *w, intptr_t v)
{
	wl_unlink(wl, w);
	tern_unpark(&w->pk, v);
}

void eng_wake_one(struct eng_waitlist *wl, intptr_t v)
{
	struct eng_waiter *w = wl->head.next;

	if (w != &wl->head)
		eng_wake_waiter(wl, w, v);
}

void eng_wake_all(struct eng_waitlist *wl, intptr_t v)
{
	while (wl->n > 0)
		eng_wake_one(wl, v);
}
