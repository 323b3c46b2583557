// The test runner: the timing model of `x N within D`, fresh state per
// test block, time carrying on between lines, count expectations, and the
// failure messages (test, file:line, expected vs got, deciding rule).
#include <gtest/gtest.h>

#include "interp/test_runner.h"
#include "interp_test_util.h"

namespace {

using namespace interp_test;

constexpr uint64_t kSec = 1'000'000'000;
constexpr uint64_t kMs = 1'000'000;

struct Checked {
  std::unique_ptr<CheckedModule> m;
  const Policy &policy() const { return *m->module.policy; }
};
Checked checked(const std::string &body) {
  Checked c{std::make_unique<CheckedModule>(
      check_source("t.psl", "policy t {\n" + body + "\n}\n"))};
  EXPECT_TRUE(c.m->ok()) << errors_of(*c.m);
  return c;
}

// Records what it is asked; passes everything.
class Recorder final : public PacketEvaluator {
public:
  std::string name() const override { return "recorder"; }
  void reset() override { times.push_back({}); }
  backend::Expected<Evaluation> evaluate(const std::vector<uint8_t> &frame,
                                         uint64_t now_ns) override {
    times.back().push_back(now_ns);
    sizes.push_back(frame.size());
    return Evaluation{Action::Pass, -1};
  }
  std::vector<std::vector<uint64_t>> times; // per reset (test block)
  std::vector<size_t> sizes;
};

TEST(TestRunnerTiming, ScheduleLine) {
  LineSchedule s = schedule_line(5, 4, kSec);
  EXPECT_EQ(s.times, (std::vector<uint64_t>{5, 5 + 250 * kMs, 5 + 500 * kMs,
                                            5 + 750 * kMs}));
  EXPECT_EQ(s.next_start, 5 + kSec);
  s = schedule_line(5, 3, 0);
  EXPECT_EQ(s.times, (std::vector<uint64_t>{5, 5, 5}));
  EXPECT_EQ(s.next_start, 5u);
  s = schedule_line(0, 3, 10); // rounded down
  EXPECT_EQ(s.times, (std::vector<uint64_t>{0, 3, 6}));
  // No overflow for long spans.
  s = schedule_line(0, 1000000, 3600 * kSec);
  EXPECT_EQ(s.times.back(), 3600 * kSec / 1000000 * 999999);
}

TEST(TestRunnerTiming, LinesFollowEachOtherAndBlocksStartFresh) {
  Checked c = checked("test \"a\" {\n"
                      "  packet { tcp.dport = 1 } x 4 within 1s => pass\n"
                      "  packet { tcp.dport = 2 } => pass\n"
                      "  packet { tcp.dport = 3 } x 2 => pass\n"
                      "  packet { tcp.dport = 4 } x 2 within 500ms => pass\n"
                      "  packet { tcp.dport = 5 } => pass\n"
                      "}\n"
                      "test \"b\" {\n"
                      "  packet { udp.dport = 1 } => pass\n"
                      "}");
  Recorder rec;
  auto results = run_tests(c.policy(), rec).value();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].passed());
  EXPECT_EQ(results[0].packets_sent, 10u);
  const uint64_t t = kTestStartNs;
  ASSERT_EQ(rec.times.size(), 2u);
  EXPECT_EQ(rec.times[0],
            (std::vector<uint64_t>{
                t, t + 250 * kMs, t + 500 * kMs, t + 750 * kMs, // x 4 within 1s
                t + kSec,                                       // next line
                t + kSec, t + kSec,             // x 2: one instant
                t + kSec, t + kSec + 250 * kMs, // within 500ms
                t + kSec + 500 * kMs}));
  EXPECT_EQ(rec.times[1], (std::vector<uint64_t>{t}));
}

// With a real policy: the bucket carries over from line to line, and a new
// block starts with a full one.
TEST(TestRunnerTiming, RateBucketsCarryOverWithinABlock) {
  Checked c = checked("rule f: rate(ip.src, burst 1) > 1/s => drop\n"
                      "test \"carry\" {\n"
                      "  packet { ip.src = 10.0.0.1 } x 2 within 2s => pass\n"
                      "  packet { ip.src = 10.0.0.1 } => pass\n"
                      "  packet { ip.src = 10.0.0.1 } => drop\n"
                      "  packet { ip.src = 10.0.0.1 } x 3 => drop >= 2\n"
                      "}\n"
                      "test \"fresh\" {\n"
                      "  packet { ip.src = 10.0.0.1 } => pass\n"
                      "}");
  InterpreterEvaluator ev(c.policy());
  auto results = run_tests(c.policy(), ev).value();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].passed())
      << format_failures(c.m->diags.file(), results[0]);
  EXPECT_TRUE(results[1].passed())
      << format_failures(c.m->diags.file(), results[1]);
}

