/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragmentation on output, on a ring pair and a virtual clock: UDP
 * sends of 4000 bytes (one segment) and 65507 bytes (a chain), the reply
 * to a reassembled 4000-byte datagram (headers swapped, and rebuilt), the
 * echo reply to a reassembled 4000-byte ping, a big send waiting on ARP,
 * and the pool running dry in the middle of fragmenting. The test plays
 * the peer: it checks every fragment (offset, MF, length, header checksum,
 * one ID, DF clear, at most the MTU) and puts them back together by their
 * offsets, which must give the original bytes with a valid checksum.
 * Every test checks the conservation law and ends with every mbuf back.
 *
 * The pool's mbufs hold 4.4 KB, so that the engine's reassembly of a
 * 4000-byte datagram fits its first mbuf (ipv4_frag.c linearizes it there;
 * with smaller mbufs it goes to a jumbo buffer: test_frag_big.c).
 */
#include "frag_test.h"

#define DATA_ROOM (RTE_PKTMBUF_HEADROOM + 4480)
#define MTU 1500
#define BIG 65507

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct eng_fix F;
static uint8_t wire[65536];       /* a datagram put back together */
static bool chains;               /* the port sends chains: fragments stay
                                     a header mbuf and pieces of the datagram */

static int group_setup(void **state)
{
	struct tern_mbuf_pool_conf pc = eng_test_pool_conf(1, 512);

	pc.data_room = DATA_ROOM;
	return eng_test_pool_make("frag_out", &pc, &eal, &pool, &F.mp);
}

static int group_teardown(void **state)
{
	return eng_test_pool_down(eal, pool);
}

/* A ring pair asking for multi-segment TX or not (then every fragment is
 * copied into one mbuf), a core and an engine, the peer's MAC static. */
static int setup_with(uint32_t offloads)
{
	if (eng_fix_up(&F, pool, "fo", offloads, &eng_sched_virtual,
		       (struct tern_engine_conf){ .ip = ENG_IP }) < 0)
		return -1;
	return eng_fix_drain_garp(&F);
}

static int setup(void **state)
{
	chains = false;
	return setup_with(0);
}

static int setup_multiseg(void **state)
{
	if (setup_with(TERN_OFFLOAD_MULTI_SEG_TX) < 0)
		return -1;
	chains = true;
	/* net_ring grants it: the fragments must then come as chains */
	return tern_port_offloads(F.nic) & TERN_OFFLOAD_MULTI_SEG_TX ? 0 : -1;
}

static int teardown(void **state)
{
	return eng_fix_teardown(&F, pool);
}

static void peer_static(void)
{
	assert_int_equal(tern_arp_add_static(F.eng, PEER_IP, peer_mac.addr_bytes), 0);
}

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) + 1);
}

/* A payload of len bytes of pattern(), in segments of at most seg bytes. */
static struct rte_mbuf *payload(uint32_t len, uint32_t seg)
{
	struct rte_mbuf *head = NULL;

	for (uint32_t off = 0; off < len; off += seg) {
		uint32_t n = RTE_MIN(seg, len - off);
		struct rte_mbuf *m = rte_pktmbuf_alloc(F.mp);
		uint8_t *p;

		assert_non_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, n);
		assert_non_null(p);
		for (uint32_t i = 0; i < n; i++)
			p[i] = pattern(off + i);
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	}
	return head;
}

/*
 * Takes n frames from the peer side, checks each is an IPv4 fragment of
 * one datagram from us to the peer, and puts their payloads together by
 * offset in wire (frag_put_together(), which checks the MAC and address
 * it went to, the header checksum, the MTU and the sum of the lengths);
 * here, the rest: from our MAC and IP, IHL 5, DF clear, the frame's
 * length, segments (chains or not), one ID, a multiple of 8 in every
 * piece but the last, every byte covered exactly once. Returns the
 * datagram's total length.
 */
