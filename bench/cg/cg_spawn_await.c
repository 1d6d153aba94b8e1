/* SPDX-License-Identifier: BSD-3-Clause */
/* Instructions per spawn of an empty task and await of its result. */
#include <tern/tern.h>

#include "cg.h"

static intptr_t empty_task(void *arg)
{
	return 0;
}

static intptr_t workload(void *arg)
{
	uint64_t n = *(uint64_t *)arg;
	intptr_t sum = 0;

	cg_begin();
	for (uint64_t i = 0; i < n; i++) {
		tern_task_t t;

		if (tern_task_spawn(empty_task, NULL, NULL, &t) < 0)
			return -1;
		sum += tern_task_await(t, TERN_TOKEN_NONE);
	}
	cg_end();
	return sum;
}

int main(int argc, char **argv)
{
	uint64_t n = cg_iterations(argc, argv);
	struct tern_sched_opts o = { .virtual_clock = true };

	return tern_block_on(&o, workload, &n) == 0 ? 0 : 1;
}
