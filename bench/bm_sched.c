/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched/ microbenchmarks. Names are fixed: the CI perf job tracks them.
 * Round trips count as one iteration: BM_switch_baseline is A->B->A over the
 * bare switch below; BM_yield_roundtrip is one task yielding and being
 * resumed; BM_yield_pingpong is two tasks yielding to each other (A->B->A,
 * two real switches).
 */
#include <tern/tern.h>

#include "bench.h"

/* ---- BM_call_baseline: an indirect call of an empty function ---- */

__attribute__((noinline)) static void empty(void)
{
	tern_bench_clobber();
}

static void (*volatile empty_ptr)(void) = empty;

static void bm_call_baseline(struct tern_bench *b)
{
	uint64_t n = tern_bench_start(b);

	for (uint64_t i = 0; i < n; i++)
		empty_ptr();
	tern_bench_stop(b);
}
TERN_BENCH(bm_call_baseline, "BM_call_baseline");

/* ---- BM_switch_baseline: the fastest switch we can write ----
 * Saves only rsp and the resume address, resumes with jmp; every other
 * register is declared clobbered, so the compiler saves only what is live.
 * No FP control state, no bookkeeping: the physical floor for a switch. */
#if defined(__x86_64__)
#define BARE_SWITCH(save_sp, to_sp)                                               \
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"                              \
			 "pushq %%rbp\n\t"                                        \
			 "pushq %%rax\n\t"                                        \
			 "movq %%rsp, (%0)\n\t"                                   \
			 "movq %1, %%rsp\n\t"                                     \
			 "popq %%rax\n\t"                                         \
			 "popq %%rbp\n\t"                                         \
			 "jmpq *%%rax\n"                                          \
			 "1:\n\t"                                                 \
			 : : "D"(save_sp), "S"(to_sp)                             \
			 : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", \
			   "r12", "r13", "r14", "r15", "memory", "cc")
#elif defined(__aarch64__)
#define BARE_SWITCH(save_sp, to_sp)                                               \
	__asm__ volatile("adr x9, 1f\n\t"                                         \
			 "stp x29, x9, [sp, #-16]!\n\t"                           \
			 "mov x10, sp\n\t"                                        \
			 "str x10, [%0]\n\t"                                      \
			 "mov sp, %1\n\t"                                         \
			 "ldp x29, x9, [sp], #16\n\t"                             \
			 "br x9\n"                                                \
			 "1:\n\t"                                                 \
			 : : "r"(save_sp), "r"(to_sp)                             \
			 : "x9", "x10", "x19", "x20", "x21", "x22", "x23", "x24", \
			   "x25", "x26", "x27", "x28", "x30", "memory", "cc")
#endif

static void *main_sp, *peer_sp;
static char peer_stack[64 * 1024] __attribute__((aligned(64)));

__attribute__((noinline, noreturn)) static void peer_loop(void)
{
	for (;;)
		BARE_SWITCH(&peer_sp, main_sp);
}

static void bm_switch_baseline(struct tern_bench *b)
{
	/* Prime the peer's stack so its first resume enters peer_loop. */
	void **top = (void **)(peer_stack + sizeof(peer_stack));
#if defined(__x86_64__)
	*--top = NULL;             /* fake return slot keeps 16-byte alignment */
	*--top = (void *)peer_loop; /* popped into rax, jumped to */
	*--top = NULL;              /* rbp */
	void *t = top[0];
	top[0] = top[1];
	top[1] = t;                 /* order: [rsp]=rip, [rsp+8]=rbp */
#elif defined(__aarch64__)
	*--top = (void *)peer_loop;
	*--top = NULL;
#endif
	peer_sp = top;
	uint64_t n = tern_bench_start(b);
	for (uint64_t i = 0; i < n; i++)
		BARE_SWITCH(&main_sp, peer_sp);
	tern_bench_stop(b);
}
TERN_BENCH(bm_switch_baseline, "BM_switch_baseline");

/* ---- runtime benchmarks: run inside a task via tern_block_on ---- */

