/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-gen's private state, shared by its files: gen.c (options, set-up,
 * tear-down), gen_app.c (the state's allocation and sockets), gen_tx.c (open-loop pacing), gen_rx.c (matching replies),
 * gen_report.c (live stats and the summary), gen_replay.c (--replay: the
 * schedule and payloads of a capture), gen_pcap.c (reading and writing pcap
 * files with libpcap; gen_pcap_none.c when the build has no libpcap).
 */
#ifndef TERN_GEN_H
#define TERN_GEN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include <tern/engine.h>
#include <tern/port.h>
#include <tern/tern.h>

#include "hist.h"

#define GEN_BURST_MAX 64
#define GEN_SPARE_MAX (2 * GEN_BURST_MAX) /* replies' mbufs kept for the next sends */
#define GEN_FLOWS_MAX 64
#define GEN_SOCK_QUEUE 1024         /* datagrams queued per flow's socket */
#define GEN_WINDOW (1u << 16)        /* replies matched per flow: seqs in flight */
#define GEN_MAGIC 0x7467u            /* "tg"; xor the run's nonce */
#define GEN_HDRS 46                  /* Ethernet + IPv4 + UDP + FCS */
#define GEN_NS_PER_S 1000000000ull

/*
 * The payload every request carries; the echo sends it back unchanged.
 * tsc is the *scheduled* send time (TSC of this process), so a late send
 * shows as latency rather than hiding it (no coordinated omission).
 * magic's first byte is never 0 (GEN_MAGIC_FIXED): bytes 10-13 then never
 * read as a plausible length, so tern-echo's sockperf detection (a be32
 * length at offset 10 equal to the datagram's) never mistakes ours.
 */
struct gen_payload {
	uint64_t tsc;
	uint16_t flow;
	uint16_t magic;
	uint32_t seq;                /* low 32 bits; widened against the flow's next */
} __attribute__((packed));

#define GEN_MAGIC_FIXED 0x0080u

enum gen_dist { GEN_CONSTANT, GEN_POISSON };
enum gen_timing { GEN_TIMING_RATE, GEN_TIMING_CAPTURE };

struct gen_opts {
	enum tern_port_preset preset;
	const char *iface, *socket, *stopped_file;
	bool server;
	uint32_t ip, mask, gw, dst_ip;
	uint8_t dst_mac[6];          /* --dst-mac: static ARP entry, no resolution */
	bool dst_mac_set;
	uint16_t dst_port, src_port, flows, burst, size;
	uint64_t rate, seconds, count, seed;
	uint32_t drain_ms, hold_ms;
	enum gen_dist dist;
	bool json;                   /* default: stdout is not a terminal */
	bool no_udp_cksum;           /* --udp-cksum off: requests carry UDP checksum 0 */
	/* --replay */
	const char *replay, *reply_pcap;
	uint64_t loops;
	enum gen_timing timing;
	double speed;                /* capture timing: 2.0 plays twice as fast */
	bool keep_dst_port;          /* send to the captured UDP port, not --dst-port */
};

/* One datagram of a replayed capture: its payload and when it was sent. */
struct gen_replay_frame {
	uint64_t ts_ns;              /* capture time since the first usable frame */
	uint32_t off;                /* payload's offset in gen_replay.data */
	uint16_t len;                /* payload bytes */
	uint16_t dst_port;           /* as captured */
	uint16_t flow;               /* captured source ip:port, hashed to a flow */
};

/*
 * A capture loaded for --replay. Only the UDP payloads (IPv4, not
 * fragmented) are replayed, from our address and flows to --dst: the
 * captured addresses, MACs and checksums are not, so the DUT accepts them.
 * Every frame of the file is counted once: usable (n) or skipped by reason.
 */
struct gen_replay {
	struct gen_replay_frame *f;
	uint8_t *data;               /* payloads back to back */
	uint32_t n, cap;             /* frames usable; allocated */
	size_t data_len, data_cap;
	uint64_t read;               /* frames in the file */
	uint64_t skip_not_udp;       /* not IPv4/UDP (ARP, IPv6, TCP, ...) */
	uint64_t skip_fragment;      /* an IPv4 fragment */
	uint64_t skip_malformed;     /* headers cut short by the snap length, or bad */
	uint64_t skip_too_big;       /* payload above GEN_REPLAY_PAYLOAD_MAX */
	uint64_t skip_link;          /* link type other than Ethernet, raw IP or SLL */
	uint64_t first_ns;           /* capture time of the first usable frame */
	int err;                     /* -ENOMEM or -E2BIG while loading */
	double tsc_per_ns;           /* capture timing: TSC cycles per ns of capture */
};

#define GEN_REPLAY_PAYLOAD_MAX 1472  /* one 1518-byte frame; the engine's limit */
#define GEN_REPLAY_FRAMES_MAX (1u << 24)
#define GEN_REPLAY_DATA_MAX (1u << 30)

/* Replies kept for --reply-pcap: written after the run, off the polling core. */
struct gen_replies {
	uint8_t *buf;                /* records: u64 tsc, u16 len, len bytes */
	size_t used, cap;
	uint64_t kept;               /* replies kept for the file */
	uint64_t overflow;           /* replies not kept: the buffer was full */
	uint64_t written;            /* frames written to the file */
};

#define GEN_REPLIES_BYTES (32u << 20)

struct gen_flow {
	struct gen_app *app;
	struct tern_udp_sock *sock;
	uint64_t next_seq;           /* next sequence number to send */
	uint64_t *seen;              /* GEN_WINDOW bits: reply seen for seq % W */
};

struct gen_counters {
	uint64_t tx, rx;
	uint64_t dup;                /* a reply seen twice */
	uint64_t late;               /* older than the matching window */
	uint64_t bad;                /* not ours: magic, flow or length */
	uint64_t tx_retry;           /* rounds the engine's TX was full */
	uint64_t alloc_fail;         /* rounds the pool was empty */
};

enum gen_state { GEN_IDLE, GEN_SENDING, GEN_DRAINING, GEN_DONE };

struct gen_app {
	struct gen_opts o;
	struct tern_eal *eal;
	struct tern_mbuf_pool *pool;
	struct tern_port *port;
	struct tern_sched *core;
	struct tern_engine *eng;
	struct gen_flow flows[GEN_FLOWS_MAX];
	tern_cancel_t stop;
	bool stop_made;
	int err;                     /* first fatal error (-errno) */

	/* pacing (gen_tx.c), in TSC cycles */
	enum gen_state state;
	double next_tsc, gap_tsc;
	uint64_t start_tsc, end_tsc, stop_tsc, scheduled, rng;
	uint64_t due_max;             /* sends in the run: --count, or rate x seconds */
	uint64_t grace_tsc;           /* sends still due this long after the end: dropped */
	uint64_t behind_tsc;          /* how late the schedule was when it stopped */
	uint16_t tx_flow, magic;
	bool due_constant;            /* constant gaps at --rate: gen_due_constant() */
	bool short_pad;               /* a payload's pad is one 16-byte store: gen_pad() */
	uint64_t tx_rearm;            /* gen_mbuf_rearm() of a fresh mbuf's headroom */
	uint16_t tx_room;             /* its tailroom: what gen_mbuf_prep() may take */
	struct rte_mbuf *pending[GEN_BURST_MAX];
	uint16_t pending_n, pending_flow, pending_port;
	/* mbufs of replies that the next sends take before the pool's (gen_rx.c
	 * puts, gen_tx.c takes): a reply's buffer is warm in cache and skips a
	 * mempool put and get. Direct, one segment, of our pool, only ours, but
	 * not reset: every send sets its mbuf's fields (gen_mbuf_prep) */
	struct rte_mbuf *spare[GEN_SPARE_MAX];
	uint16_t spare_n;

	/* matching (gen_rx.c) */
	double ns_per_tsc;
	uint64_t ns_per_tsc_q32;     /* ns_per_tsc in 32.32 fixed point, per reply */
	struct gen_counters c;
	struct tern_engine_stats eng_stats; /* at the summary */
	struct hist *tick, *total;   /* this second's latencies; all before it */

	/* --replay (gen_replay.c) */
	struct gen_replay rp;
	struct gen_replies replies;
};

static inline bool gen_replaying(const struct gen_app *a)
{
	return a->o.replay != NULL;
}

/* The first 8 bytes gen_mbuf_prep() writes: data_off (headroom), refcnt 1,
 * nb_segs 1, port invalid, as a reset leaves them (what DPDK's vector RX
 * paths call the rearm data). */
static inline uint64_t gen_mbuf_rearm(uint16_t headroom)
{
	return headroom | 1ull << 16 | 1ull << 32 | (uint64_t)RTE_MBUF_PORT_INVALID << 48;
}

/*
 * An mbuf for a send, a spare (gen_rx.c) or the pool's, holding len bytes
 * of data, as rte_pktmbuf_reset() then rte_pktmbuf_append(len) would leave
 * it: rearm = gen_mbuf_rearm(headroom) (gen_app.tx_rearm), lengths, no
 * offload flags or lengths, no packet type, no VLAN. next is NULL already
 * (a spare is checked for it), refcnt 1 (ours alone: a spare is checked,
 * a fresh one is). Neighbouring fields go in one store each, as DPDK's
 * drivers rearm an mbuf (the layout is asserted below). len <=
 * gen_app.tx_room. Returns the data.
 */
static inline void *gen_mbuf_prep(struct rte_mbuf *m, uint64_t rearm, uint16_t len)
{
	uint64_t type_len = (uint64_t)len << 32;        /* packet_type 0, pkt_len */
	uint32_t data_vlan = len;                       /* data_len, vlan_tci 0 */

	memcpy(&m->data_off, &rearm, sizeof(rearm));
	m->ol_flags = 0;             /* reset keeps only EXTERNAL: ours are direct */
	memcpy(&m->packet_type, &type_len, sizeof(type_len));
	memcpy(&m->data_len, &data_vlan, sizeof(data_vlan));
	m->vlan_tci_outer = 0;
	m->tx_offload = 0;
	return (char *)m->buf_addr + (uint16_t)rearm;
}

_Static_assert(offsetof(struct rte_mbuf, refcnt) == offsetof(struct rte_mbuf, data_off) + 2 &&
	       offsetof(struct rte_mbuf, nb_segs) == offsetof(struct rte_mbuf, data_off) + 4 &&
	       offsetof(struct rte_mbuf, port) == offsetof(struct rte_mbuf, data_off) + 6 &&
	       offsetof(struct rte_mbuf, pkt_len) == offsetof(struct rte_mbuf, packet_type) + 4 &&
	       offsetof(struct rte_mbuf, vlan_tci) == offsetof(struct rte_mbuf, data_len) + 2 &&
	       sizeof(((struct rte_mbuf *)0)->packet_type) == 4,
	       "gen_mbuf_prep: the mbuf fields it writes together are neighbours");
_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "gen_mbuf_prep: little-endian stores");

