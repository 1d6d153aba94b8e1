/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports in one process: ring pair, null, pcap replay, software RSS and
 * redistribution, offload and stats reporting, bad input. Every test ends
 * with the pool's mbufs in use back at the baseline.
 */
/* the test's own interrupt callback: rte_intr_instance_alloc() and its
 * setters are experimental in 22.11, as in drivers/intr_drain.c */
#define ALLOW_EXPERIMENTAL_API

#include <sys/eventfd.h>

#include <pcap/pcap.h>
#include <rte_interrupts.h>

#include "drv_test.h"
#include "drivers_internal.h"

#define BURST 32

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct rte_mempool *mp;

static int setup(void **state)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 4, .nb_workers = 2,
					   .rx_desc = 256, .tx_desc = 256 };

	eal = drv_test_eal("ports", NULL);
	if (eal == NULL || tern_mbuf_pool_create(&pc, &pool) < 0)
		return -1;
	mp = tern_mbuf_pool_mempool(pool);
	return 0;
}

static int teardown(void **state)
{
	int rc = tern_mbuf_pool_destroy(pool);

	/* No hugepage file or runtime dir may outlive the EAL. */
	return drv_test_eal_destroy(eal, "ports") ?: rc;
}

/* After every test: all mbufs back in the pool, whatever the test did. */
static int baseline(void **state)
{
	uint32_t n = tern_mbuf_pool_in_use(pool);

	if (n == 0)
		return 0;
	fprintf(stderr, "%u mbufs still in use after the test\n", n);
	return -1;
}

static struct tern_port_conf conf(enum tern_port_preset p, const char *name,
				  uint16_t workers)
{
	struct tern_port_conf c = { .preset = p, .name = name,
				    .nb_workers = workers, .pool = pool,
				    .rx_desc = 256, .tx_desc = 256 };
	return c;
}

/* Polls worker w until n packets came or 1 s passed (bounded). */
static uint16_t rx_n(struct tern_port *p, uint16_t w, struct rte_mbuf **pkts,
		     uint16_t n)
{
	uint16_t got = 0;

	for (int i = 0; i < 100000 && got < n; i++)
		got += tern_port_rx_burst(p, w, pkts + got, n - got);
	return got;
}

static void test_ring_pair_burst_intact(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_RING, "intact", 1);
	struct rte_mbuf *tx[BURST], *rx[BURST];
	struct tern_port *a, *b;
	struct tern_port_stats st;
	uint32_t base;

	assert_int_equal(tern_port_pair_create(&c, &a, &b), 0);
	assert_int_equal(tern_port_start(a), 0);
	assert_int_equal(tern_port_start(b), 0);
	base = tern_mbuf_pool_in_use(pool);
	for (int i = 0; i < BURST; i++)
		tx[i] = drv_test_udp(mp, 0x0a000001, 0x0a000002, 1000 + i, 53, i);
	assert_int_equal(tern_port_tx_burst(a, 0, tx, BURST), BURST);
	assert_int_equal(rx_n(b, 0, rx, BURST), BURST);
	for (int i = 0; i < BURST; i++) {
		const uint8_t *pl = rte_pktmbuf_mtod_offset(rx[i], uint8_t *, 42);

		assert_int_equal(rte_pktmbuf_pkt_len(rx[i]), 60);
		assert_int_equal(pl[0], i);
		assert_int_equal(pl[17], i);
	}
	rte_pktmbuf_free_bulk(rx, BURST);
	assert_int_equal(tern_port_stats_get(b, &st), 0);
	assert_int_equal(st.rx_packets, BURST);
	assert_int_equal(tern_mbuf_pool_in_use(pool), base);
	tern_port_destroy(a);
	tern_port_destroy(b);
	assert_int_equal(tern_mbuf_pool_in_use(pool), 0);
}

/* Microsoft's RSS verification vector: 66.9.149.187:2794 -> 161.142.100.80:1766. */
static void test_toeplitz_matches_reference(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_RING, "thash", 1);
	struct tern_port *a, *b;

	assert_int_equal(tern_port_pair_create(&c, &a, &b), 0);
	assert_int_equal(tern_port_rss_hash_v4(a, 0x420995bb, 0xa18e6450, 2794, 1766),
			 0x51ccc178);
	assert_int_equal(tern__softrss_v4(a->rss_key_be, 0x420995bb, 0xa18e6450, 0, 0,
					  false), 0x323e8fc2);
	tern_port_destroy(a);
	tern_port_destroy(b);
}

