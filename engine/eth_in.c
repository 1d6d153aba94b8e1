/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet input: frames for our MAC or broadcast, IPv4 or ARP. Everything
 * else is dropped under a named counter.
 */
#include <string.h>

#include "engine_internal.h"

void eng_eth_in(struct tern_engine *eng, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;
	bool bcast;

	if (TERN_UNLIKELY(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN))
		goto runt;
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	/* Ours first: the common case costs one compare, not two. */
	bcast = !eng_eth_is_ours(&eh->dst_addr, &eng->mac);
	if (TERN_UNLIKELY(bcast && !rte_is_broadcast_ether_addr(&eh->dst_addr)))
		goto not_ours;
	if (TERN_LIKELY(eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
		eng_ipv4_in(eng, m, bcast);
		return;
	}
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		eng_arp_in(eng, m);
		return;
	}
	ENG_DROP(eng, m, eth_type);
	return;
runt:
	/* A runt in the first segment only: the headers must be contiguous. */
	ENG_DROP(eng, m, eth_runt);
	return;
not_ours:
	ENG_DROP(eng, m, eth_not_ours);
}
