/* SPDX-License-Identifier: BSD-3-Clause */
/* mbuf pools per NUMA socket, sized from queue depths, with their jumbo
 * buffers for reassembled datagrams; NUMA-local memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <numa.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "drivers_internal.h"

#define DEFAULT_DESC 1024
#define DEFAULT_BURST 32
#define DEFAULT_CACHE 256

/* A jumbo buffer's data room: the usual headroom, then one whole
 * reassembled datagram (port.h). */
#define JUMBO_ROOM (RTE_PKTMBUF_HEADROOM + TERN_MBUF_JUMBO_LEN)

struct tern_mbuf_pool {
	struct rte_mempool *mp;
	struct rte_mempool *jumbo;  /* NULL: none */
	uint32_t users;  /* ports using it; control path only */
};

static uint32_t or_default(uint32_t v, uint32_t d)
{
	return v != 0 ? v : d;
}

uint32_t tern_mbuf_pool_size(const struct tern_mbuf_pool_conf *c)
{
	uint32_t rx, tx, per_queue, per_worker;

	if (c == NULL)
		return 0;
	rx = or_default(c->rx_desc, DEFAULT_DESC);
	tx = or_default(c->tx_desc, DEFAULT_DESC);
	/* An RX ring refills as soon as it hands packets out, so packets parked
	 * in a redistribution ring (up to rx deep) are on top of the ring's. */
	per_queue = 2 * rx + tx;
	per_worker = or_default(c->cache, DEFAULT_CACHE) +
		     2 * or_default(c->burst, DEFAULT_BURST);
	return (uint32_t)c->nb_ports * c->nb_workers * per_queue +
	       (uint32_t)c->nb_workers * per_worker + c->extra;
}

static uint32_t cache_size(const struct tern_mbuf_pool_conf *c, uint32_t n)
{
	uint32_t cache = or_default(c->cache, DEFAULT_CACHE);

	/* DPDK refuses a cache above its max or above n / 1.5. */
	cache = RTE_MIN(cache, (uint32_t)RTE_MEMPOOL_CACHE_MAX_SIZE);
	return RTE_MIN(cache, n * 2 / 3);
}

static int pool_error(const char *name, int socket, int err)
{
	if (err == EEXIST) {
		DRV_LOG(ERR, "mbuf pool %s exists: give conf.name a unique value", name);
		return -EEXIST;
	}
	DRV_LOG(ERR, "mbuf pool %s: no hugepage memory on socket %d (%s): run scripts/setup.sh or pass --no-huge",
		name, socket, rte_strerror(err));
	return -ENOMEM;
}

/* Whether a pool made from c gets jumbo buffers: not when asked for none,
 * nor when its own mbufs hold as much. */
static bool wants_jumbo(const struct tern_mbuf_pool_conf *c)
{
	return !c->no_jumbo && or_default(c->data_room, RTE_MBUF_DEFAULT_BUF_SIZE) < JUMBO_ROOM;
}

/*
 * The jumbo buffers, pool name, into pool->jumbo. No cache: they are few
 * and taken on a slow path, and a per-core cache would strand some of
 * them on cores that never reassemble. Returns 0 or -errno.
 */
static int jumbo_create(struct tern_mbuf_pool *pool, const struct tern_mbuf_pool_conf *c,
			const char *name, int socket)
{
	pool->jumbo = rte_pktmbuf_pool_create(name, or_default(c->jumbo, TERN_MBUF_JUMBO_DEFAULT),
					      0, 0, JUMBO_ROOM, socket);
	if (pool->jumbo == NULL)
		return pool_error(name, socket, rte_errno);
	return 0;
}

int tern_mbuf_pool_create(const struct tern_mbuf_pool_conf *c,
			  struct tern_mbuf_pool **out)
{
	char name[RTE_MEMPOOL_NAMESIZE], jname[RTE_MEMPOOL_NAMESIZE];
	struct tern_mbuf_pool *pool;
	int socket, rc;
	uint32_t n;

