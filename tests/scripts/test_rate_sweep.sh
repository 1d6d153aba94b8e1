#!/usr/bin/env bash
# scripts/rate_sweep.sh, short: 3 steps of 1 s against tern-echo over
# memif. Checks the early-stop rule on made-up steps first, then the run:
# the knee on made-up steps, then the run: every step present with its
# offered rate in order, delivered <= sent <= offered, latency percentiles
# ordered, the knee the end of the leading run of steps within
# --knee-loss, a PNG plot, and nothing of the run's left behind.
#
#   tests/scripts/test_rate_sweep.sh SOURCE_ROOT BUILD_ROOT
#
# Exit: 0 passed; 1 failed (the reason is printed); 77 skipped (why is printed).
set -uo pipefail
src=${1:?usage: test_rate_sweep.sh SOURCE_ROOT BUILD_ROOT} build=${2:?BUILD_ROOT}
py=/usr/bin/python3
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$py" ] || skip "no $py"
"$py" -c 'import matplotlib' 2>/dev/null || skip "$py lacks matplotlib (python3-matplotlib)"
tmp=$(mktemp -d /tmp/tern_t_sweep.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The stop rule, on steps whose outcome is known: loss past the limit
# stops; two steps without 5% growth stop; growth goes on.
step() { printf '{"step":%d,"offered_pps":%d,"seconds":1,"summary":{"seconds":1.0,"tx":%d,"rx":%d,"lost":%d,"late":0,"loss_pct":%s,"rx_drops":0,"tx_retry":0,"alloc_fail":0,"latency_ns":{"n":%d,"min":1,"mean":2,"p50":2,"p90":3,"p99":4,"p99.9":5,"max":6}}}\n' \
    "$1" "$2" "$3" "$4" $(($3 - $4)) "$5" "$4"; }
{ step 1 1000 1000 1000 0; step 2 2000 2000 2000 0; } >"$tmp/grow.jsonl"
{ step 1 1000 1000 1000 0; step 2 2000 2000 1000 50; } >"$tmp/loss.jsonl"
{ step 1 1000 1000 1000 0; step 2 2000 2000 1020 1; step 3 4000 4000 1030 1; } >"$tmp/flat.jsonl"
[ "$("$py" "$src/scripts/sweep_report.py" next "$tmp/grow.jsonl")" = go ] || fail "growing steps should go on"
"$py" "$src/scripts/sweep_report.py" next "$tmp/loss.jsonl" | grep -q '^stop: loss 50' \
    || fail "50% loss should stop: $("$py" "$src/scripts/sweep_report.py" next "$tmp/loss.jsonl")"
"$py" "$src/scripts/sweep_report.py" next "$tmp/flat.jsonl" | grep -q '^stop: delivered throughput' \
    || fail "two flat steps should stop: $("$py" "$src/scripts/sweep_report.py" next "$tmp/flat.jsonl")"

# The knee, on steps whose outcome is known: 1k and 4k kept up, 2k fell
# 5% short; the knee is 1k, the end of the leading run, not 4k.
meta='{"dut": "tern", "frame_bytes": 64, "flows": 1, "seconds_per_step": 1}'
{ step 1 1000 1000 1000 0; step 2 2000 2000 1900 5; step 3 4000 4000 4000 0; } >"$tmp/knee.jsonl"
"$py" "$src/scripts/sweep_report.py" report "$tmp/knee.jsonl" --out "$tmp" --meta "$meta" >"$tmp/knee.txt" \
    || fail "report on made-up steps: $(cat "$tmp/knee.txt")"
"$py" -c 'import json, sys; k = json.load(open(sys.argv[1]))["knee"]; sys.exit(k is None or k["offered_pps"] != 1000)' \
    "$tmp/sweep.json" || fail "knee above a step that fell short: $(grep knee: "$tmp/knee.txt")"
{ step 1 1000 1000 900 10; step 2 2000 2000 2000 0; } >"$tmp/knee0.jsonl"
"$py" "$src/scripts/sweep_report.py" report "$tmp/knee0.jsonl" --out "$tmp" --meta "$meta" >"$tmp/knee.txt" \
    || fail "report on made-up steps: $(cat "$tmp/knee.txt")"
"$py" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["knee"] is not None)' \
    "$tmp/sweep.json" || fail "a knee although the first step fell short: $(grep knee: "$tmp/knee.txt")"

