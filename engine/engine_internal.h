/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/ private header: the per-core engine, its ARP table, sockets and
 * the protocol entry points. Built on the public headers only (include/tern/):
 * sched/ and drivers/ internals are not used here.
 *
 * Packets move between the protocol files with their data pointer at the
 * Ethernet header; only delivery to a socket moves it to the payload.
 */
#ifndef TERN_ENGINE_INTERNAL_H
#define TERN_ENGINE_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <tern/engine.h>
#include <tern/future.h>
#include <tern/port.h>
#include <tern/sched.h>

#define ENG_BURST 32          /* RX burst, and the TX batch that triggers a flush */
#define ENG_PREFETCH 4        /* packets prefetched ahead in a burst */
#define ENG_TX_CAP 512        /* packets buffered for TX between flushes */
#define ENG_ARP_SLOTS 256     /* ARP table entries (power of two) */
#define ENG_ARP_PROBE 8       /* slots searched from an address's hash */
#define ENG_ARP_PENDING 4     /* packets kept per unresolved destination */
#define ENG_SOCK_QUEUE_MAX (1u << 20)
#define ENG_HDRS (RTE_ETHER_HDR_LEN + 20 + 8) /* Ethernet + IPv4 + UDP */
#define ENG_TTL 64            /* the TTL of everything the engine sends */

/* ------------------------------------------------------------ waitlists */

/*
 * Tasks waiting for an engine event. Each waiter lives on its task's stack,
 * parked (tern_park); the waker unlinks it before unparking it, and a token
 * that fires unlinks it before its task is woken, so a waiter is linked
 * exactly while it can still be woken.
 */
struct eng_waitlist;

struct eng_waiter {
	struct eng_waiter *next, *prev;
	struct eng_waitlist *wl;
	struct tern_parked pk;
	/* A receiver's own array of cap (> 0) datagrams: described (out,
	 * from tern_udp_recv_burst) or bare mbufs (out_m,
	 * tern_udp_recv_mbufs); cap 0: none (eng_wait). The RX fast path
	 * fills it and wakes the receiver with how many, instead of queueing
	 * the datagrams for it to take (rx_fast.h). */
	struct tern_udp_dgram *out;
	struct rte_mbuf **out_m;
	uint16_t cap;
};

struct eng_waitlist {
	struct eng_waiter head;   /* circular; empty when head.next == &head */
	uint32_t n;               /* waiters linked: not woken yet */
	uint32_t busy;            /* tasks inside eng_wait on it, woken or not:
				   * a woken one still reads its owner when it
				   * runs, so the owner (socket, serve, ARP
				   * entry) must stay while busy > 0 */
};

void eng_waitlist_init(struct eng_waitlist *wl);
/* Awaits a wake-up: the waker's value (0 or -errno), or the token's error. */
intptr_t eng_wait(struct eng_waitlist *wl, tern_token_t tok);
/* eng_wait() of a receiver that offers its array, out[cap] or out_m[cap]
 * (one of them), for the RX path to fill: then the waker's value is how
 * many it filled (> 0). */
intptr_t eng_wait_rx(struct eng_waitlist *wl, struct tern_udp_dgram *out,
		     struct rte_mbuf **out_m, uint16_t cap, tern_token_t tok);
void eng_wake_one(struct eng_waitlist *wl, intptr_t v);
/* Wakes w, a waiter linked on wl, with v. */
void eng_wake_waiter(struct eng_waitlist *wl, struct eng_waiter *w, intptr_t v);
void eng_wake_all(struct eng_waitlist *wl, intptr_t v);

/* ------------------------------------------------------------------ ARP */

enum eng_arp_state { ARP_FREE = 0, ARP_INCOMPLETE, ARP_REACHABLE, ARP_STATIC };

