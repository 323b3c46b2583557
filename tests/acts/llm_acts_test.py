"""psd with the LLM analyzer, end to end: the real psd with --analyzer
openai on a victim namespace, the scripted model server (tests/llm's
fake_llm_server) on the victim's loopback, and a real ICMP flood from the
attacker namespace (scripts/acts/lab.py builds the namespaces).

  llm_acts_test.py --psd PSD --psc PSC --fake-llm FAKE_LLM_SERVER [unittest args]

The script of the model: first an answer the checks refuse (a rule
without a ttl): nothing changes in force, the refusal is in the audit
log; then a rule against the flooder citing the newest window, which
the governor puts in shadow and enforces once the traffic it would drop
matches the evidence (governor.llm_shadow_period); then an answer the
server holds back for a minute, in flight when psd is stopped.

Root only. Without root or BPF the test skips, and with
PSC_REQUIRE_BPF=1 a skip is a failure. About 25 s.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "acts"))
import lab as L  # noqa: E402

PSD = PSC = FAKE_LLM = None
MODEL = "acts-model"
RULE = "llm_icmp_flood"


def answer(policy, seq=True):
    evidence = {"windows": []}
    if seq:
        # The fake server puts the newest window the request showed here.
        evidence = {"windows": ["NEWEST"], "counters": [
            {"window": "NEWEST",
             "name": "talkers.top[%s].icmp_echo" % L.ATTACKER,
             "value": 1}]}
    text = json.dumps({"analysis": "one source floods echo requests",
                       "policy": policy, "evidence": evidence})
    return text.replace('"NEWEST"', "{newest_seq}")


SCRIPT = {MODEL: [
    # Refused by the checks: no ttl (repair-rounds 0: no second chance).
    {"content": answer("policy llm_answer {\n  rule llm_no_ttl: ip.src == "
                       "%s => drop\n}" % L.ATTACKER, seq=False)},
    {"content": answer("policy llm_answer {\n  rule %s: ip.src == %s and "
                       "icmp.type == echo_request => drop ttl 10m\n}" %
                       (RULE, L.ATTACKER))},
    # Held back: in flight when psd stops.
    {"content": answer("policy llm_answer {\n}", seq=False),
     "delay_ms": 60000},
]}


def bpf_problem():
    if os.geteuid() != 0:
        return "needs root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "no kernel BTF"
    return None


class LlmAnalyzer(unittest.TestCase):
    def setUp(self):
        why = bpf_problem()
        if why:
            if os.environ.get("PSC_REQUIRE_BPF") == "1":
                self.fail("PSC_REQUIRE_BPF=1 and " + why)
            self.skipTest(why)
        self.fake = None
        self.lab = L.Lab(PSD, PSC, tag="llm")
        self.addCleanup(self.lab.close)
        self.lab.setup()
        self.addCleanup(self.stop_fake)
        script = os.path.join(self.lab.dir, "model.json")
        with open(script, "w") as f:
            json.dump(SCRIPT, f)
        # The model server on the victim's loopback, where psd runs.
        self.fake = subprocess.Popen(
            ["nsenter", "--net=/var/run/netns/" + self.lab.victim_ns,
             FAKE_LLM, script], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        url = self.fake.stdout.readline().strip()
        self.assertTrue(url.startswith("http://127.0.0.1:"), url)
        self.lab.config_extra = (
            '\n[analyzer]\nkind = "openai"\nembedded_with_llm = false\n'
            '\n[governor]\nllm_shadow_period = "3s"\n'
            '\n[llm]\nurl = "%s"\nmodel = "%s"\ninterval = "2s"\n'
            'window = "30s"\nrepair-rounds = 0\nattempts = 1\n'
            'calls-per-minute = 0\n' % (url, MODEL))

    def stop_fake(self):
        if self.fake and self.fake.poll() is None:
            self.fake.send_signal(signal.SIGTERM)
            try:
                self.fake.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.fake.kill()
                self.fake.wait()

    def log(self):
        return "\npsd's log:\n" + self.lab.log_text()

    def wait_for(self, what, fn, timeout=15.0):
        v = L.poll_until(fn, timeout, interval=0.1)
        if not v:
            self.fail("timed out waiting for " + what + self.log())
        return v

    def decisions(self, query):
        st, body = self.lab.api("GET", "/api/v1/decisions" + query)
        self.assertEqual(st, 200, body)
        return body["decisions"]

    def llm_rule(self):
        st, body = self.lab.api("GET", "/api/v1/rules?origin=llm")
        self.assertEqual(st, 200, body)
        for r in body["interfaces"][0]["rules"]:
            if r["name"] == RULE:
                return r
        return None

    def test_shadow_then_enforced_and_a_refusal_changes_nothing(self):
        lab = self.lab
        lab.start_psd()
        program = lab.psc_status()[0]["program_id"]
        st, status = lab.api("GET", "/api/v1/status")
        self.assertEqual(status["analyzer"]["name"], "openai")
        self.assertEqual(status["analyzer"]["state"], "ok")
        self.assertFalse(status["analyzer"]["embedded"])
        flood = lab.spawn(lab.attacker_ns,
                          ["ping", "-q", "-i", "0.002", L.VICTIM])

        # 1. The refused answer: recorded, nothing in force changed.
        refused = self.wait_for("the refused answer", lambda: self.decisions(
            "?event=llm_answer"))
        self.assertEqual(refused[0]["outcome"], "refused", refused)
        self.assertEqual(refused[0]["origin"], "llm")
        self.assertEqual(lab.psc_status()[0]["program_id"], program)
        self.assertFalse(self.decisions("?origin=llm&event=proposal"))

        # 2. The rule: in shadow first, then enforced on its evidence.
        # (its proposal id shows once psd re-read its generated rules, at
        # most a second later)
        shadow = self.wait_for(
            "the LLM's rule in shadow",
            lambda: (lambda r: r if r and r["proposal_id"] else None)(
                self.llm_rule()))
        self.assertEqual(shadow["mode"], "shadow", shadow)
        self.assertEqual(shadow["origin"], "llm")
        self.assertTrue(shadow["proposal_id"].startswith("llm-"), shadow)
        drops_before = lab.counters().read()["icmp"][1]
        enforced = self.wait_for(
            "the LLM's rule enforced",
            lambda: (lambda r: r if r and r["mode"] == "enforced" else None)(
                self.llm_rule()))
        self.assertEqual(enforced["proposal_id"], shadow["proposal_id"])
        pid = shadow["proposal_id"]
        events = [d["event"] for d in self.decisions("?proposal_id=" + pid)]
        for e in ("proposal", "verdict", "applied", "enforced"):
            self.assertIn(e, events, events)
        accepted = self.decisions("?proposal_id=%s&event=verdict" % pid)
        self.assertTrue(accepted[0]["verdict"]["accepted"], accepted)
        # The flood is now dropped at XDP.
        self.wait_for("drops of the flood", lambda: lab.counters().read()[
            "icmp"][1] > drops_before + 100)
        lab.stop(flood)

        st, status = lab.api("GET", "/api/v1/status")
        self.assertEqual(status["analyzer"]["state"], "ok", status)
        st, metrics = lab.api("GET", "/metrics")
        self.assertIn('packetscope_llm_analyses_total{outcome="refused",'
                      'reason=', metrics)
        self.assertIn('packetscope_llm_proposals_total{verdict="accepted",'
                      'reason="none"} 1', metrics)
        self.assertIn('packetscope_llm_fallback{interface="%s"} 0' % lab.vif,
                      metrics)

        # 3. Stopping with a question in flight (the server holds it back
        # for a minute): psd stops within a few seconds, cleanly.
        self.wait_for("the third question", lambda: self.asking())
        t0 = time.monotonic()
        self.assertEqual(lab.stop_psd(), 0, self.log())
        took = time.monotonic() - t0
        print("\npsd stopped %.2f s after SIGTERM with a question in flight"
              % took, file=sys.stderr)
        self.assertLess(took, 5.0, self.log())

    def asking(self):
        st, status = self.lab.api("GET", "/api/v1/status")
        return any(i.get("asking") for i in status["analyzer"]["interfaces"])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--psd", required=True)
    ap.add_argument("--psc", required=True)
    ap.add_argument("--fake-llm", required=True)
    args, rest = ap.parse_known_args()
    PSD, PSC, FAKE_LLM = args.psd, args.psc, args.fake_llm
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
