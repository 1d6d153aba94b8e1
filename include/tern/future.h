/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Futures and promises: C#'s ValueTask and TaskCompletionSource.
 *
 * A tern_future_t is a small value (two words). It is either already complete
 * and carries its value inline (made by tern_future_ready(): awaiting it is a
 * branch, no switch and no allocation), or it refers to a completion record
 * (a promise or a task) by pointer and version. Records come from a per-core
 * pool and are reused; the version detects a caller bug (awaiting twice,
 * awaiting after the record was reused, completing twice), which returns
 * -EALREADY or -ESTALE instead of corrupting memory. In debug builds the
 * misuse policy (see tern_sched_opts) asserts by default.
 *
 * Values are intptr_t: a result >= 0, or a negative errno for a failure.
 * Every future must be awaited to completion or dropped with
 * tern_future_drop(); a record that is neither stays allocated and is counted
 * in tern_sched_stats.records_live.
 *
 * Futures belong to the core that made them: await and complete them there
 * (-EXDEV otherwise).
 */
#ifndef TERN_FUTURE_H
#define TERN_FUTURE_H

#include <tern/common.h>
#include <tern/cancel.h>

TERN_BEGIN_DECLS

struct tern__rec;

/** A future: see the file comment. Pass and copy by value. */
typedef struct tern_future {
	struct tern__rec *rec; /**< NULL: complete, value in v */
	intptr_t v;            /**< value if rec == NULL, else rec's version */
} tern_future_t;

/** The completing side of a promise record. Pass and copy by value. */
typedef struct tern_promise {
	struct tern__rec *rec;
	uint32_t version;
	uint32_t shared; /**< made by tern_promise_create_shared */
} tern_promise_t;

/** A future that is already complete with @p value. Never fails. */
static inline tern_future_t tern_future_ready(intptr_t value)
{
	tern_future_t f = { NULL, value };
	return f;
}

intptr_t tern__await_slow(tern_future_t f, tern_token_t tok);

/**
 * Awaits @p f: returns its value when complete, suspending only the calling
 * task meanwhile. An already-complete future returns at once, from any
 * context, without a switch.
 *
 * @param tok cancels the wait (TERN_TOKEN_NONE: none). A cancelled wait
 *   returns -ECANCELED (-ETIMEDOUT for a deadline) and leaves the future
 *   pending and valid: await it again later, or drop it.
 * @return the value (>= 0 or a negative errno the completer chose), or
 *   -EPERM: the future is not complete and the caller is not a task;
 *   -EALREADY: already awaited to completion, or another task awaits it;
 *   -ESTALE: the record was released and reused (a stale future);
 *   -EDEADLK: a task awaiting itself;
 *   -EXDEV: the future belongs to another core;
 *   -ECANCELED / -ETIMEDOUT: @p tok fired first.
 */
static inline intptr_t tern_await(tern_future_t f, tern_token_t tok)
{
	if (TERN_LIKELY(f.rec == NULL))
		return f.v;
	return tern__await_slow(f, tok);
}

/**
 * True when @p f is complete (awaiting it would not suspend). A stale or
 * consumed future counts as complete, since awaiting it returns at once.
 */
bool tern_future_done(tern_future_t f);

/**
 * Gives up on @p f without awaiting it. If its record is already complete it
 * is released now, otherwise when it completes. For a task's future this is
 * tern_task_detach(). Dropping a ready value future does nothing.
 * @return 0, -EALREADY (awaited or dropped before), -ESTALE, -EBUSY (a task
 *   is awaiting it), -EXDEV (another core's).
 */
int tern_future_drop(tern_future_t f);

/**
 * Makes a promise record on the calling thread's core (from its pool: no
 * allocation once warm) and writes it to @p out.
 * @return 0; -EPERM when the calling thread runs no core (tern_sched);
 *   -ENOMEM when the pool cannot grow.
 */
int tern_promise_create(tern_promise_t *out);

/**
 * Makes a promise that any thread may complete: a task on another core, a
 * plain thread, a callback of another library. A completion from a thread
 * that does not drive the promise's core travels to that core's inbox
 * inside the promise's own record (nothing is allocated) and wakes the
 * awaiting task there. Completions are claimed atomically, which local
 * promises avoid: use this only when another thread completes it.
 * Await, drop and future rules are those of tern_promise_create(). A
 * completion in flight when the core is destroyed still lands safely (the
 * core's memory is kept); completing it after its core was destroyed is a
 * use after free, as with any object.
 * @return 0; -EPERM when the calling thread runs no core; -ENOMEM.
 */
int tern_promise_create_shared(tern_promise_t *out);

/**
 * The future of promise @p p. Call once: a record has one consumer.
 * Returns a future whose await gives -ESTALE when @p p is stale.
 */
tern_future_t tern_promise_future(tern_promise_t p);

/**
 * Completes @p p with @p value, waking the task that awaits it (it runs later,
 * from the core's run queue, not inside this call). Callable from tasks and
 * from pollers and callbacks of the owning core; a shared promise
 * (tern_promise_create_shared) from any thread.
 * @return 0; -EALREADY: completed before (the first value stands; for a
 *   shared promise, also when another thread won the race, quietly);
 *   -ESTALE: @p p's record was released; -EXDEV: another core's promise
 *   that is not shared.
 */
int tern_promise_complete(tern_promise_t p, intptr_t value);

TERN_END_DECLS
#endif
