/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --replay: the UDP datagrams of a capture, sent open loop by the usual
 * pacing (gen_tx.c) at --rate or at the capture's own timing, --loops
 * times. Only the payloads (and, with --keep-dst-port, the destination
 * ports) are replayed: they leave from our address and flows to --dst, so
 * the DUT accepts them and answers us, and the engine makes the headers
 * and checksums. A captured source ip:port always maps to one flow, so a
 * conversation stays on one socket. Replies are counted as they come; they
 * carry no stamp of ours, so there is no latency in this mode.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "gen.h"

#define ETH_HDR 14
#define ETH_P_IPV4 0x0800
#define ETH_P_VLAN 0x8100
#define ETH_P_QINQ 0x88a8
#define IP_P_UDP 17

static int gen_replay_grow(struct gen_replay *rp, uint16_t len)
{
	if (rp->n == rp->cap) {
		uint32_t cap = rp->cap ? rp->cap * 2 : 1024;
		void *f;

		if (rp->cap >= GEN_REPLAY_FRAMES_MAX)
			return -E2BIG;
		f = realloc(rp->f, (size_t)cap * sizeof(*rp->f));
		if (f == NULL)
			return -ENOMEM;
		rp->f = f;
		rp->cap = cap;
	}
	if (rp->data_len + len > rp->data_cap) {
		size_t cap = rp->data_cap ? rp->data_cap * 2 : 64 * 1024;
		void *d;

		if (rp->data_len + len > GEN_REPLAY_DATA_MAX)
			return -E2BIG;
		d = realloc(rp->data, cap);
		if (d == NULL)
			return -ENOMEM;
		rp->data = d;
		rp->data_cap = cap;
	}
	return 0;
}

/* A captured source, always to the same flow: a conversation stays on one socket. */
static uint16_t gen_replay_hash(uint32_t ip, uint16_t port, uint16_t flows)
{
	uint64_t h = (uint64_t)ip << 16 | port;

	/* splitmix64's finaliser: neighbouring addresses spread over all flows */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return (uint16_t)((h ^ (h >> 31)) % flows);
}

