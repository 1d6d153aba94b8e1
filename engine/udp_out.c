/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP output: replies made in place from the received datagram (echo's
 * zero-copy path) and sends to an address through IPv4 and ARP; a burst
 * of sends to one address copies its headers from a template made once
 * (the route and neighbour decided once too). A datagram over the MTU,
 * or a chain of mbufs, takes the slow paths: its checksum is summed in
 * software over every segment (no NIC checksums a datagram that leaves in
 * fragments) and ipv4_frag_out.c fragments it. A socket set to send no
 * UDP checksum (tern_udp_sock_set_tx_cksum) puts 0 in every send's field,
 * RFC 768's "none", on every path.
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
	/* TTL and protocol: one word; most peers send 64 already (Linux,
	 * and every echo of ours), which leaves the checksum as it is */
	if (ip->time_to_live != ENG_TTL)
		eng_set_byte_adjust(&ip->time_to_live, ENG_TTL, &ip->hdr_checksum);
	uh->src_port = uh->dst_port;
	uh->dst_port = p;
}

/* The reply to a plain received datagram (20-byte headers at fixed offsets
 * before the payload, headroom checked by the caller): headers swapped in
 * place, the data back at the Ethernet header (rte_pktmbuf_prepend()
 * without its check). */
static inline void udp_swap_prepend(struct tern_engine *eng, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod_offset(m, struct rte_ether_hdr *, -ENG_HDRS);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);

	udp_swap(eng, eh, ip, (struct rte_udp_hdr *)(ip + 1));
	m->data_off -= ENG_HDRS;
	m->data_len += ENG_HDRS;
	m->pkt_len += ENG_HDRS;
}

/*
 * The checksum of a datagram that is a chain or leaves in fragments, in
 * software over every segment; the UDP header is at byte uh_off of m.
 * none: 0 instead, a socket's "no checksum" (tern_udp_sock_set_tx_cksum).
 */
static void udp_cksum_chain(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, struct rte_udp_hdr *uh,
			    uint32_t uh_off, bool none)
{
	uint16_t len = rte_be_to_cpu_16(uh->dgram_len);
	uint16_t c;

	m->ol_flags &= ~UDP_TX_FLAGS;
	uh->dgram_cksum = 0;
	if (none)
		return;
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
	/* the headers as received, put back if sending fails: the caller gets
	 * its datagram unchanged, free to retry (at most 14 + 60 + 8 bytes) */
	uint8_t saved[RTE_ETHER_HDR_LEN + 60 + sizeof(struct rte_udp_hdr)];
	uint16_t data_off = m->data_off, data_len = m->data_len;
	uint16_t hlen = (uint16_t)(m->l2_len + m->l3_len + sizeof(struct rte_udp_hdr));
	uint32_t pkt_len = m->pkt_len;
	uint64_t ol_flags = m->ol_flags, tx_offload = m->tx_offload;
	struct rte_ether_addr peer;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *uh;
	int rc;

	/* what the engine set on receipt, checked before any header is read:
	 * anything else is not a received datagram */
	if (m->l2_len != RTE_ETHER_HDR_LEN || m->l3_len < sizeof(*ip) || m->l3_len > 60 ||
	    m->l4_len != sizeof(*uh) || rte_pktmbuf_headroom(m) < hlen ||
	    rte_pktmbuf_headroom(m) < ENG_HDRS)
		return -EINVAL;
	if (rte_pktmbuf_pkt_len(m) > UDP_MAX_DGRAM)
		return -EMSGSIZE;
	uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, -(int)sizeof(*uh));
	ip = (struct rte_ipv4_hdr *)((char *)uh - m->l3_len);
	eh = (struct rte_ether_hdr *)((char *)ip - m->l2_len);
	peer = eh->src_addr;
	memcpy(saved, eh, hlen);
	if ((flags & TERN_UDP_REPLY_UNCHANGED) && (m->tx_offload & ENG_LENS_MASK) == ENG_UDP_LENS) {
		/* the sender's checksum holds, as on the inline path */
		udp_swap(s->eng, eh, ip, uh);
		rte_pktmbuf_prepend(m, ENG_HDRS - RTE_ETHER_HDR_LEN);
	} else {
		udp_rebuild_hdrs(s->eng, m, eh, ip, uh);
		rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
		ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
		udp_cksum_chain(m, ip, (struct rte_udp_hdr *)(ip + 1), sizeof(*ip), false);
	}
	rc = eng_ipv4_frag_tx(s->eng, m, &peer);
	if (rc < 0) {
		/* the caller's datagram again, as it was received (a rebuild
		 * wrote within the old headers' span: options only shrink it) */
		m->data_off = data_off;
		m->data_len = data_len;
		m->pkt_len = pkt_len;
		m->ol_flags = ol_flags;
		m->tx_offload = tx_offload;
		memcpy(rte_pktmbuf_mtod_offset(m, char *, -(int)hlen), saved, hlen);
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
	/* Room first, so that nothing fails once the headers are rewritten:
	 * a refused reply is the caller's datagram as received. */
	if (TERN_UNLIKELY(s->eng->tx_n >= ENG_TX_CAP)) {
		eng_tx_flush(s->eng);
		if (s->eng->tx_n >= ENG_TX_CAP) {
			s->eng->st.tx_full++;
			return -ENOBUFS;
		}
	}
	/* only now: made before the checks, the pointer cost the common
	 * path a register copy for udp_reply_big's sake (one instruction
	 * per echo, bench/cg/tern-cg-echo-path 352.05 -> 351.05) */
	data = rte_pktmbuf_mtod(m, char *);
	if (TERN_LIKELY((flags & TERN_UDP_REPLY_UNCHANGED) &&
			(m->tx_offload & ENG_LENS_MASK) == ENG_UDP_LENS)) {
		udp_swap_prepend(s->eng, m);
	} else {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(data - sizeof(*uh));
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)((char *)uh - m->l3_len);

		if (TERN_UNLIKELY(m->l4_len != sizeof(*uh)))
			return -EINVAL;
		udp_rebuild(s->eng, m, (struct rte_ether_hdr *)((char *)ip - m->l2_len), ip, uh);
	}
	rc = eng_tx(s->eng, m); /* room checked above: cannot fail */
	RTE_ASSERT(rc == 0);
	(void)rc;
	s->st.tx++;
	return 0;
}

