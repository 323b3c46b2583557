"""psd acts, end to end: the real psd with the embedded detector on a victim
namespace, real attacks from an attacker namespace (ping -f, hping3, nmap),
a legitimate TCP client and a protected one running through each attack
(scripts/acts/lab.py builds all of it).

  acts_test.py --psd PSD --psc PSC [unittest arguments]

Root only. Without root or BPF the tests skip, and with PSC_REQUIRE_BPF=1
a skip is a failure. The time from an attack's start to its first counted
drop is printed, not asserted (speed is proven by scripts/bench-acts and
recorded in docs/performance.md); a test asserts that the attack is
blocked at all (within 10 s), that the legitimate client loses less than
1% of its requests, and that the protected one loses none.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "acts"))
import lab as L  # noqa: E402

PSD = PSC = None


def bpf_problem():
    if os.geteuid() != 0:
        return "needs root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "no kernel BTF"
    return None


def policy_with_extra_rule(port):
    """The default policy with one more rule: a different program."""
    with open(os.path.join(HERE, "..", "..", "policies",
                           "default.psl")) as f:
        text = f.read()
    return text.replace("  default pass", "  rule extra_%d: udp.dport == %d "
                        "=> drop\n\n  default pass" % (port, port), 1)


def skip_or_fail(test, why):
    if os.environ.get("PSC_REQUIRE_BPF") == "1":
        test.fail("PSC_REQUIRE_BPF=1 and " + why)
    test.skipTest(why)


class LabTest(unittest.TestCase):
    config_extra = ""
    count = 0

    def setUp(self):
        why = bpf_problem()
        if why:
            skip_or_fail(self, why)
        LabTest.count += 1
        self.lab = L.Lab(PSD, PSC, tag="acts%d" % LabTest.count,
                         config_extra=self.config_extra)
        try:
            self.lab.setup()
        except BaseException:
            self.lab.close()
            raise
        self.addCleanup(self.lab.close)

    def log_on_failure(self):
        return "\npsd's log:\n" + self.lab.log_text()

    def program(self):
        """The program in force, as the kernel's pins have it (the API's
        status shows the latest summary's, up to a window behind)."""
        return self.lab.psc_status()[0]["program_id"]

    def decisions(self, query=""):
        st, body = self.lab.api("GET", "/api/v1/decisions" + query)
        self.assertEqual(st, 200, body)
        return body["decisions"]

    def wait_for(self, what, fn, timeout=10.0):
        v = L.poll_until(fn, timeout)
        if not v:
            self.fail("timed out waiting for " + what + self.log_on_failure())
        return v


