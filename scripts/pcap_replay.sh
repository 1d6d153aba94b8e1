#!/usr/bin/env bash
# Replays a capture against a device under test: tern-gen --replay (lcore
# 1) sends the UDP payloads of FILE.pcap over memif to the DUT (lcore 0),
# at --rate or at the capture's own timing, --loops times, and counts the
# replies; optionally writes them to a pcap file. What was sent, what could
# not be sent (and why) and what came back are printed and, with --out,
# written as JSON (tern-gen's summary, its "replay" object: docs/gen.md).
#
#   scripts/pcap_replay.sh FILE.pcap [--dut tern|testpmd] [--rate PPS]
#       [--timing rate|capture] [--speed X] [--loops N] [--flows N]
#       [--dst-port N | --keep-dst-port] [--reply-pcap OUT.pcap]
#       [--seconds MAX] [--out FILE.json] [--build-dir DIR] [--no-setup]
#
# Only IPv4/UDP datagrams are replayed (their payloads, from tern-gen's
# address and flows to the DUT's 10.0.0.1, port 7 or the captured one);
# other frames are skipped and counted by reason. --seconds (60, at most
# 3600) bounds the run; sends still due then are counted as not sent.
# Defaults: --rate 10000, --loops 1, 1 flow, build/release (made by
# scripts/setup.sh, as scripts/demo.sh does; --no-setup skips it).
# Exit: 0 every datagram was sent and answered; 1 some were not (or a
# failure: the message says which); 2 cannot run here.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir="$here/build/release" dut=tern file= out= seconds=60 setup=1 gen_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --dut) dut=$2; shift ;;
    --rate|--timing|--speed|--loops|--flows|--dst-port|--reply-pcap)
        gen_args+=("$1" "$2"); shift ;;
    --keep-dst-port) gen_args+=("$1") ;;
    --seconds) seconds=$2; shift ;;
    --out) out=$2; shift ;;
    --build-dir) builddir=$2; shift ;;
    --no-setup) setup=0 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "pcap_replay: unknown option $1 (see --help)" >&2; exit 1 ;;
    *) [ -z "$file" ] || { echo "pcap_replay: one file only" >&2; exit 1; }; file=$1 ;;
    esac
    shift
done
py=/usr/bin/python3
say() { printf 'pcap_replay: %s\n' "$*" >&2; }
[ -n "$file" ] || { say "which pcap file? (see --help)"; exit 1; }
[ -r "$file" ] || { say "cannot read $file"; exit 1; }
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 3600 ] \
    || { say "--seconds must be 1..3600"; exit 1; }
. "$here/scripts/gen_dut.sh"
if [ "$setup" -eq 1 ]; then
    "$here/scripts/setup.sh" --build-dir "$builddir" || { say "scripts/setup.sh failed"; exit 2; }
fi
dut_init "$builddir" "$dut" pcap_replay || exit $?
trap 'say interrupted; exit 130' INT TERM
file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")

say "replaying $file against $dut over memif (at most $seconds s)"
dut_run replay "$seconds" --replay "$file" --seconds "$seconds" "${gen_args[@]}" || exit 1
grep '"reply_pcap"' "$dut_tmp/replay.out" >"$dut_tmp/replies.json" || true
dut_summary replay | "$py" -c '
import json, sys
s = json.load(sys.stdin)["summary"]
r = s["replay"]
w = open(sys.argv[2]).read().strip()
if w:
    s["reply_pcap"] = json.loads(w)["reply_pcap"]
k = r["skipped"]
print("frames in the file: %d; replayed datagrams: %d x %d loop(s) = %d due" %
      (r["frames_read"], r["datagrams"], r["loops"], r["due"]))
print("skipped frames: not IPv4/UDP %d, fragments %d, malformed %d, too big %d, link type %d" %
      (k["not_udp"], k["fragment"], k["malformed"], k["too_big"], k["link_type"]))
print("sent %d (%.0f pps), not sent %d%s; replies %d, lost %d (%.3f%%)" %
      (r["sent"], s["tx_pps"], r["unsent"],
       " (the sender was %.1f ms behind at the end)" % s["behind_ms"] if s["behind_ms"] else "",
       r["replies"], s["lost"], s["loss_pct"]))
if "reply_pcap" in s:
    p = s["reply_pcap"]
    print("replies written to %s: %d (%d did not fit the buffer)%s" %
          (p["file"], p["written"], p["overflow"], ", WRITE FAILED" if p["error"] else ""))
if sys.argv[1]:
    with open(sys.argv[1], "w") as f:
        json.dump(s, f, indent=1)
ok = r["unsent"] == 0 and r["replies"] >= r["sent"] and not s.get("reply_pcap", {}).get("error")
sys.exit(0 if ok else 1)' "$out" "$dut_tmp/replies.json"
