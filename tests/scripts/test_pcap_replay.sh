#!/usr/bin/env bash
# scripts/pcap_replay.sh against tern-echo over memif, on a capture made by
# tests/scripts/make_pcap.py (UDP datagrams from 5 sources among frames
# replay must skip). Checks, against what the file really holds: every
# frame read, skips by reason, sent == datagrams x loops, replies == sent,
# and the replies written to a pcap carry exactly the replayed payloads;
# then a run at the capture's own timing is no faster than the capture.
#
#   tests/scripts/test_pcap_replay.sh SOURCE_ROOT BUILD_ROOT
#
# Exit: 0 passed; 1 failed (the reason is printed); 77 skipped (why is printed).
set -uo pipefail
src=${1:?usage: test_pcap_replay.sh SOURCE_ROOT BUILD_ROOT} build=${2:?BUILD_ROOT}
py=/usr/bin/python3
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$py" ] || skip "no $py"
tmp=$(mktemp -d /tmp/tern_t_replay.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$py" "$src/tests/scripts/make_pcap.py" "$tmp/in.pcap" --datagrams 200 --gap-us 500 --others \
    >"$tmp/in.json" || fail "make_pcap.py failed"

# One replay run; its PID names its DPDK prefixes, checked after.
replay() {
    local tag=$1 rc pid
    shift
    "$src/scripts/pcap_replay.sh" "$tmp/in.pcap" --no-setup --build-dir "$build" \
        --seconds 20 --out "$tmp/$tag.json" "$@" >"$tmp/$tag.stdout" 2>"$tmp/$tag.stderr" &
    pid=$!
    wait "$pid"
    rc=$?
    cat "$tmp/$tag.stderr" "$tmp/$tag.stdout"
    [ "$rc" -ne 2 ] || skip "pcap_replay.sh cannot run here: $(grep 'pcap_replay:' "$tmp/$tag.stderr" | tail -1)"
    if [ "$rc" -ne 0 ] && grep -qiE 'EAL: (Cannot|Failed|No available)|permission denied' "$tmp/$tag.stderr"; then
        skip "the EAL cannot start here: $(grep -hiE 'EAL: (Cannot|Failed|No available)|permission denied' "$tmp/$tag.stderr" | head -1)"
    fi
    grep -q 'built without libpcap' "$tmp/$tag.stderr" && skip "tern-gen was built without libpcap"
    [ "$rc" -eq 0 ] || fail "pcap_replay.sh $tag exited $rc"
    for d in /var/run/dpdk/tern_pcap_replay_?_"$pid"_* /dev/hugepages/tern_pcap_replay_?_"$pid"_*; do
        [ ! -e "$d" ] || fail "$d left behind"
    done
}

replay rate --rate 4000 --loops 3 --flows 2 --reply-pcap "$tmp/replies.pcap"
"$py" - "$tmp/in.json" "$tmp/rate.json" "$tmp/in.pcap" "$tmp/replies.pcap" 3 <<'PY' || fail "replay counters (output above)"
import collections, json, struct, sys
made, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
loops = int(sys.argv[5])
r = s["replay"]
assert r["frames_read"] == made["frames"], "read %d of %d frames" % (r["frames_read"], made["frames"])
assert r["datagrams"] == made["udp"], "datagrams %d, file has %d" % (r["datagrams"], made["udp"])
for k, v in made["skipped"].items():
    assert r["skipped"][k] == v, "skipped %s: %d, file has %d" % (k, r["skipped"][k], v)
assert r["skipped"]["too_big"] == 0 and r["skipped"]["link_type"] == 0
assert r["loops"] == loops and r["due"] == made["udp"] * loops
assert r["sent"] == made["udp"] * loops, "sent %d, want %d" % (r["sent"], made["udp"] * loops)
assert s["tx"] == r["sent"] and r["unsent"] == 0
assert r["replies"] == r["sent"] and s["rx"] == r["replies"], "replies %d of %d" % (r["replies"], r["sent"])
assert s["lost"] == 0 and s["error"] == 0 and s["rx_drops"] == 0
assert s["reply_pcap"]["written"] == r["replies"] and s["reply_pcap"]["overflow"] == 0

def udp_payloads(path):
    """(src ip, src port, dst port, payload) of each IPv4/UDP frame of a pcap."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "not a little-endian pcap: %x" % magic
    off, out = 24, []
    while off < len(data):
        _, _, cap, _ = struct.unpack("<IIII", data[off:off + 16])
        f = data[off + 16:off + 16 + cap]
        off += 16 + cap
        if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 17 or struct.unpack("!H", f[20:22])[0] & 0x3FFF:
            continue
        ihl = (f[14] & 15) * 4
        u = 14 + ihl
        ulen = struct.unpack("!H", f[u + 4:u + 6])[0]
        if u + ulen > len(f):
            continue
        out.append((f[26:30], struct.unpack("!H", f[u:u + 2])[0],
                    struct.unpack("!H", f[u + 2:u + 4])[0], f[u + 8:u + ulen]))
    return out

sent = collections.Counter(p for _, _, _, p in udp_payloads(sys.argv[3]))
got = udp_payloads(sys.argv[4])
assert len(got) == r["replies"], "%d frames in the reply pcap" % len(got)
assert all(ip == bytes([10, 0, 0, 1]) and sp == 7 and dp in (9000, 9001) for ip, sp, dp, _ in got), \
    "a reply not from 10.0.0.1:7 to our flows"
assert collections.Counter(p for *_, p in got) == collections.Counter(
    {p: n * loops for p, n in sent.items()}), "reply payloads differ from the replayed ones"
assert len({dp for _, _, dp, _ in got}) == 2, "5 captured sources should use both flows"
print("replay: %d datagrams x %d sent, %d replies, payloads identical" % (made["udp"], loops, len(got)))
PY

# At the capture's timing, twice as fast: the schedule can run late, never early.
replay capture --timing capture --speed 2 --loops 2
"$py" - "$tmp/in.json" "$tmp/capture.json" <<'PY' || fail "capture timing (output above)"
import json, sys
made, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
r = s["replay"]
assert r["sent"] == made["udp"] * 2 and r["replies"] == r["sent"], "sent %d replies %d" % (r["sent"], r["replies"])
# the last send is due 2 spans plus the mean gap that joins the loops in, at 2x
span_s = made["udp_span_us"] / 1e6
want = (2 * span_s + span_s / (made["udp"] - 1)) / 2
assert span_s > 0.05, "the capture should span some time: %.4f s" % span_s
# the summary prints seconds to 1 ms (%.3f, rounded): allow that rounding only
assert s["seconds"] + 0.0005 >= want, "took %.4f s, the schedule needs at least %.4f s" % (s["seconds"], want)
print("capture timing: %.4f s for 2 loops of a %.4f s capture at 2x (schedule: %.4f s)" % (
    s["seconds"], span_s, want))
PY
echo "PASS: sent == datagrams x loops, replies == sent, payloads echoed as replayed, skips by reason"
