/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datagrams larger than the MTU that the peer of test_frag_out.c and
 * test_frag_big.c sends, built whole in a buffer (then sent in pieces):
 * UDP and ICMP echo, their payload byte i the test's pattern(i).
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

#endif
