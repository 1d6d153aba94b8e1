/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per timer arm + cancel with LIVE other timers armed
 * (BM_timer_arm_cancel's workload). The clock is virtual, so every run files
 * the same timers at the same wheel levels: the count is exact.
 */
#include <tern/tern.h>

#include "cg.h"

#define LIVE (1u << 20)

static void never(struct tern_timer *t)
{
}

/* Delays from 1 us to ~1 s, spread over the wheel's levels. */
static uint64_t delay_ns(uint64_t i)
{
	return 1000 + ((i * UINT64_C(2654435761)) & ((UINT64_C(1) << 30) - 1));
}

static intptr_t workload(void *arg)
{
	uint64_t n = *(uint64_t *)arg;
	struct tern_timer *live = calloc(LIVE, sizeof(*live));
	struct tern_timer t;
	intptr_t rc = 0;

	if (live == NULL)
		return -1;
	for (uint32_t i = 0; i < LIVE; i++) {
		tern_timer_init(&live[i], never, NULL);
		rc |= tern_timer_arm(&live[i], delay_ns(i));
	}
	tern_timer_init(&t, never, NULL);
	cg_begin();
	for (uint64_t i = 0; i < n; i++) {
		rc |= tern_timer_arm(&t, delay_ns(i * 7 + 3));
		rc |= tern_timer_cancel(&t);
	}
	cg_end();
	for (uint32_t i = 0; i < LIVE; i++)
		tern_timer_cancel(&live[i]);
	free(live);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t n = cg_iterations(argc, argv);
	struct tern_sched_opts o = { .virtual_clock = true };

	return tern_block_on(&o, workload, &n) == 0 ? 0 : 1;
}
