// A class table whose IPv4 prefixes are split off the trie into the /16
// array and the hash of longer prefixes, and whose IPv6 prefixes are split
// into the /32 buckets and the hash of longer prefixes (compiler/lower/
// classifier.h), under BPF_PROG_TEST_RUN: the deciding rule at prefix, /16
// and /32 boundaries, for address-only and class-keyed rules, and the same
// as with the trie.
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>
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

const std::vector<std::string> kRules = {"host", "sub", "upper", "wide",
                                         "pair", "web", "v6"};

std::unique_ptr<CompiledPolicy> build_with_split_min(
    size_t split_min, size_t split6_min = SIZE_MAX,
    const std::string &policy = kPolicy,
    size_t dense_min = lower::GroupLimits{}.ipv6_dense_min_prefixes,
    size_t value_filter_min = lower::GroupLimits{}.value_filter_min_entries) {
  codegen::PolicyBuildOptions o;
  // The split is a layout of maps: the cost model would take rules this
  // few to code and trees (difftest covers that lowering).
  o.lower.cost.mode = lower::CostOptions::Mode::Maps;
  o.lower.groups.ipv4_split_min_prefixes = split_min;
  o.lower.groups.ipv6_split_min_prefixes = split6_min;
  o.lower.groups.ipv6_dense_min_prefixes = dense_min;
  o.lower.groups.value_filter_min_entries = value_filter_min;
  BuildFailure failure;
  auto pol = CompiledPolicy::build(policy, &failure, o);
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

// The probe's packet: from pr.src to a fixed address of its family.
Pkt packet_of(const Probe &pr) {
  Pkt p;
  p.ip_version = pr.version;
  p.src = pr.src;
  p.dst = pr.version == 6 ? "2001:db8::ffff" : "192.0.2.1";
  p.proto = pr.proto;
  p.dport = pr.dport;
  return p;
}

// The rule whose counter one packet moved ("default" for the default).
std::string decided_by(CompiledPolicy &pol, const Pkt &p, std::string *verdict,
                       const std::vector<std::string> &rules = kRules) {
  std::vector<uint64_t> before;
  for (const std::string &r : rules)
    before.push_back(pol.count(r));
  const uint64_t default_before = pol.default_count();
  *verdict = pol.run(p);
  std::string who;
  for (size_t i = 0; i < rules.size(); ++i)
    if (pol.count(rules[i]) != before[i])
      who += (who.empty() ? "" : ",") + rules[i];
  if (pol.default_count() != default_before)
    who += (who.empty() ? "" : ",") + std::string("default");
  return who;
}

TEST(ClassSplit, LongestMatchAtPrefixAndSlotBoundaries) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  auto split = build_with_split_min(0);
  auto trie = build_with_split_min(SIZE_MAX);
  // Both families split, the trie empty: no trie lookup at all; and the
  // port group `web` behind its bitmap of ports (443 only).
  auto both = build_with_split_min(
      0, 0, kPolicy, lower::GroupLimits{}.ipv6_dense_min_prefixes, 0);
  ASSERT_TRUE(split && trie && both);
  ASSERT_FALSE(split->artifact().classifier.groups[1].value_filter.has_value());
  ASSERT_TRUE(both->artifact().classifier.groups[1].value_filter.has_value());
  ASSERT_TRUE(split->artifact().classifier.groups[0].v4_slots.has_value());
  ASSERT_FALSE(trie->artifact().classifier.groups[0].v4_slots.has_value());
  ASSERT_TRUE(both->artifact().classifier.groups[0].v6_buckets.has_value());
  ASSERT_FALSE(both->artifact().classifier.groups[0].v6_trie);

  const Probe probes[] = {
      {"10.1.2.3", 4, 17, 53, "pass", "host"},
      {"10.1.2.4", 4, 17, 53, "drop", "sub"},
      {"10.1.2.0", 4, 17, 53, "drop", "sub"},
      {"10.1.2.255", 4, 17, 53, "drop", "sub"},
      {"10.1.3.0", 4, 17, 53, "drop", "wide"},
      // Below the /17, in a /21 block of the /16 without a longer prefix:
      // the slot answers without a hash probe.
      {"10.1.127.255", 4, 17, 53, "drop", "wide"},
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
      // IPv6 stays in the trie (or its /32 bucket); an IPv4-mapped IPv6
      // address is IPv6.
      {"2001:db8::1", 6, 17, 53, "drop", "v6"},
      {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 6, 17, 53, "drop", "v6"},
      {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 6, 17, 53, "pass", "default"},
      {"2001:db9::1", 6, 17, 53, "pass", "default"},
      {"::ffff:10.1.2.3", 6, 17, 53, "pass", "default"},
  };
  for (const Probe &pr : probes) {
    const Pkt p = packet_of(pr);
    for (CompiledPolicy *pol : {split.get(), trie.get(), both.get()}) {
      std::string verdict;
      EXPECT_EQ(decided_by(*pol, p, &verdict), pr.rule)
          << pr.src
          << (pol == split.get()  ? " (split)"
              : pol == trie.get() ? " (trie)"
                                  : " (both)");
      EXPECT_EQ(verdict, pr.verdict) << pr.src;
    }
  }
}

