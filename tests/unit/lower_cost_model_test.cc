// The lowering's cost model (compiler/lower/cost_model.h): which parts of
// a policy become maps, code or a decision tree, the trees' intervals, the
// budgets, the forced modes, and what --verbose and --emit-c show of it.
// That each choice gives the interpreter's verdicts is the differential
// test's (tests/difftest: every case number cycles through the modes).
#include <gtest/gtest.h>
#include <string>

#include "codegen/xdp_generator.h"
#include "lower/lower.h"
#include "lower/lowering_choice.h"
#include "lower_test_util.h"

namespace psl::lower {
namespace {

using L = CostChoice::Lowering;

std::unique_ptr<test_util::Lowered> lower_text(const std::string &body,
                                               const LowerOptions &o = {}) {
  return test_util::lower_body(body, o);
}

LowerOptions mode(CostOptions::Mode m) {
  LowerOptions o;
  o.cost.mode = m;
  return o;
}

const CostChoice *unit(const Classifier &c, const std::string &starts) {
  for (const CostChoice &cc : c.costs)
    if (cc.unit.rfind(starts, 0) == 0)
      return &cc;
  return nullptr;
}

const RuleInfo &rule(const Classifier &c, const std::string &name) {
  for (const auto &r : c.rules)
    if (r.name == name)
      return r;
  throw std::runtime_error("no rule " + name);
}

// A few address rules: a binary search over their intervals costs less
// than the class table's lookup.
TEST(LowerCostModel, FewAddressRulesBecomeATree) {
  auto l = lower_text(R"(
    rule a: ip.src == 10.0.0.1 => drop
    rule b: ip.src in 10.0.0.0/8 => pass
    rule c: ip.src in 2001:db8::/32 => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  const CostChoice *cc = unit(c, "class table of ip.src");
  ASSERT_NE(cc, nullptr) << to_string(c);
  EXPECT_EQ(cc->choice, L::Tree) << to_string(*cc);
  EXPECT_LT(cc->tree_ns, cc->map_ns);
  EXPECT_TRUE(c.groups.empty()) << to_string(c);
  ASSERT_EQ(c.trees.size(), 1u);
  const AddrTree &t = c.trees[0];
  EXPECT_EQ(t.field, FieldId::IpSrc);
  EXPECT_EQ(t.rules, (std::vector<uint32_t>{0, 1, 2}));
  // 10.0.0.0 (b), 10.0.0.1 (a, first), 10.0.0.2-10.255.255.255 (b), and
  // the IPv6 /32 (c): sorted, IPv4 first, disjoint.
  ASSERT_EQ(t.leaves.size(), 4u);
  const Point ten = Point(10) << 24;
  EXPECT_EQ(t.leaves[0].family, 4);
  EXPECT_EQ(t.leaves[0].lo, ten);
  EXPECT_EQ(t.leaves[0].hi, ten);
  EXPECT_EQ(t.leaves[0].enc, Classifier::encode(1, Action::Pass));
  EXPECT_EQ(t.leaves[1].lo, ten + 1);
  EXPECT_EQ(t.leaves[1].hi, ten + 1);
  EXPECT_EQ(t.leaves[1].enc, Classifier::encode(0, Action::Drop));
  EXPECT_EQ(t.leaves[2].lo, ten + 2);
  EXPECT_EQ(t.leaves[2].hi, ten + (Point(1) << 24) - 1);
  EXPECT_EQ(t.leaves[3].family, 6);
  EXPECT_EQ(t.leaves[3].enc, Classifier::encode(2, Action::Drop));
  for (const char *r : {"a", "b", "c"}) {
    EXPECT_FALSE(rule(c, r).in_code) << r;
    EXPECT_EQ(rule(c, r).trees, (std::vector<uint32_t>{0})) << r;
  }
  const std::string text = codegen::generate_xdp(c);
  EXPECT_NE(text.find("psl_ip4_of(p->ip_src)"), std::string::npos) << text;
  EXPECT_NE(text.find("psl_ip6_hi(p->ip_src)"), std::string::npos) << text;
  EXPECT_NE(text.find("-> tree"), std::string::npos) << text;
}

// A later rule hidden under an earlier one gets no interval of its own.
// (No code budget: three rules would cost about as much as code.)
TEST(LowerCostModel, TreeLeavesHoldTheFirstMatch) {
  LowerOptions o;
  o.cost.max_code_tests = 0;
  auto l = lower_text(R"(
    rule wide: ip.dst in 192.0.2.0/24 => drop
    rule inner: ip.dst == 192.0.2.7 => pass
    rule next: ip.dst in 192.0.3.0/24 => drop)",
                      o);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.trees.size(), 1u) << to_string(c);
  // The two adjacent /24s of the same action still differ in rule.
  ASSERT_EQ(c.trees[0].leaves.size(), 2u);
  EXPECT_EQ(c.trees[0].leaves[0].enc, Classifier::encode(0, Action::Drop));
  EXPECT_EQ(c.trees[0].leaves[1].enc, Classifier::encode(2, Action::Drop));
}

// Prefix and port together: the class table with a class-keyed group. A
// handful of such rules cost less as straight-line code.
TEST(LowerCostModel, FewConjunctionsBecomeCode) {
  auto l = lower_text(R"(
    rule web: ip.dst in 10.1.0.0/16 and tcp.dport == 443 => pass
    rule ssh: ip.dst in 10.2.0.0/16 and tcp.dport == 22 => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  const CostChoice *cc = unit(c, "class table of ip.dst");
  ASSERT_NE(cc, nullptr) << to_string(c);
  EXPECT_EQ(cc->choice, L::Code) << to_string(*cc);
  EXPECT_TRUE(c.groups.empty()) << to_string(c);
  EXPECT_EQ(c.code.size(), 2u);
  EXPECT_EQ(rule(c, "web").why_code,
            "the cost model lowered its part of the policy to code");
  // The address is compared inline, not looked up in a literal set.
  const std::string text = codegen::generate_xdp(c);
  EXPECT_NE(text.find("psl_ip4_of(p->ip_dst) & 4294901760"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("psl_set_has"), std::string::npos) << text;
}

// A large list: code and tree grow with the rules, a map lookup does not.
TEST(LowerCostModel, LargeListsStayInMaps) {
  std::string body;
  for (int i = 0; i < 600; ++i)
    body += "rule h" + std::to_string(i) + ": ip.src == 10.0." +
            std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) +
            " => drop\n";
  auto l = lower_text(body);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  const CostChoice *cc = unit(c, "class table of ip.src");
  ASSERT_NE(cc, nullptr) << to_string(c);
  EXPECT_EQ(cc->choice, L::Map) << to_string(*cc);
  EXPECT_TRUE(c.trees.empty());
  EXPECT_TRUE(c.code.empty());
  EXPECT_FALSE(c.groups.empty());
}

// The budget of code tests: a unit that would add more stays in maps and
// says why.
TEST(LowerCostModel, TheCodeBudgetKeepsMaps) {
  const std::string body = R"(
    rule web: ip.dst in 10.1.0.0/16 and tcp.dport == 443 => pass
    rule ssh: ip.dst in 10.2.0.0/16 and tcp.dport == 22 => drop)";
  LowerOptions o;
  o.cost.max_code_tests = 2;
  auto l = lower_text(body, o);
  ASSERT_TRUE(l && l->result.ok());
  const CostChoice *cc = unit(l->c(), "class table of ip.dst");
  ASSERT_NE(cc, nullptr);
  EXPECT_EQ(cc->choice, L::Map) << to_string(*cc);
  EXPECT_NE(cc->why.find("budget of 2 code tests"), std::string::npos)
      << to_string(*cc);
  EXPECT_TRUE(l->c().code.empty());
}

TEST(LowerCostModel, TheTreeBudgetKeepsMaps) {
  LowerOptions o;
  o.cost.max_tree_leaves = 2;
  auto l = lower_text(R"(
    rule a: ip.src == 10.0.0.1 => drop
    rule b: ip.src == 10.0.0.3 => drop
    rule c: ip.src == 10.0.0.5 => drop)",
                      o);
  ASSERT_TRUE(l && l->result.ok());
  const CostChoice *cc = unit(l->c(), "class table of ip.src");
  ASSERT_NE(cc, nullptr);
  EXPECT_NE(cc->choice, L::Tree) << to_string(*cc);
  EXPECT_TRUE(l->c().trees.empty());
}