static void test_pick_sport_hashes_back(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_RING, "sport", 2);
	struct tern_port *a, *b;
	uint16_t sport = 0;

	assert_int_equal(tern_port_pair_create(&c, &a, &b), 0);
	for (uint16_t w = 0; w < 2; w++) {
		assert_int_equal(tern_port_rss_pick_sport(a, w, 0x0a000001, 0x0a000002,
							  53, 40000, 40100, &sport), 0);
		assert_in_range(sport, 40000, 40100);
		assert_int_equal(tern_port_rss_worker(a,
			tern_port_rss_hash_v4(a, 0x0a000002, 0x0a000001, 53, sport)), w);
	}
	assert_int_equal(tern_port_rss_pick_sport(a, 5, 1, 2, 3, 10, 20, &sport), -EINVAL);
	assert_int_equal(tern_port_rss_pick_sport(a, 0, 1, 2, 3, 20, 10, &sport), -EINVAL);
	tern_port_destroy(a);
	tern_port_destroy(b);
}

/* 1 queue, 2 workers: worker 0 polls and passes worker 1's flows over. */
static void test_software_redistribution(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_RING, "redist", 2);
	struct rte_mbuf *tx[BURST], *rx[BURST];
	struct tern_port_stats st;
	struct tern_port *a, *b;
	uint16_t n0, n1, want1 = 0;
	struct drv_log l;
	char *log;

	drv_log_begin(&l);
	assert_int_equal(tern_port_pair_create(&c, &a, &b), 0);
	log = drv_log_end(&l);
	assert_log_has(log, "has 1 RX queue but 2 worker cores: software redistribution on");
	free(log);
	assert_int_equal(tern_port_nb_rx_queues(b), 1);
	assert_int_equal(tern_port_start(a), 0);
	assert_int_equal(tern_port_start(b), 0);
	for (int i = 0; i < BURST; i++) {
		tx[i] = drv_test_udp(mp, 0x0a000001, 0x0a000002, 1000 + i, 53, i);
		want1 += tern_port_rss_worker(b, tern_port_rss_hash_v4(b, 0x0a000001,
			0x0a000002, 1000 + i, 53)) == 1;
	}
	assert_in_range(want1, 1, BURST - 1);
	assert_int_equal(tern_port_tx_burst(a, 0, tx, BURST), BURST);
	n0 = rx_n(b, 0, rx, BURST - want1);
	for (uint16_t i = 0; i < n0; i++) {
		bool hashed;

		assert_int_equal(tern_port_rss_worker(b, tern__mbuf_flow_hash(b, rx[i], &hashed)), 0);
	}
	rte_pktmbuf_free_bulk(rx, n0);
	/* Worker 1 has no queue: its packets move only when worker 0 polls. */
	assert_int_equal(tern_port_rx_burst(b, 0, rx, BURST), 0);
	n1 = rx_n(b, 1, rx, BURST);
	for (uint16_t i = 0; i < n1; i++) {
		bool hashed;

		assert_int_equal(tern_port_rss_worker(b, tern__mbuf_flow_hash(b, rx[i], &hashed)), 1);
	}
	rte_pktmbuf_free_bulk(rx, n1);
	assert_int_equal(n0, BURST - want1);
	assert_int_equal(n1, want1);
	assert_int_equal(tern_port_stats_get(b, &st), 0);
	assert_int_equal(st.sw_hashed, BURST);
	assert_int_equal(st.sw_redirected, want1);
	assert_int_equal(st.sw_redirect_full, 0);
	assert_true(st.sw_redirect_cycles > 0);
	tern_port_destroy(a);
	tern_port_destroy(b);
	assert_int_equal(tern_mbuf_pool_in_use(pool), 0);
}

/* Receives n packets on worker w of p and checks that each is a flow the
 * port's table gives to w. Returns how many came. */
static uint16_t rx_owned(struct tern_port *p, uint16_t w, uint16_t n)
{
	struct rte_mbuf *rx[BURST];
	uint16_t got = rx_n(p, w, rx, n);

	for (uint16_t i = 0; i < got; i++) {
		bool hashed;

		assert_int_equal(tern_port_rss_worker(p, tern__mbuf_flow_hash(p, rx[i], &hashed)), w);
	}
	rte_pktmbuf_free_bulk(rx, got);
	return got;
}

