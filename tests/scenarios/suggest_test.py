#!/usr/bin/env python3
"""psc suggest end to end: scenario captures (generated from their seeds)
through the embedded detector and through the LLM analyzer against the
scripted fake server, each case asserting the exit status, the outcome and
what would be put in force; and the usage errors.

    suggest_test.py PSC FAKE_LLM_SERVER WORKDIR

Root (the replay is BPF_PROG_TEST_RUN). Exit 0 when every case passes, 1
when one fails, 77 without BPF (1 with PSC_REQUIRE_BPF=1).
"""

import json
import os
import signal
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PSC, FAKE, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
SCEN = os.path.join(WORK, "scenarios")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def suggest(*args, env=None):
    p = subprocess.run([PSC, "suggest"] + list(args), capture_output=True,
                       text=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def suggest_json(*args, env=None):
    rc, out, err = suggest(*(list(args) + ["--format", "json"]), env=env)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, err


def answer(policy, windows=(), counters=(), analysis="scripted"):
    return {"content": json.dumps({
        "analysis": analysis, "policy": policy,
        "evidence": {"windows": list(windows), "counters": list(counters)}})}


ICMP_RULE = ("policy t {\n  rule llm_icmp: ip.src == 198.51.100.7 and "
             "icmp.type == echo_request => drop ttl 10m\n}")
ICMP_CITED = [{"window": 8, "name": "talkers.top[198.51.100.7].icmp_echo",
               "value": 1}]


def main():
    os.makedirs(WORK, exist_ok=True)
    subprocess.check_call([sys.executable, os.path.join(HERE, "generate.py"),
                           "--out", SCEN, "--only", "icmp_flood",
                           "--only", "benign_busy"],
                          stdout=subprocess.DEVNULL)
    icmp = os.path.join(SCEN, "icmp_flood.pcap")
    benign = os.path.join(SCEN, "benign_busy.pcap")

    # BPF first: without it, the environment status.
    rc, j, err = suggest_json("--pcap", icmp, "--until", "10s")
    if rc == 3:
        if os.environ.get("PSC_REQUIRE_BPF") == "1":
            print("no BPF, and PSC_REQUIRE_BPF=1: " + err, file=sys.stderr)
            return 1
        print("skipped: no BPF: " + err, file=sys.stderr)
        return 77

    # The embedded detector: the flooding source into the block set.
    check(rc == 0, "embedded icmp_flood: exit %d, %s" % (rc, err))
    check(j and j["outcome"] == "accepted", "embedded icmp_flood: outcome")
    check(j and j["capture"]["windows"] == 10, "embedded: 10 windows of 1 s")
    check(j and j["capture"]["frames_after"] > 0, "embedded: --until cuts")
    check(j and j["inserts"] == [{"set": "blocked", "ttl_ms": 600000,
                                  "values": ["198.51.100.7"]}],
          "embedded icmp_flood: the insert, got %s" % (j and j["inserts"]))
    check(j and all(p["verdict"]["accepted"] for p in j["proposals"]),
          "embedded icmp_flood: every proposal accepted")
    rc, out, err = suggest("--pcap", icmp, "--until", "10s")
    check(rc == 0 and "ACCEPTED" in out and "198.51.100.7" in out and
          "governor: accepted 1 value for set 'blocked'" in out,
          "embedded icmp_flood, text: %d\n%s%s" % (rc, out, err))
    rc, j, err = suggest_json("--pcap", benign)
    check(rc == 0 and j and j["outcome"] == "no_change" and
          not j["proposals"], "embedded benign_busy: no change (%d)" % rc)

    # The LLM analyzer against the scripted server, one model per case.
    scripts = {
        "good": [answer(ICMP_RULE, [8], ICMP_CITED)],
        "repaired": [answer(ICMP_RULE.replace(" ttl 10m", "")),
                     answer(ICMP_RULE, [8], ICMP_CITED)],
        "hostile": [answer("policy t {\n  rule all: ip.ttl >= 0 => drop "
                           "ttl 10m\n}")] * 3,
        "protocol": [answer("policy t {\n  rule pings: icmp.type == "
                            "echo_request => drop ttl 10m\n}")],
        "down": [{"status": 500}] * 4,
        "nothing": [answer("")],
    }
    path = os.path.join(WORK, "scripts.json")
    with open(path, "w") as f:
        json.dump(scripts, f)
    server = subprocess.Popen([FAKE, path], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        env = dict(os.environ)
        env.pop("PSC_LLM_API_KEY", None)

        def llm(model, *extra):
            return suggest_json("--pcap", icmp, "--until", "10s",
                                "--analyzer", "openai", "--llm-url", url,
                                "--llm-model", model, "--llm-attempts", "1",
                                *extra, env=env)

        rc, j, err = llm("good")
        check(rc == 0 and j and j["outcome"] == "accepted",
              "llm good: exit %d %s" % (rc, err))
        if j and j["rules"]:
            r = j["rules"][0]
            check(r["name"] == "llm_icmp" and r["mode"] == "shadow",
                  "llm good: the rule goes in as shadow: %s" % r)
            check(r["cited_pps"] and r["cited_pps"] > 500,
                  "llm good: the cited rate is the window's, not the "
                  "model's 1: %s" % r["cited_pps"])
        check(j and "rule llm_icmp" in j["composed"],
              "llm good: the composed policy has the rule")
        check(j and j["llm"]["rounds"][0]["diagnostics"] == "",
              "llm good: first answer checked")

        rc, j, err = llm("repaired")
        check(rc == 0 and j and j["outcome"] == "accepted" and
              len(j["llm"]["rounds"]) == 2 and
              "E0402" in j["llm"]["rounds"][0]["diagnostics"],
              "llm repaired: two rounds, the first with E0402 (%d)" % rc)

        # Drop everything: it drops the protected SSH too, the first
        # problem found (docs/llm.md); three answers, two repair rounds.
        rc, j, err = llm("hostile")
        check(rc == 1 and j and j["outcome"] == "refused" and
              j["llm"]["reason"] == "drops_protected" and
              len(j["llm"]["rounds"]) == 3 and not j["rules"],
              "llm hostile: refused after 2 repairs, nothing in force "
              "(%d %s)" % (rc, j and j["llm"]["reason"]))

        rc, j, err = llm("protocol")
        check(rc == 1 and j and j["outcome"] == "refused" and
              j["proposals"] and
              j["proposals"][0]["verdict"]["reason"] == "whole_protocol" and
              not j["rules"],
              "llm protocol: the governor refuses whole_protocol (%d)" % rc)

        rc, j, err = llm("down")
        check(rc == 1 and j and j["outcome"] == "failed" and
              j["llm"]["reason"] == "server_error" and not j["proposals"],
              "llm down: failed, and no fallback to the detector (%d)" % rc)

        rc, j, err = llm("nothing")
        check(rc == 0 and j and j["outcome"] == "no_change",
              "llm nothing: no change (%d)" % rc)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)

    # Usage errors: 2, before anything is replayed.
    rc, _, err = suggest("--pcap", icmp, "--analyzer", "openai")
    check(rc == 2 and "--llm-url" in err, "no --llm-url: %d %s" % (rc, err))
    rc, _, err = suggest("--pcap", icmp, "--llm-url", "http://127.0.0.1:1")
    check(rc == 2 and "openai or ollama" in err,
          "--llm-url with embedded: %d %s" % (rc, err))
    rc, _, err = suggest("--pcap", icmp, "--window", "0s")
    check(rc == 2, "--window 0s: %d %s" % (rc, err))
    rc, _, err = suggest("--pcap", icmp, "--analyzer", "gpt")
    check(rc == 2, "unknown analyzer: %d" % rc)
    key = os.path.join(WORK, "key")
    with open(key, "w") as f:
        f.write("sk-test-key-0123456789\n")
    os.chmod(key, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    rc, out, err = suggest("--pcap", icmp, "--analyzer", "openai",
                           "--llm-url", "http://127.0.0.1:1/v1",
                           "--llm-model", "m", "--llm-key-file", key)
    check(rc == 2 and "chmod" in err and "sk-test" not in err + out,
          "a key file of mode 0644: %d %s" % (rc, err))

    # Input errors: 1.
    rc, _, err = suggest("--pcap", os.path.join(WORK, "missing.pcap"))
    check(rc == 1 and "missing.pcap" in err, "missing capture: %d" % rc)
    bad = os.path.join(WORK, "bad.psl")
    with open(bad, "w") as f:
        f.write("policy p { rule r: ip.src == 300.1.1.1 => drop }\n")
    rc, _, err = suggest("--pcap", icmp, "--policy", bad)
    check(rc == 1 and "bad.psl" in err, "a policy that does not check: %d "
          "%s" % (rc, err))

    if failures:
        print("%d checks failed" % len(failures), file=sys.stderr)
        return 1
    print("psc suggest: every case passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
