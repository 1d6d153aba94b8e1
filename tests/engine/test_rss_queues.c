/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker-queue path of a NIC with RSS, end to end through an
 * engine group: one RX and one TX queue per worker, each engine polling its
 * own, the device steering. No NIC here: a ring pair with conf.ring_rss is
 * the device (docs/drivers.md "RSS and software redistribution"), and the
 * test thread plays both the peer and the NIC's RSS: each frame it sends
 * goes on the RX queue that the port's Toeplitz key and redirection table
 * name (tern_port_rss_hash_v4, tern_port_rss_worker), ARP on queue 0, as a
 * NIC does with what it does not hash. What an engine sends comes out of
 * the peer's RX queue of the same number, so the test sees which TX queue
 * each frame left on.
 *
 * - flows: 64 flows to a UDP echo socket on both cores; each served on the
 *   worker its hash names, its echo on that worker's TX queue, both
 *   workers served some, no software steering at all.
 * - ARP: learnt on core 0 (the peer's reply carries no flow: queue 0),
 *   reaches core 1 by message, which sends the datagram it held; the
 *   ephemeral port (bind 0 with a remote) brings the answer to core 1.
 * - ephemeral ports: sockets on both cores, each bound to port 0 with a
 *   remote; every answer of the peer lands on the binding core's queue.
 * - fragments: a datagram sent as IPv4 fragments hashes by addresses only
 *   (a NIC's RSS, and tern's software steering, take the ports only from
 *   a packet that is no fragment), so it is reassembled on the addresses'
 *   core; when the port is a client's, bound on the other core, it is
 *   handed to that core and delivered there, intact, with no ICMP port
 *   unreachable; a port bound nowhere (or closed) still gets one; a
 *   sibling whose inbox is full costs counted drops, no leak.
 * Every test checks the conservation law per engine and ends with every
 * mbuf back where it was, no task and no record left.
 */
#include "frag_test.h"
#include "grp_test.h"

#define NCORES GRP_CORES
#define NFLOWS 64
#define PER_FLOW 8
#define ECHO_PORT 7
#define PEER_PORT 9000
#define EPH_SOCKS 8
#define MS (UINT64_C(1000000))

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;

static struct {
	struct grp_fix f;          /* ports, cores, group, engines: grp_test.h */
	struct grp_echo c[NCORES]; /* the echo servers: grp_test.h */
	uint64_t announces;        /* gratuitous ARPs the peer saw */
	uint64_t announce_q;       /* peer RX queue (engine TX queue) of the last */
} M;

static int group_setup(void **state)
{
	return eng_test_pool_up("rss_queues", NCORES, 1024, &eal, &pool, &M.f.p.mp);
}

static int group_teardown(void **state)
{
	return eng_test_pool_down(eal, pool);
}

static int setup(void **state)
{
	memset(M.c, 0, sizeof(M.c));
	M.announces = 0;
	M.announce_q = UINT64_MAX;
	return grp_fix_up(&M.f, "rq", pool, 0, true);
}

static int teardown(void **state)
{
	return grp_fix_down(&M.f, pool, 1000);
}

/* The worker a datagram from the peer to us belongs to. */
static uint16_t flow_worker(uint16_t sport, uint16_t dport)
{
	return grp_flow_worker(&M.f, sport, dport);
}

/*
 * The worker of a fragment from the peer to us. A NIC's RSS hashes a
 * fragment by its addresses only (its ports are in the first fragment at
 * most), and so does tern's software steering (tern__mbuf_flow_hash). The
 * Toeplitz hash of (addresses, ports 0, 0) is that 2-tuple hash: zero
 * input bits add nothing to it.
 */
static uint16_t frag_worker(void)
{
	return flow_worker(0, 0);
}

/*
 * The NIC's RSS: puts m on the engine RX queue its hash names (the peer's
 * TX queue of that number feeds it). Only UDP and ARP are sent here; ARP
 * has no flow and goes to queue 0, the default queue of a NIC.
 */
static uint16_t nic_tx(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = eng_ip_of(m);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	uint16_t q = 0;

	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
		if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
			q = frag_worker();
		else
			q = flow_worker(rte_be_to_cpu_16(uh->src_port),
					rte_be_to_cpu_16(uh->dst_port));
	} else {
		assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	}
	assert_int_equal(tern_port_tx_burst(M.f.p.peer, q, &m, 1), 1);
	return q;
}

/* Counts an announcement and the queue it left on; true if m was one. */
static bool take_announce(struct rte_mbuf *m, uint16_t q)
{
	if (!eng_is_announce(m))
		return false;
	M.announces++;
	M.announce_q = q;
	return true;
}