/* conf.ring_rss: a queue per worker, TX queue q feeding the peer's RX
 * queue q, and the sender steers by the receiver's hash as a NIC would.
 * Worker 1 receives on its own, without worker 0 polling. */
static void test_ring_rss_queue_per_worker(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_RING, "rssq", 2);
	struct rte_mbuf *tx[BURST], *extra;
	uint16_t want[2] = { 0 };
	struct tern_port_stats st;
	struct tern_port *a, *b;

	c.ring_rss = true;
	assert_int_equal(tern_port_pair_create(&c, &a, &b), 0);
	assert_int_equal(tern_port_nb_rx_queues(b), 2);
	assert_int_equal(tern_port_nb_tx_queues(b), 2);
	assert_int_equal(tern_port_nb_rx_queues(a), 2);
	assert_int_equal(tern_port_start(a), 0);
	assert_int_equal(tern_port_start(b), 0);
	for (int i = 0; i < BURST; i++) {
		uint16_t w = tern_port_rss_worker(b, tern_port_rss_hash_v4(b, 0x0a000001,
			0x0a000002, 1000 + i, 53));

		tx[i] = drv_test_udp(mp, 0x0a000001, 0x0a000002, 1000 + i, 53, i);
		assert_int_equal(tern_port_tx_burst(a, w, &tx[i], 1), 1);
		want[w]++;
	}
	assert_in_range(want[1], 1, BURST - 1);
	assert_int_equal(rx_owned(b, 1, BURST), want[1]);
	assert_int_equal(rx_owned(b, 0, BURST), want[0]);
	/* Back: b's TX queue 1 reaches a's RX queue 1 and no other. */
	extra = drv_test_udp(mp, 0x0a000002, 0x0a000001, 53, 1000, 0);
	assert_int_equal(tern_port_tx_burst(b, 1, &extra, 1), 1);
	assert_int_equal(tern_port_rx_burst(a, 0, tx, BURST), 0);
	assert_int_equal(rx_n(a, 1, tx, BURST), 1);
	rte_pktmbuf_free(tx[0]);
	assert_int_equal(tern_port_stats_get(b, &st), 0);
	assert_int_equal(st.rx_packets, BURST);
	assert_int_equal(st.sw_hashed, 0);
	assert_int_equal(st.sw_redirected, 0);
	assert_int_equal(st.tx_lock_spins, 0);
	tern_port_destroy(a);
	tern_port_destroy(b);
	assert_int_equal(tern_mbuf_pool_in_use(pool), 0);
}

/* ring_rss is for pairs, and net_ring takes 16 queues per direction. */
static void test_ring_rss_bad_conf(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_NULL, "rssbad", 1);
	struct tern_port *a, *b;
	struct drv_log l;
	char *log;

	c.ring_rss = true;
	drv_log_begin(&l);
	assert_int_equal(tern_port_create(&c, &a), -EINVAL);
	c.nb_workers = TERN_RING_QUEUES_MAX + 1;
	assert_int_equal(tern_port_pair_create(&c, &a, &b), -EINVAL);
	log = drv_log_end(&l);
	assert_log_has(log, "conf.ring_rss is for ring pairs");
	assert_log_has(log, "net_ring takes at most 16");
	free(log);
}

/* A pair's name longer than its ring names can hold is refused, not cut
 * (two cut names could be equal); the longest that fits works. */
static void test_ring_pair_name_length(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_NULL, "pair_name_is_19_chr", 1);
	struct tern_port *a, *b;
	struct drv_log l;
	char *log;

	drv_log_begin(&l);
	assert_int_equal(tern_port_pair_create(&c, &a, &b), -ENAMETOOLONG);
	log = drv_log_end(&l);
	assert_log_has(log, "is longer than 18 characters");
	free(log);
	c.name = "pair_name_is_18_ch";
	c.ring_rss = true;
	c.nb_workers = 12; /* two-digit queue numbers */
	assert_int_equal(tern_port_pair_create(&c, &a, &b), 0);
	tern_port_destroy(a);
	tern_port_destroy(b);
}

