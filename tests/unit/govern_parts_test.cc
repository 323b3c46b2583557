// The governor's parts without a kernel: the composition, the operator
// policy as the governor reads it, the store, the audit log, the insert
// bucket, the discovery's parsers and the reason codes.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "driver.h"
#include "govern/audit_log.h"
#include "govern/compose.h"
#include "govern/evidence_match.h"
#include "govern/generated_rule.h"
#include "govern/insert_bucket.h"
#include "govern/operator_policy.h"
#include "govern/protected_addresses.h"
#include "govern/verdict.h"
#include "policy/files.h"

#include "govern_test_util.h"

namespace {

namespace gv = psr::govern;
namespace an = psr::analyze;
using govern_test::kOperator;
using govern_test::make_rule;
using gv::Reason;

TEST(GovernCompose, ABadGeneratedTextFailsTheCompositionNotTheProgram) {
  gv::OperatorLoad op = gv::load_operator_policy("edge.psl", kOperator);
  ASSERT_TRUE(op.policy);
  gv::GeneratedRule g;
  g.name = "detector_x_1";
  g.condition = "ip.src == nowhere";
  g.action = "drop";
  g.ttl_text = "1m";
  gv::Composition c = gv::compose_and_build(*op.policy, {g});
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.reason, Reason::ComposeFailed);
  EXPECT_NE(c.diagnostics.text.find("edge.psl (composed):"), std::string::npos)
      << c.diagnostics.text;
  EXPECT_EQ(c.artifact, nullptr);
}

TEST(GovernCompose, NoGeneratedRulesIsTheOperatorTextItself) {
  gv::OperatorLoad op = gv::load_operator_policy("edge.psl", kOperator);
  ASSERT_TRUE(op.policy);
  EXPECT_EQ(gv::compose_policy(*op.policy, {}), kOperator);
}

TEST(GovernCompose, DeterministicInAcceptanceOrder) {
  gv::OperatorLoad op = gv::load_operator_policy("edge.psl", kOperator);
  ASSERT_TRUE(op.policy);
  std::vector<gv::GeneratedRule> rules = {
      make_rule("detector_b_1", "ip.src == 203.0.113.7"),
      make_rule("detector_a_1", "ip.src == 203.0.113.8")};
  const std::string a = gv::compose_policy(*op.policy, rules);
  EXPECT_EQ(a, gv::compose_policy(*op.policy, rules));
  EXPECT_LT(a.find("detector_b_1"), a.find("detector_a_1"));
  // The block, then a blank line, then the operator's first rule with the
  // comment above it.
  EXPECT_NE(a.find("  set forever : ip dynamic capacity 1024\n\n"
                   "  # generated rules in force (psd's governor, "
                   "docs/governor.md)\n"
                   "  rule detector_b_1: ip.src == 203.0.113.7 => drop ttl "
                   "10m\n"
                   "  rule detector_a_1: ip.src == 203.0.113.8 => drop ttl "
                   "10m\n\n"
                   "  # SSH first.\n"),
            std::string::npos)
      << a;
  std::swap(rules[0], rules[1]);
  EXPECT_NE(a, gv::compose_policy(*op.policy, rules));
}

TEST(GovernCompose, PoliciesWithoutRulesOrOnOneLine) {
  for (const char *text :
       {"policy p {\n  set s : ip dynamic ttl 1m\n  default drop\n}\n",
        "policy p { const a = 1 }", "policy p {}",
        "policy p { const a = 1 rule r: ip.src == 198.51.100.1 => drop }"}) {
    gv::OperatorLoad op = gv::load_operator_policy("p.psl", text);
    ASSERT_TRUE(op.policy) << op.message;
    gv::Composition c = gv::compose_and_build(
        *op.policy, {make_rule("detector_a_1", "ip.src == 203.0.113.8")});
    EXPECT_TRUE(c.ok) << text << "\n" << c.message << "\n" << c.text;
    psl::CheckedModule m = psl::check_source("c.psl", c.text);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m.module.policy->rules.front()->name, "detector_a_1") << c.text;
  }
}

