// The tracing runtime with real traffic between two network namespaces:
// the XDP observation in an attached policy and the stack tracepoints of
// the victim's namespace. The traffic is known (N pings, M handshakes to
// an open port, K SYNs to a closed port, L UDP datagrams to a closed
// port), so the counts must match it exactly; other namespaces' traffic
// (other tests, other people on the machine) must not show. Also: sampled
// paths, and each hook's fallback.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "backend/testing/netns.h"
#include "backend/xdp_attach.h"
#include "codegen/policy_build.h"
#include "policy_harness.h"
#include "trace/hooks.h"
#include "trace/observation.h"
#include "trace/paths.h"
#include "trace/tracer.h"

namespace psr::trace {
namespace {

using psl::backend::testing::run_command;
using psl::backend::testing::ScopedNetns;
using psl::backend::testing::VethPair;

constexpr const char *kPolicy = R"(
  rule block_probe: udp.dport == 9999 => drop
  default pass)";
constexpr uint16_t kOpenPort = 8080, kClosedTcp = 8081, kClosedUdp = 7777;

size_t idx(Proto p) { return static_cast<size_t>(p); }

uint64_t drops(const Snapshot &s, const std::string &name, Proto p) {
  uint64_t n = 0;
  for (const auto &d : s.drops)
    if (d.name == name && d.proto == p)
      n += d.packets;
  return n;
}
uint64_t icmp(const Snapshot &s, uint8_t type, uint8_t code) {
  for (const auto &i : s.icmp_sent)
    if (i.type == type && i.code == code)
      return i.count;
  return 0;
}

// Calls `done` every 20 ms until it holds, for at most 10 s: counters
// settle when softirqs and sockets have run, not after a fixed time.
bool wait_until(const std::function<bool()> &done) {
  for (int i = 0; i < 500; ++i) {
    if (done())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

sockaddr_in victim(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, VethPair::address(), &a.sin_addr);
  return a;
}

class TraceStackTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto &f = psl::backend::bpf_features();
    PSC_REQUIRE_OR_SKIP(f.load);
    PSC_REQUIRE_OR_SKIP(f.xdp_link);
    PSC_REQUIRE_OR_SKIP(f.netns);
    psl::backend::testing::remove_stale_test_state();
    auto pair = VethPair::create();
    ASSERT_TRUE(pair.ok()) << pair.error().message;
    veth_ = std::move(pair.value());
    // No IPv6 (router solicitations, MLD) and no ICMP rate limit in the
    // victim: L datagrams to a closed port give L port unreachables.
    for (const std::string &ns : {veth_->ns(), veth_->peer_ns()})
      ASSERT_EQ(run_command("ip netns exec " + ns +
                            " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                            "net.ipv6.conf.default.disable_ipv6=1")
                    .exit_code,
                0);
    ASSERT_EQ(run_command("ip netns exec " + veth_->ns() +
                          " sysctl -qw net.ipv4.icmp_ratelimit=0")
                  .exit_code,
              0);
    // Neighbours resolved before anything is counted.
    veth_->run_in_peer(std::string("ping -c 1 -W 1 ") + VethPair::address());

    std::string err;
    policy_ = psl::bpftest::CompiledPolicy::make(kPolicy, &err);
    ASSERT_TRUE(policy_) << err;
    psl::backend::PolicyLoadOptions lo;
    lo.observe = true;
    auto obj = psl::backend::load_policy(policy_->artifact(), lo);
    ASSERT_TRUE(obj.ok()) << obj.error().message << obj.error().detail;
    obj_ = std::make_unique<psl::backend::BpfObject>(std::move(*obj));
    psl::backend::XdpAttachOptions ao;
    ao.pin_root =
        "/sys/fs/bpf/psc-test-" + std::to_string(::getpid()) + "-trace";
    attacher_ = std::make_unique<psl::backend::XdpAttacher>(ao);
    {
      ScopedNetns in(veth_->ns());
      ASSERT_TRUE(in.ok()) << in.error();
      auto a = attacher_->attach(veth_->ifname(), *obj_);
      ASSERT_TRUE(a.ok()) << a.error().message;
    }
    auto xdp =
        XdpObservation::open_pinned(attacher_->maps_pin_dir(veth_->ifname()));
    ASSERT_TRUE(xdp.ok()) << xdp.error().message;
    xdp_ = std::make_unique<XdpObservation>(std::move(*xdp));
  }

  void TearDown() override {
    tracer_.reset();
    xdp_.reset();
    if (attacher_ && veth_) {
      ScopedNetns in(veth_->ns());
      (void)attacher_->detach(veth_->ifname());
    }
    if (attacher_)
      run_command("rm -rf " + attacher_->options().pin_root);
    veth_.reset();
  }

  // The tracer of the victim's namespace (the creating thread's).
  void start_tracer(TracerOptions o = {}) {
    ScopedNetns in(veth_->ns());
    ASSERT_TRUE(in.ok()) << in.error();
    auto t = Tracer::create(o);
    ASSERT_TRUE(t.ok()) << t.error().message << "\n" << t.error().detail;
    tracer_ = std::move(*t);
  }

  Snapshot snap() {
    auto s = tracer_->read(xdp_.get());
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : Snapshot{};
  }

  const HookStatus *hook(const std::string &name) {
    for (const auto &h : tracer_->hooks())
      if (h.name == name)
        return &h;
    return nullptr;
  }

  // ---- traffic from the peer namespace ----
  void pings(int n) {
    auto r = veth_->run_in_peer("ping -n -q -c " + std::to_string(n) +
                                " -i 0.01 -W 1 " + VethPair::address());
    ASSERT_NE(r.output.find(std::to_string(n) + " received"), std::string::npos)
        << r.output;
  }
  // A listener in the victim; its connections are never accepted, so
  // nothing but the handshakes and the peer's FINs happens.
  int listen_in_victim() {
    ScopedNetns in(veth_->ns());
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = victim(kOpenPort);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 128), 0);
    return fd;
  }
  // `n` connects to `port`; returns how many got `expect_errno` (0: ok).
  int connects(int n, uint16_t port, int expect_errno) {
    ScopedNetns in(veth_->peer_ns());
    int got = 0;
    for (int i = 0; i < n; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      timeval tv{2, 0};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      sockaddr_in a = victim(port);
      int rc = ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
      got += (rc == 0 ? 0 : errno) == expect_errno;
      ::close(fd);
    }
    return got;
  }
  void datagrams(int n, uint16_t port) {
    ScopedNetns in(veth_->peer_ns());
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = victim(port);
    for (int i = 0; i < n; ++i) {
      char b[32] = {static_cast<char>(i)};
      ::sendto(fd, b, sizeof b, 0, reinterpret_cast<sockaddr *>(&a), sizeof a);
      // Under the kernel's global ICMP budget (icmp_msgs_per_sec).
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::close(fd);
  }

  // Sends N/M/K/L as the issue describes and checks every count.
  void exact_counts(int N, int M, int K, int L) {
    const int listener = listen_in_victim();
    const Snapshot before = snap();
    pings(N);
    EXPECT_EQ(connects(M, kOpenPort, 0), M);
    EXPECT_EQ(connects(K, kClosedTcp, ECONNREFUSED), K);
    datagrams(L, kClosedUdp);

    Snapshot d;
    auto delta = [&] {
      Snapshot a = snap();
      d = a;
      for (size_t p = 0; p < kProtoCount; ++p) {
        Funnel &f = d.funnel[p];
        const Funnel &b = before.funnel[p];
        f.nic.packets -= b.nic.packets;
        f.xdp_pass.packets -= b.xdp_pass.packets;
        f.xdp_drop.packets -= b.xdp_drop.packets;
        f.stack_rx -= b.stack_rx;
        f.delivered -= b.delivered;
        f.dropped -= b.dropped;
        f.sent -= b.sent;
      }
      d.tcp.syn_received -= before.tcp.syn_received;
      d.tcp.synack_sent -= before.tcp.synack_sent;
      d.tcp.passive_opens -= before.tcp.passive_opens;
      d.tcp.established -= before.tcp.established;
      d.tcp.resets_sent -= before.tcp.resets_sent;
      const auto &icmp4 = d.funnel[idx(Proto::Ipv4Icmp)];
      const auto &udp4 = d.funnel[idx(Proto::Ipv4Udp)];
      return icmp4.delivered == uint64_t(N) && icmp4.sent == uint64_t(N + L) &&
             udp4.dropped == uint64_t(L) &&
             d.tcp.passive_opens == uint64_t(M) &&
             d.tcp.resets_sent == uint64_t(K) &&
             icmp(d, 3, 3) - icmp(before, 3, 3) == uint64_t(L);
    };
    wait_until(delta);
    const Funnel &icmp4 = d.funnel[idx(Proto::Ipv4Icmp)];
    const Funnel &udp4 = d.funnel[idx(Proto::Ipv4Udp)];
    const Funnel &tcp4 = d.funnel[idx(Proto::Ipv4Tcp)];
    // The funnel: NIC -> XDP verdict -> stack -> delivered / dropped.
    EXPECT_EQ(icmp4.nic.packets, uint64_t(N));
    EXPECT_EQ(icmp4.xdp_pass.packets, uint64_t(N));
    EXPECT_EQ(icmp4.stack_rx, uint64_t(N));
    EXPECT_EQ(icmp4.delivered, uint64_t(N));
    EXPECT_EQ(icmp4.dropped, 0u);
    EXPECT_EQ(icmp4.sent, uint64_t(N + L)); // echo replies, unreachables
    EXPECT_EQ(udp4.nic.packets, uint64_t(L));
    EXPECT_EQ(udp4.xdp_pass.packets, uint64_t(L));
    EXPECT_EQ(udp4.stack_rx, uint64_t(L));
    EXPECT_EQ(udp4.dropped, uint64_t(L));
    EXPECT_EQ(udp4.delivered, 0u);
    EXPECT_EQ(tcp4.xdp_drop.packets, 0u);
    EXPECT_EQ(tcp4.stack_rx, tcp4.nic.packets);
    // Handshakes, resets, drop reasons by their kernel names, ICMP sent.
    EXPECT_EQ(d.tcp.syn_received, uint64_t(M + K));
    EXPECT_EQ(d.tcp.synack_sent, uint64_t(M));
    EXPECT_EQ(d.tcp.passive_opens, uint64_t(M));
    EXPECT_EQ(d.tcp.established, uint64_t(M));
    EXPECT_EQ(d.tcp.resets_sent, uint64_t(K));
    EXPECT_EQ(drops(d, "NO_SOCKET", Proto::Ipv4Tcp) -
                  drops(before, "NO_SOCKET", Proto::Ipv4Tcp),
              uint64_t(K));
    EXPECT_EQ(drops(d, "NO_SOCKET", Proto::Ipv4Udp) -
                  drops(before, "NO_SOCKET", Proto::Ipv4Udp),
              uint64_t(L));
    for (const auto &x : d.drops)
      EXPECT_EQ(x.name == "NO_SOCKET" ? "socket" : x.layer, x.layer);
    EXPECT_EQ(icmp(d, 3, 3) - icmp(before, 3, 3), uint64_t(L));
    // Time in the stack: every delivered or dropped ICMP/UDP skb.
    EXPECT_GE(d.latency[idx(Proto::Ipv4Icmp)].count -
                  before.latency[idx(Proto::Ipv4Icmp)].count,
              uint64_t(N));
    ::close(listener);
  }

  std::unique_ptr<VethPair> veth_;
  std::unique_ptr<psl::bpftest::CompiledPolicy> policy_;
  std::unique_ptr<psl::backend::BpfObject> obj_;
  std::unique_ptr<psl::backend::XdpAttacher> attacher_;
  std::unique_ptr<XdpObservation> xdp_;
  std::unique_ptr<Tracer> tracer_;
};

