/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Waitlists: how the RX poller (or ARP) wakes tasks, on public primitives
 * only. A waiter is a pooled promise plus a list node on the task's stack:
 * no allocation once the core's promise pool is warm.
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

/*
 * While it waits, and from its wake-up until it runs, the task counts in
 * wl->busy: the owner of wl is not freed under it (tern_udp_close,
 * tern_udp_serve, tern_engine_destroy refuse with -EBUSY).
 *
 * A wait the token ended is still linked: unlink it, then complete and drop
 * its promise so the record goes back to the pool at once. A wait that was
 * woken (unlinked by the waker) returns the waker's value even if the token
 * fired afterwards: the wake-up carried something (a datagram in the queue
 * or in out[], a resolved address) that must not be lost.
 */
intptr_t eng_wait_rx(struct eng_waitlist *wl, struct tern_udp_dgram *out, uint16_t cap,
		     tern_token_t tok)
{
	struct eng_waiter w = { .out = out, .cap = cap };
	tern_future_t f;
	intptr_t v;
	int rc;

	if (!tern_in_task())
		return -EPERM;
	rc = tern_promise_create(&w.p);
	if (rc < 0)
		return rc;
	f = tern_promise_future(w.p);
	wl_link(wl, &w);
	wl->busy++;
	v = tern_await(f, tok);
	wl->busy--;
	if (w.next != NULL) {
		wl_unlink(wl, &w);
		tern_promise_complete(w.p, v);
		tern_future_drop(f);
		return v;
	}
	if (v == -ECANCELED || v == -ETIMEDOUT)
		v = tern_await(f, TERN_TOKEN_NONE); /* completed: returns at once */
	return v;
}

intptr_t eng_wait(struct eng_waitlist *wl, tern_token_t tok)
{
	return eng_wait_rx(wl, NULL, 0, tok);
}

void eng_wake_waiter(struct eng_waitlist *wl, struct eng_waiter *w, intptr_t v)
{
	wl_unlink(wl, w);
	tern_promise_complete(w->p, v);
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
