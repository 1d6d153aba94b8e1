/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the drivers/ tests: EAL start, packets, log capture. */
#ifndef TERN_DRV_TEST_H
#define TERN_DRV_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "tern/eal.h"
#include "tern/port.h"

#define SKIP 77

/* Starts the EAL with a prefix unique to this test process. */
static inline struct tern_eal *drv_test_eal(const char *name, const char *extra)
{
	char prefix[64], *argv[4] = { (char *)name, NULL, NULL, NULL };
	struct tern_eal_opts o = { .file_prefix = prefix };
	struct tern_eal *eal = NULL;
	int argc = 1;

	snprintf(prefix, sizeof(prefix), "tern_t_%s_%d", name, (int)getpid());
	if (extra != NULL)
		argv[argc++] = (char *)extra;
	if (tern_eal_create(argc, argv, &o, &eal) < 0)
		return NULL;
	return eal;
}

/* Builds an Ethernet/IPv4/UDP packet whose payload is seq repeated. */
static inline struct rte_mbuf *drv_test_udp(struct rte_mempool *mp, uint32_t src,
					   uint32_t dst, uint16_t sport,
					   uint16_t dport, uint8_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	const uint16_t payload = 18;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	if (m == NULL)
		return NULL;
	eh = (void *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ip) + sizeof(*udp) + payload);
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	ip = (void *)(eh + 1);
	udp = (void *)(ip + 1);
	memset(eh, 0, sizeof(*eh));
	memset(eh->dst_addr.addr_bytes, 0xff, 6);
	eh->src_addr.addr_bytes[0] = 0x02;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*udp) + payload);
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + payload);
	udp->dgram_cksum = 0;
	memset(udp + 1, seq, payload);
	return m;
}

/* Log capture: the errors tern prints must name the fix. */
struct drv_log {
	char *buf;
	size_t len;
	FILE *f;
};

static inline void drv_log_begin(struct drv_log *l)
{
	memset(l, 0, sizeof(*l));
	l->f = open_memstream(&l->buf, &l->len);
	rte_openlog_stream(l->f);
}

/* Stops capturing; returns the text (free it). */
static inline char *drv_log_end(struct drv_log *l)
{
	rte_openlog_stream(NULL);
	fclose(l->f);
	fputs(l->buf, stderr);  /* still show it in the test log */
	return l->buf;
}

#define assert_log_has(text, needle)                                     \
	do {                                                             \
		if (strstr((text), (needle)) == NULL)                    \
			fail_msg("log lacks \"%s\":\n%s", (needle), (text)); \
	} while (0)

#endif