TEST(GovernInsertBucket, FillsAtItsRateUpToItsBurst) {
  gv::InsertBucket b(10, 20);
  EXPECT_TRUE(b.take(20, 0));
  EXPECT_FALSE(b.take(1, 0));
  EXPECT_FALSE(b.take(2, 100000000)); // 0.1 s: one token
  EXPECT_TRUE(b.take(1, 100000000));
  EXPECT_NEAR(b.available(10000000000ull), 20, 1e-9); // capped at the burst
  EXPECT_NEAR(b.available(5000000000ull), 20, 1e-9);  // the clock went back
}

// ---------------------------------------------------- recheck, operators

TEST(GovernOperator, ReservedNamesAndErrorsAreRefused) {
  gv::OperatorLoad bad = gv::load_operator_policy(
      "p.psl", "policy p {\n  rule detector_x: ip.src == 1.2.3.4 => drop\n}\n");
  EXPECT_EQ(bad.policy, nullptr);
  EXPECT_EQ(bad.message,
            "rule 'detector_x' of the operator policy (p.psl:2) has a name "
            "reserved for generated rules (detector_, llm_): rename it");
  gv::OperatorLoad broken =
      gv::load_operator_policy("p.psl", "policy p {\n  rule a: ip.src == 22 "
                                        "=> drop\n}\n");
  EXPECT_EQ(broken.policy, nullptr);
  EXPECT_NE(broken.diagnostics.text.find("p.psl:2:"), std::string::npos);
  EXPECT_FALSE(broken.diagnostics.json.empty());
}

TEST(GovernOperator, ProtectTextCarriesTheConstantsItUses) {
  gv::OperatorLoad op = gv::load_operator_policy(
      "p.psl", "policy p {\n"
               "  const a = { 10.0.0.0/8, b }\n"
               "  const b = 192.168.0.0/16\n"
               "  const unrelated = 5\n"
               "  protect ip.src in a\n"
               "  rule r: ip.dst == 1.2.3.4 and ip.ttl == unrelated => drop\n"
               "}\n");
  ASSERT_TRUE(op.policy) << op.message;
  EXPECT_EQ(op.policy->protect_text,
            "  const a = { 10.0.0.0/8, b }\n  const b = 192.168.0.0/16\n  "
            "protect ip.src in a\n");
  EXPECT_EQ(op.policy->names,
            (std::set<std::string>{"a", "b", "unrelated", "r"}));
}

// ------------------------------------------------------------ the store

TEST(GovernStore, RoundTripsAndRefusesWhatItCannotRead) {
  gv::GeneratedStore s;
  s.operator_hash = gv::text_hash("policy p {}");
  s.operator_expired = {"old"};
  gv::GeneratedRule r =
      make_rule("detector_a_1", "ip.src == 203.0.113.8", gv::RuleMode::Shadow);
  r.origin = an::Origin::Llm;
  r.proposal_id = "llm-1";
  r.consts = {{"c", "const c = 1"}};
  r.accepted_unix_ms = 1700000000123;
  r.shadow_since_ns = 42;
  r.shadow_period_ns = 60000000000ull;
  r.cited_pps = 5400;
  r.cited_basis = "talkers.top[203.0.113.8].tcp_syn.per_s = 5400";
  s.rules.push_back(r);
  gv::GeneratedRule uncited =
      make_rule("detector_b_1", "ip.src == 203.0.113.9", gv::RuleMode::Enforce);
  s.rules.push_back(uncited);
  auto back = gv::store_from_json(gv::store_to_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->rules.size(), 2u);
  const gv::GeneratedRule &b = back->rules[0];
  EXPECT_EQ(b.cited_pps, 5400);
  EXPECT_EQ(b.cited_basis, r.cited_basis);
  EXPECT_LT(back->rules[1].cited_pps, 0);
  EXPECT_EQ(b.name, r.name);
  EXPECT_EQ(b.origin, an::Origin::Llm);
  EXPECT_EQ(b.text(), r.text());
  EXPECT_EQ(b.condition, r.condition);
  EXPECT_EQ(b.ttl_text, "10m");
  EXPECT_EQ(b.consts, r.consts);
  EXPECT_EQ(b.mode, gv::RuleMode::Shadow);
  EXPECT_EQ(b.shadow_since_ns, 42u);
  EXPECT_EQ(b.shadow_period_ns, 60000000000ull);
  EXPECT_EQ(b.accepted_unix_ms, 1700000000123);
  EXPECT_EQ(back->operator_hash, s.operator_hash);
  EXPECT_EQ(back->operator_expired, s.operator_expired);
  EXPECT_EQ(b.declaration(""), r.text() + " shadow");

  EXPECT_FALSE(gv::store_from_json("").ok());
  EXPECT_FALSE(gv::store_from_json("{\"version\": 7}").ok());
  std::string twice = gv::store_to_json(s);
  s.rules.push_back(r);
  EXPECT_FALSE(gv::store_from_json(gv::store_to_json(s)).ok());
  twice.replace(twice.find("\"llm\""), 5, "\"martian\"");
  EXPECT_FALSE(gv::store_from_json(twice).ok());
  EXPECT_NE(gv::text_hash("a"), gv::text_hash("b"));
  EXPECT_EQ(gv::text_hash("abc"), "e71fa2190541574b"); // stable
}

