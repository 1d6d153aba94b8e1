/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern/port.h: NIC ports, virtual-device presets, mbuf pools, RSS steering,
 * offloads, link state and counters. Needs a started EAL (tern/eal.h).
 *
 * A port serves nb_workers worker cores, numbered 0..nb_workers-1 (the
 * engine maps them to lcores). Each worker calls the burst functions with its
 * own worker index, so the data path is shared-nothing. When the device has
 * fewer RX queues (or no RSS) than workers, the workers that own a hardware
 * queue hash each packet in software and pass it to its owning worker through
 * a lock-free ring; the cost is counted in struct tern_port_stats.
 */
#ifndef TERN_PORT_H
#define TERN_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mbuf;
struct rte_mempool;
struct tern_port;
struct tern_mbuf_pool;

/* ---------------------------------------------------------------- pools */

struct tern_mbuf_pool_conf {
	const char *name;      /* unique; NULL: "tern_pool_s<socket>" */
	int socket;            /* NUMA socket; -1: the caller's */
	uint16_t nb_ports;     /* ports that take RX buffers from this pool */
	uint16_t nb_workers;   /* worker cores using it (queues per port) */
	uint16_t rx_desc;      /* RX ring depth per queue; 0: 1024 */
	uint16_t tx_desc;      /* TX ring depth per queue; 0: 1024 */
	uint16_t burst;        /* burst size; 0: 32 */
	uint16_t cache;        /* per-core cache; 0: 256 (capped by DPDK) */
	uint32_t extra;        /* mbufs the application keeps (socket queues) */
	uint16_t data_room;    /* 0: RTE_MBUF_DEFAULT_BUF_SIZE */
	uint16_t jumbo;        /* jumbo buffers (below); 0: TERN_MBUF_JUMBO_DEFAULT */
	bool no_jumbo;         /* true: none, whatever jumbo says */
};

/*
 * Jumbo buffers: a second, small mempool of the pool whose mbufs hold
 * TERN_MBUF_JUMBO_LEN bytes of packet (after the usual headroom) in one
 * segment. The engine copies a reassembled IPv4 datagram into one when it
 * does not fit the first mbuf of its fragments, so that sockets always hand
 * out one segment: 8 fragments of a 1500-byte MTU (DPDK 22.11 reassembles
 * at most RTE_LIBRTE_IP_FRAG_MAX_FRAG = 8 pieces) with a 60-byte header and
 * the Ethernet header fit. A pool whose data_room already holds that much
 * (RTE_PKTMBUF_HEADROOM + TERN_MBUF_JUMBO_LEN) gets none: it needs none.
 * Without jumbo buffers (no_jumbo) a reassembled datagram that does not fit
 * one mbuf is dropped (ip_frag_big). They cost about 12.3 KiB of hugepage
 * memory each, 800 KiB for the default 64; they have no per-core cache.
 */
#define TERN_MBUF_JUMBO_LEN 12288
#define TERN_MBUF_JUMBO_DEFAULT 64

/*
 * Number of mbufs a pool made from conf holds: every RX and TX descriptor,
 * each worker's cache and two bursts in flight, plus conf->extra.
 * Returns the count, or 0 when conf is NULL.
 */
uint32_t tern_mbuf_pool_size(const struct tern_mbuf_pool_conf *conf);

/*
 * Creates an mbuf pool on conf->socket (hugepage memory of that node), and
 * its jumbo buffers (named conf->name + "_j") unless conf->no_jumbo.
 * Returns 0 with *out set, -EINVAL (no conf, zero workers or ports, a name
 * over 23 characters with jumbo buffers: their pool's name would be cut),
 * -EEXIST (name taken), -ENOMEM ("no hugepage memory on socket N: run
 * scripts/setup.sh or pass --no-huge"); on failure nothing is left to free.
 * Free with tern_mbuf_pool_destroy().
 */
int tern_mbuf_pool_create(const struct tern_mbuf_pool_conf *conf,
			  struct tern_mbuf_pool **out);

/*
 * Frees the pool and its jumbo buffers (NULL: 0). Returns 0, or -EBUSY and
 * frees nothing when mbufs (jumbo ones too) are still in use (the leak is
 * logged with the counts) or ports still use it.
 */
int tern_mbuf_pool_destroy(struct tern_mbuf_pool *pool);