struct eng_arp_entry {
	uint32_t ip;              /* host order */
	uint8_t state;            /* enum eng_arp_state */
	uint8_t npend;
	struct rte_ether_addr mac;
	uint64_t updated_ns;      /* learnt (REACHABLE) or started (INCOMPLETE) */
	uint64_t last_req_ns;     /* RFC 1122 rate limit per destination */
	uint64_t synced_ns;       /* last sent to the siblings (group.c) */
	struct rte_mbuf *pend[ENG_ARP_PENDING]; /* oldest first; IP header first */
	struct eng_waitlist waiters;
};

struct eng_arp {
	struct eng_arp_entry e[ENG_ARP_SLOTS];
	uint32_t n_incomplete;
	uint64_t next_check_ns;   /* earliest retry or deadline among INCOMPLETE */
};

/* ----------------------------------------------------------------- UDP */

struct eng_serve;

struct tern_udp_sock {
	struct tern_engine *eng;
	struct eng_serve *serve;  /* NULL unless tern_udp_serve() was called */
	uint16_t port;
	bool no_tx_cksum;         /* sends carry UDP checksum 0 (udp_out.c) */
	uint32_t mask;            /* queue capacity - 1 (power of two) */
	uint32_t cap;             /* what the user asked for */
	uint32_t head, tail;      /* free-running indices into q */
	struct rte_mbuf **q;
	struct eng_waitlist waiters;
	uint32_t senders;         /* tasks inside tern_udp_sendto on it: one
				   * may wait for ARP, then counts on s */
	struct tern_udp_sock_stats st;
};

/*
 * Describes a received datagram of len payload bytes at data, its IPv4
 * header at ip (the UDP header just before data). Ports and addresses are
 * adjacent in the headers and in d: one load and one byte swap for each
 * pair.
 */
static inline void eng_dgram_fill(struct tern_udp_dgram *d, struct rte_mbuf *m, char *data,
				  const char *ip, uint16_t len)
{
	uint32_t ports;
	uint64_t addrs, w;

	memcpy(&ports, data - sizeof(struct rte_udp_hdr) + offsetof(struct rte_udp_hdr, src_port), 4);
	memcpy(&addrs, ip + offsetof(struct rte_ipv4_hdr, src_addr), 8);
	ports = rte_be_to_cpu_32(ports);   /* source << 16 | destination */
	ports = ports >> 16 | ports << 16; /* each port in host order, in place */
	addrs = rte_be_to_cpu_64(addrs);   /* source << 32 | destination */
	d->m = m;
	d->data = data;
	/* len, src_port, dst_port and src_ip, dst_ip: two stores */
	w = len | (uint64_t)ports << 16;
	memcpy(&d->len, &w, 8);
	w = addrs >> 32 | addrs << 32;
	memcpy(&d->src_ip, &w, 8);
}
_Static_assert(offsetof(struct tern_udp_dgram, src_port) == offsetof(struct tern_udp_dgram, len) + 2 &&
	       offsetof(struct tern_udp_dgram, dst_port) == offsetof(struct tern_udp_dgram, len) + 4 &&
	       offsetof(struct tern_udp_dgram, src_ip) == offsetof(struct tern_udp_dgram, len) + 8 &&
	       offsetof(struct tern_udp_dgram, dst_ip) == offsetof(struct tern_udp_dgram, src_ip) + 4,
	       "eng_dgram_fill stores len..dst_port and both addresses as two words");

/* ---------------------------------------------------------- the group */

/*
 * The engines of one port, one slot per worker. A slot is written when an
 * engine joins or leaves (control path) and read by siblings that send it
 * an entry; no table of the data path is shared. Entries travel as
 * messages (group.c), counted in flight so the group outlives them.
 */
struct eng_member {
	struct tern_engine *eng;  /* release on join/leave, acquire to read */
	struct tern_sched *sched; /* eng's core: claimed (CAS) before eng is
	                             set, cleared after it, so a sender never
	                             reads a sibling engine that may be freed */
	uint64_t gen;             /* atomic: bumped by every leave */
	uint64_t sync_dropped;    /* atomic: entries that landed after eng left */
	uint64_t fwd_inflight;    /* atomic: datagrams this slot's engine handed
	                             to a sibling, not landed yet */
	uint64_t fwd_dropped;     /* atomic: datagrams that landed after eng left */
};

