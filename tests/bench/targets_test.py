#!/usr/bin/env python3
"""targets.py on small hand-made benchmark JSON: each target's verdict,
the ratios it computes, and "not measured" where the run has no number."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def bench(name, **fields):
    b = {"name": name, "run_name": name.split("/iterations")[0],
         "run_type": "iteration", "time_unit": "ms", "real_time": 0.0}
    b.update(fields)
    return b


def packet(system, shape, rules, pkt, ns):
    return bench(f"{system}/{shape}/{rules}/{pkt}/iterations:5/manual_time",
                 ns_per_packet=ns, time_unit="ns")


class TargetsTest(unittest.TestCase):
    def run_targets(self, **inputs):
        with tempfile.TemporaryDirectory() as d:
            args = [sys.executable, os.path.join(HERE, "targets.py")]
            for key, content in inputs.items():
                path = os.path.join(d, key + ".json")
                with open(path, "w") as f:
                    json.dump(content, f)
                args += ["--" + key.replace("_", "-"), path]
            out_json = os.path.join(d, "rows.json")
            text = subprocess.run(args + ["--json", out_json], check=True,
                                  capture_output=True, text=True).stdout
            with open(out_json) as f:
                rows = json.load(f)
        return text, {(r["target"], r["shape"]): r for r in rows}

    def test_every_target_and_shape_has_a_row(self):
        text, rows = self.run_targets()
        self.assertEqual(len(rows), 25)
        self.assertTrue(all(r["met"] is None for r in rows.values()))
        self.assertIn("0 met, 0 not met, 25 not measured", text)

    def test_packet_targets(self):
        benchmarks = [
            packet("psl", "exact", 1, "hit", 40.0),
            packet("psl", "exact", 1, "miss", 40.0),
            packet("psl", "exact", 100000, "hit", 64.0),  # 1.6x: not met
            packet("psl", "exact", 100000, "miss", 41.0),
            packet("xdp-filter", "exact", 1, "hit", 60.0),
            packet("xdp-filter", "exact", 1, "miss", 50.0),
            packet("psl", "mixed", 100, "hit", 60.0),
            packet("naive-c", "mixed", 100, "hit", 40.0),  # PSL 1.5x the peer
            packet("xdp-filter", "mixed", 100, "hit", 90.0),
            packet("psl", "port", 1, "hit", 40.0),
            packet("psl", "port", 1, "miss", 40.0),
            packet("psl", "port", 100000, "hit", 44.0),
            packet("psl", "port", 100000, "miss", 40.0),
        ]
        _, rows = self.run_targets(packet={"benchmarks": benchmarks})
        peer = rows[("ns/packet ≤ the faster peer's", "exact")]
        self.assertTrue(peer["met"])
        self.assertIn("worst 0.80x (1/miss vs xdp-filter); 2 of 2", peer["measured"])
        mixed = rows[("ns/packet ≤ the faster peer's", "mixed")]
        self.assertFalse(mixed["met"])
        self.assertIn("1.50x (100/hit vs one-if C)", mixed["measured"])
        self.assertIsNone(rows[("ns/packet ≤ the faster peer's", "prefix")]["met"])
        scale = rows[("ns/packet, 100k rules / 1 rule", "exact")]
        self.assertFalse(scale["met"])
        self.assertIn("hit 1.60x", scale["measured"])
        self.assertTrue(rows[("ns/packet, 100k rules / 1 rule", "port")]["met"])

    def test_pipeline_and_check_targets(self):
        pipeline = [
            # 100 rules: repetitions, the median counts.
            bench("pipeline/exact/100/manual_time_mean", run_type="aggregate",
                  aggregate_name="mean", real_time=70.0),
            bench("pipeline/exact/100/manual_time_median", run_type="aggregate",
                  aggregate_name="median", real_time=45.0),
            bench("pipeline/port/100/manual_time_median", run_type="aggregate",
                  aggregate_name="median", real_time=55.0),
            bench("pipeline/prefix/100/manual_time_median", run_type="aggregate",
                  aggregate_name="median", real_time=30.0,
                  label="no BPF (not root): check, lower_gen and compile only"),
            bench("pipeline/exact/100000/iterations:3/manual_time", real_time=780.0),
            bench("pipeline/mixed/100000/iterations:3/manual_time", real_time=2500.0),
            bench("pipeline_replace/rate/100/manual_time_median",
                  run_type="aggregate", aggregate_name="median", real_time=1.0),
            bench("pipeline_cached/mixed/100/manual_time_median",
                  run_type="aggregate", aggregate_name="median", real_time=33.0),
        ]
        check = [bench("check/rate/100000/process_time/real_time", real_time=1500.0),
                 bench("check/port/100000/process_time/real_time", real_time=700.0)]
        psc = [{"shape": "exact", "rules": 100000, "wall_s": 0.62, "cpu_s": 0.9,
                "max_rss_mib": 230, "exit": 0},
               {"shape": "rate", "rules": 100000, "wall_s": 1.9, "cpu_s": 2.5,
                "max_rss_mib": 400, "exit": 0}]
        text, rows = self.run_targets(pipeline={"benchmarks": pipeline},
                                      check={"benchmarks": check}, psc_check=psc)
        # The cached run is shown for reference, never counted as a target.
        self.assertIsNone(rows[("text → attached, 100 rules", "mixed")]["met"])
        self.assertIn("| text → attached, 100 rules, object cached | mixed | "
                      "33.0 ms | < 50 ms: met |", text)
        self.assertEqual(len(rows), 25)
        small = "text → attached, 100 rules"
        self.assertTrue(rows[(small, "exact")]["met"])
        self.assertEqual(rows[(small, "exact")]["measured"], "45.0 ms")
        self.assertFalse(rows[(small, "port")]["met"])
        self.assertIsNone(rows[(small, "prefix")]["met"])  # not attached
        self.assertIsNone(rows[(small, "rate")]["met"])  # replace is not a first load
        big = "text → attached, 100,000 rules"
        self.assertTrue(rows[(big, "exact")]["met"])
        self.assertFalse(rows[(big, "mixed")]["met"])
        chk = "psc check, 100,000 rules"
        self.assertTrue(rows[(chk, "exact")]["met"])
        self.assertFalse(rows[(chk, "rate")]["met"])
        self.assertIn("1.90 s, 400 MiB (in process 1500 ms)", rows[(chk, "rate")]["measured"])
        self.assertTrue(rows[(chk, "port")]["met"])  # in process only
        self.assertIsNone(rows[(chk, "mixed")]["met"])


if __name__ == "__main__":
    unittest.main()
