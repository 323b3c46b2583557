// The protect pass (compiler/passes/protect.h) through the real pipeline
// (psl::check_source): drops that touch protected traffic, in
// hand-written and generated policies, with their exact diagnostics; and
// the pass's place in the pass list.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "driver.h"
#include "frontend/parser.h"
#include "passes/pass_manager.h"
#include "passes/protect.h"

namespace psl {
namespace {

// "L:C: W0204: message", then "  note L:C: message" per note.
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

// Every frontend pass but `skip`, on a body that parses.
std::string run_without(const std::string &body, const std::string &skip) {
  auto file = std::make_shared<const SourceFile>("t.psl",
                                                 "policy t {\n" + body + "}\n");
  DiagnosticSink diags(file);
  auto m = parse_policy(file, diags);
  PassOptions options;
  PassContext ctx{diags, options};
  for (auto &pass : make_frontend_passes())
    if (pass->name() != skip)
      pass->run(*m.policy, ctx);
  return render(diags);
}

TEST(ProtectPass, RunsLastAsItsOwnPass) {
  std::vector<std::string> names;
  for (auto &pass : make_frontend_passes())
    names.push_back(pass->name());
  EXPECT_EQ(names, (std::vector<std::string>{"resolve", "consteval",
                                             "typecheck", "lint", "protect"}));
  // The drop touches protected traffic and is redundant: the protect
  // warning comes from the protect pass, the redundancy from the lint.
  const std::string body = "  protect ip.src in 10.0.0.0/8\n"
                           "  rule a: tcp.dport == 22 => drop\n"
                           "  rule b: tcp.dport >= 0 => drop\n";
  std::string all = lint(body);
  EXPECT_NE(all.find("W0204"), std::string::npos) << all;
  EXPECT_NE(all.find("W0202"), std::string::npos) << all;
  std::string no_protect = run_without(body, "protect");
  EXPECT_EQ(no_protect.find("W0204"), std::string::npos) << no_protect;
  EXPECT_NE(no_protect.find("W0202"), std::string::npos) << no_protect;
  std::string no_lint = run_without(body, "lint");
  EXPECT_NE(no_lint.find("W0204"), std::string::npos) << no_lint;
  EXPECT_EQ(no_lint.find("W0202"), std::string::npos) << no_lint;
}

TEST(ProtectPass, ConditionsOfProtect) {
  EXPECT_EQ(lint("  protect tcp.dport == 22 and udp.dport == 53\n"
                 "  rule a: ip.proto == tcp => drop\n"),
            "2:11: W0203: protect condition is always false\n");
}

TEST(ProtectPass, DropTouchingProtectedTraffic) {
  EXPECT_EQ(lint("  protect ip.src in 192.0.2.0/24\n"
                 "  rule a: tcp.dport == 22 => drop\n"),
            "3:8: W0204: drop rule 'a' touches protected traffic\n"
            "  note 2:11: it drops packets protected here, for example "
            "ip.src = 192.0.2.0, tcp.dport = 22\n");
}

TEST(ProtectPass, PassingProtectedTrafficFirstIsEnough) {
  const char *body = "  const mgmt = { 192.0.2.0/24, 2001:db8::/32 }\n"
                     "  protect ip.src in mgmt\n"
                     "  rule admin: ip.src in mgmt => pass\n"
                     "  rule a: tcp.dport == 22 => drop\n"
                     "  rule b: ip.src in 198.51.100.0/24 => drop shadow\n"
                     "  default drop\n";
  EXPECT_EQ(lint(body), "");
  // A generated policy may not rely on other rules: they may expire.
  EXPECT_EQ(lint(body, /*generated=*/true),
            "5:8: E0401: drop rule 'a' touches protected traffic\n"
            "  note 3:11: it drops packets protected here, for example "
            "ip.src = 192.0.2.0, tcp.dport = 22\n"
            "5:30: E0402: generated drop rule 'a' has no ttl\n"
            "6:40: E0402: generated drop rule 'b' has no ttl\n");
}

// Once earlier pass rules cover every protected packet, later drop rules
// are not checked one by one; before that they are.
TEST(ProtectPass, ProtectCoveredPartWayThrough) {
  EXPECT_EQ(lint("  protect ip.src in { 192.0.2.0/24, 2001:db8::/32 }\n"
                 "  rule a: tcp.dport == 22 => drop\n"
                 "  rule v4: ip.src in 192.0.2.0/24 => pass\n"
                 "  rule b: tcp.dport == 23 => drop\n"
                 "  rule v6: ip.src in 2001:db8::/32 => pass\n"
                 "  rule c: tcp.dport == 24 => drop\n"),
            "3:8: W0204: drop rule 'a' touches protected traffic\n"
            "  note 2:11: it drops packets protected here, for example "
            "ip.src = 192.0.2.0, tcp.dport = 22\n"
            "5:8: W0204: drop rule 'b' touches protected traffic\n"
            "  note 2:11: it drops packets protected here, for example "
            "tcp.dport = 23, ip.src = 2001:db8::\n");
}

TEST(ProtectPass, ExpiringPassDoesNotProtect) {
  EXPECT_EQ(lint("  protect ip.src in 192.0.2.0/24\n"
                 "  rule admin: ip.src in 192.0.2.0/24 => pass ttl 1h\n"
                 "  rule a: tcp.dport == 22 => drop\n"),
            "4:8: W0204: drop rule 'a' touches protected traffic\n"
            "  note 2:11: it drops packets protected here, for example "
            "ip.src = 192.0.2.0, tcp.dport = 22\n");
}

TEST(ProtectPass, DynamicSetsMayHoldProtectedAddresses) {
  const char *head = "  set banned : ip dynamic ttl 10m\n"
                     "  protect ip.src in 192.0.2.0/24\n";
  EXPECT_EQ(
      lint(std::string(head) + "  rule a: ip.src in banned => drop ttl 10m\n",
           /*generated=*/true),
      "4:8: E0401: drop rule 'a' touches protected traffic\n"
      "  note 3:11: it drops packets protected here, for example "
      "ip.src = 192.0.2.0, ip.src in banned\n");
  EXPECT_EQ(
      lint(std::string(head) +
               "  rule b: ip.src in banned and not (ip.src in 192.0.2.0/24) "
               "=> drop ttl 10m\n",
           /*generated=*/true),
      "");
}

TEST(ProtectPass, DefaultDropReachedByProtectedTraffic) {
  EXPECT_EQ(lint("  protect ip.src in 192.0.2.0/24\n"
                 "  rule web: tcp.dport == 443 => pass\n"
                 "  default drop\n"),
            "4:3: W0204: default drop touches protected traffic\n"
            "  note 2:11: packets protected here reach it, for example "
            "ip.src = 192.0.2.0\n");
}

// ------------------------------------------------------------------ W0207

TEST(ProtectPass, APassTooComplexToReadSilencesTheProtectCheck) {
  std::string big =
      "(tcp.sport == 1 or tcp.dport == 1) and "
      "(ip.ttl == 1 or ip.tos == 1) and (ip.len == 1 or pkt.len == 1) and "
      "(vlan.id == 1 or tcp.window == 1) and "
      "(eth.src == 00:00:00:00:00:01 or eth.dst == 00:00:00:00:00:01) and "
      "(ip.src == 10.0.0.1 or ip.dst == 10.0.0.1) and (tcp.syn or tcp.ack) and "
      "(tcp.fin or tcp.rst) and (tcp.psh or tcp.urg)";
  // It may pass the protected packets first: no W0204 either way.
  EXPECT_EQ(lint("  protect ip.src in 192.0.2.0/24\n"
                 "  rule big: " +
                 big +
                 " => pass\n"
                 "  rule a: tcp.dport == 22 => drop\n"
                 "  default drop\n"),
            "3:13: W0208: condition of rule 'big' is too complex to lint\n"
            "  note: it has more than 256 alternatives; the other lint checks "
            "skip this rule\n");
}

// ------------------------------------------------------------ positives

// The example of language.md: no shadowed or redundant rule. (It does drop
// banned and flooding sources without exempting the trusted ones.)
} // namespace
} // namespace psl
