// What the summary carries for the detector, from two readings of the
// tracer: the SYNs per destination port (the XDP majority votes), every
// source's counters summed (not only the top talkers), and the sources
// by distinct destination addresses (horizontal scans). Their JSON is
// checked against docs/summary.schema.json (python3-jsonschema).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "summary/builder.h"
#include "summary/summary_json.h"
#include "summary_test_util.h"

namespace psr::summary {
namespace {

using testing::kSecond;
using testing::snapshot_at;
using testing::source;

trace::SynPort vote(uint16_t port, uint64_t syns, uint64_t cpu) {
  return trace::SynPort{port, syns, (uint64_t{7} << 32) | (cpu << 8) | 1};
}

TEST(DetectorSummary, SynPortsCountEachVoteSinceTheLastReading) {
  Observation prev, cur;
  prev.snapshot = snapshot_at(kSecond, 1000);
  cur.snapshot = snapshot_at(2 * kSecond, 2000);
  // CPU 0 led by port 80 at both readings: the difference.
  prev.snapshot.tcp.syn_ports.push_back(vote(80, 1000, 0));
  cur.snapshot.tcp.syn_ports.push_back(vote(80, 6000, 0));
  // CPU 1 changed its candidate from 443 to 80: what 80 got since.
  prev.snapshot.tcp.syn_ports.push_back(vote(443, 900, 1));
  cur.snapshot.tcp.syn_ports.push_back(vote(80, 3000, 1));
  // CPU 2 lost port 22 and took it again: its count restarted.
  prev.snapshot.tcp.syn_ports.push_back(vote(22, 500, 2));
  cur.snapshot.tcp.syn_ports.push_back(vote(22, 40, 2));
  // CPU 3: a new vote, and one that did not move.
  cur.snapshot.tcp.syn_ports.push_back(vote(8080, 7, 3));
  prev.snapshot.tcp.syn_ports.push_back(vote(25, 9, 4));
  cur.snapshot.tcp.syn_ports.push_back(vote(25, 9, 4));
  Summary s = build_summary(prev, cur, 1);
  ASSERT_EQ(s.tcp.syn_ports.size(), 3u);
  EXPECT_EQ(s.tcp.syn_ports[0].port, 80);
  EXPECT_EQ(s.tcp.syn_ports[0].syns.count, 8000u);
  EXPECT_DOUBLE_EQ(s.tcp.syn_ports[0].syns.per_s, 8000);
  EXPECT_EQ(s.tcp.syn_ports[1].port, 22);
  EXPECT_EQ(s.tcp.syn_ports[1].syns.count, 40u);
  EXPECT_EQ(s.tcp.syn_ports[2].port, 8080);
  EXPECT_EQ(s.tcp.syn_ports[2].syns.count, 7u);
  // A vote's count going down is how it works, not a restart.
  EXPECT_FALSE(s.counters_reset);
}

TEST(DetectorSummary, AllSumsEverySourceNotOnlyTheTop) {
  Observation prev, cur;
  prev.snapshot = snapshot_at(kSecond, 1000);
  cur.snapshot = snapshot_at(3 * kSecond, 3000); // a 2 s window
  for (int i = 0; i < 50; ++i) {
    std::string addr = "198.51.100." + std::to_string(i);
    trace::SourceStats before = source(addr, 10, kSecond / 2);
    before.icmp_echo = 4;
    before.tcp_syn = 2;
    trace::SourceStats after = source(addr, 30, kSecond / 2);
    after.icmp_echo = 14; // +10
    after.tcp_syn = 4;    // +2
    after.udp = 6;        // +6
    after.udp_reflection[1] = 6;
    after.xdp_drop = 1;
    prev.snapshot.sources.push_back(before);
    cur.snapshot.sources.push_back(after);
  }
  Summary s = build_summary(prev, cur, 1);
  ASSERT_EQ(s.talkers.top.size(), 10u);
  EXPECT_EQ(s.talkers.active_sources, 50u);
  EXPECT_EQ(s.talkers.all.icmp_echo.count, 500u);
  EXPECT_DOUBLE_EQ(s.talkers.all.icmp_echo.per_s, 250);
  EXPECT_EQ(s.talkers.all.tcp_syn.count, 100u);
  EXPECT_EQ(s.talkers.all.udp.count, 300u);
  EXPECT_EQ(s.talkers.all.xdp_drop.count, 50u);
  ASSERT_EQ(s.talkers.all.udp_reflection.size(), 1u);
  EXPECT_EQ(s.talkers.all.udp_reflection[0].port, 123);
  EXPECT_EQ(s.talkers.all.udp_reflection[0].packets.count, 300u);
}

TEST(DetectorSummary, AHorizontalScannerIsInFanoutAddrs) {
  Observation prev, cur;
  prev.snapshot = snapshot_at(kSecond, 1000);
  cur.snapshot = snapshot_at(2 * kSecond, 2000);
  trace::SourceStats big = source("203.0.113.1", 5000);
  big.distinct_dports = 2;
  cur.snapshot.sources.push_back(big);
  trace::SourceStats scanner = source("198.51.100.9", 40);
  scanner.tcp_syn = 40;
  scanner.distinct_dports = 1;
  scanner.distinct_daddrs = 37;
  cur.snapshot.sources.push_back(scanner);
  trace::SourceStats one = source("198.51.100.10", 3);
  cur.snapshot.sources.push_back(one);
  Summary s = build_summary(prev, cur, 1);
  ASSERT_EQ(s.talkers.fanout.size(), 1u);
  EXPECT_EQ(s.talkers.fanout[0].addr, "203.0.113.1");
  ASSERT_EQ(s.talkers.fanout_addrs.size(), 1u);
  EXPECT_EQ(s.talkers.fanout_addrs[0].addr, "198.51.100.9");
  EXPECT_EQ(s.talkers.fanout_addrs[0].distinct_daddrs, 37u);
}

TEST(DetectorSummary, TheNewMembersMatchTheSchema) {
  Observation prev, cur;
  prev.snapshot = snapshot_at(kSecond, 1000);
  cur.snapshot = snapshot_at(2 * kSecond, 2000);
  cur.snapshot.tcp.syn_ports.push_back(vote(80, 100, 0));
  trace::SourceStats scanner = source("2001:db8::9", 40);
  scanner.tcp_syn = 40;
  scanner.distinct_daddrs = 20;
  scanner.udp_reflection[0] = 3;
  cur.snapshot.sources.push_back(scanner);
  Summary s = build_summary(prev, cur, 1);
  nlohmann::json j = to_json(s);
  ASSERT_EQ(j["tcp"]["syn_ports"].size(), 1u);
  EXPECT_EQ(j["tcp"]["syn_ports"][0]["port"], 80);
  EXPECT_EQ(j["tcp"]["syn_ports"][0]["per_s"], 100.0);
  EXPECT_EQ(j["talkers"]["fanout_addrs"][0]["addr"], "2001:db8::9");
  EXPECT_EQ(j["talkers"]["all"]["tcp_syn"]["count"], 40);
  EXPECT_EQ(j["talkers"]["all"]["udp_reflection"][0]["port"], 53);

  char tmpl[] = "/tmp/psr-detector-schema-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string file = std::string(tmpl) + "/summary.json";
  std::ofstream(file) << to_json_text(s);
  std::string cmd = std::string(PSD_PYTHON) + " " + PSD_VALIDATOR + " " +
                    PSD_SCHEMA + " '" + file + "' 2>&1";
  std::string output;
  FILE *p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    output.append(buf, n);
  int status = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  std::string rm = std::string("rm -rf '") + tmpl + "'";
  EXPECT_EQ(std::system(rm.c_str()), 0);
}

} // namespace
} // namespace psr::summary
