// IntervalSet (compiler/analysis/interval_set.h): construction, the set
// operations, the top of the 128-bit domain, the inline and heap forms.
#include <gtest/gtest.h>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

TEST(IntervalSet, FromSortsAndMergesOverlappingAndAdjacent) {
  EXPECT_EQ(str(set_of({{10, 20}, {1, 3}, {4, 5}, {15, 30}, {40, 40}})),
            "1-5,10-30,40");
  EXPECT_EQ(str(set_of({{5, 4}})), "{}"); // an empty interval is dropped
}

TEST(IntervalSet, Operations) {
  IntervalSet a = set_of({{0, 10}, {20, 30}});
  IntervalSet b = set_of({{5, 25}});
  EXPECT_EQ(str(a.intersect(b)), "5-10,20-25");
  EXPECT_EQ(str(a.unite(b)), "0-30");
  EXPECT_EQ(str(a.minus(b)), "0-4,26-30");
  EXPECT_EQ(str(b.minus(a)), "11-19");
  EXPECT_EQ(str(a.complement(40)), "11-19,31-40");
  EXPECT_TRUE(a.intersects(b));
  EXPECT_FALSE(a.intersects(set_of({{11, 19}})));
  EXPECT_TRUE(a.covers(set_of({{1, 2}, {21, 30}})));
  EXPECT_FALSE(a.covers(set_of({{9, 21}})));
  EXPECT_TRUE(a.contains(30));
  EXPECT_FALSE(a.contains(15));
  EXPECT_TRUE(IntervalSet::range(0, 65535).is_full(65535));
}

TEST(IntervalSet, WorksAtTheTopOf128Bits) {
  Point max = ~Point{0};
  IntervalSet all = IntervalSet::range(0, max);
  IntervalSet top = IntervalSet::point(max);
  EXPECT_TRUE(all.minus(top).covers(IntervalSet::range(0, max - 1)));
  EXPECT_FALSE(all.minus(top).contains(max));
  EXPECT_EQ(set_of({{0, max}, {5, 6}}).size(), 1u);
  EXPECT_TRUE(top.complement(max).is_full(max - 1));
}

TEST(IntervalSet, OneIntervalAgainstMany) {
  std::vector<Interval> many;
  for (Point i = 0; i < 100; ++i)
    many.push_back({i * 10, i * 10 + 4});
  IntervalSet m = set_of(many);
  EXPECT_TRUE(m.intersects(IntervalSet::range(503, 507)));
  EXPECT_FALSE(m.intersects(IntervalSet::range(505, 509)));
  EXPECT_TRUE(IntervalSet::range(505, 510).intersects(m));
}

} // namespace
} // namespace psl::analysis
