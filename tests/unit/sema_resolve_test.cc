// Name resolution through the real pipeline: symbol table, unknown names
// and fields with suggestions, duplicates, constant cycles, names used as
// the wrong kind of thing, and the bindings left on the tree.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "driver.h"
#include "sema_test_util.h"

namespace {

using namespace psl;

using namespace sema_test;

// -------------------------------------------------------------- unknown names

TEST(Resolve, UnknownNameSuggestsConstant) {
  EXPECT_EQ(errors(R"(policy p {
  const trusted = { 10.0.0.0/8 }
  rule r: ip.src in trustd => drop
}
)"),
            (Lines{"3:21: E0201 unknown name 'trustd'",
                   "  note: did you mean 'trusted'?"}));
}

TEST(Resolve, UnknownNameSuggestsSetProtocolAndIcmpName) {
  EXPECT_EQ(
      errors(R"(policy p {
  set banned : ip dynamic
  rule a: ip.src in baned => drop
  rule b: ip.proto == tpc => drop
  rule c: icmp.type == echo_requst => drop
}
)"),
      (Lines{"3:21: E0201 unknown name 'baned'",
             "  note: did you mean 'banned'?", "4:23: E0201 unknown name 'tpc'",
             "  note: did you mean 'tcp'?",
             "5:24: E0201 unknown name 'echo_requst'",
             "  note: did you mean 'echo_request'?"}));
}

TEST(Resolve, UnknownNameWithoutCloseCandidate) {
  EXPECT_EQ(errors(R"(policy p {
  rule r: ip.src == somewhere => drop
}
)"),
            (Lines{"2:21: E0201 unknown name 'somewhere'"}));
}

TEST(Resolve, UnknownNameIsReportedOnceEverywhere) {
  // In a set literal, a range bound, a constant and a test packet: one
  // error each, and no type errors downstream.
  EXPECT_EQ(
      errors(R"(policy p {
  const c = { lo, 10 }
  rule a: tcp.dport in 1..hi => drop
  rule b: tcp.dport in c => drop
  test "t" {
    packet { ip.src = home } => pass
  }
}
)"),
      (Lines{"2:15: E0201 unknown name 'lo'", "3:27: E0201 unknown name 'hi'",
             "6:23: E0201 unknown name 'home'"}));
}

TEST(Resolve, RuleNameIsNotAValue) {
  EXPECT_EQ(
      errors(R"(policy p {
  rule web: tcp.dport == 80 => pass
  rule r: web => drop
}
)"),
      (Lines{"3:11: E0205 'web' is a rule; rules cannot be used in expressions",
             "  note 2:8: 'web' is defined here"}));
}

// ------------------------------------------------------------- unknown fields

TEST(Resolve, UnknownFieldSuggestsTypo) {
  EXPECT_EQ(errors(R"(policy p {
  rule ssh: tcp.dprot == 22 => drop
}
)"),
            (Lines{"2:13: E0202 unknown field 'tcp.dprot'",
                   "  note: did you mean 'tcp.dport'?"}));
}

TEST(Resolve, UnknownFieldSuggestsOtherProtocol) {
  EXPECT_EQ(
      errors(R"(policy p {
  rule a: tcp.type == 8 => drop
  rule b: udp.syn => drop
}
)"),
      (Lines{"2:11: E0202 unknown field 'tcp.type'",
             "  note: did you mean 'eth.type', 'icmp.type' or 'icmp6.type'?",
             "3:11: E0202 unknown field 'udp.syn'",
             "  note: did you mean 'tcp.syn'?"}));
}

TEST(Resolve, UnknownFieldWithoutSuggestion) {
  EXPECT_EQ(errors(R"(policy p {
  rule a: foo.bar == 1 => drop
}
)"),
            (Lines{"2:11: E0202 unknown field 'foo.bar'"}));
}

TEST(Resolve, UnknownFieldInRateKeyAndTestPacket) {
  EXPECT_EQ(errors(R"(policy p {
  rule a: rate(ip.scr) > 10/s => drop
  test "t" {
    packet { tcp.dprot = 22 } => pass
  }
}
)"),
            (Lines{"2:16: E0202 unknown field 'ip.scr'",
                   "  note: did you mean 'ip.src'?",
                   "4:14: E0202 unknown field 'tcp.dprot'",
                   "  note: did you mean 'tcp.dport'?"}));
}

