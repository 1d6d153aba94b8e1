/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reassembled datagrams larger than one mbuf, on a ring pair and a virtual
 * clock, with the default 2 KiB mbufs: a 4000-byte UDP datagram in three
 * fragments reaches its socket in one jumbo buffer, byte for byte, and so
 * does an 11000-byte one in eight (the most DPDK 22.11 reassembles); its
 * reply and a 4000-byte ping's leave in fragments that point into the
 * jumbo buffer, which goes back to its pool once they are sent. With
 * every jumbo buffer taken, the datagram is dropped as ip_frag_big; nine
 * fragments are dropped by the library's limit, as ip_frag. Every test
 * checks the conservation law and both pools' mbufs back at the baseline.
 */
#include "frag_test.h"

#define JUMBO 4              /* jumbo buffers of the pool: few, to run out */
#define PIECE 1480           /* IP payload of a fragment at a 1500 MTU */
#define FRAG_WAIT_NS (UINT64_C(2100) * 1000 * 1000) /* past the 2 s default */

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct rte_mempool *jumbo_mp;
static struct eng_fix F;
static uint8_t wire[65536];       /* the datagram the peer sends */
static uint8_t back[65536];       /* what came back, put together */
static uint32_t base_main;        /* the main pool's mbufs in use at the start */

static int group_setup(void **state)
{
	struct tern_mbuf_pool_conf pc = eng_test_pool_conf(1, 512);

	pc.jumbo = JUMBO;
	if (eng_test_pool_make("frag_big", &pc, &eal, &pool, &F.mp) < 0)
		return -1;
	jumbo_mp = tern_mbuf_pool_jumbo(pool);
	/* The point of the test: a 4000-byte datagram does not fit one mbuf. */
	if (jumbo_mp == NULL || rte_pktmbuf_data_room_size(F.mp) >= RTE_PKTMBUF_HEADROOM + 4000)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	return eng_test_pool_down(eal, pool);
}

static int setup(void **state)
{
	if (eng_fix_up(&F, pool, "fb", 0, &eng_sched_virtual,
		       (struct tern_engine_conf){ .ip = ENG_IP }) < 0 || eng_fix_drain_garp(&F) < 0)
		return -1;
	base_main = rte_mempool_in_use_count(F.mp);
	return rte_mempool_in_use_count(jumbo_mp) == 0 ? 0 : -1;
}

/* Both pools back where the test started, then the fixture's own checks. */
static int teardown(void **state)
{
	uint32_t m = rte_mempool_in_use_count(F.mp), j = rte_mempool_in_use_count(jumbo_mp);

	if (m != base_main || j != 0) {
		fprintf(stderr, "in use: %u mbufs (%u at the start), %u jumbo\n", m, base_main, j);
		return -1;
	}
	return eng_fix_teardown(&F, pool);
}

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 13 + (i >> 8) + 5);
}

/* The peer sends the datagram in wire in PIECE-byte fragments, in order
 * or last first; returns how many. */
static uint16_t peer_send(uint16_t id, bool reversed)
{
	return frag_peer_send(&F, (const struct rte_ipv4_hdr *)wire, id, PIECE, reversed);
}

/* Takes one datagram queued on s (not a task: it must be there). */
static struct tern_udp_dgram take(struct tern_udp_sock *s)
{
	struct tern_udp_dgram d;

	assert_int_equal(tern_udp_recv(s, &d, TERN_TOKEN_NONE), 0);
	return d;
}

/* d is the datagram in wire, whole in one segment of a jumbo buffer. */
static void check_jumbo_dgram(const struct tern_udp_dgram *d, uint16_t sport, uint32_t len)
{
	const uint8_t *p = d->data;

	assert_ptr_equal(d->m->pool, jumbo_mp);
	assert_int_equal(d->m->nb_segs, 1);
	assert_int_equal(d->len, len);
	assert_int_equal(rte_pktmbuf_pkt_len(d->m), len);
	assert_ptr_equal(d->data, rte_pktmbuf_mtod(d->m, void *));
	assert_int_equal(d->src_port, sport);
	assert_int_equal(d->src_ip, PEER_IP);
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != pattern(i))
			fail_msg("byte %u is %u, sent %u", i, p[i], pattern(i));
}

/*
 * Takes n frames from the peer side: fragments of one datagram from us,
 * none over the MTU, each in one segment, put together in back by their
 * offsets. Returns its total length.
 */
