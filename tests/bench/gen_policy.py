#!/usr/bin/env python3
"""Writes a large, valid PSL policy for benchmarks (stdout).

    gen_policy.py --rules N --shape exact|prefix|port|mixed|rate [--seed S]

Shapes (each rule is `rule rK: COND => ACTION`):
  exact   ip.src == ADDR, distinct addresses (9 in 10 IPv4, 1 in 10 IPv6),
          all drop: a blocklist of hosts.
  prefix  ip.src in PREFIX or ip.dst in PREFIX, distinct prefixes of mixed
          lengths (/8../32, /32../128), pass or drop: nested prefixes make
          some rules shadowed, as in real route-derived lists.
  port    tcp.dport / udp.dport / l4.dport: distinct (protocol, port)
          pairs, some ranges and small sets, pass or drop.
  mixed   conjunctions of an ip.src/ip.dst prefix, a tcp/udp port and a
          protocol, in varying combinations (some with icmp types or tcp
          flags), pass or drop.
  rate    rate limits: a prefix or a port with `rate(KEY...) > R/s`, R and
          the keys from small sets (as a real policy shares a few limits).

Every policy also has `const mgmt`, `protect ip.src in mgmt`, a first rule
passing mgmt (so the protect check has work but no finding) and a default.
The output depends only on the arguments (seeded PRNG), so benchmark
numbers are comparable across runs. --rules counts the generated rules (the
mgmt rule comes on top).
"""

import argparse
import ipaddress
import random
import sys

MGMT4 = ipaddress.ip_network("192.0.2.0/24")
MGMT6 = ipaddress.ip_network("2001:db8:ffff::/48")


def rand_v4(rng):
    while True:
        a = rng.getrandbits(32)
        # Skip mgmt, 0/8, loopback, multicast and above: boring but valid.
        first = a >> 24
        if first in (0, 127) or first >= 224:
            continue
        addr = ipaddress.IPv4Address(a)
        if addr in MGMT4:
            continue
        return addr


def rand_v6(rng):
    # Inside 2001:db8::/32 but outside mgmt.
    while True:
        a = (0x20010DB8 << 96) | rng.getrandbits(96)
        addr = ipaddress.IPv6Address(a)
        if addr not in MGMT6:
            return addr


def prefix_of(addr, length):
    return ipaddress.ip_network(f"{addr}/{length}", strict=False)


def rand_prefix(rng, v6=None):
    if v6 is None:
        v6 = rng.random() < 0.1
    if v6:
        length = rng.choice([32, 40, 48, 48, 56, 64, 64, 64, 96, 128])
        return prefix_of(rand_v6(rng), length)
    length = rng.choice([8, 12, 16, 16, 20, 22, 24, 24, 24, 24, 26, 28, 30, 32])
    return prefix_of(rand_v4(rng), length)


def action(rng, drop_share=0.6):
    return "drop" if rng.random() < drop_share else "pass"


class Distinct:
    """Draws values from a generator until one is new."""

    def __init__(self, rng, gen):
        self.rng, self.gen, self.seen = rng, gen, set()

    def __call__(self):
        for _ in range(1000):
            v = self.gen(self.rng)
            if v not in self.seen:
                self.seen.add(v)
                return v
        raise SystemExit("gen_policy.py: ran out of distinct values")


def shape_exact(rng, n):
    addr = Distinct(rng, lambda r: rand_v6(r) if r.random() < 0.1 else rand_v4(r))
    for _ in range(n):
        yield f"ip.src == {addr()}", "drop"


def shape_prefix(rng, n):
    net = Distinct(rng, lambda r: rand_prefix(r))
    for _ in range(n):
        field = "ip.src" if rng.random() < 0.8 else "ip.dst"
        yield f"{field} in {net()}", action(rng)


