/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engines on two cores of one port (issue 6: "socket tables are per core;
 * a flow is served on the core RSS gives it"). A ring pair with two
 * workers per side (one hardware queue: software steering), a tern_cores
 * group of two real-clock cores, an engine per core in one
 * tern_engine_group; the test thread plays the peer.
 *
 * - flows: 64 flows of echo traffic, each datagram served on the worker
 *   its hash names and echoed; counters per engine match the hash.
 * - ARP across cores: a socket on core 1 sends to an unresolved peer; the
 *   peer's reply lands on worker 0 (ARP has no flow to steer by), and the
 *   entry reaches core 1 by message, which sends the queued datagram; the
 *   socket's ephemeral port makes the peer's answer come back to core 1;
 *   one gratuitous ARP for the port, not one per core.
 * - static entries reach the siblings (set-up and from a core), and the
 *   group's counters are collected from a task.
 * Every test checks the conservation law per engine and summed, and ends
 * with every mbuf back in the pool and no task or record left.
 */
#include "grp_test.h"

#define NCORES GRP_CORES
#define NFLOWS 64
#define PER_FLOW 8
#define ECHO_PORT 7
#define PEER_PORT 9000
#define MS (UINT64_C(1000000))

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;

static struct {
	struct grp_fix f;          /* ports, cores, group, engines: grp_test.h */
	struct grp_echo c[NCORES]; /* the echo servers: grp_test.h */
	uint64_t announces;        /* gratuitous ARPs the peer saw */
} M;

static int group_setup(void **state)
{
	return eng_test_pool_up("multicore", NCORES, 1024, &eal, &pool, &M.f.p.mp);
}

static int group_teardown(void **state)
{
	return eng_test_pool_down(eal, pool);
}

/* Ports, cores, group and one engine per core; the cores do not run yet. */
static int setup(void **state)
{
	memset(M.c, 0, sizeof(M.c));
	M.announces = 0;
	return grp_fix_up(&M.f, "mc", pool, 0, false);
}

/* Stops the cores, then tears everything down: nothing may be left. */
static int teardown(void **state)
{
	return grp_fix_down(&M.f, pool, 1000);
}

static uint16_t peer_rx(struct rte_mbuf **pkts, uint16_t n)
{
	return grp_peer_rx(&M.f, pkts, n);
}

/* Frees what waits on the peer side; returns how many were announcements. */
static uint64_t peer_drain(void)
{
	struct rte_mbuf *pkts[64];
	uint64_t announces = 0;
	uint16_t n;

	for (int i = 0; i < 64 && (n = peer_rx(pkts, 64)) > 0; i++) {
		for (uint16_t k = 0; k < n; k++)
			announces += eng_is_announce(pkts[k]);
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return announces;
}

/* After the cores stopped: the law per engine and summed, mbufs back to
 * where they were once the ports started (nothing queued anywhere). */
static void assert_conserved_stopped(struct tern_engine_stats *per, struct tern_engine_stats *sum)
{
	assert_int_equal(tern_cores_stop(M.f.cores, 1000 * MS), 0);
	M.f.stopped = true;
	assert_int_equal(tern_engine_group_stats(M.f.g, per, sum), NCORES);
	for (int w = 0; w < NCORES; w++)
		assert_int_equal(per[w].rx_packets, per[w].delivered +
				 tern_engine_drops_total(&per[w]) + per[w].ip_frag_held);
	assert_int_equal(sum->rx_packets,
			 sum->delivered + tern_engine_drops_total(sum) + sum->ip_frag_held);
	M.announces += peer_drain();
	assert_int_equal(tern_mbuf_pool_in_use(pool), M.f.baseline);
}

/* ---------------------------------------------------------------- flows */

/* An echo of flow f (source port 1000 + f) comes back with its payload;
 * returns 1 for an echo, 0 for the announcement. */
static uint64_t peer_check_echo(struct rte_mbuf *m, uint64_t *got_flow)
{
	struct rte_ipv4_hdr *ip = eng_ip_of(m);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	uint16_t f = rte_be_to_cpu_16(uh->dst_port) - 1000;

	if (eng_is_announce(m)) {
		M.announces++;
		return 0;
	}
	assert_int_equal(ip->src_addr, rte_cpu_to_be_32(ENG_IP));
	assert_int_equal(uh->src_port, RTE_BE16(ECHO_PORT));
	assert_true(f < NFLOWS);
	assert_int_equal(*(uint8_t *)(uh + 1), f); /* its own payload */
	got_flow[f]++;
	return 1;
}

static void test_flows_served_on_their_worker(void **state)
{
	struct tern_engine_stats per[NCORES], sum;
	struct tern_port_stats ps;
	uint64_t want[NCORES] = { 0 }, got_flow[NFLOWS] = { 0 }, got = 0, sent = 0;
	uint64_t deadline;
	struct rte_mbuf *pkts[64];

	grp_echo_spawn(&M.f, M.c, ECHO_PORT);
	assert_int_equal(tern_cores_start(M.f.cores), 0);
	for (uint16_t f = 0; f < NFLOWS; f++)
		want[grp_flow_worker(&M.f, 1000 + f, ECHO_PORT)] += PER_FLOW;
	/* Both workers own some of the flows, or the test proves nothing. */
	assert_true(want[0] > 0 && want[1] > 0);
	deadline = eng_now_ns() + 5000 * MS;
	while (got < NFLOWS * PER_FLOW && eng_now_ns() < deadline) {
		uint16_t n;

		/* A round of every flow while the rings (255 each) have room. */
		if (sent < NFLOWS * PER_FLOW && sent - got <= 128 - NFLOWS)
			for (uint16_t f = 0; f < NFLOWS; f++, sent++)
				eng_peer_tx(&M.f.p, eng_udp_frame(&M.f.p, 1000 + f, ECHO_PORT, 18, f));
		n = peer_rx(pkts, 64);
		for (uint16_t i = 0; i < n; i++)
			got += peer_check_echo(pkts[i], got_flow);
		rte_pktmbuf_free_bulk(pkts, n);
		if (n == 0)
			eng_pause_us(100);
	}
	assert_int_equal(got, NFLOWS * PER_FLOW);
	for (int f = 0; f < NFLOWS; f++)
		assert_int_equal(got_flow[f], PER_FLOW);
	assert_conserved_stopped(per, &sum);
	assert_int_equal(M.announces, 1); /* one per port, not one per core */
	for (int w = 0; w < NCORES; w++) {
		assert_int_equal(M.c[w].misrouted, 0);
		assert_int_equal(M.c[w].echoed, want[w]);
		assert_int_equal(per[w].udp_delivered, want[w]);
		assert_int_equal(per[w].rx_packets, want[w]);
	}
	/* Worker 0 owns the one hardware queue and passed worker 1 its flows. */
	assert_int_equal(tern_port_worker_stats_get(M.f.p.nic, 0, &ps), 0);
	assert_int_equal(ps.sw_redirected, want[1]);
	assert_int_equal(sum.udp_delivered, NFLOWS * PER_FLOW);
	assert_int_equal(sum.tx_packets, NFLOWS * PER_FLOW + 1); /* + the announcement */
	assert_int_equal(sum.arp_requests, 1);
}

/* --------------------------------------------------------- ARP, 2 cores */

/* The peer answers ARP requests for itself and datagrams to PEER_PORT.
 * Returns the requests for PEER_IP seen. */
static uint64_t peer_serve(struct rte_mbuf *m, uint16_t sport, uint64_t *answered)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	if (eng_is_announce(m)) {
		M.announces++;
		return 0;
	}
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		assert_int_equal(a->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
		assert_int_equal(a->arp_data.arp_tip, rte_cpu_to_be_32(PEER_IP));
		eng_peer_tx(&M.f.p, eng_arp_reply(&M.f.p));
		return 1;
	}
	/* The datagram left after resolution, to the MAC the reply gave. */
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_memory_equal(eh->dst_addr.addr_bytes, peer_mac.addr_bytes, 6);
	assert_int_equal(ip->dst_addr, rte_cpu_to_be_32(PEER_IP));
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), sport);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), PEER_PORT);
	eng_peer_tx(&M.f.p, eng_udp_frame(&M.f.p, PEER_PORT, sport, 4, 0x77));
	(*answered)++;
	return 0;
}

