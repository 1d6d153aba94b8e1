/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the engine tests: one EAL per process, a ring pair whose side
 * "peer" is driven by the test and side "nic" by an engine on a core with a
 * virtual clock, and frame builders that tests then break on purpose.
 */
#ifndef TERN_ENG_TEST_H
#define TERN_ENG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <tern/eal.h>
#include <tern/engine.h>
#include <tern/port.h>
#include <tern/tern.h>

#define SKIP 77
#define ENG_IP 0x0a000001u    /* 10.0.0.1: the engine */
#define PEER_IP 0x0a000002u   /* 10.0.0.2: the test */

static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 0x02 }};

struct eng_fix {
	struct tern_port *peer, *nic;
	struct tern_sched *core;
	struct tern_engine *eng;
	struct rte_ether_addr eng_mac;
	struct rte_mempool *mp;
};

/* Starts the EAL with a prefix unique to this process. */
static inline struct tern_eal *eng_test_eal(const char *name)
{
	char prefix[64], *argv[2] = { (char *)name, NULL };
	struct tern_eal *eal = NULL;

	snprintf(prefix, sizeof(prefix), "tern_t_%s_%d", name, (int)getpid());
	if (tern_eal_create(1, argv, &(struct tern_eal_opts){ .file_prefix = prefix }, &eal) < 0)
		return NULL;
	return eal;
}

/* The pool of the engine tests: two ports of @p workers each, 256
 * descriptors a queue, @p extra more mbufs; a test sets other fields
 * (data_room, jumbo) before eng_test_pool_make(). */
static inline struct tern_mbuf_pool_conf eng_test_pool_conf(uint16_t workers, uint32_t extra)
{
	return (struct tern_mbuf_pool_conf){ .nb_ports = 2, .nb_workers = workers,
					     .rx_desc = 256, .tx_desc = 256, .extra = extra };
}

/* The EAL and a pool made with *pc; *mp is the pool's mempool for frame
 * builders. 0 or -1. */
static inline int eng_test_pool_make(const char *name, const struct tern_mbuf_pool_conf *pc,
				     struct tern_eal **eal, struct tern_mbuf_pool **pool,
				     struct rte_mempool **mp)
{
	*eal = eng_test_eal(name);
	if (*eal == NULL || tern_mbuf_pool_create(pc, pool) < 0)
		return -1;
	*mp = tern_mbuf_pool_mempool(*pool);
	return 0;
}

/* The EAL and a pool for a test group of @p workers per port (two ports);
 * *mp is the pool's mempool for frame builders. 0 or -1. */
static inline int eng_test_pool_up(const char *name, uint16_t workers, uint32_t extra,
				   struct tern_eal **eal, struct tern_mbuf_pool **pool,
				   struct rte_mempool **mp)
{
	struct tern_mbuf_pool_conf pc = eng_test_pool_conf(workers, extra);

	return eng_test_pool_make(name, &pc, eal, pool, mp);
}

/* Undoes eng_test_pool_up(): the pool (every mbuf back), then the EAL. */
static inline int eng_test_pool_down(struct tern_eal *eal, struct tern_mbuf_pool *pool)
{
	int rc = tern_mbuf_pool_destroy(pool);

	return tern_eal_destroy(eal) ?: rc;
}

/* Monotonic wall time for the tests that run real-clock cores. */
static inline uint64_t eng_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void eng_pause_us(unsigned us)
{
	nanosleep(&(struct timespec){ 0, us * 1000L }, NULL);
}

/* Runs the core until idle (bounded). */
static inline void eng_pump(struct eng_fix *f)
{
	assert_true(tern_sched_run_until_idle(f->core, 1000) >= 0);
}

/* The core of most one-engine tests: a virtual clock (time moves only by
 * tern_sched_advance), misuse an error, an unobserved failure an abort. */
static const struct tern_sched_opts eng_sched_virtual = {
	.virtual_clock = true, .misuse = TERN_MISUSE_RETURN, .unobserved = TERN_UNOBSERVED_ABORT };

/*
 * One engine on @p pool: a ring pair named @p name of one worker a side
 * (asking for @p offloads), a core made with *so, and an engine made with
 * @p ec, whose port, core and pool are filled in here; f->eng_mac is the
 * engine's. f->mp is left as the caller set it. The gratuitous ARP is not
 * sent yet (eng_fix_drain_garp). 0 or -1; eng_fix_teardown() undoes it.
 */
