/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/ benchmark (issue 6). BM_udp_echo_path: a burst of 32 UDP
 * datagrams goes into a ring-pair port, through the engine's RX demux, the
 * wake-up of the echo task awaiting the socket, its in-place replies and
 * the TX burst, and back out on the other side. One iteration is one
 * packet. Compare with BM_ring_port_rxtx in the same run: that is one ring
 * traversal per packet, this is two (request and reply) plus the stack.
 * The driving side turns each reply back into a request by swapping its
 * addresses (a few stores per packet, included in the time).
 * BM_udp_sendto_burst: tern_udp_sendto_burst() of 32 datagrams of 18 bytes
 * (64-byte frames) from the engine's socket to a static neighbour, out
 * through the ring pair; the driving side takes the frames and hands them
 * back as the next burst's payloads (headers cut off: a few stores per
 * packet, included). One iteration is one packet sent: one ring
 * traversal, as BM_ring_port_rxtx, plus the send path.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bm_eal.h"
#include "echo_work.h"

#define BURST ECHO_WORK_BURST

static struct tern_mbuf_pool *bm_pool;

static void bm_pool_fini(void)
{
	if (tern_mbuf_pool_destroy(bm_pool) == 0)
		bm_pool = NULL;
}

static int bm_pool_get(void)
{
	struct tern_mbuf_pool_conf pc = { .name = "bm_eng", .nb_ports = 2, .nb_workers = 1,
					   .rx_desc = 512, .tx_desc = 512, .extra = 512 };
	int rc;

	if (bm_pool != NULL)
		return 0;
	rc = bm_eal_get();
	if (rc == 0)
		rc = tern_mbuf_pool_create(&pc, &bm_pool);
	if (rc == 0)
		atexit(bm_pool_fini); /* before the EAL's own handler */
	return rc;
}

/* n packets through the echo path in bursts; returns how many got lost. */
static uint64_t echo_loop(struct echo_work *e, struct rte_mbuf **pkts, uint64_t n)
{
	uint64_t lost = 0;

	for (uint64_t done = 0; done < n; done += BURST) {
		uint16_t k = n - done < BURST ? (uint16_t)(n - done) : BURST;
		uint16_t sent = tern_port_tx_burst(e->peer, 0, pkts, k), got = 0;

		for (int round = 0; round < 4 && got < sent; round++) {
			tern_sched_run_once(e->core);
			got += tern_port_rx_burst(e->peer, 0, pkts + got, sent - got);
		}
		for (uint16_t i = 0; i < got; i++)
			echo_work_turn_around(pkts[i]);
		lost += k - got;
		if (got < k) /* keep the burst whole for the next round */
			if (rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(bm_pool), pkts + got,
						   k - got) < 0)
				return lost + n;
	}
	return lost;
}

static void bm_udp_echo_path(struct tern_bench *b)
{
	struct echo_work e = { 0 };
	struct rte_mbuf *pkts[BURST];
	struct rte_ether_addr mac;
	uint64_t n, lost;

	if (bm_pool_get() == 0)
		e.pool = bm_pool;
	if (e.pool == NULL || echo_work_up(&e, "bm_eng", false) < 0 ||
	    rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(bm_pool), pkts, BURST) < 0) {
		tern_bench_error(b, "EAL, ring pair or engine failed: see the log");
		echo_work_down(&e);
		return;
	}
	tern_port_mac(e.nic, mac.addr_bytes);
	for (int i = 0; i < BURST; i++)
		echo_work_request(pkts[i], &mac);
	n = tern_bench_start(b);
	lost = echo_loop(&e, pkts, n);
	tern_bench_stop(b);
	rte_pktmbuf_free_bulk(pkts, BURST);
	tern_bench_counter(b, "burst", BURST);
	if (lost != 0)
		tern_bench_error(b, "echoes lost on the way");
	echo_work_down(&e);
}
TERN_BENCH(bm_udp_echo_path, "BM_udp_echo_path");

#define SEND_PAYLOAD 18
#define SEND_PORT 9

/* n datagrams sent in bursts (n rounded up to whole ones); returns how
 * many did not come out on the other side. */
static uint64_t send_loop(struct echo_work *e, struct rte_mbuf **pkts, uint64_t n)
{
	uint64_t lost = 0;

	for (uint64_t done = 0; done < n; done += BURST) {
		intptr_t k = tern_udp_sendto_burst(e->sock, pkts, BURST, ECHO_WORK_PEER_IP,
						   SEND_PORT, TERN_TOKEN_NONE);
		uint16_t sent = k < 0 ? 0 : (uint16_t)k, got = 0;

		/* a full burst leaves at its last eng_tx: no poll needed */
		for (int round = 0; round < 4 && got < sent; round++) {
			got += tern_port_rx_burst(e->peer, 0, pkts + got, sent - got);
			if (got < sent)
				tern_sched_run_once(e->core);
		}
		for (uint16_t i = 0; i < got; i++)
			rte_pktmbuf_adj(pkts[i], 14 + 20 + 8);
		lost += BURST - got;
		if (got < sent) { /* sent but not seen: should not happen */
			if (rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(bm_pool), pkts + got,
						   sent - got) < 0)
				return lost + n;
			for (uint16_t i = got; i < sent; i++)
				rte_pktmbuf_append(pkts[i], SEND_PAYLOAD);
		}
	}
	return lost;
}

static void bm_udp_sendto_burst(struct tern_bench *b)
{
	struct echo_work e = { 0 };
	struct rte_mbuf *pkts[BURST];
	uint8_t mac[6];
	uint64_t n, lost;

	if (bm_pool_get() == 0)
		e.pool = bm_pool;
	if (e.pool == NULL || echo_work_up(&e, "bm_send", false) < 0 ||
	    rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(bm_pool), pkts, BURST) < 0) {
		tern_bench_error(b, "EAL, ring pair or engine failed: see the log");
		echo_work_down(&e);
		return;
	}
	tern_port_mac(e.peer, mac);
	for (int i = 0; i < BURST; i++)
		memset(rte_pktmbuf_append(pkts[i], SEND_PAYLOAD), i, SEND_PAYLOAD);
	if (tern_arp_add_static(e.eng, ECHO_WORK_PEER_IP, mac) < 0) {
		tern_bench_error(b, "static ARP entry refused");
		rte_pktmbuf_free_bulk(pkts, BURST);
		echo_work_down(&e);
		return;
	}
	n = tern_bench_start(b);
	lost = send_loop(&e, pkts, n);
	tern_bench_stop(b);
	rte_pktmbuf_free_bulk(pkts, BURST);
	tern_bench_counter(b, "burst", BURST);
	if (lost != 0)
		tern_bench_error(b, "datagrams lost on the way");
	echo_work_down(&e);
}
TERN_BENCH(bm_udp_sendto_burst, "BM_udp_sendto_burst");
