// Constant evaluation through the real pipeline: folded values of
// constants, set literals (flattened through constant names) and ranges,
// and the value errors found while folding (E0302, E0303, E0305, E0309).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "driver.h"
#include "sema_test_util.h"

namespace {

using namespace psl;

using namespace sema_test;

IpAddr ip(const char *text) { return *parse_ip(text); }
Value cidr(const char *addr, uint8_t len) { return Value{Cidr{ip(addr), len}}; }
Value num(uint64_t n) { return Value{n}; }
Value range(uint64_t lo, uint64_t hi) { return Value{RangeValue{lo, hi}}; }
Value set(std::vector<Value> elements) {
  return Value{SetValue{std::move(elements)}};
}

const ConstDecl &const_named(const Policy &p, const std::string &name) {
  for (const ConstDecl *c : p.consts)
    if (c->name == name)
      return *c;
  throw std::runtime_error("no constant " + name);
}

// ------------------------------------------------------------------- folding

TEST(ConstEval, FoldsScalarsSetsAndRanges) {
  auto checked = check_source("t.psl", R"(policy p {
  const limit = 100/s
  const web = { 80, 443, 8000..8100 }
  const nets = { 10.0.0.0/8, 192.168.1.1, fd00::/8 }
  const life = 10m
  const ports = 1024..65535
  rule r: tcp.dport in web => pass
}
)");
  ASSERT_TRUE(checked.ok()) << render(checked.diags).front();
  auto &p = *checked.module.policy;
  EXPECT_EQ(const_named(p, "limit").folded,
            (Value{RateValue{RateValue::Unit::Packets, 100}}));
  EXPECT_EQ(const_named(p, "web").folded,
            set({num(80), num(443), range(8000, 8100)}));
  EXPECT_EQ(
      const_named(p, "nets").folded,
      set({cidr("10.0.0.0", 8), Value{ip("192.168.1.1")}, cidr("fd00::", 8)}));
  EXPECT_EQ(const_named(p, "life").folded,
            (Value{Duration{600'000'000'000ull}}));
  EXPECT_EQ(const_named(p, "ports").folded, range(1024, 65535));
}

TEST(ConstEval, FlattensConstantNamesInSetsInDependencyOrder) {
  // `all` is defined before what it uses; nested sets flatten.
  auto checked = check_source("t.psl", R"(policy p {
  const all = { web, ssh, { 25, 587 } }
  const web = { http, 443 }
  const http = 80
  const ssh = 22
  rule r: tcp.dport in all => pass
}
)");
  ASSERT_TRUE(checked.ok()) << render(checked.diags).front();
  auto &p = *checked.module.policy;
  EXPECT_EQ(const_named(p, "all").folded,
            set({num(80), num(443), num(22), num(25), num(587)}));
  EXPECT_EQ(const_named(p, "http").folded, num(80));
}

TEST(ConstEval, NamesFoldToTheirValues) {
  auto checked = check_source("t.psl", R"(policy p {
  const protos = { tcp, udp, 47 }
  const pings = { echo_request, neighbor_solicitation }
  const ping = echo_request
  rule r: ip.proto in protos => pass
  rule s: icmp6.type in pings => pass
}
)");
  ASSERT_TRUE(checked.ok()) << render(checked.diags).front();
  auto &p = *checked.module.policy;
  // An int in a set of protocols is a protocol number.
  EXPECT_EQ(const_named(p, "protos").folded,
            set({Value{ProtoValue{6}}, Value{ProtoValue{17}},
                 Value{ProtoValue{47}}}));
  // neighbor_solicitation exists only in ICMPv6, so the whole set is ICMPv6.
  EXPECT_EQ(
      const_named(p, "pings").folded,
      set({Value{IcmpTypeValue{true, 128}}, Value{IcmpTypeValue{true, 135}}}));
  // On its own, a name in both families is ICMPv4.
  EXPECT_EQ(const_named(p, "ping").folded, (Value{IcmpTypeValue{false, 8}}));
}

TEST(ConstEval, FoldsConstantsInsideConditions) {
  auto checked = check_source("t.psl", R"(policy p {
  const ssh = 22
  rule r: tcp.dport == ssh and ip.src in { 10.0.0.0/8 } and tcp.sport in 1..1023 => drop
}
)");
  ASSERT_TRUE(checked.ok()) << render(checked.diags).front();
  auto &cond = as<BinaryExpr>(*checked.module.policy->rules[0]->cond);
  auto &first = as<BinaryExpr>(*cond.lhs);
  EXPECT_EQ(as<CompareExpr>(*first.lhs).rhs->constant, num(22));
  EXPECT_EQ(as<CompareExpr>(*first.rhs).rhs->constant,
            set({cidr("10.0.0.0", 8)}));
  EXPECT_EQ(as<CompareExpr>(*cond.rhs).rhs->constant, range(1, 1023));
  // Fields are not constants.
  EXPECT_FALSE(as<CompareExpr>(*first.lhs).lhs->constant.has_value());
}

// --------------------------------------------------------------------- errors

TEST(ConstEval, PrefixWithHostBits) {
  EXPECT_EQ(
      errors(R"(policy p {
  const nets = { 10.0.0.1/8, 2001:db8::1/32 }
  rule r: ip.src in 192.168.1.1/24 => drop
}
)"),
      (Lines{
          "2:18: E0305 prefix 10.0.0.1/8 has host bits set; did you mean "
          "10.0.0.0/8?",
          "2:30: E0305 prefix 2001:db8::1/32 has host bits set; did you mean "
          "2001:db8::/32?",
          "3:21: E0305 prefix 192.168.1.1/24 has host bits set; did you mean "
          "192.168.1.0/24?"}));
}

