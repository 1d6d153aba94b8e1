#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A small pcap file for tern-gen --replay, made with the standard library.

    make_pcap.py OUT.pcap [--datagrams N] [--gap-us US] [--others]

Writes N Ethernet/IPv4/UDP frames (from a few captured sources, so replay
spreads them over flows; payloads of 18 to 200 bytes; one every --gap-us of
capture time) and, with --others, one of each frame replay must skip: an
ARP request, a TCP segment, an IPv4 fragment, an IPv6 datagram and an IPv4
header cut short by the snap length. Prints what it wrote as JSON, so a
test compares tern-gen's counters with the file's real contents.
"""
import argparse
import json
import struct


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst):
    return bytes(int(x) for x in src.split(".")), bytes(int(x) for x in dst.split("."))


def ipv4_packet(src, dst, proto, l4, frag=0):
    s, d = ip4(src, dst)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, frag, 64, proto, 0, s, d)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + l4


def udp(src, dst, sport, dport, payload):
    s, d = ip4(src, dst)
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = csum(s + d + struct.pack("!BBH", 0, 17, len(u)) + u) or 0xFFFF
    return u[:6] + struct.pack("!H", c) + u[8:]


def eth(ethertype, body):
    dst = bytes.fromhex("02aabbccdd01")
    src = bytes.fromhex("02aabbccdd02")
    return dst + src + struct.pack("!H", ethertype) + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--datagrams", type=int, default=100)
    ap.add_argument("--gap-us", type=int, default=1000)
    ap.add_argument("--others", action="store_true")
    a = ap.parse_args()

    frames = []   # (timestamp in us, bytes, captured length or None)
    t = 1_700_000_000 * 1_000_000
    srcs = [("192.168.7.%d" % (10 + i), 40000 + i) for i in range(5)]
    payload_bytes = 0
    for i in range(a.datagrams):
        ip, port = srcs[i % len(srcs)]
        # ASCII text: bytes 10-13 never read as a sockperf length
        payload = ("tern replay sample %06d " % i).encode() * (1 + i % 7)
        payload_bytes += len(payload)
        frames.append((t, eth(0x0800, ipv4_packet(ip, "192.168.7.1", 17,
                                                   udp(ip, "192.168.7.1", port, 7, payload))), None))
        t += a.gap_us
    others = {}
    if a.others:
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes(6), bytes(4), bytes(6),
                          bytes(4))
        tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x02, 65535, 0, 0)
        frag = udp("192.168.7.9", "192.168.7.1", 5000, 7, b"x" * 64)
        v6 = struct.pack("!IHBB16s16s", 6 << 28, 8, 17, 64, bytes(16), bytes(16)) + \
            struct.pack("!HHHH", 1, 7, 8, 0)
        full = eth(0x0800, ipv4_packet("192.168.7.9", "192.168.7.1", 17,
                                       udp("192.168.7.9", "192.168.7.1", 5000, 7, b"y" * 100)))
        for body, kind in ((eth(0x0806, arp), "not_udp"),
                           (eth(0x0800, ipv4_packet("192.168.7.9", "192.168.7.1", 6, tcp)), "not_udp"),
                           (eth(0x0800, ipv4_packet("192.168.7.9", "192.168.7.1", 17, frag,
                                                    frag=0x2000)), "fragment"),
                           (eth(0x86DD, v6), "not_udp"),
                           (full, "malformed")):
            snap = 14 + 20 + 4 if kind == "malformed" else None
            frames.insert(len(frames) // 2, (t, body, snap))
            others[kind] = others.get(kind, 0) + 1
        # the inserted frames break time order; give every frame its place in time again
        t0 = frames[0][0]
        frames = [(t0 + i * a.gap_us, f, s) for i, (_, f, s) in enumerate(frames)]

    udp_ts = [ts for ts, body, snap in frames
              if snap is None and body[12:14] == b"\x08\x00" and body[23] == 17 and
              not struct.unpack("!H", body[20:22])[0] & 0x3FFF]
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, body, snap in frames:
            cap = body[:snap] if snap else body
            f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(cap), len(body)))
            f.write(cap)
    print(json.dumps({"file": a.out, "frames": len(frames), "udp": a.datagrams,
                      "payload_bytes": payload_bytes, "gap_us": a.gap_us,
                      "span_us": frames[-1][0] - frames[0][0],
                      "udp_span_us": udp_ts[-1] - udp_ts[0] if udp_ts else 0,
                      "skipped": {"not_udp": others.get("not_udp", 0),
                                  "fragment": others.get("fragment", 0),
                                  "malformed": others.get("malformed", 0)}}))


if __name__ == "__main__":
    main()
