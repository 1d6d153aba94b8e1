/* SPDX-License-Identifier: BSD-3-Clause */
/* Cancellation: before, during and after a wait; deadlines; linked tokens;
 * disposed tokens. Every wait is withdrawn before it returns. */
#include <pthread.h>

#include "helpers.h"

static tern_promise_t gp;
static tern_cancel_t gc;

static intptr_t await_gp_with(void *arg)
{
	return tern_await(tern_promise_future(gp), tern_cancel_token(gc));
}

static intptr_t cancel_before(void *arg)
{
	assert_int_equal(tern_promise_create(&gp), 0);
	assert_int_equal(tern_cancel_create(&gc), 0);
	assert_int_equal(tern_cancel(gc), 0);
	assert_int_equal(tern_cancel(gc), -EALREADY);
	assert_int_equal(tern_token_status(tern_cancel_token(gc)), -ECANCELED);
	assert_int_equal(await_gp_with(NULL), -ECANCELED);
	/* the future is untouched: complete it and await it for real */
	assert_int_equal(tern_promise_complete(gp, 4), 0);
	assert_int_equal(tern_await(tern_promise_future(gp), TERN_TOKEN_NONE), 4);
	assert_int_equal(tern_cancel_dispose(gc), 0);
	return 0;
}

static void cancelled_before_wait(void **state)
{
	struct tern_sched *s = mk_sched(true);

	assert_int_equal(run_task(s, cancel_before, NULL), 0);
	end_sched(s);
}

static intptr_t cancel_during(void *arg)
{
	tern_task_t w;

	assert_int_equal(tern_promise_create(&gp), 0);
	assert_int_equal(tern_cancel_create(&gc), 0);
	assert_int_equal(tern_task_spawn(await_gp_with, NULL, NULL, &w), 0);
	assert_false(tern_future_done(w.f));
	assert_int_equal(tern_cancel(gc), 0);
	assert_int_equal(tern_task_await(w, TERN_TOKEN_NONE), -ECANCELED);
	/* withdrawn: completing the promise now reaches no one */
	assert_int_equal(tern_promise_complete(gp, 1), 0);
	assert_int_equal(tern_future_drop(tern_promise_future(gp)), 0);
	assert_int_equal(tern_cancel_dispose(gc), 0);
	return 0;
}

static void cancelled_during_wait(void **state)
{
	struct tern_sched *s = mk_sched(true);

	assert_int_equal(run_task(s, cancel_during, NULL), 0);
	end_sched(s);
}

static intptr_t cancel_after(void *arg)
{
	tern_task_t w;

	assert_int_equal(tern_promise_create(&gp), 0);
	assert_int_equal(tern_cancel_create(&gc), 0);
	assert_int_equal(tern_task_spawn(await_gp_with, NULL, NULL, &w), 0);
	/* complete, then cancel before the waiter has even run again */
	assert_int_equal(tern_promise_complete(gp, 77), 0);
	assert_int_equal(tern_cancel(gc), 0);
	assert_int_equal(tern_task_await(w, TERN_TOKEN_NONE), 77);
	assert_int_equal(tern_cancel_dispose(gc), 0);
	return 0;
}

static void cancelled_after_completion(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_sched_stats a, b;

	tern_sched_stats(s, &a);
	assert_int_equal(run_task(s, cancel_after, NULL), 0);
	tern_sched_stats(s, &b);
	end_sched(s);
}

/* ---- deadlines ---- */

static intptr_t sleep_with_deadline(void *arg)
{
	tern_cancel_t c;
	intptr_t r;

	assert_int_equal(tern_cancel_create(&c), 0);
	assert_int_equal(tern_cancel_after(c, 1000000), 0);
	r = tern_sleep(10000000, tern_cancel_token(c));
	assert_int_equal(tern_token_status(tern_cancel_token(c)), -ETIMEDOUT);
	assert_int_equal(tern_cancel_after(c, 5), -EALREADY);
	assert_int_equal(tern_cancel_dispose(c), 0);
	return r;
}