TEST(Resolve, DuplicateRateKey) {
  EXPECT_EQ(errors(R"(policy p {
  rule a: rate(ip.src, ip.src) > 10/s => drop
}
)"),
            (Lines{"2:24: E0310 duplicate rate() key 'ip.src'",
                   "  note 2:16: first used here"}));
}

// ----------------------------------------------------------------- duplicates

TEST(Resolve, DuplicateRuleName) {
  EXPECT_EQ(errors(R"(policy p {
  rule web: tcp.dport == 80 => pass
  rule web: tcp.dport == 443 => pass
}
)"),
            (Lines{"3:8: E0203 duplicate rule name 'web'",
                   "  note 2:8: 'web' is first defined here"}));
}

TEST(Resolve, DuplicateConstantAndSetShareOneNamespace) {
  EXPECT_EQ(errors(R"(policy p {
  const web = { 80, 443 }
  set web : port dynamic
  const web = 8080
}
)"),
            (Lines{"3:7: E0203 duplicate name 'web'",
                   "  note 2:9: 'web' is first defined here",
                   "4:9: E0203 duplicate name 'web'",
                   "  note 2:9: 'web' is first defined here"}));
}

TEST(Resolve, RulesHaveTheirOwnNamespace) {
  EXPECT_EQ(errors(R"(policy p {
  const web = { 80, 443 }
  rule web: tcp.dport in web => pass
}
)"),
            Lines{});
}

TEST(Resolve, BuiltInNamesCannotBeRedefined) {
  EXPECT_EQ(
      errors(R"(policy p {
  const tcp = 6
  const redirect = 5
}
)"),
      (Lines{
          "2:9: E0203 duplicate name 'tcp': already a protocol name",
          "3:9: E0203 duplicate name 'redirect': already an ICMP type name"}));
}

TEST(Resolve, DuplicateTestName) {
  EXPECT_EQ(errors(R"(policy p {
  test "web" {
    packet { tcp.dport = 80 } => pass
  }
  test "web" {
    packet { tcp.dport = 81 } => pass
  }
}
)"),
            (Lines{"5:8: E0203 duplicate test name 'web'",
                   "  note 2:8: 'web' is first defined here"}));
}

TEST(Resolve, DuplicateDefault) {
  EXPECT_EQ(errors(R"(policy p {
  default drop
  rule r: tcp.syn => pass
  default pass
}
)"),
            (Lines{"4:3: E0206 duplicate 'default'",
                   "  note 2:3: the first 'default' is here"}));
}

// --------------------------------------------------------------------- cycles

TEST(Resolve, ConstantDefinedInTermsOfItself) {
  EXPECT_EQ(errors(R"(policy p {
  const a = { a, 1 }
  rule r: tcp.dport in a => drop
}
)"),
            (Lines{"2:15: E0204 constant 'a' is defined in terms of itself"}));
}

TEST(Resolve, ConstantCycleThroughOthersIsReportedOnce) {
  EXPECT_EQ(errors(R"(policy p {
  const a = { b, 1 }
  const b = { c }
  const c = a
  rule r: tcp.dport in a or tcp.dport in c => drop
}
)"),
            (Lines{"4:13: E0204 constant 'a' is defined in terms of itself (a "
                   "-> b -> c -> a)"}));
}

TEST(Resolve, ForwardReferencesAreFine) {
  EXPECT_EQ(errors(R"(policy p {
  rule r: ip.src in banned or tcp.dport in web => drop
  const web = { http, 443 }
  const http = 80
  set banned : ip dynamic
}
)"),
            Lines{});
}

// ------------------------------------------------------------- wrong kind

TEST(Resolve, DynamicSetWhereAConstantIsNeeded) {
  EXPECT_EQ(errors(R"(policy p {
  set banned : ip dynamic
  const bad = banned
  rule r: ip.src in { banned, 10.0.0.1 } => drop
}
)"),
            (Lines{"3:15: E0205 'banned' is a dynamic set; a constant value is "
                   "needed here",
                   "  note 2:7: 'banned' is declared here",
                   "4:23: E0205 'banned' is a dynamic set; a constant value is "
                   "needed here",
                   "  note 2:7: 'banned' is declared here"}));
}

