# shellcheck shell=bash
# Sourced by scripts/rate_sweep.sh and scripts/pcap_replay.sh: one run of
# tern-gen (memif client, lcore 1) against a device under test (memif
# server, lcore 0): tern-echo, or dpdk-testpmd --forward-mode=5tswap. Both
# start fresh for every run and stop in memif's safe order (docs/gen.md,
# "Stopping over memif"), as scripts/demo.sh and scripts/echo_ab.sh do.
#
#   dut_init BUILD_DIR tern|testpmd NAME    checks, temp dir, EXIT trap
#   dut_run TAG SECONDS_BOUND GEN_ARGS...   one run; gen's JSON lines in
#                                           $dut_tmp/TAG.out; 0 ok, 1 failed
#   dut_summary TAG                         the run's summary JSON line
#
# Exit codes callers use: 2 when this machine cannot run it (the message
# says why). Every process is ours by PID; every prefix, socket and
# hugepage file is removed by the EXIT trap.

dut_say() { printf '%s: %s\n' "$dut_name" "$*" >&2; }

# Hugepages when this user can use them, else --no-huge (memif works so).
dut_mem_args() {
    local free
    free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
    dut_mem=()
    dut_huge=1
    if [ "$(id -u)" -ne 0 ] || [ "${free:-0}" -lt 64 ] || [ ! -w /dev/hugepages ]; then
        dut_mem=(--no-huge -m 256)
        dut_huge=0
    fi
}

dut_init() {
    dut_build=$1 dut_kind=$2 dut_name=$3
    dut_echo=$dut_build/apps/echo/tern-echo dut_gen=$dut_build/apps/gen/tern-gen
    dut_server_pid= dut_gen_pid= dut_prefixes=()
    [ -x "$dut_gen" ] || { dut_say "$dut_gen not built (meson setup + ninja, or scripts/setup.sh)"; return 2; }
    case "$dut_kind" in
    tern) [ -x "$dut_echo" ] || { dut_say "$dut_echo not built"; return 2; } ;;
    testpmd)
        dut_testpmd=$(command -v dpdk-testpmd || true)
        [ -n "$dut_testpmd" ] || { dut_say "dpdk-testpmd missing (Debian package dpdk)"; return 2; } ;;
    *) dut_say "--dut must be tern or testpmd, not $dut_kind"; return 2 ;;
    esac
    [ "$(nproc)" -ge 2 ] || { dut_say "needs two CPUs (one polling core per side)"; return 2; }
    dut_mem_args
    dut_tmp=$(mktemp -d "/tmp/tern-$dut_name.XXXXXX")
    trap dut_cleanup EXIT
}

dut_cleanup() {
    local p
    for p in $dut_gen_pid $dut_server_pid; do
        kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    dut_gen_pid= dut_server_pid=
    for p in "${dut_prefixes[@]}"; do
        rm -rf /dev/hugepages/"$p"map_* "/var/run/dpdk/$p"
    done
    [ -z "${dut_tmp:-}" ] || rm -rf "$dut_tmp"
}

# Waits (bounded, 20 s) until the server's log shows it serves.
dut_wait_ready() {
    local log=$1 mark=$2 i
    for ((i = 0; i < 200; i++)); do
        grep -q "$mark" "$log" 2>/dev/null && return 0
        kill -0 "$dut_server_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

dut_start_server() {
    local tag=$1 sock=$2 prefix=$3 log=$4
    if [ "$dut_kind" = tern ]; then
        "$dut_echo" -l 0 --no-pci --file-prefix "$prefix" "${dut_mem[@]}" -- \
            --preset memif --socket "$sock" --server >"$log" 2>&1 &
        dut_server_pid=$!
        return 0 # tern's memif client retries until the server serves
    fi
    local huge=(--huge-unlink)
    [ "$dut_huge" -eq 1 ] || huge=()
    # testpmd's memif server panics when a client is refused before its
    # port starts (docs/gen.md): tern-gen starts once testpmd forwards
    "$dut_testpmd" -l 0,1 --main-lcore 1 --no-pci --file-prefix "$prefix" "${huge[@]}" \
        "${dut_mem[@]}" --vdev "net_memif0,role=server,socket=$sock,socket-abstract=no" -- \
        --forward-mode=5tswap --stats-period 1 --nb-cores 1 --total-num-mbufs 16384 \
        >"$log" 2>&1 &
    dut_server_pid=$!
    dut_wait_ready "$log" 'start packet forwarding' || {
        dut_say "run $tag: testpmd did not start forwarding"; tail -5 "$log" >&2; return 1; }
}

dut_run() {
    local tag=$1 bound=$2
    shift 2
    local sock=$dut_tmp/$tag.sock stopped=$dut_tmp/$tag.stopped log=$dut_tmp/$tag.server.log
    local ps=tern_${dut_name}_s_$$_$tag pg=tern_${dut_name}_g_$$_$tag extra=() i
    dut_prefixes+=("$ps" "$pg")
    [ "$dut_kind" = tern ] || extra=(--dst-mac 02:00:00:00:00:01) # 5tswap answers no ARP
    dut_start_server "$tag" "$sock" "$ps" "$log" || { dut_cleanup_run; return 1; }
    "$dut_gen" -l 1 --no-pci --file-prefix "$pg" "${dut_mem[@]}" -- --preset memif \
        --socket "$sock" --json --stopped-file "$stopped" "${extra[@]}" "$@" \
        >"$dut_tmp/$tag.out" 2>"$dut_tmp/$tag.err" &
    dut_gen_pid=$!
    # bound: the run's own limit plus set-up, ARP and drain
    for ((i = 0; i < (bound + 30) * 10; i++)); do
        [ -e "$stopped" ] && break
        kill -0 "$dut_gen_pid" 2>/dev/null || break
        kill -0 "$dut_server_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -e "$stopped" ] || kill -TERM "$dut_gen_pid" 2>/dev/null
    kill -TERM "$dut_server_pid" 2>/dev/null # memif's ordered stop: the server next
    local src=0 grc=0
    # bounded, as tern-gen's below: a server that ignores SIGTERM is killed
    for ((i = 0; i < 150; i++)); do kill -0 "$dut_server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$dut_server_pid" 2>/dev/null && { dut_say "run $tag: server ignored SIGTERM: killed"; kill -KILL "$dut_server_pid"; src=124; }
    wait "$dut_server_pid" || src=$?
    dut_server_pid=
    for ((i = 0; i < 150; i++)); do kill -0 "$dut_gen_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$dut_gen_pid" 2>/dev/null && { kill -KILL "$dut_gen_pid"; grc=124; }
    wait "$dut_gen_pid" || grc=$?
    dut_gen_pid=
    rm -rf /dev/hugepages/"$ps"map_* /dev/hugepages/"$pg"map_* "/var/run/dpdk/$ps" "/var/run/dpdk/$pg"
    if [ "$src" -ne 0 ] || [ "$grc" -ne 0 ]; then
        dut_say "run $tag: server exited $src, tern-gen $grc"
        tail -3 "$log" >&2
        grep -v -e '^TELEMETRY:' -e '^EAL: Detected' "$dut_tmp/$tag.err" | tail -5 >&2
        return 1
    fi
    grep -q '"summary"' "$dut_tmp/$tag.out" || { dut_say "run $tag: no summary"; return 1; }
}

dut_cleanup_run() {
    [ -z "$dut_server_pid" ] || { kill -KILL "$dut_server_pid" 2>/dev/null; wait "$dut_server_pid" 2>/dev/null; }
    dut_server_pid=
}

dut_summary() {
    grep '"summary"' "$dut_tmp/$1.out"
}