TEST(TestRunnerExpect, CountsAndMessages) {
  Checked c = checked(
      "rule ssh: tcp.dport == 22 => drop\n"
      "rule flood: icmp.type == echo_request and rate(ip.src) > 100/s => drop\n"
      "test \"flood\" {\n"
      "  packet { icmp.type = echo_request } x 1000 within 1s => drop >= 750\n"
      "  packet { icmp.type = echo_request } x 1000 within 1s => drop >= 950\n"
      "  packet { icmp.type = echo_request } x 1000 within 1s => pass < 50\n"
      "  packet { icmp.type = echo_request } x 1000 within 1s => drop == 1000\n"
      "}\n"
      "test \"single\" {\n"
      "  packet { tcp.dport = 22 } => pass\n"
      "  packet { tcp.dport = 23 } => drop\n"
      "  packet { tcp.dport = 22 } x 3 => pass\n"
      "  packet { tcp.dport = 23 } => pass\n"
      "}\n"
      "test \"bad packet\" {\n"
      "  packet { ip.len = 10, udp.dport = 1 } => pass\n"
      "}");
  InterpreterEvaluator ev(c.policy());
  auto results = run_tests(c.policy(), ev).value();
  ASSERT_EQ(results.size(), 3u);
  const SourceFile &file = c.m->diags.file();
  const auto &flood = results[0].failures;
  ASSERT_EQ(flood.size(), 3u) << format_failures(file, results[0]);
  EXPECT_EQ(flood[0].range.begin.line, 6u);
  EXPECT_EQ(flood[1].range.begin.line, 7u);
  EXPECT_EQ(flood[2].range.begin.line, 8u);
  for (const auto &f : flood) {
    EXPECT_EQ(f.sent, 1000u);
    EXPECT_EQ(f.dropped + f.passed, 1000u);
    EXPECT_EQ(f.drop_rules.at("flood"), f.dropped);
    EXPECT_EQ(f.pass_rules.at("default"), f.passed);
  }
  EXPECT_EQ(flood[0].message,
            "expected drop >= 950 of 1000 copies, got drop " +
                std::to_string(flood[0].dropped) + " (rule 'flood' " +
                std::to_string(flood[0].dropped) + "), pass " +
                std::to_string(flood[0].passed) + " (default " +
                std::to_string(flood[0].passed) + ")");
  EXPECT_EQ(format_failures(file, results[0]).substr(0, 38),
            "t.psl:6:3: test \"flood\": expected drop");

  EXPECT_EQ(
      format_failures(file, results[1]),
      "t.psl:11:3: test \"single\": expected pass, got drop (rule 'ssh')\n"
      "t.psl:12:3: test \"single\": expected drop, got pass (default)\n"
      "t.psl:13:3: test \"single\": expected pass for all 3 copies, got drop 3 "
      "(rule 'ssh' "
      "3), pass 0\n");
  EXPECT_EQ(format_failures(file, results[2]),
            "t.psl:17:12: test \"bad packet\": cannot build a packet with "
            "ip.len = 10: the "
            "headers alone are 28 bytes (IPv4 header 20, UDP header 8)\n");
  EXPECT_TRUE(results[2].failures[0].build_error);
}

// The flood numbers themselves: 1000 echo requests in 1 s against 100/s
// (burst 100): 100 at once, then one per 10 ms for the rest of the second.
TEST(TestRunnerExpect, FloodArithmetic) {
  Checked c =
      checked("rule flood: rate(ip.src) > 100/s => drop\n"
              "test \"flood\" {\n"
              "  packet { ip.src = 10.0.0.1 } x 1000 within 1s => drop == 801\n"
              "}");
  InterpreterEvaluator ev(c.policy());
  auto r = run_test(c.policy(), *c.policy().tests.at(0), ev).value();
  EXPECT_TRUE(r.passed()) << format_failures(c.m->diags.file(), r);
}

TEST(TestRunnerExpect, CountRulesAndShadowDoNotChangeVerdicts) {
  Checked c = checked("rule c: tcp.dport == 22 => count\n"
                      "rule s: tcp.dport == 22 => drop shadow\n"
                      "test \"t\" {\n"
                      "  packet { tcp.dport = 22 } => pass\n"
                      "}");
  InterpreterEvaluator ev(c.policy());
  EXPECT_TRUE(run_tests(c.policy(), ev).value().at(0).passed());
  EXPECT_EQ(ev.interpreter().rule_counter(0).packets, 1u);
  EXPECT_EQ(ev.interpreter().rule_counter(1).packets, 1u);
}

} // namespace