static void test_null_port(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_NULL, "n0", 1);
	struct rte_mbuf *pkts[BURST];
	struct tern_port *p;
	struct tern_link link;
	uint32_t base;
	uint16_t n;

	assert_int_equal(tern_port_create(&c, &p), 0);
	c.link_wait_ms = 1000;
	assert_int_equal(tern_port_start(p), 0);
	base = tern_mbuf_pool_in_use(pool);
	n = tern_port_rx_burst(p, 0, pkts, BURST);
	assert_int_equal(n, BURST);   /* null RX invents a full burst */
	assert_int_equal(tern_mbuf_pool_in_use(pool), base + BURST);
	assert_int_equal(tern_port_tx_burst(p, 0, pkts, n), n);
	assert_int_equal(tern_mbuf_pool_in_use(pool), base);
	assert_int_equal(tern_port_link_poll(p, &link), 0);
	assert_true(link.up);
	tern_port_destroy(p);
	assert_int_equal(tern_mbuf_pool_in_use(pool), 0);
}

static void write_pcap(const char *path, int n)
{
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(pd, path);

	assert_non_null(d);
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *m = drv_test_udp(mp, 0x0a000001, 0x0a000002, 7000 + i, 9, i);
		struct pcap_pkthdr h = { .caplen = rte_pktmbuf_data_len(m),
					 .len = rte_pktmbuf_data_len(m) };

		pcap_dump((u_char *)d, &h, rte_pktmbuf_mtod(m, u_char *));
		rte_pktmbuf_free(m);
	}
	pcap_dump_close(d);
	pcap_close(pd);
}

static int count_pcap(const char *path, int *first_seq)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	int n = 0;

	assert_non_null(p);
	while (pcap_next_ex(p, &h, &data) == 1)
		if (n++ == 0)
			*first_seq = data[42];
	pcap_close(p);
	return n;
}

static void test_pcap_replay(void **state)
{
	char in[] = "/tmp/tern_t_in_XXXXXX", out[] = "/tmp/tern_t_out_XXXXXX";
	struct tern_port_conf c = conf(TERN_PORT_PCAP, "pc0", 1);
	struct rte_mbuf *pkts[BURST];
	struct tern_port *p;
	int seq = -1;
	uint16_t n;

	close(mkstemp(in));
	close(mkstemp(out));
	write_pcap(in, 10);
	c.rx_pcap = in;
	c.tx_pcap = out;
	assert_int_equal(tern_port_create(&c, &p), 0);
	assert_int_equal(tern_port_start(p), 0);
	n = rx_n(p, 0, pkts, 10);
	assert_int_equal(n, 10);
	for (uint16_t i = 0; i < n; i++)
		assert_int_equal(rte_pktmbuf_mtod(pkts[i], uint8_t *)[42], i);
	assert_int_equal(tern_port_tx_burst(p, 0, pkts, n), n);
	tern_port_destroy(p);   /* closes and flushes the capture */
	assert_int_equal(count_pcap(out, &seq), 10);
	assert_int_equal(seq, 0);
	assert_int_equal(tern_mbuf_pool_in_use(pool), 0);
	unlink(in);
	unlink(out);
}

static void count_xstat(const char *name, uint64_t v, void *arg)
{
	(*(int *)arg)++;
}

static void test_offloads_stats_xstats(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_RING, "offl", 1);
	struct tern_port *a, *b;
	struct tern_port_stats st;
	struct tern_link link;
	int nx = 0;

	c.offloads = TERN_OFFLOAD_ALL;
	assert_int_equal(tern_port_pair_create(&c, &a, &b), 0);
	/* The ring PMD offers no checksum offload: software must do it all. */
	assert_int_equal(tern_port_offloads(a) & (TERN_OFFLOAD_IPV4_CKSUM_TX |
						  TERN_OFFLOAD_UDP_CKSUM_TX), 0);
	assert_int_equal(tern_port_start(a), 0);
	assert_int_equal(tern_port_link_poll(a, &link), 0);
	assert_true(link.up);
	assert_true(tern_port_xstats_foreach(a, count_xstat, &nx) > 0);
	assert_true(nx > 0);
	assert_int_equal(tern_port_stats_reset(a), 0);
	assert_int_equal(tern_port_stats_get(a, &st), 0);
	assert_int_equal(st.tx_packets, 0);
	assert_int_equal(tern_port_stop(a), 0);
	assert_int_equal(tern_port_link_poll(a, &link), 0);
	assert_false(link.up);
	assert_int_equal(link.changes, 1);
	tern_port_destroy(a);
	tern_port_destroy(b);
}