/*
 * Calls fn for every frame waiting on the peer's RX queues, with the
 * queue it came out of (the engine TX queue it left on), then frees it.
 * Returns the frames seen.
 */
static uint16_t peer_poll(void (*fn)(struct rte_mbuf *m, uint16_t q, void *arg), void *arg)
{
	struct rte_mbuf *pkts[32];
	uint16_t seen = 0;

	for (uint16_t q = 0; q < NCORES; q++) {
		uint16_t n = tern_port_rx_burst(M.f.p.peer, q, pkts, 32);

		for (uint16_t i = 0; i < n; i++)
			if (!take_announce(pkts[i], q))
				fn(pkts[i], q, arg);
		rte_pktmbuf_free_bulk(pkts, n);
		seen += n;
	}
	return seen;
}

static void unexpected(struct rte_mbuf *m, uint16_t q, void *arg)
{
	fail_msg("frame of type 0x%04x on queue %u after the test",
		 rte_be_to_cpu_16(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type), q);
}

/* Stops the cores; the law per engine and summed (datagrams taken from a
 * sibling are received too), nothing queued on the peer side but
 * announcements. */
static void assert_law_stopped(struct tern_engine_stats *per, struct tern_engine_stats *sum)
{
	assert_int_equal(tern_cores_stop(M.f.cores, 1000 * MS), 0);
	M.f.stopped = true;
	assert_int_equal(tern_engine_group_stats(M.f.g, per, sum), NCORES);
	for (int w = 0; w < NCORES; w++)
		assert_int_equal(per[w].rx_packets + per[w].udp_fwd_recv, per[w].delivered +
				 tern_engine_drops_total(&per[w]) + per[w].ip_frag_held);
	assert_int_equal(sum->rx_packets + sum->udp_fwd_recv,
			 sum->delivered + tern_engine_drops_total(sum) + sum->ip_frag_held);
	for (int i = 0; i < 64 && peer_poll(unexpected, NULL) > 0; i++)
		;
}

/* After the cores stopped: the law, and mbufs back to the baseline. */
static void assert_conserved_stopped(struct tern_engine_stats *per, struct tern_engine_stats *sum)
{
	assert_law_stopped(per, sum);
	assert_int_equal(tern_mbuf_pool_in_use(pool), M.f.baseline);
}

/* A queue per worker, steered by the device: not one packet went through
 * tern's software steering, and no TX queue was shared. */
static void assert_no_sw_steering(void)
{
	struct tern_port_stats ps;

	for (uint16_t w = 0; w < NCORES; w++) {
		assert_int_equal(tern_port_worker_stats_get(M.f.p.nic, w, &ps), 0);
		assert_int_equal(ps.sw_hashed, 0);
		assert_int_equal(ps.sw_redirected, 0);
		assert_int_equal(ps.sw_redirect_full, 0);
		assert_int_equal(ps.tx_lock_spins, 0);
	}
	assert_int_equal(tern_port_stats_get(M.f.p.nic, &ps), 0);
	assert_int_equal(ps.sw_stop_flushed, 0);
}

/* ---------------------------------------------------------------- flows */

struct echo_seen {
	uint64_t got, got_flow[NFLOWS], per_q[NCORES];
};

/* An echo of flow f (source port 1000 + f) carries its payload and left
 * on the TX queue of the worker that owns f. */
static void peer_check_echo(struct rte_mbuf *m, uint16_t q, void *arg)
{
	struct echo_seen *s = arg;
	struct rte_ipv4_hdr *ip = eng_ip_of(m);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	uint16_t f = rte_be_to_cpu_16(uh->dst_port) - 1000;

	assert_int_equal(ip->src_addr, rte_cpu_to_be_32(ENG_IP));
	assert_int_equal(uh->src_port, RTE_BE16(ECHO_PORT));
	assert_true(f < NFLOWS);
	assert_int_equal(*(uint8_t *)(uh + 1), f);
	assert_int_equal(q, flow_worker(1000 + f, ECHO_PORT));
	s->got_flow[f]++;
	s->per_q[q]++;
	s->got++;
}

