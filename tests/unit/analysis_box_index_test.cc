// BoxIndex (compiler/analysis/box_index.h) against brute force.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

// The index against brute force, on many random prefixes and ports.
TEST(BoxIndex, QueriesMatchBruteForce) {
  std::mt19937 rng(11);
  std::vector<Box> boxes;
  for (int i = 0; i < 3000; ++i) {
    Box b;
    switch (rng() % 3) {
    case 0:
      b = v4_prefix(kDimIpSrc4, rng(), 8 + rng() % 25);
      break;
    case 1:
      b = v4_prefix(kDimIpDst4, rng(), 16 + rng() % 17);
      break;
    default: {
      b.restrict(kLayerTcp, kOne);
      Point lo = rng() % 65536, hi = std::min<Point>(65535, lo + rng() % 300);
      b.restrict(kTcpDport, IntervalSet::range(lo, hi));
      normalize(b);
    }
    }
    boxes.push_back(std::move(b));
  }
  BoxIndex index;
  for (uint32_t i = 0; i < boxes.size(); ++i)
    index.insert(&boxes[i], i);
  auto all = [](uint32_t) { return true; };
  for (int q = 0; q < 300; ++q) {
    // A packet: TCP over IPv4 with random addresses and port.
    Witness w;
    w.fixed[kLayerIp] = 1;
    w.fixed[kLayerTcp] = rng() % 2;
    w.fixed[kDimIpVersion] = 4;
    w.fixed[kDimEthType] = 0x0800;
    w.fixed[kDimIpProto] = 6;
    w.fixed[kDimIpSrc4] = rng() & (q % 2 ? 0xffffffffu : 0x0f0fffffu);
    w.fixed[kDimIpDst4] = rng();
    w.fixed[kTcpDport] = rng() % 65536;
    std::vector<uint32_t> got, want;
    index.for_each_containing(w, all, [&](uint32_t id) {
      got.push_back(index.entry(id).tag);
      return true;
    });
    for (uint32_t i = 0; i < boxes.size(); ++i)
      if (box_contains(boxes[i], w))
        want.push_back(i);
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, want) << "query " << q;

    Box probe = v4_prefix(kDimIpSrc4, rng(), 4 + rng() % 29);
    got.clear();
    want.clear();
    index.for_each_intersecting(probe, all, [&](uint32_t id) {
      got.push_back(index.entry(id).tag);
      return true;
    });
    for (uint32_t i = 0; i < boxes.size(); ++i)
      if (intersects(boxes[i], probe))
        want.push_back(i);
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, want) << "probe " << q;
  }
}

TEST(BoxIndex, LeastTagMeetingInDecreasingOrder) {
  std::vector<Box> boxes = {v4_prefix(kDimIpSrc4, 0x0a000000, 8),
                            v4_prefix(kDimIpDst4, 0x0b000000, 8),
                            v4_prefix(kDimIpSrc4, 0x0c000000, 8)};
  BoxIndex index;
  // Tags 30, 20, 10: inserted bottom-up as the lint's backward pass does.
  index.insert(&boxes[0], 30);
  index.insert(&boxes[1], 20);
  index.insert(&boxes[2], 10);
  Box q1 = v4_prefix(kDimIpSrc4, 0x0a010000, 16); // meets 30 and 20
  EXPECT_EQ(index.least_tag_meeting(q1, 100), 20u);
  Box q2 = v4_prefix(kDimIpSrc4, 0x0c010000, 16); // meets 20 and 10
  EXPECT_EQ(index.least_tag_meeting(q2, 100), 10u);
  Box q3 = v4_prefix(kDimIpSrc4, 0x0d000000, 8);
  q3.restrict(kDimIpDst4, IntervalSet::point(1));
  EXPECT_EQ(index.least_tag_meeting(q3, 100), UINT32_MAX);
}

} // namespace
} // namespace psl::analysis