static void test_bad_conf_names_field(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_NULL, "bad", 0);
	struct tern_port *p;
	struct drv_log l;
	char *log;

	drv_log_begin(&l);
	assert_int_equal(tern_port_create(&c, &p), -EINVAL);
	c.nb_workers = 1;
	c.preset = TERN_PORT_MEMIF;
	assert_int_equal(tern_port_create(&c, &p), -EINVAL);
	c.preset = TERN_PORT_RING;
	assert_int_equal(tern_port_create(&c, &p), -EINVAL);
	log = drv_log_end(&l);
	assert_log_has(log, "conf.nb_workers is 0");
	assert_log_has(log, "memif port needs conf.socket");
	assert_log_has(log, "use tern_port_pair_create()");
	free(log);
}

static void test_memif_peer_never_connects(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_MEMIF, "lonely", 1);
	char sock[64];
	struct tern_port *p;
	struct drv_log l;
	char *log;

	snprintf(sock, sizeof(sock), "/tmp/tern_t_memif_%d.sock", (int)getpid());
	c.socket = sock;
	c.memif_server = true;
	c.link_wait_ms = 200;
	assert_int_equal(tern_port_create(&c, &p), 0);
	drv_log_begin(&l);
	assert_int_equal(tern_port_start(p), -ETIMEDOUT);
	log = drv_log_end(&l);
	assert_log_has(log, "never connected within 200 ms: start the other side");
	free(log);
	tern_port_destroy(p);
	assert_int_equal(access(sock, F_OK), -1);  /* no socket left behind */
	assert_int_equal(tern_mbuf_pool_in_use(pool), 0);
}

static void test_memif_client_never_connects(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_MEMIF, "lonec", 1);
	char sock[64];
	struct tern_port *p;
	struct drv_log l;
	char *log;

	snprintf(sock, sizeof(sock), "/tmp/tern_t_memifc_%d.sock", (int)getpid());
	c.socket = sock;
	c.link_wait_ms = 200;
	assert_int_equal(tern_port_create(&c, &p), 0);
	drv_log_begin(&l);
	assert_int_equal(tern_port_start(p), -ETIMEDOUT);
	log = drv_log_end(&l);
	assert_log_has(log, "memif peer on /tmp/tern_t_memifc_");
	assert_log_has(log, "never connected within 200 ms: start the other side");
	free(log);
	tern_port_destroy(p);
	/* Without a wait, one attempt and an error that says what to do. */
	c.name = "lonec0";
	c.link_wait_ms = 0;
	assert_int_equal(tern_port_create(&c, &p), 0);
	drv_log_begin(&l);
	assert_int_equal(tern_port_start(p), -ECONNREFUSED);
	log = drv_log_end(&l);
	assert_log_has(log, "start the server first or set conf.link_wait_ms");
	free(log);
	tern_port_destroy(p);
	assert_int_equal(access(sock, F_OK), -1);  /* a client creates no socket */
}

/* A PMD that is not installed: probe a driver name nobody registers. */
static void test_vdev_driver_missing(void **state)
{
	const struct tern_preset fake = { .driver = "net_tern_nosuch",
					  .package = "librte-net-tern-nosuch23" };
	uint16_t id = RTE_MAX_ETHPORTS;
	struct drv_log l;
	int rc;
	char *log;

	drv_log_begin(&l);
	rc = tern__vdev_probe(&fake, "net_tern_nosuch_0", "", &id);
	log = drv_log_end(&l);
	assert_int_equal(rc, -ENOENT);
	assert_log_has(log, "vdev net_tern_nosuch not found: install librte-net-tern-nosuch23");
	free(log);
	assert_int_equal(id, RTE_MAX_ETHPORTS);
	assert_int_equal(rte_eth_dev_count_avail(), 0);
}

static void test_af_packet_iface_missing(void **state)
{
	struct tern_port_conf c = conf(TERN_PORT_AF_PACKET, "afx", 1);
	struct tern_port *p;
	struct drv_log l;
	char *log;

	c.iface = "tern_nosuch0";
	drv_log_begin(&l);
	assert_int_equal(tern_port_create(&c, &p), -ENODEV);
	log = drv_log_end(&l);
	assert_log_has(log, "interface tern_nosuch0 not found");
	free(log);
	assert_int_equal(rte_eth_dev_count_avail(), 0);
}

