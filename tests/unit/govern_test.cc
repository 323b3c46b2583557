// The governor without a kernel: every check of a proposal on real PSL
// through the real frontend, hostile proposals included, and the composed
// policy round-tripped through the checker, the build and the reference
// interpreter. (The other parts: govern_parts_test.cc.)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "ast/value.h"
#include "driver.h"
#include "frontend/literals.h"
#include "govern/audit_log.h"
#include "govern/compose.h"
#include "govern/generated_rule.h"
#include "govern/governor.h"
#include "govern/insert_bucket.h"
#include "govern/operator_policy.h"
#include "govern/protected_addresses.h"
#include "govern/rule_shape.h"
#include "interp/interpreter.h"
#include "interp/packet_builder.h"
#include "policy/files.h"

#include "govern_test_util.h"

namespace {

namespace gv = psr::govern;
namespace an = psr::analyze;
using govern_test::kOperator;
using govern_test::make_rule;
using gv::Reason;

std::string policy_of(const std::string &body) {
  return "policy proposal {\n" + body + "\n}\n";
}

an::Proposal rules_proposal(const std::string &body,
                            an::Origin origin = an::Origin::Detector) {
  an::Proposal p;
  p.id = "test-1";
  p.origin = origin;
  p.kind = an::Proposal::Kind::Policy;
  p.psl = policy_of(body);
  p.policy_name = "proposal";
  return p;
}

an::Proposal insert_proposal(const std::string &set,
                             std::vector<std::string> values,
                             uint64_t ttl_ms = 60000) {
  an::Proposal p;
  p.id = "test-ins";
  p.origin = an::Origin::Detector;
  p.kind = an::Proposal::Kind::SetInsert;
  p.insert.set = set;
  p.insert.values = std::move(values);
  p.insert.ttl_ms = ttl_ms;
  return p;
}

class Governor : public ::testing::Test {
protected:
  void SetUp() override {
    gv::OperatorLoad load = gv::load_operator_policy("edge.psl", kOperator);
    ASSERT_TRUE(load.policy) << load.message << load.diagnostics.text;
    op_ = load.policy;
    protect_.management = {"10.9.0.0/16"};
    protect_.host.gateways = {"192.0.2.254"};
    protect_.host.addresses = {"192.0.2.1", "2001:db8::1"};
    ctx_.op = op_.get();
    ctx_.generated = &in_force_;
    ctx_.protect = &protect_;
    ctx_.inserts = &bucket_;
    ctx_.now_ns = 1000000000ull;
    ctx_.boot_now_ns = 5000000000ull;
    ctx_.now_unix_ms = 1700000000000;
    ctx_.build = false; // the composition is checked; builds are below
  }

  // An operator policy that protects addresses only (the shape tests: any
  // broad drop would touch kOperator's SSH protect first).
  void use_operator(const char *text) {
    gv::OperatorLoad load = gv::load_operator_policy("other.psl", text);
    ASSERT_TRUE(load.policy) << load.message << load.diagnostics.text;
    op_ = load.policy;
    ctx_.op = op_.get();
  }
  // No protect at all: the shape rules alone.
  void use_no_protects() {
    use_operator("policy plain {\n  default pass\n}\n");
    ctx_.protect = nullptr;
  }
  void use_address_protects_only() {
    use_operator("policy plain {\n  const trusted = { 198.51.100.240/28 }\n"
                 "  protect ip.src in trusted\n  default pass\n}\n");
  }

  gv::Verdict review(const an::Proposal &p) { return gv::review(p, ctx_); }
  gv::Verdict review_rules(const std::string &body,
                           an::Origin o = an::Origin::Detector) {
    return review(rules_proposal(body, o));
  }

