/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_packet port on one end of a veth pair inside a network namespace this
 * test creates; the kernel owns the other end. Checks the kernel sees the
 * frames both ways: a UDP datagram from DPDK reaches a kernel socket, and
 * the kernel's ARP request for a DPDK-side address reaches DPDK. The pair is
 * deleted at the end (and dies with the namespace anyway).
 * Needs root; exits 77 otherwise.
 */
#include "drv_netns.h"

#define KIF "tveth0"           /* kernel side */
#define DIF "tveth1"           /* DPDK side (af_packet) */
#define KERNEL_IP 0x0a620001   /* 10.98.0.1 */
#define DPDK_IP 0x0a620002     /* 10.98.0.2 */

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct tern_port *port;
static uint32_t base;  /* mbufs the started port holds (RX ring refills) */

static int setup(void **state)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 1, .nb_workers = 1,
					   .rx_desc = 256, .tx_desc = 256 };
	struct tern_port_conf c = { .preset = TERN_PORT_AF_PACKET, .name = "a0",
				    .iface = DIF, .nb_workers = 1,
				    .rx_desc = 256, .tx_desc = 256,
				    .link_wait_ms = 2000 };

	if (drv_netns_sh("ip link set lo up && ip link add " KIF " type veth peer name " DIF
			 " && ip addr add 10.98.0.1/24 dev " KIF
			 " && ip link set " KIF " up && ip link set " DIF " up") != 0)
		return -1;
	eal = drv_test_eal("afp", NULL);
	if (eal == NULL || tern_mbuf_pool_create(&pc, &pool) < 0)
		return -1;
	c.pool = pool;
	if (tern_port_create(&c, &port) < 0 || tern_port_start(port) < 0)
		return -1;
	base = tern_mbuf_pool_in_use(pool);
	return 0;
}

static int teardown(void **state)
{
	int rc;

	tern_port_destroy(port);
	/* Destroying the port gave back its RX ring: the pool must be full. */
	rc = tern_mbuf_pool_destroy(pool);
	rc = drv_test_eal_destroy(eal, "afp") ?: rc;
	return drv_netns_sh("ip link del " KIF) ?: rc;
}

static struct drv_netns_port np(void)
{
	return (struct drv_netns_port){ .port = port, .pool = pool, .kif = KIF,
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

static void test_stats_count_both_ways(void **state)
{
	struct tern_port_stats st;

	assert_int_equal(tern_port_stats_get(port, &st), 0);
	assert_true(st.tx_packets >= 1);
	assert_true(st.rx_packets >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dpdk_to_kernel_udp, baseline),
		cmocka_unit_test_teardown(test_kernel_to_dpdk_arp, baseline),
		cmocka_unit_test_teardown(test_stats_count_both_ways, baseline),
	};
	int rc = drv_netns_enter();

	if (rc != 0)
		return rc;
	if (system("ip -V >/dev/null 2>&1") != 0) {
		printf("SKIP: the ip command (iproute2) is missing\n");
		return SKIP;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
