#!/usr/bin/env bash
# Single-core UDP echo A/B (issues 6 and 7; the gated end-to-end figure of
# scripts/perf.sh). Both ends in one process on one forwarding core, over
# the same loop for both sides: two memif ports of the process connected to
# each other through one socket file (server + client, socket-abstract=no).
# A burst is injected once from each port and then circulates:
#   A: bench/e2e/tern-echo-loop: an engine per port on one scheduler, each
#      with a UDP socket on one port number whose task echoes every
#      datagram in place (source port == destination port, so every echo
#      is echoed again);
#   B: dpdk-testpmd --forward-mode=5tswap --tx-first on the two ports, one
#      forwarding lcore (-l C,M --main-lcore M, the main lcore only prints
#      --stats-period 1).
# The figure: packets received per second summed over both ports, sampled
# once a second (testpmd: once a stats period, 1 or 2 s; see run_b), the
# first period dropped as warm-up, median of the next seconds - 1.
# Runs go A, B, A, B, ...; each pair gives a ratio A/B; the job reports the
# median and spread of the ratios. Each run also records the share of the
# core its forwarding thread got (CPU time / wall time), which tells a
# starved run on a shared machine from a slow one. The same CPU, frame size and number of
# packets in flight (--inject per port; testpmd's --tx-first sends one burst
# of 32 per port, so other values use --burst for it) on both sides, and
# frames of the same form: testpmd's txonly frames carry UDP checksum 0
# (RFC 768: none), so tern-echo-loop injects the same by default
# (--udp-cksum off); --udp-cksum on gives tern datagrams with a checksum,
# which every echo verifies (testpmd's side cannot be given one).
#
#   scripts/echo_1core.sh [--build-dir DIR] [--pairs N] [--seconds S]
#                         [--inject N] [--size BYTES] [--cpu C] [--out FILE.json]
#                         [--udp-cksum off|on] [--profile] [--floor]
#
# --floor: each pair also runs F, `tern-echo-loop --floor`: no engine and
# no task, a poller per port swapping addresses and ports in place as
# 5tswap does, on tern's drivers and scheduler. The job then also reports
# F / B (what tern's port layer and loop cost against testpmd's) and A / F
# (what the engine and the coroutine hand-off cost on top), so that a gap
# in A / B can be placed. Needs --udp-cksum off. A failed F run is
# reported and left out; it does not fail the job or void the A/B figure.
#
# --profile: each run is also sampled with `perf record -e cpu-clock` (no
# hardware counters needed) on its forwarding thread for the seconds after
# the first, and the job splits each side's time per packet into the memif
# PMD, the rest of DPDK and libc (ld.so is DPDK's per-lcore TLS), the kernel
# and the program's own code (tern's engine and runtime, or testpmd's
# forwarding loop): where the gap between the two is. Sampling slows both
# sides; the ratio of such runs is reported, not meant for the gate.
#
# Defaults: build/release, 5 pairs of 4 s, 32 packets per port, 64-byte
# frames, UDP checksum off, forwarding on CPU 0. Exit: 0 measured; 1 a run
# failed (the message says which; it is left out of the figure); 2 cannot
# run here (no testpmd, no free hugepages, one CPU).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir="$here/build/release" pairs=5 seconds=4 inject=32 size=64 cpu=0 out= cksum=off profile=0 floor=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) builddir=$2; shift ;;
    --pairs) pairs=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --inject) inject=$2; shift ;;
    --size) size=$2; shift ;;
    --cpu) cpu=$2; shift ;;
    --out) out=$2; shift ;;
    --udp-cksum) cksum=$2; shift ;;
    --profile) profile=1 ;;
    --floor) floor=1 ;;
    -h|--help) sed -n '2,51p' "$0"; exit 0 ;;
    *) echo "echo_1core: unknown option $1" >&2; exit 1 ;;
    esac
    shift
