#!/usr/bin/env python3
"""Labelled scenario captures for scripts/llm-eval, reproducible from a seed.

Each scenario of scenarios.json becomes NAME.pcap (Ethernet, microsecond
timestamps) and NAME.labels (one line per frame, `a` attack or `b`
benign) in the output directory. The same seed gives the same bytes on
any machine (only random.random() is drawn: its sequence for a seed has
not changed across Python 3 versions); sha256.json keeps the SHA-256 of
each file for its scenario's seed and `--check` compares.

Traffic goes to one host, 192.0.2.1 / 2001:db8::1 (the filter's). Benign
sources live in 198.18.0.0/15 and 2001:db8:100::/48, attackers in
198.51.100.0/24, 203.0.113.0/24 and 100.64.0.0/10, resolvers and time
servers in 192.0.2.0/24.

    tests/scenarios/generate.py --out DIR [--seed N] [--only NAME]
    tests/scenarios/generate.py --out DIR --check     # hashes as recorded
    tests/scenarios/generate.py --out DIR --record    # rewrite the hashes

Python 3 standard library only.
"""

import argparse
import hashlib
import json
import math
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "scenarios.json")
HASHES = os.path.join(HERE, "sha256.json")

HOST4 = bytes([192, 0, 2, 1])
HOST6 = bytes.fromhex("20010db8000000000000000000000001")
HOST_MAC = bytes.fromhex("020000000001")
PEER_MAC = bytes.fromhex("020000000002")
START_S = 1735689600  # 2025-01-01 00:00:00 UTC


def ip4(text):
    return bytes(int(x) for x in text.split("."))