int tern_udp_reply(struct tern_udp_sock *s, const struct tern_udp_dgram *d, unsigned flags)
{
	return udp_reply(s, d, flags);
}

/* True when udp_reply() would take m by the in-place swap alone: one
 * segment within the MTU, headroom for the headers, the payload and the
 * headers' lengths as received. */
static inline bool udp_reply_plain(const struct rte_mbuf *m, unsigned flags)
{
	return (flags & TERN_UDP_REPLY_UNCHANGED) && m->nb_segs == 1 &&
	       rte_pktmbuf_headroom(m) >= ENG_HDRS && rte_pktmbuf_pkt_len(m) <= UDP_MAX_PAYLOAD &&
	       (m->tx_offload & ENG_LENS_MASK) == ENG_UDP_LENS;
}

/*
 * udp_reply() for each datagram, in chunks that fit the TX buffer: the
 * plain ones (the echo's) are swapped and stored in the buffer with its
 * fill count, the socket's counter and the flush decided once a chunk
 * (chains of read-modify-writes through memory otherwise, one a packet);
 * any other goes through udp_reply() itself and ends the chunk (a
 * fragmented one takes a slot per fragment: the next chunk is sized for
 * what is left). The buffer flushes at the
 * end of a chunk that filled a batch, so bursts leave whole, at least
 * ENG_BURST at a time.
 */
/* The datagrams are d[] (tern_udp_reply_burst) or, when bare, the mbufs
 * mv[] (tern_udp_reply_mbufs): each call site passes a constant bare and
 * is compiled for one kind. */
static inline __attribute__((always_inline)) uint16_t
udp_reply_many(struct tern_udp_sock *s, const struct tern_udp_dgram *d,
	       struct rte_mbuf *const *mv, uint16_t n, unsigned flags, bool bare)
{
	struct tern_engine *eng;
	uint16_t k = 0;

