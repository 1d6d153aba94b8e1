/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum (RFC 1071) for headers and small datagrams, in the
 * engine's hot path when the port offers no checksum offload (memif, ring,
 * af_packet, ...).
 *
 * DPDK 22.11's rte_raw_cksum() adds one 16-bit word per step; on a 64-byte
 * echo its IPv4 and UDP checks cost 327 instructions a packet, half of the
 * whole echo path (bench/cg/tern-cg-echo-path). Here 32-bit words go into a
 * 64-bit sum, which cannot overflow below 2^32 words, and the carries are
 * folded once at the end (RFC 1071 2(B) and 2(C): the sum does not depend on
 * the word size or the byte order, as long as what is compared or stored is
 * in memory order too). The results equal DPDK's for every length; the
 * engine tests check it against rte_raw_cksum() on random data.
 */
#ifndef TERN_ENGINE_CKSUM_H
#define TERN_ENGINE_CKSUM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

/* Adds len bytes at p to sum, as 16-bit words in memory order (an odd last
 * byte padded with a zero byte after it). */
static inline uint64_t eng_sum(const void *p, uint32_t len, uint64_t sum)
{
	const uint8_t *b = p;
	uint32_t w;
	uint16_t h = 0;

	for (; len >= 8; len -= 8, b += 8) {
		uint32_t w2;

		memcpy(&w, b, 4);
		memcpy(&w2, b + 4, 4);
		sum += (uint64_t)w + w2;
	}
	if (len >= 4) {
		memcpy(&w, b, 4);
		sum += w;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, b, 2);
		sum += h;
		b += 2;
		len -= 2;
	}
	if (len) {
		h = 0;
		memcpy(&h, b, 1);
		sum += h;
	}
	return sum;
}

/* Folds a sum of eng_sum() to 16 bits (memory order), without complement. */
static inline uint16_t eng_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* True when the IPv4 header of hlen bytes (20..60) sums to all ones. */
static inline bool eng_ipv4_hdr_cksum_ok(const struct rte_ipv4_hdr *ip, uint16_t hlen)
{
	return eng_fold(eng_sum(ip, hlen, 0)) == 0xffff;
}

/* The IPv4 pseudo-header of a datagram of proto with l4_len bytes. */
static inline uint64_t eng_phdr_sum(const struct rte_ipv4_hdr *ip, uint8_t proto, uint16_t l4_len)
{
	return (uint64_t)ip->src_addr + ip->dst_addr + rte_cpu_to_be_16(proto) +
	       rte_cpu_to_be_16(l4_len);
}

/* True when a UDP or TCP datagram of l4_len bytes at l4 (checksum field
 * included) sums to all ones with its pseudo-header. */
static inline bool eng_l4_cksum_ok(const struct rte_ipv4_hdr *ip, uint8_t proto,
				   const void *l4, uint16_t l4_len)
{
	return eng_fold(eng_sum(l4, l4_len, eng_phdr_sum(ip, proto, l4_len))) == 0xffff;
}

/* The checksum field for a header or datagram whose field is zero now:
 * the complement of its sum (memory order). */
static inline uint16_t eng_cksum(uint64_t sum)
{
	return (uint16_t)~eng_fold(sum);
}

/* The UDP checksum field of a datagram of l4_len bytes at uh (field zero):
 * a computed 0 goes out as 0xffff, 0 meaning "none" (RFC 768). */
static inline uint16_t eng_udp_cksum(const struct rte_ipv4_hdr *ip, const void *uh,
				     uint16_t l4_len)
{
	uint16_t c = eng_cksum(eng_sum(uh, l4_len, eng_phdr_sum(ip, IPPROTO_UDP, l4_len)));

	return c == 0 ? 0xffff : c;
}

#endif
