/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP (RFC 792, RFC 1122 3.2.2): echo replies, made in place from the
 * request, and port unreachable for closed UDP ports, rate limited by a
 * token bucket and never sent about an ICMP error, a broadcast or a
 * fragment (those never reach here). A reassembled request longer than
 * the MTU (ping -s 4000) is answered in fragments (ipv4_frag_out.c).
 */
#include <string.h>

#include <rte_icmp.h>

#include "cksum.h"
#include "engine_internal.h"

/*
 * The reply to a request over the MTU (or a chain), its headers already
 * turned: in fragments to the MAC it came from. The IP checksum of each
 * fragment is made new; the ICMP one, adjusted, covers the whole.
 */
static __attribute__((noinline)) void icmp_echo_reply_big(struct tern_engine *eng,
							  struct rte_mbuf *m)
{
	struct rte_ether_addr peer = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr;

	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	if (eng_ipv4_frag_tx(eng, m, &peer) == 0) {
		eng->st.icmp_echo_replies++;
		eng->st.delivered++;
		return;
	}
	ENG_DROP(eng, m, icmp_no_buf); /* and counted in tx_full or ip_frag_out_failed */
}

/*
 * Answers an echo request with the same mbuf: addresses swap (the sums do
 * not change), TTL 64 and type 0. Both checksums were just verified, so
 * each is updated for its one changed word (RFC 1624), not summed again.
 */
static void icmp_echo_reply(struct tern_engine *eng, struct rte_mbuf *m,
			    struct rte_ipv4_hdr *ip, struct rte_icmp_hdr *ic)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t src = ip->src_addr;

	ip->src_addr = ip->dst_addr;
	ip->dst_addr = src;
	/* TTL and protocol, type and code: one word each */
	eng_set_byte_adjust(&ip->time_to_live, ENG_TTL, &ip->hdr_checksum);
	eng_set_byte_adjust(&ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY, &ic->icmp_cksum);
	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&eng->mac, &eh->src_addr);
	if (TERN_UNLIKELY(rte_pktmbuf_pkt_len(m) > RTE_ETHER_HDR_LEN + ENG_MTU ||
			  m->nb_segs != 1)) {
		icmp_echo_reply_big(eng, m);
		return;
	}
	if (eng_tx(eng, m) == 0) {
		eng->st.icmp_echo_replies++;
		eng->st.delivered++;
		return;
	}
	ENG_DROP(eng, m, icmp_no_buf);
}

void eng_icmp_in(struct tern_engine *eng, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	uint16_t hlen = m->l3_len;
	uint16_t len = rte_be_to_cpu_16(ip->total_length) - hlen;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((char *)ip + hlen);

	if (TERN_UNLIKELY(len < sizeof(*ic)))
		goto runt;
	if (TERN_UNLIKELY(m->nb_segs != 1)) { /* reassembled, in pieces */
		if (eng_fold(eng_sum_chain(m, m->l2_len + hlen, len, 0)) != 0xffff)
			goto cksum;
	} else if (TERN_UNLIKELY(eng_fold(eng_sum(ic, len, 0)) != 0xffff)) {
		goto cksum;
	}
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0)
		goto type;
	icmp_echo_reply(eng, m, ip, ic);
	return;
runt:
	ENG_DROP(eng, m, icmp_runt);
	return;
cksum:
	ENG_DROP(eng, m, icmp_cksum);
	return;
type:
	/* Errors and replies about our own sends: no socket wants them yet. */
	ENG_DROP(eng, m, icmp_type);
}

/* icmp_burst errors back to back, then icmp_rate per second. */
static bool icmp_allow(struct tern_engine *eng)
{
	if (eng_bucket_take(&eng->icmp_bucket, eng_now(eng)))
		return true;
	eng->st.icmp_rate_limited++;
	return false;
}

/*
 * Turns m (a UDP datagram to a closed port, data at Ethernet) into a
 * destination unreachable (code 3) in place, quoting its IP header and
 * first 8 bytes (RFC 792): 28 bytes are prepended, the rest trimmed.
 * Does not free m: the caller counts and frees it on a false return.
 * Returns true when m was sent (it is the engine's).
 */
static bool icmp_unreach_build(struct tern_engine *eng, struct rte_mbuf *m,
			       struct rte_ipv4_hdr *orig)
{
	const uint16_t extra = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_icmp_hdr);
	uint16_t quote = m->l3_len + 8, len;
	struct rte_ether_addr peer = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;
	uint32_t src = rte_be_to_cpu_32(orig->src_addr);
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *ic;

	if (rte_pktmbuf_prepend(m, extra) == NULL)
		return false;
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - (RTE_ETHER_HDR_LEN + extra + quote));
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	ic = (struct rte_icmp_hdr *)(ip + 1);
	len = sizeof(*ic) + quote;
	eng_ipv4_hdr(eng, m, ip, IPPROTO_ICMP, eng->ip, src, sizeof(*ip) + len);
	ic->icmp_type = 3 /* destination unreachable */;
	ic->icmp_code = 3; /* port unreachable */
	ic->icmp_ident = 0;
	ic->icmp_seq_nb = 0;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = eng_cksum(eng_sum(ic, len, 0));
	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN); /* eth_out puts it back */
	return eng_eth_out(eng, m, &peer, RTE_ETHER_TYPE_IPV4) == 0;
}

/* Counts m as udp_no_port and answers with an ICMP error if the rate allows. */
void eng_icmp_port_unreach(struct tern_engine *eng, struct rte_mbuf *m,
			   struct rte_ipv4_hdr *ip)
{
	eng->st.drops.udp_no_port++;
	if (icmp_allow(eng) && icmp_unreach_build(eng, m, ip)) {
		eng->st.icmp_unreach_sent++;
		return;
	}
	rte_pktmbuf_free(m);
}
