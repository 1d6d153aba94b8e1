/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP input (RFC 768, RFC 1122 4.1.3): length and checksum, then the
 * socket bound to the destination port. A port bound only on a sibling
 * core of the group is handed to it (group.c); a port bound nowhere
 * answers with ICMP port unreachable (not for broadcasts, RFC 1122
 * 4.1.3.1).
 */
#include <rte_udp.h>

#include "cksum.h"
#include "engine_internal.h"
#include "rx_fast.h"

/* Queues m on s, or drops it when s's queue is full. Inlined into
 * eng_udp_in(). */
static inline void udp_deliver(struct tern_engine *eng, struct tern_udp_sock *s,
			       struct rte_mbuf *m)
{
	if (TERN_UNLIKELY(eng_udp_queue_full(s))) {
		s->st.rx_queue_full++;
		ENG_DROP(eng, m, udp_queue_full);
		return;
	}
	/* one segment holding all the headers: ipv4_in.c checks it,
	 * ipv4_frag.c linearizes, eng_udp_in checked the UDP length */
	m->l4_len = sizeof(struct rte_udp_hdr);
	eng_udp_enqueue(eng, s, m, m->l2_len + m->l3_len + sizeof(struct rte_udp_hdr));
}

/*
 * No socket on port here. A sibling of the group that has one gets the
 * datagram (group.c); only a port bound nowhere is closed (RFC 1122
 * 4.1.3.1: ICMP port unreachable, never for broadcasts). Out of line, so
 * eng_udp_in()'s fast path stays as it was.
 */
static __attribute__((noinline)) void udp_no_port(struct tern_engine *eng, struct rte_mbuf *m,
						  struct rte_ipv4_hdr *ip, bool bcast)
{
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)((char *)ip + m->l3_len);

	if (eng_group_udp_forward(eng, m, rte_be_to_cpu_16(uh->dst_port)))
		return;
	if (bcast) {
		ENG_DROP(eng, m, udp_no_port);
		return;
	}
	eng_icmp_port_unreach(eng, m, ip);
}

void eng_udp_in(struct tern_engine *eng, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		bool bcast)
{
	uint16_t len = rte_be_to_cpu_16(ip->total_length) - m->l3_len;
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)((char *)ip + m->l3_len);
	struct tern_udp_sock *s;

	if (TERN_UNLIKELY(len < sizeof(*uh)))
		goto runt;
	/* Strict: a UDP length other than the IP payload is a mangled packet. */
	if (TERN_UNLIKELY(rte_be_to_cpu_16(uh->dgram_len) != len))
		goto bad_len;
	if (TERN_UNLIKELY(!eng_rx_udp_cksum_ok(m, ip, uh, len)))
		goto cksum;
	s = eng->socks[rte_be_to_cpu_16(uh->dst_port)];
	if (TERN_UNLIKELY(s == NULL))
		goto no_port;
	udp_deliver(eng, s, m);
	return;
runt:
	ENG_DROP(eng, m, udp_runt);
	return;
bad_len:
	ENG_DROP(eng, m, udp_len);
	return;
cksum:
	ENG_DROP(eng, m, udp_cksum);
	return;
no_port:
	udp_no_port(eng, m, ip, bcast);
}

/* A datagram a sibling handed over (group.c; its data at the Ethernet
 * header, checked there), queued on the socket of its port here
 * (udp_deliver(): udp_delivered or udp_queue_full). A socket closed while
 * it travelled: udp_no_port, and no ICMP error (the sibling judged the
 * port bound when it sent it). */
void eng_udp_fwd_in(struct tern_engine *eng, struct rte_mbuf *m)
{
	const struct rte_udp_hdr *uh =
		rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, m->l2_len + m->l3_len);
	struct tern_udp_sock *s = eng->socks[rte_be_to_cpu_16(uh->dst_port)];

	eng->st.udp_fwd_recv++;
	if (s == NULL) {
		ENG_DROP(eng, m, udp_no_port);
		return;
	}
	udp_deliver(eng, s, m);
}
