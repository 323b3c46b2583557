// Boxes (compiler/analysis/box.h, normalize.h): the layer implications,
// subtraction against point membership, intersection and containment.
#include <gtest/gtest.h>

#include <random>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

TEST(Normalize, TcpImpliesIpProtocolVersionAndFirstFragment) {
  Space sp;
  Box b = box({{kLayerTcp, kOne}});
  ASSERT_TRUE(normalize(b));
  EXPECT_EQ(to_string(b, sp),
            "{tcp, ip, eth.type 0x0800|0x86dd, ip.version 4|6, ip.proto tcp, "
            "ip.frag_off 0}");
}

TEST(Normalize, IcmpIsIpv4AndIcmp6IsIpv6) {
  Space sp;
  Box b = box({{kLayerIcmp, kOne}});
  ASSERT_TRUE(normalize(b));
  EXPECT_EQ(to_string(b, sp), "{icmp, ip, eth.type 0x0800, ip.version 4, "
                              "ip.proto icmp, ip.frag_off 0}");
  Box both = box({{kLayerIcmp, kOne}, {kLayerIcmp6, kOne}});
  EXPECT_FALSE(normalize(both));
}

TEST(Normalize, ConflictingLayersAreEmpty) {
  Box tcp_udp = box({{kLayerTcp, kOne}, {kLayerUdp, kOne}});
  EXPECT_FALSE(normalize(tcp_udp));
  Box tcp_no_ip = box({{kLayerTcp, kOne}, {kLayerIp, kZero}});
  EXPECT_FALSE(normalize(tcp_no_ip));
  Box tcp_later_fragment =
      box({{kLayerTcp, kOne}, {kDimIpFragOff, IntervalSet::range(8, 65535)}});
  EXPECT_FALSE(normalize(tcp_later_fragment));
  Box v6_ipv4_ethertype = box({{kLayerIp, kOne},
                               {kDimIpVersion, IntervalSet::point(6)},
                               {kDimEthType, IntervalSet::point(0x0800)}});
  EXPECT_FALSE(normalize(v6_ipv4_ethertype));
}

// A layer that cannot be present stays unconstrained (the witness picks
// it absent, which is a real packet): ip.proto udp with tcp free.

TEST(Subtract, PiecesAreDisjointAndExact) {
  Space sp;
  Box a = box({{kLayerTcp, kOne}, {kTcpDport, IntervalSet::range(0, 1023)}});
  Box b = box({{kLayerTcp, kOne}, {kTcpDport, IntervalSet::point(22)}});
  ASSERT_TRUE(normalize(a) && normalize(b));
  std::vector<Box> out;
  subtract(a, b, out);
  EXPECT_EQ(to_string(out, sp),
            "{tcp, ip, eth.type 0x0800|0x86dd, ip.version 4|6, ip.proto tcp, "
            "ip.frag_off 0, tcp.dport 0..21|23..1023}");
  // Everything minus tcp.dport 22: no tcp, or tcp with another port.
  out.clear();
  subtract(Box{}, b, out);
  EXPECT_EQ(to_string(out, sp),
            "{!tcp} | {tcp, ip, eth.type 0x0800|0x86dd, ip.version 4|6, "
            "ip.proto tcp, ip.frag_off 0, tcp.dport 0..21|23..65535}");
}

// Random boxes over a few small dimensions: a point is in a \ b exactly
// when it is in one piece.
TEST(Subtract, MatchesPointMembership) {
  std::mt19937 rng(7);
  auto rand_set = [&](Point max) {
    Point lo = rng() % (max + 1), hi = rng() % (max + 1);
    if (lo > hi)
      std::swap(lo, hi);
    return IntervalSet::range(lo, hi);
  };
  for (int round = 0; round < 300; ++round) {
    Box a, b;
    for (DimId d : {field_dim(FieldId::IpTtl), field_dim(FieldId::PktLen),
                    field_dim(FieldId::IpTos)}) {
      if (rng() % 3)
        a.restrict(d, rand_set(40));
      if (rng() % 3)
        b.restrict(d, rand_set(40));
    }
    if (!normalize(a) || !normalize(b))
      continue;
    std::vector<Box> pieces;
    subtract(a, b, pieces);
    for (int k = 0; k < 50; ++k) {
      Witness w;
      w.fixed[field_dim(FieldId::IpTtl)] = rng() % 42;
      w.fixed[field_dim(FieldId::PktLen)] = rng() % 42;
      w.fixed[field_dim(FieldId::IpTos)] = rng() % 42;
      w.fixed[kLayerIp] = 1;
      w.fixed[kDimIpVersion] = 4;
      w.fixed[kDimEthType] = 0x0800;
      int in = 0;
      for (const auto &p : pieces)
        in += box_contains(p, w);
      bool expect = box_contains(a, w) && !box_contains(b, w);
      ASSERT_EQ(in, expect ? 1 : 0) << "round " << round;
    }
  }
}

TEST(Box, IntersectAndContain) {
  Box ports =
      box({{kLayerTcp, kOne}, {kTcpDport, IntervalSet::range(0, 1023)}});
  Box ssh = box({{kLayerTcp, kOne}, {kTcpDport, IntervalSet::point(22)}});
  Box udp = box({{kLayerUdp, kOne}});
  ASSERT_TRUE(normalize(ports) && normalize(ssh) && normalize(udp));
  Box meet;
  ASSERT_TRUE(intersect(ports, ssh, &meet));
  EXPECT_EQ(meet, ssh);
  EXPECT_TRUE(intersects(ports, ssh));
  // TCP and UDP exclude each other through ip.proto.
  EXPECT_FALSE(intersect(ports, udp, &meet));
  EXPECT_FALSE(intersects(ports, udp));
  EXPECT_TRUE(box_contains(ports, ssh));
  EXPECT_FALSE(box_contains(ssh, ports));
  EXPECT_TRUE(box_contains(Box{}, udp)); // the unconstrained box holds all
}

TEST(Box, RestrictSetAndErase) {
  Box b;
  EXPECT_TRUE(b.restrict(kTcpDport, IntervalSet::range(10, 20)));
  EXPECT_FALSE(b.restrict(kTcpDport, IntervalSet::range(30, 40)));
  b.set(kTcpDport, IntervalSet::point(5));
  ASSERT_NE(b.find(kTcpDport), nullptr);
  EXPECT_EQ(*b.find(kTcpDport), IntervalSet::point(5));
  b.erase(kTcpDport);
  EXPECT_TRUE(b.unconstrained());
}

} // namespace
} // namespace psl::analysis
