// Type checking through the real pipeline: types and contextual values left
// on the tree, and every type error of language.md with its exact message
// and location (E0301..E0313).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "driver.h"
#include "sema_test_util.h"

namespace {

using namespace psl;

using namespace sema_test;

// A one-rule policy: the condition starts at column 11 of line 2.
Lines rule_errors(const std::string &cond) {
  return errors("policy p {\n  rule r: " + cond + " => drop\n}\n");
}

// The condition of the only rule of a clean policy.
struct Checked {
  CheckedModule m;
  CompareExpr &cmp(size_t rule = 0) {
    return as<CompareExpr>(*m.module.policy->rules.at(rule)->cond);
  }
};
Checked clean(const std::string &text) {
  Checked c{check_source("t.psl", text)};
  EXPECT_TRUE(c.m.ok()) << (render(c.m.diags).empty()
                                ? ""
                                : render(c.m.diags).front());
  return c;
}

Type range_of(TypeKind k) { return Type{TypeKind::Range, k, false}; }

// ------------------------------------------------------------ types on the
// tree

TEST(TypeCheck, ContextualIntsTakeTheFieldsType) {
  auto c = clean(R"(policy p {
  rule a: tcp.dport == 22 => drop
  rule b: ip.proto == 47 => drop
  rule c: icmp.type == 8 => drop
  rule d: ip.ttl < 2 => count
  rule e: tcp.dport in { 22, 8000..8100 } => drop
  rule f: udp.dport in 1024..65535 => drop
}
)");
  auto &a = c.cmp(0);
  EXPECT_EQ(a.type, Type::of(TypeKind::Bool));
  EXPECT_EQ(a.lhs->type, Type::of(TypeKind::Port));
  EXPECT_EQ(a.rhs->type, Type::of(TypeKind::Port));
  EXPECT_EQ(a.rhs->constant, (Value{uint64_t{22}}));
  EXPECT_EQ(c.cmp(1).rhs->type, Type::of(TypeKind::Proto));
  EXPECT_EQ(c.cmp(1).rhs->constant, (Value{ProtoValue{47}}));
  EXPECT_EQ(c.cmp(2).rhs->type, Type::of(TypeKind::IcmpType));
  EXPECT_EQ(c.cmp(2).rhs->constant, (Value{IcmpTypeValue{false, 8}}));
  EXPECT_EQ(c.cmp(3).rhs->type, Type::of(TypeKind::Int));
  auto &e = c.cmp(4);
  EXPECT_EQ(e.rhs->type, Type::set_of(TypeKind::Port));
  auto &elems = as<SetExpr>(*e.rhs).elements;
  EXPECT_EQ(elems[0]->type, Type::of(TypeKind::Port));
  EXPECT_EQ(elems[1]->type, range_of(TypeKind::Port));
  EXPECT_EQ(c.cmp(5).rhs->type, range_of(TypeKind::Port));
}

TEST(TypeCheck, IcmpNamesTakeTheFamilyOfTheField) {
  auto c = clean(R"(policy p {
  const pings = { echo_request, echo_reply }
  rule a: icmp.type == echo_request => drop
  rule b: icmp6.type == echo_request => drop
  rule c: icmp6.type in pings => drop
}
)");
  EXPECT_EQ(c.cmp(0).rhs->type, Type::of(TypeKind::IcmpType));
  EXPECT_EQ(c.cmp(0).rhs->constant, (Value{IcmpTypeValue{false, 8}}));
  EXPECT_EQ(c.cmp(1).rhs->type, Type::of(TypeKind::Icmp6Type));
  EXPECT_EQ(c.cmp(1).rhs->constant, (Value{IcmpTypeValue{true, 128}}));
  // The use site is ICMPv6; the constant keeps its natural ICMPv4 value.
  EXPECT_EQ(c.cmp(2).rhs->type, Type::set_of(TypeKind::Icmp6Type));
  EXPECT_EQ(c.cmp(2).rhs->constant,
            (Value{SetValue{{Value{IcmpTypeValue{true, 128}},
                             Value{IcmpTypeValue{true, 129}}}}}));
  auto *pings = c.m.module.policy->consts[0];
  EXPECT_EQ(pings->type, Type::set_of(TypeKind::IcmpType));
  EXPECT_EQ(pings->folded, (Value{SetValue{{Value{IcmpTypeValue{false, 8}},
                                            Value{IcmpTypeValue{false, 0}}}}}));
}