	if (n == 0)
		return 0;
	eng = s->eng;
	while (k < n) {
		uint32_t t = eng->tx_n, plain = 0;
		uint16_t end;
		int rc = 0;

		if (TERN_UNLIKELY(t >= ENG_TX_CAP)) {
			eng_tx_flush(eng);
			t = eng->tx_n;
			if (t >= ENG_TX_CAP) {
				eng->st.tx_full++;
				break;
			}
		}
		end = (uint16_t)(k + RTE_MIN((uint32_t)(n - k), ENG_TX_CAP - t));
		for (; k < end; k++) {
			struct rte_mbuf *m = bare ? mv[k] : d[k].m;

			if (TERN_LIKELY(udp_reply_plain(m, flags))) {
				udp_swap_prepend(eng, m);
				eng->tx[t++] = m;
				plain++;
				continue;
			}
			eng->tx_n = (uint16_t)t;
			if (!bare) {
				rc = udp_reply(s, &d[k], flags);
			} else {
				/* udp_reply() reads the mbuf alone: the
				 * addresses come from the headers before its
				 * data, as for a described datagram */
				struct tern_udp_dgram one = { .m = m };

				rc = udp_reply(s, &one, flags);
			}
			t = eng->tx_n;
			/* the chunk ends here: a reply over the MTU took a slot
			 * per fragment, so the next one is sized anew */
			k += rc == 0;
			break;
		}
		eng->tx_n = (uint16_t)t;
		s->st.tx += plain;
		if (t >= ENG_BURST)
			eng_tx_flush(eng);
		if (rc < 0)
			break;
	}
	return k;
}

uint16_t tern_udp_reply_burst(struct tern_udp_sock *s, const struct tern_udp_dgram *d,
			      uint16_t n, unsigned flags)
{
	return udp_reply_many(s, d, NULL, n, flags, false);
}

uint16_t tern_udp_reply_mbufs(struct tern_udp_sock *s, struct rte_mbuf *const *m, uint16_t n,
			      unsigned flags)
{
	return m != NULL ? udp_reply_many(s, NULL, m, n, flags, true) : 0;
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
	if (TERN_UNLIKELY(m->nb_segs != 1 || plen > UDP_MAX_PAYLOAD))
		udp_cksum_chain(m, ip, uh, sizeof(*ip), s->no_tx_cksum);
	else if (TERN_UNLIKELY(s->no_tx_cksum))
		uh->dgram_cksum = 0; /* RFC 768: none, and no offload asked */
	else
		udp_cksum(s->eng, m, ip, uh);
	return 0;
}

int tern_udp_sock_set_tx_cksum(struct tern_udp_sock *s, bool on)
{
	if (s == NULL)
		return -EINVAL;
	s->no_tx_cksum = !on;
	return 0;
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
	s->senders++; /* it may wait for ARP: s stays until it is back */
	rc = eng_ipv4_out(s->eng, m, ip, tok);
	s->senders--;
	if (!tern_udp_sendto_took(rc)) { /* the caller's: as it came */
		rte_pktmbuf_adj(m, ENG_HDRS - RTE_ETHER_HDR_LEN); /* the caller's payload again */
		m->ol_flags &= ~UDP_TX_FLAGS;
		return rc;
	}
	s->st.tx++;
	return rc;
}

/*
 * A burst to one destination: the Ethernet, IPv4 and UDP headers are made
 * once (udp_tmpl_make), and each datagram gets a copy with its lengths,
 * IPv4 id and checksums patched in (udp_tmpl_put). The checksums start
 * from sums of the words that are the same for the whole burst: a one's
 * complement sum does not depend on the order of its words (RFC 1071
 * 2(B)), and one that is not zero has one 16-bit form, so the fields come
 * out as eng_ipv4_hdr() and udp_cksum() make them, and no header is read
 * back after it was written.
 */
struct udp_tmpl {
	uint8_t hdr[ENG_HDRS];
	bool ip_sw, udp_sw;  /* checksums made here, not by the NIC */
	bool udp_on;         /* false: the socket sends none (field 0) */
	uint32_t ip_sum;     /* the IPv4 header but total length and id, folded */
	uint32_t udp_sum;    /* pseudo-header's addresses and protocol, folded;
	                        plus the ports when summed here */
	uint64_t ol_flags;   /* offload requests, as eng_ipv4_hdr and udp_cksum */
	uint64_t lens, lens_mask; /* tx_offload's l2, l3 (and l4) lengths */
};

#define TMPL_IP RTE_ETHER_HDR_LEN
#define TMPL_UDP (TMPL_IP + sizeof(struct rte_ipv4_hdr))

/*
 * The MAC datagrams to dst go to, if it is known now: broadcast, or a
 * fresh neighbour entry of the next hop, as eng_ipv4_out() decides for
 * each packet. NULL: the per-packet path decides (it refuses, queues on
 * ARP or awaits). Deciding once per burst is the same as deciding per
 * packet: eng_arp_lookup() and the freshness test have no side effects,
 * and nothing a burst does changes the entry or the engine's clock (no
 * poll runs, the template path never awaits; a packet that takes the
 * per-packet path is followed by a new decision).
 */
