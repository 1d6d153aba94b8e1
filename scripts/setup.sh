#!/usr/bin/env bash
# tern setup: installs build and test dependencies from Debian's packages,
# reserves hugepages (as root), then builds. Idempotent: run it as often as you like.
#
#   scripts/setup.sh [--no-build] [--build-dir DIR] [--buildtype TYPE] [--hugepages N]
#
# Exit codes: 0 ok; 1 a step failed (the message says which and how to fix it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=1
builddir="$here/build/release"
buildtype=release
hugepages=${TERN_HUGEPAGES:-512}   # 2 MiB pages: 1 GiB

while [ $# -gt 0 ]; do
    case "$1" in
    --no-build) build=0 ;;
    --build-dir) builddir=$2; shift ;;
    --buildtype) buildtype=$2; shift ;;
    --hugepages) hugepages=$2; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "setup: unknown option $1 (see --help)" >&2; exit 1 ;;
    esac
    shift
done

say() { printf 'setup: %s\n' "$*"; }

# Every package is named: nothing is pulled in by accident, and a missing
# PMD is a setup failure rather than a "vdev not found" at run time.
packages=(
    build-essential g++ meson ninja-build pkg-config python3-pyelftools
    libdpdk-dev dpdk dpdk-dev
    librte-net-memif23 librte-net-ring23 librte-net-null23 librte-net-tap23
    librte-net-af-packet23 librte-net-pcap23 librte-mempool-ring23
    libnuma-dev libcmocka-dev libbenchmark-dev libinih-dev libjansson-dev libpcap-dev
    libck-dev liburcu-dev
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
    valgrind iproute2 iputils-ping sockperf tcpdump tshark python3-scapy
    python3-matplotlib
)

install_packages() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "all ${#packages[@]} packages present"
        return
    fi
    if [ "$(id -u)" -ne 0 ]; then
        say "missing packages: ${missing[*]}"
        say "run as root, or: sudo apt-get install ${missing[*]}"
        exit 1
    fi
    say "installing ${#missing[@]} packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer no without a prompt.
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

reserve_hugepages() {
    local mnt=/dev/hugepages
    if [ "$(id -u)" -ne 0 ]; then
        say "not root: hugepages not reserved; tern will run with --no-huge"
        return
    fi
    local have
    have=$(cat /proc/sys/vm/nr_hugepages)
    if [ "$have" -lt "$hugepages" ]; then
        echo "$hugepages" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
        have=$(cat /proc/sys/vm/nr_hugepages)
    fi
    if [ "$have" -lt 1 ]; then
        say "could not reserve hugepages (kernel refused); tern will run with --no-huge"
        return
    fi
    mkdir -p "$mnt"
    if ! grep -qs " $mnt hugetlbfs " /proc/mounts; then
        mount -t hugetlbfs nodev "$mnt" 2>/dev/null \
            || { say "could not mount hugetlbfs on $mnt; tern will run with --no-huge"; return; }
    fi
    say "hugepages: $have x 2 MiB reserved, hugetlbfs on $mnt"
}

# Each task stack is its own mapping plus a PROT_NONE guard (two VMAs), so
# 100k live tasks need ~200k mappings; the kernel default is 65530.
raise_map_count() {
    local want=1048576 have
    have=$(cat /proc/sys/vm/max_map_count)
    [ "$have" -ge "$want" ] && return
    if [ "$(id -u)" -eq 0 ] && echo "$want" >/proc/sys/vm/max_map_count 2>/dev/null; then
        say "vm.max_map_count raised from $have to $want (room for guarded task stacks)"
    else
        say "vm.max_map_count is $have: about $((have / 2)) guarded task stacks at most"
    fi
}

install_packages
reserve_hugepages
raise_map_count

if [ "$build" -eq 1 ]; then
    if [ ! -f "$builddir/build.ninja" ]; then
        meson setup "$builddir" "$here" --buildtype="$buildtype" >/dev/null
    fi
    ninja -C "$builddir" >/dev/null
    say "built in $builddir"
fi
