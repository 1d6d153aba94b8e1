/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern runtime demo: one core, a few hundred tasks that sleep, await each
 * other, race a deadline and fail on purpose, with live per-second stats.
 *
 *   tern-demo [seconds]     (default 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/tern.h>

#define WORKERS 200

struct demo {
	struct tern_sched *core;
	uint64_t start_ns;
	uint64_t seconds;
	uint64_t jobs_done, timeouts, failures_seen;
};

static struct demo D;

/* A worker: sleeps a while, then "handles a request". */
static intptr_t worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uint64_t jobs = 0;

	while (tern_sched_now(D.core) - D.start_ns < D.seconds * 1000000000ull) {
		if (tern_sleep(100000 + (id % 50) * 20000, TERN_TOKEN_NONE) < 0)
			break;
		jobs++;
	}
	return (intptr_t)jobs;
}

/* A request with a deadline shorter than its work: shows -ETIMEDOUT. */
static intptr_t slow_request(void *arg)
{
	tern_cancel_t c;
	intptr_t r;

	tern_cancel_create(&c);
	tern_cancel_after(c, 1000000);                    /* 1 ms deadline */
	r = tern_sleep(50000000, tern_cancel_token(c));  /* 50 ms of work */
	tern_cancel_dispose(c);
	return r;
}

static intptr_t flaky(void *arg)
{
	tern_sleep(2000000, TERN_TOKEN_NONE);
	return -ECONNRESET; /* detached and failing: the policy reports it */
}

static void on_unobserved(const char *name, intptr_t err, void *arg)
{
	D.failures_seen++;
	printf("  unobserved failure: task %s returned %s\n", name, strerror((int)-err));
}

static intptr_t reporter(void *arg)
{
	struct tern_sched_stats st;

	for (uint64_t s = 1; s <= D.seconds; s++) {
		tern_sleep(1000000000ull, TERN_TOKEN_NONE);
		tern_sched_stats(D.core, &st);
		printf("t=%llus tasks live %llu, resumes %llu, timers fired %llu, rounds %llu\n",
		       (unsigned long long)s, (unsigned long long)st.tasks_live,
		       (unsigned long long)st.tasks_run, (unsigned long long)st.timers_fired,
		       (unsigned long long)st.rounds);
		fflush(stdout);
	}
	return 0;
}

static intptr_t main_task(void *arg)
{
	tern_task_t ws[WORKERS], rep, slow;
	intptr_t total = 0;

	D.core = tern_sched_current();
	D.start_ns = tern_sched_now(D.core);
	printf("tern demo: %d workers on one core for %llus\n", WORKERS,
	       (unsigned long long)D.seconds);
	for (uintptr_t i = 0; i < WORKERS; i++)
		if (tern_task_spawn(worker, (void *)i, &(struct tern_task_opts){ .name = "worker" }, &ws[i]) < 0)
			return -ENOMEM;
	tern_task_spawn(reporter, NULL, &(struct tern_task_opts){ .name = "reporter" }, &rep);
	tern_task_spawn(slow_request, NULL, &(struct tern_task_opts){ .name = "slow" }, &slow);
	tern_task_spawn(flaky, NULL, &(struct tern_task_opts){ .name = "flaky", .flags = TERN_TASK_DETACHED }, NULL);

	intptr_t r = tern_task_await(slow, TERN_TOKEN_NONE);
	printf("  slow request with a 1 ms deadline: %s\n", r == -ETIMEDOUT ? "timed out (-ETIMEDOUT)" : "finished");
	for (int i = 0; i < WORKERS; i++)
		total += tern_task_await(ws[i], TERN_TOKEN_NONE);
	tern_task_await(rep, TERN_TOKEN_NONE);
	printf("done: %ld jobs by %d tasks, %llu unobserved failure(s) reported\n", (long)total,
	       WORKERS, (unsigned long long)D.failures_seen);
	return total > 0 && D.failures_seen == 1 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	struct tern_sched_opts o = { .name = "demo", .unobserved = TERN_UNOBSERVED_HOOK,
				     .unobserved_hook = on_unobserved };

	D.seconds = argc > 1 ? strtoull(argv[1], NULL, 10) : 3;
	if (D.seconds == 0 || D.seconds > 3600) {
		fprintf(stderr, "usage: %s [seconds: 1..3600]\n", argv[0]);
		return 2;
	}
	intptr_t r = tern_block_on(&o, main_task, NULL);
	if (r < 0)
		fprintf(stderr, "demo failed: %s\n", strerror((int)-r));
	return r < 0 ? 1 : 0;
}
