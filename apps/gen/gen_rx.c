/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Matching replies. One task per flow awaits its socket; each reply is
 * checked (length, run's magic, flow), its sequence number widened against
 * the flow's next one and looked up in a window of GEN_WINDOW bits, so
 * every request is counted at most once: rx, dup, late or bad. The latency
 * is the receive TSC minus the *scheduled* send TSC the payload carries.
 * A replay's replies carry no stamp: gen_replay_reply() counts them.
 */
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "gen.h"

/* A reply outside the window (gen_match's unlikely case): from the future
 * (never sent) is bad, older than the window is late. */
static int64_t gen_match_slow(struct gen_app *a, const struct gen_flow *f, uint32_t back)
{
	if (back == 0 || back > (1u << 31) || back > f->next_seq)
		a->c.bad++;              /* never sent: from the future */
	else
		a->c.late++;             /* its slot was reused */
	return -1;
}

/* Counts one reply; returns its latency in TSC cycles, or -1 when unmatched. */
static inline int64_t gen_match(struct gen_app *a, const struct tern_udp_dgram *d, uint64_t now)
{
	const struct gen_payload *p = d->data;
	struct gen_flow *f;
	uint64_t seq, *word, bit;
	uint32_t back;

	if (d->len < sizeof(*p) || p->magic != a->magic || p->flow >= a->o.flows) {
		a->c.bad++;
		return -1;
	}
	f = &a->flows[p->flow];
	back = (uint32_t)f->next_seq - p->seq; /* how far behind the next send */
	/* one test for the usual reply: 1 <= back <= min(GEN_WINDOW, next_seq) */
	if (TERN_UNLIKELY(back - 1u >= GEN_WINDOW || back > f->next_seq))
		return gen_match_slow(a, f, back);
	seq = f->next_seq - back;
	word = &f->seen[(seq % GEN_WINDOW) / 64];
	bit = 1ull << (seq % 64);
	if (*word & bit) {
		a->c.dup++;
		return -1;
	}
	*word |= bit;
	a->c.rx++;
	return now > p->tsc ? (int64_t)(now - p->tsc) : 0;
}

/* The latency of a reply in ns: 32.32 fixed point, one multiply. */
static inline uint64_t gen_ns(const struct gen_app *a, uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * a->ns_per_tsc_q32) >> 32);
}

/*
 * A reply's mbuf, done with: kept as a spare for the next sends when it is
 * a plain one-segment buffer of our pool that nobody else references (what
 * rte_pktmbuf_free would put back in the pool, reset as an allocation would
 * return it); otherwise, or when the spares are full, into free[]. Returns
 * how many went into free[].
 */
static inline uint16_t gen_recycle(struct gen_app *a, const struct rte_mempool *mp,
				   struct rte_mbuf *m, struct rte_mbuf **free)
{
	if (m->nb_segs == 1 && m->pool == mp && a->spare_n < GEN_SPARE_MAX) {
		m = rte_pktmbuf_prefree_seg(m);
		if (m == NULL)
			return 0; /* another reference holds it: not ours to reuse */
		rte_pktmbuf_reset(m);
		a->spare[a->spare_n++] = m;
		return 0;
	}
	*free = m;
	return 1;
}

/* Counts and records a burst of replies, then recycles their mbufs. */
static void gen_rx_burst(struct gen_app *a, struct tern_udp_dgram *d, uint16_t n,
			 uint64_t now)
{
	const struct rte_mempool *mp = tern_mbuf_pool_mempool(a->pool);
	struct rte_mbuf *free[GEN_BURST_MAX];
	uint16_t nfree = 0;

	if (gen_replaying(a)) {
		for (uint16_t i = 0; i < n; i++)
			gen_replay_reply(a, &d[i], now); /* no stamp: counted only */
	} else {
		uint64_t ns[GEN_BURST_MAX];
		uint16_t k = 0;

		for (uint16_t i = 0; i < n; i++) {
			int64_t lat = gen_match(a, &d[i], now);

			if (lat >= 0)
				ns[k++] = gen_ns(a, (uint64_t)lat);
		}
		hist_record_burst(a->tick, ns, k);
	}
	for (uint16_t i = 0; i < n; i++)
		nfree += gen_recycle(a, mp, d[i].m, free + nfree);
	rte_pktmbuf_free_bulk(free, nfree);
}

intptr_t gen_rx_task(void *arg)
{
	struct gen_flow *f = arg;
	struct gen_app *a = f->app;
	struct tern_udp_dgram d[GEN_BURST_MAX];

	for (;;) {
		intptr_t n = tern_udp_recv_burst(f->sock, d, GEN_BURST_MAX,
						 tern_cancel_token(a->stop));

		if (n < 0)
			return n == -ECANCELED ? 0 : n;
		gen_rx_burst(a, d, (uint16_t)n, rte_rdtsc());
	}
}

int gen_rx_spawn(struct gen_app *a, tern_task_t *tasks)
{
	for (uint16_t i = 0; i < a->o.flows; i++) {
		int rc = tern_task_spawn(gen_rx_task, &a->flows[i],
					 &(struct tern_task_opts){ .name = "rx" }, &tasks[i]);
		if (rc < 0)
			return rc; /* the caller cancels and awaits tasks[0..i-1] */
	}
	return 0;
}
