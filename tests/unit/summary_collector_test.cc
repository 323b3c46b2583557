// The collector: readings from fake sources -> windows in the ring.
#include <deque>
#include <string>

#include <gtest/gtest.h>

#include "summary/collector.h"
#include "summary_test_util.h"

namespace psr::summary {
namespace {

namespace be = psl::backend;
using testing::busy_observation;
using testing::kSecond;

class FakeTrace : public TraceSource {
public:
  std::deque<be::Expected<trace::Snapshot>> readings;
  std::vector<trace::PacketPath> paths;
  be::Expected<trace::Snapshot> snapshot() override {
    auto r = readings.front();
    readings.pop_front();
    return r;
  }
  std::vector<trace::PacketPath> take_paths() override {
    return std::move(paths);
  }
};

class FakePolicy : public PolicyStatusSource {
public:
  std::deque<be::Expected<std::vector<PolicyView>>> readings;
  be::Expected<std::vector<PolicyView>> policies() override {
    auto r = readings.front();
    readings.pop_front();
    return r;
  }
};

class CollectorTest : public ::testing::Test {
protected:
  void reading(uint64_t second, uint64_t scale) {
    Observation o = busy_observation(second * kSecond, second * 1000, scale);
    trace_.readings.push_back(o.snapshot);
    policy_.readings.push_back(o.policies);
  }
  FakeTrace trace_;
  FakePolicy policy_;
  SummaryRing ring_{10};
  PathLog paths_{10};
  Collector collector_{trace_, policy_, ring_, paths_};
};

TEST_F(CollectorTest, TheFirstReadingOnlyStartsAWindow) {
  reading(1, 1);
  reading(2, 2);
  auto first = collector_.tick();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value());
  EXPECT_EQ(ring_.size(), 0u);
  ASSERT_NE(collector_.latest(), nullptr);
  auto second = collector_.tick();
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->seq(), 1u);
  EXPECT_EQ((*second)->summary->totals.nic.packets, 1050u);
  EXPECT_EQ(collector_.windows(), 1u);
  EXPECT_EQ(ring_.latest()->seq(), 1u);
  EXPECT_EQ(collector_.latest()->snapshot.taken_ns, 2 * kSecond);
}

TEST_F(CollectorTest, AFailedReadingEndsNoWindowAndTheNextSpansTheGap) {
  reading(1, 1);
  trace_.readings.push_back(be::Error("cannot read map 'psr_funnel'"));
  reading(3, 5);
  ASSERT_TRUE(collector_.tick().ok());
  auto failed = collector_.tick();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "cannot read map 'psr_funnel'");
  EXPECT_EQ(collector_.failed_readings(), 1u);
  auto next = collector_.tick();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  const Summary &s = *(*next)->summary;
  EXPECT_EQ(s.seq, 1u);
  EXPECT_DOUBLE_EQ(s.window.duration_s, 2.0);
  EXPECT_EQ(s.totals.nic.packets, 4 * 1050u);
}

TEST_F(CollectorTest, WithoutPolicyStatusTheLastOneStandsInAndANoteSaysSo) {
  reading(1, 1);
  Observation o = busy_observation(2 * kSecond, 2000, 2);
  trace_.readings.push_back(o.snapshot);
  policy_.readings.push_back(be::Error("no such pin"));
  ASSERT_TRUE(collector_.tick().ok());
  auto got = collector_.tick();
  ASSERT_TRUE(got.ok());
  const Summary &s = *(*got)->summary;
  ASSERT_EQ(s.interfaces.size(), 1u);
  EXPECT_EQ(s.interfaces[0].policy, "edge");
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].find("no such pin"), std::string::npos) << s.notes[0];
}

TEST_F(CollectorTest, PathsGoToTheLog) {
  reading(1, 1);
  trace::PacketPath p;
  p.id = 77;
  trace_.paths.push_back(p);
  ASSERT_TRUE(collector_.tick().ok());
  ASSERT_EQ(paths_.size(), 1u);
  EXPECT_EQ(paths_.find(PathFilter{})[0].id, 77u);
}

} // namespace
} // namespace psr::summary
