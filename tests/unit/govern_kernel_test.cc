// The policy lifecycle against the kernel: a veth pair between two
// network namespaces the test creates, the operator policy and generated
// rules put in force on the XDP side, real pings from the peer. Root
// only; skips without BPF (fails with PSC_REQUIRE_BPF=1).
//
// What is proven here: a set insert drops the peer's pings as soon as the
// call returns, with no swap; a rule proposal drops what it names while
// protected traffic passes; a refused proposal changes nothing and is in
// the audit log with its reason; expiry, shadow -> enforce, withdraw and
// a new operator policy; a restarted lifecycle adopts the program with no
// swap and no gap; a process killed with -9 mid-swap leaves one
// consistent program, which the next lifecycle adopts.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/bpf_features.h"
#include "backend/testing/bpf_test_support.h"
#include "backend/testing/netns.h"
#include "govern/lifecycle.h"
#include "policy/dynamic_sets.h"
#include "policy/files.h"
#include "policy/in_force.h"
#include "policy/program_state.h"
#include "policy/put_in_force.h"
#include "policy/rule_expiry.h"
#include "policy/status.h"

namespace {

namespace be = psl::backend;
namespace pp = psr::policy;
namespace gv = psr::govern;
namespace an = psr::analyze;
using be::testing::run_command;
using be::testing::ScopedNetns;
using be::testing::VethPair;
using nlohmann::json;

// psd's default policy, in short: SSH protected, a block set.
const char *const kOperator = R"(policy edge {
  const mgmt_ports = { 22 }
  protect tcp.dport in mgmt_ports

  set blocked : ip dynamic ttl 10m capacity 1024

  rule management: tcp.dport in mgmt_ports => pass
  rule drop_blocked: ip.src in blocked => drop
  default pass
}
)";

an::Proposal rule_proposal(const std::string &id, const std::string &rules) {
  an::Proposal p;
  p.id = id;
  p.origin = an::Origin::Detector;
  p.kind = an::Proposal::Kind::Policy;
  p.psl = "policy " + id + " {\n" + rules + "\n}\n";
  for (char &c : p.psl)
    if (c == '-')
      c = '_';
  p.policy_name = id;
  p.created_unix_ms = gv::unix_now_ms();
  return p;
}

// The proposal cites `pps` packets per second of the peer's echo
// requests in one window of one second (analyze/evidence.h).
an::Proposal citing(an::Proposal p, double pps) {
  p.evidence.windows.push_back({7, 1000, 2000});
  p.evidence.counters.push_back(
      {7, "talkers.top[192.0.2.2].icmp_echo.per_s", pps});
  p.evidence.cited = true;
  return p;
}

an::Proposal insert_proposal(const std::string &id,
                             std::vector<std::string> values) {
  an::Proposal p;
  p.id = id;
  p.origin = an::Origin::Detector;
  p.kind = an::Proposal::Kind::SetInsert;
  p.insert.set = "blocked";
  p.insert.values = std::move(values);
  p.insert.ttl_ms = 60000;
  return p;
}

const char *const kPingRule =
    "  rule detector_icmp_1: ip.src == 192.0.2.2 and icmp.type == "
    "echo_request => drop ttl 10m";

class GovernKernel : public ::testing::Test {
protected:
  void SetUp() override {
    const auto &f = be::bpf_features();
    PSC_REQUIRE_OR_SKIP(f.load);
    PSC_REQUIRE_OR_SKIP(f.xdp_link);
    PSC_REQUIRE_OR_SKIP(f.netns);
    be::testing::remove_stale_test_state();
    layout_.pin_root =
        "/sys/fs/bpf/psc-test-" + std::to_string(::getpid()) + "-govern";
    char tmpl[] = "/tmp/psr-govern-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    layout_.state_root = dir_ + "/state";
    audit_ =
        std::make_unique<gv::AuditLog>(gv::AuditOptions{dir_ + "/audit.jsonl"});
    auto p = VethPair::create();
    ASSERT_TRUE(p.ok()) << p.error().message;
    pair_ = std::move(p.value());
    pair_->run_in_peer(std::string("ping -c 1 -W 1 ") + VethPair::address());
    ready_ = true;
  }

  void TearDown() override {
    lc_.reset();
    if (pair_) {
      ScopedNetns in(pair_->ns());
      auto t = pp::Target::in_current_netns(pair_->ifname());
      if (t)
        (void)pp::take_down(layout_, *t);
    }
    pair_.reset();
    if (!dir_.empty())
      pp::remove_tree(dir_, 6);
    pp::remove_tree(layout_.pin_root, 5);
  }

