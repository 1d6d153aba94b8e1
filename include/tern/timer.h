/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Timers on each core's hierarchical timer wheel (C#'s Task.Delay, and the
 * clock behind deadlines).
 *
 * The wheel has 9 levels of 64 slots over 1.024 us ticks (the whole 64-bit
 * ns range). Arming and cancelling are O(1); expiring K timers costs O(K)
 * (each timer moves down at most 8 levels), and idle stretches are skipped
 * by slot bitmaps, not walked tick by tick. A timer fires on the first poll
 * at or after its expiry tick: never early, late by at most one tick plus
 * the loop's round time.
 *
 * Timers are intrusive: struct tern_timer lives in the caller's memory and
 * no call allocates.
 */
#ifndef TERN_TIMER_H
#define TERN_TIMER_H

#include <tern/common.h>
#include <tern/cancel.h>

TERN_BEGIN_DECLS

struct tern_timer;
/** Runs on the timer's core, from the timer poller, once per expiry. */
typedef void (*tern_timer_fn)(struct tern_timer *t);

/** A timer. Initialise with tern_timer_init(); treat the fields as private. */
struct tern_timer {
	struct tern_timer *next, **pprev;
	uint64_t expires;      /* in ticks */
	tern_timer_fn fn;
	void *arg;
	struct tern_sched *sched;
	uint8_t level;
	uint8_t slot;
	uint8_t armed;
};

/** Prepares @p t to call @p fn; @p arg is for the caller (tern_timer_arg). */
void tern_timer_init(struct tern_timer *t, tern_timer_fn fn, void *arg);

/** The @p arg given to tern_timer_init(). */
static inline void *tern_timer_arg(const struct tern_timer *t)
{
	return t->arg;
}

/**
 * Arms @p t to fire @p ns nanoseconds from now on the calling thread's core
 * (re-arming an armed timer moves it). @p t must stay valid until it fires
 * or is cancelled.
 * @return 0; -EINVAL: @p ns above TERN_MAX_DELAY_NS (a negative duration
 *   cast to uint64_t lands here too), or @p t not initialised;
 *   -EPERM: the calling thread runs no core; -EXDEV: @p t is armed on
 *   another core.
 */
int tern_timer_arm(struct tern_timer *t, uint64_t ns);

/**
 * Disarms @p t. After it returns the callback will not run (unless it is
 * running now, on this core, and called this).
 * @return 0 disarmed; -ENOENT: not armed (fired already or never armed);
 *   -EXDEV: armed on a core the calling thread does not drive.
 */
int tern_timer_cancel(struct tern_timer *t);

/** True while @p t is armed. */
static inline bool tern_timer_armed(const struct tern_timer *t)
{
	return t->armed != 0;
}

/**
 * Suspends the calling task for @p ns nanoseconds (Task.Delay).
 * @return 0 after the delay; -ECANCELED / -ETIMEDOUT: @p tok fired first
 *   (the timer is withdrawn); -EINVAL: @p ns above TERN_MAX_DELAY_NS;
 *   -EPERM: not inside a task.
 */
intptr_t tern_sleep(uint64_t ns, tern_token_t tok);

TERN_END_DECLS
#endif
