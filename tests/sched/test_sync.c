/* SPDX-License-Identifier: BSD-3-Clause */
/* Async mutex, semaphore and event: FIFO service, every cancellation path,
 * hand-off that a cancel cannot lose, bad input. Virtual clock only. */
#include <pthread.h>
#include <stdlib.h>

#include "tk_helpers.h"

/* Served order, shared by the waiter tasks of a test. */
static int order[2048];
static int n_order;

/* A waiter: waits on the object with its own token, records when served. */
struct waiter {
	void *obj;
	int id;
	tern_cancel_t c;
	intptr_t (*wait)(void *obj, tern_token_t tok);
};

static intptr_t waiter_task(void *arg)
{
	struct waiter *w = arg;
	intptr_t r = w->wait(w->obj, tern_cancel_token(w->c));

	if (r == 0)
		order[n_order++] = w->id;
	return r;
}

static intptr_t sem_wait(void *o, tern_token_t tok)
{
	return tern_sem_acquire(o, tok);
}

static intptr_t event_wait(void *o, tern_token_t tok)
{
	return tern_event_wait(o, tok);
}

static intptr_t mutex_wait_unlock(void *o, tern_token_t tok)
{
	intptr_t r = tern_mutex_lock(o, tok);

	if (r == 0)
		assert_int_equal(tern_mutex_unlock(o), 0);
	return r;
}

struct sources {
	struct waiter *w;
	int n;
};

/* Sources are made on a core: from a task of it. */
static intptr_t make_sources(void *arg)
{
	struct sources *ss = arg;

	for (int i = 0; i < ss->n; i++)
		assert_int_equal(tern_cancel_create(&ss->w[i].c), 0);
	return 0;
}

static struct waiter *new_waiters(struct tern_sched *s, void *obj, int n,
				  intptr_t (*wait)(void *, tern_token_t))
{
	struct waiter *w = calloc((size_t)n, sizeof(*w));

	n_order = 0;
	for (int i = 0; i < n; i++)
		w[i] = (struct waiter){ .obj = obj, .id = i, .wait = wait };
	assert_int_equal(run_task(s, make_sources, &(struct sources){ w, n }), 0);
	return w;
}

/* Spawns n waiters (ids 0..n-1) on obj, each with its own source, and runs
 * them until they all wait. */
static struct waiter *spawn_waiters(struct tern_sched *s, void *obj, int n,
				    intptr_t (*wait)(void *, tern_token_t), tern_task_t *t)
{
	struct waiter *w = new_waiters(s, obj, n, wait);

	for (int i = 0; i < n; i++)
		t[i] = spawn(s, waiter_task, &w[i]);
	run(s);
	return w;
}

static void end_waiters(struct waiter *w, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(tern_cancel_dispose(w[i].c), 0);
	free(w);
}

/* ---- semaphore ---- */

static struct tern_sem *mk_sem(struct tern_sched *s, uint32_t initial, uint32_t max)
{
	struct tern_sem *sem;

	assert_int_equal(tern_sem_create(&(struct tern_sem_opts){ .sched = s, .initial = initial,
								   .max = max }, &sem), 0);
	return sem;
}

/* A thousand waiters on one semaphore: each served exactly once, in order. */
#define N_MANY 1000

static void sem_thousand_waiters_fifo(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_sem *sem = mk_sem(s, 0, 0);
	static tern_task_t t[N_MANY];
	struct waiter *w;

	w = spawn_waiters(s, sem, N_MANY, sem_wait, t);
	assert_int_equal(n_order, 0);
	for (int i = 0; i < N_MANY; i++) {
		assert_int_equal(tern_sem_release(sem), 0);
		run(s);
		assert_int_equal(n_order, i + 1); /* one release, one waiter */
	}
	for (int i = 0; i < N_MANY; i++) {
		assert_int_equal(order[i], i);
		assert_int_equal(tern_task_await(t[i], TERN_TOKEN_NONE), 0);
	}
	assert_int_equal(tern_sem_count(sem), 0);
	assert_int_equal(tern_sem_destroy(sem), 0);
	end_waiters(w, N_MANY);
	end_sched(s);
}

