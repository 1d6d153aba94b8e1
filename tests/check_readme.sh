#!/usr/bin/env bash
# The README's C sample compiles against the built library and does what the
# README says (returns -ETIMEDOUT, so main exits 0).
#   tests/check_readme.sh CC README INCDIR LIBSCHED [SANITIZE]
# SANITIZE is meson's b_sanitize (e.g. address,undefined): the library was
# built with it, so the sample links with it too.
set -eu
cc=$1 readme=$2 inc=$3 lib=$4 san=${5:-none}
extra=()
[ "$san" != none ] && [ -n "$san" ] && extra=(-fsanitize="$san")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
awk '/^```c$/{f=1;next} /^```$/{f=0} f' "$readme" > "$out/sample.c"
[ -s "$out/sample.c" ] || { echo "no C sample found in $readme"; exit 1; }
"$cc" -std=gnu11 -O2 -Wall -Werror "${extra[@]}" -I"$inc" "$out/sample.c" "$lib" -lnuma -lpthread -o "$out/sample"
"$out/sample"
echo "README sample: compiled and ran"
