// Frontend: the PSL text of language.md and every literal form through
// parse_policy, checked against the AST it must build.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "frontend_test_util.h"

namespace psl {
namespace {

using testing::in_policy;
using testing::Parsed;

// The example of language.md, verbatim.
const char *kLanguageExample = R"(# comments run from '#' to the end of the line
policy edge_guard {
  # named constants: scalars or set literals
  const trusted  = { 10.0.0.0/8, 192.168.0.0/16, fd00::/8 }
  const web      = { 80, 443, 8000..8100 }

  # traffic that no rule of any policy (hand-written or generated) may drop
  protect ip.src in trusted

  # a set filled at run time (by the daemon or `psc`), entries expire
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
)";

IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr ip;
  ip.family = 4;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

SourceRange R(uint32_t l1, uint32_t c1, uint32_t l2, uint32_t c2) {
  return SourceRange{{l1, c1}, {l2, c2}};
}

::testing::AssertionResult same_range(const SourceRange &got,
                                      const SourceRange &want) {
  if (got.begin.line == want.begin.line &&
      got.begin.column == want.begin.column && got.end.line == want.end.line &&
      got.end.column == want.end.column)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "range " << got.begin.line << ":" << got.begin.column << "-"
         << got.end.line << ":" << got.end.column << ", want "
         << want.begin.line << ":" << want.begin.column << "-" << want.end.line
         << ":" << want.end.column;
}

const LiteralExpr &lit(const Expr &e) { return as<LiteralExpr>(e); }

// The single expression of `const c = TEXT`.
struct ConstExpr {
  Parsed parsed;
  explicit ConstExpr(const std::string &text)
      : parsed(in_policy("const c = " + text)) {}
  const Expr &expr() { return *parsed.policy().consts.at(0)->value; }
};

TEST(FrontendExample, ParsesWithoutDiagnostics) {
  Parsed p(kLanguageExample, "edge_guard.psl");
  EXPECT_EQ(p.errors(), "");
  ASSERT_TRUE(p.module.policy);
  EXPECT_EQ(p.module.file->path(), "edge_guard.psl");
}

TEST(FrontendExample, DeclarationsAndViews) {
  Parsed p(kLanguageExample);
  ASSERT_TRUE(p.ok()) << p.errors();
  Policy &pol = p.policy();
  EXPECT_EQ(pol.name, "edge_guard");
  EXPECT_TRUE(same_range(pol.name_range, R(2, 8, 2, 18)));
  EXPECT_TRUE(same_range(pol.range, R(2, 1, 24, 2)));
  ASSERT_EQ(pol.decls.size(), 11u);
  const DeclKind kinds[] = {
      DeclKind::Const, DeclKind::Const,   DeclKind::Protect, DeclKind::Set,
      DeclKind::Rule,  DeclKind::Rule,    DeclKind::Rule,    DeclKind::Rule,
      DeclKind::Rule,  DeclKind::Default, DeclKind::Test};
  for (size_t i = 0; i < pol.decls.size(); ++i)
    EXPECT_EQ(pol.decls[i]->kind, kinds[i]) << i;
  EXPECT_EQ(pol.consts.size(), 2u);
  EXPECT_EQ(pol.sets.size(), 1u);
  EXPECT_EQ(pol.protects.size(), 1u);
  ASSERT_EQ(pol.rules.size(), 5u);
  EXPECT_EQ(pol.tests.size(), 1u);
  ASSERT_NE(pol.default_decl, nullptr);
  EXPECT_EQ(pol.default_action(), Action::Pass);
  const char *names[] = {"allow_web", "drop_banned", "icmp_flood", "odd_ttl",
                         "frag"};
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(pol.rules[i]->name, names[i]);
    EXPECT_EQ(pol.rules[i]->index, i);
  }
}

TEST(FrontendExample, Constants) {
  Parsed p(kLanguageExample);
  ConstDecl &trusted = *p.policy().consts[0];
  EXPECT_EQ(trusted.name, "trusted");
  EXPECT_TRUE(same_range(trusted.name_range, R(4, 9, 4, 16)));
  EXPECT_TRUE(same_range(trusted.range, R(4, 3, 4, 60)));
  auto &set = as<SetExpr>(*trusted.value);
  EXPECT_TRUE(same_range(set.range, R(4, 20, 4, 60)));
  ASSERT_EQ(set.elements.size(), 3u);
  auto &first = lit(*set.elements[0]);
  EXPECT_EQ(first.literal_kind, TypeKind::Cidr);
  EXPECT_EQ(first.spelling, "10.0.0.0/8");
  EXPECT_EQ(std::get<Cidr>(first.value.v), (Cidr{v4(10, 0, 0, 0), 8}));
  EXPECT_TRUE(same_range(first.range, R(4, 22, 4, 32)));
  auto &third = lit(*set.elements[2]);
  EXPECT_EQ(third.literal_kind, TypeKind::Cidr);
  EXPECT_EQ(std::get<Cidr>(third.value.v).addr.family, 6);
  EXPECT_EQ(std::get<Cidr>(third.value.v).prefix_len, 8);
  EXPECT_EQ(std::get<Cidr>(third.value.v).addr.bytes[0], 0xfd);

  ConstDecl &web = *p.policy().consts[1];
  auto &ws = as<SetExpr>(*web.value);
  ASSERT_EQ(ws.elements.size(), 3u);
  EXPECT_EQ(std::get<uint64_t>(lit(*ws.elements[0]).value.v), 80u);
  auto &range = as<RangeExpr>(*ws.elements[2]);
  EXPECT_EQ(std::get<uint64_t>(lit(*range.lo).value.v), 8000u);
  EXPECT_EQ(std::get<uint64_t>(lit(*range.hi).value.v), 8100u);
  EXPECT_TRUE(same_range(range.range, R(5, 31, 5, 41)));
}

TEST(FrontendExample, ProtectAndSet) {
  Parsed p(kLanguageExample);
  auto &cmp = as<CompareExpr>(*p.policy().protects[0]->cond);
  EXPECT_EQ(cmp.op, CompareOp::In);
  EXPECT_EQ(as<FieldExpr>(*cmp.lhs).path, "ip.src");
  EXPECT_EQ(as<NameExpr>(*cmp.rhs).name, "trusted");
  EXPECT_TRUE(same_range(cmp.op_range, R(8, 18, 8, 20)));
  EXPECT_TRUE(same_range(cmp.range, R(8, 11, 8, 28)));

  SetDecl &banned = *p.policy().sets[0];
  EXPECT_EQ(banned.name, "banned");
  EXPECT_EQ(banned.elem_type_name, "ip");
  EXPECT_TRUE(same_range(banned.elem_range, R(11, 16, 11, 18)));
  ASSERT_TRUE(banned.ttl);
  EXPECT_EQ(banned.ttl->value.ns, 600ull * 1000000000ull);
  EXPECT_EQ(banned.ttl->spelling, "10m");
  ASSERT_TRUE(banned.capacity);
  EXPECT_EQ(*banned.capacity, 100000u);
  EXPECT_TRUE(same_range(banned.capacity_range, R(11, 44, 11, 50)));
}

TEST(FrontendExample, Rules) {
  Parsed p(kLanguageExample);
  auto &rules = p.policy().rules;
  // tcp.dport in web and tcp.syn and not tcp.ack
  RuleDecl &allow = *rules[0];
  EXPECT_EQ(allow.action, Action::Pass);
  EXPECT_TRUE(same_range(allow.name_range, R(13, 8, 13, 17)));
  EXPECT_TRUE(same_range(allow.action_range, R(13, 69, 13, 73)));
  auto &and2 = as<BinaryExpr>(*allow.cond);
  EXPECT_EQ(and2.op, BinaryOp::And);
  auto &and1 = as<BinaryExpr>(*and2.lhs);
  EXPECT_EQ(as<CompareExpr>(*and1.lhs).op, CompareOp::In);
  EXPECT_EQ(as<FieldExpr>(*and1.rhs).path, "tcp.syn");
  auto &neg = as<NotExpr>(*and2.rhs);
  EXPECT_EQ(as<FieldExpr>(*neg.operand).path, "tcp.ack");
  EXPECT_TRUE(same_range(neg.range, R(13, 54, 13, 65)));
  EXPECT_TRUE(same_range(allow.cond->range, R(13, 21, 13, 65)));

  // icmp.type == echo_request and rate(ip.src) > 100/s => drop ttl 10m
  RuleDecl &flood = *rules[2];
  EXPECT_EQ(flood.action, Action::Drop);
  ASSERT_TRUE(flood.ttl);
  EXPECT_EQ(flood.ttl->value.ns, 600ull * 1000000000ull);
  EXPECT_TRUE(same_range(flood.ttl->range, R(15, 84, 15, 87)));
  auto &both = as<BinaryExpr>(*flood.cond);
  auto &eq = as<CompareExpr>(*both.lhs);
  EXPECT_EQ(eq.op, CompareOp::Eq);
  EXPECT_EQ(as<NameExpr>(*eq.rhs).name, "echo_request");
  auto &gt = as<CompareExpr>(*both.rhs);
  EXPECT_EQ(gt.op, CompareOp::Gt);
  auto &rate = as<RateExpr>(*gt.lhs);
  ASSERT_EQ(rate.keys.size(), 1u);
  EXPECT_EQ(rate.keys[0]->path, "ip.src");
  EXPECT_FALSE(rate.burst);
  EXPECT_TRUE(same_range(rate.range, R(15, 51, 15, 63)));
  auto &limit = lit(*gt.rhs);
  EXPECT_EQ(limit.literal_kind, TypeKind::Rate);
  EXPECT_EQ(std::get<RateValue>(limit.value.v),
            (RateValue{RateValue::Unit::Packets, 100}));

  EXPECT_EQ(rules[3]->action, Action::Count);
  EXPECT_TRUE(rules[3]->terminal() == false);
  EXPECT_TRUE(rules[4]->shadow);
  EXPECT_TRUE(same_range(rules[4]->shadow_range, R(17, 37, 17, 43)));
  EXPECT_FALSE(rules[4]->ttl);
}

TEST(FrontendExample, Test) {
  Parsed p(kLanguageExample);
  TestDecl &t = *p.policy().tests[0];
  EXPECT_EQ(t.name, "web SYN passes, flood is cut");
  EXPECT_TRUE(same_range(t.name_range, R(20, 8, 20, 38)));
  ASSERT_EQ(t.packets.size(), 2u);
  TestPacket &a = *t.packets[0];
  ASSERT_EQ(a.fields.size(), 3u);
  EXPECT_EQ(a.fields[0].field->path, "ip.src");
  EXPECT_EQ(std::get<IpAddr>(lit(*a.fields[0].value).value.v),
            v4(203, 0, 113, 7));
  EXPECT_EQ(std::get<bool>(lit(*a.fields[2].value).value.v), true);
  EXPECT_EQ(a.expect, Action::Pass);
  EXPECT_FALSE(a.repeat);
  EXPECT_FALSE(a.count_op);
  EXPECT_TRUE(same_range(a.range, R(21, 5, 21, 77)));
  TestPacket &b = *t.packets[1];
  EXPECT_EQ(as<NameExpr>(*b.fields[1].value).name, "echo_request");
  ASSERT_TRUE(b.repeat);
  EXPECT_EQ(*b.repeat, 1000u);
  ASSERT_TRUE(b.within);
  EXPECT_EQ(b.within->value.ns, 1000000000ull);
  EXPECT_EQ(b.expect, Action::Drop);
  ASSERT_TRUE(b.count_op);
  EXPECT_EQ(*b.count_op, CompareOp::Ge);
  EXPECT_EQ(*b.count, 850u);
}

// ------------------------------------------------------------------ literals

TEST(FrontendLiterals, Integers) {
  EXPECT_EQ(std::get<uint64_t>(lit(ConstExpr("42").expr()).value.v), 42u);
  ConstExpr hex("0x2a");
  EXPECT_EQ(lit(hex.expr()).literal_kind, TypeKind::Int);
  EXPECT_EQ(std::get<uint64_t>(lit(hex.expr()).value.v), 42u);
  EXPECT_EQ(lit(hex.expr()).spelling, "0x2a");
  EXPECT_EQ(
      std::get<uint64_t>(lit(ConstExpr("18446744073709551615").expr()).value.v),
      18446744073709551615ull);
  EXPECT_EQ(
      std::get<uint64_t>(lit(ConstExpr("0xFFFFFFFFFFFFFFFF").expr()).value.v),
      18446744073709551615ull);
}

TEST(FrontendLiterals, IntegerOverflowIsE0103) {
  Parsed p(in_policy("const c = 18446744073709551616"));
  EXPECT_EQ(
      p.errors(),
      "2:11 E0103 integer '18446744073709551616' is too large (the largest is "
      "18446744073709551615)\n");
  Parsed h(in_policy("const c = 0x10000000000000000"));
  EXPECT_NE(h.errors().find("E0103"), std::string::npos);
}

TEST(FrontendLiterals, Booleans) {
  EXPECT_EQ(std::get<bool>(lit(ConstExpr("true").expr()).value.v), true);
  EXPECT_EQ(lit(ConstExpr("false").expr()).literal_kind, TypeKind::Bool);
}

TEST(FrontendLiterals, Addresses) {
  ConstExpr ip("10.0.0.1");
  EXPECT_EQ(lit(ip.expr()).literal_kind, TypeKind::Ip);
  EXPECT_EQ(std::get<IpAddr>(lit(ip.expr()).value.v), v4(10, 0, 0, 1));
  ConstExpr cidr("192.168.0.0/16");
  EXPECT_EQ(std::get<Cidr>(lit(cidr.expr()).value.v),
            (Cidr{v4(192, 168, 0, 0), 16}));
  ConstExpr v6("2001:db8::1");
  auto a = std::get<IpAddr>(lit(v6.expr()).value.v);
  EXPECT_EQ(a.family, 6);
  EXPECT_EQ(a.bytes[0], 0x20);
  EXPECT_EQ(a.bytes[1], 0x01);
  EXPECT_EQ(a.bytes[15], 1);
  ConstExpr v6cidr("2001:db8::/32");
  EXPECT_EQ(std::get<Cidr>(lit(v6cidr.expr()).value.v).prefix_len, 32);
  ConstExpr full("2001:db8:0:0:0:0:0:1");
  EXPECT_EQ(std::get<IpAddr>(lit(full.expr()).value.v), a);
  ConstExpr zero("::");
  EXPECT_EQ(std::get<IpAddr>(lit(zero.expr()).value.v).family, 6);
  ConstExpr zero128("::/0");
  EXPECT_EQ(std::get<Cidr>(lit(zero128.expr()).value.v).prefix_len, 0);
}

TEST(FrontendLiterals, BadAddressesAreE0103) {
  Parsed octet(in_policy("const c = 300.1.1.1"));
  EXPECT_EQ(octet.errors(), "2:11 E0103 invalid IPv4 address '300.1.1.1'\n");
  Parsed v4len(in_policy("const c = 10.0.0.0/33"));
  EXPECT_EQ(v4len.errors(), "2:11 E0103 prefix length '33' is out of range for "
                            "an IPv4 address (0..32)\n");
  Parsed v6len(in_policy("const c = fd00::/129"));
  EXPECT_EQ(v6len.errors(), "2:11 E0103 prefix length '129' is out of range "
                            "for an IPv6 address (0..128)\n");
  Parsed twice(in_policy("const c = 2001:db8::1::2"));
  EXPECT_EQ(twice.errors(),
            "2:11 E0103 invalid IPv6 address '2001:db8::1::2'\n");
  Parsed group(in_policy("const c = 12345::1"));
  EXPECT_EQ(group.errors(), "2:11 E0103 invalid IPv6 address '12345::1'\n");
  Parsed parts(in_policy("const c = 1.2.3"));
  EXPECT_EQ(parts.errors(), "2:11 E0103 invalid IPv4 address '1.2.3' (an "
                            "address has four parts: a.b.c.d)\n");
}

TEST(FrontendLiterals, Mac) {
  ConstExpr mac("aa:bb:cc:dd:ee:0F");
  EXPECT_EQ(lit(mac.expr()).literal_kind, TypeKind::Mac);
  auto m = std::get<MacAddr>(lit(mac.expr()).value.v);
  EXPECT_EQ(m.bytes[0], 0xaa);
  EXPECT_EQ(m.bytes[5], 0x0f);
  ConstExpr digits("00:11:22:33:44:55");
  EXPECT_EQ(lit(digits.expr()).literal_kind, TypeKind::Mac);
}

TEST(FrontendLiterals, Durations) {
  EXPECT_EQ(std::get<Duration>(lit(ConstExpr("500ms").expr()).value.v).ns,
            500000000ull);
  EXPECT_EQ(std::get<Duration>(lit(ConstExpr("10s").expr()).value.v).ns,
            10000000000ull);
  EXPECT_EQ(std::get<Duration>(lit(ConstExpr("5m").expr()).value.v).ns,
            300000000000ull);
  EXPECT_EQ(std::get<Duration>(lit(ConstExpr("1h").expr()).value.v).ns,
            3600000000000ull);
  EXPECT_EQ(lit(ConstExpr("1h").expr()).literal_kind, TypeKind::Duration);
  Parsed big(in_policy("const c = 99999999999999h"));
  EXPECT_EQ(big.errors(),
            "2:11 E0103 duration '99999999999999h' is too long\n");
}

TEST(FrontendLiterals, Rates) {
  auto rate = [](const char *text) {
    ConstExpr c(text);
    EXPECT_EQ(c.parsed.errors(), "") << text;
    EXPECT_EQ(lit(c.expr()).literal_kind, TypeKind::Rate) << text;
    EXPECT_EQ(lit(c.expr()).spelling, text);
    return std::get<RateValue>(lit(c.expr()).value.v);
  };
  using U = RateValue::Unit;
  EXPECT_EQ(rate("100/s"), (RateValue{U::Packets, 100}));
  EXPECT_EQ(rate("10k/s"), (RateValue{U::Packets, 10000}));
  EXPECT_EQ(rate("2M/s"), (RateValue{U::Packets, 2000000}));
  EXPECT_EQ(rate("1G/s"), (RateValue{U::Packets, 1000000000}));
  EXPECT_EQ(rate("64bit/s"), (RateValue{U::Bits, 64}));
  EXPECT_EQ(rate("5kbit/s"), (RateValue{U::Bits, 5000}));
  EXPECT_EQ(rate("10Mbit/s"), (RateValue{U::Bits, 10000000}));
  EXPECT_EQ(rate("1Gbit/s"), (RateValue{U::Bits, 1000000000}));
}

TEST(FrontendLiterals, BadNumbersAreE0103) {
  EXPECT_EQ(Parsed(in_policy("const c = 10sec")).errors(),
            "2:11 E0103 unknown unit 'sec' in '10sec' (durations use ms, s, m "
            "or h; rates end "
            "in '/s')\n");
  EXPECT_EQ(Parsed(in_policy("const c = 0xZZ")).errors(),
            "2:11 E0103 invalid hexadecimal number '0xZZ'\n");
  EXPECT_EQ(Parsed(in_policy("const c = 10K/s")).errors(),
            "2:11 E0103 invalid rate '10K/s' (write N/s, Nk/s, NM/s or NG/s "
            "for packets, "
            "Nbit/s, Nkbit/s, NMbit/s or NGbit/s for bits)\n");
  // The broken literal is kept as an error literal; the rule is not lost.
  Parsed rule(in_policy("rule r: tcp.dport == 22x => drop"));
  ASSERT_TRUE(rule.module.policy);
  EXPECT_EQ(rule.policy().rules.size(), 1u);
  EXPECT_EQ(rule.diags.diagnostics().size(), 1u);
}

TEST(FrontendLiterals, DurationWithoutUnit) {
  Parsed p(in_policy("rule r: tcp.syn => drop ttl 10"));
  EXPECT_EQ(
      p.errors(),
      "2:29 E0103 duration '10' needs a unit (ms, s, m or h), e.g. '10s'\n");
}

TEST(FrontendLiterals, ProtoAndNames) {
  ConstExpr p47("proto(47)");
  EXPECT_EQ(lit(p47.expr()).literal_kind, TypeKind::Proto);
  EXPECT_EQ(std::get<ProtoValue>(lit(p47.expr()).value.v).number, 47);
  EXPECT_EQ(lit(p47.expr()).spelling, "proto(47)");
  EXPECT_TRUE(same_range(p47.expr().range, R(2, 11, 2, 20)));
  EXPECT_EQ(as<NameExpr>(ConstExpr("tcp").expr()).name, "tcp");
  EXPECT_EQ(Parsed(in_policy("const c = proto(256)")).errors(),
            "2:17 E0103 protocol number 256 is out of range (0..255)\n");
  EXPECT_EQ(Parsed(in_policy("const c = proto(tcp)")).errors(),
            "2:11 E0101 'proto' takes a protocol number, e.g. 'proto(47)'\n");
}

TEST(FrontendLiterals, Strings) {
  Parsed p(in_policy(R"(test "a \"quoted\" \\ tab\t" { })"));
  ASSERT_TRUE(p.ok()) << p.errors();
  EXPECT_EQ(p.policy().tests[0]->name, "a \"quoted\" \\ tab\t");
  Parsed bad(in_policy(R"(test "a \q" { })"));
  EXPECT_EQ(
      bad.errors(),
      "2:6 E0103 unknown escape sequence '\\q' in string (use \\\", \\\\, "
      "\\n, \\t or \\r)\n");
}

TEST(FrontendLiterals, SetsWithRangesAndNames) {
  ConstExpr s("{ 1..9, web, 10.0.0.0/8, 10.1.2.3, }");
  auto &set = as<SetExpr>(s.expr());
  ASSERT_EQ(set.elements.size(), 4u);
  EXPECT_EQ(set.elements[0]->kind, ExprKind::Range);
  EXPECT_EQ(set.elements[1]->kind, ExprKind::Name);
  EXPECT_EQ(lit(*set.elements[2]).literal_kind, TypeKind::Cidr);
  EXPECT_EQ(lit(*set.elements[3]).literal_kind, TypeKind::Ip);
  EXPECT_TRUE(as<SetExpr>(ConstExpr("{}").expr()).elements.empty());
}

// ---------------------------------------------------------------- expressions

TEST(FrontendExpr, Precedence) {
  // a or (b and (not c))
  Parsed p(in_policy("rule r: tcp.syn or tcp.ack and not tcp.fin => pass"));
  ASSERT_TRUE(p.ok()) << p.errors();
  auto &orx = as<BinaryExpr>(*p.policy().rules[0]->cond);
  EXPECT_EQ(orx.op, BinaryOp::Or);
  EXPECT_EQ(as<FieldExpr>(*orx.lhs).path, "tcp.syn");
  auto &andx = as<BinaryExpr>(*orx.rhs);
  EXPECT_EQ(andx.op, BinaryOp::And);
  EXPECT_EQ(as<FieldExpr>(*andx.lhs).path, "tcp.ack");
  EXPECT_EQ(as<FieldExpr>(*as<NotExpr>(*andx.rhs).operand).path, "tcp.fin");
}

TEST(FrontendExpr, NotBindsLooserThanComparison) {
  Parsed p(in_policy("rule r: not ip.ttl < 2 => pass"));
  auto &n = as<NotExpr>(*p.policy().rules[0]->cond);
  EXPECT_EQ(as<CompareExpr>(*n.operand).op, CompareOp::Lt);
}

TEST(FrontendExpr, ChainsAssociateLeft) {
  Parsed p(in_policy("rule r: tcp.syn and tcp.ack and tcp.fin => pass"));
  auto &outer = as<BinaryExpr>(*p.policy().rules[0]->cond);
  EXPECT_EQ(as<FieldExpr>(*outer.rhs).path, "tcp.fin");
  EXPECT_EQ(as<BinaryExpr>(*outer.lhs).op, BinaryOp::And);
}

TEST(FrontendExpr, ParenthesesGroupAndCoverTheirRange) {
  Parsed p(in_policy("rule r: (tcp.syn or tcp.ack) and tcp.fin => pass"));
  auto &andx = as<BinaryExpr>(*p.policy().rules[0]->cond);
  EXPECT_EQ(andx.op, BinaryOp::And);
  auto &orx = as<BinaryExpr>(*andx.lhs);
  EXPECT_EQ(orx.op, BinaryOp::Or);
  EXPECT_TRUE(same_range(orx.range, R(2, 9, 2, 29)));
  EXPECT_TRUE(same_range(andx.range, R(2, 9, 2, 41)));
}

TEST(FrontendExpr, Comparisons) {
  const std::pair<const char *, CompareOp> ops[] = {
      {"==", CompareOp::Eq}, {"!=", CompareOp::Ne},       {"<", CompareOp::Lt},
      {"<=", CompareOp::Le}, {">", CompareOp::Gt},        {">=", CompareOp::Ge},
      {"in", CompareOp::In}, {"not in", CompareOp::NotIn}};
  for (auto &[text, op] : ops) {
    Parsed p(in_policy(std::string("rule r: ip.ttl ") + text + " 5 => pass"));
    ASSERT_TRUE(p.ok()) << text << p.errors();
    auto &c = as<CompareExpr>(*p.policy().rules[0]->cond);
    EXPECT_EQ(c.op, op) << text;
    EXPECT_TRUE(same_range(
        c.op_range, R(2, 16, 2, 16 + static_cast<uint32_t>(strlen(text)))))
        << text;
  }
}

TEST(FrontendExpr, MembershipInRangeAndCidr) {
  Parsed p(in_policy("rule a: tcp.dport in 1024..65535 => pass\n"
                     "rule b: ip.src not in 10.0.0.0/8 => drop"));
  ASSERT_TRUE(p.ok()) << p.errors();
  auto &a = as<CompareExpr>(*p.policy().rules[0]->cond);
  auto &range = as<RangeExpr>(*a.rhs);
  EXPECT_EQ(std::get<uint64_t>(lit(*range.lo).value.v), 1024u);
  EXPECT_EQ(std::get<uint64_t>(lit(*range.hi).value.v), 65535u);
  auto &b = as<CompareExpr>(*p.policy().rules[1]->cond);
  EXPECT_EQ(b.op, CompareOp::NotIn);
  EXPECT_EQ(lit(*b.rhs).literal_kind, TypeKind::Cidr);
}

TEST(FrontendExpr, RateForms) {
  Parsed p(in_policy("rule a: rate(ip.src, burst 500) > 100/s => drop\n"
                     "rule b: rate() >= 1Gbit/s => drop\n"
                     "rule c: rate(ip.src, tcp.dport) > 10k/s => drop\n"
                     "rule d: rate(burst 0x10) > 1/s => drop"));
  ASSERT_TRUE(p.ok()) << p.errors();
  auto rate = [&](size_t i) -> RateExpr & {
    return as<RateExpr>(*as<CompareExpr>(*p.policy().rules[i]->cond).lhs);
  };
  EXPECT_EQ(rate(0).keys.size(), 1u);
  EXPECT_EQ(*rate(0).burst, 500u);
  EXPECT_TRUE(same_range(rate(0).burst_range, R(2, 28, 2, 31)));
  EXPECT_TRUE(rate(1).keys.empty());
  EXPECT_FALSE(rate(1).burst);
  ASSERT_EQ(rate(2).keys.size(), 2u);
  EXPECT_EQ(rate(2).keys[1]->path, "tcp.dport");
  EXPECT_EQ(*rate(3).burst, 16u);
  EXPECT_EQ(Parsed(in_policy("rule a: rate(1) > 1/s => drop")).errors(),
            "2:14 E0310 rate() keys must be packet fields (e.g. 'ip.src'), "
            "found '1'\n");
  EXPECT_EQ(Parsed(in_policy("rule a: rat(ip.src) > 1/s => drop")).errors(),
            "2:9 E0101 unknown function 'rat'; expected 'rate' or 'proto'\n");
}

TEST(FrontendExpr, LongChainsStayShallow) {
  std::string cond = "ip.ttl == 0";
  for (int i = 1; i < 5000; ++i)
    cond += " or ip.ttl == " + std::to_string(i % 256);
  Parsed p(in_policy("rule r: " + cond + " => drop"));
  ASSERT_TRUE(p.ok()) << p.errors().substr(0, 200);
  // Depth of the or-tree.
  std::function<int(const Expr &)> depth = [&](const Expr &e) -> int {
    if (e.kind != ExprKind::Binary)
      return 1;
    auto &b = as<BinaryExpr>(e);
    return 1 + std::max(depth(*b.lhs), depth(*b.rhs));
  };
  EXPECT_LT(depth(*p.policy().rules[0]->cond), 40);
}

// ----------------------------------------------------------------- lexing

TEST(FrontendLexing, RuleNamesThatLookLikeHex) {
  Parsed p(in_policy("rule dead: tcp.syn => drop\n"
                     "rule beef:tcp.syn => drop\n"
                     "rule cafe : tcp.syn => drop\n"
                     "rule ab: tcp.syn => drop"));
  ASSERT_TRUE(p.ok()) << p.errors();
  ASSERT_EQ(p.policy().rules.size(), 4u);
  EXPECT_EQ(p.policy().rules[0]->name, "dead");
  EXPECT_EQ(p.policy().rules[1]->name, "beef");
  EXPECT_EQ(p.policy().rules[2]->name, "cafe");
  EXPECT_EQ(p.policy().rules[3]->name, "ab");
}

TEST(FrontendLexing, SetTypeAfterColon) {
  Parsed p(in_policy("set x : ip dynamic\nset ad:ip dynamic\nset fe: mac "
                     "dynamic capacity 10"));
  ASSERT_TRUE(p.ok()) << p.errors();
  ASSERT_EQ(p.policy().sets.size(), 3u);
  EXPECT_EQ(p.policy().sets[0]->elem_type_name, "ip");
  EXPECT_EQ(p.policy().sets[1]->name, "ad");
  EXPECT_EQ(p.policy().sets[1]->elem_type_name, "ip");
  EXPECT_EQ(p.policy().sets[2]->elem_type_name, "mac");
}

TEST(FrontendLexing, Ipv6Forms) {
  ConstExpr s("{ fd00::/8, ::1, ::ffff:1.2.3.4, fe80::1:2, ::, "
              "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:1.2.3.4 }");
  ASSERT_TRUE(s.parsed.ok()) << s.parsed.errors();
  auto &set = as<SetExpr>(s.expr());
  ASSERT_EQ(set.elements.size(), 7u);
  EXPECT_EQ(lit(*set.elements[0]).literal_kind, TypeKind::Cidr);
  auto loop = std::get<IpAddr>(lit(*set.elements[1]).value.v);
  EXPECT_EQ(loop.family, 6);
  EXPECT_EQ(loop.bytes[15], 1);
  auto mapped = std::get<IpAddr>(lit(*set.elements[2]).value.v);
  EXPECT_EQ(mapped.family, 6);
  EXPECT_EQ(mapped.bytes[10], 0xff);
  EXPECT_EQ(mapped.bytes[11], 0xff);
  EXPECT_EQ(mapped.bytes[12], 1);
  EXPECT_EQ(mapped.bytes[15], 4);
  for (size_t i = 3; i < 7; ++i)
    EXPECT_EQ(lit(*set.elements[i]).literal_kind, TypeKind::Ip) << i;
  EXPECT_TRUE(same_range(set.elements[2]->range, R(2, 28, 2, 42)));
}

TEST(FrontendLexing, MacVersusIpv6) {
  ConstExpr s("{ aa:bb:cc:dd:ee:ff, aa:bb:cc:dd:ee:ff:00:11, aa::ff }");
  ASSERT_TRUE(s.parsed.ok()) << s.parsed.errors();
  auto &set = as<SetExpr>(s.expr());
  EXPECT_EQ(lit(*set.elements[0]).literal_kind, TypeKind::Mac);
  EXPECT_EQ(lit(*set.elements[1]).literal_kind, TypeKind::Ip);
  EXPECT_EQ(lit(*set.elements[2]).literal_kind, TypeKind::Ip);
}

TEST(FrontendLexing, RangesAreNotAddresses) {
  ConstExpr r("1024..65535");
  auto &range = as<RangeExpr>(r.expr());
  EXPECT_EQ(std::get<uint64_t>(lit(*range.lo).value.v), 1024u);
  ConstExpr spaced("1 .. 2");
  EXPECT_EQ(spaced.expr().kind, ExprKind::Range);
}

TEST(FrontendLexing, FieldsKeywordsAndTabs) {
  // Columns count bytes; a tab is one column.
  Parsed p("policy p {\n\trule ttl_check:\tip.ttl == 1 => count\n}\n");
  ASSERT_TRUE(p.ok()) << p.errors();
  auto &r = *p.policy().rules[0];
  EXPECT_EQ(r.name, "ttl_check");
  EXPECT_TRUE(same_range(r.range, R(2, 2, 2, 38)));
  EXPECT_TRUE(same_range(as<CompareExpr>(*r.cond).lhs->range, R(2, 18, 2, 24)));
}

TEST(FrontendLexing, CrLfLineEnds) {
  Parsed p("# top\r\npolicy p {\r\n  rule r: tcp.syn => drop  # why\r\n}\r\n");
  ASSERT_TRUE(p.ok()) << p.errors();
  auto &r = *p.policy().rules[0];
  EXPECT_TRUE(same_range(r.range, R(3, 3, 3, 26)));
  ASSERT_TRUE(r.trailing_comment);
  EXPECT_EQ(r.trailing_comment->text, "# why");
  EXPECT_EQ(p.module.header_comments[0].text, "# top");
}

TEST(FrontendLexing, NonAsciiColumnsCountBytes) {
  Parsed p("# héllo wörld\npolicy p { const s = 1 } # ü\n");
  ASSERT_TRUE(p.ok()) << p.errors();
  ASSERT_EQ(p.module.footer_comments.size(), 1u);
  EXPECT_EQ(p.module.footer_comments[0].text, "# ü");
  EXPECT_TRUE(same_range(p.module.footer_comments[0].range, R(2, 26, 2, 30)));
  EXPECT_EQ(p.module.header_comments[0].text, "# héllo wörld");
}

// -------------------------------------------------------------- declarations

TEST(FrontendDecls, ModifiersInAnyOrder) {
  Parsed p(in_policy("rule a: tcp.syn => drop shadow ttl 5m\n"
                     "rule b: tcp.syn => drop ttl 500ms shadow\n"
                     "set s : port dynamic capacity 10 ttl 1h\n"
                     "default drop"));
  ASSERT_TRUE(p.ok()) << p.errors();
  EXPECT_TRUE(p.policy().rules[0]->shadow);
  EXPECT_EQ(p.policy().rules[0]->ttl->value.ns, 300000000000ull);
  EXPECT_TRUE(p.policy().rules[1]->shadow);
  EXPECT_EQ(p.policy().rules[1]->ttl->spelling, "500ms");
  EXPECT_EQ(*p.policy().sets[0]->capacity, 10u);
  EXPECT_EQ(p.policy().sets[0]->ttl->value.ns, 3600000000000ull);
  EXPECT_EQ(p.policy().default_action(), Action::Drop);
}

TEST(FrontendDecls, DuplicateModifiers) {
  EXPECT_EQ(Parsed(in_policy("rule a: tcp.syn => drop ttl 1m ttl 2m")).errors(),
            "2:32 E0311 duplicate modifier 'ttl' in rule 'a'\n");
  EXPECT_EQ(Parsed(in_policy("rule a: tcp.syn => drop shadow shadow")).errors(),
            "2:32 E0311 duplicate modifier 'shadow' in rule 'a'\n");
  EXPECT_EQ(
      Parsed(in_policy("set s : ip dynamic capacity 1 capacity 2")).errors(),
      "2:31 E0313 duplicate 'capacity' in set 's'\n");
}

TEST(FrontendDecls, TestPacketForms) {
  Parsed p(
      in_policy("test \"t\" {\n"
                "  packet {} => pass\n"
                "  packet { tcp.dport = 22, } x 5 => drop\n"
                "  packet { ip.src = ::1 } x 10 within 500ms => drop == 10\n"
                "  packet { ip.ttl = 1 } => pass < 3\n"
                "}"));
  ASSERT_TRUE(p.ok()) << p.errors();
  auto &t = *p.policy().tests[0];
  ASSERT_EQ(t.packets.size(), 4u);
  EXPECT_TRUE(t.packets[0]->fields.empty());
  EXPECT_EQ(*t.packets[1]->repeat, 5u);
  EXPECT_FALSE(t.packets[1]->within);
  EXPECT_TRUE(same_range(t.packets[1]->repeat_range, R(4, 32, 4, 33)));
  EXPECT_EQ(*t.packets[2]->count_op, CompareOp::Eq);
  EXPECT_EQ(*t.packets[3]->count_op, CompareOp::Lt);
  EXPECT_EQ(*t.packets[3]->count, 3u);
  EXPECT_TRUE(same_range(t.packets[3]->expect_range, R(6, 28, 6, 32)));
  EXPECT_EQ(Parsed(in_policy("test \"t\" { packet {} y 5 => pass }")).errors(),
            "2:22 E0101 expected 'x' before the repeat count, found 'y'\n");
}

TEST(FrontendDecls, PolicyCount) {
  Parsed none("# only a comment\n");
  EXPECT_EQ(none.errors(),
            "1:1 E0106 file has no policy (expected 'policy NAME { ... }')\n");
  EXPECT_FALSE(none.module.policy);
  Parsed empty("");
  EXPECT_EQ(empty.errors(),
            "1:1 E0106 file has no policy (expected 'policy NAME { ... }')\n");
  Parsed two("policy a { default pass }\npolicy b { default drop }\n");
  EXPECT_EQ(two.errors(), "2:1 E0105 second policy 'b' in one file; a file "
                          "holds exactly one policy\n");
  ASSERT_TRUE(two.module.policy);
  EXPECT_EQ(two.policy().name, "a");
  EXPECT_EQ(two.policy().default_action(), Action::Pass);
}

TEST(FrontendDecls, EmptyPolicy) {
  Parsed p("policy p {}");
  ASSERT_TRUE(p.ok()) << p.errors();
  EXPECT_TRUE(p.policy().decls.empty());
  EXPECT_EQ(p.policy().default_decl, nullptr);
}

} // namespace
} // namespace psl

