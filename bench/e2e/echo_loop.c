/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-echo-loop: the single-core UDP echo job (issues 6 and 7). Both ends
 * in one process on one core: two memif ports of this process connected to
 * each other (a server and a client on one socket file), an engine on each,
 * both engines driven by one scheduler. Each engine binds a UDP socket on
 * the same port, whose task echoes every datagram back in place. A burst
 * is injected once from each side to the other; since the source port is
 * the destination port, every echo is echoed again, so the datagrams
 * circulate until the end. What it measures is the echo path alone, with
 * no generator on another core: it is the tern half of the A/B against
 * `dpdk-testpmd --forward-mode=5tswap --tx-first` on the same loop
 * (scripts/echo_1core.sh).
 *
 *   tern-echo-loop -l 0 --no-pci -- --socket /tmp/loop.sock [--seconds 3]
 *                  [--inject 32] [--size 64] [--port 7] [--udp-cksum on|off]
 *                  [--floor]
 *
 * --udp-cksum off injects datagrams with UDP checksum 0 (RFC 768: none), the
 * form of testpmd's --tx-first frames; on (the default) computes one, which
 * every echo then verifies.
 *
 * --floor: no engine and no task. A poller per port receives a burst
 * through tern's port layer, swaps each frame's MAC and IPv4 addresses and
 * UDP ports in place, without a check, and sends the burst back: what
 * testpmd's 5tswap does, on tern's drivers and scheduler. It measures the
 * floor under the engine's cost, what the loop costs with no protocol
 * work and no coroutine (docs/benchmarks.md). Needs --udp-cksum off.
 *
 * Stdout: one JSON object per line (jansson): {"t": s, "rx_pps": ...} once
 * a second, the packets received per second summed over both ports, then
 * {"summary": ...} with each engine's counters, the conservation law
 * (rx = delivered + drops), the mbufs still in use after tear-down and
 * cpu_share, the CPU time the core's thread got over the wall time.
 * Exit 0 when the run completed, nothing was dropped, the law held and no
 * mbuf leaked; 1 otherwise; 2 on bad arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <tern/eal.h>
#include <tern/engine.h>
#include <tern/port.h>
#include <tern/tern.h>

#include "../echo_work.h"

#define BURST 32
#define LOOP_NS_PER_S 1000000000ull
#define HDR_BYTES (14 + 20 + 8)   /* Ethernet, IPv4, UDP */
#define MAX_SECONDS 3600

struct loop_app;

struct loop_opts {
	const char *socket;
	uint64_t seconds;
	uint32_t inject;          /* datagrams sent by each side at the start */
	uint16_t size;            /* frame bytes without the FCS */
	uint16_t port;
	bool udp_cksum;           /* false: datagrams carry checksum 0 ("none") */
	bool floor;               /* swap pollers on the ports, no engine */
};

/* One end of the loop: a memif port and the engine on it. */
struct loop_side {
	struct loop_app *app;
	struct tern_port *port;
	struct tern_engine *eng;
	struct tern_udp_sock *sock;
	uint32_t ip;
	uint8_t mac[6];
	uint64_t echoed, reply_refused, injected; /* --floor: its poller's too */
	tern_task_t echo;
	bool echo_made;
	struct tern_engine_stats final;
};

struct loop_app {
	struct loop_opts o;
	struct tern_eal *eal;
	struct tern_mbuf_pool *pool;
	struct tern_sched *core;
	struct loop_side side[2];
	tern_cancel_t stop;
	uint64_t run_ns;            /* wall time sampled */
	uint64_t steady_ns, cpu_ns; /* after the first second: wall, thread CPU */
	int err;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = 1;
}

