/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-gen's request building and reply matching (apps/gen/gen_tx.c,
 * gen_rx.c) on an engine over a ring pair, the test playing the echo
 * server on the peer side, as bench/cg/cg_gen_path.c runs them:
 *  - every class of reply, crafted from the requests actually sent: plain
 *    echoes (rx), a duplicate (dup), a wrong magic, a sequence number
 *    never sent and a datagram too short for a stamp (bad), one of flow
 *    1's requests answered on flow 0's socket (rx, on flow 1's window),
 *    one answered after the flow sent a window more (late), and one whose
 *    mbuf the test still references (rx, and not reused for a send),
 *    and one numbered just before the first (bad);
 *  - the requests themselves: flow, magic, sequence number, stamp no later
 *    than the send, payload length, UDP checksum 0 (--udp-cksum off);
 *  - 70000 requests and echoes in bursts of 24 (not a divisor of 64, so
 *    bursts straddle the window's words, and its slots are reused after
 *    65536): every one matched once, none dup, late or bad, the histogram
 *    counting each, the replies' mbufs carrying the next requests.
 * Every test ends with every mbuf back in the pool.
 */
#include "../engine/eng_test.h"

#include <rte_cycles.h>

#include "gen.h"

/* Ethernet, IPv4 and UDP headers before a request's payload */
#define HDRS (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))

volatile sig_atomic_t gen_stop_requested; /* gen.c's, which is not linked */

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct eng_fix F;
static struct gen_app *A;
static tern_task_t rx_tasks[GEN_FLOWS_MAX];
static bool rx_made;

static int group_setup(void **state)
{
	return eng_test_pool_up("gen_rx", 1, 512, &eal, &pool, &F.mp);
}

static int group_teardown(void **state)
{
	return eng_test_pool_down(eal, pool);
}

/* On the core, as gen_main_task: the stop source and the reply tasks. */
static intptr_t start_task(void *arg)
{
	intptr_t rc = tern_cancel_create(&A->stop);

	if (rc < 0)
		return rc;
	A->stop_made = true;
	rc = gen_rx_spawn(A, rx_tasks);
	rx_made = rc == 0;
	return rc;
}

static intptr_t stop_task(void *arg)
{
	return tern_cancel(A->stop);
}

/* The engine, tern-gen's state for opts *o (flows bound, the peer a static
 * neighbour), its pacing poller and reply tasks; sending from now on. */
static int gen_up(const struct gen_opts *o)
{
	A = calloc(1, sizeof(*A));
	if (A == NULL || eng_fix_up(&F, pool, "gen", 0, &eng_sched_virtual,
				    (struct tern_engine_conf){ .ip = ENG_IP }) < 0 ||
	    eng_fix_drain_garp(&F) < 0)
		return -1;
	A->o = *o;
	A->pool = pool;
	A->core = F.core;
	A->eng = F.eng;
	if (gen_alloc(A) < 0 || gen_bind(A) < 0 ||
	    tern_arp_add_static(F.eng, PEER_IP, peer_mac.addr_bytes) < 0 ||
	    tern_sched_add_poller(F.core, &(struct tern_poller){
		    .name = "gen_tx", .poll = gen_tx_poll, .arg = A }) < 0 ||
	    tern_task_spawn(start_task, NULL, &(struct tern_task_opts){
		    .sched = F.core, .name = "start", .flags = TERN_TASK_DETACHED }, NULL) < 0)
		return -1;
	eng_pump(&F);
	if (!rx_made)
		return -1;
	gen_tx_start(A);
	return 0;
}

static int teardown(void **state)
{
	int rc = 0;

	if (A != NULL && rx_made) {
		A->state = GEN_DONE;
		tern_task_spawn(stop_task, NULL, &(struct tern_task_opts){
				.sched = F.core, .name = "stop", .flags = TERN_TASK_DETACHED }, NULL);
		eng_pump(&F);
		for (uint16_t i = 0; i < A->o.flows; i++)
			rc |= (int)tern_task_await(rx_tasks[i], TERN_TOKEN_NONE);
	}
	rx_made = false;
	if (A != NULL) {
		if (A->stop_made)
			tern_cancel_dispose(A->stop);
		gen_tx_free_pending(A);
		gen_tx_free_spare(A);
	}
	rc |= eng_fix_teardown(&F, pool);
	if (A != NULL)
		gen_free(A);
	free(A);
	A = NULL;
	memset(&F, 0, sizeof(F));
	return rc;
}

static struct gen_payload *payload_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct gen_payload *, HDRS);
}

/*
 * Sixteen requests on two flows (bursts of 8, flows taking turns), then
 * replies of every class built from them; the counters and the histogram
 * say each was judged as it should be.
 */
