/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Thin C interface to Google Benchmark. Benchmarks are plain C functions that
 * register themselves with TERN_BENCH(); bench/glue.cc is the only C++ file.
 *
 * A benchmark function times one batch:
 *
 *     static void bm_thing(struct tern_bench *b)
 *     {
 *         setup();
 *         uint64_t n = tern_bench_start(b);   // timer starts
 *         for (uint64_t i = 0; i < n; i++)
 *             thing();
 *         tern_bench_stop(b);                 // timer stops
 *         teardown();
 *     }
 *     TERN_BENCH(bm_thing, "BM_thing");
 *
 * The loop is the C code's own, so no C++ call sits inside the timed loop.
 */
#ifndef TERN_BENCH_H
#define TERN_BENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tern_bench;
typedef void (*tern_bench_fn)(struct tern_bench *b);

struct tern_bench_def {
	const char *name;      /* fixed name tracked by the CI perf job */
	tern_bench_fn fn;
	int64_t arg;           /* read with tern_bench_arg(); 0 by default */
	int real_time;         /* 1: report wall time (for cross-thread work) */
	double min_time_s;     /* 0: Google Benchmark's default */
};

/* Registers a benchmark; called from constructors before main(). */
void tern_bench_register(const struct tern_bench_def *def);

/* Starts the timer and returns how many iterations to run. */
uint64_t tern_bench_start(struct tern_bench *b);
/* Stops the timer; call exactly once after the loop. */
void tern_bench_stop(struct tern_bench *b);
/* Marks the run failed with a message; the JSON shows the error. */
void tern_bench_error(struct tern_bench *b, const char *msg);
/* Adds a counter to the report (e.g. "items", "insn"). */
void tern_bench_counter(struct tern_bench *b, const char *name, double value);
/* The def's arg. */
int64_t tern_bench_arg(struct tern_bench *b);

/* Keeps a value alive against the optimiser. */
#define tern_bench_use(v) __asm__ volatile("" : : "r"(v) : "memory")
#define tern_bench_clobber() __asm__ volatile("" : : : "memory")

#define TERN_BENCH_DEF(fn_, ...)                                        \
	__attribute__((constructor)) static void fn_##_register(void)   \
	{                                                               \
		static const struct tern_bench_def d = { .fn = fn_, __VA_ARGS__ }; \
		tern_bench_register(&d);                                \
	}
#define TERN_BENCH(fn_, name_) TERN_BENCH_DEF(fn_, .name = name_)

#ifdef __cplusplus
}
#endif
#endif
