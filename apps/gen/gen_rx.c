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

/* Counts one reply; returns its latency in TSC cycles, or -1 when unmatched. */
static int64_t gen_match(struct gen_app *a, const struct tern_udp_dgram *d, uint64_t now)
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
	if (back == 0 || back > (1u << 31) || back > f->next_seq) {
		a->c.bad++;              /* never sent: from the future */
		return -1;
	}
	if (back > GEN_WINDOW) {
		a->c.late++;             /* its slot was reused */
		return -1;
	}
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

intptr_t gen_rx_task(void *arg)
{
	struct gen_flow *f = arg;
	struct gen_app *a = f->app;
	struct tern_udp_dgram d[GEN_BURST_MAX];
	struct rte_mbuf *m[GEN_BURST_MAX];

	for (;;) {
		intptr_t n = tern_udp_recv_burst(f->sock, d, GEN_BURST_MAX,
						 tern_cancel_token(a->stop));
		uint64_t now = rte_rdtsc();

		if (n < 0)
			return n == -ECANCELED ? 0 : n;
		for (intptr_t i = 0; i < n; i++) {
			int64_t lat = -1;

			if (gen_replaying(a))
				gen_replay_reply(a, &d[i], now); /* no stamp: counted only */
			else
				lat = gen_match(a, &d[i], now);
			if (lat >= 0)
				hist_record(a->tick, (uint64_t)((double)lat * a->ns_per_tsc));
			m[i] = d[i].m;
		}
		rte_pktmbuf_free_bulk(m, (unsigned)n);
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
