/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Async mutex, semaphore and event: C#'s SemaphoreSlim.WaitAsync and
 * friends, for tasks of one core.
 *
 * Waiting calls suspend only the calling task and take a tern_token_t: a
 * cancelled wait returns -ECANCELED (-ETIMEDOUT for a deadline) and has left
 * the queue before it returns, so nothing (a permit, the lock) is handed to
 * a waiter that gave up: it goes to the next one. Waiters are served in FIFO
 * order, and a released lock or permit is handed straight to the oldest
 * waiter (no barging), so a waiter cannot starve.
 *
 * Ownership: tern_x_create() allocates the object on the core named by
 * opts->sched (NULL: the calling thread's core); the caller owns it and
 * frees it with tern_x_destroy(), which refuses (-EBUSY) while tasks wait.
 * Destroying twice is a use after free that cannot be detected: do not.
 *
 * Same core only: every call from a thread that does not drive the owning
 * core returns -EXDEV (cross-core use comes with the multi-core scheduler).
 * Calls that would wait need a task (-EPERM otherwise); the try_ variants
 * and the releasing calls work from pollers and callbacks too.
 */
#ifndef TERN_SYNC_H
#define TERN_SYNC_H

#include <tern/common.h>
#include <tern/cancel.h>

TERN_BEGIN_DECLS

struct tern_sched;
struct tern_mutex;
struct tern_sem;
struct tern_event;

/* ---- mutex ---- */

/** Mutex options. Zeroed fields take their defaults. */
struct tern_mutex_opts {
	struct tern_sched *sched; /**< owning core; NULL: the calling thread's */
};

/**
 * Makes an unlocked mutex. @p opts may be NULL.
 * @return 0; -EINVAL: @p out NULL; -EPERM: no core to own it; -ENOMEM.
 */
int tern_mutex_create(const struct tern_mutex_opts *opts, struct tern_mutex **out);

/**
 * Frees @p m. NULL is ignored (returns 0).
 * @return 0; -EBUSY: locked or waited on (nothing freed); -EXDEV.
 */
int tern_mutex_destroy(struct tern_mutex *m);

/**
 * Locks @p m, waiting in FIFO order while another task holds it. The lock
 * belongs to the calling task, which must unlock it. Not recursive.
 * @return 0 locked; -ECANCELED / -ETIMEDOUT: @p tok fired first (not
 *   locked); -EDEADLK: the caller holds it already; -EPERM: it would wait
 *   and the caller is not a task; -EXDEV; -EINVAL: @p m NULL.
 */
intptr_t tern_mutex_lock(struct tern_mutex *m, tern_token_t tok);

/**
 * Locks @p m if it is free and nobody waits.
 * @return 0 locked; -EBUSY: held; -EXDEV; -EINVAL.
 */
int tern_mutex_trylock(struct tern_mutex *m);

/**
 * Unlocks @p m, handing it to the oldest waiter if there is one.
 * @return 0; -EPERM: the caller does not hold it (logged); -EXDEV; -EINVAL.
 */
int tern_mutex_unlock(struct tern_mutex *m);

/* ---- semaphore ---- */

/* Inline fast paths. The semaphore's uncontended acquire and release are
 * on hot paths (a permit per request), and two out-of-line calls cost twice
 * a call (bench BM_sem_uncontended), so their common case is inlined here:
 * the owning core's check, the count, nothing waiting. Everything else goes
 * to the out-of-line slow path. Internal: this layout may change. */
extern __thread struct tern_sched *tern__tls_sched __attribute__((tls_model("initial-exec")));

/** The head of a semaphore, read by the inline fast paths only. */
struct tern__sem_hot {
	struct tern_sched *sched;
	uint32_t count;
	uint32_t max;
	const void *waiters;      /* non-NULL while tasks wait */
};

intptr_t tern__sem_acquire_slow(struct tern_sem *sem, tern_token_t tok);
int tern__sem_release_slow(struct tern_sem *sem);


/** Semaphore options. Zeroed fields take their defaults. */
struct tern_sem_opts {
	struct tern_sched *sched; /**< owning core; NULL: the calling thread's */
	uint32_t initial;         /**< permits at creation */
	uint32_t max;             /**< most permits it holds; 0: UINT32_MAX */
};

/**
 * Makes a counting semaphore. @p opts may be NULL (no permits).
 * @return 0; -EINVAL: @p out NULL or initial above max; -EPERM; -ENOMEM.
 */
int tern_sem_create(const struct tern_sem_opts *opts, struct tern_sem **out);

/**
 * Frees @p sem. NULL is ignored (returns 0).
 * @return 0; -EBUSY: tasks wait on it (nothing freed); -EXDEV.
 */
int tern_sem_destroy(struct tern_sem *sem);

/**
 * Takes one permit if one is free.
 * @return 0; -EAGAIN: none free; -EXDEV; -EINVAL.
 */
int tern_sem_try_acquire(struct tern_sem *sem);

/**
 * Takes one permit, waiting in FIFO order when there is none.
 * @return 0 acquired; -ECANCELED / -ETIMEDOUT: @p tok fired first (no
 *   permit taken); -EPERM: it would wait and the caller is not a task;
 *   -EXDEV; -EINVAL: @p sem NULL.
 */
static inline intptr_t tern_sem_acquire(struct tern_sem *sem, tern_token_t tok)
{
	struct tern__sem_hot *h = (struct tern__sem_hot *)sem;

	if (TERN_LIKELY(h && h->sched == tern__tls_sched && h->count)) {
		h->count--;
		return 0;
	}
	return tern__sem_acquire_slow(sem, tok);
}

/**
 * Returns one permit: to the oldest waiter if there is one, else to the
 * count.
 * @return 0; -EOVERFLOW: the count is at max (logged; nothing changes);
 *   -EXDEV; -EINVAL.
 */
static inline int tern_sem_release(struct tern_sem *sem)
{
	struct tern__sem_hot *h = (struct tern__sem_hot *)sem;

	if (TERN_LIKELY(h && h->sched == tern__tls_sched && !h->waiters && h->count < h->max)) {
		h->count++;
		return 0;
	}
	return tern__sem_release_slow(sem);
}

/** Free permits now (0 for NULL). */
uint32_t tern_sem_count(const struct tern_sem *sem);

/* ---- event ---- */

/** Event options. Zeroed fields take their defaults. */
struct tern_event_opts {
	struct tern_sched *sched; /**< owning core; NULL: the calling thread's */
	bool auto_reset;          /**< true: a set releases one waiter and resets */
	bool set;                 /**< initially set */
};

/**
 * Makes an event. A manual-reset event, once set, releases every waiter
 * and every later wait until tern_event_reset(). An auto-reset event
 * releases exactly one wait per set: the oldest waiter, or, if none waits,
 * the next wait (it stays set until then).
 * @return 0; -EINVAL: @p out NULL; -EPERM; -ENOMEM.
 */
int tern_event_create(const struct tern_event_opts *opts, struct tern_event **out);

/**
 * Frees @p e. NULL is ignored (returns 0).
 * @return 0; -EBUSY: tasks wait on it (nothing freed); -EXDEV.
 */
int tern_event_destroy(struct tern_event *e);

/**
 * Waits until @p e is set (returns at once if it is; an auto-reset event
 * is reset by the wait it releases).
 * @return 0; -ECANCELED / -ETIMEDOUT: @p tok fired first; -EPERM: it would
 *   wait and the caller is not a task; -EXDEV; -EINVAL.
 */
intptr_t tern_event_wait(struct tern_event *e, tern_token_t tok);

/**
 * Sets @p e (see tern_event_create() for who is released). Setting a set
 * event does nothing.
 * @return 0; -EXDEV; -EINVAL.
 */
int tern_event_set(struct tern_event *e);

/** Resets @p e. @return 0; -EXDEV; -EINVAL. */
int tern_event_reset(struct tern_event *e);

/** True when @p e is set (false for NULL). */
bool tern_event_is_set(const struct tern_event *e);

TERN_END_DECLS
#endif