static void gen_replay_add(struct gen_replay *rp, uint16_t flows, uint64_t ts_ns,
			   uint32_t src_ip, uint16_t src_port, uint16_t dst_port,
			   const uint8_t *payload, uint16_t len)
{
	struct gen_replay_frame *f;
	int rc = rp->err ? rp->err : gen_replay_grow(rp, len);

	if (rc < 0) {
		rp->err = rc;
		return;
	}
	if (rp->n == 0)
		rp->first_ns = ts_ns;
	f = &rp->f[rp->n];
	/* a capture's clock may step back: such a frame goes at once */
	f->ts_ns = ts_ns > rp->first_ns ? ts_ns - rp->first_ns : 0;
	if (rp->n > 0 && f->ts_ns < f[-1].ts_ns)
		f->ts_ns = f[-1].ts_ns;
	f->off = (uint32_t)rp->data_len;
	f->len = len;
	f->dst_port = dst_port;
	f->flow = gen_replay_hash(src_ip, src_port, flows);
	memcpy(rp->data + rp->data_len, payload, len);
	rp->data_len += len;
	rp->n++;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* One IPv4 packet at p (caplen bytes captured): its UDP payload, or a skip. */
void gen_replay_ip(struct gen_replay *rp, uint16_t flows, uint64_t ts_ns,
		   const uint8_t *p, uint32_t caplen)
{
	uint32_t ihl, udp_len;

	if (caplen >= 1 && (p[0] >> 4) != 4) {
		rp->skip_not_udp++;        /* IPv6 in a raw capture */
		return;
	}
	if (caplen < 20) {
		rp->skip_malformed++;
		return;
	}
	if (p[9] != IP_P_UDP) {
		rp->skip_not_udp++;
		return;
	}
	if (rd16(p + 6) & 0x3fff) {      /* MF set or an offset: RFC 791 */
		rp->skip_fragment++;
		return;
	}
	ihl = (p[0] & 0xfu) * 4u;
	if (ihl < 20 || caplen < ihl + 8 || (udp_len = rd16(p + ihl + 4)) < 8 ||
	    ihl + udp_len > caplen || ihl + udp_len > rd16(p + 2)) {
		rp->skip_malformed++;
		return;
	}
	if (udp_len - 8 > GEN_REPLAY_PAYLOAD_MAX) {
		rp->skip_too_big++;
		return;
	}
	gen_replay_add(rp, flows, ts_ns, (uint32_t)rd16(p + 12) << 16 | rd16(p + 14),
		       rd16(p + ihl), rd16(p + ihl + 2), p + ihl + 8, (uint16_t)(udp_len - 8));
}

/* One Ethernet frame, with up to two VLAN tags. */
void gen_replay_eth(struct gen_replay *rp, uint16_t flows, uint64_t ts_ns,
		    const uint8_t *p, uint32_t caplen)
{
	uint32_t off = ETH_HDR - 2;
	uint16_t type;

	for (int tags = 0; tags <= 2; tags++, off += 4) {
		if (caplen < off + 2) {
			rp->skip_malformed++;
			return;
		}
		type = rd16(p + off);
		if (type != ETH_P_VLAN && type != ETH_P_QINQ)
			break;
	}
	if (type != ETH_P_IPV4) {
		rp->skip_not_udp++;
		return;
	}
	gen_replay_ip(rp, flows, ts_ns, p + off + 2, caplen - off - 2);
}

/* Loads --replay, then bounds the run by its frames times --loops. */
int gen_replay_setup(struct gen_app *a)
{
	struct gen_replay *rp = &a->rp;
	uint64_t total;
	int rc = gen_pcap_load(a, a->o.replay);

	if (rc < 0)
		return rc;
	if (rp->n == 0) {
		fprintf(stderr, "gen: %s: no IPv4/UDP datagram to replay (%llu frames read)\n",
			a->o.replay, (unsigned long long)rp->read);
		return -ENODATA;
	}
	total = (uint64_t)rp->n * a->o.loops;
	if (a->o.count == 0 || a->o.count > total)
		a->o.count = total;
	rp->tsc_per_ns = (double)rte_get_tsc_hz() / 1e9 / a->o.speed;
	if (a->o.reply_pcap != NULL) {
		a->replies.cap = GEN_REPLIES_BYTES;
		a->replies.buf = malloc(a->replies.cap);
		if (a->replies.buf == NULL)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Capture timing: TSC cycles from send k to send k+1, as captured (scaled
 * by --speed). Between loops, the capture's mean gap. -1 when the capture
 * gives none (a single frame): the caller uses --rate's.
 */
double gen_replay_gap(const struct gen_app *a, uint64_t k)
{
	const struct gen_replay *rp = &a->rp;
	uint32_t i = (uint32_t)(k % rp->n);

	if (i + 1 < rp->n)
		return (double)(rp->f[i + 1].ts_ns - rp->f[i].ts_ns) * rp->tsc_per_ns;
	if (rp->n == 1)
		return -1;
	return (double)rp->f[rp->n - 1].ts_ns / (rp->n - 1) * rp->tsc_per_ns;
}

uint16_t gen_replay_flow(const struct gen_app *a, uint64_t k)
{
	return a->rp.f[k % a->rp.n].flow;
}

uint16_t gen_replay_port(const struct gen_app *a, uint64_t k)
{
	return a->o.keep_dst_port ? a->rp.f[k % a->rp.n].dst_port : a->o.dst_port;
}

/* One burst goes to one socket and one destination: sends k0 and k may share it. */
bool gen_replay_same_dest(const struct gen_app *a, uint64_t k0, uint64_t k)
{
	return gen_replay_flow(a, k0) == gen_replay_flow(a, k) &&
	       gen_replay_port(a, k0) == gen_replay_port(a, k);
}

/* Send k's payload into m, a spare or the pool's (gen_mbuf_prep): at most
 * 1472 bytes, which the engine's pool mbufs always hold. */
void gen_replay_fill(struct gen_app *a, struct rte_mbuf *m, uint64_t k)
{
	const struct gen_replay_frame *f = &a->rp.f[k % a->rp.n];
	void *p;

	if (f->len <= a->tx_room) {
		p = gen_mbuf_prep(m, a->tx_rearm, f->len);
	} else { /* mbufs too small for it (not the engine's pool): sent empty */
		rte_pktmbuf_reset(m);
		p = rte_pktmbuf_append(m, f->len);
	}
	if (p != NULL)
		memcpy(p, a->rp.data + f->off, f->len);
}

/* A reply: counted, and kept for --reply-pcap while the buffer has room. */
void gen_replay_reply(struct gen_app *a, const struct tern_udp_dgram *d, uint64_t now)
{
	struct gen_replies *r = &a->replies;
	const uint8_t *frame;
	uint16_t hdrs, len;

	a->c.rx++;
	if (r->buf == NULL)
		return;
	hdrs = (uint16_t)(d->m->l2_len + d->m->l3_len + 8);
	frame = (const uint8_t *)d->data - hdrs;
	len = (uint16_t)(d->len + hdrs);
	if (frame < (const uint8_t *)d->m->buf_addr ||
	    r->used + sizeof(now) + sizeof(len) + len > r->cap) {
		r->overflow++;
		return;
	}
	memcpy(r->buf + r->used, &now, sizeof(now));
	memcpy(r->buf + r->used + sizeof(now), &len, sizeof(len));
	memcpy(r->buf + r->used + sizeof(now) + sizeof(len), frame, len);
	r->used += sizeof(now) + sizeof(len) + len;
	r->kept++;
}

/* After the run, with the core stopped: the file I/O of --reply-pcap. */
int gen_replay_finish(struct gen_app *a)
{
	if (a->o.reply_pcap == NULL || a->replies.buf == NULL)
		return 0;
	return gen_pcap_write(a, a->o.reply_pcap);
}

void gen_replay_free(struct gen_app *a)
{
	free(a->rp.f);
	free(a->rp.data);
	free(a->replies.buf);
}
