/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-gen: an open-loop UDP traffic generator on one core. EAL arguments
 * first, then "--", then ours:
 *
 *   tern-gen -l 1 --no-pci --file-prefix gen -- --preset memif --socket /tmp/m.sock \
 *            --rate 100000 --seconds 10
 *
 * Sends to --dst:--dst-port (default 10.0.0.1:7, tern-echo's) from --flows
 * sockets at --rate packets per second (constant gaps, or --poisson), each
 * request stamped with its flow, sequence number and scheduled send TSC;
 * matches the echoes, prints one line per second and a latency summary.
 * With --replay FILE, the UDP payloads of a pcap file are sent instead
 * (gen_replay.c), at --rate or at the capture's timing, and the replies
 * counted. See docs/gen.md.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <tern/eal.h>

#include "gen.h"

#define GEN_ARP_WAIT_NS (5 * GEN_NS_PER_S)

volatile sig_atomic_t gen_stop_requested;

static void on_signal(int sig)
{
	gen_stop_requested++;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL args] -- [--preset memif|tap|af_packet|null|ethdev]\n"
		"  [--socket PATH] [--server] [--iface NAME] [--port-id N]\n"
		"  [--ip A.B.C.D] [--mask A.B.C.D] [--gw A.B.C.D] [--dst A.B.C.D] [--dst-port N]\n"
		"  [--dst-mac XX:XX:XX:XX:XX:XX] [--src-port N] [--flows N] [--rate PPS] [--poisson] [--seed N] [--size BYTES]\n"
		"  [--burst N] [--seconds N] [--count N] [--drain-ms N] [--udp-cksum on|off] [--json|--text]\n"
		"  [--stopped-file PATH] [--hold-ms N]\n"
		"  [--replay FILE.pcap [--loops N] [--timing rate|capture] [--speed X]\n"
		"   [--keep-dst-port] [--reply-pcap FILE.pcap]]\n", prog);
}

/* ------------------------------------------------------------ options */

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* An unsigned number in [lo, hi], whole string. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*s == '\0' || *s == '-' || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u16(const char *s, uint64_t lo, uint64_t hi, uint16_t *out)
{
	uint64_t v = 0;
	int rc = parse_u64(s, lo, hi, &v);

	*out = (uint16_t)v;
	return rc;
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	int rc = parse_u64(s, 0, UINT32_MAX, &v);

	*out = (uint32_t)v;
	return rc;
}

static int parse_timing(const char *s, enum gen_timing *out)
{
	if (strcmp(s, "rate") == 0)
		*out = GEN_TIMING_RATE;
	else if (strcmp(s, "capture") == 0)
		*out = GEN_TIMING_CAPTURE;
	else
		return -EINVAL;
	return 0;
}

/* A factor in (0, 1e6]: --speed. */
static int parse_speed(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v > 0 && v <= 1e6))
		return -EINVAL;
	*out = v;
	return 0;
}

/* --udp-cksum on|off: whether requests carry a UDP checksum. */
static int parse_cksum(const char *s, bool *none)
{
	if (strcmp(s, "on") == 0)
		*none = false;
	else if (strcmp(s, "off") == 0)
		*none = true;
	else
		return -EINVAL;
	return 0;
}

