// The policy runtime against the kernel: policies put in force on veth
// pairs in network namespaces the test creates, real pings from the peer
// namespace, then what a swap carries, what a failure leaves, locking,
// rule expiry and unloading. Root only; skips without BPF (fails with
// PSC_REQUIRE_BPF=1).
//
// Every pair is psc0 <-> psc1 in namespaces psc-test-<pid>-<n>: two pairs
// are two interfaces of the same name in two namespaces.
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "backend/testing/netns.h"
#include "codegen/policy_build.h"
#include "driver.h"
#include "policy/dynamic_sets.h"
#include "policy/files.h"
#include "policy/program_maps.h"
#include "policy/put_in_force.h"
#include "policy/rule_expiry.h"
#include "policy/status.h"
#include "policy/target_lock.h"
#include "trace/observation.h"

namespace {

namespace be = psl::backend;
namespace pp = psr::policy;
using be::testing::run_command;
using be::testing::ScopedNetns;
using be::testing::VethPair;
using pp::CarryHow;

const char *const kBan = R"(policy ban {
  set banned : ip dynamic capacity 3
  rule icmp_rate: icmp.type == echo_request and rate(ip.src) > 1000/s => drop
  rule drop_banned: ip.src in banned => drop
  default pass
}
)";

const char *const kNoPing = R"(policy no_ping {
  rule no_ping: ip.proto == icmp => drop
  default pass
}
)";

std::string edit(std::string text, const std::string &from,
                 const std::string &to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

class PolicyRuntimeKernel : public ::testing::Test {
protected:
  void SetUp() override {
    const auto &f = be::bpf_features();
    PSC_REQUIRE_OR_SKIP(f.load);
    PSC_REQUIRE_OR_SKIP(f.xdp_link);
    PSC_REQUIRE_OR_SKIP(f.netns);
    be::testing::remove_stale_test_state();
    layout_.pin_root =
        "/sys/fs/bpf/psc-test-" + std::to_string(::getpid()) + "-policy";
    char tmpl[] = "/tmp/psc-policy-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    layout_.state_root = dir_ + "/state";
  }

  void TearDown() override {
    for (auto &p : pairs_) {
      ScopedNetns in(p->ns());
      auto t = pp::Target::in_current_netns(p->ifname());
      if (t)
        (void)pp::take_down(layout_, *t);
    }
    pairs_.clear();
    if (!dir_.empty())
      pp::remove_tree(dir_, 6);
    pp::remove_tree(layout_.pin_root, 5);
  }

  VethPair &pair(size_t i = 0) {
    while (pairs_.size() <= i) {
      auto p = VethPair::create();
      EXPECT_TRUE(p.ok()) << p.error().message;
      pairs_.push_back(std::move(p.value()));
      pairs_.back()->run_in_peer(std::string("ping -c 1 -W 1 ") +
                                 VethPair::address());
    }
    return *pairs_[i];
  }

  pp::Target target(VethPair &p) {
    ScopedNetns in(p.ns());
    auto t = pp::Target::in_current_netns(p.ifname());
    EXPECT_TRUE(t.ok());
    return *t;
  }

  struct Built {
    be::PolicyArtifact artifact;
    std::map<std::string, uint64_t> ttls;
  };
  static std::unique_ptr<Built> build(const std::string &text) {
    psl::CheckedModule m = psl::check_source("test.psl", text);
    EXPECT_TRUE(m.ok()) << text;
    auto a = be::build_policy(*m.module.policy, m.diags.file_ptr().get());
    EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message);
    if (!a.ok())
      return nullptr;
    auto b = std::make_unique<Built>();
    b->artifact = std::move(a.value());
    b->ttls = pp::rule_ttls(*m.module.policy);
    return b;
  }

  be::Expected<pp::PutResult> put(VethPair &p, const std::string &text,
                                  pp::PutOptions o = {}) {
    std::unique_ptr<Built> b = build(text);
    if (!b)
      return be::Error("does not build");
    ScopedNetns in(p.ns());
    auto t = pp::Target::in_current_netns(p.ifname());
    if (!t)
      return t.error();
    pp::PolicyToLoad load;
    load.artifact = &b->artifact;
    load.text = text;
    load.source = "test.psl";
    load.rule_ttls = b->ttls;
    return pp::put_in_force(layout_, *t, load, o);
  }

  pp::TargetStatus status(VethPair &p) {
    ScopedNetns in(p.ns());
    auto s = pp::target_status(layout_, target(p));
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : pp::TargetStatus{};
  }
  static const pp::RuleStatus *rule(const pp::TargetStatus &s,
                                    const std::string &name) {
    for (const auto &r : s.rules)
      if (r.name == name)
        return &r;
    return nullptr;
  }
  uint64_t packets(VethPair &p, const std::string &name) {
    pp::TargetStatus s = status(p);
    const pp::RuleStatus *r = rule(s, name);
    EXPECT_NE(r, nullptr) << name;
    return r ? r->counts.packets : 0;
  }

  // How many of `count` pings from the peer got an answer.
  static int pings(VethPair &p, int count = 3) { return p.peer_pings(count); }

  be::Status ban_peer(VethPair &p, std::optional<pp::EntryTtl> ttl = {}) {
    auto r = pp::set_add(layout_, target(p), "banned", VethPair::peer_address(),
                         ttl);
    return r.ok() ? be::Status::success() : be::Status(r.error());
  }

  pp::StateLayout layout_;
  std::string dir_;
  std::vector<std::unique_ptr<VethPair>> pairs_;
};

