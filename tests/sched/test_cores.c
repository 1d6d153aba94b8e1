/* SPDX-License-Identifier: BSD-3-Clause */
/* Two cores (this machine has two CPUs): submit with results and errors,
 * backpressure, cancellation, shutdown with tasks still waiting. Core 0 is
 * driven by the test's thread (main_is_worker); core 1 by its own thread. */
#include <pthread.h>

#include "helpers.h"

static struct tern_cores *G;

static intptr_t where(void *arg)
{
	return tern_core_index();
}

static intptr_t fails_eio(void *arg)
{
	return -EIO;
}

static intptr_t echo_arg(void *arg)
{
	return (intptr_t)arg;
}

static intptr_t sleeps_on_shutdown(void *arg)
{
	/* parks until tern_cores_stop cancels this core's shutdown token */
	return tern_sleep(TERN_MAX_DELAY_NS, tern_core_shutdown_token());
}

/* Runs on core 0 inside the group. */
static intptr_t root(void *arg)
{
	struct tern_sched *c0 = tern_cores_sched(G, 0), *c1 = tern_cores_sched(G, 1);
	tern_future_t f, fs[1000];
	tern_cancel_t cs;

	/* results and errors come back to this core */
	assert_int_equal(tern_submit(c1, where, NULL, NULL, &f), 0);
	assert_int_equal(tern_await(f, TERN_TOKEN_NONE), 1);
	assert_int_equal(tern_submit(c1, fails_eio, NULL, NULL, &f), 0);
	assert_int_equal(tern_await(f, TERN_TOKEN_NONE), -EIO);
	assert_int_equal(tern_submit(c0, where, NULL, NULL, &f), 0); /* to itself */
	assert_int_equal(tern_await(f, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_core_index(), 0);

	/* many in flight, each result to its own future */
	for (intptr_t i = 0; i < 1000; i++)
		assert_int_equal(tern_submit(c1, echo_arg, (void *)i, &(struct tern_submit_opts){
			.full = TERN_SUBMIT_FULL_WAIT }, &fs[i]), 0);
	for (intptr_t i = 0; i < 1000; i++)
		assert_int_equal(tern_await(fs[i], TERN_TOKEN_NONE), i);

	/* a cancelled await leaves the future valid; dropping it releases the
	 * record when the result arrives */
	assert_int_equal(tern_cancel_create(&cs), 0);
	assert_int_equal(tern_submit(c1, where, NULL, NULL, &f), 0);
	assert_int_equal(tern_cancel(cs), 0);
	assert_int_equal(tern_await(f, tern_cancel_token(cs)), -ECANCELED);
	assert_int_equal(tern_future_drop(f), 0);
	assert_int_equal(tern_cancel_dispose(cs), 0);

	/* bad input */
	assert_int_equal(tern_submit(NULL, where, NULL, NULL, &f), -EINVAL);
	assert_int_equal(tern_submit(c1, NULL, NULL, NULL, &f), -EINVAL);
	assert_int_equal(tern_submit(c1, where, NULL, NULL, NULL), -EINVAL);

	/* detached work parked on core 1 until shutdown cancels it */
	assert_int_equal(tern_submit(c1, sleeps_on_shutdown, NULL, &(struct tern_submit_opts){
		.detached = true, .name = "parked" }, NULL), 0);
	tern_sched_stop(c0);
	return 0;
}

static void submit_across_cores(void **state)
{
	struct tern_cores_opts o = { .n = 2, .main_is_worker = true,
				     .sched = { .misuse = TERN_MISUSE_RETURN,
						.unobserved = TERN_UNOBSERVED_LOG } };
	struct tern_sched_stats st0, st1;
	struct tern_sched *alone = mk_sched(false);
	tern_future_t f;
	tern_task_t t;

	assert_int_equal(tern_cores_create(&o, &G), 0);
	assert_int_equal(tern_cores_count(G), 2);
	assert_null(tern_cores_sched(G, 2));
	/* not a core: nowhere for a result to come back to */
	assert_int_equal(tern_submit(tern_cores_sched(G, 1), where, NULL, NULL, &f), -EPERM);
	/* a core outside any group is not a target */
	assert_int_equal(tern_submit(alone, where, NULL, NULL, &f), -EINVAL);
	assert_int_equal(tern_task_spawn(root, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0), .name = "root" }, &t), 0);
	assert_int_equal(tern_cores_start(G), 0);
	assert_int_equal(tern_cores_start(G), -EALREADY);
	assert_int_equal(tern_cores_enter(G, 0), 0); /* until root stops core 0 */
	/* the parked task ends through its shutdown token: nothing unfinished */
	assert_int_equal(tern_cores_stop(G, 2000000000ull), 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	tern_sched_stats(tern_cores_sched(G, 0), &st0);
	tern_sched_stats(tern_cores_sched(G, 1), &st1);
	assert_int_equal(st0.records_live, 0); /* every submit record came back */
	assert_int_equal(st0.tasks_live + st1.tasks_live, 0);
	tern_cores_destroy(G);
	end_sched(alone);
}

