// Boxes as text (compiler/analysis/describe.h): the packet a lint
// diagnostic names, and the dump the tests read.
#include <gtest/gtest.h>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

TEST(Describe, NamesTheConstrainedFieldsOfTheWitness) {
  Space sp;
  Box b = v4_prefix(kDimIpSrc4, 0x0a000000, 8);
  b.restrict(kLayerTcp, kOne);
  b.restrict(kTcpDport, IntervalSet::range(22, 23));
  ASSERT_TRUE(normalize(b));
  // The least value of each field; ip.proto and the version are implied.
  EXPECT_EQ(describe(b, witness(b, &b), sp),
            "ip.src = 10.0.0.0, tcp.dport = 22");
}

TEST(Describe, LayersAloneAndOpaqueAtoms) {
  Space sp;
  Box udp = box({{kLayerUdp, kOne}});
  ASSERT_TRUE(normalize(udp));
  EXPECT_EQ(describe(udp, witness(udp, &udp), sp), "any udp packet");
  Box non_ip = box({{kLayerIp, kZero}});
  ASSERT_TRUE(normalize(non_ip));
  EXPECT_EQ(describe(non_ip, witness(non_ip, &non_ip), sp),
            "any non-ip packet");
  Box all;
  EXPECT_EQ(describe(all, witness(all, &all), sp), "any packet");
  DimId banned = sp.opaque("ip.src in banned");
  Box out = box({{banned, kZero}});
  EXPECT_EQ(describe(out, witness(out, &out), sp), "not (ip.src in banned)");
  // An atom the witness's source does not fix is left out.
  EXPECT_EQ(describe(out, witness(out, &all), sp), "any packet");
}

TEST(Describe, ToStringOfBoxesAndUnions) {
  Space sp;
  Box b = box({{kTcpDport, IntervalSet::range(80, 81)}});
  EXPECT_EQ(to_string(b, sp), "{tcp.dport 80..81}");
  EXPECT_EQ(to_string(Dnf{}, sp), "false");
  EXPECT_EQ(to_string(Dnf{Box{}}, sp), "{}");
}

TEST(Space, DimensionsAndOpaqueAtoms) {
  Space sp;
  EXPECT_EQ(sp.dim_name(kLayerTcp), "layer tcp");
  EXPECT_EQ(sp.dim_name(kTcpDport), "tcp.dport");
  EXPECT_EQ(sp.dim_name(kIpSrc6), "ip.src");
  EXPECT_EQ(dim_max(kTcpDport), Point{65535});
  EXPECT_EQ(dim_max(kDimIpSrc4), Point{0xffffffff});
  EXPECT_EQ(dim_max(kIpSrc6), kMaxPoint);
  DimId a = sp.opaque("ip.src in banned");
  EXPECT_TRUE(is_opaque(a));
  EXPECT_EQ(sp.opaque("ip.src in banned"), a); // the same key, the same atom
  DimId f = sp.fresh_opaque("x");
  EXPECT_NE(f, a);
  EXPECT_NE(sp.fresh_opaque("x"), f); // fresh atoms are never shared
  EXPECT_EQ(sp.dim_name(a), "ip.src in banned");
  EXPECT_EQ(dim_max(a), Point{1});
}

} // namespace
} // namespace psl::analysis