static void emit(json_t *obj)
{
	json_dumpf(obj, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(obj);
}

/* ---------------------------------------------------------------- tasks */

/* Every datagram goes back in place; a reply the TX buffer refuses is
 * freed, and counted by the engine (tx_full) and here. Bare mbufs: the
 * echo reads none of a datagram's described fields. */
static intptr_t echo_task(void *arg)
{
	struct loop_side *s = arg;
	struct rte_mbuf *d[BURST];

	for (;;) {
		intptr_t n = tern_udp_recv_mbufs(s->sock, d, BURST,
						 tern_cancel_token(s->app->stop));
		uint16_t k;

		if (n < 0)
			return n == -ECANCELED ? 0 : n;
		k = tern_udp_reply_mbufs(s->sock, d, (uint16_t)n, TERN_UDP_REPLY_UNCHANGED);
		if (k < n)
			rte_pktmbuf_free_bulk(d + k, (unsigned)(n - k));
		s->echoed += k;
		s->reply_refused += (uint64_t)n - k;
	}
}

/*
 * --floor's poller: a burst in, each frame's addresses and ports swapped
 * in place as testpmd's 5tswap swaps them (no check: only this program's
 * own frames come round), the burst out; what the port refuses is freed
 * and counted.
 */
static int floor_poll(void *arg)
{
	struct loop_side *s = arg;
	struct rte_mbuf *m[BURST];
	uint16_t n = tern_port_rx_burst(s->port, 0, m, BURST), k;

	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
		echo_work_turn_around(m[i]);
	}
	if (n == 0)
		return 0;
	k = tern_port_tx_burst(s->port, 0, m, n);
	if (k < n)
		rte_pktmbuf_free_bulk(m + k, n - k);
	s->echoed += k;
	s->reply_refused += (uint64_t)(n - k);
	return 1;
}

/*
 * A datagram to the peer's socket with UDP checksum 0, RFC 768's "none":
 * the form of testpmd's --tx-first frames (txonly writes no UDP checksum),
 * so that both sides of the A/B echo frames of the same form. Built here,
 * since tern_udp_sendto() always computes one.
 */
static int frame_no_cksum(struct rte_mbuf *m, const struct loop_side *s,
			  const struct loop_side *peer, uint16_t port, uint16_t size)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, size);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	if (eh == NULL)
		return -ENOBUFS; /* a frame larger than the pool's buffers */
	memset(eh, 0x5a, size);
	memcpy(eh->dst_addr.addr_bytes, peer->mac, 6);
	memcpy(eh->src_addr.addr_bytes, s->mac, 6);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(size - RTE_ETHER_HDR_LEN));
	ip->src_addr = rte_cpu_to_be_32(s->ip);
	ip->dst_addr = rte_cpu_to_be_32(peer->ip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->src_port = rte_cpu_to_be_16(port);
	uh->dst_port = rte_cpu_to_be_16(port);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(size - RTE_ETHER_HDR_LEN - sizeof(*ip)));
	uh->dgram_cksum = 0;
	return 0;
}

/* Sends the side's first datagrams to the other side's socket, from the
 * same port number: the replies come back to our socket and go round. */
static int inject(struct loop_app *a, struct loop_side *s, const struct loop_side *peer)
{
	uint16_t payload = (uint16_t)(a->o.size - HDR_BYTES);
	struct rte_mbuf *m[BURST];

	for (uint32_t left = a->o.inject; left > 0;) {
		uint16_t n = left < BURST ? (uint16_t)left : BURST;
		intptr_t k;

		if (rte_pktmbuf_alloc_bulk(tern_mbuf_pool_mempool(a->pool), m, n) < 0)
			return -ENOMEM;
		if (a->o.udp_cksum) { /* never with --floor: no socket */
			for (uint16_t i = 0; i < n; i++)
				memset(rte_pktmbuf_append(m[i], payload), 0x5a, payload);
			k = tern_udp_sendto_burst(s->sock, m, n, peer->ip, a->o.port,
						  TERN_TOKEN_NONE);
		} else {
			/* the engine's worker 0 is this core: its queue is ours too */
			for (uint16_t i = 0; i < n; i++)
				if (frame_no_cksum(m[i], s, peer, a->o.port, a->o.size) < 0) {
					rte_pktmbuf_free_bulk(m, n);
					return -ENOBUFS;
				}
			/* memif: a server sends only into buffers its client
			 * has posted, at its first receive: until that poll
			 * ran, the burst is refused whole (5 s at most) */
			for (int ms = 0; (k = tern_port_tx_burst(s->port, 0, m, n)) == 0 &&
					 ms < 5000; ms++)
				if (tern_sleep(1000000, TERN_TOKEN_NONE) < 0)
					break;
		}
		if (k < n)
			rte_pktmbuf_free_bulk(m + (k > 0 ? k : 0), n - (k > 0 ? (uint16_t)k : 0));
		if (k <= 0)
			return k < 0 ? (int)k : -ENOBUFS;
		s->injected += (uint64_t)k;
		left -= (uint32_t)k;
	}
	return 0;
}