// IPv6: a short prefix in the trie around /32 buckets, a bucket whose /32
// is stored and one whose value comes from the short prefix, a /32 with 16
// lengths above 32 (searched from the bucket) and one with 17 (left to the
// trie), and a /32 with 17 lengths above 48 (the same in a slot of a dense
// /32). The nested rules list their longest prefix first, so the first
// matching rule is the longest match.
std::string v6_policy(std::vector<std::string> *rules, std::string *shared_net,
                      std::string *tagged_net) {
  std::string text = R"(policy split6 {
  rule host: ip.src == 2001:db8:1::1 => pass
  rule sub: ip.src in 2001:db8:1::/48 => drop
  rule tail: ip.src in 2001:db8:ffff:ffff::/64 => pass
  rule web: tcp.dport == 443 and ip.src in 2001:db8:2::/48 => drop
  rule net: ip.src in 2001:db8::/32 => pass
  rule odd: ip.src in 2001:db9:8000::/33 => pass
  rule wide: ip.src in 2001::/16 => drop
  rule v4: ip.src in 10.0.0.0/8 => drop
)";
  *rules = {"host", "sub", "tail", "web", "net", "odd", "wide", "v4"};
  // /33../49 at 2002:: (17 lengths), /33../48 at 2003:: (16), /49../65
  // at 2004:: (17).
  const std::tuple<const char *, int, int> nets[] = {
      {"2002", 33, 49}, {"2003", 33, 48}, {"2004", 49, 65}};
  for (const auto &[net, first, last] : nets)
    for (int len = last; len >= first; --len) {
      std::string name = "n" + std::string(net) + "_" + std::to_string(len);
      text += "  rule " + name + ": ip.src in " + net + "::/" +
              std::to_string(len) + " => pass\n";
      rules->push_back(name);
    }
  // Two /32s sharing a directory entry: their buckets come from the hash.
  // (The index as psl_class6_dir_index computes it; the test checks that
  // the lowering did put them together.)
  auto dir_index = [](uint32_t top) { return (top * 0x9e3779b1u) >> 16; };
  uint32_t other = 0x20050001;
  while (dir_index(other) != dir_index(0x20050000))
    ++other;
  char net[16];
  std::snprintf(net, sizeof(net), "2005:%x", other & 0xffff);
  text += "  rule c1: ip.src in 2005::/48 => drop\n";
  text += std::string("  rule c2: ip.src in ") + net + "::/48 => pass\n";
  rules->insert(rules->end(), {"c1", "c2"});
  *shared_net = net;
  // A /32 without a bucket whose entry holds another /32's bucket.
  other = 0x20060000;
  while (dir_index(other) != dir_index(0x20010db9))
    ++other;
  std::snprintf(net, sizeof(net), "2006:%x", other & 0xffff);
  *tagged_net = net;
  return text + "  default pass\n}\n";
}