/* The cancelled waiter in the middle leaves; its permit goes to the next. */
static void sem_cancelled_waiter_in_middle(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_sem *sem = mk_sem(s, 0, 0);
	tern_task_t t[10];
	struct waiter *w = spawn_waiters(s, sem, 10, sem_wait, t);

	assert_int_equal(tern_cancel(w[5].c), 0);
	run(s);
	assert_int_equal(tern_task_await(t[5], TERN_TOKEN_NONE), -ECANCELED);
	assert_int_equal(n_order, 0); /* nobody woken in its place */
	for (int i = 0; i < 10; i++)
		assert_int_equal(tern_sem_release(sem), 0);
	run(s);
	assert_int_equal(n_order, 9);
	for (int i = 0, k = 0; i < 10; i++) {
		if (i == 5)
			continue;
		assert_int_equal(order[k++], i);
		assert_int_equal(tern_task_await(t[i], TERN_TOKEN_NONE), 0);
	}
	assert_int_equal(tern_sem_count(sem), 1); /* nine served, one left */
	assert_int_equal(tern_sem_destroy(sem), 0);
	end_waiters(w, 10);
	end_sched(s);
}

/* Cancel before the wait: no permit taken, none lost. */
static void sem_cancel_before(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_sem *sem = mk_sem(s, 0, 0);
	tern_task_t t[1];
	struct waiter *w = new_waiters(s, sem, 1, sem_wait);

	assert_int_equal(tern_cancel(w->c), 0);
	t[0] = spawn(s, waiter_task, w);
	run(s);
	assert_int_equal(tern_task_await(t[0], TERN_TOKEN_NONE), -ECANCELED);
	assert_int_equal(tern_sem_release(sem), 0);
	assert_int_equal(tern_sem_count(sem), 1);
	assert_int_equal(tern_sem_destroy(sem), 0);
	end_waiters(w, 1);
	end_sched(s);
}

/* Cancel after the release handed the permit over, before the waiter ran:
 * the wait succeeded, the permit is the waiter's. */
