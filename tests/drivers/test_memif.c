/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif between two processes: this test (server) starts a copy of itself
 * as the client, each with its own EAL file prefix. The client sends a burst,
 * the server echoes it back. Tear-down is ordered because the 22.11 memif PMD
 * can crash the survivor when its peer disconnects mid-shutdown: both stop
 * traffic, both stop their ports (synchronised over pipes), then the client
 * closes and exits, then the server closes. Both must exit cleanly.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "drv_test.h"

#define NPKT 32
#define WAIT_MS 5000

static int wait_byte(int fd, char want)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c = 0;

	if (poll(&p, 1, WAIT_MS) != 1 || read(fd, &c, 1) != 1 || c != want) {
		fprintf(stderr, "memif test: peer did not send '%c' within %d ms\n",
			want, WAIT_MS);
		return -1;
	}
	return 0;
}

static int send_byte(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

/* Polls until n packets arrived or WAIT_MS passed (bounded). */
static uint16_t rx_n(struct tern_port *p, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t got = 0;

	for (int i = 0; i < WAIT_MS && got < n; i++) {
		got += tern_port_rx_burst(p, 0, pkts + got, n - got);
		if (got < n)
			usleep(1000);
	}
	return got;
}

struct side {
	const char *role;
	struct tern_eal *eal;
	struct tern_mbuf_pool *pool;
	struct tern_port *port;
};

static int side_up(struct side *s, const char *sock, bool server)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 1, .nb_workers = 1,
					   .rx_desc = 256, .tx_desc = 256 };
	struct tern_port_conf c = { .preset = TERN_PORT_MEMIF, .name = "m0",
				    .socket = sock, .memif_server = server,
				    .nb_workers = 1, .rx_desc = 256, .tx_desc = 256,
				    .link_wait_ms = WAIT_MS };

	s->role = server ? "server" : "client";
	s->eal = drv_test_eal(s->role, NULL);
	if (s->eal == NULL || tern_mbuf_pool_create(&pc, &s->pool) < 0)
		return -1;
	c.pool = s->pool;
	if (tern_port_create(&c, &s->port) < 0)
		return -1;
	return tern_port_start(s->port);
}

/* Ports are stopped already; close, check for leaks, stop the EAL. */
static int side_down(struct side *s)
{
	int rc = 0;

	tern_port_destroy(s->port);
	if (s->pool != NULL && tern_mbuf_pool_in_use(s->pool) != 0) {
		fprintf(stderr, "memif %s: %u mbufs leaked\n", s->role,
			tern_mbuf_pool_in_use(s->pool));
		rc = -1;
	}
	if (tern_mbuf_pool_destroy(s->pool) < 0 || tern_eal_destroy(s->eal) < 0)
		rc = -1;
	return rc;
}

static int client_traffic(struct side *s)
{
	struct rte_mempool *mp = tern_mbuf_pool_mempool(s->pool);
	struct rte_mbuf *pkts[NPKT];
	uint16_t sent, got;

	for (int i = 0; i < NPKT; i++)
		pkts[i] = drv_test_udp(mp, 0x0a000001, 0x0a000002, 1000 + i, 9, i);
	sent = tern_port_tx_burst(s->port, 0, pkts, NPKT);
	rte_pktmbuf_free_bulk(pkts + sent, NPKT - sent);
	got = rx_n(s->port, pkts, sent);
	for (uint16_t i = 0; i < got; i++)
		if (rte_pktmbuf_mtod(pkts[i], uint8_t *)[42] != i)
			got = 0;
	rte_pktmbuf_free_bulk(pkts, got);
	fprintf(stderr, "memif client: sent %u, got back %u intact\n", sent, got);
	return sent == NPKT && got == NPKT ? 0 : -1;
}

/* Child: connect, send, check the echo; then the ordered tear-down. */
static int run_client(const char *sock, int to_srv, int from_srv)
{
	struct side s = { 0 };
	int rc = side_up(&s, sock, false);

	if (rc == 0)
		rc = client_traffic(&s);
	tern_port_stop(s.port);
	if (send_byte(to_srv, rc == 0 ? 'S' : 'F') < 0 || wait_byte(from_srv, 'S') < 0)
		rc = -1;
	return side_down(&s) < 0 || rc < 0 ? 1 : 0;
}

static int server_echo(struct side *s)
{
	struct rte_mbuf *pkts[NPKT];
	uint16_t got = rx_n(s->port, pkts, NPKT);
	uint16_t sent = tern_port_tx_burst(s->port, 0, pkts, got);

	rte_pktmbuf_free_bulk(pkts + sent, got - sent);
	return got == NPKT && sent == NPKT ? 0 : -1;
}

static pid_t spawn_client(const char *sock, int to_srv, int from_srv)
{
	char a[16], b[16];
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	snprintf(a, sizeof(a), "%d", to_srv);
	snprintf(b, sizeof(b), "%d", from_srv);
	/* exec, not just fork: a fresh process gets a fresh EAL. */
	execl("/proc/self/exe", "test_memif", "client", sock, a, b, (char *)NULL);
	_exit(127);
}

static int wait_child(pid_t pid)
{
	int status = -1;

	for (int i = 0; i < WAIT_MS / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(10000);
	}
	kill(pid, SIGKILL);  /* our own child, by pid */
	waitpid(pid, &status, 0);
	fprintf(stderr, "memif client did not exit within %d ms: killed\n", WAIT_MS);
	return -1;
}

static struct side s;
static char sock[64];
static pid_t pid;

/* Runs even when an assertion failed: no leaked files or processes. */
static int cleanup(void **state)
{
	if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
		kill(pid, SIGKILL);  /* our own child, by pid */
		waitpid(pid, NULL, 0);
	}
	if (s.eal != NULL)
		side_down(&s);
	unlink(sock);
	return 0;
}

static void test_memif_two_processes(void **state)
{
	int c2s[2], s2c[2], crc;

	snprintf(sock, sizeof(sock), "/tmp/tern_t_memif2_%d.sock", (int)getpid());
	assert_int_equal(pipe(c2s), 0);
	assert_int_equal(pipe(s2c), 0);
	pid = spawn_client(sock, c2s[1], s2c[0]);
	assert_true(pid > 0);
	assert_int_equal(side_up(&s, sock, true), 0);
	assert_int_equal(server_echo(&s), 0);
	/* Stop traffic, stop both ports, then close: client first. */
	assert_int_equal(wait_byte(c2s[0], 'S'), 0);
	assert_int_equal(tern_port_stop(s.port), 0);
	assert_int_equal(send_byte(s2c[1], 'S'), 0);
	crc = wait_child(pid);
	pid = 0;
	assert_int_equal(side_down(&s), 0);
	s.eal = NULL;
	assert_int_equal(crc, 0);
	assert_int_equal(access(sock, F_OK), -1);  /* socket file removed */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_memif_two_processes, cleanup),
	};

	if (argc == 5 && strcmp(argv[1], "client") == 0)
		return run_client(argv[2], atoi(argv[3]), atoi(argv[4]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
