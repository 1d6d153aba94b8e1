/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum (RFC 1071) for headers and small datagrams, in the
 * engine's hot path when the port offers no checksum offload (memif, ring,
 * af_packet, ...).
 *
 * DPDK 22.11's rte_raw_cksum() adds one 16-bit word per step; on a 64-byte
 * echo its IPv4 and UDP checks cost 327 instructions a packet, half of the
 * whole echo path (bench/cg/tern-cg-echo-path). Here 64-bit words are added
 * with an end-around carry (add, then add-with-carry of zero: a one's
 * complement sum on 64 bits) and folded to 16 bits at the end (RFC 1071
 * 2(B) and 2(C): the sum does not depend on the word size or the byte
 * order, as long as what is compared or stored is in memory order too).
 * The results equal DPDK's for every length; the engine tests check it
 * against rte_raw_cksum() on random data and on all-ones data (a carry at
 * every step).
 */
#ifndef TERN_ENGINE_CKSUM_H
#define TERN_ENGINE_CKSUM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

/* a + b in one's complement on 64 bits: the carry out comes back in at
 * the bottom (2^64 = 1 mod 2^16 - 1, so the 16-bit sum is unchanged).
 * Compiles to add and adc $0 (GCC 12 makes the carry of "s < b" with setb
 * and movzbl, three more instructions per word, in an unrolled loop). */
static inline uint64_t eng_add_c(uint64_t a, uint64_t b)
{
	uint64_t s;
	unsigned c = __builtin_add_overflow(a, b, &s);

	return s + c;
}

/* Adds n 64-bit words at b to sum. */
static inline uint64_t eng_sum_words(const uint8_t *b, unsigned n, uint64_t sum)
{
	uint64_t q;

	for (unsigned i = 0; i < n; i++) {
		memcpy(&q, b + 8 * i, 8);
		sum = eng_add_c(sum, q);
	}
	return sum;
}

/* Adds len bytes at p to sum, as 16-bit words in memory order (an odd last
 * byte padded with a zero byte after it). Whole blocks of 32 bytes, then
 * one test per bit of the rest: a short datagram costs no loop control. */
static inline uint64_t eng_sum(const void *p, uint32_t len, uint64_t sum)
{
	const uint8_t *b = p;
	uint32_t w;
	uint16_t h;

	for (; len >= 32; len -= 32, b += 32)
		sum = eng_sum_words(b, 4, sum);
	if (len & 16) {
		sum = eng_sum_words(b, 2, sum);
		b += 16;
	}
	if (len & 8) {
		sum = eng_sum_words(b, 1, sum);
		b += 8;
	}
	if (len & 4) {
		memcpy(&w, b, 4);
		sum = eng_add_c(sum, w);
		b += 4;
	}
	if (len & 2) {
		memcpy(&h, b, 2);
		sum = eng_add_c(sum, h);
		b += 2;
	}
	/* the first byte in memory is the low-order one: little-endian only
	 * (x86-64 and AArch64 Linux; asserted below) */
	if (len & 1)
		sum = eng_add_c(sum, *b);
	return sum;
}

/* Folds a sum of eng_sum() to 16 bits (memory order), without complement:
 * 64 to 32 bits with an end-around carry, then the two halves added in the
 * top half of lo + (lo rotated by 16), where the low half's carry out is
 * the end-around carry (Linux's csum_fold() does the same). Zero only for
 * a zero sum, like rte_raw_cksum(). */
static inline uint16_t eng_fold32(uint32_t lo);

static inline uint16_t eng_fold(uint64_t sum)
{
	uint32_t hi = (uint32_t)(sum >> 32), lo = (uint32_t)sum + hi;

	lo += lo < hi;
	return eng_fold32(lo);
}

/* eng_fold() of a sum below 2^32 (a few 16-bit words added to a folded
 * sum, say): only its last step, three instructions fewer. */
static inline uint16_t eng_fold32(uint32_t lo)
{
	return (uint16_t)((lo + ((lo << 16) | (lo >> 16))) >> 16);
}

/* The sum of an IPv4 header of hlen bytes (20..60, a multiple of 4): the
 * usual 20 in three loads, options (rare) after in a plain loop of 32-bit
 * words, which needs few registers: on the hot path of a caller that
 * inlines it, eng_sum()'s unrolled blocks cost register saves for every
 * header, options or not. */
