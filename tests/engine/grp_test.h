/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the engine-group tests (test_multicore.c, test_group.c):
 * a ring pair of GRP_CORES workers per side (one hardware queue: software
 * steering), a tern_cores group of GRP_CORES real-clock cores, not started,
 * and one engine per core in one tern_engine_group. The test thread plays
 * the peer.
 */
#ifndef TERN_TEST_GRP_TEST_H
#define TERN_TEST_GRP_TEST_H

#include <tern/cores.h>

#include "eng_test.h"

#define GRP_CORES 2
#define GRP_MS (UINT64_C(1000000))

struct grp_fix {
	struct eng_fix p;           /* peer side and frame builders (p.eng unused) */
	struct tern_cores *cores;
	struct tern_engine_group *g;
	struct tern_engine *eng[GRP_CORES];
	uint32_t baseline;          /* mbufs in use once the ports started */
	bool stopped;               /* the test stopped the cores itself */
};

/* Makes it all on @p pool, the cores' inboxes @p inbox slots (0: the
 * default); with @p ring_rss the ring pair is an emulated RSS NIC, a queue
 * per worker that the test steers (else one queue and software steering).
 * The gratuitous ARP is queued, not sent: the cores do not run. 0 or -1,
 * what was made is undone by grp_fix_down(). */
static inline int grp_fix_up(struct grp_fix *f, const char *name, struct tern_mbuf_pool *pool,
			     uint32_t inbox, bool ring_rss)
{
	struct tern_port_conf pc = { .name = name, .nb_workers = GRP_CORES, .pool = pool,
				     .rx_desc = 256, .tx_desc = 256, .ring_rss = ring_rss };
	struct tern_cores_opts co = { .n = GRP_CORES, .no_pin = true, .sched = {
		.misuse = TERN_MISUSE_RETURN, .unobserved = TERN_UNOBSERVED_ABORT,
		.idle = TERN_IDLE_SLEEP, .idle_sleep_us = 50, .inbox_size = inbox } };
	struct rte_mempool *mp = f->p.mp;

	memset(f, 0, sizeof(*f));
	f->p.mp = mp;
	if (tern_port_pair_create(&pc, &f->p.peer, &f->p.nic) < 0 ||
	    tern_port_start(f->p.peer) < 0 || tern_port_start(f->p.nic) < 0 ||
	    tern_cores_create(&co, &f->cores) < 0 ||
	    tern_engine_group_create(f->p.nic, &f->g) < 0)
		return -1;
	f->baseline = tern_mbuf_pool_in_use(pool);
	for (uint16_t w = 0; w < GRP_CORES; w++) {
		struct tern_engine_conf ec = { .port = f->p.nic, .worker = w, .pool = pool,
					       .sched = tern_cores_sched(f->cores, w),
					       .ip = ENG_IP, .group = f->g,
					       .arp_timeout_ms = 2000, .arp_retry_ms = 500 };
		int rc = tern_engine_create(&ec, &f->eng[w]);

		if (rc < 0) {
			fprintf(stderr, "engine %u: %d\n", w, rc);
			return -1;
		}
	}
	tern_port_mac(f->p.nic, f->p.eng_mac.addr_bytes);
	return 0;
}

/* Up to n frames from both peer workers (the test thread is the peer's
 * only user, so it may poll both). */
static inline uint16_t grp_peer_rx(struct grp_fix *f, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t got = tern_port_rx_burst(f->p.peer, 0, pkts, n);

	return got + tern_port_rx_burst(f->p.peer, 1, pkts + got, n - got);
}

/* Frees every frame that reached the peer (bounded). */
static inline void grp_peer_drain(struct grp_fix *f)
{
	struct rte_mbuf *pkts[64];
	uint16_t n;

	for (int i = 0; i < 256 && (n = grp_peer_rx(f, pkts, 64)) > 0; i++)
		rte_pktmbuf_free_bulk(pkts, n);
}

/* Stops the cores unless the test did (tasks waiting on the shutdown
 * token end; -1 when one is still running after @p grace_ms), frees what
 * reached the peer, and tears everything down. -1 too when anything is
 * left behind: an mbuf, a task or a record. */
static inline int grp_fix_down(struct grp_fix *f, struct tern_mbuf_pool *pool,
			       uint64_t grace_ms)
{
	struct tern_sched_stats ss;
	uint64_t tasks = 0, records = 0;
	int rc = 0;

	if (f->cores != NULL && !f->stopped && tern_cores_stop(f->cores, grace_ms * GRP_MS) != 0)
		rc = -1;
	if (f->p.peer != NULL)
		grp_peer_drain(f);
	for (int w = 0; w < GRP_CORES; w++)
		if (tern_engine_destroy(f->eng[w]) < 0)
			rc = -1;
	if (tern_engine_group_destroy(f->g) < 0)
		rc = -1;
	for (unsigned i = 0; f->cores != NULL && i < GRP_CORES; i++) {
		tern_sched_stats(tern_cores_sched(f->cores, i), &ss);
		tasks += ss.tasks_live;
		records += ss.records_live;
	}
	tern_cores_destroy(f->cores);
	f->cores = NULL;
	tern_port_destroy(f->p.peer);
	tern_port_destroy(f->p.nic);
	if (tern_mbuf_pool_in_use(pool) != 0 || tasks != 0 || records != 0) {
		fprintf(stderr, "left behind: %u mbufs, %llu tasks, %llu records\n",
			tern_mbuf_pool_in_use(pool), (unsigned long long)tasks,
			(unsigned long long)records);
		rc = -1;
	}
	return rc;
}

#endif
