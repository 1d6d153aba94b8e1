/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What tern-gen prints: a start line, one line per second and a summary;
 * JSON lines (one object each) when stdout is not a terminal or with
 * --json, so scripts read the same numbers people see.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include <rte_cycles.h>

#include "gen.h"

static const char *gen_ip(uint32_t ip, char *buf)
{
	struct in_addr in = { htonl(ip) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

void gen_report_start(struct gen_app *a)
{
	const struct gen_opts *o = &a->o;
	const char *dist = o->dist == GEN_POISSON ? "poisson" : "constant";
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];

	gen_ip(o->ip, src);
	gen_ip(o->dst_ip, dst);
	if (gen_replaying(a))
		dist = o->timing == GEN_TIMING_CAPTURE ? "capture" : dist;
	if (o->json)
		printf("{\"start\":{\"src\":\"%s\",\"dst\":\"%s:%u\",\"flows\":%u,\"rate_pps\":%llu,"
		       "\"dist\":\"%s\",\"frame_bytes\":%u,\"burst\":%u,\"seconds\":%llu,"
		       "\"count\":%llu,\"udp_cksum\":%s}}\n", src, dst, o->dst_port, o->flows,
		       (unsigned long long)o->rate, dist, gen_replaying(a) ? 0 : o->size, o->burst,
		       (unsigned long long)o->seconds, (unsigned long long)o->count,
		       o->no_udp_cksum ? "false" : "true");
	else if (gen_replaying(a))
		printf("gen: replaying %u datagrams of %s %llu time(s) -> %s:%u, %u flow(s), %s\n",
		       a->rp.n, o->replay, (unsigned long long)o->loops, dst, o->dst_port, o->flows,
		       o->timing == GEN_TIMING_CAPTURE ? "at the capture's timing" : "at --rate");
	else
		printf("gen: %s -> %s:%u, %u flow(s), %llu pps %s, %u-byte frames, bursts of %u%s\n",
		       src, dst, o->dst_port, o->flows, (unsigned long long)o->rate, dist,
		       o->size, o->burst, o->no_udp_cksum ? ", no UDP checksum" : "");
	fflush(stdout);
}

/* Requests sent before the previous tick and still unanswered. */
static uint64_t gen_lost_so_far(const struct gen_app *a, const struct gen_counters *prev)
{
	uint64_t answered = a->c.rx + a->c.late;

	return prev->tx > answered ? prev->tx - answered : 0;
}

void gen_report_tick(struct gen_app *a, double t, struct gen_counters *prev, double dt)
{
	double tx = (double)(a->c.tx - prev->tx) / dt, rx = (double)(a->c.rx - prev->rx) / dt;
	uint64_t p50 = hist_percentile(a->tick, 50), p99 = hist_percentile(a->tick, 99);
	uint64_t lost = gen_lost_so_far(a, prev);

	if (a->o.json)
		printf("{\"t\":%.1f,\"tx_pps\":%.0f,\"rx_pps\":%.0f,\"tx\":%llu,\"rx\":%llu,"
		       "\"lost\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu}\n", t, tx, rx,
		       (unsigned long long)a->c.tx, (unsigned long long)a->c.rx,
		       (unsigned long long)lost, (unsigned long long)p50,
		       (unsigned long long)p99);
	else
		printf("t=%4.1fs  tx %9.0f pps  rx %9.0f pps  lost %llu  p50 %8.1f us  p99 %8.1f us\n",
		       t, tx, rx, (unsigned long long)lost, p50 / 1e3, p99 / 1e3);
	fflush(stdout);
	hist_merge(a->total, a->tick);
	hist_reset(a->tick);
	*prev = a->c;
}

/*
 * What a replay did with every frame of its file and every send it owed:
 * sent (tx), not sent (unsent: still due when the run stopped, or refused),
 * skipped at load by reason; and the replies kept for --reply-pcap.
 */
static void gen_summary_replay_json(const struct gen_app *a)
{
	const struct gen_replay *rp = &a->rp;
	uint64_t due = a->o.count;

	printf(",\"replay\":{\"frames_read\":%llu,\"datagrams\":%u,\"loops\":%llu,"
	       "\"due\":%llu,\"sent\":%llu,\"unsent\":%llu,\"replies\":%llu,"
	       "\"skipped\":{\"not_udp\":%llu,\"fragment\":%llu,\"malformed\":%llu,"
	       "\"too_big\":%llu,\"link_type\":%llu},\"reply_pcap_kept\":%llu,"
	       "\"reply_pcap_overflow\":%llu}",
	       (unsigned long long)rp->read, rp->n, (unsigned long long)a->o.loops,
	       (unsigned long long)due, (unsigned long long)a->c.tx,
	       (unsigned long long)(due > a->c.tx ? due - a->c.tx : 0),
	       (unsigned long long)a->c.rx, (unsigned long long)rp->skip_not_udp,
	       (unsigned long long)rp->skip_fragment, (unsigned long long)rp->skip_malformed,
	       (unsigned long long)rp->skip_too_big, (unsigned long long)rp->skip_link,
	       (unsigned long long)a->replies.kept, (unsigned long long)a->replies.overflow);
}

static void gen_summary_replay_text(const struct gen_app *a)
{
	const struct gen_replay *rp = &a->rp;
	uint64_t due = a->o.count;

	printf("gen: replay: %llu frames read, %u datagrams x %llu loop(s) = %llu due, "
	       "sent %llu, not sent %llu, replies %llu\n", (unsigned long long)rp->read, rp->n,
	       (unsigned long long)a->o.loops, (unsigned long long)due,
	       (unsigned long long)a->c.tx,
	       (unsigned long long)(due > a->c.tx ? due - a->c.tx : 0),
	       (unsigned long long)a->c.rx);
	printf("gen: replay: skipped frames: not IPv4/UDP %llu, fragments %llu, malformed %llu, "
	       "payload over %u bytes %llu, link type %llu\n",
	       (unsigned long long)rp->skip_not_udp, (unsigned long long)rp->skip_fragment,
	       (unsigned long long)rp->skip_malformed, GEN_REPLAY_PAYLOAD_MAX,
	       (unsigned long long)rp->skip_too_big, (unsigned long long)rp->skip_link);
}

/* s as a JSON string: a path may hold quotes, backslashes or controls. */
static void gen_json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* The line after the run about --reply-pcap's file. */
void gen_report_replies(struct gen_app *a, int rc)
{
	const struct gen_replies *r = &a->replies;

	if (a->o.json) {
		printf("{\"reply_pcap\":{\"file\":");
		gen_json_string(a->o.reply_pcap);
		printf(",\"written\":%llu,\"overflow\":%llu,\"error\":%d}}\n",
		       (unsigned long long)r->written, (unsigned long long)r->overflow, rc);
	} else {
		printf("gen: %llu replies written to %s%s\n", (unsigned long long)r->written,
		       a->o.reply_pcap, rc < 0 ? ": FAILED" : "");
		if (r->overflow > 0)
			printf("gen: %llu replies not written: the %u MiB buffer was full\n",
			       (unsigned long long)r->overflow, GEN_REPLIES_BYTES >> 20);
	}
	fflush(stdout);
}

static void gen_summary_json(struct gen_app *a, double secs, uint64_t lost, const uint64_t *p)
{
	const struct gen_counters *c = &a->c;
	const struct hist *h = a->total;

	printf("{\"summary\":{\"seconds\":%.3f,\"offered_pps\":%llu,\"tx\":%llu,\"rx\":%llu,"
	       "\"lost\":%llu,\"loss_pct\":%.6f,\"dup\":%llu,\"late\":%llu,\"bad\":%llu,"
	       "\"tx_pps\":%.0f,\"rx_pps\":%.0f,\"tx_retry\":%llu,\"alloc_fail\":%llu,"
	       "\"latency_ns\":{\"n\":%llu,\"min\":%llu,\"mean\":%.0f,\"p50\":%llu,\"p90\":%llu,"
	       "\"p99\":%llu,\"p99.9\":%llu,\"max\":%llu},\"rx_drops\":%llu,\"behind_ms\":%.1f,\"error\":%d",
	       secs, (unsigned long long)a->o.rate, (unsigned long long)c->tx,
	       (unsigned long long)c->rx, (unsigned long long)lost,
	       c->tx ? 100.0 * (double)lost / (double)c->tx : 0.0, (unsigned long long)c->dup,
	       (unsigned long long)c->late, (unsigned long long)c->bad, c->tx / secs,
	       c->rx / secs, (unsigned long long)c->tx_retry, (unsigned long long)c->alloc_fail,
	       (unsigned long long)h->count, (unsigned long long)hist_min(h),
	       h->count ? (double)h->sum / (double)h->count : 0.0, (unsigned long long)p[0],
	       (unsigned long long)p[1], (unsigned long long)p[2], (unsigned long long)p[3],
	       (unsigned long long)h->max,
	       (unsigned long long)tern_engine_drops_total(&a->eng_stats),
	       a->behind_tsc * a->ns_per_tsc / 1e6, a->err);
	if (gen_replaying(a))
		gen_summary_replay_json(a);
	printf("}}\n");
}

static void gen_summary_text(struct gen_app *a, double secs, uint64_t lost, const uint64_t *p)
{
	const struct gen_counters *c = &a->c;
	const struct hist *h = a->total;

	printf("gen: summary: %.2f s, offered %llu pps, sent %llu (%.0f pps), received %llu "
	       "(%.0f pps), lost %llu (%.4f%%), dup %llu, late %llu, bad %llu\n", secs,
	       (unsigned long long)a->o.rate, (unsigned long long)c->tx, c->tx / secs,
	       (unsigned long long)c->rx, c->rx / secs, (unsigned long long)lost,
	       c->tx ? 100.0 * (double)lost / (double)c->tx : 0.0, (unsigned long long)c->dup,
	       (unsigned long long)c->late, (unsigned long long)c->bad);
	printf("gen: latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  "
	       "(min %.1f, mean %.1f, n %llu)\n", p[0] / 1e3, p[1] / 1e3, p[2] / 1e3,
	       p[3] / 1e3, h->max / 1e3, hist_min(h) / 1e3,
	       h->count ? (double)h->sum / (double)h->count / 1e3 : 0.0,
	       (unsigned long long)h->count);
	if (tern_engine_drops_total(&a->eng_stats) > 0)
		printf("gen: this side's engine dropped %llu received frames (socket queue full %llu)\n",
		       (unsigned long long)tern_engine_drops_total(&a->eng_stats),
		       (unsigned long long)a->eng_stats.drops.udp_queue_full);
	if (a->behind_tsc > 0)
		printf("gen: the sender was %.1f ms behind its schedule at the end: the path "
		       "sustains less than the offered rate\n", a->behind_tsc * a->ns_per_tsc / 1e6);
	if (c->tx_retry || c->alloc_fail)
		printf("gen: TX full %llu times, mbuf pool empty %llu times (sends were late, "
		       "not skipped)\n", (unsigned long long)c->tx_retry,
		       (unsigned long long)c->alloc_fail);
	if (gen_replaying(a))
		gen_summary_replay_text(a);
}

void gen_report_summary(struct gen_app *a)
{
	uint64_t stop = a->stop_tsc ? a->stop_tsc : rte_rdtsc();
	double secs = (double)(stop - a->start_tsc) / (double)rte_get_tsc_hz();
	uint64_t answered = a->c.rx + a->c.late;
	uint64_t lost = a->c.tx > answered ? a->c.tx - answered : 0;
	uint64_t p[4];

	hist_merge(a->total, a->tick);
	hist_reset(a->tick);
	tern_engine_stats(a->eng, &a->eng_stats);
	p[0] = hist_percentile(a->total, 50);
	p[1] = hist_percentile(a->total, 90);
	p[2] = hist_percentile(a->total, 99);
	p[3] = hist_percentile(a->total, 99.9);
	secs = secs > 0 ? secs : 1e-9;
	if (a->o.json)
		gen_summary_json(a, secs, lost, p);
	else
		gen_summary_text(a, secs, lost, p);
	fflush(stdout);
}
