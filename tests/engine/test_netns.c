/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine on a tap port inside a network namespace this test creates
 * (unshare: it dies with the process). Real kernel clients: `ping` gets
 * its echo replies, and a python3 UDP socket gets every datagram echoed by
 * an echo task; scapy (Debian's, under /usr/bin/python3) sends malformed
 * frames from the kernel side of the tap, each dropped under its counter,
 * and a datagram in two fragments, reassembled. The engine's own sends
 * (tern_udp_sendto, and replies rebuilt with new headers) reach a kernel
 * socket whose UDP checksum check passes, twice: with checksums computed
 * in software and with the tap's TX checksum offload; and from a socket
 * set to send no UDP checksum, whose datagrams arrive with 0 (seen on the
 * tap by a packet socket) and are taken all the same.
 * Bounded: each client has a deadline and a packet count.
 * Needs root; exits 77 otherwise (and skips the scapy test without scapy).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "eng_test.h"

#define ENG_IP_NS 0x0a620002u      /* 10.98.0.2: the engine */
#define ENG_IP_NS_STR "10.98.0.2"

#define IFACE "terneng0"
#define KERNEL_IP "10.98.0.1"

static struct tern_eal *eal;
static struct tern_mbuf_pool *pool;
static struct eng_fix F;
static uint32_t base;
static uint32_t want_offloads; /* TERN_OFFLOAD_* of the group running */

/* Runs cmd in a child while this thread drives the core; kills it after
 * limit_s. Returns its exit status (-1: killed or not run). */
static int run_client(const char *cmd, int limit_s)
{
	uint64_t t0 = rte_get_timer_cycles(), hz = rte_get_timer_hz();
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (tern_sched_run_once(F.core) == 0)
			usleep(50);
		if (rte_get_timer_cycles() - t0 > (uint64_t)limit_s * hz) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

static int setup(void **state)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 1, .nb_workers = 1, .rx_desc = 256,
					   .tx_desc = 256, .extra = 256 };
	struct tern_port_conf c = { .preset = TERN_PORT_TAP, .name = "eng0", .iface = IFACE,
				    .nb_workers = 1, .rx_desc = 256, .tx_desc = 256,
				    .link_wait_ms = 2000, .offloads = want_offloads };
	struct tern_engine_conf ec = { .ip = ENG_IP_NS, .frag_timeout_ms = 200 };

	if (tern_mbuf_pool_create(&pc, &pool) < 0)
		return -1;
	c.pool = pool;
	if (tern_port_create(&c, &F.nic) < 0 || tern_port_start(F.nic) < 0 ||
	    tern_sched_create(&(struct tern_sched_opts){ .unobserved = TERN_UNOBSERVED_ABORT },
			      &F.core) < 0)
		return -1;
	base = tern_mbuf_pool_in_use(pool);
	ec.port = F.nic;
	ec.pool = pool;
	ec.sched = F.core;
	if (tern_engine_create(&ec, &F.eng) < 0)
		return -1;
	if ((want_offloads & TERN_OFFLOAD_UDP_CKSUM_TX) &&
	    !(tern_port_offloads(F.nic) & TERN_OFFLOAD_UDP_CKSUM_TX)) {
		fprintf(stderr, "tap did not grant UDP TX checksum offload (0x%x)\n",
			tern_port_offloads(F.nic));
		return -1;
	}
	/* No IPv6 on the kernel side: its chatter would land in eth_not_ours
	 * and blur the exact counts of the malformed-frame test. */
	return sh("sysctl -qw net.ipv6.conf." IFACE ".disable_ipv6=1; ip link set lo up && "
		  "ip addr add " KERNEL_IP "/24 dev " IFACE " && ip link set " IFACE " up");
}

static int teardown(void **state)
{
	uint32_t n;
	int rc;

	if (tern_engine_destroy(F.eng) < 0)
		return -1;
	tern_sched_destroy(F.core);
	n = tern_mbuf_pool_in_use(pool);
	tern_port_stop(F.nic);
	tern_port_destroy(F.nic);
	rc = tern_mbuf_pool_destroy(pool);
	if (n > base)
		fprintf(stderr, "%u mbufs in use after the test, %u before\n", n, base);
	memset(&F, 0, sizeof(F));
	return rc ?: (n > base ? -1 : 0);
}

