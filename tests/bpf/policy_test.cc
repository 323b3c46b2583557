// Compiled policies under BPF_PROG_TEST_RUN: every construct of the
// language through the whole pipeline, asserting verdicts and counters.
#include <gtest/gtest.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "policy_harness.h"

namespace psl::bpftest {
namespace {

#define COMPILE(var, text)                                                     \
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);            \
  std::string var##_err;                                                       \
  auto var = CompiledPolicy::make(text, &var##_err);                           \
  ASSERT_TRUE(var) << var##_err

Pkt tcp(uint16_t dport, const std::string &src = "192.0.2.2") {
  Pkt p;
  p.proto = 6;
  p.dport = dport;
  p.src = src;
  return p;
}
Pkt udp(uint16_t dport, const std::string &src = "192.0.2.2") {
  Pkt p;
  p.proto = 17;
  p.dport = dport;
  p.src = src;
  return p;
}
Pkt v6(Pkt p, const std::string &src = "2001:db8::2",
       const std::string &dst = "2001:db8::1") {
  p.ip_version = 6;
  p.src = src;
  p.dst = dst;
  return p;
}

TEST(CompiledPolicy, PortArrayPrefixAndDefault) {
  COMPILE(pol, R"(
    rule ssh: tcp.dport == 22 => pass
    rule nets: ip.src in { 10.0.0.0/8, 2001:db8:bad::/48 } => drop
    default drop)");
  EXPECT_EQ(pol->run(tcp(22, "10.1.2.3")), "pass");
  EXPECT_EQ(pol->run(tcp(80, "10.1.2.3")), "drop");
  EXPECT_EQ(pol->run(udp(53, "11.1.2.3")), "drop"); // default
  EXPECT_EQ(pol->run(v6(udp(53), "2001:db8:bad::1")), "drop");
  EXPECT_EQ(pol->run(v6(tcp(22), "2001:db8:bad::1")), "pass");
  EXPECT_EQ(pol->count("ssh"), 2u);
  EXPECT_EQ(pol->count("nets"), 2u);
  EXPECT_EQ(pol->default_count(), 1u);
}

TEST(CompiledPolicy, OverlappingPrefixesKeepFirstMatch) {
  COMPILE(pol, R"(
    rule a: ip.src in 10.1.0.0/16 => pass
    rule b: ip.src in 10.0.0.0/8 => drop
    rule c: ip.src == 10.1.2.3 => drop
    rule d: ip.src in 10.2.3.0/24 => pass
    default pass)");
  EXPECT_EQ(pol->run(udp(1, "10.1.2.3")), "pass"); // a before c
  EXPECT_EQ(pol->run(udp(1, "10.2.3.4")), "drop"); // b before d
  EXPECT_EQ(pol->run(udp(1, "10.9.9.9")), "drop");
  EXPECT_EQ(pol->run(udp(1, "11.0.0.1")), "pass");
  EXPECT_EQ(pol->count("a"), 1u);
  EXPECT_EQ(pol->count("b"), 2u);
  EXPECT_EQ(pol->count("c"), 0u);
  EXPECT_EQ(pol->count("d"), 0u);
  EXPECT_EQ(pol->default_count(), 1u);
}

// Address and port: the class table of ip.src gives the packet's class
// (its longest stored prefix), and the class-keyed groups hold every rule
// of a covering prefix under that class. First match must survive both
// stages: a later, narrower rule never wins over an earlier, wider one.
TEST(CompiledPolicy, ClassKeyedRulesKeepFirstMatch) {
  COMPILE(pol, R"(
    rule wide_ssh: ip.src in 10.0.0.0/8 and tcp.dport == 22 => drop
    rule narrow_ssh: ip.src in 10.1.0.0/16 and tcp.dport == 22 => pass
    rule narrow_web: ip.src in 10.1.0.0/16 and tcp.dport in 80..90 => pass
    rule wide_all: ip.src in 10.0.0.0/8 => drop
    rule late_host: ip.src == 10.1.2.3 and tcp.dport == 443 => pass
    rule host_range: ip.src == 192.0.2.9 and udp.dport in 1000..2000 => drop
    rule two_ranges: ip.src in 172.16.0.0/12 and ip.dst in 198.51.100.0/24 => drop
    rule v6_ssh: ip.src in 2001:db8::/32 and tcp.dport == 22 => drop
    rule v6_host: ip.src == 2001:db8::7 and tcp.dport in 20..30 => pass
    default pass)");
  EXPECT_EQ(pol->run(tcp(22, "10.1.2.3")),
            "drop"); // wide_ssh before narrow_ssh
  EXPECT_EQ(pol->count("wide_ssh"), 1u);
  EXPECT_EQ(pol->count("narrow_ssh"), 0u);
  EXPECT_EQ(pol->run(tcp(85, "10.1.2.3")), "pass");
  EXPECT_EQ(pol->count("narrow_web"), 1u);
  EXPECT_EQ(pol->run(tcp(91, "10.1.2.3")), "drop"); // past the range: wide_all
  EXPECT_EQ(pol->run(tcp(443, "10.1.2.3")),
            "drop"); // wide_all before late_host
  EXPECT_EQ(pol->count("late_host"), 0u);
  EXPECT_EQ(pol->run(tcp(85, "10.2.0.1")), "drop"); // class of the /8 only
  EXPECT_EQ(pol->count("wide_all"), 3u);
  EXPECT_EQ(pol->run(udp(1500, "192.0.2.9")), "drop");
  EXPECT_EQ(pol->run(udp(2001, "192.0.2.9")), "pass");
  EXPECT_EQ(pol->run(tcp(1500, "192.0.2.9")), "pass"); // udp only
  Pkt p = udp(53, "172.16.5.5");
  p.dst = "198.51.100.7";
  EXPECT_EQ(pol->run(p), "drop");
  p.dst = "198.51.101.7";
  EXPECT_EQ(pol->run(p), "pass");
  EXPECT_EQ(pol->count("two_ranges"), 1u);
  // 2001:db8::7 lies under v6_ssh's /32, which comes first for port 22.
  EXPECT_EQ(pol->run(v6(tcp(22), "2001:db8::7")), "drop");
  EXPECT_EQ(pol->run(v6(tcp(25), "2001:db8::7")), "pass");
  EXPECT_EQ(pol->run(v6(tcp(25), "2001:db8::8")), "pass"); // default
  EXPECT_EQ(pol->count("v6_ssh"), 1u);
  EXPECT_EQ(pol->count("v6_host"), 1u);
  EXPECT_EQ(pol->default_count(), 4u);
}

TEST(CompiledPolicy, AddressOnlyRuleBeforeClassKeyedRuleWins) {
  COMPILE(pol, R"(
    rule net: ip.src in 10.0.0.0/8 => pass
    rule ssh: ip.src in 10.1.0.0/16 and tcp.dport == 22 => drop
    rule any_ssh: tcp.dport == 22 => drop
    default pass)");
  EXPECT_EQ(pol->run(tcp(22, "10.1.2.3")), "pass");
  EXPECT_EQ(pol->count("net"), 1u);
  EXPECT_EQ(pol->run(tcp(22, "11.1.2.3")), "drop");
  EXPECT_EQ(pol->count("any_ssh"), 1u);
  EXPECT_EQ(pol->count("ssh"), 0u);
}

// Mostly hosts and one prefix: a hash of the hosts is looked up before the
// trie. A host under an earlier prefix still gets the prefix's verdict.
TEST(CompiledPolicy, HostHashBeforeTheTrieKeepsFirstMatch) {
  COMPILE(pol, R"(
    rule h1: ip.src == 192.0.2.7 => pass
    rule wide: ip.src in 10.0.0.0/8 => drop
    rule inside: ip.src == 10.1.1.1 => pass
    rule h2: ip.src == 2001:db8::7 => drop
    rule h3: ip.src == 192.0.2.8 => drop
    default pass)");
  EXPECT_EQ(pol->run(tcp(80, "10.1.1.1")), "drop");
  EXPECT_EQ(pol->run(tcp(80, "10.9.9.9")), "drop");
  EXPECT_EQ(pol->count("wide"), 2u);
  EXPECT_EQ(pol->count("inside"), 0u);
  EXPECT_EQ(pol->run(tcp(80, "192.0.2.7")), "pass");
  EXPECT_EQ(pol->count("h1"), 1u);
  EXPECT_EQ(pol->run(tcp(80, "192.0.2.8")), "drop");
  EXPECT_EQ(pol->run(v6(tcp(80), "2001:db8::7")), "drop");
  EXPECT_EQ(pol->run(v6(tcp(80), "2001:db8::8")), "pass");
  EXPECT_EQ(pol->run(tcp(80, "192.0.2.9")), "pass");
  EXPECT_EQ(pol->default_count(), 2u);
}

TEST(CompiledPolicy, FamiliesStayApart) {
  // ::ffff:10.0.0.1 sent as native IPv6 is not 10.0.0.1.
  COMPILE(pol, R"(
    rule v4: ip.src == 10.0.0.1 => drop
    rule v6net: ip.dst in 2001:db8::/32 => drop)");
  EXPECT_EQ(pol->run(udp(1, "10.0.0.1")), "drop");
  EXPECT_EQ(pol->run(v6(udp(1), "::ffff:10.0.0.1", "2001:db9::1")), "pass");
  EXPECT_EQ(pol->run(v6(udp(1), "::1", "2001:db8:1::1")), "drop");
  Pkt p = udp(1);
  p.dst = "32.1.13.184"; // the first bytes of 2001:db8:: as IPv4
  EXPECT_EQ(pol->run(p), "pass");
}

TEST(CompiledPolicy, CountAndShadowDoNotDecide) {
  COMPILE(pol, R"(
    rule low: ip.ttl < 5 => count
    rule frag_shadow: ip.ttl < 3 => drop shadow
    rule web: tcp.dport == 80 => drop
    rule after: ip.ttl < 5 => count
    default pass)");
  Pkt p = tcp(80);
  p.ttl = 2;
  EXPECT_EQ(pol->run(p), "drop");
  EXPECT_EQ(pol->count("low"), 1u);
  EXPECT_EQ(pol->shadow("frag_shadow"), 1u);
  EXPECT_EQ(pol->count("frag_shadow"), 0u);
  EXPECT_EQ(pol->count("web"), 1u);
  EXPECT_EQ(pol->count("after"), 0u); // after the deciding rule
  p.dport = 81;
  EXPECT_EQ(pol->run(p), "pass");
  EXPECT_EQ(pol->count("after"), 1u);
  EXPECT_EQ(pol->count("low"), 2u);
  EXPECT_EQ(pol->default_count(), 1u);
}

TEST(CompiledPolicy, GuardsAndNot) {
  COMPILE(pol, R"(
    rule not_ssh: not tcp.dport == 22 => drop
    default pass)");
  EXPECT_EQ(pol->run(tcp(80)), "drop");
  EXPECT_EQ(pol->run(tcp(22)), "pass");
  EXPECT_EQ(pol->run(udp(80)), "pass"); // no tcp.dport: guard false
  Pkt arp;
  arp.ip_version = 0;
  EXPECT_EQ(pol->run(arp), "pass");
}

TEST(CompiledPolicy, NotOfFlagKeepsGuard) {
  COMPILE(pol, R"(
    rule syn_only: tcp.syn and not tcp.ack => drop)");
  Pkt p = tcp(1);
  p.tcp_flags = 0x02;
  EXPECT_EQ(pol->run(p), "drop");
  p.tcp_flags = 0x12;
  EXPECT_EQ(pol->run(p), "pass");
  EXPECT_EQ(pol->run(udp(1)), "pass");
}

TEST(CompiledPolicy, OrAndNesting) {
  COMPILE(pol, R"(
    rule r: (tcp.dport == 22 or udp.dport == 53) and not (ip.src in 10.0.0.0/8 or ip.ttl < 10) => drop)");
  EXPECT_EQ(pol->run(tcp(22, "11.0.0.1")), "drop");
  EXPECT_EQ(pol->run(udp(53, "11.0.0.1")), "drop");
  EXPECT_EQ(pol->run(tcp(22, "10.0.0.1")), "pass");
  Pkt p = udp(53, "11.0.0.1");
  p.ttl = 5;
  EXPECT_EQ(pol->run(p), "pass");
  EXPECT_EQ(pol->run(udp(54, "11.0.0.1")), "pass");
}

TEST(CompiledPolicy, ComparisonOperators) {
  COMPILE(pol, R"(
    rule eq: ip.ttl == 10 => drop
    rule ne: tcp.dport != 5 and tcp.dport < 100 => drop
    rule le: udp.dport <= 10 => drop
    rule gt: udp.dport > 60000 => drop
    rule ge: ip.tos >= 200 => drop
    rule len: pkt.len > 1000 => drop
    default pass)");
  Pkt p = udp(5000);
  p.ttl = 10;
  EXPECT_EQ(pol->run(p), "drop");
  EXPECT_EQ(pol->run(tcp(5)), "pass");
  EXPECT_EQ(pol->run(tcp(99)), "drop");
  EXPECT_EQ(pol->run(tcp(100)), "pass");
  EXPECT_EQ(pol->run(udp(10)), "drop");
  EXPECT_EQ(pol->run(udp(11)), "pass");
  EXPECT_EQ(pol->run(udp(60001)), "drop");
  EXPECT_EQ(pol->run(udp(60000)), "pass");
  p = udp(5000);
  p.tos = 200;
  EXPECT_EQ(pol->run(p), "drop");
  p.tos = 199;
  EXPECT_EQ(pol->run(p), "pass");
  p.payload = 1200;
  EXPECT_EQ(pol->run(p), "drop");
  EXPECT_EQ(pol->count("len"), 1u);
}

TEST(CompiledPolicy, SetsAndRanges) {
  COMPILE(pol, R"(
    const web = { 80, 443, 8000..8100 }
    rule w: tcp.dport in web => pass
    rule hi: udp.dport in 1024..65535 => drop
    rule not_in: l4.sport not in { 1, 2, 3, 10..20, 30, 40, 50 } and l4.dport == 7 => drop
    rule icmps: icmp.type in { echo_request, echo_reply } => drop
    default pass)");
  EXPECT_EQ(pol->run(tcp(8050)), "pass");
  EXPECT_EQ(pol->count("w"), 1u);
  EXPECT_EQ(pol->run(udp(1024)), "drop");
  EXPECT_EQ(pol->run(udp(1023)), "pass");
  Pkt p = udp(7);
  p.sport = 15;
  EXPECT_EQ(pol->run(p), "pass");
  p.sport = 16000;
  EXPECT_EQ(pol->run(p), "drop");
  Pkt i;
  i.proto = 1;
  i.icmp_type = 0;
  EXPECT_EQ(pol->run(i), "drop");
  i.icmp_type = 3;
  EXPECT_EQ(pol->run(i), "pass");
}

TEST(CompiledPolicy, EveryField) {
  COMPILE(pol, R"(
    rule f_eth_src: eth.src == 02:00:00:00:00:99 => drop
    rule f_eth_dst: eth.dst == 02:00:00:00:00:98 => drop
    rule f_eth_type: eth.type == 0x88b5 => drop
    rule f_vlan: vlan.id == 100 => drop
    rule f_ver: ip.version == 6 and ip.ttl == 7 => drop
    rule f_proto: ip.proto == gre => drop
    rule f_len: ip.len == 77 => drop
    rule f_frag: ip.frag => drop
    rule f_frag_off: ip.frag_off == 64 => drop
    rule f_ext: ip6.ext_count == 3 => drop
    rule f_hbh: ip6.hbh => drop
    rule f_rh: ip6.rh_type == 0 => drop
    rule f_tsport: tcp.sport == 1111 => drop
    rule f_fin: tcp.fin => drop
    rule f_rst: tcp.rst => drop
    rule f_psh: tcp.psh => drop
    rule f_urg: tcp.urg => drop
    rule f_win: tcp.window == 7 => drop
    rule f_usport: udp.sport == 2222 => drop
    rule f_ulen: udp.len == 9 => drop
    rule f_l4: l4.sport == 3333 => drop
    rule f_icode: icmp.code == 5 => drop
    rule f_i6type: icmp6.type == echo_request => drop
    rule f_i6code: icmp6.code == 9 => drop
    default pass)");
  auto expect = [&](Pkt p, const char *rule) {
    EXPECT_EQ(pol->run(p), "drop") << rule;
    EXPECT_EQ(pol->count(rule), 1u) << rule;
  };
  Pkt base = udp(9);
  EXPECT_EQ(pol->run(base), "pass");
  Pkt p = base;
  p.eth_src = {2, 0, 0, 0, 0, 0x99};
  expect(p, "f_eth_src");
  p = base;
  p.eth_dst = {2, 0, 0, 0, 0, 0x98};
  expect(p, "f_eth_dst");
  p = base;
  p.ip_version = 0;
  p.eth_type = 0x88b5;
  expect(p, "f_eth_type");
  p = base;
  p.vlans = {100};
  expect(p, "f_vlan");
  p = v6(base);
  p.ttl = 7;
  expect(p, "f_ver");
  p = base;
  p.proto = 47;
  expect(p, "f_proto");
  p = base;
  p.payload = 77 - 28;
  expect(p, "f_len");
  p = base;
  p.mf = true;
  expect(p, "f_frag");
  p = base;
  p.frag_off = 64; // also a fragment: f_frag first
  EXPECT_EQ(pol->run(p), "drop");
  EXPECT_EQ(pol->count("f_frag"), 2u);
  p = v6(base);
  p.ext = {{0}, {60}, {60}};
  EXPECT_EQ(pol->run(p), "drop");
  EXPECT_EQ(pol->count("f_ext"), 1u);
  p = v6(base);
  p.ext = {{0}};
  expect(p, "f_hbh");
  p = v6(base);
  p.ext = {{43, 4}};
  EXPECT_EQ(pol->run(p), "pass"); // routing type 4
  p.ext = {{43, 0}};
  expect(p, "f_rh");
  p = tcp(9);
  p.sport = 1111;
  expect(p, "f_tsport");
  p = tcp(9);
  p.tcp_flags = 0x01;
  expect(p, "f_fin");
  p.tcp_flags = 0x04;
  expect(p, "f_rst");
  p.tcp_flags = 0x08;
  expect(p, "f_psh");
  p.tcp_flags = 0x20;
  expect(p, "f_urg");
  p = tcp(9);
  p.window = 7;
  expect(p, "f_win");
  p = base;
  p.sport = 2222;
  expect(p, "f_usport");
  p = base;
  p.payload = 1;
  expect(p, "f_ulen");
  p = tcp(9);
  p.sport = 3333;
  expect(p, "f_l4");
  p = base;
  p.proto = 1;
  p.icmp_code = 5;
  expect(p, "f_icode");
  p = v6(base);
  p.proto = 58;
  p.icmp_type = 128;
  expect(p, "f_i6type");
  p.icmp_type = 1;
  p.icmp_code = 9;
  expect(p, "f_i6code");
}

TEST(CompiledPolicy, VlanTaggedTrafficIsClassified) {
  COMPILE(pol, R"(
    rule v: vlan.id == 10 and tcp.dport == 22 => drop
    rule any: ip.src in 203.0.113.0/24 => drop)");
  Pkt p = tcp(22);
  p.vlans = {10};
  EXPECT_EQ(pol->run(p), "drop");
  p.vlans = {11};
  EXPECT_EQ(pol->run(p), "pass");
  p.vlans = {10, 20}; // QinQ: the outermost id counts
  EXPECT_EQ(pol->run(p), "drop");
  p = udp(1, "203.0.113.9");
  p.vlans = {300};
  EXPECT_EQ(pol->run(p), "drop");
}

TEST(CompiledPolicy, TruncatedAndMalformed) {
  COMPILE(pol, R"(
    rule ssh: tcp.dport == 22 => drop
    rule dns: udp.dport == 53 => drop
    rule net: ip.src in 198.51.100.0/24 => drop
    default pass)");
  Pkt p = tcp(22);
  p.payload = 0;
  p.truncate = 14 + 20 + 10; // TCP header cut short
  EXPECT_EQ(pol->run(p), "pass");
  p.src = "198.51.100.1"; // IP still usable
  EXPECT_EQ(pol->run(p), "drop");
  EXPECT_EQ(pol->count("net"), 1u);
  Pkt u = udp(53);
  u.bad_udp_len = true; // malformed UDP: udp.* absent
  EXPECT_EQ(pol->run(u), "pass");
  Pkt ip = udp(53);
  ip.truncate = 14 + 10; // IP header cut
  EXPECT_EQ(pol->run(ip), "pass");
  EXPECT_EQ(pol->count("ssh"), 0u);
  EXPECT_EQ(pol->count("dns"), 0u);
}

TEST(CompiledPolicy, Ipv6ExtensionChainsAndFragments) {
  COMPILE(pol, R"(
    rule dns6: udp.dport == 53 and ip.version == 6 => drop
    rule frag6: ip.frag and ip.frag_off > 0 => drop)");
  Pkt p = v6(udp(53));
  p.ext = {{0}, {43, 2}, {60}};
  EXPECT_EQ(pol->run(p), "drop"); // L4 found after the chain
  EXPECT_EQ(pol->count("dns6"), 1u);
  p.ext = {{44, 0, 0, true}}; // first fragment: L4 decoded
  EXPECT_EQ(pol->run(p), "drop");
  EXPECT_EQ(pol->count("dns6"), 2u);
  p.ext = {{44, 0, 8, false}}; // later fragment: no L4
  EXPECT_EQ(pol->run(p), "drop");
  EXPECT_EQ(pol->count("frag6"), 1u);
  Pkt v4 = udp(53);
  v4.frag_off = 16;
  EXPECT_EQ(pol->run(v4), "drop");
  EXPECT_EQ(pol->count("frag6"), 2u);
}

TEST(CompiledPolicy, RateWithInjectedClock) {
  COMPILE(pol, R"(
    rule echo_flood: icmp.type == echo_request and rate(ip.src) > 5/s => drop
    rule other: ip.ttl == 1 => drop
    default pass)");
  Pkt p;
  p.proto = 1;
  p.icmp_type = 8;
  pol->set_clock(1000000000ull);
  int dropped = 0;
  for (int i = 0; i < 10; ++i)
    dropped += pol->run(p) == "drop";
  EXPECT_EQ(dropped, 5); // burst 5, no time passes
  EXPECT_EQ(pol->count("echo_flood"), 5u);
  // Another source has its own bucket.
  Pkt q = p;
  q.src = "192.0.2.77";
  EXPECT_EQ(pol->run(q), "pass");
  // 400 ms later: 2 tokens back.
  pol->set_clock(1400000000ull);
  dropped = 0;
  for (int i = 0; i < 4; ++i)
    dropped += pol->run(p) == "drop";
  EXPECT_EQ(dropped, 2);
  // Echo replies never reach the rate: they take no tokens.
  p.icmp_type = 0;
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(pol->run(p), "pass");
}

TEST(CompiledPolicy, RateIsNotReachedAfterAnEarlierDecision) {
  COMPILE(pol, R"(
    rule allow: ip.src == 192.0.2.9 => pass
    rule limit: rate() > 2/s => drop)");
  pol->set_clock(5000000000ull);
  Pkt a = udp(1, "192.0.2.9");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(pol->run(a), "pass");
  // The global bucket is still full.
  Pkt b = udp(1, "192.0.2.10");
  EXPECT_EQ(pol->run(b), "pass");
  EXPECT_EQ(pol->run(b), "pass");
  EXPECT_EQ(pol->run(b), "drop");
}

// Rate rules in maps (psl_rate_table.h) take their tokens in rule order,
// around the code rules between them, exactly as written.
TEST(CompiledPolicy, RateRulesInMapsRunInRuleOrderAroundCode) {
  COMPILE(pol, R"(
    rule wide: ip.src in 10.0.0.0/8 and rate(ip.src) > 2/s => drop
    rule dns: udp.dport == 53 => count
    rule narrow: ip.src in 10.1.0.0/16 and udp.dport == 53 and rate(ip.src) > 1/s => pass
    default drop)");
  const auto &c = pol->artifact().classifier;
  ASSERT_EQ(c.rate_slots.size(), 2u) << lower::to_string(c);
  ASSERT_EQ(c.code.size(), 1u) << lower::to_string(c); // dns
  pol->set_clock(1000000000ull);
  Pkt p = udp(53, "10.1.2.3");
  // 1: both buckets take a token; nothing is over: the default drops.
  EXPECT_EQ(pol->run(p), "drop");
  // 2: wide takes its last token, dns counts, narrow is over: pass.
  EXPECT_EQ(pol->run(p), "pass");
  // 3: wide is over and decides before dns and narrow.
  EXPECT_EQ(pol->run(p), "drop");
  EXPECT_EQ(pol->count("wide"), 1u);
  EXPECT_EQ(pol->count("dns"), 2u);
  EXPECT_EQ(pol->count("narrow"), 1u);
  EXPECT_EQ(pol->default_count(), 1u);
  // Outside 10.1/16 only wide applies, with a bucket of its own per source.
  Pkt q = udp(53, "10.9.9.9");
  EXPECT_EQ(pol->run(q), "drop"); // default: under the rate, dns counts
  EXPECT_EQ(pol->count("dns"), 3u);
}

TEST(CompiledPolicy, RateRulesPastTheListLimitKeepTheirOrder) {
  // Ten rules on one key: the last two are code, after the eight in maps.
  std::string text;
  for (int i = 0; i < 10; ++i)
    text += "rule r" + std::to_string(i) +
            ": udp.dport == 53 and rate(ip.src, burst " +
            (i == 8   ? "3"
             : i == 9 ? "1"
                      : "100") +
            ") > 1/s => drop\n";
  COMPILE(pol, text);
  const auto &c = pol->artifact().classifier;
  ASSERT_EQ(c.code.size(), 2u) << lower::to_string(c);
  pol->set_clock(1000000000ull);
  Pkt p = udp(53, "192.0.2.5");
  EXPECT_EQ(pol->run(p), "pass"); // every bucket takes a token
  EXPECT_EQ(pol->run(p), "drop"); // r9 (burst 1) is over
  EXPECT_EQ(pol->run(p), "drop"); // r9 again; r8 took its last token
  EXPECT_EQ(pol->run(p), "drop"); // r8 is over, before r9
  EXPECT_EQ(pol->count("r9"), 2u);
  EXPECT_EQ(pol->count("r8"), 1u);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(pol->count("r" + std::to_string(i)), 0u);
}

TEST(CompiledPolicy, BitRateAndBurst) {
  COMPILE(pol, R"(
    rule bw: rate(ip.dst, burst 8000) > 8kbit/s => drop)");
  pol->set_clock(1000000000ull);
  Pkt p = udp(1);
  p.payload = 1000 - 42; // 1000-byte frames = 8000 bits
  EXPECT_EQ(pol->run(p), "pass");
  EXPECT_EQ(pol->run(p), "drop");
}

TEST(CompiledPolicy, DynamicSets) {
  COMPILE(pol, R"(
    set banned : ip dynamic ttl 10m capacity 1000
    set ports : port dynamic
    rule ban: ip.src in banned => drop
    rule p: tcp.dport in ports => drop
    rule keep: ip.dst not in banned and udp.dport == 9 => drop)");
  pol->set_clock(100);
  EXPECT_EQ(pol->run(udp(1, "203.0.113.5")), "pass");
  pol->add_ip("banned", "203.0.113.5", 1000);
  pol->add_ip("banned", "2001:db8::66");
  EXPECT_EQ(pol->run(udp(1, "203.0.113.5")), "drop");
  EXPECT_EQ(pol->run(v6(udp(1), "2001:db8::66")), "drop");
  pol->set_clock(1000); // expired
  EXPECT_EQ(pol->run(udp(1, "203.0.113.5")), "pass");
  pol->add_int("ports", 8080);
  EXPECT_EQ(pol->run(tcp(8080)), "drop");
  EXPECT_EQ(pol->run(tcp(8081)), "pass");
  EXPECT_EQ(pol->run(udp(9)), "drop");
  EXPECT_EQ(pol->count("ban"), 2u);
  EXPECT_EQ(pol->count("p"), 1u);
  EXPECT_EQ(pol->count("keep"), 1u);
}

TEST(CompiledPolicy, CodeRuleBeforeMapRuleWins) {
  COMPILE(pol, R"(
    set banned : ip dynamic
    rule ban: ip.src in banned => pass
    rule port: udp.dport == 53 => drop
    rule late: ip.ttl == 64 => count)");
  pol->add_ip("banned", "192.0.2.2");
  EXPECT_EQ(pol->run(udp(53)), "pass");
  EXPECT_EQ(pol->count("ban"), 1u);
  EXPECT_EQ(pol->count("port"), 0u);
  EXPECT_EQ(pol->count("late"), 0u);
  EXPECT_EQ(pol->run(udp(53, "192.0.2.3")), "drop");
  EXPECT_EQ(pol->count("late"), 0u); // after the deciding map rule
}

} // namespace
} // namespace psl::bpftest

