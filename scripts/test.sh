#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds and runs the whole test suite twice:
# a debug build (assertions on, warnings as errors) and an ASan+UBSan build.
# Ends with one line: "tests: N passed, N failed, N skipped".
#
#   scripts/test.sh [--quick]     --quick: debug build only
#
# Tests that need root, namespaces or hugepages skip (exit 77) with a reason
# when they cannot run; as root (CI) they run.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

"$here/scripts/setup.sh" --no-build || exit 1

builds=(debug)
[ $quick -eq 0 ] && builds+=(asan)

configure() {
    local name=$1 dir="$here/build/$1"
    local args=(--buildtype=debug -Dwerror=true -Dbenchmarks=false)
    [ "$name" = asan ] && args+=(-Db_sanitize=address,undefined -Db_lundef=false)
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$here" "${args[@]}" >/dev/null || return 1
    fi
    ninja -C "$dir" >/dev/null || { ninja -C "$dir" | tail -30; return 1; }
}

status=0
for b in "${builds[@]}"; do
    echo "== $b build"
    if ! configure "$b"; then
        echo "test.sh: the $b build failed"
        status=1
        continue
    fi
    # ASan: no leak checking inside DPDK's own allocations at exit; every
    # other report fails the test. UBSan: any report fails the test.
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
        meson test -C "$here/build/$b" --print-errorlogs --num-processes 2 || status=1
done

# One line counted from meson's logs, so a run that executed nothing shows.
/usr/bin/env python3 - "$here/build" "${builds[@]}" <<'PY'
import json, sys, os
root, builds = sys.argv[1], sys.argv[2:]
p = f = s = 0
for b in builds:
    log = os.path.join(root, b, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        continue
    for line in open(log):
        r = json.loads(line).get("result", "")
        if r in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r == "SKIP":
            s += 1
        else:
            f += 1
print(f"tests: {p} passed, {f} failed, {s} skipped")
sys.exit(1 if f or p == 0 else 0)
PY
[ $? -ne 0 ] && status=1
exit $status
