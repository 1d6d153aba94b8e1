/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 reassembly (RFC 791 section 3.2, RFC 1122 3.3.2) on DPDK's
 * rte_ip_frag: a per-engine table of at most frag_max datagrams, each
 * given frag_timeout_ms from its first fragment. Times are the core's
 * nanoseconds (the library only compares differences, so ns serve as its
 * "cycles").
 *
 * Accounting: a fragment handed to the table is held (ip_frag_held). It
 * leaves either merged into a datagram (the first N-1 count as delivered,
 * the datagram goes on as the N-th frame) or on the library's death row
 * (overlap, timeout, table full, more than RTE_LIBRTE_IP_FRAG_MAX_FRAG
 * pieces: counted in ip_frag when the row is freed), so rx = delivered +
 * drops + held at every poll.
 *
 * Limits: DPDK 22.11 as Debian builds it holds at most 8 pieces of one
 * datagram (RTE_LIBRTE_IP_FRAG_MAX_FRAG, compile time): the first, the
 * last and 6 others. A seventh middle piece goes to the death row with
 * every piece its entry holds, and the entry is forgotten: the pieces
 * that come after it start a new entry that can never complete and times
 * out. Each fragment still counts once in ip_frag, some at once, the
 * rest after frag_timeout_ms.
 *
 * Sockets hand out one segment, so a datagram leaves here in one mbuf:
 * its first fragment's when the rest fits behind it, else a jumbo buffer
 * of the pool (tern_mbuf_pool_jumbo(): TERN_MBUF_JUMBO_LEN bytes, enough
 * for 8 pieces of a 1500-byte MTU).
 */
/* rte_ip_frag_table_del_expired_entries() is experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <string.h>

#include <tern/log.h>

#include "engine_internal.h"

#define FRAG_BUCKET_ENTRIES 16
#define MS (UINT64_C(1000000))

int eng_frag_init(struct tern_engine *eng, const struct tern_engine_conf *c)
{
	uint32_t max = c->frag_max != 0 ? c->frag_max : 1024;
	uint64_t timeout = (c->frag_timeout_ms != 0 ? c->frag_timeout_ms : 2000) * MS;
	/* Twice as many slots as datagrams, for hash collisions: about 1 KiB
	 * per datagram (1 MiB of hugepage memory by default). */
	uint32_t buckets = RTE_MAX(rte_align32pow2(max) * 2 / FRAG_BUCKET_ENTRIES, 1u);

	eng->frag = rte_ip_frag_table_create(buckets, FRAG_BUCKET_ENTRIES, max, timeout,
					     rte_socket_id());
	if (eng->frag == NULL) {
		tern_log(TERN_LOG_ERR, "engine: no memory for a fragment table of %u datagrams", max);
		return -ENOMEM;
	}
	return 0;
}

/* Frees what the library gave up on, counting each fragment once. */
static void frag_reap(struct tern_engine *eng)
{
	uint32_t n = eng->frag_dr.cnt;

	if (n == 0)
		return;
	eng->st.ip_frag_held -= n;
	eng->st.drops.ip_frag += n;
	rte_ip_frag_free_death_row(&eng->frag_dr, 0);
}

/* The table frees the fragments it still holds (they were counted held,
 * and the engine is going: nothing counts them any more). */
void eng_frag_fini(struct tern_engine *eng)
{
	frag_reap(eng);
	rte_ip_frag_table_destroy(eng->frag);
	eng->frag = NULL;
}

/* Incomplete datagrams past their time: RFC 1122 3.3.2's timer. */
void eng_frag_poll(struct tern_engine *eng)
{
	rte_ip_frag_table_del_expired_entries(eng->frag, &eng->frag_dr, eng_now(eng));
	frag_reap(eng);
}

/* What a copy keeps of the chain's head: its receive flags, less the L4
 * checksum verdict, which a NIC can only have given about one fragment. */
#define FRAG_RX_FLAGS (RTE_MBUF_F_RX_RSS_HASH | RTE_MBUF_F_RX_IP_CKSUM_MASK)

/*
 * Datagram chain r, too long for its first mbuf, copied whole into one
 * jumbo buffer; the chain is freed. Returns the copy, or NULL when there
 * is no jumbo buffer free (or none at all, or r is longer than one): r is
 * then dropped, ip_frag_big. Out of line: the price of a datagram over a
 * few KiB is the copy, not the call.
 */
static __attribute__((noinline)) struct rte_mbuf *frag_to_jumbo(struct tern_engine *eng,
								struct rte_mbuf *r)
{
	struct rte_mbuf *j = eng->jumbo_mp != NULL ? rte_pktmbuf_alloc(eng->jumbo_mp) : NULL;
	char *p = j != NULL ? rte_pktmbuf_append(j, rte_pktmbuf_pkt_len(r)) : NULL;

	if (p == NULL) {
		rte_pktmbuf_free(j);
		ENG_DROP(eng, r, ip_frag_big);
		return NULL;
	}
	for (const struct rte_mbuf *s = r; s != NULL; s = s->next) {
		memcpy(p, rte_pktmbuf_mtod(s, const char *), s->data_len);
		p += s->data_len;
	}
	j->port = r->port;
	j->packet_type = r->packet_type;
	j->hash = r->hash;
	j->tx_offload = r->tx_offload; /* l2_len and l3_len */
	j->ol_flags = r->ol_flags & FRAG_RX_FLAGS;
	rte_pktmbuf_free(r);
	return j;
}

/*
 * Takes a fragment (one segment, l2_len and l3_len set, trimmed to its
 * total length, header checked). Returns the whole datagram, in one mbuf
 * with a fresh header checksum, once the last piece came; NULL otherwise
 * (held, or dropped and counted).
 */
struct rte_mbuf *eng_frag_in(struct tern_engine *eng, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_mbuf *r;

	eng->st.ip_frag_held++;
	r = rte_ipv4_frag_reassemble_packet(eng->frag, &eng->frag_dr, m, eng_now(eng), ip);
	frag_reap(eng);
	if (r == NULL)
		return NULL;
	eng->st.ip_frag_held -= r->nb_segs;
	eng->st.delivered += r->nb_segs - 1u;
	eng->st.ip_reassembled++;
	/* Sockets hand out one segment: the pieces move into the first, or
	 * all of it into a jumbo buffer (linearize fails before changing
	 * anything when the first has too little room). */
	if (r->nb_segs > 1 && rte_pktmbuf_linearize(r) < 0) {
		r = frag_to_jumbo(eng, r);
		if (r == NULL)
			return NULL;
	}
	r->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK; /* unknown: summed in software */
	ip = rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, r->l2_len);
	ip->hdr_checksum = 0; /* the library leaves it zero */
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return r;
}
