/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Matching replies. One task per flow awaits its socket; each reply is
 * checked (length, run's magic, flow), its sequence number widened against
 * the flow's next one and looked up in a window of GEN_WINDOW bits, so
 * every request is counted at most once: rx, dup, late or bad. The latency
 * is the receive TSC minus the *scheduled* send TSC the payload carries.
 * The usual reply (its own flow's, in the window, first seen) takes an
 * inline path with the flow's bounds read once a burst (gen_match_fast);
 * anything else an out-of-line one that judges it (gen_match). A replay's
 * replies carry no stamp: gen_replay_reply() counts them. Either way the
 * replies' mbufs carry the next requests (gen_recycle).
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "gen.h"

/* A reply outside the window (gen_match's unlikely case): from the future
 * (never sent) is bad, older than the window is late. */
static void gen_match_slow(struct gen_app *a, const struct gen_flow *f, uint32_t back)
{
	if (back == 0 || back > (1u << 31) || back > f->next_seq)
		a->c.bad++;              /* never sent: from the future */
	else
		a->c.late++;             /* its slot was reused */
}

/*
 * Judges any reply: dup, late or bad are counted; true with *lat its
 * latency in TSC cycles when matched (the caller counts it in rx). Out of
 * line: gen_match_fast() takes the usual reply, this one whatever it
 * declines.
 */
static __attribute__((noinline)) bool gen_match(struct gen_app *a,
						 const struct tern_udp_dgram *d,
						 uint64_t now, uint64_t *lat)
{
	const struct gen_payload *p = d->data;
	struct gen_flow *f;
	uint64_t seq, *word, bit;
	uint32_t back;

	if (d->len < sizeof(*p) || p->magic != a->magic || p->flow >= a->o.flows) {
		a->c.bad++;
		return false;
	}
	f = &a->flows[p->flow];
	back = (uint32_t)f->next_seq - p->seq; /* how far behind the next send */
	/* one test for the usual reply: 1 <= back <= min(GEN_WINDOW, next_seq) */
	if (back - 1u >= GEN_WINDOW || back > f->next_seq) {
		gen_match_slow(a, f, back);
		return false;
	}
	seq = f->next_seq - back;
	word = &f->seen[(seq % GEN_WINDOW) / 64];
	bit = 1ull << (seq % 64);
	if (*word & bit) {
		a->c.dup++;
		return false;
	}
	*word |= bit;
	*lat = now > p->tsc ? now - p->tsc : 0;
	return true;
}

/*
 * The usual reply, on flow f's own socket: its flow and magic as this
 * socket's requests carry them (one compare of bytes 8-11), its sequence
 * number 1 to lim behind the flow's next (lim: GEN_WINDOW, or fewer sends
 * so far), seen for the first time: marked seen, true with *tsc its stamp.
 * Its window slot is the low 16 bits of the 32 it carries: the widened
 * number's are the same. False, with nothing changed, for anything else
 * (gen_match judges it).
 */
static inline bool gen_match_fast(uint64_t *seen, const struct tern_udp_dgram *d, uint32_t id,
				  uint32_t next, uint32_t lim, uint64_t *tsc)
{
	const struct gen_payload *p = d->data;
	uint64_t *word, bit;
	uint32_t got;

	memcpy(&got, &p->flow, sizeof(got));
	if (TERN_UNLIKELY(d->len < sizeof(*p) || got != id || next - p->seq - 1u >= lim))
		return false;
	word = &seen[(p->seq % GEN_WINDOW) / 64];
	bit = 1ull << (p->seq % 64);
	if (TERN_UNLIKELY(*word & bit))
		return false;
	*tsc = p->tsc; /* before the store, which might alias it */
	*word |= bit;
	return true;
}

/* The latency of a reply in ns: 32.32 fixed point (gen_app.ns_per_tsc_q32),
 * one multiply. */
static inline uint64_t gen_ns(uint64_t q32, uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * q32) >> 32);
}

/*
 * Counts and times a burst of replies on flow f's socket. The flow's next
 * sequence number and window hold still for the burst (the sends run
 * between bursts, on this core), so they stay in registers, and so do the
 * histogram's totals (hist_burst); every reply matched is recorded there
 * once, so its count tells rx.
 */
static void gen_rx_stamped(struct gen_app *a, struct gen_flow *f,
			   const struct tern_udp_dgram *d, uint16_t n, uint64_t now)
{
	uint32_t id = (uint32_t)(f - a->flows) | (uint32_t)a->magic << 16; /* bytes 8-11 */
	uint32_t lim = f->next_seq < GEN_WINDOW ? (uint32_t)f->next_seq : GEN_WINDOW;
	uint32_t next = (uint32_t)f->next_seq;
	uint64_t *seen = f->seen, q32 = a->ns_per_tsc_q32;
	struct hist *h = a->tick;
	struct hist_burst hb;
	uint64_t count0;

	hist_burst_begin(h, &hb);
	count0 = hb.count;
	for (uint16_t i = 0; i < n; i++) {
		uint64_t lat, tsc;

		if (TERN_LIKELY(gen_match_fast(seen, &d[i], id, next, lim, &tsc)))
			lat = now > tsc ? now - tsc : 0;
		else if (!gen_match(a, &d[i], now, &lat))
			continue;
		hist_burst_add(h, &hb, gen_ns(q32, lat));
	}
	hist_burst_end(h, &hb);
	a->c.rx += hb.count - count0;
}

/*
 * A burst's mbufs, done with: each kept as a spare for the next sends when
 * it is a plain one-segment buffer of our pool that nobody else references
 * (what rte_pktmbuf_free would put straight back in the pool: the checks
 * of rte_pktmbuf_prefree_seg's common case), the others (or all once the
 * spares are full) freed; rte_pktmbuf_free_bulk handles whatever they
 * are. A spare is not reset here: the send that takes it sets every field
 * a reset would (gen_mbuf_prep, gen.h).
 */
static void gen_recycle(struct gen_app *a, const struct tern_udp_dgram *d, uint16_t n)
{
	const struct rte_mempool *mp = tern_mbuf_pool_mempool(a->pool);
	struct rte_mbuf *free[GEN_BURST_MAX];
	uint16_t nspare = a->spare_n, nfree = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = d[i].m;

		if (m->nb_segs == 1 && m->next == NULL && m->pool == mp &&
		    rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m) && nspare < GEN_SPARE_MAX)
			a->spare[nspare++] = m;
		else
			free[nfree++] = m;
	}
	a->spare_n = nspare;
	if (nfree > 0)
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
		uint64_t now;

		if (n < 0)
			return n == -ECANCELED ? 0 : n;
		now = rte_rdtsc();
		if (gen_replaying(a)) {
			for (intptr_t i = 0; i < n; i++)
				gen_replay_reply(a, &d[i], now); /* no stamp: counted only */
		} else {
			gen_rx_stamped(a, f, d, (uint16_t)n, now);
		}
		gen_recycle(a, d, (uint16_t)n);
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