	if (c == NULL || c->nb_workers == 0 || c->nb_ports == 0) {
		DRV_LOG(ERR, "mbuf pool conf needs nb_ports and nb_workers >= 1");
		return -EINVAL;
	}
	socket = c->socket >= 0 ? c->socket : (int)rte_socket_id();
	snprintf(name, sizeof(name), "%s", c->name ? c->name : "tern_pool");
	if (c->name == NULL)
		snprintf(name, sizeof(name), "tern_pool_s%d", socket);
	/* before any memory is taken: a name the jumbo pool cannot extend */
	if (wants_jumbo(c) &&
	    (size_t)snprintf(jname, sizeof(jname), "%s_j", name) >= sizeof(jname)) {
		DRV_LOG(ERR, "mbuf pool %s: conf.name over %zu characters leaves no room for its jumbo pool's name (or set conf.no_jumbo)",
			name, sizeof(jname) - 3);
		return -EINVAL;
	}
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return -ENOMEM;
	n = tern_mbuf_pool_size(c);
	pool->mp = rte_pktmbuf_pool_create(name, n, cache_size(c, n), 0,
					   or_default(c->data_room, RTE_MBUF_DEFAULT_BUF_SIZE),
					   socket);
	if (pool->mp == NULL) {
		free(pool);
		return pool_error(name, socket, rte_errno);
	}
	if (wants_jumbo(c)) {
		rc = jumbo_create(pool, c, jname, socket);
		if (rc < 0) {
			rte_mempool_free(pool->mp);
			free(pool);
			return rc;
		}
	}
	*out = pool;
	return 0;
}

static uint32_t jumbo_in_use(const struct tern_mbuf_pool *pool)
{
	return pool->jumbo != NULL ? rte_mempool_in_use_count(pool->jumbo) : 0;
}

int tern_mbuf_pool_destroy(struct tern_mbuf_pool *pool)
{
	uint32_t in_use;

	if (pool == NULL)
		return 0;
	in_use = tern_mbuf_pool_in_use(pool);
	if (pool->users > 0 || in_use > 0) {
		DRV_LOG(ERR, "mbuf pool %s: %u mbufs in use (%u of them jumbo), %u ports: free them and destroy the ports first",
			pool->mp->name, in_use, jumbo_in_use(pool), pool->users);
		return -EBUSY;
	}
	rte_mempool_free(pool->jumbo);
	rte_mempool_free(pool->mp);
	free(pool);
	return 0;
}

uint32_t tern_mbuf_pool_in_use(const struct tern_mbuf_pool *pool)
{
	return rte_mempool_in_use_count(pool->mp) + jumbo_in_use(pool);
}

struct rte_mempool *tern_mbuf_pool_mempool(const struct tern_mbuf_pool *pool)
{
	return pool->mp;
}

struct rte_mempool *tern_mbuf_pool_jumbo(const struct tern_mbuf_pool *pool)
{
	return pool->jumbo;
}

void tern__pool_get(struct tern_mbuf_pool *pool)
{
	pool->users++;
}

void tern__pool_put(struct tern_mbuf_pool *pool)
{
	pool->users--;
}

struct walk_ctx {
	void (*fn)(const char *, uint32_t, uint32_t, void *);
	void *arg;
	unsigned int n;
};

static void walk_one(struct rte_mempool *mp, void *arg)
{
	struct walk_ctx *w = arg;

	w->fn(mp->name, mp->size, rte_mempool_in_use_count(mp), w->arg);
	w->n++;
}

unsigned int tern_mbuf_pools_report(void (*fn)(const char *, uint32_t,
					       uint32_t, void *),
				    void *arg)
{
	struct walk_ctx w = { fn, arg, 0 };

	rte_mempool_walk(walk_one, &w);
	return w.n;
}

void *tern_numa_alloc(unsigned int lcore, size_t size)
{
	/* Checked first: rte_lcore_to_socket_id indexes a table by lcore. */
	if (lcore >= RTE_MAX_LCORE || size == 0)
		return NULL;
	if (numa_available() < 0)
		return aligned_alloc(RTE_CACHE_LINE_SIZE,
				     RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE));
	return numa_alloc_onnode(size, (int)rte_lcore_to_socket_id(lcore));
}

/* Same numa_available() test as the allocation, so the pair always match. */
void tern_numa_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (numa_available() < 0)
		free(p);
	else
		numa_free(p, size);
}
