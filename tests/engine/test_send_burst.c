/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_udp_sendto_burst(), whose headers come from a template made once per
 * burst, against tern_udp_sendto() one datagram at a time: on a ring pair
 * and a virtual clock, the same payloads are sent both ways and the frames
 * compared byte for byte. The only field that may differ is the IPv4 id
 * (the engine's counter moved on by one per datagram), so the test sets the
 * per-packet frame's id to the burst's and recomputes its header checksum
 * with DPDK's rte_ipv4_cksum() first; the burst's ids must then follow the
 * per-packet ones by exactly the count sent. Cases: a static neighbour, a
 * learnt one and its ageing, the gateway route, a mix of small datagrams
 * and ones over the MTU (fragmented), an unresolved neighbour (queued, and
 * awaited in a task), TX checksum offload, a full TX buffer, refusals, and
 * a socket that sends no UDP checksum (0, with and without offload; its
 * datagrams turned around are taken by the engine's receive path).
 * Every test ends with every mbuf back (teardown) and checks the
 * conservation law when it fed the engine frames.
 *
 * The pool's mbufs hold 4.4 KB so that a 4000-byte payload is one segment.
 */
#include "eng_test.h"

/* The ring pair grants no checksum offload; the offload test plays a port
 * that does by setting the bits tern_engine_create() copied from
 * tern_port_offloads() (eng->offloads), which only the engine reads. */
#include "../../engine/engine_internal.h"

#define DATA_ROOM (RTE_PKTMBUF_HEADROOM + 4480)
#define GW_IP 0x0a0000feu     /* 10.0.0.254 */
#define FAR_IP 0xc0a80709u    /* 192.168.7.9: off the subnet */
#define SPORT 5353
#define DPORT 6000
#define MAXF 64               /* frames one comparison takes */

static const struct rte_ether_addr gw_mac = {{ 0x02, 0, 0, 0, 0, 0xfe }};
static const struct rte_ether_addr bcast_mac = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct eng_fix F;
static struct tern_udp_sock *S;
static bool no_cksum;         /* S sends no UDP checksum: check_frame() wants 0 */

static int group_setup(void **state)
{
	struct tern_mbuf_pool_conf pc = eng_test_pool_conf(1, 2048);

	pc.data_room = DATA_ROOM;
	return eng_test_pool_make("send_burst", &pc, &eal, &pool, &F.mp);
}

static int group_teardown(void **state)
{
	return eng_test_pool_down(eal, pool);
}

/* A ring pair, a core on a virtual clock, an engine with a gateway, and a
 * socket on SPORT. */
static int setup(void **state)
{
	if (eng_fix_up(&F, pool, "sb", 0, &eng_sched_virtual,
		       (struct tern_engine_conf){ .ip = ENG_IP, .gateway = GW_IP }) < 0 ||
	    eng_fix_drain_garp(&F) < 0)
		return -1;
	return tern_udp_bind(F.eng, SPORT, NULL, &S);
}

static int teardown(void **state)
{
	no_cksum = false;
	if (tern_udp_close(S) < 0)
		return -1;
	return eng_fix_teardown(&F, pool);
}

static void add_static(uint32_t ip, const struct rte_ether_addr *mac)
{
	assert_int_equal(tern_arp_add_static(F.eng, ip, mac->addr_bytes), 0);
}

/* A one-segment payload of len bytes, different for each seed. */
static struct rte_mbuf *payload(uint32_t len, uint32_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(F.mp);
	uint8_t *p;

	assert_non_null(m);
	p = len == 0 ? NULL : (uint8_t *)rte_pktmbuf_append(m, len);
	assert_true(len == 0 || p != NULL);
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 8) + 1);
	return m;
}

/* Frames the engine sent, after one round of its core. */
static uint16_t collect(struct rte_mbuf **f, uint16_t max)
{
	eng_pump(&F);
	return eng_peer_rx(&F, f, max);
}

static struct rte_ipv4_hdr *ip_of(struct rte_mbuf *m)
{
	return eng_ip_of(m);
}

static bool more_frags(const struct rte_ipv4_hdr *ip)
{
	return (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_MF_FLAG) != 0;
}

