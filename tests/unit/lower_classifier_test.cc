// The lowering on real PSL through the real front end: which rules become
// which groups, key layouts, priorities at overlapping prefixes, and the
// rules that stay code.
#include <cstring>
#include <gtest/gtest.h>

#include "codegen/source_builder.h"
#include "codegen/xdp_generator.h"
#include "driver.h"
#include "lower/lower.h"

namespace psl::lower {
namespace {

struct Lowered {
  explicit Lowered(CheckedModule m) : checked(std::move(m)) {}
  CheckedModule checked;
  LowerResult result;
  const Classifier &c() const { return result.classifier; }
};

std::unique_ptr<Lowered> lower_text(const std::string &body, LowerOptions opts = {}) {
  auto l = std::make_unique<Lowered>(check_source("t.psl", "policy t {\n" + body + "\n}\n"));
  EXPECT_TRUE(l->checked.ok());
  if (!l->checked.ok())
    return nullptr;
  l->result = lower_policy(*l->checked.module.policy, l->checked.diags.file_ptr().get(), opts);
  return l;
}

const RuleInfo &rule(const Classifier &c, const std::string &name) {
  for (const auto &r : c.rules)
    if (r.name == name)
      return r;
  throw std::runtime_error("no rule " + name);
}

// The value stored for an LPM key of group g (ip.src only) at addr/len.
uint32_t lpm_value(const Classifier &c, size_t g, uint8_t family, const uint8_t addr[16],
                   uint32_t plen) {
  const auto &grp = c.groups[g];
  for (const auto &e : c.entries) {
    if (e.map != grp.map)
      continue;
    uint32_t bits;
    std::memcpy(&bits, e.key.data(), 4);
    if (bits == 8 + plen && e.key[4] == family && std::memcmp(&e.key[5], addr, 16) == 0) {
      uint32_t v;
      std::memcpy(&v, e.value.data(), 4);
      return v;
    }
  }
  return 0;
}

TEST(LowerClassifier, SameShapeRulesShareOneGroup) {
  auto l = lower_text(R"(
    rule a: ip.src == 10.0.0.1 => drop
    rule b: ip.src in 10.1.0.0/16 => pass
    rule c: ip.src in 2001:db8::/32 => drop
    rule d: tcp.dport == 22 => pass
    rule e: tcp.dport in { 80, 443 } => drop
    rule f: udp.dport == 53 and ip.proto == udp => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 3u) << to_string(c);
  EXPECT_EQ(c.groups[0].shape, "lpm ip.src");
  EXPECT_EQ(c.groups[0].rules, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(c.groups[1].shape, "array tcp.dport");
  EXPECT_EQ(c.groups[1].rules, (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(c.groups[2].shape, "hash ip.proto, udp.dport");
  EXPECT_TRUE(c.code.empty());
  EXPECT_EQ(c.maps[c.groups[0].map].key_size, 4u + 20u); // 17 bytes padded to 20
}

TEST(LowerClassifier, CoveringPrefixesFoldTheFirstMatch) {
  auto l = lower_text(R"(
    rule wide: ip.src in 10.0.0.0/8 => drop
    rule narrow: ip.src in 10.1.0.0/16 => pass
    rule host: ip.src == 10.1.2.3 => pass
    rule first_host: ip.src == 10.9.9.9 => pass
    rule late_wide: ip.src in 10.9.0.0/16 => drop)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u);
  auto a4 = [](uint8_t x, uint8_t y, uint8_t z, uint8_t w) {
    std::array<uint8_t, 16> b{};
    b[10] = b[11] = 0xff;
    b[12] = x, b[13] = y, b[14] = z, b[15] = w;
    return b;
  };
  uint32_t wide = Classifier::encode(0, Action::Drop);
  EXPECT_EQ(lpm_value(c, 0, 4, a4(10, 0, 0, 0).data(), 96 + 8), wide);
  // narrow and host lie under `wide`, which comes first: both store wide.
  EXPECT_EQ(lpm_value(c, 0, 4, a4(10, 1, 0, 0).data(), 96 + 16), wide);
  EXPECT_EQ(lpm_value(c, 0, 4, a4(10, 1, 2, 3).data(), 128), wide);
  EXPECT_EQ(lpm_value(c, 0, 4, a4(10, 9, 0, 0).data(), 96 + 16), wide);
}

TEST(LowerClassifier, LaterCoveringPrefixDoesNotOverrideEarlierHost) {
  auto l = lower_text(R"(
    rule host: ip.src == 10.1.2.3 => pass
    rule net: ip.src in 10.1.0.0/16 => drop)");
  ASSERT_TRUE(l && l->result.ok());
  std::array<uint8_t, 16> host{};
  host[10] = host[11] = 0xff;
  host[12] = 10, host[13] = 1, host[14] = 2, host[15] = 3;
  EXPECT_EQ(lpm_value(l->c(), 0, 4, host.data(), 128), Classifier::encode(0, Action::Pass));
}

TEST(LowerClassifier, ExactDimensionsArePrependedToThePrefix) {
  auto l = lower_text("rule r: tcp.dport == 443 and ip.dst in 192.0.2.0/24 => drop");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u);
  const LookupGroup &g = c.groups[0];
  EXPECT_EQ(g.shape, "lpm ip.dst + tcp.dport");
  ASSERT_EQ(g.exact.size(), 1u);
  EXPECT_EQ(g.exact[0].offset, 0u);
  EXPECT_EQ(g.exact[0].size, 2u);
  ASSERT_TRUE(g.prefix);
  EXPECT_EQ(g.prefix->offset, 2u);
  ASSERT_EQ(c.entries.size(), 1u);
  const auto &k = c.entries[0].key;
  uint32_t bits;
  std::memcpy(&bits, k.data(), 4);
  EXPECT_EQ(bits, 16u + 8u + 96u + 24u);
  EXPECT_EQ(k[4], 0x01);
  EXPECT_EQ(k[5], 0xbb); // 443 big-endian
  EXPECT_EQ(k[6], 4);    // family
}

TEST(LowerClassifier, IrregularRulesBecomeCodeWithAReason) {
  auto l = lower_text(R"(
    set banned : ip dynamic
    rule c: ip.ttl < 2 => count
    rule s: tcp.dport == 23 => drop shadow
    rule r: rate(ip.src) > 10/s => drop
    rule d: ip.src in banned => drop
    rule two: ip.src in 10.0.0.0/8 and ip.dst in 10.0.0.0/8 => drop
    rule big: pkt.len > 1000 => drop
    rule all: true => pass)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  EXPECT_EQ(rule(c, "c").why_code, "it is a count rule");
  EXPECT_EQ(rule(c, "s").why_code, "it is a shadow rule");
  EXPECT_EQ(rule(c, "r").why_code, "it uses rate()");
  EXPECT_EQ(rule(c, "d").why_code, "it uses a dynamic set or compares two fields");
  EXPECT_EQ(rule(c, "two").why_code, "it tests two address ranges at once");
  EXPECT_NE(rule(c, "big").why_code.find("too many values"), std::string::npos);
  EXPECT_EQ(rule(c, "all").why_code, "its condition holds for every packet");
  EXPECT_EQ(c.code.size(), 7u);
  EXPECT_TRUE(c.groups.empty());
}

TEST(LowerClassifier, LiteralSetsOfCodeRulesAreMapContents) {
  auto l = lower_text(R"(
    rule r: ip.src in { 10.0.0.0/8, 192.0.2.1, 2001:db8::/32 } and rate() > 5/s => drop
    rule p: tcp.dport in { 1, 3, 5, 7, 9, 11 } => count)");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  size_t set_maps = 0;
  for (const auto &m : c.maps)
    set_maps += m.name.rfind("psl_sets_", 0) == 0;
  EXPECT_EQ(set_maps, 2u); // every address set in one map, value sets in another
  std::string text = codegen::generate_xdp(c);
  // No address in the code (the rule text appears only in a comment).
  EXPECT_EQ(text.find("3221225985"), std::string::npos) << text;
  EXPECT_NE(text.find("psl_set_has_ip(&psl_sets_ip, 1, p, 1)"), std::string::npos);
  EXPECT_NE(text.find("psl_set_has(&psl_sets_val, 2, p->tcp_dport)"), std::string::npos);
}

TEST(LowerClassifier, NotKeepsTheGuard) {
  auto l = lower_text("rule r: not tcp.dport == 22 => drop");
  ASSERT_TRUE(l && l->result.ok());
  const Classifier &c = l->c();
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].shape, "array tcp.dport");
  EXPECT_EQ(c.groups[0].entries, 65535u); // every port but 22; UDP never looks
}

TEST(LowerClassifier, OrExplosionFallsBackToCode) {
  LowerOptions o;
  o.groups.max_conjuncts = 4;
  auto l = lower_text(
      "rule r: (tcp.dport == 1 or udp.dport == 1) and (ip.ttl == 1 or ip.tos == 1) and "
      "(eth.type == 1 or vlan.id == 1) => drop",
      o);
  ASSERT_TRUE(l && l->result.ok());
  EXPECT_TRUE(rule(l->c(), "r").in_code);
  EXPECT_NE(rule(l->c(), "r").why_code.find("alternatives"), std::string::npos);
}

TEST(LowerClassifier, CodeBudgetErrorNamesRules) {
  LowerOptions o;
  o.code.max_code_rules = 2;
  auto l = lower_text(R"(
    rule a: ip.ttl == 1 => count
    rule b: ip.ttl == 2 => count
    rule c: ip.ttl == 3 => count)",
                      o);
  ASSERT_TRUE(l);
  ASSERT_FALSE(l->result.ok());
  ASSERT_EQ(l->result.error->rules.size(), 3u);
  EXPECT_EQ(l->result.error->rules[0].name, "a");
}

TEST(SourceBuilder, IndentsBlocksAndWrapsComments) {
  codegen::SourceBuilder b;
  b.open("int f(void)");
  b.comment("short");
  b.line("return 0;");
  b.close();
  EXPECT_EQ(b.str(), "int f(void) {\n  /* short */\n  return 0;\n}\n");
}

} // namespace
} // namespace psl::lower
