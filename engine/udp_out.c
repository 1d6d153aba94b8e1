/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP output: replies made in place from the received datagram (echo's
 * zero-copy path) and sends to an address through IPv4 and ARP. A datagram
 * over the MTU, or a chain of mbufs, takes the slow paths: its checksum is
 * summed in software over every segment (no NIC checksums a datagram that
 * leaves in fragments) and ipv4_frag_out.c fragments it.
 */
#include <string.h>

#include <rte_udp.h>

#include "cksum.h"
#include "engine_internal.h"
#include "neigh.h"
#include "rx_fast.h"

#define UDP_MAX_PAYLOAD (ENG_MTU - 20 - 8)
#define UDP_MAX_DGRAM (65535 - 20 - 8) /* payload of the largest IPv4 datagram */
/* What udp_cksum and eng_ipv4_hdr may ask of the NIC; cleared when a
 * send fails and the mbuf goes back to its caller. */
#define UDP_TX_FLAGS (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM)

/*
 * The checksum of a finished datagram (ip and udp headers filled): in
 * software, or by the NIC when the port granted UDP checksum offload; then
 * the field holds the pseudo-header sum, as DPDK's offload contract asks
 * (drivers that compute it themselves, like tap, overwrite it).
 */
static void udp_cksum(struct tern_engine *eng, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		      struct rte_udp_hdr *uh)
{
	if (eng->offloads & TERN_OFFLOAD_UDP_CKSUM_TX) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
		m->l4_len = sizeof(*uh);
		uh->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		return;
	}
	uh->dgram_cksum = 0;
	uh->dgram_cksum = eng_udp_cksum(ip, uh, rte_be_to_cpu_16(uh->dgram_len));
}

/*
 * Swaps the headers of a received datagram in place. Only the IPv4 header
 * checksum changes (TTL); the UDP checksum covers the same words in another
 * order, so it holds unless the payload changed.
 */
static void udp_swap(struct tern_engine *eng, struct rte_ether_hdr *eh,
		     struct rte_ipv4_hdr *ip, struct rte_udp_hdr *uh)
{
	uint32_t a = ip->src_addr;
	uint16_t p = uh->src_port;

	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&eng->mac, &eh->src_addr);
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	/* TTL and protocol: one word */
	eng_set_byte_adjust(&ip->time_to_live, 64, &ip->hdr_checksum);
	uh->src_port = uh->dst_port;
	uh->dst_port = p;
}

/*
 * The checksum of a datagram that is a chain or leaves in fragments, in
 * software over every segment; the UDP header is at byte uh_off of m.
 */
static void udp_cksum_chain(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, struct rte_udp_hdr *uh,
			    uint32_t uh_off)
{
	uint16_t len = rte_be_to_cpu_16(uh->dgram_len);
	uint16_t c;

	m->ol_flags &= ~UDP_TX_FLAGS;
	uh->dgram_cksum = 0;
	c = eng_cksum(eng_sum_chain(m, uh_off, len, eng_phdr_sum(ip, IPPROTO_UDP, len)));
	uh->dgram_cksum = c == 0 ? 0xffff : c; /* RFC 768: 0 is "none" */
}

/*
 * Fresh 20-byte IP and UDP headers just before the payload (options
 * dropped, lengths new, UDP checksum not yet), keeping the peer's MAC.
 */
static void udp_rebuild_hdrs(struct tern_engine *eng, struct rte_mbuf *m,
			     struct rte_ether_hdr *old_eh, struct rte_ipv4_hdr *old_ip,
			     struct rte_udp_hdr *old_uh)
{
	struct rte_ether_addr peer = old_eh->src_addr;
	uint32_t src = rte_be_to_cpu_32(old_ip->src_addr), dst = rte_be_to_cpu_32(old_ip->dst_addr);
	uint16_t sport = old_uh->src_port, dport = old_uh->dst_port;
	uint16_t len = rte_pktmbuf_pkt_len(m) + sizeof(struct rte_udp_hdr);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, ENG_HDRS);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	eh->dst_addr = peer;
	rte_ether_addr_copy(&eng->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	eng_ipv4_hdr(eng, m, ip, IPPROTO_UDP, dst, src, sizeof(*ip) + len);
	uh->src_port = dport;
	uh->dst_port = sport;
	uh->dgram_len = rte_cpu_to_be_16(len);
}