TEST(Resolve, FieldOrConditionWhereAConstantIsNeeded) {
  EXPECT_EQ(errors(R"(policy p {
  const a = ip.src
  const b = tcp.dport == 22
  rule r: tcp.dport in { 22, tcp.sport } => drop
  test "t" {
    packet { ip.src = ip.dst } => pass
  }
}
)"),
            (Lines{"2:13: E0205 'ip.src' is a packet field; a constant value "
                   "is needed here",
                   "3:13: E0205 'tcp.dport == 22' is a condition; a constant "
                   "value is needed here",
                   "4:30: E0205 'tcp.sport' is a packet field; a constant "
                   "value is needed here",
                   "6:23: E0205 'ip.dst' is a packet field; a constant value "
                   "is needed here"}));
}

TEST(Resolve, ConditionInAConstantIsReportedOnce) {
  // Not also "not a boolean condition" or a type error from inside.
  EXPECT_EQ(
      errors(R"(policy p {
  const a = not 5
  const b = { (tcp.syn and 22), 1 }
  rule r: tcp.dport in 1..rate(ip.src) => drop
}
)"),
      (Lines{
          "2:13: E0205 'not 5' is a condition; a constant value is needed here",
          "3:15: E0205 '(tcp.syn and 22)' is a condition; a constant value is "
          "needed here",
          "4:27: E0205 'rate(ip.src)' is a rate() meter; a constant value is "
          "needed here"}));
}

// ------------------------------------------------------------------- bindings

TEST(Resolve, BindsNamesAndFields) {
  auto checked = check_source("t.psl", R"(policy p {
  const web = { 80, 443 }
  set banned : ip dynamic
  rule r: ip.src in banned and tcp.dport in web and ip.proto == tcp and icmp.type == echo_request => drop
}
)");
  ASSERT_TRUE(checked.ok()) << render(checked.diags).front();
  auto &policy = *checked.module.policy;
  // ((in banned and in web) and == tcp) and == echo_request
  auto &top = as<BinaryExpr>(*policy.rules[0]->cond);
  auto &l2 = as<BinaryExpr>(*top.lhs);
  auto &l3 = as<BinaryExpr>(*l2.lhs);
  auto &banned = as<NameExpr>(*as<CompareExpr>(*l3.lhs).rhs);
  auto &web = as<NameExpr>(*as<CompareExpr>(*l3.rhs).rhs);
  auto &tcp = as<NameExpr>(*as<CompareExpr>(*l2.rhs).rhs);
  auto &echo = as<NameExpr>(*as<CompareExpr>(*top.rhs).rhs);
  EXPECT_EQ(banned.target, NameExpr::Target::Set);
  EXPECT_EQ(banned.decl, policy.sets[0]);
  EXPECT_EQ(web.target, NameExpr::Target::Const);
  EXPECT_EQ(web.decl, policy.consts[0]);
  EXPECT_EQ(tcp.target, NameExpr::Target::Proto);
  EXPECT_EQ(echo.target, NameExpr::Target::IcmpName);
  auto &src = as<FieldExpr>(*as<CompareExpr>(*l3.lhs).lhs);
  ASSERT_NE(src.field, nullptr);
  EXPECT_EQ(src.field->id, FieldId::IpSrc);
}

TEST(Resolve, BindsRateKeysAndTestFields) {
  auto checked = check_source("t.psl", R"(policy p {
  rule r: rate(ip.src, tcp.dport) > 10/s => drop
  test "t" {
    packet { tcp.dport = 22 } => pass
  }
}
)");
  ASSERT_TRUE(checked.ok());
  auto &policy = *checked.module.policy;
  auto &rate = as<RateExpr>(*as<CompareExpr>(*policy.rules[0]->cond).lhs);
  ASSERT_EQ(rate.keys.size(), 2u);
  EXPECT_EQ(rate.keys[0]->field->id, FieldId::IpSrc);
  EXPECT_EQ(rate.keys[1]->field->id, FieldId::TcpDport);
  EXPECT_EQ(policy.tests[0]->packets[0]->fields[0].field->field->id,
            FieldId::TcpDport);
}

} // namespace