static void test_flows_on_their_own_queues(void **state)
{
	struct tern_engine_stats per[NCORES], sum;
	struct echo_seen s = { 0 };
	uint64_t want[NCORES] = { 0 }, sent_q[NCORES] = { 0 }, sent = 0, deadline;

	/* The device steers: a queue per worker, software steering off. */
	assert_int_equal(tern_port_nb_rx_queues(M.f.p.nic), NCORES);
	assert_int_equal(tern_port_nb_tx_queues(M.f.p.nic), NCORES);
	grp_echo_spawn(&M.f, M.c, ECHO_PORT);
	for (uint16_t f = 0; f < NFLOWS; f++)
		want[flow_worker(1000 + f, ECHO_PORT)] += PER_FLOW;
	/* Both workers own some of the flows, or the test proves nothing. */
	assert_true(want[0] > 0 && want[1] > 0);
	assert_int_equal(tern_cores_start(M.f.cores), 0);
	deadline = eng_now_ns() + 5000 * MS;
	while (s.got < NFLOWS * PER_FLOW && eng_now_ns() < deadline) {
		/* A round of every flow while the rings (255 each) have room. */
		if (sent < NFLOWS * PER_FLOW && sent - s.got <= 128 - NFLOWS)
			for (uint16_t f = 0; f < NFLOWS; f++, sent++)
				sent_q[nic_tx(eng_udp_frame(&M.f.p, 1000 + f, ECHO_PORT, 18, f))]++;
		if (peer_poll(peer_check_echo, &s) == 0)
			eng_pause_us(100);
	}
	assert_int_equal(s.got, NFLOWS * PER_FLOW);
	for (int f = 0; f < NFLOWS; f++)
		assert_int_equal(s.got_flow[f], PER_FLOW);
	assert_conserved_stopped(per, &sum);
	assert_int_equal(M.announces, 1);            /* one per port, not per core */
	assert_int_equal(M.announce_q, 0);           /* from engine 0, its queue */
	for (int w = 0; w < NCORES; w++) {
		assert_int_equal(sent_q[w], want[w]);  /* what the "NIC" steered */
		assert_int_equal(M.c[w].misrouted, 0);
		assert_int_equal(M.c[w].echoed, want[w]);
		assert_int_equal(s.per_q[w], want[w]);
		assert_int_equal(per[w].rx_packets, want[w]);
		assert_int_equal(per[w].udp_delivered, want[w]);
		assert_int_equal(tern_engine_drops_total(&per[w]), 0);
		assert_int_equal(per[w].tx_packets, want[w] + (w == 0)); /* + the announcement */
	}
	assert_no_sw_steering();
}

/* --------------------------------------------------------- ARP, 2 cores */

struct arp_peer {
	uint16_t sport;            /* the client's ephemeral port */
	uint64_t requests, answered;
	uint64_t reply_q;          /* RX queue the "NIC" put the ARP replies on */
	uint64_t answer_q;         /* ... and the answer to the datagram */
};

/* The peer answers ARP requests for itself and the datagram to PEER_PORT;
 * both must have left on core 1's TX queue. */
static void peer_serve(struct rte_mbuf *m, uint16_t q, void *arg)
{
	struct arp_peer *p = arg;
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	assert_int_equal(q, 1);
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		assert_int_equal(a->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
		assert_int_equal(a->arp_data.arp_tip, rte_cpu_to_be_32(PEER_IP));
		p->reply_q = nic_tx(eng_arp_reply(&M.f.p));
		p->requests++;
		return;
	}
	/* The datagram left after resolution, to the MAC the reply gave. */
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_memory_equal(eh->dst_addr.addr_bytes, peer_mac.addr_bytes, 6);
	assert_int_equal(ip->dst_addr, rte_cpu_to_be_32(PEER_IP));
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), p->sport);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), PEER_PORT);
	p->answer_q = nic_tx(eng_udp_frame(&M.f.p, PEER_PORT, p->sport, 4, 0x77));
	p->answered++;
}