  std::shared_ptr<const gv::OperatorPolicy> op_;
  gv::ProtectedAddresses protect_;
  std::vector<gv::GeneratedRule> in_force_;
  gv::InsertBucket bucket_{100, 100};
  gv::GovernorContext ctx_;
};

::testing::AssertionResult refused(const gv::Verdict &v, Reason code) {
  if (v.accepted)
    return ::testing::AssertionFailure() << "accepted: " << v.message;
  if (v.reason != code)
    return ::testing::AssertionFailure()
           << "refused with " << gv::reason_code(v.reason) << ", not "
           << gv::reason_code(code) << ": " << v.message << "\n"
           << v.diagnostics_text;
  return ::testing::AssertionSuccess();
}
#define EXPECT_REFUSED(verdict, code) EXPECT_TRUE(refused((verdict), (code)))

// ---------------------------------------------------------------- accepted

TEST_F(Governor, ANarrowDropWithATtlIsAccepted) {
  gv::Verdict v =
      review_rules("  rule detector_icmp_flood_1: ip.src == 203.0.113.7 and "
                   "icmp.type == echo_request => drop ttl 10m");
  ASSERT_TRUE(v.accepted) << v.message << v.diagnostics_text;
  EXPECT_EQ(v.reason, Reason::None);
  ASSERT_EQ(v.rules.size(), 1u);
  const gv::GeneratedRule &r = v.rules[0];
  EXPECT_EQ(r.name, "detector_icmp_flood_1");
  EXPECT_EQ(r.action, "drop");
  EXPECT_EQ(r.ttl_ns, 600000000000ull);
  EXPECT_EQ(r.mode, gv::RuleMode::Enforce);
  EXPECT_EQ(r.proposal_id, "test-1");
  EXPECT_EQ(r.accepted_unix_ms, 1700000000000);
  EXPECT_FALSE(r.exempt);
  EXPECT_EQ(r.text(), "rule detector_icmp_flood_1: ip.src == 203.0.113.7 and "
                      "icmp.type == echo_request => drop ttl 10m");
  // Composed before the operator's first rule (and its comment).
  const size_t gen = v.composed_text.find("rule detector_icmp_flood_1");
  const size_t first = v.composed_text.find("  # SSH first.");
  ASSERT_NE(gen, std::string::npos);
  EXPECT_LT(gen, first);
  EXPECT_LT(v.composed_text.find("set forever"), gen);
  EXPECT_EQ(v.message, "accepted 1 rule");
  EXPECT_EQ(gv::verdict_json(v)["reason"], nullptr);
}

TEST_F(Governor, ARateLimitOnAWholeProtocolIsAccepted) {
  // Many spoofed sources: a rate toward the victim port, no addresses.
  gv::Verdict v = review_rules(
      "  rule detector_syn_flood_1: tcp.dport == 443 and tcp.syn and "
      "rate(tcp.dport) > 2000/s => drop ttl 5m\n"
      "  rule detector_icmp_rate_1: icmp.type == echo_request and "
      "rate(ip.src) > 100/s => drop ttl 5m");
  EXPECT_TRUE(v.accepted) << v.message << v.diagnostics_text;
  EXPECT_EQ(v.rules.size(), 2u);
}

TEST_F(Governor, ConstantsComeAlongWithTheRulesThatUseThem) {
  gv::Verdict v = review_rules(
      "  const detector_unused = { 1.2.3.4 }\n"
      "  const reflectors = { 203.0.113.0/26, amplifiers }\n"
      "  const amplifiers = 203.0.113.128/26\n"
      "  rule detector_udp_reflection_1: ip.src in reflectors and udp.sport "
      "in { 53, 123, 11211 } => drop ttl 10m\n"
      "  rule detector_count_1: ip.src == 198.51.100.9 => count ttl 1m");
  ASSERT_TRUE(v.accepted) << v.message << v.diagnostics_text;
  ASSERT_EQ(v.rules.size(), 2u);
  ASSERT_EQ(v.rules[0].consts.size(), 2u);
  // In the proposal's order, which the checker allows in any.
  EXPECT_EQ(v.rules[0].consts[0].name, "reflectors");
  EXPECT_EQ(v.rules[0].consts[1].text, "const amplifiers = 203.0.113.128/26");
  EXPECT_TRUE(v.rules[1].consts.empty());
  EXPECT_EQ(v.rules[1].action, "count");
  EXPECT_EQ(v.composed_text.find("detector_unused"), std::string::npos);
}

TEST_F(Governor, WithAShadowPeriodDropsGoInAsShadow) {
  ctx_.options.llm_shadow_ns = 60000000000ull;
  gv::Verdict v = review_rules("  rule llm_scan_1: ip.src == 203.0.113.7 and "
                               "udp.dport == 53 => drop ttl 10m\n"
                               "  rule llm_watch_1: ip.src == 203.0.113.8 and "
                               "udp.dport == 53 => count ttl 10m",
                               an::Origin::Llm);
  ASSERT_TRUE(v.accepted) << v.message;
  EXPECT_EQ(v.rules[0].mode, gv::RuleMode::Shadow);
  EXPECT_EQ(v.rules[0].shadow_since_ns, 5000000000ull);
  EXPECT_EQ(v.rules[0].shadow_period_ns, 60000000000ull);
  EXPECT_EQ(v.rules[1].mode, gv::RuleMode::Enforce); // counts anyway
  EXPECT_NE(v.composed_text.find("=> drop ttl 10m shadow"), std::string::npos);
  EXPECT_EQ(v.message, "accepted 2 rules (1 drop in shadow for 1m)");
  EXPECT_EQ(v.mode, gv::RuleMode::Shadow);
  EXPECT_EQ(gv::verdict_json(v)["mode"], "shadow");
  // The detector has no shadow period here.
  EXPECT_EQ(review_rules("  rule detector_x_1: ip.src == 203.0.113.7 and "
                         "udp.dport == 53 => drop "
                         "ttl 10m")
                .rules[0]
                .mode,
            gv::RuleMode::Enforce);
}

TEST_F(Governor, AShadowWrittenInTheProposalIsNotKept) {
  gv::Verdict v = review_rules("  rule detector_x_1: ip.src == 203.0.113.7 and "
                               "udp.dport == 53 => drop shadow ttl 10m");
  ASSERT_TRUE(v.accepted) << v.message;
  EXPECT_EQ(v.rules[0].text(), "rule detector_x_1: ip.src == 203.0.113.7 and "
                               "udp.dport == 53 => drop ttl 10m");
  EXPECT_EQ(v.rules[0].mode, gv::RuleMode::Enforce);
}

// ------------------------------------------------------- (a) size caps

TEST_F(Governor, FiftyThousandRulesAreRefusedBeforeParsing) {
  std::string body;
  for (int i = 0; i < 50000; ++i)
    body += "  rule detector_x_" + std::to_string(i) + ": ip.src == 10.1." +
            std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) +
            " => drop ttl 1m\n";
  an::Proposal p = rules_proposal(body);
  EXPECT_REFUSED(review(p), Reason::TooLarge); // bytes
  ctx_.options.max_proposal_bytes = 64 << 20;
  gv::Verdict v = review(p);
  EXPECT_REFUSED(v, Reason::TooLarge); // rules, counted before parsing
  EXPECT_EQ(v.message, "the proposal has more than 16 rules, the most one "
                       "proposal may have");
}

