/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Offload: C#'s Task.Run for blocking work. A pool of plain threads (never
 * polling cores) runs functions that may block (files, DNS, a slow library)
 * and the result completes a future on the calling core, through its inbox.
 * The core keeps polling and running its other tasks meanwhile.
 */
#ifndef TERN_OFFLOAD_H
#define TERN_OFFLOAD_H

#include <tern/common.h>
#include <tern/future.h>
#include <tern/task.h>

TERN_BEGIN_DECLS

struct tern_offload_pool;

/** Most threads in one pool. */
#define TERN_OFFLOAD_MAX_THREADS 64

/**
 * Starts a pool of @p threads threads (not pinned: they may run anywhere,
 * which is the point).
 * @return 0; -EINVAL: @p threads is 0 or above TERN_OFFLOAD_MAX_THREADS;
 *   -ENOMEM; -errno from pthread_create.
 */
int tern_offload_pool_create(unsigned threads, struct tern_offload_pool **out);

/**
 * Stops the pool: work already queued still runs and its results are
 * delivered; then the threads are joined. Call from a thread that is not a
 * core of any caller still awaiting (their inboxes must keep being polled).
 * NULL is ignored.
 */
void tern_offload_pool_destroy(struct tern_offload_pool *p);

/**
 * Runs @p fn(@p arg) on one of @p p's threads; the result completes
 * @p out's future on the calling core. @p arg must stay valid until then.
 * Cancelling the await does not interrupt @p fn (a blocking call cannot be
 * withdrawn): the future stays valid; drop it and the result is discarded
 * when it arrives.
 * @return 0; -EINVAL: NULL @p p, @p fn or @p out; -EPERM: the calling
 *   thread drives no core; -ESHUTDOWN: @p p is being destroyed; -ENOMEM.
 */
int tern_offload(struct tern_offload_pool *p, tern_task_fn fn, void *arg, tern_future_t *out);

TERN_END_DECLS
#endif