static void test_arp_learnt_on_queue_0_completes_on_core_1(void **state)
{
	struct tern_engine_stats per[NCORES], sum;
	struct arp_peer p = { .reply_q = UINT64_MAX, .answer_q = UINT64_MAX };
	struct grp_client c = { .mp = M.f.p.mp, .peer_port = PEER_PORT };
	uint64_t deadline;

	/* An ephemeral port whose answers from the peer hash to worker 1. */
	assert_int_equal(tern_udp_bind(M.f.eng[1], 0, &(struct tern_udp_opts){
		.remote_ip = PEER_IP, .remote_port = PEER_PORT }, &c.s), 0);
	p.sport = tern_udp_sock_port(c.s);
	assert_true(p.sport >= 49152);
	assert_int_equal(flow_worker(PEER_PORT, p.sport), 1);
	assert_int_equal(tern_task_spawn(grp_client_task, &c, &(struct tern_task_opts){
		.sched = tern_cores_sched(M.f.cores, 1), .name = "client",
		.flags = TERN_TASK_DETACHED }, NULL), 0);
	assert_int_equal(tern_cores_start(M.f.cores), 0);
	deadline = eng_now_ns() + 5000 * MS;
	while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE) && eng_now_ns() < deadline)
		if (peer_poll(peer_serve, &p) == 0)
			eng_pause_us(100);
	assert_true(__atomic_load_n(&c.done, __ATOMIC_ACQUIRE));
	assert_int_equal(c.send_rc, 0);
	assert_int_equal(c.recv_rc, 0);
	assert_int_equal(c.answer, 0x77);
	assert_int_equal(p.answered, 1);
	assert_conserved_stopped(per, &sum);
	assert_int_equal(M.announces, 1);
	assert_int_equal(M.announce_q, 0);
	/* ARP replies have no flow: the device gave them to queue 0, so core
	 * 0 learnt the peer and sent the entry to core 1, which asked. */
	assert_int_equal(p.reply_q, 0);
	assert_true(p.requests >= 1);
	assert_int_equal(per[1].arp_requests, p.requests);
	assert_int_equal(per[0].arp_requests, 1);    /* the announcement only */
	assert_int_equal(per[0].rx_packets, p.requests);
	assert_int_equal(per[0].udp_delivered, 0);
	assert_true(per[0].arp_sync_sent >= 1 && per[0].arp_sync_sent <= p.requests);
	assert_int_equal(per[1].arp_sync_recv, per[0].arp_sync_sent);
	assert_int_equal(sum.arp_sync_failed, 0);
	assert_int_equal(sum.arp_timeouts, 0);
	assert_int_equal(sum.arp_pending_dropped, 0);
	/* The answer to the ephemeral port hashed to queue 1: core 1's. */
	assert_int_equal(p.answer_q, 1);
	assert_int_equal(per[1].rx_packets, 1);
	assert_int_equal(per[1].udp_delivered, 1);
	assert_int_equal(per[1].tx_packets, p.requests + 1);
	assert_no_sw_steering();
}

/* ------------------------------------------------------ ephemeral ports */

struct eph {
	struct tern_udp_sock *s[EPH_SOCKS];
	uint16_t worker;
	intptr_t rc;               /* first failure, 0 when none */
	uint64_t answered;
	int done;                  /* release by the task, acquire by the test */
};

/* Payload byte of socket k of worker w: the peer echoes it. */
static uint8_t eph_mark(uint16_t w, int k)
{
	return (uint8_t)(w << 4 | k);
}

/* Sends one datagram from every socket to PEER_PORT + k, then awaits each
 * socket's answer. */
