# shellcheck shell=bash disable=SC2154
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the tests that run tern-echo on a tap inside a network
# namespace they make, driven from the kernel side (test_frag_tap.sh,
# test_multicore_tap.sh). Before sourcing: $build (the build root); $ifc,
# the tap's name, before tap_iface_up. Every skip exits 77 with its
# reason; every failure exits 1 after tern-echo's log.
echo_bin=$build/apps/echo/tern-echo
py=/usr/bin/python3
skip() { echo "SKIP: $*"; exit 77; }

# Waits up to N tenths of a second for tern-echo to end; 1 if it still runs.
tap_wait_gone() {
    for _ in $(seq "$1"); do
        kill -0 "$echo_pid" 2>/dev/null || return 0
        sleep 0.1
    done
    ! kill -0 "$echo_pid" 2>/dev/null
}

# Why, then tern-echo stopped first (SIGINT, 5 s), so that its log ends
# with its counters, then the log; exit 1.
fail() {
    echo "FAIL: $*"
    if [ -n "${echo_pid:-}" ] && kill -INT "$echo_pid" 2>/dev/null; then
        tap_wait_gone 50
    fi
    [ -f "${log:-}" ] && cat "$log"
    exit 1
}

# What every tap test needs before it makes anything.
tap_checks() {
    [ -x "$echo_bin" ] || skip "tern-echo not built in $build"
    [ "$(id -u)" -eq 0 ] || skip "needs root (a network namespace and a tap port)"
    [ -x "$py" ] || skip "no $py for the UDP client"
    command -v ping >/dev/null || skip "no ping (iputils-ping)"
}

# Removes what tap_ns_up and tap_echo_start made (the EXIT trap).
tap_cleanup() {
    [ -n "$echo_pid" ] && kill -0 "$echo_pid" 2>/dev/null && kill -KILL "$echo_pid"
    [ -n "$echo_pid" ] && wait "$echo_pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf /dev/hugepages/"$prefix"map_* "/var/run/dpdk/$prefix" "$tmp"
}

# tap_ns_up NAME: the namespace and EAL prefix tern_t_NAME_<pid>, a
# temporary directory $tmp with $log in it, the cleanup trap, and mem:
# --no-huge unless 64 hugepages are free.
tap_ns_up() {
    ns=tern_t_$1_$$ prefix=tern_t_$1_$$
    tmp=$(mktemp -d "/tmp/tern_t_$1.XXXXXX")
    log=$tmp/echo.log echo_pid=
    trap tap_cleanup EXIT
    ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
    mem=()
    free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
    if [ "${free:-0}" -lt 64 ] || [ ! -w /dev/hugepages ]; then
        mem=(--no-huge -m 512)
    fi
}

# tap_echo_start LCORES ARGS...: tern-echo in the namespace on LCORES with
# ARGS after "--", its output in $log, its pid in $echo_pid.
tap_echo_start() {
    local lcores=$1
    shift
    nsenter --net="/var/run/netns/$ns" "$echo_bin" -l "$lcores" --no-pci \
        --file-prefix "$prefix" "${mem[@]}" -- "$@" >"$log" 2>&1 &
    echo_pid=$!
}

# tap_iface_up ADDR: waits (10 s at most) for tern-echo's tap $ifc, then
# gives the kernel side ADDR/24, IPv6 off (no router solicitations).
tap_iface_up() {
    for _ in $(seq 100); do
        ip netns exec "$ns" ip link show "$ifc" >/dev/null 2>&1 && break
        kill -0 "$echo_pid" 2>/dev/null || fail "tern-echo exited early"
        sleep 0.1
    done
    ip netns exec "$ns" sh -c "sysctl -qw net.ipv6.conf.$ifc.disable_ipv6=1; ip link set lo up;
        ip addr add $1/24 dev $ifc; ip link set $ifc up" || fail "cannot set up $ifc"
}

# SIGINT -> tern-echo must end within 10 s, exit 0.
tap_echo_stop() {
    kill -INT "$echo_pid"
    tap_wait_gone 100 || fail "tern-echo still runs 10 s after SIGINT"
    wait "$echo_pid"; rc=$?; echo_pid=
    [ "$rc" -eq 0 ] || fail "tern-echo exited with $rc after SIGINT"
}
