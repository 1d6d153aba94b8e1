/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tap port inside a network namespace this test creates (unshare: it dies
 * with the process, so nothing is left behind). Checks the kernel sees the
 * frames both ways: a UDP datagram from DPDK reaches a kernel socket, and
 * the kernel's ARP request for a DPDK-side address reaches DPDK.
 * Needs root; exits 77 otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* unshare */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "drv_test.h"

#define IFACE "terntap0"
#define KERNEL_IP 0x0a630001  /* 10.99.0.1, the kernel side */
#define DPDK_IP 0x0a630002    /* 10.99.0.2, the DPDK side */

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct tern_port *port;

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* ioctl, not /sys: sysfs shows the namespace it was mounted in. */
static int kernel_mac(uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rc;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFACE);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return rc;
}

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
	return sh("ip link set lo up && ip addr add 10.99.0.1/24 dev " IFACE
		  " && ip link set " IFACE " up && ip -br addr");
}

static int teardown(void **state)
{
	tern_port_destroy(port);
	return tern_mbuf_pool_destroy(pool) ?: tern_eal_destroy(eal);
}

static int udp_socket(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9999),
				 .sin_addr.s_addr = htonl(KERNEL_IP) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void test_dpdk_to_kernel_udp(void **state)
{
	struct rte_mempool *mp = tern_mbuf_pool_mempool(pool);
	struct rte_mbuf *m = drv_test_udp(mp, DPDK_IP, KERNEL_IP, 5555, 9999, 0x5a);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, void *);
	struct pollfd pfd = { .fd = udp_socket(), .events = POLLIN };
	uint8_t buf[64];

	assert_int_equal(kernel_mac(eh->dst_addr.addr_bytes), 0);
	tern_port_mac(port, eh->src_addr.addr_bytes);
	assert_int_equal(tern_port_tx_burst(port, 0, &m, 1), 1);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(recv(pfd.fd, buf, sizeof(buf), 0), 18);
	assert_int_equal(buf[0], 0x5a);
	close(pfd.fd);
}

/* Polls up to 2 s for an ARP request asking for DPDK_IP. */
static bool rx_arp_for_dpdk_ip(void)
{
	struct rte_mbuf *pkts[32];

	for (int i = 0; i < 200; i++) {
		uint16_t n = tern_port_rx_burst(port, 0, pkts, 32);
		bool found = false;

		for (uint16_t k = 0; k < n; k++) {
			struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[k], void *);
			struct rte_arp_hdr *arp = (void *)(eh + 1);

			found |= eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) &&
				 arp->arp_data.arp_tip == RTE_BE32(DPDK_IP);
		}
		rte_pktmbuf_free_bulk(pkts, n);
		if (found)
			return true;
		usleep(10000);
	}
	return false;
}

static void test_kernel_to_dpdk_arp(void **state)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7777),
				  .sin_addr.s_addr = htonl(DPDK_IP) };
	int fd = udp_socket();
	uint32_t base = tern_mbuf_pool_in_use(pool);

	/* Nobody answers the ARP, so the kernel asks again: no race on timing. */
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	assert_true(rx_arp_for_dpdk_ip());
	assert_int_equal(tern_mbuf_pool_in_use(pool), base);
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
		cmocka_unit_test(test_dpdk_to_kernel_udp),
		cmocka_unit_test(test_kernel_to_dpdk_arp),
		cmocka_unit_test(test_tap_name_in_use),
	};

	if (geteuid() != 0) {
		printf("SKIP: needs root to create a network namespace and a tap device\n");
		return SKIP;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return SKIP;
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("SKIP: /dev/net/tun not usable: %s\n", strerror(errno));
		return SKIP;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