TEST(TypeCheck, DeclarationTypes) {
  auto c = clean(R"(policy p {
  const web = { 80, 443 }
  const nets = { 10.0.0.0/8, 10.1.1.1 }
  const net = 10.0.0.0/8
  const hop = 1..5
  const limit = 10Mbit/s
  set banned : ip dynamic ttl 10m capacity 1000
  set ports : port dynamic
  rule a: ip.src in banned or tcp.dport in ports => drop
  rule b: rate(ip.src) > limit => drop
  rule c: tcp.dport in web and ip.src in nets and ip.dst in net and ip.ttl in hop => drop
}
)");
  auto &p = *c.m.module.policy;
  EXPECT_EQ(p.consts[0]->type, Type::set_of(TypeKind::Int));
  EXPECT_EQ(p.consts[1]->type, Type::set_of(TypeKind::Ip));
  EXPECT_EQ(p.consts[2]->type, Type::of(TypeKind::Cidr));
  EXPECT_EQ(p.consts[3]->type, range_of(TypeKind::Int));
  EXPECT_EQ(p.consts[4]->type, Type::of(TypeKind::Rate));
  EXPECT_EQ(p.sets[0]->elem, TypeKind::Ip);
  EXPECT_EQ(p.sets[1]->elem, TypeKind::Port);
  auto &a = as<BinaryExpr>(*p.rules[0]->cond);
  EXPECT_EQ(as<CompareExpr>(*a.lhs).rhs->type,
            Type::set_of(TypeKind::Ip, true));
  auto &rate = as<CompareExpr>(*p.rules[1]->cond);
  EXPECT_EQ(rate.lhs->type, Type::of(TypeKind::RateMeter));
  EXPECT_EQ(rate.rhs->type, Type::of(TypeKind::Rate));
  // `web` read against tcp.dport is a set of ports at this use.
  auto &cc = as<BinaryExpr>(*p.rules[2]->cond);
  auto &web_use =
      as<CompareExpr>(*as<BinaryExpr>(*as<BinaryExpr>(*cc.lhs).lhs).lhs);
  EXPECT_EQ(web_use.rhs->type, Type::set_of(TypeKind::Port));
}

TEST(TypeCheck, TestPacketValuesAreTyped) {
  auto checked = check_source("t.psl", R"(policy p {
  rule r: icmp6.type == echo_request => drop
  test "t" {
    packet { icmp6.type = echo_request, ip.src = 2001:db8::1 } => drop
    packet { tcp.dport = 443, tcp.syn = true } x 10 within 1s => pass >= 10
    packet {} => pass
  }
}
)");
  ASSERT_TRUE(checked.ok()) << render(checked.diags).front();
  auto &packets = checked.module.policy->tests[0]->packets;
  EXPECT_EQ(packets[0]->fields[0].value->type, Type::of(TypeKind::Icmp6Type));
  EXPECT_EQ(packets[0]->fields[0].value->constant,
            (Value{IcmpTypeValue{true, 128}}));
  EXPECT_EQ(packets[1]->fields[0].value->type, Type::of(TypeKind::Port));
  EXPECT_EQ(packets[1]->fields[1].value->type, Type::of(TypeKind::Bool));
}

