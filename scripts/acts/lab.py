"""The attack lab: an attacker and a victim network namespace, psd on the
victim with the embedded detector, a legitimate TCP service and client,
the attacks (real tools: ping, hping3, nmap) and what psd did about them.

Used by the attack tests (tests/acts/acts_test.py), scripts/bench-acts and
scripts/demo. Root only. Everything a Lab makes is named after the process
id (namespaces psc-test-<pid>-acts-*, pins /sys/fs/bpf/psc-test-<pid>-acts,
a temporary directory) and taken down by close(), also when a step failed.

Addresses (TEST-NET-2, 198.51.100.0/24, only inside the namespaces):
  victim    198.51.100.1    psd, the TCP service (port 8080), sshd's
                            stand-in (port 22: under the policy's protect),
                            198.51.100.101-250 for horizontal scans
  attacker  198.51.100.2    the attacks
  client    198.51.100.3    the legitimate client (in the attacker's
                            namespace, its own source address)
"""

import ctypes
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import http.client

VICTIM = "198.51.100.1"
ATTACKER = "198.51.100.2"
CLIENT = "198.51.100.3"
SERVICE_PORT = 8080
PROTECTED_PORT = 22
API_PORT = 9477
HERE = os.path.dirname(os.path.abspath(__file__))
TRAFFIC = os.path.join(HERE, "traffic.py")

# The attacks: the command run in the attacker's namespace (it runs until
# stopped), and the traffic class the victim's tracer counts it in.
ATTACKS = {
    "icmp_flood": (["ping", "-f", "-q", VICTIM], "icmp"),
    "syn_flood": (["hping3", "-S", "--flood", "-q", "-p", "80", VICTIM], "tcp"),
    "syn_flood_spoofed": (
        ["hping3", "-S", "--flood", "--rand-source", "-q", "-p", "80", VICTIM],
        "tcp",
    ),
    "udp_flood": (
        ["hping3", "--udp", "--flood", "-q", "-s", "40000", "-k", "-p",
         "33000", VICTIM],
        "udp",
    ),
    "udp_reflection": (
        ["hping3", "--udp", "--flood", "--rand-source", "-q", "-s", "53",
         "-k", "-p", "33000", VICTIM],
        "udp",
    ),
    # A scanner goes on scanning (nmap again and again), so that the block
    # has packets to drop.
    "vertical_scan": (
        ["sh", "-c", "while :; do nmap -Pn -n -sS -T5 --max-retries 0 "
         "-p 1-4000 %s >/dev/null; done" % VICTIM],
        "tcp",
    ),
    "horizontal_scan": (
        ["sh", "-c", "while :; do nmap -Pn -n -sS -T5 --max-retries 0 "
         "-p 80 198.51.100.101-250 >/dev/null; done"],
        "tcp",
    ),
}

