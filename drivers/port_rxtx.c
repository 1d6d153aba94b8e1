/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port data path. The common case (a queue per worker) is one call into the
 * PMD; software redistribution and shared TX queues are out-of-line slow
 * paths whose cost lands in struct tern_worker_sw.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "drivers_internal.h"

#define RD_BURST 64  /* largest hardware burst one redistribution step takes */
#define NO_OWNER UINT16_MAX

int tern__redirect_init(struct tern_port *p)
{
	char name[RTE_RING_NAMESIZE];
	/* Several hardware-queue workers may feed one owner's ring. */
	unsigned int flags = RING_F_SC_DEQ | (p->nb_rxq == 1 ? RING_F_SP_ENQ : 0);
	int socket = rte_eth_dev_socket_id(p->port_id);

	p->sw = rte_zmalloc_socket("tern_sw", sizeof(*p->sw) * p->nb_workers,
				   RTE_CACHE_LINE_SIZE, socket);
	p->txq_locks = rte_zmalloc_socket("tern_txl", sizeof(*p->txq_locks) * p->nb_txq,
					  RTE_CACHE_LINE_SIZE, socket);
	if (p->sw == NULL || p->txq_locks == NULL)
		return -ENOMEM;
	for (uint16_t q = 0; q < p->nb_txq; q++)
		rte_spinlock_init(&p->txq_locks[q].lock);
	if (!p->sw_redirect)
		return 0;
	p->rd_rings = rte_zmalloc("tern_rd", sizeof(*p->rd_rings) * p->nb_workers, 0);
	if (p->rd_rings == NULL)
		return -ENOMEM;
	for (uint16_t w = 0; w < p->nb_workers; w++) {
		snprintf(name, sizeof(name), "trd_%u_%u", p->port_id, w);
		p->rd_rings[w] = rte_ring_create(name, 1024, socket, flags);
		if (p->rd_rings[w] == NULL) {
			DRV_LOG(ERR, "port %u: redistribution ring %s: %s", p->port_id,
				name, rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	return 0;
}

void tern__redirect_fini(struct tern_port *p)
{
	for (uint16_t w = 0; p->rd_rings != NULL && w < p->nb_workers; w++)
		rte_ring_free(p->rd_rings[w]);
	rte_free(p->rd_rings);
	rte_free(p->txq_locks);
	rte_free(p->sw);
	p->rd_rings = NULL;
	p->txq_locks = NULL;
	p->sw = NULL;
}

/* RSS hash of an untagged IPv4 packet; other traffic hashes to 0. */
uint32_t tern__mbuf_flow_hash(const struct tern_port *p, struct rte_mbuf *m,
			      bool *hashed)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, void *);
	const struct rte_ipv4_hdr *ip = (const void *)(eh + 1);
	const struct rte_udp_hdr *l4 = (const void *)((const char *)ip + sizeof(*ip));
	bool ports;

	*hashed = false;
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return m->hash.rss;
	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*ip) + sizeof(*l4) ||
	    eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return 0;
	l4 = (const void *)((const char *)ip + rte_ipv4_hdr_len(ip));
	ports = (ip->next_proto_id == IPPROTO_UDP || ip->next_proto_id == IPPROTO_TCP) &&
		(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) == 0 &&
		(const char *)(l4 + 1) <= rte_pktmbuf_mtod(m, const char *) + rte_pktmbuf_data_len(m);
	*hashed = true;
	return tern__softrss_v4(p->rss_key_be, rte_be_to_cpu_32(ip->src_addr),
				rte_be_to_cpu_32(ip->dst_addr),
				ports ? rte_be_to_cpu_16(l4->src_port) : 0,
				ports ? rte_be_to_cpu_16(l4->dst_port) : 0, ports);
}

/* Hands every packet of owner o (from index i on) to o's ring in one burst. */
static void pass_to_owner(struct tern_port *p, struct tern_worker_sw *sw,
			  struct rte_mbuf **in, uint16_t *own, uint16_t nb,
			  uint16_t i)
{
	struct rte_mbuf *out[RD_BURST];
	uint16_t o = own[i], k = 0, sent;

	for (uint16_t j = i; j < nb; j++)
		if (own[j] == o) {
			out[k++] = in[j];
			own[j] = NO_OWNER;
		}
	sent = rte_ring_enqueue_burst(p->rd_rings[o], (void **)out, k, NULL);
	sw->redirected += sent;
	sw->redirect_full += k - sent;
	if (unlikely(sent < k))
		rte_pktmbuf_free_bulk(out + sent, k - sent);
}

/* Polls worker w's hardware queue; keeps its own packets, passes the rest. */
static uint16_t rx_classify(struct tern_port *p, uint16_t w,
			    struct rte_mbuf **pkts, uint16_t n)
{
	struct tern_worker_sw *sw = &p->sw[w];
	struct rte_mbuf *in[RD_BURST];
	uint16_t own[RD_BURST], keep = 0, nb;
	uint64_t t0;
	bool hashed;

	nb = rte_eth_rx_burst(p->port_id, w, in, RTE_MIN(n, RD_BURST));
	if (nb == 0)
		return 0;
	t0 = rte_rdtsc();
	for (uint16_t i = 0; i < nb; i++) {
		uint32_t h = tern__mbuf_flow_hash(p, in[i], &hashed);

		sw->hashed += hashed;
		own[i] = tern_port_rss_worker(p, h);
	}
	for (uint16_t i = 0; i < nb; i++) {
		if (own[i] == w)
			pkts[keep++] = in[i];
		else if (own[i] != NO_OWNER)
			pass_to_owner(p, sw, in, own, nb, i);
	}
	sw->redirect_cycles += rte_rdtsc() - t0;
	return keep;
}

static uint16_t rx_redirect(struct tern_port *p, uint16_t w,
			    struct rte_mbuf **pkts, uint16_t n)
{
	/* Parked packets first: they arrived earlier than the next burst. */
	uint16_t got = rte_ring_sc_dequeue_burst(p->rd_rings[w], (void **)pkts, n, NULL);

	if (w < p->nb_rxq && got < n)
		got += rx_classify(p, w, pkts + got, n - got);
	return got;
}

uint16_t tern_port_rx_burst(struct tern_port *p, uint16_t w,
			    struct rte_mbuf **pkts, uint16_t n)
{
	if (likely(!p->sw_redirect))
		return rte_eth_rx_burst(p->port_id, w, pkts, n);
	return rx_redirect(p, w, pkts, n);
}

static uint16_t tx_shared(struct tern_port *p, uint16_t w,
			  struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t q = w % p->nb_txq, sent;
	rte_spinlock_t *l = &p->txq_locks[q].lock;

	if (!rte_spinlock_trylock(l)) {
		p->sw[w].tx_lock_spins++;
		rte_spinlock_lock(l);
	}
	sent = rte_eth_tx_burst(p->port_id, q, pkts, n);
	rte_spinlock_unlock(l);
	return sent;
}

uint16_t tern_port_tx_burst(struct tern_port *p, uint16_t w,
			    struct rte_mbuf **pkts, uint16_t n)
{
	if (likely(!p->tx_shared))
		return rte_eth_tx_burst(p->port_id, w, pkts, n);
	return tx_shared(p, w, pkts, n);
}