done
say() { printf 'echo_1core: %s\n' "$*" >&2; }
py=/usr/bin/python3
loop=$builddir/bench/e2e/tern-echo-loop
testpmd=$(command -v dpdk-testpmd || true)
[ -n "$testpmd" ] || { say "dpdk-testpmd missing (Debian package dpdk): not measured"; exit 2; }
[ "$(nproc)" -ge 2 ] || { say "needs two CPUs (testpmd's main lcore besides the forwarding one): not measured"; exit 2; }
free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
[ "${free:-0}" -gt 0 ] || { say "no free hugepages (run scripts/setup.sh as root): not measured"; exit 2; }
[ -x "$loop" ] || { say "$loop not built (needs libjansson-dev: scripts/setup.sh)"; exit 1; }
# the first second is warm-up; one sample left would be the whole figure
[ "$seconds" -ge 3 ] || { say "--seconds must be >= 3 (the first second is warm-up; two more are measured)"; exit 1; }
case "$cksum" in on|off) ;; *) say "--udp-cksum is off or on"; exit 1 ;; esac
[ "$floor" -eq 0 ] || [ "$cksum" = off ] || { say "--floor swaps without checks: it needs --udp-cksum off"; exit 1; }
[ "$profile" -eq 0 ] || command -v perf >/dev/null ||
    { say "--profile needs perf (Debian package linux-perf)"; exit 2; }
[ "$inject" -ge 1 ] && [ "$inject" -le 512 ] || { say "--inject must be 1..512 (testpmd's --burst)"; exit 1; }
main_lcore=$(( cpu == 0 ? 1 : 0 ))