TEST_F(PolicyRuntimeKernel, TwoNamespacesWithTheSameInterfaceName) {
  VethPair &a = pair(0), &b = pair(1);
  ASSERT_EQ(a.ifname(), b.ifname());
  auto ra = put(a, kNoPing);
  ASSERT_TRUE(ra.ok()) << ra.error().message;
  auto rb = put(b, kNoPing);
  ASSERT_TRUE(rb.ok()) << rb.error().message;
  EXPECT_NE(ra->target.netns, rb->target.netns);
  EXPECT_EQ(rb->replaced_prog_id, 0u); // not a swap of a's policy
  EXPECT_EQ(pings(a), 0);
  EXPECT_EQ(pings(b), 0);

  auto down = pp::take_down(layout_, target(a));
  ASSERT_TRUE(down.ok()) << down.error().message;
  EXPECT_EQ(down->policy, "no_ping");
  EXPECT_EQ(pings(a), 3);
  EXPECT_EQ(pings(b), 0); // b's policy is untouched
  pp::TargetStatus sb = status(b);
  EXPECT_TRUE(sb.attached);
  EXPECT_EQ(sb.policy, "no_ping");
  EXPECT_EQ(sb.prog_id, rb->prog_id);
  EXPECT_FALSE(status(a).pinned);
  EXPECT_FALSE(pp::path_exists(layout_.state_dir(target(a))));
  EXPECT_TRUE(pp::path_exists(layout_.state_dir(target(b))));
  // A second take down of a finds nothing there.
  auto again = pp::take_down(layout_, target(a));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "no PacketScope policy on 'psc0'");
  EXPECT_EQ(again.error().kind, be::ErrorKind::User);
}

TEST_F(PolicyRuntimeKernel, ExpiredEntriesNeverMakeASetFull) {
  VethPair &p = pair();
  ASSERT_TRUE(put(p, kBan).ok());
  const pp::Target t = target(p);
  for (const char *ip : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    auto r = pp::set_add(layout_, t, "banned", ip,
                         pp::EntryTtl{false, 300000000}); // 300ms
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  // Full of live entries: refused, and the message says so.
  auto full = pp::set_add(layout_, t, "banned", "10.0.0.4", std::nullopt);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().message,
            "set 'banned' is full: its 3 entries are all live (none has "
            "expired)");
  EXPECT_EQ(full.error().kind, be::ErrorKind::User);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  pp::TargetStatus s = status(p);
  ASSERT_EQ(s.sets.size(), 1u);
  EXPECT_EQ(s.sets[0].live, 0u);
  EXPECT_EQ(s.sets[0].expired, 3u);
  auto list = pp::set_list(layout_, t, "banned");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->entries.empty());
  EXPECT_EQ(list->expired, 3u);
  // The insert that finds the set full sweeps it first.
  auto r = pp::set_add(layout_, t, "banned", VethPair::peer_address(), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->swept, 3u);
  s = status(p);
  EXPECT_EQ(s.sets[0].live, 1u);
  EXPECT_EQ(s.sets[0].expired, 0u);
  EXPECT_EQ(pings(p), 0);

  // psd's sweep: removes exactly the expired ones.
  ASSERT_TRUE(pp::set_add(layout_, t, "banned", "10.0.0.9",
                          pp::EntryTtl{false, 100000000})
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto swept = pp::sweep_sets(layout_, t);
  ASSERT_TRUE(swept.ok()) << swept.error().message;
  ASSERT_EQ(swept->size(), 1u);
  EXPECT_EQ((*swept)[0].removed, 1u);
  EXPECT_EQ(status(p).sets[0].live, 1u);
}

