/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Async mutex, semaphore and event over FIFO wait queues (waitq.h).
 *
 * Hand-off rule: a release with waiters gives the lock or permit straight to
 * the oldest waiter (waking it with 0) instead of making it free, so a
 * later caller cannot barge in ahead of the queue. Hence "waiters queued"
 * implies "nothing free", and the fast paths only look at the count.
 */
#include <stdlib.h>

#include <tern/sync.h>

#include "waitq.h"

struct tern_mutex {
	struct tern_sched *sched;
	struct tern_task *owner;   /* NULL with locked set: a poller holds it */
	bool locked;
	struct tern__waitq q;
};

/* Starts with the layout of struct tern__sem_hot (sync.h), which the
 * inline fast paths read: q.head is its waiters word. */
struct tern_sem {
	struct tern_sched *sched;
	uint32_t count;
	uint32_t max;
	struct tern__waitq q;
};

_Static_assert(offsetof(struct tern_sem, count) == offsetof(struct tern__sem_hot, count) &&
	       offsetof(struct tern_sem, max) == offsetof(struct tern__sem_hot, max) &&
	       offsetof(struct tern_sem, q.head) == offsetof(struct tern__sem_hot, waiters),
	       "sync.h's inline fast paths see the semaphore's head");

struct tern_event {
	struct tern_sched *sched;
	bool set;
	bool auto_reset;
	struct tern__waitq q;
};

_Static_assert(offsetof(struct tern_mutex, sched) == 0 && offsetof(struct tern_sem, sched) == 0 &&
	       offsetof(struct tern_event, sched) == 0, "make() stores the core first");

/* 0 when the calling thread may use an object of @s; the common case is
 * one compare against the thread's core. */
static inline int owner_ok(const struct tern_sched *s, const char *what)
{
	if (TERN_LIKELY(tern__tls_sched == s))
		return 0;
	return tern__check_owner(s, what);
}

static int null_arg(const char *what)
{
	tern_log(TERN_LOG_ERR, "%s: NULL object", what);
	return -EINVAL;
}

/* 0 when @obj (any of the three: each starts with its core) is not NULL
 * and the calling thread may use it. */
static int usable(const void *obj, const char *what)
{
	if (TERN_UNLIKELY(!obj))
		return null_arg(what);
	return owner_ok(*(struct tern_sched *const *)obj, what);
}

/* Queues the calling task on @q until a release hands it what it waits
 * for (0), or @tok fires. */
static intptr_t queue_wait(struct tern_sched *s, struct tern__waitq *q, tern_token_t tok,
			   const char *what)
{
	struct tern__waiter wt;
	int rc = tern__waitq_can_wait(s, what);

	if (rc < 0)
		return rc;
	return tern__waitq_wait(s, q, &wt, tok);
}

/* Allocates a zeroed object of @size for the core named by @opt_sched. */
static int make(struct tern_sched *opt_sched, size_t size, const char *what, void **out)
{
	struct tern_sched *s;
	struct tern_sched **obj;

	if (!out)
		return null_arg(what);
	s = tern__sync_home(opt_sched, what);
	if (!s)
		return -EPERM;
	obj = calloc(1, size);
	if (!obj)
		return -ENOMEM;
	*obj = s; /* every object starts with its core */
	*out = obj;
	return 0;
}

/* Frees @obj of core @s unless it is refused: another core's caller,
 * waiters, a held lock. NULL is ignored. */
static int destroy(void *obj, struct tern_sched *s, const struct tern__waitq *q, bool busy,
		   const char *what)
{
	int rc = owner_ok(s, what);

	if (rc < 0)
		return rc;
	if (!tern__waitq_empty(q) || busy) {
		tern_log(TERN_LOG_ERR, "%s: %s", what, busy ? "still locked" : "tasks still wait on it");
		return -EBUSY;
	}
	free(obj);
	return 0;
}

/* ---- mutex ---- */

int tern_mutex_create(const struct tern_mutex_opts *opts, struct tern_mutex **out)
{
	return make(opts ? opts->sched : NULL, sizeof(**out), "tern_mutex_create", (void **)out);
}

int tern_mutex_destroy(struct tern_mutex *m)
{
	return m ? destroy(m, m->sched, &m->q, m->locked, "tern_mutex_destroy") : 0;
}

int tern_mutex_trylock(struct tern_mutex *m)
{
	int rc = usable(m, "tern_mutex_trylock");
	if (rc < 0)
		return rc;
	if (m->locked)
		return -EBUSY;
	m->locked = true;
	m->owner = m->sched->current;
	return 0;
}

intptr_t tern_mutex_lock(struct tern_mutex *m, tern_token_t tok)
{
	int rc = tern_mutex_trylock(m);

	if (rc != -EBUSY)
		return rc;
	if (m->owner && m->owner == m->sched->current)
		return tern__misuse(m->sched, -EDEADLK, "tern_mutex_lock: task %s holds it already",
				    m->owner->name);
	/* On success unlock made us the owner before waking us. */
	return queue_wait(m->sched, &m->q, tok, "tern_mutex_lock");
}

