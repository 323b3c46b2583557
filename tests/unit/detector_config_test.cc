// The detector's options (the table of [detector] keys, setting and
// checking them, docs/detector.md listing each with its default) and the
// block sets found in a checked operator policy.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "analyze/detector/block_sets.h"
#include "analyze/detector/options.h"
#include "driver.h"

namespace psr::analyze {
namespace {

using std::chrono::milliseconds;

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "10m", "60s", "100ms" as the config file writes them.
milliseconds duration(const std::string &text) {
  size_t digits = text.find_first_not_of("0123456789");
  int64_t n = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  if (unit == "h")
    return milliseconds(n * 3'600'000);
  if (unit == "m")
    return milliseconds(n * 60'000);
  if (unit == "s")
    return milliseconds(n * 1000);
  EXPECT_EQ(unit, "ms") << text;
  return milliseconds(n);
}

DetectorValue default_value(const DetectorSetting &s) {
  switch (s.kind) {
  case DetectorSetting::Kind::Count:
  case DetectorSetting::Kind::Percent:
    return int64_t{std::stoll(s.default_value)};
  case DetectorSetting::Kind::Duration:
    return duration(s.default_value);
  case DetectorSetting::Kind::Text:
    break;
  }
  return std::string(s.default_value);
}

TEST(DetectorOptions, TheDefaultsAreTheTablesAndCheck) {
  DetectorOptions defaults;
  EXPECT_TRUE(check_detector_options(defaults).ok());
  // Every key set to its documented default, on a struct of other values,
  // gives the struct's defaults back: the table and the struct agree.
  DetectorOptions o;
  for (const DetectorSetting &s : detector_settings()) {
    DetectorValue other = s.kind == DetectorSetting::Kind::Duration
                              ? DetectorValue(milliseconds(s.max))
                          : s.kind == DetectorSetting::Kind::Text
                              ? DetectorValue(std::string("x"))
                              : DetectorValue(int64_t{s.max});
    ASSERT_TRUE(set_detector_option(o, s.key, other).ok()) << s.key;
  }
  for (const DetectorSetting &s : detector_settings()) {
    psl::backend::Status st = set_detector_option(o, s.key, default_value(s));
    ASSERT_TRUE(st.ok()) << s.key << ": " << st.error().message;
  }
  EXPECT_EQ(o.hold_ticks, defaults.hold_ticks);
  EXPECT_EQ(o.ttl, defaults.ttl);
  EXPECT_EQ(o.repropose_after, defaults.repropose_after);
  EXPECT_EQ(o.max_sources, defaults.max_sources);
  EXPECT_EQ(o.min_window, defaults.min_window);
  EXPECT_EQ(o.block_set, defaults.block_set);
  EXPECT_EQ(o.scan_set, defaults.scan_set);
  EXPECT_EQ(o.icmp_source_pps, defaults.icmp_source_pps);
  EXPECT_EQ(o.icmp_source_hard_pps, defaults.icmp_source_hard_pps);
  EXPECT_EQ(o.icmp_total_pps, defaults.icmp_total_pps);
  EXPECT_EQ(o.icmp_total_hard_pps, defaults.icmp_total_hard_pps);
  EXPECT_EQ(o.icmp_limit_pps, defaults.icmp_limit_pps);
  EXPECT_EQ(o.syn_source_pps, defaults.syn_source_pps);
  EXPECT_EQ(o.syn_source_hard_pps, defaults.syn_source_hard_pps);
  EXPECT_EQ(o.syn_total_pps, defaults.syn_total_pps);
  EXPECT_EQ(o.syn_total_hard_pps, defaults.syn_total_hard_pps);
  EXPECT_EQ(o.syn_min_sources, defaults.syn_min_sources);
  EXPECT_EQ(o.syn_incomplete_percent, defaults.syn_incomplete_percent);
  EXPECT_EQ(o.syn_port_percent, defaults.syn_port_percent);
  EXPECT_EQ(o.syn_limit_pps, defaults.syn_limit_pps);
  EXPECT_EQ(o.udp_source_pps, defaults.udp_source_pps);
  EXPECT_EQ(o.udp_source_hard_pps, defaults.udp_source_hard_pps);
  EXPECT_EQ(o.reflection_pps, defaults.reflection_pps);
  EXPECT_EQ(o.reflection_hard_pps, defaults.reflection_hard_pps);
  EXPECT_EQ(o.reflection_limit_pps, defaults.reflection_limit_pps);
  EXPECT_EQ(o.scan_ports, defaults.scan_ports);
  EXPECT_EQ(o.scan_hard_ports, defaults.scan_hard_ports);
  EXPECT_EQ(o.scan_addrs, defaults.scan_addrs);
  EXPECT_EQ(o.scan_hard_addrs, defaults.scan_hard_addrs);
  EXPECT_EQ(o.scan_min_probes, defaults.scan_min_probes);
  EXPECT_EQ(o.scan_probe_percent, defaults.scan_probe_percent);
  EXPECT_EQ(detector_settings().size(), 31u) << "a key without a check above";
}

TEST(DetectorOptions, TheDocListsEveryKeyWithItsDefault) {
  std::string doc = read_file(PSD_DETECTOR_DOC);
  ASSERT_FALSE(doc.empty());
  for (const DetectorSetting &s : detector_settings()) {
    std::string row = std::string("| `") + s.key + "` | `" +
                      (*s.default_value ? s.default_value : "\"\"") + "` |";
    EXPECT_NE(doc.find(row), std::string::npos) << "missing: " << row;
  }
}

TEST(DetectorOptions, BadValuesNameTheirKey) {
  DetectorOptions o;
  auto msg = [](const psl::backend::Status &s) {
    return s.ok() ? std::string("ok") : s.error().message;
  };
  EXPECT_EQ(msg(set_detector_option(o, "syn_port_percent", int64_t{120})),
            "detector.syn_port_percent: 120 is not within 1..100");
  EXPECT_EQ(msg(set_detector_option(o, "icmp_sorce_pps", int64_t{1})),
            "detector.icmp_sorce_pps: no such setting");
  EXPECT_EQ(msg(set_detector_option(o, "ttl", int64_t{5})),
            "detector.ttl: expected a duration such as 10m or 500ms");
  EXPECT_EQ(msg(set_detector_option(o, "ttl", milliseconds(10))),
            "detector.ttl: 10 ms is not within 1000..604800000 ms");
  EXPECT_EQ(msg(set_detector_option(o, "scan_hard_addrs", int64_t{300})),
            "detector.scan_hard_addrs: 300 is not within 2..266");
  EXPECT_EQ(msg(set_detector_option(o, "block_set", int64_t{1})),
            "detector.block_set: expected text");

  DetectorOptions hard;
  hard.syn_source_hard_pps = 100;
  EXPECT_EQ(msg(check_detector_options(hard)),
            "detector.syn_source_hard_pps (100) is below "
            "detector.syn_source_pps (200): a hard threshold is at least its "
            "threshold");
  DetectorOptions limit;
  limit.reflection_limit_pps = 5000;
  EXPECT_EQ(msg(check_detector_options(limit)),
            "detector.reflection_pps (2000) is below "
            "detector.reflection_limit_pps (5000): the proposed rate limit "
            "would pass a flood");
  DetectorOptions zero;
  zero.hold_ticks = 0;
  EXPECT_EQ(msg(check_detector_options(zero)),
            "detector.hold_ticks: 0 is not within 1..20");
}

// ------------------------------------------------------------ block sets

std::vector<BlockSet> sets_of(const std::string &text) {
  psl::CheckedModule m = psl::check_source("policy.psl", text);
  EXPECT_TRUE(m.ok()) << text;
  if (!m.ok())
    return {};
  return find_block_sets(*m.module.policy);
}

TEST(DetectorBlockSets, PsdDefaultPolicyHasTwo) {
  auto sets = sets_of(read_file(PSD_DEFAULT_POLICY));
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].name, "blocked");
  EXPECT_EQ(sets[0].rule, "drop_blocked");
  EXPECT_EQ(
      sets[0].passes_before,
      (std::vector<std::string>{"management", "arp", "neighbor_discovery"}));
  EXPECT_EQ(sets[1].name, "scanners");
  EXPECT_EQ(sets[1].rule, "drop_scanners");
}

TEST(DetectorBlockSets, OnlyAWholeSourceDropThatStaysCounts) {
  auto sets = sets_of(R"(policy p {
  set a : ip dynamic ttl 10m
  set b : ip dynamic
  set c : ip dynamic
  set d : ip dynamic
  set e : ip dynamic
  set f : port dynamic
  set g : ip dynamic
  rule narrow: ip.src in a and tcp.dport == 22 => drop
  rule only_counts: ip.src in b => count
  rule pretends: ip.src in c => drop shadow
  rule expires: ip.src in d => drop ttl 1h
  rule destination: ip.dst in e => drop
  rule ports: tcp.dport in f => drop
  rule web: tcp.dport == 443 => pass
  rule blocks: ip.src in g => drop
  rule blocks_again: ip.src in g => drop
}
)");
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].name, "g");
  EXPECT_EQ(sets[0].rule, "blocks");
  EXPECT_EQ(sets[0].passes_before, std::vector<std::string>{"web"});
}

} // namespace
} // namespace psr::analyze
