/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Bounded channels of intptr_t items between tasks of one core: C#'s
 * Channel<T> created with BoundedChannelOptions.
 *
 * A full channel applies the policy chosen at creation: wait for room,
 * drop the oldest item, drop the newest item, or reject the send (-EAGAIN).
 * Every drop and every rejection is counted (tern_chan_stats) and a dropped
 * item goes to the channel's drop_fn, so an item that is a pointer is never
 * leaked silently. Waiting senders and receivers are served in FIFO order;
 * a cancelled one leaves its queue before its call returns, so no item is
 * handed to it (or taken from it) afterwards.
 *
 * Item ownership: a send that returns 0 gave its item to the channel (a
 * later drop passes it to drop_fn); a send that fails leaves it with the
 * caller. A receive that returns 0 gives the item to the caller.
 *
 * Closing: receivers drain what is left, then get -EPIPE; senders get
 * -EPIPE at once; waiters of both kinds are woken with -EPIPE.
 *
 * Same core only (-EXDEV from another thread); waiting calls need a task
 * (-EPERM otherwise); the try_ calls work from pollers and callbacks.
 * The channel is created on opts->sched (NULL: the calling thread's core);
 * the caller owns it and frees it with tern_chan_destroy().
 */
#ifndef TERN_CHAN_H
#define TERN_CHAN_H

#include <tern/common.h>
#include <tern/cancel.h>

TERN_BEGIN_DECLS

struct tern_sched;
struct tern_chan;

/** What a send does when the channel is full. */
enum tern_chan_full {
	TERN_CHAN_WAIT = 0,    /**< the sender waits for room (backpressure) */
	TERN_CHAN_DROP_OLDEST, /**< the oldest queued item is dropped; send returns 0 */
	TERN_CHAN_DROP_NEWEST, /**< the newest queued item is replaced by the sent
				    one (C#'s DropNewest); send returns 0 */
	TERN_CHAN_REJECT,      /**< the send fails with -EAGAIN */
};

/** Largest capacity a channel accepts. */
#define TERN_CHAN_MAX_CAPACITY (1u << 24)

/** Called on the channel's core for each item the channel drops or still
 *  holds at destroy; takes ownership of @p item. */
typedef void (*tern_chan_drop_fn)(intptr_t item, void *arg);

/** Channel options. */
struct tern_chan_opts {
	struct tern_sched *sched;  /**< owning core; NULL: the calling thread's */
	uint32_t capacity;         /**< 1 .. TERN_CHAN_MAX_CAPACITY items */
	enum tern_chan_full full;  /**< default TERN_CHAN_WAIT */
	tern_chan_drop_fn drop_fn; /**< NULL: dropped items are only counted */
	void *drop_arg;
};

/** Counters and state of one channel. */
struct tern_chan_stats {
	uint64_t sent;           /**< items accepted by a send */
	uint64_t received;       /**< items taken by a receive */
	uint64_t dropped_oldest; /**< items dropped by TERN_CHAN_DROP_OLDEST */
	uint64_t dropped_newest; /**< items dropped by TERN_CHAN_DROP_NEWEST */
	uint64_t rejected;       /**< sends refused with -EAGAIN while full */
	uint32_t len;            /**< items queued now */
	uint32_t capacity;
	uint32_t send_waiters;
	uint32_t recv_waiters;
	bool closed;
};

/**
 * Makes a channel.
 * @return 0; -EINVAL: @p opts or @p out NULL, capacity 0 or above
 *   TERN_CHAN_MAX_CAPACITY, unknown policy (each logged); -EPERM: no core
 *   to own it; -ENOMEM.
 */
int tern_chan_create(const struct tern_chan_opts *opts, struct tern_chan **out);

/**
 * Frees @p ch; items still queued go to drop_fn (not counted as drops).
 * NULL is ignored (returns 0).
 * @return 0; -EBUSY: tasks wait on it (nothing freed: close it and let
 *   them run first); -EXDEV.
 */
int tern_chan_destroy(struct tern_chan *ch);

/**
 * Sends @p item: to the oldest waiting receiver, else into the queue, else
 * as the full-channel policy says (only TERN_CHAN_WAIT waits).
 * @return 0 (the channel owns @p item); -EAGAIN: full under
 *   TERN_CHAN_REJECT; -EPIPE: closed (also when closed while waiting);
 *   -ECANCELED / -ETIMEDOUT: @p tok fired while waiting (not sent);
 *   -EPERM: would wait and the caller is not a task; -EXDEV; -EINVAL.
 */
intptr_t tern_chan_send(struct tern_chan *ch, intptr_t item, tern_token_t tok);

/**
 * As tern_chan_send() but never waits: full under TERN_CHAN_WAIT gives
 * -EAGAIN (counted in rejected).
 */
int tern_chan_try_send(struct tern_chan *ch, intptr_t item);

/**
 * Receives the oldest item into @p item, waiting while the channel is empty.
 * @return 0; -EPIPE: closed and empty; -ECANCELED / -ETIMEDOUT: @p tok
 *   fired first (nothing taken); -EPERM: would wait and the caller is not
 *   a task; -EXDEV; -EINVAL: @p ch or @p item NULL.
 */
intptr_t tern_chan_recv(struct tern_chan *ch, intptr_t *item, tern_token_t tok);

/** As tern_chan_recv() but never waits: -EAGAIN when empty and open. */
int tern_chan_try_recv(struct tern_chan *ch, intptr_t *item);

/**
 * Closes @p ch: no more sends; waiting senders and receivers get -EPIPE.
 * Queued items can still be received.
 * @return 0; -EALREADY: closed before (logged); -EXDEV; -EINVAL.
 */
int tern_chan_close(struct tern_chan *ch);

/** Copies @p ch's counters. @return 0; -EINVAL: a NULL argument. */
int tern_chan_stats(const struct tern_chan *ch, struct tern_chan_stats *out);

TERN_END_DECLS
#endif
