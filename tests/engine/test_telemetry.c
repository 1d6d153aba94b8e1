/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engines through DPDK telemetry (engine/telemetry.c): the test starts
 * the EAL with a prefix of its own, talks to its dpdk_telemetry.v2 socket
 * as dpdk-telemetry.py would, and checks the replies against what the same
 * process reads in-process.
 *
 * - lists_and_forgets: /tern/engines names a live engine by address, port
 *   and worker; unknown ids and junk answer null; a destroyed engine is
 *   gone from every command.
 * - counters_after_traffic: after valid datagrams, bad checksums, a port
 *   with no socket and a runt over a ring pair, every counter of the reply
 *   equals tern_engine_stats() by name, the law holds, udp_ports lists the
 *   sockets.
 * - law_broken: an engine whose counts do not add up (rx_packets bumped
 *   by hand) answers law_ok 0, law_in one above law_out.
 * - running_group: two engines on two running cores of a group, echoing:
 *   each listed with its core's telemetry id, read from telemetry's thread
 *   while they count (the law seen holding, rx_packets moving), and equal
 *   to tern_engine_stats() once the cores stopped.
 * - destroy_while_read: a second client asks for an engine's counters in
 *   a loop while the test thread makes and destroys it 40 times, each reply
 *   slowed to about 2 ms (the law broken by hand): every reply is either
 *   that engine's or null, never a freed engine's (ASan watches too).
 *
 * Skips (77) when the EAL or its socket cannot be made (not root, no
 * hugepages). Every test ends with every mbuf back in the pool.
 */
#include <pthread.h>

#include "grp_test.h"
#include "../tel_client.h"
/* White box: the field table and the engine's counters (law_broken,
 * destroy_while_read bump one by hand). */
#include "../../engine/engine_internal.h"
#include "../../engine/telemetry.h"

#define ECHO_PORT 7
#define OTHER_PORT 9000
#define NO_PORT 8
#define MS (UINT64_C(1000000))
#define RACE_ROUNDS 40

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct rte_mempool *mp;
static struct tel_client tc;
static struct eng_fix F;

/* ---------------------------------------------------------------- helpers */

static void cmd_of(char *buf, size_t n, const char *cmd, int id)
{
	snprintf(buf, n, "%s,%d", cmd, id);
}

/* The reply to @cmd,@id. */
static const char *ask_id(const char *cmd, int id)
{
	char buf[64];

	cmd_of(buf, sizeof(buf), cmd, id);
	return tel_ask(&tc, buf);
}

static void assert_null_reply(const char *cmd_with_params, const char *cmd)
{
	char want[80];

	snprintf(want, sizeof(want), "{\"%s\":null}", cmd);
	assert_string_equal(tel_ask(&tc, cmd_with_params), want);
}

/* How many keys the dict of a one-command reply holds. */
static int count_keys(const char *json)
{
	int n = -1; /* the command's own key */

	for (const char *p = json; (p = strstr(p, "\":")) != NULL; p += 2)
		n++;
	return n;
}

/* Every counter of @reply by name equals @st's, the law is as @st says,
 * and the dict holds nothing else but who the engine is. */
static void assert_reply_is(const char *reply, const struct tern_engine_stats *st)
{
	uint64_t in = st->rx_packets + st->udp_fwd_recv;
	uint64_t out = st->delivered + tern_engine_drops_total(st) + st->ip_frag_held;

	for (size_t i = 0; i < eng_stat_nfields; i++)
		assert_int_equal(tel_field(reply, eng_stat_fields[i].name),
				 *(const uint64_t *)((const char *)st + eng_stat_fields[i].off));
	assert_int_equal(tel_field(reply, "drops_total"), tern_engine_drops_total(st));
	assert_int_equal(tel_field(reply, "law_in"), in);
	assert_int_equal(tel_field(reply, "law_out"), out);
	assert_int_equal(tel_field(reply, "law_ok"), in == out);
	assert_int_equal(count_keys(reply), (int)eng_stat_nfields + 8);
}

/* /tern/engines names engine @id as @desc. */
static bool listed_as(int id, const char *desc)
{
	char want[128];

	snprintf(want, sizeof(want), "\"%d\":\"%s\"", id, desc);
	return strstr(tel_ask(&tc, "/tern/engines"), want) != NULL;
}

static int fix_up(void)
{
	F.mp = mp;
	return eng_fix_up(&F, pool, "tel", 0, &eng_sched_virtual,
			  (struct tern_engine_conf){ .ip = ENG_IP });
}

static void peer_tx_n(struct rte_mbuf *(*make)(uint16_t i), uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		eng_peer_tx(&F, make(i));
}

static struct rte_mbuf *good_dgram(uint16_t i)
{
	return eng_udp_frame(&F, 1000 + i, ECHO_PORT, 16, (uint8_t)i);
}