static int setup_offload(void **state)
{
	want_offloads = TERN_OFFLOAD_ALL;
	return setup(state);
}

static void test_kernel_ping(void **state)
{
	struct tern_engine_stats st;

	assert_int_equal(run_client("ping -c 3 -i 0.2 -W 1 " ENG_IP_NS_STR " >&2", 10), 0);
	tern_engine_stats(F.eng, &st);
	assert_true(st.icmp_echo_replies >= 3);
	assert_true(st.arp_replies >= 1);
	assert_int_equal(st.rx_packets, st.delivered + tern_engine_drops_total(&st));
}

static void test_kernel_udp_echo(void **state)
{
	static const char client[] =
		"/usr/bin/python3 -c 'import socket,sys\n"
		"s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(1)\n"
		"ok=0\n"
		"for i in range(50):\n"
		"  m=(\"tern %d \" % i).encode()*4; s.sendto(m,(\"" ENG_IP_NS_STR "\",7))\n"
		"  try:\n"
		"    d,a=s.recvfrom(2048); ok+= d==m and a[1]==7\n"
		"  except socket.timeout: pass\n"
		"print(\"echoed\",ok,file=sys.stderr); sys.exit(0 if ok==50 else 1)'";
	struct eng_echo e = { 0 };
	struct tern_engine_stats st;
	tern_task_t t, stop;

	assert_int_equal(tern_udp_bind(F.eng, 7, NULL, &e.s), 0);
	assert_int_equal(tern_task_spawn(eng_echo_task, &e, &(struct tern_task_opts){
		.sched = F.core, .name = "echo" }, &t), 0);
	assert_int_equal(run_client(client, 20), 0);
	assert_int_equal(tern_task_spawn(eng_echo_stop, &e, &(struct tern_task_opts){
		.sched = F.core, .name = "stop" }, &stop), 0);
	for (int i = 0; i < 100 && !tern_future_done(tern_task_future(t)); i++)
		tern_sched_run_once(F.core);
	assert_int_equal(tern_task_await(stop, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_udp_close(e.s), 0);
	tern_engine_stats(F.eng, &st);
	assert_true(st.udp_delivered >= 50);
	assert_int_equal(st.rx_packets, st.delivered + tern_engine_drops_total(&st));
}

/*
 * One frame of each malformed class, a good datagram, then an 1800-byte
 * datagram in two fragments (scapy's fragment()), as raw L2 from
 * the tap's kernel side (AF_PACKET via scapy's sendp: the kernel's IP stack
 * never sees them, so it cannot refuse or fix them). argv: iface, dst MAC.
 * The runt is 10 bytes as asked; the kernel pads a frame shorter than the
 * device's 14-byte header with zeros (dev_validate_header, root only), so
 * tern gets our MAC, 4 bytes of the source and zeros: EtherType 0, counted
 * in eth_type, not eth_runt (tests/engine/test_engine.c sends a true runt
 * over a ring port). Every other frame reaches tern as built. It prints
 * what it sent, one name per line.
 */
static const char scapy_frames[] =
	"import sys\n"
	"from scapy.all import Ether, IP, UDP, Raw, sendp, fragment\n"
	"ifc, dst = sys.argv[1], sys.argv[2]\n"
	"E = lambda: Ether(dst=dst, src='02:00:00:00:00:99')\n"
	"ip = lambda **k: IP(src='" KERNEL_IP "', dst='" ENG_IP_NS_STR "', **k)\n"
	"def fix(p): return p.__class__(bytes(p))\n"
	"good = fix(E()/ip()/UDP(sport=5555, dport=7)/Raw(b'g'*16))\n"
	"bad_ip = fix(E()/ip()/UDP(sport=5555, dport=7)/Raw(b'c'*16))\n"
	"bad_ip[IP].chksum ^= 0x5555\n"
	"bad_udp = fix(E()/ip()/UDP(sport=5555, dport=7)/Raw(b'u'*16))\n"
	"bad_udp[UDP].chksum ^= 0x5555\n"
	"frames = [\n"
	" ('runt', bytes(E())[:10]),\n"
	" ('ihl4', bytes(E()/ip(ihl=4)/UDP(sport=5555, dport=7)/Raw(b'i'*16))),\n"
	" ('totlen', bytes(E()/ip(len=300)/UDP(sport=5555, dport=7)/Raw(b't'*16))),\n"
	" ('ipcksum', bytes(bad_ip)),\n"
	" ('udpcksum', bytes(bad_udp)),\n"
	" ('udplen', bytes(E()/ip()/UDP(sport=5555, dport=7, len=40)/Raw(b'l'*16))),\n"
	" ('frag_a', bytes(E()/ip(id=7, flags='MF', frag=0)/Raw(b'a'*24))),\n"
	" ('frag_b_overlaps_a', bytes(E()/ip(id=7, frag=1)/Raw(b'b'*24))),\n"
	" ('frag_incomplete', bytes(E()/ip(id=8, flags='MF', frag=0, proto=17)/Raw(b'n'*24))),\n"
	" ('good', bytes(good)),\n"
	"]\n"
	"big = ip(id=9)/UDP(sport=5555, dport=7)/Raw(bytes(range(200))*9)\n"
	"for i, p in enumerate(fragment(big, fragsize=1024)):\n"
	"    frames.append(('big_piece_%d' % i, bytes(E()/p)))\n"
	"for name, f in frames:\n"
	"    sendp(f, iface=ifc, verbose=0)\n"
	"    print(name, len(f), file=sys.stderr)\n";

static void test_scapy_malformed(void **state)
{
	char cmd[sizeof(scapy_frames) + 256];
	struct tern_engine_stats b, a;
	struct tern_udp_sock *s;
	struct tern_udp_dgram d;
	uint8_t mac[6];

	if (system("/usr/bin/python3 -c 'import scapy.all' 2>/dev/null") != 0)
		skip(); /* python3-scapy: scripts/setup.sh installs it */
	assert_int_equal(tern_udp_bind(F.eng, 7, NULL, &s), 0);
	tern_port_mac(F.nic, mac);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c \"%s\" " IFACE
		 " %02x:%02x:%02x:%02x:%02x:%02x >&2", scapy_frames,
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	tern_engine_stats(F.eng, &b);
	assert_int_equal(run_client(cmd, 30), 0);
	/* The tap hands frames over asynchronously: poll until all ten came
	 * and the incomplete datagram's 200 ms are up (bounded: 2 s). */
	for (uint64_t t0 = rte_get_timer_cycles();
	     rte_get_timer_cycles() - t0 < 2 * rte_get_timer_hz();) {
		tern_engine_stats(F.eng, &a);
		if (a.rx_packets - b.rx_packets >= 12 && a.ip_frag_held == 0)
			break;
		if (tern_sched_run_once(F.core) == 0)
			usleep(100);
	}
	tern_engine_stats(F.eng, &a);
	for (size_t i = 0; i < sizeof(a.drops) / sizeof(uint64_t); i++)
		if (((uint64_t *)&a.drops)[i] != ((uint64_t *)&b.drops)[i])
			fprintf(stderr, "drop counter #%zu: +%llu\n", i, (unsigned long long)
				(((uint64_t *)&a.drops)[i] - ((uint64_t *)&b.drops)[i]));
	assert_int_equal(a.rx_packets - b.rx_packets, 12);
	/* The runt, padded by the kernel: our MAC, then zeros, so type 0. */
	assert_int_equal(a.drops.eth_type - b.drops.eth_type, 1);
	assert_int_equal(a.drops.ip_ihl - b.drops.ip_ihl, 1);
	assert_int_equal(a.drops.ip_len - b.drops.ip_len, 1);
	assert_int_equal(a.drops.ip_cksum - b.drops.ip_cksum, 1);
	assert_int_equal(a.drops.udp_cksum - b.drops.udp_cksum, 1);
	assert_int_equal(a.drops.udp_len - b.drops.udp_len, 1);
	/* The overlapping pair at once, the incomplete one after 200 ms. */
	assert_int_equal(a.drops.ip_frag - b.drops.ip_frag, 3);
	assert_int_equal(a.ip_reassembled - b.ip_reassembled, 1);
	assert_int_equal(a.udp_delivered - b.udp_delivered, 2);
	assert_int_equal(tern_engine_drops_total(&a) - tern_engine_drops_total(&b), 9);
	assert_int_equal(a.rx_packets, a.delivered + tern_engine_drops_total(&a) + a.ip_frag_held);
	/* Only the good one is queued; taking it leaves the pool as it was. */
	assert_int_equal(tern_udp_recv(s, &d, TERN_TOKEN_NONE), 0);
	assert_int_equal(d.len, 16);
	assert_int_equal(((uint8_t *)d.data)[0], 'g');
	rte_pktmbuf_free(d.m);
	/* The 1800-byte datagram, from two fragments, in one mbuf. */
	assert_int_equal(tern_udp_recv(s, &d, TERN_TOKEN_NONE), 0);
	assert_int_equal(d.len, 1800);
	assert_int_equal(d.m->nb_segs, 1);
	for (int i = 0; i < 1800; i++)
		assert_int_equal(((uint8_t *)d.data)[i], i % 200);
	rte_pktmbuf_free(d.m);
	assert_int_equal(tern_udp_close(s), 0);
	assert_int_equal(tern_mbuf_pool_in_use(pool), base);
}

/*
 * The engine sends: a kernel socket says hello from KERNEL_IP, the task
 * answers with SENDS datagrams through tern_udp_sendto (lengths 0..SENDS-1,
 * odd and even, so a checksum that mishandles the last byte shows), then
 * with the hello rebuilt in place with a changed payload. The kernel drops
 * a datagram whose UDP checksum is wrong (counting it in InCsumErrors), so
 * every datagram arriving intact, and InCsumErrors unchanged, is the check.
 */
#define SENDS 40

static intptr_t sender_task(void *arg)
{
	struct tern_udp_sock *s = arg;
	struct rte_mempool *mp = tern_mbuf_pool_mempool(pool);
	struct tern_udp_dgram d;
	intptr_t rc = tern_udp_recv(s, &d, TERN_TOKEN_NONE);

	if (rc < 0)
		return rc;
	for (int i = 0; i < SENDS; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		char *p = m == NULL ? NULL : rte_pktmbuf_append(m, (uint16_t)i);

		if (m == NULL || (i > 0 && p == NULL))
			return -ENOMEM;
		for (int k = 0; k < i; k++)
			p[k] = (char)('a' + (i + k) % 26);
		rc = tern_udp_sendto(s, m, d.src_ip, d.src_port, TERN_TOKEN_NONE);
		if (rc < 0) {
			rte_pktmbuf_free(m);
			return rc;
		}
	}
	memcpy(d.data, "HELLO", 5); /* changed: the reply gets new headers */
	rc = tern_udp_reply(s, &d, 0);
	if (rc < 0)
		rte_pktmbuf_free(d.m);
	return rc;
}

/* The sender task from a socket on port 9 against client, with UDP
 * checksums made (cksum) or not; the client judges what arrived. */
static void kernel_udp_from_engine(const char *client, bool cksum)
{
	struct tern_udp_sock *s;
	struct tern_engine_stats st;
	tern_task_t t;

	assert_int_equal(tern_udp_bind(F.eng, 9, NULL, &s), 0);
	assert_int_equal(tern_udp_sock_set_tx_cksum(s, cksum), 0);
	assert_int_equal(tern_task_spawn(sender_task, s, &(struct tern_task_opts){
		.sched = F.core, .name = "sender" }, &t), 0);
	assert_int_equal(run_client(client, 20), 0);
	for (int i = 0; i < 100 && !tern_future_done(tern_task_future(t)); i++)
		tern_sched_run_once(F.core);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_udp_close(s), 0);
	tern_engine_stats(F.eng, &st);
	assert_true(st.tx_packets >= SENDS + 1);
	assert_int_equal(st.rx_packets, st.delivered + tern_engine_drops_total(&st));
	assert_int_equal(tern_mbuf_pool_in_use(pool), base);
}

