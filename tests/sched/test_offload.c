/* SPDX-License-Identifier: BSD-3-Clause */
/* Offload (Task.Run): blocking work runs on the pool's threads while the
 * core keeps running its tasks; results and errors come back to the core. */
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static struct tern_offload_pool *P;
static volatile int ticks;

static intptr_t blocking(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 }; /* a blocking syscall */

	nanosleep(&ts, NULL);
	return (intptr_t)arg;
}

static intptr_t ticker(void *arg)
{
	/* shows the core is not blocked while the offloaded call sleeps */
	while (!*(volatile int *)arg) {
		ticks++;
		tern_yield();
	}
	return 0;
}

static intptr_t root(void *arg)
{
	tern_future_t f[4];
	tern_cancel_t c;
	tern_task_t t;
	int stop = 0;

	ticks = 0;
	assert_int_equal(tern_task_spawn(ticker, &stop, NULL, &t), 0);
	for (intptr_t i = 0; i < 4; i++)
		assert_int_equal(tern_offload(P, blocking, (void *)(i * 10), &f[i]), 0);
	for (intptr_t i = 0; i < 4; i++)
		assert_int_equal(tern_await(f[i], TERN_TOKEN_NONE), i * 10);
	assert_true(ticks > 100); /* the core ran the ticker meanwhile */
	/* errors travel as results */
	assert_int_equal(tern_offload(P, blocking, (void *)(intptr_t)-EIO, &f[0]), 0);
	assert_int_equal(tern_await(f[0], TERN_TOKEN_NONE), -EIO);
	/* a cancelled await: the future stays valid; dropped, the late result
	 * is discarded and the record released when it arrives */
	assert_int_equal(tern_cancel_create(&c), 0);
	assert_int_equal(tern_offload(P, blocking, (void *)1, &f[0]), 0);
	assert_int_equal(tern_cancel(c), 0);
	assert_int_equal(tern_await(f[0], tern_cancel_token(c)), -ECANCELED);
	assert_int_equal(tern_future_drop(f[0]), 0);
	assert_int_equal(tern_cancel_dispose(c), 0);
	assert_int_equal(tern_offload(NULL, blocking, NULL, &f[0]), -EINVAL);
	assert_int_equal(tern_offload(P, NULL, NULL, &f[0]), -EINVAL);
	stop = 1;
	return tern_task_await(t, TERN_TOKEN_NONE);
}

static void offload_blocking_work(void **state)
{
	struct tern_sched_opts o = { .misuse = TERN_MISUSE_RETURN,
				     .unobserved = TERN_UNOBSERVED_ABORT };
	tern_future_t f;

	assert_int_equal(tern_offload_pool_create(0, &P), -EINVAL);
	assert_int_equal(tern_offload_pool_create(2, &P), 0);
	assert_int_equal(tern_offload(P, blocking, NULL, &f), -EPERM); /* not a core */
	/* block_on waits for the dropped offload too: no false deadlock */
	assert_int_equal(tern_block_on(&o, root, NULL), 0);
	tern_offload_pool_destroy(P);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(offload_blocking_work),
	};

	return cmocka_run_group_tests_name("sched_offload", tests, NULL, NULL);
}
