/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The next hop of an IPv4 destination and whether its neighbour entry can
 * be sent to now: the one rule of every output path (eng_ipv4_out, the
 * fragmenting path, the UDP burst, which decides it once for a burst, and
 * arp.c's lookup that starts a resolution when it fails).
 */
#ifndef TERN_ENGINE_NEIGH_H
#define TERN_ENGINE_NEIGH_H

#include "engine_internal.h"

/* Sets *nh to the next hop of dst (host order): dst on our subnet, else
 * the gateway. False when dst is off the subnet and there is no gateway
 * (-ENETUNREACH). */
static inline bool eng_ipv4_next_hop(const struct tern_engine *eng, uint32_t dst, uint32_t *nh)
{
	if (eng_on_link(eng, dst)) {
		*nh = dst;
		return true;
	}
	*nh = eng->gateway;
	return *nh != 0;
}

/* True when e (NULL: no entry) gives a MAC to send to now: static, or
 * learnt less than arp_ttl_ms ago (an older one is resolved again, by
 * eng_arp_out_slow() or tern_arp_resolve(), before anything is sent). */
static inline bool eng_neigh_fresh(struct tern_engine *eng, const struct eng_arp_entry *e)
{
	return e != NULL && (e->state == ARP_STATIC ||
	       (e->state == ARP_REACHABLE && eng_now(eng) - e->updated_ns < eng->arp_ttl_ns));
}

#endif
