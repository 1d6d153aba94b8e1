/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the tests that run a port against the kernel inside a network
 * namespace they create (tap, af_packet): root only, skip with 77 otherwise.
 */
#ifndef TERN_DRV_NETNS_H
#define TERN_DRV_NETNS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* unshare */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "drv_test.h"

/*
 * Enters a fresh network namespace: it dies with the process, so nothing
 * created in it outlives the test. Returns 0, or SKIP (with the reason
 * printed) when not root or namespaces are unavailable.
 */
static inline int drv_netns_enter(void)
{
	if (geteuid() != 0) {
		printf("SKIP: needs root to create a network namespace\n");
		return SKIP;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return SKIP;
	}
	return 0;
}

static inline int drv_netns_sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* MAC of a kernel interface; ioctl, not /sys (sysfs shows the netns it was
 * mounted in). Returns 0 or -1. */
static inline int drv_netns_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rc;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return rc;
}

/* Non-blocking UDP socket bound to ip:port (host order). */
static inline int drv_netns_udp(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(ip) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Polls worker 0 for up to 2 s for an ARP request asking for ip (host
 * order); every packet received is freed. */
static inline bool drv_netns_rx_arp(struct tern_port *port, uint32_t ip)
{
	struct rte_mbuf *pkts[32];

	for (int i = 0; i < 200; i++) {
		uint16_t n = tern_port_rx_burst(port, 0, pkts, 32);
		bool found = false;

		for (uint16_t k = 0; k < n; k++) {
			struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[k], void *);
			struct rte_arp_hdr *arp = (void *)(eh + 1);

			found |= eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) &&
				 arp->arp_data.arp_tip == rte_cpu_to_be_32(ip);
		}
		rte_pktmbuf_free_bulk(pkts, n);
		if (found)
			return true;
		usleep(10000);
	}
	return false;
}


/* The checks both kernel-facing ports (tap, af_packet) run. */
struct drv_netns_port {
	struct tern_port *port;
	struct tern_mbuf_pool *pool;
	const char *kif;       /* the kernel side's interface */
	uint32_t dpdk_ip, kernel_ip;
	uint32_t base;         /* mbufs the started port holds (RX refills) */
};

/* mbufs in use back at what the started port holds. */
static inline int drv_netns_baseline(const struct drv_netns_port *p)
{
	uint32_t n = tern_mbuf_pool_in_use(p->pool);

	if (n == p->base)
		return 0;
	fprintf(stderr, "%u mbufs in use after the test, %u before\n", n, p->base);
	return -1;
}

/* A UDP datagram DPDK sends reaches a kernel socket intact. */
static inline void drv_netns_check_udp_to_kernel(const struct drv_netns_port *p)
{
	struct rte_mempool *mp = tern_mbuf_pool_mempool(p->pool);
	struct rte_mbuf *m = drv_test_udp(mp, p->dpdk_ip, p->kernel_ip, 5555, 9999, 0x5a);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, void *);
	struct pollfd pfd = { .fd = drv_netns_udp(p->kernel_ip, 9999), .events = POLLIN };
	uint8_t buf[64];

	assert_true(pfd.fd >= 0);
	assert_int_equal(drv_netns_mac(p->kif, eh->dst_addr.addr_bytes), 0);
	tern_port_mac(p->port, eh->src_addr.addr_bytes);
	assert_int_equal(tern_port_tx_burst(p->port, 0, &m, 1), 1);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(recv(pfd.fd, buf, sizeof(buf), 0), 18);
	assert_int_equal(buf[0], 0x5a);
	close(pfd.fd);
}

/* The kernel's ARP request for the DPDK side reaches DPDK. */
static inline void drv_netns_check_arp_from_kernel(const struct drv_netns_port *p)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7777),
				  .sin_addr.s_addr = htonl(p->dpdk_ip) };
	int fd = drv_netns_udp(p->kernel_ip, 9998);

	assert_true(fd >= 0);
	/* Nobody answers the ARP, so the kernel asks again: no race on timing. */
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	assert_true(drv_netns_rx_arp(p->port, p->dpdk_ip));
	close(fd);
}

#endif
