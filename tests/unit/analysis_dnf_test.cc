// The one DNF expansion (compiler/analysis/dnf.h). First on its own, with
// a toy term (sets of a 16-point universe) whose answers are checked by
// brute force: and, or, not, true and false, the order of the terms (the
// lowering's output follows it), the limit and its growth allowance, and
// that the term's simplification is applied. Then with boxes, the checks'
// term: point membership, the limit, and simplify(). (The lowering's term,
// lower::Conj, is tested in lower_pieces_test.)
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

// A term: the points 0..15 whose bit is set. Absorb: simplify by dropping
// terms inside another (the earlier of equal ones stays); else simplify
// does nothing, as for the lowering's term.
template <bool Absorb>
struct Mask {
  uint16_t bits = 0xffff;
};
using Raw = Mask<false>;
using Absorbing = Mask<true>;

} // namespace

template <bool Absorb>
struct DnfTerm<Mask<Absorb>> {
  using M = Mask<Absorb>;
  static M top() { return M{}; }
  static bool meet(const M &a, const M &b, M &out) {
    out.bits = a.bits & b.bits;
    return out.bits != 0;
  }
  static void subtract(const M &a, const M &b, std::vector<M> &out) {
    if (uint16_t rest = a.bits & ~b.bits)
      out.push_back(M{rest});
  }
  static void simplify(std::vector<M> &d) {
    if (!Absorb)
      return;
    std::vector<M> kept;
    for (size_t i = 0; i < d.size(); ++i) {
      bool inside = false;
      for (size_t j = 0; j < d.size() && !inside; ++j)
        inside = i != j && (d[i].bits & ~d[j].bits) == 0 &&
                 (d[i].bits != d[j].bits || j < i);
      if (!inside)
        kept.push_back(d[i]);
    }
    d = std::move(kept);
  }
};

namespace {

template <bool A>
uint32_t points(const std::vector<Mask<A>> &d) {
  uint32_t p = 0;
  for (const auto &m : d)
    p |= m.bits;
  return p;
}

template <bool A>
std::vector<Mask<A>> masks(std::vector<uint16_t> bits) {
  std::vector<Mask<A>> d;
  for (uint16_t b : bits)
    d.push_back(Mask<A>{b});
  return d;
}

template <bool A>
void check_against_points(uint32_t seed) {
  std::mt19937 rng(seed);
  const DnfLimits limits{1024};
  auto rand_dnf = [&] {
    std::vector<Mask<A>> d;
    for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i)
      if (uint16_t b = static_cast<uint16_t>(rng() & rng()))
        d.push_back(Mask<A>{b});
    return d;
  };
  for (int round = 0; round < 500; ++round) {
    auto x = rand_dnf(), y = rand_dnf();
    auto both = dnf_and(x, y, limits);
    auto either = dnf_or(x, y, limits);
    auto not_x = dnf_not(x, limits);
    ASSERT_TRUE(both && either && not_x);
    EXPECT_EQ(points(*both), points(x) & points(y)) << "round " << round;
    EXPECT_EQ(points(*either), points(x) | points(y)) << "round " << round;
    EXPECT_EQ(points(*not_x), ~points(x) & 0xffffu) << "round " << round;
  }
}

TEST(DnfExpansion, AndOrNotMatchPoints) {
  check_against_points<false>(1);
  check_against_points<true>(2);
}

TEST(DnfExpansion, TrueAndFalse) {
  const DnfLimits limits;
  const auto t = dnf_true<Raw>();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].bits, 0xffff);
  const std::vector<Raw> f;
  auto not_t = dnf_not(t, limits);
  ASSERT_TRUE(not_t);
  EXPECT_TRUE(not_t->empty());
  auto not_f = dnf_not(f, limits);
  ASSERT_TRUE(not_f);
  EXPECT_EQ(points(*not_f), 0xffffu);
  auto x = masks<false>({0x00f0, 0x0f00});
  EXPECT_TRUE(dnf_and(x, f, limits)->empty());
  EXPECT_EQ(dnf_and(x, t, limits)->size(), 2u);
  EXPECT_EQ(dnf_or(x, f, limits)->size(), 2u);
}

TEST(DnfExpansion, TermsKeepTheirOrder) {
  // and: a's terms outer, b's inner, empty meets dropped; or: a's, then
  // b's. Without simplification nothing else moves.
  auto a = masks<false>({0x000f, 0x00f0});
  auto b = masks<false>({0x0011, 0x0f00, 0x0022});
  auto both = dnf_and(a, b, DnfLimits{});
  ASSERT_TRUE(both);
  ASSERT_EQ(both->size(), 4u);
  EXPECT_EQ((*both)[0].bits, 0x0001);
  EXPECT_EQ((*both)[1].bits, 0x0002);
  EXPECT_EQ((*both)[2].bits, 0x0010);
  EXPECT_EQ((*both)[3].bits, 0x0020);
  auto either = dnf_or(a, b, DnfLimits{});
  ASSERT_TRUE(either);
  ASSERT_EQ(either->size(), 5u);
  EXPECT_EQ((*either)[0].bits, 0x000f);
  EXPECT_EQ((*either)[2].bits, 0x0011);
  EXPECT_EQ((*either)[4].bits, 0x0022);
}

TEST(DnfExpansion, LimitIsOnTheResult) {
  auto a = masks<false>({0x0001, 0x0002, 0x0004});
  auto b = masks<false>({0x0010, 0x0020});
  EXPECT_TRUE(dnf_or(a, b, DnfLimits{5}));
  EXPECT_FALSE(dnf_or(a, b, DnfLimits{4}));
  auto c = masks<false>({0x0013, 0x0026, 0x0045});
  auto d = masks<false>({0x00ff, 0x00ff, 0x00ff});
  EXPECT_TRUE(dnf_and(c, d, DnfLimits{9}));  // 9 meets, none empty
  EXPECT_FALSE(dnf_and(c, d, DnfLimits{8})); // kept as written: 9 > 8
}

TEST(DnfExpansion, SimplificationWithinTheGrowthAllowance) {
  // k copies of everything and k copies of everything: k * k equal meets,
  // which absorption makes one. Within kDnfGrowth * max_terms before the
  // simplification they are kept; past it the operation gives up.
  const DnfLimits limits{2};
  auto copies = [](size_t k) { return std::vector<Absorbing>(k, Absorbing{}); };
  auto small = dnf_and(copies(2), copies(4), limits); // 8 = 4 * 2
  ASSERT_TRUE(small);
  EXPECT_EQ(small->size(), 1u);
  EXPECT_FALSE(dnf_and(copies(3), copies(3), limits)); // 9 > 8
  // The same without simplification: the result itself is too large.
  EXPECT_FALSE(dnf_and(std::vector<Raw>(2), std::vector<Raw>(2), limits));
  // or simplifies too.
  auto either = dnf_or(copies(2), copies(2), limits);
  ASSERT_TRUE(either);
  EXPECT_EQ(either->size(), 1u);
}

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

TEST(DnfBoxes, AndOrNotMatchPointMembership) {
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

TEST(DnfBoxes, TrueAndFalse) {
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

TEST(DnfBoxes, TooManyBoxesIsTooComplex) {
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

TEST(DnfBoxes, SimplifyAbsorbsAndMerges) {
  Space sp;
  Dnf d = {ip4(0, 10, 0, 0), ip4(2, 3, 0, 0), ip4(11, 20, 0, 0)};
  simplify(d);
  // 2..3 lies inside 0..10; 0..10 and 11..20 differ only in ttl.
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(*d[0].find(kTtl), IntervalSet::range(0, 20));
}

} // namespace
} // namespace psl::analysis
