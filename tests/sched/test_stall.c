/* SPDX-License-Identifier: BSD-3-Clause */
/* The starvation guard: a CPU hog is reported by the stall detector with
 * its name, core and duration; the ready-to-run latency histogram counts
 * what it samples. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "helpers.h"

static struct tern_cores *G;

static struct {
	pthread_mutex_t lock;
	int n;
	char core[32], task[32];
	uint64_t ns;
} seen = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void on_stall(const char *core, const char *task, uint64_t ns, void *arg)
{
	pthread_mutex_lock(&seen.lock);
	if (seen.n++ == 0) {
		strncpy(seen.core, core, sizeof(seen.core) - 1);
		strncpy(seen.task, task, sizeof(seen.task) - 1);
	}
	if (ns > seen.ns)
		seen.ns = ns;
	pthread_mutex_unlock(&seen.lock);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static intptr_t hog(void *arg)
{
	/* Busy for as long as it takes the detector to see it (bounded): a
	 * task that never awaits. The bound is only a safety net. */
	uint64_t end = mono_ns() + 2000000000ull;

	while (mono_ns() < end) {
		pthread_mutex_lock(&seen.lock);
		int n = seen.n;
		pthread_mutex_unlock(&seen.lock);
		if (n >= 2)
			break;
	}
	return 0;
}

static intptr_t root(void *arg)
{
	tern_future_t f;

	assert_int_equal(tern_submit(tern_cores_sched(G, 1), hog, NULL, &(struct tern_submit_opts){
		.name = "hog" }, &f), 0);
	assert_int_equal(tern_await(f, TERN_TOKEN_NONE), 0);
	tern_sched_stop(tern_sched_current());
	return 0;
}

static void hog_is_reported(void **state)
{
	struct tern_cores_opts o = { .n = 2, .main_is_worker = true,
				     .sched = { .misuse = TERN_MISUSE_RETURN,
						.unobserved = TERN_UNOBSERVED_ABORT } };
	struct tern_stall_opts so = { .threshold_ns = 10000000, .period_ns = 2000000,
				      .report = on_stall };
	struct tern_stall_detector *d;
	struct tern_sched_stats st1;
	tern_task_t t;

	assert_int_equal(tern_cores_create(&o, &G), 0);
	assert_int_equal(tern_stall_detector_start(G, &(struct tern_stall_opts){
		.threshold_ns = 1000, .period_ns = 2000 }, &d), -EINVAL);
	assert_int_equal(tern_stall_detector_start(G, &so, &d), 0);
	assert_int_equal(tern_task_spawn(root, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(G, 0) }, &t), 0);
	assert_int_equal(tern_cores_start(G), 0);
	assert_int_equal(tern_cores_enter(G, 0), 0);
	tern_stall_detector_stop(d);
	assert_int_equal(tern_cores_stop(G, 1000000000ull), 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	/* the hog, on core 1, for at least the threshold, reported twice
	 * (threshold, then its doubling) and counted there */
	assert_true(seen.n >= 2);
	assert_string_equal(seen.task, "hog");
	assert_string_equal(seen.core, "core-1");
	assert_true(seen.ns >= 20000000);
	tern_sched_stats(tern_cores_sched(G, 1), &st1);
	assert_int_equal(st1.stalls, (uint64_t)seen.n);
	tern_cores_destroy(G);
}

static tern_promise_t gates[6400];

static intptr_t waits_gate(void *arg)
{
	return tern_await(tern_promise_future(gates[(intptr_t)arg]), TERN_TOKEN_NONE);
}

static intptr_t wakes_all(void *arg)
{
	for (intptr_t i = 0; i < 6400; i++) {
		assert_int_equal(tern_promise_create(&gates[i]), 0);
		assert_int_equal(tern_task_spawn(waits_gate, (void *)i, &(struct tern_task_opts){
			.flags = TERN_TASK_DETACHED }, NULL), 0);
	}
	for (intptr_t i = 0; i < 6400; i++)
		assert_int_equal(tern_promise_complete(gates[i], 0), 0);
	return 0;
}

static void latency_histogram_counts(void **state)
{
	struct tern_sched *s = mk_sched(false);
	struct tern_latency_hist h;
	uint64_t sum = 0;

	assert_int_equal(run_task(s, wakes_all, NULL), 0);
	tern_sched_ready_latency(s, &h);
	/* one wake-up in 64 is timed, and every sample lands in a bucket */
	assert_int_equal(h.samples, 6400 / 64);
	for (unsigned b = 0; b < TERN_LATENCY_BUCKETS; b++)
		sum += h.count[b];
	assert_int_equal(sum, h.samples);
	tern_sched_ready_latency(NULL, &h);
	assert_int_equal(h.samples, 0);
	end_sched(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hog_is_reported),
		cmocka_unit_test(latency_histogram_counts),
	};

	return cmocka_run_group_tests_name("sched_stall", tests, NULL, NULL);
}