TEST_F(PolicyRuntimeKernel, SetsRateStateAndCountersSurviveASwap) {
  VethPair &p = pair();
  auto first = put(p, kBan);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(ban_peer(p).ok());
  EXPECT_EQ(pings(p), 0);
  EXPECT_EQ(packets(p, "drop_banned"), 3u);

  // The same policy again: the same maps go on.
  auto same = put(p, kBan);
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(same->replaced_prog_id, first->prog_id);
  ASSERT_EQ(same->sets.size(), 1u);
  EXPECT_EQ(same->sets[0].how, CarryHow::Keep);
  EXPECT_EQ(same->sets[0].entries, 1u);
  ASSERT_EQ(same->rates.size(), 1u);
  EXPECT_EQ(same->rates[0].how, CarryHow::Keep);
  EXPECT_TRUE(same->counters.maps_kept);
  EXPECT_EQ(pings(p), 0);
  EXPECT_EQ(packets(p, "drop_banned"), 6u);

  // An edit: a rule with a rate() in front (every counter and rate id
  // moves) and a bigger set. The ban list survives, the rate buckets and
  // counts follow the rule names.
  std::string edited =
      edit(kBan, "  rule icmp_rate",
           "  rule ttl1: udp.dport == 7 and rate(ip.src) > 10/s => drop\n"
           "  rule icmp_rate");
  edited = edit(edited, "capacity 3", "capacity 10");
  auto e = put(p, edited);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->sets[0].how, CarryHow::Copy);
  EXPECT_EQ(e->sets[0].entries, 1u);
  EXPECT_FALSE(e->counters.maps_kept);
  ASSERT_EQ(e->rates.size(), 2u);
  EXPECT_EQ(e->rates[0].rule, "ttl1");
  EXPECT_EQ(e->rates[0].how, CarryHow::Fresh);
  EXPECT_EQ(e->rates[1].rule, "icmp_rate");
  EXPECT_EQ(e->rates[1].how, CarryHow::Copy);
  EXPECT_GE(e->rates[1].buckets, 1u); // the peer's bucket
  // Rules that counted something (icmp_rate never matched).
  EXPECT_EQ(e->counters.carried, (std::vector<std::string>{"drop_banned"}));
  pp::TargetStatus s = status(p);
  EXPECT_EQ(rule(s, "drop_banned")->counts.packets, 6u);
  EXPECT_EQ(rule(s, "ttl1")->counts.packets, 0u);
  EXPECT_EQ(s.sets[0].capacity, 10u);
  EXPECT_EQ(s.sets[0].live, 1u);
  EXPECT_EQ(pings(p, 2), 0);
  EXPECT_EQ(packets(p, "drop_banned"), 8u);
  // The default's counts carry too. Not equal: the link's own traffic
  // (ARP, IPv6 neighbour discovery) may reach the default meanwhile.
  const uint64_t def = status(p).default_counts.packets;
  ASSERT_GE(def, 2u);
  ASSERT_TRUE(put(p, kBan).ok());
  EXPECT_GE(status(p).default_counts.packets, def);
}

// Every program put in force carries the XDP observation, and its pso_*
// maps outlive every swap, --reset included: what tracing counted before
// a swap is still counted after it.
TEST_F(PolicyRuntimeKernel, TheObservationIsOnAndSurvivesSwapsAndReset) {
  VethPair &p = pair();
  ASSERT_TRUE(put(p, kNoPing).ok());
  EXPECT_EQ(pings(p), 0);
  auto icmp_drops = [&] {
    auto obs =
        psr::trace::XdpObservation::open_pinned(layout_.maps_dir(target(p)));
    EXPECT_TRUE(obs.ok()) << (obs.ok() ? "" : obs.error().message);
    psr::trace::Snapshot snap;
    if (obs.ok()) {
      EXPECT_TRUE(obs->read(snap).ok());
    }
    return snap.funnel[static_cast<size_t>(psr::trace::Proto::Ipv4Icmp)]
        .xdp_drop.packets;
  };
  EXPECT_EQ(icmp_drops(), 3u);

  ASSERT_TRUE(put(p, kNoPing).ok());
  EXPECT_EQ(icmp_drops(), 3u);
  pp::PutOptions reset;
  reset.reset = true;
  ASSERT_TRUE(put(p, kBan, reset).ok());
  EXPECT_EQ(icmp_drops(), 3u);
  ASSERT_TRUE(put(p, kNoPing, reset).ok());
  EXPECT_EQ(pings(p, 2), 0);
  EXPECT_EQ(icmp_drops(), 5u);
}

