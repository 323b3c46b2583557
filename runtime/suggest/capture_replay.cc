#include "suggest/capture_replay.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend/bpf_features.h"
#include "backend/test_run.h"
#include "codegen/kernel_evaluator.h"
#include "codegen/policy_build.h"
#include "interp/pcap_replay.h"
#include "policy/dynamic_sets.h"
#include "policy/set_values.h"
#include "psl_counters.h"
#include "psl_parse.h"
#include "summary/builder.h"
#include "trace/observation.h"

namespace psr::suggest {

namespace {

using be::Error;
using be::Expected;
using be::Status;

constexpr const char *kReplayNote =
    "replayed from a capture through BPF_PROG_TEST_RUN: XDP counters only "
    "(no stack drops, TCP states, ICMP errors or latency)";

// One counter of a per-CPU psl_counter map, summed over the CPUs.
Expected<psl_counter> read_counter(int map_fd, uint32_t id) {
  const int n = libbpf_num_possible_cpus();
  if (n <= 0)
    return be::errno_error("cannot count the possible CPUs", -n);
  std::vector<psl_counter> per_cpu(static_cast<size_t>(n));
  if (bpf_map_lookup_elem(map_fd, &id, per_cpu.data()) != 0)
    return be::errno_error("cannot read rule counter " + std::to_string(id),
                           errno);
  psl_counter sum{};
  for (const psl_counter &c : per_cpu) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

// The replay's state: the loaded program, the observation, the readings.
class Replay final : public ReplaySets {
public:
  Replay(const psl::Policy &policy, psl::codegen::PolicyArtifact artifact,
         psl::backend::BpfObject obj, trace::XdpObservation xdp,
         const ReplayOptions &o)
      : policy_(policy), artifact_(std::move(artifact)), obj_(std::move(obj)),
        xdp_(std::move(xdp)), o_(o) {
    prog_fd_ = obj_.program_fd(artifact_.program);
    if (prog_fd_ < 0)
      prog_fd_ = obj_.program_fd();
    clock_fd_ = obj_.map_fd("psl_clock");
    rule_cnt_fd_ = obj_.map_fd("psl_rule_cnt");
    shadow_cnt_fd_ = obj_.map_fd("psl_shadow_cnt");
  }

  Status frame(const psl::interp::CapturedFrame &f) {
    if (!started_) {
      started_ = true;
      out_.first_ns = f.time_ns;
      boundary_ = f.time_ns + o_.window_ns;
      if (Status s = reading(f.time_ns, prev_); !s.ok())
        return s;
    }
    // A capture is in time order; a frame stamped earlier than the one
    // before it keeps the clock where it is (the kernel's never goes back).
    const uint64_t t = std::max(f.time_ns, last_t_);
    last_t_ = t;
    if (o_.until_ns != 0 && t - out_.first_ns >= o_.until_ns) {
      ++out_.frames_after;
      return Status::success();
    }
    while (t >= boundary_)
      if (Status s = close_window(); !s.ok())
        return s;
    const uint32_t slot = 0;
    if (bpf_map_update_elem(clock_fd_, &slot, &t, BPF_ANY) != 0)
      return be::errno_error("cannot set the program's clock", errno);
    auto run = be::test_run_xdp(prog_fd_, f.frame);
    if (!run.ok())
      return run.error();
    note_source(f, t);
    ++out_.frames;
    return Status::success();
  }

  Status add(const std::string &set, const std::string &value,
             uint64_t ttl_ns) override {
    const psl::lower::DynSetSpec *spec = nullptr;
    for (const psl::lower::DynSetSpec &d : artifact_.classifier.dynsets)
      if (d.name == set)
        spec = &d;
    if (spec == nullptr)
      return Error::user("the policy has no dynamic set '" + set + "'");
    const int fd = obj_.map_fd(set);
    if (fd < 0)
      return Error::user("set '" + set +
                         "' is not used by any rule, so the program has no "
                         "map for it");
    auto key = policy::encode_set_value(spec->elem, value);
    if (!key)
      return key.error();
    // The program's clock is the capture's (psl_clock): the entry expires
    // on it.
    const uint64_t now = boundary_;
    const uint64_t ttl = ttl_ns ? ttl_ns : spec->ttl_ns;
    return policy::insert_set_map(fd, *key, ttl ? now + ttl : 0,
                                  policy::set_key_size(spec->elem), now);
  }

  Expected<CaptureSummary> finish() {
    if (!started_)
      return Error::user("the capture has no frames");
    if (Status s = close_window(); !s.ok())
      return s.error();
    out_.end_ns = boundary_ - o_.window_ns;
    return std::move(out_);
  }

private:
  using Address = std::array<uint8_t, 17>; // the address and its family

  // The capture time each source was first seen (the kernel stamps it in
  // jiffies of the replay's own time, which says nothing here).
  void note_source(const psl::interp::CapturedFrame &f, uint64_t t) {
    psl_pkt p;
    psl_parse_buffer(f.frame.data(), static_cast<__u32>(f.frame.size()), &p);
    if (!(p.present & PSL_PRESENT_IP))
      return;
    Address a{};
    std::memcpy(a.data(), p.ip_src, 16);
    a[16] = p.ip_version;
    Seen &s = seen_[a];
    if (s.first == 0)
      s.first = t;
    s.last = t;
  }

  Status close_window() {
    if (out_.windows.size() >= o_.max_windows)
      return Error::user(
          "the capture spans more than " + std::to_string(o_.max_windows) +
          " windows of " + std::to_string(o_.window_ns / 1000000) +
          " ms (gaps count too): cut it, or make the windows longer");
    summary::Observation cur;
    if (Status s = reading(boundary_, cur); !s.ok())
      return s;
    out_.windows.push_back(summary::build_summary(
        prev_, cur, out_.windows.size() + 1, o_.summary));
    prev_ = std::move(cur);
    if (o_.on_window)
      if (Status s = o_.on_window(out_.windows.back(), *this); !s.ok())
        return s;
    boundary_ += o_.window_ns;
    return Status::success();
  }

  Status reading(uint64_t t, summary::Observation &o) {
    o.snapshot.taken_ns = t;
    o.snapshot.taken_unix_ms = t / 1000000;
    if (Status s = xdp_.read(o.snapshot); !s.ok())
      return s;
    // Capture times for the sources; an entry the kernel made again
    // (fewer packets than at the last reading) starts at this reading.
    for (trace::SourceStats &s : o.snapshot.sources) {
      Address a{};
      std::memcpy(a.data(), s.addr.data(), 16);
      a[16] = s.family;
      auto it = seen_.find(a);
      if (it == seen_.end()) {
        s.first_seen_ns = s.last_seen_ns = t;
        continue;
      }
      if (s.packets < it->second.packets_at_reading)
        it->second.first = t;
      it->second.packets_at_reading = s.packets;
      s.first_seen_ns = it->second.first;
      s.last_seen_ns = it->second.last;
    }
    o.snapshot.hooks = {{"xdp", "test_run", "", ""}};
    summary::PolicyView v;
    v.iface = o_.ifname;
    v.policy = policy_.name;
    v.attached = true;
    v.mode = "test_run";
    for (const psl::lower::RuleInfo &r : artifact_.classifier.rules) {
      summary::RuleView rv;
      rv.name = r.name;
      rv.action = psl::action_name(r.action);
      rv.shadow = r.shadow;
      auto c =
          read_counter(r.shadow ? shadow_cnt_fd_ : rule_cnt_fd_, r.counter_id);
      if (!c)
        return c.error();
      if (r.shadow) {
        rv.shadow_packets = c->packets;
      } else {
        rv.packets = c->packets;
        rv.bytes = c->bytes;
      }
      v.rules.push_back(std::move(rv));
    }
    auto d = read_counter(rule_cnt_fd_, 0);
    if (!d)
      return d.error();
    v.default_rule.name = "default";
    v.default_rule.action =
        psl::action_name(artifact_.classifier.default_action);
    v.default_rule.packets = d->packets;
    v.default_rule.bytes = d->bytes;
    for (const psl::lower::DynSetSpec &s : artifact_.classifier.dynsets) {
      summary::SetView sv;
      sv.name = s.name;
      sv.elem = psl::type_kind_name(s.elem);
      sv.capacity = s.capacity;
      sv.ttl_ms = s.ttl_ns / 1000000;
      v.sets.push_back(std::move(sv));
    }
    o.policies = {std::move(v)};
    o.notes = {kReplayNote};
    return Status::success();
  }

  struct Seen {
    uint64_t first = 0, last = 0;
    uint64_t packets_at_reading = 0;
  };

  const psl::Policy &policy_;
  psl::codegen::PolicyArtifact artifact_;
  psl::backend::BpfObject obj_;
  trace::XdpObservation xdp_;
  const ReplayOptions &o_;
  int prog_fd_ = -1, clock_fd_ = -1, rule_cnt_fd_ = -1, shadow_cnt_fd_ = -1;
  bool started_ = false;
  uint64_t boundary_ = 0, last_t_ = 0;
  summary::Observation prev_;
  std::map<Address, Seen> seen_;
  CaptureSummary out_;
};

} // namespace

Expected<CaptureSummary> summarize_capture(const psl::Policy &policy,
                                           const psl::SourceFile *file,
                                           const std::string &pcap,
                                           const ReplayOptions &options) {
  if (options.window_ns == 0)
    return Error::user("the window must be longer than 0");
  if (std::string why = psl::codegen::kernel_unavailable_reason(); !why.empty())
    return Error("cannot replay the capture through the policy in the "
                 "kernel: " +
                     why,
                 0, "", be::ErrorKind::Environment);
  psl::codegen::PolicyBuildOptions bo;
  if (!be::bpf_features().jmp32)
    bo.cpu = be::bpf_features().recommended_cpu();
  auto artifact = psl::codegen::build_policy(policy, file, bo);
  if (!artifact)
    return artifact.error();
  psl::codegen::PolicyLoadOptions lo;
  lo.clock_from_map = true;
  lo.observe = true;
  auto obj = psl::codegen::load_policy(*artifact, lo);
  if (!obj) {
    Error e = obj.error();
    e.message = "cannot load the policy: " + e.message;
    return e;
  }
  auto xdp = trace::XdpObservation::from_object(*obj);
  if (!xdp)
    return xdp.error();
  Replay replay(policy, std::move(*artifact), std::move(*obj), std::move(*xdp),
                options);
  std::optional<Error> failed;
  auto err =
      psl::interp::replay_pcap(pcap, [&](const psl::interp::CapturedFrame &f) {
        if (failed)
          return;
        if (Status s = replay.frame(f); !s.ok())
          failed = s.error();
      });
  if (err)
    return Error::user(*err);
  if (failed)
    return *failed;
  return replay.finish();
}

} // namespace psr::suggest
