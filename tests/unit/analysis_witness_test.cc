// Witnesses (compiler/analysis/witness.h): a normalized box's witness is
// a real packet of it.
#include <gtest/gtest.h>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

TEST(Normalize, WitnessesAreRealPackets) {
  Space sp;
  Box b = box({{kDimIpProto, IntervalSet::point(17)},
               {kTcpDport, IntervalSet::point(22)}});
  ASSERT_TRUE(normalize(b));
  Witness w = witness(b, &b);
  EXPECT_EQ(w.at(kLayerTcp), 0u); // a UDP packet: tcp.dport is its fiber
  EXPECT_EQ(w.at(kLayerIp), 0u);
  Box tcp = box({{kLayerTcp, kOne}, {kDimIpVersion, IntervalSet::point(6)}});
  ASSERT_TRUE(normalize(tcp));
  Witness t = witness(tcp, &tcp);
  EXPECT_EQ(t.at(kLayerIp), 1u);
  EXPECT_EQ(t.at(kDimIpProto), 6u);
  EXPECT_EQ(t.at(kDimEthType), 0x86ddu);
  EXPECT_EQ(describe(tcp, t, sp), "ip.version = 6");
}

} // namespace
} // namespace psl::analysis