static const struct rte_ether_addr *udp_tmpl_mac(struct tern_engine *eng, uint32_t dst)
{
	static const struct rte_ether_addr bcast = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};
	struct eng_arp_entry *e;
	uint32_t nh;

	if (eng_ip_bcast(eng, dst))
		return &bcast;
	if (!eng_ipv4_next_hop(eng, dst, &nh))
		return NULL;
	e = eng_arp_lookup(eng, nh);
	return eng_neigh_fresh(eng, e) ? &e->mac : NULL;
}

/* The offload requests and tx_offload lengths of udp_build + eth_out. */
static void udp_tmpl_flags(struct tern_engine *eng, struct udp_tmpl *t)
{
	t->ip_sw = !(eng->offloads & TERN_OFFLOAD_IPV4_CKSUM_TX);
	t->udp_sw = !(eng->offloads & TERN_OFFLOAD_UDP_CKSUM_TX);
	t->udp_on = true;
	t->ol_flags = 0;
	if (!t->ip_sw)
		t->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	if (!t->udp_sw)
		t->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
	t->lens = rte_mbuf_tx_offload(RTE_ETHER_HDR_LEN, sizeof(struct rte_ipv4_hdr),
				      t->udp_sw ? 0 : sizeof(struct rte_udp_hdr), 0, 0, 0, 0);
	t->lens_mask = rte_mbuf_tx_offload(0x7f, 0x1ff, t->udp_sw ? 0 : 0xff, 0, 0, 0, 0);
}

/* udp_tmpl_flags() made for a socket that sends no UDP checksum: nothing
 * summed here, nothing asked of the NIC, the field 0. Apart, so that the
 * usual template costs one store more for it. */
static void udp_tmpl_no_cksum(struct udp_tmpl *t)
{
	t->udp_sw = false;
	t->udp_on = false;
	t->ol_flags = t->ip_sw ? 0 : RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	t->lens = rte_mbuf_tx_offload(RTE_ETHER_HDR_LEN, sizeof(struct rte_ipv4_hdr),
				      0, 0, 0, 0, 0);
	t->lens_mask = rte_mbuf_tx_offload(0x7f, 0x1ff, 0, 0, 0, 0, 0);
}

/* Makes t for s's datagrams to dst:port; false when the per-packet path
 * must take them (dst or port 0, no route, neighbour not resolved). */
static bool udp_tmpl_make(struct tern_udp_sock *s, uint32_t dst, uint16_t port,
			  struct udp_tmpl *t)
{
	struct tern_engine *eng = s->eng;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)t->hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(t->hdr + TMPL_IP);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(t->hdr + TMPL_UDP);
	const struct rte_ether_addr *mac;

	if (dst == 0 || port == 0)
		return false;
	mac = udp_tmpl_mac(eng, dst);
	if (mac == NULL)
		return false;
	rte_ether_addr_copy(mac, &eh->dst_addr);
	rte_ether_addr_copy(&eng->mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip) + sizeof(*uh));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = ENG_TTL;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(eng->ip);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	uh->src_port = rte_cpu_to_be_16(s->port);
	uh->dst_port = rte_cpu_to_be_16(port);
	udp_tmpl_flags(eng, t);
	t->ip_sum = eng_fold(eng_ipv4_hdr_sum(ip, sizeof(*ip)));
	t->udp_sum = eng_fold(eng_phdr_sum(ip, IPPROTO_UDP, 0));
	if (t->udp_sw)
		t->udp_sum += (uint32_t)uh->src_port + uh->dst_port;
	if (TERN_UNLIKELY(s->no_tx_cksum))
		udp_tmpl_no_cksum(t);
	return true;
}

/* True when m takes the template path: what udp_build() checksums in one
 * piece and eng_ipv4_out() sends whole, with room for the headers. */
static inline bool udp_tmpl_fits(const struct rte_mbuf *m)
{
	return m != NULL && m->nb_segs == 1 && rte_pktmbuf_pkt_len(m) <= UDP_MAX_PAYLOAD &&
	       rte_pktmbuf_headroom(m) >= ENG_HDRS;
}

