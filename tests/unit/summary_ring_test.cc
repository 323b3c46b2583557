// The ring of the last N summaries and the log of sampled packet paths.
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "summary/path_log.h"
#include "summary/ring.h"
#include "summary_test_util.h"

namespace psr::summary {
namespace {

Summary summary(uint64_t seq, uint64_t end_unix_ms) {
  Summary s;
  s.seq = seq;
  s.window.end_unix_ms = end_unix_ms;
  return s;
}

TEST(SummaryRing, KeepsTheLastNWithTheirJson) {
  SummaryRing ring(3);
  EXPECT_FALSE(ring.latest().has_value());
  for (uint64_t i = 1; i <= 5; ++i)
    ring.push(summary(i, 1000 * i));
  EXPECT_EQ(ring.size(), 3u);
  ASSERT_TRUE(ring.latest().has_value());
  EXPECT_EQ(ring.latest()->seq(), 5u);
  auto j = nlohmann::json::parse(*ring.latest()->json);
  EXPECT_EQ(j["seq"], 5);
  EXPECT_EQ(j["version"], kSchemaVersion);
  std::vector<RingEntry> all = ring.after_seq(0, 100);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].seq(), 3u);
  EXPECT_EQ(all[2].seq(), 5u);
  size_t bytes = 0;
  for (const RingEntry &e : all)
    bytes += e.json->size();
  EXPECT_EQ(ring.json_bytes(), bytes);
}

TEST(SummaryRing, SinceIsByWindowEndOldestFirstWithALimit) {
  SummaryRing ring(10);
  for (uint64_t i = 1; i <= 6; ++i)
    ring.push(summary(i, 1000 * i));
  bool more = true;
  std::vector<RingEntry> got = ring.since_unix_ms(3000, 100, &more);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].seq(), 4u);
  EXPECT_FALSE(more);
  got = ring.since_unix_ms(0, 2, &more);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq(), 1u);
  EXPECT_EQ(got[1].seq(), 2u);
  EXPECT_TRUE(more);
  EXPECT_TRUE(ring.since_unix_ms(6000, 10).empty());
  got = ring.after_seq(4, 10, &more);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq(), 5u);
}

TEST(SummaryRing, AClockSetBackDoesNotHideLaterWindows) {
  SummaryRing ring(10);
  ring.push(summary(1, 5000));
  ring.push(summary(2, 2000)); // the wall clock went back
  ring.push(summary(3, 6000));
  std::vector<RingEntry> got = ring.since_unix_ms(4000, 10);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq(), 1u);
  EXPECT_EQ(got[1].seq(), 3u);
}

TEST(SummaryRing, ReadersAndAWriterAtOnce) {
  SummaryRing ring(16);
  std::thread writer([&] {
    for (uint64_t i = 1; i <= 2000; ++i)
      ring.push(summary(i, i));
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r)
    readers.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto got = ring.after_seq(0, 100);
        for (size_t k = 1; k < got.size(); ++k)
          ASSERT_EQ(got[k].seq(), got[k - 1].seq() + 1);
      }
    });
  writer.join();
  for (auto &t : readers)
    t.join();
  EXPECT_EQ(ring.latest()->seq(), 2000u);
  EXPECT_EQ(ring.size(), 16u);
}

trace::PacketPath path(uint64_t id, const std::string &src,
                       const std::string &dst, uint16_t sport, uint16_t dport,
                       trace::Proto proto) {
  trace::PacketPath p;
  p.id = id;
  uint8_t family = 0;
  p.saddr = *parse_address(src, &family);
  p.daddr = *parse_address(dst);
  p.family = family;
  p.sport = sport;
  p.dport = dport;
  p.proto = proto;
  p.len = 60;
  p.steps.push_back({100, "xdp", "pass", "allow_web", ""});
  p.steps.push_back({250, "net:netif_receive_skb", "pass", "", ""});
  p.steps.push_back({900, "skb:kfree_skb", "dropped", "", "NO_SOCKET"});
  p.outcome = "dropped in the stack: NO_SOCKET";
  return p;
}

TEST(PathLog, FiltersByAddressPortAndProtocolNewestFirst) {
  PathLog log(100);
  log.add(
      {path(1, "198.51.100.1", "192.0.2.1", 40000, 443, trace::Proto::Ipv4Tcp),
       path(2, "198.51.100.2", "192.0.2.1", 40001, 53, trace::Proto::Ipv4Udp),
       path(3, "2001:db8::1", "2001:db8::2", 5000, 443,
            trace::Proto::Ipv6Tcp)});
  PathFilter all;
  auto got = log.find(all);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, 3u);

  PathFilter by_addr;
  by_addr.addr = parse_address("192.0.2.1");
  got = log.find(by_addr);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, 2u);

  PathFilter by_src;
  by_src.src = parse_address("192.0.2.1");
  EXPECT_TRUE(log.find(by_src).empty());

  PathFilter by_port;
  by_port.port = 443;
  got = log.find(by_port);
  ASSERT_EQ(got.size(), 2u);
  PathFilter by_sport;
  by_sport.sport = 40001;
  ASSERT_EQ(log.find(by_sport).size(), 1u);

  PathFilter v6;
  v6.proto = trace::Proto::Ipv6Tcp;
  v6.dport = 443;
  got = log.find(v6);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, 3u);

  PathFilter one;
  one.limit = 1;
  EXPECT_EQ(log.find(one).size(), 1u);
}

TEST(PathLog, IsBounded) {
  PathLog log(5);
  for (uint64_t i = 1; i <= 12; ++i)
    log.add(
        {path(i, "198.51.100.1", "192.0.2.1", 1, 2, trace::Proto::Ipv4Udp)});
  EXPECT_EQ(log.size(), 5u);
  EXPECT_EQ(log.total_added(), 12u);
  EXPECT_EQ(log.find(PathFilter{}).back().id, 8u);
}

TEST(PathLog, JsonHasAddressesAsTextAndEveryStep) {
  auto j = to_json(
      path(9, "198.51.100.1", "192.0.2.1", 40000, 443, trace::Proto::Ipv4Tcp));
  EXPECT_EQ(j["src"], "198.51.100.1");
  EXPECT_EQ(j["dst"], "192.0.2.1");
  EXPECT_EQ(j["proto"], "ipv4/tcp");
  EXPECT_EQ(j["family"], 4);
  ASSERT_EQ(j["steps"].size(), 3u);
  EXPECT_EQ(j["steps"][2]["reason"], "NO_SOCKET");
  EXPECT_EQ(j["outcome"], "dropped in the stack: NO_SOCKET");
}

} // namespace
} // namespace psr::summary