# The run, in the background so its PID names its DPDK prefixes.
rates=10000,20000,40000
"$src/scripts/rate_sweep.sh" --no-setup --build-dir "$build" --rates "$rates" --seconds 1 \
    --no-early-stop --out "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
wait "$pid"
rc=$?
cat "$tmp/stderr" "$tmp/stdout"
[ "$rc" -ne 2 ] || skip "rate_sweep.sh cannot run here: $(grep 'rate_sweep:' "$tmp/stderr" | tail -1)"
if [ "$rc" -ne 0 ] && grep -qiE 'EAL: (Cannot|Failed|No available)|permission denied' "$tmp/stderr"; then
    skip "the EAL cannot start here: $(grep -hiE 'EAL: (Cannot|Failed|No available)|permission denied' "$tmp/stderr" | head -1)"
fi
[ "$rc" -eq 0 ] || fail "rate_sweep.sh exited $rc"

"$py" - "$tmp/out" "$rates" <<'PY' || fail "sweep.json check (output above)"
import json, sys
out, rates = sys.argv[1], [int(r) for r in sys.argv[2].split(",")]
res = json.load(open(out + "/sweep.json"))
steps = res["steps"]
assert [s["offered_pps"] for s in steps] == rates, "offered rates %s" % [s["offered_pps"] for s in steps]
assert all(a < b for a, b in zip(rates, rates[1:])), "offered rates not increasing"
assert res["failed_steps"] == 0 and all("failed" not in s for s in steps)
for s in steps:
    due = s["offered_pps"] * s["seconds"]
    assert s["delivered"] <= s["sent"] <= due, "step %d: delivered %d sent %d due %d" % (
        s["step"], s["delivered"], s["sent"], due)
    assert s["delivered_pps"] <= s["sent_pps"] <= s["offered_pps"], "step %d rates" % s["step"]
    assert s["delivered"] > 0, "step %d: nothing echoed" % s["step"]
    lat = s["latency_ns"]
    v = [lat[k] for k in ("min", "p50", "p90", "p99", "p99.9", "max")]
    assert all(a <= b for a, b in zip(v, v[1:])) and v[0] > 0, "step %d percentiles %s" % (s["step"], v)
    assert lat["n"] == s["delivered"], "step %d: %d latencies for %d echoes" % (s["step"], lat["n"], s["delivered"])
lead = []  # the leading run of steps within the limit
for s in steps:
    if s["shortfall_pct"] >= res["knee_loss_pct"]:
        break
    lead.append(s)
k = res["knee"]
if lead:
    assert k and k["offered_pps"] == lead[-1]["offered_pps"], "knee %s" % k
else:
    assert k is None, "a knee although the first step was not within the limit"
assert res["max_delivered_pps"] == max(s["delivered_pps"] for s in steps)
assert res["dut"] == "tern" and res["frame_bytes"] == 64 and res["seconds_per_step"] == 1
png = open(out + "/sweep.png", "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", "sweep.png is not a PNG"
w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
assert w >= 400 and h >= 200, "sweep.png is %dx%d" % (w, h)
print("sweep.json: %d steps, knee %s, plot %dx%d" % (len(steps), k and k["offered_pps"], w, h))
PY
grep -q '^knee: ' "$tmp/stdout" || fail "no knee line in the table"
[ "$(grep -c '^ *[0-9] ' "$tmp/stdout")" -eq 3 ] || fail "the table should have 3 step rows"

# Nothing of the run left: its DPDK prefixes (named with its PID), hugepage files.
for d in /var/run/dpdk/tern_rate_sweep_?_"$pid"_* /dev/hugepages/tern_rate_sweep_?_"$pid"_*; do
    [ ! -e "$d" ] || fail "$d left behind"
done
echo "PASS: 3 steps in order, delivered <= sent <= offered, knee and plot, nothing left behind"
