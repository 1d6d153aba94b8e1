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
#include <dirent.h>
#include <sys/stat.h>
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
#include "drivers_internal.h"

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

/* Removes a directory and the files in it (an EAL runtime dir is flat). */
static inline void drv_test_rmdir(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d != NULL && (e = readdir(d)) != NULL) {
		/* A path that does not fit is skipped, never cut short. */
		if (e->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* Counts (or removes) entries of dir named prefix (exact) or starting with it. */
static inline int drv_test_files(const char *dir, const char *prefix,
				 bool exact, bool remove)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (exact ? strcmp(e->d_name, prefix) != 0 :
			    strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!remove)
			fprintf(stderr, "left behind: %s\n", path);
		else if (unlink(path) != 0)
			drv_test_rmdir(path);
		n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/*
 * Files an EAL with file prefix "<base>_<pid>" (drv_test_eal) may leave once
 * destroyed: hugepage files "<prefix>map_*" and the runtime directory.
 * Returns how many are left (0: clean); with remove, removes them (for a
 * child that had to be killed).
 */
static inline int drv_test_leftovers(const char *base, pid_t pid, bool remove)
{
	char prefix[96], huge[112], mnt[256] = "", rt[256];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n = 0;

	snprintf(prefix, sizeof(prefix), "%s_%d", base, (int)pid);
	snprintf(huge, sizeof(huge), "%smap_", prefix);
	tern__hugepages_free("/proc/meminfo", "/proc/mounts", mnt, sizeof(mnt));
	if (mnt[0] != '\0')
		n += drv_test_files(mnt, huge, false, remove);
	/* The EAL's runtime dir: /var/run/dpdk for root, else under XDG. */
	snprintf(rt, sizeof(rt), "%s/dpdk", geteuid() == 0 || xdg == NULL ?
		 "/var/run" : xdg);
	return n + drv_test_files(rt, prefix, true, remove);
}

/* Destroys this process's EAL (from drv_test_eal) and checks it left
 * nothing behind. Returns 0, or -1 on an error or a leftover file. */
static inline int drv_test_eal_destroy(struct tern_eal *eal, const char *name)
{
	char base[64];

	snprintf(base, sizeof(base), "tern_t_%s", name);
	if (tern_eal_destroy(eal) < 0)
		return -1;
	return drv_test_leftovers(base, getpid(), false) == 0 ? 0 : -1;
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