// Counters carried by name lose nothing counted during a swap: a UDP
// stream to a dropped port flows while the policy is replaced, each time
// with the rule at another counter id, and the rule's count ends equal to
// the datagrams sent.
TEST_F(PolicyRuntimeKernel, CountsDuringSwapsAreNotLost) {
  VethPair &p = pair();
  const std::string a = R"(policy a {
  rule drop9: udp.dport == 9 => drop
  default pass
}
)";
  const std::string b = R"(policy b {
  rule tcp1: tcp.dport == 1 => drop
  rule drop9: udp.dport == 9 => drop
  default pass
}
)";
  ASSERT_TRUE(put(p, a).ok());
  be::UniqueFd tx;
  {
    ScopedNetns in(p.peer_ns());
    ASSERT_TRUE(in.ok()) << in.error();
    tx = be::UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    ::inet_pton(AF_INET, VethPair::address(), &to.sin_addr);
    ASSERT_EQ(::connect(tx.get(), reinterpret_cast<sockaddr *>(&to), sizeof to),
              0);
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0};
  std::thread sender([&] {
    const char payload[16] = {};
    while (!stop) {
      if (::send(tx.get(), payload, sizeof payload, 0) == sizeof payload)
        ++sent;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  int kept = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = put(p, i % 2 == 0 ? b : a);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (r.ok() && r->counters.maps_kept)
      ++kept;
  }
  stop = true;
  sender.join();
  EXPECT_EQ(kept, 0); // every swap carried the counts by name
  EXPECT_GT(sent.load(), 100u);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(packets(p, "drop9"), sent.load());
}

TEST_F(PolicyRuntimeKernel, ResetAndChangedLayoutsStartEmpty) {
  VethPair &p = pair();
  ASSERT_TRUE(put(p, kBan).ok());
  ASSERT_TRUE(ban_peer(p).ok());
  EXPECT_EQ(pings(p), 0);
  pp::PutOptions reset;
  reset.reset = true;
  auto r = put(p, kBan, reset);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->reset);
  EXPECT_EQ(r->sets[0].how, CarryHow::Fresh);
  EXPECT_EQ(r->sets[0].why, "--reset");
  EXPECT_TRUE(r->counters.carried.empty());
  EXPECT_EQ(pings(p), 3);
  pp::TargetStatus s = status(p);
  EXPECT_EQ(rule(s, "drop_banned")->counts.packets, 0u);
  EXPECT_EQ(s.sets[0].live, 0u);

  // Another element type: the set starts empty, and the result says why.
  ASSERT_TRUE(ban_peer(p).ok());
  std::string ports =
      edit(kBan, "banned : ip dynamic", "banned : port dynamic");
  ports = edit(ports, "ip.src in banned", "udp.dport in banned");
  auto t = put(p, ports);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->sets[0].how, CarryHow::Fresh);
  EXPECT_EQ(t->sets[0].why, "its element type changed from ip to port");
  EXPECT_EQ(pings(p), 3);
}

TEST_F(PolicyRuntimeKernel, FailedFirstLoadLeavesNothing) {
  VethPair &p = pair();
  // Another XDP program attached outside PacketScope: the attach fails.
  std::unique_ptr<Built> other = build(kNoPing);
  ASSERT_TRUE(other);
  auto obj = be::load_policy(other->artifact);
  ASSERT_TRUE(obj.ok()) << obj.error().message;
  {
    ScopedNetns in(p.ns());
    const int ifindex = static_cast<int>(::if_nametoindex("psc0"));
    ASSERT_EQ(
        bpf_xdp_attach(ifindex, obj->program_fd(), XDP_FLAGS_SKB_MODE, nullptr),
        0);
  }
  auto r = put(p, kBan);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("outside PacketScope"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().kind, be::ErrorKind::Environment); // the machine's
  const pp::Target t = target(p);
  EXPECT_FALSE(pp::path_exists(layout_.pin_dir(t)));
  EXPECT_FALSE(pp::path_exists(layout_.netns_pin_dir(t.netns)));
  EXPECT_FALSE(pp::path_exists(layout_.state_dir(t)));
  EXPECT_FALSE(pp::path_exists(layout_.state_root));
  EXPECT_TRUE(pp::status_targets(layout_, t.netns).empty());
  {
    ScopedNetns in(p.ns());
    bpf_xdp_detach(static_cast<int>(::if_nametoindex("psc0")),
                   XDP_FLAGS_SKB_MODE, nullptr);
  }
  // The next load works.
  ASSERT_TRUE(put(p, kBan).ok());
}

