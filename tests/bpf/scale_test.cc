// 100,000 single-address and prefix rules: the class table of ip.src (its
// IPv4 prefixes in the /16 array and the hash of longer prefixes, its IPv6
// ones in an LPM trie), a few lookups per packet whatever the rule count,
// and a program that loads. Also a code budget that names its rules.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
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
  std::string s = "policy big {\n  rule cover: ip.src in 10.200.0.0/16 => pass\n";
  for (size_t i = 0; i < n; ++i) {
    char buf[160];
    const char *act = i % 2 ? "pass" : "drop";
    if (i % 1000 == 999)
      std::snprintf(buf, sizeof buf, "  rule r%zu: ip.src in 2001:db8:%zx:%zx::/64 => %s\n", i,
                    i >> 16, i & 0xffff, act);
    else if (i % 2)
      std::snprintf(buf, sizeof buf, "  rule r%zu: ip.src in 10.%zu.%zu.0/24 => %s\n", i,
                    (i >> 8) & 0xff, i & 0xff, act);
    else
      std::snprintf(buf, sizeof buf, "  rule r%zu: ip.src == 10.%zu.%zu.7 => %s\n", i,
                    (i >> 8) & 0xff, i & 0xff, act);
    s += buf;
  }
  s += "  default pass\n}\n";
  return s;
}

double ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
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
  std::printf("[ scale    ] %zu rules: text -> loaded program %.0f ms (lower %.0f, generate "
              "%.1f, compile %.0f), %zu map entries, %zu bytes of C\n",
              n + 1, total, pol->artifact().lower_ms, pol->artifact().generate_ms,
              pol->artifact().compile_ms, c.entries.size(), pol->artifact().c_source.size());

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

  Pkt miss;
  miss.src = "11.0.0.1";
  auto one = pol->run_raw(build(miss), 1000000);
  std::printf("[ scale    ] BPF_PROG_TEST_RUN: %lld ns/packet (%zu rules, repeat 1000000)\n",
              static_cast<long long>(one.duration.count()), n + 1);
}

TEST(Scale, OneRuleCostPerPacket) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  std::string err;
  auto pol = CompiledPolicy::make("rule r0: ip.src == 10.0.0.7 => drop", &err);
  ASSERT_TRUE(pol) << err;
  Pkt miss;
  miss.src = "11.0.0.1";
  auto one = pol->run_raw(build(miss), 1000000);
  std::printf("[ scale    ] BPF_PROG_TEST_RUN: %lld ns/packet (1 rule, repeat 1000000)\n",
              static_cast<long long>(one.duration.count()));
}

TEST(Scale, CodeBudgetNamesTheRules) {
  std::string text = "policy p {\n";
  for (int i = 0; i < 600; ++i)
    text += "  rule c" + std::to_string(i) + ": ip.ttl == " + std::to_string(i % 200) +
            " => count\n";
  text += "}\n";
  CheckedModule m = check_source("p.psl", text);
  ASSERT_TRUE(m.ok());
  auto r = lower::lower_policy(*m.module.policy, m.diags.file_ptr().get());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->message.find("irregular part is too large"), std::string::npos)
      << r.error->message;
  ASSERT_EQ(r.error->rules.size(), 600u);
  EXPECT_EQ(r.error->rules[0].detail, "it is a count rule");
}

} // namespace
} // namespace psl::bpftest