class Attacks(LabTest):
    """Each attack is blocked, the legitimate client is unharmed, and the
    protected one (the attacker's own SSH, port 22, under the default
    policy's protect) is never dropped."""

    def attack(self, name):
        lab = self.lab
        lab.start_psd()
        lab.start_service()
        seconds = 4.0
        legit = lab.start_client(L.CLIENT, L.SERVICE_PORT, seconds)
        protected = lab.start_client(L.ATTACKER, L.PROTECTED_PORT, seconds)
        time.sleep(0.5)
        p, res = L.measure_block(lab, name, timeout=10.0)
        print("\n%s: first drop %s ms after the tool started, %s ms after "
              "its first packet" % (name, res["from_start_ms"],
                                    res["from_first_packet_ms"]),
              file=sys.stderr)
        self.assertIsNotNone(res["from_start_ms"],
                             name + " was not blocked" + self.log_on_failure())
        time.sleep(1.0)  # blocked, and it goes on: a new drop within 3 s
        # (a flood drops all the time; a scanner that gets no answer waits
        # between probes, and a loaded machine starts the next nmap late)
        before = lab.counters().drops()
        L.poll_until(lambda: lab.counters().drops() > before, 3.0)
        self.assertGreater(lab.counters().drops(), before,
                           "the block stopped dropping (none in 3 s)" +
                           self.log_on_failure())
        lab.stop(p)
        ok = lab.finish_client(legit)
        prot = lab.finish_client(protected)
        self.assertGreater(ok["requests"], 50)
        self.assertLessEqual(ok["failed"], ok["requests"] // 100, ok)
        self.assertEqual(prot["failed"], 0, prot)
        # The decision trail: a detector proposal accepted and applied.
        d = self.decisions("?origin=detector")
        events = [r["event"] for r in d]
        self.assertIn("proposal", events)
        self.assertIn("applied", events)
        accepted = self.decisions("?verdict=accepted&origin=detector")
        self.assertTrue(accepted, d)
        return res

    def test_icmp_flood(self):
        self.attack("icmp_flood")

    def test_syn_flood_one_source(self):
        self.attack("syn_flood")

    def test_syn_flood_spoofed_sources(self):
        self.attack("syn_flood_spoofed")
        # Many sources: a rate limit toward the port, a generated rule
        # linked to its decision.
        st, rules = self.lab.api("GET", "/api/v1/rules?origin=detector")
        gen = rules["interfaces"][0]["rules"]
        self.assertTrue(gen, rules)
        self.assertTrue(gen[0]["proposal_id"])
        self.assertEqual(gen[0]["mode"], "enforced")
        self.assertIsNotNone(gen[0]["ttl_left_ms"])
        # psc status shows it next to the operator's rules.
        text = self.lab.psc_status_text()
        self.assertIn(gen[0]["name"], text)
        self.assertIn("[detector]", text)

    def test_udp_flood(self):
        self.attack("udp_flood")

    def test_udp_reflection(self):
        self.attack("udp_reflection")

    def test_vertical_scan(self):
        self.attack("vertical_scan")

    def test_horizontal_scan(self):
        self.attack("horizontal_scan")


class Lifecycle(LabTest):

    def flood_until_blocked(self):
        lab = self.lab
        p = lab.spawn(lab.attacker_ns,
                      ["hping3", "--icmp", "--flood", "-q", L.VICTIM])
        counters = lab.counters()
        self.wait_for("the flood's block", lambda: counters.drops() > 0)
        return p, counters

    def test_restart_mid_attack_keeps_blocking(self):
        lab = self.lab
        lab.start_psd()
        p, counters = self.flood_until_blocked()
        time.sleep(0.5)
        prog = self.program()
        passed_before = counters.read()["icmp"]
        samples = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append((time.monotonic(), counters.read()["icmp"]))
                time.sleep(0.01)

        t = threading.Thread(target=sample)
        t.start()
        try:
            time.sleep(0.3)
            self.assertEqual(lab.stop_psd(), 0)
            time.sleep(0.5)
            lab.start_psd()
            time.sleep(0.5)
        finally:
            stop.set()
            t.join()
        passed_after = counters.read()["icmp"]
        # Not one echo request of the flood got through while psd was down
        # or coming back: the passed count is the same, the drops grew in
        # every sample.
        self.assertEqual(passed_after[0] - passed_after[1],
                         passed_before[0] - passed_before[1])
        grew = sum(1 for a, b in zip(samples, samples[1:])
                   if b[1][1] > a[1][1])
        self.assertGreater(grew, len(samples) * 0.8, samples[:5])
        # Adopted: the same program, no swap.
        self.assertEqual(self.program(), prog)
        self.assertEqual(lab.attached_programs(), [prog])
        # The blocked source is still in the set (state kept).
        ps = lab.psc_status()
        blocked = [s for s in ps[0]["dynsets"] if s["name"] == "blocked"][0]
        self.assertEqual(blocked["entries"], 1)
        lab.stop(p)

    def test_kill_minus_9_mid_swap_leaves_one_program_and_restart_adopts(self):
        lab = self.lab
        lab.start_psd()
        self.assertEqual(lab.stop_psd(), 0)
        for n, step in enumerate(("loaded", "state-written", "switched")):
            with self.subTest(step=step):
                # The restart adopts what is in force (no swap); the POST
                # swaps, and psd kills itself at the step.
                lab.start_psd(env={"PSD_KILL_AT_STEP": step})
                old = self.program()
                text = policy_with_extra_rule(9000 + n)
                try:
                    lab.api("POST", "/api/v1/policy", body=text, timeout=30)
                except OSError:
                    pass  # psd died while answering
                lab.psd.wait(timeout=30)
                self.assertEqual(lab.psd.returncode, -signal.SIGKILL,
                                 self.log_on_failure())
                lab.psd = None
                # One program attached: the old one, or (killed after
                # the switch) the new one.
                progs = lab.attached_programs()
                self.assertEqual(len(progs), 1, progs)
                ps = lab.psc_status()
                self.assertEqual(ps[0]["program_id"], progs[0])
                if step != "switched":
                    self.assertEqual(progs[0], old)
                # The restart takes what is attached over and puts the
                # directory's policy in force: the POST never finished, so
                # it is not saved and its rule is gone.
                lab.start_psd()
                now = self.program()
                self.assertEqual(lab.attached_programs(), [now])
                names = [r["name"] for r in lab.psc_status()[0]["rules"]]
                self.assertIn("drop_blocked", names)
                self.assertFalse([n for n in names if n.startswith("extra_")],
                                 names)
                self.assertEqual(lab.stop_psd(), 0)

    def test_a_bad_operator_policy_is_refused_and_the_old_stays(self):
        lab = self.lab
        lab.start_psd()
        prog = self.program()
        bad = "policy broken {\n  rule r: tcp.dport == 99999 => drop\n}\n"
        # Through the API: 422 with the diagnostics, nothing changes.
        st, body = lab.api("POST", "/api/v1/policy", body=bad)
        self.assertEqual(st, 422, body)
        self.assertTrue(body["diagnostics"], body)
        self.assertIn("line", json.dumps(body["diagnostics"]))
        self.assertEqual(self.program(), prog)
        # Through SIGHUP: the file is refused, the program stays.
        with open(os.path.join(lab.policy_dir, "policy.psl"), "w") as f:
            f.write(bad)
        lab.psd.send_signal(signal.SIGHUP)
        self.wait_for("the refusal", lambda: self.decisions(
            "?event=operator_refused"))
        self.assertEqual(self.program(), prog)
        refused = self.decisions("?event=operator_refused")
        self.assertGreaterEqual(len(refused), 2, refused)
        # A good one goes in force and is recorded.
        good = policy_with_extra_rule(9)
        st, body = lab.api("POST", "/api/v1/policy", body=good)
        self.assertEqual(st, 200, body)
        self.assertNotEqual(self.program(), prog)
        loaded = self.decisions("?event=operator_loaded")
        self.assertGreaterEqual(len(loaded), 2)
        self.assertEqual(lab.stop_psd(), 0)


class RefusedProposal(LabTest):
    def setUp(self):
        self.feed = None
        super().setUp()
        self.feed = os.path.join(self.lab.dir, "proposals.jsonl")
        self.lab.config_extra = ('\n[analyzer]\nproposals_file = "%s"\n' %
                                 self.feed)

    def test_a_refused_proposal_changes_nothing_and_is_logged(self):
        lab = self.lab
        lab.start_psd()
        prog = self.program()
        before = lab.psc_status()
        proposal = {
            "id": "test-refused-1",
            "origin": "detector",
            "kind": "policy",
            "created_unix_ms": int(time.time() * 1000),
            "analysis": "a test: drops all of UDP",
            "evidence": {"cited": False, "counters": [], "windows": []},
            "policy_name": "detector_udp_all_1",
            "psl": "policy detector_udp_all_1 {\n  rule detector_udp_all_1: "
                   "ip.proto == udp => drop ttl 1m\n}\n",
            "rules": [{"name": "detector_udp_all_1", "action": "drop",
                       "shadow": False, "ttl_ms": 60000}],
        }
        fd = os.open(self.feed, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(fd, (json.dumps(proposal) + "\n").encode())
        os.close(fd)
        verdicts = self.wait_for("the verdict", lambda: self.decisions(
            "?proposal_id=test-refused-1&event=verdict"))
        v = verdicts[0]["verdict"]
        self.assertFalse(v["accepted"], v)
        self.assertTrue(v["reason"], v)
        refused = self.decisions("?verdict=refused")
        self.assertEqual([r["proposal_id"] for r in refused],
                         ["test-refused-1"])
        self.assertEqual(self.program(), prog)
        after = lab.psc_status()
        self.assertEqual([r["name"] for r in after[0]["rules"]],
                         [r["name"] for r in before[0]["rules"]])


class Api(LabTest):
    def test_mutating_calls_need_the_token(self):
        lab = self.lab
        lab.start_psd()
        good = policy_with_extra_rule(7)
        for token in (None, "wrong", lab.token + "x", lab.token[:-1]):
            st, body = lab.api("POST", "/api/v1/policy", body=good,
                               token=token if token else False)
            self.assertEqual(st, 401, (token, body))
            st, body = lab.api("DELETE", "/api/v1/rules/detector_x_1",
                               token=token if token else False)
            self.assertEqual(st, 401, (token, body))
        st, body = lab.api("DELETE", "/api/v1/rules/detector_x_1")
        self.assertEqual(st, 404, body)
        st, body = lab.api("DELETE", "/api/v1/rules/drop_blocked")
        self.assertEqual(st, 409, body)
        st, body = lab.api("GET", "/api/v1/decisions?since=yesterday")
        self.assertEqual(st, 400)
        self.assertIn("since", json.dumps(body))
        st, body = lab.api("GET", "/api/v1/decisions?verdict=maybe")
        self.assertEqual(st, 400)
        self.assertIn("verdict", json.dumps(body))

    def test_without_a_token_file_the_changes_are_forbidden(self):
        lab = self.lab
        lab.config_extra = '\n[api]\nlisten = "127.0.0.1:%d"\n' % L.API_PORT
        lab.token = None
        lab.start_psd()
        st, body = lab.api("POST", "/api/v1/policy", body="x",
                           token="anything")
        self.assertEqual(st, 403, body)
        self.assertIn("no token", json.dumps(body))

    def test_malformed_huge_and_flooding_calls_never_kill_psd(self):
        lab = self.lab
        lab.start_psd()
        prog = self.program()
        st, body = lab.api("POST", "/api/v1/policy", body=b"\xff\xfe\x00 {{{")
        self.assertIn(st, (400, 422), body)
        st, body = lab.api("POST", "/api/v1/policy", body=b"")
        self.assertEqual(st, 400, body)
        st, body = lab.api("POST", "/api/v1/policy",
                           body=b"#" * (2 << 20))
        self.assertEqual(st, 413, body)
        statuses = []

        def hammer():
            for _ in range(40):
                try:
                    statuses.append(lab.api("GET", "/api/v1/decisions?limit=5",
                                            token=False, timeout=5)[0])
                except OSError:
                    statuses.append("error")

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertIsNone(lab.psd.poll(), self.log_on_failure())
        self.assertGreater(statuses.count(200), len(statuses) // 2, statuses)
        self.assertEqual(self.program(), prog)
        self.assertEqual(lab.stop_psd(), 0)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--psd", required=True)
    ap.add_argument("--psc", required=True)
    args, rest = ap.parse_known_args()
    PSD, PSC = args.psd, args.psc
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
