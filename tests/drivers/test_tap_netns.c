/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tap port inside a network namespace this test creates (unshare: it dies
 * with the process, so nothing is left behind). Checks the kernel sees the
 * frames both ways: a UDP datagram from DPDK reaches a kernel socket, and
 * the kernel's ARP request for a DPDK-side address reaches DPDK.
 * Needs root; exits 77 otherwise.
 */
#include "drv_netns.h"

#define IFACE "terntap0"
#define KERNEL_IP 0x0a630001  /* 10.99.0.1, the kernel side */
#define DPDK_IP 0x0a630002    /* 10.99.0.2, the DPDK side */

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct tern_port *port;
static uint32_t base;  /* mbufs the started port holds (RX ring refills) */

static int setup(void **state)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 2, .nb_workers = 1,
					   .rx_desc = 256, .tx_desc = 256 };
	struct tern_port_conf c = { .preset = TERN_PORT_TAP, .name = "t0",
				    .iface = IFACE, .nb_workers = 1,
				    .rx_desc = 256, .tx_desc = 256,
				    .link_wait_ms = 2000 };

	eal = drv_test_eal("tap", NULL);
	if (eal == NULL || tern_mbuf_pool_create(&pc, &pool) < 0)
		return -1;
	c.pool = pool;
	if (tern_port_create(&c, &port) < 0 || tern_port_start(port) < 0)
		return -1;
	base = tern_mbuf_pool_in_use(pool);
	return drv_netns_sh("ip link set lo up && ip addr add 10.99.0.1/24 dev " IFACE
			    " && ip link set " IFACE " up && ip -br addr");
}

static int teardown(void **state)
{
	int rc;

	tern_port_destroy(port);
	/* Destroying the port gave back its RX ring: the pool must be full. */
	rc = tern_mbuf_pool_destroy(pool);
	return drv_test_eal_destroy(eal, "tap") ?: rc;
}

/* After every test: mbufs in use back at what the started port holds. */
static int baseline(void **state)
{
	uint32_t n = tern_mbuf_pool_in_use(pool);

	if (n == base)
		return 0;
	fprintf(stderr, "%u mbufs in use after the test, %u before\n", n, base);
	return -1;
}

static void test_dpdk_to_kernel_udp(void **state)
{
	struct rte_mempool *mp = tern_mbuf_pool_mempool(pool);
	struct rte_mbuf *m = drv_test_udp(mp, DPDK_IP, KERNEL_IP, 5555, 9999, 0x5a);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, void *);
	struct pollfd pfd = { .fd = drv_netns_udp(KERNEL_IP, 9999), .events = POLLIN };
	uint8_t buf[64];

	assert_true(pfd.fd >= 0);
	assert_int_equal(drv_netns_mac(IFACE, eh->dst_addr.addr_bytes), 0);
	tern_port_mac(port, eh->src_addr.addr_bytes);
	assert_int_equal(tern_port_tx_burst(port, 0, &m, 1), 1);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(recv(pfd.fd, buf, sizeof(buf), 0), 18);
	assert_int_equal(buf[0], 0x5a);
	close(pfd.fd);
}

static void test_kernel_to_dpdk_arp(void **state)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7777),
				  .sin_addr.s_addr = htonl(DPDK_IP) };
	int fd = drv_netns_udp(KERNEL_IP, 9998);

	assert_true(fd >= 0);
	/* Nobody answers the ARP, so the kernel asks again: no race on timing. */
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	assert_true(drv_netns_rx_arp(port, DPDK_IP));
	close(fd);
}

static void test_tap_name_in_use(void **state)
{
	struct tern_port_conf c = { .preset = TERN_PORT_TAP, .name = "t1",
				    .iface = IFACE, .nb_workers = 1, .pool = pool };
	struct tern_port *p;
	struct drv_log l;
	char *log;

	drv_log_begin(&l);
	assert_int_equal(tern_port_create(&c, &p), -EEXIST);
	log = drv_log_end(&l);
	assert_log_has(log, "tap name " IFACE " already in use");
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dpdk_to_kernel_udp, baseline),
		cmocka_unit_test_teardown(test_kernel_to_dpdk_arp, baseline),
		cmocka_unit_test_teardown(test_tap_name_in_use, baseline),
	};
	int rc = drv_netns_enter();

	if (rc != 0)
		return rc;
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("SKIP: /dev/net/tun not usable: %s\n", strerror(errno));
		return SKIP;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