def shape_port(rng, n):
    if n > 2 * 65535:
        raise SystemExit("gen_policy.py: the port shape has at most 131070 rules")
    pairs = [(p, port) for p in ("tcp", "udp") for port in range(1, 65536)]
    rng.shuffle(pairs)
    for i in range(n):
        proto, port = pairs[i]
        x = rng.random()
        if x < 0.80:
            cond = f"{proto}.dport == {port}"
        elif x < 0.90:
            hi = min(65535, port + rng.choice([1, 3, 7, 15, 99]))
            cond = f"{proto}.dport in {port}..{hi}"
        elif x < 0.95:
            others = sorted({port, rng.randrange(1, 65536), rng.randrange(1, 65536)})
            cond = f"{proto}.dport in {{ {', '.join(map(str, others))} }}"
        else:
            cond = f"l4.dport == {port}"
        yield cond, action(rng)


def shape_mixed(rng, n):
    net = Distinct(rng, lambda r: rand_prefix(r))
    ports = [22, 25, 53, 80, 123, 443, 3306, 5432, 6379, 8080, 8443]
    for _ in range(n):
        p = net()
        field = "ip.src" if rng.random() < 0.7 else "ip.dst"
        x = rng.random()
        if x < 0.30:
            cond = f"{field} in {p} and tcp.dport == {rng.choice(ports)}"
        elif x < 0.45:
            cond = f"{field} in {p} and udp.dport in {{ {rng.choice(ports)}, {rng.randrange(1024, 65536)} }}"
        elif x < 0.60:
            proto = rng.choice(["tcp", "udp", "icmp", "gre", "esp"])
            if proto == "icmp" and p.version == 6:
                proto = "icmpv6"
            cond = f"ip.proto == {proto} and {field} in {p}"
        elif x < 0.70:
            cond = f"{field} in {p} and tcp.dport == {rng.randrange(1, 65536)} and tcp.syn and not tcp.ack"
        elif x < 0.78:
            icmp = "icmp6.type" if p.version == 6 else "icmp.type"
            cond = f"{field} in {p} and {icmp} == echo_request"
        elif x < 0.88:
            lo = rng.randrange(1024, 60000)
            cond = f"{field} in {p} and l4.dport in {lo}..{lo + rng.randrange(1, 500)}"
        else:
            cond = f"{field} in {p}"
        yield cond, action(rng)


def shape_rate(rng, n):
    net = Distinct(rng, lambda r: rand_prefix(r))
    rates = ["10/s", "100/s", "1k/s", "10k/s", "10Mbit/s"]
    keys = ["ip.src", "ip.src", "ip.dst", "ip.src, tcp.dport"]
    for _ in range(n):
        p = net()
        key = rng.choice(keys)
        rate = rng.choice(rates)
        burst = f", burst {rng.choice([10, 100])}" if rng.random() < 0.2 else ""
        if "tcp" in key:
            cond = f"ip.src in {p} and tcp.dport == {rng.choice([22, 80, 443])} and rate({key}{burst}) > {rate}"
        elif rng.random() < 0.3:
            cond = f"ip.dst in {p} and udp.dport == 53 and rate({key}{burst}) > {rate}"
        else:
            cond = f"ip.src in {p} and rate({key}{burst}) > {rate}"
        yield cond, "drop"


SHAPES = {
    "exact": (shape_exact, "pass"),
    "prefix": (shape_prefix, "pass"),
    "port": (shape_port, "drop"),
    "mixed": (shape_mixed, "pass"),
    "rate": (shape_rate, "pass"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", type=int, required=True)
    ap.add_argument("--shape", choices=sorted(SHAPES), required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.rules < 0:
        ap.error("--rules must be >= 0")

    rng = random.Random(f"{args.shape}:{args.seed}")
    gen, default = SHAPES[args.shape]
    out = sys.stdout
    w = out.write
    w(f"# generated by tests/bench/gen_policy.py --rules {args.rules} "
      f"--shape {args.shape} --seed {args.seed}\n")
    w(f"policy bench_{args.shape} {{\n")
    w(f"  const mgmt = {{ {MGMT4}, {MGMT6} }}\n")
    w("  protect ip.src in mgmt\n")
    w("  rule allow_mgmt: ip.src in mgmt => pass\n")
    for i, (cond, act) in enumerate(gen(rng, args.rules)):
        w(f"  rule r{i}: {cond} => {act}\n")
    w(f"  default {default}\n")
    w("}\n")


if __name__ == "__main__":
    main()
