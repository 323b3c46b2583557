// The lint pass through the real pipeline (psl::check_source): PSL
// snippets and their exact diagnostics, notes included.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/box.h"
#include "analysis/condition_builder.h"
#include "analysis/witness.h"
#include "driver.h"
#include "frontend/parser.h"
#include "passes/lint.h"
#include "passes/pass_manager.h"

namespace psl {
namespace {

// "L:C: W0201: message", then "  note L:C: message" per note.
// The lockout warning (W0209) is left out: the snippets here are about
// other findings, many with a `default drop` and no rule passing ARP; it
// has its own tests (tests/diag/lint/lockout*.psl).
std::string render(const DiagnosticSink &sink) {
  std::string out;
  for (const auto &d : sink.diagnostics()) {
    if (d.code == DiagCode::W0209)
      continue;
    out += std::to_string(d.range.begin.line) + ":" +
           std::to_string(d.range.begin.column) + ": " +
           diag_info(d.code).name + ": " + d.message + "\n";
    for (const auto &n : d.notes) {
      out += "  note";
      if (n.range.valid())
        out += " " + std::to_string(n.range.begin.line) + ":" +
               std::to_string(n.range.begin.column);
      out += ": " + n.message + "\n";
    }
  }
  return out;
}

// The policy body starts on line 2.
std::string lint(const std::string &body, bool generated = false) {
  PassOptions options;
  options.generated = generated;
  auto m = check_source("t.psl", "policy t {\n" + body + "}\n", options);
  return render(m.diags);
}

// ------------------------------------------------------------------ W0201

TEST(LintShadow, CoveredByTheUnionOfEarlierRules) {
  EXPECT_EQ(
      lint("  rule a: ip.src in 10.0.0.0/9 => drop\n"
           "  rule b: ip.src in 10.128.0.0/9 => pass\n"
           "  rule c: ip.src in 10.0.0.0/8 and tcp.dport == 22 => drop\n"),
      "4:8: W0201: rule 'c' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches some of its packets first\n"
      "  note 3:8: rule 'b' matches some of its packets first\n");
}

TEST(LintShadow, CoveredByOneRule) {
  EXPECT_EQ(
      lint("  rule a: ip.src in 10.0.0.0/9 => drop\n"
           "  rule b: ip.src in 10.128.0.0/9 => pass\n"
           "  rule c: ip.src in 10.1.0.0/16 and tcp.dport == 22 => drop\n"),
      "4:8: W0201: rule 'c' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
}

TEST(LintShadow, DuplicateIsShadowedNotRedundant) {
  // Only the second copy is reported: removing it keeps every verdict.
  EXPECT_EQ(
      lint("  rule a: udp.dport == 53 => drop\n"
           "  rule b: udp.dport == 53 => drop\n"),
      "3:8: W0201: rule 'b' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
}

TEST(LintShadow, CountAndShadowRulesNeverShadowButCanBeShadowed) {
  EXPECT_EQ(
      lint("  rule c: tcp.dport == 22 => count\n"
           "  rule s: tcp.dport == 22 => drop shadow\n"
           "  rule a: tcp.dport == 22 => pass\n"
           "  rule c2: tcp.dport == 22 and tcp.syn => count\n"),
      "5:8: W0201: rule 'c2' is shadowed by earlier rules and never counts "
      "a packet\n"
      "  note 4:8: rule 'a' matches all of its packets first\n");
}

TEST(LintShadow, NotNeverNegatesTheGuard) {
  // `not (tcp.dport == 22)` is `tcp.dport != 22` (docs/language.md): it
  // holds for no UDP packet, so it shadows TCP rules only.
  EXPECT_EQ(
      lint("  rule a: not (tcp.dport == 22) => pass\n"
           "  rule b: udp.dport == 53 => drop\n"
           "  rule c: tcp.dport == 80 => drop\n"),
      "4:8: W0201: rule 'c' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
  // "not TCP, or TCP to another port", spelled out as the docs suggest.
  EXPECT_EQ(
      lint("  rule a: ip.proto != tcp or tcp.dport != 22 => pass\n"
           "  rule b: udp.dport == 53 => drop\n"),
      "3:8: W0201: rule 'b' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
}

TEST(LintShadow, GuardsImplyProtocolAndVersion) {
  EXPECT_EQ(
      lint("  rule a: ip.proto == tcp => drop\n"
           "  rule b: tcp.dport == 22 => pass\n"),
      "3:8: W0201: rule 'b' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
  EXPECT_EQ(
      lint("  rule a: ip.version == 4 => pass\n"
           "  rule b: icmp.type == echo_request => drop\n"),
      "3:8: W0201: rule 'b' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
  // Every TCP packet is ip.proto tcp, not the other way round (later
  // fragments carry no TCP header).
  EXPECT_EQ(lint("  rule a: tcp.syn or not tcp.syn => pass\n"
                 "  rule b: ip.proto == tcp => drop\n"),
            "");
}

TEST(LintShadow, AddressFamiliesDoNotCollide) {
  EXPECT_EQ(lint("  rule a: ip.src in 10.0.0.0/8 => drop\n"
                 "  rule b: ip.src in ::a00:0/104 => drop\n"),
            "");
}

TEST(LintShadow, OpaqueAtomsCoverOnlyTheSameAtom) {
  EXPECT_EQ(lint("  rule a: rate(ip.src) > 10/s => drop\n"
                 "  rule b: ip.src in 10.0.0.0/8 => drop\n"),
            "");
  EXPECT_EQ(
      lint("  rule a: rate(ip.src) > 10/s => drop\n"
           "  rule b: ip.src in 10.0.0.0/8 and rate(ip.src) > 10/s => drop\n"),
      "3:8: W0201: rule 'b' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
  // A rate limit and its negation are not a case split a cover may use.
  EXPECT_EQ(lint("  rule a: rate(ip.src) > 10/s => drop\n"
                 "  rule b: not (rate(ip.src) > 10/s) => drop\n"
                 "  rule c: ip.src in 10.0.0.0/8 => drop\n"),
            "");
  EXPECT_EQ(
      lint("  set banned : ip dynamic\n"
           "  rule a: ip.src in banned => drop\n"
           "  rule b: ip.src in banned and tcp.syn => drop\n"),
      "4:8: W0201: rule 'b' is shadowed by earlier rules and never decides\n"
      "  note 3:8: rule 'a' matches all of its packets first\n");
}

TEST(LintShadow, ExpiringRulesCoverOnlyRulesThatExpireFirst) {
  EXPECT_EQ(lint("  rule a: tcp.dport == 22 => drop ttl 10m\n"
                 "  rule b: tcp.dport == 22 and tcp.syn => drop\n"),
            "");
  EXPECT_EQ(
      lint("  rule a: tcp.dport == 22 => drop ttl 10m\n"
           "  rule b: tcp.dport == 22 and tcp.syn => drop ttl 5m\n"),
      "3:8: W0201: rule 'b' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
}

// ------------------------------------------------------------------ W0202

TEST(LintRedundant, LaterRuleWithTheSameActionTakesOver) {
  EXPECT_EQ(
      lint("  rule a: tcp.dport == 22 => drop\n"
           "  rule b: tcp.dport in 1..1024 => drop\n"),
      "2:8: W0202: rule 'a' is redundant: removing it changes no verdict\n"
      "  note 3:8: rule 'b' also drops all of its packets\n");
}

TEST(LintRedundant, SeveralLaterRulesTogether) {
  EXPECT_EQ(
      lint("  rule a: l4.dport == 53 => pass\n"
           "  rule b: tcp.dport in 1..1024 => pass\n"
           "  rule c: udp.dport in 50..60 => pass\n"
           "  default drop\n"),
      "2:8: W0202: rule 'a' is redundant: removing it changes no verdict\n"
      "  note 3:8: rule 'b' also passes some of its packets\n"
      "  note 4:8: rule 'c' also passes some of its packets\n");
}

TEST(LintRedundant, NotWhenAnotherActionComesInBetween) {
  EXPECT_EQ(lint("  rule a: tcp.dport == 22 => drop\n"
                 "  rule k: ip.src in 10.0.0.0/8 => pass\n"
                 "  rule b: tcp.dport in 1..1024 => drop\n"),
            "");
  // ... unless it does not meet the rule.
  EXPECT_EQ(
      lint("  rule a: tcp.dport == 22 => drop\n"
           "  rule k: udp.dport == 22 => pass\n"
           "  rule b: tcp.dport in 1..1024 => drop\n"),
      "2:8: W0202: rule 'a' is redundant: removing it changes no verdict\n"
      "  note 4:8: rule 'b' also drops all of its packets\n");
}

TEST(LintRedundant, RestatingTheDefaultIsNotReported) {
  // Explicit rules before a default of the same action document (and
  // count) an allowlist or a denylist.
  EXPECT_EQ(lint("  rule allow_ssh: tcp.dport == 22 => pass\n"
                 "  rule block_telnet: tcp.dport == 23 => drop\n"
                 "  default drop\n"),
            "");
  EXPECT_EQ(lint("  rule allow_dns: udp.dport == 53 => pass\n"
                 "  default pass\n"),
            "");
}

TEST(LintRedundant, RemovingAllFlaggedRulesKeepsVerdicts) {
  // a is redundant given c; b is shadowed by a. Reporting both is safe:
  // b goes first (the redundancy check runs without shadowed rules).
  EXPECT_EQ(
      lint("  rule a: tcp.dport == 22 => drop\n"
           "  rule b: tcp.dport == 22 and tcp.syn => pass\n"
           "  rule c: ip.proto == tcp => drop\n"),
      "2:8: W0202: rule 'a' is redundant: removing it changes no verdict\n"
      "  note 4:8: rule 'c' also drops all of its packets\n"
      "3:8: W0201: rule 'b' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
}

// ----------------------------------------------------------- W0203, W0205

TEST(LintCondition, AlwaysFalse) {
  EXPECT_EQ(lint("  rule a: tcp.dport == 22 and tcp.dport == 80 => drop\n"
                 "  rule b: tcp.syn and udp.dport == 53 => drop\n"
                 "  rule c: ip.ttl < 0 => drop\n"
                 "  rule d: ip.src in 10.0.0.0/8 and ip.src in 192.168.0.0/16 "
                 "=> drop\n"
                 "  protect icmp.type == echo_request and ip.version == 6\n"),
            "2:11: W0203: condition of rule 'a' is always false\n"
            "3:11: W0203: condition of rule 'b' is always false\n"
            "4:11: W0203: condition of rule 'c' is always false\n"
            "5:11: W0203: condition of rule 'd' is always false\n"
            "6:11: W0203: protect condition is always false\n");
}

TEST(LintCondition, AlwaysTrue) {
  EXPECT_EQ(lint("  rule a: ip.ttl >= 0 => count\n"
                 "  rule b: pkt.len >= 0 => count\n"
                 "  rule c: pkt.len < 100 or not (pkt.len < 100) => count\n"
                 "  rule d: tcp.syn or not tcp.syn => count\n"),
            "3:11: W0205: condition of rule 'b' is always true\n"
            "4:11: W0205: condition of rule 'c' is always true\n");
}

// ---------------------------------------------------------- W0204, E04xx

TEST(LintUnused, ConstantsAndSets) {
  EXPECT_EQ(lint("  const a = { 10.0.0.0/8 }\n"
                 "  const b = { a, 192.168.0.0/16 }\n"
                 "  const used = 22\n"
                 "  set s : ip dynamic\n"
                 "  set t : ip dynamic\n"
                 "  rule r: tcp.dport == used and ip.src in t => drop\n"),
            "2:9: W0207: constant 'a' is never used\n"
            "  note 3:9: it is only used by 'b', which is unused itself\n"
            "3:9: W0207: constant 'b' is never used\n"
            "5:7: W0207: set 's' is never used\n");
}

TEST(LintUnused, UsedByTestsCounts) {
  EXPECT_EQ(lint("  const host = 10.0.0.1\n"
                 "  rule r: tcp.dport == 22 => drop\n"
                 "  test \"t\" { packet { ip.src = host, tcp.dport = 22 } => "
                 "drop }\n"),
            "");
}

// ------------------------------------------------------------------ W0208

TEST(LintComplex, ReportedOnceAndSkipped) {
  std::string cond =
      "(tcp.sport == 1 or tcp.dport == 1) and "
      "(ip.ttl == 1 or ip.tos == 1) and (ip.len == 1 or pkt.len == 1) and "
      "(vlan.id == 1 or tcp.window == 1) and "
      "(eth.src == 00:00:00:00:00:01 or eth.dst == 00:00:00:00:00:01) and "
      "(ip.src == 10.0.0.1 or ip.dst == 10.0.0.1) and (tcp.syn or tcp.ack) and "
      "(tcp.fin or tcp.rst) and (tcp.psh or tcp.urg)";
  // Neither shadowed (by a) nor a shadower (of c): no guess either way.
  EXPECT_EQ(
      lint("  rule a: ip.proto == tcp => drop\n"
           "  rule b: " +
           cond +
           " => pass\n"
           "  rule c: tcp.dport == 1 and tcp.sport == 1 => pass\n"),
      "3:11: W0208: condition of rule 'b' is too complex to lint\n"
      "  note: it has more than 256 alternatives; the other lint checks "
      "skip this rule\n"
      "4:8: W0201: rule 'c' is shadowed by earlier rules and never decides\n"
      "  note 2:8: rule 'a' matches all of its packets first\n");
  EXPECT_EQ(lint("  protect ip.src in 192.0.2.0/24\n"
                 "  rule b: " +
                     cond + " => drop ttl 1h\n",
                 /*generated=*/true),
            "3:8: E0401: cannot prove that drop rule 'b' spares protected "
            "traffic: its condition is too complex\n"
            "3:11: W0208: condition of rule 'b' is too complex to lint\n"
            "  note: it has more than 256 alternatives; the other lint checks "
            "skip this rule\n");
}

TEST(LintPositive, LanguageExample) {
  EXPECT_EQ(
      lint("  const trusted  = { 10.0.0.0/8, 192.168.0.0/16, fd00::/8 }\n"
           "  const web      = { 80, 443, 8000..8100 }\n"
           "  protect ip.src in trusted\n"
           "  set banned : ip dynamic ttl 10m capacity 100000\n"
           "  rule allow_web:   tcp.dport in web and tcp.syn and not tcp.ack "
           "=> pass\n"
           "  rule drop_banned: ip.src in banned => drop\n"
           "  rule icmp_flood:  icmp.type == echo_request and rate(ip.src) > "
           "100/s "
           "=> drop ttl 10m\n"
           "  rule odd_ttl:     ip.ttl < 2 => count\n"
           "  rule frag:        ip.frag => drop shadow\n"
           "  default pass\n"
           "  test \"web SYN passes, flood is cut\" {\n"
           "    packet { ip.src = 203.0.113.7, tcp.dport = 443, tcp.syn = true "
           "} => pass\n"
           "    packet { ip.src = 198.51.100.1, icmp.type = echo_request } x "
           "1000 "
           "within 1s => drop >= 850\n"
           "  }\n"),
      "7:8: W0204: drop rule 'drop_banned' touches protected traffic\n"
      "  note 4:11: it drops packets protected here, for example "
      "ip.src = 10.0.0.0, ip.src in banned\n"
      "8:8: W0204: drop rule 'icmp_flood' touches protected traffic\n"
      "  note 4:11: it drops packets protected here, for example "
      "ip.src = 10.0.0.0, icmp.type = echo_request, rate(ip.src) > 100/s\n");
}

// Every example policy that checks without errors has no lint finding
// about its rules.
TEST(LintPositive, ExamplePolicies) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(PSC_SOURCE_DIR) / "policies";
  if (!fs::exists(dir))
    GTEST_SKIP() << "no policies/ directory";
  for (const auto &entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".psl")
      continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto m = check_source(entry.path().filename().string(), text.str());
    if (m.diags.has_errors())
      continue; // someone else's problem; their tests say so
    for (const auto &d : m.diags.diagnostics())
      EXPECT_TRUE(d.code != DiagCode::W0201 && d.code != DiagCode::W0202 &&
                  d.code != DiagCode::W0203 && d.code != DiagCode::W0205 &&
                  d.code != DiagCode::W0208)
          << entry.path().filename() << ":" << d.range.begin.line << ": "
          << d.message;
  }
}

// --------------------------------------------------- property: verdicts

// Random small policies; packets drawn from the same small value pools.
// Removing every rule the lint reports as shadowed or redundant must not
// change any packet's verdict, and a shadowed rule must never be the
// first match. Verdicts are computed from the rules' condition sets.
TEST(LintProperty, FlaggedRulesCanAllBeRemoved) {
  std::mt19937 rng(2024);
  const char *atoms[] = {"tcp.dport == 22",
                         "tcp.dport in 20..25",
                         "udp.dport == 53",
                         "l4.dport == 53",
                         "tcp.syn",
                         "not tcp.syn",
                         "ip.src in 10.0.0.0/8",
                         "ip.src in 10.1.0.0/16",
                         "ip.src == 10.1.2.3",
                         "ip.proto == tcp",
                         "ip.proto == udp",
                         "ip.version == 4",
                         "ip.src in fd00::/8",
                         "icmp.type == echo_request"};
  int reported = 0;
  for (int round = 0; round < 150; ++round) {
    int n = 3 + static_cast<int>(rng() % 8);
    std::string body;
    for (int i = 0; i < n; ++i) {
      std::string cond = atoms[rng() % std::size(atoms)];
      int extra = static_cast<int>(rng() % 3);
      for (int k = 0; k < extra; ++k) {
        const char *op = rng() % 3 ? " and " : " or ";
        std::string a = atoms[rng() % std::size(atoms)];
        if (rng() % 4 == 0)
          a = "not (" + a + ")";
        cond = "(" + cond + ")" + op + a;
      }
      const char *action = rng() % 2 ? "drop" : "pass";
      body +=
          "  rule r" + std::to_string(i) + ": " + cond + " => " + action + "\n";
    }
    body += rng() % 2 ? "  default drop\n" : "  default pass\n";
    auto m = check_source("p.psl", "policy p {\n" + body + "}\n");
    ASSERT_FALSE(m.diags.has_errors()) << render(m.diags) << body;
    const Policy &p = *m.module.policy;
    std::vector<bool> flagged(p.rules.size(), false),
        shadowed(p.rules.size(), false);
    for (const auto &d : m.diags.diagnostics())
      for (size_t i = 0; i < p.rules.size(); ++i)
        if (d.range.begin.line == p.rules[i]->name_range.begin.line) {
          if (d.code == DiagCode::W0201 || d.code == DiagCode::W0202) {
            flagged[i] = true;
            ++reported;
          }
          if (d.code == DiagCode::W0201)
            shadowed[i] = true;
        }
    analysis::Space space;
    std::vector<analysis::Dnf> dnf;
    for (auto *r : p.rules) {
      analysis::ConditionBuilder b(space);
      dnf.push_back(*b.build(*r->cond));
    }
    auto matches = [&](size_t i, const analysis::Witness &w) {
      for (const auto &b : dnf[i])
        if (analysis::box_contains(b, w))
          return true;
      return false;
    };
    for (int k = 0; k < 400; ++k) {
      analysis::Witness w;
      int kind = static_cast<int>(rng() % 4); // tcp, udp, icmp, none
      bool v6 = kind != 2 && rng() % 4 == 0;
      if (kind < 3) {
        w.fixed[analysis::kLayerIp] = 1;
        w.fixed[analysis::kDimIpVersion] = v6 ? 6 : 4;
        w.fixed[analysis::kDimEthType] = v6 ? 0x86dd : 0x0800;
        w.fixed[analysis::kDimIpProto] = kind == 0 ? 6 : kind == 1 ? 17 : 1;
        const uint32_t srcs[] = {0x0a010203, 0x0a010909, 0x0a020000,
                                 0xc0000201};
        if (v6)
          w.fixed[analysis::kIpSrc6] =
              (analysis::Point{0xfd} << 120) * (rng() % 2) + 1;
        else
          w.fixed[analysis::kDimIpSrc4] = srcs[rng() % 4];
      }
      const analysis::Point ports[] = {22, 23, 53, 80};
      if (kind == 0) {
        w.fixed[analysis::kLayerTcp] = 1;
        w.fixed[analysis::field_dim(FieldId::TcpDport)] = ports[rng() % 4];
        w.fixed[analysis::field_dim(FieldId::TcpSyn)] = rng() % 2;
      } else if (kind == 1) {
        w.fixed[analysis::kLayerUdp] = 1;
        w.fixed[analysis::field_dim(FieldId::UdpDport)] = ports[rng() % 4];
      } else if (kind == 2) {
        w.fixed[analysis::kLayerIcmp] = 1;
        w.fixed[analysis::field_dim(FieldId::IcmpType)] = 8 * (rng() % 2);
      }
      auto verdict = [&](bool skip_flagged) {
        for (size_t i = 0; i < p.rules.size(); ++i) {
          if (skip_flagged && flagged[i])
            continue;
          if (matches(i, w)) {
            EXPECT_FALSE(shadowed[i]) << "shadowed rule matched first\n"
                                      << body;
            return p.rules[i]->action;
          }
        }
        return p.default_action();
      };
      ASSERT_EQ(verdict(false), verdict(true)) << body << render(m.diags);
    }
  }
  EXPECT_GT(reported, 50); // the property is not vacuous
}

// ------------------------------------------------------------------ timing

// Not a test: times the lint on the files in $PSL_LINT_TIMING_FILES
// (tests/bench/gen_policy.py writes them). Run with
// --gtest_also_run_disabled_tests --gtest_filter='LintTiming.*'.
TEST(LintTiming, DISABLED_Files) {
  const char *files = std::getenv("PSL_LINT_TIMING_FILES");
  if (!files)
    GTEST_SKIP() << "set PSL_LINT_TIMING_FILES";
  std::istringstream list(files);
  std::string path;
  while (list >> path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    auto file = std::make_shared<const SourceFile>(path, text.str());
    DiagnosticSink diags(file);
    auto t0 = std::chrono::steady_clock::now();
    auto m = parse_policy(file, diags);
    auto t1 = std::chrono::steady_clock::now();
    PassOptions options;
    PassContext ctx{diags, options};
    auto passes = make_frontend_passes();
    for (size_t i = 0; i + 2 < passes.size(); ++i) // all but lint, protect
      passes[i]->run(*m.policy, ctx);
    auto t2 = std::chrono::steady_clock::now();
    double best_wall = 1e9, best_cpu = 1e9;
    size_t found = 0;
    for (int rep = 0; rep < 3; ++rep) {
      DiagnosticSink out(file);
      PassContext lctx{out, options};
      std::clock_t c = std::clock();
      auto a = std::chrono::steady_clock::now();
      create_lint_pass()->run(*m.policy, lctx);
      auto b = std::chrono::steady_clock::now();
      best_wall =
          std::min(best_wall, std::chrono::duration<double>(b - a).count());
      best_cpu = std::min(best_cpu, double(std::clock() - c) / CLOCKS_PER_SEC);
      found = out.diagnostics().size();
    }
    std::printf("%-40s rules %6zu  parse %.3fs  sema %.3fs  lint %.3fs "
                "(cpu %.3fs)  diagnostics %zu\n",
                path.c_str(), m.policy->rules.size(),
                std::chrono::duration<double>(t1 - t0).count(),
                std::chrono::duration<double>(t2 - t1).count(), best_wall,
                best_cpu, found);
  }
}

} // namespace
} // namespace psl
