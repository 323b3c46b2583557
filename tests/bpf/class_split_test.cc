// A class table whose IPv4 prefixes are split off the trie into the /16
// array and the hash of longer prefixes (compiler/lower/classifier.h),
// under BPF_PROG_TEST_RUN: the deciding rule at prefix and /16 boundaries,
// for address-only and class-keyed rules, and the same as with the trie.
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "policy_harness.h"

namespace psl::bpftest {
namespace {

const char *const kPolicy = R"(policy split {
  rule host: ip.src == 10.1.2.3 => pass
  rule sub: ip.src in 10.1.2.0/24 => drop
  rule upper: ip.src in 10.1.128.0/17 => pass
  rule wide: ip.src in 10.0.0.0/8 => drop
  rule pair: ip.src in 172.16.0.0/15 => drop
  rule web: tcp.dport == 443 and ip.src in 192.168.0.0/20 => drop
  rule v6: ip.src in 2001:db8::/32 => drop
  default pass
}
)";

const char *const kRules[] = {"host", "sub", "upper", "wide",
                              "pair", "web", "v6"};

std::unique_ptr<CompiledPolicy> build_with_split_min(size_t split_min) {
  backend::PolicyBuildOptions o;
  o.lower.groups.ipv4_split_min_prefixes = split_min;
  BuildFailure failure;
  auto pol = CompiledPolicy::build(kPolicy, &failure, o);
  EXPECT_TRUE(pol) << build_stage_name(failure.stage) << ": "
                   << failure.message;
  return pol;
}

struct Probe {
  const char *src;
  int version;
  uint8_t proto;
  uint16_t dport;
  const char *verdict;
  const char *rule; // the rule whose counter moves, or "default"
};

// The rule whose counter one packet moved ("default" for the default).
std::string decided_by(CompiledPolicy &pol, const Pkt &p,
                       std::string *verdict) {
  std::vector<uint64_t> before;
  for (const char *r : kRules)
    before.push_back(pol.count(r));
  const uint64_t default_before = pol.default_count();
  *verdict = pol.run(p);
  std::string who;
  for (size_t i = 0; i < std::size(kRules); ++i)
    if (pol.count(kRules[i]) != before[i])
      who += (who.empty() ? "" : ",") + std::string(kRules[i]);
  if (pol.default_count() != default_before)
    who += (who.empty() ? "" : ",") + std::string("default");
  return who;
}

TEST(ClassSplit, LongestMatchAtPrefixAndSlotBoundaries) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  auto split = build_with_split_min(0);
  auto trie = build_with_split_min(SIZE_MAX);
  ASSERT_TRUE(split && trie);
  ASSERT_GE(split->artifact().classifier.groups[0].v4_slots, 0);
  ASSERT_EQ(trie->artifact().classifier.groups[0].v4_slots, -1);

  const Probe probes[] = {
      {"10.1.2.3", 4, 17, 53, "pass", "host"},
      {"10.1.2.4", 4, 17, 53, "drop", "sub"},
      {"10.1.2.0", 4, 17, 53, "drop", "sub"},
      {"10.1.2.255", 4, 17, 53, "drop", "sub"},
      {"10.1.3.0", 4, 17, 53, "drop", "wide"},
      {"10.1.127.255", 4, 17, 53, "drop", "wide"}, // below the /17
      {"10.1.128.0", 4, 17, 53, "pass", "upper"},
      {"10.1.255.255", 4, 17, 53, "pass", "upper"},
      {"10.2.0.0", 4, 17, 53, "drop", "wide"},
      {"10.0.0.0", 4, 17, 53, "drop", "wide"},
      {"10.255.255.255", 4, 17, 53, "drop", "wide"},
      {"9.255.255.255", 4, 17, 53, "pass", "default"},
      {"11.0.0.0", 4, 17, 53, "pass", "default"},
      {"172.15.255.255", 4, 17, 53, "pass", "default"},
      {"172.16.0.0", 4, 17, 53, "drop", "pair"}, // a /15: two slots
      {"172.17.255.255", 4, 17, 53, "drop", "pair"},
      {"172.18.0.0", 4, 17, 53, "pass", "default"},
      // Class-keyed: the /20's class leads the port group's key.
      {"192.168.0.0", 4, 6, 443, "drop", "web"},
      {"192.168.15.255", 4, 6, 443, "drop", "web"},
      {"192.168.16.0", 4, 6, 443, "pass", "default"},
      {"192.168.1.1", 4, 6, 80, "pass", "default"},
      {"192.168.1.1", 4, 17, 443, "pass", "default"},
      // IPv6 stays in the trie; an IPv4-mapped IPv6 address is IPv6.
      {"2001:db8::1", 6, 17, 53, "drop", "v6"},
      {"2001:db9::1", 6, 17, 53, "pass", "default"},
      {"::ffff:10.1.2.3", 6, 17, 53, "pass", "default"},
  };
  for (const Probe &pr : probes) {
    Pkt p;
    p.ip_version = pr.version;
    p.src = pr.src;
    p.dst = pr.version == 6 ? "2001:db8::ffff" : "192.0.2.1";
    p.proto = pr.proto;
    p.dport = pr.dport;
    for (CompiledPolicy *pol : {split.get(), trie.get()}) {
      std::string verdict;
      EXPECT_EQ(decided_by(*pol, p, &verdict), pr.rule)
          << pr.src << (pol == split.get() ? " (split)" : " (trie)");
      EXPECT_EQ(verdict, pr.verdict) << pr.src;
    }
  }
}

} // namespace
} // namespace psl::bpftest
