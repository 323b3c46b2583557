#include "trace/tracer.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <regex>

#include "pso_abi.h"
#include "pso_stack.skel.h"
#include "trace/hooks.h"

namespace psr::trace {

using psl::backend::BpfLink;
using psl::backend::Error;
using psl::backend::Expected;
using psl::backend::LibbpfLogCapture;
using psl::backend::Status;

namespace {

// A tracepoint no kernel has: where the fallback tests point a raw_tp
// program.
constexpr const char *kBrokenTracepoint = "pso_no_such_tracepoint";

int possible_cpus() {
  const int n = libbpf_num_possible_cpus();
  return n > 0 ? n : 1;
}

bool named(const std::set<std::string> &set, const HookSpec &h) {
  return set.count(h.name) != 0 || set.count(h.tracepoint) != 0;
}

struct Choice {
  AttachKind kind = AttachKind::Missing;
  std::string missing;  // why not attached
  std::string fallback; // why not tp_btf
};

bpf_program *program_of(pso_stack *skel, const HookSpec &h, AttachKind k) {
  const std::string name =
      std::string(k == AttachKind::TpBtf ? "btf_" : "raw_") + h.tracepoint;
  return bpf_object__find_program_by_name(skel->obj, name.c_str());
}

// One step down: tp_btf -> raw_tp -> missing.
void demote(Choice &c, const std::string &why) {
  if (c.kind == AttachKind::TpBtf) {
    c.kind = AttachKind::RawTp;
    c.fallback = why;
  } else {
    c.kind = AttachKind::Missing;
    c.missing = why;
  }
}

// The verifier's last words in libbpf's log of a refused program (the
// line before "-- END PROG LOAD LOG --"), for the status.
std::string verifier_reason(const std::string &log) {
  const auto end = log.find("-- END PROG LOAD LOG --");
  if (end == std::string::npos)
    return {};
  std::string before = log.substr(0, end);
  while (!before.empty() && (before.back() == '\n' || before.back() == ' '))
    before.pop_back();
  // Skip the statistics lines the verifier ends with.
  for (int i = 0; i < 4 && !before.empty(); ++i) {
    const auto nl = before.rfind('\n');
    std::string line = before.substr(nl == std::string::npos ? 0 : nl + 1);
    if (line.rfind("processed ", 0) != 0 &&
        line.rfind("verification time", 0) != 0 &&
        line.rfind("stack depth", 0) != 0 && line.rfind("libbpf:", 0) != 0)
      return line;
    before.resize(nl == std::string::npos ? 0 : nl);
  }
  return {};
}

// The program a failed bpf_object__load names in libbpf's log.
std::string failed_program(const std::string &log) {
  static const std::regex re("prog '([^']+)': (BPF program load failed|"
                             "failed to load|failed to prepare)");
  std::smatch m;
  if (std::regex_search(log, m, re))
    return m[1];
  return {};
}

uint64_t now_ns(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<uint64_t>(ts.tv_nsec);
}

template <class T>
Status read_percpu(int fd, uint32_t key, std::vector<T> &out) {
  out.assign(possible_cpus(), T{});
  if (bpf_map_lookup_elem(fd, &key, out.data()) != 0)
    return Error(std::string("cannot read a tracing map: ") +
                     std::strerror(errno),
                 errno);
  return Status::success();
}

} // namespace

Expected<uint32_t> current_netns_inode() {
  struct stat st;
  if (stat("/proc/thread-self/ns/net", &st) != 0)
    return Error(std::string("cannot read this thread's network namespace: ") +
                     std::strerror(errno),
                 errno);
  return static_cast<uint32_t>(st.st_ino);
}

Expected<std::unique_ptr<Tracer>> Tracer::create(const TracerOptions &opts) {
  psl::backend::install_libbpf_log_capture();
  std::unique_ptr<Tracer> t(new Tracer());
  t->netns_ = opts.netns_inode;
  if (t->netns_ == 0) {
    auto ino = current_netns_inode();
    if (!ino.ok())
      return ino.error();
    t->netns_ = *ino;
  }
  auto reasons = DropReasons::load();
  if (!reasons.ok())
    return reasons.error();
  t->reasons_ = std::move(*reasons);

  for (const std::string &name : opts.disable)
    if (find_hook(name) == nullptr)
      return Error("no tracing hook is called '" + name + "'");

  const auto &specs = stack_hooks();
  std::vector<Choice> choice(specs.size());
  {
    std::string log;
    LibbpfLogCapture capture(&log);
    struct btf *vmlinux = btf__load_vmlinux_btf();
    for (size_t i = 0; i < specs.size(); ++i) {
      const HookSpec &h = specs[i];
      Choice &c = choice[i];
      if (named(opts.disable, h)) {
        c.missing = "disabled by option";
        continue;
      }
      const TracepointBtf tb = tracepoint_in_btf(vmlinux, h.tracepoint);
      if (opts.force_raw_tp || named(opts.force_raw_tp_hooks, h)) {
        c.kind = AttachKind::RawTp;
        c.fallback = "raw_tp forced by option";
      } else if (tb.found && tb.args >= h.args) {
        c.kind = AttachKind::TpBtf;
      } else if (tb.found) {
        c.missing = "the kernel's tracepoint has " + std::to_string(tb.args) +
                    " arguments, the program reads " + std::to_string(h.args);
      } else {
        c.kind = AttachKind::RawTp;
        c.fallback =
            "the kernel's BTF has no btf_trace_" + std::string(h.tracepoint);
      }
    }
    btf__free(vmlinux);
  }

  // Each round either succeeds or takes one hook one step down, so this
  // ends: at most two rounds per hook.
  for (size_t round = 0; round <= 2 * specs.size(); ++round) {
    bool any = false;
    for (const Choice &c : choice)
      any |= c.kind != AttachKind::Missing;
    if (!any) {
      std::string why;
      for (size_t i = 0; i < specs.size(); ++i)
        why += std::string(specs[i].name) + ": " + choice[i].missing + "\n";
      return Error("no tracing hook could be attached", 0, why);
    }

    std::string log;
    LibbpfLogCapture capture(&log);
    pso_stack *skel = pso_stack__open();
    if (skel == nullptr)
      return Error("cannot open the tracing programs", errno, log);
    skel->rodata->pso_netns = t->netns_;
    skel->rodata->pso_timed_per_tick = opts.timed_per_tick;
    skel->rodata->pso_empty_bodies = opts.empty_bodies ? 1 : 0;
    for (size_t i = 0; i < specs.size(); ++i) {
      for (AttachKind k : {AttachKind::TpBtf, AttachKind::RawTp}) {
        bpf_program *p = program_of(skel, specs[i], k);
        if (p != nullptr)
          bpf_program__set_autoload(p, choice[i].kind == k);
      }
      // Loaded as a socket filter, the tp_btf code reads past its context
      // and uses helpers that type may not call: the verifier refuses it.
      if (choice[i].kind == AttachKind::TpBtf &&
          named(opts.break_tp_btf, specs[i]))
        bpf_program__set_type(program_of(skel, specs[i], AttachKind::TpBtf),
                              BPF_PROG_TYPE_SOCKET_FILTER);
    }
    if (int err = pso_stack__load(skel); err != 0) {
      // libbpf names the program the kernel refused ("prog 'NAME': ...
      // failed"); it closes every program's fd when one fails.
      const std::string failed = failed_program(log);
      bool demoted = false;
      for (size_t i = 0; i < specs.size() && !demoted; ++i) {
        if (choice[i].kind == AttachKind::Missing)
          continue;
        bpf_program *p = program_of(skel, specs[i], choice[i].kind);
        if (p != nullptr && failed == bpf_program__name(p)) {
          const std::string why = verifier_reason(log);
          demote(choice[i], std::string("the kernel refused the ") +
                                attach_kind_name(choice[i].kind) +
                                " program: " + std::strerror(-err) +
                                (why.empty() ? "" : " (" + why + ")"));
          demoted = true;
        }
      }
      pso_stack__destroy(skel);
      if (!demoted)
        return Error("cannot load the tracing programs", -err, log);
      continue;
    }

    std::vector<BpfLink> links;
    bool reload = false;
    for (size_t i = 0; i < specs.size() && !reload; ++i) {
      Choice &c = choice[i];
      if (c.kind == AttachKind::Missing)
        continue;
      bpf_program *p = program_of(skel, specs[i], c.kind);
      bpf_link *l = nullptr;
      if (c.kind == AttachKind::TpBtf) {
        l = bpf_program__attach(p);
      } else {
        const bool broken = named(opts.break_raw_tp, specs[i]);
        l = bpf_program__attach_raw_tracepoint(p, broken ? kBrokenTracepoint
                                                         : specs[i].tracepoint);
      }
      if (l == nullptr) {
        const std::string why = std::string("the kernel refused to attach ") +
                                attach_kind_name(c.kind) + ": " +
                                std::strerror(errno);
        // A raw_tp that does not attach is the end of the line: no reload.
        reload = c.kind == AttachKind::TpBtf;
        demote(c, why);
        continue;
      }
      links.emplace_back(l);
    }
    if (reload) {
      links.clear();
      pso_stack__destroy(skel);
      continue;
    }
    if (links.empty()) {
      pso_stack__destroy(skel);
      continue; // every choice is now Missing: reported above
    }
    t->skel_ = skel;
    t->links_ = std::move(links);
    for (size_t i = 0; i < specs.size(); ++i) {
      HookStatus s;
      s.name = specs[i].name;
      s.attach = attach_kind_name(choice[i].kind);
      s.missing = choice[i].missing;
      s.fallback = choice[i].fallback;
      t->hooks_.push_back(std::move(s));
    }
    if (Status s = t->set_sampling(opts.sampling); !s.ok())
      return s.error();
    return t;
  }
  return Error("the tracing programs could not be attached");
}

Tracer::~Tracer() {
  links_.clear(); // detach before the programs go
  if (skel_ != nullptr)
    pso_stack__destroy(skel_);
}

Status Tracer::set_sampling(const Sampling &s) const {
  return write_sampling(bpf_map__fd(skel_->maps.pso_cfg), s);
}

int Tracer::events_fd() const { return bpf_map__fd(skel_->maps.pso_events); }

Status Tracer::read_stack(Snapshot &snap) const {
  std::vector<pso_stack_cnt> cnt;
  if (Status s = read_percpu(bpf_map__fd(skel_->maps.pso_stack_cnt), 0, cnt);
      !s.ok())
    return s;
  for (const pso_stack_cnt &c : cnt) {
    for (size_t p = 0; p < kProtoCount && p < PSO_PROTO_COUNT; ++p) {
      Funnel &f = snap.funnel[p];
      f.stack_rx += c.rx[p];
      f.delivered += c.delivered[p];
      f.dropped += c.dropped[p];
      f.sent += c.sent[p];
    }
    snap.tcp.syn_recv += c.tcp_syn_recv;
    snap.tcp.synack_sent += c.tcp_synack_sent;
    snap.tcp.established += c.tcp_established;
    snap.tcp.passive_opens += c.tcp_passive_open;
    snap.tcp.active_opens += c.tcp_active_open;
    snap.tcp.closed += c.tcp_closed;
    snap.tcp.resets_sent += c.tcp_resets_sent;
    snap.tcp.resets_received += c.tcp_resets_received;
    snap.tcp.retransmits += c.tcp_retransmits;
    snap.udp.rcvbuf_errors += c.udp_rcvbuf_errors;
    snap.socket.rcvqueue_full += c.sock_rcvqueue_full;
  }
  // Received skbs whose end no tracepoint reported (yet): what was
  // received less what was delivered or dropped, kept as a high-water
  // mark so the counter never goes back when skbs in the stack end.
  for (size_t p = 0; p < kProtoCount; ++p) {
    Funnel &f = snap.funnel[p];
    const uint64_t ended = f.delivered + f.dropped;
    const uint64_t open = f.stack_rx > ended ? f.stack_rx - ended : 0;
    uint64_t seen = untracked_[p].load(std::memory_order_relaxed);
    while (open > seen && !untracked_[p].compare_exchange_weak(
                              seen, open, std::memory_order_relaxed)) {
    }
    f.untracked = std::max(seen, open);
  }
  snap.tcp.half_open = snap.tcp.synack_sent > snap.tcp.passive_opens
                           ? snap.tcp.synack_sent - snap.tcp.passive_opens
                           : 0;

  // Drops by (reason, class).
  const int drops_fd = bpf_map__fd(skel_->maps.pso_drops);
  std::vector<uint64_t> v(possible_cpus());
  pso_drop_key key, next;
  const pso_drop_key *prev = nullptr;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> drops;
  while (bpf_map_get_next_key(drops_fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(drops_fd, &key, v.data()) != 0)
      continue;
    uint64_t n = 0;
    for (uint64_t x : v)
      n += x;
    drops[{key.reason, key.proto}] += n;
  }
  for (const auto &[k, n] : drops) {
    if (n == 0)
      continue;
    DropCount d;
    d.reason = k.first;
    d.name = reasons_.name(k.first);
    d.layer = drop_reason_layer(d.name);
    d.proto =
        k.second < kProtoCount ? static_cast<Proto>(k.second) : Proto::Other;
    d.packets = n;
    snap.drops.push_back(std::move(d));
  }

  // ICMP errors sent: one batch over the whole array.
  const int icmp_fd = bpf_map__fd(skel_->maps.pso_icmp);
  for (uint32_t slot = 0; slot < PSO_ICMP_SLOTS; ++slot) {
    // Types beyond 63 carry no error the stack sends; skip their slots.
    if ((slot >> PSO_ICMP_CODE_BITS) > 63)
      break;
    if (bpf_map_lookup_elem(icmp_fd, &slot, v.data()) != 0)
      continue;
    uint64_t n = 0;
    for (uint64_t x : v)
      n += x;
    if (n == 0)
      continue;
    IcmpSent s;
    s.type = static_cast<uint8_t>(slot >> PSO_ICMP_CODE_BITS);
    s.code = static_cast<uint8_t>(slot & ((1u << PSO_ICMP_CODE_BITS) - 1));
    s.count = n;
    snap.icmp_sent.push_back(s);
  }

  std::vector<pso_latency> lat;
  for (uint32_t p = 0; p < kProtoCount && p < PSO_PROTO_COUNT; ++p) {
    if (Status s = read_percpu(bpf_map__fd(skel_->maps.pso_latency), p, lat);
        !s.ok())
      return s;
    StackLatency &out = snap.latency[p];
    for (const pso_latency &l : lat) {
      for (size_t b = 0; b < kLatencyBuckets && b < PSO_LAT_BUCKETS; ++b)
        out.buckets[b] += l.buckets[b];
      out.count += l.count;
      out.sum_ns += l.sum_ns;
    }
  }
  snap.ring_lost += read_lost(bpf_map__fd(skel_->maps.pso_budget));
  return Status::success();
}

Expected<Snapshot> Tracer::read(const XdpObservation *xdp) const {
  Snapshot snap;
  snap.taken_ns = now_ns(CLOCK_MONOTONIC);
  snap.taken_unix_ms = now_ns(CLOCK_REALTIME) / 1000000ull;
  if (xdp != nullptr) {
    if (Status s = xdp->read(snap); !s.ok())
      return s.error();
    HookStatus h;
    h.name = "xdp";
    h.attach = "xdp";
    snap.hooks.push_back(h);
  }
  if (Status s = read_stack(snap); !s.ok())
    return s.error();
  snap.hooks.insert(snap.hooks.end(), hooks_.begin(), hooks_.end());
  return snap;
}

} // namespace psr::trace