static struct rte_mbuf *bad_cksum(uint16_t i)
{
	struct rte_mbuf *m = eng_udp_frame(&F, 2000 + i, ECHO_PORT, 16, 0);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(eng_ip_of(m) + 1);

	uh->dgram_cksum ^= 0x0101;
	return m;
}

static struct rte_mbuf *no_socket(uint16_t i)
{
	return eng_udp_frame(&F, 3000 + i, NO_PORT, 16, 0);
}

static struct rte_mbuf *runt(uint16_t i)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(F.mp);

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 10)); /* under an Ethernet header */
	memset(rte_pktmbuf_mtod(m, void *), 0xab, 10);
	return m;
}

/* ------------------------------------------------------------------ tests */

static void lists_and_forgets(void **state)
{
	char desc[64];
	int id;

	assert_int_equal(fix_up(), 0);
	id = tern_engine_telemetry_id(F.eng);
	assert_true(id >= 0);
	assert_int_equal(tern_engine_telemetry_id(NULL), -ENOENT);
	/* a core made alone is no telemetry core: no " core" */
	snprintf(desc, sizeof(desc), "10.0.0.1 port %u worker 0", tern_port_id(F.nic));
	assert_true(listed_as(id, desc));
	assert_null_reply("/tern/engine/stats,255", "/tern/engine/stats");
	assert_null_reply("/tern/engine/stats,256", "/tern/engine/stats");
	assert_null_reply("/tern/engine/stats,-1", "/tern/engine/stats");
	assert_null_reply("/tern/engine/stats,x0", "/tern/engine/stats");
	assert_null_reply("/tern/engine/stats", "/tern/engine/stats");
	assert_null_reply("/tern/engine/udp_ports,7x", "/tern/engine/udp_ports");
	assert_int_equal(tel_field(ask_id("/tern/engine/stats", id), "worker"), 0);

	assert_int_equal(eng_fix_teardown(&F, pool), 0);
	assert_false(listed_as(id, desc));
	cmd_of(desc, sizeof(desc), "/tern/engine/stats", id);
	assert_null_reply(desc, "/tern/engine/stats");
	cmd_of(desc, sizeof(desc), "/tern/engine/udp_ports", id);
	assert_null_reply(desc, "/tern/engine/udp_ports");
}

static void counters_after_traffic(void **state)
{
	struct tern_udp_sock *s7, *s9000;
	struct tern_engine_stats st;
	char want[64];
	const char *r;
	int id;

	assert_int_equal(fix_up(), 0);
	assert_int_equal(eng_fix_drain_garp(&F), 0);
	assert_int_equal(tern_udp_bind(F.eng, ECHO_PORT, NULL, &s7), 0);
	assert_int_equal(tern_udp_bind(F.eng, OTHER_PORT, NULL, &s9000), 0);
	peer_tx_n(good_dgram, 10);
	peer_tx_n(bad_cksum, 2);
	peer_tx_n(no_socket, 3);
	peer_tx_n(runt, 1);
	eng_pump(&F);
	tern_engine_stats(F.eng, &st);
	/* the traffic is what the test thinks, or the comparison proves little */
	assert_int_equal(st.rx_packets, 16);
	assert_int_equal(st.udp_delivered, 10);
	assert_int_equal(st.drops.udp_cksum, 2);
	assert_int_equal(st.drops.udp_no_port, 3);
	assert_int_equal(st.drops.eth_runt, 1);
	assert_int_equal(st.icmp_unreach_sent, 3);

	id = tern_engine_telemetry_id(F.eng);
	r = ask_id("/tern/engine/stats", id);
	assert_reply_is(r, &st);
	/* by the names an operator types */
	assert_int_equal(tel_field(r, "rx_packets"), 16);
	assert_int_equal(tel_field(r, "udp_cksum"), 2);
	assert_int_equal(tel_field(r, "udp_no_port"), 3);
	assert_int_equal(tel_field(r, "eth_runt"), 1);
	assert_int_equal(tel_field(r, "drops_total"), 6);
	assert_int_equal(tel_field(r, "law_in"), 16);
	assert_int_equal(tel_field(r, "law_ok"), 1);
	assert_non_null(strstr(r, "\"ip\":\"10.0.0.1\""));
	assert_int_equal(tel_field(r, "port"), tern_port_id(F.nic));
	assert_int_equal(tel_field(r, "core"), -1);

	snprintf(want, sizeof(want), "{\"/tern/engine/udp_ports\":[%d,%d]}", ECHO_PORT,
		 OTHER_PORT);
	assert_string_equal(ask_id("/tern/engine/udp_ports", id), want);
	assert_int_equal(tern_udp_close(s9000), 0);
	snprintf(want, sizeof(want), "{\"/tern/engine/udp_ports\":[%d]}", ECHO_PORT);
	assert_string_equal(ask_id("/tern/engine/udp_ports", id), want);

	assert_int_equal(tern_udp_close(s7), 0); /* frees the 10 queued */
	eng_assert_conserved(&F);
	assert_int_equal(eng_fix_teardown(&F, pool), 0);
}