/* ---- backpressure: a tiny inbox on core 1 ---- */

static intptr_t flood(void *arg)
{
	struct tern_sched *c1 = tern_cores_sched(G, 1);
	tern_future_t f[64];
	int ok = 0, again = 0;

	for (int i = 0; i < 64; i++) {
		int rc = tern_submit(c1, where, NULL, NULL, &f[ok]);
		if (rc == 0)
			ok++;
		else if (rc == -EAGAIN)
			again++;
		else
			return rc;
	}
	/* a full inbox refused some, and nothing refused was lost or sent */
	assert_true(again > 0);
	assert_int_equal(ok + again, 64);
	assert_int_equal(ok, 4); /* exactly the inbox's size got through */
	/* now let core 1 run: the accepted ones complete */
	assert_int_equal(tern_cores_start(G), 0);
	for (int i = 0; i < ok; i++)
		assert_int_equal(tern_await(f[i], TERN_TOKEN_NONE), 1);
	tern_sched_stop(tern_sched_current());
	return again;
}

static void full_inbox_backpressure(void **state)
{
	struct tern_cores_opts o = { .n = 2, .main_is_worker = true,
				     .sched = { .inbox_size = 4, .misuse = TERN_MISUSE_RETURN,
						.unobserved = TERN_UNOBSERVED_ABORT } };
	tern_task_t t;

	assert_int_equal(tern_cores_create(&o, &G), 0);
	assert_int_equal(tern_task_spawn(flood, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0) }, &t), 0);
	/* core 1 is not started until flood has filled its inbox */
	assert_int_equal(tern_cores_enter(G, 0), 0);
	assert_true(tern_task_await(t, TERN_TOKEN_NONE) > 0);
	assert_int_equal(tern_cores_stop(G, 0), 0);
	tern_cores_destroy(G);
}

/* ---- shutdown with a task that ignores the shutdown token ---- */

static intptr_t sleeps_deaf(void *arg)
{
	return tern_sleep(TERN_MAX_DELAY_NS, TERN_TOKEN_NONE);
}

static intptr_t park_two(void *arg)
{
	struct tern_sched *c1 = tern_cores_sched(G, 1);

	assert_int_equal(tern_submit(c1, sleeps_on_shutdown, NULL, &(struct tern_submit_opts){
		.detached = true, .name = "polite" }, NULL), 0);
	assert_int_equal(tern_submit(c1, sleeps_deaf, NULL, &(struct tern_submit_opts){
		.detached = true, .name = "deaf" }, NULL), 0);
	tern_sched_stop(tern_sched_current());
	return 0;
}

static void shutdown_reports_unfinished(void **state)
{
	struct tern_cores_opts o = { .n = 2, .main_is_worker = true,
				     .sched = { .misuse = TERN_MISUSE_RETURN,
						.unobserved = TERN_UNOBSERVED_LOG } };
	tern_task_t t;

	assert_int_equal(tern_cores_create(&o, &G), 0);
	assert_int_equal(tern_task_spawn(park_two, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0) }, &t), 0);
	assert_int_equal(tern_cores_start(G), 0);
	assert_int_equal(tern_cores_enter(G, 0), 0);
	/* "polite" ends through its token; "deaf" does not, and is counted
	 * (and named in the log when the group is destroyed) */
	assert_int_equal(tern_cores_stop(G, 200000000ull), 1);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	tern_cores_destroy(G);
}

/* ---- promises completed by another core, or a plain thread ---- */

struct completion {
	tern_promise_t p;
	intptr_t value;
};

static intptr_t complete_it(void *arg)
{
	struct completion *c = arg;

	return tern_promise_complete(c->p, c->value);
}