static void test_arp_learnt_on_one_core_completes_on_another(void **state)
{
	struct tern_engine_stats per[NCORES], sum;
	struct grp_client c = { .mp = M.f.p.mp, .peer_port = PEER_PORT };
	uint64_t requests = 0, answered = 0, deadline;
	struct rte_mbuf *pkts[32];
	uint16_t sport;

	/* An ephemeral port whose answers from the peer come back to core 1. */
	assert_int_equal(tern_udp_bind(M.f.eng[1], 0, &(struct tern_udp_opts){
		.remote_ip = PEER_IP, .remote_port = PEER_PORT }, &c.s), 0);
	sport = tern_udp_sock_port(c.s);
	assert_true(sport >= 49152);
	assert_int_equal(grp_flow_worker(&M.f, PEER_PORT, sport), 1);
	assert_int_equal(tern_task_spawn(grp_client_task, &c, &(struct tern_task_opts){
		.sched = tern_cores_sched(M.f.cores, 1), .name = "client",
		.flags = TERN_TASK_DETACHED }, NULL), 0);
	assert_int_equal(tern_cores_start(M.f.cores), 0);
	deadline = eng_now_ns() + 5000 * MS;
	while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE) && eng_now_ns() < deadline) {
		uint16_t n = peer_rx(pkts, 32);

		for (uint16_t i = 0; i < n; i++)
			requests += peer_serve(pkts[i], sport, &answered);
		rte_pktmbuf_free_bulk(pkts, n);
		if (n == 0)
			eng_pause_us(100);
	}
	assert_true(__atomic_load_n(&c.done, __ATOMIC_ACQUIRE));
	assert_int_equal(c.send_rc, 0);
	assert_true(c.send_ns < 2000 * MS); /* within arp_timeout_ms */
	assert_int_equal(c.recv_rc, 0);
	assert_int_equal(c.answer, 0x77);
	assert_int_equal(answered, 1);
	assert_conserved_stopped(per, &sum);
	assert_int_equal(M.announces, 1);
	/* Core 1 asked; the reply reached core 0, which learnt the peer and
	 * sent it to core 1; the answer to the ephemeral port reached core 1. */
	assert_true(requests >= 1);
	assert_int_equal(per[1].arp_requests, requests);
	assert_int_equal(per[0].arp_requests, 1); /* the announcement only */
	assert_int_equal(per[0].rx_packets, requests); /* the ARP replies */
	/* One entry sent per reply at most: a core 1 descheduled past
	 * arp_retry_ms asks again, and that second reply is sent on too. */
	assert_true(per[0].arp_sync_sent >= 1 && per[0].arp_sync_sent <= requests);
	assert_int_equal(per[1].arp_sync_recv, per[0].arp_sync_sent);
	assert_int_equal(sum.arp_sync_failed, 0);
	assert_int_equal(sum.arp_timeouts, 0);
	assert_int_equal(sum.arp_pending_dropped, 0);
	assert_int_equal(per[1].udp_delivered, 1);
	assert_int_equal(per[0].udp_delivered, 0);
	assert_int_equal(per[1].tx_packets, requests + 1);
}