static uint32_t peer_reassemble(uint16_t n)
{
	struct rte_mbuf *f[64];
	static uint8_t covered[65536];
	uint32_t total;
	uint16_t id = 0;

	assert_true(n <= 64);
	assert_int_equal(eng_peer_rx(&F, f, 64), n);
	total = frag_put_together(f, n, wire, sizeof(wire), MTU);
	memset(covered, 0, sizeof(covered));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr ehb, *eh = (void *)rte_pktmbuf_read(f[i], 0, sizeof(ehb), &ehb);
		struct rte_ipv4_hdr iph, *ip = (void *)rte_pktmbuf_read(f[i], RTE_ETHER_HDR_LEN,
									  sizeof(iph), &iph);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		uint16_t tlen = rte_be_to_cpu_16(ip->total_length);
		uint32_t off = (fo & RTE_IPV4_HDR_OFFSET_MASK) * 8u, len = tlen - 20u;

		assert_memory_equal(eh->src_addr.addr_bytes, F.eng_mac.addr_bytes, 6);
		assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
		assert_int_equal(ip->version_ihl, RTE_IPV4_VHL_DEF);
		assert_int_equal(ip->src_addr, rte_cpu_to_be_32(ENG_IP));
		assert_int_equal(fo & RTE_IPV4_HDR_DF_FLAG, 0);
		assert_int_equal(rte_pktmbuf_pkt_len(f[i]), RTE_ETHER_HDR_LEN + tlen);
		if (chains)
			assert_true(f[i]->nb_segs > 1);
		else
			assert_int_equal(f[i]->nb_segs, 1);
		if (i == 0)
			id = ip->packet_id;
		assert_int_equal(ip->packet_id, id);
		/* RFC 791: every piece but the last carries a multiple of 8 */
		if (fo & RTE_IPV4_HDR_MF_FLAG)
			assert_int_equal(len % 8, 0);
		/* in wire: off + len <= sizeof(wire) - 20 (frag_put_together) */
		for (uint32_t b = off; b < off + len; b++) {
			assert_int_equal(covered[b], 0);
			covered[b] = 1;
		}
	}
	rte_pktmbuf_free_bulk(f, n);
	return total;
}

/* wire holds a UDP datagram from us of len payload bytes: valid checksum,
 * the given ports, and payload byte i == pattern(i). */
static void check_udp(uint32_t total, uint32_t len, uint16_t sport, uint16_t dport)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)wire;
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	const uint8_t *p = (const uint8_t *)(uh + 1);

	assert_int_equal(total, 28 + len);
	assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
	assert_int_equal(rte_be_to_cpu_16(uh->dgram_len), 8 + len);
	assert_int_equal(rte_be_to_cpu_16(uh->src_port), sport);
	assert_int_equal(rte_be_to_cpu_16(uh->dst_port), dport);
	assert_int_not_equal(uh->dgram_cksum, 0);
	assert_int_equal(__rte_ipv4_udptcp_cksum(ip, uh), 0xffff);
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != pattern(i))
			fail_msg("payload byte %u is %u, sent %u", i, p[i], pattern(i));
}

/* Fragments an IPv4 payload needs at the MTU. */
static uint16_t frags_for(uint32_t ip_payload)
{
	return (uint16_t)((ip_payload + 1479) / 1480);
}

/* ------------------------------------------------------------ UDP send */

struct send_arg {
	struct tern_udp_sock *s;
	struct rte_mbuf *m;
	uint32_t dst;
	intptr_t rc;
};

static intptr_t send_task(void *arg)
{
	struct send_arg *a = arg;

	a->rc = tern_udp_sendto(a->s, a->m, a->dst, 6000, TERN_TOKEN_NONE);
	return 0;
}

static intptr_t run_send(struct send_arg *a)
{
	tern_task_t t;

	assert_int_equal(tern_task_spawn(send_task, a, &(struct tern_task_opts){
		.sched = F.core, .name = "send" }, &t), 0);
	eng_pump(&F);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	return a->rc;
}

static void send_and_check(uint32_t len, uint32_t seg)
{
	struct send_arg a = { .dst = PEER_IP, .rc = 1 };
	struct tern_engine_stats st;
	uint16_t n = frags_for(8 + len);

	peer_static();
	assert_int_equal(tern_udp_bind(F.eng, 5353, NULL, &a.s), 0);
	a.m = payload(len, seg);
	assert_int_equal(run_send(&a), 0);
	check_udp(peer_reassemble(n), len, 5353, 6000);
	st = eng_stats(&F);
	assert_int_equal(st.ip_frag_out, 1);
	assert_int_equal(st.ip_frag_out_pkts, n);
	assert_int_equal(st.ip_frag_out_failed, 0);
	assert_int_equal(st.tx_packets, 1 + n); /* the gratuitous ARP, then these */
	assert_int_equal(tern_udp_close(a.s), 0);
	eng_assert_conserved(&F);
}

/* 4000 bytes in one segment: three fragments (1480, 1480, 1048). */
static void test_send_4000(void **state)
{
	send_and_check(4000, 4000);
}

/* The largest datagram, 65507 bytes in a chain of 17: 45 fragments. */
static void test_send_65507_chain(void **state)
{
	send_and_check(BIG, 4000);
}