static inline uint64_t eng_ipv4_hdr_sum(const struct rte_ipv4_hdr *ip, uint16_t hlen)
{
	const uint8_t *b = (const uint8_t *)ip;
	uint64_t q0, q1;
	uint32_t w;
	uint64_t sum;

	memcpy(&q0, b, 8);
	memcpy(&q1, b + 8, 8);
	memcpy(&w, b + 16, 4);
	sum = eng_add_c(eng_add_c(q0, q1), w);
	for (uint16_t i = sizeof(*ip); i < hlen; i += 4) {
		memcpy(&w, b + i, 4);
		sum = eng_add_c(sum, w);
	}
	return sum;
}

/* True when the IPv4 header of hlen bytes (20..60) sums to all ones. */
static inline bool eng_ipv4_hdr_cksum_ok(const struct rte_ipv4_hdr *ip, uint16_t hlen)
{
	return eng_fold(eng_ipv4_hdr_sum(ip, hlen)) == 0xffff;
}

/* The IPv4 pseudo-header of a datagram of proto with l4_len bytes. */
static inline uint64_t eng_phdr_sum(const struct rte_ipv4_hdr *ip, uint8_t proto, uint16_t l4_len)
{
	uint64_t addrs; /* source and destination: adjacent, one load */

	memcpy(&addrs, &ip->src_addr, 8);
	return eng_add_c(addrs, (uint32_t)rte_cpu_to_be_16(proto) + rte_cpu_to_be_16(l4_len));
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

/*
 * RFC 1624 eqn. 3: a checksum field @p hc after one 16-bit word of what it
 * covers changed from @p old to @p new, without reading the rest back (a
 * re-read right after narrow stores to it stalls on store forwarding; it
 * cost a third of the echo reply path). Raw words in, memory order.
 */
static inline uint16_t eng_cksum_adjust(uint16_t hc, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~hc + (uint32_t)(uint16_t)~old + new;

	/* fold with the end-around carry, as eng_fold() ends */
	return (uint16_t)~((s + ((s << 16) | (s >> 16))) >> 16);
}

/*
 * Sets the byte at @p b (IPv4's TTL, ICMP's type), the first of a 16-bit
 * word covered by the 16-bit checksum field at @p field, to @p v, and
 * adjusts the field (both in packet memory, any alignment). The new word
 * is made in a register and stored whole: a byte store read back by a word
 * load fails store forwarding, a stall that was half of the UDP reply's
 * time in the memif echo loop.
 */
static inline void eng_set_byte_adjust(void *b, uint8_t v, void *field)
{
	uint16_t old_w, new_w, f;

	memcpy(&old_w, b, 2);
	new_w = (uint16_t)((old_w & RTE_BE16(0x00ff)) | rte_cpu_to_be_16((uint16_t)(v << 8)));
	memcpy(b, &new_w, 2);
	memcpy(&f, field, 2);
	f = eng_cksum_adjust(f, old_w, new_w);
	memcpy(field, &f, 2);
}

/*
 * RX checksum offload flags, one rule for every receive path (rx_fast.h,
 * ipv4_in.c, udp_in.c): the GOOD bit, set in GOOD and in NONE ("not
 * correct in the packet data, but the integrity ... is verified",
 * rte_mbuf_core.h), passes; BAD fails; UNKNOWN (the virtual ports the
 * engine mostly runs on offer none) is computed.
 */
static inline bool eng_rx_ipv4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
					uint16_t hlen)
{
	uint64_t f = m->ol_flags;

	if (f & RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	if (f & RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return false;
	return eng_ipv4_hdr_cksum_ok(ip, hlen);
}

/* The same for a UDP datagram of len bytes at uh, whose checksum 0 is RFC
 * 768's "none computed". */
static inline bool eng_rx_udp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
				       const void *uh, uint16_t len)
{
	uint64_t f = m->ol_flags;
	uint16_t c;

	memcpy(&c, (const uint8_t *)uh + 6, 2); /* dgram_cksum */
	if (c == 0 || (f & RTE_MBUF_F_RX_L4_CKSUM_GOOD))
		return true;
	if (f & RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	return eng_l4_cksum_ok(ip, IPPROTO_UDP, uh, len);
}

_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN,
	       "eng_sum() adds an odd last byte as the low-order one");

#endif
