/* SPDX-License-Identifier: BSD-3-Clause */
/* Port control path: attach a device, negotiate, configure, start, stop. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "drivers_internal.h"

#define DEFAULT_DESC 1024

/* TERN_OFFLOAD_* bit -> the ethdev capabilities it needs, all of them. */
static const struct offload_map {
	uint32_t tern;
	uint64_t rx, tx;
	uint64_t ol_flags;  /* mbuf flags tern's TX path may then set */
} offload_map[] = {
	{ TERN_OFFLOAD_IPV4_CKSUM_RX, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM, 0, 0 },
	{ TERN_OFFLOAD_L4_CKSUM_RX,
	  RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM, 0, 0 },
	{ TERN_OFFLOAD_IPV4_CKSUM_TX, 0, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM,
	  RTE_MBUF_F_TX_IP_CKSUM },
	{ TERN_OFFLOAD_UDP_CKSUM_TX, 0, RTE_ETH_TX_OFFLOAD_UDP_CKSUM,
	  RTE_MBUF_F_TX_UDP_CKSUM },
	{ TERN_OFFLOAD_TCP_CKSUM_TX, 0, RTE_ETH_TX_OFFLOAD_TCP_CKSUM,
	  RTE_MBUF_F_TX_TCP_CKSUM },
	{ TERN_OFFLOAD_MULTI_SEG_TX, 0, RTE_ETH_TX_OFFLOAD_MULTI_SEGS, 0 },
	{ TERN_OFFLOAD_TSO, 0, RTE_ETH_TX_OFFLOAD_TCP_TSO, RTE_MBUF_F_TX_TCP_SEG },
	{ TERN_OFFLOAD_RSS_HASH, RTE_ETH_RX_OFFLOAD_RSS_HASH, 0, 0 },
};

static int check_conf(const struct tern_port_conf *c)
{
	if (c == NULL || tern__preset(c->preset) == NULL) {
		DRV_LOG(ERR, "port conf missing or preset unknown");
		return -EINVAL;
	}
	if (c->nb_workers == 0 || c->nb_workers > RTE_MAX_LCORE) {
		DRV_LOG(ERR, "conf.nb_workers is %u: give 1..%u (one per worker core)",
			c->nb_workers, RTE_MAX_LCORE);
		return -EINVAL;
	}
	if (c->pool == NULL) {
		DRV_LOG(ERR, "conf.pool is NULL: create one with tern_mbuf_pool_create()");
		return -EINVAL;
	}
	if (c->ring_rss) {
		DRV_LOG(ERR, "conf.ring_rss is for ring pairs: use tern_port_pair_create()");
		return -EINVAL;
	}
	return 0;
}

struct tern_port *tern__port_alloc(const struct tern_port_conf *c)
{
	struct tern_port *p = rte_zmalloc("tern_port", sizeof(*p), RTE_CACHE_LINE_SIZE);

	if (p == NULL)
		return NULL;
	p->port_id = RTE_MAX_ETHPORTS;
	p->preset = c->preset;
	p->nb_workers = c->nb_workers;
	p->link_wait_ms = c->link_wait_ms;
	p->memif_server = c->memif_server;
	p->ring_rss = c->ring_rss;
	snprintf(p->iface, sizeof(p->iface), "%s", c->iface ? c->iface : "");
	snprintf(p->socket, sizeof(p->socket), "%s", c->socket ? c->socket : "");
	return p;
}

/* A tap name in use would make the PMD join the other tap's queues;
 * af_packet needs an interface that exists. Both named before probing. */
static int check_iface(const struct tern_port_conf *c)
{
	bool exists = c->iface != NULL && if_nametoindex(c->iface) != 0;

	if (c->preset == TERN_PORT_TAP && exists) {
		DRV_LOG(ERR, "tap name %s already in use: pick another conf.iface or remove it (ip link del %s)",
			c->iface, c->iface);
		return -EEXIST;
	}
	if (c->preset == TERN_PORT_AF_PACKET && c->iface != NULL && !exists) {
		DRV_LOG(ERR, "interface %s not found: af_packet attaches to an existing interface (ip link show)",
			c->iface);
		return -ENODEV;
	}
	return 0;
}

static int probe_error(const struct tern_preset *ps, const char *name, int rc)
{
	/* With no driver registered under the name, no bus claims the device
	 * string and rte_dev_probe fails with -EFAULT ("failed to parse"). */
	if (rc > 0 || rc == -EFAULT || rc == -ENOTSUP || rc == -ENOENT) {
		DRV_LOG(ERR, "vdev %s not found: install %s", ps->driver, ps->package);
		return -ENOENT;
	}
	if (rc == -EEXIST) {
		DRV_LOG(ERR, "vdev %s already exists: give conf.name a unique value", name);
		return -EEXIST;
	}
	DRV_LOG(ERR, "vdev %s: probe failed (%s): see the PMD's message above",
		name, strerror(-rc));
	return -ENODEV;
}

