// The XDP observation compiled into a policy, under BPF_PROG_TEST_RUN:
// counters by class and verdict, per-source statistics, sampled path
// events naming the deciding rule, and nothing at all when it is off.
#include <gtest/gtest.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>

#include "backend/bpf_features.h"
#include "backend/test_run.h"
#include "backend/testing/bpf_test_support.h"
#include "codegen/policy_build.h"
#include "policy_harness.h"
#include "trace/observation.h"
#include "trace/paths.h"

namespace psr::trace {
namespace {

using psl::bpftest::build;
using psl::bpftest::CompiledPolicy;
using psl::bpftest::Pkt;

constexpr const char *kPolicy = R"(
  rule block: ip.src in { 198.51.100.9 } => drop
  rule web: tcp.dport == 443 => pass
  default pass)";

struct Loaded {
  std::unique_ptr<CompiledPolicy> compiled;
  std::unique_ptr<psl::backend::BpfObject> obj;
};

// The policy compiled once, loaded again with the observation on or off.
Loaded load(bool observe, const char *policy = kPolicy) {
  Loaded l;
  std::string err;
  l.compiled = CompiledPolicy::make(policy, &err);
  EXPECT_TRUE(l.compiled) << err;
  if (!l.compiled)
    return l;
  psl::backend::PolicyLoadOptions o;
  o.observe = observe;
  auto obj = psl::backend::load_policy(l.compiled->artifact(), o);
  EXPECT_TRUE(obj.ok()) << (obj.ok() ? ""
                                     : obj.error().message + "\n" +
                                           obj.error().detail);
  if (obj.ok())
    l.obj = std::make_unique<psl::backend::BpfObject>(std::move(*obj));
  return l;
}

std::string run(psl::backend::BpfObject &obj, const std::vector<uint8_t> &f) {
  auto r = psl::backend::test_run_xdp(obj.program_fd(), f);
  EXPECT_TRUE(r.ok());
  return r.ok() ? psl::backend::xdp_action_name(r->retval) : "error";
}

Pkt tcp(const std::string &src, uint16_t dport, uint8_t flags = 0x02) {
  Pkt p;
  p.proto = 6;
  p.src = src;
  p.dport = dport;
  p.tcp_flags = flags;
  return p;
}
Pkt udp(const std::string &src, uint16_t sport, uint16_t dport) {
  Pkt p;
  p.proto = 17;
  p.src = src;
  p.sport = sport;
  p.dport = dport;
  return p;
}
Pkt echo(const std::string &src) {
  Pkt p;
  p.proto = 1;
  p.src = src;
  p.icmp_type = 8;
  return p;
}

const SourceStats *source(const Snapshot &s, uint8_t last_byte) {
  for (const auto &x : s.sources)
    if (x.family == 4 && x.addr[15] == last_byte)
      return &x;
  return nullptr;
}

TEST(XdpObservation, OffItCostsNothingAndItsMapsAreMinimal) {
  PSC_REQUIRE_OR_SKIP(psl::backend::bpf_features().xdp_test_run);
  Loaded l = load(false);
  ASSERT_TRUE(l.obj);
  EXPECT_EQ(bpf_map__max_entries(l.obj->map("pso_src")), 1u);
  EXPECT_EQ(bpf_map__max_entries(l.obj->map("pso_events")), 4096u);
  EXPECT_EQ(run(*l.obj, build(tcp("192.0.2.2", 80))), "XDP_PASS");
  auto xdp = XdpObservation::from_object(*l.obj);
  ASSERT_TRUE(xdp.ok());
  Snapshot s;
  ASSERT_TRUE(xdp->read(s).ok());
  for (const Funnel &f : s.funnel)
    EXPECT_EQ(f.nic.packets, 0u);
  EXPECT_TRUE(s.sources.empty());
}

TEST(XdpObservation, CountsByClassVerdictAndSource) {
  PSC_REQUIRE_OR_SKIP(psl::backend::bpf_features().xdp_test_run);
  Loaded l = load(true);
  ASSERT_TRUE(l.obj);
  uint64_t tcp_bytes = 0;
  for (uint16_t port : {22, 80, 443}) {
    auto f = build(tcp("192.0.2.2", port));
    tcp_bytes += f.size();
    EXPECT_EQ(run(*l.obj, f), "XDP_PASS");
  }
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(run(*l.obj, build(echo("192.0.2.2"))), "XDP_PASS");
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(run(*l.obj, build(udp("192.0.2.3", 53, 40000 + i))), "XDP_PASS");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(run(*l.obj, build(udp("198.51.100.9", 1000, 53))), "XDP_DROP");
  Pkt v6 = tcp("2001:db8::2", 443);
  v6.ip_version = 6;
  v6.dst = "2001:db8::1";
  EXPECT_EQ(run(*l.obj, build(v6)), "XDP_PASS");
  Pkt arp;
  arp.ip_version = 0;
  arp.eth_type = 0x0806;
  EXPECT_EQ(run(*l.obj, build(arp)), "XDP_PASS");

  auto xdp = XdpObservation::from_object(*l.obj);
  ASSERT_TRUE(xdp.ok()) << xdp.error().message;
  Snapshot s;
  ASSERT_TRUE(xdp->read(s).ok());
  const auto &f = s.funnel;
  EXPECT_EQ(f[size_t(Proto::Ipv4Tcp)].xdp_pass.packets, 3u);
  EXPECT_EQ(f[size_t(Proto::Ipv4Tcp)].xdp_pass.bytes, tcp_bytes);
  EXPECT_EQ(f[size_t(Proto::Ipv4Icmp)].xdp_pass.packets, 2u);
  EXPECT_EQ(f[size_t(Proto::Ipv4Udp)].xdp_pass.packets, 4u);
  EXPECT_EQ(f[size_t(Proto::Ipv4Udp)].xdp_drop.packets, 5u);
  EXPECT_EQ(f[size_t(Proto::Ipv4Udp)].nic.packets, 9u);
  EXPECT_EQ(f[size_t(Proto::Ipv6Tcp)].xdp_pass.packets, 1u);
  EXPECT_EQ(f[size_t(Proto::Other)].xdp_pass.packets, 1u);
  EXPECT_EQ(s.tcp.syn_received, 4u);

  ASSERT_EQ(s.sources.size(), 4u); // three IPv4 sources and one IPv6
  const SourceStats *a = source(s, 2), *b = source(s, 3), *c = source(s, 9);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->packets, 5u);
  EXPECT_EQ(a->tcp_syn, 3u);
  EXPECT_EQ(a->icmp_echo, 2u);
  EXPECT_EQ(a->distinct_dports, 3u);
  EXPECT_EQ(a->distinct_daddrs, 1u);
  EXPECT_GT(a->first_seen_ns, 0u);
  EXPECT_GE(a->last_seen_ns, a->first_seen_ns);
  EXPECT_EQ(b->udp, 4u);
  EXPECT_EQ(b->udp_reflection[0], 4u); // source port 53
  EXPECT_EQ(b->xdp_drop, 0u);
  EXPECT_EQ(c->xdp_drop, 5u);
  EXPECT_EQ(c->udp_drop, 5u);
  EXPECT_EQ(c->packets, 5u);
}

