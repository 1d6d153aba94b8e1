// SPDX-License-Identifier: BSD-3-Clause
// The only C++ in tern: maps bench/bench.h onto Google Benchmark.
#include <benchmark/benchmark.h>

#include "bench.h"

namespace {
benchmark::State &S(struct tern_bench *b) { return *reinterpret_cast<benchmark::State *>(b); }
}

extern "C" {

void tern_bench_register(const struct tern_bench_def *def)
{
	auto *bm = benchmark::RegisterBenchmark(def->name, [def](benchmark::State &st) {
		def->fn(reinterpret_cast<struct tern_bench *>(&st));
	});
	if (def->arg)
		bm->Arg(def->arg);
	if (def->real_time)
		bm->UseRealTime();
	if (def->min_time_s > 0)
		bm->MinTime(def->min_time_s);
}

uint64_t tern_bench_start(struct tern_bench *b)
{
	auto &st = S(b);
	uint64_t n = static_cast<uint64_t>(st.max_iterations);
	// First call starts the timer and accounts all n iterations at once.
	if (!st.KeepRunningBatch(static_cast<benchmark::IterationCount>(n)))
		return 0;
	return n;
}

void tern_bench_stop(struct tern_bench *b)
{
	auto &st = S(b);
	// Second call sees the batch done and stops the timer.
	while (st.KeepRunningBatch(1))
		;
}

void tern_bench_error(struct tern_bench *b, const char *msg) { S(b).SkipWithError(msg); }

void tern_bench_counter(struct tern_bench *b, const char *name, double value)
{
	S(b).counters[name] = value;
}

int64_t tern_bench_arg(struct tern_bench *b) { return S(b).range(0); }

} // extern "C"

BENCHMARK_MAIN();
