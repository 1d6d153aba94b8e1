/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Async toolkit benchmarks (issue 3). Names are fixed: the CI perf job
 * tracks them.
 *
 * BM_timer_arm_cancel and BM_rte_timer_reset do the same thing with 1M other
 * timers live: arm (reset) one timer, then cancel (stop) it. The live timers
 * and the probe's delays come from the same log-uniform spread (10 min to a
 * day, so none fires during a run), so the probe lands at a random place
 * among the live ones: a probe due before all of them would make the
 * skiplist's walk trivial and flatter rte_timer. Both read the real clock
 * on arm, as deployments do. The live timers are armed once per process and
 * reused by every repetition.
 */
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_timer.h>

#include <tern/tern.h>

#include "bench.h"
#include "bm_eal.h"

#define LIVE_TIMERS (1u << 20)
#define DELAYS 4096u  /* table of probe delays; a power of two */
#define SEC_NS UINT64_C(1000000000)
#define LIVE_MIN_NS (600 * SEC_NS)    /* 10 min */
#define LIVE_MAX_NS (86400 * SEC_NS)  /* a day */

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Roughly log-uniform in [lo, hi) ns: a random octave, a random point in
 * it. Repeatable: the seed is the caller's. */
static uint64_t rand_delay(uint64_t *x, uint64_t lo, uint64_t hi)
{
	unsigned octaves = 64 - (unsigned)__builtin_clzll(hi / lo);
	uint64_t v = lo << (xorshift(x) % octaves);

	v += xorshift(x) % v;
	return v < hi ? v : hi - 1;
}

static uint64_t probe_ns[DELAYS];

static void probe_delays_init(void)
{
	uint64_t x = 88172645463325252ull;

	if (probe_ns[0])
		return;
	for (unsigned i = 0; i < DELAYS; i++)
		probe_ns[i] = rand_delay(&x, LIVE_MIN_NS, LIVE_MAX_NS);
}

/* ---- BM_timer_arm_cancel: tern's wheel ---- */

static struct {
	struct tern_sched *s;
	struct tern_timer *live;
	int err;
} wheel;

static void never(struct tern_timer *t)
{
}