TEST(TypeCheck, LanguageExampleIsClean) {
  auto checked =
      check_source("edge.psl", R"(# comments run from '#' to the end of the line
policy edge_guard {
  const trusted  = { 10.0.0.0/8, 192.168.0.0/16, fd00::/8 }
  const web      = { 80, 443, 8000..8100 }
  protect ip.src in trusted
  set banned : ip dynamic ttl 10m capacity 100000
  rule allow_web:   tcp.dport in web and tcp.syn and not tcp.ack => pass
  rule drop_banned: ip.src in banned => drop
  rule icmp_flood:  icmp.type == echo_request and rate(ip.src) > 100/s => drop ttl 10m
  rule odd_ttl:     ip.ttl < 2 => count
  rule frag:        ip.frag => drop shadow
  default pass
  test "web SYN passes, flood is cut" {
    packet { ip.src = 203.0.113.7, tcp.dport = 443, tcp.syn = true } => pass
    packet { ip.src = 198.51.100.1, icmp.type = echo_request } x 1000 within 1s => drop >= 850
  }
}
)");
  EXPECT_EQ(render(checked.diags), Lines{});
}

TEST(TypeCheck, EveryExpressionOfACleanPolicyIsTyped) {
  auto checked = check_source("t.psl", R"(policy p {
  const nets = { 10.0.0.0/8, 192.168.1.1 }
  const web = { 80, 443, 8000..8100, { 8443 } }
  const pings = { echo_request, 0 }
  set banned : ip dynamic
  protect ip.src in nets
  rule a: not (tcp.dport in web or udp.dport in 1..1023) and tcp.syn == true => pass
  rule b: icmp6.type in pings and rate(ip.src, icmp6.type, burst 5) >= 1k/s => drop
  rule c: ip.src in banned and eth.src != aa:bb:cc:dd:ee:ff and ip.proto in { tcp, 17 } => drop
  test "t" {
    packet { ip.src = 10.1.1.1, eth.src = aa:bb:cc:dd:ee:ff, tcp.dport = 80 } x 3 => pass == 3
  }
}
)");
  ASSERT_TRUE(checked.ok()) << render(checked.diags).front();
  struct AllTyped : Visitor {
    std::vector<std::string> untyped;
    void check(Expr &e) {
      if (e.type.is_error())
        untyped.push_back(std::to_string(e.range.begin.line) + ":" +
                          std::to_string(e.range.begin.column));
    }
    void visit(LiteralExpr &e) override { check(e); }
    void visit(NameExpr &e) override { check(e); }
    void visit(FieldExpr &e) override { check(e); }
    void visit(SetExpr &e) override { check(e), Visitor::visit(e); }
    void visit(RangeExpr &e) override { check(e), Visitor::visit(e); }
    void visit(NotExpr &e) override { check(e), Visitor::visit(e); }
    void visit(BinaryExpr &e) override { check(e), Visitor::visit(e); }
    void visit(CompareExpr &e) override { check(e), Visitor::visit(e); }
    void visit(RateExpr &e) override { check(e), Visitor::visit(e); }
  } walk;
  walk.visit_policy(*checked.module.policy);
  EXPECT_EQ(walk.untyped, std::vector<std::string>{});
}

TEST(TypeCheck, ConstantsComparedWithConstants) {
  EXPECT_EQ(rule_errors("1 < 2"), Lines{});
  EXPECT_EQ(rule_errors("tcp == 6"), Lines{});
  EXPECT_EQ(rule_errors("5 < tcp"),
            (Lines{"2:13: E0302 operator '<' is not defined for proto"}));
  EXPECT_EQ(rule_errors("22 == 10.0.0.1"),
            (Lines{"2:17: E0301 cannot compare 22 (int) with 10.0.0.1 (ip)"}));
  EXPECT_EQ(rule_errors("10.0.0.1 in 10.0.0.0/8"), Lines{});
}

TEST(TypeCheck, ScalarConstantIsNotACollection) {
  EXPECT_EQ(errors(R"(policy p {
  const host = 10.0.0.1
  rule r: ip.src in host => drop
}
)"),
            (Lines{"3:21: E0302 'in' needs a set, a prefix or a range on its "
                   "right; 'host' is ip",
                   "  note: use '==' to compare with a single value"}));
}

