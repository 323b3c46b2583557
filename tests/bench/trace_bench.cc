// What the XDP observation costs per packet, under BPF_PROG_TEST_RUN, side
// by side in one run on the same frame (docs/tracing.md,
// docs/performance.md):
//
//   alone      the policy, loaded with the observation off (what psc test
//              and the policy benchmarks run)
//   observed   the same policy loaded with it on (PolicyLoadOptions::
//              observe), sampling off: the design in force
//   sampling   observed, with path sampling on at 1 in 2^32-1 (the hash is
//              computed on every packet; no event is written)
//   root       the alternative: a root program that parses, observes and
//              tail-calls the policy (observation off) through a prog
//              array (tests/bench/bpf/observe_root.c)
//
// One benchmark per policy; each iteration runs the four programs in turn
// (interleaved, so a noisy neighbour hurts them alike), each a
// BPF_PROG_TEST_RUN of PSC_BENCH_REPEAT (default 1M) repeats timed by this
// thread's CPU time. Counters: the median ns/packet of each, and
// observed - alone (the overhead the target bounds at 15 ns) and root -
// alone; overhead_min_ns compares the least of each lane.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "backend/bpf_features.h"
#include "backend/bpf_object.h"
#include "backend/clang_compiler.h"
#include "backend/test_run.h"
#include "codegen/policy_build.h"
#include "driver.h"
#include "packet_builder.h"
#include "pso_abi.h"

