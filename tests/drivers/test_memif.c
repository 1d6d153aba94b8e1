/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif between two processes. The test process only orchestrates: it runs
 * a server and a client as children (copies of itself, each with its own EAL
 * and file prefix) and drives them step by step over pipes, so the order of
 * events is fixed rather than left to the scheduler:
 *
 *   server_first  server created and started, then the client starts;
 *   client_first  the client starts first and waits for the socket; the
 *                 server creates its port (the socket appears) but starts it
 *                 only a second later, so the client is refused ("ID not
 *                 found") and must reconnect on its own (link_restarts > 0).
 *
 * In both, the client sends a burst and the server echoes it back. Tear-down
 * is ordered because the 22.11 memif PMD can crash the survivor when its peer
 * disconnects mid-shutdown: both stop traffic, both stop their ports, then
 * the client closes and exits, then the server. Both must exit 0, with no
 * mbuf, socket file, hugepage file or runtime directory left behind.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "drv_test.h"

#define NPKT 32
#define WAIT_MS 10000       /* any one step; generous for loaded CI machines */
#define SERVER_LATE_MS 1000 /* client_first: server's gap between create and start */

/* ------------------------------------------------------ pipe protocol */

static int wait_byte(int fd, char *got)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, WAIT_MS) != 1 || read(fd, got, 1) != 1)
		return -1;
	return 0;
}

static int expect_byte(int fd, char want, const char *who)
{
	char c = 0;

	if (wait_byte(fd, &c) == 0 && c == want)
		return 0;
	fprintf(stderr, "memif test: %s sent '%c', wanted '%c' within %d ms\n",
		who, c ? c : '-', want, WAIT_MS);
	return -1;
}

static int send_byte(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

/* ------------------------------------------------------------- a side */

struct side {
	const char *role;
	struct tern_eal *eal;
	struct tern_mbuf_pool *pool;
	struct tern_port *port;
	int rd, wr;  /* pipe from and to the orchestrator */
};

static int side_create(struct side *s, const char *sock, bool server)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 1, .nb_workers = 1,
					   .rx_desc = 256, .tx_desc = 256 };
	struct tern_port_conf c = { .preset = TERN_PORT_MEMIF, .name = "m0",
				    .socket = sock, .memif_server = server,
				    .nb_workers = 1, .rx_desc = 256, .tx_desc = 256,
				    /* the server signals readiness, then waits */
				    .link_wait_ms = server ? 0 : WAIT_MS };

	s->role = server ? "server" : "client";
	s->eal = drv_test_eal(s->role, NULL);
	if (s->eal == NULL || tern_mbuf_pool_create(&pc, &s->pool) < 0)
		return -1;
	c.pool = s->pool;
	return tern_port_create(&c, &s->port);
}

/* Port stopped already: close, check for leaks, stop the EAL. */
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

