#!/usr/bin/env bash
# Rate sweep: tern-gen (lcore 1) drives a device under test (lcore 0) over
# memif at offered rates from low to saturation, one bounded run per step,
# and records per step the offered, sent and delivered packets/s, the loss
# and the latency percentiles (p50, p99, p99.9, max). Writes DIR/sweep.json
# and DIR/sweep.png (throughput and latency against offered load), prints a
# table and the knee: the last rate of the leading run of steps, each
# delivering within --knee-loss percent of what was offered.
#
#   scripts/rate_sweep.sh [--dut tern|testpmd] [--rates R1,R2,...]
#       [--start PPS] [--factor F] [--max PPS] [--max-steps N] [--seconds S]
#       [--size BYTES] [--flows N] [--poisson] [--out DIR] [--knee-loss PCT]
#       [--stop-loss PCT] [--no-early-stop] [--build-dir DIR] [--no-setup]
#
# Steps: --rates as given, else geometric from --start (50000) times
# --factor (2) up to --max (32000000); at most --max-steps (16; never more
# than 40), each --seconds (2, at most 60) long. The sweep stops early when
# a step loses more than --stop-loss percent (5) of what it sent, or when
# delivered throughput grew less than 5% over its best for two steps in a
# row (--no-early-stop: run every step). The DUT is tern-echo, or with
# --dut testpmd dpdk-testpmd --forward-mode=5tswap; both restart for every
# step (memif's safe stop, docs/gen.md). Defaults: build/release (made by
# scripts/setup.sh, as scripts/demo.sh does; --no-setup skips it), 64-byte
# frames, 1 flow, DIR ./sweep-YYYYmmdd-HHMMSS.
# Exit: 0 every step ran; 1 a step failed or bad options; 2 cannot run here
# (no testpmd, one CPU, not built).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir="$here/build/release" dut=tern rates= start=50000 factor=2 max=32000000
max_steps=16 seconds=2 size=64 flows=1 dist=() out= knee_loss=0.1 stop_loss=5
early=1 setup=1
while [ $# -gt 0 ]; do
    case "$1" in
    --dut) dut=$2; shift ;;
    --rates) rates=$2; shift ;;
    --start) start=$2; shift ;;
    --factor) factor=$2; shift ;;
    --max) max=$2; shift ;;
    --max-steps) max_steps=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --size) size=$2; shift ;;
    --flows) flows=$2; shift ;;
    --poisson) dist=(--poisson) ;;
    --out) out=$2; shift ;;
    --knee-loss) knee_loss=$2; shift ;;
    --stop-loss) stop_loss=$2; shift ;;
    --no-early-stop) early=0 ;;
    --build-dir) builddir=$2; shift ;;
    --no-setup) setup=0 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "rate_sweep: unknown option $1 (see --help)" >&2; exit 1 ;;
    esac
    shift
done
py=/usr/bin/python3
report=$here/scripts/sweep_report.py
. "$here/scripts/gen_dut.sh"
dut_name=rate_sweep
say() { printf 'rate_sweep: %s\n' "$*" >&2; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "${2:-1}" ]; }

is_uint "$seconds" && [ "$seconds" -le 60 ] || { say "--seconds must be 1..60"; exit 1; }
is_uint "$max_steps" && [ "$max_steps" -le 40 ] || { say "--max-steps must be 1..40"; exit 1; }
"$py" -c 'import matplotlib' 2>/dev/null \
    || { say "$py lacks matplotlib (Debian package python3-matplotlib; scripts/setup.sh installs it)"; exit 2; }

# The steps, in increasing order: the user's list or a geometric series.
if [ -n "$rates" ]; then
    IFS=, read -r -a steps <<<"$rates"