def ip4_text(b):
    return ".".join(str(x) for x in b)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Rng:
    """random.random() only, so a seed means the same numbers everywhere."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def random(self):
        return self.r.random()

    def below(self, n):
        return min(int(self.r.random() * n), n - 1)

    def between(self, lo, hi):  # inclusive
        return lo + self.below(hi - lo + 1)

    def pick(self, seq):
        return seq[self.below(len(seq))]


# ---------------------------------------------------------------- frames


def ipv4(src, proto, payload, ttl=64, ident=0, dst=HOST4):
    total = 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, ttl,
                      proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return HOST_MAC + PEER_MAC + b"\x08\x00" + hdr + payload


def ipv6(src, nh, payload, hlim=64):
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim, src,
                      HOST6)
    return HOST_MAC + PEER_MAC + b"\x86\xdd" + hdr + payload


TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 1, 2, 4, 8, 16


def tcp(sport, dport, flags, seq=0, ack=0, data=b"", window=64240):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                       window, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp_echo(ident, seq, data=b"\0" * 32):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def icmp6_echo(ident, seq):
    return struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"\0" * 32


# ----------------------------------------------------------- traffic kinds
#
# A kind is a function (rng, t, state) -> frame, called at each of its
# packet times. Sources and state are fixed when the scenario is built.


class Flow:
    def __init__(self, label, rate, start, end, make, jitter=True):
        self.label = label
        self.rate = rate  # packets per second
        self.start = start
        self.end = end
        self.make = make
        self.jitter = jitter


def times(rng, flow):
    """Packet times of a flow: a Poisson process, or evenly spaced."""
    t = flow.start
    while True:
        if flow.jitter:
            u = rng.random()
            gap = -math.log(1.0 - u) / flow.rate
        else:
            gap = 1.0 / flow.rate
        t += gap
        if t >= flow.end:
            return
        yield t


def benign_flows(rng, duration, scale=1.0):
    """A server's ordinary day: web clients, DNS and NTP answers to its own
    queries, a monitoring ping, some IPv6 clients."""
    clients4 = [bytes([198, 18 + rng.below(2), rng.below(256),
                       1 + rng.below(254)]) for _ in range(80)]
    clients6 = [bytes.fromhex("20010db80100") + bytes(
        rng.below(256) for _ in range(10)) for _ in range(12)]
    resolvers = [ip4("192.0.2.53"), ip4("192.0.2.54")]
    ntp = [ip4("192.0.2.123")]

    def web(rng, t):
        c = rng.pick(clients4)
        port = 443 if rng.random() < 0.8 else 80
        if rng.random() < 0.08:
            return ipv4(c, 6, tcp(32768 + rng.below(28000), port, TCP_SYN))
        return ipv4(c, 6, tcp(32768 + rng.below(28000), port,
                              TCP_ACK | (TCP_PSH if rng.random() < 0.5 else 0),
                              seq=rng.below(1 << 30), ack=rng.below(1 << 30),
                              data=b"x" * rng.between(0, 200)))

    def web6(rng, t):
        c = rng.pick(clients6)
        flags = TCP_SYN if rng.random() < 0.08 else TCP_ACK
        return ipv6(c, 6, tcp(40000 + rng.below(20000), 443, flags))

    def dns_answers(rng, t):
        return ipv4(rng.pick(resolvers), 17,
                    udp(53, 32768 + rng.below(28000),
                        b"\x12\x34\x81\x80" + b"a" * rng.between(40, 120)))

    def ntp_answers(rng, t):
        return ipv4(ntp[0], 17, udp(123, 123, b"\x24" + b"\0" * 47))

    def ping(rng, t):
        return ipv4(ip4("198.18.0.10"), 1, icmp_echo(7, int(t) & 0xFFFF))

    return [
        Flow("b", 260 * scale, 0, duration, web),
        Flow("b", 20 * scale, 0, duration, web6),
        Flow("b", 30 * scale, 0, duration, dns_answers),
        Flow("b", 0.5, 0, duration, ntp_answers),
        Flow("b", 1, 0, duration, ping, jitter=False),
    ]


def pool(rng, prefix, n):
    """n distinct addresses in an IPv4 prefix given as (first octets, bits)."""
    base, bits = prefix
    seen, out = set(), []
    while len(out) < n:
        a = list(base) + [0] * (4 - len(base))
        host = rng.below(1 << (32 - bits))
        value = (int.from_bytes(bytes(a), "big") & ~((1 << (32 - bits)) - 1)) | host
        b = value.to_bytes(4, "big")
        if b[3] in (0, 255) or b in seen:
            continue
        seen.add(b)
        out.append(b)
    return out


def build(name, rng):
    """The flows of scenario `name` and its duration in seconds."""
    if name == "icmp_flood":
        d = 24
        src = ip4("198.51.100.7")
        return d, benign_flows(rng, d) + [
            Flow("a", 800, 4, d,
                 lambda r, t: ipv4(src, 1, icmp_echo(0x4242, r.below(65536)),
                                   ttl=52))]
    if name == "syn_flood_one":
        d = 24
        src = ip4("203.0.113.66")
        return d, benign_flows(rng, d) + [
            Flow("a", 1000, 4, d,
                 lambda r, t: ipv4(src, 6, tcp(1024 + r.below(60000), 443,
                                               TCP_SYN, seq=r.below(1 << 30)),
                                   ttl=48))]
    if name == "syn_flood_many":
        d = 24
        srcs = pool(rng, ((100, 64), 10), 2000)
        return d, benign_flows(rng, d) + [
            Flow("a", 2800, 4, d,
                 lambda r, t: ipv4(r.pick(srcs), 6,
                                   tcp(1024 + r.below(60000), 80, TCP_SYN,
                                       seq=r.below(1 << 30)),
                                   ttl=40 + r.below(20)))]
    if name == "udp_flood":
        d = 24
        src = ip4("198.51.100.200")
        return d, benign_flows(rng, d) + [
            Flow("a", 1500, 4, d,
                 lambda r, t: ipv4(src, 17, udp(40000 + r.below(1000), 9999,
                                                b"\xaa" * 64)))]
    if name == "ntp_reflection":
        d = 24
        srcs = pool(rng, ((203, 0, 113), 24), 200)
        return d, benign_flows(rng, d) + [
            Flow("a", 2600, 4, d,
                 lambda r, t: ipv4(r.pick(srcs), 17,
                                   udp(123, 40000 + r.below(20000),
                                       b"\xd7" + b"\0" * 199)))]
    if name == "dns_reflection":
        d = 24
        srcs = pool(rng, ((198, 51, 100), 24), 200)
        return d, benign_flows(rng, d) + [
            Flow("a", 2600, 4, d,
                 lambda r, t: ipv4(r.pick(srcs), 17,
                                   udp(53, 40000 + r.below(20000),
                                       b"\xbe\xef\x81\x80" + b"A" * 300)))]
    if name == "dns_hidden_reflection":
        # Reflected ANY answers from open resolvers at a rate below the
        # detector's reflection threshold, mixed into the host's own DNS
        # answers from its resolvers.
        d = 30
        srcs = pool(rng, ((203, 0, 113), 24), 150)
        return d, benign_flows(rng, d) + [
            Flow("b", 200, 0, d,
                 lambda r, t: ipv4(ip4("192.0.2.53"), 17,
                                   udp(53, 32768 + r.below(28000),
                                       b"\x12\x34\x81\x80" + b"a" * 90))),
            Flow("a", 700, 4, d,
                 lambda r, t: ipv4(r.pick(srcs), 17,
                                   udp(53, 32768 + r.below(28000),
                                       b"\xbe\xef\x81\x80" + b"A" * 300)))]
    if name == "slow_scan":
        # One source walks the ports below 1025, two probes a second, for
        # six minutes: nothing in a window of a second looks like much.
        d = 420
        src = ip4("203.0.113.99")
        ports = list(range(1, 1025))
        state = {"i": 0}

        def probe(r, t):
            p = ports[state["i"] % len(ports)]
            state["i"] += 1
            return ipv4(src, 6, tcp(51000, p, TCP_SYN, seq=r.below(1 << 30)))
        return d, benign_flows(rng, d, scale=0.2) + [
            Flow("a", 2, 20, d, probe, jitter=False)]
    if name == "distributed_scan":
        # 40 sources share the port space, each probing a slice of it
        # slowly: no one source reaches the detector's fan-out threshold.
        d = 240
        srcs = pool(rng, ((100, 100), 16), 40)
        state = {"i": 0}

        def probe(r, t):
            i = state["i"]
            state["i"] += 1
            src = srcs[i % len(srcs)]
            port = 1 + (i * 7) % 4096
            return ipv4(src, 6, tcp(44000 + i % 7, port, TCP_SYN,
                                    seq=r.below(1 << 30)))
        return d, benign_flows(rng, d, scale=0.2) + [
            Flow("a", 6, 15, d, probe, jitter=False)]
    if name == "rotating_flood":
        # Three sources that switch protocol every 5 s: ICMP, SYN, UDP.
        d = 28
        srcs = [ip4("198.51.100.31"), ip4("198.51.100.32"),
                ip4("198.51.100.33")]

        def rotating(r, t):
            src = r.pick(srcs)
            phase = int((t - 4) // 5) % 3
            if phase == 0:
                return ipv4(src, 1, icmp_echo(0x5151, r.below(65536)))
            if phase == 1:
                return ipv4(src, 6, tcp(1024 + r.below(60000), 443, TCP_SYN))
            return ipv4(src, 17, udp(1024 + r.below(60000), 5060,
                                     b"\x00" * 64))
        return d, benign_flows(rng, d) + [Flow("a", 1200, 4, d, rotating)]
    if name == "mixed":
        # A SYN flood from many sources, a ping flood from one and a UDP
        # flood over IPv6, at the same time.
        d = 24
        srcs = pool(rng, ((100, 80), 12), 800)
        ping_src = ip4("198.51.100.77")
        v6_src = bytes.fromhex("20010db8dead00000000000000000066")
        return d, benign_flows(rng, d) + [
            Flow("a", 2500, 4, d,
                 lambda r, t: ipv4(r.pick(srcs), 6,
                                   tcp(1024 + r.below(60000), 443, TCP_SYN))),
            Flow("a", 600, 6, d,
                 lambda r, t: ipv4(ping_src, 1,
                                   icmp_echo(0x7777, r.below(65536)))),
            Flow("a", 1200, 8, d,
                 lambda r, t: ipv6(v6_src, 17,
                                   udp(2000 + r.below(100), 27015,
                                       b"\x11" * 100)))]
    if name == "benign_busy":
        # Six times the ordinary day and nothing else.
        d = 24
        return d, benign_flows(rng, d, scale=6.0)
    raise SystemExit("unknown scenario: " + name)


def generate(name, seed, out_dir):
    rng = Rng(seed)
    duration, flows = build(name, rng)
    events = []
    for k, flow in enumerate(flows):
        flow_rng = Rng(seed * 1000 + k + 1)
        for t in times(flow_rng, flow):
            events.append((t, k))
    events.sort()
    frame_rngs = [Rng(seed * 7919 + k + 1) for k in range(len(flows))]
    pcap = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    labels = ["# %s.pcap, seed %d: one line per frame, a = attack, b = benign"
              % (name, seed)]
    for t, k in events:
        frame = flows[k].make(frame_rngs[k], t)
        if len(frame) < 60:
            frame += b"\0" * (60 - len(frame))
        us = int(round(t * 1e6))
        pcap += struct.pack("<IIII", START_S + us // 1000000, us % 1000000,
                            len(frame), len(frame))
        pcap += frame
        labels.append(flows[k].label)
    paths = {}
    for ext, data in (("pcap", bytes(pcap)),
                      ("labels", ("\n".join(labels) + "\n").encode())):
        p = os.path.join(out_dir, name + "." + ext)
        with open(p + ".tmp", "wb") as f:
            f.write(data)
        os.replace(p + ".tmp", p)
        paths[ext] = hashlib.sha256(data).hexdigest()
    return paths, len(events)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, help="instead of each scenario's own")
    ap.add_argument("--only", action="append", help="a scenario (repeatable)")
    ap.add_argument("--check", action="store_true",
                    help="fail unless the files match the recorded hashes")
    ap.add_argument("--record", action="store_true",
                    help="write the hashes into sha256.json")
    args = ap.parse_args()
    with open(MANIFEST) as f:
        manifest = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    recorded = {}
    if os.path.exists(HASHES):
        with open(HASHES) as f:
            recorded = json.load(f)
    bad = 0
    for sc in manifest["scenarios"]:
        if args.only and sc["name"] not in args.only:
            continue
        seed = args.seed if args.seed is not None else sc["seed"]
        hashes, n = generate(sc["name"], seed, args.out)
        print("%-24s %7d frames  seed %d" % (sc["name"], n, seed))
        if args.record and seed == sc["seed"]:
            recorded[sc["name"]] = hashes
        elif args.check and seed == sc["seed"]:
            if recorded.get(sc["name"]) != hashes:
                print("  differs from the recorded hashes (sha256.json)",
                      file=sys.stderr)
                bad += 1
    if args.record:
        with open(HASHES, "w") as f:
            json.dump(recorded, f, indent=2, sort_keys=True)
            f.write("\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
