// The tracing runtime's logic that needs no kernel: drop-reason layers and
// names, the distinct-count estimate, per-CPU merging of a source, and
// path assembly from events.
#include <gtest/gtest.h>

#include <time.h>

#include <cmath>
#include <cstring>

#include "psl_dynset.h"
#include "pso_abi.h"
#include "trace/drop_reasons.h"
#include "trace/hooks.h"
#include "trace/observation.h"
#include "trace/paths.h"
#include "trace/source_totals.h"

namespace psr::trace {
namespace {

TEST(DropReasons, LayerFollowsTheName) {
  EXPECT_EQ(drop_reason_layer("TCP_CSUM"), "tcp");
  EXPECT_EQ(drop_reason_layer("TCP_LISTEN_OVERFLOW"), "tcp");
  EXPECT_EQ(drop_reason_layer("UDP_CSUM"), "udp");
  EXPECT_EQ(drop_reason_layer("ICMP_CSUM"), "icmp");
  EXPECT_EQ(drop_reason_layer("NO_SOCKET"), "socket");
  EXPECT_EQ(drop_reason_layer("SOCKET_RCVBUFF"), "socket");
  EXPECT_EQ(drop_reason_layer("PROTO_MEM"), "socket");
  EXPECT_EQ(drop_reason_layer("NETFILTER_DROP"), "netfilter");
  EXPECT_EQ(drop_reason_layer("XDP"), "xdp");
  EXPECT_EQ(drop_reason_layer("IP_INHDR"), "ip");
  EXPECT_EQ(drop_reason_layer("IPV6_BAD_EXTHDR"), "ip");
  EXPECT_EQ(drop_reason_layer("OTHERHOST"), "ip");
  EXPECT_EQ(drop_reason_layer("FRAG_REASM_TIMEOUT"), "ip");
  EXPECT_EQ(drop_reason_layer("NOT_SPECIFIED"), "core");
  EXPECT_EQ(drop_reason_layer("QDISC_DROP"), "core");
}

TEST(DropReasons, NamesComeFromTheKernelsBtf) {
  auto r = DropReasons::load();
  if (!r.ok())
    GTEST_SKIP() << r.error().message; // a kernel without BTF
  // The values differ between kernels; the names do not.
  bool no_socket = false;
  for (uint32_t v = 0; v < 512; ++v)
    no_socket |= r->name(v) == "NO_SOCKET";
  EXPECT_TRUE(no_socket);
  EXPECT_GT(r->size(), 50u);
  EXPECT_EQ(r->name(0xdeadbeef), "UNKNOWN_3735928559");
}

TEST(LinearCounting, EstimatesWithinItsDocumentedError) {
  EXPECT_EQ(linear_count(128, 128), 0u);
  // Expected zeros after n distinct values: m * (1 - 1/m)^n.
  for (uint32_t n : {1u, 3u, 10u, 40u, 100u}) {
    const double zeros = 128 * std::pow(1 - 1.0 / 128, n);
    const uint32_t est = linear_count(128, static_cast<uint32_t>(zeros + 0.5));
    EXPECT_NEAR(est, n, 0.1 * n + 1) << n;
  }
  // Saturated: the one-zero estimate, m ln m.
  EXPECT_EQ(linear_count(128, 0), linear_count(128, 1));
  EXPECT_EQ(linear_count(128, 1), 621u);
}

TEST(Sources, PerCpuSharesMergeIntoOneSource) {
  uint8_t addr[16] = {0};
  addr[10] = addr[11] = 0xff;
  addr[12] = 192;
  addr[15] = 7;
  pso_src_val v[2];
  std::memset(v, 0, sizeof v);
  v[0].first_seen = 500;
  v[0].last_seen = 900;
  v[0].packets = 3;
  v[0].bytes = 300;
  v[0].tcp_syn = 2;
  v[0].dport_bits[0] = 0x3;
  v[0].daddr_bits[0] = 0x1;
  v[1].first_seen = 100;
  v[1].last_seen = 1000;
  v[1].packets = 1;
  v[1].bytes = 60;
  v[1].udp = 1;
  v[1].udp_reflection[1] = 1;
  v[1].dport_bits[1] = 0x1;
  v[1].daddr_bits[0] = 0x1;
  SourceStats s = merge_source(addr, 4, {&v[0], &v[1]});
  EXPECT_EQ(s.family, 4);
  EXPECT_EQ(s.addr[12], 192);
  EXPECT_EQ(s.first_seen_ns, 100u); // still jiffies
  EXPECT_EQ(s.last_seen_ns, 1000u);
  EXPECT_EQ(s.packets, 4u);
  EXPECT_EQ(s.bytes, 360u);
  EXPECT_EQ(s.tcp_syn, 2u);
  EXPECT_EQ(s.udp, 1u);
  EXPECT_EQ(s.udp_reflection[1], 1u);
  EXPECT_EQ(s.distinct_dports, 3u); // 3 bits of 128
  EXPECT_EQ(s.distinct_daddrs, 1u); // the same bit on both CPUs
}

// A table of `slots` slots on 2 CPUs, empty.
std::vector<pso_src_slot> table(uint32_t slots) {
  std::vector<pso_src_slot> t(size_t(slots) * 2);
  std::memset(t.data(), 0, t.size() * sizeof(pso_src_slot));
  return t;
}

// Puts source 192.0.2.`host` in slot `slot` on `cpu` with these counts.
void put(std::vector<pso_src_slot> &t, uint32_t slot, int cpu, uint8_t host,
         uint64_t first_seen, uint64_t packets, uint64_t syns) {
  pso_src_slot &s = t[size_t(slot) * 2 + size_t(cpu)];
  std::memset(&s, 0, sizeof s);
  s.addr[10] = s.addr[11] = 0xff;
  s.addr[12] = 192;
  s.addr[14] = 2;
  s.addr[15] = host;
  s.family = 4;
  s.v.first_seen = first_seen;
  s.v.last_seen = first_seen + 10;
  s.v.packets = packets;
  s.v.tcp_syn = syns;
}

std::vector<SourceStats> read_totals(SourceTotals &totals,
                                     const std::vector<pso_src_slot> &t) {
  std::vector<SourceStats> out;
  totals.update(t.data(), static_cast<uint32_t>(t.size() / 2), 2, out);
  return out;
}

TEST(SourceTotals, AShareEvictedOnOneCpuCountsOnlyWhatWasSent) {
  // A client's shares on both CPUs; then a spoofed packet takes its slot
  // on CPU 1, and its next packet there takes it back: that share starts
  // from zero while CPU 0's lives on. Summed per reading, the client's
  // SYNs went from 1000 to 625, which a reader took for a restart and
  // counted as 625 new SYNs where 25 were sent.
  SourceTotals totals;
  auto t = table(4);
  put(t, 1, 0, 3, 100, 700, 600);
  put(t, 1, 1, 3, 120, 450, 400);
  auto a = read_totals(totals, t);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].tcp_syn, 1000u);
  EXPECT_EQ(a[0].first_seen_ns, 100u);