#include <filesystem>
#include <fstream>
#include <sstream>

namespace psl::bpftest {
namespace {

// Every shipped example policy builds, loads and classifies a packet; the
// sidecar JSON carries the same map contents.
TEST(ExamplePolicies, BuildLoadAndRoundTripTheSidecar) {
  PSC_REQUIRE_OR_SKIP(::psl::backend::bpf_features().xdp_test_run);
  size_t seen = 0;
  for (const auto &ent : std::filesystem::directory_iterator(
           std::string(PSC_SOURCE_DIR) + "/policies")) {
    if (ent.path().extension() != ".psl")
      continue;
    ++seen;
    std::ifstream in(ent.path());
    std::stringstream ss;
    ss << in.rdbuf();
    std::string err;
    auto pol = CompiledPolicy::make(ss.str(), &err, false);
    ASSERT_TRUE(pol) << ent.path() << ": " << err.substr(0, 3000);
    std::string v = pol->run(udp(53));
    EXPECT_TRUE(v == "pass" || v == "drop") << ent.path();

    codegen::PolicyArtifact copy;
    ASSERT_TRUE(codegen::artifact_from_json(
                    codegen::artifact_to_json(pol->artifact()), copy)
                    .ok());
    const auto &a = pol->artifact().classifier, &b = copy.classifier;
    ASSERT_EQ(a.entries.size(), b.entries.size());
    for (size_t i = 0; i < a.entries.size(); ++i) {
      EXPECT_EQ(a.maps[a.entries[i].map].name, b.maps[b.entries[i].map].name);
      EXPECT_EQ(a.entries[i].key, b.entries[i].key);
      EXPECT_EQ(a.entries[i].value, b.entries[i].value);
    }
    EXPECT_EQ(a.rules.size(), b.rules.size());
  }
  EXPECT_GE(seen, 5u);
}

} // namespace
} // namespace psl::bpftest