static bool is_frag(const struct rte_ipv4_hdr *ip)
{
	return (rte_be_to_cpu_16(ip->fragment_offset) &
		(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

/*
 * One frame to dst through next-hop MAC mac: addresses, header checksum
 * (in software unless ip_off), and for a whole datagram its UDP checksum
 * (valid in software, the pseudo-header sum with udp_off) and ports.
 */
static void check_frame(struct rte_mbuf *f, uint32_t dst, const struct rte_ether_addr *mac,
			bool ip_off, bool udp_off)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(f, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = ip_of(f);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	assert_int_equal(f->nb_segs, 1);
	assert_memory_equal(&eh->dst_addr, mac, 6);
	assert_memory_equal(&eh->src_addr, &F.eng_mac, 6);
	assert_int_equal(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_int_equal(ip->version_ihl, RTE_IPV4_VHL_DEF);
	assert_int_equal(ip->time_to_live, 64);
	assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
	assert_int_equal(ip->src_addr, rte_cpu_to_be_32(ENG_IP));
	assert_int_equal(ip->dst_addr, rte_cpu_to_be_32(dst));
	assert_int_equal(rte_be_to_cpu_16(ip->total_length) + RTE_ETHER_HDR_LEN,
			 rte_pktmbuf_pkt_len(f));
	if (ip_off) {
		assert_int_equal(ip->hdr_checksum, 0);
		assert_true(f->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	} else {
		assert_int_equal(rte_ipv4_cksum(ip), 0); /* sums to all ones */
	}
	if (is_frag(ip))
		return;
	assert_int_equal(uh->src_port, rte_cpu_to_be_16(SPORT));
	assert_int_equal(uh->dst_port, rte_cpu_to_be_16(DPORT));
	assert_int_equal(rte_be_to_cpu_16(uh->dgram_len),
			 rte_be_to_cpu_16(ip->total_length) - sizeof(*ip));
	if (no_cksum) {
		/* RFC 768's "none", and nothing asked of the NIC */
		assert_int_equal(uh->dgram_cksum, 0);
		assert_false(f->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
	} else if (udp_off) {
		assert_true(f->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
		assert_int_equal(f->l4_len, sizeof(*uh));
		assert_int_equal(uh->dgram_cksum, rte_ipv4_phdr_cksum(ip, f->ol_flags));
	} else {
		uint16_t c = uh->dgram_cksum;

		/* DPDK's own sum gives the field (0 sent as 0xffff) */
		uh->dgram_cksum = 0;
		assert_int_equal(rte_ipv4_udptcp_cksum(ip, uh), c);
		uh->dgram_cksum = c;
	}
}

/*
 * Frame b (burst) against frame a (per packet) of the same datagram, sent
 * `later` datagrams later: b's id is a's plus later, and with a's id and
 * header checksum made so, the frames are the same bytes; the mbufs ask
 * the NIC for the same offloads with the same lengths.
 */
static void same_but_id(struct rte_mbuf *a, struct rte_mbuf *b, uint16_t later, bool ip_off)
{
	struct rte_ipv4_hdr *ia = ip_of(a), *ib = ip_of(b);

	assert_int_equal(rte_pktmbuf_pkt_len(a), rte_pktmbuf_pkt_len(b));
	assert_int_equal(rte_be_to_cpu_16(ib->packet_id),
			 (uint16_t)(rte_be_to_cpu_16(ia->packet_id) + later));
	ia->packet_id = ib->packet_id;
	if (!ip_off) {
		ia->hdr_checksum = 0;
		ia->hdr_checksum = rte_ipv4_cksum(ia);
	}
	assert_memory_equal(rte_pktmbuf_mtod(a, void *), rte_pktmbuf_mtod(b, void *),
			    rte_pktmbuf_data_len(a));
	assert_int_equal(a->ol_flags, b->ol_flags);
	assert_int_equal(a->l2_len, b->l2_len);
	assert_int_equal(a->l3_len, b->l3_len);
	assert_int_equal(a->l4_len, b->l4_len);
}

/* The ids of frames f[0..n-1] in order: the fragments of one datagram
 * share one, each datagram has the next. */
static void ids_consecutive(struct rte_mbuf **f, uint16_t n)
{
	for (uint16_t i = 1; i < n; i++) {
		struct rte_ipv4_hdr *p = ip_of(f[i - 1]), *c = ip_of(f[i]);
		uint16_t step = more_frags(p) ? 0 : 1;

		assert_int_equal(rte_be_to_cpu_16(c->packet_id),
				 (uint16_t)(rte_be_to_cpu_16(p->packet_id) + step));
	}
}

/* Frames of a datagram with a payload of len bytes. */
static uint16_t frames_for(uint32_t len)
{
	return len + 8 <= 1480 ? 1 : (uint16_t)((len + 8 + 1479) / 1480);
}

/*
 * The payloads of lens[0..n-1] to dst, per packet and then as one burst;
 * every frame checked, the two runs' frames compared.
 */
static void run_both(const uint32_t *lens, uint16_t n, uint32_t dst,
		     const struct rte_ether_addr *mac)
{
	struct rte_mbuf *a[MAXF], *b[MAXF], *m[MAXF];
	bool ip_off = F.eng->offloads & TERN_OFFLOAD_IPV4_CKSUM_TX;
	bool udp_off = F.eng->offloads & TERN_OFFLOAD_UDP_CKSUM_TX;
	struct tern_udp_sock_stats ss;
	uint16_t want = 0, na, nb;
	uint64_t tx0;

	for (uint16_t i = 0; i < n; i++)
		want += frames_for(lens[i]);
	tern_udp_sock_stats(S, &ss);
	tx0 = ss.tx;
	assert_true(want <= MAXF);
	for (uint16_t i = 0; i < n; i++)
		assert_int_equal(tern_udp_sendto(S, payload(lens[i], i), dst, DPORT,
						 TERN_TOKEN_NONE), 0);
	na = collect(a, MAXF);
	for (uint16_t i = 0; i < n; i++)
		m[i] = payload(lens[i], i);
	assert_int_equal(tern_udp_sendto_burst(S, m, n, dst, DPORT, TERN_TOKEN_NONE), n);
	nb = collect(b, MAXF);
	assert_int_equal(na, want);
	assert_int_equal(nb, want);
	for (uint16_t i = 0; i < nb; i++) {
		/* a fragment carries no offload request (ipv4_frag_out.c) */
		bool frag = is_frag(ip_of(b[i]));

		check_frame(b[i], dst, mac, ip_off && !frag, udp_off && !frag);
		same_but_id(a[i], b[i], n, ip_off && !frag);
	}
	ids_consecutive(b, nb);
	ids_consecutive(a, na);
	tern_udp_sock_stats(S, &ss);
	assert_int_equal(ss.tx - tx0, 2u * n);
	rte_pktmbuf_free_bulk(a, na);
	rte_pktmbuf_free_bulk(b, nb);
}

/* The lengths of small datagrams the template path takes: every parity
 * and tail of eng_sum(), 0, and the largest that fits the MTU. */
static const uint32_t small[] = { 0, 1, 2, 3, 7, 8, 17, 18, 31, 32, 33, 63, 64, 100,
				  1000, 1471, 1472 };
#define NSMALL (uint16_t)(sizeof(small) / sizeof(small[0]))

static void test_static_neighbour(void **state)
{
	add_static(PEER_IP, &peer_mac);
	run_both(small, NSMALL, PEER_IP, &peer_mac);
}

static void test_gateway(void **state)
{
	add_static(GW_IP, &gw_mac);
	run_both(small, NSMALL, FAR_IP, &gw_mac);
}

static void test_broadcast(void **state)
{
	run_both(small, 4, 0x0a0000ffu, &bcast_mac); /* 10.0.0.255 */
	run_both(small, 4, 0xffffffffu, &bcast_mac);
}

/* A full burst of 32, the size tern-gen sends. */
static void test_full_burst(void **state)
{
	uint32_t lens[32];

	for (int i = 0; i < 32; i++)
		lens[i] = 18 + (uint32_t)i * 45;
	add_static(PEER_IP, &peer_mac);
	run_both(lens, 32, PEER_IP, &peer_mac);
}

/* Over the MTU in the middle of a burst: those are fragmented by the
 * per-packet path, in their place among the others. */
static void test_mixed_big(void **state)
{
	static const uint32_t lens[] = { 100, 4000, 200, 1472, 1473, 50, 2961, 0 };

	add_static(PEER_IP, &peer_mac);
	run_both(lens, 8, PEER_IP, &peer_mac);
	assert_int_equal(eng_stats(&F).ip_frag_out, 2 * 3);
}

/* A port that computes the checksums: the offload requests and the
 * pseudo-header sum as the per-packet path makes them. */
static void test_offload(void **state)
{
	static const uint32_t lens[] = { 0, 1, 18, 64, 1472, 3000, 33 };

	add_static(PEER_IP, &peer_mac);
	F.eng->offloads |= TERN_OFFLOAD_IPV4_CKSUM_TX | TERN_OFFLOAD_UDP_CKSUM_TX;
	run_both(small, NSMALL, PEER_IP, &peer_mac);
	run_both(lens, 7, PEER_IP, &peer_mac);
	F.eng->offloads &= ~TERN_OFFLOAD_IPV4_CKSUM_TX;
	run_both(small, NSMALL, PEER_IP, &peer_mac);
}

/* Frame f of ours turned around as an echo would, back into the engine. */
static void turn_around(struct rte_mbuf *f)
{
	eng_turn_around(f);
	eng_peer_tx(&F, f);
}

/*
 * A socket set to send no UDP checksum: every datagram, from the template
 * and the per-packet path alike, carries 0 and asks the NIC for nothing
 * (a fragmented one's first fragment too); with offload, only the IPv4
 * header's is asked. Turned around, the small ones reach S intact, none
 * counted as a bad checksum. Set on again, the checksums come back.
 */
static void test_no_cksum(void **state)
{
	static const uint32_t lens[] = { 0, 1, 18, 64, 1472, 3000, 33 };
	struct rte_mbuf *f[MAXF], *m;
	struct tern_udp_dgram d;
	uint16_t n;

	add_static(PEER_IP, &peer_mac);
	assert_int_equal(tern_udp_sock_set_tx_cksum(NULL, false), -EINVAL);
	assert_int_equal(tern_udp_sock_set_tx_cksum(S, false), 0);
	no_cksum = true;
	run_both(small, NSMALL, PEER_IP, &peer_mac);
	run_both(lens, 7, PEER_IP, &peer_mac);
	F.eng->offloads |= TERN_OFFLOAD_IPV4_CKSUM_TX | TERN_OFFLOAD_UDP_CKSUM_TX;
	run_both(lens, 7, PEER_IP, &peer_mac);
	F.eng->offloads &= ~(TERN_OFFLOAD_IPV4_CKSUM_TX | TERN_OFFLOAD_UDP_CKSUM_TX);

	/* a fragmented one: the first fragment holds the UDP header */
	assert_int_equal(tern_udp_sendto(S, payload(3000, 1), PEER_IP, DPORT,
					 TERN_TOKEN_NONE), 0);
	n = collect(f, MAXF);
	assert_int_equal(n, frames_for(3000));
	assert_true(more_frags(ip_of(f[0])));
	assert_int_equal(((struct rte_udp_hdr *)(ip_of(f[0]) + 1))->dgram_cksum, 0);
	rte_pktmbuf_free_bulk(f, n);

	/* received: a burst of the small ones, turned around to S */
	for (uint16_t i = 0; i < 8; i++)
		f[i] = payload(small[i], i);
	assert_int_equal(tern_udp_sendto_burst(S, f, 8, PEER_IP, DPORT, TERN_TOKEN_NONE), 8);
	assert_int_equal(collect(f, MAXF), 8);
	for (uint16_t i = 0; i < 8; i++)
		turn_around(f[i]);
	eng_pump(&F);
	for (uint16_t i = 0; i < 8; i++) {
		m = payload(small[i], i); /* the bytes sent */
		assert_int_equal(tern_udp_recv(S, &d, TERN_TOKEN_NONE), 0);
		assert_int_equal(d.len, small[i]);
		assert_int_equal(d.src_port, DPORT);
		assert_memory_equal(d.data, rte_pktmbuf_mtod(m, void *), small[i]);
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(d.m);
	}
	assert_int_equal(eng_stats(&F).drops.udp_cksum, 0);
	eng_assert_conserved(&F);

	assert_int_equal(tern_udp_sock_set_tx_cksum(S, true), 0);
	no_cksum = false;
	run_both(small, NSMALL, PEER_IP, &peer_mac);
}

/* True when f is an ARP request from us for ip. */
static bool is_arp_request(struct rte_mbuf *f, uint32_t ip)
{
	struct rte_arp_hdr *a = rte_pktmbuf_mtod_offset(f, struct rte_arp_hdr *,
							RTE_ETHER_HDR_LEN);

	return rte_pktmbuf_mtod(f, struct rte_ether_hdr *)->ether_type ==
	       RTE_BE16(RTE_ETHER_TYPE_ARP) && a->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) &&
	       a->arp_data.arp_tip == rte_cpu_to_be_32(ip);
}

/* Sends a burst of n small datagrams; returns what the call returned. */
static intptr_t burst_of(uint16_t n, uint32_t dst, tern_token_t tok)
{
	struct rte_mbuf *m[MAXF];
	intptr_t k;

	for (uint16_t i = 0; i < n; i++)
		m[i] = payload(20 + i, i);
	k = tern_udp_sendto_burst(S, m, n, dst, DPORT, tok);
	for (intptr_t i = k < 0 ? 0 : k; i < n; i++)
		rte_pktmbuf_free(m[i]);
	return k;
}

/*
 * A learnt neighbour: fresh, the template path; past arp_ttl_ms (60 s by
 * default), the burst goes per packet: the entry is resolved again (one
 * request, arp_stale) and the newest ENG_ARP_PENDING datagrams wait for
 * the answer (the older ones counted in arp_pending_dropped), as before.
 */
static void test_learnt_and_aged(void **state)
{
	struct rte_mbuf *f[MAXF];
	struct tern_engine_stats st;
	uint16_t n;

	/* The peer asks for us (unicast): learnt; answered. */
	eng_peer_tx(&F, eng_arp_frame(&F, RTE_ARP_OP_REQUEST, PEER_IP, &peer_mac, ENG_IP, false));
	assert_int_equal(collect(f, MAXF), 1);
	rte_pktmbuf_free(f[0]);
	assert_int_equal(burst_of(8, PEER_IP, TERN_TOKEN_NONE), 8);
	assert_int_equal(collect(f, MAXF), 8);
	for (uint16_t i = 0; i < 8; i++)
		check_frame(f[i], PEER_IP, &peer_mac, false, false);
	ids_consecutive(f, 8);
	rte_pktmbuf_free_bulk(f, 8);

	assert_int_equal(tern_sched_advance(F.core, 61ull * 1000 * 1000 * 1000), 0);
	eng_pump(&F); /* the engine's clock reads the core's once per poll */
	assert_int_equal(burst_of(8, PEER_IP, TERN_TOKEN_NONE), 8); /* queued: taken */
	n = collect(f, MAXF);
	assert_int_equal(n, 1);
	assert_true(is_arp_request(f[0], PEER_IP));
	rte_pktmbuf_free(f[0]);
	st = eng_stats(&F);
	assert_int_equal(st.arp_stale, 1);
	assert_int_equal(st.arp_pending_dropped, 8 - 4);

	eng_peer_tx(&F, eng_arp_reply(&F));
	n = collect(f, MAXF);
	assert_int_equal(n, 4); /* the newest four */
	for (uint16_t i = 0; i < n; i++) {
		check_frame(f[i], PEER_IP, &peer_mac, false, false);
		assert_int_equal(rte_pktmbuf_pkt_len(f[i]), ENG_HDRS + 20 + 4 + i);
	}
	ids_consecutive(f, n);
	rte_pktmbuf_free_bulk(f, n);
	eng_assert_conserved(&F);
}

struct burst_arg {
	uint16_t n;
	intptr_t rc;
};

static intptr_t burst_task(void *arg)
{
	struct burst_arg *a = arg;

	a->rc = burst_of(a->n, PEER_IP, TERN_TOKEN_NONE);
	return 0;
}

/*
 * An unresolved neighbour, in a task: the first datagram is queued and the
 * task awaits the answer, as tern_udp_sendto() does; once it came, the
 * rest of the burst leaves through the template, in order after the first.
 */
static void test_unresolved_task(void **state)
{
	struct burst_arg a = { .n = 16, .rc = 1 };
	struct rte_mbuf *f[MAXF];
	tern_task_t t;
	uint16_t n;

	assert_int_equal(tern_task_spawn(burst_task, &a, &(struct tern_task_opts){
		.sched = F.core, .name = "burst" }, &t), 0);
	n = collect(f, MAXF);
	assert_int_equal(a.rc, 1); /* waiting */
	assert_int_equal(n, 1);
	assert_true(is_arp_request(f[0], PEER_IP));
	rte_pktmbuf_free(f[0]);
	eng_peer_tx(&F, eng_arp_reply(&F));
	n = collect(f, MAXF);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(a.rc, 16);
	n += eng_peer_rx(&F, f + n, MAXF - n);
	assert_int_equal(n, 16);
	for (uint16_t i = 0; i < n; i++) {
		check_frame(f[i], PEER_IP, &peer_mac, false, false);
		assert_int_equal(rte_pktmbuf_pkt_len(f[i]), ENG_HDRS + 20 + i);
	}
	ids_consecutive(f, n);
	rte_pktmbuf_free_bulk(f, n);
	assert_int_equal(eng_stats(&F).arp_pending_dropped, 0);
	eng_assert_conserved(&F);
}

/* Refusals: nothing taken, every mbuf still the caller's and unchanged. */
static void test_refused(void **state)
{
	struct rte_mbuf *m[4];

	for (int i = 0; i < 4; i++)
		m[i] = payload(30, (uint32_t)i);
	assert_int_equal(tern_udp_sendto_burst(S, m, 4, PEER_IP, 0, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_udp_sendto_burst(S, m, 4, 0, DPORT, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_udp_sendto_burst(NULL, m, 4, PEER_IP, DPORT, TERN_TOKEN_NONE),
			 -EINVAL);
	assert_int_equal(tern_udp_sendto_burst(S, NULL, 4, PEER_IP, DPORT, TERN_TOKEN_NONE),
			 -EINVAL);
	assert_int_equal(tern_udp_sendto_burst(S, m, 0, PEER_IP, DPORT, TERN_TOKEN_NONE), 0);
	add_static(PEER_IP, &peer_mac);
	/* short headroom in the third: two taken, the rest the caller's */
	m[2]->data_off = ENG_HDRS - 1;
	assert_int_equal(tern_udp_sendto_burst(S, m, 4, PEER_IP, DPORT, TERN_TOKEN_NONE), 2);
	assert_int_equal(m[2]->data_off, ENG_HDRS - 1);
	assert_int_equal(rte_pktmbuf_pkt_len(m[2]), 30);
	assert_int_equal(rte_pktmbuf_pkt_len(m[3]), 30);
	assert_int_equal(m[3]->ol_flags, 0);
	assert_int_equal(collect(m, 2), 2);
	check_frame(m[0], PEER_IP, &peer_mac, false, false);
	check_frame(m[1], PEER_IP, &peer_mac, false, false);
	rte_pktmbuf_free_bulk(m, 4);
}

/* Off the subnet without a gateway: -ENETUNREACH, nothing taken. */
static void test_no_route(void **state)
{
	struct rte_mbuf *m[2] = { payload(10, 0), payload(10, 1) };

	F.eng->gateway = 0; /* as an engine made without one */
	assert_int_equal(tern_udp_sendto_burst(S, m, 2, FAR_IP, DPORT, TERN_TOKEN_NONE),
			 -ENETUNREACH);
	assert_int_equal(rte_pktmbuf_pkt_len(m[0]), 10);
	assert_int_equal(m[0]->ol_flags, 0);
	rte_pktmbuf_free_bulk(m, 2);
}

/*
 * The TX buffer full (the peer never reads, the ring and the engine's
 * buffer fill): the burst returns how many it took, tx_full counts the
 * refusal, and the first one not taken is the caller's payload again.
 */
static void test_tx_full(void **state)
{
	struct rte_mbuf *m[32];
	uint64_t taken = 0, sent0 = eng_stats(&F).tx_packets;
	intptr_t k = 32;

	add_static(PEER_IP, &peer_mac);
	for (int round = 0; round < 64 && k == 32; round++) {
		for (int i = 0; i < 32; i++)
			m[i] = payload(40, (uint32_t)i);
		k = tern_udp_sendto_burst(S, m, 32, PEER_IP, DPORT, TERN_TOKEN_NONE);
		assert_true(k >= 0);
		taken += (uint64_t)k;
		if (k < 32) {
			assert_int_equal(rte_pktmbuf_pkt_len(m[k]), 40);
			assert_int_equal(rte_pktmbuf_headroom(m[k]), RTE_PKTMBUF_HEADROOM);
			assert_int_equal(m[k]->ol_flags, 0);
			rte_pktmbuf_free_bulk(m + k, 32 - (unsigned)k);
		}
	}
	assert_true(k < 32); /* bounded: the ring and the buffer hold far less */
	assert_int_equal(eng_stats(&F).tx_full, 1);
	while (eng_peer_drain(&F) > 0) /* the ring, then the buffer behind it */
		eng_pump(&F);
	assert_int_equal(eng_stats(&F).tx_packets - sent0, taken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_static_neighbour, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learnt_and_aged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unresolved_task, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_cksum, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
