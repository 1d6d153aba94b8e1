/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet output: the header in front of a packet, then the TX buffer. */
#include "engine_internal.h"

/*
 * m's data starts at the network header; prepends the Ethernet header from
 * us to dst. Returns 0 (m is the engine's), -ENOBUFS (TX full) or -EINVAL
 * (no headroom); on error m is unchanged and stays the caller's.
 */
int eng_eth_out(struct tern_engine *eng, struct rte_mbuf *m,
		const struct rte_ether_addr *dst, uint16_t type)
{
	struct rte_ether_hdr *eh;
	int rc;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	if (TERN_UNLIKELY(eh == NULL))
		return -EINVAL;
	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(&eng->mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(type);
	m->l2_len = RTE_ETHER_HDR_LEN;
	rc = eng_tx(eng, m);
	if (TERN_UNLIKELY(rc < 0))
		rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	return rc;
}