namespace psl {
namespace {

bool loc_le(const SourceLoc &a, const SourceLoc &b) {
  return a.line < b.line || (a.line == b.line && a.column <= b.column);
}

// Every node has a valid, non-empty range inside its parent's.
void check_ranges(const Expr &e, const SourceRange &parent) {
  SCOPED_TRACE("expr at " + std::to_string(e.range.begin.line) + ":" +
               std::to_string(e.range.begin.column));
  ASSERT_TRUE(e.range.valid());
  EXPECT_TRUE(loc_le(e.range.begin, e.range.end));
  EXPECT_FALSE(e.range.begin.line == e.range.end.line &&
               e.range.begin.column == e.range.end.column);
  EXPECT_TRUE(loc_le(parent.begin, e.range.begin));
  EXPECT_TRUE(loc_le(e.range.end, parent.end));
  switch (e.kind) {
  case ExprKind::Set:
    for (auto &x : as<SetExpr>(e).elements)
      check_ranges(*x, e.range);
    break;
  case ExprKind::Range:
    check_ranges(*as<RangeExpr>(e).lo, e.range);
    check_ranges(*as<RangeExpr>(e).hi, e.range);
    break;
  case ExprKind::Not:
    check_ranges(*as<NotExpr>(e).operand, e.range);
    break;
  case ExprKind::Binary:
    check_ranges(*as<BinaryExpr>(e).lhs, e.range);
    check_ranges(*as<BinaryExpr>(e).rhs, e.range);
    break;
  case ExprKind::Compare: {
    auto &c = as<CompareExpr>(e);
    check_ranges(*c.lhs, e.range);
    check_ranges(*c.rhs, e.range);
    EXPECT_TRUE(loc_le(c.lhs->range.end, c.op_range.begin));
    EXPECT_TRUE(loc_le(c.op_range.end, c.rhs->range.begin));
    break;
  }
  case ExprKind::Rate:
    for (auto &k : as<RateExpr>(e).keys)
      check_ranges(*k, e.range);
    break;
  default:
    break;
  }
}

TEST(FrontendExample, EveryNodeHasARangeInsideItsParent) {
  Parsed p(kLanguageExample);
  ASSERT_TRUE(p.ok()) << p.errors();
  Policy &pol = p.policy();
  for (auto &d : pol.decls) {
    ASSERT_TRUE(d->range.valid());
    EXPECT_TRUE(loc_le(pol.range.begin, d->range.begin));
    EXPECT_TRUE(loc_le(d->range.end, pol.range.end));
    switch (d->kind) {
    case DeclKind::Const:
      check_ranges(*as<ConstDecl>(*d).value, d->range);
      break;
    case DeclKind::Protect:
      check_ranges(*as<ProtectDecl>(*d).cond, d->range);
      break;
    case DeclKind::Rule:
      check_ranges(*as<RuleDecl>(*d).cond, d->range);
      EXPECT_TRUE(as<RuleDecl>(*d).action_range.valid());
      break;
    case DeclKind::Test:
      for (auto &pk : as<TestDecl>(*d).packets) {
        EXPECT_TRUE(loc_le(d->range.begin, pk->range.begin));
        EXPECT_TRUE(loc_le(pk->range.end, d->range.end));
        for (auto &a : pk->fields) {
          check_ranges(*a.field, pk->range);
          check_ranges(*a.value, pk->range);
        }
      }
      break;
    default:
      break;
    }
  }
}

TEST(FrontendExample, ParsesConcurrently) {
  // The daemon may parse on several threads; ANTLR's shared DFA cache
  // must cope.
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        Parsed p(kLanguageExample);
        Parsed bad(in_policy("rule a: ( => drop\nrule b: x => pass"));
        if (p.ok() && p.policy().rules.size() == 5 &&
            bad.diags.diagnostics().size() == 1)
          ++good;
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(good.load(), 100);
}

} // namespace
} // namespace psl
