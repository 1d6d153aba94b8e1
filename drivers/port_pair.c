/* SPDX-License-Identifier: BSD-3-Clause */
/* Two ring-backed ports wired back to back in one process (net_ring). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_eth_ring.h>

#include "drivers_internal.h"

static int pair_attach(struct tern_port *p, const char *name,
		       struct rte_ring *rx, struct rte_ring *tx)
{
	int id;

	/* The ring PMD registers a vdev "net_ring_<name>"; removal needs it. */
	snprintf(p->name, sizeof(p->name), "net_ring_%s", name);
	id = rte_eth_from_rings(name, &rx, 1, &tx, 1, (unsigned int)rte_socket_id());
	if (id < 0) {
		DRV_LOG(ERR, "ring port %s: %s%s", p->name, rte_strerror(rte_errno),
			rte_errno == EINVAL ? ": is conf.name unique?" : "");
		return -rte_errno;
	}
	p->port_id = (uint16_t)id;
	p->is_vdev = true;
	return 0;
}

static struct rte_ring *pair_ring(const char *base, const char *dir, uint16_t desc)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "%s_%s", base, dir);
	/* One producer and one consumer: TX of one side, RX of the other,
	 * each behind a single queue. */
	return rte_ring_create(name, rte_align32pow2(desc ? desc : 1024),
			       (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static int pair_build(const struct tern_port_conf *c, struct tern_port *a,
		      struct tern_port *b)
{
	char base[24], name[24];
	struct rte_ring *ab, *ba;
	int rc;

	snprintf(base, sizeof(base), "tpr_%s", c->name ? c->name : "0");
	ab = pair_ring(base, "ab", c->rx_desc);
	ba = pair_ring(base, "ba", c->rx_desc);
	a->pair_rings[0] = ab;
	b->pair_rings[0] = ba;
	if (ab == NULL || ba == NULL) {
		DRV_LOG(ERR, "ring pair %s: %s: give conf.name a unique value",
			base, rte_strerror(rte_errno));
		return -rte_errno;
	}
	snprintf(name, sizeof(name), "%sa", c->name ? c->name : "0");
	rc = pair_attach(a, name, ba, ab);
	snprintf(name, sizeof(name), "%sb", c->name ? c->name : "0");
	if (rc == 0)
		rc = pair_attach(b, name, ab, ba);
	if (rc == 0)
		rc = tern__port_setup(a, c);
	if (rc == 0)
		rc = tern__port_setup(b, c);
	return rc;
}

int tern_port_pair_create(const struct tern_port_conf *conf,
			  struct tern_port **a, struct tern_port **b)
{
	struct tern_port_conf c;
	struct tern_port *pa, *pb;
	int rc;

	if (conf == NULL || conf->pool == NULL || conf->nb_workers == 0) {
		DRV_LOG(ERR, "ring pair needs conf with pool and nb_workers >= 1");
		return -EINVAL;
	}
	c = *conf;
	c.preset = TERN_PORT_RING;
	pa = tern__port_alloc(&c);
	pb = tern__port_alloc(&c);
	rc = (pa == NULL || pb == NULL) ? -ENOMEM : pair_build(&c, pa, pb);
	if (rc < 0) {
		/* Ports first: their PMD still points at the rings. */
		if (pa != NULL)
			tern__port_free(pa);
		if (pb != NULL)
			tern__port_free(pb);
		return rc;
	}
	*a = pa;
	*b = pb;
	return 0;
}