int tern_mutex_unlock(struct tern_mutex *m)
{
	struct tern__waiter *next;
	int rc = usable(m, "tern_mutex_unlock");
	if (rc < 0)
		return rc;
	if (!m->locked || m->owner != m->sched->current)
		return tern__misuse(m->sched, -EPERM, "tern_mutex_unlock: the caller does not hold it");
	next = tern__waitq_pop(&m->q);
	if (!next) {
		m->locked = false;
		m->owner = NULL;
		return 0;
	}
	m->owner = next->w.task;
	tern__wait_wake(&next->w, 0);
	return 0;
}

/* ---- semaphore ---- */

int tern_sem_create(const struct tern_sem_opts *opts, struct tern_sem **out)
{
	struct tern_sem_opts o = opts ? *opts : (struct tern_sem_opts){ 0 };
	int rc;

	if (!o.max)
		o.max = UINT32_MAX;
	if (o.initial > o.max) {
		tern_log(TERN_LOG_ERR, "tern_sem_create: initial %u above max %u", o.initial, o.max);
		return -EINVAL;
	}
	rc = make(o.sched, sizeof(**out), "tern_sem_create", (void **)out);
	if (rc == 0) {
		(*out)->count = o.initial;
		(*out)->max = o.max;
	}
	return rc;
}

int tern_sem_destroy(struct tern_sem *sem)
{
	return sem ? destroy(sem, sem->sched, &sem->q, false, "tern_sem_destroy") : 0;
}

/* try_acquire, and every check of the acquire's slow path; static so it
 * inlines (exported functions do not inline into each other under -fPIC). */
static inline int sem_take(struct tern_sem *sem, const char *what)
{
	int rc = usable(sem, what);

	if (TERN_UNLIKELY(rc < 0))
		return rc;
	if (!sem->count)
		return -EAGAIN;
	sem->count--;
	return 0;
}

int tern_sem_try_acquire(struct tern_sem *sem)
{
	return sem_take(sem, "tern_sem_try_acquire");
}

/* The inline tern_sem_acquire() found no free permit on its own core:
 * every check again, then the wait. */
intptr_t tern__sem_acquire_slow(struct tern_sem *sem, tern_token_t tok)
{
	int rc = sem_take(sem, "tern_sem_acquire");

	if (rc != -EAGAIN)
		return rc;
	/* On success release handed us its permit: the count never held it. */
	return queue_wait(sem->sched, &sem->q, tok, "tern_sem_acquire");
}

int tern__sem_release_slow(struct tern_sem *sem)
{
	int rc = usable(sem, "tern_sem_release");
	if (rc < 0)
		return rc;
	if (tern__waitq_wake_one(&sem->q, 0))
		return 0;
	if (sem->count == sem->max)
		return tern__misuse(sem->sched, -EOVERFLOW,
				    "tern_sem_release: count already at max %u", sem->max);
	sem->count++;
	return 0;
}

uint32_t tern_sem_count(const struct tern_sem *sem)
{
	return sem ? sem->count : 0;
}

/* ---- event ---- */

int tern_event_create(const struct tern_event_opts *opts, struct tern_event **out)
{
	struct tern_event_opts o = opts ? *opts : (struct tern_event_opts){ 0 };
	int rc = make(o.sched, sizeof(**out), "tern_event_create", (void **)out);

	if (rc == 0) {
		(*out)->set = o.set;
		(*out)->auto_reset = o.auto_reset;
	}
	return rc;
}

int tern_event_destroy(struct tern_event *e)
{
	return e ? destroy(e, e->sched, &e->q, false, "tern_event_destroy") : 0;
}

intptr_t tern_event_wait(struct tern_event *e, tern_token_t tok)
{
	int rc = usable(e, "tern_event_wait");
	if (rc < 0)
		return rc;
	if (e->set) {
		e->set = !e->auto_reset;
		return 0;
	}
	return queue_wait(e->sched, &e->q, tok, "tern_event_wait");
}

int tern_event_set(struct tern_event *e)
{
	int rc = usable(e, "tern_event_set");
	if (rc < 0)
		return rc;
	if (!e->auto_reset) {
		e->set = true;
		tern__waitq_wake_all(&e->q, 0);
	} else if (!tern__waitq_wake_one(&e->q, 0)) {
		/* Nobody waits: the next wait takes this set. */
		e->set = true;
	}
	return 0;
}

int tern_event_reset(struct tern_event *e)
{
	int rc = usable(e, "tern_event_reset");
	if (rc == 0)
		e->set = false;
	return rc;
}

bool tern_event_is_set(const struct tern_event *e)
{
	return e && e->set;
}
