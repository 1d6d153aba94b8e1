/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/ private: every counter of struct tern_engine_stats by name, and
 * the hooks of tern_engine_create/destroy that export an engine through
 * DPDK telemetry (telemetry.c).
 */
#ifndef TERN_ENGINE_TELEMETRY_H
#define TERN_ENGINE_TELEMETRY_H

#include <stddef.h>

#include <tern/engine.h>

/* Every uint64_t of struct tern_engine_stats in its order: X(field) for a
 * field of its own, D(field) for one of its drops. */
#define ENG_STATS_FIELDS(X, D)                                                  \
	X(rx_packets) X(delivered)                                              \
	D(eth_runt) D(eth_not_ours) D(eth_type) D(arp_malformed) D(arp_not_ours) \
	D(arp_op) D(ip_runt) D(ip_version) D(ip_ihl) D(ip_len) D(ip_cksum)       \
	D(ip_ttl) D(ip_not_ours) D(ip_frag) D(ip_frag_big) D(ip_proto)           \
	D(icmp_runt) D(icmp_cksum) D(icmp_type) D(icmp_no_buf) D(udp_runt)       \
	D(udp_len) D(udp_cksum) D(udp_no_port) D(udp_queue_full)                 \
	X(udp_delivered) X(ip_reassembled) X(ip_frag_held) X(tx_packets)        \
	X(tx_full) X(arp_requests) X(arp_replies) X(arp_rate_limited)           \
	X(arp_timeouts) X(arp_pending_dropped) X(arp_stale)                     \
	X(icmp_echo_replies) X(icmp_unreach_sent) X(icmp_rate_limited)          \
	X(arp_sync_sent) X(arp_sync_recv) X(arp_sync_failed)                    \
	X(arp_sync_limited) X(arp_sync_dropped) X(ip_frag_out)                  \
	X(ip_frag_out_pkts) X(ip_frag_out_failed) X(udp_fwd_sent)               \
	X(udp_fwd_recv) X(udp_fwd_failed) X(udp_fwd_dropped)

/* A counter's name and where it sits in struct tern_engine_stats. */
struct eng_stat_field {
	const char *name;
	size_t off;
};

/* The table ENG_STATS_FIELDS makes: one entry per counter (telemetry.c
 * checks the count against the struct at compile time). */
extern const struct eng_stat_field eng_stat_fields[];
extern const size_t eng_stat_nfields;

/* Exports @eng (whole: called last in tern_engine_create). Registers the
 * telemetry commands at the first engine of the process. */
void eng_tel_add(struct tern_engine *eng);

/* Withdraws @eng (called first in tern_engine_destroy, before anything is
 * freed); returns once no telemetry reply is reading it. */
void eng_tel_remove(const struct tern_engine *eng);

#endif