/* Prepends t's headers to m's payload, this datagram's fields patched. */
static inline void udp_tmpl_put(struct tern_engine *eng, const struct udp_tmpl *t,
				struct rte_mbuf *m)
{
	uint16_t plen = (uint16_t)rte_pktmbuf_pkt_len(m);
	uint16_t ulen = rte_cpu_to_be_16(plen + sizeof(struct rte_udp_hdr));
	uint16_t tlen = rte_cpu_to_be_16(plen + sizeof(struct rte_udp_hdr) +
					 sizeof(struct rte_ipv4_hdr));
	uint16_t id = rte_cpu_to_be_16(eng->ip_id++);
	uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *) - ENG_HDRS;
	uint16_t c;

	memcpy(h, t->hdr, ENG_HDRS);
	memcpy(h + TMPL_IP + offsetof(struct rte_ipv4_hdr, total_length), &tlen, 2);
	memcpy(h + TMPL_IP + offsetof(struct rte_ipv4_hdr, packet_id), &id, 2);
	memcpy(h + TMPL_UDP + offsetof(struct rte_udp_hdr, dgram_len), &ulen, 2);
	if (t->ip_sw) {
		/* a folded sum and two words: below 2^32 */
		c = (uint16_t)~eng_fold32(t->ip_sum + tlen + id);
		memcpy(h + TMPL_IP + offsetof(struct rte_ipv4_hdr, hdr_checksum), &c, 2);
	}
	if (t->udp_sw) {
		/* the length counts twice: pseudo-header and UDP header */
		c = eng_cksum(eng_sum(h + ENG_HDRS, plen, (uint64_t)t->udp_sum + 2u * ulen));
		c = c == 0 ? 0xffff : c; /* RFC 768: 0 is "none" */
	} else if (t->udp_on) {
		/* the NIC's pseudo-header sum; a folded sum and a word: as above */
		c = eng_fold32(t->udp_sum + ulen);
	} else {
		c = 0; /* RFC 768: none, the socket sends no checksum */
	}
	memcpy(h + TMPL_UDP + offsetof(struct rte_udp_hdr, dgram_cksum), &c, 2);
	/* rte_pktmbuf_prepend(), its headroom checked by udp_tmpl_fits() */
	m->data_off -= ENG_HDRS;
	m->data_len += ENG_HDRS;
	m->pkt_len += ENG_HDRS;
	m->ol_flags |= t->ol_flags;
	m->tx_offload = (m->tx_offload & ~t->lens_mask) | t->lens;
}

/* udp_tmpl_put() and the TX buffer: 0, or -ENOBUFS with m the caller's
 * payload again, as tern_udp_sendto() leaves it. */
static inline int udp_tmpl_send(struct tern_udp_sock *s, const struct udp_tmpl *t,
				struct rte_mbuf *m)
{
	udp_tmpl_put(s->eng, t, m);
	if (TERN_UNLIKELY(eng_tx(s->eng, m) < 0)) {
		rte_pktmbuf_adj(m, ENG_HDRS);
		m->ol_flags &= ~UDP_TX_FLAGS;
		return -ENOBUFS;
	}
	s->st.tx++;
	return 0;
}

/*
 * The template path for what fits it, tern_udp_sendto() for the rest
 * (chains, datagrams over the MTU, an unresolved neighbour: it fragments,
 * queues on ARP or awaits as for a single send), in order. A packet the
 * per-packet path took is followed by a new template decision: after an
 * await the neighbour may have been resolved.
 */
intptr_t tern_udp_sendto_burst(struct tern_udp_sock *s, struct rte_mbuf **m, uint16_t n,
			       uint32_t ip, uint16_t port, tern_token_t tok)
{
	struct udp_tmpl t;
	uint16_t k = 0;
	intptr_t rc = 0;
	bool fast;

	if (s == NULL || m == NULL)
		return n > 0 ? -EINVAL : 0;
	fast = udp_tmpl_make(s, ip, port, &t);
	for (; k < n; k++) {
		if (TERN_LIKELY(fast && udp_tmpl_fits(m[k]))) {
			rc = udp_tmpl_send(s, &t, m[k]);
			if (TERN_UNLIKELY(rc < 0))
				break;
			continue;
		}
		rc = tern_udp_sendto(s, m[k], ip, port, tok);
		if (!tern_udp_sendto_took(rc))
			break;
		if (rc < 0) {
			k++; /* taken, even though its resolution failed */
			break;
		}
		fast = udp_tmpl_make(s, ip, port, &t);
	}
	return k > 0 ? k : rc;
}
