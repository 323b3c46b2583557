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

For the packet benchmarks (tests/bench/packet_bench.cc) two more outputs,
which leave the policy text unchanged:

  --sidecar FILE  JSON: a `hit` packet (built to match the rule in the
                  middle of the list; `rule` names its first match, which
                  may be an earlier rule) and a `miss` packet (matches no
                  rule: the default), each with the verdict the policy gives
                  it (null for a rate rule, which depends on the bucket);
                  and `xdp_filter`: the same policy as xdp-filter entries,
                  or why xdp-filter cannot express it.
  --naive-c FILE  the policy as one `if (...) return XDP_...;` per rule over
                  a straightforward parse (tests/bench/bpf/naive_parse.h):
                  what a naive generator would write. Not for rate rules.
"""

import argparse
import ipaddress
import json
import random
import re
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


# --- the rules as data: matching, hit/miss packets, peers -------------------
#
# The conditions above are parsed back (the policy text stays the single
# source) into atoms, each a predicate on a packet, a way to make a packet
# satisfy it, and the same test in C. Packets are dicts: family (4/6), src
# and dst (ipaddress objects), proto, dport (None without TCP/UDP), tcp_flags,
# icmp_type.

PROTOCOLS = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "icmpv6": 58}
PORT_PROTOCOLS = {"tcp": (6,), "udp": (17,), "l4": (6, 17, 132)}
TCP_SYN, TCP_ACK = 0x02, 0x10
ECHO_REQUEST = {4: 8, 6: 128}


class Atom:
    def __init__(self, match, apply, c_expr, ports=None):
        self.match, self.apply, self.c_expr = match, apply, c_expr
        # Port atoms: {(proto number, port)} they accept (xdp-filter's form).
        self.ports = ports


def c_prefix(field, net):
    """`field in net` over struct naive_pkt (host byte order words)."""
    name = field.split(".")[1]  # src / dst
    length = net.prefixlen
    value = int(net.network_address)
    if net.version == 4:
        mask = ((1 << length) - 1) << (32 - length) if length else 0
        return f"(p.family == 4 && (p.{name}4 & 0x{mask:08x}u) == 0x{value & mask:08x}u)"
    full = ((1 << length) - 1) << (128 - length) if length else 0
    parts = ["p.family == 6"]
    for half, shift in (("hi", 64), ("lo", 0)):
        mask = (full >> shift) & 0xFFFFFFFFFFFFFFFF
        if mask:
            v = (value >> shift) & 0xFFFFFFFFFFFFFFFF
            parts.append(f"(p.{name}6_{half} & 0x{mask:016x}ULL) == 0x{v & mask:016x}ULL")
    return "(" + " && ".join(parts) + ")"


def prefix_atom(field, net):
    key = field.split(".")[1]

    def match(pkt):
        return pkt["family"] == net.version and pkt[key] in net

    def apply(pkt):
        if pkt["family"] != net.version:
            pkt.update(base_packet(net.version))
        pkt[key] = net.network_address + net.num_addresses // 2

    return Atom(match, apply, c_prefix(field, net))


def port_atom(layer, ports):
    protos = PORT_PROTOCOLS[layer]
    first = min(ports)

    def match(pkt):
        return pkt["proto"] in protos and pkt["dport"] in ports

    def apply(pkt):
        if pkt["proto"] not in protos:
            pkt["proto"] = protos[0]
        pkt["dport"] = first

    proto_c = " || ".join(f"p.proto == {n}" for n in protos)
    if isinstance(ports, range):
        port_c = f"p.dport >= {ports.start} && p.dport <= {ports.stop - 1}"
    else:
        port_c = " || ".join(f"p.dport == {n}" for n in sorted(ports))
    return Atom(match, apply, f"(({proto_c}) && ({port_c}))",
                ports={(p, n) for p in protos for n in ports})


def proto_atom(number):
    def match(pkt):
        return pkt["proto"] == number

    def apply(pkt):
        pkt["proto"] = number
        if number in (6, 17) and pkt["dport"] is None:
            pkt["dport"] = 9

    return Atom(match, apply, f"(p.proto == {number})")


def tcp_flag_atom(flag, want_set):
    def match(pkt):
        return pkt["proto"] == 6 and bool(pkt["tcp_flags"] & flag) == want_set

    def apply(pkt):
        pkt["proto"] = 6
        pkt["tcp_flags"] = pkt["tcp_flags"] | flag if want_set else pkt["tcp_flags"] & ~flag

    test = f"(p.tcp_flags & 0x{flag:02x})" if want_set else f"!(p.tcp_flags & 0x{flag:02x})"
    return Atom(match, apply, f"(p.proto == 6 && {test})")


def echo_atom(family):
    proto = 1 if family == 4 else 58

    def match(pkt):
        return (pkt["family"] == family and pkt["proto"] == proto
                and pkt["icmp_type"] == ECHO_REQUEST[family])

    def apply(pkt):
        if pkt["family"] != family:
            pkt.update(base_packet(family))
        pkt.update(proto=proto, dport=None, icmp_type=ECHO_REQUEST[family])

    return Atom(match, apply,
                f"(p.family == {family} && p.proto == {proto} && p.icmp_type == {ECHO_REQUEST[family]})")


def rate_atom():
    # Over the rate after the first packets of a benchmark's repeat loop;
    # a single packet cannot tell, and C has no bucket.
    return Atom(lambda pkt: True, lambda pkt: None, None)


ATOM_PATTERNS = [
    (r"(ip\.src|ip\.dst) == (\S+)",
     lambda m: prefix_atom(m[1], ipaddress.ip_network(m[2]))),
    (r"(ip\.src|ip\.dst) in (\S+/\d+)",
     lambda m: prefix_atom(m[1], ipaddress.ip_network(m[2]))),
    (r"(tcp|udp|l4)\.dport == (\d+)", lambda m: port_atom(m[1], {int(m[2])})),
    (r"(tcp|udp|l4)\.dport in (\d+)\.\.(\d+)",
     lambda m: port_atom(m[1], range(int(m[2]), int(m[3]) + 1))),
    (r"(tcp|udp|l4)\.dport in \{ (.*) \}",
     lambda m: port_atom(m[1], {int(x) for x in m[2].split(", ")})),
    (r"ip\.proto == (\w+)", lambda m: proto_atom(PROTOCOLS[m[1]])),
    (r"tcp\.syn", lambda m: tcp_flag_atom(TCP_SYN, True)),
    (r"not tcp\.ack", lambda m: tcp_flag_atom(TCP_ACK, False)),
    (r"icmp\.type == echo_request", lambda m: echo_atom(4)),
    (r"icmp6\.type == echo_request", lambda m: echo_atom(6)),
    (r"rate\(.*\) > \S+", lambda m: rate_atom()),
]


def parse_atom(text):
    for pattern, make in ATOM_PATTERNS:
        m = re.fullmatch(pattern, text)
        if m:
            return make(m)
    raise SystemExit(f"gen_policy.py: no atom pattern for `{text}`")


class Rule:
    def __init__(self, name, cond, action):
        self.name, self.cond, self.action = name, cond, action
        self.atoms = [parse_atom(a) for a in cond.split(" and ")]
        self.has_rate = cond.find("rate(") >= 0

    def match(self, pkt):
        return all(a.match(pkt) for a in self.atoms)


def base_packet(family):
    # Documentation ranges outside every generated rule's reach where
    # possible (2001:db9::/32 is outside 2001:db8::/32); UDP to port 9.
    if family == 4:
        src, dst = "203.0.113.7", "198.51.100.7"
    else:
        src, dst = "2001:db9::7", "2001:db9::8"
    return {"family": family, "src": ipaddress.ip_address(src),
            "dst": ipaddress.ip_address(dst), "proto": 17, "dport": 9,
            "tcp_flags": TCP_ACK, "icmp_type": 0}


def first_match(rules, pkt):
    for rule in rules:
        if rule.match(pkt):
            return rule
    return None


def packet_json(pkt, rules, default):
    rule = first_match(rules, pkt)
    verdict = default if rule is None else (None if rule.has_rate else rule.action)
    out = {k: (str(v) if k in ("src", "dst") else v) for k, v in pkt.items()}
    out.update(rule=None if rule is None else rule.name, verdict=verdict)
    return out


def hit_packet(generated):
    """A packet built to match the middle generated rule."""
    target = generated[len(generated) // 2]
    pkt = base_packet(4)
    for atom in target.atoms:
        atom.apply(pkt)
    assert target.match(pkt), target.cond
    return pkt


def miss_packet(rules, rng):
    """A packet no rule matches: random IPv4, then IPv6 inside 2001:db8::/32,
    then outside it (large prefix lists cover every IPv4 address)."""
    def random_packet(family, gen):
        pkt = base_packet(family)
        pkt.update(src=gen(rng), dst=gen(rng), proto=rng.choice([6, 17]),
                   dport=rng.randrange(1024, 65536))
        return pkt

    for family, gen in ((4, rand_v4), (6, rand_v6)):
        for _ in range(200):
            pkt = random_packet(family, gen)
            if first_match(rules, pkt) is None:
                return pkt
    pkt = base_packet(6)
    if first_match(rules, pkt) is None:
        return pkt
    raise SystemExit("gen_policy.py: found no packet that misses every rule")


XDP_FILTER_MAP_ENTRIES = 10000  # its filter_ipv4 / filter_ipv6 hash maps


def xdp_filter_config(shape, generated, default):
    """The generated rules as xdp-filter entries, or {"unsupported": why}."""
    if shape == "exact":
        # A blocklist of source addresses: xdp-filter's allow mode (listed
        # addresses dropped, the rest passed), entries in src mode.
        v4 = [r.cond.split(" == ")[1] for r in generated if ":" not in r.cond]
        v6 = [r.cond.split(" == ")[1] for r in generated if ":" in r.cond]
        if max(len(v4), len(v6)) > XDP_FILTER_MAP_ENTRIES:
            return {"unsupported": f"xdp-filter's address maps hold {XDP_FILTER_MAP_ENTRIES} "
                                   f"entries per family; this policy has {len(v4)} IPv4 "
                                   f"and {len(v6)} IPv6 addresses"}
        return {"mode": "allow", "features": "ipv4,ipv6", "ipv4_src": v4, "ipv6_src": v6}
    if shape == "port":
        # First match decides each (protocol, port); the default drops, so
        # xdp-filter's deny mode lists the ports that pass. The mgmt rule
        # (a source prefix) has no xdp-filter form; no benchmark packet
        # comes from mgmt. l4.dport also covers SCTP, which xdp-filter
        # does not filter (the packets are TCP/UDP).
        assert default == "drop"
        verdict = {}
        for rule in generated:
            (atom,) = rule.atoms
            for key in atom.ports:
                verdict.setdefault(key, rule.action)
        ports = [{"proto": "tcp" if p == 6 else "udp", "port": port}
                 for (p, port), act in sorted(verdict.items())
                 if act == "pass" and p in (6, 17)]
        return {"mode": "deny", "features": "tcp,udp", "ports": ports}
    why = {
        "prefix": "xdp-filter matches whole addresses, not prefixes",
        "mixed": "xdp-filter has no conjunctions (address and port and protocol)",
        "rate": "xdp-filter has no rate limits",
    }
    return {"unsupported": why[shape]}


def naive_c(rules, default, header):
    """One `if (...) return XDP_...;` per rule, in order (first match)."""
    verdicts = {"pass": "XDP_PASS", "drop": "XDP_DROP"}
    lines = [header.replace("#", "//", 1),
             "// One if per rule over a straightforward parse: the naive baseline of",
             "// tests/bench/packet_bench.cc.",
             '#include "naive_parse.h"',
             "",
             'SEC("xdp")',
             "int naive_policy(struct xdp_md *ctx) {",
             "  struct naive_pkt p;",
             "  if (naive_parse(ctx, &p) != 0)",
             f"    return {verdicts[default]};"]
    for rule in rules:
        if rule.has_rate:
            raise SystemExit(f"gen_policy.py: --naive-c cannot express rate rules ({rule.name})")
        cond = " && ".join(a.c_expr for a in rule.atoms)
        lines.append(f"  if ({cond}) return {verdicts[rule.action]}; // {rule.name}")
    lines += [f"  return {verdicts[default]};", "}", "",
              'char _license[] SEC("license") = "GPL";', ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", type=int, required=True)
    ap.add_argument("--shape", choices=sorted(SHAPES), required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sidecar", metavar="FILE",
                    help="write hit/miss packets and the xdp-filter form (JSON)")
    ap.add_argument("--naive-c", metavar="FILE",
                    help="write the policy as one-if-per-rule BPF C")
    args = ap.parse_args()
    if args.rules < 0:
        ap.error("--rules must be >= 0")

    rng = random.Random(f"{args.shape}:{args.seed}")
    gen, default = SHAPES[args.shape]
    header = (f"# generated by tests/bench/gen_policy.py --rules {args.rules} "
              f"--shape {args.shape} --seed {args.seed}")
    rules_text = [("allow_mgmt", "ip.src in mgmt", "pass")]
    rules_text += [(f"r{i}", cond, act) for i, (cond, act) in enumerate(gen(rng, args.rules))]

    w = sys.stdout.write
    w(header + "\n")
    w(f"policy bench_{args.shape} {{\n")
    w(f"  const mgmt = {{ {MGMT4}, {MGMT6} }}\n")
    w("  protect ip.src in mgmt\n")
    for name, cond, act in rules_text:
        w(f"  rule {name}: {cond} => {act}\n")
    w(f"  default {default}\n")
    w("}\n")

    if not (args.sidecar or args.naive_c):
        return
    # `ip.src in mgmt` is the union of two prefixes: one rule per prefix.
    mgmt = [Rule("allow_mgmt", f"ip.src in {net}", "pass") for net in (MGMT4, MGMT6)]
    generated = [Rule(*r) for r in rules_text[1:]]
    rules = mgmt + generated
    if args.sidecar:
        packet_rng = random.Random(f"packets:{args.shape}:{args.seed}")
        hit = hit_packet(generated) if generated else None
        sidecar = {
            "shape": args.shape,
            "rules": args.rules,
            "default": default,
            "hit": None if hit is None else packet_json(hit, rules, default),
            "miss": packet_json(miss_packet(rules, packet_rng), rules, default),
            "xdp_filter": xdp_filter_config(args.shape, generated, default),
        }
        with open(args.sidecar, "w") as f:
            json.dump(sidecar, f, indent=1)
            f.write("\n")
    if args.naive_c:
        with open(args.naive_c, "w") as f:
            f.write(naive_c(rules, default, header))


if __name__ == "__main__":
    main()
