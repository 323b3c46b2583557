// The DNF algebra (compiler/analysis/dnf.h): and, or, not against point
// membership, the box limit, and simplify().
#include <gtest/gtest.h>

#include <random>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

const DimId kTtl = field_dim(FieldId::IpTtl);
const DimId kTos = field_dim(FieldId::IpTos);

// An IPv4 packet with ttl and tos in the given ranges.
Box ip4(Point ttl_lo, Point ttl_hi, Point tos_lo, Point tos_hi) {
  Box b = box({{kLayerIp, kOne},
               {kDimIpVersion, IntervalSet::point(4)},
               {kTtl, IntervalSet::range(ttl_lo, ttl_hi)},
               {kTos, IntervalSet::range(tos_lo, tos_hi)}});
  EXPECT_TRUE(normalize(b));
  return b;
}

Witness packet(Point ttl, Point tos) {
  Witness w;
  w.fixed[kLayerIp] = 1;
  w.fixed[kDimIpVersion] = 4;
  w.fixed[kDimEthType] = 0x0800;
  w.fixed[kTtl] = ttl;
  w.fixed[kTos] = tos;
  return w;
}

bool in(const Dnf &d, const Witness &w) {
  for (const Box &b : d)
    if (box_contains(b, w))
      return true;
  return false;
}

TEST(Dnf, AndOrNotMatchPointMembership) {
  std::mt19937 rng(5);
  DnfLimits limits;
  for (int round = 0; round < 200; ++round) {
    auto r = [&] { return static_cast<Point>(rng() % 20); };
    auto rand_dnf = [&] {
      Dnf d;
      for (int i = 0, n = 1 + rng() % 3; i < n; ++i) {
        Point a = r(), b = r(), c = r(), e = r();
        d.push_back(ip4(std::min(a, b), std::max(a, b), std::min(c, e),
                        std::max(c, e)));
      }
      return d;
    };
    Dnf x = rand_dnf(), y = rand_dnf();
    auto both = dnf_and(x, y, limits);
    auto either = dnf_or(x, y, limits);
    auto not_x = dnf_not(x, limits);
    ASSERT_TRUE(both && either && not_x);
    for (int k = 0; k < 30; ++k) {
      Witness w = packet(r(), r());
      EXPECT_EQ(in(*both, w), in(x, w) && in(y, w)) << "round " << round;
      EXPECT_EQ(in(*either, w), in(x, w) || in(y, w)) << "round " << round;
      EXPECT_EQ(in(*not_x, w), !in(x, w)) << "round " << round;
    }
  }
}

TEST(Dnf, TrueAndFalse) {
  DnfLimits limits;
  Dnf t = dnf_true();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].unconstrained());
  auto f = dnf_not(t, limits);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->empty());
  auto t2 = dnf_not(Dnf{}, limits);
  ASSERT_TRUE(t2);
  EXPECT_TRUE(always_true(*t2));
}

TEST(Dnf, TooManyBoxesIsTooComplex) {
  // Boxes that differ in two dimensions at once, so that simplify() can
  // merge none of the products.
  const DimId kLen = field_dim(FieldId::IpLen);
  const DimId kPkt = field_dim(FieldId::PktLen);
  DnfLimits small{4};
  Dnf a, b;
  for (Point i = 0; i < 3; ++i) {
    Box x = ip4(i * 2, i * 2, 0, 255);
    x.restrict(kLen, IntervalSet::point(i * 2));
    Box y = ip4(0, 255, i * 2, i * 2);
    y.restrict(kPkt, IntervalSet::point(i * 2));
    a.push_back(x);
    b.push_back(y);
  }
  EXPECT_FALSE(dnf_and(a, b, small).has_value()); // 9 boxes > 4
  EXPECT_FALSE(dnf_or(a, b, small).has_value());  // 6 boxes > 4
  auto all = dnf_and(a, b, DnfLimits{});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 9u);
}

TEST(Dnf, SimplifyAbsorbsAndMerges) {
  Space sp;
  Dnf d = {ip4(0, 10, 0, 0), ip4(2, 3, 0, 0), ip4(11, 20, 0, 0)};
  simplify(d);
  // 2..3 lies inside 0..10; 0..10 and 11..20 differ only in ttl.
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(*d[0].find(kTtl), IntervalSet::range(0, 20));
}

} // namespace
} // namespace psl::analysis