static void law_broken(void **state)
{
	struct tern_engine_stats st;
	const char *r;
	int id;

	assert_int_equal(fix_up(), 0);
	assert_int_equal(eng_fix_drain_garp(&F), 0);
	peer_tx_n(no_socket, 2);
	eng_pump(&F);
	id = tern_engine_telemetry_id(F.eng);
	assert_int_equal(tel_field(ask_id("/tern/engine/stats", id), "law_ok"), 1);

	F.eng->st.rx_packets++; /* a frame received and never ended */
	tern_engine_stats(F.eng, &st);
	r = ask_id("/tern/engine/stats", id);
	assert_reply_is(r, &st);
	assert_int_equal(tel_field(r, "law_ok"), 0);
	assert_int_equal(tel_field(r, "law_in"), tel_field(r, "law_out") + 1);
	F.eng->st.rx_packets--;
	assert_int_equal(tel_field(ask_id("/tern/engine/stats", id), "law_ok"), 1);
	assert_int_equal(eng_fix_teardown(&F, pool), 0);
}

/* One round of datagrams on 64 flows, and the echoes back (bounded). */
static uint64_t group_round(struct grp_fix *g, uint8_t fill)
{
	struct rte_mbuf *pkts[64];
	uint64_t got = 0;

	for (uint16_t f = 0; f < 64; f++)
		eng_peer_tx(&g->p, eng_udp_frame(&g->p, 1000 + f, ECHO_PORT, 16, fill));
	for (int i = 0; i < 200 && got < 64; i++) {
		uint16_t n = grp_peer_rx(g, pkts, 64);

		got += n;
		rte_pktmbuf_free_bulk(pkts, n);
		if (n == 0)
			eng_pause_us(100);
	}
	return got;
}

static void running_group(void **state)
{
	struct grp_fix g = { .p.mp = mp };
	struct grp_echo e[GRP_CORES];
	struct tern_engine_stats st;
	uint64_t first[GRP_CORES], last[GRP_CORES], settled[GRP_CORES] = { 0 }, unsettled = 0;
	uint64_t deadline;
	int id[GRP_CORES];
	char desc[64];

	assert_int_equal(grp_fix_up(&g, "telg", pool, 0, false), 0);
	grp_echo_spawn(&g, e, ECHO_PORT);
	for (int w = 0; w < GRP_CORES; w++) {
		id[w] = tern_engine_telemetry_id(g.eng[w]);
		assert_true(id[w] >= 0);
		snprintf(desc, sizeof(desc), "10.0.0.1 port %u worker %d core %d",
			 tern_port_id(g.p.nic), w,
			 tern_core_telemetry_id(tern_cores_sched(g.cores, w)));
		assert_true(tern_core_telemetry_id(tern_cores_sched(g.cores, w)) >= 0);
		assert_true(listed_as(id[w], desc));
		first[w] = tel_field(ask_id("/tern/engine/stats", id[w]), "rx_packets");
	}
	assert_int_equal(tern_cores_start(g.cores), 0);
	deadline = eng_now_ns() + 5000 * MS;
	do { /* bounded: 5 s however loaded the machine is */
		group_round(&g, 0x11);
		for (int w = 0; w < GRP_CORES; w++) {
			const char *r = ask_id("/tern/engine/stats", id[w]);

			last[w] = tel_field(r, "rx_packets");
			if (tel_field(r, "law_ok") == 1)
				settled[w] += last[w] > first[w];
			else
				unsettled++;
		}
	} while ((settled[0] < 3 || settled[1] < 3) && eng_now_ns() < deadline);
	printf("running: %llu and %llu settled replies with traffic, %llu without the law\n",
	       (unsigned long long)settled[0], (unsigned long long)settled[1],
	       (unsigned long long)unsettled);
	for (int w = 0; w < GRP_CORES; w++)
		assert_true(settled[w] >= 3 && last[w] > first[w]);

	/* Stopped: one instant, the same as in-process. */
	assert_int_equal(tern_cores_stop(g.cores, 1000 * MS), 0);
	g.stopped = true;
	for (int w = 0; w < GRP_CORES; w++) {
		tern_engine_stats(g.eng[w], &st);
		assert_true(st.udp_delivered > 0);
		assert_reply_is(ask_id("/tern/engine/stats", id[w]), &st);
	}
	assert_int_equal(grp_fix_down(&g, pool, 1000), 0);
	for (int w = 0; w < GRP_CORES; w++) {
		cmd_of(desc, sizeof(desc), "/tern/engine/stats", id[w]);
		assert_null_reply(desc, "/tern/engine/stats");
	}
}