TEST_F(Governor, MegabytesAreRefused) {
  an::Proposal p = rules_proposal(std::string(3 << 20, '#'));
  gv::Verdict v = review(p);
  EXPECT_REFUSED(v, Reason::TooLarge);
  EXPECT_NE(v.message.find("more than the 65536"), std::string::npos);
}

TEST_F(Governor, RulesInCommentsAndStringsAreNotCounted) {
  ctx_.options.max_rules_per_proposal = 1;
  gv::Verdict v = review_rules(
      "  # rule rule rule\n"
      "  rule detector_x_1: ip.src == 203.0.113.7 and udp.dport == 53 => "
      "drop ttl 1m # rule");
  EXPECT_TRUE(v.accepted) << v.message;
  EXPECT_REFUSED(
      review_rules(
          "  rule detector_x_1: ip.src == 203.0.113.7 and udp.dport == 53 => "
          "drop ttl 1m\n  rule detector_x_2: ip.src == "
          "203.0.113.8 => drop ttl 1m"),
      Reason::TooLarge);
}

TEST_F(Governor, EmptyProposalsAreRefused) {
  an::Proposal p = rules_proposal("");
  p.psl = "";
  EXPECT_REFUSED(review(p), Reason::Empty);
  p.psl = " \n\t\n";
  EXPECT_REFUSED(review(p), Reason::Empty);
  EXPECT_REFUSED(review_rules(""), Reason::Empty); // a policy with no rule
  EXPECT_REFUSED(review_rules("  const detector_a = 1"), Reason::Empty);
}

TEST_F(Governor, TooManyGeneratedRulesInForce) {
  ctx_.options.max_generated_rules = 1;
  gv::GeneratedRule g;
  g.name = "detector_old_1";
  g.condition = "ip.src == 198.51.100.1";
  g.action = "drop";
  g.ttl_text = "1m";
  in_force_.push_back(g);
  gv::Verdict v = review_rules("  rule detector_x_1: ip.src == 203.0.113.7 and "
                               "udp.dport == 53 => drop ttl 1m");
  EXPECT_REFUSED(v, Reason::TooLarge);
  EXPECT_NE(v.message.find("2 generated rules in force, more than the 1"),
            std::string::npos)
      << v.message;
}

// ------------------------------------------- (b) the frontend, --generated

TEST_F(Governor, CCodeIsNotPsl) {
  an::Proposal p = rules_proposal("");
  p.psl = "#include <linux/bpf.h>\nint xdp(struct xdp_md *ctx) { return "
          "XDP_DROP; }\n";
  gv::Verdict v = review(p);
  EXPECT_REFUSED(v, Reason::NotPsl);
  // The compiler's diagnostics, with carets, and as JSON.
  EXPECT_NE(v.diagnostics_text.find("proposal test-1:2:"), std::string::npos)
      << v.diagnostics_text;
  EXPECT_NE(v.diagnostics_text.find("^"), std::string::npos);
  ASSERT_TRUE(v.diagnostics_json.is_array());
  ASSERT_FALSE(v.diagnostics_json.empty());
  EXPECT_EQ(v.diagnostics_json[0]["severity"], "error");
  EXPECT_EQ(gv::verdict_json(v)["reason"], "not_psl");
}

TEST_F(Governor, ProseIsNotPsl) {
  an::Proposal p = rules_proposal("");
  p.psl = "I suggest blocking 203.0.113.7 for ten minutes.";
  EXPECT_REFUSED(review(p), Reason::NotPsl);
  p.psl = policy_of("  rule detector_a_1: ip.src == 203.0.113.7 and udp.dport "
                    "== 53 => drop ttl "
                    "10m") +
          policy_of("  rule detector_b_1: ip.src == 203.0.113.8 and udp.dport "
                    "== 53 => drop ttl "
                    "10m");
  EXPECT_REFUSED(review(p), Reason::NotPsl); // two policies
}

TEST_F(Governor, ADropWithoutTtlIsRefusedByTheCompiler) {
  gv::Verdict v = review_rules(
      "  rule detector_x_1: ip.src == 203.0.113.7 and udp.dport == 53 => drop");
  EXPECT_REFUSED(v, Reason::NoTtl);
  EXPECT_NE(v.diagnostics_text.find("error[E0402]"), std::string::npos)
      << v.diagnostics_text;
  // A count without ttl: the governor's own rule (it would never go).
  EXPECT_REFUSED(review_rules("  rule detector_x_1: ip.src == 203.0.113.7 and "
                              "udp.dport == 53 => count"),
                 Reason::NoTtl);
}

