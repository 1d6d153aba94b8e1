/* SPDX-License-Identifier: BSD-3-Clause */
/* drivers/ private header: for the drivers sources and tests/drivers only. */
#ifndef TERN_DRIVERS_INTERNAL_H
#define TERN_DRIVERS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "tern/eal.h"
#include "tern/port.h"

extern int tern__drv_logtype;

#define DRV_LOG(level, fmt, ...)                                         \
	rte_log(RTE_LOG_##level, tern__drv_logtype, "tern: " fmt "\n",  \
		##__VA_ARGS__)

/* ------------------------------------------------------------------ eal */

/*
 * Free hugepages on a mounted hugetlbfs, read from the given files (tests
 * pass fakes). Writes the first mount point into mnt when mnt != NULL.
 */
long tern__hugepages_free(const char *meminfo_path, const char *mounts_path,
			  char *mnt, size_t mnt_len);

/* Appends the [eal] section of an INI file to args (drivers/eal_config.c). */
int tern__eal_config_load(const char *path, struct tern_eal_args *args);

/* Appends one argument (copied). -E2BIG when full, -ENOMEM. */
int tern__eal_args_push(struct tern_eal_args *args, const char *arg);

/* -------------------------------------------------------------- presets */

struct tern_preset {
	const char *driver;   /* vdev driver name, "" when not a vdev */
	const char *package;  /* Debian package that ships the PMD */
	/* Appends the preset's devargs for conf; -EINVAL names the missing field. */
	int (*devargs)(const struct tern_port_conf *conf, char *buf, size_t len);
	uint16_t max_queues;  /* 0: ask the PMD */
};

const struct tern_preset *tern__preset(enum tern_port_preset p);

/*
 * Probes vdev "name,args" for preset ps and finds its ethdev port. A driver
 * that is not registered gives -ENOENT and "vdev <driver> not found:
 * install <package>"; -EEXIST a name in use; -ENODEV any other refusal.
 */
int tern__vdev_probe(const struct tern_preset *ps, const char *name,
		     const char *args, uint16_t *port_id);

/* ---------------------------------------------------------------- ports */

/* Software counters of one worker; written only by that worker. */
struct tern_worker_sw {
	uint64_t hashed;
	uint64_t redirected;
	uint64_t redirect_full;
	uint64_t redirect_cycles;
	uint64_t tx_lock_spins;
} __rte_cache_aligned;
_Static_assert(sizeof(struct tern_worker_sw) == RTE_CACHE_LINE_SIZE,
	       "one cache line per worker: no false sharing of counters");

struct tern_txq_lock {
	rte_spinlock_t lock;
} __rte_cache_aligned;

#define TERN_RETA_SW 128    /* software table size; power of two */
#define TERN_RETA_MAX 512   /* largest device table tern mirrors */
#define TERN_RSS_KEY_MAX 64
/* Queues of a ring port with conf.ring_rss: what net_ring takes. */
#define TERN_RING_QUEUES_MAX (RTE_PMD_RING_MAX_RX_RINGS < RTE_PMD_RING_MAX_TX_RINGS ? \
			      RTE_PMD_RING_MAX_RX_RINGS : RTE_PMD_RING_MAX_TX_RINGS)

struct tern_port {
	uint16_t port_id;
	uint16_t nb_workers;
	uint16_t nb_rxq, nb_txq;
	bool sw_redirect;      /* nb_rxq < nb_workers or no usable RSS */
	bool tx_shared;        /* nb_txq < nb_workers: TX takes a lock */
	bool started;
	bool is_vdev;          /* created by tern: remove on destroy */
	bool memif_server;
	enum tern_port_preset preset;
	uint32_t offloads;
	uint32_t link_wait_ms;
	uint64_t tx_offload_flags;  /* ol_flags tern sets for negotiated TX */
	char name[RTE_ETH_NAME_MAX_LEN];
	char iface[32];
	char socket[108];
	struct tern_mbuf_pool *pool;
	/* Both keys are read as 32-bit words by rte_thash: keep them aligned. */
	uint8_t rss_key[TERN_RSS_KEY_MAX] __attribute__((aligned(4)));
	uint8_t rss_key_len;
	uint8_t rss_key_be[TERN_RSS_KEY_MAX] __attribute__((aligned(4))); /* rte_convert_rss_key() form */
	uint16_t reta_size;                    /* power of two */
	uint16_t reta[TERN_RETA_MAX];          /* hash -> worker (= queue) */
	uint64_t link_changes;
	uint64_t link_restarts;    /* memif client: stop + start to reconnect */
	bool link_up;
	uint64_t stop_flushed;
	struct rte_ring **rd_rings;        /* per worker: packets it owns */
	struct tern_txq_lock *txq_locks;   /* per TX queue, when tx_shared */
	struct tern_worker_sw *sw;         /* per worker, NUMA-local */
	bool ring_rss;                     /* ring pair steered by the sender */
	/* TERN_PORT_RING: the rings it created (its TX queues, the peer's RX). */
	struct rte_ring *pair_rings[TERN_RING_QUEUES_MAX];
};

/* Pool bookkeeping used by ports (drivers/pool.c). */
void tern__pool_get(struct tern_mbuf_pool *pool);
void tern__pool_put(struct tern_mbuf_pool *pool);

/* Port setup steps shared by create and pair_create (drivers/port.c). */
int tern__port_setup(struct tern_port *p, const struct tern_port_conf *conf);
struct tern_port *tern__port_alloc(const struct tern_port_conf *conf);
void tern__port_free(struct tern_port *p);
/* intr_drain.c: returns once the EAL interrupt thread has finished the
 * callback it was running (at most 1 s); memif's stop waits for it. */
void tern__intr_thread_drain(void);

/* RSS (drivers/rss.c). */
void tern__rss_init(struct tern_port *p);
uint32_t tern__softrss_v4(const uint8_t *key_be, uint32_t src, uint32_t dst,
			  uint16_t sport, uint16_t dport, bool l4);
void tern__rss_conf(struct tern_port *p, const struct rte_eth_dev_info *di,
		    struct rte_eth_conf *conf);
int tern__rss_program(struct tern_port *p);

/* Software redistribution rings (drivers/port_rxtx.c). */
int tern__redirect_init(struct tern_port *p);
void tern__redirect_fini(struct tern_port *p);
uint32_t tern__mbuf_flow_hash(const struct tern_port *p, struct rte_mbuf *m,
			      bool *hashed);

#endif /* TERN_DRIVERS_INTERNAL_H */
