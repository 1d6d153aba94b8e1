/* SPDX-License-Identifier: BSD-3-Clause */
/* Instructions per yield of a lone task (BM_yield_roundtrip's workload). */
#include <tern/tern.h>

#include "cg.h"

static intptr_t workload(void *arg)
{
	uint64_t n = *(uint64_t *)arg;

	cg_begin();
	for (uint64_t i = 0; i < n; i++)
		tern_yield();
	cg_end();
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = cg_iterations(argc, argv);
	struct tern_sched_opts o = { .virtual_clock = true };

	return tern_block_on(&o, workload, &n) == 0 ? 0 : 1;
}