/* udp_rebuild_hdrs() and the checksum, for a one-segment datagram. */
static void udp_rebuild(struct tern_engine *eng, struct rte_mbuf *m, struct rte_ether_hdr *old_eh,
			struct rte_ipv4_hdr *old_ip, struct rte_udp_hdr *old_uh)
{
	struct rte_ipv4_hdr *ip;

	udp_rebuild_hdrs(eng, m, old_eh, old_ip, old_uh);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	udp_cksum(eng, m, ip, (struct rte_udp_hdr *)(ip + 1));
}

/*
 * tern_udp_reply() of what the inline path does not take: a datagram over
 * the MTU (reassembled, or grown by the caller) or a chain, swapped in
 * place or rebuilt as the inline path would, then fragmented. Anything
 * else it refuses has no room for the headers: not a received datagram.
 * Out of line, so the inline path keeps nothing for it.
 */
static __attribute__((noinline)) int udp_reply_big(struct tern_udp_sock *s,
						   const struct tern_udp_dgram *d, unsigned flags)
{
	struct rte_mbuf *m = d->m;
	struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
							 -(int)sizeof(struct rte_udp_hdr));
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)((char *)uh - m->l3_len);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)((char *)ip - m->l2_len);
	struct rte_ether_addr peer = eh->src_addr;
	int rc;

	if (rte_pktmbuf_headroom(m) < ENG_HDRS || m->l4_len != sizeof(*uh))
		return -EINVAL;
	if (rte_pktmbuf_pkt_len(m) > UDP_MAX_DGRAM)
		return -EMSGSIZE;
	if ((flags & TERN_UDP_REPLY_UNCHANGED) && (m->tx_offload & ENG_LENS_MASK) == ENG_UDP_LENS) {
		/* the sender's checksum holds, as on the inline path */
		udp_swap(s->eng, eh, ip, uh);
		rte_pktmbuf_prepend(m, ENG_HDRS - RTE_ETHER_HDR_LEN);
	} else {
		udp_rebuild_hdrs(s->eng, m, eh, ip, uh);
		rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
		ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
		udp_cksum_chain(m, ip, (struct rte_udp_hdr *)(ip + 1), sizeof(*ip));
	}
	rc = eng_ipv4_frag_tx(s->eng, m, &peer);
	if (rc < 0) {
		rte_pktmbuf_adj(m, ENG_HDRS - RTE_ETHER_HDR_LEN); /* the caller's datagram again */
		m->ol_flags &= ~UDP_TX_FLAGS;
		return rc;
	}
	s->st.tx++;
	return 0;
}

/*
 * tern_udp_reply(), inlined into the burst. The checks keep the writes in
 * place safe whatever the caller did to the mbuf since it was received;
 * the usual datagram (20-byte IP header, payload unchanged) is one compare
 * of its three lengths, and its headers sit at fixed offsets.
 */
static inline int udp_reply(struct tern_udp_sock *s, const struct tern_udp_dgram *d,
			    unsigned flags)
{
	struct rte_mbuf *m = d->m;
	char *data;
	int rc;

	if (TERN_UNLIKELY(rte_pktmbuf_headroom(m) < ENG_HDRS || m->nb_segs != 1 ||
			  rte_pktmbuf_pkt_len(m) > UDP_MAX_PAYLOAD))
		return udp_reply_big(s, d, flags);
	/* only now: made before the checks, the pointer cost the common
	 * path a register copy for udp_reply_big's sake (one instruction
	 * per echo, bench/cg/tern-cg-echo-path 352.05 -> 351.05) */
	data = rte_pktmbuf_mtod(m, char *);
	if (TERN_LIKELY((flags & TERN_UDP_REPLY_UNCHANGED) &&
			(m->tx_offload & ENG_LENS_MASK) == ENG_UDP_LENS)) {
		struct rte_ether_hdr *eh = (struct rte_ether_hdr *)(data - ENG_HDRS);

		udp_swap(s->eng, eh, (struct rte_ipv4_hdr *)(eh + 1),
			 (struct rte_udp_hdr *)(data - sizeof(struct rte_udp_hdr)));
		/* rte_pktmbuf_prepend(), its headroom check made above */
		m->data_off -= ENG_HDRS;
		m->data_len += ENG_HDRS;
		m->pkt_len += ENG_HDRS;
	} else {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(data - sizeof(*uh));
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)((char *)uh - m->l3_len);

		if (TERN_UNLIKELY(m->l4_len != sizeof(*uh)))
			return -EINVAL;
		udp_rebuild(s->eng, m, (struct rte_ether_hdr *)((char *)ip - m->l2_len), ip, uh);
	}
	rc = eng_tx(s->eng, m);
	if (TERN_UNLIKELY(rc < 0)) {
		rte_pktmbuf_adj(m, ENG_HDRS); /* the caller's datagram again */
		m->ol_flags &= ~UDP_TX_FLAGS;
		return rc;
	}
	s->st.tx++;
	return 0;
}

