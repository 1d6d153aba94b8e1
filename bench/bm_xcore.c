/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cross-core benchmarks (issue 4), two threads pinned to CPUs 0 and 1:
 *   BM_c2c_pingpong     a cache line bounced between the cores (physical
 *                       floor), per round trip
 *   BM_xcore_submit     tern's inbox: one message posted at a time by one
 *                       core, taken in batches of 32 by the other, per message
 *   BM_rte_ring_mpsc    the same through an rte_ring (MP enqueue, SC dequeue)
 *   BM_ck_ring_mpsc     the same through Concurrency Kit's ck_ring (MPSC)
 *   BM_urcu_wfcq        the same through liburcu's wait-free concurrent
 *                       queue (linked, intrusive nodes; bounded by a credit
 *                       counter so nodes are reused only once dequeued)
 *   BM_xcore_roundtrip  tern_submit to the other core and await the result,
 *                       per round trip
 *   BM_steal_imbalance/steal:0, /steal:1
 *                       64 CPU-only stealable tasks of ~100 us spawned on
 *                       core 0, core 1 idle: the time until all are done,
 *                       with stealing off and on (the ratio on/off is the
 *                       figure: 0.5 is a perfect split on two cores)
 * Wall time (real_time): the work spans two threads.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#define _LGPL_SOURCE /* liburcu's inline queue operations */
#include <ck_ring.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <urcu/wfcqueue.h>

#include <tern/tern.h>

#include "bench.h"
#include "inbox.h"

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static cpu_set_t saved_affinity;

static void pin_main(void)
{
	pthread_getaffinity_np(pthread_self(), sizeof(saved_affinity), &saved_affinity);
	pin_self(0);
}

static void unpin_main(void)
{
	pthread_setaffinity_np(pthread_self(), sizeof(saved_affinity), &saved_affinity);
}

/* ---- BM_c2c_pingpong ---- */

static volatile uint64_t ball __attribute__((aligned(64)));
static uint64_t pp_n;

