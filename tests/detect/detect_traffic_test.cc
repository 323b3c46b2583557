// Each attack with the real tool, from an attacker namespace against a
// victim with psd's default policy in force, benign traffic alongside:
// the detector, fed 1 s windows built from real snapshots every 250 ms,
// proposes what docs/detector.md says, and only that; benign traffic
// alone proposes nothing. The proposals are not applied (that is the
// governor's): the tests assert them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "detect_harness.h"

namespace psr::detect_test {
namespace {

using analyze::Proposal;

class DetectTraffic : public ::testing::Test {
protected:
  void SetUp() override {
    const auto &f = psl::backend::bpf_features();
    PSC_REQUIRE_OR_SKIP(f.load);
    PSC_REQUIRE_OR_SKIP(f.xdp_link);
    PSC_REQUIRE_OR_SKIP(f.netns);
    auto h = DetectHarness::create();
    ASSERT_TRUE(h.ok()) << h.error().message << "\n" << h.error().detail;
    harness_ = std::move(h.value());
  }
  void TearDown() override { harness_.reset(); }

  std::unique_ptr<DetectHarness> harness_;
};

// What the run saw, for a failure's message: every proposal, and the
// highest rates of the windows.
std::string describe(const Watched &w) {
  std::string s = "tool exit " + std::to_string(w.tool_exit) + ": " +
                  w.tool_output.substr(0, 600) + "\nproposals:\n";
  for (size_t i = 0; i < w.proposals.size(); ++i)
    s += "after " + std::to_string(w.proposed_after_s[i]) +
         " s: " + analyze::to_json(w.proposals[i]).dump() + "\n";
  double echo = 0, syn = 0, udp = 0, ref53 = 0, opens = 0;
  uint64_t sources = 0;
  uint32_t dports = 0, daddrs = 0;
  std::string syn_port;
  for (const summary::Summary &x : w.windows) {
    echo = std::max(echo, x.talkers.all.icmp_echo.per_s);
    syn = std::max(syn, x.tcp.syn_received.per_s);
    udp = std::max(udp, x.talkers.all.udp.per_s);
    opens = std::max(opens, x.tcp.passive_opens.per_s);
    sources = std::max(sources, x.talkers.active_sources);
    for (const auto &r : x.talkers.all.udp_reflection)
      if (r.port == 53)
        ref53 = std::max(ref53, r.packets.per_s);
    if (!x.tcp.syn_ports.empty())
      syn_port = std::to_string(x.tcp.syn_ports.front().port);
    for (const auto &t : x.talkers.fanout)
      dports = std::max(dports, t.distinct_dports);
    for (const auto &t : x.talkers.fanout_addrs)
      daddrs = std::max(daddrs, t.distinct_daddrs);
  }
  s += "peaks over " + std::to_string(w.windows.size()) + " windows: echo/s " +
       std::to_string(echo) + ", SYN/s " + std::to_string(syn) + " (port " +
       syn_port + "), accepted/s " + std::to_string(opens) + ", udp/s " +
       std::to_string(udp) + ", from 53/s " + std::to_string(ref53) +
       ", active sources " + std::to_string(sources) + ", distinct ports " +
       std::to_string(dports) + ", distinct addresses " +
       std::to_string(daddrs) + "\nbenign " +
       std::to_string(w.benign_answered) + "/" +
       std::to_string(w.benign_requests) + " answered";
  return s;
}

bool inserts(const Proposal &p, const std::string &set,
             const std::string &addr) {
  return p.kind == Proposal::Kind::SetInsert && p.insert.set == set &&
         std::find(p.insert.values.begin(), p.insert.values.end(), addr) !=
             p.insert.values.end();
}

size_t count_if(const Watched &w,
                const std::function<bool(const Proposal &)> &f) {
  return static_cast<size_t>(
      std::count_if(w.proposals.begin(), w.proposals.end(), f));
}

// The benign client and the victim are never proposed for anything.
void expect_benign_spared(const Watched &w) {
  for (const Proposal &p : w.proposals) {
    std::string text = analyze::to_json(p).dump();
    EXPECT_EQ(text.find(std::string("\"") + kClient + "\""), std::string::npos)
        << text;
    EXPECT_EQ(text.find(std::string("{ ") + kClient), std::string::npos)
        << text;
  }
  EXPECT_GT(w.benign_requests, 0u);
}

// PSC_DETECT_VERBOSE=1: what each run saw, failed or not.
void report(const Watched &w) {
  const char *v = std::getenv("PSC_DETECT_VERBOSE");
  if (v != nullptr && *v == '1')
    std::printf("%s\n", describe(w).c_str());
}

// Exactly one proposal: the attacker into `set`.
void expect_only_insert(const Watched &w, const std::string &set) {
  report(w);
  ASSERT_EQ(w.proposals.size(), 1u) << describe(w);
  EXPECT_TRUE(inserts(w.proposals[0], set, kAttacker)) << describe(w);
  EXPECT_EQ(w.proposals[0].insert.values.size(), 1u) << describe(w);
  EXPECT_EQ(w.proposals[0].insert.ttl_ms, 600'000u);
  expect_benign_spared(w);
}

// Exactly one proposal: a generated policy with `rule` in it.
void expect_only_rule(const Watched &w, const std::string &rule) {
  report(w);
  ASSERT_EQ(w.proposals.size(), 1u) << describe(w);
  const Proposal &p = w.proposals[0];
  EXPECT_EQ(p.kind, Proposal::Kind::Policy) << describe(w);
  EXPECT_NE(p.psl.find(rule), std::string::npos) << p.psl << describe(w);
  EXPECT_NE(p.psl.find("=> drop ttl 10m"), std::string::npos) << p.psl;
  EXPECT_FALSE(p.evidence.windows.empty());
  EXPECT_FALSE(p.evidence.counters.empty());
  expect_benign_spared(w);
}

TEST_F(DetectTraffic, IcmpEchoFloodFromOneSourceIsBlocked) {
  Watched w = harness_->watch("ping -f -w 2 -q 192.0.2.1", 3.5);
  expect_only_insert(w, "blocked");
}

TEST_F(DetectTraffic, IcmpEchoFloodFromManySourcesIsRateLimited) {
  Watched w = harness_->watch(
      "timeout 3 hping3 --icmp --flood --rand-source -q 192.0.2.1", 4);
  expect_only_rule(w, "icmp.type == echo_request and rate(ip.dst) > 100/s");
}

TEST_F(DetectTraffic, SynFloodFromOneSourceIsBlocked) {
  Watched w =
      harness_->watch("timeout 3 hping3 -S --flood -p 80 -q 192.0.2.1", 4);
  expect_only_insert(w, "blocked");
}

TEST_F(DetectTraffic, SpoofedSynFloodIsRateLimitedTowardItsPort) {
  Watched w = harness_->watch(
      "timeout 3 hping3 -S --flood --rand-source -p 80 -q 192.0.2.1", 4);
  expect_only_rule(w, "tcp.dport == 80 and tcp.syn and not tcp.ack and "
                      "rate(ip.dst, tcp.dport) > 1000/s");
}

TEST_F(DetectTraffic, UdpFloodFromOneSourceIsBlocked) {
  Watched w = harness_->watch(
      "timeout 3 hping3 --udp --flood -s 40000 -k -p 33000 -q 192.0.2.1", 4);
  expect_only_insert(w, "blocked");
}

TEST_F(DetectTraffic, UdpReflectionFromManySourcesIsRateLimitedOnItsPort) {
  Watched w = harness_->watch("timeout 3 hping3 --udp --flood --rand-source "
                              "-s 53 -k -p 33000 -q 192.0.2.1",
                              4);
  expect_only_rule(w, "udp.sport == 53 and rate(ip.dst) > 500/s");
}

// The scanner into `scanners`, once. A fast scan may look like a SYN
// flood a tick before it looks like a scan: then it is also proposed for
// `blocked`. Nothing else.
void expect_scanner(const Watched &w) {
  report(w);
  EXPECT_EQ(count_if(w,
                     [](const Proposal &p) {
                       return inserts(p, "scanners", kAttacker);
                     }),
            1u)
      << describe(w);
  for (const Proposal &p : w.proposals)
    EXPECT_TRUE(inserts(p, "scanners", kAttacker) ||
                inserts(p, "blocked", kAttacker))
        << describe(w);
  expect_benign_spared(w);
}

TEST_F(DetectTraffic, VerticalScanPutsTheScannerInTheScannersSet) {
  expect_scanner(
      harness_->watch("timeout 30 nmap -Pn -n -sS -T5 -p 1-1000 192.0.2.1", 5));
}

TEST_F(DetectTraffic, HorizontalScanPutsTheScannerInTheScannersSet) {
  ASSERT_TRUE(harness_->add_victim_addresses().ok());
  expect_scanner(harness_->watch(
      "timeout 30 nmap -Pn -n -sS -T5 -p 80 192.0.2.101-132", 5));
}

TEST_F(DetectTraffic, BenignTrafficAloneProposesNothing) {
  Watched w = harness_->watch("", 5);
  report(w);
  EXPECT_TRUE(w.proposals.empty()) << describe(w);
  // The benign traffic ran and was seen.
  EXPECT_GT(w.benign_answered, 100u) << describe(w);
  bool seen = false;
  for (const summary::Summary &x : w.windows)
    for (const summary::Talker &t : x.talkers.top)
      seen = seen || t.addr == kClient;
  EXPECT_TRUE(seen);
}

} // namespace
} // namespace psr::detect_test