static uint64_t rx_total(const struct loop_app *a)
{
	struct tern_engine_stats st;
	uint64_t sum = 0;

	for (int i = 0; i < 2; i++) {
		if (a->o.floor) { /* every frame received was echoed or refused */
			sum += a->side[i].echoed + a->side[i].reply_refused;
			continue;
		}
		tern_engine_stats(a->side[i].eng, &st);
		sum += st.rx_packets;
	}
	return sum;
}

/* CPU time of the calling thread, the one driving the core: on a shared
 * VM, cpu_ns / run_ns says how much of the core the run actually got. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * LOOP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/*
 * One line a second: packets received over both ports per second, and the
 * share of the core the thread got in that second. The summary's rates and
 * share cover the seconds after the first (the warm-up the script drops).
 */
static void sample_loop(struct loop_app *a)
{
	uint64_t t0 = tern_sched_now(a->core), prev_t = t0, prev_rx = rx_total(a);
	uint64_t prev_cpu = thread_cpu_ns(), steady_t = t0, steady_cpu = prev_cpu;

	for (uint64_t t = 1; t <= a->o.seconds && !stop_requested; t++) {
		uint64_t now, rx, cpu;

		if (tern_sleep(LOOP_NS_PER_S, TERN_TOKEN_NONE) < 0)
			break;
		now = tern_sched_now(a->core);
		rx = rx_total(a);
		cpu = thread_cpu_ns();
		emit(json_pack("{s:I, s:f, s:f, s:f}", "t", (json_int_t)t,
			       "elapsed_s", (double)(now - t0) / LOOP_NS_PER_S,
			       "rx_pps", (double)(rx - prev_rx) * LOOP_NS_PER_S / (double)(now - prev_t),
			       "cpu_share", (double)(cpu - prev_cpu) / (double)(now - prev_t)));
		if (t == 1) {
			steady_t = now;
			steady_cpu = cpu;
		}
		prev_t = now;
		prev_rx = rx;
		prev_cpu = cpu;
	}
	a->run_ns = prev_t - t0;
	a->cpu_ns = prev_t > steady_t ? prev_cpu - steady_cpu : 0;
	a->steady_ns = prev_t - steady_t;
}

static intptr_t main_task(void *arg)
{
	struct loop_app *a = arg;
	int rc = tern_cancel_create(&a->stop);

	if (rc < 0) {
		a->err = rc;
		tern_sched_stop(a->core);
		return 0;
	}
	for (int i = 0; rc == 0 && i < 2 && !a->o.floor; i++) {
		rc = tern_task_spawn(echo_task, &a->side[i],
				     &(struct tern_task_opts){ .name = "echo" }, &a->side[i].echo);
		a->side[i].echo_made = rc == 0;
	}
	for (int i = 0; rc == 0 && i < 2; i++)
		rc = inject(a, &a->side[i], &a->side[!i]);
	if (rc == 0)
		sample_loop(a);
	a->err = rc;
	if (tern_token_status(tern_cancel_token(a->stop)) == 0)
		tern_cancel(a->stop);
	for (int i = 0; i < 2; i++)
		if (a->side[i].echo_made && tern_task_await(a->side[i].echo, TERN_TOKEN_NONE) < 0)
			a->err = a->err ? a->err : -EIO;
	tern_cancel_dispose(a->stop);
	tern_sched_stop(a->core);
	return 0;
}

/* ---------------------------------------------------------- set-up */

/* The server first, without waiting: its link comes up when the client,
 * started next, connects to it through the same socket file. */
static int open_ports(struct loop_app *a)
{
	struct tern_port_conf c = { .preset = TERN_PORT_MEMIF, .socket = a->o.socket,
				    .nb_workers = 1, .pool = a->pool, .memif_server = true };
	int rc = tern_port_create(&c, &a->side[0].port);

	if (rc == 0)
		rc = tern_port_start(a->side[0].port);
	c.memif_server = false;
	c.link_wait_ms = 5000;
	if (rc == 0)
		rc = tern_port_create(&c, &a->side[1].port);
	if (rc == 0)
		rc = tern_port_start(a->side[1].port);
	return rc;
}

