/* SPDX-License-Identifier: BSD-3-Clause */
/* The benchmarks' one EAL, started lazily (see bm_eal.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* sched_getcpu, pthread affinity */
#endif
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bm_eal.h"
#include "tern/eal.h"

static struct tern_eal *eal;
static int eal_err;

static void bm_eal_fini(void)
{
	tern_eal_destroy(eal);
	eal = NULL;
}

/* On the current CPU only; the caller's CPU affinity is restored so
 * benchmarks that run after this one are not pinned. Hugepages are used
 * when there are free ones (tern_eal_create's default), so the port
 * benchmarks measure what deployments get. */
int bm_eal_get(void)
{
	char lcores[16], prefix[32];
	char *argv[] = { "tern-bench", "-l", lcores, "--log-level=warning" };
	struct tern_eal_opts o = { .file_prefix = prefix };
	cpu_set_t saved;

	if (eal != NULL || eal_err != 0)
		return eal_err;
	snprintf(lcores, sizeof(lcores), "%d", sched_getcpu());
	snprintf(prefix, sizeof(prefix), "tern_bm_%d", (int)getpid());
	pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved);
	eal_err = tern_eal_create(4, argv, &o, &eal);
	pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	if (eal_err == 0)
		atexit(bm_eal_fini);
	return eal_err;
}
