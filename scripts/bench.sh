#!/usr/bin/env bash
# Builds a release build and runs the Google Benchmark suite, writing JSON.
#
#   scripts/bench.sh [OUT.json] [extra Google Benchmark flags...]
#
# Default output: build/release/bench.json. Example: only the runtime's:
#   scripts/bench.sh out.json --benchmark_filter='BM_(call|switch|yield|await|spawn)'
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$here/build/release/bench.json}
shift || true
"$here/scripts/setup.sh" >/dev/null
"$here/build/release/bench/tern-bench" --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$out" --benchmark_out_format=json "$@"
echo "bench: JSON in $out"
