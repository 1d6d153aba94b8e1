/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per yield when two tasks yield to each other
 * (BM_yield_pingpong's workload): every yield is a real switch.
 */
#include <tern/tern.h>

#include "cg.h"

static volatile int stop;

static intptr_t pong(void *arg)
{
	while (!stop)
		tern_yield();
	return 0;
}

static intptr_t workload(void *arg)
{
	uint64_t n = *(uint64_t *)arg;
	tern_task_t peer;

	if (tern_task_spawn(pong, NULL, NULL, &peer) < 0)
		return -1;
	cg_begin();
	for (uint64_t i = 0; i < n; i++)
		tern_yield();
	cg_end();
	stop = 1;
	return tern_task_await(peer, TERN_TOKEN_NONE);
}

int main(int argc, char **argv)
{
	uint64_t n = cg_iterations(argc, argv);
	struct tern_sched_opts o = { .virtual_clock = true };

	return tern_block_on(&o, workload, &n) == 0 ? 0 : 1;
}
