/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet input: frames for our MAC or broadcast, IPv4 or ARP. Everything
 * else is dropped under a named counter.
 */
#include <string.h>

#include "engine_internal.h"

/* rte_is_same_ether_addr() in a 32-bit and a 16-bit compare. */
static inline bool eth_is_ours(const struct rte_ether_addr *a, const struct rte_ether_addr *mac)
{
	uint32_t a4, m4;
	uint16_t a2, m2;

	memcpy(&a4, a->addr_bytes, 4);
	memcpy(&m4, mac->addr_bytes, 4);
	memcpy(&a2, a->addr_bytes + 4, 2);
	memcpy(&m2, mac->addr_bytes + 4, 2);
	return ((a4 ^ m4) | (uint32_t)(a2 ^ m2)) == 0;
}

void eng_eth_in(struct tern_engine *eng, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;
	bool bcast;

	if (TERN_UNLIKELY(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN))
		goto runt;
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	/* Ours first: the common case costs one compare, not two. */
	bcast = !eth_is_ours(&eh->dst_addr, &eng->mac);
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