static int parse_opt(int c, const char *arg, struct gen_opts *o, uint16_t *port_id)
{
	switch (c) {
	case 'P': return tern_port_preset_parse(arg, &o->preset);
	case 's': o->socket = arg; return 0;
	case 'S': o->server = true; return 0;
	case 'i': o->iface = arg; return 0;
	case 'I': return parse_u16(arg, 0, UINT16_MAX, port_id);
	case 'a': return tern_ipv4_parse(arg, &o->ip);
	case 'm': return tern_ipv4_parse(arg, &o->mask);
	case 'g': return tern_ipv4_parse(arg, &o->gw);
	case 'd': return tern_ipv4_parse(arg, &o->dst_ip);
	case 'D': return parse_u16(arg, 1, UINT16_MAX, &o->dst_port);
	case 'p': return parse_u16(arg, 1, UINT16_MAX, &o->src_port);
	case 'f': return parse_u16(arg, 1, GEN_FLOWS_MAX, &o->flows);
	case 'r': return parse_u64(arg, 1, 1000000000ull, &o->rate);
	case 'o': o->dist = GEN_POISSON; return 0;
	case 'e': return parse_u64(arg, 0, UINT64_MAX, &o->seed);
	case 'z': return parse_u16(arg, GEN_HDRS + sizeof(struct gen_payload), 1518, &o->size);
	case 'b': return parse_u16(arg, 1, GEN_BURST_MAX, &o->burst);
	case 't': return parse_u64(arg, 0, 86400, &o->seconds);
	case 'c': return parse_u64(arg, 0, UINT64_MAX, &o->count);
	case 'w': return parse_u32(arg, &o->drain_ms);
	case 'j': o->json = true; return 0;
	case 'T': o->json = false; return 0;
	case 'F': o->stopped_file = arg; return 0;
	case 'M': o->dst_mac_set = true; return parse_mac(arg, o->dst_mac);
	case 'H': return parse_u32(arg, &o->hold_ms);
	case 'R': o->replay = arg; return 0;
	case 'L': return parse_u64(arg, 1, 1000000000ull, &o->loops);
	case 'k': return parse_timing(arg, &o->timing);
	case 'x': return parse_speed(arg, &o->speed);
	case 'K': o->keep_dst_port = true; return 0;
	case 'W': o->reply_pcap = arg; return 0;
	case 'C': return parse_cksum(arg, &o->no_udp_cksum);
	default: return -EINVAL;
	}
}