static void *plain_thread(void *arg)
{
	complete_it(arg);
	return NULL;
}

static intptr_t shared_root(void *arg)
{
	struct tern_sched *c1 = tern_cores_sched(G, 1);
	struct completion a, b1, b2, t, l;
	tern_future_t fa, f1, f2, fl;
	pthread_t th;
	intptr_t r1, r2, got;

	/* core 1 completes a promise a task on core 0 awaits */
	assert_int_equal(tern_promise_create_shared(&a.p), 0);
	a.value = 77;
	assert_int_equal(tern_submit(c1, complete_it, &a, NULL, &fa), 0);
	assert_int_equal(tern_await(tern_promise_future(a.p), TERN_TOKEN_NONE), 77);
	assert_int_equal(tern_await(fa, TERN_TOKEN_NONE), 0);

	/* two completers race: one wins, the other gets -EALREADY */
	assert_int_equal(tern_promise_create_shared(&b1.p), 0);
	b2.p = b1.p;
	b1.value = 1;
	b2.value = 2;
	assert_int_equal(tern_submit(c1, complete_it, &b1, NULL, &f1), 0);
	assert_int_equal(tern_submit(c1, complete_it, &b2, NULL, &f2), 0);
	r1 = tern_await(f1, TERN_TOKEN_NONE);
	r2 = tern_await(f2, TERN_TOKEN_NONE);
	assert_true((r1 == 0 && r2 == -EALREADY) || (r1 == -EALREADY && r2 == 0));
	got = tern_await(tern_promise_future(b1.p), TERN_TOKEN_NONE);
	assert_int_equal(got, r1 == 0 ? 1 : 2);

	/* a plain thread (no core) completes one */
	assert_int_equal(tern_promise_create_shared(&t.p), 0);
	t.value = 5;
	assert_int_equal(pthread_create(&th, NULL, plain_thread, &t), 0);
	assert_int_equal(tern_await(tern_promise_future(t.p), TERN_TOKEN_NONE), 5);
	pthread_detach(th);

	/* a promise that is not shared stays on its core */
	assert_int_equal(tern_promise_create(&l.p), 0);
	l.value = 9;
	assert_int_equal(tern_submit(c1, complete_it, &l, NULL, &fl), 0);
	assert_int_equal(tern_await(fl, TERN_TOKEN_NONE), -EXDEV);
	assert_int_equal(tern_promise_complete(l.p, 9), 0);
	assert_int_equal(tern_await(tern_promise_future(l.p), TERN_TOKEN_NONE), 9);

	tern_sched_stop(tern_sched_current());
	return 0;
}

static void shared_promises(void **state)
{
	struct tern_cores_opts o = { .n = 2, .main_is_worker = true,
				     .sched = { .misuse = TERN_MISUSE_RETURN,
						.unobserved = TERN_UNOBSERVED_ABORT } };
	struct tern_sched_stats st0;
	tern_task_t t;

	assert_int_equal(tern_cores_create(&o, &G), 0);
	assert_int_equal(tern_task_spawn(shared_root, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0) }, &t), 0);
	assert_int_equal(tern_cores_start(G), 0);
	assert_int_equal(tern_cores_enter(G, 0), 0);
	assert_int_equal(tern_cores_stop(G, 1000000000ull), 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	tern_sched_stats(tern_cores_sched(G, 0), &st0);
	assert_int_equal(st0.records_live, 0);
	tern_cores_destroy(G);
}

/* ---- regressions from the multi-core review ---- */

/* A thread that starts after the stop must not run forever (was a hang). */
static void start_then_stop_at_once(void **state)
{
	for (int i = 0; i < 50; i++) {
		struct tern_cores_opts o = { .n = 2, .sched = { .misuse = TERN_MISUSE_RETURN } };

		assert_int_equal(tern_cores_create(&o, &G), 0);
		assert_int_equal(tern_cores_start(G), 0);
		assert_int_equal(tern_cores_stop(G, 0), 0);
		assert_int_equal(tern_cores_enter(G, 0), -ESHUTDOWN); /* no revival */
		tern_cores_destroy(G);
	}
}

/* A detached submit that fails reaches the unobserved-failure policy. */
static int lost_failures;

static void count_unobserved(const char *name, intptr_t err, void *arg)
{
	__atomic_fetch_add(&lost_failures, 1, __ATOMIC_RELAXED);
}