static void deadline_times_out_sleep(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_sched_stats st;
	tern_task_t t;

	assert_int_equal(tern_task_spawn(sleep_with_deadline, NULL, &(struct tern_task_opts){ .sched = s }, &t), 0);
	tern_sched_run_until_idle(s, 100);
	tern_sched_advance(s, 999000);
	tern_sched_run_until_idle(s, 100);
	assert_false(tern_future_done(t.f));
	tern_sched_advance(s, 2048);
	tern_sched_run_until_idle(s, 100);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), -ETIMEDOUT);
	tern_sched_stats(s, &st);
	assert_int_equal(st.timers_live, 0); /* the sleep's timer was withdrawn */
	end_sched(s);
}

/* A deadline and a completion due on the same tick: exactly one wins, the
 * task wakes once, and nothing is left behind. */
static void complete_gp(struct tern_timer *t)
{
	assert_int_equal(tern_promise_complete(gp, 9), 0);
}

static intptr_t race(void *arg)
{
	struct tern_timer tm;
	intptr_t r;

	assert_int_equal(tern_promise_create(&gp), 0);
	assert_int_equal(tern_cancel_create(&gc), 0);
	tern_timer_init(&tm, complete_gp, NULL);
	if ((intptr_t)arg) { /* both orders of arming */
		assert_int_equal(tern_timer_arm(&tm, 500000), 0);
		assert_int_equal(tern_cancel_after(gc, 500000), 0);
	} else {
		assert_int_equal(tern_cancel_after(gc, 500000), 0);
		assert_int_equal(tern_timer_arm(&tm, 500000), 0);
	}
	r = tern_await(tern_promise_future(gp), tern_cancel_token(gc));
	if (r == -ETIMEDOUT) /* lost the race: the value is still there */
		assert_int_equal(tern_await(tern_promise_future(gp), TERN_TOKEN_NONE), 9);
	else
		assert_int_equal(r, 9);
	assert_int_equal(tern_cancel_dispose(gc), 0);
	return r;
}

static void deadline_races_completion(void **state)
{
	for (intptr_t order = 0; order < 2; order++) {
		struct tern_sched *s = mk_sched(true);
		struct tern_sched_stats a, b;
		tern_task_t t;

		assert_int_equal(tern_task_spawn(race, (void *)order, &(struct tern_task_opts){ .sched = s }, &t), 0);
		tern_sched_run_until_idle(s, 100);
		tern_sched_stats(s, &a);
		tern_sched_advance(s, 600000);
		tern_sched_run_until_idle(s, 100);
		tern_sched_stats(s, &b);
		assert_true(tern_future_done(t.f));
		intptr_t r = tern_task_await(t, TERN_TOKEN_NONE);
		assert_true(r == 9 || r == -ETIMEDOUT);
		assert_int_equal(b.tasks_run - a.tasks_run, 1); /* woken exactly once */
		end_sched(s);
	}
}

/* ---- linked tokens ---- */

static intptr_t linked(void *arg)
{
	tern_cancel_t parent, child, grandchild, late;

	assert_int_equal(tern_cancel_create(&parent), 0);
	assert_int_equal(tern_cancel_create_linked(tern_cancel_token(parent), &child), 0);
	assert_int_equal(tern_cancel_create_linked(tern_cancel_token(child), &grandchild), 0);
	assert_int_equal(tern_token_status(tern_cancel_token(grandchild)), 0);
	assert_int_equal(tern_cancel(parent), 0);
	assert_int_equal(tern_token_status(tern_cancel_token(child)), -ECANCELED);
	assert_int_equal(tern_token_status(tern_cancel_token(grandchild)), -ECANCELED);
	assert_int_equal(tern_sleep(1000, tern_cancel_token(grandchild)), -ECANCELED);
	/* linked to an already cancelled parent: born cancelled */
	assert_int_equal(tern_cancel_create_linked(tern_cancel_token(parent), &late), 0);
	assert_int_equal(tern_token_status(tern_cancel_token(late)), -ECANCELED);
	assert_int_equal(tern_cancel_dispose(late), 0);
	assert_int_equal(tern_cancel_dispose(grandchild), 0);
	assert_int_equal(tern_cancel_dispose(child), 0);
	assert_int_equal(tern_cancel_dispose(parent), 0);
	return 0;
}