static int parse_args(int argc, char **argv, struct gen_opts *o, uint16_t *port_id)
{
	static const struct option lo[] = {
		{ "preset", 1, NULL, 'P' }, { "socket", 1, NULL, 's' },
		{ "server", 0, NULL, 'S' }, { "iface", 1, NULL, 'i' },
		{ "port-id", 1, NULL, 'I' }, { "ip", 1, NULL, 'a' },
		{ "mask", 1, NULL, 'm' }, { "gw", 1, NULL, 'g' }, { "dst", 1, NULL, 'd' },
		{ "dst-port", 1, NULL, 'D' }, { "src-port", 1, NULL, 'p' },
		{ "flows", 1, NULL, 'f' }, { "rate", 1, NULL, 'r' },
		{ "poisson", 0, NULL, 'o' }, { "seed", 1, NULL, 'e' },
		{ "size", 1, NULL, 'z' }, { "burst", 1, NULL, 'b' },
		{ "seconds", 1, NULL, 't' }, { "count", 1, NULL, 'c' },
		{ "drain-ms", 1, NULL, 'w' }, { "json", 0, NULL, 'j' }, { "text", 0, NULL, 'T' },
		{ "dst-mac", 1, NULL, 'M' }, { "stopped-file", 1, NULL, 'F' }, { "hold-ms", 1, NULL, 'H' },
		{ "replay", 1, NULL, 'R' }, { "loops", 1, NULL, 'L' }, { "timing", 1, NULL, 'k' },
		{ "speed", 1, NULL, 'x' }, { "keep-dst-port", 0, NULL, 'K' },
		{ "reply-pcap", 1, NULL, 'W' }, { "udp-cksum", 1, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct gen_opts){ .preset = TERN_PORT_MEMIF, .ip = 0x0a000002,
				.dst_ip = 0x0a000001, .dst_port = 7, .src_port = 9000,
				.flows = 1, .burst = 32, .size = 64, .rate = 10000,
				.drain_ms = 500, .hold_ms = 10000, .loops = 1, .speed = 1.0,
				.json = !isatty(STDOUT_FILENO) };
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		if (parse_opt(c, optarg, o, port_id) < 0)
			return -EINVAL;
	if (o->seconds == 0 && o->count == 0 && o->replay == NULL)
		o->seconds = 10; /* always bounded; a replay by its frames times --loops */
	if (o->replay == NULL && (o->reply_pcap != NULL || o->keep_dst_port ||
				  o->timing != GEN_TIMING_RATE || o->loops != 1 || o->speed != 1.0))
		return -EINVAL; /* replay options without --replay */
	if ((uint32_t)o->src_port + o->flows > UINT16_MAX + 1u)
		return -EINVAL;
	return optind == argc ? 0 : -EINVAL;
}

/* -------------------------------------------------------------- tasks */

/* The next hop of --dst, resolved once and pinned (a static entry), so the
 * pacing poller never waits for ARP, not even when the entry would age. */
static intptr_t gen_resolve(struct gen_app *a)
{
	uint32_t mask = a->o.mask ? a->o.mask : 0xffffff00u;
	uint32_t hop = (a->o.dst_ip & mask) == (a->o.ip & mask) ? a->o.dst_ip : a->o.gw;
	tern_cancel_t deadline;
	uint8_t mac[6];
	intptr_t rc;

	if (hop == 0)
		return -ENETUNREACH;
	if (a->o.dst_mac_set) /* a peer that answers no ARP (testpmd 5tswap) */
		return tern_arp_add_static(a->eng, hop, a->o.dst_mac);
	if (tern_cancel_create_linked(tern_cancel_token(a->stop), &deadline) < 0)
		return -ENOMEM;
	tern_cancel_after(deadline, GEN_ARP_WAIT_NS);
	rc = tern_arp_resolve(a->eng, hop, mac, tern_cancel_token(deadline));
	tern_cancel_dispose(deadline);
	if (rc == 0)
		rc = tern_arp_add_static(a->eng, hop, mac);
	if (rc < 0)
		fprintf(stderr, "gen: no ARP answer from the next hop: is the echo server "
			"running on the other side? (%s)\n", strerror((int)-rc));
	return rc;
}

/* Live stats once a second while sending, and for the last part second. */
static void gen_live(struct gen_app *a)
{
	struct gen_counters prev = { 0 };
	uint64_t t0 = tern_sched_now(a->core), last = t0, now = t0;

	while (a->state == GEN_SENDING) {
		tern_sleep(10 * 1000 * 1000, TERN_TOKEN_NONE);
		now = tern_sched_now(a->core);
		if (now - last >= GEN_NS_PER_S) {
			gen_report_tick(a, (double)(now - t0) / 1e9, &prev,
					(double)(now - last) / 1e9);
			last = now;
		}
	}
	if (now - last >= GEN_NS_PER_S / 10)
		gen_report_tick(a, (double)(now - t0) / 1e9, &prev, (double)(now - last) / 1e9);
}

/* Waits until every request is answered, or drain_ms. */
static void gen_drain(struct gen_app *a)
{
	uint64_t end = tern_sched_now(a->core) + (uint64_t)a->o.drain_ms * 1000000ull;

	while (a->c.rx + a->c.late < a->c.tx && tern_sched_now(a->core) < end)
		tern_sleep(1000 * 1000, TERN_TOKEN_NONE);
}

static intptr_t gen_main_task(void *arg)
{
	struct gen_app *a = arg;
	tern_task_t rx[GEN_FLOWS_MAX];
	intptr_t rc = tern_cancel_create(&a->stop);
	int spawned = 0;

	a->stop_made = rc == 0;
	if (rc == 0)
		rc = gen_resolve(a);
	if (rc == 0) {
		rc = gen_rx_spawn(a, rx);
		spawned = rc == 0 ? a->o.flows : 0;
	}
	if (rc == 0) {
		gen_report_start(a);
		gen_tx_start(a);
		gen_live(a);
		gen_drain(a);
	}
	if (a->stop_made)
		tern_cancel(a->stop);
	for (int i = 0; i < spawned; i++) {
		intptr_t r = tern_task_await(rx[i], TERN_TOKEN_NONE);
		rc = rc < 0 ? rc : r;
	}
	if (spawned > 0)
		gen_report_summary(a);
	a->err = a->err ? a->err : (int)rc;
	if (a->stop_made)
		tern_cancel_dispose(a->stop);
	a->stop_made = false;
	a->state = GEN_DONE;
	tern_sched_stop(a->core);
	return 0;
}

/* ------------------------------------------------------------- set-up */

static int gen_open_port(struct gen_app *a, uint16_t port_id)
{
	struct tern_port_conf c = { .preset = a->o.preset, .iface = a->o.iface,
				    .socket = a->o.socket, .memif_server = a->o.server,
				    .port_id = port_id, .nb_workers = 1, .pool = a->pool,
				    .offloads = TERN_OFFLOAD_ALL, .link_wait_ms = 10000 };
	int rc = tern_port_create(&c, &a->port);

	return rc == 0 ? tern_port_start(a->port) : rc;
}

static int gen_setup(struct gen_app *a, uint16_t port_id)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 1, .nb_workers = 1,
					  .extra = a->o.flows * GEN_SOCK_QUEUE + 2 * GEN_BURST_MAX +
						   GEN_SPARE_MAX };
	struct tern_engine_conf ec = { .ip = a->o.ip, .netmask = a->o.mask, .gateway = a->o.gw,
				       .sock_queue = GEN_SOCK_QUEUE };
	int rc = gen_alloc(a);

	if (rc == 0 && gen_replaying(a))
		rc = gen_replay_setup(a); /* before the port: a bad file fails fast */
	if (rc == 0)
		rc = tern_mbuf_pool_create(&pc, &a->pool);
	if (rc == 0)
		rc = gen_open_port(a, port_id);
	if (rc == 0)
		rc = tern_sched_create(&(struct tern_sched_opts){ .name = "gen" }, &a->core);
	if (rc < 0)
		return rc;
	ec.port = a->port;
	ec.pool = a->pool;
	ec.sched = a->core;
	rc = tern_engine_create(&ec, &a->eng);
	if (rc == 0)
		rc = gen_bind(a);
	if (rc == 0)
		rc = tern_sched_add_poller(a->core, &(struct tern_poller){
			.name = "gen_tx", .poll = gen_tx_poll, .arg = a });
	return rc < 0 ? rc : 0;
}

