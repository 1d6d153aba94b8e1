#!/usr/bin/env bash
# Every public header compiles on its own: tests/check_headers.sh CC INCDIR [CFLAGS...]
set -u
cc=$1; inc=$2; shift 2
fail=0; n=0
for h in "$inc"/tern/*.h; do
    n=$((n + 1))
    name=tern/$(basename "$h")
    if printf '#include <%s>\n#include <%s>\n' "$name" "$name" |
        "$cc" -x c -std=gnu11 -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$@" - 2>/tmp/check_headers.$$; then
        echo "ok   $name"
    else
        echo "FAIL $name"; cat /tmp/check_headers.$$; fail=1
    fi
done
rm -f /tmp/check_headers.$$
echo "$n headers checked"
[ "$n" -gt 0 ] && exit $fail
exit 1