// ------------------------------------------------------------------ E0301

TEST(TypeCheck, MismatchedComparison) {
  EXPECT_EQ(rule_errors("ip.src == 22"),
            (Lines{"2:21: E0301 cannot compare 'ip.src' (ip) with 22 (int)"}));
  EXPECT_EQ(rule_errors("22 == ip.src"),
            (Lines{"2:11: E0301 cannot compare 22 (int) with 'ip.src' (ip)"}));
  EXPECT_EQ(rule_errors("tcp.dport == ip.ttl"),
            (Lines{"2:11: E0301 cannot compare 'tcp.dport' (port) with "
                   "'ip.ttl' (int)"}));
  EXPECT_EQ(
      rule_errors("tcp.syn == 1"),
      (Lines{"2:22: E0301 cannot compare 'tcp.syn' (bool) with 1 (int)"}));
  EXPECT_EQ(rule_errors("ip.proto == echo_request"),
            (Lines{"2:23: E0301 cannot compare 'ip.proto' (proto) with "
                   "'echo_request' (icmp type)"}));
}

TEST(TypeCheck, EqualityWithACollectionSuggestsIn) {
  EXPECT_EQ(
      rule_errors("ip.src == 10.0.0.0/8"),
      (Lines{"2:21: E0301 cannot compare 'ip.src' (ip) with 10.0.0.0/8 (cidr)",
             "  note: use 'in' to test membership"}));
  EXPECT_EQ(rule_errors("tcp.dport != { 22, 23 }"),
            (Lines{"2:24: E0301 cannot compare 'tcp.dport' (port) with { 22, "
                   "23 } (set of int)",
                   "  note: use 'not in' to test membership"}));
}

TEST(TypeCheck, MismatchedMembership) {
  EXPECT_EQ(rule_errors("tcp.dport in {10.0.0.0/8}"),
            (Lines{"2:24: E0301 cannot look up 'tcp.dport' (port) in "
                   "{10.0.0.0/8} (set of ip)"}));
  EXPECT_EQ(rule_errors("tcp.dport in 10.0.0.0/8"),
            (Lines{"2:24: E0301 cannot look up 'tcp.dport' (port) in "
                   "10.0.0.0/8 (cidr)"}));
  EXPECT_EQ(
      rule_errors("ip.src in 1..5"),
      (Lines{
          "2:21: E0301 cannot look up 'ip.src' (ip) in 1..5 (range of int)"}));
  EXPECT_EQ(rule_errors("ip.proto in { tcp, 1..5 }"),
            (Lines{"2:30: E0303 set element 1..5 (range of int) does not match "
                   "earlier element "
                   "'tcp' (proto)"}));
}

TEST(TypeCheck, DynamicSetElementTypeMustMatch) {
  EXPECT_EQ(errors(R"(policy p {
  set banned : port dynamic
  rule r: ip.src in banned => drop
  rule s: 10.0.0.1 in banned => drop
}
)"),
            (Lines{"3:21: E0301 cannot look up 'ip.src' (ip) in 'banned' "
                   "(dynamic set of port)",
                   "4:11: E0301 cannot look up 10.0.0.1 (ip) in 'banned' "
                   "(dynamic set of port)"}));
}

TEST(TypeCheck, ConstantSetUsedWithTheWrongField) {
  EXPECT_EQ(errors(R"(policy p {
  const nets = { 10.0.0.0/8 }
  rule r: tcp.dport in nets => drop
}
)"),
            (Lines{"3:24: E0301 cannot look up 'tcp.dport' (port) in 'nets' "
                   "(set of ip)"}));
}

TEST(TypeCheck, RateComparedWithSomethingElse) {
  EXPECT_EQ(rule_errors("rate(ip.src) > 100"),
            (Lines{"2:26: E0301 cannot compare 'rate(ip.src)' (rate meter) "
                   "with 100 (int)",
                   "  note: a rate is written like 100/s, 10k/s or 10Mbit/s"}));
}