static void test_pool_sizing_and_busy(void **state)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 1, .nb_workers = 2,
					   .rx_desc = 128, .tx_desc = 64,
					   .burst = 32, .cache = 32, .extra = 5,
					   .name = "t_small" };
	struct tern_mbuf_pool *small;
	struct rte_mbuf *m;

	/* 2 x (2*128 + 64) descriptors + 2 x (32 + 2*32) cache/bursts + 5. */
	assert_int_equal(tern_mbuf_pool_size(&pc), 640 + 192 + 5);
	assert_int_equal(tern_mbuf_pool_create(&pc, &small), 0);
	assert_int_equal(tern_mbuf_pool_create(&pc, &small), -EEXIST);
	m = rte_pktmbuf_alloc(tern_mbuf_pool_mempool(small));
	assert_int_equal(tern_mbuf_pool_in_use(small), 1);
	assert_int_equal(tern_mbuf_pool_destroy(small), -EBUSY);
	rte_pktmbuf_free(m);
	assert_int_equal(tern_mbuf_pool_destroy(small), 0);
}

/*
 * Jumbo buffers: 64 by default, or conf.jumbo, of one size that holds a
 * datagram of 8 fragments; counted in the pool's in_use, and destroy
 * refuses while one is out. None with no_jumbo or a data_room that holds
 * as much; a name that would leave the jumbo pool's name cut is refused,
 * nothing left behind.
 */
static void test_pool_jumbo(void **state)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 1, .nb_workers = 1, .rx_desc = 64,
					   .tx_desc = 64, .name = "t_jumbo" };
	struct rte_mbuf *m[4];
	struct tern_mbuf_pool *p;
	struct rte_mempool *jm;

	assert_int_equal(tern_mbuf_pool_create(&pc, &p), 0);
	jm = tern_mbuf_pool_jumbo(p);
	assert_non_null(jm);
	assert_string_equal(jm->name, "t_jumbo_j");
	assert_int_equal(jm->size, TERN_MBUF_JUMBO_DEFAULT);
	assert_int_equal(rte_pktmbuf_data_room_size(jm), RTE_PKTMBUF_HEADROOM + TERN_MBUF_JUMBO_LEN);
	m[0] = rte_pktmbuf_alloc(jm);
	assert_non_null(m[0]);
	assert_int_equal(rte_pktmbuf_tailroom(m[0]), TERN_MBUF_JUMBO_LEN);
	assert_int_equal(tern_mbuf_pool_in_use(p), 1);
	assert_int_equal(tern_mbuf_pool_destroy(p), -EBUSY);
	rte_pktmbuf_free(m[0]);
	assert_int_equal(tern_mbuf_pool_in_use(p), 0);
	assert_int_equal(tern_mbuf_pool_destroy(p), 0);
	assert_null(rte_mempool_lookup("t_jumbo_j"));

	pc.jumbo = 3;
	assert_int_equal(tern_mbuf_pool_create(&pc, &p), 0);
	jm = tern_mbuf_pool_jumbo(p);
	assert_int_equal(rte_pktmbuf_alloc_bulk(jm, m, 3), 0);
	assert_null(rte_pktmbuf_alloc(jm)); /* no cache hides a fourth */
	assert_int_equal(tern_mbuf_pool_in_use(p), 3);
	rte_pktmbuf_free_bulk(m, 3);
	assert_int_equal(tern_mbuf_pool_destroy(p), 0);

	pc.no_jumbo = true;
	assert_int_equal(tern_mbuf_pool_create(&pc, &p), 0);
	assert_null(tern_mbuf_pool_jumbo(p));
	assert_null(rte_mempool_lookup("t_jumbo_j"));
	assert_int_equal(tern_mbuf_pool_destroy(p), 0);

	pc.no_jumbo = false;
	pc.data_room = RTE_PKTMBUF_HEADROOM + TERN_MBUF_JUMBO_LEN;
	assert_int_equal(tern_mbuf_pool_create(&pc, &p), 0);
	assert_null(tern_mbuf_pool_jumbo(p));
	assert_int_equal(tern_mbuf_pool_destroy(p), 0);

	pc.data_room = 0;
	pc.name = "t_jumbo_name_of_24_chars"; /* fits alone, not with "_j" */
	assert_int_equal(strlen(pc.name), RTE_MEMPOOL_NAMESIZE - 2);
	assert_int_equal(tern_mbuf_pool_create(&pc, &p), -EINVAL);
	assert_null(rte_mempool_lookup(pc.name));
	pc.no_jumbo = true;
	assert_int_equal(tern_mbuf_pool_create(&pc, &p), 0);
	assert_int_equal(tern_mbuf_pool_destroy(p), 0);
}

