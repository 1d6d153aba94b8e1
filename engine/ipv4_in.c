/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 input (RFC 791, RFC 1122 3.2.1): header checks in the order that
 * makes each later check safe, then reassembly of fragments (ipv4_frag.c),
 * then ICMP or UDP.
 */
#include "cksum.h"
#include "engine_internal.h"

#define IP_FRAG_MASK RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)

/* A whole datagram (IP header checked, l2_len and l3_len set) to its
 * protocol. */
static void ipv4_up(struct tern_engine *eng, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		    bool bcast)
{
	if (TERN_LIKELY(ip->next_proto_id == IPPROTO_UDP)) {
		eng_udp_in(eng, m, ip, bcast);
		return;
	}
	if (ip->next_proto_id == IPPROTO_ICMP) {
		if (bcast) /* no answers to broadcast pings */
			goto icmp_bcast;
		eng_icmp_in(eng, m, ip);
		return;
	}
	ENG_DROP(eng, m, ip_proto);
	return;
icmp_bcast:
	ENG_DROP(eng, m, icmp_type);
}

/* A fragment: held, dropped, or the last one of a datagram, which goes up
 * whole. Out of line: the fast path then keeps nothing across a call. */
static __attribute__((noinline)) void ipv4_frag_up(struct tern_engine *eng, struct rte_mbuf *m,
						   bool bcast)
{
	m = eng_frag_in(eng, m);
	if (m != NULL)
		ipv4_up(eng, m, rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							RTE_ETHER_HDR_LEN), bcast);
}

void eng_ipv4_in(struct tern_engine *eng, struct rte_mbuf *m, bool l2_bcast)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  RTE_ETHER_HDR_LEN);
	uint32_t frame = rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN;
	bool bcast = l2_bcast;    /* link or IP broadcast: never answered */
	uint16_t hlen, tlen;
	uint32_t dst;

	/* Headers must sit in the first segment; a chain is linearized
	 * nowhere, so it is checked like a runt. */
	if (TERN_UNLIKELY(m->nb_segs != 1 || frame < sizeof(*ip)))
		goto runt;
	/* Version 4 and no options: one compare for both checks below. */
	if (TERN_LIKELY(ip->version_ihl == RTE_IPV4_VHL_DEF)) {
		hlen = sizeof(*ip);
	} else {
		if (TERN_UNLIKELY((ip->version_ihl >> 4) != 4))
			goto version;
		hlen = (ip->version_ihl & 0xf) * 4;
		if (TERN_UNLIKELY(hlen < sizeof(*ip) || hlen > frame))
			goto ihl;
	}
	tlen = rte_be_to_cpu_16(ip->total_length);
	if (TERN_UNLIKELY(tlen < hlen || tlen > frame))
		goto len;
	if (TERN_UNLIKELY(!eng_rx_ipv4_cksum_ok(m, ip, hlen)))
		goto cksum;
	/* RFC 1122 3.2.1.7: TTL 1 is fine for a host; 0 is never sent. */
	if (TERN_UNLIKELY(ip->time_to_live == 0))
		goto ttl;
	dst = rte_be_to_cpu_32(ip->dst_addr);
	if (TERN_UNLIKELY(dst != eng->ip)) {
		if (!eng_ip_bcast(eng, dst))
			goto not_ours;
		bcast = true;
	}
	/* Ethernet pads short frames: the datagram ends at total length
	 * (in the one segment checked above: no chain to walk). */
	if (tlen < frame) {
		m->data_len -= frame - tlen;
		m->pkt_len -= frame - tlen;
	}
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = hlen;
	/* Every call below is the last thing done here: jumps, not calls
	 * that would need registers kept across them. */
	if (TERN_UNLIKELY(ip->fragment_offset & IP_FRAG_MASK))
		ipv4_frag_up(eng, m, bcast);
	else
		ipv4_up(eng, m, ip, bcast);
	return;
runt:
	ENG_DROP(eng, m, ip_runt);
	return;
version:
	ENG_DROP(eng, m, ip_version);
	return;
ihl:
	ENG_DROP(eng, m, ip_ihl);
	return;
len:
	ENG_DROP(eng, m, ip_len);
	return;
cksum:
	ENG_DROP(eng, m, ip_cksum);
	return;
ttl:
	ENG_DROP(eng, m, ip_ttl);
	return;
not_ours:
	ENG_DROP(eng, m, ip_not_ours);
}