// ------------------------------------------------------------------ E0302

TEST(TypeCheck, OrderingNeedsIntOrPort) {
  EXPECT_EQ(rule_errors("ip.src < 10.0.0.1"),
            (Lines{"2:18: E0302 operator '<' is not defined for ip"}));
  EXPECT_EQ(rule_errors("ip.proto >= tcp"),
            (Lines{"2:20: E0302 operator '>=' is not defined for proto"}));
  EXPECT_EQ(rule_errors("tcp.syn > false"),
            (Lines{"2:19: E0302 operator '>' is not defined for bool"}));
}

TEST(TypeCheck, MembershipNeedsACollection) {
  EXPECT_EQ(rule_errors("tcp.dport in 22"),
            (Lines{"2:24: E0302 'in' needs a set, a prefix or a range on its "
                   "right; 22 is int",
                   "  note: use '==' to compare with a single value"}));
  EXPECT_EQ(
      rule_errors("ip.src not in ip.dst"),
      (Lines{
          "2:25: E0302 'not in' needs a set, a prefix or a range on its right; "
          "'ip.dst' is ip",
          "  note: use '!=' to compare with a single value"}));
}

// ------------------------------------------------------------------ E0304

TEST(TypeCheck, ValueWiderThanTheField) {
  EXPECT_EQ(rule_errors("ip.ttl == 300"),
            (Lines{"2:21: E0304 'ip.ttl' is 8 bits wide; 300 does not fit"}));
  EXPECT_EQ(
      rule_errors("tcp.dport in 1024..70000"),
      (Lines{"2:30: E0304 'tcp.dport' is 16 bits wide; 70000 does not fit"}));
  EXPECT_EQ(
      rule_errors("vlan.id in { 1, 4096, 0x1000 }"),
      (Lines{"2:27: E0304 'vlan.id' is 12 bits wide; 4096 does not fit",
             "2:33: E0304 'vlan.id' is 12 bits wide; 0x1000 does not fit"}));
  EXPECT_EQ(
      rule_errors("icmp.type == 256"),
      (Lines{"2:24: E0304 'icmp.type' is 8 bits wide; 256 does not fit"}));
}

TEST(TypeCheck, ValueWiderThanTheFieldThroughAConstant) {
  EXPECT_EQ(errors(R"(policy p {
  const odd = { 1, 300 }
  rule r: ip.ttl in odd => drop
  rule s: tcp.dport in odd => drop
}
)"),
            (Lines{"3:21: E0304 'ip.ttl' is 8 bits wide; 300 does not fit",
                   "  note 2:20: 300 is defined here"}));
}

// ------------------------------------------------------------------ E0306

TEST(TypeCheck, RateOnlyWithGreaterThan) {
  EXPECT_EQ(rule_errors("rate(ip.src) < 5/s"),
            (Lines{"2:24: E0306 rate() can only be compared with '>' or '>=', "
                   "not '<'"}));
  EXPECT_EQ(rule_errors("rate(ip.src) == 5/s"),
            (Lines{"2:24: E0306 rate() can only be compared with '>' or '>=', "
                   "not '=='"}));
  EXPECT_EQ(rule_errors("5/s < rate(ip.src)"),
            (Lines{"2:17: E0306 rate() must be on the left of '>' or '>='"}));
  EXPECT_EQ(rule_errors("rate() >= 1Gbit/s"), Lines{});
}

// ------------------------------------------------------------------ E0307

