/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Combinators over futures: C#'s Task.WhenAll, Task.WhenAny and WaitAsync.
 *
 * They take tern_future_t values; a task is awaited through its future
 * (tern_task_future()). While a combinator waits, it is the one consumer of
 * every future it was given (another tern_await on one of them gets
 * -EALREADY, tern_future_drop -EBUSY). When it returns, it has withdrawn
 * from every future it did not consume, so those stay pending (or complete)
 * and valid: the caller awaits them later or drops them, as for any future.
 *
 * All of them need a task of the futures' core when they have to wait
 * (-EPERM otherwise) and take a token: a cancelled combinator returns
 * -ECANCELED / -ETIMEDOUT and consumes nothing.
 */
#ifndef TERN_COMBINATORS_H
#define TERN_COMBINATORS_H

#include <tern/common.h>
#include <tern/cancel.h>
#include <tern/future.h>

TERN_BEGIN_DECLS

/** Most futures one combinator call takes. */
#define TERN_WHEN_MAX 65536u

/**
 * Waits until every future in @p futures is complete, then consumes them
 * all and writes each one's value (>= 0 or a negative errno: a failure of
 * one does not stop the wait for the others) to @p results[i].
 *
 * @param futures @p n futures of the calling core, each given once.
 * @param results @p n slots; written only when the call returns 0.
 * @return 0 (look at @p results for each outcome);
 *   -ECANCELED / -ETIMEDOUT: @p tok fired first: nothing consumed, every
 *   future still the caller's (some may be complete: await or drop them);
 *   -EINVAL: NULL array or @p n 0 or above TERN_WHEN_MAX;
 *   -EALREADY / -ESTALE / -EXDEV / -EDEADLK: a future was consumed, stale,
 *   another core's, or the calling task's own (nothing consumed);
 *   -EPERM: it would wait and the caller is not a task; -ENOMEM.
 */
intptr_t tern_when_all(const tern_future_t *futures, size_t n, intptr_t *results,
		       tern_token_t tok);

/**
 * Waits until one future in @p futures is complete, consumes that one only
 * and returns its index and value. When several are complete at once, the
 * lowest index wins. The others (the losers) are withdrawn from and stay
 * valid: await them, pass them to another combinator, or drop them.
 *
 * @param index receives the winner's index.
 * @param value receives the winner's value (>= 0 or a negative errno).
 * @return 0; the errors of tern_when_all() (-EINVAL also for NULL
 *   @p index or @p value); on any error nothing is consumed.
 */
intptr_t tern_when_any(const tern_future_t *futures, size_t n, size_t *index,
		       intptr_t *value, tern_token_t tok);

/**
 * Awaits @p f for at most @p ns nanoseconds (C#'s WaitAsync(TimeSpan)).
 * A complete future returns at once, whatever @p ns.
 * @return as tern_await(); -ETIMEDOUT when @p ns passed first (the future
 *   stays pending and valid: await it again or drop it); -ECANCELED (or
 *   -ETIMEDOUT) when @p tok fired first; -EINVAL: @p ns above
 *   TERN_MAX_DELAY_NS; -ENOMEM: no cancellation source.
 */
intptr_t tern_await_timeout(tern_future_t f, uint64_t ns, tern_token_t tok);

TERN_END_DECLS
#endif