/* One byte more is -EMSGSIZE, and the mbuf is still the caller's. */
static void test_send_too_big(void **state)
{
	struct send_arg a = { .dst = PEER_IP, .rc = 1 };

	peer_static();
	assert_int_equal(tern_udp_bind(F.eng, 5353, NULL, &a.s), 0);
	a.m = payload(BIG + 1, 4000);
	assert_int_equal(run_send(&a), -EMSGSIZE);
	assert_int_equal(rte_pktmbuf_pkt_len(a.m), BIG + 1);
	rte_pktmbuf_free(a.m);
	assert_int_equal(eng_peer_drain(&F), 0);
	assert_int_equal(tern_udp_close(a.s), 0);
	eng_assert_conserved(&F);
}

/* A chain that fits the MTU leaves as one packet, not counted as
 * fragmented; its checksum spans the odd-sized segments. */
static void test_send_small_chain(void **state)
{
	struct send_arg a = { .dst = PEER_IP, .rc = 1 };

	peer_static();
	assert_int_equal(tern_udp_bind(F.eng, 5353, NULL, &a.s), 0);
	a.m = payload(1001, 333);
	assert_int_equal(a.m->nb_segs, 4);
	assert_int_equal(run_send(&a), 0);
	check_udp(peer_reassemble(1), 1001, 5353, 6000);
	assert_int_equal(eng_stats(&F).ip_frag_out, 0);
	assert_int_equal(tern_udp_close(a.s), 0);
	eng_assert_conserved(&F);
}

/* Unresolved: a task's big send waits for ARP, then leaves whole, in
 * order; outside a task it is refused with -EAGAIN once the request is
 * out, the mbuf still the caller's. */
static void test_send_waits_for_arp(void **state)
{
	struct send_arg a = { .dst = PEER_IP, .rc = 1 };
	struct rte_mbuf *r, *m;
	tern_task_t t;

	assert_int_equal(tern_udp_bind(F.eng, 5353, NULL, &a.s), 0);
	m = payload(3000, 3000);
	assert_int_equal(tern_udp_sendto(a.s, m, PEER_IP, 6000, TERN_TOKEN_NONE), -EAGAIN);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 3000);
	rte_pktmbuf_free(m);
	eng_pump(&F); /* the request leaves in the next TX burst */
	assert_int_equal(eng_peer_rx(&F, &r, 1), 1);
	assert_int_equal(rte_pktmbuf_mtod(r, struct rte_ether_hdr *)->ether_type,
			 RTE_BE16(RTE_ETHER_TYPE_ARP));
	rte_pktmbuf_free(r);
	a.m = payload(4000, 4000);
	assert_int_equal(tern_task_spawn(send_task, &a, &(struct tern_task_opts){
		.sched = F.core, .name = "send" }, &t), 0);
	eng_pump(&F);
	assert_int_equal(a.rc, 1); /* waiting */
	assert_int_equal(eng_peer_drain(&F), 0); /* within arp_retry_ms: no new request */
	eng_peer_tx(&F, eng_arp_reply(&F)); /* the peer answers */
	eng_pump(&F);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(a.rc, 0);
	check_udp(peer_reassemble(3), 4000, 5353, 6000);
	assert_int_equal(eng_stats(&F).ip_frag_out, 1);
	assert_int_equal(tern_udp_close(a.s), 0);
	eng_assert_conserved(&F);
}

/* ------------------------------------------------ replies to big requests */

/* The peer sends the datagram at ip in 1480-byte pieces, last first. */
static uint16_t peer_send_pieces(const struct rte_ipv4_hdr *ip)
{
	return frag_peer_send(&F, ip, 0x4242, 1480, true);
}

struct reply_arg {
	struct tern_udp_sock *s;
	unsigned flags;
	intptr_t rc;
	uint16_t len;
};

/* Receives one datagram and replies to it with a->flags. */
static intptr_t reply_task(void *arg)
{
	struct reply_arg *a = arg;
	struct tern_udp_dgram d;

	if (tern_udp_recv(a->s, &d, TERN_TOKEN_NONE) < 0)
		return -1;
	a->len = d.len;
	a->rc = tern_udp_reply(a->s, &d, a->flags);
	if (a->rc < 0)
		rte_pktmbuf_free(d.m); /* still ours on error */
	return 0;
}

/* A 4000-byte datagram in three pieces, reassembled by the engine, sent
 * back by tern_udp_reply() with flags: three fragments the other way. */