TEST(TypeCheck, ConditionMustBeBoolean) {
  EXPECT_EQ(rule_errors("tcp.syn"), Lines{});
  EXPECT_EQ(rule_errors("ip.src"),
            (Lines{"2:11: E0307 'ip.src' (ip) is not a boolean condition"}));
  EXPECT_EQ(
      rule_errors("tcp.syn and tcp.dport"),
      (Lines{"2:23: E0307 'tcp.dport' (port) is not a boolean condition"}));
  EXPECT_EQ(rule_errors("not 22"),
            (Lines{"2:15: E0307 22 (int) is not a boolean condition"}));
  EXPECT_EQ(rule_errors("tcp"),
            (Lines{"2:11: E0307 'tcp' (proto) is not a boolean condition",
                   "  note: did you mean 'ip.proto == tcp'?"}));
  EXPECT_EQ(
      rule_errors("rate(ip.src)"),
      (Lines{
          "2:11: E0307 'rate(ip.src)' (rate meter) is not a boolean condition",
          "  note: compare it with a rate: 'rate(ip.src) > 100/s'"}));
  EXPECT_EQ(errors(R"(policy p {
  protect ip.src
}
)"),
            (Lines{"2:11: E0307 'ip.src' (ip) is not a boolean condition"}));
}

// ------------------------------------------------------------------ E0308

TEST(TypeCheck, IcmpNameOfTheWrongFamily) {
  EXPECT_EQ(rule_errors("icmp.type == neighbor_solicitation"),
            (Lines{"2:24: E0308 'neighbor_solicitation' is an ICMPv6 type "
                   "name; 'icmp.type' "
                   "holds ICMPv4 types",
                   "  note: use 'icmp6.type' for ICMPv6 types"}));
  EXPECT_EQ(rule_errors("icmp6.type in { echo_request, source_quench }"),
            (Lines{"2:41: E0308 'source_quench' is an ICMPv4 type name; "
                   "'icmp6.type' holds "
                   "ICMPv6 types",
                   "  note: use 'icmp.type' for ICMPv4 types"}));
}

// ------------------------------------------------------------------ E0310

TEST(TypeCheck, BurstAndRateMustBePositive) {
  EXPECT_EQ(rule_errors("rate(ip.src, burst 0) > 10/s"),
            (Lines{"2:30: E0310 burst must be greater than 0"}));
  EXPECT_EQ(rule_errors("rate(ip.src) > 0/s"),
            (Lines{"2:26: E0310 rate must be greater than 0"}));
}

// ------------------------------------------------------------------ E0311

TEST(TypeCheck, Modifiers) {
  EXPECT_EQ(errors(R"(policy p {
  rule a: ip.ttl < 2 => count ttl 10m
  rule b: ip.ttl < 3 => count shadow
  rule c: ip.ttl < 4 => drop ttl 0s shadow
}
)"),
            (Lines{"3:31: E0311 'shadow' has no effect on a count rule",
                   "  note: count never changes a verdict; 'shadow' is for "
                   "'pass' and 'drop'",
                   "4:34: E0311 ttl must be greater than 0"}));
}

// ------------------------------------------------------------------ E0312

TEST(TypeCheck, TestPacketAssignments) {
  EXPECT_EQ(
      errors(R"(policy p {
  rule r: tcp.syn => drop
  test "t" {
    packet { ip.src = 22, tcp.dport = 10.0.0.1, ip.dst = 10.0.0.0/8 } => pass
    packet { ip.ttl = 1, ip.ttl = 2, ip.ttl = 999 } => pass
  }
}
)"),
      (Lines{"4:23: E0312 cannot assign 22 (int) to 'ip.src' (ip)",
             "4:39: E0312 cannot assign 10.0.0.1 (ip) to 'tcp.dport' (port)",
             "4:58: E0312 cannot assign 10.0.0.0/8 (cidr) to 'ip.dst' (ip)",
             "5:26: E0312 field 'ip.ttl' is assigned twice",
             "  note 5:14: first assigned here",
             "5:38: E0312 field 'ip.ttl' is assigned twice",
             "  note 5:14: first assigned here"}));
}

