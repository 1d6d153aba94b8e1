/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 output: the header, the next hop (on link, or the gateway), and the
 * neighbour's MAC from the ARP table (slow path in arp.c when missing).
 * Datagrams over the MTU are fragmented (ipv4_frag_out.c).
 */
#include "cksum.h"
#include "engine_internal.h"
#include "neigh.h"

/*
 * Fills m's 20-byte header ip; the checksum in software unless the port
 * granted IPv4 checksum offload, then m asks the NIC for it (m->l2_len is
 * set by eth_out before the burst leaves).
 */
void eng_ipv4_hdr(struct tern_engine *eng, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		  uint8_t proto, uint32_t src, uint32_t dst, uint16_t total_len)
{
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(total_len);
	ip->packet_id = rte_cpu_to_be_16(eng->ip_id++);
	ip->fragment_offset = 0;
	ip->time_to_live = ENG_TTL;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = 0;
	m->l3_len = sizeof(*ip);
	if (eng->offloads & TERN_OFFLOAD_IPV4_CKSUM_TX)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = eng_cksum(eng_ipv4_hdr_sum(ip, sizeof(*ip)));
}

/*
 * m's data starts at a complete IPv4 header for dst. Returns 0 when m is
 * the engine's (sent or queued on ARP), or an error with m the caller's
 * (-ENETUNREACH, -ENOBUFS, -ENOSPC), or the resolution's end for a task
 * that waited (-EHOSTUNREACH: freed; -ECANCELED/-ETIMEDOUT: still queued).
 * A datagram over the MTU, or a chain, goes to eng_ipv4_out_big()
 * (ipv4_frag_out.c), which adds its own errors.
 */
intptr_t eng_ipv4_out(struct tern_engine *eng, struct rte_mbuf *m, uint32_t dst,
		      tern_token_t tok)
{
	static const struct rte_ether_addr bcast = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};
	struct eng_arp_entry *e;
	uint32_t nh;

	m->l3_len = sizeof(struct rte_ipv4_hdr);
	if (TERN_UNLIKELY(rte_pktmbuf_pkt_len(m) > ENG_MTU || m->nb_segs != 1))
		return eng_ipv4_out_big(eng, m, dst, tok);
	if (TERN_UNLIKELY(eng_ip_bcast(eng, dst)))
		return eng_eth_out(eng, m, &bcast, RTE_ETHER_TYPE_IPV4);
	if (!eng_ipv4_next_hop(eng, dst, &nh))
		return -ENETUNREACH;
	e = eng_arp_lookup(eng, nh);
	if (TERN_LIKELY(eng_neigh_fresh(eng, e)))
		return eng_eth_out(eng, m, &e->mac, RTE_ETHER_TYPE_IPV4);
	return eng_arp_out_slow(eng, m, nh, tok);
}
