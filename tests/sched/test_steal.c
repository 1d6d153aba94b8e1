/* SPDX-License-Identifier: BSD-3-Clause */
/* Work stealing on two cores: stealable tasks spread to the idle core and
 * their results come home; bound tasks never move; no_steal keeps all home. */
#include <time.h>

#include "helpers.h"

#define JOBS 40

static struct tern_cores *G;
static int seen_on[2];

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU-only work. The first jobs keep their core busy until the other core
 * has shown up with a job of its own (or 300 ms passed), so an idle core
 * has something to steal however the machine schedules the two threads. */
static intptr_t job(void *arg)
{
	int me = tern_core_index();
	uint64_t end = mono_ns() + 300000000ull;

	__atomic_fetch_add(&seen_on[me], 1, __ATOMIC_RELAXED);
	while (mono_ns() < end && (!__atomic_load_n(&seen_on[0], __ATOMIC_RELAXED) ||
				   !__atomic_load_n(&seen_on[1], __ATOMIC_RELAXED)))
		;
	return me;
}

static intptr_t bound(void *arg)
{
	for (int i = 0; i < 5; i++)
		tern_yield();
	return tern_core_index();
}

static intptr_t root(void *arg)
{
	tern_task_t jobs[JOBS], b[10];
	int per_core[2] = { 0, 0 };

	for (int i = 0; i < JOBS; i++)
		assert_int_equal(tern_task_spawn(job, NULL, &(struct tern_task_opts){
			.name = "job", .flags = TERN_TASK_STEALABLE }, &jobs[i]), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(tern_task_spawn(bound, NULL, NULL, &b[i]), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(tern_task_await(b[i], TERN_TOKEN_NONE), 0); /* never moved */
	for (int i = 0; i < JOBS; i++) {
		intptr_t where = tern_task_await(jobs[i], TERN_TOKEN_NONE);
		assert_true(where == 0 || where == 1);
		per_core[where]++;
	}
	tern_sched_stop(tern_sched_current());
	return per_core[1];
}

static int run_group(bool no_steal, struct tern_sched_stats *st1)
{
	struct tern_cores_opts o = { .n = 2, .main_is_worker = true, .no_steal = no_steal,
				     .sched = { .misuse = TERN_MISUSE_RETURN,
						.unobserved = TERN_UNOBSERVED_ABORT } };
	tern_task_t t;
	intptr_t on1;

	seen_on[0] = seen_on[1] = 0;
	assert_int_equal(tern_cores_create(&o, &G), 0);
	assert_int_equal(tern_task_spawn(root, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0) }, &t), 0);
	assert_int_equal(tern_cores_start(G), 0);
	assert_int_equal(tern_cores_enter(G, 0), 0);
	assert_int_equal(tern_cores_stop(G, 1000000000ull), 0);
	on1 = tern_task_await(t, TERN_TOKEN_NONE);
	tern_sched_stats(tern_cores_sched(G, 1), st1);
	tern_cores_destroy(G);
	return (int)on1;
}

static void idle_core_steals(void **state)
{
	struct tern_sched_stats st1;
	int on1 = run_group(false, &st1);

	assert_true(on1 > 0);                 /* core 1 ran some */
	assert_true(on1 < JOBS);              /* and core 0 too */
	assert_int_equal(st1.jobs_stolen, (uint64_t)on1);
	assert_int_equal(st1.jobs_run, (uint64_t)on1);
}

static void no_steal_keeps_work_home(void **state)
{
	struct tern_sched_stats st1;

	assert_int_equal(run_group(true, &st1), 0);
	assert_int_equal(st1.jobs_stolen, 0);
}

/* A core on its own runs its stealable tasks itself. */
static intptr_t seven(void *arg)
{
	tern_yield();
	return 7;
}

static intptr_t alone_root(void *arg)
{
	tern_task_t t;

	assert_int_equal(tern_task_spawn(seven, NULL, &(struct tern_task_opts){
		.flags = TERN_TASK_STEALABLE }, &t), 0);
	return tern_task_await(t, TERN_TOKEN_NONE);
}

static void alone_runs_its_own(void **state)
{
	struct tern_sched *s = mk_sched(false);

	assert_int_equal(run_task(s, alone_root, NULL), 7);
	end_sched(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idle_core_steals),
		cmocka_unit_test(no_steal_keeps_work_home),
		cmocka_unit_test(alone_runs_its_own),
	};

	return cmocka_run_group_tests_name("sched_steal", tests, NULL, NULL);
}