static intptr_t arm_live(void *arg)
{
	uint64_t x = 2463534242ull;

	for (unsigned i = 0; i < LIVE_TIMERS; i++) {
		tern_timer_init(&wheel.live[i], never, NULL);
		if (tern_timer_arm(&wheel.live[i], rand_delay(&x, LIVE_MIN_NS, LIVE_MAX_NS)) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Runs fn as a task on @s and returns its result. */
static intptr_t run_on(struct tern_sched *s, tern_task_fn fn, void *arg)
{
	tern_task_t t;
	int rc = tern_task_spawn(fn, arg, &(struct tern_task_opts){ .sched = s }, &t);

	if (rc < 0)
		return rc;
	tern_sched_run_until_idle(s, 0);
	return tern_task_await(t, TERN_TOKEN_NONE);
}

/* A core holding 1M armed timers, made once; the process exit frees it. */
static int wheel_get(void)
{
	if (wheel.s || wheel.err)
		return wheel.err;
	probe_delays_init();
	wheel.live = calloc(LIVE_TIMERS, sizeof(*wheel.live));
	wheel.err = wheel.live ? tern_sched_create(NULL, &wheel.s) : -ENOMEM;
	if (wheel.err == 0)
		wheel.err = (int)run_on(wheel.s, arm_live, NULL);
	return wheel.err;
}

static intptr_t arm_cancel_loop(void *arg)
{
	struct tern_bench *b = arg;
	struct tern_timer probe;
	uint64_t n, bad = 0;

	tern_timer_init(&probe, never, NULL);
	n = tern_bench_start(b);
	for (uint64_t i = 0; i < n; i++) {
		bad |= (uint64_t)tern_timer_arm(&probe, probe_ns[i & (DELAYS - 1)]);
		bad |= (uint64_t)tern_timer_cancel(&probe);
	}
	tern_bench_stop(b);
	return bad ? -EIO : 0;
}

static void bm_timer_arm_cancel(struct tern_bench *b)
{
	struct tern_sched_stats st;

	if (wheel_get() < 0) {
		tern_bench_error(b, "could not arm the 1M live timers");
		return;
	}
	if (run_on(wheel.s, arm_cancel_loop, b) < 0)
		tern_bench_error(b, "arm or cancel failed");
	tern_sched_stats(wheel.s, &st);
	tern_bench_counter(b, "live_timers", (double)st.timers_live);
}
TERN_BENCH(bm_timer_arm_cancel, "BM_timer_arm_cancel");

/* ---- BM_rte_timer_reset: DPDK's skiplist timers, the baseline ---- */

static struct {
	struct rte_timer *live;
	uint64_t probe_ticks[DELAYS];
	int err;
	bool ready;
} rte;

static void rte_never(struct rte_timer *t, void *arg)
{
}

static void rte_env_fini(void)
{
	rte_timer_subsystem_finalize();
	free(rte.live);
}

static uint64_t ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((double)ns * (double)rte_get_timer_hz() / (double)SEC_NS);
}

static int rte_arm_live(void)
{
	unsigned lcore = rte_lcore_id();
	uint64_t x = 2463534242ull;

	for (unsigned i = 0; i < LIVE_TIMERS; i++) {
		uint64_t ns = rand_delay(&x, LIVE_MIN_NS, LIVE_MAX_NS);

		rte_timer_init(&rte.live[i]);
		if (rte_timer_reset(&rte.live[i], ns_to_ticks(ns), SINGLE, lcore, rte_never, NULL) < 0)
			return -EINVAL;
	}
	return 0;
}

/* The shared EAL, the timer subsystem and 1M armed rte_timers, once. */
static int rte_get(void)
{
	if (rte.ready || rte.err)
		return rte.err;
	probe_delays_init();
	rte.err = bm_eal_get();
	if (rte.err == 0) {
		int rc = rte_timer_subsystem_init();
		rte.err = rc == -EALREADY ? 0 : rc;
	}
	if (rte.err == 0) {
		atexit(rte_env_fini); /* before the EAL's own cleanup */
		rte.live = calloc(LIVE_TIMERS, sizeof(*rte.live));
		rte.err = rte.live ? rte_arm_live() : -ENOMEM;
	}
	for (unsigned i = 0; rte.err == 0 && i < DELAYS; i++)
		rte.probe_ticks[i] = ns_to_ticks(probe_ns[i]);
	rte.ready = rte.err == 0;
	return rte.err;
}

static void bm_rte_timer_reset(struct tern_bench *b)
{
	unsigned lcore = rte_lcore_id();
	struct rte_timer probe;
	uint64_t n;
	int bad = 0;

	if (rte_get() < 0) {
		tern_bench_error(b, "EAL, rte_timer_subsystem_init or arming 1M rte_timers failed");
		return;
	}
	rte_timer_init(&probe);
	n = tern_bench_start(b);
	for (uint64_t i = 0; i < n; i++) {
		bad |= rte_timer_reset(&probe, rte.probe_ticks[i & (DELAYS - 1)], SINGLE, lcore,
				       rte_never, NULL);
		bad |= rte_timer_stop(&probe);
	}
	tern_bench_stop(b);
	if (bad)
		tern_bench_error(b, "rte_timer_reset or rte_timer_stop failed");
	tern_bench_counter(b, "live_timers", LIVE_TIMERS);
}
TERN_BENCH(bm_rte_timer_reset, "BM_rte_timer_reset");

/* ---- BM_chan_send_recv: ping-pong between two tasks, per message ---- */

struct pp {
	struct tern_chan *ab, *ba;
	struct tern_bench *b;
};

/* Echoes until it receives -1. */
static intptr_t pong(void *arg)
{
	struct pp *p = arg;
	intptr_t v;

	while (tern_chan_recv(p->ab, &v, TERN_TOKEN_NONE) == 0 && v >= 0)
		if (tern_chan_send(p->ba, v + 1, TERN_TOKEN_NONE) < 0)
			return -EIO;
	return 0;
}

/* One iteration is one message: a round trip counts two. */
static intptr_t ping(struct pp *p)
{
	tern_task_t t;
	intptr_t v = 0, bad = 0;
	uint64_t n;

	if (tern_task_spawn(pong, p, NULL, &t) < 0)
		return -ENOMEM;
	n = tern_bench_start(p->b);
	for (uint64_t i = 0; i < n; i += 2) {
		bad |= tern_chan_send(p->ab, v, TERN_TOKEN_NONE);
		bad |= tern_chan_recv(p->ba, &v, TERN_TOKEN_NONE);
	}
	tern_bench_stop(p->b);
	bad |= tern_chan_send(p->ab, -1, TERN_TOKEN_NONE);
	bad |= tern_task_await(t, TERN_TOKEN_NONE);
	return bad ? -EIO : 0;
}

static intptr_t chan_bench(void *arg)
{
	struct tern_chan_opts o = { .capacity = 64 };
	struct pp p = { .b = arg };
	intptr_t r = -ENOMEM;

	if (tern_chan_create(&o, &p.ab) == 0 && tern_chan_create(&o, &p.ba) == 0)
		r = ping(&p);
	tern_chan_destroy(p.ab);
	tern_chan_destroy(p.ba);
	return r;
}

static void bm_chan_send_recv(struct tern_bench *b)
{
	if (tern_block_on(NULL, chan_bench, b) != 0)
		tern_bench_error(b, "the channel ping-pong failed");
}
TERN_BENCH(bm_chan_send_recv, "BM_chan_send_recv");

/* ---- BM_sem_uncontended: acquire + release, nobody waits ---- */

static intptr_t sem_bench(void *arg)
{
	struct tern_bench *b = arg;
	struct tern_sem *sem;
	intptr_t bad = 0;
	uint64_t n;

	if (tern_sem_create(&(struct tern_sem_opts){ .initial = 1 }, &sem) < 0)
		return -ENOMEM;
	n = tern_bench_start(b);
	for (uint64_t i = 0; i < n; i++) {
		bad |= tern_sem_acquire(sem, TERN_TOKEN_NONE);
		bad |= tern_sem_release(sem);
	}
	tern_bench_stop(b);
	tern_sem_destroy(sem);
	return bad ? -EIO : 0;
}

static void bm_sem_uncontended(struct tern_bench *b)
{
	if (tern_block_on(NULL, sem_bench, b) != 0)
		tern_bench_error(b, "acquire or release failed");
}
TERN_BENCH(bm_sem_uncontended, "BM_sem_uncontended");
