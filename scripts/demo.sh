#!/usr/bin/env bash
# The main job: sets up (scripts/setup.sh), builds (release) and runs tern's
# UDP echo server on one core and tern's traffic generator on the other,
# connected by memif, for a short fixed time. The generator prints live stats
# once a second (JSON lines when stdout is not a terminal) and ends with a
# latency summary; then both stop in memif's safe order and leave no socket
# or hugepage file behind.
#
#   scripts/demo.sh [--seconds N] [--rate PPS] [--flows N] [--poisson]
#                   [--size BYTES] [--build-dir DIR]
#   scripts/demo.sh --runtime [seconds]    the async runtime demo (one core)
#
# Defaults: 10 s at 200000 packets/s, 2 flows, 64-byte frames, constant gaps.
# Exit: 0 when both sides exited 0; 1 otherwise (the message says which).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir="$here/build/release"
seconds=10 rate=200000 flows=2 size=64 dist=()

if [ "${1:-}" = --runtime ]; then
    "$here/scripts/setup.sh" --build-dir "$builddir"
    exec "$builddir/apps/demo/tern-demo" "${2:-5}"
fi
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds=$2; shift ;;
    --rate) rate=$2; shift ;;
    --flows) flows=$2; shift ;;
    --size) size=$2; shift ;;
    --poisson) dist=(--poisson) ;;
    --build-dir) builddir=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 1 ;;
    esac
    shift
done
say() { printf 'demo: %s\n' "$*" >&2; }

"$here/scripts/setup.sh" --build-dir "$builddir"

# Two lcores when the machine has them; each process polls its own.
echo_core=0 gen_core=1
if [ "$(nproc)" -lt 2 ]; then
    gen_core=0
    say "one CPU only: both sides share it, expect poor numbers"
fi
tmp=$(mktemp -d /tmp/tern-demo.XXXXXX)
sock=$tmp/memif.sock stopped=$tmp/gen.stopped
echo_prefix=tern_demo_echo_$$ gen_prefix=tern_demo_gen_$$
echo_pid= gen_pid= interrupted=0

# Anything still running is ours (by PID); then no file of ours may remain.
cleanup() {
    for p in $gen_pid $echo_pid; do
        kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    local left=0
    for prefix in "$echo_prefix" "$gen_prefix"; do
        if compgen -G "/dev/hugepages/${prefix}map_*" >/dev/null || [ -e "/var/run/dpdk/$prefix" ]; then
            left=1
            rm -rf /dev/hugepages/"${prefix}"map_* "/var/run/dpdk/$prefix"
        fi
    done
    [ -e "$sock" ] && left=1
    [ "$left" -eq 0 ] || say "removed files a side left behind (hugepages, runtime dir or socket)"
    rm -rf "$tmp"
}
trap cleanup EXIT
# Ctrl-C: background jobs of a script ignore SIGINT, so pass it on to the
# generator, which stops sending, drains and stops in order as usual.
trap 'interrupted=1; [ -n "$gen_pid" ] && kill -TERM "$gen_pid" 2>/dev/null || true' INT TERM

say "tern-echo on lcore $echo_core (memif server), tern-gen on lcore $gen_core (memif client)"
say "$seconds s at $rate packets/s, $flows flow(s), $size-byte frames${dist:+, Poisson gaps}"
"$builddir/apps/echo/tern-echo" -l "$echo_core" --no-pci --file-prefix "$echo_prefix" -- \
    --preset memif --socket "$sock" --server >"$tmp/echo.log" 2>&1 &
echo_pid=$!
"$builddir/apps/gen/tern-gen" -l "$gen_core" --no-pci --file-prefix "$gen_prefix" -- \
    --preset memif --socket "$sock" --rate "$rate" --flows "$flows" --size "$size" \
    "${dist[@]}" --seconds "$seconds" --stopped-file "$stopped" 2>"$tmp/gen.err" &
gen_pid=$!

# memif's ordered stop (docs/drivers.md): the generator stops sending,
# drains, stops polling and says so (--stopped-file); only then does the
# echo server stop (polling, then its port); the generator sees its link go
# down and stops and closes its port. Neither polls while its peer leaves.
limit=$(( (seconds + 40) * 10 ))
for ((i = 0; i < limit; i++)); do
    [ -e "$stopped" ] && break
    kill -0 "$gen_pid" 2>/dev/null || break
    kill -0 "$echo_pid" 2>/dev/null || break
    sleep 0.1
done
[ "$i" -lt "$limit" ] || { say "the generator did not finish in time"; kill -TERM "$gen_pid" 2>/dev/null || true; }
kill -TERM "$echo_pid" 2>/dev/null || true
echo_rc=0 gen_rc=0
wait "$echo_pid" || echo_rc=$?
echo_pid=
wait "$gen_pid" || gen_rc=$?
gen_pid=

grep -v -e '^EAL:' -e '^TELEMETRY:' -e 'offloads wanted' "$tmp/gen.err" >&2 || true
grep -e '^echo: final' -e '^echo: drop' -e '^echo: stopped' -e '^echo: failed' \
    -e 'failed' "$tmp/echo.log" >&2 || true
status=0
[ "$gen_rc" -eq 0 ] || { say "tern-gen exited $gen_rc (log above)"; status=1; }
if [ "$echo_rc" -ne 0 ]; then
    say "tern-echo exited $echo_rc; its log:"
    tail -20 "$tmp/echo.log" >&2
    status=1
fi
[ "$interrupted" -eq 0 ] || say "interrupted"
[ "$status" -eq 0 ] && say "both sides stopped cleanly"
exit $status