  put(t, 1, 0, 3, 100, 730, 620); // 30 packets, 20 SYNs more
  put(t, 1, 1, 3, 900, 5, 5);     // created again: 5 and 5
  auto b = read_totals(totals, t);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].tcp_syn, 1000u + 20u + 5u);
  EXPECT_EQ(b[0].packets, 1150u + 30u + 5u);
  EXPECT_EQ(b[0].first_seen_ns, 100u); // the same source throughout
  EXPECT_EQ(b[0].last_seen_ns, 910u);
}

TEST(SourceTotals, ASourceGoneFromTheTableStartsOverWhenItComesBack) {
  SourceTotals totals;
  auto t = table(4);
  put(t, 2, 0, 9, 100, 50, 0);
  put(t, 3, 1, 8, 100, 70, 0);
  EXPECT_EQ(read_totals(totals, t).size(), 2u);
  // Both of .9's shares taken over by .11.
  put(t, 2, 0, 11, 300, 4, 0);
  auto b = read_totals(totals, t);
  ASSERT_EQ(b.size(), 2u);
  // Back, in a share created since: counted from its own first_seen.
  put(t, 2, 0, 9, 500, 6, 0);
  auto c = read_totals(totals, t);
  ASSERT_EQ(c.size(), 2u);
  for (const SourceStats &s : c)
    if (s.addr[15] == 9) {
      EXPECT_EQ(s.packets, 6u);
      EXPECT_EQ(s.first_seen_ns, 500u);
    } else {
      EXPECT_EQ(s.addr[15], 8);
      EXPECT_EQ(s.packets, 70u);
    }
}

TEST(SourceTotals, ASourceWithSharesOnBothCpusIsOneSource) {
  SourceTotals totals;
  auto t = table(2);
  put(t, 0, 0, 5, 200, 10, 1);
  put(t, 0, 1, 5, 150, 20, 2);
  put(t, 1, 1, 6, 300, 7, 0);
  auto a = read_totals(totals, t);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].packets, 30u);
  EXPECT_EQ(a[0].tcp_syn, 3u);
  EXPECT_EQ(a[0].first_seen_ns, 150u);
  EXPECT_EQ(a[1].packets, 7u);
  // Nothing new: the totals stay.
  auto b = read_totals(totals, t);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].packets, 30u);
  EXPECT_EQ(b[1].packets, 7u);
}