/* mbufs allocated and not yet returned (per-core caches count as free),
 * jumbo buffers included. A started port's RX ring holds some: compare with
 * a baseline taken after tern_port_start, or with 0 once the ports are
 * destroyed. */
uint32_t tern_mbuf_pool_in_use(const struct tern_mbuf_pool *pool);

/* The DPDK mempool, for rte_pktmbuf_alloc(). Owned by the pool. */
struct rte_mempool *tern_mbuf_pool_mempool(const struct tern_mbuf_pool *pool);

/* The jumbo buffers' DPDK mempool (owned by the pool), or NULL when the
 * pool has none (no_jumbo, or its data_room is large enough). */
struct rte_mempool *tern_mbuf_pool_jumbo(const struct tern_mbuf_pool *pool);

/*
 * Calls fn for every mbuf pool of the process (tern's and the PMDs'), with
 * its name, size and mbufs in use: the leak check of the test suite.
 * Returns the number of pools visited.
 */
unsigned int tern_mbuf_pools_report(void (*fn)(const char *name, uint32_t size,
					       uint32_t in_use, void *arg),
				    void *arg);

/*
 * Allocates size bytes on the NUMA node of lcore (libnuma), for tern's own
 * per-core state; the caller owns it. Falls back to ordinary cache-aligned
 * memory on a machine without NUMA. Returns NULL when lcore >= RTE_MAX_LCORE,
 * size is 0 or memory is short. Free with tern_numa_free(p, size), same size.
 */
void *tern_numa_alloc(unsigned int lcore, size_t size);
void tern_numa_free(void *p, size_t size);

/* ---------------------------------------------------------------- ports */

/* Named presets; devargs built from a const table in drivers/presets.c. */
enum tern_port_preset {
	TERN_PORT_ETHDEV = 0,  /* an ethdev already probed (-a, --vdev): port_id */
	TERN_PORT_NULL,        /* net_null: RX invents packets, TX drops them */
	TERN_PORT_MEMIF,       /* net_memif: socket, memif_server */
	TERN_PORT_TAP,         /* net_tap: creates iface in the current netns */
	TERN_PORT_AF_PACKET,   /* net_af_packet: attaches to existing iface */
	TERN_PORT_PCAP,        /* net_pcap: rx_pcap replay, tx_pcap capture */
	TERN_PORT_RING,        /* one side of tern_port_pair_create() */
	TERN_PORT_PRESET_COUNT
};

/**
 * The preset named @p name: "ethdev", "null", "memif", "tap", "af_packet",
 * "pcap" or "ring" (what apps take on their command line).
 * @return 0 and *out set; -EINVAL: NULL argument or unknown name.
 */
int tern_port_preset_parse(const char *name, enum tern_port_preset *out);

/* Offloads, as negotiated; see tern_port_offloads(). */
#define TERN_OFFLOAD_IPV4_CKSUM_RX  (1u << 0)
#define TERN_OFFLOAD_L4_CKSUM_RX    (1u << 1)  /* UDP and TCP */
#define TERN_OFFLOAD_IPV4_CKSUM_TX  (1u << 2)
#define TERN_OFFLOAD_UDP_CKSUM_TX   (1u << 3)
#define TERN_OFFLOAD_TCP_CKSUM_TX   (1u << 4)
#define TERN_OFFLOAD_MULTI_SEG_TX   (1u << 5)
#define TERN_OFFLOAD_TSO            (1u << 6)
#define TERN_OFFLOAD_RSS_HASH       (1u << 7)  /* mbuf->hash.rss is valid */
#define TERN_OFFLOAD_ALL            0xffu

struct tern_port_conf {
	enum tern_port_preset preset;
	const char *name;          /* vdev instance suffix, unique; NULL: auto */
	uint16_t port_id;          /* TERN_PORT_ETHDEV only */
	const char *iface;         /* TAP: name to create; AF_PACKET: to attach */
	const char *socket;        /* MEMIF: unix socket path */
	bool memif_server;         /* MEMIF: true server (creates socket) */
	const char *rx_pcap;       /* PCAP: file replayed on RX */
	const char *tx_pcap;       /* PCAP: file TX writes (NULL: drop) */
	uint16_t nb_workers;       /* >= 1 */
	uint16_t rx_desc, tx_desc; /* 0: 1024 */
	uint32_t offloads;         /* TERN_OFFLOAD_* wanted; 0: none */
	struct tern_mbuf_pool *pool;  /* RX buffers; must outlive the port */
	uint32_t link_wait_ms;     /* tern_port_start waits this long for link */
	bool ring_rss;             /* RING pair only: a ring per worker and
	                              direction, an emulated RSS NIC steered by
	                              the sender (tern_port_pair_create) */
};

