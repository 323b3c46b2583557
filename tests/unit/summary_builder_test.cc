// psr::summary: two readings -> one window. Counts, rates, ranking, rule
// hits and ttl, and what happens when counters go down (wrap, restart).
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "summary/builder.h"
#include "summary/counter_delta.h"
#include "summary/labels.h"
#include "summary/latency.h"
#include "summary_test_util.h"

namespace psr::summary {
namespace {

using testing::busy_observation;
using testing::kSecond;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(CounterDelta, GoingUpIsTheDifference) {
  bool reset = false;
  EXPECT_EQ(counter_delta(10, 25, &reset), 15u);
  EXPECT_EQ(counter_delta(7, 7, &reset), 0u);
  EXPECT_FALSE(reset);
}

TEST(CounterDelta, AWrapPastTheTopCountsWhatItTookToGetThere) {
  bool reset = false;
  EXPECT_EQ(counter_delta(kMax - 4, 5, &reset), 10u);
  EXPECT_EQ(counter_delta(kMax, 0, &reset), 1u);
  EXPECT_FALSE(reset);
}

TEST(CounterDelta, GoingDownOtherwiseIsARestartCountedFromZero) {
  bool reset = false;
  EXPECT_EQ(counter_delta(1'000'000, 30, &reset), 30u);
  EXPECT_TRUE(reset);
  // Near the top but the new value is far from 0: not a wrap either.
  reset = false;
  EXPECT_EQ(counter_delta(kMax - 4, uint64_t{1} << 40, &reset),
            uint64_t{1} << 40);
  EXPECT_TRUE(reset);
}

TEST(Labels, ProtocolsRoundTrip) {
  for (size_t i = 0; i < trace::kProtoCount; ++i) {
    auto p = static_cast<trace::Proto>(i);
    auto back = proto_from_label(proto_label(p));
    ASSERT_TRUE(back.has_value()) << proto_label(p);
    EXPECT_EQ(*back, p);
  }
  EXPECT_STREQ(proto_label(trace::Proto::Ipv6Icmp), "ipv6/icmp");
  EXPECT_FALSE(proto_from_label("ipv4/sctp").has_value());
}

TEST(Labels, AddressesInBothStoredForms) {
  uint8_t family = 0;
  auto mapped = parse_address("198.51.100.7", &family);
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(family, 4);
  EXPECT_EQ(format_address(*mapped, 4), "198.51.100.7");
  Address first_four{198, 51, 100, 7};
  EXPECT_EQ(format_address(first_four, 4), "198.51.100.7");
  EXPECT_EQ(normalize_address(first_four, 4), *mapped);
  auto v6 = parse_address("2001:db8::1", &family);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(family, 6);
  EXPECT_EQ(format_address(*v6, 6), "2001:db8::1");
  EXPECT_FALSE(parse_address("198.51.100.256").has_value());
  EXPECT_FALSE(parse_address("").has_value());
  EXPECT_FALSE(parse_address("example.org").has_value());
}

class BusyWindow : public ::testing::Test {
protected:
  void SetUp() override {
    prev_ = busy_observation(1 * kSecond, 1'700'000'000'000, 1);
    cur_ = busy_observation(3 * kSecond, 1'700'000'002'000, 3);
    s_ = build_summary(prev_, cur_, 7);
  }
  const ProtocolRates *proto(const std::string &name) {
    for (const ProtocolRates &p : s_.protocols)
      if (p.proto == name)
        return &p;
    return nullptr;
  }
  Observation prev_, cur_;
  Summary s_;
};

TEST_F(BusyWindow, WindowAndVersion) {
  EXPECT_EQ(s_.version, kSchemaVersion);
  EXPECT_EQ(s_.seq, 7u);
  EXPECT_EQ(s_.window.start_ns, 1 * kSecond);
  EXPECT_EQ(s_.window.end_ns, 3 * kSecond);
  EXPECT_EQ(s_.window.end_unix_ms, 1'700'000'002'000u);
  EXPECT_DOUBLE_EQ(s_.window.duration_s, 2.0);
  EXPECT_FALSE(s_.counters_reset);
  EXPECT_TRUE(s_.notes.empty());
}

TEST_F(BusyWindow, ProtocolFunnelCountsAndRates) {
  // Two seconds in which the counters went from scale 1 to scale 3.
  const ProtocolRates *icmp = proto("ipv4/icmp");
  ASSERT_NE(icmp, nullptr);
  EXPECT_EQ(icmp->nic.packets, 2000u);
  EXPECT_DOUBLE_EQ(icmp->nic.pps, 1000.0);
  EXPECT_DOUBLE_EQ(icmp->nic.bps, 84000.0 * 8);
  EXPECT_EQ(icmp->xdp_drop.packets, 1800u);
  EXPECT_EQ(icmp->xdp_pass.packets, 200u);
  EXPECT_DOUBLE_EQ(icmp->delivered.per_s, 100.0);
  EXPECT_DOUBLE_EQ(icmp->sent.per_s, 100.0);
  const ProtocolRates *tcp6 = proto("ipv6/tcp");
  ASSERT_NE(tcp6, nullptr);
  EXPECT_EQ(tcp6->dropped.count, 20u);
  EXPECT_EQ(tcp6->untracked.count, 10u);
  EXPECT_DOUBLE_EQ(tcp6->untracked.per_s, 5.0);
  // Only protocols with traffic are listed; the totals add them up.
  EXPECT_EQ(s_.protocols.size(), 2u);
  EXPECT_EQ(proto("ipv4/udp"), nullptr);
  EXPECT_EQ(s_.totals.proto, "all");
  EXPECT_EQ(s_.totals.nic.packets, 2100u);
  EXPECT_DOUBLE_EQ(s_.totals.nic.pps, 1050.0);
}

TEST_F(BusyWindow, DropsByReasonAndLayer) {
  ASSERT_EQ(s_.drops.size(), 1u);
  EXPECT_EQ(s_.drops[0].reason, "NO_SOCKET");
  EXPECT_EQ(s_.drops[0].layer, "socket");
  EXPECT_EQ(s_.drops[0].proto, "ipv6/tcp");
  EXPECT_EQ(s_.drops[0].packets.count, 20u);
  EXPECT_DOUBLE_EQ(s_.drops[0].packets.per_s, 10.0);
  ASSERT_EQ(s_.drop_layers.size(), 1u);
  EXPECT_EQ(s_.drop_layers[0].layer, "socket");
  EXPECT_EQ(s_.drop_layers[0].packets.count, 20u);
}

TEST_F(BusyWindow, TcpHealthAndIcmpErrors) {
  EXPECT_EQ(s_.tcp.syn_received.count, 40u);
  EXPECT_DOUBLE_EQ(s_.tcp.syn_received.per_s, 20.0);
  EXPECT_EQ(s_.tcp.synack_sent.count, 20u);
  EXPECT_EQ(s_.tcp.syn_recv.count, 16u);
  EXPECT_EQ(s_.tcp.passive_opens.count, 10u);
  EXPECT_EQ(s_.tcp.half_open_estimate, 10u);
  EXPECT_EQ(s_.tcp.resets_sent.count, 20u);
  EXPECT_EQ(s_.tcp.retransmits.count, 2u);
  ASSERT_EQ(s_.icmp_errors.size(), 1u);
  EXPECT_EQ(s_.icmp_errors[0].type, 3);
  EXPECT_EQ(s_.icmp_errors[0].code, 3);
  EXPECT_EQ(s_.icmp_errors[0].sent.count, 14u);
}

TEST_F(BusyWindow, StackLatencyPercentiles) {
  ASSERT_EQ(s_.latency.size(), 1u);
  const LatencySummary &l = s_.latency[0];
  EXPECT_EQ(l.proto, "ipv4/icmp");
  EXPECT_EQ(l.count, 200u);
  EXPECT_DOUBLE_EQ(l.mean_ns, 1500.0);
  // 180 samples in [1024, 2048), 20 in [4096, 8192): the median is 100/180
  // of the way into the first, p99 is 18/20 of the way into the second.
  EXPECT_NEAR(l.p50_ns, 1024 + 1024 * (100.0 / 180), 1e-6);
  EXPECT_NEAR(l.p99_ns, 4096 + 4096 * (18.0 / 20), 1e-6);
  ASSERT_EQ(l.buckets.size(), 2u);
  EXPECT_EQ(l.buckets[0].lo_ns, 1024u);
  EXPECT_EQ(l.buckets[0].hi_ns, 2048u);
  EXPECT_EQ(l.buckets[0].count, 180u);
}

TEST_F(BusyWindow, TopTalkersAndFanout) {
  ASSERT_EQ(s_.talkers.top.size(), 2u);
  const Talker &flood = s_.talkers.top[0];
  EXPECT_EQ(flood.addr, "198.51.100.7");
  EXPECT_EQ(flood.family, 4);
  EXPECT_EQ(flood.traffic.packets, 2000u);
  EXPECT_DOUBLE_EQ(flood.traffic.pps, 1000.0);
  EXPECT_DOUBLE_EQ(flood.icmp_echo.per_s, 1000.0);
  EXPECT_DOUBLE_EQ(flood.xdp_drop.per_s, 900.0);
  EXPECT_EQ(s_.talkers.top[1].addr, "2001:db8::9");
  ASSERT_EQ(s_.talkers.top[1].udp_reflection.size(), 1u);
  EXPECT_EQ(s_.talkers.top[1].udp_reflection[0].port, 123);
  EXPECT_EQ(s_.talkers.top[1].udp_reflection[0].packets.count, 2u);
  EXPECT_EQ(s_.talkers.active_sources, 2u);
  EXPECT_EQ(s_.talkers.others.packets, 0u);
  // The scanner leads the fan-out list; a source with one port is not in it.
  ASSERT_EQ(s_.talkers.fanout.size(), 1u);
  EXPECT_EQ(s_.talkers.fanout[0].addr, "2001:db8::9");
  EXPECT_EQ(s_.talkers.fanout[0].distinct_dports, 50u);
  EXPECT_DOUBLE_EQ(s_.talkers.fanout[0].tcp_syn.per_s, 50.0);
}

TEST_F(BusyWindow, RulesWithHitsOriginShadowAndTtl) {
  ASSERT_EQ(s_.interfaces.size(), 1u);
  const InterfaceSummary &i = s_.interfaces[0];
  EXPECT_EQ(i.name, "eth0");
  EXPECT_EQ(i.policy, "edge");
  EXPECT_TRUE(i.attached);
  EXPECT_EQ(i.rules_total, 3u);
  ASSERT_EQ(i.rules.size(), 3u);
  // Most hits first.
  EXPECT_EQ(i.rules[0].name, "icmp_flood");
  EXPECT_EQ(i.rules[0].hits.count, 1800u);
  EXPECT_DOUBLE_EQ(i.rules[0].hits.per_s, 900.0);
  EXPECT_EQ(i.rules[0].total_packets, 2700u);
  EXPECT_EQ(i.rules[0].origin, "detector");
  ASSERT_TRUE(i.rules[0].ttl_left_ms.has_value());
  EXPECT_EQ(*i.rules[0].ttl_left_ms, 600'000u);
  EXPECT_EQ(i.rules[1].name, "mgmt");
  EXPECT_FALSE(i.rules[1].ttl_left_ms.has_value());
  EXPECT_EQ(i.rules[2].name, "frag");
  EXPECT_TRUE(i.rules[2].shadow);
  EXPECT_EQ(i.rules[2].shadow_hits.count, 6u);
  EXPECT_EQ(i.default_rule.hits.count, 290u);
  ASSERT_EQ(i.sets.size(), 1u);
  EXPECT_EQ(i.sets[0].entries, 3u);
}

TEST_F(BusyWindow, HooksAreCopied) {
  ASSERT_EQ(s_.hooks.size(), 3u);
  EXPECT_EQ(s_.hooks[2].missing, "not in this kernel");
}

TEST(BuildSummary, ATracerRestartCountsFromZeroWithoutNegativeRates) {
  Observation prev = busy_observation(10 * kSecond, 10'000, 1000);
  // The tracer restarted: every counter is small again.
  Observation cur = busy_observation(11 * kSecond, 11'000, 1);
  cur.policies = prev.policies; // the policy's counters did not restart
  Summary s = build_summary(prev, cur, 1);
  EXPECT_TRUE(s.counters_reset);
  ASSERT_FALSE(s.notes.empty());
  EXPECT_NE(s.notes[0].find("restarted"), std::string::npos) << s.notes[0];
  // What was counted since the restart, over the window: never more.
  EXPECT_EQ(s.totals.nic.packets, 1050u);
  EXPECT_DOUBLE_EQ(s.totals.nic.pps, 1050.0);
  ASSERT_EQ(s.latency.size(), 1u);
  EXPECT_EQ(s.latency[0].count, 100u);
  EXPECT_EQ(s.tcp.syn_received.count, 20u);
  ASSERT_FALSE(s.talkers.top.empty());
  EXPECT_EQ(s.talkers.top[0].traffic.packets, 1000u);
  EXPECT_EQ(s.interfaces[0].rules[0].hits.count, 0u);
}

TEST(BuildSummary, AWrappedCounterGivesTheTrueIncrease) {
  Observation prev, cur;
  prev.snapshot = testing::snapshot_at(kSecond, 1000);
  cur.snapshot = testing::snapshot_at(2 * kSecond, 2000);
  testing::funnel(prev.snapshot, trace::Proto::Ipv4Udp).nic = {kMax - 9,
                                                               kMax - 99};
  testing::funnel(cur.snapshot, trace::Proto::Ipv4Udp).nic = {90, 900};
  Summary s = build_summary(prev, cur, 1);
  EXPECT_FALSE(s.counters_reset);
  EXPECT_EQ(s.totals.nic.packets, 100u);
  EXPECT_EQ(s.totals.nic.bytes, 1000u);
  EXPECT_DOUBLE_EQ(s.totals.nic.pps, 100.0);
}

TEST(BuildSummary, AWindowWithoutDurationHasCountsButNoRates) {
  Observation prev = busy_observation(5 * kSecond, 5000, 1);
  Observation cur = busy_observation(5 * kSecond, 5000, 2);
  Summary s = build_summary(prev, cur, 1);
  EXPECT_EQ(s.totals.nic.packets, 1050u);
  EXPECT_EQ(s.totals.nic.pps, 0.0);
  EXPECT_EQ(s.window.duration_s, 0.0);
  ASSERT_FALSE(s.notes.empty());
  EXPECT_NE(s.notes[0].find("no duration"), std::string::npos);
}

TEST(BuildSummary, AReasonVanishingFromTheTableIsARestart) {
  Observation prev = busy_observation(kSecond, 1000, 1);
  Observation cur = busy_observation(2 * kSecond, 2000, 1);
  cur.snapshot.drops.clear();
  Summary s = build_summary(prev, cur, 1);
  EXPECT_TRUE(s.counters_reset);
  EXPECT_TRUE(s.drops.empty());
}

TEST(BuildSummary, ASourceCreatedAgainCountsWhole) {
  Observation prev, cur;
  prev.snapshot = testing::snapshot_at(kSecond, 1000);
  cur.snapshot = testing::snapshot_at(2 * kSecond, 2000);
  prev.snapshot.sources.push_back(testing::source("192.0.2.1", 500, 10));
  // Evicted and created again: another first_seen, counters from 0.
  cur.snapshot.sources.push_back(testing::source("192.0.2.1", 40, kSecond + 5));
  // New since the last reading.
  cur.snapshot.sources.push_back(
      testing::source("192.0.2.2", 30, kSecond + 20));
  Summary s = build_summary(prev, cur, 1);
  EXPECT_FALSE(s.counters_reset);
  ASSERT_EQ(s.talkers.top.size(), 2u);
  EXPECT_EQ(s.talkers.top[0].addr, "192.0.2.1");
  EXPECT_EQ(s.talkers.top[0].traffic.packets, 40u);
  EXPECT_EQ(s.talkers.top[1].traffic.packets, 30u);
}

TEST(BuildSummary, ASourceThePreviousReadingMissedCountsNothing) {
  // A read of the per-source table while a spoofed flood churns it can
  // miss an entry; the next reading has it with everything it ever
  // counted. Counted whole, a source blocked a while ago would look like a
  // flood again.
  Observation prev, cur;
  prev.snapshot = testing::snapshot_at(10 * kSecond, 1000);
  cur.snapshot = testing::snapshot_at(11 * kSecond, 2000);
  prev.snapshot.sources.push_back(
      testing::source("192.0.2.7", 10, 10 * kSecond + 1));
  cur.snapshot.sources.push_back(
      testing::source("192.0.2.7", 30, 10 * kSecond + 1));
  // There since 5 s, missing from the reading at 10 s.
  cur.snapshot.sources.push_back(
      testing::source("192.0.2.1", 90000, 5 * kSecond));
  Summary s = build_summary(prev, cur, 1);
  ASSERT_EQ(s.talkers.top.size(), 1u);
  EXPECT_EQ(s.talkers.top[0].addr, "192.0.2.7");
  EXPECT_EQ(s.talkers.top[0].traffic.packets, 20u);
  EXPECT_EQ(s.talkers.active_sources, 1u);
}

TEST(BuildSummary, AFirstSeenThatMovesByATickIsTheSameEntry) {
  Observation prev, cur;
  prev.snapshot = testing::snapshot_at(10 * kSecond, 1000);
  cur.snapshot = testing::snapshot_at(11 * kSecond, 2000);
  uint64_t first = 5 * kSecond;
  prev.snapshot.sources.push_back(testing::source("192.0.2.1", 500, first));
  // Converted from jiffies again at this reading: 4 ms later, or earlier.
  cur.snapshot.sources.push_back(
      testing::source("192.0.2.1", 520, first + 4'000'000));
  prev.snapshot.sources.push_back(testing::source("192.0.2.2", 100, first));
  cur.snapshot.sources.push_back(
      testing::source("192.0.2.2", 130, first - 4'000'000));
  Summary s = build_summary(prev, cur, 1);
  EXPECT_FALSE(s.counters_reset);
  ASSERT_EQ(s.talkers.top.size(), 2u);
  EXPECT_EQ(s.talkers.top[0].addr, "192.0.2.2");
  EXPECT_EQ(s.talkers.top[0].traffic.packets, 30u);
  EXPECT_EQ(s.talkers.top[1].traffic.packets, 20u);
}

TEST(BuildSummary, ASourceCounterGoingDownIsARestart) {
  Observation prev, cur;
  prev.snapshot = testing::snapshot_at(kSecond, 1000);
  cur.snapshot = testing::snapshot_at(2 * kSecond, 2000);
  prev.snapshot.sources.push_back(testing::source("192.0.2.1", 500, 10));
  cur.snapshot.sources.push_back(testing::source("192.0.2.1", 40, 10));
  Summary s = build_summary(prev, cur, 1);
  EXPECT_TRUE(s.counters_reset);
  ASSERT_EQ(s.talkers.top.size(), 1u);
  EXPECT_EQ(s.talkers.top[0].traffic.packets, 40u);
}

TEST(BuildSummary, TopTalkersAreBoundedSortedAndTheRestAddedUp) {
  Observation prev, cur;
  prev.snapshot = testing::snapshot_at(kSecond, 1000);
  cur.snapshot = testing::snapshot_at(2 * kSecond, 2000);
  uint64_t rest = 0;
  for (int i = 0; i < 100; ++i) {
    std::string addr = "203.0.113." + std::to_string(i);
    uint64_t n = static_cast<uint64_t>((i * 37) % 100 + 1);
    cur.snapshot.sources.push_back(testing::source(addr, n));
    rest += n;
  }
  // Idle sources are tracked but not active.
  cur.snapshot.sources.push_back(testing::source("203.0.113.200", 0));
  SummaryOptions o;
  o.top_talkers = 10;
  Summary s = build_summary(prev, cur, 1, o);
  ASSERT_EQ(s.talkers.top.size(), 10u);
  EXPECT_EQ(s.talkers.active_sources, 100u);
  EXPECT_EQ(s.talkers.tracked_sources, 101u);
  uint64_t top = 0;
  for (size_t i = 0; i < s.talkers.top.size(); ++i) {
    top += s.talkers.top[i].traffic.packets;
    if (i > 0) {
      EXPECT_GE(s.talkers.top[i - 1].traffic.packets,
                s.talkers.top[i].traffic.packets);
    }
  }
  EXPECT_EQ(s.talkers.top[0].traffic.packets, 100u);
  EXPECT_EQ(top + s.talkers.others.packets, rest);
}

TEST(BuildSummary, EqualTalkersAreOrderedByAddress) {
  Observation prev, cur;
  prev.snapshot = testing::snapshot_at(kSecond, 1000);
  cur.snapshot = testing::snapshot_at(2 * kSecond, 2000);
  cur.snapshot.sources.push_back(testing::source("192.0.2.9", 10));
  cur.snapshot.sources.push_back(testing::source("192.0.2.3", 10));
  Summary a = build_summary(prev, cur, 1);
  std::swap(cur.snapshot.sources[0], cur.snapshot.sources[1]);
  Summary b = build_summary(prev, cur, 1);
  ASSERT_EQ(a.talkers.top.size(), 2u);
  EXPECT_EQ(a.talkers.top[0].addr, "192.0.2.3");
  EXPECT_EQ(b.talkers.top[0].addr, "192.0.2.3");
}

TEST(BuildSummary, RulesAreCappedMostHitsFirst) {
  Observation prev, cur;
  prev.snapshot = testing::snapshot_at(kSecond, 1000);
  cur.snapshot = testing::snapshot_at(2 * kSecond, 2000);
  std::vector<RuleView> rules;
  for (int i = 0; i < 100; ++i)
    rules.push_back(testing::rule("r" + std::to_string(i), "drop",
                                  static_cast<uint64_t>(i)));
  prev.policies.push_back(testing::policy("eth0", "big", {}));
  cur.policies.push_back(testing::policy("eth0", "big", rules));
  SummaryOptions o;
  o.max_rules = 5;
  Summary s = build_summary(prev, cur, 1, o);
  const InterfaceSummary &i = s.interfaces[0];
  EXPECT_EQ(i.rules_total, 100u);
  ASSERT_EQ(i.rules.size(), 5u);
  EXPECT_EQ(i.rules[0].name, "r99");
  EXPECT_EQ(i.rules[4].name, "r95");
}

TEST(BuildSummary, AnotherPolicyOnTheInterfaceCountsItsRulesFromZero) {
  Observation prev, cur;
  prev.snapshot = testing::snapshot_at(kSecond, 1000);
  cur.snapshot = testing::snapshot_at(2 * kSecond, 2000);
  prev.policies.push_back(
      testing::policy("eth0", "old", {testing::rule("a", "drop", 1000)}));
  cur.policies.push_back(
      testing::policy("eth0", "new", {testing::rule("a", "drop", 7)}));
  Summary s = build_summary(prev, cur, 1);
  EXPECT_EQ(s.interfaces[0].rules[0].hits.count, 7u);
  EXPECT_FALSE(s.counters_reset);
}

TEST(BuildSummary, AnExpiredRuleHasNoTimeLeft) {
  EXPECT_EQ(ttl_left_ms(5 * kSecond, 6 * kSecond), 0u);
  EXPECT_EQ(ttl_left_ms(5 * kSecond, 5 * kSecond), 0u);
  // Rounded up: a rule with 1 ns left has not expired.
  EXPECT_EQ(ttl_left_ms(5 * kSecond + 1, 5 * kSecond), 1u);
}

TEST(BuildSummary, NotesOfTheReadingAreKept) {
  Observation prev = busy_observation(kSecond, 1000, 1);
  Observation cur = busy_observation(2 * kSecond, 2000, 2);
  cur.notes.push_back("the policy status could not be read");
  Summary s = build_summary(prev, cur, 1);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0], "the policy status could not be read");
}

TEST(Latency, EmptyHistogramHasNoQuantile) {
  trace::StackLatency h;
  EXPECT_EQ(latency_quantile(h, 0.5), 0.0);
  LatencySummary s = summarize_latency("ipv4/tcp", h);
  EXPECT_EQ(s.mean_ns, 0.0);
  EXPECT_TRUE(s.buckets.empty());
}

TEST(Latency, BucketBounds) {
  EXPECT_EQ(latency_bucket_lo(0), 0u);
  EXPECT_EQ(latency_bucket_hi(0), 2u);
  EXPECT_EQ(latency_bucket_lo(1), 2u);
  EXPECT_EQ(latency_bucket_hi(31), uint64_t{1} << 32);
}

TEST(Latency, ABucketGoingDownTakesTheNewHistogramWhole) {
  trace::StackLatency a, b;
  a.buckets[3] = 10;
  a.count = 10;
  b.buckets[3] = 2;
  b.buckets[4] = 30;
  b.count = 32;
  bool reset = false;
  trace::StackLatency w = latency_delta(a, b, &reset);
  EXPECT_TRUE(reset);
  EXPECT_EQ(w.count, 32u);
  EXPECT_EQ(w.buckets[3], 2u);
}

} // namespace
} // namespace psr::summary