// ------------------------------------------------------------ audit log

struct TempDir {
  TempDir() {
    char t[] = "/tmp/psr-govern-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { psr::policy::remove_tree(path, 3); }
  std::string path;
};

TEST(GovernAudit, AppendsOneLinePerRecordAndFilters) {
  TempDir d;
  gv::AuditLog log({d.path + "/sub/audit.jsonl"});
  nlohmann::json v = {{"event", "verdict"},
                      {"time_unix_ms", 100},
                      {"origin", "detector"},
                      {"proposal_id", "a"},
                      {"verdict", {{"accepted", true}}}};
  ASSERT_TRUE(log.append(v).ok());
  v["time_unix_ms"] = 200;
  v["proposal_id"] = "b";
  v["verdict"]["accepted"] = false;
  v["origin"] = "llm";
  ASSERT_TRUE(log.append(v).ok());
  ASSERT_TRUE(log.append({{"event", "expired"}, {"time_unix_ms", 300}}).ok());
  // Odd bytes in a proposal never lose the record.
  ASSERT_TRUE(log.append({{"event", "proposal"}, {"psl", "\xff\xfe"}}).ok());

  auto all = log.read({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_GT((*all)[3]["time_unix_ms"].get<int64_t>(), 1600000000000);
  gv::AuditFilter f;
  f.verdict = "refused";
  auto refused = log.read(f);
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ((*refused)[0]["proposal_id"], "b");
  f = {};
  f.since_unix_ms = 150;
  f.until_unix_ms = 300;
  EXPECT_EQ(log.read(f)->size(), 1u);
  f = {};
  f.origin = "detector";
  EXPECT_EQ(log.read(f)->size(), 1u);
  f = {};
  f.limit = 2;
  auto last = log.read(f);
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0]["event"], "expired");
  // One line each, created 0600.
  std::optional<std::string> text =
      psr::policy::read_file(d.path + "/sub/audit.jsonl");
  ASSERT_TRUE(text);
  EXPECT_EQ(std::count(text->begin(), text->end(), '\n'), 4);
}

TEST(GovernAudit, TheListenerSeesEachRecordAndTargetsFilter) {
  TempDir d;
  gv::AuditLog log({d.path + "/audit.jsonl"});
  std::vector<nlohmann::json> seen;
  log.set_listener([&](const nlohmann::json &r, bool written) {
    EXPECT_TRUE(written);
    seen.push_back(r);
  });
  nlohmann::json a = {{"event", "expired"},
                      {"target", {{"netns", "n"}, {"ifname", "eth0"}}}};
  ASSERT_TRUE(log.append(a).ok());
  a["target"]["ifname"] = "eth1";
  ASSERT_TRUE(log.append(a).ok());
  ASSERT_EQ(seen.size(), 2u);
  // As written: with its time.
  EXPECT_TRUE(seen[0]["time_unix_ms"].is_number());
  EXPECT_EQ(seen[1]["target"]["ifname"], "eth1");
  gv::AuditFilter f;
  f.ifname = "eth1";
  auto one = log.read(f);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0]["time_unix_ms"], seen[1]["time_unix_ms"]);

  // A record the disk did not take still reaches the listener: the
  // decision was made.
  gv::AuditLog broken({"/proc/psd-audit-cannot-be-here/audit.jsonl"});
  size_t heard = 0;
  broken.set_listener([&](const nlohmann::json &, bool written) {
    EXPECT_FALSE(written);
    ++heard;
  });
  EXPECT_FALSE(broken.append({{"event", "expired"}}).ok());
  EXPECT_EQ(heard, 1u);
}

