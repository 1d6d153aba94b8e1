/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded channels: a ring of items and two FIFO wait queues.
 *
 * Invariants, which keep every path O(1): receivers wait only while the
 * ring is empty, senders only while it is full (TERN_CHAN_WAIT). So a send
 * first serves a waiting receiver directly, and a receive that frees a slot
 * moves the oldest waiting sender's item into it, which keeps FIFO order
 * across the ring and the sender queue.
 */
#include <stdlib.h>

#include <tern/chan.h>

#include "waitq.h"

struct tern_chan {
	struct tern_sched *sched;
	uint32_t head, len, cap;
	enum tern_chan_full full;
	bool closed;
	tern_chan_drop_fn drop_fn;
	void *drop_arg;
	struct tern__waitq sendq, recvq;
	struct tern_chan_stats st;   /* counters only; the rest is filled on read */
	intptr_t ring[];
};

static void ring_push(struct tern_chan *ch, intptr_t item)
{
	uint32_t i = ch->head + ch->len;

	ch->ring[i >= ch->cap ? i - ch->cap : i] = item;
	ch->len++;
}

static intptr_t ring_pop(struct tern_chan *ch)
{
	intptr_t item = ch->ring[ch->head];

	ch->head = ch->head + 1 == ch->cap ? 0 : ch->head + 1;
	ch->len--;
	return item;
}

static intptr_t *ring_newest(struct tern_chan *ch)
{
	uint32_t i = ch->head + ch->len - 1;

	return &ch->ring[i >= ch->cap ? i - ch->cap : i];
}

/* Called once the channel is consistent again: drop_fn may look at it. */
static void drop(struct tern_chan *ch, intptr_t item)
{
	if (ch->drop_fn)
		ch->drop_fn(item, ch->drop_arg);
}

static int check(const struct tern_chan *ch, const char *what)
{
	if (TERN_UNLIKELY(!ch)) {
		tern_log(TERN_LOG_ERR, "%s: NULL channel", what);
		return -EINVAL;
	}
	if (TERN_LIKELY(tern__tls_sched == ch->sched))
		return 0;
	return tern__check_owner(ch->sched, what);
}

static int opts_ok(const struct tern_chan_opts *o)
{
	const char *why = NULL;

	if (!o)
		why = "NULL options";
	else if (o->capacity == 0 || o->capacity > TERN_CHAN_MAX_CAPACITY)
		why = "capacity must be 1 .. TERN_CHAN_MAX_CAPACITY";
	else if ((unsigned)o->full > TERN_CHAN_REJECT)
		why = "unknown full-channel policy";
	if (!why)
		return 0;
	tern_log(TERN_LOG_ERR, "tern_chan_create: %s", why);
	return -EINVAL;
}

int tern_chan_create(const struct tern_chan_opts *opts, struct tern_chan **out)
{
	struct tern_sched *s;
	struct tern_chan *ch;
	int rc = opts_ok(opts);

	if (rc == 0 && !out)
		rc = -EINVAL;
	if (rc < 0)
		return rc;
	s = tern__sync_home(opts->sched, "tern_chan_create");
	if (!s)
		return -EPERM;
	ch = calloc(1, sizeof(*ch) + opts->capacity * sizeof(intptr_t));
	if (!ch)
		return -ENOMEM;
	ch->sched = s;
	ch->cap = opts->capacity;
	ch->full = opts->full;
	ch->drop_fn = opts->drop_fn;
	ch->drop_arg = opts->drop_arg;
	*out = ch;
	return 0;
}

int tern_chan_destroy(struct tern_chan *ch)
{
	int rc;

	if (!ch)
		return 0;
	rc = check(ch, "tern_chan_destroy");
	if (rc < 0)
		return rc;
	if (!tern__waitq_empty(&ch->sendq) || !tern__waitq_empty(&ch->recvq)) {
		tern_log(TERN_LOG_ERR, "tern_chan_destroy: tasks still wait on it; close it first");
		return -EBUSY;
	}
	while (ch->len)
		drop(ch, ring_pop(ch));
	free(ch);
	return 0;
}

/* A full channel under a drop policy: make room by the policy. */
static void drop_for(struct tern_chan *ch, intptr_t item)
{
	intptr_t old;

	if (ch->full == TERN_CHAN_DROP_OLDEST) {
		old = ring_pop(ch);
		ring_push(ch, item);
		ch->st.dropped_oldest++;
	} else {
		intptr_t *newest = ring_newest(ch);
		old = *newest;
		*newest = item;
		ch->st.dropped_newest++;
	}
	drop(ch, old);
}

/* Delivers @item without waiting if the channel can take it; false when
 * it is full and the policy waits or rejects. */
