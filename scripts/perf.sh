#!/usr/bin/env bash
# The CI performance job (issue 7): a release build, the Google Benchmark
# suite, exact callgrind instruction counts, every figure judged against
# bench/targets.json, one JSON result and PNG plots per run.
#
#   scripts/perf.sh [--quick|--full] [--out DIR] [--build-dir DIR] [--cpu N]
#                   [--record] [--update-docs]
#
#   --quick        (default; what CI runs, < 5 minutes) 5 interleaved
#                  repetitions of every BM_* pinned to one CPU, the
#                  single-core echo A/B (scripts/echo_1core.sh: 3 pairs of
#                  3 s, about 35 s; single-core figures are steady, and it
#                  is the end-to-end figure to gate on), then the callgrind
#                  workloads of bench/cg/.
#   --full         15 repetitions, the single-core echo A/B with 5 pairs of
#                  4 s, and the two-process job: UDP echo over memif,
#                  tern-echo against testpmd --forward-mode=5tswap, both
#                  driven by tern-gen, interleaved A/B, then tern-gen's
#                  latency at half the measured capacity
#                  (scripts/echo_ab.sh). Run it on a quiet machine.
#                  TERN_AB_PAIRS, TERN_1CORE_PAIRS, TERN_1CORE_SECONDS
#                  override the pair counts and run length.
#   --out DIR      result directory (default BUILD/runs/<UTC time>; BUILD/runs/latest
#                  points at the newest)
#   --build-dir    default build/perf (release, tests off)
#   --cpu N        CPU the benchmarks are pinned to (default: the last one)
#   --record       write the measured instruction counts into bench/targets.json
#                  (after an intended change; commit it with the change)
#   --update-docs  copy the plots to docs/img/ for docs/benchmarks.md
#
# Exit: 0 every gating figure passed; 1 a gating figure failed, a figure that
# should exist now was not measured, or the build failed. The table printed
# at the end says which figure and by how much.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
started=$(date +%s)
mode=quick out= builddir="$here/build/perf" cpu= record=() update_docs=0
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --out) out=$2; shift ;;
    --build-dir) builddir=$2; shift ;;
    --cpu) cpu=$2; shift ;;
    --record) record=(--record) ;;
    --update-docs) update_docs=1 ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "perf: unknown option $1 (see --help)" >&2; exit 1 ;;
    esac
    shift
done
[ -n "$out" ] || out="$builddir/runs/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
say() { printf 'perf: %s\n' "$*"; }

# ---- build: packages and hugepages from setup.sh, our own release dir
"$here/scripts/setup.sh" --no-build >/dev/null || { say "scripts/setup.sh failed"; exit 1; }
if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" "$here" --buildtype=release -Dtests=false -Dwerror=true >/dev/null
fi
if ! ninja -C "$builddir" >"$out/build.log" 2>&1; then
    tail -30 "$out/build.log"
    say "the release build failed (log: $out/build.log)"
    exit 1
fi
say "release build in $builddir"

# ---- Google Benchmark: interleaved repetitions, so a ratio's numerator and
# denominator see the same machine mood; one CPU for single-core figures.
reps=5
[ "$mode" = full ] && reps=15
pin=()
[ -n "$cpu" ] || cpu=$(( $(nproc) - 1 ))
if command -v taskset >/dev/null; then
    pin=(taskset -c "$cpu")
else
    say "taskset missing: benchmarks not pinned (install util-linux)"
fi
rm -f "$out/bench.json"
say "benchmarks: $reps repetitions on CPU $cpu ($mode mode)"
if ! "${pin[@]}" "$builddir/bench/tern-bench" --benchmark_repetitions=$reps \
        --benchmark_enable_random_interleaving=true \
        --benchmark_report_aggregates_only=true \
        --benchmark_out="$out/bench.json" --benchmark_out_format=json \
        >"$out/bench.txt" 2>&1; then
    say "tern-bench exited non-zero (log: $out/bench.txt); its figures are NOT MEASURED"
fi

# ---- end-to-end jobs: they need testpmd and hugepages; a job that cannot
# run says why in its log, and its figures are NOT MEASURED (the report
# reads the log's last line). The single-core A/B runs in both modes:
# one core's figures are steady on this VM, and it is the one to gate on.
pairs_1c=${TERN_1CORE_PAIRS:-3} secs_1c=${TERN_1CORE_SECONDS:-3}
if [ "$mode" = full ]; then
    pairs_1c=${TERN_1CORE_PAIRS:-5} secs_1c=${TERN_1CORE_SECONDS:-4}
fi
say "end-to-end: UDP echo, one process on CPU $cpu, tern-echo-loop vs testpmd 5tswap on a memif loop, $pairs_1c interleaved pairs"
"$here/scripts/echo_1core.sh" --build-dir "$builddir" --pairs "$pairs_1c" \
    --seconds "$secs_1c" --cpu "$cpu" --out "$out/echo_1core.json" 2>&1 |
    tee "$out/echo_1core.log" | sed 's/^/perf: /' || true   # judged from its JSON
e2e=(--e2e "echo_1core=$out/echo_1core.json")
# The two-process A/B: tern-echo vs testpmd 5tswap over memif, both driven
# by tern-gen, then tern-gen's latency at half of tern's capacity. Not
# gating: this machine's two-process memif figures swing 3x.
if [ "$mode" = full ]; then
    say "end-to-end: UDP echo over memif, tern-echo vs testpmd 5tswap, interleaved A/B (not gating)"
    "$here/scripts/echo_ab.sh" --build-dir "$builddir" --pairs "${TERN_AB_PAIRS:-5}" \
        --out "$out/echo_ab.json" 2>&1 | tee "$out/echo_ab.log" | sed 's/^/perf: /' || true
    e2e+=(--e2e "echo_ab=$out/echo_ab.json")
fi

# ---- callgrind counts, judging, result JSON and plots (Debian's python3
# for python3-matplotlib; the pyenv python on PATH lacks it).
status=0
/usr/bin/python3 "$here/scripts/perf_report.py" --root "$here" \
    --targets "$here/bench/targets.json" --bench-json "$out/bench.json" \
    --cg-dir "$builddir/bench/cg" --mode "$mode" --out "$out" \
    --started "$started" --extra "cpu=$cpu" --extra "repetitions=$reps" \
    "${e2e[@]}" "${record[@]}" || status=$?

ln -sfn "$out" "$builddir/runs/latest" 2>/dev/null || true
if [ "$update_docs" -eq 1 ]; then
    mkdir -p "$here/docs/img"
    for p in ratios insn echo latency; do
        [ -f "$out/$p.png" ] && cp "$out/$p.png" "$here/docs/img/perf-$p.png"
    done
    say "plots copied to docs/img/perf-*.png"
fi
say "$mode mode took $(( $(date +%s) - started )) s; exit $status"
exit $status
