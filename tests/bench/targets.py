#!/usr/bin/env python3
"""One table of every target of issue #15, met or not, from one bench run.

    targets.py --packet build/bench/packet_bench.json \\
               --pipeline build/bench/pipeline_bench.json \\
               --check build/bench/check_bench.json \\
               --psc-check build/bench/psc_check.json > build/bench/targets.md

scripts/bench runs it on the JSON it has just written. Every input is
optional: a target whose measurement is missing from the run is reported
as "not measured", never guessed. One row per target and shape:

- ns/packet against the peers: PSL's time over the faster peer's
  (xdp-filter, one-if-per-rule C) on the same packet, the worst case of
  every size where a peer ran; target <= 1.0x (packet_bench).
- 100k rules against 1 rule: PSL's ns/packet at 100,000 rules over its
  ns/packet at 1 rule, hit and miss; target <= 1.5x (packet_bench).
- text -> attached, 100 and 100,000 rules: `pipeline/SHAPE/N` of
  pipeline_bench (check, lower, generate, compile, load, attach; the
  median of its repetitions, or the mean of its iterations); targets
  < 50 ms and < 1 s. A run without BPF (no root) does not attach: not
  measured.
- The same pipeline with the policy's object already in the object cache
  (`pipeline_cached/SHAPE/N`: no Clang) is printed below the table, for
  reference: it is not one of the targets and not counted.
- psc check, 100,000 rules: the real binary's wall time (psc_check.json,
  /usr/bin/time), with check_bench's in-process `check/SHAPE/100000` for
  reference; target < 1 s.

Writes markdown to stdout; --json PATH also writes the rows as JSON.
"""

import argparse
import json
import sys

SHAPES = ["exact", "prefix", "port", "mixed", "rate"]
PACKETS = ["hit", "miss"]
PEERS = ["xdp-filter", "naive-c"]
PEER_NAMES = {"xdp-filter": "xdp-filter", "naive-c": "one-if C"}


def load(path):
    if not path:
        return []
    with open(path) as f:
        return json.load(f).get("benchmarks", [])


def base_name(b):
    """'pipeline/exact/100/manual_time_median' -> ('pipeline', 'exact', 100)."""
    name = b.get("run_name") or b["name"]
    parts = [p for p in name.split("/")
             if ":" not in p and not p.startswith(("manual_time", "real_time",
                                                   "process_time"))]
    return parts


def to_ms(b):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
    return b["real_time"] * scale


def timings(benchmarks, prefix):
    """{(shape, rules): {"ms": ..., "label": ...}} for PREFIX/SHAPE/RULES:
    the median aggregate when the benchmark has repetitions, else the
    iteration row (Google Benchmark's mean over its iterations)."""
    out = {}
    for b in benchmarks:
        parts = base_name(b)
        if len(parts) < 3 or parts[0] != prefix or b.get("error_occurred"):
            continue
        key = (parts[1], int(parts[2]))
        run_type = b.get("run_type", "iteration")
        if run_type == "aggregate" and b.get("aggregate_name") != "median":
            continue
        have = out.get(key)
        if have and have["aggregate"] and run_type != "aggregate":
            continue
        out[key] = {"ms": to_ms(b), "label": b.get("label", ""),
                    "aggregate": run_type == "aggregate"}
    return out


def packet_times(benchmarks):
    """{(system, shape, rules, packet): ns_per_packet}."""
    out = {}
    for b in benchmarks:
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        parts = base_name(b)
        if len(parts) != 4:
            continue
        system, shape, rules, packet = parts
        out[(system, shape, int(rules), packet)] = b["ns_per_packet"]
    return out


