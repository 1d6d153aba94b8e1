/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap files for --replay and --reply-pcap, through libpcap: both nanosecond
 * and microsecond captures are read (in nanoseconds), of Ethernet, raw IPv4
 * or Linux "any" (SLL) link types. Runs before the core starts and after it
 * stops: file I/O never runs on the polling core.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>

#include "gen.h"

#define SLL_HDR 16

static void gen_pcap_frame(struct gen_app *a, int link, const struct pcap_pkthdr *h,
			   const uint8_t *p)
{
	struct gen_replay *rp = &a->rp;
	uint64_t ts = (uint64_t)h->ts.tv_sec * GEN_NS_PER_S + (uint64_t)h->ts.tv_usec;

	rp->read++;
	switch (link) {
	case DLT_EN10MB:
		gen_replay_eth(rp, a->o.flows, ts, p, h->caplen);
		break;
	case DLT_RAW:
	case DLT_IPV4:
		gen_replay_ip(rp, a->o.flows, ts, p, h->caplen);
		break;
	case DLT_LINUX_SLL:
		if (h->caplen < SLL_HDR || p[14] != 0x08 || p[15] != 0x00)
			rp->skip_not_udp++;
		else
			gen_replay_ip(rp, a->o.flows, ts, p + SLL_HDR, h->caplen - SLL_HDR);
		break;
	default:
		rp->skip_link++;
	}
}

int gen_pcap_load(struct gen_app *a, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *p;
	pcap_t *pc;
	int link, rc;

	/* nanosecond precision: libpcap scales microsecond files up */
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (pc == NULL) {
		fprintf(stderr, "gen: --replay %s: %s\n", path, err);
		return -ENOENT;
	}
	link = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1 && a->rp.err == 0)
		gen_pcap_frame(a, link, h, p);
	if (rc == PCAP_ERROR)
		fprintf(stderr, "gen: --replay %s: %s (read %llu frames)\n", path,
			pcap_geterr(pc), (unsigned long long)a->rp.read);
	pcap_close(pc);
	if (a->rp.err < 0)
		fprintf(stderr, "gen: --replay %s: %s after %u datagrams\n", path,
			a->rp.err == -E2BIG ? "too large (16M datagrams or 1 GiB of payload)" :
			"out of memory", a->rp.n);
	return a->rp.err < 0 ? a->rp.err : rc == PCAP_ERROR ? -EIO : 0;
}

/* The replies kept during the run; their TSC becomes wall-clock time. */
int gen_pcap_write(struct gen_app *a, const char *path)
{
	struct gen_replies *r = &a->replies;
	uint64_t now_tsc = rte_rdtsc();
	struct timespec now;
	pcap_dumper_t *d;
	pcap_t *pc;

	clock_gettime(CLOCK_REALTIME, &now);
	pc = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	d = pc != NULL ? pcap_dump_open(pc, path) : NULL;
	if (d == NULL) {
		fprintf(stderr, "gen: --reply-pcap %s: %s\n", path,
			pc != NULL ? pcap_geterr(pc) : "cannot make a pcap handle");
		if (pc != NULL)
			pcap_close(pc);
		return -EIO;
	}
	for (size_t off = 0; off < r->used;) {
		struct pcap_pkthdr h = { 0 };
		uint64_t tsc, ns;
		uint16_t len;

		memcpy(&tsc, r->buf + off, sizeof(tsc));
		memcpy(&len, r->buf + off + sizeof(tsc), sizeof(len));
		off += sizeof(tsc) + sizeof(len);
		ns = (uint64_t)now.tv_sec * GEN_NS_PER_S + (uint64_t)now.tv_nsec -
		     (uint64_t)((double)(now_tsc - tsc) * a->ns_per_tsc);
		h.ts.tv_sec = (time_t)(ns / GEN_NS_PER_S);
		h.ts.tv_usec = (suseconds_t)(ns % GEN_NS_PER_S); /* ns: the file's precision */
		h.caplen = h.len = len;
		pcap_dump((u_char *)d, &h, r->buf + off);
		off += len;
		r->written++;
	}
	if (pcap_dump_flush(d) != 0) {
		fprintf(stderr, "gen: --reply-pcap %s: write failed\n", path);
		pcap_dump_close(d);
		pcap_close(pc);
		return -EIO;
	}
	pcap_dump_close(d);
	pcap_close(pc);
	return 0;
}
