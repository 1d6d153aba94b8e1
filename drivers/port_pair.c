/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two ring-backed ports wired back to back in one process (net_ring). Each
 * port owns the rings it transmits into, which are its peer's RX queues:
 * one per direction, or with conf.ring_rss one per worker and direction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eth_ring.h>

#include "drivers_internal.h"

static int pair_attach(struct tern_port *p, const char *name,
		       struct rte_ring **rx, struct rte_ring **tx, uint16_t nq)
{
	int id;

	/* The ring PMD registers a vdev "net_ring_<name>"; removal needs it. */
	snprintf(p->name, sizeof(p->name), "net_ring_%s", name);
	id = rte_eth_from_rings(name, rx, nq, tx, nq, (unsigned int)rte_socket_id());
	if (id < 0) {
		DRV_LOG(ERR, "ring port %s: %s%s", p->name, rte_strerror(rte_errno),
			rte_errno == EINVAL ? ": is conf.name unique?" : "");
		return -rte_errno;
	}
	p->port_id = (uint16_t)id;
	p->is_vdev = true;
	return 0;
}

/* The longest conf.name a pair takes (a cut name could be another
 * pair's): its rings are "tpr_<name>_ab<q>" (q < TERN_RING_QUEUES_MAX, two
 * digits) and net_ring names its vdevs "net_ring_<name>a", each in
 * RTE_RING_NAMESIZE (rte_eth_from_rings() fails with ENAMETOOLONG past
 * it); the vdev is the shorter bound. */
#define PAIR_NAME_MAX (RTE_RING_NAMESIZE - 1 - (sizeof("net_ring_a") - 1))
_Static_assert(PAIR_NAME_MAX <= RTE_RING_NAMESIZE - 1 - (sizeof("tpr__ab") - 1) - 2,
	       "the ring names are the shorter bound: PAIR_NAME_MAX must follow them");

static struct rte_ring *pair_ring(const char *base, const char *dir, uint16_t q,
				  uint16_t desc)
{
	char name[RTE_RING_NAMESIZE];

	/* pair_build() checked conf.name's length: this cannot be cut */
	if (snprintf(name, sizeof(name), "%s_%s%u", base, dir, q) >= (int)sizeof(name)) {
		rte_errno = ENAMETOOLONG;
		return NULL;
	}
	/* One producer and one consumer: TX queue q of one side, RX queue q
	 * of the other, each polled by one worker. */
	return rte_ring_create(name, rte_align32pow2(desc ? desc : 1024),
			       (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

/* a's TX queue q is ring ab<q>, b's RX queue q; and back through ba<q>. */
static int pair_build(const struct tern_port_conf *c, struct tern_port *a,
		      struct tern_port *b, uint16_t nq)
{
	char base[RTE_RING_NAMESIZE], name[RTE_RING_NAMESIZE];
	int rc = 0;

	if (c->name != NULL && strlen(c->name) > PAIR_NAME_MAX) {
		DRV_LOG(ERR, "ring pair: conf.name \"%s\" is longer than %zu characters",
			c->name, (size_t)PAIR_NAME_MAX);
		return -ENAMETOOLONG;
	}
	snprintf(base, sizeof(base), "tpr_%s", c->name ? c->name : "0");
	for (uint16_t q = 0; rc == 0 && q < nq; q++) {
		a->pair_rings[q] = pair_ring(base, "ab", q, c->rx_desc);
		b->pair_rings[q] = pair_ring(base, "ba", q, c->rx_desc);
		if (a->pair_rings[q] == NULL || b->pair_rings[q] == NULL) {
			DRV_LOG(ERR, "ring pair %s: %s: give conf.name a unique value",
				base, rte_strerror(rte_errno));
			rc = -rte_errno;
		}
	}
	snprintf(name, sizeof(name), "%sa", c->name ? c->name : "0");
	if (rc == 0)
		rc = pair_attach(a, name, b->pair_rings, a->pair_rings, nq);
	snprintf(name, sizeof(name), "%sb", c->name ? c->name : "0");
	if (rc == 0)
		rc = pair_attach(b, name, a->pair_rings, b->pair_rings, nq);
	if (rc == 0)
		rc = tern__port_setup(a, c);
	if (rc == 0)
		rc = tern__port_setup(b, c);
	return rc;
}

static int pair_check(const struct tern_port_conf *conf)
{
	if (conf == NULL || conf->pool == NULL || conf->nb_workers == 0) {
		DRV_LOG(ERR, "ring pair needs conf with pool and nb_workers >= 1");
		return -EINVAL;
	}
	if (conf->ring_rss && conf->nb_workers > TERN_RING_QUEUES_MAX) {
		DRV_LOG(ERR, "conf.ring_rss makes a ring per worker: nb_workers is %u, net_ring takes at most %u",
			conf->nb_workers, TERN_RING_QUEUES_MAX);
		return -EINVAL;
	}
	return 0;
}

int tern_port_pair_create(const struct tern_port_conf *conf,
			  struct tern_port **a, struct tern_port **b)
{
	struct tern_port_conf c;
	struct tern_port *pa, *pb;
	int rc = pair_check(conf);

	if (rc < 0)
		return rc;
	c = *conf;
	c.preset = TERN_PORT_RING;
	pa = tern__port_alloc(&c);
	pb = tern__port_alloc(&c);
	rc = (pa == NULL || pb == NULL) ? -ENOMEM :
	     pair_build(&c, pa, pb, c.ring_rss ? c.nb_workers : 1);
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
