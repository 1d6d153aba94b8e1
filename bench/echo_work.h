/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The UDP echo workload shared by BM_udp_echo_path (bench/bm_engine.c) and
 * its exact count under callgrind (bench/cg/cg_echo_path.c): a ring pair,
 * an engine on one core with a socket on port 7 and a task echoing every
 * datagram in place; the driving side sends 60-byte requests from
 * 10.0.0.2:9 and turns each reply back into a request. Its turn-around is
 * also the echo server of tern-gen's count (bench/cg/cg_gen_path.c).
 */
#ifndef TERN_BENCH_ECHO_WORK_H
#define TERN_BENCH_ECHO_WORK_H

#include <errno.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "tern/engine.h"
#include "tern/port.h"
#include "tern/tern.h"

#define ECHO_WORK_BURST 32
#define ECHO_WORK_ENG_IP 0x0a000001u
#define ECHO_WORK_PEER_IP 0x0a000002u
#define ECHO_WORK_PORT 7

struct echo_work {
	struct tern_mbuf_pool *pool;  /* the caller's */
	struct tern_port *peer, *nic;
	struct tern_sched *core;
	struct tern_engine *eng;
	struct tern_udp_sock *sock;
	tern_cancel_t stop;
	bool echo_made;
	tern_task_t echo;
};

static inline intptr_t echo_work_task(void *arg)
{
	struct echo_work *e = arg;
	struct tern_udp_dgram d[ECHO_WORK_BURST];

	/* a cancel source belongs to a core: made here, on the engine's */
	if (tern_cancel_create(&e->stop) < 0)
		return -ENOMEM;
	for (;;) {
		intptr_t n = tern_udp_recv_burst(e->sock, d, ECHO_WORK_BURST,
						 tern_cancel_token(e->stop));
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

static inline intptr_t echo_work_stop_task(void *arg)
{
	return tern_cancel(((struct echo_work *)arg)->stop);
}

/* Ring pair, core (virtual clock or not), engine, socket and echo task, on
 * e->pool; the core is run until the task awaits. 0 or a negative errno;
 * echo_work_down() undoes what was made either way. */
static inline int echo_work_up(struct echo_work *e, const char *name, bool virtual_clock)
{
	struct tern_port_conf pc = { .name = name, .nb_workers = 1, .pool = e->pool,
				     .rx_desc = 512, .tx_desc = 512 };
	struct tern_engine_conf ec = { .pool = e->pool, .ip = ECHO_WORK_ENG_IP,
				       .no_gratuitous_arp = true };
	struct tern_sched_opts so = { .name = name, .virtual_clock = virtual_clock };
	int rc;

	if ((rc = tern_port_pair_create(&pc, &e->peer, &e->nic)) < 0 ||
	    (rc = tern_port_start(e->peer)) < 0 || (rc = tern_port_start(e->nic)) < 0 ||
	    (rc = tern_sched_create(&so, &e->core)) < 0)
		return rc;
	ec.port = e->nic;
	ec.sched = e->core;
	if ((rc = tern_engine_create(&ec, &e->eng)) < 0 ||
	    (rc = tern_udp_bind(e->eng, ECHO_WORK_PORT, NULL, &e->sock)) < 0)
		return rc;
	rc = tern_task_spawn(echo_work_task, e, &(struct tern_task_opts){ .sched = e->core,
			     .name = "echo" }, &e->echo);
	if (rc < 0)
		return rc;
	e->echo_made = true;
	return tern_sched_run_until_idle(e->core, 100) < 0 ? -EIO : 0;
}

/* Cancels the echo task, then tears down (ports last). */
static inline void echo_work_down(struct echo_work *e)
{
	if (e->echo_made) {
		tern_task_spawn(echo_work_stop_task, e, &(struct tern_task_opts){
				.sched = e->core, .name = "stop", .flags = TERN_TASK_DETACHED },
				NULL);
		tern_sched_run_until_idle(e->core, 100);
		tern_task_await(e->echo, TERN_TOKEN_NONE);
	}
	tern_engine_destroy(e->eng);
	tern_sched_destroy(e->core);
	tern_port_destroy(e->peer);
	tern_port_destroy(e->nic);
}

/* peer 10.0.0.2:9 -> engine 10.0.0.1:7, 18 bytes of payload (a 60-byte frame). */
static inline void echo_work_request(struct rte_mbuf *m, const struct rte_ether_addr *dst)
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
	ip->src_addr = RTE_BE32(ECHO_WORK_PEER_IP);
	ip->dst_addr = RTE_BE32(ECHO_WORK_ENG_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->src_port = RTE_BE16(9);
	uh->dst_port = RTE_BE16(ECHO_WORK_PORT);
	uh->dgram_len = RTE_BE16(26);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
}

/* A reply becomes the next request: swapping keeps both checksums valid. */
static inline void echo_work_turn_around(struct rte_mbuf *m)
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

#endif
