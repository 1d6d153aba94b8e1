#!/usr/bin/env bash
# UDP echo over memif, A/B and interleaved (issue 6's target, issue 7's
# end-to-end job): A is tern-echo, B is dpdk-testpmd --forward-mode=5tswap,
# both on lcore 0 as memif server and both driven by tern-gen (lcore 1,
# client) at an offered rate above what either sustains; the figure is the
# echoes per second tern-gen receives. Runs go A, B, A, B, ... because this
# machine's speed swings within minutes; each pair gives a ratio A/B, and
# the job reports their median and spread.
#
# Then the generator's latency at a fixed fraction of the measured capacity
# (issue 7): one more tern-echo run with tern-gen offering --fraction of
# the median tern echo rate of the pairs; its p50/p90/p99/p99.9/max go in
# the JSON under latency_at_fraction (--fraction 0 skips it).
#
# Frames of the same form as scripts/echo_1core.sh's: tern-gen sends with
# --udp-cksum off by default, UDP checksum 0 (RFC 768: none) as testpmd's
# txonly/flowgen frames carry, so neither echo server nor tern-gen sums a
# payload; both servers send the 0 back unchanged. It also keeps the
# generator cheaper per packet (tern-cg-gen-path-nocksum against
# tern-cg-gen-path), which matters here: one tern-gen core drives either
# server. --udp-cksum on makes tern-echo verify every request's checksum
# (testpmd's 5tswap never does).
#
# --driver flowgen drives both servers with `dpdk-testpmd
# --forward-mode=flowgen` (one flow, UDP checksum 0) instead of tern-gen:
# the cheapest generator DPDK ships, it offers more than tern-gen's one
# core can (on this VM tern-gen still backs off before either server does,
# so the default A/B says that tern-echo keeps up, not how far it goes).
# flowgen's frames go to 00:01:02:03:04:01, 10.253.0.0:1001 (its built-in
# addresses), which tern-echo is given. The figure is the Rx-pps flowgen
# reports over the seconds after the first (its echoes), and the share of
# its sends the server's full ring refused (tx_refused_pct: above zero on
# both sides, each server was offered more than it took). testpmd runs
# interactive on a FIFO for memif's ordered stop: forwarding stopped
# before the server leaves, the port closed after. No latency figure.
#
#   scripts/echo_ab.sh [--build-dir DIR] [--pairs N] [--seconds S] [--rate PPS]
#                      [--size BYTES] [--fraction F] [--udp-cksum off|on]
#                      [--driver gen|flowgen] [--out FILE.json]
#
# Defaults: build/release, 5 pairs of 3 s at 30 Mpps offered, 64-byte frames,
# UDP checksum off, latency at 0.5 of the capacity.
# Exit: 0 measured; 1 a run failed; 2 cannot run here (no testpmd, one CPU).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir="$here/build/release" pairs=5 seconds=3 rate=30000000 size=64 fraction=0.5 out= cksum=off
driver=gen
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) builddir=$2; shift ;;
    --pairs) pairs=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --rate) rate=$2; shift ;;
    --size) size=$2; shift ;;
    --fraction) fraction=$2; shift ;;
    --out) out=$2; shift ;;
    --udp-cksum) cksum=$2; shift ;;
    --driver) driver=$2; shift ;;
    -h|--help) sed -n '2,43p' "$0"; exit 0 ;;
    *) echo "echo_ab: unknown option $1" >&2; exit 1 ;;
    esac
    shift
done
say() { printf 'echo_ab: %s\n' "$*" >&2; }
case "$cksum" in on|off) ;; *) say "--udp-cksum is off or on"; exit 1 ;; esac
case "$driver" in gen) ;; flowgen) fraction=0 ;; *) say "--driver is gen or flowgen"; exit 1 ;; esac
py=/usr/bin/python3
testpmd=$(command -v dpdk-testpmd || true)
[ -n "$testpmd" ] || { say "dpdk-testpmd missing (Debian package dpdk): not measured"; exit 2; }
[ "$(nproc)" -ge 2 ] || { say "needs two CPUs: not measured"; exit 2; }
for b in apps/echo/tern-echo apps/gen/tern-gen; do
    [ -x "$builddir/$b" ] || { say "$builddir/$b not built"; exit 1; }