/*
 * memif's ordered stop across two processes: this side has stopped polling;
 * say so (--stopped-file) and keep the port open until the peer has stopped
 * too (our link goes down), a second signal, or --hold-ms. Only then does
 * tern_port_stop disconnect: the peer is no longer polling.
 */
static void gen_hold(struct gen_app *a)
{
	int fd = open(a->o.stopped_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
	sig_atomic_t signals = gen_stop_requested;

	if (fd < 0) {
		perror("gen: --stopped-file");
		return;
	}
	close(fd);
	for (uint32_t ms = 0; ms < a->o.hold_ms && gen_stop_requested == signals; ms += 10) {
		struct tern_link l;

		if (tern_port_link_poll(a->port, &l) < 0 || !l.up)
			break;
		nanosleep(&ten_ms, NULL);
	}
	unlink(a->o.stopped_file);
}

static void gen_teardown(struct gen_app *a)
{
	if (a->port != NULL)
		tern_port_stop(a->port);
	gen_tx_free_pending(a);
	gen_tx_free_spare(a);
	tern_engine_destroy(a->eng);
	tern_sched_destroy(a->core);
	tern_port_destroy(a->port);
	if (a->pool != NULL && tern_mbuf_pool_destroy(a->pool) < 0) {
		fprintf(stderr, "gen: mbufs still in use at exit\n");
		a->err = a->err ? a->err : -EBUSY;
	}
	tern_eal_destroy(a->eal);
	gen_free(a);
}

static int gen_run(struct gen_app *a, uint16_t port_id)
{
	int rc = gen_setup(a, port_id);

	if (rc < 0) {
		fprintf(stderr, "gen: setup failed: %s\n", strerror(-rc));
		return rc;
	}
	rc = tern_task_spawn(gen_main_task, a, &(struct tern_task_opts){ .sched = a->core,
			     .name = "main", .flags = TERN_TASK_DETACHED }, NULL);
	if (rc == 0)
		rc = tern_sched_run(a->core);
	if (rc == 0 && a->o.stopped_file != NULL)
		gen_hold(a);
	if (rc == 0 && a->o.reply_pcap != NULL) {
		int wrc = gen_replay_finish(a); /* the core has stopped: file I/O is fine */

		gen_report_replies(a, wrc);
		a->err = a->err ? a->err : wrc;
	}
	return rc < 0 ? rc : a->err;
}

int main(int argc, char **argv)
{
	struct gen_app a = { 0 };
	uint16_t port_id = 0;
	int first, rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (tern_eal_create(argc, argv, NULL, &a.eal) < 0)
		return 1;
	first = tern_eal_app_argind(a.eal);
	argv[first - 1] = argv[0];
	if (parse_args(argc - first + 1, argv + first - 1, &a.o, &port_id) < 0) {
		usage(argv[0]);
		tern_eal_destroy(a.eal);
		return 2;
	}
	rc = gen_run(&a, port_id);
	gen_teardown(&a);
	if (rc < 0 || a.err < 0)
		fprintf(stderr, "gen: failed: %s\n", strerror(-(rc < 0 ? rc : a.err)));
	return rc < 0 || a.err < 0 ? 1 : 0;
}
