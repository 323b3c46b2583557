// A proposal's evidence read back: counter names resolved in summary
// windows (what the LLM analyzer checks a model's citations with), and
// the packet rate an evidence shows (what the governor holds a shadow
// rule's hits against). analyze/evidence.h.
#include <gtest/gtest.h>

#include "analyze/evidence.h"
#include "summary_fixture.h"

namespace {

namespace an = psr::analyze;
using nlohmann::json;

json window() {
  psl::testing::WindowSpec w;
  w.seq = 12;
  w.duration_s = 10;
  w.talkers = {{"203.0.113.7", 5600, 5400, 0, 0, 3},
               {"2001:db8::9", 200, 0, 150, 0, 0},
               {"198.51.100.53", 2100, 0, 0, 2000, 0}};
  return psl::testing::make_summary(w);
}

TEST(AnalyzeEvidence, CounterNamesParse) {
  auto s = an::parse_counter_name("talkers.top[203.0.113.7].tcp_syn.per_s");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ((*s)[1].member, "top");
  EXPECT_EQ((*s)[1].key, "203.0.113.7");
  EXPECT_FALSE((*s)[2].key);
  s = an::parse_counter_name("talkers.top[\"2001:db8::9\"].icmp_echo");
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)[1].key, "2001:db8::9");
  for (const char *bad :
       {"", ".a", "a.", "a..b", "a[", "a[]", "a[b[c]]", "a b", "a.[x]", "a]b"})
    EXPECT_FALSE(an::parse_counter_name(bad)) << bad;
  EXPECT_FALSE(an::parse_counter_name(std::string(201, 'a')));
}

TEST(AnalyzeEvidence, CountersResolveInAWindow) {
  const json w = window();
  auto r = an::resolve_counter(w, "talkers.top[203.0.113.7].tcp_syn.per_s");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "talkers.top[203.0.113.7].tcp_syn.per_s");
  EXPECT_EQ(r->value, 5400);
  // As the compact summaries show them: a {count, per_s} is its rate, a
  // volume its pps.
  r = an::resolve_counter(w, "talkers.top[203.0.113.7].tcp_syn");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "talkers.top[203.0.113.7].tcp_syn.per_s");
  EXPECT_EQ(r->value, 5400);
  r = an::resolve_counter(w, "talkers.top[2001:db8::9].traffic");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "talkers.top[2001:db8::9].traffic.pps");
  EXPECT_EQ(r->value, 200);
  r = an::resolve_counter(w, "talkers.top[198.51.100.53].udp_reflection[53]");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "talkers.top[198.51.100.53].udp_reflection[53].per_s");
  EXPECT_EQ(r->value, 2000);
  r = an::resolve_counter(w, "totals.nic.packets");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, w["totals"]["nic"]["packets"].get<double>());
  // What a window does not have, or what is not a number.
  for (const char *missing :
       {"talkers.top[192.0.2.1].tcp_syn", "talkers.top.tcp_syn",
        "talkers.top[203.0.113.7].nothing", "talkers.top", "talkers",
        "interfaces[eth0].name", "seq.x", "talkers.top[0].tcp_syn"})
    EXPECT_FALSE(an::resolve_counter(w, missing)) << missing;
}

TEST(AnalyzeEvidence, UnitsByTheLastMember) {
  EXPECT_EQ(an::counter_unit("a.tcp_syn.per_s"), an::CounterUnit::PacketRate);
  EXPECT_EQ(an::counter_unit("a.traffic.pps"), an::CounterUnit::PacketRate);
  EXPECT_EQ(an::counter_unit("a.traffic.packets"),
            an::CounterUnit::PacketCount);
  EXPECT_EQ(an::counter_unit("a.tcp_syn.count"), an::CounterUnit::PacketCount);
  for (const char *other :
       {"a.traffic.bps", "a.traffic.bytes", "a[1.2.3.4].distinct_dports",
        "talkers.active_sources", "tcp.half_open_estimate", "nonsense["})
    EXPECT_EQ(an::counter_unit(other), an::CounterUnit::Other) << other;
}

an::Evidence evidence(std::vector<an::EvidenceCounter> counters) {
  an::Evidence e;
  e.windows = {{12, 1000, 11000}, {13, 11000, 12000}};
  e.counters = std::move(counters);
  e.cited = true;
  return e;
}

TEST(AnalyzeEvidence, TheCitedRateAddsTalkersAndTakesAWindowsLargest) {
  // One talker read three ways is one stream: its largest rate.
  an::CitedRate r = an::cited_rate(
      evidence({{12, "talkers.top[203.0.113.7].tcp_syn.per_s", 5400},
                {12, "talkers.top[203.0.113.7].traffic.pps", 5600},
                {12, "talkers.fanout[203.0.113.7].tcp_syn.count", 54000}}));
  ASSERT_TRUE(r.known);
  EXPECT_DOUBLE_EQ(r.pps, 5600);
  EXPECT_EQ(r.window, 12u);
  EXPECT_EQ(r.basis, "talkers.top[203.0.113.7].traffic.pps = 5600");
  // Talkers add up; a count is divided by its window's length (10 s).
  r = an::cited_rate(
      evidence({{12, "talkers.top[203.0.113.7].tcp_syn.per_s", 5400},
                {12, "talkers.top[198.51.100.1].tcp_syn.count", 20000},
                {12, "talkers.active_sources", 900}}));
  EXPECT_DOUBLE_EQ(r.pps, 7400);
  EXPECT_EQ(r.basis, "talkers.top[203.0.113.7].tcp_syn.per_s = 5400, "
                     "talkers.top[198.51.100.1].tcp_syn.count = 20000");
  // A counter of the whole window stands alone, and wins when larger.
  r = an::cited_rate(
      evidence({{12, "talkers.top[203.0.113.7].tcp_syn.per_s", 5400},
                {12, "tcp.syn_received.per_s", 9000},
                {12, "talkers.all.tcp_syn.per_s", 8900}}));
  EXPECT_DOUBLE_EQ(r.pps, 9000);
  EXPECT_EQ(r.basis, "tcp.syn_received.per_s = 9000");
  // The largest window counts.
  r = an::cited_rate(evidence({{12, "tcp.syn_received.per_s", 900},
                               {13, "tcp.syn_received.count", 3000}}));
  EXPECT_DOUBLE_EQ(r.pps, 3000);
  EXPECT_EQ(r.window, 13u);
}

TEST(AnalyzeEvidence, NoPacketRateIsNotACitedRate) {
  EXPECT_FALSE(an::cited_rate(an::Evidence{}).known);
  // Distinct ports and sources are not packets; a count without its
  // window's length has no rate; zeros and nonsense count for nothing.
  an::CitedRate r = an::cited_rate(
      evidence({{12, "talkers.fanout[203.0.113.7].distinct_dports", 900},
                {12, "talkers.active_sources", 900},
                {99, "talkers.top[203.0.113.7].tcp_syn.count", 50},
                {12, "talkers.top[203.0.113.7].tcp_syn.per_s", 0},
                {12, "talkers.top[203.0.113.7].udp.per_s", -5},
                {12, "not a name", 500}}));
  EXPECT_FALSE(r.known);
  EXPECT_EQ(r.pps, 0);
}

} // namespace
