/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of DPDK telemetry's socket, as dpdk-telemetry.py speaks
 * it, for the tests that check tern's commands (tests/sched and
 * tests/engine test_telemetry.c): connect to dpdk_telemetry.v2 in the
 * EAL's runtime directory, read the greeting, then one command, one JSON
 * reply. Include after <cmocka.h>.
 */
#ifndef TERN_TEST_TEL_CLIENT_H
#define TERN_TEST_TEL_CLIENT_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eal.h>

struct tel_client {
	int fd;
	char reply[16384];     /* telemetry's largest reply */
};

/* Connects @c to this process's socket. 0, or -1 (printed why: the test
 * then skips). */
static inline int tel_open(struct tel_client *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	ssize_t n;

	c->fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (c->fd < 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		printf("SKIP: no telemetry socket at %s: %s\n", sun.sun_path, strerror(errno));
		close(c->fd);
		return -1;
	}
	n = read(c->fd, c->reply, sizeof(c->reply) - 1); /* the greeting: version, pid */
	if (n <= 0) {
		close(c->fd);
		return -1;
	}
	return 0;
}

static inline void tel_close(struct tel_client *c)
{
	close(c->fd);
}

/* Sends @cmd; the JSON reply (in c->reply until the next call), or NULL.
 * No cmocka assertion: callable from any thread. */
static inline const char *tel_try(struct tel_client *c, const char *cmd)
{
	ssize_t n;

	if (write(c->fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return NULL;
	n = read(c->fd, c->reply, sizeof(c->reply) - 1);
	if (n <= 0)
		return NULL;
	c->reply[n] = '\0';
	return c->reply;
}

/* tel_try() that fails the test when no reply comes. */
static inline const char *tel_ask(struct tel_client *c, const char *cmd)
{
	const char *r = tel_try(c, cmd);

	assert_non_null(r);
	return r;
}

/* The number after "key": in @json, unsigned or negative (as int64_t);
 * fails the test if absent. */
static inline int64_t tel_field(const char *json, const char *key)
{
	char pat[64];
	const char *p;
	char *end;
	int64_t v;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	if (!p)
		fail_msg("no field %s in %s", key, json);
	p += strlen(pat);
	v = *p == '-' ? (int64_t)strtoll(p, &end, 10) : (int64_t)strtoull(p, &end, 10);
	assert_ptr_not_equal(end, p);
	return v;
}

#endif