static void linked_cancellation(void **state)
{
	struct tern_sched *s = mk_sched(true);

	assert_int_equal(run_task(s, linked, NULL), 0);
	end_sched(s);
}

static intptr_t linked_deadline(void *arg)
{
	tern_cancel_t parent, child;
	intptr_t r;

	assert_int_equal(tern_cancel_create(&parent), 0);
	assert_int_equal(tern_cancel_create_linked(tern_cancel_token(parent), &child), 0);
	assert_int_equal(tern_cancel_after(parent, 1000), 0);
	r = tern_sleep(1000000, tern_cancel_token(child));
	assert_int_equal(tern_cancel_dispose(child), 0);
	assert_int_equal(tern_cancel_dispose(parent), 0);
	return r;
}

static void linked_deadline_propagates(void **state)
{
	struct tern_sched *s = mk_sched(true);
	tern_task_t t;

	assert_int_equal(tern_task_spawn(linked_deadline, NULL, &(struct tern_task_opts){ .sched = s }, &t), 0);
	tern_sched_run_until_idle(s, 100);
	tern_sched_advance(s, 5000);
	tern_sched_run_until_idle(s, 100);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), -ETIMEDOUT);
	end_sched(s);
}

/* Disposing a child unlinks it: the parent's cancel no longer reaches it. */
static intptr_t dispose_unlinks(void *arg)
{
	tern_cancel_t parent, child;
	tern_token_t ct;

	assert_int_equal(tern_cancel_create(&parent), 0);
	assert_int_equal(tern_cancel_create_linked(tern_cancel_token(parent), &child), 0);
	ct = tern_cancel_token(child);
	assert_int_equal(tern_cancel_dispose(child), 0);
	assert_int_equal(tern_cancel(parent), 0);
	/* bad input: a disposed source and its token */
	assert_int_equal(tern_token_status(ct), -ESTALE);
	assert_int_equal(tern_sleep(10, ct), -ESTALE);
	assert_int_equal(tern_cancel(child), -ESTALE);
	assert_int_equal(tern_cancel_dispose(child), -ESTALE);
	assert_int_equal(tern_cancel_create_linked(ct, &child), -ESTALE);
	assert_int_equal(tern_cancel_dispose(parent), 0);
	return 0;
}

static void disposed_tokens(void **state)
{
	struct tern_sched *s = mk_sched(true);

	assert_int_equal(run_task(s, dispose_unlinks, NULL), 0);
	end_sched(s);
}

/* Callbacks run inside tern_cancel, in registration order. */
static char seen[8];
static int n_seen;

static void cb_a(struct tern_cancel_reg *r, int err)
{
	seen[n_seen++] = 'a';
	assert_int_equal(err, -ECANCELED);
}

static void cb_b(struct tern_cancel_reg *r, int err)
{
	seen[n_seen++] = 'b';
}

static intptr_t callbacks(void *arg)
{
	struct tern_cancel_reg ra, rb, rc;
	tern_cancel_t c;

	n_seen = 0;
	assert_int_equal(tern_cancel_create(&c), 0);
	assert_int_equal(tern_token_register(tern_cancel_token(c), &ra, cb_a), 0);
	assert_int_equal(tern_token_register(tern_cancel_token(c), &rb, cb_b), 0);
	assert_int_equal(tern_token_register(tern_cancel_token(c), &rc, cb_b), 0);
	tern_token_unregister(&rc);
	assert_int_equal(tern_cancel(c), 0);
	seen[n_seen] = '\0';
	assert_string_equal(seen, "ab");
	assert_int_equal(tern_token_register(tern_cancel_token(c), &rc, cb_b), -ECANCELED);
	assert_int_equal(tern_token_register(TERN_TOKEN_NONE, &rc, cb_b), 0);
	assert_int_equal(tern_cancel_dispose(c), 0);
	return 0;
}

static void callbacks_in_order(void **state)
{
	struct tern_sched *s = mk_sched(true);

	assert_int_equal(run_task(s, callbacks, NULL), 0);
	end_sched(s);
}