struct bm_arg {
	struct tern_bench *b;
};

static intptr_t yield_loop(void *arg)
{
	struct tern_bench *b = ((struct bm_arg *)arg)->b;
	uint64_t n = tern_bench_start(b);

	for (uint64_t i = 0; i < n; i++)
		tern_yield();
	tern_bench_stop(b);
	return 0;
}

static void run_on_core(struct tern_bench *b, tern_task_fn fn)
{
	struct bm_arg a = { b };

	if (tern_block_on(NULL, fn, &a) != 0)
		tern_bench_error(b, "the benchmark task failed");
}

static void bm_yield_roundtrip(struct tern_bench *b)
{
	run_on_core(b, yield_loop);
}
TERN_BENCH(bm_yield_roundtrip, "BM_yield_roundtrip");

/* Two tasks yielding to each other: every yield is a real switch (the core
 * hands itself from one task to the other), so this is the switching cost
 * that BM_yield_roundtrip, with one task and nothing else ready, avoids. */
static volatile int pingpong_stop;

static intptr_t pong(void *arg)
{
	while (!pingpong_stop)
		tern_yield();
	return 0;
}

static intptr_t pingpong_loop(void *arg)
{
	struct tern_bench *b = ((struct bm_arg *)arg)->b;
	tern_task_t peer;

	pingpong_stop = 0;
	tern_task_spawn(pong, NULL, NULL, &peer);
	uint64_t n = tern_bench_start(b);
	for (uint64_t i = 0; i < n; i++)
		tern_yield();
	tern_bench_stop(b);
	pingpong_stop = 1;
	return tern_task_await(peer, TERN_TOKEN_NONE);
}

static void bm_yield_pingpong(struct tern_bench *b)
{
	run_on_core(b, pingpong_loop);
}
TERN_BENCH(bm_yield_pingpong, "BM_yield_pingpong");

/* A function returning a future completed synchronously: C#'s ValueTask
 * fast path, which the common case of every awaiting call takes. */
__attribute__((noinline)) static tern_future_t ready_value(uint64_t i)
{
	return tern_future_ready((intptr_t)i);
}

static void bm_await_ready(struct tern_bench *b)
{
	uint64_t n = tern_bench_start(b);

	for (uint64_t i = 0; i < n; i++) {
		intptr_t v = tern_await(ready_value(i), TERN_TOKEN_NONE);
		tern_bench_use(v);
	}
	tern_bench_stop(b);
}
TERN_BENCH(bm_await_ready, "BM_await_ready");

/* A pooled promise made, completed and awaited: no switch, no malloc. */
static intptr_t promise_loop(void *arg)
{
	struct tern_bench *b = ((struct bm_arg *)arg)->b;
	uint64_t n = tern_bench_start(b);

	for (uint64_t i = 0; i < n; i++) {
		tern_promise_t p;
		tern_promise_create(&p);
		tern_promise_complete(p, 1);
		intptr_t v = tern_await(tern_promise_future(p), TERN_TOKEN_NONE);
		tern_bench_use(v);
	}
	tern_bench_stop(b);
	return 0;
}

static void bm_await_ready_promise(struct tern_bench *b)
{
	run_on_core(b, promise_loop);
}
TERN_BENCH(bm_await_ready_promise, "BM_await_ready_promise");

static intptr_t empty_task(void *arg)
{
	return 0;
}

static intptr_t spawn_loop(void *arg)
{
	struct tern_bench *b = ((struct bm_arg *)arg)->b;
	uint64_t n = tern_bench_start(b);

	for (uint64_t i = 0; i < n; i++) {
		tern_task_t t;
		tern_task_spawn(empty_task, NULL, NULL, &t);
		intptr_t v = tern_task_await(t, TERN_TOKEN_NONE);
		tern_bench_use(v);
	}
	tern_bench_stop(b);
	return 0;
}

static void bm_spawn_await(struct tern_bench *b)
{
	run_on_core(b, spawn_loop);
}
TERN_BENCH(bm_spawn_await, "BM_spawn_await");
