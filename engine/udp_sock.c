/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP sockets: the per-core table, bounded receive queues and awaiting
 * receives. The RX poller queues a datagram and wakes the oldest waiting
 * task (udp_in.c); the task takes it from the queue when it runs, so a
 * cancelled wait never loses a datagram.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_udp.h>

#include "engine_internal.h"

#define EPHEMERAL_LO 49152 /* RFC 6335 dynamic ports */
#define EPHEMERAL_HI 65535
#define EPHEMERAL_SPAN (EPHEMERAL_HI - EPHEMERAL_LO + 1)

static uint16_t ephemeral_next(uint16_t p)
{
	return p >= EPHEMERAL_HI || p < EPHEMERAL_LO ? EPHEMERAL_LO : p + 1;
}

/* Replies from the remote to local port p reach our worker. */
static bool udp_port_ours(const struct tern_engine *eng, const struct tern_udp_opts *o,
			  uint16_t p)
{
	/* Replies travel remote -> us: hash them as the port will. */
	uint32_t h = tern_port_rss_hash_v4(eng->port, o->remote_ip, eng->ip,
					   o->remote_port, p);

	return tern_port_rss_worker(eng->port, h) == eng->worker;
}

/*
 * A free ephemeral port; with a remote, one whose datagrams from it hash
 * to our worker (RSS, or the port's software steering: the same table).
 * Starts after the last one given, so closed ports are not reused at once.
 * One pass over the range, one hash per candidate: asking
 * tern_port_rss_pick_sport() for the next port of our worker and then
 * finding it taken walks the range again per taken port (quadratic once
 * most of our worker's ports are bound).
 */
static int udp_pick_port(struct tern_engine *eng, const struct tern_udp_opts *o,
			 uint16_t *port)
{
	bool remote = o != NULL && o->remote_ip != 0;
	uint16_t p = ephemeral_next(eng->next_ephemeral);

	for (uint32_t tries = 0; tries < EPHEMERAL_SPAN; tries++, p = ephemeral_next(p)) {
		if (remote && !udp_port_ours(eng, o, p))
			continue;
		if (eng->socks[p] == NULL) {
			eng->next_ephemeral = p;
			*port = p;
			return 0;
		}
	}
	return remote ? -EADDRNOTAVAIL : -EADDRINUSE;
}

int tern_udp_bind(struct tern_engine *eng, uint16_t port,
		  const struct tern_udp_opts *opts, struct tern_udp_sock **out)
{
	uint32_t cap = opts != NULL && opts->queue != 0 ? opts->queue : 0;
	struct tern_udp_sock *s;
	int rc;

	if (eng == NULL || out == NULL || cap > ENG_SOCK_QUEUE_MAX ||
	    (opts != NULL && opts->remote_ip != 0 && opts->remote_port == 0))
		return -EINVAL;
	if (port == 0 && (rc = udp_pick_port(eng, opts, &port)) < 0)
		return rc;
	if (eng->socks[port] != NULL)
		return -EADDRINUSE;
	if (cap == 0)
		cap = eng->sock_queue;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->q = calloc(rte_align32pow2(cap), sizeof(s->q[0]));
	if (s->q == NULL) {
		free(s);
		return -ENOMEM;
	}
	s->eng = eng;
	s->port = port;
	s->cap = cap;
	s->mask = rte_align32pow2(cap) - 1;
	eng_waitlist_init(&s->waiters);
	eng->socks[port] = s;
	eng_group_port_bound(eng, port, true); /* siblings hand us its datagrams */
	*out = s;
	return 0;
}

static void udp_free(struct tern_udp_sock *s)
{
	eng_serve_free(s);
	while (s->head != s->tail)
		rte_pktmbuf_free(s->q[s->head++ & s->mask]);
	s->eng->socks[s->port] = NULL;
	eng_group_port_bound(s->eng, s->port, false);
	free(s->q);
	free(s);
}

int tern_udp_close(struct tern_udp_sock *s)
{
	if (s == NULL)
		return 0;
	if (s->waiters.busy > 0 || s->senders > 0 || eng_serve_busy(s))
		return -EBUSY;
	udp_free(s);
	return 0;
}

void eng_udp_close_all(struct tern_engine *eng)
{
	for (uint32_t p = 0; p <= UINT16_MAX; p++)
		if (eng->socks[p] != NULL)
			udp_free(eng->socks[p]);
}

/* Describes a queued datagram: its headers sit just before the payload. */
static inline void udp_dgram(struct rte_mbuf *m, struct tern_udp_dgram *d)
{
	char *data = rte_pktmbuf_mtod(m, char *);

	eng_dgram_fill(d, m, data, data - sizeof(struct rte_udp_hdr) - m->l3_len,
		       rte_pktmbuf_data_len(m));
}

/*
 * Both receives: up to n datagrams into out[] (described) or out_m[]
 * (bare). Each call site passes the other array as a constant NULL: a
 * NULL array of its own kind is then -EINVAL, and the tests of which kind
 * fold away. With the queue empty, the RX path fills the array itself and
 * wakes us with how many (rx_fast.h); a wake-up of 0 means "look in the
 * queue", where another task may take what woke us before we run: then we
 * wait again.
 */
static inline __attribute__((always_inline)) intptr_t
udp_recv(struct tern_udp_sock *s, struct tern_udp_dgram *out, struct rte_mbuf **out_m,
	 uint16_t n, tern_token_t tok)
{
	struct rte_mbuf **q;
	uint32_t head, mask;
	uint16_t k;

	if (s == NULL || (out == NULL && out_m == NULL) || n == 0)
		return -EINVAL;
	if (eng_serve_active(s))
		return -EBUSY;
	while (s->head == s->tail) {
		intptr_t v = eng_wait_rx(&s->waiters, out, out_m, n, tok);

		if (v != 0)
			return v;
	}
	/* The queue in locals: stores to out[] may alias *s for the compiler. */
	q = s->q;
	mask = s->mask;
	head = s->head;
	k = s->tail - head < n ? (uint16_t)(s->tail - head) : n;
	for (uint16_t i = 0; i < k; i++) {
		if (out != NULL)
			udp_dgram(q[(head + i) & mask], &out[i]);
		else
			out_m[i] = q[(head + i) & mask];
	}
	s->head = head + k;
	return k;
}

intptr_t tern_udp_recv_burst(struct tern_udp_sock *s, struct tern_udp_dgram *out,
			     uint16_t n, tern_token_t tok)
{
	return udp_recv(s, out, NULL, n, tok);
}

intptr_t tern_udp_recv_mbufs(struct tern_udp_sock *s, struct rte_mbuf **out, uint16_t n,
			     tern_token_t tok)
{
	return udp_recv(s, NULL, out, n, tok);
}

void tern_udp_describe(struct rte_mbuf *m, struct tern_udp_dgram *d)
{
	udp_dgram(m, d);
}

intptr_t tern_udp_recv(struct tern_udp_sock *s, struct tern_udp_dgram *out, tern_token_t tok)
{
	intptr_t v = tern_udp_recv_burst(s, out, 1, tok);

	return v < 0 ? v : 0;
}

uint16_t tern_udp_sock_port(const struct tern_udp_sock *s)
{
	return s->port;
}

void tern_udp_sock_stats(const struct tern_udp_sock *s, struct tern_udp_sock_stats *out)
{
	*out = s->st;
	out->queued = s->tail - s->head;
	out->waiters = s->waiters.n;
	out->handlers = eng_serve_running(s);
}