int tern__vdev_probe(const struct tern_preset *ps, const char *name,
		     const char *args, uint16_t *port_id)
{
	char devstr[RTE_ETH_NAME_MAX_LEN + 512];
	int rc;

	if (snprintf(devstr, sizeof(devstr), "%s%s%s", name, args[0] ? "," : "",
		     args) >= (int)sizeof(devstr))
		return -E2BIG;
	rc = rte_dev_probe(devstr);
	if (rc != 0)
		return probe_error(ps, name, rc);
	if (rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		DRV_LOG(ERR, "vdev %s probed but has no ethdev port", name);
		rte_eal_hotplug_remove("vdev", name);
		return -ENODEV;
	}
	return 0;
}

static int attach_vdev(struct tern_port *p, const struct tern_port_conf *c)
{
	const struct tern_preset *ps = tern__preset(c->preset);
	char args[512];
	int rc;

	if (c->name != NULL)
		snprintf(p->name, sizeof(p->name), "%s_%s", ps->driver, c->name);
	else
		snprintf(p->name, sizeof(p->name), "%s_%lx", ps->driver,
			 (unsigned long)(uintptr_t)p);
	rc = check_iface(c);
	if (rc == 0)
		rc = ps->devargs(c, args, sizeof(args));
	if (rc == 0)
		rc = tern__vdev_probe(ps, p->name, args, &p->port_id);
	p->is_vdev = rc == 0;
	return rc;
}

static int attach(struct tern_port *p, const struct tern_port_conf *c)
{
	if (c->preset == TERN_PORT_RING) {
		DRV_LOG(ERR, "ring ports come in pairs: use tern_port_pair_create()");
		return -EINVAL;
	}
	if (c->preset != TERN_PORT_ETHDEV)
		return attach_vdev(p, c);
	if (!rte_eth_dev_is_valid_port(c->port_id)) {
		DRV_LOG(ERR, "port %u does not exist: name the device with -a (PCI) or --vdev before --",
			c->port_id);
		return -ENOENT;
	}
	p->port_id = c->port_id;
	rte_eth_dev_get_name_by_port(p->port_id, p->name);
	return 0;
}

/* Queues: one per worker where the device can steer by Toeplitz RSS (a
 * ring pair with ring_rss is such a device: its sender steers). */
static void pick_queues(struct tern_port *p, const struct rte_eth_dev_info *di)
{
	uint16_t cap = p->ring_rss ? 0 : tern__preset(p->preset)->max_queues;
	bool rss = p->ring_rss ||
		   ((di->flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_UDP) &&
		    di->max_rx_queues >= p->nb_workers && cap != 1);

	p->nb_rxq = rss ? p->nb_workers : 1;
	p->nb_txq = RTE_MIN(p->nb_workers, di->max_tx_queues);
	if (cap != 0)
		p->nb_txq = RTE_MIN(p->nb_txq, cap);
	p->sw_redirect = p->nb_rxq < p->nb_workers;
	p->tx_shared = p->nb_txq < p->nb_workers;
	if (p->sw_redirect)
		DRV_LOG(INFO, "port %u has %u RX queue%s but %u worker cores: software redistribution on",
			p->port_id, p->nb_rxq, p->nb_rxq == 1 ? "" : "s", p->nb_workers);
	if (p->tx_shared)
		DRV_LOG(INFO, "port %u has %u TX queue%s for %u workers: TX queues shared under a lock",
			p->port_id, p->nb_txq, p->nb_txq == 1 ? "" : "s", p->nb_workers);
}

static void negotiate_offloads(struct tern_port *p, uint32_t want,
			       const struct rte_eth_dev_info *di,
			       struct rte_eth_conf *ec)
{
	for (size_t i = 0; i < RTE_DIM(offload_map); i++) {
		const struct offload_map *m = &offload_map[i];

		if (!(want & m->tern) || (di->rx_offload_capa & m->rx) != m->rx ||
		    (di->tx_offload_capa & m->tx) != m->tx)
			continue;
		if (m->tern == TERN_OFFLOAD_RSS_HASH && p->nb_rxq < 2)
			continue;
		ec->rxmode.offloads |= m->rx;
		ec->txmode.offloads |= m->tx;
		p->offloads |= m->tern;
		p->tx_offload_flags |= m->ol_flags;
	}
	if (want & ~p->offloads)
		DRV_LOG(INFO, "port %u: offloads wanted 0x%x, granted 0x%x: the rest in software",
			p->port_id, want, p->offloads);
}

