#!/usr/bin/env bash
# Datagrams larger than the MTU, from real clients: tern-echo on a tap
# inside a network namespace this test makes, driven from the kernel side.
# `ping -s 4000 -c 3` must get 3 replies (the request arrives in three
# fragments, the reply leaves in three), and a python3 UDP client's 4000-
# and 20000-byte datagrams (3 and 14 fragments each way) must come back
# byte-identical. Then: exit 0 after SIGINT, no mbuf left in use, the
# conservation law, no drop counted.
#
#   tests/engine/test_frag_tap.sh BUILD_ROOT
#
# Not in meson's suites yet: it fails today on the input side, which the
# output side cannot fix. tern-echo's 2 KiB mbufs cannot hold a reassembled
# 4000-byte datagram (engine/ipv4_frag.c drops it as ip_frag_big), and
# DPDK 22.11 reassembles at most 8 pieces (20000 bytes is 14: ip_frag).
# Register it (suite netns) once reassembly hands chains on.
#
# Exit: 0 passed; 1 failed (the reason is printed); 77 skipped (why is printed).
set -uo pipefail
build=${1:?usage: test_frag_tap.sh BUILD_ROOT}
echo_bin=$build/apps/echo/tern-echo
py=/usr/bin/python3
skip() { echo "SKIP: $*"; exit 77; }
# On failure tern-echo is stopped first, so its log ends with its counters.
fail() {
    echo "FAIL: $*"
    if [ -n "${echo_pid:-}" ] && kill -INT "$echo_pid" 2>/dev/null; then
        for _ in $(seq 50); do kill -0 "$echo_pid" 2>/dev/null || break; sleep 0.1; done
    fi
    [ -f "${log:-}" ] && cat "$log"
    exit 1
}

[ -x "$echo_bin" ] || skip "tern-echo not built in $build"
[ "$(id -u)" -eq 0 ] || skip "needs root (a network namespace and a tap port)"
[ -x "$py" ] || skip "no $py for the UDP client"
command -v ping >/dev/null || skip "no ping (iputils-ping)"
ns=tern_t_fragtap_$$ ifc=tfr$$ prefix=tern_t_fragtap_$$
tmp=$(mktemp -d /tmp/tern_t_fragtap.XXXXXX) log=
log=$tmp/echo.log echo_pid=
cleanup() {
    [ -n "$echo_pid" ] && kill -0 "$echo_pid" 2>/dev/null && kill -KILL "$echo_pid"
    [ -n "$echo_pid" ] && wait "$echo_pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf /dev/hugepages/"$prefix"map_* "/var/run/dpdk/$prefix" "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"

mem=()
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -lt 64 ] || [ ! -w /dev/hugepages ]; then
    mem=(--no-huge -m 512)
fi
nsenter --net="/var/run/netns/$ns" "$echo_bin" -l 0 --no-pci --file-prefix "$prefix" \
    "${mem[@]}" -- --preset tap --iface "$ifc" --ip 10.78.0.1 --port 7 --seconds 0 \
    >"$log" 2>&1 &
echo_pid=$!
for _ in $(seq 100); do
    ip netns exec "$ns" ip link show "$ifc" >/dev/null 2>&1 && break
    kill -0 "$echo_pid" 2>/dev/null || fail "tern-echo exited early"
    sleep 0.1
done
ip netns exec "$ns" sh -c "sysctl -qw net.ipv6.conf.$ifc.disable_ipv6=1; ip link set lo up;
    ip addr add 10.78.0.2/24 dev $ifc; ip link set $ifc up" || fail "cannot set up $ifc"
ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 -s 4000 10.78.0.1 >"$tmp/ping" 2>&1 ||
    { cat "$tmp/ping"; fail "ping -s 4000 got no answer"; }
grep -q "3 packets transmitted, 3 received" "$tmp/ping" ||
    { cat "$tmp/ping"; fail "ping -s 4000: not 3 of 3 answered"; }
out=$(ip netns exec "$ns" timeout 20 "$py" - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.78.0.2", 21000))
s.settimeout(2.0)
ok = 0
for size in (4000, 20000):
    for r in range(3):
        msg = bytes((i * 7 + r + size) & 0xff for i in range(size))
        s.sendto(msg, ("10.78.0.1", 7))
        try:
            d, _ = s.recvfrom(65535)
            ok += d == msg
        except socket.timeout:
            pass
print(ok)
PY
)
[ "$out" = 6 ] || fail "the kernel client got $out of 6 big datagrams back intact"
kill -INT "$echo_pid"
for _ in $(seq 100); do
    kill -0 "$echo_pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$echo_pid" 2>/dev/null && fail "tern-echo still runs 10 s after SIGINT"
wait "$echo_pid"; rc=$?; echo_pid=
[ "$rc" -eq 0 ] || fail "tern-echo exited with $rc after SIGINT"
grep -q "mbufs still in use" "$log" && fail "mbufs left in use"
grep -q "^echo: stopped, 6 datagrams echoed" "$log" || fail "tern-echo did not echo 6"
# echo: final rx R delivered D drops X ...: R == D + X, and X == 0
awk '/^echo: final rx/ { fin = 1; if ($4 != $6 + $8 || $8 != 0) bad = 1 }
     END { exit !(fin && !bad) }' "$log" || fail "counters: conservation, or drops"
grep -E "^echo: (final|drop)" "$log"
echo "PASS: ping -s 4000 x3 and 4000/20000-byte UDP x3 echoed intact over tap"
