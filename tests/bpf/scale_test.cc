// 100,000 single-address and prefix rules: the class table of ip.src (its
// IPv4 prefixes in the /16 array and the hash of longer prefixes, its IPv6
// ones in an LPM trie), a few lookups per packet whatever the rule count,
// and a program that loads. Also a code budget that names its rules.
#include <chrono>
#include <cstdio>
#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "driver.h"
#include "lower/lower.h"
#include "policy_harness.h"

namespace psl::bpftest {
namespace {

// rN: ip.src in <prefix N> => drop (odd N: pass). Every 1000th rule is an
// IPv6 /64; the rest IPv4 /24 and /32 under 10.0.0.0/8, with an early /16
// that covers later rules (priorities must survive the nesting).
std::string prefix_policy(size_t n) {
  std::string s =
      "policy big {\n  rule cover: ip.src in 10.200.0.0/16 => pass\n";
  for (size_t i = 0; i < n; ++i) {
    char buf[160];
    const char *act = i % 2 ? "pass" : "drop";
    if (i % 1000 == 999)
      std::snprintf(buf, sizeof buf,
                    "  rule r%zu: ip.src in 2001:db8:%zx:%zx::/64 => %s\n", i,
                    i >> 16, i & 0xffff, act);
    else if (i % 2)
      std::snprintf(buf, sizeof buf,
                    "  rule r%zu: ip.src in 10.%zu.%zu.0/24 => %s\n", i,
                    (i >> 8) & 0xff, i & 0xff, act);
    else
      std::snprintf(buf, sizeof buf,
                    "  rule r%zu: ip.src == 10.%zu.%zu.7 => %s\n", i,
                    (i >> 8) & 0xff, i & 0xff, act);
    s += buf;
  }
  s += "  default pass\n}\n";
  return s;
}

double ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

TEST(Scale, HundredThousandPrefixRulesAreOneLookup) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  const size_t n = 100000;
  std::string text = prefix_policy(n);
  auto t0 = std::chrono::steady_clock::now();
  std::string err;
  auto pol = CompiledPolicy::make(text, &err, false);
  ASSERT_TRUE(pol) << err.substr(0, 4000);
  double total = ms(t0);
  const auto &c = pol->artifact().classifier;
  ASSERT_EQ(c.groups.size(), 1u) << lower::to_string(c).substr(0, 2000);
  EXPECT_EQ(c.code.size(), 0u);
  EXPECT_EQ(c.groups[0].shape, "lpm ip.src, ipv4 by /16 array + hash");
  EXPECT_EQ(c.groups[0].rules.size(), n + 1);
  std::printf("[ scale    ] %zu rules: text -> loaded program %.0f ms (lower "
              "%.0f, generate "
              "%.1f, compile %.0f), %zu map entries, %zu bytes of C\n",
              n + 1, total, pol->artifact().lower_ms,
              pol->artifact().generate_ms, pol->artifact().compile_ms,
              c.entries.size(), pol->artifact().c_source.size());

  // 10.0.0.7 is r0 (drop); 10.200.1.7 is under `cover` (pass) before r...
  Pkt p;
  p.src = "10.0.0.7";
  EXPECT_EQ(pol->run(p), "drop");
  p.src = "10.0.1.9"; // r1: 10.0.1.0/24 pass
  EXPECT_EQ(pol->run(p), "pass");
  EXPECT_EQ(pol->count("r1"), 1u);
  p.src = "10.0.2.7"; // r2 drop
  EXPECT_EQ(pol->run(p), "drop");
  // 10.200.x: r(0xc8xx) would drop, but `cover` comes first.
  p.src = "10.200.2.7";
  EXPECT_EQ(pol->run(p), "pass");
  EXPECT_EQ(pol->count("cover"), 1u);
  p.ip_version = 6;
  p.src = "2001:db8:0:3e7::1"; // r999 (odd: pass)
  p.dst = "2001:db8::1";
  EXPECT_EQ(pol->run(p), "pass");
  EXPECT_EQ(pol->count("r999"), 1u);
  p.src = "2001:db8:0:7cf::1"; // r1999
  EXPECT_EQ(pol->run(p), "pass");
  // Outside every prefix: the default. (Its cost per packet against the
  // rule count is packet_bench's to measure, not this test's.)
  Pkt miss;
  miss.src = "11.0.0.1";
  EXPECT_EQ(pol->run(miss), "pass");
  EXPECT_EQ(pol->default_count(), 1u);
}

TEST(Scale, CodeBudgetNamesTheRules) {
  std::string text = "policy p {\n";
  for (int i = 0; i < 600; ++i)
    text += "  rule c" + std::to_string(i) +
            ": ip.ttl == " + std::to_string(i % 200) + " => count\n";
  text += "}\n";
  CheckedModule m = check_source("p.psl", text);
  ASSERT_TRUE(m.ok());
  auto r = lower::lower_policy(*m.module.policy, m.diags.file_ptr().get());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->message.find("irregular part is too large"),
            std::string::npos)
      << r.error->message;
  ASSERT_EQ(r.error->rules.size(), 600u);
  EXPECT_EQ(r.error->rules[0].detail, "it is a count rule");
}

} // namespace
} // namespace psl::bpftest