static int engine_up(struct loop_app *a, int i)
{
	struct loop_side *s = &a->side[i];
	struct tern_engine_conf ec = { .port = s->port, .pool = a->pool, .sched = a->core,
				       .ip = s->ip, .no_gratuitous_arp = true };
	int rc = tern_engine_create(&ec, &s->eng);

	/* both MACs are known here: no ARP exchange inside the measurement */
	if (rc == 0)
		rc = tern_arp_add_static(s->eng, a->side[!i].ip, a->side[!i].mac);
	if (rc == 0)
		rc = tern_udp_bind(s->eng, a->o.port, NULL, &s->sock);
	return rc;
}

static int setup(struct loop_app *a)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 2, .nb_workers = 1,
					  .extra = 2 * a->o.inject + 1024 };
	int rc = tern_mbuf_pool_create(&pc, &a->pool);

	if (rc == 0)
		rc = open_ports(a);
	if (rc == 0)
		rc = tern_sched_create(&(struct tern_sched_opts){ .name = "loop" }, &a->core);
	for (int i = 0; i < 2; i++) {
		a->side[i].app = a;
		a->side[i].ip = 0x0a000001u + (uint32_t)i;
		if (a->side[i].port != NULL)
			tern_port_mac(a->side[i].port, a->side[i].mac);
	}
	for (int i = 0; rc == 0 && i < 2; i++) {
		if (!a->o.floor)
			rc = engine_up(a, i);
		else if ((rc = tern_sched_add_poller(a->core, &(struct tern_poller){
				.name = "floor", .poll = floor_poll, .arg = &a->side[i] })) >= 0)
			rc = 0; /* the poller's id */
	}
	return rc;
}

/* Ports stop before the engines and the pool go (memif's ordered stop),
 * the client first: with both ends in one process, stopping the server
 * first makes 22.11's memif rte_free() memory it does not own ("EAL:
 * Error: Invalid memory"). */
static uint32_t teardown(struct loop_app *a)
{
	uint32_t in_use = 0;

	for (int i = 1; i >= 0; i--)
		tern_port_stop(a->side[i].port);
	for (int i = 0; i < 2; i++) {
		struct loop_side *s = &a->side[i];

		if (s->eng == NULL) { /* --floor: the pollers' counts */
			uint64_t rx = s->echoed + s->reply_refused;

			s->final = (struct tern_engine_stats){ .rx_packets = rx, .delivered = rx,
				.tx_packets = s->echoed, .tx_full = s->reply_refused };
			continue;
		}
		tern_engine_stats(s->eng, &s->final);
		tern_engine_destroy(s->eng);
	}
	tern_sched_destroy(a->core);
	for (int i = 0; i < 2; i++)
		tern_port_destroy(a->side[i].port);
	if (a->pool != NULL) {
		in_use = tern_mbuf_pool_in_use(a->pool);
		if (tern_mbuf_pool_destroy(a->pool) < 0)
			fprintf(stderr, "echo-loop: %u mbufs still in use at exit\n", in_use);
	}
	tern_eal_destroy(a->eal);
	return in_use;
}

/* ---------------------------------------------------------- reporting */

static json_t *side_json(const struct loop_side *s, bool *law)
{
	const struct tern_engine_stats *st = &s->final;
	uint64_t drops = tern_engine_drops_total(st);

	*law = st->rx_packets == st->delivered + drops + st->ip_frag_held;
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
			 "injected", (json_int_t)s->injected,
			 "rx_packets", (json_int_t)st->rx_packets,
			 "delivered", (json_int_t)st->delivered,
			 "drops", (json_int_t)drops,
			 "udp_queue_full", (json_int_t)st->drops.udp_queue_full,
			 "tx_packets", (json_int_t)st->tx_packets,
			 "tx_full", (json_int_t)st->tx_full,
			 "echoed", (json_int_t)s->echoed,
			 "reply_refused", (json_int_t)s->reply_refused,
			 "conservation_ok", *law);
}