/* Ordered tear-down: stop on 'S', report 's', close on 'C'. */
static int side_finish(struct side *s, int rc)
{
	if (expect_byte(s->rd, 'S', "orchestrator") < 0)
		rc = -1;
	if ((s->port != NULL && tern_port_stop(s->port) < 0) ||
	    send_byte(s->wr, 's') < 0)
		rc = -1;
	if (expect_byte(s->rd, 'C', "orchestrator") < 0)
		rc = -1;
	return side_down(s) < 0 || rc < 0 ? 1 : 0;
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

/* Sends all n, retrying for WAIT_MS: a memif server can send only into
 * buffers the client has posted, which it does when it polls RX. */
static uint16_t tx_n(struct tern_port *p, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	for (int i = 0; i < WAIT_MS && sent < n; i++) {
		sent += tern_port_tx_burst(p, 0, pkts + sent, n - sent);
		if (sent < n)
			usleep(1000);
	}
	rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return sent;
}

/* ---------------------------------------------------------- the server */

static bool link_up_within(struct tern_port *p, int ms)
{
	struct tern_link l = { 0 };

	for (int i = 0; i < ms / 10; i++) {
		if (tern_port_link_poll(p, &l) == 0 && l.up)
			return true;
		usleep(10000);
	}
	return false;
}

static int server_echo(struct side *s)
{
	struct rte_mbuf *pkts[NPKT];
	uint16_t got, sent;

	if (!link_up_within(s->port, WAIT_MS)) {
		fprintf(stderr, "memif server: no client within %d ms\n", WAIT_MS);
		return -1;
	}
	got = rx_n(s->port, pkts, NPKT);
	sent = tx_n(s->port, pkts, got);
	fprintf(stderr, "memif server: got %u, echoed %u\n", got, sent);
	return got == NPKT && sent == NPKT ? 0 : -1;
}

static int run_server(struct side *s, const char *sock, int late_ms)
{
	int rc = side_create(s, sock, true);

	/* The socket exists from here on, but the server refuses clients
	 * until it is started: the window a client must survive. */
	if (rc == 0 && late_ms > 0)
		usleep((useconds_t)late_ms * 1000);
	if (rc == 0)
		rc = tern_port_start(s->port);
	if (send_byte(s->wr, rc == 0 ? 'R' : 'F') < 0 || rc < 0)
		return side_finish(s, -1);
	rc = server_echo(s);
	if (send_byte(s->wr, rc == 0 ? 'E' : 'F') < 0)
		rc = -1;
	return side_finish(s, rc);
}

/* ---------------------------------------------------------- the client */

static int client_traffic(struct side *s)
{
	struct rte_mempool *mp = tern_mbuf_pool_mempool(s->pool);
	struct rte_mbuf *pkts[NPKT];
	uint16_t sent, got;

	for (int i = 0; i < NPKT; i++)
		pkts[i] = drv_test_udp(mp, 0x0a000001, 0x0a000002, 1000 + i, 9, i);
	sent = tx_n(s->port, pkts, NPKT);
	got = rx_n(s->port, pkts, sent);
	for (uint16_t i = 0; i < got; i++)
		if (rte_pktmbuf_mtod(pkts[i], uint8_t *)[42] != i)
			sent = 0;
	rte_pktmbuf_free_bulk(pkts, got);
	fprintf(stderr, "memif client: sent %u, got back %u intact\n", sent, got);
	return sent == NPKT && got == NPKT ? 0 : -1;
}

static int run_client(struct side *s, const char *sock)
{
	struct tern_port_stats st = { 0 };
	int rc = side_create(s, sock, false);

	if (send_byte(s->wr, rc == 0 ? 'I' : 'F') < 0 || rc < 0 ||
	    expect_byte(s->rd, 'G', "orchestrator") < 0)
		return side_finish(s, -1);
	rc = tern_port_start(s->port);
	if (rc == 0)
		rc = client_traffic(s);
	tern_port_stats_get(s->port, &st);
	fprintf(stderr, "memif client: link_restarts %lu\n",
		(unsigned long)st.link_restarts);
	if (send_byte(s->wr, rc == 0 ? 'T' : 'F') < 0 ||
	    send_byte(s->wr, (char)RTE_MIN(st.link_restarts, 127u)) < 0)
		rc = -1;
	return side_finish(s, rc);
}

/* ------------------------------------------------------ orchestrator */

struct child {
	const char *role;
	pid_t pid;
	int rd, wr;  /* from and to the child */
};

static struct child server, client;
static char sock[64];

static int child_spawn(struct child *c, const char *role, int late_ms)
{
	int to[2], from[2];
	char a[16], b[16], l[16];

	if (pipe(to) < 0 || pipe(from) < 0)
		return -1;
	c->role = role;
	c->pid = fork();
	if (c->pid == 0) {
		snprintf(a, sizeof(a), "%d", to[0]);
		snprintf(b, sizeof(b), "%d", from[1]);
		snprintf(l, sizeof(l), "%d", late_ms);
		/* exec, not just fork: a fresh process gets a fresh EAL. */
		execl("/proc/self/exe", "test_memif", role, sock, a, b, l, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c->rd = from[0];
	c->wr = to[1];
	return c->pid > 0 ? 0 : -1;
}

/* Kills a child that is stuck, and removes what its EAL left behind. */
static void child_kill(struct child *c)
{
	char base[32];

	kill(c->pid, SIGKILL);  /* our own child, by pid */
	waitpid(c->pid, NULL, 0);
	snprintf(base, sizeof(base), "tern_t_%s", c->role);
	drv_test_leftovers(base, c->pid, true);
	c->pid = 0;
}

/* Exit code of the child, or -1 when it had to be killed. */
static int child_reap(struct child *c)
{
	int status = -1;

	for (int i = 0; c->pid > 0 && i < WAIT_MS / 10; i++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			c->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(10000);
	}
	if (c->pid > 0) {
		child_kill(c);
		fprintf(stderr, "memif %s did not exit within %d ms: killed\n",
			c->role, WAIT_MS);
	}
	return -1;
}

/* Runs even when an assertion failed: no leaked files or processes. */
static int cleanup(void **state)
{
	struct child *all[] = { &client, &server };

	for (int i = 0; i < 2; i++) {
		if (all[i]->pid > 0)
			child_kill(all[i]);
		if (all[i]->role != NULL) {
			close(all[i]->rd);
			close(all[i]->wr);
		}
		memset(all[i], 0, sizeof(*all[i]));
	}
	unlink(sock);
	return 0;
}

/* Both connected and echoing: the ordered tear-down, then leak checks. */
static void traffic_and_teardown(int min_restarts)
{
	pid_t pids[2] = { server.pid, client.pid };
	char restarts = 0;

	assert_int_equal(expect_byte(client.rd, 'T', "client"), 0);
	assert_int_equal(wait_byte(client.rd, &restarts), 0);
	assert_true(restarts >= min_restarts);
	assert_int_equal(expect_byte(server.rd, 'E', "server"), 0);
	/* Stop traffic, stop both ports, then close: client first. */
	assert_int_equal(send_byte(client.wr, 'S'), 0);
	assert_int_equal(expect_byte(client.rd, 's', "client"), 0);
	assert_int_equal(send_byte(server.wr, 'S'), 0);
	assert_int_equal(expect_byte(server.rd, 's', "server"), 0);
	assert_int_equal(send_byte(client.wr, 'C'), 0);
	assert_int_equal(child_reap(&client), 0);
	assert_int_equal(send_byte(server.wr, 'C'), 0);
	assert_int_equal(child_reap(&server), 0);
	assert_int_equal(access(sock, F_OK), -1);  /* socket file removed */
	assert_int_equal(drv_test_leftovers("tern_t_server", pids[0], false), 0);
	assert_int_equal(drv_test_leftovers("tern_t_client", pids[1], false), 0);
}

static void test_server_first(void **state)
{
	snprintf(sock, sizeof(sock), "/tmp/tern_t_memif2_%d.sock", (int)getpid());
	assert_int_equal(child_spawn(&server, "server", 0), 0);
	assert_int_equal(expect_byte(server.rd, 'R', "server"), 0);
	assert_int_equal(child_spawn(&client, "client", 0), 0);
	assert_int_equal(expect_byte(client.rd, 'I', "client"), 0);
	assert_int_equal(send_byte(client.wr, 'G'), 0);
	traffic_and_teardown(0);
}

static void test_client_first_server_late(void **state)
{
	snprintf(sock, sizeof(sock), "/tmp/tern_t_memif3_%d.sock", (int)getpid());
	assert_int_equal(child_spawn(&client, "client", 0), 0);
	assert_int_equal(expect_byte(client.rd, 'I', "client"), 0);
	assert_int_equal(send_byte(client.wr, 'G'), 0);
	assert_int_equal(child_spawn(&server, "server", SERVER_LATE_MS), 0);
	assert_int_equal(expect_byte(server.rd, 'R', "server"), 0);
	traffic_and_teardown(1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_server_first, cleanup),
		cmocka_unit_test_teardown(test_client_first_server_late, cleanup),
	};
	struct side s = { 0 };

	if (argc == 6) {
		s.rd = atoi(argv[3]);
		s.wr = atoi(argv[4]);
		if (strcmp(argv[1], "server") == 0)
			return run_server(&s, argv[2], atoi(argv[5]));
		return run_client(&s, argv[2]);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