/*
 * Creates, configures and sets up queues of a port (not yet started).
 * conf and its strings are copied. Returns 0 with *out set, or:
 * -EINVAL bad conf (message names the field), -ENOENT the PMD is missing
 * ("vdev net_memif not found: install librte-net-memif23") or port_id does
 * not exist, -EEXIST tap name already in use or conf.name taken, -ENODEV
 * af_packet interface missing or probe refused by the PMD, -E2BIG devargs
 * too long, -ENOMEM, or the ethdev's error from configure/queue setup.
 * Keeps conf->pool referenced: destroy the port before the pool.
 * Release with tern_port_destroy(); on failure nothing needs releasing.
 */
int tern_port_create(const struct tern_port_conf *conf, struct tern_port **out);

/*
 * Two ring-backed ports wired back to back in this process: what one sends,
 * the other receives. conf->preset is ignored. Returns as tern_port_create,
 * and -ENAMETOOLONG for a conf->name of more than 18 characters (the
 * pair's ring and vdev names would be cut).
 *
 * By default each side has one RX and one TX ring: with several workers the
 * receiver steers in software (worker 0 hashes and passes packets on). With
 * conf->ring_rss, each side has nb_workers RX and TX queues (at most 16,
 * else -EINVAL) and TX queue q of one side feeds RX queue q of the other;
 * the port then behaves as a NIC with Toeplitz RSS: a queue per worker, no
 * software redistribution. The steering is the sender's job, as the NIC's:
 * to reach worker w of a port, send on TX queue w of its peer, where w is
 * tern_port_rss_worker(port, tern_port_rss_hash_v4(port, ...)) of the
 * packet (queue 0 for what RSS does not hash, such as ARP). This is how the
 * tests run the per-worker-queue path without a NIC.
 */
int tern_port_pair_create(const struct tern_port_conf *conf,
			  struct tern_port **a, struct tern_port **b);

/*
 * Starts the port, then waits up to conf->link_wait_ms in all for link up
 * (0: does not wait). A memif client retries within that time: it waits for
 * the server's socket, and stops and restarts while the server refuses it
 * (a server not started yet), counting link_restarts. Already started: 0.
 * Returns 0, -ETIMEDOUT when the link stayed down (a memif peer that never
 * connected: the message says which socket; the port may be started, so
 * tern_port_stop/destroy as usual), -ECONNREFUSED a memif client with
 * link_wait_ms 0 found no server, or the ethdev error.
 */
int tern_port_start(struct tern_port *port);

/*
 * Stops the port; packets parked in redistribution rings are freed and
 * counted in sw_stop_flushed. Workers must have stopped calling the burst
 * functions. Not started: 0. Returns 0 or the ethdev's -errno.
 */
int tern_port_stop(struct tern_port *port);

/*
 * Stops (if needed), closes and removes the port and its vdev (a memif
 * server's socket file goes with it) and drops its hold on the pool. Safe
 * order for memif: stop traffic on all workers, tern_port_stop on both
 * sides, then destroy. NULL is a no-op.
 */
void tern_port_destroy(struct tern_port *port);

uint16_t tern_port_id(const struct tern_port *port);
uint16_t tern_port_nb_workers(const struct tern_port *port);
/* Hardware RX queues in use; fewer than workers means software redistribution. */
uint16_t tern_port_nb_rx_queues(const struct tern_port *port);
uint16_t tern_port_nb_tx_queues(const struct tern_port *port);
/* TERN_OFFLOAD_* bits the port granted; compute the rest in software. */
uint32_t tern_port_offloads(const struct tern_port *port);
/* The port's MAC address into mac[6] (zeros if the device has none). */
void tern_port_mac(const struct tern_port *port, uint8_t mac[6]);

/* ------------------------------------------------------------ data path */

/*
 * Receives up to n packets for worker (0..nb_workers-1, not checked: data
 * path); only that worker's core may call it. Returns the count; the caller
 * owns the returned mbufs (free with rte_pktmbuf_free or pass to TX). Never
 * blocks. With software redistribution, worker 0 must keep polling for the
 * others to receive; a packet whose owner's ring is full is freed and
 * counted in sw_redirect_full.
 */
