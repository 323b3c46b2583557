// The differential tester in the suite: the generator covers the language
// and the parser's paths (no kernel needed), and a bounded run with a fixed
// seed agrees with the interpreter (label bpf). Long runs: scripts/difftest.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "driver.h"
#include "generator.h"
#include "lower/lower.h"
#include "psl_parse.h"
#include "runner.h"
#include "shrink.h"

namespace psl::difftest {
namespace {

constexpr uint64_t kSeed = 1;
constexpr uint64_t kCoverageCases = 300;

TEST(DifftestGenerator, PoliciesCheckAndUseEveryConstruct) {
  std::string all;
  for (uint64_t n = 0; n < kCoverageCases; ++n) {
    Case c = generate_case(kSeed, n);
    std::string text = c.policy.text();
    CheckedModule checked = check_source("case.psl", text);
    ASSERT_TRUE(checked.ok()) << "case " << n << " does not check:\n"
                              << text << "\n"
                              << (checked.diags.diagnostics().empty()
                                      ? std::string()
                                      : checked.diags.diagnostics()[0].message);
    all += text;
  }
  for (const FieldInfo &f : all_fields())
    EXPECT_NE(all.find(std::string(f.name) + " "), std::string::npos) << f.name;
  for (const char *construct : {" == ",
                                " != ",
                                " < ",
                                " <= ",
                                " > ",
                                " >= ",
                                " in {",
                                " not in {",
                                "..",
                                "not ",
                                " and ",
                                " or ",
                                "(",
                                "rate(",
                                "rate() ",
                                "burst ",
                                "bit/s",
                                "/s",
                                ") >= ",
                                "=> count",
                                " shadow",
                                " ttl ",
                                "default pass",
                                "default drop",
                                "const c",
                                ": ip dynamic",
                                ": port dynamic",
                                ": int dynamic",
                                ": mac dynamic",
                                ": proto dynamic",
                                " capacity ",
                                "protect ",
                                "proto(",
                                "0x",
                                "echo_request",
                                "not not ",
                                "tcp",
                                "true",
                                "false",
                                ", }",
                                "::",
                                "/128",
                                "/0",
                                ":ff"})
    EXPECT_NE(all.find(construct), std::string::npos)
        << "no policy uses '" << construct << "'";
}

TEST(DifftestGenerator, FramesReachEveryParserOutcome) {
  std::set<unsigned> statuses, present_bits;
  unsigned max_vlans = 0, max_ext = 0;
  bool frag4 = false, frag6 = false, hbh = false;
  for (uint64_t n = 0; n < kCoverageCases; ++n)
    for (const TimedFrame &f : generate_case(kSeed, n).packets) {
      psl_pkt p;
      psl_parse_buffer(f.bytes.data(), static_cast<__u32>(f.bytes.size()), &p);
      statuses.insert(p.status);
      for (unsigned bit = 0; bit < 10; ++bit)
        if (p.present & (1u << bit))
          present_bits.insert(bit);
      max_vlans = std::max<unsigned>(max_vlans, p.vlan_count);
      max_ext = std::max<unsigned>(max_ext, p.ip6_ext_count);
      frag4 |= p.ip_frag && p.ip_version == 4;
      frag6 |= p.ip_frag && p.ip_version == 6;
      hbh |= p.ip6_hbh != 0;
    }
  EXPECT_EQ(statuses, (std::set<unsigned>{PSL_STATUS_OK, PSL_STATUS_TRUNCATED,
                                          PSL_STATUS_MALFORMED}));
  EXPECT_EQ(present_bits.size(), 10u) << "a layer no frame reaches";
  EXPECT_EQ(max_vlans, unsigned{PSL_VLAN_MAX});
  EXPECT_GE(max_ext, 4u);
  EXPECT_TRUE(frag4 && frag6 && hbh);
}

// Odd-numbered cases are compiled with the IPv4 part of the class tables
// split off the trie. Only the cases with an IPv4 prefix in a class table
// (an address-only rule, or an address with more) take that path: about
// one odd case in ten, which a run of hundreds of cases must reach.
TEST(DifftestGenerator, OddCasesSplitTheClassTables) {
  uint64_t split4 = 0, split6 = 0;
  for (uint64_t n = 0; n < kCoverageCases; ++n) {
    Case c = generate_case(kSeed, n);
    EXPECT_EQ(c.split_class_tables, n % 2 == 1) << "case " << n;
    if (!c.split_class_tables)
      continue;
    CheckedModule checked = check_source("case.psl", c.policy.text());
    ASSERT_TRUE(checked.ok()) << "case " << n;
    lower::LowerResult lowered = lower::lower_policy(
        *checked.module.policy, checked.diags.file_ptr().get(),
        build_options(true, c.lowering).lower);
    const auto &groups = lowered.classifier.groups;
    split4 +=
        std::any_of(groups.begin(), groups.end(),
                    [](const lower::LookupGroup &g) { return g.v4_slots; });
    split6 +=
        std::any_of(groups.begin(), groups.end(),
                    [](const lower::LookupGroup &g) { return g.v6_buckets; });
  }
  std::printf("[ difftest ] of %llu cases, %llu split a class table's IPv4 "
              "part, %llu its IPv6 part\n",
              static_cast<unsigned long long>(kCoverageCases),
              static_cast<unsigned long long>(split4),
              static_cast<unsigned long long>(split6));
  EXPECT_GE(split4, kCoverageCases / 30);
  EXPECT_GE(split6, kCoverageCases / 30);
}

// The groups' hash maps are perfect hashes in arrays in most cases
// (lower/perfect_hash.h) and kernel hashes in the unsplit cases forced to
// maps (build_options) and in those with rate groups (perfect_hash.h):
// the cases reach both, the IPv4 /17-/32 prefixes of a split class table
// among the perfect hashes.
TEST(DifftestGenerator, CasesReachPerfectAndKernelHashes) {
  uint64_t perfect = 0, kernel = 0, class4 = 0;
  for (uint64_t n = 0; n < kCoverageCases; ++n) {
    Case c = generate_case(kSeed, n);
    CheckedModule checked = check_source("case.psl", c.policy.text());
    ASSERT_TRUE(checked.ok()) << "case " << n;
    lower::LowerResult lowered = lower::lower_policy(
        *checked.module.policy, checked.diags.file_ptr().get(),
        build_options(c.split_class_tables, c.lowering).lower);
    if (!lowered.ok())
      continue;
    const lower::Classifier &k = lowered.classifier;
    bool p = false, h = false, c4 = false;
    for (const lower::LookupGroup &g : k.groups) {
      p = p || k.maps[g.map].perfect;
      h = h || k.maps[g.map].kind == lower::MapKind::Hash;
      c4 = c4 || (g.v4_longer && k.maps[*g.v4_longer].perfect);
    }
    perfect += p || c4;
    kernel += h;
    class4 += c4;
  }
  std::printf("[ difftest ] of %llu cases, %llu have a perfect hash (%llu "
              "for IPv4 prefixes /17-/32), %llu a kernel hash\n",
              static_cast<unsigned long long>(kCoverageCases),
              static_cast<unsigned long long>(perfect),
              static_cast<unsigned long long>(class4),
              static_cast<unsigned long long>(kernel));
  EXPECT_GE(perfect, kCoverageCases / 8);
  EXPECT_GE(kernel, kCoverageCases / 30);
  EXPECT_GE(class4, kCoverageCases / 60);
}

// The lowering cycles through the cost model's modes (Case::lowering), and
// the cases reach every choice it can make: a unit in maps, as code, as a
// decision tree, a tree with its class-keyed rules as code, and a unit
// kept in maps because a budget stopped the cheaper way.
// Address-only rules, which the trees are for, are rare in the generated
// policies (most rules combine fields): this test looks at more cases.
TEST(DifftestGenerator, CasesReachEveryLoweringChoice) {
  constexpr uint64_t kCases = 800;
  using L = lower::CostChoice::Lowering;
  std::map<L, uint64_t> chosen;
  uint64_t over_budget = 0, tree_rules = 0, code_rules = 0;
  std::set<CaseLowering> modes;
  for (uint64_t n = 0; n < kCases; ++n) {
    Case c = generate_case(kSeed, n);
    EXPECT_EQ(c.lowering, n % 2 ? CaseLowering::Maps
                                : static_cast<CaseLowering>(n / 2 % 4));
    modes.insert(c.lowering);
    CheckedModule checked = check_source("case.psl", c.policy.text());
    ASSERT_TRUE(checked.ok()) << "case " << n;
    lower::LowerResult lowered = lower::lower_policy(
        *checked.module.policy, checked.diags.file_ptr().get(),
        build_options(c.split_class_tables, c.lowering).lower);
    for (const lower::CostChoice &cc : lowered.classifier.costs) {
      ++chosen[cc.choice];
      over_budget +=
          cc.choice == L::Map && cc.why.find("budget") != std::string::npos;
    }
    for (const lower::AddrTree &t : lowered.classifier.trees)
      tree_rules += t.rules.size();
    for (const lower::RuleInfo &r : lowered.classifier.rules)
      code_rules +=
          r.in_code && r.why_code.find("cost model") != std::string::npos;
  }
  std::printf("[ difftest ] of %llu cases' units: %llu map, %llu code, %llu "
              "tree, %llu tree + code, %llu kept in maps by a budget; %llu "
              "rules in trees, %llu in code by the cost model\n",
              static_cast<unsigned long long>(kCases),
              static_cast<unsigned long long>(chosen[L::Map]),
              static_cast<unsigned long long>(chosen[L::Code]),
              static_cast<unsigned long long>(chosen[L::Tree]),
              static_cast<unsigned long long>(chosen[L::TreeCode]),
              static_cast<unsigned long long>(over_budget),
              static_cast<unsigned long long>(tree_rules),
              static_cast<unsigned long long>(code_rules));
  EXPECT_EQ(modes.size(), 4u);
  for (L l : {L::Map, L::Code, L::Tree, L::TreeCode})
    EXPECT_GE(chosen[l], kCases / 30)
        << "lowering " << lower::lowering_name(l) << " rarely chosen";
  EXPECT_GE(over_budget, kCases / 30);
}

TEST(DifftestGenerator, CasesAreReproducibleFromSeedAndNumber) {
  Case a = generate_case(7, 42), b = generate_case(7, 42),
       c = generate_case(7, 43);
  EXPECT_EQ(a.policy.text(), b.policy.text());
  ASSERT_EQ(a.packets.size(), b.packets.size());
  for (size_t i = 0; i < a.packets.size(); ++i)
    EXPECT_EQ(a.packets[i].bytes, b.packets[i].bytes);
  EXPECT_NE(a.policy.text() + to_hex(a.packets[0].bytes),
            c.policy.text() + to_hex(c.packets[0].bytes));
}

// PSC_DIFFTEST_CASES=N widens the run (default 120: about 20 s alone
// on two cores); scripts/difftest is the long version.
TEST(Difftest, CompiledCodeAgreesWithTheInterpreter) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  const char *env = std::getenv("PSC_DIFFTEST_CASES");
  const uint64_t cases = env ? std::strtoull(env, nullptr, 10) : 120;
  uint64_t agreed = 0;
  for (uint64_t n = 0; n < cases; ++n) {
    Case c = generate_case(kSeed, n);
    Outcome out = run_case(c.policy.text(), c.entries, c.packets,
                           c.split_class_tables, c.lowering);
    if (out.kind == Outcome::Kind::Agree) {
      ++agreed;
      continue;
    }
    if (out.kind == Outcome::Kind::Rejected)
      continue;
    ShrinkResult s = shrink(
        {c.policy, c.entries, c.packets, c.split_class_tables, c.lowering}, out,
        std::chrono::seconds(30));
    ADD_FAILURE() << format_report(kSeed, n, out, c.policy.rules.size(), s);
  }
  // Rejections are limits, not bugs, but a run where most cases are
  // rejected tests nothing.
  EXPECT_GE(agreed, cases * 3 / 4);
}

} // namespace
} // namespace psl::difftest
