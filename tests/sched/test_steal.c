/* SPDX-License-Identifier: BSD-3-Clause */
/* Work stealing on two cores: stealable tasks spread to the idle core and
 * their results come home; with stealing the work finishes in fewer rounds
 * (a lockstep run, no wall clock); bound tasks never move; no_steal keeps
 * all home. */
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

/* Checks its core at every resumption, not only at the end: a bound task
 * that moved and came back would still fail. Returns the resumptions seen
 * off core 0 (0 when it never moved). */
static intptr_t bound(void *arg)
{
	intptr_t moved = tern_core_index() != 0;

	for (int i = 0; i < 5; i++) {
		tern_yield();
		moved += tern_core_index() != 0;
	}
	return moved;
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

/* ---- finishing sooner, in rounds ----
 *
 * One thread drives both cores in lockstep: a step is one round of core 0
 * then one round of core 1, as if the two ran side by side at the same
 * speed. A core runs at most one stealable job per round, so the steps from
 * spawning K jobs to having every result home are the makespan in rounds,
 * free of the machine's noise and of how the OS schedules threads. */

#define LS_JOBS 32
#define LS_BOUND 8

struct lockstep {
	unsigned jobs;
	int ran_on[LS_JOBS];
	intptr_t bound_moved;
};

static intptr_t ls_job(void *arg)
{
	return tern_core_index(); /* CPU-only: never awaits */
}

static intptr_t ls_root(void *arg)
{
	struct lockstep *ls = arg;
	tern_task_t jobs[LS_JOBS], b[LS_BOUND];

	for (unsigned i = 0; i < ls->jobs; i++)
		assert_int_equal(tern_task_spawn(ls_job, NULL, &(struct tern_task_opts){
			.name = "ls-job", .flags = TERN_TASK_STEALABLE }, &jobs[i]), 0);
	for (unsigned i = 0; i < LS_BOUND; i++)
		assert_int_equal(tern_task_spawn(bound, NULL, NULL, &b[i]), 0);
	for (unsigned i = 0; i < ls->jobs; i++)
		ls->ran_on[i] = (int)tern_task_await(jobs[i], TERN_TOKEN_NONE);
	for (unsigned i = 0; i < LS_BOUND; i++)
		ls->bound_moved += tern_task_await(b[i], TERN_TOKEN_NONE);
	return 0;
}

/* Runs @ls->jobs jobs spawned on core 0 of a fresh two-core group driven in
 * lockstep; returns the steps until the root had every result. */
static unsigned lockstep_run(bool no_steal, struct lockstep *ls, struct tern_sched_stats st[2])
{
	struct tern_cores_opts o = { .n = 2, .no_steal = no_steal,
				     .sched = { .misuse = TERN_MISUSE_RETURN,
						.unobserved = TERN_UNOBSERVED_ABORT } };
	unsigned steps = 0;
	tern_task_t t;

	assert_int_equal(tern_cores_create(&o, &G), 0);
	assert_int_equal(tern_task_spawn(ls_root, ls, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0), .flags = TERN_TASK_DEFER }, &t), 0);
	while (!tern_future_done(tern_task_future(t)) && steps < 10000) {
		assert_true(tern_sched_run_once(tern_cores_sched(G, 0)) >= 0);
		assert_true(tern_sched_run_once(tern_cores_sched(G, 1)) >= 0);
		steps++;
	}
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_cores_stop(G, 1000000000ull), 0);
	for (unsigned i = 0; i < 2; i++) {
		tern_sched_stats(tern_cores_sched(G, i), &st[i]);
		assert_int_equal(st[i].tasks_live, 0);
		assert_int_equal(st[i].records_live, 0);
	}
	tern_cores_destroy(G);
	return steps;
}

static void stealing_finishes_sooner(void **state)
{
	struct lockstep one = { .jobs = 1 }, off = { .jobs = LS_JOBS }, on = { .jobs = LS_JOBS };
	struct tern_sched_stats st_one[2], st_off[2], st_on[2];
	unsigned on1 = 0;
	/* The fixed cost of one job: spawn, the round it runs in, the
	 * reply's trip home; K jobs on one core add one round each. */
	unsigned lat = lockstep_run(false, &one, st_one);
	unsigned steps_off = lockstep_run(true, &off, st_off);
	unsigned steps_on = lockstep_run(false, &on, st_on);

	print_message("lockstep makespan, %u jobs: %u steps without stealing, %u with; "
		      "one job: %u\n", LS_JOBS, steps_off, steps_on, lat);
	/* Without stealing core 0 runs every job, one per round. */
	assert_int_equal(st_off[0].jobs_run, LS_JOBS);
	assert_int_equal(st_off[1].jobs_run, 0);
	assert_true(steps_off >= LS_JOBS + lat - 1);
	/* With it, each job ran exactly once, core 1 took a share by stealing,
	 * and core 0 ran fewer than all of them. */
	for (unsigned i = 0; i < LS_JOBS; i++) {
		assert_true(on.ran_on[i] == 0 || on.ran_on[i] == 1);
		on1 += on.ran_on[i] == 1;
	}
	assert_int_equal(st_on[0].jobs_run + st_on[1].jobs_run, LS_JOBS);
	assert_int_equal(st_on[1].jobs_run, on1);
	assert_int_equal(st_on[1].jobs_stolen, on1);
	assert_int_equal(st_on[0].jobs_stolen, 0);
	assert_true(on1 > 0 && st_on[0].jobs_run < LS_JOBS);
	/* Finishing sooner: the makespan is that of the busier core's share,
	 * which is at most the larger half plus the one-job latency, and
	 * strictly shorter than running them all on core 0. */
	assert_true(steps_on < steps_off);
	assert_true(steps_on <= (LS_JOBS + 1) / 2 + lat);
	/* Bound tasks stayed on core 0 at every resumption, in both runs. */
	assert_int_equal(on.bound_moved, 0);
	assert_int_equal(off.bound_moved, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idle_core_steals),
		cmocka_unit_test(no_steal_keeps_work_home),
		cmocka_unit_test(stealing_finishes_sooner),
		cmocka_unit_test(alone_runs_its_own),
	};

	return cmocka_run_group_tests_name("sched_steal", tests, NULL, NULL);
}