  gv::LifecycleOptions options() {
    gv::LifecycleOptions o;
    o.layout = layout_;
    o.ifname = pair_->ifname();
    o.audit = audit_.get();
    return o;
  }

  // Opens the lifecycle in the XDP side's namespace.
  std::unique_ptr<gv::Lifecycle> open(gv::LifecycleOptions o,
                                      const std::string &text = kOperator) {
    ScopedNetns in(pair_->ns());
    gv::OperatorResult refusal;
    auto lc =
        gv::Lifecycle::open(std::move(o), "/etc/psd/edge.psl", text, &refusal);
    EXPECT_TRUE(lc.ok()) << (lc.ok() ? "" : lc.error().message) << "\n"
                         << refusal.diagnostics.text;
    return lc.ok() ? std::move(lc.value()) : nullptr;
  }
  void open_default() {
    lc_ = open(options());
    ASSERT_NE(lc_, nullptr);
  }

  gv::SubmitResult submit(const an::Proposal &p) {
    ScopedNetns in(pair_->ns());
    return lc_->submit(p);
  }
  be::Expected<gv::TickResult> tick() {
    ScopedNetns in(pair_->ns());
    return lc_->tick();
  }

  pp::Target target() {
    ScopedNetns in(pair_->ns());
    auto t = pp::Target::in_current_netns(pair_->ifname());
    EXPECT_TRUE(t.ok());
    return *t;
  }
  pp::TargetStatus status() {
    ScopedNetns in(pair_->ns());
    auto s = pp::target_status(layout_, target());
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

  // How many of `count` pings from the peer (from `source`, if given) got
  // an answer.
  int pings(int count = 3, const std::string &source = "",
            const char *interval = "0.2") {
    return pair_->peer_pings(count, interval, source);
  }

  std::vector<json> audit(const std::string &event) {
    gv::AuditFilter f;
    f.event = event;
    auto r = audit_->read(f);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<json>{};
  }

  std::string store_path() {
    return layout_.state_dir(target()) + "/generated.json";
  }

  bool ready_ = false;
  pp::StateLayout layout_;
  std::string dir_;
  std::unique_ptr<gv::AuditLog> audit_;
  std::unique_ptr<VethPair> pair_;
  std::unique_ptr<gv::Lifecycle> lc_;
};

TEST_F(GovernKernel, OpenPutsTheOperatorPolicyInForce) {
  open_default();
  pp::TargetStatus s = status();
  ASSERT_TRUE(s.attached);
  EXPECT_EQ(s.policy, "edge");
  EXPECT_EQ(s.source, "/etc/psd/edge.psl");
  EXPECT_EQ(lc_->prog_id(), s.prog_id);
  for (const auto &r : s.rules)
    EXPECT_EQ(r.origin, "operator") << r.name;
  std::vector<json> loaded = audit("operator_loaded");
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0]["prog_id"], s.prog_id);
  EXPECT_EQ(loaded[0]["target"]["ifname"], pair_->ifname());
  EXPECT_EQ(pings(), 3);
  // A bad operator policy: refused, nothing in force changes.
  gv::OperatorResult bad;
  {
    ScopedNetns in(pair_->ns());
    bad = lc_->replace_operator("/etc/psd/edge.psl",
                                "policy edge {\n  rule a: ip.src == 22 => "
                                "drop\n}\n");
  }
  EXPECT_FALSE(bad.loaded);
  EXPECT_NE(bad.diagnostics.text.find("/etc/psd/edge.psl:2:"),
            std::string::npos)
      << bad.diagnostics.text;
  EXPECT_EQ(status().prog_id, s.prog_id);
  ASSERT_EQ(audit("operator_refused").size(), 1u);
  EXPECT_FALSE(audit("operator_refused")[0]["diagnostics_json"].empty());
}