static void reply_big(unsigned flags)
{
	struct reply_arg a = { .flags = flags, .rc = 1 };
	struct tern_engine_stats st;
	tern_task_t t;
	uint16_t n;

	assert_int_equal(tern_udp_bind(F.eng, 7, NULL, &a.s), 0);
	assert_int_equal(tern_task_spawn(reply_task, &a, &(struct tern_task_opts){
		.sched = F.core, .name = "reply" }, &t), 0);
	eng_pump(&F);
	n = peer_send_pieces(frag_udp_build(wire, 40000, 7, 4000, pattern));
	eng_pump(&F);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(a.len, 4000);
	assert_int_equal(a.rc, 0);
	check_udp(peer_reassemble(3), 4000, 7, 40000);
	st = eng_stats(&F);
	assert_int_equal(st.rx_packets, n);
	assert_int_equal(st.ip_reassembled, 1);
	assert_int_equal(st.ip_frag_out, 1);
	assert_int_equal(st.ip_frag_out_pkts, 3);
	assert_int_equal(tern_udp_close(a.s), 0);
	eng_assert_conserved(&F);
}

/* Headers swapped in place, the sender's checksum kept. */
static void test_reply_reassembled_unchanged(void **state)
{
	reply_big(TERN_UDP_REPLY_UNCHANGED);
}

/* Headers rebuilt, the checksum summed again over the whole. */
static void test_reply_reassembled_rebuilt(void **state)
{
	reply_big(0);
}

/*
 * A big reply refused because the TX path is full (the peer never reads:
 * its ring, then the engine's buffer, fill) leaves the reassembled
 * datagram as received: the 42 header bytes before the payload, offsets,
 * lengths and flags, whether the headers were to be swapped (flags) or
 * rebuilt; the retry, once the peer drains, leaves in three fragments.
 */
static void reply_big_refused(unsigned flags)
{
	struct tern_udp_sock *s, *fill;
	struct tern_udp_dgram d;
	struct rte_mbuf *m[32];
	uint8_t hdrs[14 + 20 + 8];
	uint16_t data_off, data_len;
	uint32_t pkt_len;
	uint64_t ol_flags, tx_offload;
	intptr_t k = 32;

	peer_static();
	assert_int_equal(tern_udp_bind(F.eng, 7, NULL, &s), 0);
	assert_int_equal(tern_udp_bind(F.eng, 5353, NULL, &fill), 0);
	peer_send_pieces(frag_udp_build(wire, 40000, 7, 4000, pattern));
	eng_pump(&F);
	assert_int_equal(tern_udp_recv(s, &d, TERN_TOKEN_NONE), 0);
	assert_int_equal(d.len, 4000);
	for (int round = 0; round < 64 && k == 32; round++) {
		for (int i = 0; i < 32; i++)
			m[i] = payload(8, 8);
		k = tern_udp_sendto_burst(fill, m, 32, PEER_IP, 6000, TERN_TOKEN_NONE);
		assert_true(k >= 0 && k <= 32);
		rte_pktmbuf_free_bulk(m + k, 32 - (unsigned)k);
	}
	assert_true(k < 32);
	memcpy(hdrs, (char *)d.data - sizeof(hdrs), sizeof(hdrs));
	data_off = d.m->data_off;
	data_len = d.m->data_len;
	pkt_len = d.m->pkt_len;
	ol_flags = d.m->ol_flags;
	tx_offload = d.m->tx_offload;
	assert_int_equal(tern_udp_reply(s, &d, flags), -ENOBUFS);
	assert_memory_equal(hdrs, (char *)d.data - sizeof(hdrs), sizeof(hdrs));
	assert_int_equal(d.m->data_off, data_off);
	assert_int_equal(d.m->data_len, data_len);
	assert_int_equal(d.m->pkt_len, pkt_len);
	assert_int_equal(d.m->ol_flags, ol_flags);
	assert_int_equal(d.m->tx_offload, tx_offload);
	while (eng_peer_drain(&F) > 0) /* the ring, then the buffer behind it */
		eng_pump(&F);
	assert_int_equal(tern_udp_reply(s, &d, flags), 0);
	eng_pump(&F);
	check_udp(peer_reassemble(3), 4000, 7, 40000);
	assert_int_equal(tern_udp_close(s), 0);
	assert_int_equal(tern_udp_close(fill), 0);
	eng_assert_conserved(&F);
}

static void test_reply_big_refused_swapped(void **state)
{
	reply_big_refused(TERN_UDP_REPLY_UNCHANGED);
}

static void test_reply_big_refused_rebuilt(void **state)
{
	reply_big_refused(0);
}

/* ping -s 4000: the echo request comes in three pieces; the reply goes
 * out in three, type 0, its ICMP checksum valid over the whole. */