def verdict(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "**not met**"


def peer_rows(ns):
    rows = []
    for shape in SHAPES:
        cases = []  # (ratio, where)
        for (system, s, n, packet), psl in sorted(ns.items()):
            if system != "psl" or s != shape:
                continue
            peers = [(ns[(p, s, n, packet)], p) for p in PEERS if (p, s, n, packet) in ns]
            if not peers:
                continue
            best, who = min(peers)
            cases.append((psl / best, f"{n}/{packet} vs {PEER_NAMES[who]}"))
        if not cases:
            measured = "no peer runs this shape" if any(
                k[0] == "psl" and k[1] == shape for k in ns) else "—"
            rows.append(("ns/packet ≤ the faster peer's", shape, measured, "≤ 1.0x",
                         None))
            continue
        worst = max(cases)
        within = sum(r <= 1.0 for r, _ in cases)
        rows.append(("ns/packet ≤ the faster peer's", shape,
                     f"worst {worst[0]:.2f}x ({worst[1]}); {within} of {len(cases)} "
                     "cases ≤ 1.0x", "≤ 1.0x", worst[0] <= 1.0))
    return rows


def scale_rows(ns):
    rows = []
    for shape in SHAPES:
        ratios = []
        for packet in PACKETS:
            one = ns.get(("psl", shape, 1, packet))
            big = ns.get(("psl", shape, 100000, packet))
            if one and big:
                ratios.append((big / one, packet, big, one))
        if not ratios:
            rows.append(("ns/packet, 100k rules / 1 rule", shape, "—", "≤ 1.5x", None))
            continue
        text = ", ".join(f"{p} {r:.2f}x ({b:.1f} / {o:.1f} ns)" for r, p, b, o in ratios)
        ok = all(r <= 1.5 for r, *_ in ratios) if len(ratios) == len(PACKETS) else None
        rows.append(("ns/packet, 100k rules / 1 rule", shape, text, "≤ 1.5x",
                     False if any(r > 1.5 for r, *_ in ratios) else ok))
    return rows


def pipeline_rows(pipe, rules, limit_ms, target_text):
    rows = []
    title = f"text → attached, {rules:,} rules"
    for shape in SHAPES:
        t = pipe.get((shape, rules))
        if t is None:
            rows.append((title, shape, "—", target_text, None))
        elif "no BPF" in t["label"]:
            rows.append((title, shape,
                         f"{t['ms']:.1f} ms without load and attach (no BPF: not root?)",
                         target_text, None))
        else:
            ms = t["ms"]
            text = f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"
            rows.append((title, shape, text, target_text, ms < limit_ms))
    return rows


def check_rows(psc, check):
    rows = []
    title = "psc check, 100,000 rules"
    for shape in SHAPES:
        e = psc.get(shape)
        inproc = check.get((shape, 100000))
        extra = f" (in process {inproc['ms']:.0f} ms)" if inproc else ""
        if e is None or e.get("exit", 0) not in (0, 1):
            if inproc:
                rows.append((title, shape, f"psc not timed; in process "
                             f"{inproc['ms']:.0f} ms", "< 1 s", inproc["ms"] < 1000))
            else:
                rows.append((title, shape, "—", "< 1 s", None))
            continue
        rows.append((title, shape,
                     f"{e['wall_s']:.2f} s, {e['max_rss_mib']} MiB{extra}", "< 1 s",
                     e["wall_s"] < 1.0))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packet", help="packet_bench JSON")
    ap.add_argument("--pipeline", help="pipeline_bench JSON")
    ap.add_argument("--check", help="check_bench JSON")
    ap.add_argument("--psc-check", help="scripts/bench's psc_check.json")
    ap.add_argument("--json", help="also write the rows here as JSON")
    args = ap.parse_args()

    ns = packet_times(load(args.packet))
    pipe = timings(load(args.pipeline), "pipeline")
    cached = timings(load(args.pipeline), "pipeline_cached")
    check = timings(load(args.check), "check")
    psc = {}
    if args.psc_check:
        with open(args.psc_check) as f:
            psc = {e["shape"]: e for e in json.load(f)}

    rows = (peer_rows(ns) + scale_rows(ns) +
            pipeline_rows(pipe, 100, 50, "< 50 ms") +
            pipeline_rows(pipe, 100000, 1000, "< 1 s") + check_rows(psc, check))
    print("| target | shape | measured | target | |")
    print("|---|---|---|---|---|")
    for title, shape, measured, target, ok in rows:
        print(f"| {title} | {shape} | {measured} | {target} | {verdict(ok)} |")
    met = sum(ok is True for *_, ok in rows)
    missed = sum(ok is False for *_, ok in rows)
    unmeasured = sum(ok is None for *_, ok in rows)
    print(f"\n{met} met, {missed} not met, {unmeasured} not measured "
          f"(of {len(rows)}).")
    if cached:
        print("\nFor reference, not targets: the same with the policy's object "
              "already in the object cache (no Clang):\n")
        print("| measure | shape | measured | would be |")
        print("|---|---|---|---|")
        for title, shape, measured, target, ok in (
                pipeline_rows(cached, 100, 50, "< 50 ms") +
                pipeline_rows(cached, 100000, 1000, "< 1 s")):
            if measured != "—":
                print(f"| {title}, object cached | {shape} | {measured} | "
                      f"{target}: {verdict(ok)} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"target": t, "shape": s, "measured": m, "goal": g,
                        "met": ok} for t, s, m, g, ok in rows], f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