TEST_F(PolicyRuntimeKernel, FailedSwapLeavesThePolicyInForce) {
  VethPair &p = pair();
  pp::PutOptions generic;
  generic.mode = be::XdpMode::Generic;
  auto first = put(p, kBan, generic);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->mode, be::XdpMode::Generic);
  const pp::Target t = target(p);
  ASSERT_TRUE(ban_peer(p).ok());
  ASSERT_TRUE(pp::set_add(layout_, t, "banned", "10.0.0.1", {}).ok());
  ASSERT_TRUE(pp::set_add(layout_, t, "banned", "10.0.0.2", {}).ok());

  // Another mode on a swap: refused, not ignored.
  pp::PutOptions native;
  native.mode = be::XdpMode::Native;
  auto m = put(p, kBan, native);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message,
            "'psc0' runs its policy in generic mode, and a swap keeps the "
            "mode: switching to native mode needs an unload (leaving the "
            "interface without a policy) and a new load; or load without "
            "--mode");
  EXPECT_EQ(m.error().kind, be::ErrorKind::User);
  // The same mode, asked for explicitly, is fine.
  auto g = put(p, kBan, generic);
  ASSERT_TRUE(g.ok()) << g.error().message;

  // A set too small for its live entries: refused before the switch.
  auto small = put(p, edit(kBan, "capacity 3", "capacity 2"));
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.error().message.find("set 'banned' holds 3 live entries, "
                                       "more than its new capacity of 2"),
            std::string::npos)
      << small.error().message;
  EXPECT_EQ(small.error().kind, be::ErrorKind::User);

  pp::TargetStatus s = status(p);
  EXPECT_EQ(s.prog_id, g->prog_id);
  EXPECT_EQ(s.mode, be::XdpMode::Generic);
  EXPECT_EQ(s.sets[0].live, 3u);
  EXPECT_EQ(pp::program_dirs(layout_, t),
            (std::vector<uint32_t>{g->prog_id})); // no stray state
  EXPECT_EQ(pings(p), 0);
}

TEST_F(PolicyRuntimeKernel, ConcurrentChangesAreSerialized) {
  VethPair &p = pair();
  ASSERT_TRUE(put(p, kNoPing).ok());
  const pp::Target t = target(p);
  auto held = pp::TargetLock::acquire(layout_, t, "load");
  ASSERT_TRUE(held.ok());
  auto refused = put(p, kBan);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "another load on 'psc0' is in progress (pid " +
                std::to_string(::getpid()) + ")");
  EXPECT_EQ(refused.error().kind, be::ErrorKind::Environment);
  // A set edit waits for it (up to its lock_wait), then goes ahead.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    held = be::Expected<pp::TargetLock>(be::Error("released"));
  });
  pp::PutOptions wait;
  wait.lock_wait = std::chrono::seconds(10);
  auto waited = put(p, kBan, wait);
  release.join();
  ASSERT_TRUE(waited.ok()) << waited.error().message;
  EXPECT_EQ(status(p).policy, "ban");
}

TEST_F(PolicyRuntimeKernel, UnloadKeepsTheStateWhenTheDetachFails) {
  VethPair &p = pair();
  ASSERT_TRUE(put(p, kNoPing).ok());
  const pp::Target t = target(p);
  // Something that is not an XDP link where the link pin should be.
  be::UniqueFd map(
      bpf_map_create(BPF_MAP_TYPE_ARRAY, "not_a_link", 4, 4, 1, nullptr));
  ASSERT_TRUE(map);
  ASSERT_EQ(::unlink(layout_.link_pin(t).c_str()), 0);
  ASSERT_EQ(bpf_obj_pin(map.get(), layout_.link_pin(t).c_str()), 0);
  auto r = pp::take_down(layout_, t);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("is not an XDP link"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().kind, be::ErrorKind::Environment);
  EXPECT_TRUE(pp::path_exists(layout_.state_dir(t)));
  EXPECT_FALSE(pp::program_dirs(layout_, t).empty());
  ::unlink(layout_.link_pin(t).c_str());
}