static void test_ping_4000(void **state)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)wire;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	uint8_t *p = (uint8_t *)(ic + 1);
	uint32_t total;

	frag_ping_build(wire, 0x1234, 1, 4000, pattern);
	peer_static();
	assert_int_equal(peer_send_pieces(ip), 3);
	eng_pump(&F);
	total = peer_reassemble(3);
	assert_int_equal(total, 28 + 4000);
	assert_int_equal(ip->next_proto_id, IPPROTO_ICMP);
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(ic->icmp_ident, RTE_BE16(0x1234));
	assert_int_equal(rte_raw_cksum(ic, 8 + 4000), 0xffff);
	for (uint32_t i = 0; i < 4000; i++)
		if (p[i] != pattern(i))
			fail_msg("echo byte %u is %u, sent %u", i, p[i], pattern(i));
	assert_int_equal(eng_stats(&F).icmp_echo_replies, 1);
	assert_int_equal(eng_stats(&F).ip_frag_out, 1);
	eng_assert_conserved(&F);
}

/* ---------------------------------------------------------- pool empty */

/* Takes every mbuf of the pool but keep; returns them in a malloc'd list. */
static struct rte_mbuf **hoard(uint32_t keep, uint32_t *n)
{
	struct tern_mbuf_pool_conf pc = eng_test_pool_conf(1, 512);
	uint32_t cap = tern_mbuf_pool_size(&pc);
	struct rte_mbuf **h = calloc(cap, sizeof(*h));
	uint32_t k = 0;

	assert_non_null(h);
	while (k < cap && (h[k] = rte_pktmbuf_alloc(F.mp)) != NULL)
		k++;
	assert_true(k >= keep);
	/* freed on this thread: the engine's core, which runs here, takes
	 * them from the same per-lcore cache */
	rte_pktmbuf_free_bulk(h + k - keep, keep);
	*n = k - keep;
	return h;
}

/*
 * Three mbufs left when a 4000-byte send needs six (a header and a piece
 * per fragment): the library fails on the fourth, frees what it made;
 * the send fails with -ENOMEM, counted, the mbuf the caller's, nothing
 * sent. The same for the reply to a reassembled datagram.
 */
static void test_pool_empty_mid_fragmenting(void **state)
{
	struct send_arg a = { .dst = PEER_IP, .rc = 1 };
	struct reply_arg r = { .flags = TERN_UDP_REPLY_UNCHANGED, .rc = 1 };
	uint32_t in_use, held;
	struct rte_mbuf **h;
	tern_task_t t;

	peer_static();
	assert_int_equal(tern_udp_bind(F.eng, 5353, NULL, &a.s), 0);
	a.m = payload(4000, 4000);
	in_use = tern_mbuf_pool_in_use(pool);
	h = hoard(3, &held);
	assert_int_equal(run_send(&a), -ENOMEM);
	assert_int_equal(rte_pktmbuf_pkt_len(a.m), 4000);
	assert_int_equal(eng_stats(&F).ip_frag_out_failed, 1);
	assert_int_equal(eng_stats(&F).ip_frag_out, 0);
	rte_pktmbuf_free_bulk(h, held);
	free(h);
	assert_int_equal(tern_mbuf_pool_in_use(pool), in_use);
	assert_int_equal(eng_peer_drain(&F), 0);
	/* sent once mbufs are back */
	assert_int_equal(run_send(&a), 0);
	check_udp(peer_reassemble(3), 4000, 5353, 6000);

	assert_int_equal(tern_udp_bind(F.eng, 7, NULL, &r.s), 0);
	assert_int_equal(tern_task_spawn(reply_task, &r, &(struct tern_task_opts){
		.sched = F.core, .name = "reply" }, &t), 0);
	eng_pump(&F);
	peer_send_pieces(frag_udp_build(wire, 40000, 7, 4000, pattern));
	/* the ring's three frames are the engine's to take; after them, 3 */
	h = hoard(3, &held);
	eng_pump(&F);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(r.len, 4000);
	assert_int_equal(r.rc, -ENOMEM);
	assert_int_equal(eng_stats(&F).ip_frag_out_failed, 2);
	rte_pktmbuf_free_bulk(h, held);
	free(h);
	assert_int_equal(eng_peer_drain(&F), 0);
	assert_int_equal(tern_udp_close(a.s), 0);
	assert_int_equal(tern_udp_close(r.s), 0);
	eng_assert_conserved(&F);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send_4000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_4000, setup_multiseg, teardown),
		cmocka_unit_test_setup_teardown(test_send_65507_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_65507_chain, setup_multiseg, teardown),
		cmocka_unit_test_setup_teardown(test_send_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_small_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_waits_for_arp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_reassembled_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_reassembled_rebuilt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_big_refused_swapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_big_refused_rebuilt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_4000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_empty_mid_fragmenting, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
