#!/usr/bin/env bash
# tern-echo and tern-gen over memif, two processes, as scripts/demo.sh runs
# them: a few seconds at a modest rate, then the ordered stop. Checks zero
# loss, rx == tx, the summary's percentiles, both exit 0, and no socket,
# hugepage file or runtime directory left behind. CKSUM (default on) is
# tern-gen's --udp-cksum: off sends every request with UDP checksum 0,
# which tern-echo takes and sends back as is; the start line says which.
#
#   tests/engine/test_gen.sh BUILD_ROOT [on|off]
#
# Exit: 0 passed; 1 failed (the reason is printed); 77 skipped (why is printed).
set -uo pipefail
build=${1:?usage: test_gen.sh BUILD_ROOT [on|off]} cksum=${2:-on}
echo_bin=$build/apps/echo/tern-echo gen_bin=$build/apps/gen/tern-gen
py=/usr/bin/python3
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$echo_bin" ] && [ -x "$gen_bin" ] || skip "tern-echo or tern-gen not built in $build"
[ -x "$py" ] || skip "no $py to read the JSON summary"
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs (one polling core per side)"
tmp=$(mktemp -d /tmp/tern_t_gen.XXXXXX)
sock=$tmp/memif.sock stopped=$tmp/gen.stopped
pe=tern_t_gen_echo_$$ pg=tern_t_gen_gen_$$
echo_pid= gen_pid=
cleanup() {
    for p in $gen_pid $echo_pid; do
        kill -0 "$p" 2>/dev/null && kill -KILL "$p" && wait "$p" 2>/dev/null
    done
    rm -rf /dev/hugepages/"$pe"map_* /dev/hugepages/"$pg"map_* \
        "/var/run/dpdk/$pe" "/var/run/dpdk/$pg" "$tmp"
}
trap cleanup EXIT

# Hugepages when this user can use them, else --no-huge (memif works so).
mem=()
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "$(id -u)" -ne 0 ] || [ "${free:-0}" -lt 64 ] || [ ! -w /dev/hugepages ]; then
    mem=(--no-huge -m 256)
fi

"$echo_bin" -l 0 --no-pci --file-prefix "$pe" "${mem[@]}" -- \
    --preset memif --socket "$sock" --server >"$tmp/echo.log" 2>&1 &
echo_pid=$!
"$gen_bin" -l 1 --no-pci --file-prefix "$pg" "${mem[@]}" -- --preset memif \
    --socket "$sock" --rate 10000 --count 20000 --seconds 5 --flows 2 --json --udp-cksum "$cksum" \
    --stopped-file "$stopped" --hold-ms 10000 >"$tmp/gen.out" 2>"$tmp/gen.err" &
gen_pid=$!

# The ordered stop of scripts/demo.sh, bounded: 30 s at most.
for ((i = 0; i < 300; i++)); do
    [ -e "$stopped" ] && break
    kill -0 "$gen_pid" 2>/dev/null || break
    kill -0 "$echo_pid" 2>/dev/null || break
    sleep 0.1
done
kill -TERM "$echo_pid" 2>/dev/null
echo_rc=0 gen_rc=0
wait "$echo_pid" || echo_rc=$?
echo_pid=
for ((i = 0; i < 150; i++)); do kill -0 "$gen_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$gen_pid" 2>/dev/null && { kill -KILL "$gen_pid"; gen_rc=124; }
wait "$gen_pid" || gen_rc=$?
gen_pid=

if [ "$echo_rc" -ne 0 ] || [ "$gen_rc" -ne 0 ]; then
    if grep -qiE 'EAL: (Cannot|Failed|No available)|permission denied' "$tmp/echo.log" "$tmp/gen.err"; then
        skip "the EAL cannot start here: $(grep -hiE 'EAL: (Cannot|Failed|No available)|permission denied' "$tmp/echo.log" "$tmp/gen.err" | head -1)"
    fi
    echo "--- echo log"; tail -20 "$tmp/echo.log"
    echo "--- gen stderr"; tail -20 "$tmp/gen.err"; cat "$tmp/gen.out"
    fail "tern-echo exited $echo_rc, tern-gen exited $gen_rc"
fi

# The summary: every request answered once, percentiles present and ordered.
"$py" - "$tmp/gen.out" "$cksum" <<'PY' || fail "summary check (gen output above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
start = [l["start"] for l in lines if "start" in l]
assert len(start) == 1 and start[0]["udp_cksum"] == (sys.argv[2] == "on"), "start line: %s" % start
s = [l["summary"] for l in lines if "summary" in l]
ticks = [l for l in lines if "t" in l]
assert len(s) == 1, "one summary line"
s = s[0]
print("summary:", json.dumps(s))
assert s["tx"] == 20000, "tx %d, want 20000" % s["tx"]
assert s["rx"] == s["tx"], "rx %d != tx %d" % (s["rx"], s["tx"])
assert s["lost"] == 0 and s["dup"] == 0 and s["late"] == 0 and s["bad"] == 0, "loss or strays"
assert s["error"] == 0 and s["rx_drops"] == 0
lat = s["latency_ns"]
keys = ["min", "p50", "p90", "p99", "p99.9", "max"]
assert all(k in lat for k in keys), "percentiles missing"
v = [lat[k] for k in keys]
assert all(a <= b for a, b in zip(v, v[1:])) and v[0] > 0, "percentiles out of order: %s" % v
assert lat["n"] == s["rx"]
assert ticks, "no live line"
PY
grep -q '^echo: stopped, 20000 datagrams echoed' "$tmp/echo.log" \
    || fail "tern-echo did not echo 20000: $(tail -3 "$tmp/echo.log")"

# Nothing left behind: socket, hugepage files, runtime directories.
[ ! -e "$sock" ] || fail "memif socket $sock left behind"
[ ! -e "$stopped" ] || fail "tern-gen left its --stopped-file"
for p in "$pe" "$pg"; do
    compgen -G "/dev/hugepages/${p}map_*" >/dev/null && fail "hugepage files of $p left behind"
    [ ! -e "/var/run/dpdk/$p" ] || fail "runtime directory /var/run/dpdk/$p left behind"
done
echo "PASS: 20000 requests (UDP checksum $cksum), 20000 echoes, both sides exited 0, nothing left behind"
