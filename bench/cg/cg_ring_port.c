/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per packet through a ring-pair port: TX a burst of 32 on one
 * side, RX it on the other (BM_ring_port_rxtx's workload, the floor of every
 * engine figure). N is in packets and rounded up to whole bursts. The EAL
 * runs with --no-huge: valgrind cannot map hugetlbfs the way DPDK wants.
 */
#include <errno.h>

#include <rte_mbuf.h>

#include <tern/eal.h>
#include <tern/port.h>

#include "cg.h"

#define BURST 32

static int run(struct tern_mbuf_pool *pool, uint64_t n)
{
	struct tern_port_conf c = { .name = "cg", .nb_workers = 1, .rx_desc = 512,
				    .tx_desc = 512, .pool = pool };
	struct rte_mbuf *pkts[BURST];
	struct tern_port *a, *b;
	uint64_t lost = 0;
	int rc = tern_port_pair_create(&c, &a, &b);

	if (rc < 0)
		return rc;
	if ((rc = tern_port_start(a)) < 0 || (rc = tern_port_start(b)) < 0 ||
	    (rc = rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(pool), pkts, BURST)) < 0)
		goto out;
	for (int i = 0; i < BURST; i++)
		rte_pktmbuf_append(pkts[i], 64);
	cg_begin();
	for (uint64_t done = 0; done < n; done += BURST) {
		uint16_t sent = tern_port_tx_burst(a, 0, pkts, BURST);

		lost += BURST - tern_port_rx_burst(b, 0, pkts, sent);
	}
	cg_end();
	rte_pktmbuf_free_bulk(pkts, BURST);
	rc = lost ? -EIO : 0;
out:
	tern_port_destroy(a);
	tern_port_destroy(b);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t n = cg_iterations(argc, argv);
	char *eal_argv[] = { "tern-cg-ring-port", "-l", "0", "--log-level=warning",
			     "--no-telemetry" };
	struct tern_eal_opts eo = { .force_no_huge = true };
	struct tern_mbuf_pool_conf pc = { .name = "cg", .nb_ports = 2, .nb_workers = 1,
					  .rx_desc = 512, .tx_desc = 512 };
	struct tern_mbuf_pool *pool = NULL;
	struct tern_eal *eal;
	int rc = tern_eal_create(5, eal_argv, &eo, &eal);

	if (rc < 0) {
		fprintf(stderr, "cg_ring_port: EAL failed (%d)\n", rc);
		return 1;
	}
	rc = tern_mbuf_pool_create(&pc, &pool);
	if (rc == 0)
		rc = run(pool, n);
	if (rc < 0)
		fprintf(stderr, "cg_ring_port: workload failed (%d)\n", rc);
	if (pool != NULL)
		tern_mbuf_pool_destroy(pool);
	tern_eal_destroy(eal);
	return rc == 0 ? 0 : 1;
}