static void test_numa_alloc(void **state)
{
	void *p = tern_numa_alloc(rte_get_main_lcore(), 4096);

	assert_non_null(p);
	memset(p, 1, 4096);
	tern_numa_free(p, 4096);
}

struct slow_cb {
	int fd;
	bool started, finished;
};

/* A callback that keeps the interrupt thread for 50 ms, as memif's
 * disconnect does while it frees the regions. */
static void slow_cb(void *arg)
{
	struct slow_cb *c = arg;
	struct timespec t = { 0, 50 * 1000 * 1000 };
	uint64_t v;

	if (read(c->fd, &v, sizeof(v)) < 0) {
		/* the flags are what the test reads */
	}
	__atomic_store_n(&c->started, true, __ATOMIC_RELEASE);
	nanosleep(&t, NULL);
	__atomic_store_n(&c->finished, true, __ATOMIC_RELEASE);
}

/*
 * memif's stop waits for the interrupt thread (drivers/intr_drain.c): with
 * a callback of 50 ms running there, tern__intr_thread_drain() returns only
 * once it finished, whatever the timing; and on an idle thread at once.
 */
static void test_intr_thread_drain(void **state)
{
	struct slow_cb c = { .fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) };
	struct rte_intr_handle *h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	struct timespec ms = { 0, 1000 * 1000 };
	uint64_t one = 1;

	(void)state;
	assert_true(c.fd >= 0);
	assert_non_null(h);
	assert_int_equal(rte_intr_fd_set(h, c.fd), 0);
	assert_int_equal(rte_intr_type_set(h, RTE_INTR_HANDLE_EXT), 0);
	assert_int_equal(rte_intr_callback_register(h, slow_cb, &c), 0);
	tern__intr_thread_drain(); /* idle thread */
	assert_int_equal(write(c.fd, &one, sizeof(one)), sizeof(one));
	for (int i = 0; i < 5000 && !__atomic_load_n(&c.started, __ATOMIC_ACQUIRE); i++)
		nanosleep(&ms, NULL);
	assert_true(__atomic_load_n(&c.started, __ATOMIC_ACQUIRE));
	tern__intr_thread_drain();
	assert_true(__atomic_load_n(&c.finished, __ATOMIC_ACQUIRE));
	assert_true(rte_intr_callback_unregister_sync(h, slow_cb, &c) >= 0);
	rte_intr_instance_free(h);
	close(c.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ring_pair_burst_intact, baseline),
		cmocka_unit_test_teardown(test_toeplitz_matches_reference, baseline),
		cmocka_unit_test_teardown(test_pick_sport_hashes_back, baseline),
		cmocka_unit_test_teardown(test_software_redistribution, baseline),
		cmocka_unit_test_teardown(test_ring_rss_queue_per_worker, baseline),
		cmocka_unit_test_teardown(test_ring_rss_bad_conf, baseline),
		cmocka_unit_test_teardown(test_ring_pair_name_length, baseline),
		cmocka_unit_test_teardown(test_null_port, baseline),
		cmocka_unit_test_teardown(test_pcap_replay, baseline),
		cmocka_unit_test_teardown(test_offloads_stats_xstats, baseline),
		cmocka_unit_test_teardown(test_bad_conf_names_field, baseline),
		cmocka_unit_test_teardown(test_memif_peer_never_connects, baseline),
		cmocka_unit_test_teardown(test_memif_client_never_connects, baseline),
		cmocka_unit_test_teardown(test_vdev_driver_missing, baseline),
		cmocka_unit_test_teardown(test_af_packet_iface_missing, baseline),
		cmocka_unit_test_teardown(test_pool_sizing_and_busy, baseline),
		cmocka_unit_test_teardown(test_pool_jumbo, baseline),
		cmocka_unit_test_teardown(test_numa_alloc, baseline),
		cmocka_unit_test(test_intr_thread_drain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