static void test_reply_classes(void **state)
{
	struct gen_opts o = { .dst_ip = PEER_IP, .dst_port = 7, .src_port = 9000, .flows = 2,
			      .burst = 8, .size = 64, .rate = 1000000000ull, .count = 16,
			      .loops = 1, .speed = 1.0, .no_udp_cksum = true };
	struct rte_mbuf *f[16], *dup, *neg, *held;
	uint64_t spares;
	struct tern_engine_stats st;
	uint16_t n;

	assert_int_equal(gen_up(&o), 0);
	for (int i = 0; i < 8 && A->c.tx < 16; i++)
		tern_sched_run_once(F.core);
	assert_int_equal(A->c.tx, 16);
	eng_pump(&F); /* the engine's TX buffer out */
	n = eng_peer_rx(&F, f, 16);
	assert_int_equal(n, 16);
	for (uint16_t i = 0; i < 16; i++) {
		struct gen_payload *p = payload_of(f[i]);
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(eng_ip_of(f[i]) + 1);

		assert_int_equal(rte_pktmbuf_pkt_len(f[i]), 64 - RTE_ETHER_CRC_LEN);
		assert_int_equal(rte_pktmbuf_data_len(f[i]), 64 - RTE_ETHER_CRC_LEN);
		assert_int_equal(rte_be_to_cpu_16(uh->src_port), 9000 + i / 8);
		assert_int_equal(uh->dgram_cksum, 0);
		assert_int_equal(p->flow, i / 8);
		assert_int_equal(p->magic, A->magic);
		assert_int_equal(p->seq, i % 8);
		assert_true(p->tsc >= A->start_tsc && p->tsc <= rte_rdtsc());
		assert_true(i % 8 == 0 || p->tsc >= payload_of(f[i - 1])->tsc);
		eng_turn_around(f[i]);
	}

	/* flow 0: seq 0-6 plain, a duplicate of seq 0, seq 7 with a wrong magic */
	dup = rte_pktmbuf_copy(f[0], F.mp, 0, UINT32_MAX);
	assert_non_null(dup);
	payload_of(f[7])->magic ^= 0x0101;
	/* flow 1: seq 0 answered on flow 0's socket; seq 1 made one never
	 * sent; seq 2 cut to 10 bytes of payload; seq 3 still referenced by
	 * the test; seq 4-6 plain; seq 7 held back */
	((struct rte_udp_hdr *)(eng_ip_of(f[8]) + 1))->dst_port = rte_cpu_to_be_16(9000);
	payload_of(f[9])->seq = 100;
	{
		struct rte_ipv4_hdr *ip = eng_ip_of(f[10]);

		ip->total_length = rte_cpu_to_be_16(20 + 8 + 10);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		((struct rte_udp_hdr *)(ip + 1))->dgram_len = rte_cpu_to_be_16(8 + 10);
		assert_int_equal(rte_pktmbuf_trim(f[10], 8), 0);
	}
	/* and a copy of seq 4 as seq 2^32 - 4: within a window behind the
	 * next send, but before the first (bad, not matched at a stale slot) */
	neg = rte_pktmbuf_copy(f[12], F.mp, 0, UINT32_MAX);
	assert_non_null(neg);
	payload_of(neg)->seq = UINT32_MAX - 3;
	rte_mbuf_refcnt_update(f[11], 1);
	held = f[11];
	spares = A->spare_n;
	for (uint16_t i = 0; i < 15; i++)
		eng_peer_tx(&F, f[i]);
	eng_peer_tx(&F, dup);
	eng_peer_tx(&F, neg);
	eng_pump(&F);
	assert_int_equal(A->c.rx, 7 + 1 + 1 + 3);
	assert_int_equal(A->c.dup, 1);
	assert_int_equal(A->c.bad, 4);
	assert_int_equal(A->c.late, 0);
	/* every reply's mbuf kept for the next sends, but the one referenced */
	assert_int_equal(A->spare_n, spares + 16);
	for (uint16_t i = 0; i < A->spare_n; i++)
		assert_ptr_not_equal(A->spare[i], held);
	assert_int_equal(rte_mbuf_refcnt_read(held), 1);
	rte_pktmbuf_free(held);

	/* flow 1 a window further on: its seq 7 is now older than the window */
	A->flows[1].next_seq += GEN_WINDOW;
	eng_peer_tx(&F, f[15]);
	eng_pump(&F);
	assert_int_equal(A->c.late, 1);
	assert_int_equal(A->c.rx, 12);

	/* each matched reply timed once, from its stamp */
	assert_int_equal(A->tick->count, A->c.rx);
	assert_true(A->tick->min > 0 && A->tick->min <= A->tick->max);
	assert_true(A->tick->max <= (uint64_t)((rte_rdtsc() - A->start_tsc) * A->ns_per_tsc) + 1);
	tern_engine_stats(F.eng, &st);
	assert_int_equal(tern_engine_drops_total(&st), 0);
}

/*
 * 70000 requests, each echoed by the test in the round after it left, in
 * bursts of 24: past 65536 every window slot is reused once, after its
 * bit was cleared by the send (across two words for most bursts).
 */
static void test_window_wrap(void **state)
{
	struct gen_opts o = { .dst_ip = PEER_IP, .dst_port = 7, .src_port = 9000, .flows = 1,
			      .burst = 24, .size = 64, .rate = 1000000000ull, .count = 70000,
			      .loops = 1, .speed = 1.0 };
	struct rte_mbuf *f[64];

	assert_int_equal(gen_up(&o), 0);
	for (int round = 0; round < 4000 && A->c.rx < 70000; round++) {
		uint16_t n, k;

		tern_sched_run_once(F.core);
		n = tern_port_rx_burst(F.peer, 0, f, 64);
		for (uint16_t i = 0; i < n; i++)
			eng_turn_around(f[i]);
		k = tern_port_tx_burst(F.peer, 0, f, n);
		assert_int_equal(k, n);
	}
	assert_int_equal(A->c.tx, 70000);
	assert_int_equal(A->c.rx, 70000);
	assert_int_equal(A->c.dup + A->c.late + A->c.bad, 0);
	assert_int_equal(A->tick->count, 70000);
	assert_int_equal(A->flows[0].next_seq, 70000);
	assert_int_equal(A->c.alloc_fail + A->c.tx_retry, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_reply_classes, teardown),
		cmocka_unit_test_teardown(test_window_wrap, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