static bool offer(struct tern_chan *ch, intptr_t item)
{
	struct tern__waiter *r;

	if (ch->len < ch->cap) {
		r = tern__waitq_pop(&ch->recvq); /* only while empty */
		if (r) {
			r->item = item;
			ch->st.received++;
			tern__wait_wake(&r->w, 0);
		} else {
			ring_push(ch, item);
		}
	} else if (ch->full == TERN_CHAN_DROP_OLDEST || ch->full == TERN_CHAN_DROP_NEWEST) {
		drop_for(ch, item);
	} else {
		return false;
	}
	ch->st.sent++;
	return true;
}

/* A send that does not wait: 0, -EAGAIN (full, nothing counted), -EPIPE. */
static int send_now(struct tern_chan *ch, intptr_t item, const char *what)
{
	int rc = check(ch, what);

	if (TERN_UNLIKELY(rc < 0))
		return rc;
	if (TERN_UNLIKELY(ch->closed)) {
		tern_log(TERN_LOG_WARN, "%s: the channel is closed", what);
		return -EPIPE;
	}
	return TERN_LIKELY(offer(ch, item)) ? 0 : -EAGAIN;
}

int tern_chan_try_send(struct tern_chan *ch, intptr_t item)
{
	int rc = send_now(ch, item, "tern_chan_try_send");

	if (rc == -EAGAIN)
		ch->st.rejected++;
	return rc;
}

intptr_t tern_chan_send(struct tern_chan *ch, intptr_t item, tern_token_t tok)
{
	struct tern__waiter wt;
	int rc = send_now(ch, item, "tern_chan_send");

	if (TERN_LIKELY(rc != -EAGAIN))
		return rc;
	if (ch->full == TERN_CHAN_REJECT) {
		ch->st.rejected++;
		return -EAGAIN;
	}
	rc = tern__waitq_can_wait(ch->sched, "tern_chan_send");
	if (rc < 0)
		return rc;
	/* A receiver moves wt.item into the ring (and counts it) before it
	 * wakes us with 0; close wakes us with -EPIPE, the item still ours. */
	wt.item = item;
	return tern__waitq_wait(ch->sched, &ch->sendq, &wt, tok);
}

/* A slot was freed: the oldest waiting sender's item takes it. */
static void refill(struct tern_chan *ch)
{
	struct tern__waiter *snd = tern__waitq_pop(&ch->sendq);

	if (!snd)
		return;
	ring_push(ch, snd->item);
	ch->st.sent++;
	tern__wait_wake(&snd->w, 0);
}

/* A receive that does not wait: 0, -EAGAIN (empty and open), -EPIPE. */
static int recv_now(struct tern_chan *ch, intptr_t *item)
{
	int rc = check(ch, "tern_chan_recv");

	if (TERN_UNLIKELY(rc < 0))
		return rc;
	if (TERN_UNLIKELY(!item)) {
		tern_log(TERN_LOG_ERR, "tern_chan_recv: NULL item pointer");
		return -EINVAL;
	}
	if (ch->len) {
		*item = ring_pop(ch);
		ch->st.received++;
		refill(ch);
		return 0;
	}
	return ch->closed ? -EPIPE : -EAGAIN;
}

int tern_chan_try_recv(struct tern_chan *ch, intptr_t *item)
{
	return recv_now(ch, item);
}

intptr_t tern_chan_recv(struct tern_chan *ch, intptr_t *item, tern_token_t tok)
{
	struct tern__waiter wt;
	int rc = recv_now(ch, item);

	if (TERN_LIKELY(rc != -EAGAIN))
		return rc;
	rc = tern__waitq_can_wait(ch->sched, "tern_chan_recv");
	if (rc < 0)
		return rc;
	rc = (int)tern__waitq_wait(ch->sched, &ch->recvq, &wt, tok);
	if (rc == 0)
		*item = wt.item; /* handed over by a sender */
	return rc;
}

int tern_chan_close(struct tern_chan *ch)
{
	int rc = check(ch, "tern_chan_close");

	if (rc < 0)
		return rc;
	if (ch->closed) {
		tern_log(TERN_LOG_WARN, "tern_chan_close: closed before");
		return -EALREADY;
	}
	ch->closed = true;
	tern__waitq_wake_all(&ch->sendq, -EPIPE);
	tern__waitq_wake_all(&ch->recvq, -EPIPE);
	return 0;
}

int tern_chan_stats(const struct tern_chan *ch, struct tern_chan_stats *out)
{
	if (!ch || !out) {
		tern_log(TERN_LOG_ERR, "tern_chan_stats: NULL argument");
		return -EINVAL;
	}
	*out = ch->st;
	out->len = ch->len;
	out->capacity = ch->cap;
	out->send_waiters = ch->sendq.len;
	out->recv_waiters = ch->recvq.len;
	out->closed = ch->closed;
	return 0;
}
