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
 * (overlap, timeout, table full: counted in ip_frag when the row is
 * freed), so rx = delivered + drops + held at every poll.
 */
/* rte_ip_frag_table_del_expired_entries() is experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API

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
	rte_ip_frag_table_del_expired_entries(eng->frag, &eng->frag_dr, eng->now_ns);
	frag_reap(eng);
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
	r = rte_ipv4_frag_reassemble_packet(eng->frag, &eng->frag_dr, m, eng->now_ns, ip);
	frag_reap(eng);
	if (r == NULL)
		return NULL;
	eng->st.ip_frag_held -= r->nb_segs;
	eng->st.delivered += r->nb_segs - 1u;
	eng->st.ip_reassembled++;
	/* Sockets hand out one segment: the pieces move into the first. */
	if (r->nb_segs > 1 && rte_pktmbuf_linearize(r) < 0) {
		ENG_DROP(eng, r, ip_frag_big);
		return NULL;
	}
	ip = rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, r->l2_len);
	ip->hdr_checksum = 0; /* the library leaves it zero */
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return r;
}