// A loader that died between the switch and pinning the new maps leaves
// the pins of the old program: readers go by the program in force, and
// the next change pins its maps again.
TEST_F(PolicyRuntimeKernel, PinsOfTheProgramInForceAreRestored) {
  VethPair &p = pair();
  ASSERT_TRUE(put(p, kBan).ok());
  const pp::Target t = target(p);
  ASSERT_TRUE(ban_peer(p).ok());
  for (const std::string &name : pp::list_dir(layout_.maps_dir(t)))
    ASSERT_EQ(::unlink((layout_.maps_dir(t) + "/" + name).c_str()), 0);
  EXPECT_EQ(status(p).sets[0].live, 1u); // through the program, not the pins
  ASSERT_TRUE(pp::set_add(layout_, t, "banned", "10.0.0.1", {}).ok());
  auto r = put(p, kBan);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("pinned the maps of program"), std::string::npos)
      << r->notes[0];
  EXPECT_EQ(r->sets[0].how, CarryHow::Keep); // reused through the new pins
  EXPECT_EQ(r->sets[0].entries, 2u);
  EXPECT_TRUE(pp::path_exists(layout_.maps_dir(t) + "/banned"));
  EXPECT_EQ(pings(p), 0);
}

TEST_F(PolicyRuntimeKernel, RuleTtlExpires) {
  VethPair &p = pair();
  const std::string text = R"(policy tmp {
  # dropped for a while
  rule no_ping: ip.proto == icmp => drop ttl 2s
  rule keep: udp.dport == 9 => drop
  default pass
}
)";
  auto r = put(p, text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const pp::Target t = target(p);
  EXPECT_EQ(pings(p, 2), 0);
  pp::TargetStatus s = status(p);
  ASSERT_NE(rule(s, "no_ping"), nullptr);
  EXPECT_EQ(rule(s, "no_ping")->ttl_ns, 2000000000u);
  EXPECT_FALSE(rule(s, "no_ping")->expired);
  // Before its time: nothing expires, nothing happens.
  auto enforce = [&] {
    ScopedNetns in(p.ns());
    return pp::enforce_rule_expiry(layout_, t, pp::boottime_now_ns());
  };
  auto none = enforce();
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->removed.empty());
  // A swap of the same policy keeps the rule's start.
  ASSERT_TRUE(put(p, text).ok());
  const uint64_t expires = rule(status(p), "no_ping")->expires_unix_ns;
  // (Wall-clock times are converted from CLOCK_BOOTTIME on each read.)
  EXPECT_NEAR(static_cast<double>(expires),
              static_cast<double>(rule(s, "no_ping")->expires_unix_ns), 1e6);

  be::Expected<std::vector<pp::ExpiredRule>> expired =
      std::vector<pp::ExpiredRule>{};
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (expired.ok() && expired->empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    expired = pp::expired_rules(layout_, t, pp::boottime_now_ns());
  }
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_GE(pp::unix_now_ns() + 1000000, expires);
  EXPECT_EQ((*expired)[0].name, "no_ping");
  EXPECT_EQ(pings(p, 1), 0); // still in force until enforced
  auto done = enforce();
  ASSERT_TRUE(done.ok()) << done.error().message;
  ASSERT_EQ(done->removed.size(), 1u);
  ASSERT_TRUE(done->put.has_value());
  EXPECT_EQ(pings(p), 3);
  s = status(p);
  EXPECT_EQ(rule(s, "no_ping"), nullptr);
  ASSERT_NE(rule(s, "keep"), nullptr);
  EXPECT_EQ(s.expired_rules, (std::vector<std::string>{"no_ping"}));
  auto text_now = pp::read_program_text(layout_, t, s.prog_id);
  ASSERT_TRUE(text_now.ok());
  EXPECT_EQ(*text_now, R"(policy tmp {
  rule keep: udp.dport == 9 => drop
  default pass
}
)");
  // Nothing left to expire.
  auto later = enforce();
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->removed.empty());
}

} // namespace
