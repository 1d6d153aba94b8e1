/* SPDX-License-Identifier: BSD-3-Clause */
/* when_all, when_any and await_timeout: none, some or all complete;
 * cancellation before, during and racing completion; losers stay valid;
 * bad input. Virtual clock only. */
#include "tk_helpers.h"

#define NP 3

static tern_promise_t p[NP];
static tern_future_t f[NP];
static tern_cancel_t gc;

/* Promises and a source, made on the core (from a task of it). */
static intptr_t make_all(void *arg)
{
	for (int i = 0; i < NP; i++) {
		assert_int_equal(tern_promise_create(&p[i]), 0);
		f[i] = tern_promise_future(p[i]);
	}
	return tern_cancel_create(&gc);
}

static struct tern_sched *setup(void)
{
	struct tern_sched *s = mk_sched(true);

	assert_int_equal(run_task(s, make_all, NULL), 0);
	return s;
}

/* ---- when_any ---- */

static size_t any_index;
static intptr_t any_value;

static intptr_t any_task(void *arg)
{
	return tern_when_any(f, NP, &any_index, &any_value, tern_cancel_token(gc));
}

/* None complete at the call: the first to complete wins; the losers stay
 * pending and valid, and complete into nothing of the combinator's. */
static void any_none_complete_first_wins(void **state)
{
	struct tern_sched *s = setup();
	tern_task_t t = spawn(s, any_task, NULL);

	run(s);
	assert_false(tern_future_done(t.f));
	assert_int_equal(tern_future_drop(f[0]), -EBUSY); /* the combinator awaits it */
	assert_int_equal(tern_promise_complete(p[1], 11), 0);
	assert_int_equal(tern_promise_complete(p[2], 22), 0); /* same round: loses */
	run(s);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(any_index, 1);
	assert_int_equal(any_value, 11);
	assert_int_equal(tern_await(f[1], TERN_TOKEN_NONE), -EALREADY); /* consumed */
	assert_int_equal(tern_await(f[2], TERN_TOKEN_NONE), 22);       /* loser: valid */
	assert_int_equal(tern_promise_complete(p[0], 5), 0);
	assert_int_equal(tern_future_drop(f[0]), 0);
	assert_int_equal(tern_cancel_dispose(gc), 0);
	end_sched(s);
}

/* Some complete at the call: returns at once with the lowest complete one. */
static void any_some_complete(void **state)
{
	struct tern_sched *s = setup();

	assert_int_equal(tern_promise_complete(p[2], 7), 0);
	assert_int_equal(run_task(s, any_task, NULL), 0);
	assert_int_equal(any_index, 2);
	assert_int_equal(any_value, 7);
	assert_false(tern_future_done(f[0]));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tern_promise_complete(p[i], i), 0);
		assert_int_equal(tern_await(f[i], TERN_TOKEN_NONE), i);
	}
	assert_int_equal(tern_cancel_dispose(gc), 0);
	end_sched(s);
}

/* All complete: the lowest index wins, the others are untouched. */
static void any_all_complete(void **state)
{
	struct tern_sched *s = setup();

	for (int i = 0; i < NP; i++)
		assert_int_equal(tern_promise_complete(p[i], 100 + i), 0);
	assert_int_equal(run_task(s, any_task, NULL), 0);
	assert_int_equal(any_index, 0);
	assert_int_equal(any_value, 100);
	assert_int_equal(tern_await(f[1], TERN_TOKEN_NONE), 101);
	assert_int_equal(tern_future_drop(f[2]), 0);
	assert_int_equal(tern_cancel_dispose(gc), 0);
	end_sched(s);
}

/* Cancelled during the wait: nothing consumed, every future free again. */
static void any_cancelled_during(void **state)
{
	struct tern_sched *s = setup();
	tern_task_t t = spawn(s, any_task, NULL);

	run(s);
	assert_int_equal(tern_cancel(gc), 0);
	run(s);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), -ECANCELED);
	for (int i = 0; i < NP; i++) {
		assert_false(tern_future_done(f[i]));
		assert_int_equal(tern_future_drop(f[i]), 0); /* no consumer left */
		assert_int_equal(tern_promise_complete(p[i], i), 0);
	}
	assert_int_equal(tern_cancel_dispose(gc), 0);
	end_sched(s);
}

/* Cancelled before the wait: -ECANCELED at once, nothing linked. */
static void any_cancelled_before(void **state)
{
	struct tern_sched *s = setup();

	assert_int_equal(tern_cancel(gc), 0);
	assert_int_equal(run_task(s, any_task, NULL), -ECANCELED);
	for (int i = 0; i < NP; i++) {
		assert_int_equal(tern_promise_complete(p[i], i), 0);
		assert_int_equal(tern_await(f[i], TERN_TOKEN_NONE), i);
	}
	assert_int_equal(tern_cancel_dispose(gc), 0);
	end_sched(s);
}

/* Tasks are futures too: the shortest sleep wins. */
static intptr_t sleeper(void *arg)
{
	intptr_t ms = (intptr_t)arg;

	assert_int_equal(tern_sleep((uint64_t)ms * MS, TERN_TOKEN_NONE), 0);
	return ms;
}