TEST_F(GovernKernel, ASetInsertDropsThePeerAtOnceWithoutASwap) {
  open_default();
  const uint32_t prog = status().prog_id;
  ASSERT_EQ(pings(), 3);
  gv::SubmitResult r = submit(insert_proposal("det-1", {"192.0.2.2"}));
  ASSERT_TRUE(r.verdict.accepted) << r.verdict.message;
  ASSERT_TRUE(r.applied) << r.error;
  ASSERT_EQ(r.inserted.size(), 1u);
  EXPECT_EQ(r.inserted[0].value, "192.0.2.2");
  EXPECT_NE(r.inserted[0].expires_ns, 0u);
  // The very next ping is dropped: the map was updated when submit()
  // returned (docs/performance.md has the time it takes).
  EXPECT_EQ(pings(3, "", "0.01"), 0);
  pp::TargetStatus s = status();
  EXPECT_EQ(s.prog_id, prog); // no swap
  EXPECT_GE(rule(s, "drop_blocked")->counts.packets, 3u);
  std::vector<json> applied = audit("applied");
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0]["proposal_id"], "det-1");
  EXPECT_EQ(applied[0]["set_insert"]["added"][0]["value"], "192.0.2.2");
  ASSERT_EQ(audit("proposal").size(), 1u);
  EXPECT_EQ(audit("proposal")[0]["proposal"]["kind"], "set_insert");
}

TEST_F(GovernKernel, ARuleDropsWhatItNamesAndProtectedTrafficPasses) {
  // A second source on the peer, a management address.
  ASSERT_EQ(
      pair_->run_in_peer("ip addr add 192.0.2.3/24 dev " + pair_->peer_ifname())
          .exit_code,
      0);
  gv::LifecycleOptions o = options();
  o.governor.management = {"192.0.2.3"};
  lc_ = open(o);
  ASSERT_NE(lc_, nullptr);
  ASSERT_EQ(pings(3, "192.0.2.3"), 3);
  // A rate limit on echo requests toward this host: every source may
  // send them, so the governor keeps it off the management address.
  gv::SubmitResult r = submit(
      rule_proposal("det-rate", "  rule detector_icmp_rate_1: icmp.type == "
                                "echo_request and rate(ip.dst) > 2/s => "
                                "drop ttl 10m"));
  ASSERT_TRUE(r.applied) << r.verdict.message << r.verdict.diagnostics_text
                         << r.error;
  ASSERT_EQ(r.verdict.rules.size(), 1u);
  EXPECT_TRUE(r.verdict.rules[0].exempt);
  EXPECT_NE(r.replaced_prog_id, r.prog_id);
  // 20 pings at 100/s: the bucket's 2 (burst 2) then drops, from .2 ...
  EXPECT_LE(pings(20, "192.0.2.2", "0.01"), 4);
  // ... never from the management address.
  EXPECT_EQ(pings(20, "192.0.2.3", "0.01"), 20);
  // A rule naming the peer: its pings go, the management address's stay.
  r = submit(rule_proposal("det-2", kPingRule));
  ASSERT_TRUE(r.applied) << r.verdict.message << r.error;
  EXPECT_FALSE(r.verdict.rules[0].exempt);
  EXPECT_EQ(pings(3, "192.0.2.2"), 0);
  EXPECT_EQ(pings(5, "192.0.2.3", "0.5"), 5);
  pp::TargetStatus s = status();
  ASSERT_NE(rule(s, "detector_icmp_1"), nullptr);
  EXPECT_EQ(rule(s, "detector_icmp_1")->origin, "detector");
  EXPECT_EQ(rule(s, "detector_icmp_rate_1")->origin, "detector");
  EXPECT_EQ(rule(s, "management")->origin, "operator");
  // The three pings from .2: over the rate (the rate rule) or not (the
  // rule naming the peer).
  EXPECT_GE(rule(s, "detector_icmp_1")->counts.packets +
                rule(s, "detector_icmp_rate_1")->counts.packets,
            3u + 16u);
  // Generated rules come first, in acceptance order.
  EXPECT_EQ(s.rules[0].name, "detector_icmp_rate_1");
  EXPECT_EQ(s.rules[1].name, "detector_icmp_1");
  EXPECT_EQ(s.rules[2].name, "management");
  // The store has both, with their proposals.
  auto store = gv::read_store(store_path());
  ASSERT_TRUE(store.ok());
  ASSERT_EQ(store->rules.size(), 2u);
  EXPECT_EQ(store->rules[1].proposal_id, "det-2");
}