static void sem_cancel_after_handoff(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_sem *sem = mk_sem(s, 0, 0);
	tern_task_t t[1];
	struct waiter *w = spawn_waiters(s, sem, 1, sem_wait, t);

	assert_int_equal(tern_sem_release(sem), 0);
	assert_int_equal(tern_cancel(w[0].c), 0);
	run(s);
	assert_int_equal(tern_task_await(t[0], TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_sem_count(sem), 0);
	assert_int_equal(tern_sem_destroy(sem), 0);
	end_waiters(w, 1);
	end_sched(s);
}

/* A deadline and a release due on the same tick, armed in both orders:
 * either A is served or A times out and B gets the permit; never lost. */
static struct tern_sem *race_sem;

static void release_cb(struct tern_timer *tm)
{
	assert_int_equal(tern_sem_release(race_sem), 0);
}

struct arm_args {
	struct tern_timer *tm;
	tern_cancel_t c;
	int timer_first;
};

/* Timers belong to the calling core: arm from a task of it. */
static intptr_t arm_both(void *p)
{
	struct arm_args *a = p;

	if (a->timer_first)
		assert_int_equal(tern_timer_arm(a->tm, MS), 0);
	assert_int_equal(tern_cancel_after(a->c, MS), 0);
	if (!a->timer_first)
		assert_int_equal(tern_timer_arm(a->tm, MS), 0);
	return 0;
}

static void sem_release_races_deadline(void **state)
{
	for (int first = 0; first < 2; first++) {
		struct tern_sched *s = mk_sched(true);
		struct tern_timer tm;
		tern_task_t t[2];
		struct waiter *w;
		intptr_t ra;

		race_sem = mk_sem(s, 0, 0);
		w = spawn_waiters(s, race_sem, 2, sem_wait, t);
		tern_timer_init(&tm, release_cb, NULL);
		assert_int_equal(run_task(s, arm_both, &(struct arm_args){ &tm, w[0].c, first }), 0);
		tern_sched_advance(s, 2 * MS);
		run(s);
		ra = tern_task_await(t[0], TERN_TOKEN_NONE);
		assert_true(ra == 0 || ra == -ETIMEDOUT);
		if (ra == -ETIMEDOUT) {
			/* the permit went to the next waiter */
			assert_int_equal(tern_task_await(t[1], TERN_TOKEN_NONE), 0);
		} else {
			assert_false(tern_future_done(t[1].f));
			assert_int_equal(tern_cancel(w[1].c), 0);
			run(s);
			assert_int_equal(tern_task_await(t[1], TERN_TOKEN_NONE), -ECANCELED);
		}
		assert_int_equal(n_order, 1); /* exactly one served */
		assert_int_equal(tern_sem_count(race_sem), 0);
		assert_int_equal(tern_sem_destroy(race_sem), 0);
		end_waiters(w, 2);
		end_sched(s);
	}
}

/* Uncontended: try_acquire and acquire take from the count without waiting,
 * even outside a task; release past max is refused. */
static void sem_counts_and_bounds(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_sem *sem = mk_sem(s, 2, 3);

	assert_int_equal(tern_sem_acquire(sem, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_sem_try_acquire(sem), 0);
	assert_int_equal(tern_sem_try_acquire(sem), -EAGAIN);
	/* would wait, and the test thread is not a task */
	assert_int_equal(tern_sem_acquire(sem, TERN_TOKEN_NONE), -EPERM);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tern_sem_release(sem), 0);
	assert_int_equal(tern_sem_release(sem), -EOVERFLOW);
	assert_int_equal(tern_sem_count(sem), 3);
	assert_int_equal(tern_sem_destroy(sem), 0);
	end_sched(s);
}

/* ---- mutex ---- */

static struct tern_mutex *gm;

static intptr_t mutex_holder(void *arg)
{
	assert_int_equal(tern_mutex_lock(gm, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_mutex_lock(gm, TERN_TOKEN_NONE), -EDEADLK); /* not recursive */
	assert_int_equal(tern_mutex_trylock(gm), -EBUSY);
	assert_int_equal(tern_sleep(MS, TERN_TOKEN_NONE), 0); /* waiters queue meanwhile */
	assert_int_equal(tern_mutex_unlock(gm), 0);
	return 0;
}

/* Waiters get the lock one at a time in FIFO order; one cancelled in the
 * middle is skipped; unlock by a non-holder is refused. */
static void mutex_fifo_and_cancel(void **state)
{
	struct tern_sched *s = mk_sched(true);
	tern_task_t h, t[5];
	struct waiter *w;

	assert_int_equal(tern_mutex_create(&(struct tern_mutex_opts){ .sched = s }, &gm), 0);
	h = spawn(s, mutex_holder, NULL);
	w = spawn_waiters(s, gm, 5, mutex_wait_unlock, t);
	assert_int_equal(tern_mutex_unlock(gm), -EPERM); /* the test thread holds nothing */
	assert_int_equal(tern_mutex_destroy(gm), -EBUSY);
	assert_int_equal(tern_cancel(w[2].c), 0);
	run(s);
	assert_int_equal(n_order, 0);
	tern_sched_advance(s, 2 * MS);
	run(s);
	assert_int_equal(tern_task_await(h, TERN_TOKEN_NONE), 0);
	assert_int_equal(n_order, 4);
	int want[] = { 0, 1, 3, 4 };
	for (int i = 0; i < 4; i++)
		assert_int_equal(order[i], want[i]);
	assert_int_equal(tern_task_await(t[2], TERN_TOKEN_NONE), -ECANCELED);
	for (int i = 0; i < 5; i++)
		if (i != 2)
			assert_int_equal(tern_task_await(t[i], TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_mutex_trylock(gm), 0); /* free again */
	assert_int_equal(tern_mutex_unlock(gm), 0);
	assert_int_equal(tern_mutex_destroy(gm), 0);
	end_waiters(w, 5);
	end_sched(s);
}

/* Cancel before the wait: -ECANCELED, and the waiter never queues. */
static intptr_t lock_cancelled_before(void *arg)
{
	tern_cancel_t c;
	intptr_t r;

	assert_int_equal(tern_cancel_create(&c), 0);
	assert_int_equal(tern_cancel(c), 0);
	r = tern_mutex_lock(gm, tern_cancel_token(c));
	assert_int_equal(tern_cancel_dispose(c), 0);
	return r;
}

static intptr_t make_source(void *arg)
{
	return tern_cancel_create(arg);
}

/* Cancel after the unlock handed the lock over: the waiter owns it. */
static intptr_t lock_then_check(void *arg)
{
	tern_cancel_t *c = arg;

	assert_int_equal(tern_mutex_lock(gm, tern_cancel_token(*c)), 0);
	assert_int_equal(tern_mutex_unlock(gm), 0);
	return 0;
}

static void mutex_cancel_after_handoff(void **state)
{
	struct tern_sched *s = mk_sched(true);
	tern_cancel_t c;
	tern_task_t t;

	assert_int_equal(tern_mutex_create(&(struct tern_mutex_opts){ .sched = s }, &gm), 0);
	assert_int_equal(tern_mutex_trylock(gm), 0); /* held by the (non-task) test thread */
	assert_int_equal(tern_mutex_lock(gm, TERN_TOKEN_NONE), -EPERM); /* would wait */
	assert_int_equal(run_task(s, lock_cancelled_before, NULL), -ECANCELED);
	assert_int_equal(run_task(s, make_source, &c), 0);
	t = spawn(s, lock_then_check, &c);
	run(s);
	assert_false(tern_future_done(t.f));
	assert_int_equal(tern_mutex_unlock(gm), 0);
	assert_int_equal(tern_cancel(c), 0);
	run(s);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_cancel_dispose(c), 0);
	assert_int_equal(tern_mutex_destroy(gm), 0);
	end_sched(s);
}

/* ---- event ---- */

static struct tern_event *mk_event(struct tern_sched *s, bool auto_reset)
{
	struct tern_event *e;

	assert_int_equal(tern_event_create(&(struct tern_event_opts){ .sched = s,
					   .auto_reset = auto_reset }, &e), 0);
	return e;
}

/* Manual reset: one set releases every waiter and later waits, until reset. */
static void event_manual_reset(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_event *e = mk_event(s, false);
	tern_task_t t[4];
	struct waiter *w = spawn_waiters(s, e, 3, event_wait, t);

	assert_int_equal(tern_cancel(w[1].c), 0); /* during the wait */
	run(s);
	assert_int_equal(tern_event_set(e), 0);
	run(s);
	assert_int_equal(n_order, 2);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 2);
	assert_int_equal(tern_task_await(t[1], TERN_TOKEN_NONE), -ECANCELED);
	assert_true(tern_event_is_set(e));
	assert_int_equal(tern_event_wait(e, TERN_TOKEN_NONE), 0); /* set: at once */
	assert_int_equal(tern_event_reset(e), 0);
	assert_false(tern_event_is_set(e));
	assert_int_equal(tern_event_wait(e, TERN_TOKEN_NONE), -EPERM); /* would wait */
	for (int i = 0; i < 3; i++)
		if (i != 1)
			assert_int_equal(tern_task_await(t[i], TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_event_destroy(e), 0);
	end_waiters(w, 3);
	end_sched(s);
}

/* Auto reset: each set releases exactly one wait, oldest first; a set with
 * no waiter is kept for the next wait only. */
static void event_auto_reset(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_event *e = mk_event(s, true);
	tern_task_t t[3];
	struct waiter *w = spawn_waiters(s, e, 3, event_wait, t);

	assert_int_equal(tern_event_destroy(e), -EBUSY);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(tern_event_set(e), 0);
		run(s);
		assert_int_equal(n_order, i + 1);
		assert_int_equal(order[i], i);
		assert_false(tern_event_is_set(e));
	}
	assert_int_equal(tern_event_set(e), 0);
	assert_int_equal(tern_event_set(e), 0); /* setting a set event: no count */
	assert_int_equal(tern_event_wait(e, TERN_TOKEN_NONE), 0);
	assert_false(tern_event_is_set(e));
	for (int i = 0; i < 3; i++)
		assert_int_equal(tern_task_await(t[i], TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_event_destroy(e), 0);
	end_waiters(w, 3);
	end_sched(s);
}

/* ---- bad input and other threads ---- */

struct xdev {
	struct tern_sem *sem;
	struct tern_event *e;
	int rc_sem, rc_event;
};

static void *other_thread(void *p)
{
	struct xdev *x = p;

	x->rc_sem = tern_sem_release(x->sem);
	x->rc_event = tern_event_set(x->e);
	return NULL;
}

/* Called while s runs on the test thread: another thread gets -EXDEV. */
static intptr_t from_other_thread(void *arg)
{
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, other_thread, arg), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	return 0;
}

static void bad_input(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_sem *sem;
	struct tern_event *e = mk_event(s, false);
	struct tern_mutex *m;
	struct xdev x;

	assert_int_equal(tern_sem_create(&(struct tern_sem_opts){ .sched = s, .initial = 5,
								   .max = 4 }, &sem), -EINVAL);
	assert_int_equal(tern_sem_create(NULL, NULL), -EINVAL);
	assert_int_equal(tern_sem_create(NULL, &sem), -EPERM); /* no core here */
	assert_int_equal(tern_mutex_create(NULL, &m), -EPERM);
	assert_int_equal(tern_sem_acquire(NULL, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_sem_try_acquire(NULL), -EINVAL);
	assert_int_equal(tern_sem_release(NULL), -EINVAL);
	assert_int_equal(tern_mutex_lock(NULL, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_mutex_unlock(NULL), -EINVAL);
	assert_int_equal(tern_event_wait(NULL, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_event_set(NULL), -EINVAL);
	assert_int_equal(tern_sem_destroy(NULL), 0);
	assert_int_equal(tern_mutex_destroy(NULL), 0);
	assert_int_equal(tern_event_destroy(NULL), 0);
	sem = mk_sem(s, 0, 0);
	x = (struct xdev){ .sem = sem, .e = e };
	assert_int_equal(run_task(s, from_other_thread, &x), 0);
	assert_int_equal(x.rc_sem, -EXDEV);
	assert_int_equal(x.rc_event, -EXDEV);
	assert_int_equal(tern_sem_count(sem), 0);
	assert_false(tern_event_is_set(e));
	assert_int_equal(tern_sem_destroy(sem), 0);
	assert_int_equal(tern_event_destroy(e), 0);
	end_sched(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sem_thousand_waiters_fifo),
		cmocka_unit_test(sem_cancelled_waiter_in_middle),
		cmocka_unit_test(sem_cancel_before),
		cmocka_unit_test(sem_cancel_after_handoff),
		cmocka_unit_test(sem_release_races_deadline),
		cmocka_unit_test(sem_counts_and_bounds),
		cmocka_unit_test(mutex_fifo_and_cancel),
		cmocka_unit_test(mutex_cancel_after_handoff),
		cmocka_unit_test(event_manual_reset),
		cmocka_unit_test(event_auto_reset),
		cmocka_unit_test(bad_input),
	};

	return cmocka_run_group_tests_name("sched_sync", tests, NULL, NULL);
}