static intptr_t any_of_tasks(void *arg)
{
	tern_task_t t[3];
	tern_future_t tf[3];
	size_t idx;
	intptr_t v;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(tern_task_spawn(sleeper, (void *)(intptr_t)(3 - i), NULL, &t[i]), 0);
		tf[i] = tern_task_future(t[i]);
	}
	assert_int_equal(tern_when_any(tf, 3, &idx, &v, TERN_TOKEN_NONE), 0);
	assert_int_equal(idx, 2);
	assert_int_equal(v, 1);
	/* the losers are still ours: wait for both */
	intptr_t rest[2];
	assert_int_equal(tern_when_all(tf, 2, rest, TERN_TOKEN_NONE), 0);
	assert_int_equal(rest[0], 3);
	assert_int_equal(rest[1], 2);
	return 0;
}

static void any_over_tasks(void **state)
{
	struct tern_sched *s = mk_sched(true);
	tern_task_t t = spawn(s, any_of_tasks, NULL);

	for (int ms = 0; ms < 4; ms++) {
		run(s);
		tern_sched_advance(s, MS + 1024);
	}
	run(s);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	end_sched(s);
}

/* ---- when_all ---- */

#define N_ALL 40 /* more than the sub-waits kept on the stack */

static intptr_t maybe_fail(void *arg)
{
	intptr_t i = (intptr_t)arg;

	assert_int_equal(tern_sleep((uint64_t)(i % 5 + 1) * MS, TERN_TOKEN_NONE), 0);
	return i % 7 == 3 ? -EIO : i;
}

static intptr_t all_of_tasks(void *arg)
{
	tern_future_t tf[N_ALL];
	intptr_t res[N_ALL];
	tern_task_t t;

	for (intptr_t i = 0; i < N_ALL; i++) {
		assert_int_equal(tern_task_spawn(maybe_fail, (void *)i, NULL, &t), 0);
		tf[i] = tern_task_future(t);
	}
	assert_int_equal(tern_when_all(tf, N_ALL, res, TERN_TOKEN_NONE), 0);
	for (intptr_t i = 0; i < N_ALL; i++)
		assert_int_equal(res[i], i % 7 == 3 ? -EIO : i); /* a failure stops nothing */
	return 0;
}

static void all_waits_for_every_one(void **state)
{
	struct tern_sched *s = mk_sched(true);
	tern_task_t t = spawn(s, all_of_tasks, NULL);

	for (int ms = 0; ms < 6; ms++) {
		run(s);
		assert_false(tern_future_done(t.f));
		tern_sched_advance(s, MS);
	}
	tern_sched_advance(s, 1024);
	run(s);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	end_sched(s);
}

static intptr_t all_res[NP];

static intptr_t all_task(void *arg)
{
	return tern_when_all(f, NP, all_res, tern_cancel_token(gc));
}

/* All complete already: no wait, no task switch needed. */
static void all_complete_already(void **state)
{
	struct tern_sched *s = setup();

	for (int i = 0; i < NP; i++)
		assert_int_equal(tern_promise_complete(p[i], i + 1), 0);
	assert_int_equal(tern_when_all(f, NP, all_res, TERN_TOKEN_NONE), 0); /* not a task */
	for (int i = 0; i < NP; i++)
		assert_int_equal(all_res[i], i + 1);
	assert_int_equal(tern_cancel_dispose(gc), 0);
	end_sched(s);
}

/* A deadline and the last completion due on the same tick, armed in both
 * orders: all results, or -ETIMEDOUT with nothing consumed; one wake. */
static void complete_last(struct tern_timer *tm)
{
	assert_int_equal(tern_promise_complete(p[2], 3), 0);
}

static intptr_t arm_race(void *arg)
{
	struct tern_timer *tm = arg;
	bool timer_first = tern_timer_arg(tm) != NULL;

	if (timer_first)
		assert_int_equal(tern_timer_arm(tm, MS), 0);
	assert_int_equal(tern_cancel_after(gc, MS), 0);
	if (!timer_first)
		assert_int_equal(tern_timer_arm(tm, MS), 0);
	return 0;
}

static void all_deadline_races_completion(void **state)
{
	for (intptr_t first = 0; first < 2; first++) {
		struct tern_sched *s = setup();
		struct tern_sched_stats a, b;
		struct tern_timer tm;
		tern_task_t t;
		intptr_t r;

		tern_timer_init(&tm, complete_last, (void *)first);
		assert_int_equal(tern_promise_complete(p[0], 1), 0);
		assert_int_equal(tern_promise_complete(p[1], 2), 0);
		t = spawn(s, all_task, NULL);
		assert_int_equal(run_task(s, arm_race, &tm), 0);
		tern_sched_stats(s, &a);
		tern_sched_advance(s, 2 * MS);
		run(s);
		tern_sched_stats(s, &b);
		assert_int_equal(b.tasks_run - a.tasks_run, 1); /* woken exactly once */
		r = tern_task_await(t, TERN_TOKEN_NONE);
		if (r == 0) {
			for (int i = 0; i < NP; i++)
				assert_int_equal(all_res[i], i + 1);
		} else {
			assert_int_equal(r, -ETIMEDOUT);
			for (int i = 0; i < NP; i++) /* nothing consumed */
				assert_int_equal(tern_await(f[i], TERN_TOKEN_NONE), i + 1);
		}
		assert_int_equal(tern_cancel_dispose(gc), 0);
		end_sched(s);
	}
}