TEST_F(Governor, ADropOfAProtectedPrefixIsRefused) {
  // The management network of the configuration.
  gv::Verdict v =
      review_rules("  rule detector_x_1: ip.src in 10.9.3.0/24 and udp.dport "
                   "== 53 => drop ttl 1m");
  EXPECT_REFUSED(v, Reason::TouchesProtected);
  EXPECT_NE(v.diagnostics_text.find("error[E0401]"), std::string::npos)
      << v.diagnostics_text;
  EXPECT_NE(v.diagnostics_text.find("protect ip.src in { 10.9.0.0/16 }"),
            std::string::npos)
      << v.diagnostics_text;
  // A wider prefix that holds it.
  EXPECT_REFUSED(
      review_rules("  rule detector_x_1: ip.src in 10.0.0.0/8 => drop ttl 1m"),
      Reason::TouchesProtected);
  // The default gateway and the host's own addresses.
  EXPECT_REFUSED(review_rules("  rule detector_x_1: ip.src == 192.0.2.254 => "
                              "drop ttl 1m"),
                 Reason::TouchesProtected);
  EXPECT_REFUSED(review_rules("  rule detector_x_1: ip.src == 2001:db8::1 and "
                              "tcp.dport == 80 => drop ttl 1m"),
                 Reason::TouchesProtected);
  // The operator's protect: SSH, whoever sends it.
  v = review_rules("  rule detector_x_1: ip.src == 203.0.113.7 and tcp.dport "
                   "in { 22, 23 } => drop ttl 1m");
  EXPECT_REFUSED(v, Reason::TouchesProtected);
  EXPECT_NE(v.diagnostics_text.find("protect tcp.dport in mgmt_ports"),
            std::string::npos)
      << v.diagnostics_text;
  // Shadow or not: judged as it will be enforced.
  v = review_rules(
      "  rule detector_x_1: ip.src in 10.9.3.0/24 => drop ttl 1m shadow");
  EXPECT_REFUSED(v, Reason::TouchesProtected);
  EXPECT_NE(v.message.find("judged as enforced"), std::string::npos);
  // Narrowed around it: fine.
  v = review_rules("  rule detector_x_1: ip.src == 203.0.113.7 and tcp.dport "
                   "== 23 => drop ttl 1m");
  EXPECT_TRUE(v.accepted) << v.message << v.diagnostics_text;
}

TEST_F(Governor, RateLimitsAreKeptOffProtectedSources) {
  // Spoofed SYNs toward a port: every source may send them, the gateway,
  // the management network and the operator's trusted network too. The
  // rule is kept off them by construction, and the compiler proves it.
  gv::Verdict v = review_rules(
      "  rule detector_syn_flood_1: tcp.dport == 443 and tcp.syn and not "
      "tcp.ack and rate(ip.dst, tcp.dport) > 2000/s => drop ttl 5m");
  ASSERT_TRUE(v.accepted) << v.message << v.diagnostics_text;
  EXPECT_TRUE(v.rules[0].exempt);
  EXPECT_EQ(gv::exemption_clause(*op_, &protect_),
            "ip.src not in { 10.9.0.0/16, 192.0.2.1, 192.0.2.254, "
            "2001:db8::1 } and not (ip.src in trusted)");
  EXPECT_NE(v.composed_text.find(
                "  rule detector_syn_flood_1: ip.src not in { 10.9.0.0/16, "
                "192.0.2.1, 192.0.2.254, 2001:db8::1 } and not (ip.src in "
                "trusted) and (tcp.dport == 443 and tcp.syn and not tcp.ack "
                "and rate(ip.dst, tcp.dport) > 2000/s) => drop ttl 5m\n"),
            std::string::npos)
      << v.composed_text;
  // The store keeps the rule as proposed.
  EXPECT_EQ(v.rules[0].text(),
            "rule detector_syn_flood_1: tcp.dport == 443 and tcp.syn and not "
            "tcp.ack and rate(ip.dst, tcp.dport) > 2000/s => drop ttl 5m");
  // Still touching SSH, which is protected whoever sends it: refused.
  v = review_rules("  rule detector_syn_flood_1: tcp.syn and rate(ip.dst) > "
                   "2000/s => drop ttl 5m");
  EXPECT_REFUSED(v, Reason::TouchesProtected);
  EXPECT_NE(v.message.find("with the protected sources excluded"),
            std::string::npos)
      << v.message;
  // A rule that names its sources gets no exemption.
  EXPECT_REFUSED(review_rules("  rule detector_x_1: ip.src in 10.0.0.0/8 and "
                              "udp.dport == 53 => drop ttl 1m"),
                 Reason::TouchesProtected);
  // Nothing left but protected traffic: refused, not accepted as a no-op.
  use_operator("policy p {\n  protect ip.dst == 192.0.2.80\n}\n");
  v = review_rules("  rule detector_x_1: ip.dst == 192.0.2.80 and udp.dport "
                   "== 53 => drop ttl 1m");
  EXPECT_REFUSED(v, Reason::TouchesProtected);
  EXPECT_EQ(v.message, "rule 'detector_x_1' (line 2) drops nothing but "
                       "protected traffic");
}