/* The summary line; returns true when the run is clean. */
static bool report(const struct loop_app *a, uint32_t leaked)
{
	bool law0, law1;
	json_t *s0 = side_json(&a->side[0], &law0), *s1 = side_json(&a->side[1], &law1);
	uint64_t rx = a->side[0].final.rx_packets + a->side[1].final.rx_packets;
	uint64_t drops = json_integer_value(json_object_get(s0, "drops")) +
			 json_integer_value(json_object_get(s1, "drops"));
	bool ok = a->err == 0 && law0 && law1 && drops == 0 && leaked == 0;

	emit(json_pack("{s:{s:f, s:f, s:I, s:f, s:I, s:I, s:b, s:I, s:o, s:o, s:b, s:i}}", "summary",
		       "seconds", (double)a->run_ns / LOOP_NS_PER_S,
		       "cpu_share", a->steady_ns ? (double)a->cpu_ns / (double)a->steady_ns : 0.0,
		       "rx", (json_int_t)rx,
		       "rx_pps_mean", a->run_ns ? (double)rx * LOOP_NS_PER_S / (double)a->run_ns : 0.0,
		       "frame_bytes", (json_int_t)a->o.size,
		       "inject_per_side", (json_int_t)a->o.inject,
		       "udp_cksum", a->o.udp_cksum,
		       "mbufs_leaked", (json_int_t)leaked,
		       "server", s0, "client", s1, "ok", ok, "error", a->err));
	return ok;
}

/* ---------------------------------------------------------- arguments */

static int parse_args(int argc, char **argv, struct loop_opts *o)
{
	static const struct option lo[] = {
		{ "socket", 1, NULL, 's' }, { "seconds", 1, NULL, 't' },
		{ "inject", 1, NULL, 'i' }, { "size", 1, NULL, 'z' },
		{ "port", 1, NULL, 'p' }, { "udp-cksum", 1, NULL, 'c' }, { "floor", 0, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct loop_opts){ .seconds = 3, .inject = BURST, .size = 64, .port = 7,
				 .udp_cksum = true };
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		unsigned long v = optarg ? strtoul(optarg, NULL, 0) : 0;

		switch (c) {
		case 's': o->socket = optarg; break;
		case 't': o->seconds = v; break;
		case 'i': o->inject = (uint32_t)v; break;
		case 'z': o->size = (uint16_t)v; break;
		case 'p': o->port = (uint16_t)v; break;
		case 'f': o->floor = true; break;
		case 'c':
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0)
				return -EINVAL;
			o->udp_cksum = strcmp(optarg, "on") == 0;
			break;
		default: return -EINVAL;
		}
	}
	if (optind != argc || o->socket == NULL || o->seconds == 0 || o->seconds > MAX_SECONDS ||
	    o->inject == 0 || o->inject > 65536 || o->size < 60 || o->size > 1514 || o->port == 0 ||
	    (o->floor && o->udp_cksum))
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct loop_app a = { 0 };
	uint32_t leaked;
	int first, rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (tern_eal_create(argc, argv, NULL, &a.eal) < 0)
		return 1;
	first = tern_eal_app_argind(a.eal);
	argv[first - 1] = argv[0];
	if (parse_args(argc - first + 1, argv + first - 1, &a.o) < 0) {
		fprintf(stderr, "usage: %s [EAL args] -- --socket PATH [--seconds 1..%d] "
			"[--inject N] [--size 60..1514] [--port N] [--udp-cksum on|off] "
			"[--floor (with --udp-cksum off)]\n", argv[0], MAX_SECONDS);
		tern_eal_destroy(a.eal);
		return 2;
	}
	rc = setup(&a);
	if (rc == 0)
		rc = tern_task_spawn(main_task, &a, &(struct tern_task_opts){ .sched = a.core,
				     .name = "main", .flags = TERN_TASK_DETACHED }, NULL);
	if (rc == 0)
		rc = tern_sched_run(a.core);
	if (rc < 0) {
		fprintf(stderr, "echo-loop: set-up failed: %s\n", strerror(-rc));
		a.err = rc;
	}
	leaked = teardown(&a);
	return report(&a, leaked) ? 0 : 1;
}