int tern_udp_reply(struct tern_udp_sock *s, const struct tern_udp_dgram *d, unsigned flags)
{
	return udp_reply(s, d, flags);
}

uint16_t tern_udp_reply_burst(struct tern_udp_sock *s, const struct tern_udp_dgram *d,
			      uint16_t n, unsigned flags)
{
	uint16_t k = 0;

	while (k < n && udp_reply(s, &d[k], flags) == 0)
		k++;
	return k;
}

/* Prepends IPv4 and UDP headers to the payload in m. */
static int udp_build(struct tern_udp_sock *s, struct rte_mbuf *m, uint32_t dst, uint16_t port)
{
	uint32_t plen = rte_pktmbuf_pkt_len(m);
	uint16_t len = (uint16_t)(plen + sizeof(struct rte_udp_hdr));
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *uh;

	if (dst == 0 || port == 0 || rte_pktmbuf_headroom(m) < ENG_HDRS)
		return -EINVAL;
	if (plen > UDP_MAX_DGRAM)
		return -EMSGSIZE;
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip) + sizeof(*uh));
	uh = (struct rte_udp_hdr *)(ip + 1);
	eng_ipv4_hdr(s->eng, m, ip, IPPROTO_UDP, s->eng->ip, dst, sizeof(*ip) + len);
	uh->src_port = rte_cpu_to_be_16(s->port);
	uh->dst_port = rte_cpu_to_be_16(port);
	uh->dgram_len = rte_cpu_to_be_16(len);
	if (TERN_LIKELY(m->nb_segs == 1 && plen <= UDP_MAX_PAYLOAD))
		udp_cksum(s->eng, m, ip, uh);
	else
		udp_cksum_chain(m, ip, uh, sizeof(*ip));
	return 0;
}

/* The errors of eng_ipv4_out() (and udp_build()) after which m is still
 * the sender's; the others mean the engine took it. */
static bool udp_send_refused(intptr_t rc)
{
	return rc == -ENETUNREACH || rc == -ENOBUFS || rc == -ENOSPC || rc == -EINVAL ||
	       rc == -EMSGSIZE || rc == -ENOMEM || rc == -EAGAIN;
}

intptr_t tern_udp_sendto(struct tern_udp_sock *s, struct rte_mbuf *m, uint32_t ip,
			 uint16_t port, tern_token_t tok)
{
	intptr_t rc;

	if (s == NULL || m == NULL)
		return -EINVAL;
	rc = udp_build(s, m, ip, port);
	if (rc < 0)
		return rc;
	rc = eng_ipv4_out(s->eng, m, ip, tok);
	if (udp_send_refused(rc)) {
		rte_pktmbuf_adj(m, ENG_HDRS - RTE_ETHER_HDR_LEN); /* the caller's payload again */
		m->ol_flags &= ~UDP_TX_FLAGS;
		return rc;
	}
	s->st.tx++;
	return rc;
}

intptr_t tern_udp_sendto_burst(struct tern_udp_sock *s, struct rte_mbuf **m, uint16_t n,
			       uint32_t ip, uint16_t port, tern_token_t tok)
{
	uint16_t k = 0;
	intptr_t rc = 0;

	while (k < n) {
		rc = tern_udp_sendto(s, m[k], ip, port, tok);
		if (udp_send_refused(rc))
			break;
		k++; /* taken, even when its resolution failed */
		if (rc < 0)
			break;
	}
	return k > 0 ? k : rc;
}