// Address-only rules and conjunctions on the same field: the tree for the
// first (20 hosts: code would test each), code for the second, no class
// table.
TEST(LowerCostModel, TreeAndCodeShareAField) {
  std::string body = "rule bad: ip.src in {";
  for (int i = 0; i < 20; ++i)
    body += std::string(i ? ", " : " ") + "203.0.113." + std::to_string(2 * i);
  body += " } => drop\n"
          "rule ssh: ip.src in 10.0.0.0/8 and tcp.dport == 22 => pass\n";
  auto l = lower_text(body);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  const CostChoice *cc = unit(c, "class table of ip.src");
  ASSERT_NE(cc, nullptr) << to_string(c);
  EXPECT_EQ(cc->choice, L::TreeCode) << to_string(*cc);
  ASSERT_EQ(c.trees.size(), 1u);
  EXPECT_EQ(c.trees[0].rules, (std::vector<uint32_t>{0}));
  EXPECT_TRUE(rule(c, "ssh").in_code);
  EXPECT_TRUE(c.groups.empty()) << to_string(c);
}

// A rule whose other alternative stays in a map keeps the unit in maps
// (a rule is code in whole or not at all).
TEST(LowerCostModel, ARuleWithAnAlternativeInAMapKeepsItsUnitInMaps) {
  std::string body = "rule mix: (ip.dst in 10.1.0.0/16 and tcp.dport == 443)"
                     " or ip.src == 10.9.9.9 => drop\n";
  for (int i = 0; i < 600; ++i)
    body += "rule h" + std::to_string(i) + ": ip.src == 10.0." +
            std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) +
            " => drop\n";
  auto l = lower_text(body);
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  EXPECT_FALSE(rule(c, "mix").in_code) << to_string(c);
  const CostChoice *cc = unit(c, "class table of ip.dst");
  ASSERT_NE(cc, nullptr) << to_string(c);
  EXPECT_EQ(cc->choice, L::Map) << to_string(*cc);
  EXPECT_EQ(cc->why, "a rule with alternatives in maps holds a key here");
}

