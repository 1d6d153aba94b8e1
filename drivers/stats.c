/* SPDX-License-Identifier: BSD-3-Clause */
/* Link state, device and software counters, xstats: control path only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers_internal.h"

int tern_port_link_poll(struct tern_port *p, struct tern_link *out)
{
	struct rte_eth_link l;
	int rc = rte_eth_link_get_nowait(p->port_id, &l);
	bool up;

	if (rc < 0)
		return rc;
	up = l.link_status == RTE_ETH_LINK_UP;
	if (up != p->link_up)
		p->link_changes++;
	p->link_up = up;
	out->up = up;
	out->full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	out->speed_mbps = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
	out->changes = p->link_changes;
	return 0;
}

static void add_sw(struct tern_port_stats *o, const struct tern_worker_sw *s)
{
	o->sw_hashed += s->hashed;
	o->sw_redirected += s->redirected;
	o->sw_redirect_full += s->redirect_full;
	o->sw_redirect_cycles += s->redirect_cycles;
	o->tx_lock_spins += s->tx_lock_spins;
}

int tern_port_worker_stats_get(const struct tern_port *p, uint16_t w,
			       struct tern_port_stats *out)
{
	if (w >= p->nb_workers)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	add_sw(out, &p->sw[w]);
	return 0;
}

int tern_port_stats_get(const struct tern_port *p, struct tern_port_stats *out)
{
	struct rte_eth_stats s;
	int rc = rte_eth_stats_get(p->port_id, &s);

	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->rx_packets = s.ipackets;
	out->tx_packets = s.opackets;
	out->rx_bytes = s.ibytes;
	out->tx_bytes = s.obytes;
	out->rx_missed = s.imissed;
	out->rx_errors = s.ierrors;
	out->tx_errors = s.oerrors;
	out->rx_nombuf = s.rx_nombuf;
	out->sw_stop_flushed = p->stop_flushed;
	out->link_restarts = p->link_restarts;
	/* Workers write their own lines; a racy read is fine for counters. */
	for (uint16_t w = 0; w < p->nb_workers; w++)
		add_sw(out, &p->sw[w]);
	return 0;
}

int tern_port_stats_reset(struct tern_port *p)
{
	int rc = rte_eth_stats_reset(p->port_id);

	if (rc == 0 || rc == -ENOTSUP) {
		memset(p->sw, 0, sizeof(*p->sw) * p->nb_workers);
		p->stop_flushed = 0;
		p->link_restarts = 0;
		rte_eth_xstats_reset(p->port_id);
	}
	return rc;
}

int tern_port_xstats_foreach(const struct tern_port *p,
			     void (*fn)(const char *, uint64_t, void *), void *arg)
{
	int n = rte_eth_xstats_get_names(p->port_id, NULL, 0);
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *vals;

	if (n <= 0)
		return n;
	names = calloc(n, sizeof(*names));
	vals = calloc(n, sizeof(*vals));
	if (names == NULL || vals == NULL) {
		n = -ENOMEM;
		goto out;
	}
	if (rte_eth_xstats_get_names(p->port_id, names, n) != n ||
	    rte_eth_xstats_get(p->port_id, vals, n) != n) {
		n = -EAGAIN;  /* the set changed between calls: ask again */
		goto out;
	}
	for (int i = 0; i < n; i++)
		fn(names[vals[i].id].name, vals[i].value, arg);
out:
	free(names);
	free(vals);
	return n;
}