namespace psl::bench {
namespace {

namespace fs = std::filesystem;
using backend::BpfObject;
using backend::Error;
using backend::Expected;

uint32_t repeat_count() {
  const char *v = std::getenv("PSC_BENCH_REPEAT");
  return v ? static_cast<uint32_t>(std::strtoul(v, nullptr, 10)) : 1000000u;
}
const uint32_t kRepeat = repeat_count();

std::string read_text(const fs::path &p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Programs {
  std::unique_ptr<BpfObject> alone, observed, sampling, root, root_policy;
};

Expected<backend::PolicyArtifact> build(const std::string &name,
                                        const std::string &text) {
  CheckedModule checked = check_source(name + ".psl", text);
  if (!checked.ok())
    return Error(name + ": does not check");
  return backend::build_policy(*checked.module.policy,
                               checked.diags.file_ptr().get());
}

Expected<std::unique_ptr<BpfObject>> load(const backend::PolicyArtifact &a,
                                          bool observe) {
  backend::PolicyLoadOptions o;
  o.observe = observe;
  auto obj = backend::load_policy(a, o);
  if (!obj)
    return obj.error();
  return std::make_unique<BpfObject>(std::move(*obj));
}

Expected<Programs> load_all(const std::string &name, const std::string &text) {
  auto art = build(name, text);
  if (!art)
    return art.error();
  Programs p;
  for (auto [slot, observe] :
       {std::pair{&p.alone, false}, std::pair{&p.observed, true},
        std::pair{&p.sampling, true}, std::pair{&p.root_policy, false}}) {
    auto obj = load(*art, observe);
    if (!obj)
      return Error("load: " + obj.error().message);
    *slot = std::move(*obj);
  }
  pso_cfg cfg = {};
  cfg.sample_every = 0xffffffffu;
  cfg.max_events_per_sec = 1000;
  const uint32_t zero = 0;
  if (bpf_map_update_elem(p.sampling->map_fd("pso_cfg"), &zero, &cfg, 0) != 0)
    return Error("cannot turn sampling on");

  backend::CompileOptions co;
  co.include_dirs = {PSC_BPF_TEMPLATES_DIR};
  co.cpu = "v3";
  const fs::path src = fs::path(PSC_BENCH_BPF_DIR) / "observe_root.c";
  backend::CompileResult c =
      backend::BpfCompiler(co).compile(read_text(src), "observe_root.c");
  if (!c.ok())
    return Error(c.format_diagnostics());
  auto root = BpfObject::open(std::move(c.object), "observe_root");
  if (!root)
    return root.error();
  if (auto s = root->load(); !s.ok())
    return Error(s.error().message + "\n" + s.error().detail);
  const int policy_fd = p.root_policy->program_fd();
  if (bpf_map_update_elem(root->map_fd("pso_next"), &zero, &policy_fd, 0) != 0)
    return Error("cannot put the policy in the prog array");
  p.root = std::make_unique<BpfObject>(std::move(*root));
  return p;
}

void run(benchmark::State &state, const std::string &name,
         const std::string &text, const std::vector<uint8_t> &frame) {
  if (!backend::bpf_features().xdp_test_run) {
    state.SkipWithError(backend::bpf_features().xdp_test_run.reason.c_str());
    return;
  }
  auto p = load_all(name, text);
  if (!p) {
    state.SkipWithError(p.error().message.c_str());
    return;
  }
  struct Lane {
    const char *name;
    int fd;
    std::vector<double> ns;
  };
  std::vector<Lane> lanes = {{"alone_ns", p->alone->program_fd(), {}},
                             {"observed_ns", p->observed->program_fd(), {}},
                             {"sampling_ns", p->sampling->program_fd(), {}},
                             {"root_ns", p->root->program_fd(), {}}};
  // The same verdict from all four: a fast wrong answer is no result.
  uint32_t want = 0;
  for (size_t i = 0; i < lanes.size(); ++i) {
    auto r = backend::test_run_xdp(lanes[i].fd, frame);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    if (i == 0)
      want = r->retval;
    else if (r->retval != want) {
      state.SkipWithError(
          (std::string(lanes[i].name) + " gives another verdict").c_str());
      return;
    }
  }
  backend::TestRunOptions o;
  o.repeat = kRepeat;
  for (auto _ : state) {
    double total = 0;
    for (Lane &l : lanes) {
      const double before = thread_cpu_ns();
      auto r = backend::test_run_xdp(l.fd, frame, o);
      const double spent = thread_cpu_ns() - before;
      if (!r) {
        state.SkipWithError(r.error().message.c_str());
        return;
      }
      l.ns.push_back(spent / kRepeat);
      total += spent;
    }
    state.SetIterationTime(total / kRepeat * 1e-9);
  }
  for (const Lane &l : lanes)
    state.counters[l.name] = median(l.ns);
  state.counters["overhead_ns"] =
      state.counters["observed_ns"] - state.counters["alone_ns"];
  state.counters["root_overhead_ns"] =
      state.counters["root_ns"] - state.counters["alone_ns"];
  // The least of each lane: what a packet costs when no neighbour took
  // the core or its caches meanwhile (this machine is shared).
  auto least = [](const std::vector<double> &v) {
    return *std::min_element(v.begin(), v.end());
  };
  state.counters["overhead_min_ns"] = least(lanes[1].ns) - least(lanes[0].ns);
  state.SetLabel(backend::xdp_action_name(want));
}

// A TCP segment to port 443 with these flags: a SYN (the observation's
// dearest packet: it also runs the SYN port vote) or an ACK (the common
// case: an established connection's data).
std::vector<uint8_t> tcp_frame(uint8_t flags) {
  bpftest::Pkt p;
  p.proto = 6;
  p.src = "192.0.2.2";
  p.dst = "192.0.2.1";
  p.dport = 443;
  p.tcp_flags = flags;
  return bpftest::build(p);
}

void register_all() {
  struct Policy {
    std::string name, text;
  };
  std::vector<Policy> policies = {
      {"one_rule", "policy one_rule {\n"
                   "  rule block: ip.src in { 198.51.100.9 } => drop\n"
                   "  default pass\n}\n"}};
  for (const char *file : {"ssh_guard", "syn_flood", "edge_allowlist"}) {
    const fs::path path =
        fs::path(PSC_SOURCE_DIR) / "policies" / (std::string(file) + ".psl");
    if (fs::exists(path))
      policies.push_back({file, read_text(path)});
  }
  const std::pair<const char *, uint8_t> frames[] = {{"tcp_syn", 0x02},
                                                     {"tcp_ack", 0x10}};
  for (const auto &[frame_name, flags] : frames)
    for (const Policy &p : policies) {
      const std::vector<uint8_t> frame = tcp_frame(flags);
      benchmark::RegisterBenchmark(
          ("trace/" + p.name + "/" + frame_name).c_str(),
          [p, frame](benchmark::State &s) { run(s, p.name, p.text, frame); })
          ->UseManualTime()
          ->Iterations(7)
          ->Unit(benchmark::kNanosecond);
    }
}

} // namespace
} // namespace psl::bench

int main(int argc, char **argv) {
  psl::bench::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