// A blocked source whose SSH still passes: its drops are counted by class,
// so what passes of its SYNs is its SYNs less their drops, not its SYNs
// times the share of all its packets that passed.
TEST(XdpObservation, CountsASourcesDropsByClass) {
  PSC_REQUIRE_OR_SKIP(psl::backend::bpf_features().xdp_test_run);
  Loaded l = load(true, R"(
    rule ssh: tcp.dport == 22 => pass
    rule block: ip.src in { 198.51.100.9 } => drop
    default pass)");
  ASSERT_TRUE(l.obj);
  const char *blocked = "198.51.100.9";
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(run(*l.obj, build(tcp(blocked, 22))), "XDP_PASS");
  for (int i = 0; i < 6; ++i) // the SSH sessions' other packets
    EXPECT_EQ(run(*l.obj, build(tcp(blocked, 22, 0x10))), "XDP_PASS");
  for (uint16_t port = 80; port < 84; ++port)
    EXPECT_EQ(run(*l.obj, build(tcp(blocked, port))), "XDP_DROP");
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(run(*l.obj, build(echo(blocked))), "XDP_DROP");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(run(*l.obj, build(udp(blocked, 1000, 53))), "XDP_DROP");
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(run(*l.obj, build(echo("192.0.2.5"))), "XDP_PASS");

  auto xdp = XdpObservation::from_object(*l.obj);
  ASSERT_TRUE(xdp.ok()) << xdp.error().message;
  Snapshot s;
  ASSERT_TRUE(xdp->read(s).ok());
  const SourceStats *b = source(s, 9), *p = source(s, 5);
  ASSERT_TRUE(b && p);
  EXPECT_EQ(b->packets, 18u);
  EXPECT_EQ(b->xdp_drop, 9u);
  EXPECT_EQ(b->tcp_syn, 7u);
  EXPECT_EQ(b->tcp_syn_drop, 4u);
  EXPECT_EQ(b->icmp_echo, 2u);
  EXPECT_EQ(b->icmp_echo_drop, 2u);
  EXPECT_EQ(b->udp, 3u);
  EXPECT_EQ(b->udp_drop, 3u);
  EXPECT_EQ(p->icmp_echo, 2u);
  EXPECT_EQ(p->icmp_echo_drop, 0u);
  EXPECT_EQ(p->xdp_drop, 0u);
}