done
tmp=$(mktemp -d /tmp/tern-echo-ab.XXXXXX)
server_pid= gen_pid= prefixes=()
cleanup() {
    for p in $gen_pid $server_pid; do
        kill -0 "$p" 2>/dev/null && kill -KILL "$p" && wait "$p" 2>/dev/null
    done
    for p in "${prefixes[@]}"; do
        rm -rf /dev/hugepages/"$p"map_* "/var/run/dpdk/$p"
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# Waits (bounded) until the server's log shows it serves; 0 ready, 1 not.
wait_ready() {
    local log=$1 mark=$2
    for ((i = 0; i < 200; i++)); do
        grep -q "$mark" "$log" 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# Waits at most $2 seconds for our child $1 to end, then kills it; its
# exit status (137 when killed) is the return value. The servers' SIGTERM
# stop and tern-gen's drain are bounded so a hang cannot hold the job.
reap() {
    local p=$1 i rc=0
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
        say "pid $p still running $2 s after its stop: killed"
        kill -KILL "$p" 2>/dev/null
    fi
    wait "$p" || rc=$?
    return "$rc"
}

# One run: side A or B, offered RATE pps; gen's summary JSON line into
# $tmp/sum$n$side.
run_one() {
    local side=$1 n=$2 rate=$3 sock=$tmp/m$2$1.sock stopped=$tmp/s$2$1 log=$tmp/srv$2$1.log
    local ps=tern_ab_${side}_$$_$n pg=tern_ab_gen_$$_$n mark= gen_extra=()
    prefixes+=("$ps" "$pg")
    if [ "$side" = A ]; then
        "$builddir/apps/echo/tern-echo" -l 0 --no-pci --file-prefix "$ps" -- \
            --preset memif --socket "$sock" --server >"$log" 2>&1 &
        # no wait: tern's memif client retries while a server is not started
    else
        # two lcores: forwarding on 0, the (sleeping) main one on 1;
        # --huge-unlink so no hugepage file outlives it
        "$testpmd" -l 0,1 --main-lcore 1 --no-pci --file-prefix "$ps" --huge-unlink \
            --vdev "net_memif0,role=server,socket=$sock,socket-abstract=no" -- \
            --forward-mode=5tswap --stats-period 1 --nb-cores 1 \
            --total-num-mbufs 16384 >"$log" 2>&1 &
        mark='start packet forwarding'
        gen_extra=(--dst-mac 02:00:00:00:00:01)   # 5tswap answers no ARP
    fi
    server_pid=$!
    # testpmd's memif server panics when a client is refused before its
    # port starts: start the generator only once the server serves.
    if [ -n "$mark" ] && ! wait_ready "$log" "$mark"; then
        say "run $n$side: server not ready"
        tail -n 5 "$log" >&2
        kill -KILL "$server_pid" 2>/dev/null   # else the next run loses its PID
        wait "$server_pid" 2>/dev/null
        server_pid=
        return 1
    fi
    "$builddir/apps/gen/tern-gen" -l 1 --no-pci --file-prefix "$pg" -- --preset memif \
        --socket "$sock" --rate "$rate" --size "$size" --seconds "$seconds" --json \
        --udp-cksum "$cksum" --stopped-file "$stopped" "${gen_extra[@]}" >"$tmp/gen$n$side.out" 2>"$tmp/gen$n$side.err" &
    gen_pid=$!
    for ((i = 0; i < (seconds + 30) * 10; i++)); do
        [ -e "$stopped" ] && break
        kill -0 "$gen_pid" 2>/dev/null || break
        sleep 0.1
    done
    # a generator that never reported its stop is told to stop; then
    # memif's ordered stop, as scripts/demo.sh: the server next
    [ -e "$stopped" ] || kill -TERM "$gen_pid" 2>/dev/null
    kill -TERM "$server_pid" 2>/dev/null
    local src=0 grc=0
    reap "$server_pid" 15 || src=$?
    server_pid=
    reap "$gen_pid" 15 || grc=$?
    gen_pid=
    if [ "$src" -ne 0 ] || [ "$grc" -ne 0 ]; then
        say "run $n$side: server exited $src, tern-gen $grc"
        tail -n 3 "$log" "$tmp/gen$n$side.err" >&2
        return 1
    fi
    grep '"summary"' "$tmp/gen$n$side.out" >"$tmp/sum$n$side"
}

# One run driven by testpmd flowgen (--driver flowgen): side A or B; a
# summary line {"summary": {"rx_pps", "tx_pps", "tx_refused_pct"}} into
# $tmp/sum$n$side.
run_flowgen() {
    local side=$1 n=$2 sock=$tmp/m$2$1.sock log=$tmp/srv$2$1.log dlog=$tmp/drv$2$1.log
    local ps=tern_ab_${side}_$$_$n pg=tern_ab_drv_$$_$n fifo=$tmp/drv$2$1.in src=0 drc=0 mark i
    prefixes+=("$ps" "$pg")
    if [ "$side" = A ]; then
        "$builddir/apps/echo/tern-echo" -l 0 --no-pci --file-prefix "$ps" -- \
            --preset memif --socket "$sock" --server --ip 10.253.0.0 --mask 255.255.0.0 \
            --port 1001 --mac 00:01:02:03:04:01 >"$log" 2>&1 &
        server_pid=$!
        # it waits for its peer before it serves: ready once it listens
        mark=
        for ((i = 0; i < 100; i++)); do
            [ -S "$sock" ] && break
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        [ -S "$sock" ] || kill -KILL "$server_pid" 2>/dev/null   # not ready: below
    else
        "$testpmd" -l 0,1 --main-lcore 1 --no-pci --file-prefix "$ps" --huge-unlink \
            --vdev "net_memif0,role=server,socket=$sock,socket-abstract=no" -- \
            --forward-mode=5tswap --stats-period 1 --nb-cores 1 \
            --total-num-mbufs 16384 >"$log" 2>&1 &
        server_pid=$!
        mark='start packet forwarding'
    fi
    if { [ -n "$mark" ] && ! wait_ready "$log" "$mark"; } || ! kill -0 "$server_pid" 2>/dev/null; then
        say "run $n$side: server not ready"
        tail -n 5 "$log" >&2
        kill -KILL "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
        return 1
    fi
    mkfifo "$fifo"
    # a driver that died early must fail this run, not end the script:
    # writes to its FIFO then fail instead of raising SIGPIPE
    trap '' PIPE
    "$testpmd" -l 1,0 --main-lcore 0 --no-pci --file-prefix "$pg" --huge-unlink \
        --vdev "net_memif0,role=client,socket=$sock,socket-abstract=no" -- -i \
        --forward-mode=flowgen --flowgen-flows=1 --txpkts $((size - 4)) --nb-cores 1 \
        --total-num-mbufs 16384 <"$fifo" >"$dlog" 2>&1 &
    gen_pid=$!
    exec 7>"$fifo"
    # the first second is warm-up: the second show's Rx-pps covers the
    # seconds after it (testpmd rates since the last show)
    { echo start; sleep 1; echo "show port stats all"; sleep "$seconds"; echo "show port stats all"
      echo stop; sleep 0.5; } >&7
    kill -TERM "$server_pid" 2>/dev/null
    reap "$server_pid" 15 || src=$?
    server_pid=
    echo quit >&7
    exec 7>&-
    reap "$gen_pid" 15 || drc=$?
    gen_pid=
    if [ "$src" -ne 0 ] || [ "$drc" -ne 0 ]; then
        say "run $n$side: server exited $src, flowgen $drc"
        tail -n 3 "$log" "$dlog" >&2
        return 1
    fi
    "$py" - "$dlog" "$tmp/sum$n$side" <<'PY'
import re, sys
t = open(sys.argv[1], errors="replace").read()
rx = [int(v) for v in re.findall(r"Rx-pps:\s+(\d+)", t)]
tx = [int(v) for v in re.findall(r"Tx-pps:\s+(\d+)", t)]
m = re.search(r"TX-dropped:\s+(\d+)\s+TX-total:\s+(\d+)", t)
if len(rx) < 2 or not m or int(m.group(2)) == 0:
    sys.exit("no rates or forward stats in flowgen's log")
refused = 100.0 * int(m.group(1)) / int(m.group(2))
open(sys.argv[2], "w").write('{"summary":{"rx_pps":%d,"tx_pps":%d,"tx_refused_pct":%.3f}}\n'
                             % (rx[1], tx[1], refused))
PY
}

if [ "$driver" = flowgen ]; then
    say "$pairs pairs, A = tern-echo, B = testpmd 5tswap, driven by testpmd flowgen (as fast as it goes), $seconds s each, $size-byte frames"
else
    say "$pairs pairs, A = tern-echo, B = testpmd 5tswap, driven by tern-gen, $seconds s each at $rate pps offered, $size-byte frames, UDP checksum $cksum"
fi
: >"$tmp/runs.jsonl"
: >"$tmp/problems"
status=0
for ((n = 1; n <= pairs; n++)); do
    for side in A B; do
        if [ "$driver" = flowgen ]; then
            run_flowgen "$side" "$n"
        else
            run_one "$side" "$n" "$rate"
        fi
        if [ $? -ne 0 ]; then
            echo "run $n$side failed (server or $driver exited non-zero): left out" >>"$tmp/problems"
            status=1
            continue
        fi
        line=$(cat "$tmp/sum$n$side")
        printf '{"pair":%d,"side":"%s","at":%s,%s\n' "$n" "$side" "$(date +%s)" "${line#\{}" >>"$tmp/runs.jsonl"
        say "pair $n $side: $(printf '%s' "$line" | "$py" -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print("%.2f Mpps echoed (sent %.2f), " % (s["rx_pps"]/1e6, s["tx_pps"]/1e6) + ("p50 %.1f us" % (s["latency_ns"]["p50"]/1e3) if "latency_ns" in s else "%.2f%% of the sends refused" % s["tx_refused_pct"]))')"
    done
done

# Latency at a fraction of the capacity just measured (tern's median).
lat_rate=0
if [ -s "$tmp/runs.jsonl" ] && "$py" -c "import sys; sys.exit(not float(sys.argv[1]) > 0)" "$fraction"; then
    lat_rate=$("$py" - "$tmp/runs.jsonl" "$fraction" <<'PY'
import json, statistics, sys
a = [json.loads(l)["summary"]["rx_pps"] for l in open(sys.argv[1]) if '"side":"A"' in l]
print(int(statistics.median(a) * float(sys.argv[2])) if a else 0)
PY
)
fi
: >"$tmp/latency.json"
if [ "$lat_rate" -gt 0 ]; then
    if run_one A L "$lat_rate"; then
        cp "$tmp/sumLA" "$tmp/latency.json"
        say "latency at $fraction of capacity ($lat_rate pps offered): $(printf '%s' "$(cat "$tmp/sumLA")" | "$py" -c 'import json,sys; s=json.load(sys.stdin)["summary"]; l=s["latency_ns"]; print("p50 %.1f us, p99 %.1f us, p99.9 %.1f us, loss %.4f%%" % (l["p50"]/1e3, l["p99"]/1e3, l["p99.9"]/1e3, s["loss_pct"]))')"
    else
        status=1
    fi
fi

"$py" - "$tmp/runs.jsonl" "${out:-/dev/null}" "$rate" "$seconds" "$size" "$tmp/latency.json" "$fraction" "$tmp/problems" "$cksum" "$driver" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
problems = [l.strip() for l in open(sys.argv[8]) if l.strip()]
by = {}
for r in runs:
    by.setdefault(r["pair"], {})[r["side"]] = r["summary"]["rx_pps"]
# complete pairs only: a side whose partner failed saw another minute of
# this machine, and would tilt the medians and the phase
pairs = [p for p in by.values() if "A" in p and "B" in p and p["B"] > 0]
ratios = [p["A"] / p["B"] for p in pairs]
res = {"job": "udp_echo_memif_ab", "a": "tern-echo", "b": "dpdk-testpmd 5tswap", "driver": sys.argv[10],
       "offered_pps": int(sys.argv[3]), "seconds": int(sys.argv[4]),
       "frame_bytes": int(sys.argv[5]), "udp_cksum": sys.argv[9] == "on", "runs": runs, "ratios": ratios,
       "problems": problems}
if ratios:
    res.update(median_ratio=statistics.median(ratios), min_ratio=min(ratios),
               max_ratio=max(ratios),
               median_a_pps=statistics.median(p["A"] for p in pairs),
               median_b_pps=statistics.median(p["B"] for p in pairs))
    print("echo_ab: ratio tern-echo / testpmd 5tswap: median %.3f (min %.3f, max %.3f) over %d pairs; "
          "medians %.2f vs %.2f Mpps" % (res["median_ratio"], res["min_ratio"], res["max_ratio"],
          len(ratios), res["median_a_pps"] / 1e6, res["median_b_pps"] / 1e6), file=sys.stderr)
else:
    print("echo_ab: no complete pair: NOT MEASURED", file=sys.stderr)
lat = open(sys.argv[6]).read().strip()
if lat:
    s = json.loads(lat)["summary"]
    res["latency_at_fraction"] = {"fraction": float(sys.argv[7]), "offered_pps": s["offered_pps"],
                                  "rx_pps": s["rx_pps"], "loss_pct": s["loss_pct"],
                                  "latency_ns": s["latency_ns"], "seconds": s["seconds"]}
with open(sys.argv[2], "w") as f:
    json.dump(res, f, indent=1)
sys.exit(0 if ratios else 1)
PY
[ $? -eq 0 ] || status=1
exit $status
