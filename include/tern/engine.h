/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The per-core packet engine: Ethernet, ARP, IPv4, ICMP and UDP sockets on
 * one worker queue of a port, driven by that core's scheduler.
 *
 * An engine owns one (port, worker) pair and registers a poller with its
 * core: every round it flushes the packets queued for TX in one burst,
 * receives a burst, prefetches ahead, demultiplexes each packet and hands it
 * to the socket it is for, waking the task that awaits it. Tasks woken this
 * way run in the same round, after the pollers; their replies leave in the
 * next round's TX burst.
 *
 * Everything is per core and shared-nothing: sockets, the ARP table and the
 * counters belong to the engine, and every call below must be made on the
 * thread driving the engine's core (from its tasks, pollers or callbacks),
 * except create/destroy and tern_engine_stats(), which may run wherever the
 * core is not running at the time.
 *
 * Many cores: the engines of one port's workers, each on its own core of a
 * tern_cores group, form a tern_engine_group. A flow is served on the core
 * RSS (or the port's software steering) gives it, so bind a socket on every
 * engine. What one engine learns by ARP (or is given as a static entry)
 * reaches its siblings as a message through their cores' inboxes
 * (tern_submit): each keeps its own table, nothing is shared on the data
 * path. The gratuitous ARP goes out once per group. A UDP datagram for a
 * port with no socket on the core it reached, but bound on a sibling (a
 * client's ephemeral port; fragments, which hash by addresses only), is
 * handed to that sibling's core the same way and delivered there; only a
 * port bound on no engine of the group is answered with ICMP port
 * unreachable.
 *
 * Counters: every received frame ends either delivered (consumed by ARP, by
 * ICMP, queued on a socket, merged with other fragments into one, or
 * handed to the sibling that has its UDP port: udp_fwd_sent) or dropped
 * under exactly one named reason, or is a fragment held for reassembly;
 * a datagram taken from a sibling (udp_fwd_recv) ends the same ways on the
 * engine that took it. So rx_packets + udp_fwd_recv == delivered +
 * tern_engine_drops_total() + ip_frag_held always holds, per engine and
 * summed over a group (ip_frag_held is 0 when nothing is in reassembly;
 * udp_fwd_recv is 0 for an engine alone).
 *
 * Addresses and ports in this API are in host byte order.
 */
#ifndef TERN_ENGINE_H
#define TERN_ENGINE_H

#include <tern/common.h>
#include <tern/cancel.h>

TERN_BEGIN_DECLS

struct rte_mbuf;
struct tern_port;
struct tern_mbuf_pool;
struct tern_sched;
struct tern_engine;
struct tern_engine_group;
struct tern_udp_sock;

/**
 * Parses a dotted IPv4 address ("10.0.0.1") into host byte order, the order
 * every address in this API uses.
 * @return 0 and *out set; -EINVAL: NULL argument or not an IPv4 address.
 */
int tern_ipv4_parse(const char *s, uint32_t *out);

/** Engine configuration. Zeroed fields take their defaults. */
struct tern_engine_conf {
	struct tern_port *port;     /**< started or not; must outlive the engine */
	uint16_t worker;            /**< the port's worker index this core serves */
	struct tern_mbuf_pool *pool; /**< for packets the engine makes (ARP
	                                 requests); must outlive the engine */
	struct tern_sched *sched;   /**< the core; NULL: the calling thread's */
	uint32_t ip;                /**< our IPv4 address (required) */
	uint32_t netmask;           /**< 0: 255.255.255.0 */
	uint32_t gateway;           /**< next hop off the subnet; 0: none */
	uint8_t mac[6];             /**< all zero: the port's MAC */
	uint32_t arp_timeout_ms;    /**< resolution gives up after; default 3000 */
	uint32_t arp_retry_ms;      /**< least gap between two requests for one
	                                 destination (RFC 1122 2.3.2.1); default 1000 */
	uint32_t arp_ttl_ms;        /**< a learnt entry is stale after; default 60000 */
	uint32_t icmp_rate;         /**< ICMP errors per second; default 100 */
	uint32_t icmp_burst;        /**< ICMP errors sent back to back; default 10 */
	uint32_t arp_sync_rate;     /**< in a group: learnt entries sent to the
	                                 siblings per second; default 1000 */
	uint32_t arp_sync_burst;    /**< ... sent back to back; default 32 */
	uint32_t sock_queue;        /**< default datagrams queued per socket, 256 */
	uint32_t frag_timeout_ms;   /**< an incomplete datagram's fragments are
	                                 dropped after; default 2000 */
	uint32_t frag_max;          /**< datagrams in reassembly at once; default 1024 */
	bool no_gratuitous_arp;     /**< true: no gratuitous ARP at create */
	struct tern_engine_group *group; /**< the port's engines on other cores;
	                                 NULL: this engine works alone */
};

/** Why received frames were dropped: one counter per reason. */
struct tern_engine_drops {
	uint64_t eth_runt;          /**< shorter than an Ethernet header */
	uint64_t eth_not_ours;      /**< destination MAC neither ours nor broadcast */
	uint64_t eth_type;          /**< neither IPv4 nor ARP (VLAN, IPv6, ...) */
	uint64_t arp_malformed;     /**< short, or not Ethernet/IPv4 ARP */
	uint64_t arp_not_ours;      /**< target is not us and sender unknown */
	uint64_t arp_op;            /**< neither request nor reply */
	uint64_t ip_runt;           /**< shorter than a minimal IPv4 header */
	uint64_t ip_version;        /**< version is not 4 */
	uint64_t ip_ihl;            /**< header length below 5 words or past the frame */
	uint64_t ip_len;            /**< total length below the header or past the frame */
	uint64_t ip_cksum;          /**< header checksum wrong */
	uint64_t ip_ttl;            /**< TTL zero (RFC 1122 3.2.1.7: nobody sends it) */
	uint64_t ip_not_ours;       /**< destination neither us nor broadcast */
	uint64_t ip_frag;           /**< fragments reassembly gave up on: overlapping
	                                 or inconsistent, incomplete after
	                                 frag_timeout_ms, table full, more than
	                                 RTE_LIBRTE_IP_FRAG_MAX_FRAG pieces */
	uint64_t ip_frag_big;       /**< a reassembled datagram that fits neither
	                                 its first mbuf nor a jumbo buffer of the
	                                 pool: none free, or the pool has none
	                                 (tern_mbuf_pool_conf.no_jumbo) */
	uint64_t ip_proto;          /**< protocol other than ICMP and UDP */
	uint64_t icmp_runt;         /**< shorter than an ICMP header */
	uint64_t icmp_cksum;        /**< ICMP checksum wrong */
	uint64_t icmp_type;         /**< a type we do not answer (errors, replies) */
	uint64_t icmp_no_buf;       /**< an echo reply could not be sent */
	uint64_t udp_runt;          /**< shorter than a UDP header */
	uint64_t udp_len;           /**< UDP length below 8 or past the IP payload */
	uint64_t udp_cksum;         /**< UDP checksum wrong */
	uint64_t udp_no_port;       /**< no socket bound (ICMP port unreachable) */
	uint64_t udp_queue_full;    /**< the socket's queue was full */
};

/** An engine's counters, from tern_engine_stats(). */
struct tern_engine_stats {
	uint64_t rx_packets;        /**< frames received from the port */
	uint64_t delivered;         /**< consumed by ARP or ICMP, queued on a socket,
	                                 or a fragment merged into a datagram */
	struct tern_engine_drops drops;
	uint64_t udp_delivered;     /**< datagrams queued on sockets (in delivered) */
	uint64_t ip_reassembled;    /**< datagrams made from fragments */
	uint64_t ip_frag_held;      /**< fragments awaiting the rest now */
	uint64_t tx_packets;        /**< handed to the port */
	uint64_t tx_full;           /**< sends refused: TX ring and buffer full */
	uint64_t arp_requests;      /**< requests sent (gratuitous included) */
	uint64_t arp_replies;       /**< replies sent */
	uint64_t arp_rate_limited;  /**< requests not sent: too soon for that destination */
	uint64_t arp_timeouts;      /**< resolutions that failed */
	uint64_t arp_pending_dropped; /**< queued sends freed (overflow or timeout) */
	uint64_t arp_stale;         /**< entries flushed as stale */
	uint64_t icmp_echo_replies;
	uint64_t icmp_unreach_sent;
	uint64_t icmp_rate_limited; /**< ICMP errors not sent: over the rate */
	uint64_t arp_sync_sent;     /**< entries sent to sibling engines */
	uint64_t arp_sync_recv;     /**< entries taken from sibling engines */
	uint64_t arp_sync_failed;   /**< entries not sent (a sibling's inbox full,
	                                 the cores stopping, no memory) or not
	                                 taken (table full) */
	uint64_t arp_sync_limited;  /**< learnt entries not sent to the siblings:
	                                 over arp_sync_rate (one per sibling) */
	uint64_t arp_sync_dropped;  /**< entries for this worker that landed after
	                                 its engine left or was replaced: kept by
	                                 the group, so only tern_engine_group_stats()
	                                 fills it (0 from tern_engine_stats()) */
	uint64_t ip_frag_out;       /**< datagrams over the MTU (1500) sent as
	                                 fragments (RFC 791): UDP sends and
	                                 replies, echo replies */
	uint64_t ip_frag_out_pkts;  /**< fragments those made (in tx_packets once
	                                 the port takes them) */
	uint64_t ip_frag_out_failed; /**< datagrams over the MTU not sent: no mbuf
	                                 for a fragment (the engine's pool empty;
	                                 nothing is left half sent) */
	/* UDP datagrams for a port that has no socket on this engine but one
	 * on a sibling of its group (fragments hash by addresses only, so a
	 * reassembled datagram lands on the addresses' core): handed to the
	 * sibling, never answered with a false ICMP port unreachable. */
	uint64_t udp_fwd_sent;      /**< handed to a sibling's core (counted in
	                                 delivered: that ends them here) */
	uint64_t udp_fwd_recv;      /**< taken from siblings: each then counted
	                                 here as delivered (udp_delivered) or
	                                 dropped (udp_queue_full, or udp_no_port
	                                 when the socket closed meanwhile), so
	                                 the law adds them to rx_packets */
	uint64_t udp_fwd_failed;    /**< dropped, not handed over: the sibling's
	                                 inbox full, ENG_FWD_INFLIGHT (256)
	                                 travelling already, no memory, the
	                                 cores stopping; in
	                                 tern_engine_drops_total() */
	uint64_t udp_fwd_dropped;   /**< handed to this worker but landed after
	                                 its engine left or was replaced: kept by
	                                 the group, so only
	                                 tern_engine_group_stats() fills it (the
	                                 sender counted them delivered) */
};

/** Sum of every drop counter in @p s: the reasons in s->drops, and
 *  udp_fwd_failed. */
static inline uint64_t tern_engine_drops_total(const struct tern_engine_stats *s)
{
	const uint64_t *c = (const uint64_t *)&s->drops;
	uint64_t sum = 0;

	for (size_t i = 0; i < sizeof(s->drops) / sizeof(uint64_t); i++)
		sum += c[i];
	return sum + s->udp_fwd_failed;
}

/**
 * Makes an engine on @p conf->port's worker queue and registers its poller
 * with the core. Sends a gratuitous ARP (RFC 5227 announcement) in the first
 * TX burst unless conf->no_gratuitous_arp; in a group, only the first engine
 * made sends it (one per port, not one per core).
 * With conf->group, the engine joins it as the engine of conf->worker; its
 * core (conf->sched) must then be a core of the tern_cores group that runs
 * the siblings (entries travel by tern_submit); create refuses otherwise.
 * @return 0 with *out set; -EINVAL: NULL conf/port/pool/out, ip 0, worker
 *   past the port's workers, sock_queue above 2^20, a group of another
 *   port, a group whose engines have another IP or MAC (a group is one
 *   host: one address, one MAC), or, in a group of several workers, a
 *   core made alone or of another tern_cores group; -EEXIST: the group has an engine for this worker already;
 *   -EPERM: no sched and the thread runs no core;
 *   -EXDEV / -ENOSPC: from tern_sched_add_poller(); -ENOMEM (also: the
 *   fragment table could not be made).
 *   On failure nothing needs releasing.
 */
int tern_engine_create(const struct tern_engine_conf *conf, struct tern_engine **out);

/**
 * Removes the poller, closes the sockets still bound (freeing their queued
 * mbufs), frees ARP's queued packets and the TX buffer, and leaves the
 * engine's group (entries still travelling to it are then dropped). Call
 * while the core does not run (or from its thread outside the engine's own
 * poller).
 * @return 0 (NULL is ignored); -EBUSY: a task still awaits a socket or an
 *   ARP resolution (cancel it first), or was woken from such a wait and
 *   has not run yet, or serve handlers run; nothing is freed then.
 */
int tern_engine_destroy(struct tern_engine *eng);

/** Copies @p eng's counters to @p out (zeroes it when @p eng is NULL). */
void tern_engine_stats(const struct tern_engine *eng, struct tern_engine_stats *out);

/**
 * The id under which DPDK telemetry exports @p eng: every engine gets one
 * when tern_engine_create() returns (the lowest free) and loses it when
 * tern_engine_destroy() begins. Over the telemetry socket
 * (dpdk_telemetry.v2 in the EAL's runtime directory; dpdk-telemetry.py):
 *   /tern/engines                  id -> "<ip> port <p> worker <w>" of every
 *                                  live engine, with " core <c>" when its
 *                                  core is one of a tern_cores group
 *                                  (tern_core_telemetry_id)
 *   /tern/engine/stats,<id>        "ip", "port", "worker", "core" (-1: a
 *                                  scheduler made alone), every field of
 *                                  tern_engine_stats by name (drops by
 *                                  theirs: "udp_cksum"), "drops_total",
 *                                  "law_in" (rx_packets + udp_fwd_recv),
 *                                  "law_out" (delivered + drops_total +
 *                                  ip_frag_held) and "law_ok" (1: equal)
 *   /tern/engine/udp_ports,<id>    the ports it has UDP sockets on, lowest
 *                                  first (the first 512)
 * An unknown id answers null. Replies are read while the engine runs, at
 * no cost to its core: each counter is a value it really had, but read one
 * after another, so a reply is taken from a read that saw the law hold
 * (between two bursts); law_ok is 0 when none did within about 2 ms.
 * arp_sync_dropped and udp_fwd_dropped are 0, as from tern_engine_stats().
 * Callable from any thread; nothing is owned by the caller.
 * @return the id (>= 0); -ENOENT: @p eng is NULL, not live, or one of more
 *   than 256 engines live in the process (the rest are not exported).
 */
int tern_engine_telemetry_id(const struct tern_engine *eng);

/**
 * Runs the engine's poll once (the registered poller does this every round):
 * for tests and for embedding. Returns > 0 when it did work.
 */
int tern_engine_poll(struct tern_engine *eng);

/* ---------------------------------------------------------- many cores */

/**
 * Makes an empty group for the engines of @p port's workers (at most one
 * per worker; see tern_engine_conf.group).
 * @return 0 with *out set; -EINVAL: NULL argument; -ENOMEM.
 */
int tern_engine_group_create(struct tern_port *port, struct tern_engine_group **out);

/**
 * Frees @p g. NULL is ignored.
 * @return 0; -EBUSY: engines are still members (destroy them first), or
 *   entries sent between them have not landed yet (run the cores, or stop
 *   them with tern_cores_stop(), which drains inboxes); nothing is freed.
 */
int tern_engine_group_destroy(struct tern_engine_group *g);

/**
 * Counters of every engine of @p g. From a task on a core of the group,
 * each engine's counters are copied on its own core (a tern_submit() per
 * sibling, awaited), so nothing reads another core's memory while it
 * runs; from a thread that drives no core, they are read directly, which
 * is only right while the group's cores do not run.
 * @param per NULL, or tern_port_nb_workers() entries: worker w's counters
 *   (zeroes for a worker without an engine).
 * @param sum NULL, or the sum over the engines (every field added).
 * @return the number of engines read; -EINVAL: @p g NULL; -EPERM: on a
 *   core but not in a task; errors of tern_submit() (nothing is summed).
 */
intptr_t tern_engine_group_stats(const struct tern_engine_group *g,
				 struct tern_engine_stats *per, struct tern_engine_stats *sum);

/* ------------------------------------------------------------------ ARP */

/**
 * Adds or replaces a static entry: never stale, never overwritten by ARP
 * input (RFC 826's merge leaves it alone). In a group it reaches the
 * siblings too: through their inboxes when called on @p eng's core (they
 * have it once their cores ran the message), or written into their tables
 * at once when called from a thread that drives no core, which is only
 * right while the group's cores do not run (set-up).
 * @return 0; -EINVAL: ip 0 or NULL; -ENOSPC: table full (on @p eng; a
 *   sibling's full table is counted in its arp_sync_failed).
 */
int tern_arp_add_static(struct tern_engine *eng, uint32_t ip, const uint8_t mac[6]);

/**
 * Resolves @p ip to a MAC, sending requests (at most one per arp_retry_ms
 * for this destination) and awaiting the answer.
 * @param mac receives the address on success (may be NULL).
 * @return 0; -EHOSTUNREACH: no answer within arp_timeout_ms;
 *   -ECANCELED / -ETIMEDOUT: @p tok fired first; -ENOSPC: table full;
 *   -EPERM: not resolved yet and the caller is not a task.
 */
intptr_t tern_arp_resolve(struct tern_engine *eng, uint32_t ip, uint8_t mac[6],
			  tern_token_t tok);

/* ------------------------------------------------------------------ UDP */

/** UDP socket options. Zeroed fields take their defaults. */
struct tern_udp_opts {
	uint32_t queue;             /**< datagrams queued; 0: the engine's sock_queue */
	uint32_t remote_ip;         /**< with port 0: the peer this socket talks to */
	uint16_t remote_port;       /**< with remote_ip: the peer's port */
};

/**
 * A received datagram. The mbuf's data starts at the UDP payload; the
 * Ethernet, IP and UDP headers stay in the buffer just before it (l2_len
 * and l3_len are set), which is what tern_udp_reply() reuses.
 */
struct tern_udp_dgram {
	struct rte_mbuf *m;         /**< owned by the receiver: see tern_udp_recv() */
	void *data;                 /**< the payload (rte_pktmbuf_mtod(m)) */
	uint16_t len;               /**< payload bytes */
	uint16_t src_port, dst_port;
	uint32_t src_ip, dst_ip;
};

/**
 * Binds a UDP socket on @p port of the engine's address. Port 0 takes a
 * free ephemeral port (49152-65535; tern_udp_sock_port() tells which);
 * with opts->remote_ip set, one whose datagrams from remote_ip:remote_port
 * hash to this engine's worker, so that the peer's answers to what this
 * socket sends come back to this core (one pass over the range, one hash
 * per port). In a group, give the remote: without it the port is any free
 * one, and the peer's answers land on whichever core the hash picks.
 * A bound port serves the flows RSS gives this engine; to serve a port on
 * every core, bind it on every engine of the group. A datagram for the
 * port that reaches a sibling without a socket on it (fragments hash by
 * addresses only) is handed to this engine's core (udp_fwd_sent there,
 * udp_fwd_recv here).
 * @param opts NULL for defaults.
 * @return 0 with *out set; -EINVAL: NULL arguments, queue above 2^20,
 *   remote_ip without remote_port; -EADDRINUSE: @p port bound already on
 *   this engine, or port 0 and no ephemeral port free;
 *   -EADDRNOTAVAIL: no free ephemeral port hashes to this worker; -ENOMEM.
 */
int tern_udp_bind(struct tern_engine *eng, uint16_t port,
		  const struct tern_udp_opts *opts, struct tern_udp_sock **out);

/** The local port @p s is bound to (host order). */
uint16_t tern_udp_sock_port(const struct tern_udp_sock *s);

/**
 * Whether datagrams sent from @p s carry a UDP checksum: on (the default
 * of a bound socket) or off. Off, tern_udp_sendto() and
 * tern_udp_sendto_burst() send checksum 0, RFC 768's "no checksum" over
 * IPv4 (Linux's SO_NO_CHECK): nothing is summed and the NIC is not asked
 * for it, one segment or fragments alike; receivers (tern's, the
 * kernel's) then check none. For traffic whose payload needs no end-to-end
 * check, such as a load generator's (dpdk-testpmd's txonly frames carry
 * 0 too). Replies (tern_udp_reply()) are not affected: an unchanged one
 * keeps the checksum it came with, 0 included. The IPv4 header checksum
 * is always made.
 * @return 0; -EINVAL: @p s NULL.
 */
int tern_udp_sock_set_tx_cksum(struct tern_udp_sock *s, bool on);

/**
 * Closes @p s: its queued datagrams are freed and datagrams arriving later
 * count as udp_no_port. NULL is ignored.
 * @return 0; -EBUSY: a task awaits a receive on it (cancel it first) or
 *   was woken from one and has not run yet (it reads @p s when it does),
 *   a task's tern_udp_sendto() on it awaits the neighbour (ARP), serve
 *   handlers still run on it (tern_udp_serve_stop() first), or a
 *   tern_udp_serve_stop() on it has not returned yet.
 */
int tern_udp_close(struct tern_udp_sock *s);

/**
 * Awaits one datagram on @p s (returns at once if one is queued). Tasks
 * waiting on one socket are served in arrival order.
 * On success the datagram's mbuf belongs to the caller: free it with
 * rte_pktmbuf_free(), or give it back with tern_udp_reply()/tern_udp_sendto().
 * @return 0 with @p out filled; -ECANCELED / -ETIMEDOUT: @p tok fired
 *   (nothing was taken); -EPERM: nothing queued and the caller is not a task;
 *   -EBUSY: @p s is served by tern_udp_serve(); -EINVAL: NULL argument.
 */
intptr_t tern_udp_recv(struct tern_udp_sock *s, struct tern_udp_dgram *out, tern_token_t tok);

/**
 * Awaits at least one datagram, then takes up to @p n of those queued.
 * @return the count taken (>= 1; each out[i].m is then the caller's), or
 *   the errors of tern_udp_recv().
 */
intptr_t tern_udp_recv_burst(struct tern_udp_sock *s, struct tern_udp_dgram *out,
			     uint16_t n, tern_token_t tok);

/**
 * tern_udp_recv_burst() without the descriptions: awaits at least one
 * datagram, then takes up to @p n of those queued as bare mbufs. Each
 * out[i]'s data is the UDP payload, in one segment (data_len bytes; a
 * datagram reassembled from fragments is made one); the Ethernet, IPv4 and
 * UDP headers stay in the buffer just before it (l2_len, l3_len and l4_len
 * set), where tern_udp_describe() reads the addresses and
 * tern_udp_reply_mbufs() swaps them. For code that forwards or echoes
 * bursts and reads few of the fields a tern_udp_dgram carries: on the
 * one-core echo loop the descriptions cost about 2.5% of the rate
 * (docs/benchmarks.md).
 * @return the count taken (>= 1; each out[i] is then the caller's, to free
 *   with rte_pktmbuf_free() or give back with tern_udp_reply_mbufs() or
 *   tern_udp_sendto()), or the errors of tern_udp_recv().
 */
intptr_t tern_udp_recv_mbufs(struct tern_udp_sock *s, struct rte_mbuf **out, uint16_t n,
			     tern_token_t tok);

/**
 * Describes @p m, a datagram tern_udp_recv_mbufs() returned whose data
 * start the caller has not moved, into @p d (@p d->m is @p m; nothing
 * changes owner). Its addresses and ports are read from the headers before
 * the data.
 */
void tern_udp_describe(struct rte_mbuf *m, struct tern_udp_dgram *d);

/** Flags of tern_udp_reply(). */
enum tern_udp_reply_flags {
	/** The payload and its length are as received: the UDP checksum, which
	 *  does not change when addresses and ports swap, is kept as is. */
	TERN_UDP_REPLY_UNCHANGED = 1u << 0,
};

/**
 * Sends @p d's mbuf back where it came from, reusing it: the headers before
 * the payload are rewritten in place with addresses, MACs and ports swapped
 * (no ARP lookup: the reply goes to the MAC the request came from). The
 * payload may have been changed (rte_pktmbuf_append/trim on d->m) unless
 * TERN_UDP_REPLY_UNCHANGED is passed.
 * A reply over the MTU (1472 bytes of payload: a reassembled datagram, or
 * one the caller grew), or a chain of mbufs, leaves as IPv4 fragments
 * (RFC 791), all of them or none; its UDP checksum is then computed in
 * software over the whole (a NIC cannot checksum a fragmented datagram),
 * or kept as received with TERN_UDP_REPLY_UNCHANGED. Fragments take mbufs
 * from the engine's pool (ip_frag_out, ip_frag_out_pkts).
 * @return 0: the mbuf now belongs to the engine; errors, the mbuf stays the
 *   caller's, its headers and lengths as received (nothing was rewritten,
 *   or it was put back), to free or retry: -ENOBUFS: the TX buffer is
 *   full, or has no room for every fragment (counted in tx_full); -ENOMEM:
 *   the engine's pool ran out while fragmenting (ip_frag_out_failed;
 *   nothing was sent);
 *   -EMSGSIZE: payload over 65507 bytes; -EINVAL: not a received datagram
 *   of this engine.
 */
int tern_udp_reply(struct tern_udp_sock *s, const struct tern_udp_dgram *d, unsigned flags);

/**
 * tern_udp_reply() for @p n datagrams, in order.
 * @return how many were taken: d[0..k-1] now belong to the engine,
 *   d[k..n-1] stay the caller's.
 */
uint16_t tern_udp_reply_burst(struct tern_udp_sock *s, const struct tern_udp_dgram *d,
			      uint16_t n, unsigned flags);

/**
 * tern_udp_reply_burst() for mbufs from tern_udp_recv_mbufs(), in order:
 * each goes back where it came from, the addresses read from the headers
 * before its data, whose start must be where the receive left it (the
 * payload may change at its end unless TERN_UDP_REPLY_UNCHANGED is passed).
 * @p s must be the socket that received them (not NULL).
 * @return how many were taken: m[0..k-1] now belong to the engine,
 *   m[k..n-1] stay the caller's (as received); 0 when @p m is NULL. Fewer
 *   than @p n: the TX buffer was full, or m[k] could not be sent (the
 *   reasons tern_udp_reply() returns); retrying m[k] alone with
 *   tern_udp_describe() and tern_udp_reply() tells which.
 */
uint16_t tern_udp_reply_mbufs(struct tern_udp_sock *s, struct rte_mbuf *const *m, uint16_t n,
			      unsigned flags);

/**
 * Sends @p m (its data is the payload, one segment or a chain; it needs 42
 * bytes of headroom in its first segment, which every pool mbuf has) from
 * @p s to @p ip:@p port. When the next hop is not resolved yet the packet
 * is queued on its ARP entry (the newest few per destination are kept,
 * RFC 1122 2.3.2.2) and the calling task awaits the resolution.
 * A payload over 1472 bytes (up to 65507) leaves as IPv4 fragments of at
 * most the 1500-byte MTU (RFC 791, DF clear), all of them or none, with the
 * UDP checksum summed in software over the whole datagram. It never waits
 * on ARP's queue (whose oldest packets are dropped first): a task awaits
 * the resolution, then fragments; a caller that is not a task gets
 * -EAGAIN. A chain that fits the MTU leaves as one packet (copied into one
 * mbuf when the port cannot send chains).
 * @return 0: the mbuf belongs to the engine (sent, or queued and freed if
 *   resolution fails later when the caller is not a task);
 *   errors, the mbuf stays the caller's: -EINVAL: NULL, ip 0, port 0,
 *   headroom short; -EMSGSIZE: payload over 65507 bytes; -ENETUNREACH: off
 *   the subnet and no gateway; -ENOBUFS: TX full (or no room for every
 *   fragment); -ENOSPC: ARP table full; -ENOMEM: the engine's pool ran out
 *   while fragmenting (ip_frag_out_failed); -EAGAIN: a payload over the
 *   MTU, a neighbour not resolved yet, and the caller not a task (the ARP
 *   request is out: send again later);
 *   errors after queueing, the engine has freed the mbuf: -EHOSTUNREACH
 *   (no ARP answer within arp_timeout_ms); -ECANCELED / -ETIMEDOUT (@p tok
 *   fired while resolving; the packet stays queued until resolution ends,
 *   but one over the MTU is freed at once and counted in
 *   arp_pending_dropped); -EINPROGRESS: queued, but the task could not
 *   await the resolution (no memory for the wait): the packet leaves when
 *   the address resolves, or is freed and counted if it does not.
 */
intptr_t tern_udp_sendto(struct tern_udp_sock *s, struct rte_mbuf *m, uint32_t ip,
			 uint16_t port, tern_token_t tok);

/**
 * Whether tern_udp_sendto() (or tern_udp_sendto_burst() for the packet it
 * stopped at), having returned @p rc, took the mbuf: true for 0 and the
 * errors after queueing (-EHOSTUNREACH, -ECANCELED, -ETIMEDOUT,
 * -EINPROGRESS: the engine sends or frees it), false for the others (the
 * mbuf is still the caller's, to free or send again).
 */
static inline bool tern_udp_sendto_took(intptr_t rc)
{
	return rc == 0 || rc == -EHOSTUNREACH || rc == -ECANCELED || rc == -ETIMEDOUT ||
	       rc == -EINPROGRESS;
}

/**
 * tern_udp_sendto() of @p n packets to one destination.
 * @return how many were taken (m[0..k-1] are the engine's, the rest the
 *   caller's), or a negative errno when none was (as tern_udp_sendto()).
 */
intptr_t tern_udp_sendto_burst(struct tern_udp_sock *s, struct rte_mbuf **m, uint16_t n,
			       uint32_t ip, uint16_t port, tern_token_t tok);

/** Counters of one socket. */
struct tern_udp_sock_stats {
	uint64_t rx;                /**< datagrams queued */
	uint64_t rx_queue_full;     /**< dropped: queue full */
	uint64_t tx;                /**< datagrams sent */
	uint64_t served;            /**< handlers started (tern_udp_serve) */
	uint64_t serve_spawn_failed; /**< handler spawns refused; the datagram
	                                  stayed queued for a later one */
	uint32_t queued;            /**< waiting in the queue now */
	uint32_t waiters;           /**< tasks awaiting a receive now */
	uint32_t handlers;          /**< serve handlers running now */
};

/* ------------------------------------------------------ serve dispatch */

/**
 * A handler of tern_udp_serve(), run as a task of its own for one datagram.
 * It may await (timers, other tasks, sends). @p d is valid until it
 * returns; d->m is the handler's: free it, or give it back with
 * tern_udp_reply()/tern_udp_sendto(). Its result is the task's: a negative
 * errno is a failure, which goes to the core's unobserved-failure policy
 * (count and log, a hook, or abort) with the handler's task name.
 */
typedef intptr_t (*tern_udp_handler_fn)(struct tern_udp_sock *s, struct tern_udp_dgram *d,
					void *arg);

/** tern_udp_serve() options. Zeroed fields take their defaults. */
struct tern_udp_serve_opts {
	uint32_t max_handlers;      /**< handlers running at once; default 64,
	                                 at most 65536 */
	size_t stack_size;          /**< each handler's stack; 0: the core's default */
	const char *name;           /**< handlers' task name; default "udp-serve" */
};

/**
 * Serves @p s with a handler per datagram (ASYNC_MODEL.md "Per-packet
 * dispatch", item 2): each datagram queued on @p s starts @p fn as a
 * detached task on the engine's core (stack from the core's pool, back to
 * it when the handler returns), in arrival order, after the RX burst that
 * brought it. With max_handlers running, datagrams wait in the socket's
 * queue (its bound, tern_udp_opts.queue); beyond it they are dropped and
 * counted (udp_queue_full). Datagrams queued before the call are served too.
 * While served, tern_udp_recv() on @p s returns -EBUSY.
 * @return 0; -EINVAL: NULL @p s or @p fn, max_handlers above 65536 or a
 *   stack size tern_task_spawn() refuses; -EBUSY: served already (or a
 *   tern_udp_serve_stop() still awaits its handlers), or tasks await a
 *   receive on @p s (or were woken from one and have not run yet);
 *   -ENOMEM.
 */
int tern_udp_serve(struct tern_udp_sock *s, tern_udp_handler_fn fn, void *arg,
		   const struct tern_udp_serve_opts *opts);

/**
 * Stops starting handlers on @p s; from a task, also awaits the handlers
 * still running (so not from one of @p s's own handlers: it would await
 * itself). Datagrams still queued stay (for tern_udp_recv(), a new
 * tern_udp_serve(), or freed by tern_udp_close()).
 * @return 0: no handler runs any more; -EINPROGRESS: called outside a task
 *   with handlers running (they finish on their own; tern_udp_close()
 *   returns -EBUSY until then); -ECANCELED / -ETIMEDOUT: @p tok fired while
 *   awaiting (serving stays stopped); -EINVAL: @p s NULL or not served.
 */
intptr_t tern_udp_serve_stop(struct tern_udp_sock *s, tern_token_t tok);

/** Copies @p s's counters to @p out. */
void tern_udp_sock_stats(const struct tern_udp_sock *s, struct tern_udp_sock_stats *out);

TERN_END_DECLS
#endif
