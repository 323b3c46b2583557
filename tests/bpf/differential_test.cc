// Compiled code against the reference interpreter (compiler/interp) on
// random policies and random packets: same verdict, same per-rule and
// shadow counters, same default count, rate() buckets included.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "driver.h"
#include "interp/interpreter.h"
#include "policy_harness.h"

namespace psl::bpftest {
namespace {

class RandomPolicy {
public:
  explicit RandomPolicy(uint32_t seed) : rng_(seed) {}

  std::string atom() {
    switch (pick(16)) {
    case 0:
      return "tcp.dport == " + port();
    case 1:
      return "udp.dport in { " + port() + ", " + port() + " }";
    case 2:
      return "ip.src in " + std::string(pick(2) ? "10.0.0.0/8" : "10.1.0.0/16");
    case 3:
      return "ip.src in 2001:db8::/32";
    case 4:
      return "ip.ttl < " + std::to_string(1 + pick(100));
    case 5:
      return "tcp.syn";
    case 6:
      return "tcp.ack";
    case 7:
      return "icmp.type == echo_request";
    case 8:
      return "ip.proto == udp";
    case 9:
      return "l4.dport in 50..60";
    case 10:
      return "vlan.id == 7";
    case 11:
      return "ip.frag";
    case 12:
      return "pkt.len > 100";
    case 13:
      return "ip.dst == 192.0.2.1";
    case 14:
      return "ip.src == 10.1.2.3";
    default:
      return "ip.dst in { 192.0.2.0/30, 2001:db8::1 }";
    }
  }

  std::string cond(int depth) {
    if (depth == 0 || pick(3) == 0)
      return (pick(4) == 0 ? "not " : "") + atom();
    std::string op = pick(2) ? " and " : " or ";
    std::string c = "(" + cond(depth - 1) + op + cond(depth - 1) + ")";
    return pick(5) == 0 ? "not " + c : c;
  }

  std::string policy(int rules) {
    std::string s = "policy rnd {\n";
    for (int i = 0; i < rules; ++i) {
      std::string c = cond(2);
      if (pick(6) == 0)
        c += " and rate(ip.src) > 3/s";
      int a = pick(8);
      std::string act = a < 3 ? "pass" : a < 6 ? "drop" : a < 7 ? "count" : "drop shadow";
      s += "  rule r" + std::to_string(i) + ": " + c + " => " + act + "\n";
    }
    s += std::string("  default ") + (pick(2) ? "pass" : "drop") + "\n}\n";
    return s;
  }

  Pkt packet() {
    Pkt p;
    p.ip_version = pick(10) == 0 ? 0 : pick(3) == 0 ? 6 : 4;
    if (p.ip_version == 0)
      p.eth_type = pick(2) ? 0x0806 : 0x88b5;
    const char *v4[] = {"10.1.2.3", "10.9.0.1", "192.0.2.1", "198.51.100.1", "10.1.0.9"};
    const char *v6[] = {"2001:db8::1", "2001:db8::2", "2001:db9::1", "::ffff:10.1.2.3"};
    if (p.ip_version == 4) {
      p.src = v4[pick(5)];
      p.dst = v4[pick(5)];
    } else if (p.ip_version == 6) {
      p.src = v6[pick(4)];
      p.dst = v6[pick(4)];
    }
    int pr = pick(4);
    p.proto = pr == 0 ? 6 : pr == 1 ? 17 : pr == 2 ? (p.ip_version == 6 ? 58 : 1) : 47;
    p.dport = static_cast<uint16_t>(std::stoi(port()));
    p.tcp_flags = static_cast<uint8_t>(pick(4) == 0 ? 0x12 : pick(2) ? 0x02 : 0x10);
    p.ttl = static_cast<uint8_t>(pick(2) ? 64 : 1 + pick(10));
    p.icmp_type = pick(2) ? (p.ip_version == 6 ? 128 : 8) : 0;
    if (pick(8) == 0)
      p.vlans = {static_cast<uint16_t>(pick(2) ? 7 : 8)};
    if (p.ip_version == 4 && pick(10) == 0)
      p.mf = true;
    if (p.ip_version == 6 && pick(10) == 0)
      p.ext = {{44, 0, 0, true}};
    p.payload = pick(3) == 0 ? 200 : 10;
    if (pick(15) == 0)
      p.truncate = 14 + 20 + 4 + pick(10);
    return p;
  }

private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  std::string port() {
    const int ports[] = {22, 53, 55, 80, 443};
    return std::to_string(ports[pick(5)]);
  }
  std::mt19937 rng_;
};

TEST(Differential, CompiledCodeAgreesWithTheInterpreter) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  // PSC_DIFF_POLICIES=N widens the search (default 12).
  const char *env = std::getenv("PSC_DIFF_POLICIES");
  const int kPolicies = env ? std::atoi(env) : 12, kPackets = 150;
  for (int seed = 1; seed <= kPolicies; ++seed) {
    auto t0 = std::chrono::steady_clock::now();
    RandomPolicy gen(static_cast<uint32_t>(seed));
    std::string text = gen.policy(8);
    if (std::getenv("PSC_DIFF_PRINT"))
      std::printf("%s", text.c_str()), std::fflush(stdout);
    CheckedModule checked = check_source("rnd.psl", text);
    ASSERT_TRUE(checked.ok()) << text;
    std::string err;
    auto pol = CompiledPolicy::make(text, &err, false);
    ASSERT_TRUE(pol) << err.substr(0, 3000) << "\n" << text;
    auto t1 = std::chrono::steady_clock::now();
    interp::Interpreter interp(*checked.module.policy);
    const uint64_t now = 1000000000ull;
    pol->set_clock(now);
    for (int i = 0; i < kPackets; ++i) {
      Pkt p = gen.packet();
      std::vector<uint8_t> frame = build(p);
      interp::Decision d = interp.evaluate_frame(frame.data(), frame.size(), now);
      auto r = pol->run_raw(frame);
      std::string want = d.verdict == Action::Drop ? "drop" : "pass";
      std::string got = r.retval == 1 ? "drop" : r.retval == 2 ? "pass" : "other";
      ASSERT_EQ(got, want) << "seed " << seed << " packet " << i << " decided by "
                           << d.rule_name() << "\n"
                           << text;
    }
    const Policy &policy = *checked.module.policy;
    for (const RuleDecl *rd : policy.rules) {
      uint64_t want = interp.rule_counter(rd->index).packets;
      uint64_t got = rd->shadow ? pol->shadow(rd->name) : pol->count(rd->name);
      EXPECT_EQ(got, want) << "seed " << seed << " rule " << rd->name << "\n" << text;
    }
    EXPECT_EQ(pol->default_count(), interp.default_counter().packets) << "seed " << seed;
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    if (std::getenv("PSC_DIFF_VERBOSE"))
      std::printf("seed %d: build+load %.0f ms, packets %.0f ms\n", seed, ms(t0, t1),
                  ms(t1, std::chrono::steady_clock::now()));
  }
}

} // namespace
} // namespace psl::bpftest
