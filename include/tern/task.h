/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Tasks: C#'s async methods and Task<T>, as stackful coroutines.
 *
 * A task runs a function on its own small stack (from its core's pool, with a
 * guard page) and may await: only the task waits, the core goes on. A task
 * spawned from inside a task or a poller of the same core starts at once and
 * runs until its first await (as a C# async method does); spawned from
 * anywhere else, or with TERN_TASK_DEFER, it is queued. Its result is an
 * intptr_t: a value >= 0, or a negative errno for a failure.
 *
 * Each task is either awaited (tern_task_await(), or tern_task_future() with
 * tern_await()) or detached. A detached task that fails goes to its core's
 * unobserved-failure policy (count and log, a hook, or abort): no failure is
 * lost silently.
 *
 * A task resumes on the core it runs on; it never moves by itself.
 */
#ifndef TERN_TASK_H
#define TERN_TASK_H

#include <tern/common.h>
#include <tern/cancel.h>
#include <tern/future.h>

TERN_BEGIN_DECLS

struct tern_sched;

/** A task's function. Its return value is the task's result. */
typedef intptr_t (*tern_task_fn)(void *arg);

/** A handle on a spawned task: the future of its result. Copy by value. */
typedef struct tern_task_handle {
	tern_future_t f;
} tern_task_t;

enum tern_task_flags {
	TERN_TASK_DEFER = 1u << 0,    /**< queue, do not start inside spawn */
	TERN_TASK_DETACHED = 1u << 1, /**< fire and forget; no handle */
	/** CPU-only work that any idle core of the group may run (work
	 *  stealing): queued on this core's deque, run by this core when it has
	 *  nothing else ready or stolen by an idle one; the result comes back to
	 *  this core either way. Without the flag a task never leaves its core. */
	TERN_TASK_STEALABLE = 1u << 2,
};

/** Smallest and largest stack a task may ask for. */
#define TERN_STACK_MIN (8u * 1024)
#define TERN_STACK_MAX (64u * 1024 * 1024)

/** Spawn options. Zeroed fields take their defaults. */
struct tern_task_opts {
	const char *name;         /**< copied (31 chars kept); default "task" */
	size_t stack_size;        /**< 0: the core's default (32 KiB) */
	struct tern_sched *sched; /**< NULL: the calling thread's core */
	unsigned flags;           /**< enum tern_task_flags */
};

/**
 * Spawns a task running @p fn(@p arg).
 *
 * @param opts NULL for all defaults.
 * @param out receives the handle; may be NULL only with TERN_TASK_DETACHED.
 *   The caller owns the handle: await it or detach it.
 * @return 0; -EINVAL: @p fn NULL, stack size outside
 *   [TERN_STACK_MIN, TERN_STACK_MAX], or @p out NULL without DETACHED;
 *   -EPERM: no @p opts->sched and the calling thread runs no core;
 *   -EXDEV: @p opts->sched is running on another thread (to run work on
 *   another core, use tern_submit); -ENOMEM: no stack could be mapped
 *   (the log line says whether vm.max_map_count is the limit);
 *   -ESHUTDOWN: the core is stopping; -EAGAIN: TERN_TASK_STEALABLE and this
 *   core's deque of stealable tasks is full (back off, or spawn it bound).
 */
int tern_task_spawn(tern_task_fn fn, void *arg, const struct tern_task_opts *opts,
		    tern_task_t *out);

/** The future of @p t's result, for tern_await() and combinators. */
static inline tern_future_t tern_task_future(tern_task_t t)
{
	return t.f;
}

/**
 * Awaits @p t's result (the task is consumed: its handle is then stale).
 * @return as tern_await().
 */
static inline intptr_t tern_task_await(tern_task_t t, tern_token_t tok)
{
	return tern_await(t.f, tok);
}

/**
 * Detaches @p t: nobody will await it; if it fails, the unobserved-failure
 * policy of its core sees the error.
 * @return as tern_future_drop().
 */
int tern_task_detach(tern_task_t t);

/**
 * Puts the calling task at the back of the core's ready queue: every task
 * ready now runs before it resumes. Pollers run between budget rounds, so
 * at the latest after budget_tasks resumptions. A task that yields with
 * nothing else ready continues at once, without a switch.
 * @return 0; -EPERM outside a task (logged).
 */
int tern_yield(void);

/**
 * The calling task's name, or NULL outside a task. The string belongs to the
 * task: valid until the task ends; copy it to keep it longer.
 */
const char *tern_task_name(void);

/** True when the caller runs inside a task. */
bool tern_in_task(void);

struct tern_parked;

/** Called when a parked task's token fires, before the task is woken. */
typedef void (*tern_withdraw_fn)(struct tern_parked *p);

/**
 * A parked task: the low-level wait under code that keeps its own waiters
 * (an engine's sockets, a queue of one's own), cheaper than a promise:
 * nothing is allocated or pooled. The caller puts a struct tern_parked on
 * the task's stack, links it into its own list and calls tern_park(); a
 * waker on the same core unlinks it and calls tern_unpark() with a value.
 * Fields are private.
 */
struct tern_parked {
	void *wait;               /* while parked and not woken: the wait */
	tern_withdraw_fn withdraw;
};

/**
 * Suspends the calling task until tern_unpark(@p p) or @p tok fires. When
 * the token fires first, @p withdraw(@p p) runs at once, on this core,
 * before the task is made ready: unlink @p p there, so that no waker finds
 * it afterwards; once woken, the token no longer reaches it. @p p must
 * stay valid until this returns (the task's stack is the usual place).
 * @return the value tern_unpark() gave; -ECANCELED / -ETIMEDOUT: @p tok
 *   fired (also when it had fired before the call); -ESTALE: @p tok's
 *   source was disposed; -EXDEV: @p tok belongs to another core. On those
 *   four withdraw has run. -EPERM outside a task, -EINVAL: @p p or
 *   @p withdraw NULL: withdraw has not run, the caller unlinks @p p.
 */
intptr_t tern_park(struct tern_parked *p, tern_withdraw_fn withdraw, tern_token_t tok);

/**
 * Wakes the task parked on @p p with @p value (it runs later, in its
 * core's ready order). Call on the parked task's core, on a @p p the
 * caller has unlinked from its own list; @p p must still be valid (its
 * task has not resumed).
 * @return 0; -EINVAL: @p p is not parked: woken already, withdrawn (its
 *   token fired), or zeroed and never parked; -EXDEV: called on another
 *   core than the parked task's (nothing done).
 */
int tern_unpark(struct tern_parked *p, intptr_t value);

TERN_END_DECLS
#endif
