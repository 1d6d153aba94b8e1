/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cores' counters and latency histograms through DPDK telemetry: the
 * test starts the EAL (--no-pci, --no-huge, a prefix of its own), talks to
 * its dpdk_telemetry.v2 socket as dpdk-telemetry.py would, and checks every
 * field against what the same process reads in-process. Skips (77) when
 * the EAL or its socket cannot be made (not root, say).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tern/eal.h>

#include "helpers.h"
#include "../tel_client.h"

#define SKIP 77
#define WAKEUPS 2000 /* one in 64 is timed: ~31 latency samples */

static struct tern_eal *eal;
static struct tel_client tc;

/* Sends @cmd and returns the JSON reply (valid until the next call). */
static const char *ask(const char *cmd)
{
	return tel_ask(&tc, cmd);
}

static uint64_t field(const char *json, const char *key)
{
	return (uint64_t)tel_field(json, key);
}

static int count_ints(const char *json, const char *open, int want)
{
	const char *p = strstr(json, open);
	int n = 0;

	assert_non_null(p);
	p += strlen(open);
	while (*p && *p != ']') {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		n += v == want;
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* ---- load on a core ---- */

static intptr_t nothing(void *arg)
{
	return 0;
}

/* Each await of a deferred child is one wake-up of this task. */
static intptr_t waker(void *arg)
{
	for (int i = 0; i < WAKEUPS; i++) {
		tern_task_t t;

		assert_int_equal(tern_task_spawn(nothing, NULL, &(struct tern_task_opts){
			.flags = TERN_TASK_DEFER }, &t), 0);
		assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	}
	return 0;
}

static struct tern_cores *mk_group(void)
{
	struct tern_cores_opts o = { .n = 2, .main_is_worker = true,
				     .sched = { .misuse = TERN_MISUSE_RETURN,
						.unobserved = TERN_UNOBSERVED_ABORT } };
	struct tern_cores *c;

	assert_int_equal(tern_cores_create(&o, &c), 0);
	return c;
}

/* ---- tests ---- */

static void lists_the_cores(void **state)
{
	struct tern_cores *c = mk_group();
	int id0 = tern_core_telemetry_id(tern_cores_sched(c, 0));
	int id1 = tern_core_telemetry_id(tern_cores_sched(c, 1));
	char cmd[64];

	assert_true(id0 >= 0 && id1 >= 0 && id0 != id1);
	assert_int_equal(count_ints(ask("/tern/cores"), "{\"/tern/cores\":[", id0), 1);
	assert_int_equal(count_ints(tc.reply, "{\"/tern/cores\":[", id1), 1);
	/* unknown ids and junk get null, not a crash */
	assert_string_equal(ask("/tern/sched/stats,255"), "{\"/tern/sched/stats\":null}");
	assert_string_equal(ask("/tern/sched/stats,x1"), "{\"/tern/sched/stats\":null}");
	assert_string_equal(ask("/tern/sched/latency"), "{\"/tern/sched/latency\":null}");
	assert_int_equal(tern_cores_stop(c, 0), 0);
	tern_cores_destroy(c);
	/* a destroyed group's cores are gone from every command */
	assert_int_equal(count_ints(ask("/tern/cores"), "{\"/tern/cores\":[", id0), 0);
	snprintf(cmd, sizeof(cmd), "/tern/sched/stats,%d", id0);
	assert_string_equal(ask(cmd), "{\"/tern/sched/stats\":null}");
}

#define F(f) { #f, offsetof(struct tern_sched_stats, f) }
static const struct {
	const char *name;
	size_t off;
} fields[] = {
	F(rounds), F(polls), F(tasks_spawned), F(tasks_run), F(tasks_done), F(tasks_live),
	F(records_live), F(budget_cut_tasks), F(budget_cut_time), F(unobserved), F(misuse),
	F(stacks_mapped), F(timers_live), F(timers_fired), F(timers_cascaded), F(stalls),
	F(jobs_run), F(jobs_stolen), F(idle_rounds), F(idle_sleeps),
};

/* A quiet core (driven by this thread, between rounds): telemetry gives
 * exactly what tern_sched_stats and tern_sched_ready_latency give. */
static void matches_in_process(void **state)
{
	struct tern_cores *c = mk_group();
	struct tern_sched *s = tern_cores_sched(c, 0);
	struct tern_sched_stats st;
	struct tern_latency_hist h;
	char cmd[64], buckets[32 * TERN_LATENCY_BUCKETS] = "\"buckets\":[";
	tern_task_t t;

	assert_int_equal(tern_task_spawn(waker, NULL, &(struct tern_task_opts){ .sched = s },
					 &t), 0);
	assert_true(tern_sched_run_until_idle(s, 100000) > 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	tern_sched_stats(s, &st);
	tern_sched_ready_latency(s, &h);
	assert_true(st.tasks_done >= WAKEUPS && h.samples > 0);

	snprintf(cmd, sizeof(cmd), "/tern/sched/stats,%d", tern_core_telemetry_id(s));
	ask(cmd);
	assert_non_null(strstr(tc.reply, "\"name\":\"core-0\""));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		assert_int_equal(field(tc.reply, fields[i].name),
				 *(const uint64_t *)((const char *)&st + fields[i].off));

	snprintf(cmd, sizeof(cmd), "/tern/sched/latency,%d", tern_core_telemetry_id(s));
	ask(cmd);
	assert_int_equal(field(tc.reply, "samples"), h.samples);
	assert_int_equal(field(tc.reply, "p50_ns"), tern_latency_quantile(&h, 0.5));
	assert_int_equal(field(tc.reply, "p99_ns"), tern_latency_quantile(&h, 0.99));
	assert_int_equal(field(tc.reply, "max_ns"), tern_latency_quantile(&h, 1.0));
	assert_true(tern_latency_quantile(&h, 0.5) > 0);
	for (unsigned b = 0; b < TERN_LATENCY_BUCKETS; b++)
		snprintf(buckets + strlen(buckets), sizeof(buckets) - strlen(buckets), "%s%llu",
			 b ? "," : "", (unsigned long long)h.count[b]);
	assert_non_null(strstr(tc.reply, buckets));

	assert_int_equal(tern_cores_stop(c, 0), 0);
	tern_cores_destroy(c);
}

static intptr_t spin_until_stopped(void *arg)
{
	while (tern_token_status(tern_core_shutdown_token()) == 0)
		tern_yield();
	return 0;
}

/* Running cores are read from telemetry's thread while they count: the
 * counters move between replies, and the process survives it (ASan too). */
static void reads_running_cores(void **state)
{
	struct tern_cores_opts o = { .n = 2, .sched = { .misuse = TERN_MISUSE_RETURN,
							 .unobserved = TERN_UNOBSERVED_ABORT } };
	struct tern_cores *c;
	char stats[64], lat[64];
	uint64_t first, now, tries = 0;
	struct timespec ms = { 0, 1000000 };

	assert_int_equal(tern_cores_create(&o, &c), 0);
	assert_int_equal(tern_task_spawn(spin_until_stopped, NULL, &(struct tern_task_opts){
		.sched = tern_cores_sched(c, 1), .flags = TERN_TASK_DETACHED }, NULL), 0);
	assert_int_equal(tern_cores_start(c), 0);
	snprintf(stats, sizeof(stats), "/tern/sched/stats,%d",
		 tern_core_telemetry_id(tern_cores_sched(c, 1)));
	snprintf(lat, sizeof(lat), "/tern/sched/latency,%d",
		 tern_core_telemetry_id(tern_cores_sched(c, 1)));
	first = field(ask(stats), "tasks_run");
	do { /* bounded: 5 s, however loaded the machine is */
		nanosleep(&ms, NULL);
		now = field(ask(stats), "tasks_run");
		field(ask(lat), "samples");
	} while (now == first && ++tries < 5000);
	assert_true(now > first);
	assert_int_equal(tern_cores_stop(c, 1000000000ull), 0);
	tern_cores_destroy(c);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lists_the_cores),
		cmocka_unit_test(matches_in_process),
		cmocka_unit_test(reads_running_cores),
	};
	char prefix[64], *eal_argv[] = { argv[0], NULL };
	int rc;

	snprintf(prefix, sizeof(prefix), "tern_t_tel_%d", (int)getpid());
	rc = tern_eal_create(1, eal_argv, &(struct tern_eal_opts){
		.file_prefix = prefix, .force_no_huge = true }, &eal);
	if (rc < 0) {
		printf("SKIP: the EAL did not start (%s); needs root for its runtime dir\n",
		       strerror(-rc));
		return SKIP;
	}
	if (tel_open(&tc) < 0) {
		tern_eal_destroy(eal);
		return SKIP;
	}
	rc = cmocka_run_group_tests_name("sched_telemetry", tests, NULL, NULL);
	tel_close(&tc);
	tern_eal_destroy(eal);
	return rc;
}