TEST_F(GovernKernel, ARefusedProposalChangesNothing) {
  open_default();
  ASSERT_TRUE(submit(insert_proposal("det-1", {"198.51.100.9"})).applied);
  ASSERT_EQ(pings(), 3);
  const pp::TargetStatus before = status();
  auto list_before = [&]() {
    ScopedNetns in(pair_->ns());
    return pp::set_list(layout_, target(), "blocked");
  };
  const size_t entries = list_before()->entries.size();
  // Hostile proposals: each refused with its reason.
  struct Case {
    an::Proposal p;
    const char *reason;
  };
  std::vector<Case> cases = {
      {rule_proposal("bad-1", "  rule detector_all_1: true => drop ttl 1m"),
       "touches_protected"},
      {rule_proposal("bad-2", "  rule detector_icmp_1: icmp.type == "
                              "echo_request => drop ttl 1m"),
       "whole_protocol"},
      {rule_proposal("bad-3", "  rule detector_x_1: ip.src == 192.0.2.2 and "
                              "udp.dport == 53 => pass ttl 1m"),
       "pass_refused"},
      {rule_proposal("bad-4", "  rule detector_x_1: ip.src == 192.0.2.2 and "
                              "udp.dport == 53 => drop"),
       "no_ttl"},
      {insert_proposal("bad-5", {"192.0.2.1"}), "touches_protected"},
      {insert_proposal("bad-6", {"not-an-address"}), "bad_value"}};
  cases[5].p.insert.values = {"300.1.1.1"};
  an::Proposal c_code;
  c_code = rule_proposal("bad-7", "");
  c_code.psl = "int main() { return 0; }";
  cases.push_back({c_code, "not_psl"});
  an::Proposal huge = rule_proposal("bad-8", std::string(3 << 20, '#'));
  cases.push_back({huge, "too_large"});
  for (const Case &c : cases) {
    gv::SubmitResult r = submit(c.p);
    EXPECT_FALSE(r.verdict.accepted) << c.p.id;
    EXPECT_FALSE(r.applied);
    EXPECT_STREQ(gv::reason_code(r.verdict.reason), c.reason)
        << c.p.id << ": " << r.verdict.message;
  }
  // Nothing moved: the program, the counters, the set.
  const pp::TargetStatus after = status();
  EXPECT_EQ(after.prog_id, before.prog_id);
  EXPECT_EQ(after.link_id, before.link_id);
  ASSERT_EQ(after.rules.size(), before.rules.size());
  for (size_t i = 0; i < after.rules.size(); ++i) {
    EXPECT_EQ(after.rules[i].name, before.rules[i].name);
    EXPECT_EQ(after.rules[i].counts, before.rules[i].counts)
        << after.rules[i].name;
  }
  EXPECT_EQ(list_before()->entries.size(), entries);
  EXPECT_TRUE(lc_->generated().empty());
  // Every one in the audit log with its reason.
  gv::AuditFilter f;
  f.verdict = "refused";
  auto refused = audit_->read(f);
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ((*refused)[i]["proposal_id"], cases[i].p.id);
    EXPECT_EQ((*refused)[i]["verdict"]["reason"], cases[i].reason);
    EXPECT_EQ((*refused)[i]["origin"], "detector");
  }
  EXPECT_TRUE(audit("applied").size() == 1u); // the first insert only
  // The megabytes are not in the log: cut at the cap, with their size.
  std::vector<json> proposals = audit("proposal");
  ASSERT_EQ(proposals.back()["proposal_id"], "bad-8");
  EXPECT_EQ(proposals.back()["proposal"]["psl"].get<std::string>().size(),
            65536u);
  EXPECT_EQ(proposals.back()["proposal"]["psl_bytes"], huge.psl.size());
  EXPECT_EQ(pings(), 3);
}

TEST_F(GovernKernel, ExpiryRemovesAGeneratedRuleAndThePacketsPassAgain) {
  open_default();
  gv::SubmitResult r =
      submit(rule_proposal("det-ttl", "  rule detector_icmp_1: ip.src == "
                                      "192.0.2.2 and icmp.type == "
                                      "echo_request => drop ttl 2s"));
  ASSERT_TRUE(r.applied) << r.verdict.message << r.error;
  EXPECT_EQ(pings(), 0);
  auto t = tick();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_FALSE(t->swapped); // not yet
  // Status says when it runs out; wait for it.
  const pp::RuleStatus *rs = rule(status(), "detector_icmp_1");
  ASSERT_NE(rs, nullptr);
  ASSERT_NE(rs->expires_unix_ns, 0u);
  while (pp::unix_now_ns() < rs->expires_unix_ns + 50000000ull)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  t = tick();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(t->swapped);
  EXPECT_EQ(t->expired, std::vector<std::string>{"detector_icmp_1"});
  EXPECT_EQ(pings(), 3);
  pp::TargetStatus s = status();
  EXPECT_EQ(rule(s, "detector_icmp_1"), nullptr);
  EXPECT_EQ(s.expired_rules, std::vector<std::string>{"detector_icmp_1"});
  EXPECT_TRUE(lc_->generated().empty());
  EXPECT_TRUE(gv::read_store(store_path())->rules.empty());
  std::vector<json> expired = audit("expired");
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]["rule"], "detector_icmp_1");
  EXPECT_EQ(expired[0]["proposal_id"], "det-ttl");
}