static intptr_t detached_failures(void *arg)
{
	assert_int_equal(tern_submit(tern_cores_sched(G, 1), fails_eio, NULL,
				     &(struct tern_submit_opts){ .detached = true }, NULL), 0);
	assert_int_equal(tern_task_spawn(fails_eio, NULL, &(struct tern_task_opts){
		.flags = TERN_TASK_DETACHED | TERN_TASK_STEALABLE }, NULL), 0);
	tern_sched_stop(tern_sched_current());
	return 0;
}

static void detached_failures_are_reported(void **state)
{
	struct tern_cores_opts o = { .n = 2, .main_is_worker = true,
				     .sched = { .misuse = TERN_MISUSE_RETURN,
						.unobserved = TERN_UNOBSERVED_HOOK,
						.unobserved_hook = count_unobserved } };
	tern_task_t t;

	lost_failures = 0;
	assert_int_equal(tern_cores_create(&o, &G), 0);
	assert_int_equal(tern_task_spawn(detached_failures, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0) }, &t), 0);
	assert_int_equal(tern_cores_start(G), 0);
	assert_int_equal(tern_cores_enter(G, 0), 0);
	assert_int_equal(tern_cores_stop(G, 1000000000ull), 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(lost_failures, 2);
	tern_cores_destroy(G);
}

/* Submitted functions run under the target's budget, not in its poller. */
static intptr_t submit_32(void *arg)
{
	for (int i = 0; i < 32; i++)
		assert_int_equal(tern_submit(tern_cores_sched(G, 1), where, NULL,
					     &(struct tern_submit_opts){ .detached = true }, NULL), 0);
	return 0;
}

static void submits_respect_the_budget(void **state)
{
	struct tern_cores_opts o = { .n = 2, .sched = { .budget_tasks = 4,
		.misuse = TERN_MISUSE_RETURN, .unobserved = TERN_UNOBSERVED_ABORT } };
	struct tern_sched_stats a, b;
	tern_task_t t;

	assert_int_equal(tern_cores_create(&o, &G), 0);
	/* drive both cores by hand, one round at a time */
	assert_int_equal(tern_task_spawn(submit_32, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0) }, &t), 0);
	tern_sched_run_once(tern_cores_sched(G, 0));
	tern_sched_stats(tern_cores_sched(G, 1), &a);
	tern_sched_run_once(tern_cores_sched(G, 1)); /* takes the 32 messages */
	tern_sched_stats(tern_cores_sched(G, 1), &b);
	assert_true(b.tasks_run - a.tasks_run <= 4);  /* one budget, not 32 */
	assert_int_equal(b.tasks_live, 32 - (b.tasks_run - a.tasks_run));
	assert_int_equal(tern_cores_stop(G, 1000000000ull), 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	tern_cores_destroy(G);
}

/* Stop with a full inbox on a core nobody drives (was a deadlock). */
static intptr_t fill_core1(void *arg)
{
	int rc;

	do
		rc = tern_submit(tern_cores_sched(G, 1), where, NULL,
				 &(struct tern_submit_opts){ .detached = true }, NULL);
	while (rc == 0);
	assert_int_equal(rc, -EAGAIN);
	return 0;
}

static void stop_with_full_undriven_inbox(void **state)
{
	struct tern_cores_opts o = { .n = 2, .sched = { .inbox_size = 8,
		.misuse = TERN_MISUSE_RETURN, .unobserved = TERN_UNOBSERVED_ABORT } };
	tern_task_t t;

	assert_int_equal(tern_cores_create(&o, &G), 0);
	assert_int_equal(tern_task_spawn(fill_core1, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0) }, &t), 0);
	tern_sched_run_once(tern_cores_sched(G, 0));
	assert_int_equal(tern_cores_stop(G, 1000000000ull), 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	tern_cores_destroy(G);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(submit_across_cores),
		cmocka_unit_test(full_inbox_backpressure),
		cmocka_unit_test(shutdown_reports_unfinished),
		cmocka_unit_test(shared_promises),
		cmocka_unit_test(start_then_stop_at_once),
		cmocka_unit_test(detached_failures_are_reported),
		cmocka_unit_test(submits_respect_the_budget),
		cmocka_unit_test(stop_with_full_undriven_inbox),
	};

	return cmocka_run_group_tests_name("sched_cores", tests, NULL, NULL);
}
