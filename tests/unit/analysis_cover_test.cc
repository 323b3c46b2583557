// cover() (compiler/analysis/cover.h): unions of boxes, and opaque atoms
// that only cover the same atom.
#include <gtest/gtest.h>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

TEST(Cover, UnionOfSeveralBoxes) {
  std::vector<Box> rules = {v4_prefix(kDimIpSrc4, 0x0a000000, 9),  // 10.0/9
                            v4_prefix(kDimIpSrc4, 0x0a800000, 9)}; // 10.128/9
  BoxIndex index;
  for (uint32_t i = 0; i < rules.size(); ++i)
    index.insert(&rules[i], i);
  Box region = v4_prefix(kDimIpSrc4, 0x0a010000, 16);
  region.restrict(kLayerTcp, kOne);
  normalize(region);
  Box whole = v4_prefix(kDimIpSrc4, 0x0a000000, 8);
  auto all = [](uint32_t) { return true; };
  auto r1 = cover({CoverItem{&region, &region}}, index, all);
  EXPECT_EQ(r1.status, CoverResult::Status::Covered);
  EXPECT_EQ(r1.used, std::vector<uint32_t>{0});
  auto r2 = cover({CoverItem{&whole, &whole}}, index, all);
  ASSERT_EQ(r2.status, CoverResult::Status::Covered);
  std::sort(r2.used.begin(), r2.used.end());
  EXPECT_EQ(r2.used, (std::vector<uint32_t>{0, 1}));
  // Without the second rule, a witness from 10.128/9 is left.
  auto r3 = cover({CoverItem{&whole, &whole}}, index,
                  [](uint32_t t) { return t == 0; });
  ASSERT_EQ(r3.status, CoverResult::Status::NotCovered);
  Space sp;
  EXPECT_EQ(describe(r3.uncovered_box, *r3.uncovered, sp),
            "ip.src = 10.128.0.0");
}

TEST(Cover, OpaqueAtomsOnlyCoverTheSameAtom) {
  Space sp;
  DimId banned = sp.opaque("ip.src in banned");
  Box rule = v4_prefix(kDimIpSrc4, 0x0a000000, 8);
  rule.restrict(banned, kOne);
  BoxIndex index;
  index.insert(&rule, 0);
  auto all = [](uint32_t) { return true; };
  Box plain = v4_prefix(kDimIpSrc4, 0x0a010000, 16);
  EXPECT_EQ(cover({CoverItem{&plain, &plain}}, index, all).status,
            CoverResult::Status::NotCovered);
  Box with = plain;
  with.restrict(banned, kOne);
  EXPECT_EQ(cover({CoverItem{&with, &with}}, index, all).status,
            CoverResult::Status::Covered);
  Box against = plain;
  against.restrict(banned, kZero);
  EXPECT_EQ(cover({CoverItem{&against, &against}}, index, all).status,
            CoverResult::Status::NotCovered);
}

} // namespace
} // namespace psl::analysis