# ------------------------------------------------------------ namespaces

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def in_netns(ns, fn):
    """Runs fn() on a thread of its own that entered the namespace (setns
    is per thread: the caller's namespace does not change)."""
    out = {}

    def body():
        fd = os.open("/var/run/netns/" + ns, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + ns)
        finally:
            os.close(fd)
        try:
            out["value"] = fn()
        except BaseException as e:  # handed to the caller
            out["error"] = e

    t = threading.Thread(target=body)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def poll_until(fn, timeout, interval=0.05):
    """Calls fn every `interval` seconds until it returns something true
    (returned) or `timeout` seconds passed (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    return None


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                r.stderr.strip()))
    return r


def _kill_group(p, sig):
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# ------------------------------------------------------------ the tracer

_SYS_BPF = 321  # x86_64
_BPF_MAP_LOOKUP_ELEM = 1
_BPF_OBJ_GET = 7
# struct pso_verdict_cnt (bpf/runtime/pso_abi.h): 64 bytes per CPU.
_VERDICT_CNT = 64
PROTO_INDEX = {"tcp": 1, "udp": 2, "icmp": 3}


def _possible_cpus():
    with open("/sys/devices/system/cpu/possible") as f:
        n = 0
        for part in f.read().strip().split(","):
            lo, _, hi = part.partition("-")
            n = max(n, int(hi or lo) + 1)
        return n


class XdpCounters:
    """The victim's XDP counters per traffic class (the tracer's pso_proto
    map, pinned with the policy): packets seen and packets dropped, read
    with two system calls, so they can be polled every few milliseconds."""

    def __init__(self, maps_dir):
        self.path = os.path.join(maps_dir, "pso_proto").encode()
        self.ncpu = _possible_cpus()
        self._syscall = _libc.syscall
        self._syscall.restype = ctypes.c_long

    def _fd(self):
        name = ctypes.create_string_buffer(self.path)
        attr = ctypes.create_string_buffer(128)
        struct.pack_into("Q", attr, 0, ctypes.addressof(name))
        fd = self._syscall(_SYS_BPF, _BPF_OBJ_GET, attr, 128)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "BPF_OBJ_GET " + self.path.decode())
        return fd

    def read(self):
        """{class: (packets, drops)} for tcp, udp, icmp (IPv4), summed over
        the CPUs."""
        fd = self._fd()
        try:
            out = {}
            for name, index in PROTO_INDEX.items():
                key = ctypes.c_uint32(index)
                value = ctypes.create_string_buffer(_VERDICT_CNT * self.ncpu)
                attr = ctypes.create_string_buffer(128)
                struct.pack_into("IIQQ", attr, 0, fd, 0,
                                 ctypes.addressof(key),
                                 ctypes.addressof(value))
                if self._syscall(_SYS_BPF, _BPF_MAP_LOOKUP_ELEM, attr, 128) != 0:
                    raise OSError(ctypes.get_errno(), "lookup pso_proto")
                passed = dropped = 0
                for c in range(self.ncpu):
                    p, _, d, _ = struct.unpack_from("QQQQ", value,
                                                    c * _VERDICT_CNT)
                    passed += p
                    dropped += d
                out[name] = (passed + dropped, dropped)
            return out
        finally:
            os.close(fd)

    def drops(self):
        return sum(d for _, d in self.read().values())


# ------------------------------------------------------------ the lab


class Lab:
    def __init__(self, psd, psc, tag="acts", config_extra="", log=None):
        self.psd_binary = psd
        self.psc_binary = psc
        self.tag = tag
        self.config_extra = config_extra
        self.say = log or (lambda *_: None)
        pid = os.getpid()
        self.victim_ns = "psc-test-%d-%s-v" % (pid, tag)
        self.attacker_ns = "psc-test-%d-%s-a" % (pid, tag)
        self.vif = "pa%dv" % (pid % 100000)
        self.aif = "pa%da" % (pid % 100000)
        self.pin_root = "/sys/fs/bpf/psc-test-%d-%s" % (pid, tag)
        self.dir = tempfile.mkdtemp(prefix="psc-acts-")
        self.state_dir = os.path.join(self.dir, "state")
        self.policy_dir = os.path.join(self.dir, "policies")
        self.token_file = os.path.join(self.dir, "token")
        self.token = None
        self.psd = None
        self.psd_log = None
        self.procs = []
        self.made_ns = []
        os.makedirs(self.state_dir)
        os.makedirs(self.policy_dir)

    # --- set-up and take-down

    def setup(self):
        if not os.path.ismount("/sys/fs/bpf"):
            run(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"])
        for ns in (self.victim_ns, self.attacker_ns):
            run(["ip", "netns", "add", ns])
            self.made_ns.append(ns)
        run(["ip", "link", "add", self.vif, "netns", self.victim_ns, "type",
             "veth", "peer", "name", self.aif, "netns", self.attacker_ns])
        for ns in (self.victim_ns, self.attacker_ns):
            run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                 "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", self.victim_ns, "addr", "add", VICTIM + "/24", "dev",
             self.vif])
        run(["ip", "-n", self.victim_ns, "-batch", "-"],
            input="".join("addr add 198.51.100.%d/32 dev %s\n" % (i, self.vif)
                          for i in range(101, 251)))
        for a in (ATTACKER, CLIENT):
            run(["ip", "-n", self.attacker_ns, "addr", "add", a + "/24", "dev",
                 self.aif])
        run(["ip", "-n", self.victim_ns, "link", "set", self.vif, "up"])
        run(["ip", "-n", self.attacker_ns, "link", "set", self.aif, "up"])
        token = os.urandom(24).hex()
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, token.encode() + b"\n")
        os.close(fd)
        self.token = token
        run(["ip", "netns", "exec", self.attacker_ns, "ping", "-c", "1", "-W",
             "2", VICTIM])

    def close(self):
        for p in reversed(self.procs):
            _kill_group(p, signal.SIGKILL)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.procs = []
        self.stop_psd(kill=True)
        # The policy stays attached after psd stops: take it down with the
        # namespace (the link goes with the interface), then the pins.
        for ns in self.made_ns:
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.made_ns = []
        if os.path.isdir(self.pin_root):
            shutil.rmtree(self.pin_root, ignore_errors=True)
        if self.psd_log:
            self.psd_log.close()
            self.psd_log = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            self.setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    # --- psd

    def write_config(self):
        path = os.path.join(self.dir, "psd.toml")
        with open(path, "w") as f:
            f.write('interfaces = ["%s"]\n' % self.vif)
            f.write('policy_dir = "%s"\nstate_dir = "%s"\npin_root = "%s"\n' %
                    (self.policy_dir, self.state_dir, self.pin_root))
            f.write('xdp_mode = "generic"\n')
            f.write(self.config_extra)
            if "[api]" not in self.config_extra:
                f.write('\n[api]\nlisten = "127.0.0.1:%d"\ntoken_file = "%s"\n'
                        % (API_PORT, self.token_file))
        return path

    def start_psd(self, env=None, wait=True, args=()):
        config = self.write_config()
        if self.psd_log is None:
            self.psd_log = open(os.path.join(self.dir, "psd.log"), "ab")
        e = dict(os.environ)
        e.update(env or {})
        self.psd = subprocess.Popen(
            ["nsenter", "--net=/var/run/netns/" + self.victim_ns,
             self.psd_binary, "--config", config] + list(args),
            stdout=self.psd_log, stderr=self.psd_log, env=e)
        if wait:
            self.wait_for_api()
        return self.psd

    def wait_for_api(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.psd.poll() is not None:
                raise RuntimeError("psd stopped (exit %s):\n%s" %
                                   (self.psd.returncode, self.log_text()))
            try:
                status, _ = self.api("GET", "/api/v1/status")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("psd's API did not come up:\n" + self.log_text())

    def stop_psd(self, kill=False):
        if self.psd is None:
            return None
        if self.psd.poll() is None:
            self.psd.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.psd.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.psd.kill()
                self.psd.wait()
        rc = self.psd.returncode
        self.psd = None
        return rc

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "psd.log"), errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def api(self, method, path, body=None, token=True, headers=None,
            timeout=10):
        """(status, parsed JSON or text) from psd's API."""

        def call():
            c = http.client.HTTPConnection("127.0.0.1", API_PORT,
                                           timeout=timeout)
            try:
                h = dict(headers or {})
                if token is True and self.token:
                    h["Authorization"] = "Bearer " + self.token
                elif isinstance(token, str):
                    h["Authorization"] = "Bearer " + token
                c.request(method, path, body=body, headers=h)
                r = c.getresponse()
                data = r.read().decode(errors="replace")
                try:
                    return r.status, json.loads(data)
                except ValueError:
                    return r.status, data
            finally:
                c.close()

        return in_netns(self.victim_ns, call)

    def maps_dir(self):
        for root, dirs, _ in os.walk(self.pin_root):
            if os.path.basename(root) == self.vif and "maps" in dirs:
                return os.path.join(root, "maps")
        raise RuntimeError("no pinned maps under " + self.pin_root)

    def counters(self):
        return XdpCounters(self.maps_dir())

    def attached_programs(self):
        """The XDP program ids attached to the victim's interface."""
        r = run(["ip", "-n", self.victim_ns, "-j", "link", "show", self.vif])
        link = json.loads(r.stdout)[0]
        xdp = link.get("xdp", {})
        ids = []
        if "prog" in xdp:
            ids.append(xdp["prog"]["id"])
        for a in xdp.get("attached", []):
            if "prog" in a:
                ids.append(a["prog"]["id"])
        return sorted(set(ids))

    def psc_status(self):
        env = dict(os.environ, PSC_STATE_DIR=self.state_dir,
                   PSC_PIN_ROOT=self.pin_root)
        r = run(["nsenter", "--net=/var/run/netns/" + self.victim_ns,
                 self.psc_binary, "status", "--format", "json"], env=env)
        return json.loads(r.stdout)

    def psc_status_text(self):
        env = dict(os.environ, PSC_STATE_DIR=self.state_dir,
                   PSC_PIN_ROOT=self.pin_root)
        return run(["nsenter", "--net=/var/run/netns/" + self.victim_ns,
                    self.psc_binary, "status"], env=env).stdout

    # --- traffic

    def spawn(self, ns, cmd, capture=False):
        # A session of its own: stop() ends the tool and its children.
        out = subprocess.PIPE if capture else subprocess.DEVNULL
        p = subprocess.Popen(["ip", "netns", "exec", ns] + cmd, stdout=out,
                             stderr=out, text=True, start_new_session=True)
        self.procs.append(p)
        return p

    def start_service(self):
        """The victim's TCP services: SERVICE_PORT (the legitimate one) and
        PROTECTED_PORT (under the default policy's protect)."""
        p = self.spawn(self.victim_ns, [sys.executable, TRAFFIC, "serve",
                                        str(SERVICE_PORT), str(PROTECTED_PORT)])
        time.sleep(0.2)
        return p

    def start_client(self, source, port, seconds, every=0.02):
        """Request/response connections from `source` to the victim's
        `port` for `seconds`; finish_client() gives the counts."""
        return self.spawn(self.attacker_ns, [
            sys.executable, TRAFFIC, "client", source, VICTIM, str(port),
            str(seconds), str(every)], capture=True)

    @staticmethod
    def finish_client(p):
        out, err = p.communicate(timeout=120)
        if p.returncode != 0:
            raise RuntimeError("client failed: " + err)
        return json.loads(out.strip().splitlines()[-1])

    def start_attack(self, name):
        cmd, _ = ATTACKS[name]
        return self.spawn(self.attacker_ns, cmd)

    def stop(self, p):
        _kill_group(p, signal.SIGINT)
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            _kill_group(p, signal.SIGKILL)
            p.wait()


