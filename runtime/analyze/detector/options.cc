#include "analyze/detector/options.h"

#include <algorithm>
#include <cstdint>

namespace psr::analyze {

namespace {

using psl::backend::Error;
using psl::backend::Status;
using std::chrono::milliseconds;
using Kind = DetectorSetting::Kind;

// Where a key's value lives in DetectorOptions.
using Member =
    std::variant<uint64_t DetectorOptions::*, uint32_t DetectorOptions::*,
                 milliseconds DetectorOptions::*,
                 std::string DetectorOptions::*>;

struct Entry {
  DetectorSetting info;
  Member member;
};

constexpr int64_t kMaxPps = 1'000'000'000;
constexpr int64_t kHourMs = 3'600'000;

// The largest estimates the tracer gives (linear counting saturated:
// bits * ln(bits), runtime/trace/observation.h): 128 bits for the
// destination ports of a source, 64 for its destination addresses
// (bpf/runtime/pso_abi.h). A threshold above them never fires.
constexpr int64_t kMaxPortEstimate = 621;
constexpr int64_t kMaxAddrEstimate = 266;

const std::vector<Entry> &entries() {
  using O = DetectorOptions;
  static const std::vector<Entry> table = {
      {{"hold_ticks", Kind::Count, "2",
        "windows in a row a finding must hold before it is proposed (one "
        "over a hard threshold)",
        1, 20},
       &O::hold_ticks},
      {{"ttl", Kind::Duration, "10m",
        "ttl of every proposal: the generated rule's, the set entries'", 1000,
        7 * 24 * kHourMs},
       &O::ttl},
      {{"repropose_after", Kind::Duration, "60s",
        "a finding proposed but not in force is proposed again after this",
        1000, 24 * kHourMs},
       &O::repropose_after},
      {{"max_sources", Kind::Count, "64",
        "sources in one proposal (more wait for the next window)", 1, 4096},
       &O::max_sources},
      {{"min_window", Kind::Duration, "100ms",
        "windows shorter than this give no findings", 0, 60'000},
       &O::min_window},
      {{"block_set", Kind::Text, "",
        "dynamic set for flooding sources (empty: the policy's first set "
        "that blocks sources)",
        0, 0},
       &O::block_set},
      {{"scan_set", Kind::Text, "scanners",
        "dynamic set for scanners (absent from the policy: block_set's)", 0, 0},
       &O::scan_set},
      {{"icmp_source_pps", Kind::Count, "200",
        "echo requests/s of one source that make it a flooder", 1, kMaxPps},
       &O::icmp_source_pps},
      {{"icmp_source_hard_pps", Kind::Count, "2000",
        "the same, proposed from one window", 1, kMaxPps},
       &O::icmp_source_hard_pps},
      {{"icmp_total_pps", Kind::Count, "2000",
        "echo requests/s of all other sources together that make a flood", 1,
        kMaxPps},
       &O::icmp_total_pps},
      {{"icmp_total_hard_pps", Kind::Count, "20000",
        "the same, proposed from one window", 1, kMaxPps},
       &O::icmp_total_hard_pps},
      {{"icmp_limit_pps", Kind::Count, "100",
        "echo requests/s each destination address keeps under the proposed "
        "rate limit",
        1, kMaxPps},
       &O::icmp_limit_pps},
      {{"syn_source_pps", Kind::Count, "200",
        "SYNs/s of one source that make it a flooder", 1, kMaxPps},
       &O::syn_source_pps},
      {{"syn_source_hard_pps", Kind::Count, "2000",
        "the same, proposed from one window", 1, kMaxPps},
       &O::syn_source_hard_pps},
      {{"syn_total_pps", Kind::Count, "2000",
        "SYNs/s of all other sources together that make a spoofed flood", 1,
        kMaxPps},
       &O::syn_total_pps},
      {{"syn_total_hard_pps", Kind::Count, "20000",
        "the same, proposed from one window", 1, kMaxPps},
       &O::syn_total_hard_pps},
      {{"syn_min_sources", Kind::Count, "50",
        "active sources a spoofed SYN flood has at least", 1, kMaxPps},
       &O::syn_min_sources},
      {{"syn_incomplete_percent", Kind::Percent, "80",
        "share of those SYNs that no accepted connection followed", 1, 100},
       &O::syn_incomplete_percent},
      {{"syn_port_percent", Kind::Percent, "50",
        "share of the SYNs one destination port must take to be named in "
        "the rule",
        1, 100},
       &O::syn_port_percent},
      {{"syn_limit_pps", Kind::Count, "1000",
        "SYNs/s each destination address and port keeps under the proposed "
        "rate limit",
        1, kMaxPps},
       &O::syn_limit_pps},
      {{"udp_source_pps", Kind::Count, "1000",
        "UDP datagrams/s of one source (not from a reflection port) that "
        "make it a flooder",
        1, kMaxPps},
       &O::udp_source_pps},
      {{"udp_source_hard_pps", Kind::Count, "10000",
        "the same, proposed from one window", 1, kMaxPps},
       &O::udp_source_hard_pps},
      {{"reflection_pps", Kind::Count, "2000",
        "datagrams/s from one reflection port (53, 123, 11211, 1900, 19), "
        "all sources together, that make a reflection flood",
        1, kMaxPps},
       &O::reflection_pps},
      {{"reflection_hard_pps", Kind::Count, "20000",
        "the same, proposed from one window", 1, kMaxPps},
       &O::reflection_hard_pps},
      {{"reflection_limit_pps", Kind::Count, "500",
        "datagrams/s from that port each destination address keeps under "
        "the proposed rate limit",
        1, kMaxPps},
       &O::reflection_limit_pps},
      {{"scan_ports", Kind::Count, "64",
        "distinct destination ports of one probing source: a vertical scan", 2,
        kMaxPortEstimate},
       &O::scan_ports},
      {{"scan_hard_ports", Kind::Count, "256",
        "the same, proposed from one window", 2, kMaxPortEstimate},
       &O::scan_hard_ports},
      {{"scan_addrs", Kind::Count, "16",
        "distinct destination addresses of one probing source: a horizontal "
        "scan",
        2, kMaxAddrEstimate},
       &O::scan_addrs},
      {{"scan_hard_addrs", Kind::Count, "48",
        "the same, proposed from one window", 2, kMaxAddrEstimate},
       &O::scan_hard_addrs},
      {{"scan_min_probes", Kind::Count, "2",
        "probes (SYN, echo request, UDP) a scanner sends in the window at "
        "least",
        1, kMaxPps},
       &O::scan_min_probes},
      {{"scan_probe_percent", Kind::Percent, "50",
        "share of a scanner's packets in the window that are probes", 0, 100},
       &O::scan_probe_percent},
  };
  return table;
}

const Entry *find(std::string_view key) {
  for (const Entry &e : entries())
    if (key == e.info.key)
      return &e;
  return nullptr;
}

std::string name(std::string_view key) {
  return "detector." + std::string(key);
}

Status out_of_range(std::string_view key, int64_t v, int64_t lo, int64_t hi) {
  return Error(name(key) + ": " + std::to_string(v) + " is not within " +
               std::to_string(lo) + ".." + std::to_string(hi));
}

// `a` below `b` is the problem: "detector.a (1) is below detector.b (2)".
Status below(const char *a, uint64_t av, const char *b, uint64_t bv,
             const char *why) {
  return Error(name(a) + " (" + std::to_string(av) + ") is below " + name(b) +
               " (" + std::to_string(bv) + "): " + why);
}

} // namespace

const std::vector<DetectorSetting> &detector_settings() {
  static const std::vector<DetectorSetting> settings = [] {
    std::vector<DetectorSetting> out;
    for (const Entry &e : entries())
      out.push_back(e.info);
    return out;
  }();
  return settings;
}

Status set_detector_option(DetectorOptions &o, std::string_view key,
                           const DetectorValue &value) {
  const Entry *e = find(key);
  if (e == nullptr)
    return Error(name(key) + ": no such setting");
  const DetectorSetting &info = e->info;
  switch (info.kind) {
  case Kind::Count:
  case Kind::Percent: {
    const int64_t *v = std::get_if<int64_t>(&value);
    if (v == nullptr)
      return Error(name(key) + ": expected a whole number");
    if (*v < info.min || *v > info.max)
      return out_of_range(key, *v, info.min, info.max);
    if (auto m = std::get_if<uint64_t DetectorOptions::*>(&e->member))
      o.**m = static_cast<uint64_t>(*v);
    else if (auto m32 = std::get_if<uint32_t DetectorOptions::*>(&e->member))
      o.**m32 = static_cast<uint32_t>(*v);
    return Status::success();
  }
  case Kind::Duration: {
    const milliseconds *v = std::get_if<milliseconds>(&value);
    if (v == nullptr)
      return Error(name(key) + ": expected a duration such as 10m or 500ms");
    if (v->count() < info.min || v->count() > info.max)
      return Error(name(key) + ": " + std::to_string(v->count()) +
                   " ms is not within " + std::to_string(info.min) + ".." +
                   std::to_string(info.max) + " ms");
    o.*std::get<milliseconds DetectorOptions::*>(e->member) = *v;
    return Status::success();
  }
  case Kind::Text: {
    const std::string *v = std::get_if<std::string>(&value);
    if (v == nullptr)
      return Error(name(key) + ": expected text");
    o.*std::get<std::string DetectorOptions::*>(e->member) = *v;
    return Status::success();
  }
  }
  return Error(name(key) + ": no such setting");
}

Status check_detector_options(const DetectorOptions &o) {
  // Ranges first: a struct filled by hand has not been through
  // set_detector_option.
  for (const Entry &e : entries()) {
    const DetectorSetting &info = e.info;
    int64_t v = 0;
    if (auto m = std::get_if<uint64_t DetectorOptions::*>(&e.member))
      v = static_cast<int64_t>(std::min<uint64_t>(o.**m, INT64_MAX));
    else if (auto m32 = std::get_if<uint32_t DetectorOptions::*>(&e.member))
      v = o.**m32;
    else if (auto d = std::get_if<milliseconds DetectorOptions::*>(&e.member))
      v = (o.**d).count();
    else
      continue;
    if (v < info.min || v > info.max)
      return info.kind == Kind::Duration
                 ? Error(name(info.key) + ": " + std::to_string(v) +
                         " ms is not within " + std::to_string(info.min) +
                         ".." + std::to_string(info.max) + " ms")
                 : out_of_range(info.key, v, info.min, info.max);
  }
  const char *hard = "a hard threshold is at least its threshold";
  if (o.icmp_source_hard_pps < o.icmp_source_pps)
    return below("icmp_source_hard_pps", o.icmp_source_hard_pps,
                 "icmp_source_pps", o.icmp_source_pps, hard);
  if (o.icmp_total_hard_pps < o.icmp_total_pps)
    return below("icmp_total_hard_pps", o.icmp_total_hard_pps, "icmp_total_pps",
                 o.icmp_total_pps, hard);
  if (o.syn_source_hard_pps < o.syn_source_pps)
    return below("syn_source_hard_pps", o.syn_source_hard_pps, "syn_source_pps",
                 o.syn_source_pps, hard);
  if (o.syn_total_hard_pps < o.syn_total_pps)
    return below("syn_total_hard_pps", o.syn_total_hard_pps, "syn_total_pps",
                 o.syn_total_pps, hard);
  if (o.udp_source_hard_pps < o.udp_source_pps)
    return below("udp_source_hard_pps", o.udp_source_hard_pps, "udp_source_pps",
                 o.udp_source_pps, hard);
  if (o.reflection_hard_pps < o.reflection_pps)
    return below("reflection_hard_pps", o.reflection_hard_pps, "reflection_pps",
                 o.reflection_pps, hard);
  if (o.scan_hard_ports < o.scan_ports)
    return below("scan_hard_ports", o.scan_hard_ports, "scan_ports",
                 o.scan_ports, hard);
  if (o.scan_hard_addrs < o.scan_addrs)
    return below("scan_hard_addrs", o.scan_hard_addrs, "scan_addrs",
                 o.scan_addrs, hard);
  // A rate limit above the threshold that found the flood would let
  // through what the detector calls a flood.
  const char *limit = "the proposed rate limit would pass a flood";
  if (o.icmp_total_pps < o.icmp_limit_pps)
    return below("icmp_total_pps", o.icmp_total_pps, "icmp_limit_pps",
                 o.icmp_limit_pps, limit);
  if (o.syn_total_pps < o.syn_limit_pps)
    return below("syn_total_pps", o.syn_total_pps, "syn_limit_pps",
                 o.syn_limit_pps, limit);
  if (o.reflection_pps < o.reflection_limit_pps)
    return below("reflection_pps", o.reflection_pps, "reflection_limit_pps",
                 o.reflection_limit_pps, limit);
  return Status::success();
}

} // namespace psr::analyze
