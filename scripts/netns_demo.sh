#!/usr/bin/env bash
# tern-echo on a tap port inside a network namespace this script creates,
# driven from the kernel side of that namespace by ping and sockperf
# (ping-pong, then throughput). Needs root. Every client is bounded in count
# and time; the namespace, the echo process and its files are removed at
# the end, whatever happens.
#
#   scripts/netns_demo.sh [--seconds N]     (sockperf time per mode, default 3)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=3
[ "${1:-}" = "--seconds" ] && secs=${2:?--seconds takes a number}
case "$secs" in ''|*[!0-9]*) echo "netns_demo: --seconds takes a whole number" >&2; exit 2 ;; esac
[ "$secs" -ge 1 ] && [ "$secs" -le 60 ] || { echo "netns_demo: --seconds 1..60" >&2; exit 2; }

if [ "$(id -u)" -ne 0 ]; then
    echo "netns_demo: needs root (it creates a network namespace and a tap port)" >&2
    exit 1
fi
"$here/scripts/setup.sh" >/dev/null

ns=tern-demo-$$
ifc=ternd0
tern_ip=10.96.0.2
kernel_ip=10.96.0.1
port=11111
prefix=tern_nsdemo_$$
log=$(mktemp)
echo_pid=

cleanup() {
    if [ -n "$echo_pid" ] && kill -0 "$echo_pid" 2>/dev/null; then
        kill -TERM "$echo_pid" 2>/dev/null || true
        wait "$echo_pid" 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/var/run/dpdk/$prefix" "$log"
}
trap cleanup EXIT

in_ns() { ip netns exec "$ns" "$@"; }

ip netns add "$ns"
echo "netns_demo: tern-echo on tap $ifc in namespace $ns, $tern_ip:$port"
# nsenter execs tern-echo itself (ip netns exec may stand in between), so
# the SIGTERM below reaches tern-echo's handler and it stops in order.
nsenter --net="/var/run/netns/$ns" "$here/build/release/apps/echo/tern-echo" \
    -l 0 --no-pci --file-prefix "$prefix" -- \
    --preset tap --iface "$ifc" --ip "$tern_ip" --port "$port" \
    --seconds $((3 * secs + 20)) >"$log" 2>&1 &
echo_pid=$!
for _ in $(seq 100); do
    in_ns ip link show "$ifc" >/dev/null 2>&1 && break
    kill -0 "$echo_pid" 2>/dev/null || { cat "$log"; echo "netns_demo: tern-echo exited" >&2; exit 1; }
    sleep 0.1
done
# The kernel side of the tap: no IPv6 (its neighbour discovery is noise).
in_ns sh -c "sysctl -qw net.ipv6.conf.$ifc.disable_ipv6=1; ip link set lo up;
             ip addr add $kernel_ip/24 dev $ifc; ip link set $ifc up"

echo "== ping (3 requests)"
in_ns ping -c 3 -W 2 "$tern_ip"
echo "== sockperf ping-pong, $secs s at 1000 messages/s"
in_ns timeout -k 2 $((secs + 15)) sockperf ping-pong -i "$tern_ip" -p "$port" \
    --time "$secs" --mps=1000 | grep -E 'SentMessages|dropped|avg-latency|percentile 99.00 ' || true
echo "== sockperf throughput, $secs s at 10000 messages/s"
in_ns timeout -k 2 $((secs + 15)) sockperf throughput -i "$tern_ip" -p "$port" \
    --time "$secs" --mps=10000 | grep -E 'Total of|Summary: Message Rate' || true

kill -TERM "$echo_pid"
rc=0; wait "$echo_pid" || rc=$?
if [ "$rc" -ne 0 ]; then cat "$log"; echo "netns_demo: tern-echo exited with $rc" >&2; exit 1; fi
echo_pid=
echo "== tern-echo's counters"
tail -n 4 "$log"