static uint32_t peer_collect(uint16_t n)
{
	struct rte_mbuf *f[16];
	uint32_t total;

	assert_true(n <= 16);
	assert_int_equal(eng_peer_rx(&F, f, 16), n);
	for (uint16_t i = 0; i < n; i++)
		assert_int_equal(f[i]->nb_segs, 1); /* net_ring: no chains asked for */
	total = frag_put_together(f, n, back, sizeof(back), 1500);
	rte_pktmbuf_free_bulk(f, n);
	return total;
}

/* ---------------------------------------------------------- delivered */

/* 4000 bytes in 3 fragments (in order, then last first): one jumbo
 * buffer on the socket, the right bytes; freeing it gives it back. */
static void test_4000_one_jumbo(void **state)
{
	struct tern_udp_sock *s;
	struct tern_engine_stats st;

	assert_int_equal(tern_udp_bind(F.eng, 7, NULL, &s), 0);
	for (int r = 0; r < 2; r++) {
		struct tern_udp_dgram d;

		frag_udp_build(wire, 40000, 7, 4000, pattern);
		assert_int_equal(peer_send((uint16_t)(0x100 + r), r == 1), 3);
		eng_pump(&F);
		d = take(s);
		check_jumbo_dgram(&d, 40000, 4000);
		assert_int_equal(rte_mempool_in_use_count(jumbo_mp), 1);
		rte_pktmbuf_free(d.m);
		assert_int_equal(rte_mempool_in_use_count(jumbo_mp), 0);
	}
	st = eng_stats(&F);
	assert_int_equal(st.rx_packets, 6);
	assert_int_equal(st.ip_reassembled, 2);
	assert_int_equal(st.udp_delivered, 2);
	assert_int_equal(st.delivered, 6); /* 2 x (2 merged + 1 queued) */
	assert_int_equal(tern_engine_drops_total(&st), 0);
	assert_int_equal(st.ip_frag_held, 0);
	assert_int_equal(rte_mempool_in_use_count(F.mp), base_main);
	assert_int_equal(tern_udp_close(s), 0);
	eng_assert_conserved(&F);
}

/* 11000 bytes: 8 fragments, the most the library takes, into one jumbo
 * buffer; the reply (headers swapped, checksum kept) leaves in 8
 * fragments pointing into it, and it goes back once they are sent. */
static void test_11000_eight_pieces_and_reply(void **state)
{
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)(back + 20);
	struct tern_engine_stats st;
	struct tern_udp_sock *s;
	struct tern_udp_dgram d;

	assert_int_equal(tern_udp_bind(F.eng, 7, NULL, &s), 0);
	frag_udp_build(wire, 40001, 7, 11000, pattern);
	assert_int_equal(peer_send(0x200, false), 8);
	eng_pump(&F);
	d = take(s);
	check_jumbo_dgram(&d, 40001, 11000);
	assert_int_equal(tern_udp_reply(s, &d, TERN_UDP_REPLY_UNCHANGED), 0);
	eng_pump(&F);
	assert_int_equal(peer_collect(8), 28 + 11000);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), 7);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), 40001);
	assert_int_equal(__rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)back, uh), 0xffff);
	assert_memory_equal(uh + 1, wire + 28, 11000);
	assert_int_equal(rte_mempool_in_use_count(jumbo_mp), 0);
	assert_int_equal(eng_stats(&F).ip_frag_out_pkts, 8);
	st = eng_stats(&F);
	assert_int_equal(st.ip_reassembled, 1);
	assert_int_equal(st.ip_frag_out, 1);
	assert_int_equal(tern_engine_drops_total(&st), 0);
	assert_int_equal(tern_udp_close(s), 0);
	eng_assert_conserved(&F);
}

/* ping -s 4000: reassembled into a jumbo buffer, answered in 3 fragments
 * with the same data to the MAC it came from (no ARP), the buffer back
 * once they are sent. */
static void test_ping_4000(void **state)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)wire;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	const struct rte_icmp_hdr *rc = (const struct rte_icmp_hdr *)(back + 20);
	uint8_t *p = (uint8_t *)(ic + 1);

	frag_ping_build(wire, 0x77, 3, 4000, pattern);
	assert_int_equal(peer_send(0x300, false), 3);
	eng_pump(&F);
	assert_int_equal(peer_collect(3), 28 + 4000);
	assert_int_equal(rc->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(rc->icmp_ident, RTE_BE16(0x77));
	assert_int_equal(rte_raw_cksum(rc, 8 + 4000), 0xffff);
	assert_memory_equal(rc + 1, p, 4000);
	assert_int_equal(eng_stats(&F).icmp_echo_replies, 1);
	assert_int_equal(eng_stats(&F).ip_reassembled, 1);
	assert_int_equal(rte_mempool_in_use_count(jumbo_mp), 0);
	eng_assert_conserved(&F);
}