/* ----------------------------------------------------- destroy while read */

static struct {
	int id;                 /* the engine to ask for; -1: stop */
	uint64_t replies;       /* the engine's counters came back (law_ok 0
	                           once the test broke it, 1 just before) */
	uint64_t nulls;         /* null: no such engine at the time */
	uint64_t bad;           /* anything else */
} R;

static void *race_reader(void *arg)
{
	struct tel_client c;
	char cmd[64];
	int id;

	if (tel_open(&c) < 0) {
		__atomic_store_n(&R.bad, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	/* bounded: the test thread sets id -1 within its rounds */
	for (int i = 0; i < 1000000 && (id = __atomic_load_n(&R.id, __ATOMIC_ACQUIRE)) >= 0;
	     i++) {
		const char *r;

		cmd_of(cmd, sizeof(cmd), "/tern/engine/stats", id);
		r = tel_try(&c, cmd);
		if (r != NULL && (strstr(r, "\"rx_packets\":1,") || strstr(r, "\"rx_packets\":0,")) &&
		    strstr(r, "\"law_ok\":"))
			__atomic_fetch_add(&R.replies, 1, __ATOMIC_RELEASE);
		else if (r != NULL && strcmp(r, "{\"/tern/engine/stats\":null}") == 0)
			__atomic_fetch_add(&R.nulls, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&R.bad, 1, __ATOMIC_RELAXED);
	}
	tel_close(&c);
	return NULL;
}

static void destroy_while_read(void **state)
{
	struct tern_engine_conf ec = { .ip = ENG_IP, .pool = pool, .no_gratuitous_arp = true };
	uint64_t blocked = 0;
	pthread_t th;

	assert_int_equal(fix_up(), 0);
	ec.port = F.nic;
	ec.sched = F.core;
	memset(&R, 0, sizeof(R));
	R.id = tern_engine_telemetry_id(F.eng);
	assert_true(R.id >= 0);
	assert_int_equal(tern_engine_destroy(F.eng), 0); /* the id is free again */
	F.eng = NULL;
	assert_int_equal(pthread_create(&th, NULL, race_reader, NULL), 0);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		struct tern_engine *eng;
		uint64_t seen, t0;

		assert_int_equal(tern_engine_create(&ec, &eng), 0);
		assert_int_equal(tern_engine_telemetry_id(eng), R.id);
		eng->st.rx_packets = 1; /* the law broken: each reply takes ~2 ms */
		/* Wait for one of its replies, so that the next is likely under
		 * way when destroy runs (bounded: 2 s). */
		seen = __atomic_load_n(&R.replies, __ATOMIC_ACQUIRE);
		for (int k = 0; k < 20000 && __atomic_load_n(&R.replies, __ATOMIC_ACQUIRE) == seen;
		     k++)
			eng_pause_us(100);
		assert_true(__atomic_load_n(&R.replies, __ATOMIC_ACQUIRE) > seen);
		t0 = eng_now_ns();
		assert_int_equal(tern_engine_destroy(eng), 0);
		blocked += eng_now_ns() - t0 > 500000; /* waited for a reply */
	}
	__atomic_store_n(&R.id, -1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(th, NULL), 0);
	printf("destroy_while_read: %llu replies, %llu null, %d of %d destroys waited for one\n",
	       (unsigned long long)R.replies, (unsigned long long)R.nulls, (int)blocked,
	       RACE_ROUNDS);
	assert_int_equal(R.bad, 0);
	assert_true(R.replies >= RACE_ROUNDS);
	assert_int_equal(eng_fix_teardown(&F, pool), 0); /* F.eng NULL: ignored */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lists_and_forgets),
		cmocka_unit_test(counters_after_traffic),
		cmocka_unit_test(law_broken),
		cmocka_unit_test(running_group),
		cmocka_unit_test(destroy_while_read),
	};
	int rc;

	if (eng_test_pool_up("telemetry", GRP_CORES, 1024, &eal, &pool, &mp) < 0) {
		printf("SKIP: the EAL or its pool did not start (needs root and hugepages)\n");
		tern_eal_destroy(eal);
		return SKIP;
	}
	if (tel_open(&tc) < 0) {
		eng_test_pool_down(eal, pool);
		return SKIP;
	}
	rc = cmocka_run_group_tests_name("engine_telemetry", tests, NULL, NULL);
	tel_close(&tc);
	return eng_test_pool_down(eal, pool) < 0 ? 1 : rc;
}