def measure_block(lab, attack, timeout=10.0, poll=0.005):
    """Starts `attack` and polls the victim's XDP counters until the first
    counted drop. Returns the attack's process and a dict: from_start_ms
    (the tool started -> the first drop), from_first_packet_ms (the
    tracer's first packet of the attack's class -> the first drop, None if
    the first packet was not seen apart from the start), or drop_ms None
    when nothing was dropped within `timeout`."""
    counters = lab.counters()
    cls = ATTACKS[attack][1]
    before = counters.read()
    base_drops = sum(d for _, d in before.values())
    base_packets = before[cls][0]
    t0 = time.monotonic()
    t0_unix = time.time()
    p = lab.start_attack(attack)
    first_packet = None
    drop = None
    while time.monotonic() - t0 < timeout:
        now = counters.read()
        t = time.monotonic()
        if first_packet is None and now[cls][0] > base_packets + 0:
            first_packet = t
        if sum(d for _, d in now.values()) > base_drops:
            drop = t
            break
        if p.poll() is not None:
            break
        time.sleep(poll)
    res = {
        "attack": attack,
        "start_unix_ms": int(t0_unix * 1000),
        "drop_unix_ms": None if drop is None
        else int((t0_unix + drop - t0) * 1000),
        "from_start_ms": None if drop is None else (drop - t0) * 1000,
        "from_first_packet_ms": None if drop is None or first_packet is None
        else (drop - first_packet) * 1000,
    }
    return p, res
