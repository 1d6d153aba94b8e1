/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per echoed packet (issue 6): BM_udp_echo_path's workload on a
 * fixed packet count. A burst of 32 UDP datagrams goes into a ring-pair
 * port, through the engine's RX demux, the wake-up of the task awaiting the
 * socket, its in-place replies and the TX burst, and back out on the other
 * side, where the driver swaps the addresses so each reply is the next
 * request. N is in packets and rounded up to whole bursts. The core runs on
 * a virtual clock, so no timer of the engine fires inside the window and
 * the count is exact; the EAL runs with --no-huge (valgrind cannot map
 * hugetlbfs the way DPDK wants).
 */
#include <stdio.h>

#include <tern/eal.h>

#include "../echo_work.h"
#include "cg.h"

#define BURST ECHO_WORK_BURST

/*
 * n packets through the echo path in bursts of 32. A burst takes two rounds
 * (replies leave in the next round's TX flush); four are allowed so that a
 * change there shows as a higher count, not as a loss. Returns how many of
 * pkts the caller holds at the end: BURST, or fewer when echoes were lost.
 */
static uint16_t echo_loop(struct echo_work *e, struct rte_mbuf **pkts, uint64_t n)
{
	for (uint64_t done = 0; done < n; done += BURST) {
		uint16_t sent = tern_port_tx_burst(e->peer, 0, pkts, BURST), got = 0;

		for (int round = 0; round < 4 && got < sent; round++) {
			tern_sched_run_once(e->core);
			got += tern_port_rx_burst(e->peer, 0, pkts + got, sent - got);
		}
		for (uint16_t i = 0; i < got; i++)
			echo_work_turn_around(pkts[i]);
		if (got < BURST)
			return got;
	}
	return BURST;
}

static int run(struct tern_mbuf_pool *pool, uint64_t n)
{
	struct echo_work e = { .pool = pool };
	struct rte_mbuf *pkts[BURST];
	struct rte_ether_addr mac;
	uint16_t held;
	int rc = echo_work_up(&e, "cg_echo", true);

	if (rc == 0)
		rc = rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(pool), pkts, BURST);
	if (rc < 0) {
		echo_work_down(&e);
		return rc;
	}
	tern_port_mac(e.nic, mac.addr_bytes);
	for (int i = 0; i < BURST; i++)
		echo_work_request(pkts[i], &mac);
	cg_begin();
	held = echo_loop(&e, pkts, n);
	cg_end();
	rte_pktmbuf_free_bulk(pkts, held);
	if (held < BURST)
		fprintf(stderr, "cg_echo_path: %u echoes of a burst lost\n", BURST - held);
	echo_work_down(&e);
	return held < BURST ? -EIO : 0;
}

int main(int argc, char **argv)
{
	uint64_t n = cg_iterations(argc, argv);
	struct tern_mbuf_pool *pool;
	struct tern_eal *eal;
	int rc = cg_pool_up("tern-cg-echo-path", 512, &eal, &pool);

	if (rc == 0)
		rc = run(pool, n);
	return cg_pool_down("tern-cg-echo-path", rc, eal, pool);
}