static int setup_queues(struct tern_port *p, const struct tern_port_conf *c,
			const struct rte_eth_dev_info *di)
{
	uint16_t nrx = c->rx_desc ? c->rx_desc : DEFAULT_DESC;
	uint16_t ntx = c->tx_desc ? c->tx_desc : DEFAULT_DESC;
	int socket = rte_eth_dev_socket_id(p->port_id);
	struct rte_eth_rxconf rxc = di->default_rxconf;
	struct rte_eth_txconf txc = di->default_txconf;
	struct rte_mempool *mp = tern_mbuf_pool_mempool(c->pool);
	int rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nrx, &ntx);

	rxc.offloads = 0;
	txc.offloads = 0;
	for (uint16_t q = 0; rc == 0 && q < p->nb_rxq; q++)
		rc = rte_eth_rx_queue_setup(p->port_id, q, nrx, socket, &rxc, mp);
	for (uint16_t q = 0; rc == 0 && q < p->nb_txq; q++)
		rc = rte_eth_tx_queue_setup(p->port_id, q, ntx, socket, &txc);
	if (rc < 0)
		DRV_LOG(ERR, "port %u: queue setup failed (%s): lower conf.rx_desc/tx_desc or nb_workers",
			p->port_id, strerror(-rc));
	return rc;
}

int tern__port_setup(struct tern_port *p, const struct tern_port_conf *c)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf ec = { 0 };
	int rc = rte_eth_dev_info_get(p->port_id, &di);

	if (rc < 0)
		return rc;
	pick_queues(p, &di);
	tern__rss_init(p);
	tern__rss_conf(p, &di, &ec);
	negotiate_offloads(p, c->offloads, &di, &ec);
	rc = rte_eth_dev_configure(p->port_id, p->nb_rxq, p->nb_txq, &ec);
	if (rc < 0) {
		DRV_LOG(ERR, "port %u: configure %u RX/%u TX queues failed (%s)",
			p->port_id, p->nb_rxq, p->nb_txq, strerror(-rc));
		return rc;
	}
	rc = setup_queues(p, c, &di);
	if (rc == 0)
		rc = tern__redirect_init(p);
	if (rc == 0) {
		p->pool = c->pool;
		tern__pool_get(p->pool);
	}
	return rc;
}

/* mbufs still in a ring-pair ring would leak with it. The port's counters
 * die with it, so the drop is logged instead of counted. */
static void drain_free_ring(struct rte_ring *r)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	while (r != NULL && rte_ring_dequeue(r, (void **)&m) == 0) {
		rte_pktmbuf_free(m);
		n++;
	}
	if (n > 0)
		DRV_LOG(INFO, "ring %s: %u packets never received, freed at destroy",
			r->name, n);
	rte_ring_free(r);
}

void tern__port_free(struct tern_port *p)
{
	tern__redirect_fini(p);
	if (p->port_id < RTE_MAX_ETHPORTS)
		rte_eth_dev_close(p->port_id);
	if (p->is_vdev)
		rte_eal_hotplug_remove("vdev", p->name);
	for (int i = 0; i < TERN_RING_QUEUES_MAX; i++)
		drain_free_ring(p->pair_rings[i]);
	if (p->pool != NULL)
		tern__pool_put(p->pool);
	rte_free(p);
}