struct tern_engine_group {
	struct tern_port *port;
	uint16_t n;               /* the port's workers: slots in m */
	struct tern_engine *announcer; /* atomic: sent the gratuitous ARP;
	                                  NULL again when it leaves */
	uint64_t inflight;        /* atomic: entries sent, not yet landed */
	struct eng_member *m;
	/* Which workers have UDP port p bound: words bits from owners[p * words],
	 * bit w for worker w; set and cleared by the owner's bind and close
	 * (release), read by a sibling that has no socket on p (acquire). */
	uint64_t *owners;
	uint16_t words;
};

/*
 * A token bucket: burst sends back to back, then rate per second. Credit is
 * kept in nanoseconds, so refilling needs no division per send. Starts full.
 */
struct eng_bucket {
	uint64_t cost_ns;         /* one send: 1 s / rate */
	uint64_t cap_ns;          /* burst sends */
	uint64_t tokens_ns;
	uint64_t last_ns;
};

static inline void eng_bucket_init(struct eng_bucket *b, uint64_t rate, uint64_t burst)
{
	b->cost_ns = UINT64_C(1000000000) / rate;
	b->cap_ns = burst * b->cost_ns;
	b->tokens_ns = b->cap_ns;
	b->last_ns = 0;
}

/* True, and one send's credit taken, when the bucket has it at now_ns. */
static inline bool eng_bucket_take(struct eng_bucket *b, uint64_t now_ns)
{
	b->tokens_ns += now_ns - b->last_ns;
	b->last_ns = now_ns;
	if (b->tokens_ns > b->cap_ns)
		b->tokens_ns = b->cap_ns;
	if (b->tokens_ns < b->cost_ns)
		return false;
	b->tokens_ns -= b->cost_ns;
	return true;
}

/* ------------------------------------------------------------- engine */

struct tern_engine {
	/* Read for every packet. */
	struct tern_port *port;
	uint16_t worker;
	uint16_t tx_n;
	uint16_t ip_id;
	uint32_t ip;              /* host order */
	uint32_t netmask, gateway;
	uint32_t offloads;
	struct rte_ether_addr mac;
	uint64_t now_ns;          /* the clock: eng_now() */
	bool now_read;            /* now_ns read since this poll began */
	struct tern_udp_sock **socks; /* by port: 65536 slots */
	struct tern_engine_stats st;

	/* Control path. */
	struct tern_sched *sched;
	struct tern_engine_group *group; /* NULL: alone */
	struct rte_mempool *mp;   /* for packets the engine makes */
	struct rte_mempool *jumbo_mp; /* reassembled datagrams too long for one
	                                 mbuf of mp (ipv4_frag.c); NULL: none */
	uint16_t next_ephemeral;  /* where the next port-0 bind looks first */
	int poller_id;
	uint32_t sock_queue;
	uint64_t arp_timeout_ns, arp_retry_ns, arp_ttl_ns;
	struct eng_bucket icmp_bucket;  /* ICMP errors (icmp.c) */
	struct eng_bucket sync_bucket;  /* entries sent to the siblings (group.c) */

	struct eng_arp arp;
	struct rte_ip_frag_tbl *frag;  /* IPv4 reassembly (ipv4_frag.c) */
	struct rte_ip_frag_death_row frag_dr;
	struct rte_mbuf *tx[ENG_TX_CAP];
};

#define ENG_DROP(eng, m, reason)                 \
	do {                                     \
		(eng)->st.drops.reason++;        \
		rte_pktmbuf_free(m);             \
	} while (0)

/*
 * The engine's clock, read at most once a poll and only when something
 * needs it: the fast paths (receive, reply) never do, and the clock costs
 * ~20 ns here (rdtsc in a VM), 2% of the one-core echo loop when every
 * poll read it. What asks within a poll (ARP, ICMP's rate, a send's
 * neighbour check, reassembly) sees one time; a task after it, the same.
 */