TEST(GovernAudit, RotatesPastItsSizeAndReadsAcrossFiles) {
  TempDir d;
  gv::AuditOptions o;
  o.path = d.path + "/audit.jsonl";
  o.max_bytes = 200;
  o.keep = 2;
  gv::AuditLog log(o);
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(log.append({{"event", "expired"}, {"n", i}}).ok());
  EXPECT_TRUE(psr::policy::path_exists(o.path + ".1"));
  EXPECT_TRUE(psr::policy::path_exists(o.path + ".2"));
  EXPECT_FALSE(psr::policy::path_exists(o.path + ".3"));
  auto all = log.read({});
  ASSERT_TRUE(all.ok());
  ASSERT_FALSE(all->empty());
  EXPECT_LT(all->size(), 40u); // the oldest went with the third file
  EXPECT_EQ(all->back()["n"], 39);
  for (size_t i = 1; i < all->size(); ++i)
    EXPECT_EQ((*all)[i]["n"].get<int>(), (*all)[i - 1]["n"].get<int>() + 1);
  // A torn or foreign line is skipped, and counted.
  FILE *f = std::fopen(o.path.c_str(), "a");
  std::fputs("not json\n", f);
  std::fclose(f);
  size_t skipped = 0;
  ASSERT_TRUE(log.read({}, &skipped).ok());
  EXPECT_EQ(skipped, 1u);
}

// ---------------------------------------------------- protected addresses

TEST(GovernAddresses, DefaultGatewaysFromProc) {
  const std::string route =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\t"
      "Window\tIRTT\n"
      "eth0\t00000000\tFE0200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
      "eth0\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
      "eth1\t00000000\t00000000\t0001\t0\t0\t100\t00000000\t0\t0\t0\n";
  EXPECT_EQ(gv::ipv4_default_gateways(route),
            std::vector<std::string>{"192.0.2.254"});
  const std::string route6 =
      "00000000000000000000000000000000 00 00000000000000000000000000000000 "
      "00 fe800000000000000000000000000001 00000400 00000001 00000000 "
      "00000003 eth0\n"
      "20010db8000000000000000000000000 40 00000000000000000000000000000000 "
      "00 00000000000000000000000000000000 00000100 00000001 00000000 "
      "00000001 eth0\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 "
      "00 00000000000000000000000000000000 ffffffff 00000001 00000000 "
      "00200200 lo\n";
  EXPECT_EQ(gv::ipv6_default_gateways(route6),
            std::vector<std::string>{"fe80::1"});
}

TEST(GovernAddresses, ProtectDeclarationsAreSortedAndChecked) {
  gv::ProtectedAddresses p;
  p.management = {"10.0.0.0/8", "10.0.0.0/8", "2001:db8::/32"};
  p.host.gateways = {"192.0.2.254"};
  p.host.addresses = {"192.0.2.1", "127.0.0.1", "::1"};
  EXPECT_EQ(gv::protect_declarations(p),
            "  # governor: management addresses\n"
            "  protect ip.src in { 10.0.0.0/8, 2001:db8::/32 }\n"
            "  # governor: the default gateways\n"
            "  protect ip.src in { 192.0.2.254 }\n"
            "  # governor: this host's own addresses\n"
            "  protect ip.src in { 127.0.0.1, 192.0.2.1, ::1 }\n");
  EXPECT_EQ(gv::protect_declarations({}), "");
  EXPECT_TRUE(gv::check_management(p.management).ok());
  EXPECT_EQ(gv::check_management({"10.0.0.1/8"})
                .error()
                .message.rfind("management address '10.0.0.1/8': ", 0),
            0u);
  EXPECT_FALSE(gv::check_management({"example.com"}).ok());
}

TEST(GovernReasons, EveryCodeIsDocumented) {
  std::optional<std::string> doc =
      psr::policy::read_file(std::string(PSC_SOURCE_DIR) + "/docs/governor.md");
  ASSERT_TRUE(doc);
  for (Reason r : gv::all_reasons())
    EXPECT_NE(doc->find(std::string("`") + gv::reason_code(r) + "`"),
              std::string::npos)
        << gv::reason_code(r);
}