int tern_port_create(const struct tern_port_conf *conf, struct tern_port **out)
{
	struct tern_port *p;
	int rc = check_conf(conf);

	if (rc < 0)
		return rc;
	p = tern__port_alloc(conf);
	if (p == NULL)
		return -ENOMEM;
	rc = attach(p, conf);
	if (rc == 0)
		rc = tern__port_setup(p, conf);
	if (rc < 0) {
		tern__port_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Polls the link every 10 ms until it is up or deadline (ms) passed. */
static bool link_up_by(uint16_t port_id, uint64_t deadline)
{
	struct rte_eth_link link = { 0 };

	for (;;) {
		if (rte_eth_link_get_nowait(port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return true;
		if (now_ms() >= deadline)
			return false;
		rte_delay_us_sleep(10 * 1000);
	}
}

static void log_link_timeout(const struct tern_port *p)
{
	if (p->preset == TERN_PORT_MEMIF)
		DRV_LOG(ERR, "memif peer on %s never connected within %u ms: start the other side",
			p->socket, p->link_wait_ms);
	else
		DRV_LOG(ERR, "port %u (%s): link still down after %u ms: check the cable or peer",
			p->port_id, p->name, p->link_wait_ms);
}

/* Polls every 10 ms until the server's socket file exists or deadline. */
static bool socket_by(const char *path, uint64_t deadline)
{
	while (access(path, F_OK) != 0) {
		if (now_ms() >= deadline)
			return false;
		rte_delay_us_sleep(10 * 1000);
	}
	return true;
}

/*
 * The 22.11 memif client connects once per rte_eth_dev_start and never
 * retries: connect() fails while the server's socket is missing (or bound
 * but not yet listening), and a server that exists but is not started yet
 * answers "ID not found" and drops the client, whose link then stays down
 * for good. So: wait for the socket, start, give the handshake a slice,
 * and stop + start again until the deadline. Slices double (up to 1 s) so
 * a slow peer is not cut off mid-handshake every time. Returns 0 when
 * started (link up, or down at the deadline: the caller reports it),
 * -ETIMEDOUT when no start succeeded by the deadline.
 */
static int memif_client_start(struct tern_port *p, uint64_t deadline)
{
	uint32_t slice = 50;

	for (;;) {
		bool started = socket_by(p->socket, deadline) &&
			       rte_eth_dev_start(p->port_id) == 0;
		uint64_t now = now_ms();

		if (started && link_up_by(p->port_id, RTE_MIN(now + slice, deadline)))
			return 0;
		if (now_ms() >= deadline)
			return started ? 0 : -ETIMEDOUT;
		if (started)
			rte_eth_dev_stop(p->port_id);
		else
			rte_delay_us_sleep(10 * 1000);
		p->link_restarts++;
		DRV_LOG(DEBUG, "memif client on %s: no link yet (server not started?): reconnecting",
			p->socket);
		slice = RTE_MIN(slice * 2, 1000u);
	}
}

static int start_dev(struct tern_port *p, uint64_t deadline)
{
	int rc;

	if (p->preset == TERN_PORT_MEMIF && !p->memif_server && p->link_wait_ms > 0)
		rc = memif_client_start(p, deadline);
	else
		rc = rte_eth_dev_start(p->port_id);
	if (rc == -ETIMEDOUT)
		log_link_timeout(p);
	else if (rc < 0 && p->preset == TERN_PORT_MEMIF && !p->memif_server) {
		/* The PMD says -1 whatever went wrong; it logged the cause. */
		DRV_LOG(ERR, "memif client: cannot connect to %s: start the server first or set conf.link_wait_ms to wait for it",
			p->socket);
		rc = -ECONNREFUSED;
	} else if (rc < 0)
		DRV_LOG(ERR, "port %u (%s): start failed (%s)", p->port_id, p->name,
			strerror(-rc));
	return rc;
}

int tern_port_start(struct tern_port *p)
{
	uint64_t deadline = now_ms() + p->link_wait_ms;
	struct rte_eth_link link;
	int rc;

	if (p->started)
		return 0;
	rc = start_dev(p, deadline);
	if (rc < 0)
		return rc;
	p->started = true;
	p->link_up = rte_eth_link_get_nowait(p->port_id, &link) == 0 &&
		     link.link_status == RTE_ETH_LINK_UP;
	rc = tern__rss_program(p);
	if (rc < 0 || p->link_wait_ms == 0)
		return rc;
	p->link_up = link_up_by(p->port_id, deadline);
	if (!p->link_up) {
		log_link_timeout(p);
		return -ETIMEDOUT;
	}
	return 0;
}

int tern_port_stop(struct tern_port *p)
{
	struct rte_mbuf *m;
	int rc;

	if (!p->started)
		return 0;
	/* a disconnect the peer started may still be freeing the shared
	 * regions on the interrupt thread: let it finish (intr_drain.c) */
	if (p->preset == TERN_PORT_MEMIF)
		tern__intr_thread_drain();
	rc = rte_eth_dev_stop(p->port_id);
	p->started = false;
	/* Packets parked for other workers would leak past the stop. */
	for (uint16_t w = 0; p->rd_rings != NULL && w < p->nb_workers; w++)
		while (rte_ring_dequeue(p->rd_rings[w], (void **)&m) == 0) {
			rte_pktmbuf_free(m);
			p->stop_flushed++;
		}
	return rc;
}

void tern_port_destroy(struct tern_port *p)
{
	if (p == NULL)
		return;
	tern_port_stop(p);
	tern__port_free(p);
}

uint16_t tern_port_id(const struct tern_port *p) { return p->port_id; }
uint16_t tern_port_nb_workers(const struct tern_port *p) { return p->nb_workers; }
uint16_t tern_port_nb_rx_queues(const struct tern_port *p) { return p->nb_rxq; }
uint16_t tern_port_nb_tx_queues(const struct tern_port *p) { return p->nb_txq; }
uint32_t tern_port_offloads(const struct tern_port *p) { return p->offloads; }

void tern_port_mac(const struct tern_port *p, uint8_t mac[6])
{
	struct rte_ether_addr a = { 0 };

	rte_eth_macaddr_get(p->port_id, &a);
	memcpy(mac, a.addr_bytes, 6);
}