TEST(LowerCostModel, ForcedModes) {
  const std::string body = R"(
    rule a: ip.src == 10.0.0.1 => drop
    rule web: ip.dst in 10.1.0.0/16 and tcp.dport == 443 => pass
    rule p: udp.dport == 53 => pass)";
  auto maps = lower_text(body, mode(CostOptions::Mode::Maps));
  ASSERT_TRUE(maps && maps->result.ok());
  for (const CostChoice &cc : maps->c().costs)
    EXPECT_EQ(cc.choice, L::Map) << to_string(cc);
  EXPECT_TRUE(maps->c().code.empty());
  EXPECT_TRUE(maps->c().trees.empty());
  auto code = lower_text(body, mode(CostOptions::Mode::Code));
  ASSERT_TRUE(code && code->result.ok());
  for (const CostChoice &cc : code->c().costs)
    EXPECT_NE(cc.choice, L::Map) << to_string(cc);
  EXPECT_TRUE(code->c().groups.empty()) << to_string(code->c());
}

// --verbose prints the choices (to_string of the classifier), --emit-c
// has them in its header comment.
TEST(LowerCostModel, ChoicesAreShown) {
  auto l = lower_text(R"(
    rule a: ip.src == 10.0.0.1 => drop
    rule p: tcp.dport == 22 => pass)");
  ASSERT_TRUE(l && l->result.ok());
  const std::string dump = to_string(l->c());
  EXPECT_NE(dump.find("cost: class table of ip.src (1 rule): map "),
            std::string::npos)
      << dump;
  EXPECT_NE(dump.find("cost: group array tcp.dport (1 rule)"),
            std::string::npos)
      << dump;
  const std::string text = codegen::generate_xdp(l->c());
  EXPECT_NE(text.find("The cost model (docs/cost-model.md)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(" *   class table of ip.src (1 rule): map "),
            std::string::npos)
      << text;
}

// The estimates' building blocks.
TEST(LowerCostModel, Estimates) {
  const CostConstants k;
  GroupKey array;
  array.kind = MapKind::Array;
  EXPECT_DOUBLE_EQ(lookup_ns(k, array, 10, 0, 128), k.array_lookup);
  EXPECT_DOUBLE_EQ(tree_ns(k, 1), 2 * k.test + k.tree_step);
  EXPECT_LT(tree_ns(k, 7), tree_ns(k, 9));
  EXPECT_DOUBLE_EQ(tree_ns(k, 500), 2 * k.test + 9 * k.tree_step);
}

} // namespace
} // namespace psl::lower
