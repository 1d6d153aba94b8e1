/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/ benchmarks (issue 5). BM_ring_port_rxtx is the floor every engine
 * benchmark is compared to: TX a burst of 32 on one side of a ring-pair port,
 * RX it on the other. One iteration is one packet; the loop runs in bursts.
 * BM_ring_raw_rxtx, the same bursts through a bare rte_ring, is the baseline
 * measured in the same run: the difference is what the ethdev layer costs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bench.h"
#include "bm_eal.h"
#include "tern/port.h"

#define BURST 32

struct bm_env {
	struct tern_mbuf_pool *pool;
	int err;
	bool ready;
};

static struct bm_env env;

static void bm_env_fini(void)
{
	if (tern_mbuf_pool_destroy(env.pool) == 0)
		env.pool = NULL;
}

/* The shared EAL (bm_eal.h) and one mbuf pool, made once. */
static int bm_env_get(void)
{
	struct tern_mbuf_pool_conf pc = { .name = "bm_drv", .nb_ports = 2,
					   .nb_workers = 1, .rx_desc = 512,
					   .tx_desc = 512 };

	if (env.ready || env.err != 0)
		return env.err;
	env.err = bm_eal_get();
	if (env.err == 0)
		env.err = tern_mbuf_pool_create(&pc, &env.pool);
	if (env.err == 0)
		atexit(bm_env_fini); /* runs before the EAL's own */
	env.ready = env.err == 0;
	return env.err;
}

static int alloc_burst(struct rte_mbuf **pkts)
{
	if (rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(env.pool), pkts, BURST) < 0)
		return -ENOMEM;
	for (int i = 0; i < BURST; i++)
		rte_pktmbuf_append(pkts[i], 64);
	return 0;
}

/* Moves n packets a -> b in bursts; the same mbufs go round. */
static uint64_t port_loop(struct tern_port *a, struct tern_port *b,
			  struct rte_mbuf **pkts, uint64_t n)
{
	uint64_t lost = 0;

	for (uint64_t done = 0; done < n; done += BURST) {
		uint16_t k = n - done < BURST ? (uint16_t)(n - done) : BURST;
		uint16_t sent = tern_port_tx_burst(a, 0, pkts, k);
		uint16_t got = tern_port_rx_burst(b, 0, pkts, sent);

		lost += k - got;
	}
	return lost;
}

static void bm_ring_port_rxtx(struct tern_bench *b)
{
	struct tern_port_conf c = { .name = "bm", .nb_workers = 1,
				    .rx_desc = 512, .tx_desc = 512 };
	struct rte_mbuf *pkts[BURST];
	struct tern_port *pa, *pb;
	uint64_t n, lost;

	if (bm_env_get() < 0 || (c.pool = env.pool) == NULL ||
	    tern_port_pair_create(&c, &pa, &pb) < 0) {
		tern_bench_error(b, "EAL or ring pair failed: see the log (scripts/setup.sh for hugepages)");
		return;
	}
	if (tern_port_start(pa) < 0 || tern_port_start(pb) < 0 || alloc_burst(pkts) < 0) {
		tern_bench_error(b, "ring pair start or mbuf allocation failed");
		goto out;
	}
	n = tern_bench_start(b);
	lost = port_loop(pa, pb, pkts, n);
	tern_bench_stop(b);
	rte_pktmbuf_free_bulk(pkts, BURST);
	tern_bench_counter(b, "burst", BURST);
	if (lost != 0)
		tern_bench_error(b, "packets lost in the ring pair");
out:
	tern_port_destroy(pa);
	tern_port_destroy(pb);
}
TERN_BENCH(bm_ring_port_rxtx, "BM_ring_port_rxtx");

static void bm_ring_raw_rxtx(struct tern_bench *b)
{
	struct rte_mbuf *pkts[BURST];
	struct rte_ring *r;
	uint64_t n;

	if (bm_env_get() < 0 || alloc_burst(pkts) < 0) {
		tern_bench_error(b, "EAL or mbuf allocation failed");
		return;
	}
	r = rte_ring_create("bm_raw", 512, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (r == NULL) {
		rte_pktmbuf_free_bulk(pkts, BURST);
		tern_bench_error(b, "rte_ring_create failed");
		return;
	}
	n = tern_bench_start(b);
	for (uint64_t done = 0; done < n; done += BURST) {
		unsigned int k = n - done < BURST ? (unsigned int)(n - done) : BURST;

		k = rte_ring_enqueue_burst(r, (void **)pkts, k, NULL);
		tern_bench_use(rte_ring_dequeue_burst(r, (void **)pkts, k, NULL));
	}
	tern_bench_stop(b);
	rte_ring_free(r);
	rte_pktmbuf_free_bulk(pkts, BURST);
}
TERN_BENCH(bm_ring_raw_rxtx, "BM_ring_raw_rxtx");