/* A child cancelled by hand keeps its error when its parent fires later. */
static intptr_t child_keeps_first_error(void *arg)
{
	tern_cancel_t parent, child;

	assert_int_equal(tern_cancel_create(&parent), 0);
	assert_int_equal(tern_cancel_create_linked(tern_cancel_token(parent), &child), 0);
	assert_int_equal(tern_cancel(child), 0);
	assert_int_equal(tern_cancel_after(parent, 1000), 0);
	assert_int_equal(tern_sleep(5000, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_token_status(tern_cancel_token(parent)), -ETIMEDOUT);
	assert_int_equal(tern_token_status(tern_cancel_token(child)), -ECANCELED);
	assert_int_equal(tern_cancel_after(parent, TERN_MAX_DELAY_NS + 1), -EALREADY);
	assert_int_equal(tern_cancel_dispose(child), 0);
	assert_int_equal(tern_cancel_dispose(parent), 0);
	return 0;
}

static void first_error_stands(void **state)
{
	struct tern_sched *s = mk_sched(true);
	tern_task_t t;

	assert_int_equal(tern_task_spawn(child_keeps_first_error, NULL, &(struct tern_task_opts){ .sched = s }, &t), 0);
	tern_sched_run_until_idle(s, 100);
	tern_sched_advance(s, 10000);
	tern_sched_run_until_idle(s, 100);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	end_sched(s);
}

/* A parent owned by another core: refused with -EXDEV, no child is made.
 * Thread A drives the parent's core without a break (tern_sched_run) while
 * thread B, driving its own core, tries to link to it. */
static tern_token_t foreign;
static volatile int parent_ready, linked_done;

static intptr_t link_to_foreign(void *arg)
{
	tern_cancel_t c = { 0 };

	assert_int_equal(tern_cancel_create_linked(foreign, &c), -EXDEV);
	assert_null(c.src);
	return 0;
}

static intptr_t owns_parent(void *arg)
{
	tern_cancel_t *p = arg;

	assert_int_equal(tern_cancel_create(p), 0);
	foreign = tern_cancel_token(*p);
	__atomic_store_n(&parent_ready, 1, __ATOMIC_RELEASE);
	return 0;
}

static void *thread_b(void *arg)
{
	struct tern_sched *other = arg;
	tern_task_t t;

	while (!__atomic_load_n(&parent_ready, __ATOMIC_ACQUIRE))
		;
	assert_int_equal(tern_task_spawn(link_to_foreign, NULL, &(struct tern_task_opts){ .sched = other }, &t), 0);
	tern_sched_run_until_idle(other, 100);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	__atomic_store_n(&linked_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int stop_when_linked(void *arg)
{
	if (__atomic_load_n(&linked_done, __ATOMIC_ACQUIRE))
		tern_sched_stop(arg);
	return 0;
}

static intptr_t dispose_parent(void *arg)
{
	return tern_cancel_dispose(*(tern_cancel_t *)arg);
}

static void foreign_parent_refused(void **state)
{
	struct tern_sched *s = mk_sched(false), *other = mk_sched(false);
	tern_cancel_t parent;
	pthread_t th;
	tern_task_t t;

	parent_ready = linked_done = 0;
	assert_int_equal(tern_task_spawn(owns_parent, &parent, &(struct tern_task_opts){ .sched = s }, &t), 0);
	assert_true(tern_sched_add_poller(s, &(struct tern_poller){ "stop", stop_when_linked, s }) >= 0);
	assert_int_equal(pthread_create(&th, NULL, thread_b, other), 0);
	assert_int_equal(tern_sched_run(s), 0); /* returns once B has tried */
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(run_task(s, dispose_parent, &parent), 0);
	end_sched(other);
	end_sched(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cancelled_before_wait),
		cmocka_unit_test(cancelled_during_wait),
		cmocka_unit_test(cancelled_after_completion),
		cmocka_unit_test(deadline_times_out_sleep),
		cmocka_unit_test(deadline_races_completion),
		cmocka_unit_test(linked_cancellation),
		cmocka_unit_test(linked_deadline_propagates),
		cmocka_unit_test(disposed_tokens),
		cmocka_unit_test(callbacks_in_order),
		cmocka_unit_test(first_error_stands),
		cmocka_unit_test(foreign_parent_refused),
	};

	return cmocka_run_group_tests_name("sched_cancel", tests, NULL, NULL);
}
