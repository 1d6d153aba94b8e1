/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragmentation on output (RFC 791 section 3.2, RFC 1122 3.3.3): a
 * datagram longer than ENG_MTU leaves as fragments made by DPDK's
 * rte_ipv4_fragment_packet(). Each fragment is a direct mbuf holding a copy
 * of the IP header, chained to indirect mbufs that point into the
 * datagram's own buffers (no payload copy); both kinds come from the
 * engine's pool (eng->mp): an indirect mbuf wastes its data room, which is
 * the price of one pool per engine. A port that cannot send chains (no
 * TERN_OFFLOAD_MULTI_SEG_TX) gets each fragment copied into its direct mbuf.
 *
 * The slow path only: replies and sends that fit the MTU in one segment
 * never come here; a chain that fits leaves as one packet made the same
 * way (copied into one mbuf for a port that cannot send chains).
 * Every fragment goes out through the TX buffer, which is checked for room
 * for all of them first, so a datagram leaves whole or not at all.
 */
#include <rte_ip_frag.h>

#include "cksum.h"
#include "engine_internal.h"
#include "neigh.h"

/* What a TX path may have asked of the NIC: no NIC checksums a datagram
 * whose pieces it sees one by one, so fragments carry none of it. */
#define FRAG_TX_FLAGS (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)

uint64_t eng_sum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint64_t sum)
{
	bool odd = false;

	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	for (; m != NULL && len > 0; m = m->next, off = 0) {
		uint32_t n = RTE_MIN(len, (uint32_t)m->data_len - off);
		uint16_t s = eng_fold(eng_sum(rte_pktmbuf_mtod_offset(m, const char *, off), n, 0));

		/* A piece that starts at an odd offset of the whole has its
		 * bytes in the other halves of the words (RFC 1071 2(B)). */
		if (odd)
			s = (uint16_t)(s << 8 | s >> 8);
		sum = eng_add_c(sum, s);
		odd ^= n & 1;
		len -= n;
	}
	return sum;
}

/* Fragments of a datagram of tlen bytes with an hlen-byte header. */
static uint32_t frag_count(uint16_t hlen, uint32_t tlen)
{
	uint32_t per = (ENG_MTU - hlen) & ~7u;

	return (tlen - hlen + per - 1) / per;
}

/* True when the TX buffer takes n more packets (flushing it if needed). */
static bool frag_room(struct tern_engine *eng, uint32_t n)
{
	if (eng->tx_n + n <= ENG_TX_CAP)
		return true;
	eng_tx_flush(eng);
	return eng->tx_n + n <= ENG_TX_CAP;
}

/* Makes fragment f ready to leave: one segment if the port needs it, the
 * header checksum (the library leaves it zero), no offload requests. */
static int frag_finish(struct tern_engine *eng, struct rte_mbuf *f)
{
	struct rte_ipv4_hdr *ip;

	if (f->nb_segs > 1 && !(eng->offloads & TERN_OFFLOAD_MULTI_SEG_TX) &&
	    rte_pktmbuf_linearize(f) < 0)
		return -ENOMEM;
	ip = rte_pktmbuf_mtod(f, struct rte_ipv4_hdr *);
	f->ol_flags &= ~FRAG_TX_FLAGS;
	f->l3_len = (ip->version_ihl & 0xf) * 4;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = eng_cksum(eng_ipv4_hdr_sum(ip, f->l3_len));
	return 0;
}

/* Prepends the Ethernet header from us to dst; the direct mbuf the
 * library made has the pool's headroom, so this cannot fail. */
static void frag_eth(struct tern_engine *eng, struct rte_mbuf *f, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(f, RTE_ETHER_HDR_LEN);

	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(&eng->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	f->l2_len = RTE_ETHER_HDR_LEN;
}

int eng_ipv4_frag_tx(struct tern_engine *eng, struct rte_mbuf *m, const struct rte_ether_addr *dst)
{
	struct rte_mbuf *f[ENG_FRAG_MAX];
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint16_t hlen = (ip->version_ihl & 0xf) * 4;
	uint32_t want = frag_count(hlen, rte_pktmbuf_pkt_len(m));
	int32_t n;

	if (want > ENG_FRAG_MAX)
		return -EMSGSIZE;
	if (!frag_room(eng, want)) {
		eng->st.tx_full++;
		return -ENOBUFS;
	}
	/* RFC 791: the sender's DF forbids this; ours is never set, and a
	 * reassembled datagram's was cleared by its own fragmentation. */
	ip->fragment_offset = 0;
	n = rte_ipv4_fragment_packet(m, f, ENG_FRAG_MAX, ENG_MTU, eng->mp, eng->mp);
	if (n < 0)
		goto failed; /* the library freed what it made */
	for (int32_t i = 0; i < n; i++)
		if (frag_finish(eng, f[i]) < 0) {
			rte_pktmbuf_free_bulk(f, n);
			n = -ENOMEM;
			goto failed;
		}
	for (int32_t i = 0; i < n; i++) {
		frag_eth(eng, f[i], dst);
		eng_tx(eng, f[i]); /* room checked above: cannot fail */
	}
	/* The fragments hold references to m's buffers: this drops ours. */
	rte_pktmbuf_free(m);
	if (n > 1) { /* a chain that fits the MTU leaves whole */
		eng->st.ip_frag_out++;
		eng->st.ip_frag_out_pkts += n;
	}
	return 0;
failed:
	eng->st.ip_frag_out_failed++;
	return n;
}

/*
 * The MAC of next hop nh, awaiting its resolution in a task. ARP's
 * pending queue keeps ENG_ARP_PENDING packets and drops the oldest, which
 * would lose pieces of a datagram, so a datagram over the MTU never
 * waits there: it is fragmented once the neighbour is known.
 */
static intptr_t frag_neigh(struct tern_engine *eng, uint32_t nh, struct rte_ether_addr *mac,
			   tern_token_t tok)
{
	struct eng_arp_entry *e = eng_arp_lookup(eng, nh);
	intptr_t rc;

	if (eng_neigh_fresh(eng, e)) {
		*mac = e->mac;
		return 0;
	}
	rc = tern_arp_resolve(eng, nh, mac->addr_bytes, tok);
	if (rc == -EPERM) /* not a task: the request is out, try again later */
		return -EAGAIN;
	return rc;
}

intptr_t eng_ipv4_out_big(struct tern_engine *eng, struct rte_mbuf *m, uint32_t dst,
			  tern_token_t tok)
{
	static const struct rte_ether_addr bcast = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};
	struct rte_ether_addr mac;
	uint32_t nh;
	intptr_t rc;

	if (eng_ip_bcast(eng, dst))
		return eng_ipv4_frag_tx(eng, m, &bcast);
	if (!eng_ipv4_next_hop(eng, dst, &nh))
		return -ENETUNREACH;
	rc = frag_neigh(eng, nh, &mac, tok);
	if (rc == -EHOSTUNREACH || rc == -ECANCELED || rc == -ETIMEDOUT) {
		/* Errors after queueing: the datagram was taken (as a queued
		 * packet is), and is freed as ARP frees its queue. */
		eng->st.arp_pending_dropped++;
		rte_pktmbuf_free(m);
		return rc;
	}
	if (rc < 0)
		return rc;
	return eng_ipv4_frag_tx(eng, m, &mac);
}
