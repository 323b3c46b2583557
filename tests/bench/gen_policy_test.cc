// The benchmarks' inputs checked against the language: every policy
// gen_policy.py writes passes `psc check`, and the `hit` and `miss` packets
// of its sidecar get, from the reference interpreter, the rule and the
// verdict the sidecar promises (packet_bench checks the same verdicts on
// the kernel before timing; this catches a generator whose own model of
// PSL drifted, without root).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bench_packets.h"
#include "driver.h"
#include "interp/interpreter.h"

namespace psl::bench {
namespace {

using nlohmann::json;

struct Generated {
  std::string policy;
  json sidecar;
};

class GenPolicy
    : public ::testing::TestWithParam<std::tuple<std::string, int>> {
protected:
  void SetUp() override {
    std::string templ =
        (std::filesystem::temp_directory_path() / "gen_policy_test.XXXXXX")
            .string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty())
      std::filesystem::remove_all(dir_, ec);
  }

  // Runs gen_policy.py; fails the test if it does not succeed.
  Generated generate(const std::string &shape, int rules) {
    const std::string sidecar = dir_ + "/sidecar.json";
    const std::string command = std::string(PSC_BENCH_PYTHON) + " " +
                                PSC_BENCH_GEN_POLICY + " --seed 1 --rules " +
                                std::to_string(rules) + " --shape " + shape +
                                " --sidecar " + sidecar;
    Generated g;
    FILE *pipe = ::popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr) << command;
    if (!pipe)
      return g;
    char buf[65536];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;)
      g.policy.append(buf, n);
    const int status = ::pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
    std::ifstream in(sidecar);
    EXPECT_TRUE(in.good()) << command << " wrote no sidecar";
    if (in.good())
      g.sidecar = json::parse(in);
    return g;
  }

  std::string dir_;
};

// The interpreter's answer for a sidecar packet. Repeated up to `times`
// times at one instant (rate buckets do not refill) until a rule decides.
interp::Decision run(interp::Interpreter &in, const json &spec, int times = 1) {
  const std::vector<uint8_t> frame = frame_of(spec);
  interp::Decision d;
  for (int i = 0; i < times && !d.rule; ++i)
    d = in.evaluate_frame(frame.data(), frame.size(), 1'000'000'000ull);
  return d;
}

TEST_P(GenPolicy, PacketsGetThePromisedRuleAndVerdict) {
  const auto &[shape, rules] = GetParam();
  Generated g = generate(shape, rules);
  ASSERT_FALSE(g.policy.empty());
  CheckedModule m = check_source(shape + ".psl", g.policy);
  ASSERT_TRUE(m.ok()) << "gen_policy.py wrote a policy with errors";
  interp::Interpreter in(*m.module.policy);

  // The miss packet: no rule, the default.
  const json &miss = g.sidecar["miss"];
  interp::Decision d = run(in, miss);
  EXPECT_TRUE(miss["rule"].is_null());
  EXPECT_EQ(d.rule_name(), "default") << miss.dump();
  EXPECT_EQ(action_name(d.verdict), miss["verdict"].get<std::string>());

  const json &hit = g.sidecar["hit"];
  ASSERT_FALSE(hit.is_null());
  const std::string rule = hit["rule"].get<std::string>();
  if (hit["verdict"].is_null()) {
    // A rate rule: the packet reaches it, so once its bucket (at most
    // 10k packets or 10 Mbit here) is dry the rule decides.
    ASSERT_EQ(shape, "rate");
    d = run(in, hit, 25'000);
    EXPECT_EQ(d.rule_name(), rule) << hit.dump();
    EXPECT_EQ(d.verdict, Action::Drop);
    return;
  }
  d = run(in, hit);
  EXPECT_EQ(d.rule_name(), rule) << hit.dump();
  EXPECT_EQ(action_name(d.verdict), hit["verdict"].get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(Shapes, GenPolicy,
                         ::testing::Combine(::testing::Values("exact", "prefix",
                                                              "port", "mixed",
                                                              "rate"),
                                            ::testing::Values(1, 100, 2000)),
                         [](const auto &info) {
                           return std::get<0>(info.param) + "_" +
                                  std::to_string(std::get<1>(info.param));
                         });

} // namespace
} // namespace psl::bench
