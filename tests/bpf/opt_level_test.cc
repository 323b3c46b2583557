// psc build --opt-level (PolicyBuildOptions::opt_level) under
// BPF_PROG_TEST_RUN: a policy with rate groups and a code rule between
// rate rules, whose psl_rate_drain() the verifier refused at -O1 before
// the drain's loop had one exit, loads at -O1 and -O2 and gives the same
// verdicts and counters at both.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "policy_harness.h"

namespace psl::bpftest {
namespace {

// Two rate groups (keyed by source address and by destination port), and a
// code rule between two rate rules, so psl_rate_drain() runs with an
// `upto` below the last candidate and again after the code rule.
const char *const kPolicy = R"(policy rates {
  rule src_flood: ip.src in 198.51.100.0/24 and rate(ip.src) > 3/s => drop
  rule low_ttl: ip.ttl < 2 => drop
  rule port_flood: udp.dport == 53 and rate(udp.dport) > 5/s => drop
  default pass
}
)";

const std::vector<std::string> kRules = {"src_flood", "low_ttl", "port_flood"};

struct Trace {
  std::vector<std::string> verdicts;
  std::vector<uint64_t> counts; // each rule's, then the default's
};

// 10 packets from one source to port 53 at one instant, then one with
// TTL 1 from elsewhere.
Trace run_at(int opt_level) {
  codegen::PolicyBuildOptions o;
  o.opt_level = opt_level;
  // Rate groups are a layout of maps; the cost model could take three
  // rules to code.
  o.lower.cost.mode = lower::CostOptions::Mode::Maps;
  BuildFailure failure;
  auto pol = CompiledPolicy::build(kPolicy, &failure, o);
  Trace t;
  EXPECT_TRUE(pol) << "-O" << opt_level << ": "
                   << build_stage_name(failure.stage) << ": "
                   << failure.message;
  if (!pol)
    return t;
  EXPECT_EQ(pol->artifact().classifier.rate_groups, 2u)
      << "the rate rules went to code: psl_rate_drain() is not exercised";
  pol->set_clock(1'000'000'000);
  Pkt p;
  p.src = "198.51.100.7";
  p.dst = "192.0.2.1";
  p.proto = 17;
  p.dport = 53;
  for (int i = 0; i < 10; ++i)
    t.verdicts.push_back(pol->run(p));
  Pkt ttl = p;
  ttl.src = "203.0.113.9";
  ttl.ttl = 1;
  t.verdicts.push_back(pol->run(ttl));
  for (const std::string &r : kRules)
    t.counts.push_back(pol->count(r));
  t.counts.push_back(pol->default_count());
  return t;
}

TEST(OptLevel, RateGroupsVerifyAndAgreeAtO1AndO2) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  const Trace o2 = run_at(2), o1 = run_at(1);
  ASSERT_EQ(o2.verdicts.size(), 11u);
  EXPECT_EQ(o1.verdicts, o2.verdicts);
  EXPECT_EQ(o1.counts, o2.counts);
  // Not vacuous: the source's bucket passes some and drops the rest, and
  // the code rule between the rate rules decides the last packet.
  EXPECT_EQ(o2.verdicts.front(), "pass");
  EXPECT_EQ(o2.verdicts[9], "drop");
  EXPECT_EQ(o2.verdicts.back(), "drop");
  EXPECT_GT(o2.counts[0], 0u);
  EXPECT_EQ(o2.counts[1], 1u);
}

} // namespace
} // namespace psl::bpftest