TEST_F(GovernKernel, AShadowRuleCountsThenIsEnforced) {
  gv::LifecycleOptions o = options();
  o.governor.detector_shadow_ns = 1000000000ull; // 1 s
  lc_ = open(o);
  ASSERT_NE(lc_, nullptr);
  // Three pings in a shadow period of 1.1 s or more (a loaded machine
  // stretches it): 2.7 per second at most. Citing 1.2 per second keeps
  // them within 0.1 to 3 times the cited rate for periods up to 25 s.
  gv::SubmitResult r = submit(citing(
      rule_proposal("det-shadow",
                    std::string(kPingRule) +
                        "\n  rule detector_idle_1: ip.src == 198.51.100.77 "
                        "and icmp.type == echo_request => drop ttl 10m"),
      1.2));
  ASSERT_TRUE(r.applied) << r.verdict.message << r.error;
  EXPECT_EQ(r.verdict.rules[0].mode, gv::RuleMode::Shadow);
  // Counted, not enforced.
  EXPECT_EQ(pings(), 3);
  pp::TargetStatus s = status();
  ASSERT_NE(rule(s, "detector_icmp_1"), nullptr);
  EXPECT_TRUE(rule(s, "detector_icmp_1")->shadow);
  EXPECT_GE(rule(s, "detector_icmp_1")->counts.shadow_packets, 3u);
  // Before the period is over nothing changes.
  auto t = tick();
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->swapped);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  t = tick();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(t->swapped);
  EXPECT_EQ(t->enforced, std::vector<std::string>{"detector_icmp_1"})
      << json(audit("shadow_dropped")).dump();
  EXPECT_EQ(t->shadow_dropped, std::vector<std::string>{"detector_idle_1"});
  EXPECT_EQ(pings(), 0);
  s = status();
  EXPECT_FALSE(rule(s, "detector_icmp_1")->shadow);
  EXPECT_EQ(rule(s, "detector_idle_1"), nullptr);
  // Its counts carried over by name.
  EXPECT_GE(rule(s, "detector_icmp_1")->counts.shadow_packets, 3u);
  EXPECT_GE(rule(s, "detector_icmp_1")->counts.packets, 3u);
  ASSERT_EQ(lc_->generated().size(), 1u);
  EXPECT_EQ(lc_->generated()[0].mode, gv::RuleMode::Enforce);
  ASSERT_EQ(audit("enforced").size(), 1u);
  EXPECT_GE(audit("enforced")[0]["shadow_packets"].get<int>(), 3);
  EXPECT_EQ(audit("enforced")[0]["cited_pps"], 1.2);
  ASSERT_EQ(audit("shadow_dropped").size(), 1u);
  EXPECT_EQ(audit("shadow_dropped")[0]["why"],
            "it matched nothing in its shadow period");
}

