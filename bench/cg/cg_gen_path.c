/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per packet of tern-gen (sent and its echo received): the
 * generator's own pacing poller (apps/gen/gen_tx.c) and reply task
 * (gen_rx.c, hist.h) on an engine over a ring-pair port. The other side of
 * the pair plays the echo server the cheapest way: it swaps the addresses
 * of every frame and sends it back, as cg_echo_path's driver does, so the
 * two counts compare (each includes the same ring and turn-around cost).
 *
 * The offered rate is 1e9 pps, which no round can keep up with, so every
 * poll sends a full burst of 32: the count is exact. The engine's core runs
 * on a virtual clock (no engine timer fires inside the window); the gen's
 * schedule reads the TSC as tern-gen does. N is in packets, rounded up to
 * whole bursts; the EAL runs with --no-huge (valgrind cannot map hugetlbfs
 * the way DPDK wants).
 *
 * Built twice: tern-cg-gen-path as tern-gen runs by default (UDP checksums
 * made on send, verified on receipt), and tern-cg-gen-path-nocksum with
 * CG_GEN_UDP_CKSUM 0, as `tern-gen --udp-cksum off` runs in the A/B
 * (checksum 0 both ways: RFC 768's "none").
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <tern/eal.h>

#include "../echo_work.h"
#include "cg.h"
#include "gen.h"

#define BURST 32
#ifndef CG_GEN_UDP_CKSUM
#define CG_GEN_UDP_CKSUM 1
#endif
#define GEN_IP 0x0a000002u
#define PEER_IP 0x0a000001u

volatile sig_atomic_t gen_stop_requested; /* tern-gen's signal flag (gen.c) */

struct cg_gen {
	struct gen_app a;
	struct tern_port *peer, *nic;
	tern_task_t rx[GEN_FLOWS_MAX];
	bool rx_made;
};

/* On the core: the stop source and the reply tasks, as gen_main_task. */
static intptr_t cg_gen_start_task(void *arg)
{
	struct cg_gen *g = arg;
	intptr_t rc = tern_cancel_create(&g->a.stop);

	if (rc < 0)
		return rc;
	g->a.stop_made = true;
	rc = gen_rx_spawn(&g->a, g->rx);
	g->rx_made = rc == 0;
	return rc;
}

static intptr_t cg_gen_stop_task(void *arg)
{
	return tern_cancel(((struct cg_gen *)arg)->a.stop);
}

/* tern-gen's defaults for 64-byte frames, one flow, from 10.0.0.2:9000 to
 * the peer's 10.0.0.1:7, allocated and bound by tern-gen's own functions. */
static int cg_gen_app(struct cg_gen *g)
{
	struct gen_app *a = &g->a;
	int rc;

	a->o = (struct gen_opts){ .ip = GEN_IP, .dst_ip = PEER_IP, .dst_port = 7,
				  .src_port = 9000, .flows = 1, .burst = BURST, .size = 64,
				  .rate = 1000000000ull, .loops = 1, .speed = 1.0,
				  .no_udp_cksum = !CG_GEN_UDP_CKSUM };
	rc = gen_alloc(a);
	return rc < 0 ? rc : gen_bind(a);
}

static int cg_gen_up(struct cg_gen *g, struct tern_mbuf_pool *pool)
{
	struct tern_port_conf pc = { .name = "cg_gen", .nb_workers = 1, .pool = pool,
				     .rx_desc = 512, .tx_desc = 512 };
	struct tern_engine_conf ec = { .pool = pool, .ip = GEN_IP, .no_gratuitous_arp = true };
	struct gen_app *a = &g->a;
	uint8_t mac[6];
	int rc;

	a->pool = pool;
	if ((rc = tern_port_pair_create(&pc, &g->peer, &g->nic)) < 0 ||
	    (rc = tern_port_start(g->peer)) < 0 || (rc = tern_port_start(g->nic)) < 0 ||
	    (rc = tern_sched_create(&(struct tern_sched_opts){ .name = "cg_gen",
				    .virtual_clock = true }, &a->core)) < 0)
		return rc;
	ec.port = g->nic;
	ec.sched = a->core;
	if ((rc = tern_engine_create(&ec, &a->eng)) < 0 || (rc = cg_gen_app(g)) < 0)
		return rc;
	tern_port_mac(g->peer, mac);
	if ((rc = tern_arp_add_static(a->eng, PEER_IP, mac)) < 0 ||
	    (rc = tern_sched_add_poller(a->core, &(struct tern_poller){
			.name = "gen_tx", .poll = gen_tx_poll, .arg = a })) < 0 ||
	    (rc = tern_task_spawn(cg_gen_start_task, g, &(struct tern_task_opts){
			.sched = a->core, .name = "start", .flags = TERN_TASK_DETACHED },
			NULL)) < 0)
		return rc;
	tern_sched_run_until_idle(a->core, 100);
	return g->rx_made ? 0 : -EIO;
}

static void cg_gen_down(struct cg_gen *g)
{
	struct gen_app *a = &g->a;

	if (g->rx_made) {
		tern_task_spawn(cg_gen_stop_task, g, &(struct tern_task_opts){
				.sched = a->core, .name = "stop", .flags = TERN_TASK_DETACHED },
				NULL);
		tern_sched_run_until_idle(a->core, 100);
		for (uint16_t i = 0; i < a->o.flows; i++)
			tern_task_await(g->rx[i], TERN_TOKEN_NONE);
	}
	if (a->stop_made)
		tern_cancel_dispose(a->stop);
	gen_tx_free_pending(a);
	gen_tx_free_spare(a);
	tern_engine_destroy(a->eng);
	tern_sched_destroy(a->core);
	tern_port_destroy(g->peer);
	tern_port_destroy(g->nic);
	gen_free(a);
}

/*
 * n packets out of the generator and back, a burst a round: the round's
 * poll receives the echoes of the previous burst and sends the next one.
 * Returns 0, or -EIO when a round sent or echoed less than a burst (the
 * count would not be exact).
 */
static int cg_gen_loop(struct cg_gen *g, uint64_t n)
{
	struct rte_mbuf *pkts[BURST];

	for (uint64_t done = 0; done < n; done += BURST) {
		uint64_t tx = g->a.c.tx;
		uint16_t got, back;

		tern_sched_run_once(g->a.core);
		got = tern_port_rx_burst(g->peer, 0, pkts, BURST);
		for (uint16_t i = 0; i < got; i++)
			echo_work_turn_around(pkts[i]);
		back = tern_port_tx_burst(g->peer, 0, pkts, got);
		if (back < got)
			rte_pktmbuf_free_bulk(pkts + back, got - back);
		if (g->a.c.tx - tx != BURST || got != BURST || back != BURST)
			return -EIO;
	}
	return 0;
}

static int run(struct tern_mbuf_pool *pool, uint64_t n)
{
	struct cg_gen *g = calloc(1, sizeof(*g)); /* gen_app is large: not on the stack */
	int rc = g != NULL ? cg_gen_up(g, pool) : -ENOMEM;

	if (rc == 0) {
		uint64_t t0;

		gen_tx_start(&g->a);
		t0 = rte_rdtsc();
		cg_begin();
		rc = cg_gen_loop(g, n);
		cg_end();
		/* natively, a wall-clock figure too (outside valgrind) */
		fprintf(stderr, "cg_gen_path: %.1f ns per packet\n", (double)(rte_rdtsc() - t0) *
			1e9 / (double)rte_get_tsc_hz() / (double)g->a.c.tx);
		g->a.state = GEN_DRAINING;
		tern_sched_run_until_idle(g->a.core, 100);
	}
	/* the last burst's echoes were on the ring: drained above */
	if (rc == 0 && (g->a.c.rx != g->a.c.tx || g->a.c.bad || g->a.c.dup || g->a.c.late ||
			g->a.tick->count != g->a.c.rx))
		rc = -EIO;
	if (g != NULL) {
		fprintf(stderr, "cg_gen_path: tx %llu rx %llu bad %llu dup %llu late %llu\n",
			(unsigned long long)g->a.c.tx, (unsigned long long)g->a.c.rx,
			(unsigned long long)g->a.c.bad, (unsigned long long)g->a.c.dup,
			(unsigned long long)g->a.c.late);
		cg_gen_down(g);
	}
	free(g);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t n = cg_iterations(argc, argv);
	struct tern_mbuf_pool *pool;
	struct tern_eal *eal;
	int rc = cg_pool_up("tern-cg-gen-path", 512, &eal, &pool);

	if (rc == 0)
		rc = run(pool, n);
	return cg_pool_down("tern-cg-gen-path", rc, eal, pool);
}
