// The embedded detector's CPU per tick (docs/detector.md,
// docs/performance.md): analyze() on a summary with N top talkers (and
// N/2 in each fan-out list), quiet or every talker flooding, with a
// context of 1000 blocked addresses; and the window before it, the
// summary built from two readings of a full source table (16384 sources).
#include <benchmark/benchmark.h>

#include <string>

#include "analyze/detector/detector.h"
#include "summary/builder.h"
#include "summary/labels.h"

namespace {

using psr::analyze::DetectorContext;
using psr::analyze::DetectorOptions;
using psr::analyze::EmbeddedDetector;
using psr::summary::Count;
using psr::summary::Summary;
using psr::summary::Talker;

constexpr uint64_t kSecondNs = 1'000'000'000;

std::string address(uint64_t i) {
  return "10." + std::to_string((i >> 16) & 255) + "." +
         std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255);
}

Count rate(uint64_t n) { return Count{n, static_cast<double>(n)}; }

// A 1 s window with `n` top talkers; flooding: each sends 5000 echo
// requests/s and 5000 SYNs/s, else 20 packets of web traffic.
Summary window(uint64_t seq, size_t n, bool flooding) {
  Summary s;
  s.seq = seq;
  s.window.start_ns = seq * kSecondNs;
  s.window.end_ns = (seq + 1) * kSecondNs;
  s.window.duration_s = 1;
  uint64_t echo = 0, syn = 0;
  for (size_t i = 0; i < n; ++i) {
    Talker t;
    t.addr = address(i);
    t.family = 4;
    uint64_t e = flooding ? 5000 : 0, y = flooding ? 5000 : 2;
    t.traffic = {e + y + 17, (e + y + 17) * 100,
                 static_cast<double>(e + y + 17), 0};
    t.icmp_echo = rate(e);
    t.tcp_syn = rate(y);
    t.udp = rate(1);
    t.distinct_dports = flooding ? 300 : 2;
    t.distinct_daddrs = 1;
    echo += e;
    syn += y;
    s.talkers.top.push_back(t);
    if (i < n / 2) {
      s.talkers.fanout.push_back(t);
      s.talkers.fanout_addrs.push_back(t);
    }
  }
  s.talkers.active_sources = n * 10;
  s.talkers.all.icmp_echo = rate(echo * 2);
  s.talkers.all.tcp_syn = rate(syn * 2);
  s.tcp.syn_received = rate(syn * 2);
  // Quiet: every handshake completes. Flooding: almost none does.
  s.tcp.passive_opens = rate(flooding ? 10 : syn * 2);
  s.tcp.syn_ports.push_back({80, rate(syn * 2)});
  return s;
}

DetectorContext context(uint64_t seq) {
  DetectorContext c;
  c.block_sets = {{"blocked", "drop_blocked", {}},
                  {"scanners", "drop_scanners", {}}};
  for (uint64_t i = 0; i < 1000; ++i)
    c.blocked.push_back(address(1'000'000 + i));
  for (int i = 0; i < 100; ++i)
    c.rules_in_force.push_back("rule_" + std::to_string(i));
  c.now_ns = (seq + 1) * kSecondNs;
  c.now_unix_ms = 1'760'000'000'000 + static_cast<int64_t>(seq) * 1000;
  return c;
}

// Steady state: the same detector every tick (under a flood, every
// finding is held and remembered, and proposals go out max_sources at a
// time until each source was proposed once).
void BM_DetectorTick(benchmark::State &state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const bool flooding = state.range(1) != 0;
  DetectorOptions o;
  EmbeddedDetector d(o);
  uint64_t seq = 0;
  size_t proposals = 0;
  std::vector<Summary> windows;
  for (uint64_t i = 0; i < 8; ++i)
    windows.push_back(window(i + 1, n, flooding));
  DetectorContext c = context(1);
  for (auto _ : state) {
    const Summary &w = windows[seq % windows.size()];
    c.now_ns = (++seq + 1) * kSecondNs;
    auto p = d.analyze(w, c);
    proposals += p.size();
    benchmark::DoNotOptimize(p);
  }
  state.counters["proposals/tick"] = benchmark::Counter(
      static_cast<double>(proposals) / static_cast<double>(seq));
}
BENCHMARK(BM_DetectorTick)
    ->ArgNames({"talkers", "flooding"})
    ->ArgsProduct({{10, 100, 1000, 10000}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

// The first tick of a flood: every talker's findings ripe at once (over
// the hard thresholds), proposals written (64 sources each).
void BM_DetectorFirstFloodTick(benchmark::State &state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Summary w = window(1, n, true);
  DetectorContext c = context(1);
  for (auto _ : state) {
    EmbeddedDetector d;
    auto p = d.analyze(w, c);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_DetectorFirstFloodTick)
    ->ArgName("talkers")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);

// The window itself: two readings of a full source table (16384 sources,
// every one active) into a summary, top 10 and fan-out 5.
void BM_BuildSummary(benchmark::State &state) {
  const size_t n = static_cast<size_t>(state.range(0));
  psr::summary::Observation a, b;
  a.snapshot.taken_ns = kSecondNs;
  b.snapshot.taken_ns = 2 * kSecondNs;
  for (size_t i = 0; i < n; ++i) {
    psr::trace::SourceStats s;
    uint8_t family = 0;
    auto addr = psr::summary::parse_address(address(i), &family);
    s.addr = *addr;
    s.family = family;
    s.first_seen_ns = 1;
    s.packets = 10 + i;
    s.tcp_syn = i % 7;
    s.distinct_dports = static_cast<uint32_t>(i % 50);
    s.distinct_daddrs = static_cast<uint32_t>(i % 20);
    a.snapshot.sources.push_back(s);
    s.packets += 100;
    s.tcp_syn += 3;
    s.icmp_echo += 1;
    b.snapshot.sources.push_back(s);
  }
  uint64_t seq = 0;
  for (auto _ : state) {
    Summary s = psr::summary::build_summary(a, b, ++seq);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_BuildSummary)
    ->ArgName("sources")
    ->Arg(1000)
    ->Arg(16384)
    ->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
