/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-core engine: create/destroy, the poller (TX flush, RX burst,
 * prefetch, demultiplex, ARP timers) and the TX buffer.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <rte_prefetch.h>

#include <tern/log.h>

#include "engine_internal.h"
#include "rx_fast.h"
#include "telemetry.h"

#define MS (UINT64_C(1000000))

/* Hands the buffered packets to the port; what the ring refuses stays
 * buffered, in order, for the next flush. Returns how many left. */
int eng_tx_flush(struct tern_engine *eng)
{
	uint16_t n = eng->tx_n, k;

	if (n == 0)
		return 0;
	k = tern_port_tx_burst(eng->port, eng->worker, eng->tx, n);
	eng->st.tx_packets += k;
	if (k < n)
		memmove(eng->tx, eng->tx + k, (n - k) * sizeof(eng->tx[0]));
	eng->tx_n = n - k;
	return k;
}

/* eng_tx() for the packet that completes a batch, or when the buffer
 * holds a batch already (the ring refused some). */
int eng_tx_slow(struct tern_engine *eng, struct rte_mbuf *m)
{
	if (TERN_UNLIKELY(eng->tx_n >= ENG_TX_CAP)) {
		eng_tx_flush(eng);
		if (eng->tx_n >= ENG_TX_CAP) {
			eng->st.tx_full++;
			return -ENOBUFS;
		}
	}
	eng->tx[eng->tx_n++] = m;
	if (eng->tx_n >= ENG_BURST)
		eng_tx_flush(eng);
	return 0;
}

/* One round: earlier replies out, a burst in, each packet through the
 * fast path (rx_fast.h) or the protocols with the next ones' headers
 * prefetched, then what the burst produced (ARP and ICMP replies) out in
 * the same round. */
int tern_engine_poll(struct tern_engine *eng)
{
	struct rte_mbuf *pkts[ENG_BURST];
	struct eng_rx_run run = { .s = NULL };
	int work = eng_tx_flush(eng);
	uint16_t n;

	eng->now_read = false; /* eng_now() reads it if this poll needs it */
	n = tern_port_rx_burst(eng->port, eng->worker, pkts, ENG_BURST);
	eng->st.rx_packets += n;
	for (uint16_t i = 0; i < n && i < ENG_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	/* two loops, not one with a test per packet of whether a packet
	 * ENG_PREFETCH ahead exists (the test cost 4 instructions a packet
	 * and mispredicted near every burst's end): 1.016 in wall time */
	for (uint16_t i = 0; i + ENG_PREFETCH < n; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + ENG_PREFETCH], void *));
		if (!eng_rx_fast(eng, &run, pkts[i]))
			eng_eth_in(eng, pkts[i]);
	}
	for (uint16_t i = n > ENG_PREFETCH ? n - ENG_PREFETCH : 0; i < n; i++)
		if (!eng_rx_fast(eng, &run, pkts[i]))
			eng_eth_in(eng, pkts[i]);
	eng_rx_run_end(eng, &run);
	if (eng->arp.n_incomplete > 0 && eng_now(eng) >= eng->arp.next_check_ns)
		eng_arp_poll(eng);
	if (TERN_UNLIKELY(eng->st.ip_frag_held > 0))
		eng_frag_poll(eng);
	work += n + eng_tx_flush(eng);
	return work > 0;
}

static int eng_poller(void *arg)
{
	return tern_engine_poll(arg);
}

static int eng_conf_check(const struct tern_engine_conf *c, struct tern_engine **out)
{
	if (c == NULL || out == NULL || c->port == NULL || c->pool == NULL || c->ip == 0) {
		tern_log(TERN_LOG_ERR, "engine: conf, out, port, pool and ip are required");
		return -EINVAL;
	}
	if (c->worker >= tern_port_nb_workers(c->port) || c->sock_queue > ENG_SOCK_QUEUE_MAX ||
	    (c->group != NULL && c->group->port != c->port)) {
		tern_log(TERN_LOG_ERR, "engine: worker %u past the port's %u workers, sock_queue %u above %u, "
			 "or a group of another port", c->worker, tern_port_nb_workers(c->port),
			 c->sock_queue, ENG_SOCK_QUEUE_MAX);
		return -EINVAL;
	}
	return 0;
}

#define DEFAULT(v, d) ((v) != 0 ? (v) : (d))