TEST(TypeCheck, TestPacketRepeatAndCount) {
  EXPECT_EQ(
      errors(R"(policy p {
  rule r: tcp.syn => drop
  test "t" {
    packet { tcp.syn = true } x 0 => drop
    packet { tcp.syn = true } x 500 => drop >= 900
    packet { tcp.syn = true } => drop > 1
    packet { tcp.syn = true } x 5 => drop < 0
    packet { tcp.syn = true } x 5 => drop == 5
  }
}
)"),
      (Lines{"4:33: E0312 'x 0' sends no packet; the repeat count must be at "
             "least 1",
             "5:40: E0312 'drop >= 900' can never hold: the packet is sent 500 "
             "times",
             "6:34: E0312 'drop > 1' can never hold: the packet is sent once",
             "7:38: E0312 'drop < 0' can never hold: the packet is sent 5 "
             "times"}));
}

TEST(TypeCheck, TestPacketProtocolConflicts) {
  EXPECT_EQ(
      errors(R"(policy p {
  rule r: tcp.syn => drop
  test "t" {
    packet { tcp.dport = 22, udp.sport = 53 } => pass
    packet { l4.dport = 53, udp.sport = 53 } => pass
    packet { ip.proto = udp, tcp.syn = true } => pass
    packet { ip.src = 10.0.0.1, icmp6.type = echo_request } => pass
  }
}
)"),
      (Lines{
          "4:30: E0312 'udp.sport' cannot be set on a packet that has "
          "'tcp.dport'",
          "  note 4:14: 'tcp.dport' is set here",
          "6:30: E0312 'tcp.syn' cannot be set on a packet that has 'ip.proto'",
          "  note 6:14: 'ip.proto' is set here",
          "7:33: E0312 the IP families differ: 'icmp6.type' needs an IPv6 "
          "packet, 'ip.src' an IPv4 one",
          "  note 7:14: 'ip.src' is set here",
          "  note: icmp6.* is ICMP over IPv6; over IPv4 use icmp.*"}));
}

// ------------------------------------------------------------------ E0313

TEST(TypeCheck, SetDeclarations) {
  EXPECT_EQ(errors(R"(policy p {
  set a : ipv4 dynamic
  set b : cidr dynamic
  set c : port dynamic capacity 0
  set d : ip dynamic ttl 0s
  rule r: ip.src in a => drop
}
)"),
            (Lines{"2:11: E0313 unknown set element type 'ipv4'; expected ip, "
                   "port, int, mac or proto",
                   "  note: did you mean 'ip'? (one type for both families)",
                   "3:11: E0313 unknown set element type 'cidr'; expected ip, "
                   "port, int, mac or proto",
                   "  note: a dynamic set holds single addresses: use 'ip'",
                   "4:33: E0313 set capacity must be at least 1",
                   "5:26: E0313 set ttl must be greater than 0"}));
}

// ------------------------------------------------------- one root cause only

TEST(TypeCheck, UnknownNamesAndFieldsCauseNoTypeErrors) {
  EXPECT_EQ(errors(R"(policy p {
  set s : ipv4 dynamic
  const bad = { 1, 10.0.0.1 }
  rule a: ip.src == trustd => drop
  rule b: tcp.dprot in { 10.0.0.1 } => drop
  rule c: ip.src in s => drop
  rule d: tcp.dport in bad => drop
  rule e: rate(ip.scr) > 5/s => drop
  rule f: not nothing => drop
}
)"),
            (Lines{"2:11: E0313 unknown set element type 'ipv4'; expected ip, "
                   "port, int, mac or proto",
                   "  note: did you mean 'ip'? (one type for both families)",
                   "3:20: E0303 set element 10.0.0.1 (ip) does not match "
                   "earlier element 1 (int)",
                   "4:21: E0201 unknown name 'trustd'",
                   "5:11: E0202 unknown field 'tcp.dprot'",
                   "  note: did you mean 'tcp.dport'?",
                   "8:16: E0202 unknown field 'ip.scr'",
                   "  note: did you mean 'ip.src'?",
                   "9:15: E0201 unknown name 'nothing'"}));
}

} // namespace