static void *pong_thread(void *arg)
{
	pin_self(1);
	for (uint64_t i = 0; i < pp_n; i++) {
		/* Pairs with the main thread's release of an odd value. */
		while (__atomic_load_n(&ball, __ATOMIC_ACQUIRE) != 2 * i + 1)
			;
		__atomic_store_n(&ball, 2 * i + 2, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void bm_c2c_pingpong(struct tern_bench *b)
{
	pthread_t th;

	pin_main();
	ball = 0;
	uint64_t n = tern_bench_start(b);
	pp_n = n;
	pthread_create(&th, NULL, pong_thread, NULL);
	for (uint64_t i = 0; i < n; i++) {
		__atomic_store_n(&ball, 2 * i + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&ball, __ATOMIC_ACQUIRE) != 2 * i + 2)
			;
	}
	tern_bench_stop(b);
	pthread_join(th, NULL);
	unpin_main();
}
TERN_BENCH_DEF(bm_c2c_pingpong, .name = "BM_c2c_pingpong", .real_time = 1);

/* ---- queues: one producer thread, the benchmark thread consumes ---- */

#define QSIZE 4096
#define BATCH 32

struct qbench {
	uint64_t n;
	struct tern__inbox *inbox;
	struct rte_ring *ring;
	struct tern__msg *msgs;  /* n distinct intrusive messages, reused */
};

static void *inbox_producer(void *arg)
{
	struct qbench *q = arg;

	pin_self(1);
	for (uint64_t i = 0; i < q->n; i++)
		while (tern__inbox_post(q->inbox, &q->msgs[i & (QSIZE - 1)]) != 0)
			rte_pause();
	return NULL;
}

static void *ring_producer(void *arg)
{
	struct qbench *q = arg;

	pin_self(1);
	for (uint64_t i = 0; i < q->n; i++)
		while (rte_ring_mp_enqueue(q->ring, &q->msgs[i & (QSIZE - 1)]) != 0)
			rte_pause();
	return NULL;
}

static void bm_xcore_submit(struct tern_bench *b)
{
	struct tern__inbox inbox;
	struct qbench q = { .inbox = &inbox };
	struct tern__msg *got[BATCH];
	pthread_t th;

	if (tern__inbox_init(&inbox, QSIZE, -1) < 0) {
		tern_bench_error(b, "inbox init failed");
		return;
	}
	q.msgs = calloc(QSIZE, sizeof(*q.msgs));
	pin_main();
	uint64_t n = tern_bench_start(b);
	q.n = n;
	pthread_create(&th, NULL, inbox_producer, &q);
	for (uint64_t taken = 0; taken < n;)
		taken += tern__inbox_take(&inbox, got, BATCH);
	tern_bench_stop(b);
	pthread_join(th, NULL);
	unpin_main();
	free(q.msgs);
	tern__inbox_fini(&inbox);
}
TERN_BENCH_DEF(bm_xcore_submit, .name = "BM_xcore_submit", .real_time = 1);

static void bm_rte_ring_mpsc(struct tern_bench *b)
{
	size_t sz = rte_ring_get_memsize(QSIZE);
	struct rte_ring *r = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	struct qbench q = { .ring = r };
	void *got[BATCH];
	pthread_t th;

	/* rte_ring_init works on the caller's memory: no EAL needed. */
	if (!r || rte_ring_init(r, "bm_mpsc", QSIZE, RING_F_SC_DEQ) < 0) {
		tern_bench_error(b, "rte_ring_init failed");
		free(r);
		return;
	}
	q.msgs = calloc(QSIZE, sizeof(*q.msgs));
	pin_main();
	uint64_t n = tern_bench_start(b);
	q.n = n;
	pthread_create(&th, NULL, ring_producer, &q);
	for (uint64_t taken = 0; taken < n;)
		taken += rte_ring_sc_dequeue_burst(r, got, BATCH, NULL);
	tern_bench_stop(b);
	pthread_join(th, NULL);
	unpin_main();
	free(q.msgs);
	free(r);
}
TERN_BENCH_DEF(bm_rte_ring_mpsc, .name = "BM_rte_ring_mpsc", .real_time = 1);

/* ---- Concurrency Kit ---- */

static ck_ring_t ckr;
static struct ck_ring_buffer ckbuf[QSIZE];

static void *ck_producer(void *arg)
{
	struct qbench *q = arg;

	pin_self(1);
	for (uint64_t i = 0; i < q->n; i++)
		while (!ck_ring_enqueue_mpsc(&ckr, ckbuf, &q->msgs[i & (QSIZE - 1)]))
			rte_pause();
	return NULL;
}

static void bm_ck_ring_mpsc(struct tern_bench *b)
{
	struct qbench q = { 0 };
	void *got;
	pthread_t th;

	ck_ring_init(&ckr, QSIZE);
	q.msgs = calloc(QSIZE, sizeof(*q.msgs));
	pin_main();
	uint64_t n = tern_bench_start(b);
	q.n = n;
	pthread_create(&th, NULL, ck_producer, &q);
	/* ck_ring has no burst dequeue: one at a time */
	for (uint64_t taken = 0; taken < n;)
		taken += ck_ring_dequeue_mpsc(&ckr, ckbuf, &got);
	tern_bench_stop(b);
	pthread_join(th, NULL);
	unpin_main();
	free(q.msgs);
}
TERN_BENCH_DEF(bm_ck_ring_mpsc, .name = "BM_ck_ring_mpsc", .real_time = 1);

/* ---- liburcu's wait-free concurrent queue ---- */

static struct cds_wfcq_head wq_head;
static struct cds_wfcq_tail wq_tail;
static uint64_t wq_taken; /* consumer's count, the producer's credit */

static void *wfcq_producer(void *arg)
{
	struct qbench *q = arg;
	struct cds_wfcq_node *nodes = (struct cds_wfcq_node *)q->msgs;

	pin_self(1);
	for (uint64_t i = 0; i < q->n; i++) {
		/* A node is reused only after the consumer took it. */
		while (i - __atomic_load_n(&wq_taken, __ATOMIC_ACQUIRE) >= QSIZE)
			rte_pause();
		cds_wfcq_node_init(&nodes[i & (QSIZE - 1)]);
		cds_wfcq_enqueue(&wq_head, &wq_tail, &nodes[i & (QSIZE - 1)]);
	}
	return NULL;
}

static void bm_urcu_wfcq(struct tern_bench *b)
{
	struct qbench q = { 0 };
	pthread_t th;

	_Static_assert(sizeof(struct cds_wfcq_node) <= sizeof(struct tern__msg),
		       "nodes fit the message array");
	cds_wfcq_init(&wq_head, &wq_tail);
	wq_taken = 0;
	q.msgs = calloc(QSIZE, sizeof(*q.msgs));
	pin_main();
	uint64_t n = tern_bench_start(b);
	q.n = n;
	pthread_create(&th, NULL, wfcq_producer, &q);
	for (uint64_t taken = 0; taken < n;) {
		struct cds_wfcq_node *node = __cds_wfcq_dequeue_nonblocking(&wq_head, &wq_tail);
		if (node == NULL || node == CDS_WFCQ_WOULDBLOCK)
			continue;
		taken++;
		if ((taken & (BATCH - 1)) == 0 || taken == n)
			__atomic_store_n(&wq_taken, taken, __ATOMIC_RELEASE);
	}
	tern_bench_stop(b);
	pthread_join(th, NULL);
	unpin_main();
	free(q.msgs);
}
TERN_BENCH_DEF(bm_urcu_wfcq, .name = "BM_urcu_wfcq", .real_time = 1);

/* ---- BM_xcore_roundtrip ---- */

static struct tern_cores *rt_group;

static intptr_t one(void *arg)
{
	return 1;
}

static intptr_t rt_loop(void *arg)
{
	struct tern_bench *b = arg;
	struct tern_sched *peer = tern_cores_sched(rt_group, 1);
	uint64_t n = tern_bench_start(b);
	intptr_t bad = 0;

	for (uint64_t i = 0; i < n; i++) {
		tern_future_t f;
		if (tern_submit(peer, one, NULL, NULL, &f) < 0 ||
		    tern_await(f, TERN_TOKEN_NONE) != 1)
			bad = 1;
	}
	tern_bench_stop(b);
	tern_sched_stop(tern_sched_current());
	return bad;
}

static void bm_xcore_roundtrip(struct tern_bench *b)
{
	int cpus[2] = { 0, 1 };
	struct tern_cores_opts o = { .n = 2, .cpus = cpus, .main_is_worker = true };
	tern_task_t t;

	pin_main();
	if (tern_cores_create(&o, &rt_group) < 0 ||
	    tern_task_spawn(rt_loop, b, &(struct tern_task_opts){
		    .sched = tern_cores_sched(rt_group, 0) }, &t) < 0 ||
	    tern_cores_start(rt_group) < 0) {
		tern_bench_error(b, "could not start two cores");
		unpin_main();
		return;
	}
	tern_cores_enter(rt_group, 0);
	tern_cores_stop(rt_group, 1000000000ull);
	if (tern_task_await(t, TERN_TOKEN_NONE) != 0)
		tern_bench_error(b, "a submit failed");
	tern_cores_destroy(rt_group);
	unpin_main();
}
TERN_BENCH_DEF(bm_xcore_roundtrip, .name = "BM_xcore_roundtrip", .real_time = 1);

/* ---- BM_steal_imbalance ---- */

#define STEAL_JOBS 64
/* xorshift steps per job: ~100 us of CPU on this VM. Not smaller: when
 * the machine is shared, the OS preempts a core for milliseconds, and a
 * thief preempted while it holds a job holds up the whole batch; with
 * ~10 us jobs (6.4 ms batches cut to 0.6 ms) that tail ate the gain
 * (on/off ~1.0-1.1 at load 4), with ~100 us jobs it is 0.5-0.67. */
#define STEAL_WORK 50000

static struct tern_cores *st_group;

/* CPU-only work of a fixed size (not a fixed time: a job that loses its
 * CPU to another process takes longer, as real work would). */
static intptr_t steal_job(void *arg)
{
	uint64_t x = (uintptr_t)arg | 1;

	for (unsigned i = 0; i < STEAL_WORK; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	tern_bench_use(x);
	return 0;
}

static intptr_t steal_loop(void *arg)
{
	struct tern_bench *b = arg;
	uint64_t n = tern_bench_start(b);
	intptr_t bad = 0;

	for (uint64_t i = 0; i < n; i++) {
		tern_task_t t[STEAL_JOBS];

		for (unsigned j = 0; j < STEAL_JOBS; j++)
			if (tern_task_spawn(steal_job, (void *)(uintptr_t)(j + 1),
					    &(struct tern_task_opts){
						    .flags = TERN_TASK_STEALABLE }, &t[j]) < 0)
				return 1;
		for (unsigned j = 0; j < STEAL_JOBS; j++)
			bad |= tern_task_await(t[j], TERN_TOKEN_NONE) != 0;
	}
	tern_bench_stop(b);
	tern_sched_stop(tern_sched_current());
	return bad;
}

/* Core 0 is the benchmark's thread, core 1 a thread of the group's own,
 * each pinned to its CPU: both CPUs are needed, do not run under taskset. */
static void steal_imbalance(struct tern_bench *b, bool steal)
{
	int cpus[2] = { 0, 1 };
	struct tern_cores_opts o = { .n = 2, .cpus = cpus, .main_is_worker = true,
				     .no_steal = !steal };
	struct tern_sched_stats st0, st1;
	tern_task_t t;

	pin_main();
	if (tern_cores_create(&o, &st_group) < 0 ||
	    tern_task_spawn(steal_loop, b, &(struct tern_task_opts){
		    .sched = tern_cores_sched(st_group, 0) }, &t) < 0 ||
	    tern_cores_start(st_group) < 0) {
		tern_bench_error(b, "could not start two cores");
		unpin_main();
		return;
	}
	tern_cores_enter(st_group, 0);
	tern_cores_stop(st_group, 1000000000ull);
	if (tern_task_await(t, TERN_TOKEN_NONE) != 0)
		tern_bench_error(b, "a job failed");
	tern_sched_stats(tern_cores_sched(st_group, 0), &st0);
	tern_sched_stats(tern_cores_sched(st_group, 1), &st1);
	/* The share core 1 ran: 0 with stealing off, ~0.5 at best with it on. */
	tern_bench_counter(b, "stolen_share", (double)st1.jobs_stolen /
			   (double)(st0.jobs_run + st1.jobs_run));
	tern_cores_destroy(st_group);
	unpin_main();
}

static void bm_steal_off(struct tern_bench *b)
{
	steal_imbalance(b, false);
}
TERN_BENCH_DEF(bm_steal_off, .name = "BM_steal_imbalance/steal:0", .real_time = 1);

static void bm_steal_on(struct tern_bench *b)
{
	steal_imbalance(b, true);
}
TERN_BENCH_DEF(bm_steal_on, .name = "BM_steal_imbalance/steal:1", .real_time = 1);
