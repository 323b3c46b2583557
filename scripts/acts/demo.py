"""The demo (scripts/demo runs it after the build): psd with the embedded
detector on a victim namespace, a legitimate TCP service and client, then
four attacks from an attacker namespace, each with its timeline as psd's
API tells it (detected -> proposal -> governor verdict -> in force ->
packets dropped), then the legitimate traffic's account.

  demo.py --psd PSD --psc PSC [--keep]

Exits 0 when every attack was blocked, the legitimate client lost less
than 1% of its requests and the protected one (the attacker's own SSH,
under the policy's protect) none; 1 otherwise. Everything it made is
taken down at the end, on Ctrl-C and on failure.
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab as L  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

DEMO_ATTACKS = [
    ("icmp_flood", "ICMP echo flood", "ping -f"),
    ("syn_flood_spoofed", "SYN flood from spoofed sources",
     "hping3 -S --flood --rand-source -p 80"),
    ("udp_reflection", "UDP reflection burst (source port 53)",
     "hping3 --udp --flood --rand-source -s 53 -k"),
    ("vertical_scan", "port scan", "nmap -sS -T5 -p 1-4000"),
]
ATTACK_SECONDS = 3.0


def bold(s):
    return "\033[1m%s\033[0m" % s if sys.stdout.isatty() else s


def timeline(lab, res):
    """The decisions recorded since the attack started, as lines."""
    since = res["start_unix_ms"]
    st, body = lab.api("GET", "/api/v1/decisions?origin=detector&since=%d" %
                       since)
    if st != 200:
        return ["  (the decisions could not be read: %s)" % body]
    lines = []

    def at(ms):
        return "+%5d ms" % (ms - since)

    shown = set()
    for r in body["decisions"]:
        pid = r.get("proposal_id", "")
        ev = r["event"]
        t = r["time_unix_ms"]
        if ev == "proposal":
            p = r["proposal"]
            windows = p.get("evidence", {}).get("windows", [])
            if windows:
                lines.append("  %s  detected   (the end of the window the "
                             "detector saw)" % at(windows[-1]["end_unix_ms"]))
            what = ("insert %s into set '%s'" %
                    (", ".join(p["insert"]["values"][:3]), p["insert"]["set"])
                    if p["kind"] == "set_insert" else
                    "rule " + ", ".join(x["name"] for x in p.get("rules", [])))
            lines.append("  %s  proposal   %s: %s" % (at(t), pid, what))
            lines.append("               %s" % p["analysis"][:150])
        elif ev == "verdict":
            v = r["verdict"]
            lines.append("  %s  verdict    %s%s" % (
                at(t), "accepted" if v["accepted"] else "REFUSED",
                ": " + (v.get("message") or "")))
        elif ev == "applied":
            how = ("set insert (a map update)" if "set_insert" in r else
                   "swap (program %s)" % r.get("swap", {}).get("prog_id", "?"))
            lines.append("  %s  in force   %s" % (at(t), how))
        else:
            lines.append("  %s  %-10s %s" % (at(t), ev, pid))
        shown.add(pid)
    if res["drop_unix_ms"] is not None:
        lines.append("  %s  dropped    first packet dropped by the block "
                     "(victim's XDP counters)" % at(res["drop_unix_ms"]))
    else:
        lines.append("  not blocked within the attack")
    return lines


def on_term(*_):
    raise KeyboardInterrupt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--psd", required=True)
    ap.add_argument("--psc", required=True)
    ap.add_argument("--keep", action="store_true",
                    help="leave everything running until Ctrl-C")
    args = ap.parse_args()

    # SIGTERM as Ctrl-C: the cleanup runs either way.
    signal.signal(signal.SIGTERM, on_term)
    lab = L.Lab(args.psd, args.psc, tag="demo")
    ok = True
    try:
        print(bold("== setting up"))
        lab.setup()
        with open(os.path.join(ROOT, "policies", "default.psl")) as f:
            policy = f.read()
        with open(os.path.join(lab.policy_dir, "policy.psl"), "w") as f:
            f.write(policy)
        print("victim   namespace %s, %s (psd, TCP service on %d)" %
              (lab.victim_ns, L.VICTIM, L.SERVICE_PORT))
        print("attacker namespace %s, %s (attacks), %s (legitimate client)" %
              (lab.attacker_ns, L.ATTACKER, L.CLIENT))
        lab.start_psd()
        print("psd runs on the victim with the embedded detector and "
              "policies/default.psl")
        lab.start_service()
        total = len(DEMO_ATTACKS) * (ATTACK_SECONDS + 2.5) + 2
        legit = lab.start_client(L.CLIENT, L.SERVICE_PORT, total)
        protected = lab.start_client(L.ATTACKER, L.PROTECTED_PORT, total)
        print("legitimate client: a TCP connection to port %d every 20 ms "
              "for the whole demo; the attacker's own SSH (port 22, under "
              "the policy's protect) the same" % L.SERVICE_PORT)
        time.sleep(1.0)
        results = []
        for name, title, tool in DEMO_ATTACKS:
            print()
            print(bold("== %s (%s)" % (title, tool)))
            p, res = L.measure_block(lab, name, timeout=ATTACK_SECONDS + 5)
            rest = ATTACK_SECONDS - (time.time() * 1000 -
                                     res["start_unix_ms"]) / 1000
            if rest > 0:
                time.sleep(rest)
            lab.stop(p)
            time.sleep(0.5)  # the last decisions are written
            for line in timeline(lab, res):
                print(line)
            results.append((title, res))
            if res["drop_unix_ms"] is None:
                ok = False
            time.sleep(1.0)
        print()
        print(bold("== legitimate traffic"))
        lg = lab.finish_client(legit)
        pr = lab.finish_client(protected)
        print("legitimate client: %d of %d requests answered (%.2f%%)" %
              (lg["ok"], lg["requests"], 100.0 * lg["ok"] / max(1, lg["requests"])))
        print("protected client (the attacker's SSH): %d of %d answered" %
              (pr["ok"], pr["requests"]))
        if lg["failed"] > lg["requests"] // 100 or pr["failed"]:
            ok = False
            print("errors: %s %s" % (lg["errors"], pr["errors"]))
        print()
        print(bold("== summary: first counted drop after the attack started"))
        for title, res in results:
            ms = res["from_start_ms"]
            print("  %-40s %s" % (title, "%.0f ms" % ms if ms is not None
                                  else "NOT BLOCKED"))
        print()
        print(bold("== in force now (psc status)"))
        print(lab.psc_status_text().rstrip())
        print()
        ns = "nsenter --net=/var/run/netns/" + lab.victim_ns
        print(bold("== psd's API") + " (inside the victim's namespace):")
        print("  %s curl -s http://127.0.0.1:%d/api/v1/decisions" %
              (ns, L.API_PORT))
        print("  %s curl -s http://127.0.0.1:%d/api/v1/rules" % (ns, L.API_PORT))
        print("  %s curl -s http://127.0.0.1:%d/metrics" % (ns, L.API_PORT))
        print("  %s curl -sN http://127.0.0.1:%d/api/v1/events" %
              (ns, L.API_PORT))
        print("  the web view (docs/web.md): http://127.0.0.1:%d/ in the "
              "victim's namespace (--keep keeps it up)" % L.API_PORT)
        if args.keep:
            print()
            print("--keep: everything stays up; Ctrl-C takes it down")
            while lab.psd.poll() is None:
                time.sleep(1)
            print("psd stopped (exit %s)" % lab.psd.returncode)
    except KeyboardInterrupt:
        print("\ninterrupted")
        ok = False
    except Exception as e:  # reported, then cleaned up
        print("\ndemo failed: %s" % e, file=sys.stderr)
        if lab.psd_log:
            print("psd's log:\n" + lab.log_text(), file=sys.stderr)
        ok = False
    finally:
        print(bold("== cleaning up") + " (namespaces, psd, pins, files)")
        lab.close()
    print("demo %s" % ("passed: every attack blocked, legitimate traffic "
                       "unharmed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