uint16_t tern_port_rx_burst(struct tern_port *port, uint16_t worker,
			    struct rte_mbuf **pkts, uint16_t n);

/*
 * Sends up to n packets from worker (0..nb_workers-1, not checked). Returns
 * k: the first k mbufs now belong to the port (freed after transmission);
 * pkts[k..n-1] stay the caller's, to retry or free: nothing is dropped here.
 * Never blocks, except on the TX lock when workers share a queue.
 */
uint16_t tern_port_tx_burst(struct tern_port *port, uint16_t worker,
			    struct rte_mbuf **pkts, uint16_t n);

/* ------------------------------------------------------------------ RSS */

#define TERN_RSS_KEY_LEN 40

/*
 * Toeplitz hash, with the port's key, of an IPv4 flow as a receiver sees it
 * (addresses and ports in host byte order). Same value as the NIC's RSS.
 */
uint32_t tern_port_rss_hash_v4(const struct tern_port *port, uint32_t src_ip,
			       uint32_t dst_ip, uint16_t src_port,
			       uint16_t dst_port);

/* Worker that owns a flow of this hash (the redirection table). Never fails. */
uint16_t tern_port_rss_worker(const struct tern_port *port, uint32_t hash);

/*
 * Picks a local source port in [lo, hi] such that the replies of
 * remote_ip:remote_port to local_ip:port arrive on worker. Search starts at
 * *sport (if inside the range) so callers can walk the range.
 * Returns 0 with *sport set, -EINVAL bad range or worker, -EADDRNOTAVAIL
 * when no port of the range hashes to that worker.
 */
int tern_port_rss_pick_sport(const struct tern_port *port, uint16_t worker,
			     uint32_t local_ip, uint32_t remote_ip,
			     uint16_t remote_port, uint16_t lo, uint16_t hi,
			     uint16_t *sport);

/* ------------------------------------------------------- link and stats */

struct tern_link {
	bool up;
	bool full_duplex;
	uint32_t speed_mbps;   /* 0: unknown */
	uint64_t changes;      /* up/down transitions seen by tern_port_link_poll */
};

/*
 * Reads link state without waiting (PMDs without link interrupts are polled
 * this way) and counts transitions. Control path: call from one thread.
 * Returns 0 or -errno from the ethdev.
 */
int tern_port_link_poll(struct tern_port *port, struct tern_link *out);

struct tern_port_stats {
	/* from the device */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_missed;        /* device dropped: RX ring full */
	uint64_t rx_errors, tx_errors;
	uint64_t rx_nombuf;        /* device dropped: pool empty */
	/* tern's software path, summed over workers */
	uint64_t sw_hashed;        /* packets hashed in software (no RSS hash) */
	uint64_t sw_redirected;    /* packets passed to another worker's ring */
	uint64_t sw_redirect_full; /* dropped: owner's ring full */
	uint64_t sw_redirect_cycles;  /* TSC cycles spent hashing and passing */
	uint64_t sw_stop_flushed;  /* freed from rings by tern_port_stop */
	uint64_t tx_lock_spins;    /* TX queue shared: times the lock was busy */
	uint64_t link_restarts;    /* memif client: stop + start while the
	                              server was missing or not started yet */
};

/* Sums device and software counters into *out. Returns 0 or the ethdev's
 * -errno (-ENODEV port gone). */
int tern_port_stats_get(const struct tern_port *port,
			struct tern_port_stats *out);

/* Per-worker software counters (same fields, device part zero).
 * Returns 0, or -EINVAL when worker >= nb_workers. */
int tern_port_worker_stats_get(const struct tern_port *port, uint16_t worker,
			       struct tern_port_stats *out);

/* Clears device and software counters (software ones even when the device
 * has no reset: -ENOTSUP). Returns 0 or the ethdev's -errno. */
int tern_port_stats_reset(struct tern_port *port);

/*
 * Calls fn for each extended statistic of the device (name, value); name is
 * valid during the call only. Returns the number reported, -ENOMEM, -EAGAIN
 * (the set changed between calls: ask again) or the ethdev's -errno.
 */
int tern_port_xstats_foreach(const struct tern_port *port,
			     void (*fn)(const char *name, uint64_t value,
					void *arg),
			     void *arg);

#ifdef __cplusplus
}
#endif
#endif /* TERN_PORT_H */