TEST(ConstEval, PrefixWithHostBitsIsReportedOnceAndFoldedWithoutThem) {
  auto checked = check_source("t.psl", R"(policy p {
  const net = 10.0.0.1/8
  rule a: ip.src in net => drop
  rule b: ip.dst in net => drop
}
)");
  EXPECT_EQ(render(checked.diags),
            (Lines{"2:15: E0305 prefix 10.0.0.1/8 has host bits set; did you "
                   "mean 10.0.0.0/8?"}));
  EXPECT_EQ(const_named(*checked.module.policy, "net").folded,
            cidr("10.0.0.0", 8));
}

TEST(ConstEval, EmptyRange) {
  EXPECT_EQ(
      errors(R"(policy p {
  const hi = 8000
  const web = { 80, 8100..hi }
  rule r: tcp.dport in 1024..1000 => drop
}
)"),
      (Lines{"3:21: E0309 empty range 8100..'hi': 8100 is greater than 8000",
             "4:24: E0309 empty range 1024..1000: 1024 is greater than 1000"}));
}

TEST(ConstEval, RangeBoundsMustBeIntegers) {
  EXPECT_EQ(
      errors(R"(policy p {
  rule r: ip.src in 10.0.0.1..10.0.0.9 => drop
  rule s: ip.proto in tcp..udp => drop
}
)"),
      (Lines{"2:21: E0302 range bounds must be integers; 10.0.0.1 is ip",
             "3:23: E0302 range bounds must be integers; 'tcp' is proto"}));
}

TEST(ConstEval, MixedSetElements) {
  EXPECT_EQ(errors(R"(policy p {
  const a = { 10.0.0.0/8, 80 }
  const b = { 1, tcp, 10.0.0.1 }
  const c = { 1..5, udp }
}
)"),
            (Lines{"2:27: E0303 set element 80 (int) does not match earlier "
                   "element 10.0.0.0/8 (cidr)",
                   "3:23: E0303 set element 10.0.0.1 (ip) does not match "
                   "earlier element 'tcp' (proto)",
                   "4:21: E0303 set element 'udp' (proto) does not match "
                   "earlier element 1..5 "
                   "(range of int)"}));
}

TEST(ConstEval, MixedSetElementsThroughConstantNames) {
  EXPECT_EQ(errors(R"(policy p {
  const nets = { 10.0.0.0/8 }
  const web = { 80, 443 }
  const both = { web, nets }
}
)"),
            (Lines{"4:23: E0303 set element 'nets' (cidr) does not match "
                   "earlier element 'web' (int)"}));
}

TEST(ConstEval, IcmpNamesOfBothFamiliesDoNotMix) {
  EXPECT_EQ(errors(R"(policy p {
  const a = { source_quench, neighbor_solicitation }
}
)"),
            (Lines{"2:30: E0303 set element 'neighbor_solicitation' (icmp6 "
                   "type) does not match "
                   "earlier element 'source_quench' (icmp type)"}));
}

TEST(ConstEval, ProtocolNumberTooWideInASetOfProtocols) {
  EXPECT_EQ(
      errors(R"(policy p {
  const a = { tcp, 300 }
}
)"),
      (Lines{
          "2:20: E0304 a protocol number is 8 bits wide; 300 does not fit"}));
}

TEST(ConstEval, ErrorsDoNotCascade) {
  // The broken constant is reported once; its uses stay silent.
  EXPECT_EQ(errors(R"(policy p {
  const bad = { 80, 10.0.0.1 }
  const worse = { bad, 443 }
  rule r: tcp.dport in bad or tcp.dport in { 1, 2.2.2.2 } => drop
}
)"),
            (Lines{"2:21: E0303 set element 10.0.0.1 (ip) does not match "
                   "earlier element 80 (int)",
                   "4:49: E0303 set element 2.2.2.2 (ip) does not match "
                   "earlier element 1 (int)"}));
}

TEST(ConstEval, EmptySetIsAConstant) {
  auto checked = check_source("t.psl", R"(policy p {
  const none = {}
  rule r: tcp.dport in none => drop
}
)");
  ASSERT_TRUE(checked.ok()) << render(checked.diags).front();
  EXPECT_EQ(const_named(*checked.module.policy, "none").folded, set({}));
}

} // namespace
