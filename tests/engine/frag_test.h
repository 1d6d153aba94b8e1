/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datagrams larger than the MTU that the peer of test_frag_out.c and
 * test_frag_big.c sends, built whole in a buffer (then sent in pieces):
 * UDP and ICMP echo, their payload byte i the test's pattern(i); the
 * pieces the peer sends them in, and the fragments the engine sends put
 * back together.
 */
#ifndef TERN_TEST_FRAG_TEST_H
#define TERN_TEST_FRAG_TEST_H

#include "eng_test.h"

typedef uint8_t frag_pattern_fn(uint32_t i);

/* A UDP datagram peer:sport -> engine:dport of len pat() bytes, built at
 * buf (28 + len bytes); returns its IPv4 header, at buf. */
static inline struct rte_ipv4_hdr *frag_udp_build(void *buf, uint16_t sport, uint16_t dport,
						  uint32_t len, frag_pattern_fn *pat)
{
	struct rte_ipv4_hdr *ip = buf;
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *p = (uint8_t *)(uh + 1);

	memset(ip, 0, sizeof(*ip));
	eng_ip_fill(ip, IPPROTO_UDP, (uint16_t)(28 + len));
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	for (uint32_t i = 0; i < len; i++)
		p[i] = pat(i);
	uh->dgram_cksum = 0;
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	return ip;
}

/* An ICMP echo request peer -> engine (ident, seq) of len pat() bytes,
 * built at buf (28 + len bytes); returns its IPv4 header, at buf. */
static inline struct rte_ipv4_hdr *frag_ping_build(void *buf, uint16_t ident, uint16_t seq,
						   uint32_t len, frag_pattern_fn *pat)
{
	struct rte_ipv4_hdr *ip = buf;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	uint8_t *p = (uint8_t *)(ic + 1);

	memset(ip, 0, sizeof(*ip) + sizeof(*ic));
	eng_ip_fill(ip, IPPROTO_ICMP, (uint16_t)(28 + len));
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_ident = rte_cpu_to_be_16(ident);
	ic->icmp_seq_nb = rte_cpu_to_be_16(seq);
	for (uint32_t i = 0; i < len; i++)
		p[i] = pat(i);
	ic->icmp_cksum = ~rte_raw_cksum(ic, 8 + len);
	return ip;
}

/* Piece [off, off + len) of the IP payload of the IPv4 datagram at ip, as
 * a frame from the peer with IPv4 id @p id (off a multiple of 8; MF unless
 * last). The caller owns it. */
static inline struct rte_mbuf *frag_piece(struct eng_fix *f, const struct rte_ipv4_hdr *ip,
					  uint16_t id, uint32_t off, uint32_t len, bool last)
{
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *fip = eng_frame(f, &m, (uint16_t)(sizeof(*ip) + len),
					     RTE_ETHER_TYPE_IPV4);

	*fip = *ip;
	memcpy(fip + 1, (const uint8_t *)(ip + 1) + off, len);
	fip->packet_id = rte_cpu_to_be_16(id);
	fip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + len));
	fip->fragment_offset = rte_cpu_to_be_16((uint16_t)((off / 8) |
					       (last ? 0 : RTE_IPV4_HDR_MF_FLAG)));
	fip->hdr_checksum = 0;
	fip->hdr_checksum = rte_ipv4_cksum(fip);
	return m;
}

/* The peer sends the datagram at ip in pieces of @p piece bytes of its IP
 * payload (a multiple of 8), in order or last first, all with IPv4 id
 * @p id; returns how many. */
static inline uint16_t frag_peer_send(struct eng_fix *f, const struct rte_ipv4_hdr *ip,
				      uint16_t id, uint32_t piece, bool reversed)
{
	uint32_t pl = rte_be_to_cpu_16(ip->total_length) - 20u;
	uint16_t n = (uint16_t)((pl + piece - 1) / piece);

	for (uint16_t k = 0; k < n; k++) {
		uint16_t i = reversed ? n - 1 - k : k;
		uint32_t off = (uint32_t)i * piece;

		eng_peer_tx(f, frag_piece(f, ip, id, off, RTE_MIN(piece, pl - off), i == n - 1));
	}
	return n;
}

/* Copies len bytes of m from off to dst (rte_pktmbuf_read() copies only
 * what spans segments). */
static inline void frag_copy_out(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *dst)
{
	const void *p = rte_pktmbuf_read(m, off, len, dst);

	assert_non_null(p);
	if (p != dst)
		memcpy(dst, p, len);
}

/*
 * Puts the n frames at frames, IPv4 fragments of one datagram from the
 * engine to the peer, together in buf (cap bytes) by their offsets, the
 * first fragment's header at the front, made the whole's (total length,
 * no fragment bits) for checksums over it. Checks each is to the peer's
 * MAC and IP with a valid header checksum, at most @p mtu bytes, and that
 * the pieces add up to the whole. Returns its total length. The frames
 * (one segment or chains) stay the caller's.
 */
static inline uint32_t frag_put_together(struct rte_mbuf *const *frames, uint16_t n,
					 uint8_t *buf, size_t cap, uint32_t mtu)
{
	uint32_t total = 0, covered = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr ehb, *eh = (void *)rte_pktmbuf_read(frames[i], 0, sizeof(ehb),
									 &ehb);
		struct rte_ipv4_hdr iph, *ip = (void *)rte_pktmbuf_read(frames[i], RTE_ETHER_HDR_LEN,
									  sizeof(iph), &iph);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		uint32_t off = (fo & RTE_IPV4_HDR_OFFSET_MASK) * 8u;
		uint32_t len = rte_be_to_cpu_16(ip->total_length) - 20u;

		assert_memory_equal(eh->dst_addr.addr_bytes, peer_mac.addr_bytes, 6);
		assert_true(len + 20 <= mtu);
		assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
		assert_int_equal(ip->dst_addr, rte_cpu_to_be_32(PEER_IP));
		assert_true(20 + off + len <= cap);
		frag_copy_out(frames[i], RTE_ETHER_HDR_LEN + 20, len, buf + 20 + off);
		if (off == 0)
			memcpy(buf, ip, 20);
		if (!(fo & RTE_IPV4_HDR_MF_FLAG))
			total = 20 + off + len; /* the last piece */
		covered += len;
	}
	assert_int_not_equal(total, 0);
	assert_int_equal(covered, total - 20);
	((struct rte_ipv4_hdr *)buf)->total_length = rte_cpu_to_be_16((uint16_t)total);
	((struct rte_ipv4_hdr *)buf)->fragment_offset = 0;
	return total;
}

#endif
