/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The inbox ring itself (white box): several producer threads and one
 * consumer over a ring small enough to be full most of the time. Every
 * message arrives exactly once, each producer's in the order it posted,
 * and a full ring refuses (-EAGAIN, counted) instead of overwriting.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "helpers.h"
#include "inbox.h"

#define PRODUCERS 3
#define PER_PRODUCER 100000
#define RING 8

struct item {
	struct tern__msg m; /* first: a taken message is its item */
	unsigned producer;
	unsigned seq;
};

static struct tern__inbox q;
static struct item items[PRODUCERS][PER_PRODUCER];
static uint64_t deadline; /* everyone gives up here: a broken ring fails, never hangs */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *producer(void *arg)
{
	unsigned p = (unsigned)(uintptr_t)arg;

	for (unsigned i = 0; i < PER_PRODUCER; i++) {
		items[p][i] = (struct item){ .producer = p, .seq = i };
		while (tern__inbox_post(&q, &items[p][i].m) == -EAGAIN) {
			if (mono_ns() > deadline)
				return NULL;
			sched_yield(); /* two CPUs, four threads: let the consumer run */
		}
	}
	return NULL;
}

static void many_producers_one_consumer(void **state)
{
	unsigned next[PRODUCERS] = { 0 }, got = 0;
	pthread_t th[PRODUCERS];

	deadline = mono_ns() + 60ull * 1000000000u;

	assert_int_equal(tern__inbox_init(&q, RING, -1), 0);
	for (unsigned p = 0; p < PRODUCERS; p++)
		assert_int_equal(pthread_create(&th[p], NULL, producer, (void *)(uintptr_t)p), 0);
	while (got < PRODUCERS * PER_PRODUCER && mono_ns() < deadline) {
		struct tern__msg *batch[5]; /* not a divisor of RING: batches wrap */
		unsigned n = tern__inbox_take(&q, batch, 5);

		assert_true(n <= 5);
		for (unsigned i = 0; i < n; i++) {
			struct item *it = (struct item *)batch[i];

			assert_true(it->producer < PRODUCERS);
			/* each producer's messages in order, none twice, none lost */
			assert_int_equal(it->seq, next[it->producer]);
			next[it->producer]++;
		}
		got += n;
		if (!n)
			sched_yield();
	}
	for (unsigned p = 0; p < PRODUCERS; p++)
		pthread_join(th[p], NULL);
	assert_int_equal(got, PRODUCERS * PER_PRODUCER);
	assert_false(tern__inbox_ready(&q));
	assert_true(q.posted_full > 0); /* the ring was full, and said so */
	tern__inbox_fini(&q);
}

/* Single thread: exactly RING posts fit, the next is refused, and one take
 * makes room for exactly as many as it took. */
static void full_means_full(void **state)
{
	struct item it[RING + 4];
	struct tern__msg *out[RING];

	assert_int_equal(tern__inbox_init(&q, RING, -1), 0);
	for (unsigned lap = 0; lap < 3; lap++) {
		for (unsigned i = 0; i < RING; i++)
			assert_int_equal(tern__inbox_post(&q, &it[i].m), 0);
		assert_int_equal(tern__inbox_post(&q, &it[RING].m), -EAGAIN);
		assert_int_equal(tern__inbox_take(&q, out, 3), 3);
		assert_ptr_equal(out[0], &it[0].m);
		for (unsigned i = 0; i < 3; i++)
			assert_int_equal(tern__inbox_post(&q, &it[RING + i].m), 0);
		assert_int_equal(tern__inbox_post(&q, &it[RING + 3].m), -EAGAIN);
		assert_int_equal(tern__inbox_take(&q, out, RING), RING);
		assert_ptr_equal(out[0], &it[3].m);
		assert_ptr_equal(out[RING - 1], &it[RING + 2].m);
		assert_false(tern__inbox_ready(&q));
	}
	assert_int_equal(q.posted_full, 6);
	tern__inbox_fini(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_means_full),
		cmocka_unit_test(many_producers_one_consumer),
	};

	return cmocka_run_group_tests_name("sched_inbox", tests, NULL, NULL);
}
