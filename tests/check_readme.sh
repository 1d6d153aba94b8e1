#!/usr/bin/env bash
# The README's C sample compiles against the built library and does what the
# README says (returns -ETIMEDOUT, so main exits 0).
#   tests/check_readme.sh CC README INCDIR LIBSCHED
set -eu
cc=$1 readme=$2 inc=$3 lib=$4
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
awk '/^```c$/{f=1;next} /^```$/{f=0} f' "$readme" > "$out/sample.c"
[ -s "$out/sample.c" ] || { echo "no C sample found in $readme"; exit 1; }
"$cc" -std=gnu11 -O2 -Wall -Werror -I"$inc" "$out/sample.c" "$lib" -lnuma -lpthread -o "$out/sample"
"$out/sample"
echo "README sample: compiled and ran"