/* ---- await_timeout ---- */

static intptr_t timeout_paths(void *arg)
{
	/* times out: the future stays valid */
	assert_int_equal(tern_await_timeout(f[0], MS, TERN_TOKEN_NONE), -ETIMEDOUT);
	assert_false(tern_future_done(f[0]));
	/* completes in time (p[1] is completed by the test at 1 ms) */
	assert_int_equal(tern_await_timeout(f[1], 10 * MS, TERN_TOKEN_NONE), 42);
	/* complete already: at once, even with a zero timeout */
	assert_int_equal(tern_promise_complete(p[0], 9), 0);
	assert_int_equal(tern_await_timeout(f[0], 0, TERN_TOKEN_NONE), 9);
	/* the caller's token still cancels */
	assert_int_equal(tern_cancel(gc), 0);
	assert_int_equal(tern_await_timeout(f[2], MS, tern_cancel_token(gc)), -ECANCELED);
	assert_int_equal(tern_await_timeout(f[2], TERN_MAX_DELAY_NS + 1, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_future_drop(f[2]), 0);
	return 0;
}

static void await_timeout(void **state)
{
	struct tern_sched *s = setup();
	struct tern_sched_stats st;
	tern_task_t t = spawn(s, timeout_paths, NULL);

	run(s);
	tern_sched_advance(s, MS + 1024);
	run(s);
	assert_int_equal(tern_promise_complete(p[1], 42), 0);
	run(s);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_promise_complete(p[2], 0), 0);
	tern_sched_stats(s, &st);
	assert_int_equal(st.timers_live, 0); /* every deadline withdrawn */
	assert_int_equal(tern_cancel_dispose(gc), 0);
	end_sched(s);
}

/* ---- bad input ---- */

static intptr_t bad_calls(void *arg)
{
	tern_future_t twice[2] = { f[0], f[0] };
	tern_future_t stale[1];
	intptr_t res[2], v;
	size_t idx;

	assert_int_equal(tern_when_all(NULL, 1, res, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_when_all(f, 0, res, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_when_all(f, TERN_WHEN_MAX + 1, res, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_when_all(f, NP, NULL, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_when_any(f, NP, NULL, &v, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_when_any(f, NP, &idx, NULL, TERN_TOKEN_NONE), -EINVAL);
	/* the same future twice: refused, and nothing stays linked */
	assert_int_equal(tern_when_all(twice, 2, res, TERN_TOKEN_NONE), -EALREADY);
	assert_int_equal(tern_when_any(twice, 2, &idx, &v, TERN_TOKEN_NONE), -EALREADY);
	assert_int_equal(tern_future_drop(f[0]), 0); /* no consumer was left behind */
	/* a consumed future */
	assert_int_equal(tern_promise_complete(p[1], 1), 0);
	assert_int_equal(tern_await(f[1], TERN_TOKEN_NONE), 1);
	stale[0] = f[1];
	assert_int_equal(tern_when_any(stale, 1, &idx, &v, TERN_TOKEN_NONE), -EALREADY);
	return 0;
}

static void bad_input(void **state)
{
	struct tern_sched *s = setup();
	tern_future_t left[2];
	size_t idx;
	intptr_t v;

	assert_int_equal(run_task(s, bad_calls, NULL), 0);
	/* a dropped future, and, outside a task, a wait: refused, nothing
	 * consumed */
	left[0] = f[0];
	left[1] = f[2];
	assert_int_equal(tern_when_any(left, 2, &idx, &v, TERN_TOKEN_NONE), -EALREADY);
	assert_int_equal(tern_when_any(&left[1], 1, &idx, &v, TERN_TOKEN_NONE), -EPERM);
	assert_int_equal(tern_promise_complete(p[0], 0), 0);
	assert_int_equal(tern_promise_complete(p[2], 2), 0);
	assert_int_equal(tern_await(f[2], TERN_TOKEN_NONE), 2);
	assert_int_equal(tern_cancel_dispose(gc), 0);
	end_sched(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(any_none_complete_first_wins),
		cmocka_unit_test(any_some_complete),
		cmocka_unit_test(any_all_complete),
		cmocka_unit_test(any_cancelled_during),
		cmocka_unit_test(any_cancelled_before),
		cmocka_unit_test(any_over_tasks),
		cmocka_unit_test(all_waits_for_every_one),
		cmocka_unit_test(all_complete_already),
		cmocka_unit_test(all_deadline_races_completion),
		cmocka_unit_test(await_timeout),
		cmocka_unit_test(bad_input),
	};

	return cmocka_run_group_tests_name("sched_combinators", tests, NULL, NULL);
}
