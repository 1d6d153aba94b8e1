/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-echo: a UDP echo server on one core, or on --cores N. EAL arguments
 * first, then "--", then ours:
 *
 *   tern-echo -l 0 --vdev=net_memif0,... -- --preset memif --socket /run/m.sock --server
 *   tern-echo -l 0 -- --preset tap --iface tern0 --ip 10.0.0.1 --seconds 10
 *   tern-echo -l 0 -- --preset ring --rate 100000 --seconds 3   (built-in client)
 *   tern-echo -l 0-1 -- --cores 2 --per-core --preset ring --seconds 3
 *
 * Every datagram to --port is sent back in place (zero-copy); sockperf
 * client messages are answered as its server does (see echo_classify). Live stats
 * once a second; SIGINT/SIGTERM or --seconds end it cleanly.
 *
 * With --cores N the port has N workers and each of the first N EAL lcores
 * drives a core of a tern_cores group with its own engine (one
 * tern_engine_group) and its own socket on --port: a flow is echoed by the
 * core RSS (or the port's software steering) gives it. Stats are summed
 * over the cores (--per-core adds a line per core).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <tern/cores.h>
#include <tern/eal.h>
#include <tern/engine.h>
#include <tern/port.h>
#include <tern/tern.h>

#define BURST 32
#define ECHO_NS_PER_S 1000000000ull
#define ECHO_MAX_CORES 64
#define CLIENT_FLOWS 256          /* --cores N: the built-in client's source ports */

struct echo_opts {
	enum tern_port_preset preset;
	const char *iface, *socket;
	bool server;
	uint32_t ip, mask, gw;
	uint16_t port;
	uint64_t seconds;         /* 0: until a signal */
	uint64_t rate;            /* ring preset: built-in client's pps */
	uint8_t mac[6];           /* all zero: the port's */
	unsigned cores;           /* engines, one per core and port worker */
	bool per_core;            /* stats per core too */
};

struct echo_app;

/* One core's share: its engine, its socket on --port, its counts. */
struct echo_core {
	struct echo_app *a;
	struct tern_engine *eng;
	struct tern_udp_sock *sock;
	uint64_t echoed, sockperf;
};

struct echo_app {
	struct echo_opts o;
	struct tern_eal *eal;
	struct tern_mbuf_pool *pool;
	struct tern_port *port, *peer;
	struct tern_sched *core;        /* --cores 1: driven by the main thread */
	struct tern_cores *cores;       /* --cores N > 1: one per lcore */
	struct tern_engine_group *group;
	struct echo_core c[ECHO_MAX_CORES];
	tern_cancel_t stop;             /* --cores 1; N > 1 stop by tern_cores_stop */
	bool stop_made;
	uint64_t client_tx, client_rx, client_next_ns;
	struct tern_engine_stats final; /* counters at the end of the run, summed */
	struct tern_engine_stats final_per[ECHO_MAX_CORES];
	/* the live line's per-core counters: 27 KiB, too much for the stats
	 * task's 32 KiB stack (it overflowed under ASan, printf on top) */
	struct tern_engine_stats live_per[ECHO_MAX_CORES];
	uint64_t live_echoed[ECHO_MAX_CORES];
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = 1;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL args] -- --preset ring|memif|tap|af_packet|null\n"
		"       [--iface NAME] [--socket PATH] [--server] [--ip A.B.C.D]\n"
		"       [--mask A.B.C.D] [--gw A.B.C.D] [--port N] [--seconds N] [--rate PPS]\n"
		"       [--mac XX:XX:XX:XX:XX:XX] [--cores N (N EAL lcores)] [--per-core]\n",
		prog);
}