namespace psl::bpftest {
namespace {

// A packet that the condition of a generated rule (gen_policy.py) holds
// for, or near enough: the address of its prefix, its first port, its
// protocol. The other address stays outside every generated prefix.
Pkt packet_for(const std::string &cond) {
  Pkt p;
  p.src = "11.0.0.1";
  std::smatch m;
  static const std::regex addr(R"((ip\.src|ip\.dst) (==|in) ([0-9a-f:.]+))");
  static const std::regex port(R"((tcp|udp|l4)\.dport (==|in) \{? ?(\d+))");
  static const std::regex proto(R"(ip\.proto == (\w+))");
  if (std::regex_search(cond, m, addr)) {
    std::string a = m[3];
    bool v6 = a.find(':') != std::string::npos;
    p.ip_version = v6 ? 6 : 4;
    p.src = v6 ? "2001:db9::1" : "11.0.0.1";
    p.dst = v6 ? "2001:db9::2" : "192.0.2.1";
    (m[1] == "ip.src" ? p.src : p.dst) = a;
  }
  if (std::regex_search(cond, m, port)) {
    p.proto = m[1] == "tcp" ? 6 : 17;
    p.dport = static_cast<uint16_t>(std::stoul(m[3]));
  }
  if (std::regex_search(cond, m, proto)) {
    static const std::map<std::string, uint8_t> numbers{
        {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}, {"gre", 47}, {"esp", 50}};
    p.proto = numbers.at(m[1]);
  }
  if (cond.find("icmp.type") != std::string::npos)
    p.proto = 1;
  if (cond.find("icmp6.type") != std::string::npos)
    p.proto = 58;
  return p;
}

// PSC_BENCH=1: text -> loaded program for tests/bench/gen_policy.py
// policies (1 and 100,000 rules, every shape), step by step, and the
// per-packet cost of each loaded program for a packet that no generated
// rule matches (miss) and one built for the last generated rule (hit).
// Not part of the normal run.
TEST(Scale, GeneratedPolicyTimings) {
  if (!std::getenv("PSC_BENCH"))
    GTEST_SKIP() << "set PSC_BENCH=1 to run";
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  const char *shapes[] = {"exact", "prefix", "port", "mixed", "rate"};
  const char *only = std::getenv("PSC_BENCH_SHAPE"); // one shape, optional
  for (int n : {1, 100000}) {
    for (const char *shape : shapes) {
      if (only && std::string(only) != shape)
        continue;
      std::string cmd = std::string("python3 ") + PSC_SOURCE_DIR +
                        "/tests/bench/gen_policy.py --rules " + std::to_string(n) + " --shape " +
                        shape + " --seed 1";
      FILE *f = popen(cmd.c_str(), "r");
      ASSERT_TRUE(f);
      std::string text;
      char buf[65536];
      size_t got;
      while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        text.append(buf, got);
      pclose(f);
      std::string last_rule = "rule r" + std::to_string(n - 1) + ": ";
      size_t at = text.find(last_rule);
      ASSERT_NE(at, std::string::npos);
      at += last_rule.size();
      std::string last_cond = text.substr(at, text.find(" => ", at) - at);
      auto t0 = std::chrono::steady_clock::now();
      CheckedModule m = check_source("bench.psl", text);
      double check = ms(t0);
      if (!m.ok()) {
        std::printf("[ bench    ] %s %d: does not check\n", shape, n);
        continue;
      }
      auto built = backend::build_policy(*m.module.policy, m.diags.file_ptr().get());
      if (!built.ok()) {
        std::printf("[ bench    ] %-6s %6d rules: check %.0f ms; build refused: %s\n", shape, n,
                    check, built.error().message.c_str());
        continue;
      }
      auto &a = built.value();
      t0 = std::chrono::steady_clock::now();
      auto obj = backend::BpfObject::open(a.elf, "bench");
      ASSERT_TRUE(obj.ok());
      uint8_t one = 1;
      (void)obj->set_global("psl_clock_from_map", one);
      auto st = obj->load();
      ASSERT_TRUE(st.ok()) << st.error().message;
      double load = ms(t0);
      t0 = std::chrono::steady_clock::now();
      st = backend::write_map_contents(*obj, a.classifier);
      ASSERT_TRUE(st.ok()) << st.error().message;
      double fill = ms(t0);
      backend::TestRunOptions o;
      o.repeat = 1000000;
      Pkt miss;
      miss.src = "11.0.0.1";
      auto r_miss = backend::test_run_xdp(obj->program_fd("psl_policy"), build(miss), o);
      ASSERT_TRUE(r_miss.ok());
      auto r_hit =
          backend::test_run_xdp(obj->program_fd("psl_policy"), build(packet_for(last_cond)), o);
      ASSERT_TRUE(r_hit.ok());
      std::printf(
          "[ bench    ] %-6s %6d rules: check %.0f + lower %.0f + generate %.1f + compile %.0f "
          "+ load %.0f + fill %.0f (%zu entries) = %.0f ms; %zu groups, %zu code rules; "
          "%lld ns/packet miss, %lld ns/packet hit (%s)\n",
          shape, n, check, a.lower_ms, a.generate_ms, a.compile_ms, load, fill,
          a.classifier.entries.size(),
          check + a.lower_ms + a.generate_ms + a.compile_ms + load + fill,
          a.classifier.groups.size(), a.classifier.code.size(),
          static_cast<long long>(r_miss.value().duration.count()),
          static_cast<long long>(r_hit.value().duration.count()), last_cond.c_str());
    }
  }
}

} // namespace
} // namespace psl::bpftest