TEST(GovernReasons, CodesAreStableAndUnique) {
  std::set<std::string> codes;
  for (Reason r : gv::all_reasons())
    EXPECT_TRUE(codes.insert(gv::reason_code(r)).second) << gv::reason_code(r);
  EXPECT_EQ(codes.size(), 19u);
  for (const char *c :
       {"too_large", "not_psl", "check_failed", "touches_protected", "no_ttl",
        "pass_refused", "drops_everything", "whole_protocol", "name_taken",
        "unknown_set", "insert_rate", "compose_failed", "build_failed"})
    EXPECT_TRUE(codes.count(c)) << c;
}

// ------------------------------------------- shadow, then enforced on evidence

namespace shadow_test {

gv::ShadowEvidence evidence(uint64_t packets, double seconds, double cited) {
  gv::ShadowEvidence e;
  e.shadow_packets = packets;
  e.shadow_s = seconds;
  e.cited_pps = cited;
  e.cited_basis = "talkers.top[203.0.113.7].tcp_syn.per_s = 5400";
  return e;
}

} // namespace shadow_test

TEST(GovernShadowEvidence, EnforcedWithinTheRatiosOfTheCitedRate) {
  using shadow_test::evidence;
  const gv::GovernorOptions o; // 0.1 .. 3
  gv::ShadowJudgement j = gv::judge_shadow(evidence(60 * 5000, 60, 5400), o);
  EXPECT_TRUE(j.enforce) << j.why;
  EXPECT_DOUBLE_EQ(j.shadow_pps, 5000);
  EXPECT_NEAR(j.ratio, 5000.0 / 5400, 1e-9);
  EXPECT_EQ(j.why, "it would have dropped 5000 packets/s over its 60 s in "
                   "shadow, 0.926 times the 5400 packets/s its evidence "
                   "cites (talkers.top[203.0.113.7].tcp_syn.per_s = 5400)");
  // The bounds are inclusive.
  EXPECT_TRUE(gv::judge_shadow(evidence(60 * 540, 60, 5400), o).enforce);
  EXPECT_TRUE(gv::judge_shadow(evidence(60 * 16200, 60, 5400), o).enforce);
  // A rate limit drops only the excess: what it would drop may be far
  // below the cited rate, within the lower ratio.
  EXPECT_TRUE(gv::judge_shadow(evidence(60 * 4400, 60, 5400), o).enforce);
}

TEST(GovernShadowEvidence, DroppedWhenItsHitsDoNotMatchWhatItCited) {
  using shadow_test::evidence;
  const gv::GovernorOptions o;
  gv::ShadowJudgement more =
      gv::judge_shadow(evidence(60 * 20000, 60, 5400), o);
  EXPECT_FALSE(more.enforce);
  EXPECT_GT(more.ratio, 3);
  EXPECT_NE(more.why.find("more than the 3 allowed: it reaches traffic its "
                          "evidence does not show"),
            std::string::npos)
      << more.why;
  gv::ShadowJudgement less = gv::judge_shadow(evidence(60 * 5, 60, 5400), o);
  EXPECT_FALSE(less.enforce);
  EXPECT_NE(less.why.find("less than the 0.1 required: it does not catch the "
                          "traffic it was proposed for"),
            std::string::npos)
      << less.why;
  gv::ShadowJudgement none = gv::judge_shadow(evidence(600, 60, -1), o);
  EXPECT_FALSE(none.enforce);
  EXPECT_NE(none.why.find("cites no packet rate"), std::string::npos);
  gv::ShadowJudgement idle = gv::judge_shadow(evidence(0, 60, 5400), o);
  EXPECT_FALSE(idle.enforce);
  EXPECT_EQ(idle.why, "it matched nothing in its shadow period");
  // The ratios are the operator's.
  gv::GovernorOptions strict;
  strict.shadow_max_ratio = 1.2;
  EXPECT_FALSE(gv::judge_shadow(evidence(60 * 7000, 60, 5400), strict).enforce);
  EXPECT_TRUE(gv::judge_shadow(evidence(60 * 7000, 60, 5400), o).enforce);
}

} // namespace