else
    mapfile -t steps < <("$py" -c '
import sys
r, f, top, n = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
if r < 1 or f <= 1 or top < r:
    sys.exit("need --start >= 1, --factor > 1, --max >= --start")
while r <= top and n > 0:
    print(int(r)); r *= f; n -= 1' "$start" "$factor" "$max" "$max_steps") \
        || { say "bad --start/--factor/--max"; exit 1; }
fi
prev=0
for r in "${steps[@]}"; do
    is_uint "$r" && [ "$r" -le 1000000000 ] || { say "bad rate '$r' (packets/s, 1..1e9)"; exit 1; }
    [ "$r" -gt "$prev" ] || { say "--rates must increase ($r after $prev)"; exit 1; }
    prev=$r
done
[ "${#steps[@]}" -ge 1 ] && [ "${#steps[@]}" -le "$max_steps" ] \
    || { say "${#steps[@]} steps: between 1 and --max-steps ($max_steps)"; exit 1; }

if [ "$setup" -eq 1 ]; then
    "$here/scripts/setup.sh" --build-dir "$builddir" || { say "scripts/setup.sh failed"; exit 2; }
fi
out=${out:-./sweep-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out" || { say "cannot make $out"; exit 1; }
dut_init "$builddir" "$dut" rate_sweep || exit $?
trap 'say interrupted; exit 130' INT TERM

say "DUT $dut on lcore 0, tern-gen on lcore 1 over memif; ${#steps[@]} step(s) of $seconds s," \
    "$size-byte frames, $flows flow(s)${dist:+, Poisson gaps}; results in $out"
[ "$dut_huge" -eq 1 ] || say "no hugepages for this user: running with --no-huge"
stepsf=$out/steps.jsonl
: >"$stepsf"
status=0 i=0 why= stopped=
for r in "${steps[@]}"; do
    i=$((i + 1))
    if dut_run "step$i" "$seconds" --rate "$r" --seconds "$seconds" --size "$size" \
            --flows "$flows" "${dist[@]}"; then
        printf '{"step":%d,"offered_pps":%d,"seconds":%d,%s\n' "$i" "$r" "$seconds" \
            "$(dut_summary "step$i" | sed 's/^{//')" >>"$stepsf"
    else
        status=1
        printf '{"step":%d,"offered_pps":%d,"seconds":%d,"failed":"run failed (see messages above)"}\n' \
            "$i" "$r" "$seconds" >>"$stepsf"
    fi
    say "step $i: $(tail -1 "$stepsf" | "$py" -c '
import json, sys
s = json.load(sys.stdin)
if "failed" in s:
    print("%d pps offered: FAILED" % s["offered_pps"])
else:
    m = s["summary"]
    print("%d pps offered, %.0f sent, %.0f delivered, loss %.3f%%, p99 %.1f us" % (
        s["offered_pps"], m["tx_pps"], m["rx_pps"], m["loss_pct"], m["latency_ns"]["p99"] / 1e3))')"
    [ "$early" -eq 1 ] || continue
    why=$("$py" "$report" next "$stepsf" --stop-loss "$stop_loss")
    [ "$why" = go ] || { stopped=${why#stop: }; say "$stopped: sweep ends at step $i"; break; }
done

meta=$("$py" -c '
import json, platform, subprocess, sys
try:
    commit = subprocess.run(["git", "-C", sys.argv[1], "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or None
except OSError:
    commit = None
print(json.dumps({"dut": sys.argv[2], "frame_bytes": int(sys.argv[3]), "flows": int(sys.argv[4]),
                  "seconds_per_step": int(sys.argv[5]), "dist": sys.argv[6],
                  "hugepages": sys.argv[7] == "1", "stopped": sys.argv[8] or None,
                  "machine": {"node": platform.node(), "cpus": __import__("os").cpu_count(),
                              "kernel": platform.release()}, "commit": commit}))' \
    "$here" "$dut" "$size" "$flows" "$seconds" "${dist:+poisson}" "$dut_huge" "$stopped")
"$py" "$report" report "$stepsf" --out "$out" --knee-loss "$knee_loss" --meta "$meta" || status=1
[ -s "$out/sweep.png" ] && say "wrote $out/sweep.json and $out/sweep.png"
exit $status
