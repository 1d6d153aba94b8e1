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

static struct drv_netns_port np(void)
{
	return (struct drv_netns_port){ .port = port, .pool = pool, .kif = IFACE,
					.dpdk_ip = DPDK_IP, .kernel_ip = KERNEL_IP, .base = base };
}

/* After every test: mbufs in use back at what the started port holds. */
static int baseline(void **state)
{
	struct drv_netns_port p = np();

	return drv_netns_baseline(&p);
}

static void test_dpdk_to_kernel_udp(void **state)
{
	struct drv_netns_port p = np();

	drv_netns_check_udp_to_kernel(&p);
}

static void test_kernel_to_dpdk_arp(void **state)
{
	struct drv_netns_port p = np();

	drv_netns_check_arp_from_kernel(&p);
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
