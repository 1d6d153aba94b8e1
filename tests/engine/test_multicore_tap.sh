#!/usr/bin/env bash
# tern-echo --cores 2 on a tap inside a network namespace this test makes,
# driven from the kernel side: ping, then 64 UDP flows (source ports
# 20000-20063) x 4 datagrams from a python3 client. Checks every datagram
# echoed, both cores served some flows, ARP learnt on one core reached the
# other (arp_sync), the conservation law per core and summed, exit 0 and
# no mbuf left in use. tern-echo runs until SIGINT (--seconds 0), sent once
# the client is done, so a slow client cannot outlive it; a second run is
# interrupted while it starts (before its cores run): a clean stop too.
#
#   tests/engine/test_multicore_tap.sh BUILD_ROOT
#
# Exit: 0 passed; 1 failed (the reason is printed); 77 skipped (why is printed).
set -uo pipefail
build=${1:?usage: test_multicore_tap.sh BUILD_ROOT}
. "$(dirname "$0")/tap_lib.sh"

tap_checks
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs (two polling cores)"
ifc=tmc$$
tap_ns_up mctap
tap_echo_start 0-1 --cores 2 --per-core --preset tap --iface "$ifc" --ip 10.77.0.1 \
    --port 7 --seconds 0
tap_iface_up 10.77.0.2
ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 10.77.0.1 >"$tmp/ping" 2>&1 ||
    { cat "$tmp/ping"; fail "ping got no answer"; }
out=$(ip netns exec "$ns" timeout 20 "$py" - <<'PY'
import socket
ok, socks = 0, []
for i in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.77.0.2", 20000 + i))
    s.settimeout(2.0)
    socks.append(s)
for r in range(4):
    for i, s in enumerate(socks):
        s.sendto(bytes([i, r]) * 10, ("10.77.0.1", 7))
    for i, s in enumerate(socks):
        try:
            d, _ = s.recvfrom(100)
            ok += d == bytes([i, r]) * 10
        except socket.timeout:
            pass
print(ok)
PY
)
[ "$out" = 256 ] || fail "the kernel client got $out of 256 echoes back"
# SIGINT -> tern_cores_stop(); it must end within 10 s, exit 0.
tap_echo_stop
grep -q "mbufs still in use" "$log" && fail "mbufs left in use"
grep -q "^echo: stopped, 256 datagrams echoed" "$log" || fail "tern-echo did not echo 256"
# echo: final rx R delivered D drops X ...; echo: core i rx R delivered D drops X udp U ...
awk '/^echo: final rx/ { if ($4 != $6 + $8) bad = 1; fin = 1 }
     /^echo: core [0-9]+ rx/ { if ($5 != $7 + $9) bad = 1; if ($11 == 0) idle = 1; cores++ }
     /^echo: core 0 rx/ { s0 = $NF } /^echo: core 1 rx/ { s1 = $NF }
     END { split(s0, a, "/"); split(s1, b, "/");
           exit !(fin && cores == 2 && !bad && !idle && a[1] + b[1] >= 1 &&
                  a[2] + b[2] == a[1] + b[1] && a[3] + b[3] == 0) }' "$log" ||
    fail "counters: conservation, both cores serving, or ARP sync wrong"
grep -E "^echo: (final|core|drop)" "$log"

# Interrupted while it starts: SIGINT before its cores run must be a clean
# stop (tern_cores_enter() then says -ESHUTDOWN), not "failed", exit 1.
log=$tmp/echo2.log
tap_echo_start 0-1 --cores 2 --preset tap --iface "${ifc}b" --ip 10.77.0.1 --port 7 --seconds 0
sleep 0.2
tap_echo_stop
grep -q "^echo: stopped" "$log" || fail "tern-echo interrupted at start did not stop cleanly"
echo "PASS: 64 flows x 4 echoed over tap on 2 cores, ping answered, SIGINT stops cleanly"
