// The condition space (compiler/passes/condition_space.h): interval sets,
// boxes and their normalization, subtraction, the index, cover(), and the
// sets of real PSL conditions (parsed and checked by the real pipeline).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "driver.h"
#include "passes/condition_space.h"

namespace psl::cs {
namespace {

IntervalSet set_of(std::vector<Interval> v) {
  return IntervalSet::from(std::move(v));
}

std::string str(const IntervalSet &s) {
  std::string out;
  for (const auto &iv : s) {
    if (!out.empty())
      out += ",";
    out += std::to_string(static_cast<uint64_t>(iv.lo));
    if (iv.hi != iv.lo)
      out += "-" + std::to_string(static_cast<uint64_t>(iv.hi));
  }
  return out.empty() ? "{}" : out;
}

// ------------------------------------------------------------- IntervalSet

TEST(IntervalSet, FromSortsAndMergesOverlappingAndAdjacent) {
  EXPECT_EQ(str(set_of({{10, 20}, {1, 3}, {4, 5}, {15, 30}, {40, 40}})),
            "1-5,10-30,40");
  EXPECT_EQ(str(set_of({{5, 4}})), "{}"); // an empty interval is dropped
}

TEST(IntervalSet, Operations) {
  IntervalSet a = set_of({{0, 10}, {20, 30}});
  IntervalSet b = set_of({{5, 25}});
  EXPECT_EQ(str(a.intersect(b)), "5-10,20-25");
  EXPECT_EQ(str(a.unite(b)), "0-30");
  EXPECT_EQ(str(a.minus(b)), "0-4,26-30");
  EXPECT_EQ(str(b.minus(a)), "11-19");
  EXPECT_EQ(str(a.complement(40)), "11-19,31-40");
  EXPECT_TRUE(a.intersects(b));
  EXPECT_FALSE(a.intersects(set_of({{11, 19}})));
  EXPECT_TRUE(a.covers(set_of({{1, 2}, {21, 30}})));
  EXPECT_FALSE(a.covers(set_of({{9, 21}})));
  EXPECT_TRUE(a.contains(30));
  EXPECT_FALSE(a.contains(15));
  EXPECT_TRUE(IntervalSet::range(0, 65535).is_full(65535));
}

TEST(IntervalSet, WorksAtTheTopOf128Bits) {
  Point max = ~Point{0};
  IntervalSet all = IntervalSet::range(0, max);
  IntervalSet top = IntervalSet::point(max);
  EXPECT_TRUE(all.minus(top).covers(IntervalSet::range(0, max - 1)));
  EXPECT_FALSE(all.minus(top).contains(max));
  EXPECT_EQ(set_of({{0, max}, {5, 6}}).size(), 1u);
  EXPECT_TRUE(top.complement(max).is_full(max - 1));
}

TEST(IntervalSet, OneIntervalAgainstMany) {
  std::vector<Interval> many;
  for (Point i = 0; i < 100; ++i)
    many.push_back({i * 10, i * 10 + 4});
  IntervalSet m = set_of(many);
  EXPECT_TRUE(m.intersects(IntervalSet::range(503, 507)));
  EXPECT_FALSE(m.intersects(IntervalSet::range(505, 509)));
  EXPECT_TRUE(IntervalSet::range(505, 510).intersects(m));
}

// -------------------------------------------------------------------- boxes

Box box(std::vector<std::pair<DimId, IntervalSet>> cs) {
  Box b;
  for (auto &[d, s] : cs)
    b.restrict(d, s);
  return b;
}

const DimId kTcpDport = field_dim(FieldId::TcpDport);
const DimId kUdpDport = field_dim(FieldId::UdpDport);
const IntervalSet kOne = IntervalSet::point(1);
const IntervalSet kZero = IntervalSet::point(0);

TEST(Normalize, TcpImpliesIpProtocolVersionAndFirstFragment) {
  Space sp;
  Box b = box({{kLayerTcp, kOne}});
  ASSERT_TRUE(normalize(b));
  EXPECT_EQ(to_string(b, sp),
            "{tcp, ip, eth.type 0x0800|0x86dd, ip.version 4|6, ip.proto tcp, "
            "ip.frag_off 0}");
}

TEST(Normalize, IcmpIsIpv4AndIcmp6IsIpv6) {
  Space sp;
  Box b = box({{kLayerIcmp, kOne}});
  ASSERT_TRUE(normalize(b));
  EXPECT_EQ(to_string(b, sp), "{icmp, ip, eth.type 0x0800, ip.version 4, "
                              "ip.proto icmp, ip.frag_off 0}");
  Box both = box({{kLayerIcmp, kOne}, {kLayerIcmp6, kOne}});
  EXPECT_FALSE(normalize(both));
}

TEST(Normalize, ConflictingLayersAreEmpty) {
  Box tcp_udp = box({{kLayerTcp, kOne}, {kLayerUdp, kOne}});
  EXPECT_FALSE(normalize(tcp_udp));
  Box tcp_no_ip = box({{kLayerTcp, kOne}, {kLayerIp, kZero}});
  EXPECT_FALSE(normalize(tcp_no_ip));
  Box tcp_later_fragment =
      box({{kLayerTcp, kOne}, {kDimIpFragOff, IntervalSet::range(8, 65535)}});
  EXPECT_FALSE(normalize(tcp_later_fragment));
  Box v6_ipv4_ethertype = box({{kLayerIp, kOne},
                               {kDimIpVersion, IntervalSet::point(6)},
                               {kDimEthType, IntervalSet::point(0x0800)}});
  EXPECT_FALSE(normalize(v6_ipv4_ethertype));
}

// A layer that cannot be present stays unconstrained (the witness picks
// it absent, which is a real packet): ip.proto udp with tcp free.
TEST(Normalize, WitnessesAreRealPackets) {
  Space sp;
  Box b = box({{kDimIpProto, IntervalSet::point(17)},
               {kTcpDport, IntervalSet::point(22)}});
  ASSERT_TRUE(normalize(b));
  Witness w = witness(b, &b);
  EXPECT_EQ(w.at(kLayerTcp), 0u); // a UDP packet: tcp.dport is its fiber
  EXPECT_EQ(w.at(kLayerIp), 0u);
  Box tcp = box({{kLayerTcp, kOne}, {kDimIpVersion, IntervalSet::point(6)}});
  ASSERT_TRUE(normalize(tcp));
  Witness t = witness(tcp, &tcp);
  EXPECT_EQ(t.at(kLayerIp), 1u);
  EXPECT_EQ(t.at(kDimIpProto), 6u);
  EXPECT_EQ(t.at(kDimEthType), 0x86ddu);
  EXPECT_EQ(describe(tcp, t, sp), "ip.version = 6");
}

TEST(Subtract, PiecesAreDisjointAndExact) {
  Space sp;
  Box a = box({{kLayerTcp, kOne}, {kTcpDport, IntervalSet::range(0, 1023)}});
  Box b = box({{kLayerTcp, kOne}, {kTcpDport, IntervalSet::point(22)}});
  ASSERT_TRUE(normalize(a) && normalize(b));
  std::vector<Box> out;
  subtract(a, b, out);
  EXPECT_EQ(to_string(out, sp),
            "{tcp, ip, eth.type 0x0800|0x86dd, ip.version 4|6, ip.proto tcp, "
            "ip.frag_off 0, tcp.dport 0..21|23..1023}");
  // Everything minus tcp.dport 22: no tcp, or tcp with another port.
  out.clear();
  subtract(Box{}, b, out);
  EXPECT_EQ(to_string(out, sp),
            "{!tcp} | {tcp, ip, eth.type 0x0800|0x86dd, ip.version 4|6, "
            "ip.proto tcp, ip.frag_off 0, tcp.dport 0..21|23..65535}");
}

// Random boxes over a few small dimensions: a point is in a \ b exactly
// when it is in one piece.
TEST(Subtract, MatchesPointMembership) {
  std::mt19937 rng(7);
  auto rand_set = [&](Point max) {
    Point lo = rng() % (max + 1), hi = rng() % (max + 1);
    if (lo > hi)
      std::swap(lo, hi);
    return IntervalSet::range(lo, hi);
  };
  for (int round = 0; round < 300; ++round) {
    Box a, b;
    for (DimId d : {field_dim(FieldId::IpTtl), field_dim(FieldId::PktLen),
                    field_dim(FieldId::IpTos)}) {
      if (rng() % 3)
        a.restrict(d, rand_set(40));
      if (rng() % 3)
        b.restrict(d, rand_set(40));
    }
    if (!normalize(a) || !normalize(b))
      continue;
    std::vector<Box> pieces;
    subtract(a, b, pieces);
    for (int k = 0; k < 50; ++k) {
      Witness w;
      w.fixed[field_dim(FieldId::IpTtl)] = rng() % 42;
      w.fixed[field_dim(FieldId::PktLen)] = rng() % 42;
      w.fixed[field_dim(FieldId::IpTos)] = rng() % 42;
      w.fixed[kLayerIp] = 1;
      w.fixed[kDimIpVersion] = 4;
      w.fixed[kDimEthType] = 0x0800;
      int in = 0;
      for (const auto &p : pieces)
        in += box_contains(p, w);
      bool expect = box_contains(a, w) && !box_contains(b, w);
      ASSERT_EQ(in, expect ? 1 : 0) << "round " << round;
    }
  }
}

// ---------------------------------------------------------- built conditions

// Builds the condition of every rule of a policy body.
class Conditions {
public:
  explicit Conditions(const std::string &body) {
    checked_ = std::make_unique<CheckedModule>(
        check_source("t.psl", "policy t {\n" + body + "\n}\n"));
    for (const auto &d : checked_->diags.diagnostics())
      if (d.severity == Severity::Error)
        ADD_FAILURE() << "unexpected error: " << d.message;
  }
  std::optional<Dnf> dnf(const std::string &rule,
                         NotSemantics sem = NotSemantics::GuardKept) {
    for (auto *r : checked_->module.policy->rules)
      if (r->name == rule) {
        ConditionBuilder b(space_, DnfLimits{}, sem);
        return b.build(*r->cond);
      }
    ADD_FAILURE() << "no rule " << rule;
    return std::nullopt;
  }
  std::string text(const std::string &rule,
                   NotSemantics sem = NotSemantics::GuardKept) {
    auto d = dnf(rule, sem);
    return d ? to_string(*d, space_) : "too complex";
  }
  Space &space() { return space_; }

private:
  std::unique_ptr<CheckedModule> checked_;
  Space space_;
};

// Every packet in the union? (cover() of the whole space by its boxes.)
bool always_true(const Dnf &d) {
  BoxIndex index;
  for (const auto &b : d)
    index.insert(&b, 0);
  Box all;
  return cover({CoverItem{&all, &all}}, index, [](uint32_t) {
           return true;
         }).status == CoverResult::Status::Covered;
}

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

// ---------------------------------------------------------- index and cover

Box v4_prefix(DimId dim, uint32_t addr, unsigned len) {
  Box b;
  b.restrict(kLayerIp, kOne);
  b.restrict(kDimIpVersion, IntervalSet::point(4));
  Point host = len == 32 ? 0 : ((Point{1} << (32 - len)) - 1);
  b.restrict(dim, IntervalSet::range(addr & ~host & 0xffffffffu,
                                     (addr | host) & 0xffffffffu));
  normalize(b);
  return b;
}

TEST(Cover, UnionOfSeveralBoxes) {
  std::vector<Box> rules = {v4_prefix(kDimIpSrc4, 0x0a000000, 9),  // 10.0/9
                            v4_prefix(kDimIpSrc4, 0x0a800000, 9)}; // 10.128/9
  BoxIndex index;
  for (uint32_t i = 0; i < rules.size(); ++i)
    index.insert(&rules[i], i);
  Box region = v4_prefix(kDimIpSrc4, 0x0a010000, 16);
  region.restrict(kLayerTcp, kOne);
  normalize(region);
  Box whole = v4_prefix(kDimIpSrc4, 0x0a000000, 8);
  auto all = [](uint32_t) { return true; };
  auto r1 = cover({CoverItem{&region, &region}}, index, all);
  EXPECT_EQ(r1.status, CoverResult::Status::Covered);
  EXPECT_EQ(r1.used, std::vector<uint32_t>{0});
  auto r2 = cover({CoverItem{&whole, &whole}}, index, all);
  ASSERT_EQ(r2.status, CoverResult::Status::Covered);
  std::sort(r2.used.begin(), r2.used.end());
  EXPECT_EQ(r2.used, (std::vector<uint32_t>{0, 1}));
  // Without the second rule, a witness from 10.128/9 is left.
  auto r3 = cover({CoverItem{&whole, &whole}}, index,
                  [](uint32_t t) { return t == 0; });
  ASSERT_EQ(r3.status, CoverResult::Status::NotCovered);
  Space sp;
  EXPECT_EQ(describe(r3.uncovered_box, *r3.uncovered, sp),
            "ip.src = 10.128.0.0");
}

TEST(Cover, OpaqueAtomsOnlyCoverTheSameAtom) {
  Space sp;
  DimId banned = sp.opaque("ip.src in banned");
  Box rule = v4_prefix(kDimIpSrc4, 0x0a000000, 8);
  rule.restrict(banned, kOne);
  BoxIndex index;
  index.insert(&rule, 0);
  auto all = [](uint32_t) { return true; };
  Box plain = v4_prefix(kDimIpSrc4, 0x0a010000, 16);
  EXPECT_EQ(cover({CoverItem{&plain, &plain}}, index, all).status,
            CoverResult::Status::NotCovered);
  Box with = plain;
  with.restrict(banned, kOne);
  EXPECT_EQ(cover({CoverItem{&with, &with}}, index, all).status,
            CoverResult::Status::Covered);
  Box against = plain;
  against.restrict(banned, kZero);
  EXPECT_EQ(cover({CoverItem{&against, &against}}, index, all).status,
            CoverResult::Status::NotCovered);
}

// The index against brute force, on many random prefixes and ports.
TEST(BoxIndex, QueriesMatchBruteForce) {
  std::mt19937 rng(11);
  std::vector<Box> boxes;
  for (int i = 0; i < 3000; ++i) {
    Box b;
    switch (rng() % 3) {
    case 0:
      b = v4_prefix(kDimIpSrc4, rng(), 8 + rng() % 25);
      break;
    case 1:
      b = v4_prefix(kDimIpDst4, rng(), 16 + rng() % 17);
      break;
    default: {
      b.restrict(kLayerTcp, kOne);
      Point lo = rng() % 65536, hi = std::min<Point>(65535, lo + rng() % 300);
      b.restrict(kTcpDport, IntervalSet::range(lo, hi));
      normalize(b);
    }
    }
    boxes.push_back(std::move(b));
  }
  BoxIndex index;
  for (uint32_t i = 0; i < boxes.size(); ++i)
    index.insert(&boxes[i], i);
  auto all = [](uint32_t) { return true; };
  for (int q = 0; q < 300; ++q) {
    // A packet: TCP over IPv4 with random addresses and port.
    Witness w;
    w.fixed[kLayerIp] = 1;
    w.fixed[kLayerTcp] = rng() % 2;
    w.fixed[kDimIpVersion] = 4;
    w.fixed[kDimEthType] = 0x0800;
    w.fixed[kDimIpProto] = 6;
    w.fixed[kDimIpSrc4] = rng() & (q % 2 ? 0xffffffffu : 0x0f0fffffu);
    w.fixed[kDimIpDst4] = rng();
    w.fixed[kTcpDport] = rng() % 65536;
    std::vector<uint32_t> got, want;
    index.for_each_containing(w, all, [&](uint32_t id) {
      got.push_back(index.entry(id).tag);
      return true;
    });
    for (uint32_t i = 0; i < boxes.size(); ++i)
      if (box_contains(boxes[i], w))
        want.push_back(i);
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, want) << "query " << q;

    Box probe = v4_prefix(kDimIpSrc4, rng(), 4 + rng() % 29);
    got.clear();
    want.clear();
    index.for_each_intersecting(probe, all, [&](uint32_t id) {
      got.push_back(index.entry(id).tag);
      return true;
    });
    for (uint32_t i = 0; i < boxes.size(); ++i)
      if (intersects(boxes[i], probe))
        want.push_back(i);
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, want) << "probe " << q;
  }
}

TEST(BoxIndex, LeastTagMeetingInDecreasingOrder) {
  std::vector<Box> boxes = {v4_prefix(kDimIpSrc4, 0x0a000000, 8),
                            v4_prefix(kDimIpDst4, 0x0b000000, 8),
                            v4_prefix(kDimIpSrc4, 0x0c000000, 8)};
  BoxIndex index;
  // Tags 30, 20, 10: inserted bottom-up as the lint's backward pass does.
  index.insert(&boxes[0], 30);
  index.insert(&boxes[1], 20);
  index.insert(&boxes[2], 10);
  Box q1 = v4_prefix(kDimIpSrc4, 0x0a010000, 16); // meets 30 and 20
  EXPECT_EQ(index.least_tag_meeting(q1, 100), 20u);
  Box q2 = v4_prefix(kDimIpSrc4, 0x0c010000, 16); // meets 20 and 10
  EXPECT_EQ(index.least_tag_meeting(q2, 100), 10u);
  Box q3 = v4_prefix(kDimIpSrc4, 0x0d000000, 8);
  q3.restrict(kDimIpDst4, IntervalSet::point(1));
  EXPECT_EQ(index.least_tag_meeting(q3, 100), UINT32_MAX);
}

} // namespace
} // namespace psl::cs
