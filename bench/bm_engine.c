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
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "bench.h"
#include "bm_eal.h"
#include "tern/engine.h"
#include "tern/port.h"
#include "tern/tern.h"

#define BURST 32
#define ENG_IP 0x0a000001u
#define PEER_IP 0x0a000002u

struct bm_eng {
	struct tern_mbuf_pool *pool;
	struct tern_port *peer, *nic;
	struct tern_sched *core;
	struct tern_engine *eng;
	struct tern_udp_sock *sock;
	tern_cancel_t stop;
	tern_task_t echo;
};

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

static intptr_t echo_task(void *arg)
{
	struct bm_eng *e = arg;
	struct tern_udp_dgram d[BURST];

	if (tern_cancel_create(&e->stop) < 0)
		return -ENOMEM;
	for (;;) {
		intptr_t n = tern_udp_recv_burst(e->sock, d, BURST, tern_cancel_token(e->stop));
		uint16_t k;

		if (n < 0) {
			tern_cancel_dispose(e->stop);
			return n == -ECANCELED ? 0 : n;
		}
		k = tern_udp_reply_burst(e->sock, d, (uint16_t)n, TERN_UDP_REPLY_UNCHANGED);
		for (uint16_t i = k; i < n; i++)
			rte_pktmbuf_free(d[i].m);
	}
}

static intptr_t stop_task(void *arg)
{
	return tern_cancel(((struct bm_eng *)arg)->stop);
}

static int bm_eng_up(struct bm_eng *e)
{
	struct tern_port_conf pc = { .name = "bm_eng", .nb_workers = 1, .pool = bm_pool,
				     .rx_desc = 512, .tx_desc = 512 };
	struct tern_engine_conf ec = { .pool = bm_pool, .ip = ENG_IP, .no_gratuitous_arp = true };

	if (tern_port_pair_create(&pc, &e->peer, &e->nic) < 0 ||
	    tern_port_start(e->peer) < 0 || tern_port_start(e->nic) < 0 ||
	    tern_sched_create(&(struct tern_sched_opts){ .name = "bm_eng" }, &e->core) < 0)
		return -1;
	ec.port = e->nic;
	ec.sched = e->core;
	if (tern_engine_create(&ec, &e->eng) < 0 || tern_udp_bind(e->eng, 7, NULL, &e->sock) < 0 ||
	    tern_task_spawn(echo_task, e, &(struct tern_task_opts){ .sched = e->core,
			    .name = "echo" }, &e->echo) < 0)
		return -1;
	return tern_sched_run_until_idle(e->core, 100) < 0 ? -1 : 0;
}

static void bm_eng_down(struct bm_eng *e)
{
	if (e->core != NULL && e->sock != NULL) {
		tern_task_spawn(stop_task, e, &(struct tern_task_opts){ .sched = e->core,
				.name = "stop", .flags = TERN_TASK_DETACHED }, NULL);
		tern_sched_run_until_idle(e->core, 100);
		tern_task_await(e->echo, TERN_TOKEN_NONE);
	}
	tern_engine_destroy(e->eng);
	tern_sched_destroy(e->core);
	tern_port_destroy(e->peer);
	tern_port_destroy(e->nic);
}

static void mk_request(struct rte_mbuf *m, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh = (void *)rte_pktmbuf_append(m, 14 + 20 + 8 + 18);
	struct rte_ipv4_hdr *ip = (void *)(eh + 1);
	struct rte_udp_hdr *uh = (void *)(ip + 1);

	if (eh == NULL)
		return; /* no tailroom: cannot happen with the pool's buffers */
	memset(eh, 0, 60);
	eh->dst_addr = *dst;
	eh->src_addr.addr_bytes[0] = 0x02;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = RTE_BE16(46);
	ip->src_addr = RTE_BE32(PEER_IP);
	ip->dst_addr = RTE_BE32(ENG_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->src_port = RTE_BE16(9);
	uh->dst_port = RTE_BE16(7);
	uh->dgram_len = RTE_BE16(26);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
}

/* A reply becomes the next request: swapping keeps both checksums valid. */
static inline void turn_around(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (void *)(eh + 1);
	struct rte_udp_hdr *uh = (void *)(ip + 1);
	struct rte_ether_addr a = eh->src_addr;
	uint32_t x = ip->src_addr;
	uint16_t p = uh->src_port;

	eh->src_addr = eh->dst_addr;
	eh->dst_addr = a;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = x;
	uh->src_port = uh->dst_port;
	uh->dst_port = p;
}

/* n packets through the echo path in bursts; returns how many got lost. */
static uint64_t echo_loop(struct bm_eng *e, struct rte_mbuf **pkts, uint64_t n)
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
			turn_around(pkts[i]);
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
	struct bm_eng e = { 0 };
	struct rte_mbuf *pkts[BURST];
	struct rte_ether_addr mac;
	uint64_t n, lost;

	if (bm_pool_get() < 0 || bm_eng_up(&e) < 0 ||
	    rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(bm_pool), pkts, BURST) < 0) {
		tern_bench_error(b, "EAL, ring pair or engine failed: see the log");
		bm_eng_down(&e);
		return;
	}
	tern_port_mac(e.nic, mac.addr_bytes);
	for (int i = 0; i < BURST; i++)
		mk_request(pkts[i], &mac);
	n = tern_bench_start(b);
	lost = echo_loop(&e, pkts, n);
	tern_bench_stop(b);
	rte_pktmbuf_free_bulk(pkts, BURST);
	tern_bench_counter(b, "burst", BURST);
	if (lost != 0)
		tern_bench_error(b, "echoes lost on the way");
	bm_eng_down(&e);
}
TERN_BENCH(bm_udp_echo_path, "BM_udp_echo_path");