static void test_kernel_udp_from_engine(void **state)
{
	static const char client[] =
		"/usr/bin/python3 -c 'import socket,sys\n"
		"def csum():\n"
		"  l=[x.split() for x in open(\"/proc/net/snmp\") if x.startswith(\"Udp:\")]\n"
		"  return int(l[1][l[0].index(\"InCsumErrors\")])\n"
		"c0=csum(); s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2)\n"
		"s.bind((\"" KERNEL_IP "\",0)); s.sendto(b\"hello\",(\"" ENG_IP_NS_STR "\",9))\n"
		"ok=0\n"
		"for i in range(" RTE_STR(SENDS) "):\n"
		"  d,a=s.recvfrom(2048)\n"
		"  ok+= d==bytes(ord(\"a\")+(i+k)%26 for k in range(i)) and a[1]==9\n"
		"d,a=s.recvfrom(2048); ok+= d==b\"HELLO\"\n"
		"print(\"intact\",ok,\"csum errors\",csum()-c0,file=sys.stderr)\n"
		"sys.exit(0 if ok==" RTE_STR(SENDS) "+1 and csum()==c0 else 1)'";

	kernel_udp_from_engine(client, true);
}

/*
 * The same sends from a socket set to send no UDP checksum. A packet
 * socket on the tap sees every frame: the SENDS datagrams from port 9
 * carry checksum 0 (bytes 40-41 of a frame without IP options), the
 * rebuilt reply (tern_udp_reply, not affected) one of its own; the UDP
 * socket gets them all intact, and the kernel counts no checksum error.
 */