tmp=$(mktemp -d /tmp/tern-echo-1core.XXXXXX)
pid= prefixes=()
cleanup() {
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" && wait "$pid" 2>/dev/null
    for p in "${prefixes[@]}"; do
        rm -rf /dev/hugepages/"$p"map_* "/var/run/dpdk/$p"
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# A: tern-echo-loop prints one JSON line a second and a summary; it ends
# by itself after --seconds (bounded here all the same).
# F (--floor) is the same program without its engines: run_a N F.
run_a() {
    local n=$1 side=${2:-A} rc=0 child mode=()
    local prefix=tern_1c_${side}_$$_$n
    prefixes+=("$prefix")
    [ "$side" = F ] && mode=(--floor)
    timeout -s KILL $((seconds + 30)) "$loop" -l "$cpu" --no-pci --file-prefix "$prefix" -- \
        --socket "$tmp/loop${n}${side}.sock" --seconds "$seconds" --inject "$inject" \
        --size "$size" --udp-cksum "$cksum" "${mode[@]}" >"$tmp/out${n}${side}" 2>"$tmp/err${n}${side}" &
    pid=$!
    if [ "$profile" -eq 1 ]; then
        # the loop's own PID (timeout's child); its first JSON line is
        # printed after the first second
        for ((i = 0; i < 300; i++)); do
            grep -q '"t":1,' "$tmp/out${n}${side}" 2>/dev/null && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        child=$(pgrep -P "$pid" | head -1)
        [ -n "$child" ] && sample "$tmp/perf${n}${side}" -p "$child"
    fi
    wait "$pid" || rc=$?
    pid=
    [ "$rc" -eq 0 ] && return 0
    say "run ${n}${side}: tern-echo-loop ${mode[*]} exited $rc"
    tail -n 3 "$tmp/out${n}${side}" "$tmp/err${n}${side}" >&2
    return 1
}

# --profile: samples a process (-p PID) or thread (-t TID) for seconds - 1
# s into FILE, then writes FILE.dso: "percent dso" per line.
sample() {
    local file=$1
    shift
    timeout -s KILL $((seconds + 10)) perf record -q -e cpu-clock -F 2000 -o "$file" "$@" \
        -- sleep "$((seconds - 1))" >/dev/null 2>&1 || true
    perf report -i "$file" --no-children --sort dso --stdio 2>/dev/null |
        awk '$1 ~ /%$/ { sub(/%/, "", $1); print $1, $2 }' >"$file.dso"
}

# Non-zero per-port Rx-pps lines testpmd has printed so far.
busy_lines() {
    grep -Eo 'Rx-pps: +[0-9]+' "$1" 2>/dev/null | awk '$2 > 0' | wc -l
}

# "ticks seconds": CPU clock ticks (utime + stime) of testpmd's forwarding
# thread and the wall time; two of them give the share of the core it got.
worker_cpu() {
    local t
    for t in /proc/"$1"/task/*; do
        [[ "$(cat "$t/comm" 2>/dev/null)" == rte-worker-* ]] || continue
        awk -v now="$(date +%s.%N)" '{ print $14 + $15, now }' "$t/stat"
        return
    done
    echo "0 $(date +%s.%N)"
}

# The TID of testpmd's forwarding thread.
worker_tid() {
    local t
    for t in /proc/"$1"/task/*; do
        [[ "$(cat "$t/comm" 2>/dev/null)" == rte-worker-* ]] && { basename "$t"; return; }
    done
}

# B: testpmd once it forwards, then SIGINT: its ordered stop and the final
# counters. Nothing polls while it forwards: on a loaded machine this
# script's own processes would take the core's share from it and not from
# A, which runs alone. testpmd prints its stats at the start of its loop
# (Rx-pps 0: nothing to rate against yet), then whenever a sleep(1) has
# made the TSC pass one period of rte_get_timer_hz() ticks: when the hz is
# estimated a little high, a period takes two sleeps. So it runs
# 2 x $seconds + 0.6 s, enough for $seconds periods of 1 or 2 s.
run_b() {
    local n=$1 prefix=tern_1c_B_$$_$1 log=$tmp/out${n}B rc=0 burst=() ready=0 cpu0
    prefixes+=("$prefix")
    [ "$inject" -eq 32 ] || burst=(--burst "$inject")
    "$testpmd" -l "$cpu,$main_lcore" --main-lcore "$main_lcore" --no-pci \
        --file-prefix "$prefix" --huge-unlink \
        --vdev "net_memif0,role=server,id=0,socket=$tmp/loop${n}B.sock,socket-abstract=no" \
        --vdev "net_memif1,role=client,id=0,socket=$tmp/loop${n}B.sock,socket-abstract=no" -- \
        --forward-mode=5tswap --tx-first --txpkts "$size" "${burst[@]}" --stats-period 1 \
        --nb-cores 1 --total-num-mbufs 16384 >"$log" 2>&1 </dev/null &
    pid=$!
    for ((i = 0; i < 300; i++)); do
        grep -q 'start packet forwarding' "$log" 2>/dev/null && { ready=1; break; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ "$ready" -eq 1 ]; then
        sleep 1
        cpu0=$(worker_cpu "$pid")
        if [ "$profile" -eq 1 ]; then
            sample "$tmp/perf${n}B" -t "$(worker_tid "$pid")"
            sleep "$seconds.6"
        else
            sleep "$((2 * seconds - 1)).6"
        fi
        echo "$cpu0 $(worker_cpu "$pid") $(getconf CLK_TCK)" >"$tmp/cpu${n}B"
    fi
    kill -INT "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && { say "run ${n}B: testpmd ignored SIGINT: killed"; kill -KILL "$pid"; }
    wait "$pid" || rc=$?
    pid=
    # a warm-up period and seconds - 1 to measure, two ports each
    if [ "$rc" -ne 0 ] || [ "$(busy_lines "$log")" -lt $((2 * seconds)) ]; then
        say "run ${n}B: testpmd exited $rc after $(busy_lines "$log") busy port-periods (ready: $ready)"
        grep -v '^ *$' "$log" | tail -5 >&2
        return 1
    fi
}

say "$pairs pairs, A = tern-echo-loop, B = testpmd 5tswap --tx-first, one memif loop in one process on CPU $cpu, $seconds s each, $inject packets per port, $size-byte frames, tern's UDP checksums $cksum"
: >"$tmp/runs"
status=0
sides=(A B)
[ "$floor" -eq 1 ] && sides+=(F)
for ((n = 1; n <= pairs; n++)); do
    for side in "${sides[@]}"; do
        start=$(date +%s.%N)
        if case $side in A) run_a "$n" ;; B) run_b "$n" ;; F) run_a "$n" F ;; esac; then
            printf '%d %s %s %s\n' "$n" "$side" "$start" "$tmp/out$n$side" >>"$tmp/runs"
        else
            # a failed run is a problem of the job, not a run left unsaid
            printf '%d %s %s FAILED\n' "$n" "$side" "$start" >>"$tmp/runs"
            [ "$side" = F ] || status=1 # F informs; it never voids the A/B figure
        fi
    done
done

"$py" - "$tmp/runs" "${out:-/dev/null}" "$seconds" "$inject" "$size" "$cpu" "$cksum" <<'PY' || status=1
import json, os, re, statistics, sys

runs_file, out, seconds, inject, size, cpu, cksum = sys.argv[1:8]


def parse_a(path):
    """tern-echo-loop: per-second samples, and its summary."""
    samples, summary = [], None
    for line in open(path):
        if not line.startswith("{"):
            continue  # EAL and driver log lines
        rec = json.loads(line)
        if "summary" in rec:
            summary = rec["summary"]
        else:
            samples.append(rec["rx_pps"])
    return samples, summary


def parse_b(path):
    """testpmd: per stats period, the Rx-pps of both ports summed; drops;
    the share of the core its forwarding thread got (from the busy periods
    on, as the cpuNB file next to its log says)."""
    text = open(path, errors="replace").read()
    share = None
    try:
        t0, w0, t1, w1, hz = map(float, open(os.path.join(os.path.dirname(path), "cpu" + os.path.basename(path)[3:])).read().split())
        if t0 > 0 and w1 > w0:
            share = (t1 - t0) / hz / (w1 - w0)
    except (OSError, ValueError):
        pass
    # One block a stats period of 1 or 2 s (run_b says why). The first is
    # printed as testpmd's stats loop starts, before a packet could be
    # counted, and says Rx-pps 0 by construction: it covers no time and
    # is not a sample. samples[0] is then the first period, the warm-up
    # the caller drops, as A's first second.
    samples = []
    for block in text.split("Port statistics =")[2:]:
        pps = [int(v) for v in re.findall(r"Rx-pps:\s+(\d+)", block)]
        if len(pps) == 2:
            samples.append(float(sum(pps)))
    acc = text.split("Accumulated forward statistics for all ports")[-1]
    drops = {k: int(v) for k, v in re.findall(r"(RX-dropped|TX-dropped):\s+(\d+)", acc)}
    return samples, {"accumulated_drops": drops, "cpu_share": share}


def profile(path, pps, cpu_share):
    """--profile: the forwarding thread's samples by DSO, as ns of its CPU
    time per packet in four parts (the program's own code is what is left).
    Samples count CPU time; pps is per wall second, of which the thread had
    cpu_share."""
    parts = {"memif": 0.0, "dpdk_libc": 0.0, "kernel": 0.0, "own": 0.0}
    for line in open(path):
        pct, dso = line.split(None, 1)
        dso = dso.strip()
        if "memif" in dso:
            key = "memif"
        elif dso.startswith("[kernel") or dso == "[vdso]":
            key = "kernel"
        elif dso.startswith(("librte_", "ld-linux", "libc.", "libm.", "libnuma")):
            key = "dpdk_libc"
        else:
            key = "own"
        parts[key] += float(pct)
    return {k: round(v / 100 * cpu_share * 1e9 / pps, 2) for k, v in parts.items()}


runs, problems, floor_problems = [], [], []
for line in open(runs_file):
    pair, side, start, path = line.split()
    if path == "FAILED":  # exited non-zero, crashed or too few samples
        (floor_problems if side == "F" else problems).append(
            f"run {pair}{side}: failed (see the log): left out")
        runs.append({"pair": int(pair), "side": side, "start": float(start),
                     "failed": True, "rx_pps": None})
        continue
    samples, extra = (parse_b if side == "B" else parse_a)(path)
    # the first period is warm-up, on both sides; as many samples on both
    # (B runs longer in case its periods are 2 s)
    steady = samples[1:int(seconds)]
    run = {"pair": int(pair), "side": side, "start": float(start),
           "samples_pps": samples, "rx_pps": statistics.median(steady) if steady else None}
    if side in ("A", "F"):
        run["summary"] = extra
        run["cpu_share"] = extra.get("cpu_share") if extra else None
        if extra is None or not extra.get("ok"):
            (floor_problems if side == "F" else problems).append(
                f"run {pair}{side}: not clean (drops, leak or conservation): left out")
            run["rx_pps"] = None
    else:
        run.update(extra)
        if any(extra["accumulated_drops"].values()):
            problems.append(f"run {pair}B: testpmd dropped {extra['accumulated_drops']}: left out")
            run["rx_pps"] = None
    prof = os.path.join(os.path.dirname(path), "perf%s%s.dso" % (pair, side))
    if run["rx_pps"] and os.path.exists(prof):
        run["profile_ns_per_packet"] = profile(prof, run["rx_pps"], run.get("cpu_share") or 1.0)
    runs.append(run)

by = {}
for r in runs:
    if r["rx_pps"]:
        by.setdefault(r["pair"], {})[r["side"]] = r["rx_pps"]
share = {(r["pair"], r["side"]): r.get("cpu_share") for r in runs}
pairs = [p for p in by.values() if "A" in p and "B" in p]
ratios = [p["A"] / p["B"] for p in pairs]
# The same ratio per second of CPU the forwarding thread got: tells tern's
# speed from its luck on a machine shared with other load.
per_cpu = [(by[n]["A"] / share[(n, "A")]) / (by[n]["B"] / share[(n, "B")])
           for n in by if "A" in by[n] and "B" in by[n]
           and share.get((n, "A")) and share.get((n, "B"))]
res = {"job": "udp_echo_1core_ab", "a": "tern-echo-loop",
       "b": "dpdk-testpmd --forward-mode=5tswap --tx-first",
       "topology": "one process, one forwarding core, two memif ports looped "
                   "(server + client on one socket file)",
       "cpu": int(cpu), "seconds": int(seconds), "inject_per_port": int(inject),
       "frame_bytes": int(size), "udp_cksum_a": cksum == "on", "figure": "rx packets/s summed over both ports, "
       "median of the per-second samples after the first",
       "cpu_share": "per run, CPU time of the forwarding thread / wall time: below 1, "
       "the run shared its core with other load", "runs": runs,
       "ratios": ratios, "problems": problems}
if per_cpu:
    res.update(ratios_per_cpu=per_cpu, median_ratio_per_cpu=statistics.median(per_cpu))
# --floor: the same pairs' F against B and A against F
floor = {}
for key, num, den in (("floor_over_b", "F", "B"), ("a_over_floor", "A", "F")):
    r = [by[n][num] / by[n][den] for n in by if num in by[n] and den in by[n]]
    if r:
        floor[key] = {"median": statistics.median(r), "min": min(r), "max": max(r), "pairs": len(r)}
if floor:
    floor["median_f_pps"] = statistics.median(by[n]["F"] for n in by if "F" in by[n])
if floor or floor_problems:
    floor["problems"] = floor_problems
    res["floor"] = floor
if ratios:
    res.update(median_ratio=statistics.median(ratios), min_ratio=min(ratios),
               max_ratio=max(ratios),
               median_a_pps=statistics.median(p["A"] for p in pairs),
               median_b_pps=statistics.median(p["B"] for p in pairs))
for p in problems + floor_problems:
    print("echo_1core: " + p, file=sys.stderr)
for r in runs:
    if r["rx_pps"]:
        share = r.get("cpu_share")
        print("echo_1core: pair %d %s: %.2f Mpps%s" % (r["pair"], r["side"], r["rx_pps"] / 1e6,
              ", %.0f%% of the core" % (100 * share) if share else ""), file=sys.stderr)
for side, name in (("A", "tern"), ("B", "testpmd"), ("F", "floor")):
    profs = [r["profile_ns_per_packet"] for r in runs
             if r["side"] == side and "profile_ns_per_packet" in r]
    if profs:
        med = {k: statistics.median(p[k] for p in profs) for k in profs[0]}
        res.setdefault("profile_median_ns_per_packet", {})[name] = med
        print("echo_1core: %s, ns per packet (median of %d runs): memif %.1f, other DPDK "
              "and libc %.1f, kernel %.1f, own code %.1f" % (name, len(profs), med["memif"],
              med["dpdk_libc"], med["kernel"], med["own"]), file=sys.stderr)
if ratios:
    print("echo_1core: ratio tern / testpmd 5tswap: median %.3f (min %.3f, max %.3f) over %d "
          "pairs; medians %.2f vs %.2f Mpps" % (res["median_ratio"], res["min_ratio"],
          res["max_ratio"], len(ratios), res["median_a_pps"] / 1e6,
          res["median_b_pps"] / 1e6), file=sys.stderr)
    if per_cpu:
        print("echo_1core: per second of CPU the forwarding thread got: median %.3f"
              % res["median_ratio_per_cpu"], file=sys.stderr)
else:
    print("echo_1core: no complete pair: NOT MEASURED", file=sys.stderr)
for key, what in (("floor_over_b", "floor (tern's ports and loop, 5tswap's work) / testpmd"),
                  ("a_over_floor", "tern / floor (the engine and the hand-off to tasks)")):
    if key in floor:
        f = floor[key]
        print("echo_1core: %s: median %.3f (min %.3f, max %.3f) over %d pairs"
              % (what, f["median"], f["min"], f["max"], f["pairs"]), file=sys.stderr)
with open(out, "w") as f:
    json.dump(res, f, indent=1)
    f.write("\n")
sys.exit(0 if ratios and not problems else 1)
PY
exit $status
