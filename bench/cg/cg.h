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

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <valgrind/callgrind.h>

#include <tern/eal.h>
#include <tern/port.h>

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

/*
 * The set-up of a workload that needs packets, before its counted window:
 * the EAL on lcore 0 with --no-huge (valgrind cannot map hugetlbfs the way
 * DPDK wants), then a pool for one worker on two ports with @p extra more
 * mbufs. @p prog is the EAL's program name and starts every message.
 * Returns 0, or a negative errno with *eal NULL when the EAL failed and
 * *pool NULL when the pool did; cg_pool_down() undoes it either way.
 */
static inline int cg_pool_up(const char *prog, uint32_t extra, struct tern_eal **eal,
			     struct tern_mbuf_pool **pool)
{
	char *eal_argv[] = { (char *)prog, "-l", "0", "--log-level=warning", "--no-telemetry" };
	struct tern_eal_opts eo = { .force_no_huge = true };
	struct tern_mbuf_pool_conf pc = { .name = "cg", .nb_ports = 2, .nb_workers = 1,
					  .rx_desc = 512, .tx_desc = 512, .extra = extra };
	int rc = tern_eal_create(5, eal_argv, &eo, eal);

	*pool = NULL;
	if (rc < 0) {
		*eal = NULL;
		fprintf(stderr, "%s: EAL failed (%d)\n", prog, rc);
		return rc;
	}
	return tern_mbuf_pool_create(&pc, pool);
}

/*
 * After the workload: says why @p rc (the set-up's or the workload's)
 * failed, destroys the pool, which must have every mbuf back, and the EAL.
 * Returns the program's exit status: 0, or 1 when anything failed.
 */
static inline int cg_pool_down(const char *prog, int rc, struct tern_eal *eal,
			       struct tern_mbuf_pool *pool)
{
	if (eal == NULL)
		return 1;
	if (rc < 0)
		fprintf(stderr, "%s: workload failed (%d)\n", prog, rc);
	if (pool != NULL && tern_mbuf_pool_destroy(pool) < 0) {
		fprintf(stderr, "%s: mbufs still in use at exit\n", prog);
		rc = -EBUSY;
	}
	tern_eal_destroy(eal);
	return rc == 0 ? 0 : 1;
}

#endif