static int parse_opt(int c, const char *arg, struct echo_opts *o)
{
	switch (c) {
	case 'P': return tern_port_preset_parse(arg, &o->preset);
	case 'i': o->iface = arg; return 0;
	case 's': o->socket = arg; return 0;
	case 'S': o->server = true; return 0;
	case 'a': return tern_ipv4_parse(arg, &o->ip);
	case 'm': return tern_ipv4_parse(arg, &o->mask);
	case 'g': return tern_ipv4_parse(arg, &o->gw);
	case 'p': o->port = (uint16_t)strtoul(arg, NULL, 0); return o->port ? 0 : -EINVAL;
	case 't': o->seconds = strtoull(arg, NULL, 0); return 0;
	case 'r': o->rate = strtoull(arg, NULL, 0); return 0;
	case 'M': return rte_ether_unformat_addr(arg, (struct rte_ether_addr *)o->mac) == 0 ?
		0 : -EINVAL;
	case 'c':
		o->cores = (unsigned)strtoul(arg, NULL, 0);
		return o->cores >= 1 && o->cores <= ECHO_MAX_CORES ? 0 : -EINVAL;
	case 'C': o->per_core = true; return 0;
	default: return -EINVAL;
	}
}

static int parse_args(int argc, char **argv, struct echo_opts *o)
{
	static const struct option lo[] = {
		{ "preset", 1, NULL, 'P' }, { "iface", 1, NULL, 'i' },
		{ "socket", 1, NULL, 's' }, { "server", 0, NULL, 'S' },
		{ "ip", 1, NULL, 'a' }, { "mask", 1, NULL, 'm' }, { "gw", 1, NULL, 'g' },
		{ "port", 1, NULL, 'p' }, { "seconds", 1, NULL, 't' },
		{ "rate", 1, NULL, 'r' }, { "mac", 1, NULL, 'M' }, { "cores", 1, NULL, 'c' },
		{ "per-core", 0, NULL, 'C' }, { NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct echo_opts){ .preset = TERN_PORT_RING, .ip = 0x0a000001,
				 .port = 7, .rate = 10000, .cores = 1 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		if (parse_opt(c, optarg, o) < 0)
			return -EINVAL;
	return optind == argc ? 0 : -EINVAL;
}

/* ------------------------------------------------ ring preset's client */

/* One request from the built-in client: peer 10.0.0.2:9 -> us (with
 * --cores N, from CLIENT_FLOWS source ports, so the flows spread). */
static struct rte_mbuf *client_pkt(struct echo_app *a, const struct rte_ether_addr *dst)
{
	uint16_t sport = a->o.cores > 1 ? 1024 + a->client_tx % CLIENT_FLOWS : 9;
	struct rte_mbuf *m = rte_pktmbuf_alloc(tern_mbuf_pool_mempool(a->pool));
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *uh;

	if (m == NULL || (eh = (void *)rte_pktmbuf_append(m, 14 + 20 + 8 + 18)) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(eh, 0, 60);
	eh->dst_addr = *dst;
	eh->src_addr.addr_bytes[0] = 0x02;
	eh->src_addr.addr_bytes[5] = 0x02;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (void *)(eh + 1);
	uh = (void *)(ip + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = RTE_BE16(46);
	ip->src_addr = rte_cpu_to_be_32((a->o.ip & ~0xffu) | 2);
	ip->dst_addr = rte_cpu_to_be_32(a->o.ip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(a->o.port);
	uh->dgram_len = RTE_BE16(26);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	return m;
}

/* Sends at --rate (bounded bursts) and counts the echoes that come back. */
static int client_poll(void *arg)
{
	struct echo_app *a = arg;
	struct rte_mbuf *pkts[BURST];
	struct rte_ether_addr mac;
	uint64_t now = tern_sched_now(tern_sched_current());
	uint16_t n = 0, k;

	tern_port_mac(a->port, mac.addr_bytes);
	while (!stop_requested && n < BURST && a->client_next_ns <= now) {
		if ((pkts[n] = client_pkt(a, &mac)) == NULL)
			break;
		n++;
		a->client_next_ns += ECHO_NS_PER_S / a->o.rate;
	}
	if (a->client_next_ns + ECHO_NS_PER_S < now) /* fell behind: do not burst to catch up */
		a->client_next_ns = now;
	k = tern_port_tx_burst(a->peer, 0, pkts, n);
	rte_pktmbuf_free_bulk(pkts + k, n - k);
	a->client_tx += k;
	/* The client is the peer port's only user: it takes every worker's share. */
	for (uint16_t w = 0; w < a->o.cores; w++) {
		uint16_t r = tern_port_rx_burst(a->peer, w, pkts, BURST);

		a->client_rx += r;
		rte_pktmbuf_free_bulk(pkts, r);
		k += r;
	}
	return k > 0;
}

/* ---------------------------------------------------------------- tasks */

/*
 * sockperf's client messages start with a header: sequence (be64), flags
 * (be16), length (be32, the whole message). Its server answers a message
 * flagged "pong request" with the same message, the "client" flag cleared,
 * and answers nothing else (throughput mode, warm-up); its client ignores
 * replies still flagged "client", so a plain echo does not do for it.
 */
#define SOCKPERF_HDR 14
#define SOCKPERF_CLIENT 0x1
#define SOCKPERF_PONG 0x2

enum echo_kind { ECHO_PLAIN, ECHO_SOCKPERF_PONG, ECHO_SOCKPERF_SINK };

static enum echo_kind echo_classify(const struct tern_udp_dgram *d)
{
	const uint8_t *p = d->data;
	uint16_t flags;
	uint32_t len;

	if (d->len < SOCKPERF_HDR)
		return ECHO_PLAIN;
	memcpy(&flags, p + 8, 2);
	memcpy(&len, p + 10, 4);
	flags = rte_be_to_cpu_16(flags);
	if (rte_be_to_cpu_32(len) != d->len || !(flags & SOCKPERF_CLIENT))
		return ECHO_PLAIN;
	return flags & SOCKPERF_PONG ? ECHO_SOCKPERF_PONG : ECHO_SOCKPERF_SINK;
}

/* Answers one sockperf message as its server would; frees what is not
 * answered. The payload changes, so the UDP checksum is made anew. */
static void echo_sockperf(struct echo_core *c, struct tern_udp_dgram *d, enum echo_kind k)
{
	uint8_t *flags = (uint8_t *)d->data + 9; /* low byte of the be16 */

	c->sockperf++;
	if (k == ECHO_SOCKPERF_PONG) {
		*flags &= (uint8_t)~SOCKPERF_CLIENT;
		if (tern_udp_reply(c->sock, d, 0) == 0) {
			c->echoed++;
			return;
		}
	}
	rte_pktmbuf_free(d->m);
}

/* Echoes a burst: plain datagrams go back in place, unchanged, as one
 * burst; sockperf's messages one by one. */
static void echo_burst(struct echo_core *c, struct tern_udp_dgram *d, uint16_t n)
{
	struct tern_udp_dgram plain[BURST];
	uint16_t np = 0, k;

	for (uint16_t i = 0; i < n; i++) {
		enum echo_kind kind = echo_classify(&d[i]);

		if (TERN_LIKELY(kind == ECHO_PLAIN))
			plain[np++] = d[i];
		else
			echo_sockperf(c, &d[i], kind);
	}
	k = tern_udp_reply_burst(c->sock, plain, np, TERN_UDP_REPLY_UNCHANGED);
	for (uint16_t i = k; i < np; i++)
		rte_pktmbuf_free(plain[i].m); /* TX full: dropped, counted in tx_full */
	c->echoed += k;
}

/* What ends a wait: --cores 1, the app's own source (control_poll fires
 * it); --cores N, each core's shutdown token (tern_cores_stop fires it). */
static tern_token_t echo_stop_token(struct echo_app *a)
{
	return a->cores != NULL ? tern_core_shutdown_token() : tern_cancel_token(a->stop);
}

static intptr_t echo_task(void *arg)
{
	struct echo_core *c = arg;
	struct tern_udp_dgram d[BURST];

	for (;;) {
		intptr_t n = tern_udp_recv_burst(c->sock, d, BURST, echo_stop_token(c->a));

		if (n < 0)
			return n == -ECANCELED ? 0 : n;
		echo_burst(c, d, (uint16_t)n);
	}
}

/* Counts each core keeps in its own memory: read on that core (a submit
 * from the stats task) so no core reads another's while it runs. */
struct echo_counts {
	struct echo_core *c;
	uint64_t echoed, sockperf;
};

static intptr_t echo_counts_get(void *arg)
{
	struct echo_counts *n = arg;

	n->echoed = n->c->echoed;
	n->sockperf = n->c->sockperf;
	return 0;
}

/*
 * Echoed datagrams of every core into per[] and *sum; on a core other than
 * ours, asked there. Returns 0, or the error of a core that could not be
 * asked (its inbox full, or stopping): then nothing is read from it, since
 * a running core's counters are its own.
 */
static int echo_total(struct echo_app *a, uint64_t *per, uint64_t *sum)
{
	*sum = 0;
	for (unsigned i = 0; i < a->o.cores; i++) {
		struct echo_counts n = { .c = &a->c[i] };
		struct tern_sched *self = tern_sched_current();
		tern_future_t f;
		int rc;

		/* Off the cores (they stopped), or our own core: read it here. */
		if (self == NULL || a->cores == NULL || tern_cores_sched(a->cores, i) == self) {
			echo_counts_get(&n);
		} else {
			rc = tern_submit(tern_cores_sched(a->cores, i), echo_counts_get, &n, NULL, &f);
			if (rc < 0)
				return rc;
			tern_await(f, TERN_TOKEN_NONE); /* n lives here until it ran */
		}
		per[i] = n.echoed;
		*sum += n.echoed;
	}
	return 0;
}

/* The engines' counters: summed over the group, or the one engine's.
 * Returns 0 or the error of tern_engine_group_stats() (nothing usable). */
static int echo_engine_stats(struct echo_app *a, struct tern_engine_stats *per,
			     struct tern_engine_stats *sum)
{
	if (a->group != NULL)
		return tern_engine_group_stats(a->group, per, sum);
	tern_engine_stats(a->c[0].eng, sum);
	per[0] = *sum;
	return 0;
}

static void print_stats(struct echo_app *a, uint64_t t, struct tern_engine_stats *prev)
{
	struct tern_engine_stats st, *per = a->live_per;
	uint64_t *echoed = a->live_echoed, total;

	/* A core that cannot be asked this second (inbox full, stopping):
	 * skip the line rather than print half of the counters. */
	if (echo_engine_stats(a, per, &st) < 0 || echo_total(a, echoed, &total) < 0)
		return;
	printf("t=%llus rx %llu pps, tx %llu pps, echoed %llu, drops %llu "
	       "(queue full %llu, no port %llu), mbufs in use %u",
	       (unsigned long long)t, (unsigned long long)(st.rx_packets - prev->rx_packets),
	       (unsigned long long)(st.tx_packets - prev->tx_packets),
	       (unsigned long long)total, (unsigned long long)tern_engine_drops_total(&st),
	       (unsigned long long)st.drops.udp_queue_full,
	       (unsigned long long)st.drops.udp_no_port, tern_mbuf_pool_in_use(a->pool));
	if (a->peer != NULL)
		printf(", client tx %llu rx %llu", (unsigned long long)a->client_tx,
		       (unsigned long long)a->client_rx);
	printf("\n");
	for (unsigned i = 0; a->o.per_core && i < a->o.cores; i++)
		printf("  core %u: rx %llu, tx %llu, echoed %llu, drops %llu\n", i,
		       (unsigned long long)per[i].rx_packets,
		       (unsigned long long)per[i].tx_packets, (unsigned long long)echoed[i],
		       (unsigned long long)tern_engine_drops_total(&per[i]));
	fflush(stdout);
	*prev = st;
}

/* Live stats once a second; ends the run after --seconds. */
static intptr_t stats_task(void *arg)
{
	struct echo_app *a = arg;
	struct tern_engine_stats prev = { 0 };

	for (uint64_t t = 1; a->o.seconds == 0 || t <= a->o.seconds; t++) {
		if (tern_sleep(ECHO_NS_PER_S, echo_stop_token(a)) < 0)
			return 0;
		print_stats(a, t, &prev);
	}
	stop_requested = 1;
	return 0;
}

/* Turns a signal (or the end of --seconds) into a cancellation on the core. */
static int control_poll(void *arg)
{
	struct echo_app *a = arg;

	if (!stop_requested || !a->stop_made || tern_token_status(tern_cancel_token(a->stop)) != 0)
		return 0;
	tern_cancel(a->stop);
	return 1;
}

static intptr_t main_task(void *arg)
{
	struct echo_app *a = arg;
	tern_task_t echo, stats;
	intptr_t r;

	if (tern_cancel_create(&a->stop) < 0)
		return -ENOMEM;
	a->stop_made = true;
	if (tern_task_spawn(echo_task, &a->c[0], &(struct tern_task_opts){ .name = "echo" },
			    &echo) < 0 ||
	    tern_task_spawn(stats_task, a, &(struct tern_task_opts){ .name = "stats" }, &stats) < 0) {
		tern_cancel(a->stop);
		return -ENOMEM; /* a spawned one ends on the cancel; the core stops */
	}
	r = tern_task_await(echo, TERN_TOKEN_NONE);
	tern_task_await(stats, TERN_TOKEN_NONE);
	a->stop_made = false;
	tern_cancel_dispose(a->stop);
	tern_sched_stop(a->core);
	return r;
}

/* ---------------------------------------------------------- set-up */

static int open_port(struct echo_app *a)
{
	struct tern_port_conf c = { .preset = a->o.preset, .iface = a->o.iface,
				    .socket = a->o.socket, .memif_server = a->o.server,
				    .nb_workers = a->o.cores, .pool = a->pool,
				    .offloads = TERN_OFFLOAD_ALL, .link_wait_ms = 5000 };
	int rc;

	if (a->o.preset == TERN_PORT_RING)
		rc = tern_port_pair_create(&c, &a->port, &a->peer);
	else
		rc = tern_port_create(&c, &a->port);
	if (rc == 0)
		rc = tern_port_start(a->port);
	if (rc == 0 && a->peer != NULL)
		rc = tern_port_start(a->peer);
	return rc;
}

/* --cores 1: one scheduler the main thread drives; N: a group of N cores,
 * each driven by an EAL lcore (run_cores), and a group of engines. */
static int make_cores(struct echo_app *a)
{
	int rc;

	if (a->o.cores == 1)
		return tern_sched_create(&(struct tern_sched_opts){ .name = "echo" }, &a->core);
	if (rte_lcore_count() < a->o.cores) {
		fprintf(stderr, "echo: --cores %u needs %u EAL lcores (-l 0-%u), got %u\n",
			a->o.cores, a->o.cores, a->o.cores - 1, rte_lcore_count());
		return -EINVAL;
	}
	rc = tern_cores_create(&(struct tern_cores_opts){ .n = a->o.cores,
		.sched = { .name = "echo" } }, &a->cores);
	return rc < 0 ? rc : tern_engine_group_create(a->port, &a->group);
}

static struct tern_sched *core_sched(struct echo_app *a, unsigned i)
{
	return a->cores != NULL ? tern_cores_sched(a->cores, i) : a->core;
}

/* Core i's engine, its socket on --port and (N > 1) its echo task. */
static int setup_core(struct echo_app *a, unsigned i)
{
	struct tern_engine_conf ec = { .ip = a->o.ip, .netmask = a->o.mask, .gateway = a->o.gw,
				       .port = a->port, .pool = a->pool, .worker = (uint16_t)i,
				       .sched = core_sched(a, i), .group = a->group };
	struct echo_core *c = &a->c[i];
	int rc;

	memcpy(ec.mac, a->o.mac, sizeof(ec.mac));
	c->a = a;
	rc = tern_engine_create(&ec, &c->eng);
	if (rc == 0)
		rc = tern_udp_bind(c->eng, a->o.port, NULL, &c->sock);
	if (rc == 0 && a->cores != NULL)
		rc = tern_task_spawn(echo_task, c, &(struct tern_task_opts){ .sched = ec.sched,
				     .name = "echo", .flags = TERN_TASK_DETACHED }, NULL);
	return rc;
}

static int setup(struct echo_app *a)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 2, .nb_workers = a->o.cores,
					  .extra = 1024 * a->o.cores };
	int rc = tern_mbuf_pool_create(&pc, &a->pool);

	if (rc == 0)
		rc = open_port(a);
	if (rc == 0)
		rc = make_cores(a);
	for (unsigned i = 0; rc == 0 && i < a->o.cores; i++)
		rc = setup_core(a, i);
	if (rc < 0)
		return rc;
	if (a->peer != NULL)
		rc = tern_sched_add_poller(core_sched(a, 0), &(struct tern_poller){
			.name = "client", .poll = client_poll, .arg = a });
	if (rc >= 0 && a->cores == NULL)
		rc = tern_sched_add_poller(a->core, &(struct tern_poller){
			.name = "control", .poll = control_poll, .arg = a });
	return rc < 0 ? rc : 0;
}

/* Ports stop before the engines and the pool go; memif's ordered tear-down. */
static void teardown(struct echo_app *a)
{
	if (a->port != NULL)
		tern_port_stop(a->port);
	if (a->peer != NULL)
		tern_port_stop(a->peer);
	(void)echo_engine_stats(a, a->final_per, &a->final); /* off the cores: no error */
	for (unsigned i = 0; i < a->o.cores; i++)
		tern_engine_destroy(a->c[i].eng);
	if (tern_engine_group_destroy(a->group) < 0)
		fprintf(stderr, "echo: engine group still busy at exit\n");
	tern_sched_destroy(a->core);
	tern_cores_destroy(a->cores);
	tern_port_destroy(a->port);
	tern_port_destroy(a->peer);
	if (a->pool != NULL && tern_mbuf_pool_destroy(a->pool) < 0)
		fprintf(stderr, "echo: mbufs still in use at exit\n");
	tern_eal_destroy(a->eal);
}

/* --cores N: an EAL lcore drives one core of the group until the stop. */
struct echo_lcore {
	struct tern_cores *cores;
	unsigned i;
};

static int lcore_main(void *arg)
{
	struct echo_lcore *l = arg;

	return tern_cores_enter(l->cores, l->i);
}

/* A thread that drives no core: turns a signal or the end of --seconds
 * into tern_cores_stop(), which must not run on a core. */
static void *control_thread(void *arg)
{
	struct echo_app *a = arg;

	while (!stop_requested)
		usleep(10 * 1000);
	tern_cores_stop(a->cores, ECHO_NS_PER_S);
	return NULL;
}

static int run_cores(struct echo_app *a)
{
	struct echo_lcore l[ECHO_MAX_CORES];
	unsigned i = 1, lcore;
	pthread_t ctl;
	int rc;

	rc = tern_task_spawn(stats_task, a, &(struct tern_task_opts){ .sched = core_sched(a, 0),
			     .name = "stats", .flags = TERN_TASK_DETACHED }, NULL);
	if (rc < 0)
		return rc;
	rc = -pthread_create(&ctl, NULL, control_thread, a);
	if (rc < 0)
		return rc;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == a->o.cores)
			break;
		l[i] = (struct echo_lcore){ a->cores, i };
		rc = -rte_eal_remote_launch(lcore_main, &l[i], lcore);
		if (rc < 0)
			break;
		i++;
	}
	if (rc == 0)
		rc = tern_cores_enter(a->cores, 0);
	/* A signal before the cores ran: the control thread stopped them
	 * first and tern_cores_enter() says so. A clean stop, not a failure. */
	if (rc == -ESHUTDOWN && stop_requested)
		rc = 0;
	stop_requested = 1; /* a failed launch stops the others too */
	pthread_join(ctl, NULL);
	rte_eal_mp_wait_lcore();
	return rc;
}

static int run(struct echo_app *a)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr in = { htonl(a->o.ip) };
	uint8_t mac[6];
	int rc = setup(a);

	if (rc < 0) {
		fprintf(stderr, "echo: setup failed: %s\n", strerror(-rc));
		return rc;
	}
	if (a->cores == NULL) {
		rc = tern_task_spawn(main_task, a, &(struct tern_task_opts){ .sched = a->core,
				     .name = "main", .flags = TERN_TASK_DETACHED }, NULL);
		if (rc < 0)
			return rc;
	}
	memcpy(mac, a->o.mac, sizeof(mac));
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		tern_port_mac(a->port, mac);
	printf("echo: UDP %s:%u on port %u mac %02x:%02x:%02x:%02x:%02x:%02x%s",
	       inet_ntop(AF_INET, &in, ip, sizeof(ip)), a->o.port, tern_port_id(a->port),
	       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
	       a->peer ? " (built-in ring client)" : "");
	if (a->cores != NULL)
		printf(", %u cores", a->o.cores);
	printf("\n");
	fflush(stdout);
	return a->cores != NULL ? run_cores(a) : tern_sched_run(a->core);
}

