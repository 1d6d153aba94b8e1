#!/usr/bin/env bash
# Datagrams larger than the MTU, from real clients: tern-echo on a tap
# inside a network namespace this test makes, driven from the kernel side.
# `ping -s 4000 -c 3` must get 3 replies (the request arrives in three
# fragments, is reassembled into a jumbo buffer, and the reply leaves in
# three), and a python3 UDP client's 4000- and 11000-byte datagrams (3 and
# 8 fragments each way) must come back byte-identical. A 20000-byte
# datagram (14 fragments) is over what DPDK 22.11 reassembles (8 pieces,
# RTE_LIBRTE_IP_FRAG_MAX_FRAG): it must not come back, and its 14
# fragments must all be counted in ip_frag (some at once, the rest when
# frag_timeout_ms ends). Then: exit 0 after SIGINT, no mbuf left in use
# (main pool and jumbo buffers), the conservation law with nothing held,
# no ip_frag_big, and no other drop than the kernel's own multicast
# chatter on a fresh link (eth_not_ours, eth_type).
#
#   tests/engine/test_frag_tap.sh BUILD_ROOT
#
# Exit: 0 passed; 1 failed (the reason is printed); 77 skipped (why is printed).
set -uo pipefail
build=${1:?usage: test_frag_tap.sh BUILD_ROOT}
. "$(dirname "$0")/tap_lib.sh"

tap_checks
ifc=tfr$$
tap_ns_up fragtap
tap_echo_start 0 --preset tap --iface "$ifc" --ip 10.78.0.1 --port 7 --seconds 0
tap_iface_up 10.78.0.2
ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 -s 4000 10.78.0.1 >"$tmp/ping" 2>&1 ||
    { cat "$tmp/ping"; fail "ping -s 4000 got no answer"; }
grep -q "3 packets transmitted, 3 received" "$tmp/ping" ||
    { cat "$tmp/ping"; fail "ping -s 4000: not 3 of 3 answered"; }
# 4000 and 11000 bytes x3 must come back; then 20000 bytes x2 must not.
out=$(ip netns exec "$ns" timeout 30 "$py" - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.78.0.2", 21000))
ok, big = 0, 0
for size, tries, wait in ((4000, 3, 2.0), (11000, 3, 2.0), (20000, 2, 1.0)):
    s.settimeout(wait)
    for r in range(tries):
        msg = bytes((i * 7 + r + size) & 0xff for i in range(size))
        s.sendto(msg, ("10.78.0.1", 7))
        try:
            d, _ = s.recvfrom(65535)
            if size == 20000:
                big += 1
            else:
                ok += d == msg
        except socket.timeout:
            pass
print(ok, big)
PY
)
[ "$out" = "6 0" ] || fail "the kernel client: '$out' (want '6 0': 6 of 6 echoed intact, no 20000-byte echo)"
# The 20000-byte datagrams' later fragments wait frag_timeout_ms (2 s) from
# the first of them; let them expire so nothing is held at the stop.
sleep 2.5
tap_echo_stop
grep -q "mbufs still in use" "$log" && fail "mbufs left in use (main pool or jumbo buffers)"
grep -q "^echo: stopped, 6 datagrams echoed" "$log" || fail "tern-echo did not echo 6"
# echo: final rx R delivered D drops X udp U tx T tx_full F sockperf S held H
#       reassembled A frag_out O: R == D + X + H, H == 0; 3 pings and 6 UDP
# datagrams reassembled, and the 9 replies sent in fragments.
awk '/^echo: final rx/ { fin = 1; if ($4 != $6 + $8 + $18 || $18 != 0) bad = 1;
                         if ($20 != 9 || $22 != 9) bad = 1 }
     END { exit !(fin && !bad) }' "$log" ||
    fail "counters: conservation, fragments held, or reassembled/fragmented counts"
# Two 20000-byte datagrams: 28 fragments, each in ip_frag once.
awk '/^echo: drop / { if ($3 == "ip_frag") frag = $4;
                      else if ($3 != "eth_not_ours" && $3 != "eth_type") other = other " " $3 }
     END { if (other != "") print "unexpected drops:" other; exit !(frag == 28 && other == "") }' \
    "$log" || fail "drops: want ip_frag 28 (2 x 14 fragments over the 8-piece limit) and no other"
grep -E "^echo: (final|drop)" "$log"
echo "PASS: ping -s 4000 x3, 4000/11000-byte UDP x3 echoed intact over tap; 20000 bytes dropped as ip_frag"