static inline uint64_t eng_now(struct tern_engine *eng)
{
	if (TERN_UNLIKELY(!eng->now_read)) {
		eng->now_ns = tern_sched_now(eng->sched);
		eng->now_read = true;
	}
	return eng->now_ns;
}

/* engine.c: TX buffer. */
int eng_tx_slow(struct tern_engine *eng, struct rte_mbuf *m);
int eng_tx_flush(struct tern_engine *eng);

/* Queues m for TX; a full batch goes out at once. Returns 0 (m is the
 * engine's) or -ENOBUFS (ring and buffer full: m stays the caller's).
 * Inline: all but the packet that completes a batch cost a store. */
static inline int eng_tx(struct tern_engine *eng, struct rte_mbuf *m)
{
	if (TERN_LIKELY(eng->tx_n < ENG_BURST - 1)) {
		eng->tx[eng->tx_n++] = m;
		return 0;
	}
	return eng_tx_slow(eng, m);
}

/* Protocol entry points, one file each. */
void eng_eth_in(struct tern_engine *eng, struct rte_mbuf *m);
int eng_eth_out(struct tern_engine *eng, struct rte_mbuf *m,
		const struct rte_ether_addr *dst, uint16_t type);
void eng_arp_in(struct tern_engine *eng, struct rte_mbuf *m);
int eng_arp_announce(struct tern_engine *eng);
void eng_arp_poll(struct tern_engine *eng);
struct eng_arp_entry *eng_arp_lookup(struct tern_engine *eng, uint32_t ip);
intptr_t eng_arp_out_slow(struct tern_engine *eng, struct rte_mbuf *m, uint32_t nh,
			  tern_token_t tok);
void eng_arp_fini(struct tern_engine *eng);
bool eng_arp_busy(const struct tern_engine *eng);
void eng_arp_apply(struct tern_engine *eng, uint32_t ip, const struct rte_ether_addr *mac,
		   uint8_t state, bool create);

/* group.c: joining, leaving, and entries sent to the siblings. */
int eng_group_join(struct tern_engine *eng, struct tern_engine_group *g);
void eng_group_leave(struct tern_engine *eng);
bool eng_group_first_announce(struct tern_engine *eng);
void eng_group_arp_sync(struct tern_engine *eng, uint32_t ip, const struct rte_ether_addr *mac,
			uint8_t state, bool create);
void eng_group_arp_news(struct tern_engine *eng, uint32_t ip, const struct rte_ether_addr *mac,
			bool create);
/* group.c: UDP ports bound in the group, and datagrams for a port bound
 * on a sibling only, handed to it (udp_in.c delivers them there). */
#define ENG_FWD_INFLIGHT 256  /* datagrams one engine has travelling at once:
                                 bounds the siblings' inbox slots they take */
void eng_group_port_bound(struct tern_engine *eng, uint16_t port, bool bound);
bool eng_group_udp_forward(struct tern_engine *eng, struct rte_mbuf *m, uint16_t port);
void eng_udp_fwd_in(struct tern_engine *eng, struct rte_mbuf *m);
void eng_ipv4_in(struct tern_engine *eng, struct rte_mbuf *m, bool l2_bcast);
int eng_frag_init(struct tern_engine *eng, const struct tern_engine_conf *c);
void eng_frag_fini(struct tern_engine *eng);
struct rte_mbuf *eng_frag_in(struct tern_engine *eng, struct rte_mbuf *m);
void eng_frag_poll(struct tern_engine *eng);
intptr_t eng_ipv4_out(struct tern_engine *eng, struct rte_mbuf *m, uint32_t dst,
		      tern_token_t tok);