/* The last lines, for people and for tests that parse them: totals, the
 * conservation law (rx = delivered + drops + held: fragments still waiting
 * for the rest), every drop reason not zero. */
static void print_final(struct echo_app *a, int rc)
{
	static const char *const names[] = {
		"eth_runt", "eth_not_ours", "eth_type", "arp_malformed", "arp_not_ours",
		"arp_op", "ip_runt", "ip_version", "ip_ihl", "ip_len", "ip_cksum", "ip_ttl",
		"ip_not_ours", "ip_frag", "ip_frag_big", "ip_proto", "icmp_runt", "icmp_cksum", "icmp_type",
		"icmp_no_buf", "udp_runt", "udp_len", "udp_cksum", "udp_no_port",
		"udp_queue_full",
	};
	const struct tern_engine_stats *st = &a->final;
	const uint64_t *c = (const uint64_t *)&st->drops;
	uint64_t echoed[ECHO_MAX_CORES], sockperf = 0, total;

	(void)echo_total(a, echoed, &total); /* the cores stopped: read here, no error */

	_Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(st->drops) / sizeof(uint64_t),
		       "one name per drop counter");
	for (unsigned i = 0; i < a->o.cores; i++)
		sockperf += a->c[i].sockperf;
	printf("echo: final rx %llu delivered %llu drops %llu udp %llu tx %llu tx_full %llu "
	       "sockperf %llu held %llu reassembled %llu frag_out %llu\n",
	       (unsigned long long)st->rx_packets, (unsigned long long)st->delivered,
	       (unsigned long long)tern_engine_drops_total(st),
	       (unsigned long long)st->udp_delivered, (unsigned long long)st->tx_packets,
	       (unsigned long long)st->tx_full, (unsigned long long)sockperf,
	       (unsigned long long)st->ip_frag_held, (unsigned long long)st->ip_reassembled,
	       (unsigned long long)st->ip_frag_out);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (c[i] != 0)
			printf("echo: drop %s %llu\n", names[i], (unsigned long long)c[i]);
	for (unsigned i = 0; a->o.per_core && i < a->o.cores; i++)
		printf("echo: core %u rx %llu delivered %llu drops %llu udp %llu tx %llu "
		       "echoed %llu arp_sync %llu/%llu/%llu\n", i,
		       (unsigned long long)a->final_per[i].rx_packets,
		       (unsigned long long)a->final_per[i].delivered,
		       (unsigned long long)tern_engine_drops_total(&a->final_per[i]),
		       (unsigned long long)a->final_per[i].udp_delivered,
		       (unsigned long long)a->final_per[i].tx_packets,
		       (unsigned long long)echoed[i],
		       (unsigned long long)a->final_per[i].arp_sync_sent,
		       (unsigned long long)a->final_per[i].arp_sync_recv,
		       (unsigned long long)a->final_per[i].arp_sync_failed);
	printf("echo: %s, %llu datagrams echoed\n", rc < 0 ? "failed" : "stopped",
	       (unsigned long long)total);
}

int main(int argc, char **argv)
{
	struct echo_app a = { 0 };
	int first, rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (tern_eal_create(argc, argv, NULL, &a.eal) < 0)
		return 1;
	first = tern_eal_app_argind(a.eal);
	argv[first - 1] = argv[0];
	if (parse_args(argc - first + 1, argv + first - 1, &a.o) < 0 ||
	    (a.o.preset == TERN_PORT_RING && a.o.rate == 0)) {
		usage(argv[0]);
		tern_eal_destroy(a.eal);
		return 2;
	}
	rc = run(&a);
	teardown(&a);
	print_final(&a, rc);
	return rc < 0 ? 1 : 0;
}