TEST_F(TraceStackTest, CountsMatchTheTrafficSentExactly) {
  TracerOptions o;
  o.timed_per_tick = 0; // every skb's time in the stack, to count them
  start_tracer(o);
  ASSERT_TRUE(tracer_);
  for (const auto &h : tracer_->hooks())
    EXPECT_EQ(h.attach, "tp_btf") << h.name << ": " << h.missing << h.fallback;
  exact_counts(/*N=*/10, /*M=*/5, /*K=*/4, /*L=*/6);
}

// Under load only a few skbs per CPU and clock tick are timed (each costs
// two clock reads), but every one is still counted at its end.
TEST_F(TraceStackTest, UnderLoadTheTimeInTheStackIsASample) {
  TracerOptions o;
  o.timed_per_tick = 1;
  start_tracer(o);
  ASSERT_TRUE(tracer_);
  constexpr int kBurst = 400;
  const Snapshot before = snap();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = veth_->run_in_peer("ping -n -q -f -c " + std::to_string(kBurst) +
                              " -W 1 " + VethPair::address());
  ASSERT_NE(r.output.find(std::to_string(kBurst) + " received"),
            std::string::npos)
      << r.output;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
  const auto i = idx(Proto::Ipv4Icmp);
  uint64_t delivered = 0, dropped = 0, timed = 0;
  wait_until([&] {
    const Snapshot s = snap();
    delivered = s.funnel[i].delivered - before.funnel[i].delivered;
    dropped = s.funnel[i].dropped - before.funnel[i].dropped;
    timed = s.latency[i].count - before.latency[i].count;
    return delivered + dropped == uint64_t(kBurst);
  });
  // Every echo request counted at its end...
  EXPECT_EQ(delivered + dropped, uint64_t(kBurst));
  // ...some timed, at most one per CPU and tick (HZ is at most 1000).
  const uint64_t cpus = std::max<long>(1, ::sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_GE(timed, 1u);
  EXPECT_LE(timed, uint64_t(ms + 2) * cpus);
  EXPECT_LT(timed, uint64_t(kBurst));
}

TEST_F(TraceStackTest, SampledPathsShowTheRuleOrTheDropReason) {
  start_tracer();
  ASSERT_TRUE(tracer_);
  auto namer = rule_namer_from_sidecar(
      psl::backend::artifact_to_json(policy_->artifact()));
  ASSERT_TRUE(namer.ok());
  PathCollector paths(64, tracer_->drop_reasons(), *namer);
  auto poller =
      PathPoller::create(paths, {tracer_->events_fd(), xdp_->events_fd()});
  ASSERT_TRUE(poller.ok()) << poller.error().message;
  Sampling s;
  s.every = 1;
  s.port = 9999;
  ASSERT_TRUE(tracer_->set_sampling(s).ok());
  ASSERT_TRUE(xdp_->set_sampling(s).ok());

  datagrams(1, 9999);       // the policy drops it
  datagrams(1, kClosedUdp); // not sampled: another port
  auto dropped_by_rule = [&] {
    (void)(*poller)->poll(10);
    for (const auto &p : paths.paths({}, true))
      if (p.outcome == "dropped at xdp by rule 'block_probe'")
        return true;
    return false;
  };
  EXPECT_TRUE(wait_until(dropped_by_rule));

  s.port = kClosedUdp;
  ASSERT_TRUE(tracer_->set_sampling(s).ok());
  ASSERT_TRUE(xdp_->set_sampling(s).ok());
  datagrams(1, kClosedUdp);
  const PacketPath *found = nullptr;
  std::vector<PacketPath> all;
  wait_until([&] {
    (void)(*poller)->poll(10);
    all = paths.paths(PathFilter{"", kClosedUdp}, true);
    for (const auto &p : all)
      if (p.steps.size() >= 4) {
        found = &p;
        return true;
      }
    return false;
  });
  ASSERT_NE(found, nullptr);
  std::vector<std::string> hooks;
  for (const auto &st : found->steps)
    hooks.push_back(st.hook + " " + st.verdict);
  EXPECT_EQ(hooks, (std::vector<std::string>{
                       "xdp pass", "net:netif_receive_skb received",
                       "icmp:icmp_send replied", "skb:kfree_skb dropped"}));
  EXPECT_EQ(found->steps[0].rule, "default");
  EXPECT_EQ(found->steps[2].reason, "type 3 code 3");
  EXPECT_EQ(found->outcome, "dropped in the stack: NO_SOCKET");
  for (size_t i = 1; i < found->steps.size(); ++i)
    EXPECT_GE(found->steps[i].ts_ns, found->steps[i - 1].ts_ns);
  // Exactly one path for that port: the earlier datagram was not sampled.
  EXPECT_EQ(all.size(), 1u);
}

TEST_F(TraceStackTest, EveryHookFallsBackToRawTpWhenTpBtfIsRefused) {
  TracerOptions o;
  for (const auto &h : stack_hooks())
    o.break_tp_btf.insert(h.name);
  start_tracer(o);
  ASSERT_TRUE(tracer_);
  for (const auto &h : tracer_->hooks()) {
    EXPECT_EQ(h.attach, "raw_tp") << h.name << ": " << h.missing;
    EXPECT_NE(h.fallback.find("the kernel refused the tp_btf program"),
              std::string::npos)
        << h.name << ": " << h.fallback;
  }
  exact_counts(/*N=*/4, /*M=*/3, /*K=*/2, /*L=*/3);
}

TEST_F(TraceStackTest, AMissingHookLeavesTheRestWorkingAndIsNamed) {
  TracerOptions o;
  o.break_tp_btf = {"icmp:icmp_send"};
  o.break_raw_tp = {"icmp:icmp_send"};
  o.disable = {"net:net_dev_xmit"};
  o.force_raw_tp_hooks = {"net:netif_receive_skb"};
  start_tracer(o);
  ASSERT_TRUE(tracer_);
  const HookStatus *icmp_send = hook("icmp:icmp_send");
  const HookStatus *xmit = hook("net:net_dev_xmit");
  const HookStatus *rx = hook("net:netif_receive_skb");
  ASSERT_TRUE(icmp_send && xmit && rx);
  EXPECT_EQ(icmp_send->attach, "");
  EXPECT_NE(icmp_send->missing.find("refused to attach raw_tp"),
            std::string::npos)
      << icmp_send->missing;
  EXPECT_EQ(xmit->attach, "");
  EXPECT_EQ(xmit->missing, "disabled by option");
  EXPECT_EQ(rx->attach, "raw_tp");
  EXPECT_EQ(rx->fallback, "raw_tp forced by option");
  EXPECT_EQ(hook("skb:kfree_skb")->attach, "tp_btf");

  const Snapshot before = snap();
  datagrams(5, kClosedUdp);
  Snapshot after;
  wait_until([&] {
    after = snap();
    return after.funnel[idx(Proto::Ipv4Udp)].dropped -
               before.funnel[idx(Proto::Ipv4Udp)].dropped ==
           5;
  });
  const auto udp = idx(Proto::Ipv4Udp);
  EXPECT_EQ(after.funnel[udp].stack_rx - before.funnel[udp].stack_rx, 5u);
  EXPECT_EQ(after.funnel[udp].dropped - before.funnel[udp].dropped, 5u);
  EXPECT_EQ(drops(after, "NO_SOCKET", Proto::Ipv4Udp) -
                drops(before, "NO_SOCKET", Proto::Ipv4Udp),
            5u);
  // The missing hooks count nothing.
  EXPECT_TRUE(after.icmp_sent.empty());
  EXPECT_EQ(after.funnel[idx(Proto::Ipv4Icmp)].sent, 0u);
  // The snapshot carries the status: xdp first, then every stack hook.
  ASSERT_EQ(after.hooks.size(), stack_hooks().size() + 1);
  EXPECT_EQ(after.hooks[0].name, "xdp");
}

TEST_F(TraceStackTest, ASwapKeepsTheObservationAndItsCounts) {
  auto icmp_nic = [&] {
    Snapshot s;
    EXPECT_TRUE(xdp_->read(s).ok());
    return s.funnel[idx(Proto::Ipv4Icmp)].nic.packets;
  };
  const uint64_t before = icmp_nic();
  pings(3);
  EXPECT_TRUE(wait_until([&] { return icmp_nic() == before + 3; }));

  // The next policy takes the pinned maps over, as every swap does.
  std::string err;
  auto next = psl::bpftest::CompiledPolicy::make(
      "rule other: udp.dport == 9998 => drop\n default pass", &err);
  ASSERT_TRUE(next) << err;
  psl::backend::PolicyLoadOptions lo;
  lo.observe = true;
  lo.bpf.reuse_maps_dir = attacher_->maps_pin_dir(veth_->ifname());
  auto obj = psl::backend::load_policy(next->artifact(), lo);
  ASSERT_TRUE(obj.ok()) << obj.error().message;
  for (const char *m : {"pso_proto", "pso_src", "pso_cfg", "pso_events"}) {
    const auto &r = obj->reused_maps();
    EXPECT_NE(std::find(r.begin(), r.end(), m), r.end()) << m;
  }
  {
    ScopedNetns in(veth_->ns());
    auto a = attacher_->attach(veth_->ifname(), *obj);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_NE(a->replaced_prog_id, 0u); // swapped, not attached anew
  }
  pings(2);
  EXPECT_TRUE(wait_until([&] { return icmp_nic() == before + 5; }))
      << icmp_nic() - before;
  Snapshot s;
  ASSERT_TRUE(xdp_->read(s).ok());
  bool peer = false;
  for (const auto &src : s.sources)
    peer |= src.family == 4 && src.addr[15] == 2 && src.icmp_echo >= 5;
  EXPECT_TRUE(peer); // the source's statistics went on across the swap
}

TEST_F(TraceStackTest, AnUnknownHookNameIsAnError) {
  TracerOptions o;
  o.disable = {"skb:no_such_hook"};
  ScopedNetns in(veth_->ns());
  auto t = Tracer::create(o);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "no tracing hook is called 'skb:no_such_hook'");
}

} // namespace
} // namespace psr::trace