void eng_ipv4_hdr(struct tern_engine *eng, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		  uint8_t proto, uint32_t src, uint32_t dst, uint16_t total_len);
void eng_icmp_in(struct tern_engine *eng, struct rte_mbuf *m, struct rte_ipv4_hdr *ip);
void eng_icmp_port_unreach(struct tern_engine *eng, struct rte_mbuf *m,
			   struct rte_ipv4_hdr *ip);
void eng_udp_in(struct tern_engine *eng, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		bool bcast);
void eng_udp_close_all(struct tern_engine *eng);

/* udp_serve.c: a handler task per datagram. */
/* Starts handlers for what s queued; once stopped, wakes up to @p arrived
 * of s's receivers instead. */
void eng_serve_kick(struct eng_serve *sv, uint32_t arrived);
bool eng_serve_active(const struct tern_udp_sock *s); /* accepting new datagrams */
uint32_t eng_serve_running(const struct tern_udp_sock *s);
/* Handlers run, or a tern_udp_serve_stop() still awaits them (woken or
 * not): the serve must stay. */
bool eng_serve_busy(const struct tern_udp_sock *s);
void eng_serve_free(struct tern_udp_sock *s);

/* rte_is_same_ether_addr() in a 32-bit and a 16-bit compare. */
static inline bool eng_eth_is_ours(const struct rte_ether_addr *a, const struct rte_ether_addr *mac)
{
	uint32_t a4, m4;
	uint16_t a2, m2;

	memcpy(&a4, a->addr_bytes, 4);
	memcpy(&m4, mac->addr_bytes, 4);
	memcpy(&a2, a->addr_bytes + 4, 2);
	memcpy(&m2, mac->addr_bytes + 4, 2);
	return ((a4 ^ m4) | (uint32_t)(a2 ^ m2)) == 0;
}

/* True when ip (host order) is on our subnet. */
static inline bool eng_on_link(const struct tern_engine *eng, uint32_t ip)
{
	return ((ip ^ eng->ip) & eng->netmask) == 0;
}

/* Limited or directed broadcast of our subnet. */
static inline bool eng_ip_bcast(const struct tern_engine *eng, uint32_t ip)
{
	return ip == 0xffffffffu || (eng_on_link(eng, ip) && (ip | eng->netmask) == 0xffffffffu);
}

/* ipv4_frag_out.c: datagrams longer than the MTU leave as fragments. */
#define ENG_MTU RTE_ETHER_MTU /* every port's IPv4 MTU: the engine does not ask the
                                 port (virtual devices and tap default to 1500) */
#define ENG_FRAG_MAX 48       /* fragments of a 65535-byte datagram: 46 at most
                                 (a 60-byte header leaves 1440 bytes each) */
/* Adds len bytes of chain m from byte off to sum (eng_sum()'s order). */
uint64_t eng_sum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint64_t sum);
/*
 * m (one segment or a chain) starts at a complete IPv4 header of a
 * datagram over ENG_MTU (or a chain); sends its fragments (one packet for
 * a chain that fits) to dst through the TX buffer, all or none.
 * Returns 0: m is the engine's (fragments queued, m freed); or m is
 * unchanged but its fragment field and stays the caller's:
 * -ENOBUFS (no room for every fragment: tx_full), -ENOMEM and the
 * library's errors (ip_frag_out_failed), -EMSGSIZE (over 65535 bytes).
 */
int eng_ipv4_frag_tx(struct tern_engine *eng, struct rte_mbuf *m,
		     const struct rte_ether_addr *dst);
/*
 * eng_ipv4_out() for a datagram over ENG_MTU, or a chain: the next hop
 * is resolved first (awaited in a task), then the datagram fragmented.
 * Returns as
 * eng_ipv4_out(), and -EAGAIN (not a task and the neighbour unknown: a
 * request went out; m stays the caller's) or eng_ipv4_frag_tx()'s errors.
 * -EHOSTUNREACH, -ECANCELED, -ETIMEDOUT: m was freed.
 */
intptr_t eng_ipv4_out_big(struct tern_engine *eng, struct rte_mbuf *m, uint32_t dst,
			  tern_token_t tok);

#endif