/* ------------------------------------------------------------ dropped */

/* Every jumbo buffer taken: the reassembled datagram is dropped as
 * ip_frag_big, its fragments freed; once one is back, the next arrives. */
static void test_jumbo_exhausted(void **state)
{
	struct rte_mbuf *h[JUMBO];
	struct tern_udp_sock *s;
	struct tern_udp_dgram d;
	struct tern_engine_stats st;

	assert_int_equal(tern_udp_bind(F.eng, 7, NULL, &s), 0);
	assert_int_equal(rte_pktmbuf_alloc_bulk(jumbo_mp, h, JUMBO), 0);
	frag_udp_build(wire, 40002, 7, 4000, pattern);
	assert_int_equal(peer_send(0x400, false), 3);
	eng_pump(&F);
	st = eng_stats(&F);
	assert_int_equal(st.drops.ip_frag_big, 1);
	assert_int_equal(tern_engine_drops_total(&st), 1);
	assert_int_equal(st.ip_reassembled, 1);
	assert_int_equal(st.udp_delivered, 0);
	assert_int_equal(st.ip_frag_held, 0);
	assert_int_equal(tern_udp_recv(s, &d, TERN_TOKEN_NONE), -EPERM); /* nothing queued */
	assert_int_equal(rte_mempool_in_use_count(F.mp), base_main);
	assert_int_equal(rte_mempool_in_use_count(jumbo_mp), JUMBO);
	eng_assert_conserved(&F);

	rte_pktmbuf_free(h[0]);
	assert_int_equal(peer_send(0x401, false), 3);
	eng_pump(&F);
	d = take(s);
	check_jumbo_dgram(&d, 40002, 4000);
	rte_pktmbuf_free(d.m);
	rte_pktmbuf_free_bulk(h + 1, JUMBO - 1);
	assert_int_equal(eng_stats(&F).drops.ip_frag_big, 1);
	assert_int_equal(tern_udp_close(s), 0);
	eng_assert_conserved(&F);
}

/*
 * Nine fragments (an 11900-byte payload): over DPDK 22.11's 8 pieces.
 * Whatever the order, 8 go to the library's death row at once (the seventh
 * middle piece finds no slot: it and the 7 held) and the ninth starts an
 * entry that never completes and times out: all 9 in ip_frag, no jumbo
 * buffer taken, nothing delivered.
 */
static void nine_pieces(bool reversed)
{
	struct tern_udp_sock *s;
	struct tern_udp_dgram d;
	struct tern_engine_stats st;

	assert_int_equal(RTE_LIBRTE_IP_FRAG_MAX_FRAG, 8); /* Debian's DPDK 22.11 */
	assert_int_equal(tern_udp_bind(F.eng, 7, NULL, &s), 0);
	frag_udp_build(wire, 40003, 7, 11900, pattern);
	assert_int_equal(peer_send(0x500, reversed), 9);
	eng_pump(&F);
	st = eng_stats(&F);
	assert_int_equal(st.drops.ip_frag, 8);
	assert_int_equal(st.ip_frag_held, 1);
	assert_int_equal(rte_mempool_in_use_count(jumbo_mp), 0);
	eng_assert_conserved(&F);
	assert_int_equal(tern_sched_advance(F.core, FRAG_WAIT_NS), 0);
	eng_pump(&F);
	st = eng_stats(&F);
	assert_int_equal(st.drops.ip_frag, 9);
	assert_int_equal(tern_engine_drops_total(&st), 9);
	assert_int_equal(st.ip_frag_held, 0);
	assert_int_equal(st.ip_reassembled, 0);
	assert_int_equal(st.udp_delivered, 0);
	assert_int_equal(tern_udp_recv(s, &d, TERN_TOKEN_NONE), -EPERM);
	assert_int_equal(rte_mempool_in_use_count(F.mp), base_main);
	assert_int_equal(tern_udp_close(s), 0);
	eng_assert_conserved(&F);
}

static void test_nine_pieces_in_order(void **state)
{
	nine_pieces(false);
}

static void test_nine_pieces_last_first(void **state)
{
	nine_pieces(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_4000_one_jumbo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_11000_eight_pieces_and_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_4000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jumbo_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nine_pieces_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nine_pieces_last_first, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