extern volatile sig_atomic_t gen_stop_requested;

/* gen_app.c */
/*
 * The histograms and a->o.flows reply windows, zeroed, and the clock's
 * scale and the run's magic. a->o set first. 0, or -ENOMEM (what was
 * allocated is a's: gen_free() frees it).
 */
int gen_alloc(struct gen_app *a);
/*
 * One socket per flow on a->eng, from a->o.src_port up, queueing
 * GEN_SOCK_QUEUE datagrams, sending UDP checksums unless
 * a->o.no_udp_cksum. 0, or the error of tern_udp_bind() (the sockets
 * bound stay with the engine: tern_engine_destroy() closes them).
 */
int gen_bind(struct gen_app *a);
/* Frees what gen_alloc() and gen_replay_setup() allocated; a zeroed a is fine. */
void gen_free(struct gen_app *a);

/* gen_tx.c */
int gen_tx_poll(void *arg);
void gen_tx_start(struct gen_app *a);
void gen_tx_free_pending(struct gen_app *a);
void gen_tx_free_spare(struct gen_app *a);

/* gen_rx.c */
intptr_t gen_rx_task(void *arg);
int gen_rx_spawn(struct gen_app *a, tern_task_t *tasks);

/* gen_replay.c */
int gen_replay_setup(struct gen_app *a);
double gen_replay_gap(const struct gen_app *a, uint64_t k);
bool gen_replay_same_dest(const struct gen_app *a, uint64_t k0, uint64_t k);
void gen_replay_fill(struct gen_app *a, struct rte_mbuf *m, uint64_t k);
uint16_t gen_replay_flow(const struct gen_app *a, uint64_t k);
uint16_t gen_replay_port(const struct gen_app *a, uint64_t k);
void gen_replay_reply(struct gen_app *a, const struct tern_udp_dgram *d, uint64_t now);
int gen_replay_finish(struct gen_app *a);
void gen_replay_free(struct gen_app *a);

/* gen_pcap.c (or gen_pcap_none.c) */
int gen_pcap_load(struct gen_app *a, const char *path);
int gen_pcap_write(struct gen_app *a, const char *path);
void gen_replay_eth(struct gen_replay *rp, uint16_t flows, uint64_t ts_ns,
		    const uint8_t *p, uint32_t caplen);
void gen_replay_ip(struct gen_replay *rp, uint16_t flows, uint64_t ts_ns,
		   const uint8_t *p, uint32_t caplen);

/* gen_report.c */
void gen_report_tick(struct gen_app *a, double t, struct gen_counters *prev, double dt);
void gen_report_summary(struct gen_app *a);
void gen_report_start(struct gen_app *a);
void gen_report_replies(struct gen_app *a, int rc);

#endif