TEST(Sources, JiffiesBecomeMonotonicNanoseconds) {
  JiffiesClock c = JiffiesClock::from(10'000'000'000ull, 5000, 250);
  EXPECT_EQ(c.to_ns(5000), 10'000'000'000ull);
  EXPECT_EQ(c.to_ns(4750), 9'000'000'000ull); // 250 jiffies: 1 s
  EXPECT_EQ(c.to_ns(0), 0u);                  // never seen
  auto k = JiffiesClock::read();
  if (!k.ok())
    GTEST_SKIP() << k.error().message; // /proc/timer_list needs root
  EXPECT_TRUE(k->hz() == 100 || k->hz() == 250 || k->hz() == 300 ||
              k->hz() == 1000);
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const double mono = double(now.tv_sec) * 1e9 + double(now.tv_nsec);
  // The kernel's pair is CLOCK_MONOTONIC, read just now.
  EXPECT_NEAR(double(k->to_ns(k->jiffies())), mono, 1e9);
}

TEST(Sampling, AddressesParseAndBadOnesAreNamed) {
  std::array<uint8_t, 16> a;
  uint8_t family = 0;
  ASSERT_TRUE(parse_address("192.0.2.1", a, family).ok());
  EXPECT_EQ(family, 4);
  EXPECT_EQ(a[10], 0xff);
  EXPECT_EQ(a[15], 1);
  ASSERT_TRUE(parse_address("2001:db8::1", a, family).ok());
  EXPECT_EQ(family, 6);
  auto bad = parse_address("192.0.2", a, family);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "'192.0.2' is not an IPv4 or IPv6 address");
}

TEST(Hooks, EveryStackHookIsNamedAndFound) {
  EXPECT_EQ(stack_hooks().size(), static_cast<size_t>(PSO_HOOK_COUNT - 1));
  EXPECT_STREQ(hook_name(PSO_HOOK_XDP), "xdp");
  EXPECT_STREQ(hook_name(PSO_HOOK_KFREE_SKB), "skb:kfree_skb");
  ASSERT_NE(find_hook("kfree_skb"), nullptr);
  EXPECT_EQ(find_hook("skb:kfree_skb"), find_hook("kfree_skb"));
  EXPECT_EQ(find_hook("no_such_hook"), nullptr);
}

pso_event event(uint32_t id, uint16_t hook, uint8_t verdict, uint64_t ts,
                uint32_t detail = 0) {
  pso_event e;
  std::memset(&e, 0, sizeof e);
  e.id = id;
  e.hook = hook;
  e.verdict = verdict;
  e.ts_ns = ts;
  e.detail = detail;
  e.proto = PSO_PROTO_IPV4_UDP;
  return e;
}

TEST(Paths, EventsOfOnePacketMakeOnePathInTimeOrder) {
  auto namer = rule_namer_from_sidecar(
      R"({"rules": [{"name": "block", "counter": 1}]})");
  ASSERT_TRUE(namer.ok());
  PathCollector c(10, DropReasons::from({{3, "NO_SOCKET"}}), *namer);
  pso_event x = event(7, PSO_HOOK_XDP, PSO_VERDICT_PASS, 100, 0);
  x.ident.family = 4;
  x.ident.dport = 7777;
  x.ident.daddr[10] = x.ident.daddr[11] = 0xff;
  x.ident.daddr[12] = 192;
  x.ident.daddr[14] = 2;
  x.ident.daddr[15] = 1;
  // The stack's ring is read before the XDP one.
  c.add(event(7, PSO_HOOK_KFREE_SKB, PSO_VERDICT_DROPPED, 300, 3));
  c.add(event(7, PSO_HOOK_NETIF_RECEIVE_SKB, PSO_VERDICT_RECEIVED, 200));
  c.add(x);
  c.add(event(8, PSO_HOOK_XDP, PSO_VERDICT_DROP, 150, 1));
  c.expire(10000, 1000);
  auto all = c.paths();
  ASSERT_EQ(all.size(), 2u);
  const PacketPath *udp = all[0].id == 7 ? &all[0] : &all[1];
  const PacketPath *dropped = all[0].id == 7 ? &all[1] : &all[0];
  ASSERT_EQ(udp->steps.size(), 3u);
  EXPECT_EQ(udp->steps[0].hook, "xdp");
  EXPECT_EQ(udp->steps[0].rule, "default");
  EXPECT_EQ(udp->steps[1].hook, "net:netif_receive_skb");
  EXPECT_EQ(udp->steps[2].hook, "skb:kfree_skb");
  EXPECT_EQ(udp->steps[2].reason, "NO_SOCKET");
  EXPECT_EQ(udp->outcome, "dropped in the stack: NO_SOCKET");
  EXPECT_EQ(udp->dport, 7777);
  EXPECT_EQ(dropped->outcome, "dropped at xdp by rule 'block'");

  EXPECT_EQ(c.paths(PathFilter{"192.0.2.1", 0}).size(), 1u);
  EXPECT_EQ(c.paths(PathFilter{"", 7777}).size(), 1u);
  EXPECT_EQ(c.paths(PathFilter{"192.0.2.9", 0}).size(), 0u);
}

TEST(Paths, TheSameIdEnteringAgainIsAnotherPacket) {
  PathCollector c(1, DropReasons::from({}));
  c.add(event(5, PSO_HOOK_XDP, PSO_VERDICT_PASS, 100));
  c.add(event(5, PSO_HOOK_CONSUME_SKB, PSO_VERDICT_CONSUMED, 200));
  c.add(event(5, PSO_HOOK_XDP, PSO_VERDICT_PASS, 300)); // retransmitted
  auto open = c.paths({}, /*include_open=*/true);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].outcome, "delivered");
  EXPECT_EQ(open[1].outcome, "passed xdp; not seen in the stack");
  // keep = 1: only the last finished path stays.
  c.add(event(6, PSO_HOOK_XDP, PSO_VERDICT_PASS, 400));
  c.expire(10000, 10);
  EXPECT_EQ(c.paths().size(), 1u);
}