static inline int eng_fix_up(struct eng_fix *f, struct tern_mbuf_pool *pool, const char *name,
			     uint32_t offloads, const struct tern_sched_opts *so,
			     struct tern_engine_conf ec)
{
	struct tern_port_conf pc = { .name = name, .nb_workers = 1, .pool = pool,
				     .rx_desc = 256, .tx_desc = 256, .offloads = offloads };

	if (tern_port_pair_create(&pc, &f->peer, &f->nic) < 0 ||
	    tern_port_start(f->peer) < 0 || tern_port_start(f->nic) < 0 ||
	    tern_sched_create(so, &f->core) < 0)
		return -1;
	ec.port = f->nic;
	ec.sched = f->core;
	ec.pool = pool;
	if (tern_engine_create(&ec, &f->eng) < 0)
		return -1;
	tern_port_mac(f->nic, f->eng_mac.addr_bytes);
	return 0;
}

/* Takes up to n frames the engine sent (polls a bounded number of times). */
static inline uint16_t eng_peer_rx(struct eng_fix *f, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t got = 0;

	for (int i = 0; i < 64 && got < n; i++)
		got += tern_port_rx_burst(f->peer, 0, pkts + got, n - got);
	return got;
}

/* Frees every frame waiting on the peer side; returns how many. */
static inline uint16_t eng_peer_drain(struct eng_fix *f)
{
	struct rte_mbuf *pkts[64];
	uint16_t n = eng_peer_rx(f, pkts, 64);

	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

/* Runs the core so that the engine's gratuitous ARP leaves, and frees it:
 * the test starts from an empty wire. 0, or -1 unless exactly one frame. */
static inline int eng_fix_drain_garp(struct eng_fix *f)
{
	eng_pump(f);
	return eng_peer_drain(f) == 1 ? 0 : -1;
}

static inline void eng_peer_tx(struct eng_fix *f, struct rte_mbuf *m)
{
	assert_non_null(m);
	assert_int_equal(tern_port_tx_burst(f->peer, 0, &m, 1), 1);
}

static inline void *eng_frame(struct eng_fix *f, struct rte_mbuf **out, uint16_t len,
			      uint16_t type)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(f->mp);
	struct rte_ether_hdr *eh;

	assert_non_null(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + len);
	assert_non_null(eh);
	if (eh == NULL) /* not reached: tells gcc -O3 (-Warray-bounds) so */
		abort();
	memset(eh, 0, sizeof(*eh) + len);
	eh->dst_addr = f->eng_mac;
	eh->src_addr = peer_mac;
	eh->ether_type = rte_cpu_to_be_16(type);
	*out = m;
	return eh + 1;
}

static inline void eng_ip_fill(struct rte_ipv4_hdr *ip, uint8_t proto, uint16_t tlen)
{
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->total_length = rte_cpu_to_be_16(tlen);
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(ENG_IP);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* A valid UDP datagram peer:sport -> engine:dport with len payload bytes. */
static inline struct rte_mbuf *eng_udp_frame(struct eng_fix *f, uint16_t sport,
					     uint16_t dport, uint16_t len, uint8_t fill)
{
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip = eng_frame(f, &m, 28 + len, RTE_ETHER_TYPE_IPV4);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	eng_ip_fill(ip, IPPROTO_UDP, 28 + len);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16(8 + len);
	memset(uh + 1, fill, len);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	return m;
}

/* eng_udp_frame() with 4 bytes of IPv4 options (NOP NOP NOP EOL): a
 * valid datagram that the RX fast path leaves to the slow one. */
static inline struct rte_mbuf *eng_udp_frame_opts(struct eng_fix *f, uint16_t sport,
						  uint16_t dport, uint16_t len, uint8_t fill)
{
	static const uint8_t nops[4] = { 1, 1, 1, 0 };
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip = eng_frame(f, &m, 24 + 8 + len, RTE_ETHER_TYPE_IPV4);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)((uint8_t *)ip + 24);

	eng_ip_fill(ip, IPPROTO_UDP, 24 + 8 + len);
	ip->version_ihl = 0x46;
	memcpy(ip + 1, nops, 4);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = ~rte_raw_cksum(ip, 24);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16(8 + len);
	memset(uh + 1, fill, len);
	uh->dgram_cksum = 0;
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	return m;
}

/*
 * An ARP frame from the peer side, from @p sha (the frame's source and the
 * sender's MAC) and @p sip, for @p tip, to the engine's MAC or broadcast;
 * a reply names the engine as its target. The caller owns it.
 */
