/* SPDX-License-Identifier: BSD-3-Clause */
/* 100k tasks alive at once, each suspended on its own promise. */
#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"

#define N 100000

static tern_promise_t *gates;

static intptr_t wait_gate(void *arg)
{
	intptr_t i = (intptr_t)arg;

	return tern_await(tern_promise_future(gates[i]), TERN_TOKEN_NONE) + i;
}

static intptr_t spawner(void *arg)
{
	tern_task_t *ts = arg;
	struct tern_sched_stats st;
	intptr_t sum = 0;

	for (intptr_t i = 0; i < N; i++) {
		assert_int_equal(tern_promise_create(&gates[i]), 0);
		assert_int_equal(tern_task_spawn(wait_gate, (void *)i, &(struct tern_task_opts){ .stack_size = 16 * 1024 }, &ts[i]), 0);
	}
	tern_sched_stats(tern_sched_current(), &st);
	assert_int_equal(st.tasks_live, N + 1); /* and the spawner */
	for (intptr_t i = 0; i < N; i++)
		assert_int_equal(tern_promise_complete(gates[i], 1), 0);
	for (intptr_t i = 0; i < N; i++) {
		intptr_t r = tern_task_await(ts[i], TERN_TOKEN_NONE);
		assert_int_equal(r, i + 1);
		sum += r;
	}
	return sum == (intptr_t)N * (N + 1) / 2 ? 0 : -EIO;
}

static void hundred_thousand_tasks(void **state)
{
	struct tern_sched *s = mk_sched(false);
	tern_task_t *ts = calloc(N, sizeof(*ts));

	gates = calloc(N, sizeof(*gates));
	assert_non_null(ts);
	assert_non_null(gates);
	assert_int_equal(run_task(s, spawner, ts), 0);
	free(ts);
	free(gates);
	end_sched(s);
}

int main(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long maps = 0;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hundred_thousand_tasks),
	};

	if (f && fscanf(f, "%ld", &maps) == 1 && maps < 2L * N + 10000) {
		printf("SKIP: vm.max_map_count is %ld; %d guarded stacks need about %d: "
		       "run scripts/setup.sh as root\n", maps, N, 2 * N + 10000);
		fclose(f);
		return 77;
	}
	if (f)
		fclose(f);
	return cmocka_run_group_tests_name("sched_stress", tests, NULL, NULL);
}
