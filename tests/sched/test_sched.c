/* SPDX-License-Identifier: BSD-3-Clause */
/* One core's loop: budgets, pollers, the clock, block_on. */
#include "helpers.h"

static intptr_t noop(void *arg)
{
	return 0;
}

/* ---- budgets: a flood of ready tasks never starves a poller ---- */

struct watch {
	struct tern_sched *s;
	uint64_t last_run, max_between, polls;
};

static int watcher(void *arg)
{
	struct watch *w = arg;
	struct tern_sched_stats st;

	tern_sched_stats(w->s, &st);
	if (w->polls && st.tasks_run - w->last_run > w->max_between)
		w->max_between = st.tasks_run - w->last_run;
	w->last_run = st.tasks_run;
	w->polls++;
	return 0;
}

static void flood_does_not_starve_pollers(void **state)
{
	/* Virtual clock: only the task budget can cut a round, however busy
	 * the machine is (the time budget has its own test below). */
	struct tern_sched *s = mk_sched_opts((struct tern_sched_opts){ .budget_tasks = 64,
								     .virtual_clock = true });
	struct watch w = { .s = s };
	struct tern_sched_stats st;

	assert_true(tern_sched_add_poller(s, &(struct tern_poller){ "watch", watcher, &w }) >= 0);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(tern_task_spawn(noop, NULL, &(struct tern_task_opts){ .sched = s, .flags = TERN_TASK_DETACHED }, NULL), 0);
	tern_sched_run_until_idle(s, 0);
	tern_sched_stats(s, &st);
	assert_int_equal(st.tasks_done, 10000);
	assert_true(w.max_between <= 64);      /* never more than one budget */
	assert_true(w.polls >= 10000 / 64);
	assert_true(st.budget_cut_tasks >= 10000 / 64 - 1);
	end_sched(s);
}

static intptr_t burns_2us(void *arg)
{
	tern_sched_advance(tern_sched_current(), 2000); /* "work" on the virtual clock */
	return 0;
}