// The same pings in shadow under four proposals: one cites about what
// they are, one far less, one far more, one nothing. Only the first is
// enforced; the others are dropped, each record saying why. (Three pings
// over a shadow period of 1.1 to 25 s: 0.12 to 2.7 per second.)
TEST_F(GovernKernel, AShadowRuleIsEnforcedOnlyWhenItsHitsMatchItsEvidence) {
  gv::LifecycleOptions o = options();
  o.governor.detector_shadow_ns = 1000000000ull; // 1 s
  lc_ = open(o);
  ASSERT_NE(lc_, nullptr);
  auto ping_rule = [](int n) {
    return "  rule detector_icmp_" + std::to_string(n) +
           ": ip.src == 192.0.2.2 and icmp.type == echo_request and ip.ttl > " +
           std::to_string(n) + " => drop ttl 10m";
  };
  ASSERT_TRUE(
      submit(citing(rule_proposal("det-match", ping_rule(1)), 1.2)).applied);
  ASSERT_TRUE(
      submit(citing(rule_proposal("det-less", ping_rule(2)), 0.02)).applied);
  ASSERT_TRUE(
      submit(citing(rule_proposal("det-more", ping_rule(3)), 1000)).applied);
  ASSERT_TRUE(submit(rule_proposal("det-none", ping_rule(4))).applied);
  for (const gv::GeneratedRule &g : lc_->generated())
    EXPECT_EQ(g.mode, gv::RuleMode::Shadow) << g.name;
  EXPECT_EQ(pings(), 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto t = tick();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(t->swapped);
  EXPECT_EQ(t->enforced, std::vector<std::string>{"detector_icmp_1"})
      << json(audit("shadow_dropped")).dump();
  EXPECT_EQ(t->shadow_dropped,
            (std::vector<std::string>{"detector_icmp_2", "detector_icmp_3",
                                      "detector_icmp_4"}));
  EXPECT_EQ(pings(), 0);
  ASSERT_EQ(lc_->generated().size(), 1u);
  EXPECT_EQ(lc_->generated()[0].name, "detector_icmp_1");
  std::map<std::string, json> why;
  for (const json &r : audit("shadow_dropped"))
    why[r["proposal_id"].get<std::string>()] = r;
  ASSERT_EQ(why.size(), 3u);
  EXPECT_NE(why["det-less"]["why"].get<std::string>().find(
                "it reaches traffic its evidence does not show"),
            std::string::npos)
      << why["det-less"].dump();
  EXPECT_GT(why["det-less"]["ratio"].get<double>(), 3);
  EXPECT_NE(why["det-more"]["why"].get<std::string>().find(
                "it does not catch the traffic it was proposed for"),
            std::string::npos)
      << why["det-more"].dump();
  EXPECT_LT(why["det-more"]["ratio"].get<double>(), 0.1);
  EXPECT_NE(
      why["det-none"]["why"].get<std::string>().find("cites no packet rate"),
      std::string::npos)
      << why["det-none"].dump();
  EXPECT_TRUE(why["det-none"]["cited_pps"].is_null());
  for (auto &[id, r] : why)
    EXPECT_GE(r["shadow_packets"].get<int>(), 3) << id;
}

TEST_F(GovernKernel, WithdrawAndANewOperatorPolicy) {
  open_default();
  ASSERT_TRUE(submit(rule_proposal("det-1", kPingRule)).applied);
  ASSERT_TRUE(submit(rule_proposal("det-2", "  rule detector_udp_1: ip.src == "
                                            "198.51.100.7 and udp.dport == 53 "
                                            "=> drop ttl 10m"))
                  .applied);
  EXPECT_EQ(pings(), 0);
  // Operator rules are not withdrawn here.
  {
    ScopedNetns in(pair_->ns());
    auto w = lc_->withdraw("drop_blocked");
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.error().code, ENOENT);
    w = lc_->withdraw("detector_icmp_1");
    ASSERT_TRUE(w.ok()) << w.error().message;
  }
  EXPECT_EQ(pings(), 3);
  ASSERT_EQ(audit("withdrawn").size(), 1u);
  EXPECT_EQ(audit("withdrawn")[0]["rule"], "detector_icmp_1");
  // A new operator policy that protects 198.51.100.0/24: the rule on
  // 198.51.100.7 is dropped with a record; a reserved name is refused.
  gv::OperatorResult res;
  {
    ScopedNetns in(pair_->ns());
    res = lc_->replace_operator(
        "/etc/psd/edge.psl", std::string(kOperator).replace(
                                 std::string(kOperator).find("  protect tcp"),
                                 0, "  protect ip.src in 198.51.100.0/24\n") +
                                 "");
  }
  ASSERT_TRUE(res.loaded) << res.message << res.diagnostics.text;
  EXPECT_EQ(res.dropped, std::vector<std::string>{"detector_udp_1"});
  EXPECT_TRUE(lc_->generated().empty());
  EXPECT_EQ(rule(status(), "detector_udp_1"), nullptr);
  std::vector<json> dropped = audit("dropped");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_NE(dropped[0]["why"].get<std::string>().find("touches_protected"),
            std::string::npos);
  {
    ScopedNetns in(pair_->ns());
    res = lc_->replace_operator("/etc/psd/edge.psl",
                                "policy edge {\n  rule llm_mine: ip.src == "
                                "1.2.3.4 => drop\n}\n");
  }
  EXPECT_FALSE(res.loaded);
  EXPECT_NE(res.message.find("reserved for generated rules"),
            std::string::npos);
  // The same text again: no swap.
  const uint32_t prog = status().prog_id;
  {
    ScopedNetns in(pair_->ns());
    res = lc_->replace_operator("/etc/psd/edge.psl", kOperator);
    ASSERT_TRUE(res.loaded);
    EXPECT_FALSE(res.unchanged); // the protect went again: a new program
    res = lc_->replace_operator("/etc/psd/edge.psl", kOperator);
    ASSERT_TRUE(res.loaded);
    EXPECT_TRUE(res.unchanged);
  }
  EXPECT_NE(status().prog_id, prog);
}