/* ------------------------------------------------- static entries, stats */

#define IP_A 0x0a000008u
#define IP_B 0x0a000009u
static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x08 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x09 };

struct resolve_req {
	struct tern_engine *eng;
	uint32_t ip;
	uint8_t mac[6];
};

static intptr_t resolve_fn(void *arg)
{
	struct resolve_req *r = arg;

	return tern_arp_resolve(r->eng, r->ip, r->mac, TERN_TOKEN_NONE);
}

struct static_run {
	intptr_t stats_rc, resolve_a, resolve_b, rounds;
	struct resolve_req a, b;
	int done;
};

/* On core 0: a static entry for IP_B reaches core 1 (seen through the
 * group's counters, collected core by core), then both cores resolve
 * without asking the wire. */
static intptr_t static_task(void *arg)
{
	struct static_run *r = arg;
	struct tern_engine_stats per[NCORES];
	tern_future_t f;

	r->resolve_b = tern_arp_add_static(M.f.eng[0], IP_B, mac_b);
	for (r->rounds = 0; r->resolve_b == 0 && r->rounds < 1000; r->rounds++) {
		r->stats_rc = tern_engine_group_stats(M.f.g, per, NULL);
		if (r->stats_rc < 0 || per[1].arp_sync_recv >= 1)
			break;
		tern_sleep(MS, TERN_TOKEN_NONE);
	}
	r->a = (struct resolve_req){ .eng = M.f.eng[0], .ip = IP_A };
	r->resolve_a = resolve_fn(&r->a);
	r->b = (struct resolve_req){ .eng = M.f.eng[1], .ip = IP_B };
	if (r->resolve_b == 0 && tern_submit(tern_cores_sched(M.f.cores, 1), resolve_fn, &r->b,
					     NULL, &f) == 0)
		r->resolve_b = tern_await(f, TERN_TOKEN_NONE);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void test_static_entries_reach_siblings(void **state)
{
	struct tern_engine_stats per[NCORES], sum;
	struct tern_engine_conf ec = { .port = M.f.p.nic, .worker = 1, .pool = pool,
				       .sched = tern_cores_sched(M.f.cores, 1), .ip = ENG_IP,
				       .group = M.f.g };
	struct static_run r = { .stats_rc = -1, .resolve_a = -1, .resolve_b = -1 };
	struct tern_engine *dup;
	uint64_t deadline;

	/* One engine per worker; the group outlives its engines. */
	assert_int_equal(tern_engine_create(&ec, &dup), -EEXIST);
	ec.port = M.f.p.peer;
	assert_int_equal(tern_engine_create(&ec, &dup), -EINVAL);
	assert_int_equal(tern_engine_group_destroy(M.f.g), -EBUSY);
	/* Set-up, no core runs: written into the sibling's table at once. */
	assert_int_equal(tern_arp_add_static(M.f.eng[1], IP_A, mac_a), 0);
	assert_int_equal(tern_task_spawn(static_task, &r, &(struct tern_task_opts){
		.sched = tern_cores_sched(M.f.cores, 0), .name = "static",
		.flags = TERN_TASK_DETACHED }, NULL), 0);
	assert_int_equal(tern_cores_start(M.f.cores), 0);
	deadline = eng_now_ns() + 5000 * MS;
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) && eng_now_ns() < deadline)
		eng_pause_us(1000);
	assert_true(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE));
	assert_int_equal(r.stats_rc, NCORES);
	assert_true(r.rounds < 1000);
	assert_int_equal(r.resolve_a, 0);
	assert_memory_equal(r.a.mac, mac_a, 6);
	assert_int_equal(r.resolve_b, 0);
	assert_memory_equal(r.b.mac, mac_b, 6);
	assert_conserved_stopped(per, &sum);
	assert_int_equal(per[1].arp_sync_sent, 1);   /* IP_A, at set-up */
	assert_int_equal(per[0].arp_sync_recv, 1);
	assert_int_equal(per[0].arp_sync_sent, 1);   /* IP_B, by message */
	assert_int_equal(per[1].arp_sync_recv, 1);
	assert_int_equal(sum.arp_sync_failed, 0);
	assert_int_equal(sum.arp_requests, 1);       /* the announcement only */
	assert_int_equal(M.announces, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flows_served_on_their_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_learnt_on_one_core_completes_on_another,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_entries_reach_siblings, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
