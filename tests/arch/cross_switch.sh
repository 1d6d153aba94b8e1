#!/usr/bin/env bash
# Builds the AArch64 context switch with Debian's cross compiler and runs
# its test under qemu-user, so that file is exercised, not dead code.
#   tests/arch/cross_switch.sh SRCROOT
set -eu
root=$1
cc=aarch64-linux-gnu-gcc
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
if ! command -v $cc >/dev/null || [ -z "$qemu" ]; then
    echo "SKIP: needs gcc-aarch64-linux-gnu and qemu-user (scripts/setup.sh installs them)"
    exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
$cc -O2 -static -Wall -Werror -I"$root/sched" -I"$root/sched/arch/aarch64" \
    "$root/tests/arch/switch_test.c" "$root/sched/arch/aarch64/switch.S" -lm -o "$out/switch_test"
"$qemu" "$out/switch_test"