static intptr_t eph_task(void *arg)
{
	struct eph *e = arg;
	struct tern_udp_dgram d;

	for (int k = 0; k < EPH_SOCKS && e->rc == 0; k++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(M.f.p.mp);

		if (m == NULL || rte_pktmbuf_append(m, 4) == NULL) {
			rte_pktmbuf_free(m);
			e->rc = -ENOMEM;
			break;
		}
		memset(rte_pktmbuf_mtod(m, void *), eph_mark(e->worker, k), 4);
		e->rc = tern_udp_sendto(e->s[k], m, PEER_IP, PEER_PORT + k,
					tern_core_shutdown_token());
		/* Refused before queueing, the mbuf is still ours. */
		if (e->rc == -EINVAL || e->rc == -ENETUNREACH || e->rc == -ENOBUFS ||
		    e->rc == -ENOSPC)
			rte_pktmbuf_free(m);
	}
	for (int k = 0; k < EPH_SOCKS && e->rc == 0; k++) {
		e->rc = tern_udp_recv(e->s[k], &d, tern_core_shutdown_token());
		if (e->rc == 0) {
			e->answered += *(uint8_t *)d.data == eph_mark(e->worker, k);
			rte_pktmbuf_free(d.m);
		}
	}
	__atomic_store_n(&e->done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* The peer answers every datagram to its source; the datagram left on the
 * TX queue of the worker its answer hashes to (the binding core). */
static void peer_echo(struct rte_mbuf *m, uint16_t q, void *arg)
{
	struct rte_ipv4_hdr *ip = eng_ip_of(m);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	uint16_t sport = rte_be_to_cpu_16(uh->src_port), dport = rte_be_to_cpu_16(uh->dst_port);
	uint64_t *answer_q = arg;

	assert_int_equal(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type,
			 RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_in_range(dport, PEER_PORT, PEER_PORT + EPH_SOCKS - 1);
	assert_int_equal(flow_worker(dport, sport), q);
	answer_q[nic_tx(eng_udp_frame(&M.f.p, dport, sport, 4, *(uint8_t *)(uh + 1)))]++;
}

static void test_ephemeral_ports_bring_answers_home(void **state)
{
	struct tern_engine_stats per[NCORES], sum;
	struct eph e[NCORES] = { 0 };
	uint64_t answer_q[NCORES] = { 0 }, deadline;
	bool done = false;

	/* Known peer: no ARP on the wire, the entry reaches core 1 at set-up. */
	assert_int_equal(tern_arp_add_static(M.f.eng[0], PEER_IP, peer_mac.addr_bytes), 0);
	for (uint16_t w = 0; w < NCORES; w++) {
		e[w].worker = w;
		for (int k = 0; k < EPH_SOCKS; k++) {
			assert_int_equal(tern_udp_bind(M.f.eng[w], 0, &(struct tern_udp_opts){
				.remote_ip = PEER_IP, .remote_port = PEER_PORT + k }, &e[w].s[k]), 0);
			assert_int_equal(flow_worker(PEER_PORT + k,
						     tern_udp_sock_port(e[w].s[k])), w);
		}
		assert_int_equal(tern_task_spawn(eph_task, &e[w], &(struct tern_task_opts){
			.sched = tern_cores_sched(M.f.cores, w), .name = "eph",
			.flags = TERN_TASK_DETACHED }, NULL), 0);
	}
	assert_int_equal(tern_cores_start(M.f.cores), 0);
	deadline = eng_now_ns() + 5000 * MS;
	while (!done && eng_now_ns() < deadline) {
		if (peer_poll(peer_echo, answer_q) == 0)
			eng_pause_us(100);
		done = __atomic_load_n(&e[0].done, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&e[1].done, __ATOMIC_ACQUIRE);
	}
	assert_true(done);
	assert_conserved_stopped(per, &sum);
	for (int w = 0; w < NCORES; w++) {
		assert_int_equal(e[w].rc, 0);
		assert_int_equal(e[w].answered, EPH_SOCKS);
		assert_int_equal(answer_q[w], EPH_SOCKS);
		assert_int_equal(per[w].rx_packets, EPH_SOCKS);
		assert_int_equal(per[w].udp_delivered, EPH_SOCKS);
		assert_int_equal(per[w].tx_packets, EPH_SOCKS + (w == 0));
	}
	assert_int_equal(per[0].arp_sync_sent, 1);   /* the static entry, at set-up */
	assert_int_equal(per[1].arp_sync_recv, 1);
	assert_int_equal(sum.arp_requests, 1);       /* the announcement only */
	assert_int_equal(M.announces, 1);
	assert_no_sw_steering();
}

/* ------------------------------------------------------------ fragments */

#define FRAG_LEN 1200              /* UDP payload of a fragmented datagram */
#define FRAG_PIECE 512             /* IP payload per fragment (8-byte units) */
#define FULL_N 32                  /* datagrams at a sibling with a full inbox */

/* Payload byte i of a datagram marked mark: varied, so a piece out of place
 * shows. */
static uint8_t frag_byte(uint8_t mark, uint32_t i)
{
	return (uint8_t)(mark + i * 7);
}

/* A datagram peer:sport -> us:dport of len payload bytes (frag_byte), its
 * UDP checksum over the whole. */
static struct rte_mbuf *dgram_frame(uint16_t sport, uint16_t dport, uint16_t len, uint8_t mark)
{
	struct rte_mbuf *m = eng_udp_frame(&M.f.p, sport, dport, len, 0);
	struct rte_ipv4_hdr *ip = eng_ip_of(m);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *pl = (uint8_t *)(uh + 1);

	for (uint32_t i = 0; i < len; i++)
		pl[i] = frag_byte(mark, i);
	uh->dgram_cksum = 0;
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	return m;
}

/* Sends that datagram as fragments of FRAG_PIECE bytes (RFC 791), each
 * steered as a NIC does; returns how many, all on queue *q. */
static uint16_t nic_tx_frags(uint16_t sport, uint16_t dport, uint16_t len, uint8_t mark,
			     uint16_t id, uint16_t *q)
{
	struct rte_mbuf *whole = dgram_frame(sport, dport, len, mark);
	const struct rte_ipv4_hdr *wip = eng_ip_of(whole);
	uint32_t total = sizeof(struct rte_udp_hdr) + len;
	uint16_t n = 0;

	for (uint32_t off = 0; off < total; off += FRAG_PIECE, n++) {
		uint32_t k = RTE_MIN((uint32_t)FRAG_PIECE, total - off);

		*q = nic_tx(frag_piece(&M.f.p, wip, id, off, k, off + k == total));
	}
	rte_pktmbuf_free(whole);
	return n;
}

/* The first source port from the peer whose datagrams to dport hash to
 * worker w (fails the test when none of 256 does). */
static uint16_t sport_to(uint16_t w, uint16_t dport)
{
	for (uint16_t sp = 20000; sp < 20256; sp++)
		if (flow_worker(sp, dport) == w)
			return sp;
	fail_msg("no source port hashes to worker %u", w);
	return 0;
}

struct frag_client {
	struct tern_udp_sock *s;
	uint16_t want;             /* datagrams to await */
	uint16_t len[2];           /* their payload lengths, in arrival order */
	uint8_t mark[2];
	intptr_t rc;
	uint16_t intact;           /* datagrams whose every byte was right */
	int done;                  /* release by the task, acquire by the test */
};

/* On the binding core: awaits want datagrams and checks each byte. */
static intptr_t frag_client_task(void *arg)
{
	struct frag_client *c = arg;
	struct tern_udp_dgram d;

	for (uint16_t k = 0; k < c->want && c->rc == 0; k++) {
		bool ok;

		c->rc = tern_udp_recv(c->s, &d, tern_core_shutdown_token());
		if (c->rc != 0)
			break;
		ok = d.len == c->len[k] && d.src_ip == PEER_IP && d.dst_ip == ENG_IP;
		for (uint32_t i = 0; ok && i < d.len; i++)
			ok = ((uint8_t *)d.data)[i] == frag_byte(c->mark[k], i);
		c->intact += ok;
		rte_pktmbuf_free(d.m);
	}
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void test_fragments_reach_the_binding_core(void **state)
{
	struct tern_engine_stats per[NCORES], sum;
	struct tern_udp_sock_stats ss;
	uint16_t fw = frag_worker(), cw = 1 - fw, port, sport, q = UINT16_MAX, nfrag;
	struct frag_client c = { .want = 2, .len = { FRAG_LEN, 100 }, .mark = { 0x31, 0x42 } };
	uint64_t deadline;

	/* A client's port on the core that is not the addresses' one. */
	assert_int_equal(tern_udp_bind(M.f.eng[cw], 0, &(struct tern_udp_opts){
		.remote_ip = PEER_IP, .remote_port = PEER_PORT }, &c.s), 0);
	port = tern_udp_sock_port(c.s);
	assert_int_equal(flow_worker(PEER_PORT, port), cw);
	/* ... and a datagram, not fragmented, whose 4-tuple names the other. */
	sport = sport_to(fw, port);
	assert_int_equal(tern_task_spawn(frag_client_task, &c, &(struct tern_task_opts){
		.sched = tern_cores_sched(M.f.cores, cw), .name = "frag-client",
		.flags = TERN_TASK_DETACHED }, NULL), 0);
	assert_int_equal(tern_cores_start(M.f.cores), 0);
	nfrag = nic_tx_frags(PEER_PORT, port, FRAG_LEN, c.mark[0], 0x1234, &q);
	assert_int_equal(nfrag, 3);
	assert_int_equal(q, fw);                     /* all on the addresses' queue */
	assert_int_equal(nic_tx(dgram_frame(sport, port, c.len[1], c.mark[1])), fw);
	deadline = eng_now_ns() + 5000 * MS;
	while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE) && eng_now_ns() < deadline)
		if (peer_poll(unexpected, NULL) == 0) /* an ICMP error fails here */
			eng_pause_us(100);
	assert_true(__atomic_load_n(&c.done, __ATOMIC_ACQUIRE));
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.intact, 2);
	assert_law_stopped(per, &sum);
	assert_int_equal(tern_mbuf_pool_in_use(pool), M.f.baseline);
	/* Reassembled, and both datagrams handed over, on the addresses' core. */
	assert_int_equal(per[fw].rx_packets, nfrag + 1);
	assert_int_equal(per[fw].ip_reassembled, 1);
	assert_int_equal(per[fw].udp_fwd_sent, 2);
	assert_int_equal(per[fw].delivered, nfrag + 1);  /* nfrag - 1 merged, 2 handed over */
	assert_int_equal(per[fw].udp_delivered, 0);
	assert_int_equal(per[fw].udp_fwd_recv, 0);
	/* Delivered on the binding core, not received there from the port. */
	assert_int_equal(per[cw].rx_packets, 0);
	assert_int_equal(per[cw].udp_fwd_recv, 2);
	assert_int_equal(per[cw].udp_delivered, 2);
	assert_int_equal(per[cw].udp_fwd_sent, 0);
	tern_udp_sock_stats(c.s, &ss);
	assert_int_equal(ss.rx, 2);
	assert_int_equal(ss.queued, 0);
	/* No false port unreachable, nothing lost. */
	assert_int_equal(sum.icmp_unreach_sent, 0);
	assert_int_equal(tern_engine_drops_total(&sum), 0);
	assert_int_equal(sum.udp_fwd_failed, 0);
	assert_int_equal(sum.udp_fwd_dropped, 0);
	assert_int_equal(sum.ip_frag_held, 0);
	assert_no_sw_steering();
}

struct unreach_seen {
	uint64_t n, q_other;
	uint16_t ports[4];
};

/* An ICMP port unreachable (RFC 792 type 3 code 3) quoting a datagram to
 * one of the ports we sent to; it left on the addresses' queue. */
static void peer_unreach(struct rte_mbuf *m, uint16_t q, void *arg)
{
	struct unreach_seen *u = arg;
	struct rte_ipv4_hdr *ip = eng_ip_of(m);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	struct rte_ipv4_hdr *quoted = (struct rte_ipv4_hdr *)(ic + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(quoted + 1);

	assert_int_equal(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type,
			 RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_int_equal(ip->next_proto_id, IPPROTO_ICMP);
	assert_int_equal(ic->icmp_type, 3);
	assert_int_equal(ic->icmp_code, 3);
	assert_true(u->n < 4);
	u->ports[u->n++] = rte_be_to_cpu_16(uh->dst_port);
	u->q_other += q != frag_worker();
}

static void test_port_bound_nowhere_is_unreachable(void **state)
{
	struct tern_engine_stats per[NCORES], sum;
	struct tern_udp_sock *s, *closed;
	struct unreach_seen u = { 0 };
	uint16_t fw = frag_worker(), cw = 1 - fw, q = UINT16_MAX, nfrag, gone;
	uint64_t deadline;

	/* A port bound on the other core (the table is not empty), and one
	 * bound there and closed again (its bit cleared). */
	assert_int_equal(tern_udp_bind(M.f.eng[cw], 0, &(struct tern_udp_opts){
		.remote_ip = PEER_IP, .remote_port = PEER_PORT }, &s), 0);
	assert_int_equal(tern_udp_bind(M.f.eng[cw], 0, &(struct tern_udp_opts){
		.remote_ip = PEER_IP, .remote_port = PEER_PORT }, &closed), 0);
	gone = tern_udp_sock_port(closed);
	assert_int_equal(tern_udp_close(closed), 0);
	assert_int_not_equal(tern_udp_sock_port(s), 4242);
	assert_int_not_equal(gone, 4242);
	assert_int_equal(tern_cores_start(M.f.cores), 0);
	nfrag = nic_tx_frags(PEER_PORT, 4242, FRAG_LEN, 0x55, 0x99, &q);
	assert_int_equal(q, fw);
	assert_int_equal(nic_tx(dgram_frame(sport_to(fw, gone), gone, 10, 0x66)), fw);
	deadline = eng_now_ns() + 5000 * MS;
	while (u.n < 2 && eng_now_ns() < deadline)
		if (peer_poll(peer_unreach, &u) == 0)
			eng_pause_us(100);
	assert_int_equal(u.n, 2);
	assert_int_equal(u.ports[0], 4242);
	assert_int_equal(u.ports[1], gone);
	assert_int_equal(u.q_other, 0);
	assert_conserved_stopped(per, &sum);
	assert_int_equal(per[fw].rx_packets, nfrag + 1);
	assert_int_equal(per[fw].drops.udp_no_port, 2);
	assert_int_equal(per[fw].icmp_unreach_sent, 2);
	assert_int_equal(sum.udp_fwd_sent, 0);
	assert_int_equal(sum.udp_fwd_recv, 0);
	assert_int_equal(sum.udp_fwd_failed, 0);
	assert_int_equal(per[cw].rx_packets, 0);
	assert_no_sw_steering();
}

struct spinner {
	uint64_t deadline_ns;
	int spinning;              /* release by the task, acquire by the test */
	int release;               /* release by the test, acquire by the task */
};

/* Holds its core without yielding (bounded by deadline_ns), so that the
 * core's inbox fills. */
static intptr_t spin_task(void *arg)
{
	struct spinner *sp = arg;

	__atomic_store_n(&sp->spinning, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sp->release, __ATOMIC_ACQUIRE) && eng_now_ns() < sp->deadline_ns)
		rte_pause();
	return 0;
}

struct rx_watch {
	struct tern_engine *eng;
	uint64_t rx;               /* the engine's rx_packets: release/acquire */
};

/* On the engine's own core: publishes how many frames it received. */
static intptr_t watch_task(void *arg)
{
	struct rx_watch *w = arg;
	struct tern_engine_stats st;

	for (;;) {
		tern_engine_stats(w->eng, &st);
		__atomic_store_n(&w->rx, st.rx_packets, __ATOMIC_RELEASE);
		if (tern_sleep(100000, tern_core_shutdown_token()) < 0)
			return 0;
	}
}

static int setup_small_inbox(void **state)
{
	memset(M.c, 0, sizeof(M.c));
	M.announces = 0;
	M.announce_q = UINT64_MAX;
	return grp_fix_up(&M.f, "rq", pool, 8, true);
}

static void test_sibling_inbox_full_counted(void **state)
{
	struct tern_engine_stats per[NCORES], sum;
	struct tern_udp_sock_stats ss;
	struct tern_udp_sock *s;
	uint16_t fw = frag_worker(), cw = 1 - fw, port, sport;
	struct spinner sp = { .deadline_ns = eng_now_ns() + 4000 * MS };
	struct rx_watch wt = { .eng = M.f.eng[fw] };
	uint64_t deadline;

	assert_int_equal(tern_udp_bind(M.f.eng[cw], 0, &(struct tern_udp_opts){
		.remote_ip = PEER_IP, .remote_port = PEER_PORT, .queue = FULL_N }, &s), 0);
	port = tern_udp_sock_port(s);
	sport = sport_to(fw, port);
	assert_int_equal(tern_task_spawn(spin_task, &sp, &(struct tern_task_opts){
		.sched = tern_cores_sched(M.f.cores, cw), .name = "spin",
		.flags = TERN_TASK_DETACHED }, NULL), 0);
	assert_int_equal(tern_task_spawn(watch_task, &wt, &(struct tern_task_opts){
		.sched = tern_cores_sched(M.f.cores, fw), .name = "watch",
		.flags = TERN_TASK_DETACHED }, NULL), 0);
	assert_int_equal(tern_cores_start(M.f.cores), 0);
	deadline = eng_now_ns() + 3000 * MS;
	while (!__atomic_load_n(&sp.spinning, __ATOMIC_ACQUIRE) && eng_now_ns() < deadline)
		eng_pause_us(100);
	assert_true(__atomic_load_n(&sp.spinning, __ATOMIC_ACQUIRE));
	/* The binding core holds: what its sibling hands it stays in its
	 * inbox (8 slots) until that is full. */
	for (int i = 0; i < FULL_N; i++)
		assert_int_equal(nic_tx(dgram_frame(sport, port, 16, (uint8_t)i)), fw);
	while (__atomic_load_n(&wt.rx, __ATOMIC_ACQUIRE) < FULL_N && eng_now_ns() < deadline)
		eng_pause_us(100);
	assert_int_equal(__atomic_load_n(&wt.rx, __ATOMIC_ACQUIRE), FULL_N);
	__atomic_store_n(&sp.release, 1, __ATOMIC_RELEASE);
	/* Stopping drains the inbox: what was handed over lands and queues. */
	assert_law_stopped(per, &sum);
	assert_int_equal(per[fw].rx_packets, FULL_N);
	assert_int_equal(per[fw].udp_fwd_sent + per[fw].udp_fwd_failed, FULL_N);
	assert_true(per[fw].udp_fwd_sent >= 1 && per[fw].udp_fwd_sent <= 8);
	assert_true(per[fw].udp_fwd_failed >= FULL_N - 8);
	assert_int_equal(tern_engine_drops_total(&per[fw]), per[fw].udp_fwd_failed);
	assert_int_equal(per[cw].udp_fwd_recv, per[fw].udp_fwd_sent);
	assert_int_equal(per[cw].udp_delivered, per[fw].udp_fwd_sent);
	assert_int_equal(sum.udp_fwd_dropped, 0);
	assert_int_equal(sum.icmp_unreach_sent, 0);
	tern_udp_sock_stats(s, &ss);
	assert_int_equal(ss.queued, per[fw].udp_fwd_sent);
	/* The queued ones freed with the socket: every mbuf back. */
	assert_int_equal(tern_udp_close(s), 0);
	assert_int_equal(tern_mbuf_pool_in_use(pool), M.f.baseline);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flows_on_their_own_queues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_learnt_on_queue_0_completes_on_core_1,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral_ports_bring_answers_home, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fragments_reach_the_binding_core, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_bound_nowhere_is_unreachable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sibling_inbox_full_counted,
						setup_small_inbox, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