static inline struct rte_mbuf *eng_arp_frame(struct eng_fix *f, uint16_t op, uint32_t sip,
					     const struct rte_ether_addr *sha, uint32_t tip,
					     bool bcast)
{
	struct rte_mbuf *m;
	struct rte_arp_hdr *a = eng_frame(f, &m, 46, RTE_ETHER_TYPE_ARP);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (bcast)
		memset(&eh->dst_addr, 0xff, 6);
	eh->src_addr = *sha;
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = *sha;
	a->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	if (op == RTE_ARP_OP_REPLY)
		a->arp_data.arp_tha = f->eng_mac;
	a->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return m;
}

/* The peer's answer to the engine's ARP request for PEER_IP. */
static inline struct rte_mbuf *eng_arp_reply(struct eng_fix *f)
{
	return eng_arp_frame(f, RTE_ARP_OP_REPLY, PEER_IP, &peer_mac, ENG_IP, false);
}

/* True when m is the engine's gratuitous ARP (a request for its own IP). */
static inline bool eng_is_announce(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);

	return eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) &&
	       a->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) &&
	       a->arp_data.arp_sip == rte_cpu_to_be_32(ENG_IP) &&
	       a->arp_data.arp_tip == rte_cpu_to_be_32(ENG_IP);
}

static inline struct rte_ipv4_hdr *eng_ip_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
}

/* Frame m turned into its echo, as tern-echo or testpmd's 5tswap would:
 * MACs, addresses and ports swapped (neither checksum changes), its
 * offload flags cleared for the way back. */
static inline void eng_turn_around(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = eng_ip_of(m);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	struct rte_ether_addr mac = eh->src_addr;
	uint32_t addr = ip->src_addr;
	uint16_t port = uh->src_port;

	eh->src_addr = eh->dst_addr;
	eh->dst_addr = mac;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	uh->src_port = uh->dst_port;
	uh->dst_port = port;
	m->ol_flags = 0;
}

/* The engine's counters now (a copy). */
static inline struct tern_engine_stats eng_stats(struct eng_fix *f)
{
	struct tern_engine_stats st;

	tern_engine_stats(f->eng, &st);
	return st;
}

/* received = delivered + every drop + fragments held for reassembly. */
static inline void eng_assert_conserved(struct eng_fix *f)
{
	struct tern_engine_stats st;

	tern_engine_stats(f->eng, &st);
	assert_int_equal(st.rx_packets,
			 st.delivered + tern_engine_drops_total(&st) + st.ip_frag_held);
}

/* Tears down an engine fixture and checks nothing was left behind:
 * mbufs back to 0, no task and no promise record still alive. */
static inline int eng_fix_teardown(struct eng_fix *f, struct tern_mbuf_pool *pool)
{
	struct tern_sched_stats ss;
	uint32_t n;

	eng_peer_drain(f);
	if (tern_engine_destroy(f->eng) < 0)
		return -1;
	tern_sched_stats(f->core, &ss);
	tern_sched_destroy(f->core);
	tern_port_destroy(f->peer);
	tern_port_destroy(f->nic);
	n = tern_mbuf_pool_in_use(pool);
	if (n != 0 || ss.tasks_live != 0 || ss.records_live != 0) {
		fprintf(stderr, "left behind: %u mbufs, %llu tasks, %llu records\n", n,
			(unsigned long long)ss.tasks_live, (unsigned long long)ss.records_live);
		return -1;
	}
	return 0;
}

/* What apps/echo does: await a burst, send each datagram back in place,
 * until eng_echo_stop() cancels it. */
struct eng_echo {
	struct tern_udp_sock *s;
	tern_cancel_t stop;     /* made by the task: sources belong to its core */
	bool made;
	uint64_t echoed;
};

static inline intptr_t eng_echo_task(void *arg)
{
	struct eng_echo *e = arg;
	struct tern_udp_dgram d[32];

	if (tern_cancel_create(&e->stop) < 0)
		return -ENOMEM;
	e->made = true;
	for (;;) {
		intptr_t n = tern_udp_recv_burst(e->s, d, 32, tern_cancel_token(e->stop));
		uint16_t k;

		if (n < 0) {
			tern_cancel_dispose(e->stop);
			return n == -ECANCELED ? 0 : n;
		}
		k = tern_udp_reply_burst(e->s, d, n, TERN_UDP_REPLY_UNCHANGED);
		for (uint16_t i = k; i < n; i++)
			rte_pktmbuf_free(d[i].m);
		e->echoed += k;
	}
}

static inline intptr_t eng_echo_stop(void *arg)
{
	return tern_cancel(((struct eng_echo *)arg)->stop);
}

#endif
