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
#include <errno.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <tern/eal.h>
#include <tern/engine.h>
#include <tern/port.h>
#include <tern/tern.h>

#include "cg.h"

#define BURST 32
#define ENG_IP 0x0a000001u
#define PEER_IP 0x0a000002u
#define ECHO_PORT 7

struct cg_eng {
	struct tern_mbuf_pool *pool;
	struct tern_port *peer, *nic;
	struct tern_sched *core;
	struct tern_engine *eng;
	struct tern_udp_sock *sock;
	tern_cancel_t stop;
	bool echo_made;
	tern_task_t echo;
};

static intptr_t echo_task(void *arg)
{
	struct cg_eng *e = arg;
	struct tern_udp_dgram d[BURST];

	/* a cancel source belongs to a core: made here, on the engine's */
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
	return tern_cancel(((struct cg_eng *)arg)->stop);
}

static int eng_up(struct cg_eng *e)
{
	struct tern_port_conf pc = { .name = "cg_echo", .nb_workers = 1, .pool = e->pool,
				     .rx_desc = 512, .tx_desc = 512 };
	struct tern_engine_conf ec = { .pool = e->pool, .ip = ENG_IP, .no_gratuitous_arp = true };
	struct tern_sched_opts so = { .name = "cg_echo", .virtual_clock = true };
	int rc;

	if ((rc = tern_port_pair_create(&pc, &e->peer, &e->nic)) < 0 ||
	    (rc = tern_port_start(e->peer)) < 0 || (rc = tern_port_start(e->nic)) < 0 ||
	    (rc = tern_sched_create(&so, &e->core)) < 0)
		return rc;
	ec.port = e->nic;
	ec.sched = e->core;
	if ((rc = tern_engine_create(&ec, &e->eng)) < 0 ||
	    (rc = tern_udp_bind(e->eng, ECHO_PORT, NULL, &e->sock)) < 0)
		return rc;
	rc = tern_task_spawn(echo_task, e, &(struct tern_task_opts){ .sched = e->core,
			     .name = "echo" }, &e->echo);
	if (rc < 0)
		return rc;
	e->echo_made = true;
	return tern_sched_run_until_idle(e->core, 100) < 0 ? -EIO : 0;
}

/* Cancels the echo task, then tears down in memif-safe order (ports last). */
static void eng_down(struct cg_eng *e)
{
	if (e->echo_made) {
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

/* peer 10.0.0.2:9 -> engine 10.0.0.1:7, 18 bytes of payload (a 60-byte frame). */
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
	uh->dst_port = RTE_BE16(ECHO_PORT);
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

/*
 * n packets through the echo path in bursts of 32. A burst takes two rounds
 * (replies leave in the next round's TX flush); four are allowed so that a
 * change there shows as a higher count, not as a loss. Returns how many of
 * pkts the caller holds at the end: BURST, or fewer when echoes were lost.
 */
static uint16_t echo_loop(struct cg_eng *e, struct rte_mbuf **pkts, uint64_t n)
{
	for (uint64_t done = 0; done < n; done += BURST) {
		uint16_t sent = tern_port_tx_burst(e->peer, 0, pkts, BURST), got = 0;

		for (int round = 0; round < 4 && got < sent; round++) {
			tern_sched_run_once(e->core);
			got += tern_port_rx_burst(e->peer, 0, pkts + got, sent - got);
		}
		for (uint16_t i = 0; i < got; i++)
			turn_around(pkts[i]);
		if (got < BURST)
			return got;
	}
	return BURST;
}

static int run(struct tern_mbuf_pool *pool, uint64_t n)
{
	struct cg_eng e = { .pool = pool };
	struct rte_mbuf *pkts[BURST];
	struct rte_ether_addr mac;
	uint16_t held;
	int rc = eng_up(&e);

	if (rc == 0)
		rc = rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(pool), pkts, BURST);
	if (rc < 0) {
		eng_down(&e);
		return rc;
	}
	tern_port_mac(e.nic, mac.addr_bytes);
	for (int i = 0; i < BURST; i++)
		mk_request(pkts[i], &mac);
	cg_begin();
	held = echo_loop(&e, pkts, n);
	cg_end();
	rte_pktmbuf_free_bulk(pkts, held);
	if (held < BURST)
		fprintf(stderr, "cg_echo_path: %u echoes of a burst lost\n", BURST - held);
	eng_down(&e);
	return held < BURST ? -EIO : 0;
}

int main(int argc, char **argv)
{
	uint64_t n = cg_iterations(argc, argv);
	char *eal_argv[] = { "tern-cg-echo-path", "-l", "0", "--log-level=warning",
			     "--no-telemetry" };
	struct tern_eal_opts eo = { .force_no_huge = true };
	struct tern_mbuf_pool_conf pc = { .name = "cg", .nb_ports = 2, .nb_workers = 1,
					  .rx_desc = 512, .tx_desc = 512, .extra = 512 };
	struct tern_mbuf_pool *pool = NULL;
	struct tern_eal *eal;
	int rc = tern_eal_create(5, eal_argv, &eo, &eal);

	if (rc < 0) {
		fprintf(stderr, "cg_echo_path: EAL failed (%d)\n", rc);
		return 1;
	}
	rc = tern_mbuf_pool_create(&pc, &pool);
	if (rc == 0)
		rc = run(pool, n);
	if (rc < 0)
		fprintf(stderr, "cg_echo_path: workload failed (%d)\n", rc);
	if (pool != NULL && tern_mbuf_pool_destroy(pool) < 0) {
		fprintf(stderr, "cg_echo_path: mbufs still in use at exit\n");
		rc = -EBUSY;
	}
	tern_eal_destroy(eal);
	return rc == 0 ? 0 : 1;
}