// Keeps the calling thread on one CPU while it lives: BPF_PROG_TEST_RUN
// runs on the caller's CPU, and the SYN port vote is per CPU.
class OneCpu {
public:
  OneCpu() {
    ok_ = sched_getaffinity(0, sizeof before_, &before_) == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    ok_ = ok_ && sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~OneCpu() {
    if (ok_)
      sched_setaffinity(0, sizeof before_, &before_);
  }
  bool ok() const { return ok_; }

private:
  cpu_set_t before_;
  bool ok_ = false;
};

TEST(XdpObservation, TheSynPortVoteNamesThePortMostSynsGoTo) {
  PSC_REQUIRE_OR_SKIP(psl::backend::bpf_features().xdp_test_run);
  Loaded l = load(true);
  ASSERT_TRUE(l.obj);
  OneCpu pinned;
  ASSERT_TRUE(pinned.ok());
  // 443 leads with 3 votes; 80's first three SYNs take them away, its
  // fourth makes it the candidate and its next six count with it.
  // SYN-ACKs and the v6 class's own vote stay apart.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(run(*l.obj, build(tcp("192.0.2.2", 443))), "XDP_PASS");
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(run(*l.obj, build(tcp("192.0.2.4", 80))), "XDP_PASS");
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(run(*l.obj, build(tcp("192.0.2.2", 8080, 0x12))), "XDP_PASS");
  Pkt v6 = tcp("2001:db8::2", 22);
  v6.ip_version = 6;
  v6.dst = "2001:db8::1";
  EXPECT_EQ(run(*l.obj, build(v6)), "XDP_PASS");
  auto xdp = XdpObservation::from_object(*l.obj);
  ASSERT_TRUE(xdp.ok());
  Snapshot s;
  ASSERT_TRUE(xdp->read(s).ok());
  EXPECT_EQ(s.tcp.syn_received, 14u);
  ASSERT_EQ(s.tcp.syn_ports.size(), 2u);
  const SynPort *v4 = nullptr, *six = nullptr;
  for (const SynPort &p : s.tcp.syn_ports)
    ((p.vote & 0xff) == uint64_t(Proto::Ipv4Tcp) ? v4 : six) = &p;
  ASSERT_TRUE(v4 && six);
  EXPECT_EQ(v4->port, 80);
  EXPECT_EQ(v4->syns, 7u);
  EXPECT_EQ(six->port, 22);
  EXPECT_EQ(six->syns, 1u);
  EXPECT_EQ(v4->vote >> 32, six->vote >> 32); // the same map
  EXPECT_NE(v4->vote >> 32, 0u);
}

TEST(XdpObservation, ASampledPacketsPathNamesTheDecidingRule) {
  PSC_REQUIRE_OR_SKIP(psl::backend::bpf_features().xdp_test_run);
  Loaded l = load(true);
  ASSERT_TRUE(l.obj);
  auto xdp = XdpObservation::from_object(*l.obj);
  ASSERT_TRUE(xdp.ok());
  Sampling sampling;
  sampling.every = 1;
  sampling.max_events_per_sec = 3;
  sampling.address = "198.51.100.9";
  ASSERT_TRUE(xdp->set_sampling(sampling).ok());

  auto namer = rule_namer_from_sidecar(
      psl::backend::artifact_to_json(l.compiled->artifact()));
  ASSERT_TRUE(namer.ok());
  PathCollector paths(100, DropReasons::from({}), *namer);
  auto poller = PathPoller::create(paths, {xdp->events_fd()});
  ASSERT_TRUE(poller.ok()) << poller.error().message;

  // Filtered out by address: no event.
  EXPECT_EQ(run(*l.obj, build(udp("192.0.2.3", 1000, 53))), "XDP_PASS");
  // Five from the blocked source, at most three events a second.
  std::vector<uint32_t> ids;
  for (uint16_t i = 0; i < 5; ++i) {
    auto f = build(udp("198.51.100.9", 1000 + i, 53));
    ids.push_back(sample_id_of_frame(f.data(), f.size()));
    EXPECT_EQ(run(*l.obj, f), "XDP_DROP");
  }
  auto n = (*poller)->poll(100);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  paths.expire(UINT64_MAX, 0);
  auto all = paths.paths();
  ASSERT_EQ(all.size(), 3u);
  for (size_t i = 0; i < all.size(); ++i) {
    // The id user space computes from the frame is the one XDP used.
    EXPECT_EQ(all[i].id, ids[i]);
    EXPECT_EQ(all[i].outcome, "dropped at xdp by rule 'block'");
    ASSERT_EQ(all[i].steps.size(), 1u);
    EXPECT_EQ(all[i].steps[0].rule, "block");
    EXPECT_EQ(all[i].sport, 1000 + i);
    EXPECT_EQ(all[i].dport, 53);
  }
  Snapshot s;
  ASSERT_TRUE(xdp->read(s).ok());
  EXPECT_EQ(s.ring_lost, 2u); // over the budget
}

} // namespace
} // namespace psr::trace