TEST_F(Governor, AProposalStandsAlone) {
  // Naming the operator's constants or sets: an unknown name.
  gv::Verdict v = review_rules(
      "  rule detector_x_1: ip.src == 203.0.113.7 and tcp.dport in web => "
      "drop ttl 1m");
  EXPECT_REFUSED(v, Reason::CheckFailed);
  EXPECT_NE(v.message.find("never names the operator policy's"),
            std::string::npos)
      << v.message;
  EXPECT_REFUSED(review_rules("  rule detector_x_1: ip.src in blocked and "
                              "tcp.dport == 80 => drop ttl 1m"),
                 Reason::CheckFailed);
  // Type errors are check failures with the compiler's words.
  v = review_rules("  rule detector_x_1: ip.src == 22 => drop ttl 1m");
  EXPECT_REFUSED(v, Reason::CheckFailed);
  EXPECT_NE(v.diagnostics_text.find("error[E03"), std::string::npos);
}

TEST_F(Governor, OnlyConstantsAndRules) {
  for (const char *decl :
       {"  set detector_s : ip dynamic ttl 1m", "  protect ip.src == 1.2.3.4",
        "  default drop",
        "  test \"t\" { packet { ip.src = 203.0.113.7 } => drop }"}) {
    gv::Verdict v = review_rules(std::string(decl) +
                                 "\n  rule detector_x_1: ip.src == 203.0.113.7 "
                                 "and udp.dport == 53 => drop "
                                 "ttl 1m");
    EXPECT_REFUSED(v, Reason::ForbiddenDecl);
    EXPECT_NE(v.message.find("(line 2)"), std::string::npos) << v.message;
  }
}

// ------------------------------------------------ (c) the shape rules

TEST_F(Governor, APassIsRefused) {
  // First in the composition, it would pass what the operator's telnet
  // rule drops.
  gv::Verdict v = review_rules("  rule detector_x_1: ip.src == 203.0.113.7 and "
                               "udp.dport == 53 => pass ttl 10m");
  EXPECT_REFUSED(v, Reason::PassRefused);
  EXPECT_NE(v.message.find("rule 'detector_x_1' (line 2) passes"),
            std::string::npos)
      << v.message;
}

TEST_F(Governor, DroppingEverythingIsRefused) {
  use_no_protects();
  for (const char *cond :
       {"true", "ip.version == 4", "not (ip.src == 203.0.113.7)",
        "ip.src == 203.0.113.7 or pkt.len > 0", "ip.ttl < 250",
        "ip.src in 0.0.0.0/1", "ip.src != 203.0.113.7"}) {
    gv::Verdict v = review_rules(std::string("  rule detector_x_1: ") + cond +
                                 " => drop ttl 1m");
    EXPECT_REFUSED(v, Reason::DropsEverything) << cond;
  }
}

TEST_F(Governor, DroppingAWholeProtocolIsRefused) {
  use_no_protects();
  for (const char *cond : {"ip.proto == udp", "tcp.syn", "udp.len > 0",
                           "icmp.type == "
                           "echo_request",
                           "tcp.syn and not tcp.ack", "tcp.dport > 1024",
                           "udp.dport != 53 and ip.ttl == 64"}) {
    gv::Verdict v = review_rules(std::string("  rule detector_x_1: ") + cond +
                                 " => drop ttl 1m");
    EXPECT_REFUSED(v, Reason::WholeProtocol) << cond;
  }
  // With a rate(), or narrowed by an address or a few ports: fine.
  for (const char *cond : {"udp.sport == 11211", "tcp.syn and rate() > 10k/s",
                           "ip.src in 203.0.113.0/24 and tcp.syn",
                           "ip.dst == 192.0.2.80 and udp.dport in 1..1024"}) {
    gv::Verdict v = review_rules(std::string("  rule detector_x_1: ") + cond +
                                 " => drop ttl 1m");
    EXPECT_TRUE(v.accepted) << cond << ": " << v.message;
  }
  // A count of a whole protocol drops nothing.
  EXPECT_TRUE(
      review_rules("  rule detector_x_1: tcp.syn => count ttl 1m").accepted);
}