TEST_F(GovernKernel, RestartAdoptsWithNoSwapAndNoGap) {
  open_default();
  ASSERT_TRUE(submit(rule_proposal("det-1", kPingRule)).applied);
  const uint32_t prog = status().prog_id;
  // Pings every 10 ms for 3 s while the lifecycle goes away and another
  // takes over: not one answer.
  std::atomic<int> answered{-2};
  std::thread pinger([&] { answered = pings(300, "", "0.01"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  lc_.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  lc_ = open(options());
  ASSERT_NE(lc_, nullptr);
  pinger.join();
  EXPECT_EQ(answered.load(), 0);
  EXPECT_EQ(status().prog_id, prog); // adopted, not swapped
  EXPECT_EQ(lc_->prog_id(), prog);
  ASSERT_EQ(lc_->generated().size(), 1u);
  EXPECT_EQ(lc_->generated()[0].proposal_id, "det-1");
  ASSERT_EQ(audit("adopted").size(), 1u);
  EXPECT_EQ(audit("adopted")[0]["prog_id"], prog);
  // And it goes on governing: expiry, withdraw, proposals.
  ASSERT_TRUE(submit(insert_proposal("det-2", {"198.51.100.3"})).applied);
}

TEST_F(GovernKernel, AnotherExpiryAndOriginsThroughIt) {
  // psd's plain expiry (runtime/policy) run by someone else: the rules it
  // keeps keep their origins, and the lifecycle takes the change in.
  open_default();
  ASSERT_TRUE(submit(rule_proposal("det-1", kPingRule)).applied);
  ASSERT_TRUE(submit(rule_proposal("det-2", "  rule detector_short_1: "
                                            "ip.src == 198.51.100.7 and "
                                            "udp.dport == 53 => drop ttl 1s"))
                  .applied);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  {
    ScopedNetns in(pair_->ns());
    auto e = pp::enforce_rule_expiry(layout_, target(), pp::boottime_now_ns());
    ASSERT_TRUE(e.ok()) << e.error().message;
    ASSERT_EQ(e->removed.size(), 1u);
  }
  pp::TargetStatus s = status();
  ASSERT_NE(rule(s, "detector_icmp_1"), nullptr);
  EXPECT_EQ(rule(s, "detector_icmp_1")->origin, "detector");
  EXPECT_EQ(rule(s, "management")->origin, "operator");
  auto t = tick();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->gone, std::vector<std::string>{"detector_short_1"});
  EXPECT_FALSE(t->swapped);
  ASSERT_EQ(lc_->generated().size(), 1u);
  EXPECT_EQ(audit("expired").size(), 1u);
  // psc status shows where each rule came from.
  const std::string env = "PSC_PIN_ROOT=" + layout_.pin_root +
                          " PSC_STATE_DIR=" + layout_.state_root + " ";
  const std::string psc = std::string("nsenter --net=/var/run/netns/") +
                          pair_->ns() + " env " + env + PSC_BINARY +
                          " status --dev " + pair_->ifname();
  auto text = run_command(psc);
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("[detector]"), std::string::npos) << text.output;
  auto js = run_command(psc + " --format json");
  json j = json::parse(js.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << js.output;
  EXPECT_EQ(j["rules"][0]["name"], "detector_icmp_1");
  EXPECT_EQ(j["rules"][0]["origin"], "detector");
  EXPECT_EQ(j["rules"][1]["origin"], "operator");
}

TEST_F(GovernKernel, DiscoveryFindsTheGatewayAndTheHostInTheNamespace) {
  ASSERT_EQ(run_command("ip -n " + pair_->ns() + " route add default via " +
                        VethPair::peer_address())
                .exit_code,
            0);
  {
    ScopedNetns in(pair_->ns());
    gv::NetnsAddressSource src;
    auto h = src.discover();
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(h->gateways, std::vector<std::string>{"192.0.2.2"});
    EXPECT_NE(std::find(h->addresses.begin(), h->addresses.end(), "192.0.2.1"),
              h->addresses.end());
    EXPECT_EQ(std::find(h->addresses.begin(), h->addresses.end(), "192.0.2.2"),
              h->addresses.end());
  }
  // The peer is now the gateway: never blocked.
  open_default();
  gv::SubmitResult r = submit(insert_proposal("det-gw", {"192.0.2.2"}));
  EXPECT_FALSE(r.verdict.accepted);
  EXPECT_STREQ(gv::reason_code(r.verdict.reason), "touches_protected");
  EXPECT_EQ(pings(), 3);
}

TEST_F(GovernKernel, ANewGatewayIsNeverDroppedAfterTheNextTick) {
  gv::LifecycleOptions o = options();
  o.address_refresh = std::chrono::milliseconds(0);
  lc_ = open(o);
  ASSERT_NE(lc_, nullptr);
  ASSERT_TRUE(submit(rule_proposal("det-1", kPingRule)).applied);
  ASSERT_EQ(pings(), 0);
  auto t = tick();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_FALSE(t->swapped); // nothing changed
  // The peer becomes this host's default gateway: protected from now on.
  ASSERT_EQ(run_command("ip -n " + pair_->ns() + " route add default via " +
                        VethPair::peer_address())
                .exit_code,
            0);
  t = tick();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(t->swapped);
  EXPECT_EQ(t->dropped, std::vector<std::string>{"detector_icmp_1"});
  EXPECT_EQ(pings(), 3);
  EXPECT_TRUE(lc_->generated().empty());
  std::vector<json> dropped = audit("dropped");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_NE(dropped[0]["why"].get<std::string>().find(
                "the protected addresses changed: touches_protected"),
            std::string::npos)
      << dropped[0].dump();
  t = tick();
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->swapped); // and settled
}

// A process applying a proposal is killed (-9) at each step of the swap.
class GovernKill : public GovernKernel,
                   public ::testing::WithParamInterface<const char *> {};

TEST_P(GovernKill, MidSwapLeavesOneConsistentProgramThatIsAdopted) {
  const std::string step = GetParam();
  open_default();
  ASSERT_TRUE(submit(insert_proposal("det-0", {"198.51.100.3"})).applied);
  lc_.reset();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ScopedNetns in(pair_->ns());
    gv::LifecycleOptions o = options();
    o.on_step = [&](std::string_view s) {
      if (s == step)
        ::raise(SIGSTOP);
    };
    auto lc = gv::Lifecycle::open(o, "/etc/psd/edge.psl", kOperator);
    if (!lc)
      ::_exit(3);
    (void)(*lc)->submit(rule_proposal("det-1", kPingRule));
    ::_exit(4); // not reached: stopped, then killed
  }
  int st = 0;
  ASSERT_EQ(::waitpid(child, &st, WUNTRACED), child);
  ASSERT_TRUE(WIFSTOPPED(st)) << "child exited with " << WEXITSTATUS(st);
  ::kill(child, SIGKILL);
  ASSERT_EQ(::waitpid(child, &st, 0), child);

  // One program attached, with its complete state.
  pp::TargetStatus s = status();
  ASSERT_TRUE(s.attached);
  ASSERT_TRUE(s.has_state) << s.state_problem;
  const bool switched = step == "switched";
  EXPECT_EQ(rule(s, "detector_icmp_1") != nullptr, switched);
  // The next lifecycle adopts it: the same program, the store agreeing.
  lc_ = open(options());
  ASSERT_NE(lc_, nullptr);
  pp::TargetStatus after = status();
  EXPECT_EQ(after.prog_id, s.prog_id);
  EXPECT_EQ(after.problems, std::vector<std::string>{});
  {
    ScopedNetns in(pair_->ns());
    EXPECT_EQ(pp::program_dirs(layout_, target()),
              std::vector<uint32_t>{after.prog_id});
  }
  EXPECT_EQ(lc_->generated().size(), switched ? 1u : 0u);
  EXPECT_EQ(pings(), switched ? 0 : 3);
  // The set insert made before is still there.
  {
    ScopedNetns in(pair_->ns());
    auto l = pp::set_list(layout_, target(), "blocked");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->entries.size(), 1u);
  }
  if (!switched) {
    // The rule that was not put in force left the store, with a record.
    std::vector<json> dropped = audit("dropped");
    ASSERT_EQ(dropped.size(), 1u);
    EXPECT_EQ(dropped[0]["rule"], "detector_icmp_1");
  }
  // The child adopted the program first; this lifecycle adopted the one
  // the child left.
  std::vector<json> adopted = audit("adopted");
  ASSERT_EQ(adopted.size(), 2u);
  EXPECT_EQ(adopted[1]["prog_id"], after.prog_id);
}

INSTANTIATE_TEST_SUITE_P(Steps, GovernKill,
                         ::testing::Values("loaded", "state-written",
                                           "switched"));

} // namespace