// A sidecar as psc writes it: the rule table last, after the map entries
// (most of a large policy's sidecar), which the namer skips.
TEST(Paths, TheNamerReadsTheRuleTableOfAWholeSidecar) {
  std::string text = "{\n \"ifname\": \"eth0\",\n \"default\": \"pass\",\n"
                     " \"entries\": [";
  for (int i = 0; i < 1000; ++i)
    text += std::string(i == 0 ? "\n  " : ",\n  ") +
            R"({"key":"0a000001","map":"psl_g0","value":"0100"})";
  text += "\n ],\n \"maps\": [{\"name\": \"psl_g0\", \"rules\": 3}],\n"
          " \"rules\": [\n"
          R"(  {"action":"drop","counter":1,"name":"block"},)"
          "\n"
          R"(  {"action":"pass","counter":2,"name":"allow","groups":[0]})"
          "\n ]\n}\n";
  auto namer = rule_namer_from_sidecar(text);
  ASSERT_TRUE(namer.ok()) << namer.error().message;
  EXPECT_EQ((*namer)(0), "default");
  EXPECT_EQ((*namer)(1), "block");
  EXPECT_EQ((*namer)(2), "allow");
  EXPECT_EQ((*namer)(3), "#3");
}

TEST(Paths, ASidecarWithoutRulesIsRefused) {
  EXPECT_FALSE(rule_namer_from_sidecar("{}").ok());
  EXPECT_FALSE(rule_namer_from_sidecar("not json").ok());
  EXPECT_FALSE(rule_namer_from_sidecar(R"({"rules": [{"name": "x"}]})").ok());
  EXPECT_FALSE(rule_namer_from_sidecar(R"({"rules": {"name": "x"}})").ok());
  EXPECT_FALSE(rule_namer_from_sidecar(R"([{"rules": []}])").ok());
  EXPECT_FALSE(rule_namer_from_sidecar(R"({"rules": [1]})").ok());
  EXPECT_FALSE(
      rule_namer_from_sidecar(R"({"rules": [{"name": 1, "counter": 1}]})")
          .ok());
  EXPECT_FALSE(
      rule_namer_from_sidecar(R"({"rules": [{"name": "x", "counter": -1}]})")
          .ok());
  // Cut short after the rules: not JSON, though the rules were read.
  auto cut =
      rule_namer_from_sidecar(R"({"rules": [{"name": "x", "counter": 1}])");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().message, "the policy sidecar is not valid JSON");
  EXPECT_EQ(rule_namer_from_sidecar(R"({"rule": []})").error().message,
            "the policy sidecar has no \"rules\" array");
  EXPECT_EQ(
      rule_namer_from_sidecar(R"({"rules": [{"counter": 1}]})").error().message,
      "a rule of the policy sidecar lacks its name or counter");
  // Members of a rule's own, nested, are not its name or counter.
  auto nested = rule_namer_from_sidecar(
      R"({"rules": [{"x": {"name": "no", "counter": 9}, "name": "yes",)"
      R"( "counter": 4, "groups": [1, "a"]}], "after": {"rules": 1}})");
  ASSERT_TRUE(nested.ok()) << nested.error().message;
  EXPECT_EQ((*nested)(4), "yes");
  EXPECT_EQ((*nested)(9), "#9");
}

} // namespace
} // namespace psr::trace
