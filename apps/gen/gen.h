/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-gen's private state, shared by its files: gen.c (options, set-up,
 * tear-down), gen_tx.c (open-loop pacing), gen_rx.c (matching replies),
 * gen_report.c (live stats and the summary).
 */
#ifndef TERN_GEN_H
#define TERN_GEN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <tern/engine.h>
#include <tern/port.h>
#include <tern/tern.h>

#include "hist.h"

#define GEN_BURST_MAX 64
#define GEN_FLOWS_MAX 64
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
};

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
	uint64_t grace_tsc;           /* sends still due this long after the end: dropped */
	uint64_t behind_tsc;          /* how late the schedule was when it stopped */
	uint16_t tx_flow, magic;
	struct rte_mbuf *pending[GEN_BURST_MAX];
	uint16_t pending_n, pending_flow;

	/* matching (gen_rx.c) */
	double ns_per_tsc;
	struct gen_counters c;
	struct tern_engine_stats eng_stats; /* at the summary */
	struct hist *tick, *total;   /* this second's latencies; all before it */
};

extern volatile sig_atomic_t gen_stop_requested;

/* gen_tx.c */
int gen_tx_poll(void *arg);
void gen_tx_start(struct gen_app *a);
void gen_tx_free_pending(struct gen_app *a);

/* gen_rx.c */
intptr_t gen_rx_task(void *arg);
int gen_rx_spawn(struct gen_app *a, tern_task_t *tasks);

/* gen_report.c */
void gen_report_tick(struct gen_app *a, double t, struct gen_counters *prev, double dt);
void gen_report_summary(struct gen_app *a);
void gen_report_start(struct gen_app *a);

#endif