static void time_budget_cuts_round(void **state)
{
	struct tern_sched *s = mk_sched_opts((struct tern_sched_opts){ .virtual_clock = true, .budget_us = 10 });
	struct watch w = { .s = s };
	struct tern_sched_stats st;

	assert_true(tern_sched_add_poller(s, &(struct tern_poller){ "watch", watcher, &w }) >= 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(tern_task_spawn(burns_2us, NULL, &(struct tern_task_opts){ .sched = s, .flags = TERN_TASK_DETACHED }, NULL), 0);
	tern_sched_run_until_idle(s, 0);
	tern_sched_stats(s, &st);
	/* 10 us at 2 us a task: the check every 8 tasks cuts each round at 8. */
	assert_int_equal(w.max_between, 8);
	assert_true(st.budget_cut_time >= 100 / 8 - 1);
	end_sched(s);
}

/* ---- pollers ---- */

static int counting(void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void pollers_add_remove(void **state)
{
	struct tern_sched *s = mk_sched(false);
	int calls = 0, id, i, ids[TERN_MAX_POLLERS];

	id = tern_sched_add_poller(s, &(struct tern_poller){ "c", counting, &calls });
	assert_true(id >= 0);
	tern_sched_run_once(s);
	tern_sched_run_once(s);
	assert_int_equal(calls, 2);
	assert_int_equal(tern_sched_remove_poller(s, id), 0);
	assert_int_equal(tern_sched_remove_poller(s, id), -ENOENT);
	tern_sched_run_once(s);
	assert_int_equal(calls, 2);
	assert_int_equal(tern_sched_add_poller(s, &(struct tern_poller){ "x", NULL, NULL }), -EINVAL);
	/* two slots are the core's own: the timer wheel and the inbox */
	assert_int_equal(tern_sched_remove_poller(s, 0), -EPERM);
	assert_int_equal(tern_sched_remove_poller(s, 1), -EPERM);
	for (i = 0; i < TERN_MAX_POLLERS - 2; i++)
		assert_true((ids[i] = tern_sched_add_poller(s, &(struct tern_poller){ "c", counting, &calls })) >= 0);
	assert_int_equal(tern_sched_add_poller(s, &(struct tern_poller){ "c", counting, &calls }), -ENOSPC);
	(void)ids;
	end_sched(s);
}

/* ---- clock ---- */

static void virtual_clock(void **state)
{
	struct tern_sched *v = mk_sched(true), *r = mk_sched(false);

	assert_int_equal(tern_sched_now(v), 0);
	assert_int_equal(tern_sched_advance(v, 1500), 0);
	assert_int_equal(tern_sched_now(v), 1500);
	assert_int_equal(tern_sched_advance(v, TERN_MAX_DELAY_NS + 1), -EINVAL);
	assert_int_equal(tern_sched_advance(r, 1), -ENOTSUP);
	uint64_t a = tern_sched_now(r), b = tern_sched_now(r);
	assert_true(b >= a);
	end_sched(v);
	end_sched(r);
}

/* ---- run, stop, nesting ---- */

static intptr_t stopper(void *arg)
{
	tern_sched_stop(tern_sched_current());
	return 0;
}

static intptr_t nested_run(void *arg)
{
	struct tern_sched *other = arg;

	/* this thread already drives a core */
	assert_int_equal(tern_sched_run(other), -EBUSY);
	assert_int_equal(tern_sched_run_once(other), -EBUSY);
	return 0;
}

static void run_and_stop(void **state)
{
	struct tern_sched *s = mk_sched(false), *o = mk_sched(false);
	tern_task_t a, b;

	assert_int_equal(tern_task_spawn(nested_run, o, &(struct tern_task_opts){ .sched = s }, &a), 0);
	assert_int_equal(tern_task_spawn(stopper, NULL, &(struct tern_task_opts){ .sched = s }, &b), 0);
	assert_int_equal(tern_sched_run(s), 0); /* returns: stopper stopped it */
	assert_int_equal(tern_task_await(a, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_task_await(b, TERN_TOKEN_NONE), 0);
	end_sched(s);
	end_sched(o);
}

/* ---- block_on ---- */

static intptr_t child_value(void *arg)
{
	tern_yield();
	return 21;
}

static intptr_t doubles_child(void *arg)
{
	tern_task_t t;

	assert_int_equal(tern_task_spawn(child_value, NULL, NULL, &t), 0);
	return 2 * tern_task_await(t, TERN_TOKEN_NONE);
}

static intptr_t blocks_on_core(void *arg)
{
	/* a blocking wait on an engine core is refused */
	return tern_block_on(NULL, noop, NULL);
}

static intptr_t waits_forever(void *arg)
{
	tern_promise_t p;

	tern_promise_create(&p);
	return tern_await(tern_promise_future(p), TERN_TOKEN_NONE);
}

static void block_on(void **state)
{
	struct tern_sched_opts o = { .misuse = TERN_MISUSE_RETURN, .unobserved = TERN_UNOBSERVED_ABORT };

	assert_int_equal(tern_block_on(&o, doubles_child, NULL), 42);
	assert_int_equal(tern_block_on(&o, blocks_on_core, NULL), -EDEADLK);
	assert_int_equal(tern_block_on(&o, NULL, NULL), -EINVAL);
	/* nothing can ever complete the promise: reported, not a hang */
	assert_int_equal(tern_block_on(&o, waits_forever, NULL), -EDEADLK);
}

/* ---- idle policies ---- */

static int stop_after(void *arg)
{
	struct tern_sched *s = arg;
	struct tern_sched_stats st;

	tern_sched_stats(s, &st);
	if (st.rounds >= 3000)
		tern_sched_stop(s);
	return 0; /* never has work: every round is idle */
}

static void idle_policies(void **state)
{
	enum tern_idle_policy pol[] = { TERN_IDLE_BUSY, TERN_IDLE_PAUSE, TERN_IDLE_SLEEP };
	struct tern_sched *bad;

	for (unsigned i = 0; i < 3; i++) {
		struct tern_sched *s = mk_sched_opts((struct tern_sched_opts){
			.idle = pol[i], .idle_spin_rounds = 1000, .idle_sleep_us = 10 });
		struct tern_sched_stats st;

		assert_true(tern_sched_add_poller(s, &(struct tern_poller){ "stop", stop_after, s }) >= 0);
		assert_int_equal(tern_sched_run(s), 0);
		tern_sched_stats(s, &st);
		assert_int_equal(st.idle_rounds, st.rounds);
		/* SLEEP naps once per 1000 idle rounds; the others never */
		assert_int_equal(st.idle_sleeps, pol[i] == TERN_IDLE_SLEEP ? st.rounds / 1000 : 0);
		end_sched(s);
	}
	assert_int_equal(tern_sched_create(&(struct tern_sched_opts){ .idle = 7 }, &bad), -EINVAL);
	assert_int_equal(tern_sched_create(&(struct tern_sched_opts){
		.idle = TERN_IDLE_SLEEP, .idle_sleep_us = 2000000 }, &bad), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flood_does_not_starve_pollers),
		cmocka_unit_test(time_budget_cuts_round),
		cmocka_unit_test(pollers_add_remove),
		cmocka_unit_test(virtual_clock),
		cmocka_unit_test(run_and_stop),
		cmocka_unit_test(block_on),
		cmocka_unit_test(idle_policies),
	};

	return cmocka_run_group_tests_name("sched_loop", tests, NULL, NULL);
}
