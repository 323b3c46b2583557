// The AST -> DNF builder (compiler/analysis/condition_builder.h): the
// sets of real PSL conditions, parsed and checked by the real pipeline.
#include <gtest/gtest.h>

#include "analysis_test_util.h"

namespace psl::analysis {
namespace {

using namespace test_util;

const char *kTcpGuard = "tcp, ip, eth.type 0x0800|0x86dd, ip.version 4|6, "
                        "ip.proto tcp, ip.frag_off 0";
const char *kUdpGuard = "udp, ip, eth.type 0x0800|0x86dd, ip.version 4|6, "
                        "ip.proto udp, ip.frag_off 0";

TEST(Build, AFieldImpliesItsGuard) {
  Conditions c("rule a: tcp.dport == 22 => drop\n"
               "rule b: tcp.dport != 22 => drop\n"
               "rule c: tcp.dport not in { 22, 80 } => drop\n");
  EXPECT_EQ(c.text("a"), std::string("{") + kTcpGuard + ", tcp.dport 22}");
  EXPECT_EQ(c.text("b"),
            std::string("{") + kTcpGuard + ", tcp.dport 0..21|23..65535}");
  EXPECT_EQ(c.text("c"), std::string("{") + kTcpGuard +
                             ", tcp.dport 0..21|23..79|81..65535}");
}

TEST(Build, NotOfABoolFieldKeepsTheGuard) {
  Conditions c("rule a: not tcp.syn => drop\n");
  EXPECT_EQ(c.text("a"), std::string("{") + kTcpGuard + ", tcp.syn false}");
}

// GuardKept (docs/language.md, the interpreter): `not` never negates a
// guard; it is pushed down to the atoms.
TEST(Build, NotKeepsEveryGuard) {
  Conditions c("rule a: not (tcp.dport == 22) => drop\n"
               "rule b: not (tcp.syn and udp.dport == 53) => drop\n"
               "rule c: not not tcp.syn => drop\n"
               "rule d: not (tcp.dport == 22 or ip.ttl < 5) => drop\n");
  EXPECT_EQ(c.text("a"),
            std::string("{") + kTcpGuard + ", tcp.dport 0..21|23..65535}");
  EXPECT_EQ(c.text("b"), std::string("{") + kTcpGuard + ", tcp.syn false} | {" +
                             kUdpGuard + ", udp.dport 0..52|54..65535}");
  EXPECT_FALSE(always_true(*c.dnf("b")));
  EXPECT_EQ(c.text("c"), std::string("{") + kTcpGuard + ", tcp.syn true}");
  EXPECT_EQ(c.text("d"), "{tcp, ip, eth.type 0x0800|0x86dd, ip.version 4|6, "
                         "ip.proto tcp, ip.ttl 5..255, ip.frag_off 0, "
                         "tcp.dport 0..21|23..65535}");
}

// Complement: `not` of a compound is the boolean complement.
TEST(Build, NotAsComplement) {
  const auto kC = NotSemantics::Complement;
  Conditions c("rule a: not (tcp.dport == 22) => drop\n"
               "rule b: not (tcp.syn and udp.dport == 53) => drop\n"
               "rule c: not not tcp.syn => drop\n"
               "rule s: not tcp.syn => drop\n");
  EXPECT_EQ(c.text("a", kC), std::string("{!tcp} | {") + kTcpGuard +
                                 ", tcp.dport 0..21|23..65535}");
  // The conjunction is empty (TCP and UDP), so its negation is everything.
  EXPECT_TRUE(always_true(*c.dnf("b", kC)));
  // not (tcp ∧ ¬syn) = ¬tcp ∨ (tcp ∧ syn)
  EXPECT_EQ(c.text("c", kC),
            std::string("{!tcp} | {") + kTcpGuard + ", tcp.syn true}");
  EXPECT_EQ(c.text("s", kC), std::string("{") + kTcpGuard + ", tcp.syn false}");
}

// The truth table of the guard rule, on packets, in both readings (see
// NotSemantics).
TEST(Build, GuardTruthTable) {
  Conditions c("rule eq: tcp.dport == 22 => drop\n"
               "rule ne: tcp.dport != 22 => drop\n"
               "rule not_eq: not (tcp.dport == 22) => drop\n");
  auto packet = [](bool tcp, Point dport) {
    Witness w;
    w.fixed[kLayerIp] = 1;
    w.fixed[kDimIpVersion] = 4;
    w.fixed[kDimEthType] = 0x0800;
    w.fixed[kDimIpProto] = tcp ? 6 : 17;
    w.fixed[tcp ? kLayerTcp : kLayerUdp] = 1;
    w.fixed[tcp ? kTcpDport : kUdpDport] = dport;
    return w;
  };
  auto holds = [&](const std::string &rule, const Witness &w,
                   NotSemantics sem = NotSemantics::GuardKept) {
    auto d = c.dnf(rule, sem);
    return std::any_of(d->begin(), d->end(),
                       [&](const Box &b) { return box_contains(b, w); });
  };
  struct Row {
    Witness w;
    bool eq, ne, negated_kept, negated_complement;
  } rows[] = {
      {packet(false, 22), false, false, false, true}, // UDP
      {packet(true, 22), true, false, false, false},  // TCP, dport 22
      {packet(true, 80), false, true, true, true},    // TCP, dport 80
  };
  for (const auto &r : rows) {
    EXPECT_EQ(holds("eq", r.w), r.eq);
    EXPECT_EQ(holds("ne", r.w), r.ne);
    EXPECT_EQ(holds("not_eq", r.w), r.negated_kept);
    EXPECT_EQ(holds("not_eq", r.w, NotSemantics::Complement),
              r.negated_complement);
  }
}

TEST(Build, AddressesCarryTheirFamily) {
  Conditions c(
      "rule v4: ip.src in 10.0.0.0/8 => drop\n"
      "rule v6: ip.src in ::a00:0/104 => drop\n"
      "rule both: ip.src in 10.0.0.0/8 and ip.src in ::a00:0/104 => drop\n"
      "rule mixed: ip.dst in { 10.0.0.1, fd00::/8 } => drop\n"
      "rule ne: ip.src != 10.0.0.1 => drop\n");
  EXPECT_EQ(c.text("v4"),
            "{ip, eth.type 0x0800, ip.version 4, ip.src 10.0.0.0/8}");
  EXPECT_EQ(c.text("v6"),
            "{ip, eth.type 0x86dd, ip.version 6, ip.src ::10.0.0.0/104}");
  EXPECT_EQ(c.text("both"), "false");
  EXPECT_EQ(c.text("mixed"),
            "{ip, eth.type 0x0800, ip.version 4, ip.dst 10.0.0.1} | "
            "{ip, eth.type 0x86dd, ip.version 6, ip.dst fd00::/8}");
  // Every IPv6 packet, and IPv4 ones from another address.
  EXPECT_EQ(c.text("ne"),
            "{ip, eth.type 0x0800, ip.version 4, ip.src 0.0.0.0..10.0.0.0|"
            "10.0.0.2..255.255.255.255} | {ip, eth.type 0x86dd, ip.version 6}");
}

TEST(Build, L4IsTcpOrUdp) {
  Conditions c("rule a: l4.dport == 53 => drop\n");
  EXPECT_EQ(c.text("a"), std::string("{") + kTcpGuard + ", tcp.dport 53} | {" +
                             kUdpGuard + ", udp.dport 53}");
}

TEST(Build, AlwaysFalseConditions) {
  Conditions c(
      "rule a: tcp.dport == 22 and tcp.dport == 80 => drop\n"
      "rule b: tcp.syn and udp.dport == 53 => drop\n"
      "rule c: ip.ttl < 0 => drop\n"
      "rule d: ip.src in 10.0.0.0/8 and ip.src in 192.168.0.0/16 => drop\n"
      "rule e: icmp.type == echo_request and ip.version == 6 => drop\n"
      "rule f: icmp6.type == echo_request and icmp.code == 0 => drop\n");
  for (const char *r : {"a", "b", "c", "d", "e", "f"})
    EXPECT_EQ(c.text(r), "false") << r;
}

TEST(Build, TrueOnlyWithoutAGuard) {
  Conditions c("rule a: ip.ttl >= 0 => drop\n"
               "rule b: pkt.len >= 0 => drop\n"
               "rule c: true => drop\n");
  EXPECT_EQ(c.text("a"), "{ip, eth.type 0x0800|0x86dd, ip.version 4|6}");
  EXPECT_EQ(c.text("b"), "{}");
  EXPECT_EQ(c.text("c"), "{}");
}

TEST(Build, OpaqueAtomsHaveCanonicalKeys) {
  Conditions c("set banned : ip dynamic\n"
               "rule a: ip.src in banned => drop\n"
               "rule b: ip.src not in banned => drop\n"
               "rule c: rate(ip.src, burst 500) > 100/s => drop\n"
               "rule d: rate(ip.src, burst 500) > 100/s and tcp.syn => drop\n");
  EXPECT_EQ(c.text("a"), "{ip, eth.type 0x0800|0x86dd, ip.version 4|6, "
                         "[ip.src in banned]}");
  EXPECT_EQ(c.text("b"), "{ip, eth.type 0x0800|0x86dd, ip.version 4|6, "
                         "![ip.src in banned]}");
  EXPECT_EQ(c.text("c"), "{ip, eth.type 0x0800|0x86dd, ip.version 4|6, "
                         "[rate(ip.src, burst 500) > 100/s]}");
  // The same key is the same atom.
  EXPECT_EQ(c.space().num_opaque(), 2u);
}

TEST(Build, ConstantsAndNamesAreRead) {
  Conditions c("const web = { 80, 443, 8000..8100 }\n"
               "const nets = { 10.0.0.0/8 }\n"
               "rule a: tcp.dport in web and ip.src in nets => drop\n"
               "rule b: ip.proto in { tcp, udp } => drop\n"
               "rule c: icmp6.type == echo_request => drop\n");
  EXPECT_EQ(c.text("a"),
            "{tcp, ip, eth.type 0x0800, ip.version 4, ip.src 10.0.0.0/8, "
            "ip.proto tcp, ip.frag_off 0, tcp.dport 80|443|8000..8100}");
  EXPECT_EQ(c.text("b"),
            "{ip, eth.type 0x0800|0x86dd, ip.version 4|6, ip.proto tcp|udp}");
  EXPECT_EQ(c.text("c"),
            "{icmpv6, ip, eth.type 0x86dd, ip.version 6, "
            "ip.proto icmpv6, ip.frag_off 0, icmp6.type echo_request}");
}

TEST(Build, ExplosionIsTooComplex) {
  // 2^9 alternatives, none empty or absorbed.
  Conditions c(
      "rule a: (tcp.sport == 1 or tcp.dport == 1) and "
      "(ip.ttl == 1 or ip.tos == 1) and (ip.len == 1 or pkt.len == 1) and "
      "(vlan.id == 1 or tcp.window == 1) and "
      "(eth.src == 00:00:00:00:00:01 or eth.dst == 00:00:00:00:00:01) and "
      "(ip.src == 10.0.0.1 or ip.dst == 10.0.0.1) and (tcp.syn or tcp.ack) and "
      "(tcp.fin or tcp.rst) and (tcp.psh or tcp.urg) => drop\n"
      "rule b: (tcp.sport == 1 or tcp.dport == 1) and "
      "(ip.ttl == 1 or ip.tos == 1) and (tcp.fin or tcp.rst) => drop\n");
  EXPECT_EQ(c.text("a"), "too complex");
  EXPECT_EQ(c.dnf("b")->size(), 8u);
}

TEST(BuildCondition, TheChecksThreeStates) {
  Conditions c("rule a: tcp.dport == 22 => drop\n"
               "rule b: tcp.dport == 22 and tcp.dport == 80 => drop\n"
               "rule c: (tcp.dport == 1 or udp.dport == 1) and "
               "(ip.ttl == 1 or ip.tos == 1) => drop\n");
  EXPECT_EQ(c.state("a"), CondState::Ok);
  EXPECT_EQ(c.state("b"), CondState::AlwaysFalse);
  EXPECT_EQ(c.state("c"), CondState::Ok);
  EXPECT_EQ(c.state("c", DnfLimits{3}), CondState::TooComplex); // 4 boxes
  // No condition: nothing to reason about, and `out` stays as it was.
  Space space;
  Dnf out = dnf_true();
  EXPECT_EQ(build_condition(space, nullptr, DnfLimits{}, out),
            CondState::TooComplex);
  EXPECT_EQ(out.size(), 1u);
}

} // namespace
} // namespace psl::analysis