static void test_kernel_udp_no_cksum(void **state)
{
	static const char client[] =
		"/usr/bin/python3 -c 'import socket,sys\n"
		"def csum():\n"
		"  l=[x.split() for x in open(\"/proc/net/snmp\") if x.startswith(\"Udp:\")]\n"
		"  return int(l[1][l[0].index(\"InCsumErrors\")])\n"
		"c0=csum()\n"
		"r=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(0x0800))\n"
		"r.bind((\"" IFACE "\",0)); r.settimeout(0.5)\n"
		"s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2)\n"
		"s.bind((\"" KERNEL_IP "\",0)); s.sendto(b\"hello\",(\"" ENG_IP_NS_STR "\",9))\n"
		"ok=0\n"
		"for i in range(" RTE_STR(SENDS) "):\n"
		"  d,a=s.recvfrom(2048)\n"
		"  ok+= d==bytes(ord(\"a\")+(i+k)%26 for k in range(i)) and a[1]==9\n"
		"d,a=s.recvfrom(2048); ok+= d==b\"HELLO\"\n"
		"zero=other=0\n"
		"try:\n"
		"  while True:\n"
		"    f=r.recv(2048)\n"
		"    if len(f)>=42 and f[14]==0x45 and f[23]==17 and f[34:36]==bytes([0,9]):\n"
		"      if f[40:42]==bytes(2): zero+=1\n"
		"      else: other+=1\n"
		"except socket.timeout: pass\n"
		"print(\"intact\",ok,\"checksum 0\",zero,\"other\",other,\"csum errors\",csum()-c0,\n"
		"      file=sys.stderr)\n"
		"sys.exit(0 if ok==" RTE_STR(SENDS) "+1 and zero==" RTE_STR(SENDS) " and other==1\n"
		"         and csum()==c0 else 1)'";

	kernel_udp_from_engine(client, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_ping),
		cmocka_unit_test(test_kernel_udp_echo),
		cmocka_unit_test(test_kernel_udp_from_engine),
		cmocka_unit_test(test_kernel_udp_no_cksum),
		cmocka_unit_test(test_scapy_malformed),
	};
	const struct CMUnitTest offload_tests[] = {
		cmocka_unit_test(test_kernel_ping),
		cmocka_unit_test(test_kernel_udp_echo),
		cmocka_unit_test(test_kernel_udp_from_engine),
		cmocka_unit_test(test_kernel_udp_no_cksum),
	};
	int rc;

	if (geteuid() != 0) {
		printf("SKIP: needs root to create a network namespace\n");
		return SKIP;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return SKIP;
	}
	eal = eng_test_eal("engnetns");
	if (eal == NULL)
		return 1;
	rc = cmocka_run_group_tests_name("software checksums", tests, setup, teardown);
	rc |= cmocka_run_group_tests_name("TX checksum offload", offload_tests,
					  setup_offload, teardown);
	return tern_eal_destroy(eal) ?: rc;
}
