/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Open-loop pacing. A poller, run every round of the core: it takes every
 * send whose scheduled time has come (at most one burst), stamps each with
 * its scheduled TSC and hands the burst to one flow's socket. The schedule
 * never waits for replies and never skips: a round that comes late sends
 * what is due at once, and the delay shows in the latency (wrk2's rule).
 */
#include <math.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "gen.h"

/* xorshift64*: uniform in (0, 1], for the Poisson schedule. */
static double gen_uniform(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return ((*s * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53 + 0x1.0p-54;
}

/* The gap after send k (counted from the start of the run). */
static double gen_gap(struct gen_app *a, uint64_t k)
{
	if (gen_replaying(a) && a->o.timing == GEN_TIMING_CAPTURE) {
		double g = gen_replay_gap(a, k);

		if (g >= 0)
			return g;
	}
	if (a->o.dist == GEN_CONSTANT)
		return a->gap_tsc;
	return -log(gen_uniform(&a->rng)) * a->gap_tsc; /* exponential: Poisson arrivals */
}

/*
 * The headroom and tailroom of every mbuf a send takes: the pool's
 * buffers, fresh or spares made as fresh (gen_mbuf_prep), have the data
 * room less the reset's headroom. Whether a payload's pad may be one
 * short store past it follows.
 */
static void gen_tx_room(struct gen_app *a)
{
	uint16_t len = a->o.size - GEN_HDRS;
	uint16_t room = rte_pktmbuf_data_room_size(tern_mbuf_pool_mempool(a->pool));
	uint16_t headroom = RTE_MIN((uint16_t)RTE_PKTMBUF_HEADROOM, room);

	a->tx_rearm = gen_mbuf_rearm(headroom);
	a->tx_room = room - headroom;
	a->short_pad = len <= 2 * sizeof(struct gen_payload) &&
		       a->tx_room >= 2 * sizeof(struct gen_payload);
}

void gen_tx_start(struct gen_app *a)
{
	/* per run, not per burst: they depend on the options and the pool only */
	a->due_constant = a->o.dist == GEN_CONSTANT && !gen_replaying(a);
	gen_tx_room(a);
	a->gap_tsc = (double)rte_get_tsc_hz() / (double)a->o.rate;
	a->rng = a->o.seed ? a->o.seed : 0x9e3779b97f4a7c15ull;
	a->start_tsc = rte_rdtsc();
	a->next_tsc = (double)a->start_tsc;
	a->grace_tsc = rte_get_tsc_hz() / 10;
	a->end_tsc = a->o.seconds ? a->start_tsc + a->o.seconds * rte_get_tsc_hz()
				  : UINT64_MAX - a->grace_tsc;
	/* constant gaps: exactly rate x seconds sends; the summed gaps alone
	 * drift by a few cycles (rounding) and could fit one more in */
	a->due_max = a->o.count ? a->o.count : UINT64_MAX;
	if (a->o.dist == GEN_CONSTANT && a->o.seconds &&
	    !(gen_replaying(a) && a->o.timing == GEN_TIMING_CAPTURE) &&
	    a->o.rate * a->o.seconds < a->due_max)
		a->due_max = a->o.rate * a->o.seconds;
	a->state = GEN_SENDING;
}

/* Scheduled times of the sends due by now: at most max, and when replaying,
 * only while they go to the first one's socket and port. */
static uint16_t gen_due(struct gen_app *a, uint64_t now, uint64_t *tsc, uint16_t max)
{
	uint64_t k0 = a->scheduled;
	uint16_t n = 0;

	while (n < max && a->next_tsc <= (double)now && a->next_tsc < (double)a->end_tsc &&
	       k0 + n < a->due_max &&
	       (n == 0 || !gen_replaying(a) || gen_replay_same_dest(a, k0, k0 + n))) {
		tsc[n] = (uint64_t)a->next_tsc;
		a->next_tsc += gen_gap(a, k0 + n);
		n++;
	}
	return n;
}

/*
 * gen_due() for constant gaps at --rate, the usual run: the same sums and
 * comparisons in the same order (the schedule is the same to the bit), with
 * the run's bounds read once per burst instead of once per send.
 */
static uint16_t gen_due_constant(struct gen_app *a, uint64_t now, uint64_t *tsc, uint16_t max)
{
	double next = a->next_tsc, gap = a->gap_tsc;
	double until = (double)now, end = (double)a->end_tsc;
	uint64_t left = a->due_max - a->scheduled;
	uint16_t n = 0;

	if (left < max)
		max = (uint16_t)left;
	/* next <= until && next < end is one of the two, whichever bound is
	 * lower; the stamp converts through int64_t, one instruction, the
	 * same value while the TSC is below 2^63 (a century of cycles) */
	if (end <= until) {
		while (n < max && next < end) {
			tsc[n++] = (uint64_t)(int64_t)next;
			next += gap;
		}
	} else {
		while (n < max && next <= until) {
			tsc[n++] = (uint64_t)(int64_t)next;
			next += gap;
		}
	}
	a->next_tsc = next;
	return n;
}

static bool gen_schedule_over(const struct gen_app *a)
{
	return a->next_tsc >= (double)a->end_tsc || a->scheduled >= a->due_max;
}

/*
 * The padding after the stamp: zeros. A small frame's (64 bytes: 2 bytes)
 * is one fixed 16-byte store, which may run into the tailroom (short says
 * there is room: gen_tx_start checks once a run), instead of a memset
 * call per packet.
 */
static inline void gen_pad(struct gen_payload *p, uint16_t len, bool short_pad)
{
	if (short_pad)
		memset(p + 1, 0, sizeof(*p));
	else if (len > sizeof(*p))
		memset(p + 1, 0, len - sizeof(*p));
}

/*
 * Clears the window's bits of the n (<= 64) sequence numbers from seq: the
 * slots are reused, so a reply older than the window counts as late. They
 * are consecutive bits, in one word or two (the window is whole words, so
 * its wrap falls between two).
 */
static void gen_window_clear(uint64_t *seen, uint64_t seq, uint16_t n)
{
	uint32_t bit = (uint32_t)(seq % GEN_WINDOW), w = bit / 64, off = bit % 64;
	uint64_t mask = n >= 64 ? ~0ull : (1ull << n) - 1;

	seen[w] &= ~(mask << off);
	if (off + n > 64)
		seen[(w + 1) % (GEN_WINDOW / 64)] &= ~(mask >> (64 - off));
}

/*
 * The burst's requests on flow: each mbuf made as a fresh one holding the
 * payload (gen_mbuf_prep), stamped with its scheduled TSC and the next
 * sequence number. Flow and magic are one store with the sequence number,
 * what the flow's reply task compares (gen_rx.c).
 */
static void gen_fill_burst(struct gen_app *a, uint16_t flow, const uint64_t *tsc, uint16_t n)
{
	struct gen_flow *f = &a->flows[flow];
	uint16_t len = a->o.size - GEN_HDRS;
	uint64_t rearm = a->tx_rearm;
	uint64_t seq = f->next_seq, id = flow | (uint64_t)a->magic << 16;
	struct rte_mbuf **m = a->pending;
	bool short_pad = a->short_pad; /* locals: the stores below may alias a */

	_Static_assert(offsetof(struct gen_payload, magic) == offsetof(struct gen_payload, flow) + 2 &&
		       offsetof(struct gen_payload, seq) == offsetof(struct gen_payload, flow) + 4,
		       "flow, magic and seq: one 8-byte store");
	gen_window_clear(f->seen, seq, n);
	for (uint16_t i = 0; i < n; i++) {
		struct gen_payload *p = gen_mbuf_prep(m[i], rearm, len);
		uint64_t w = id | (uint64_t)(uint32_t)(seq + i) << 32;

		p->tsc = tsc[i];
		memcpy(&p->flow, &w, sizeof(w));
		gen_pad(p, len, short_pad);
	}
	f->next_seq = seq + n;
}

/* Hands the pending burst to its flow's socket. Returns packets taken. */
static uint16_t gen_send_pending(struct gen_app *a)
{
	struct gen_flow *f = &a->flows[a->pending_flow];
	intptr_t k = tern_udp_sendto_burst(f->sock, a->pending, a->pending_n, a->o.dst_ip,
					   a->pending_port, TERN_TOKEN_NONE);

	if (k == -ENOBUFS) {
		a->c.tx_retry++; /* TX full: kept, retried next round with its stamp */
		return 0;
	}
	if (k < 0) {
		a->err = a->err ? a->err : (int)k;
		gen_tx_free_pending(a);
		a->state = GEN_DRAINING;
		a->stop_tsc = rte_rdtsc();
		return 0;
	}
	a->c.tx += (uint64_t)k;
	a->pending_n -= (uint16_t)k;
	memmove(a->pending, a->pending + k, a->pending_n * sizeof(a->pending[0]));
	return (uint16_t)k;
}

/* n empty mbufs into a->pending: the replies' spares first, then the pool's.
 * 0, or -ENOBUFS with none taken. */
static int gen_take_mbufs(struct gen_app *a, uint16_t n)
{
	uint16_t k = n < a->spare_n ? n : a->spare_n;

	if (k < n && rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(a->pool), a->pending + k,
					    n - k) != 0)
		return -ENOBUFS;
	a->spare_n -= k;
	memcpy(a->pending, a->spare + a->spare_n, k * sizeof(a->pending[0]));
	return 0;
}

/* Stamps up to one burst of due sends into a->pending; returns how many. */
static uint16_t gen_make_burst(struct gen_app *a, uint64_t now)
{
	uint64_t tsc[GEN_BURST_MAX];
	uint16_t flow = a->tx_flow, n;
	double next = a->next_tsc;
	uint64_t rng = a->rng;

	if (a->due_constant)
		n = gen_due_constant(a, now, tsc, a->o.burst);
	else
		n = gen_due(a, now, tsc, a->o.burst);
	if (n == 0)
		return 0;
	if (gen_take_mbufs(a, n) < 0) {
		a->next_tsc = next; /* not scheduled after all: retried next round */
		a->rng = rng;
		a->c.alloc_fail++;
		return 0;
	}
	if (gen_replaying(a)) {
		flow = gen_replay_flow(a, a->scheduled);
		a->pending_port = gen_replay_port(a, a->scheduled);
		for (uint16_t i = 0; i < n; i++)
			gen_replay_fill(a, a->pending[i], a->scheduled + i);
	} else {
		a->pending_port = a->o.dst_port;
		gen_fill_burst(a, flow, tsc, n);
		a->tx_flow = (uint16_t)((flow + 1) % a->o.flows);
	}
	a->scheduled += n;
	a->pending_n = n;
	a->pending_flow = flow;
	return n;
}

int gen_tx_poll(void *arg)
{
	struct gen_app *a = arg;
	uint64_t now;

	if (a->state != GEN_SENDING)
		return 0;
	if (a->pending_n > 0)
		return gen_send_pending(a) > 0;
	now = rte_rdtsc();
	if (gen_stop_requested || gen_schedule_over(a) || now >= a->end_tsc + a->grace_tsc) {
		/* past the end and still behind: the rate is above what the path
		 * sustains; what was due and not sent is reported, not sent late */
		if (!gen_schedule_over(a) && a->next_tsc < (double)now)
			a->behind_tsc = now - (uint64_t)a->next_tsc;
		a->state = GEN_DRAINING;
		a->stop_tsc = now;
		return 1;
	}
	if (gen_make_burst(a, now) == 0)
		return 0;
	gen_send_pending(a);
	return 1;
}

void gen_tx_free_pending(struct gen_app *a)
{
	rte_pktmbuf_free_bulk(a->pending, a->pending_n);
	a->pending_n = 0;
}

void gen_tx_free_spare(struct gen_app *a)
{
	rte_pktmbuf_free_bulk(a->spare, a->spare_n);
	a->spare_n = 0;
}