TEST_F(Governor, ShapeIsJudgedBox_by_box) {
  // One narrow branch does not excuse a broad one.
  psl::CheckedModule m = psl::check_source(
      "t.psl", policy_of("  rule r: (ip.src == 203.0.113.7 and tcp.syn) or "
                         "udp.dport > 0 => drop"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(gv::drop_shape(*m.module.policy->rules[0]).shape,
            gv::Shape::WholeProtocol);
  psl::CheckedModule n = psl::check_source(
      "t.psl", policy_of("  rule r: ip.src == 203.0.113.7 and (tcp.syn or "
                         "udp.dport > 0) => drop"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(gv::drop_shape(*n.module.policy->rules[0]).shape,
            gv::Shape::Narrow);
}

TEST_F(Governor, NamesSayWhoWroteThem) {
  gv::Verdict v = review_rules("  rule block_1: ip.src == 203.0.113.7 and "
                               "udp.dport == 53 => drop ttl 1m");
  EXPECT_REFUSED(v, Reason::BadName);
  EXPECT_NE(v.message.find("are named detector_<kind>_<n>"), std::string::npos);
  EXPECT_REFUSED(
      review_rules(
          "  rule llm_x_1: ip.src == 203.0.113.7 and udp.dport == 53 => drop "
          "ttl 1m"),
      Reason::BadName); // the detector may not pose as the LLM
  EXPECT_TRUE(review_rules("  rule llm_x_1: ip.src == 203.0.113.7 and "
                           "udp.dport == 53 => drop ttl "
                           "1m",
                           an::Origin::Llm)
                  .accepted);
}

TEST_F(Governor, NamesMustBeNew) {
  gv::GeneratedRule g;
  g.name = "detector_x_1";
  g.condition = "ip.src in detector_bad and udp.dport == 53";
  g.action = "drop";
  g.ttl_text = "1m";
  g.consts = {{"detector_bad", "const detector_bad = { 198.51.100.1 }"}};
  in_force_.push_back(g);
  EXPECT_REFUSED(
      review_rules(
          "  rule detector_x_1: ip.src == 203.0.113.7 and udp.dport == 53 => "
          "drop ttl 1m"),
      Reason::NameTaken);
  // A constant named like the operator's set, rule or a generated one.
  for (const char *name : {"blocked", "telnet", "detector_x_1"})
    EXPECT_REFUSED(review_rules(std::string("  const ") + name +
                                " = 203.0.113.7\n  rule detector_x_2: ip.src "
                                "== " +
                                name + " and udp.dport == 53 => drop ttl 1m"),
                   Reason::NameTaken)
        << name;
  // Like one the operator's protects use: the compiler finds it.
  EXPECT_REFUSED(review_rules("  const mgmt_ports = { 2222 }\n  rule "
                              "detector_x_2: ip.src == 203.0.113.7 and "
                              "tcp.dport in mgmt_ports => drop ttl 1m"),
                 Reason::NameTaken);
  // A generated constant of another text; the same constant is shared.
  EXPECT_REFUSED(review_rules("  const detector_bad = { 198.51.100.2 }\n  "
                              "rule detector_x_2: ip.src in detector_bad and "
                              "udp.dport == 53 => drop ttl 1m"),
                 Reason::NameTaken);
  gv::Verdict v = review_rules("  const detector_bad = { 198.51.100.1 }\n  "
                               "rule detector_x_2: ip.src in detector_bad and "
                               "tcp.dport == 80 => drop ttl 1m");
  ASSERT_TRUE(v.accepted) << v.message << v.diagnostics_text;
  EXPECT_EQ(std::count(v.composed_text.begin(), v.composed_text.end(), '\n'),
            std::count(op_->text.begin(), op_->text.end(), '\n') + 5)
      << v.composed_text; // comment, const once, two rules, blank line
}

TEST_F(Governor, TtlsHaveACap) {
  gv::Verdict v = review_rules("  rule detector_x_1: ip.src == 203.0.113.7 and "
                               "udp.dport == 53 => drop ttl 48h");
  EXPECT_REFUSED(v, Reason::TtlTooLong);
  EXPECT_NE(v.message.find("more than the 24h"), std::string::npos);
}

// ------------------------------------------------ (d) the composition

TEST_F(Governor, ABuildFailureIsRefusedAndNamesTheRule) {
  ctx_.build = true;
  // A program has room for so much code (lower/code_rules.h): here none.
  ctx_.build_options.lower.code.max_code_rules = 0;
  gv::Verdict v = review_rules("  rule detector_x_1: rate(ip.dst) > 10/s and "
                               "ip.src == 203.0.113.7 and udp.dport == 53 => "
                               "drop ttl 1m");
  EXPECT_REFUSED(v, Reason::BuildFailed);
  EXPECT_NE(v.message.find("does not build"), std::string::npos) << v.message;
  EXPECT_EQ(v.artifact, nullptr);
}

TEST_F(Governor, AnAcceptedProposalComesBuilt) {
  ctx_.build = true;
  gv::Verdict v = review_rules("  rule detector_x_1: ip.src == 203.0.113.7 and "
                               "udp.dport == 53 => drop ttl 1m");
  ASSERT_TRUE(v.accepted) << v.message << v.diagnostics_text;
  ASSERT_NE(v.artifact, nullptr);
  EXPECT_FALSE(v.artifact->elf.empty());
  bool found = false;
  for (const auto &r : v.artifact->classifier.rules)
    found = found || r.name == "detector_x_1";
  EXPECT_TRUE(found);
}

// What the composed program decides, by the reference interpreter.
struct Packet {
  std::vector<std::pair<std::string, psl::Value>> fields;
};
psl::Value ip(const char *text) {
  return psl::frontend::parse_ip_literal(text).value;
}
psl::Value port(uint64_t p) { return psl::Value{p}; }
psl::Value yes() { return psl::Value{true}; }

std::pair<psl::Action, std::string> decide(psl::interp::Interpreter &in,
                                           const Packet &p) {
  psl::interp::BuiltPacket b =
      psl::interp::build_packet(psl::interp::fields_of(p.fields));
  EXPECT_TRUE(b.ok()) << (b.error ? b.error->message : "");
  psl::interp::Decision d =
      in.evaluate_frame(b.frame.data(), b.frame.size(), 1000);
  return {d.verdict, d.rule_name()};
}

TEST_F(Governor, TheComposedPolicyDecidesAsOneExpects) {
  protect_.management = {"198.51.100.0/28"};
  ctx_.build = true;
  ctx_.options.detector_shadow_ns = 0;
  gv::Verdict v = review_rules(
      "  rule detector_syn_1: ip.src == 203.0.113.7 and tcp.syn and tcp.dport "
      "== 443 => drop ttl "
      "10m\n"
      "  rule detector_udp_1: ip.src in 203.0.113.64/26 and udp.sport == "
      "11211 => drop ttl 10m");
  ASSERT_TRUE(v.accepted) << v.message << v.diagnostics_text;
  ASSERT_NE(v.artifact, nullptr); // it builds
  in_force_ = v.rules;
  // A second proposal, in shadow: counts, decides nothing.
  ctx_.options.detector_shadow_ns = 60000000000ull;
  gv::Verdict w = review_rules("  rule detector_watch_1: ip.src == 203.0.113.9 "
                               "and udp.dport == 53 => drop ttl 10m");
  ASSERT_TRUE(w.accepted) << w.message;
  psl::CheckedModule m = psl::check_source("composed.psl", w.composed_text);
  ASSERT_TRUE(m.ok()) << w.composed_text;
  psl::interp::Interpreter in(*m.module.policy);
  // Generated drops go first: the operator's allow_web does not exempt.
  EXPECT_EQ(decide(in, {{{"ip.src", ip("203.0.113.7")},
                         {"tcp.dport", port(443)},
                         {"tcp.syn", yes()}}}),
            std::make_pair(psl::Action::Drop, std::string("detector_syn_1")));
  EXPECT_EQ(decide(in, {{{"ip.src", ip("203.0.113.70")},
                         {"udp.sport", port(11211)}}}),
            std::make_pair(psl::Action::Drop, std::string("detector_udp_1")));
  // Other sources: the operator's rules decide as before.
  EXPECT_EQ(decide(in, {{{"ip.src", ip("192.0.2.99")},
                         {"tcp.dport", port(443)},
                         {"tcp.syn", yes()}}}),
            std::make_pair(psl::Action::Pass, std::string("allow_web")));
  EXPECT_EQ(
      decide(in, {{{"ip.src", ip("192.0.2.99")}, {"tcp.dport", port(23)}}}),
      std::make_pair(psl::Action::Drop, std::string("telnet")));
  // The shadow rule counts and passes.
  psl::interp::BuiltPacket b = psl::interp::build_packet(psl::interp::fields_of(
      {{"ip.src", ip("203.0.113.9")}, {"udp.dport", port(53)}}));
  psl::interp::Decision d =
      in.evaluate_frame(b.frame.data(), b.frame.size(), 1000);
  EXPECT_EQ(d.verdict, psl::Action::Pass);
  ASSERT_EQ(d.shadow_hits.size(), 1u);
  EXPECT_EQ(d.shadow_hits[0]->name, "detector_watch_1");
  // Protected traffic: the operator's SSH and the management network.
  EXPECT_EQ(decide(in, {{{"ip.src", ip("203.0.113.7")},
                         {"tcp.dport", port(22)},
                         {"tcp.ack", yes()}}})
                .first,
            psl::Action::Pass);
  EXPECT_EQ(
      decide(in, {{{"ip.src", ip("198.51.100.5")}, {"udp.sport", port(11211)}}})
          .first,
      psl::Action::Pass);
}

// ------------------------------------------------------------ SetInsert

TEST_F(Governor, ASetInsertIsAcceptedWithCanonicalValues) {
  gv::Verdict v =
      review(insert_proposal("blocked", {"203.0.113.7", "2001:DB8::7"}));
  ASSERT_TRUE(v.accepted) << v.message << v.diagnostics_text;
  EXPECT_EQ(v.values, (std::vector<std::string>{"203.0.113.7", "2001:db8::7"}));
  EXPECT_EQ(v.ttl_ns, 60000000000ull);
  EXPECT_EQ(v.message, "accepted 2 values for set 'blocked' (ttl 1m)");
  // No ttl of its own: the set's.
  v = review(insert_proposal("blocked", {"203.0.113.8"}, 0));
  ASSERT_TRUE(v.accepted) << v.message;
  EXPECT_EQ(v.ttl_ns, 0u);
  EXPECT_EQ(v.message, "accepted 1 value for set 'blocked' (ttl 10m)");
}

TEST_F(Governor, ASetInsertNeedsAnEnforcedSetOfTheOperator) {
  EXPECT_REFUSED(review(insert_proposal("nope", {"203.0.113.7"})),
                 Reason::UnknownSet);
  EXPECT_REFUSED(review(insert_proposal("watch", {"203.0.113.7"})),
                 Reason::SetNotEnforced); // only a shadow rule uses it
  EXPECT_REFUSED(review(insert_proposal("forever", {"203.0.113.7"}, 0)),
                 Reason::NoTtl); // would never expire
  EXPECT_TRUE(review(insert_proposal("forever", {"203.0.113.7"})).accepted);
  EXPECT_REFUSED(
      review(insert_proposal("blocked", {"203.0.113.7"}, 48ull * 3600 * 1000)),
      Reason::TtlTooLong);
}

TEST_F(Governor, ASetInsertTakesOnlyValuesOfItsType) {
  for (const char *bad :
       {"22", "203.0.113.0/24", "203.0.113.7 => pass", "10.0.0.300", ""}) {
    gv::Verdict v = review(insert_proposal("blocked", {"203.0.113.9", bad}));
    EXPECT_REFUSED(v, Reason::BadValue) << bad;
  }
  EXPECT_REFUSED(review(insert_proposal("blocked", {std::string(100, '1')})),
                 Reason::BadValue);
  EXPECT_REFUSED(review(insert_proposal("blocked", {})), Reason::Empty);
  std::vector<std::string> many(2000, "203.0.113.7");
  EXPECT_REFUSED(review(insert_proposal("blocked", many)), Reason::TooLarge);
}

TEST_F(Governor, ASetInsertOfAProtectedAddressIsRefused) {
  gv::Verdict v = review(
      insert_proposal("blocked", {"203.0.113.7", "10.9.1.1", "192.0.2.254"}));
  EXPECT_REFUSED(v, Reason::TouchesProtected);
  EXPECT_EQ(v.message,
            "protected traffic would be dropped: 10.9.1.1, 192.0.2.254");
  EXPECT_NE(v.diagnostics_text.find("error[E0401]"), std::string::npos);
  // The set's field decides: dst_blocked is matched against ip.dst, and
  // the protects are on sources, so the gateway is fine there.
  EXPECT_TRUE(review(insert_proposal("dst_blocked", {"192.0.2.254"})).accepted);
}

TEST_F(Governor, SetInsertsHaveARateCap) {
  gv::InsertBucket bucket(5, 5);
  ctx_.inserts = &bucket;
  EXPECT_TRUE(review(insert_proposal("blocked", {"203.0.113.1", "203.0.113.2",
                                                 "203.0.113.3"}))
                  .accepted);
  gv::Verdict v = review(insert_proposal(
      "blocked", {"203.0.113.4", "203.0.113.5", "203.0.113.6"}));
  EXPECT_REFUSED(v, Reason::InsertRate);
  EXPECT_NE(v.message.find("3 asked, 2 available"), std::string::npos)
      << v.message;
  // A refused proposal for another reason takes no token.
  EXPECT_REFUSED(review(insert_proposal("blocked", {"10.9.1.1"})),
                 Reason::TouchesProtected);
  EXPECT_TRUE(review(insert_proposal("blocked", {"203.0.113.4", "203.0.113.5"}))
                  .accepted);
  ctx_.now_ns += 1000000000ull; // a second later: 5 more
  EXPECT_TRUE(review(insert_proposal("blocked", {"203.0.113.6", "203.0.113.7",
                                                 "203.0.113.8", "203.0.113.9",
                                                 "203.0.113.10"}))
                  .accepted);
}

TEST_F(Governor, RecheckJudgesARuleInForceAgainstNewProtects) {
  gv::Verdict v =
      review_rules("  const detector_bad = { 203.0.113.0/24 }\n  rule "
                   "detector_x_1: ip.src in detector_bad and udp.dport == 53 "
                   "=> drop ttl 10m\n  rule detector_syn_1: tcp.dport == 443 "
                   "and tcp.syn and rate(tcp.dport) > 1k/s => drop ttl 10m");
  ASSERT_TRUE(v.accepted) << v.message;
  in_force_ = v.rules;
  EXPECT_TRUE(gv::recheck(in_force_[0], ctx_).accepted);
  // An exempt rule stays exempt; without protected sources it needs none.
  gv::Verdict e = gv::recheck(in_force_[1], ctx_);
  ASSERT_TRUE(e.accepted) << e.message;
  EXPECT_TRUE(e.rules[0].exempt);
  gv::ProtectedAddresses none;
  gv::GovernorContext bare = ctx_;
  bare.protect = &none;
  use_operator("policy p {\n  default pass\n}\n");
  bare.op = ctx_.op;
  e = gv::recheck(in_force_[1], bare);
  ASSERT_TRUE(e.accepted) << e.message;
  EXPECT_FALSE(e.rules[0].exempt);
  use_operator(kOperator);
  protect_.management.push_back("203.0.113.128/25");
  gv::Verdict r = gv::recheck(in_force_[0], ctx_);
  EXPECT_REFUSED(r, Reason::TouchesProtected);
}

} // namespace
