/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixed workloads for exact instruction counts under callgrind (the CI perf
 * job, scripts/perf.sh). Each program runs one workload N times between
 * cg_begin() and cg_end(); callgrind runs with --collect-atstart=no, so only
 * the instructions between the two are counted. The job runs N and 2N and
 * reports (Ir(2N) - Ir(N)) / N: whatever the window's own set-up costs
 * (first stack mapped, first burst, ...) cancels.
 *
 * Outside valgrind the macros are no-ops and the programs run natively, so
 * a workload can be checked without callgrind.
 */
#ifndef TERN_BENCH_CG_H
#define TERN_BENCH_CG_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <valgrind/callgrind.h>

/* Collection is a toggle: both calls must pair up. */
#define cg_begin() CALLGRIND_TOGGLE_COLLECT
#define cg_end() CALLGRIND_TOGGLE_COLLECT

/* The iteration count from argv[1] (default 1000), or exits with usage. */
static inline uint64_t cg_iterations(int argc, char **argv)
{
	char *end;
	unsigned long long n = argc > 1 ? strtoull(argv[1], &end, 10) : 1000;

	if (argc > 2 || (argc > 1 && (*end != '\0' || n == 0))) {
		fprintf(stderr, "usage: %s [N > 0]\n", argv[0]);
		exit(2);
	}
	return n;
}

#endif