static void eng_conf_apply(struct tern_engine *eng, const struct tern_engine_conf *c)
{
	static const uint8_t zero[6];

	eng->port = c->port;
	eng->worker = c->worker;
	eng->ip = c->ip;
	eng->netmask = DEFAULT(c->netmask, 0xffffff00u);
	eng->gateway = c->gateway;
	eng->offloads = tern_port_offloads(c->port);
	if (memcmp(c->mac, zero, 6) == 0)
		tern_port_mac(c->port, eng->mac.addr_bytes);
	else
		memcpy(eng->mac.addr_bytes, c->mac, 6);
	eng->mp = tern_mbuf_pool_mempool(c->pool);
	eng->jumbo_mp = tern_mbuf_pool_jumbo(c->pool);
	eng->sock_queue = DEFAULT(c->sock_queue, 256);
	eng->arp_timeout_ns = DEFAULT(c->arp_timeout_ms, 3000) * MS;
	eng->arp_retry_ns = DEFAULT(c->arp_retry_ms, 1000) * MS;
	eng->arp_ttl_ns = DEFAULT(c->arp_ttl_ms, 60000) * MS;
	eng_bucket_init(&eng->icmp_bucket, DEFAULT(c->icmp_rate, 100), DEFAULT(c->icmp_burst, 10));
	eng_bucket_init(&eng->sync_bucket, DEFAULT(c->arp_sync_rate, 1000),
			DEFAULT(c->arp_sync_burst, 32));
	for (int i = 0; i < ENG_ARP_SLOTS; i++)
		eng_waitlist_init(&eng->arp.e[i].waiters);
}

static int eng_alloc(struct tern_engine **out)
{
	struct tern_engine *eng = aligned_alloc(TERN_CACHE_LINE,
		(sizeof(*eng) + TERN_CACHE_LINE - 1) & ~(size_t)(TERN_CACHE_LINE - 1));

	if (eng == NULL)
		return -ENOMEM;
	memset(eng, 0, sizeof(*eng));
	eng->socks = calloc(UINT16_MAX + 1, sizeof(eng->socks[0]));
	if (eng->socks == NULL) {
		free(eng);
		return -ENOMEM;
	}
	*out = eng;
	return 0;
}

static void eng_free(struct tern_engine *eng)
{
	free(eng->socks);
	free(eng);
}

int tern_engine_create(const struct tern_engine_conf *conf, struct tern_engine **out)
{
	struct tern_engine *eng;
	int rc = eng_conf_check(conf, out);

	if (rc < 0)
		return rc;
	if (conf->sched == NULL && tern_sched_current() == NULL)
		return -EPERM;
	rc = eng_alloc(&eng);
	if (rc < 0)
		return rc;
	eng->sched = conf->sched != NULL ? conf->sched : tern_sched_current();
	eng_conf_apply(eng, conf);
	rc = eng_frag_init(eng, conf);
	if (rc < 0) {
		eng_free(eng);
		return rc;
	}
	rc = conf->group != NULL ? eng_group_join(eng, conf->group) : 0;
	if (rc == 0)
		rc = tern_sched_add_poller(eng->sched, &(struct tern_poller){
			.name = "engine", .poll = eng_poller, .arg = eng });
	if (rc < 0) {
		eng_group_leave(eng);
		eng_frag_fini(eng);
		eng_free(eng);
		return rc;
	}
	eng->poller_id = rc;
	/* One announcement per port: the siblings share the address. */
	if (!conf->no_gratuitous_arp && eng_group_first_announce(eng))
		eng_arp_announce(eng); /* best effort: a failure is counted */
	eng_tel_add(eng); /* last: telemetry finds only whole engines */
	*out = eng;
	return 0;
}

static bool eng_busy(const struct tern_engine *eng)
{
	for (uint32_t p = 0; p <= UINT16_MAX; p++)
		if (eng->socks[p] != NULL &&
		    (eng->socks[p]->waiters.busy > 0 || eng_serve_busy(eng->socks[p])))
			return true;
	return eng_arp_busy(eng);
}

int tern_engine_destroy(struct tern_engine *eng)
{
	if (eng == NULL)
		return 0;
	if (eng_busy(eng)) {
		tern_log(TERN_LOG_ERR, "engine: tasks still wait on it or serve handlers run: "
			 "cancel or stop them before destroy");
		return -EBUSY;
	}
	eng_tel_remove(eng); /* first: waits out a reply reading eng */
	eng_group_leave(eng);
	tern_sched_remove_poller(eng->sched, eng->poller_id);
	eng_udp_close_all(eng);
	eng_arp_fini(eng);
	eng_frag_fini(eng);
	rte_pktmbuf_free_bulk(eng->tx, eng->tx_n);
	eng_free(eng);
	return 0;
}

void tern_engine_stats(const struct tern_engine *eng, struct tern_engine_stats *out)
{
	if (eng == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = eng->st;
}

int tern_ipv4_parse(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (!s || !out || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}
