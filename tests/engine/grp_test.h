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

/* The worker that the port's RSS (a NIC's, or tern's software steering)
 * names for a datagram sip:sport -> dip:dport. */
static inline uint16_t grp_worker_of(const struct grp_fix *f, uint32_t sip, uint32_t dip,
				     uint16_t sport, uint16_t dport)
{
	return tern_port_rss_worker(f->p.nic, tern_port_rss_hash_v4(f->p.nic, sip, dip,
								      sport, dport));
}

/* The worker a datagram from the peer to the engines belongs to. */
static inline uint16_t grp_flow_worker(const struct grp_fix *f, uint16_t sport, uint16_t dport)
{
	return grp_worker_of(f, PEER_IP, ENG_IP, sport, dport);
}

/* An echo server on one core: its socket, and what it saw. */
struct grp_echo {
	const struct grp_fix *f;   /* whose port's RSS names the right worker */
	struct tern_udp_sock *sock;
	uint16_t worker;           /* the core it runs on */
	uint64_t echoed;           /* datagrams sent back */
	uint64_t misrouted;        /* datagrams on a core their hash does not name */
};

/* Echoes what arrives on its core's socket until the cores stop, and
 * counts datagrams that reached a core their hash does not name. 0, or
 * the receive's error. */
static inline intptr_t grp_echo_task(void *arg)
{
	struct grp_echo *e = arg;
	struct tern_udp_dgram d[32];

	for (;;) {
		intptr_t n = tern_udp_recv_burst(e->sock, d, 32, tern_core_shutdown_token());
		uint16_t k;

		if (n < 0)
			return n == -ECANCELED ? 0 : n;
		for (intptr_t i = 0; i < n; i++)
			e->misrouted += grp_worker_of(e->f, d[i].src_ip, d[i].dst_ip,
						      d[i].src_port, d[i].dst_port) != e->worker;
		k = tern_udp_reply_burst(e->sock, d, n, TERN_UDP_REPLY_UNCHANGED);
		for (intptr_t i = k; i < n; i++)
			rte_pktmbuf_free(d[i].m);
		e->echoed += k;
	}
}

/* Zeroes e[], then binds @p port on every engine and spawns an echo task
 * (detached) on each core; the cores do not start here. */
static inline void grp_echo_spawn(struct grp_fix *f, struct grp_echo e[GRP_CORES],
				  uint16_t port)
{
	for (uint16_t w = 0; w < GRP_CORES; w++) {
		e[w] = (struct grp_echo){ .f = f, .worker = w };
		assert_int_equal(tern_udp_bind(f->eng[w], port, NULL, &e[w].sock), 0);
		assert_int_equal(tern_task_spawn(grp_echo_task, &e[w], &(struct tern_task_opts){
			.sched = tern_cores_sched(f->cores, w), .name = "echo",
			.flags = TERN_TASK_DETACHED }, NULL), 0);
	}
}

/* A client on one core: one datagram of 16 bytes 0x5a to the unresolved
 * peer at PEER_IP:peer_port, then the peer's answer. */
struct grp_client {
	struct tern_udp_sock *s;   /* bound by the test on the client's core */
	struct rte_mempool *mp;    /* where the datagram comes from */
	uint16_t peer_port;
	intptr_t send_rc, recv_rc;
	uint64_t send_ns;          /* how long the send awaited resolution */
	uint8_t answer;            /* the answer's first byte */
	int done;                  /* release by the task, acquire by the test */
};

static inline intptr_t grp_client_task(void *arg)
{
	struct grp_client *c = arg;
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->mp);
	struct tern_udp_dgram d;
	uint64_t t0 = tern_sched_now(tern_sched_current());

	c->send_rc = c->recv_rc = -ENOMEM;
	if (m != NULL && rte_pktmbuf_append(m, 16) != NULL) {
		memset(rte_pktmbuf_mtod(m, void *), 0x5a, 16);
		c->send_rc = tern_udp_sendto(c->s, m, PEER_IP, c->peer_port,
					     tern_core_shutdown_token());
		if (tern_udp_sendto_took(c->send_rc))
			m = NULL; /* the engine's: sent, queued, or freed by it */
	}
	rte_pktmbuf_free(m);
	c->send_ns = tern_sched_now(tern_sched_current()) - t0;
	if (c->send_rc == 0)
		c->recv_rc = tern_udp_recv(c->s, &d, tern_core_shutdown_token());
	if (c->send_rc == 0 && c->recv_rc == 0) {
		c->answer = *(uint8_t *)d.data;
		rte_pktmbuf_free(d.m);
	}
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return 0;
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