TEST(ClassSplit, Ipv6LongestMatchAtPrefixAndBucketBoundaries) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  std::vector<std::string> rules;
  std::string shared_net, tagged_net;
  const std::string policy = v6_policy(&rules, &shared_net, &tagged_net);
  auto split6 = build_with_split_min(SIZE_MAX, 0, policy);
  auto both = build_with_split_min(0, 0, policy);
  auto trie = build_with_split_min(SIZE_MAX, SIZE_MAX, policy);
  // Every /32 with a longer prefix dense but the sparsest (2001:db9::, at
  // most four are).
  auto dense = build_with_split_min(SIZE_MAX, 0, policy, 1);
  ASSERT_TRUE(split6 && both && trie && dense);
  ASSERT_TRUE(dense->artifact().classifier.groups[0].v6_slots.has_value());
  // The directory has an entry shared by 2005:: and shared_net (kind 2).
  {
    const auto &c = split6->artifact().classifier;
    ASSERT_TRUE(c.groups[0].v6_dir.has_value());
    const uint32_t dir = *c.groups[0].v6_dir;
    size_t shared = 0;
    for (const auto &e : c.entries)
      shared += e.map == dir && e.value.size() == 48 && e.value[44] == 2;
    ASSERT_EQ(shared, 1u);
  }
  for (CompiledPolicy *pol : {split6.get(), both.get()}) {
    const auto &g = pol->artifact().classifier.groups[0];
    ASSERT_TRUE(g.v6_buckets.has_value());
    ASSERT_TRUE(g.v6_trie); // 2001::/16 and the 17 lengths of 2002::/32
  }
  ASSERT_FALSE(trie->artifact().classifier.groups[0].v6_buckets.has_value());

  const Probe probes[] = {
      {"2001:db8:1::1", 6, 17, 53, "pass", "host"},
      {"2001:db8:1::2", 6, 17, 53, "drop", "sub"},
      {"2001:db8:1:ffff:ffff:ffff:ffff:ffff", 6, 17, 53, "drop", "sub"},
      {"2001:db8:2::1", 6, 6, 443, "drop", "web"}, // class-keyed
      {"2001:db8:2::1", 6, 6, 80, "pass", "net"},
      {"2001:db8::", 6, 17, 53, "pass", "net"},
      {"2001:db8:ffff:ffff::", 6, 17, 53, "pass", "tail"}, // end of the /32
      {"2001:db8:ffff:fffe:ffff:ffff:ffff:ffff", 6, 17, 53, "pass", "net"},
      // No bucket: the trie's /16.
      {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 6, 17, 53, "drop", "wide"},
      {"2001:ffff::1", 6, 17, 53, "drop", "wide"},
      {"2000:ffff:ffff:ffff::", 6, 17, 53, "pass", "default"},
      // A bucket without its /32 stored: the /16's value, else the /33.
      {"2001:db9::1", 6, 17, 53, "drop", "wide"},
      {"2001:db9:7fff:ffff:ffff:ffff:ffff:ffff", 6, 17, 53, "drop", "wide"},
      {"2001:db9:8000::", 6, 17, 53, "pass", "odd"},
      {"2001:db9:ffff:ffff:ffff:ffff:ffff:ffff", 6, 17, 53, "pass", "odd"},
      // 17 lengths: the trie answers.
      {"2002::1", 6, 17, 53, "pass", "n2002_49"},
      {"2002:0:0:8000::", 6, 17, 53, "pass", "n2002_48"},
      {"2002:0:1::", 6, 17, 53, "pass", "n2002_47"},
      {"2002:0:4000::", 6, 17, 53, "pass", "n2002_33"},
      {"2002:0:8000::", 6, 17, 53, "pass", "default"},
      {"2002:1::", 6, 17, 53, "pass", "default"},
      // 16 lengths: every one probed from the bucket.
      {"2003::1", 6, 17, 53, "pass", "n2003_48"},
      {"2003:0:1::", 6, 17, 53, "pass", "n2003_47"},
      {"2003:0:2000::", 6, 17, 53, "pass", "n2003_34"},
      {"2003:0:4000::", 6, 17, 53, "pass", "n2003_33"},
      {"2003:0:8000::", 6, 17, 53, "pass", "default"},
      {"2003:1::", 6, 17, 53, "pass", "default"},
      // 17 lengths past /48: the bucket (or the slot) leaves them to the trie.
      {"2004::1", 6, 17, 53, "pass", "n2004_65"},
      {"2004::8000:0:0:0", 6, 17, 53, "pass", "n2004_64"},
      {"2004:0:0:4000::", 6, 17, 53, "pass", "n2004_49"},
      {"2004:0:0:8000::", 6, 17, 53, "pass", "default"},
      {"2004:0:0:1::", 6, 17, 53, "pass", "n2004_63"},
      {"::ffff:10.1.2.3", 6, 17, 53, "pass", "default"},
      // Two /32s behind one directory entry (see below for the other).
      {"2005::1", 6, 17, 53, "drop", "c1"},
      {"2005:0:1::", 6, 17, 53, "pass", "default"},
      {"10.1.2.3", 4, 17, 53, "drop", "v4"},
      {"11.0.0.0", 4, 17, 53, "pass", "default"},
  };
  std::vector<Probe> all(std::begin(probes), std::end(probes));
  const std::string shared_host = shared_net + "::1",
                    shared_next = shared_net + ":1::";
  all.push_back({shared_host.c_str(), 6, 17, 53, "pass", "c2"});
  all.push_back({shared_next.c_str(), 6, 17, 53, "pass", "default"});
  const std::string tagged_host = tagged_net + "::1";
  all.push_back({tagged_host.c_str(), 6, 17, 53, "pass", "default"});
  for (const Probe &pr : all) {
    const Pkt p = packet_of(pr);
    for (CompiledPolicy *pol :
         {split6.get(), both.get(), trie.get(), dense.get()}) {
      std::string verdict;
      EXPECT_EQ(decided_by(*pol, p, &verdict, rules), pr.rule)
          << pr.src
          << (pol == split6.get() ? " (ipv6 split)"
              : pol == both.get() ? " (both split)"
              : pol == trie.get() ? " (trie)"
                                  : " (dense)");
      EXPECT_EQ(verdict, pr.verdict) << pr.src;
    }
  }
}

} // namespace
} // namespace psl::bpftest
