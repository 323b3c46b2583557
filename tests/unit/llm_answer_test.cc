// Finding the policy in an answer, and checking it as the governor's
// first gate would: the real frontend in --generated mode with the
// operator's protect conditions added, the generated-policy contract,
// the size limits and the key.
#include <gtest/gtest.h>

#include "analyze/llm/answer.h"
#include "analyze/llm/answer_check.h"
#include "driver.h"

namespace {

using namespace psr::analyze::llm;

const char *const kGood = "policy gen {\n"
                          "  const flooder = 203.0.113.66\n"
                          "  rule syn_66: ip.src == flooder and tcp.syn => "
                          "drop ttl 10m\n"
                          "}";

TEST(LlmAnswer, JsonAnswer) {
  std::string content =
      nlohmann::json{{"analysis", "a SYN flood from 203.0.113.66"},
                     {"policy", kGood},
                     {"evidence",
                      {{"windows", {20, 21}},
                       {"counters",
                        {{{"window", 21},
                          {"name", "talkers.top[203.0.113.66].tcp_syn"},
                          {"value", 59000}}}}}}}
          .dump();
  ExtractedAnswer a = extract_answer(content);
  EXPECT_EQ(a.kind, ExtractedAnswer::Kind::Policy);
  EXPECT_TRUE(a.json);
  EXPECT_EQ(a.policy, kGood);
  EXPECT_EQ(a.analysis, "a SYN flood from 203.0.113.66");
  EXPECT_EQ(a.windows, (std::vector<uint64_t>{20, 21}));
  ASSERT_EQ(a.counters.size(), 1u);
  EXPECT_EQ(a.counters[0].value, 59000);
  // In a fence, as some servers do even in JSON mode.
  ExtractedAnswer f = extract_answer("```json\n" + content + "\n```");
  EXPECT_TRUE(f.json);
  EXPECT_EQ(f.policy, kGood);
  // "policy": "" is no change.
  ExtractedAnswer none =
      extract_answer(R"({"analysis":"all quiet","policy":"","evidence":{}})");
  EXPECT_EQ(none.kind, ExtractedAnswer::Kind::NoPolicy);
  EXPECT_EQ(none.analysis, "all quiet");
}

TEST(LlmAnswer, FencedAndBareAnswers) {
  ExtractedAnswer f =
      extract_answer("A flood in window 21.\n\n```psl\n" + std::string(kGood) +
                     "\n```\nThat is all.");
  EXPECT_EQ(f.kind, ExtractedAnswer::Kind::Policy);
  EXPECT_EQ(f.policy, kGood);
  EXPECT_EQ(f.analysis, "A flood in window 21.\nThat is all.");
  // An unlabelled fence that holds a policy, after one that does not.
  ExtractedAnswer u =
      extract_answer("```\nls -l\n```\n```\n" + std::string(kGood) + "\n```");
  EXPECT_EQ(u.policy, kGood);
  // Bare: from `policy NAME {` to its brace, braces in comments skipped.
  ExtractedAnswer b = extract_answer(
      "Here it is: policy gen { # a } in a comment\n rule a: tcp.syn => drop "
      "ttl 1m } and some words after.");
  EXPECT_EQ(b.kind, ExtractedAnswer::Kind::Policy);
  EXPECT_EQ(b.policy, "policy gen { # a } in a comment\n rule a: tcp.syn => "
                      "drop ttl 1m }");
  EXPECT_EQ(b.analysis, "Here it is:\nand some words after.");
  // A policy cut off: to the end.
  ExtractedAnswer cut = extract_answer("policy gen {\n  rule a: tcp.syn");
  EXPECT_EQ(cut.policy, "policy gen {\n  rule a: tcp.syn");
}

TEST(LlmAnswer, NoPolicyEmptyAndForeignCode) {
  EXPECT_EQ(extract_answer("  \n\t ").kind, ExtractedAnswer::Kind::Empty);
  ExtractedAnswer words = extract_answer("Nothing unusual in these windows.");
  EXPECT_EQ(words.kind, ExtractedAnswer::Kind::NoPolicy);
  EXPECT_EQ(words.analysis, "Nothing unusual in these windows.");
  // C code instead of PSL: taken, so the checker says why it is not PSL.
  ExtractedAnswer c =
      extract_answer("```c\nint main(void) { return drop_all(); }\n```");
  EXPECT_EQ(c.kind, ExtractedAnswer::Kind::Policy);
  EXPECT_EQ(c.policy, "int main(void) { return drop_all(); }");
}

TEST(LlmAnswer, CleanText) {
  EXPECT_EQ(clean_text("a\tb\x01"
                       "c\nd",
                       100),
            "a b c\nd");
  EXPECT_EQ(clean_text("abcdef", 3), "abc...");
  // Never half a UTF-8 character.
  EXPECT_EQ(clean_text("ab\xc3\xa9\xc3\xa9", 3), "ab...");
}

OperatorView edge() {
  OperatorView op;
  op.policy = "edge";
  op.names = {"trusted", "allow_web"};
  op.protects = {"ip.src in { 10.0.0.0/8 }"};
  return op;
}

CheckOutcome check(const std::string &text, CheckLimits limits = {}) {
  return check_policy_answer(text, "answer.psl", edge(), limits, Redactor());
}

TEST(LlmCheck, AGoodPolicyIsAcceptedInCanonicalForm) {
  CheckOutcome c =
      check("# the flood\n" + std::string(kGood) + "  # trailing words\n");
  ASSERT_TRUE(c.accepted) << c.diagnostics;
  EXPECT_EQ(c.policy_name, "gen");
  EXPECT_EQ(c.psl, "policy gen {\n  const flooder = 203.0.113.66\n"
                   "  rule syn_66: ip.src == flooder and tcp.syn => drop ttl "
                   "10m\n}\n");
  ASSERT_EQ(c.rules.size(), 1u);
  EXPECT_EQ(c.rules[0].name, "syn_66");
  EXPECT_EQ(c.rules[0].action, "drop");
  EXPECT_EQ(c.rules[0].ttl_ms, 600000u);
  EXPECT_FALSE(c.rules[0].shadow);
  // The accepted text checks on its own.
  psl::PassOptions o;
  o.generated = true;
  EXPECT_TRUE(psl::check_source("x.psl", c.psl, o).ok());
}

TEST(LlmCheck, SyntaxErrorsComeBackAsPscCheckPrintsThem) {
  CheckOutcome c = check("policy gen {\n  rule a: tcp.dprot == 22 => drop ttl "
                         "1m\n}\n");
  ASSERT_FALSE(c.accepted);
  EXPECT_EQ(c.reason, "check_failed");
  EXPECT_TRUE(c.repairable);
  EXPECT_EQ(c.diagnostics,
            "answer.psl:2:11: error[E0202]: unknown field 'tcp.dprot'\n"
            "  rule a: tcp.dprot == 22 => drop ttl 1m\n"
            "          ^~~~~~~~~\n"
            "answer.psl:2:11: note: did you mean 'tcp.dport'?\n");
}

TEST(LlmCheck, DroppingProtectedTrafficIsRefused) {
  CheckOutcome c = check("policy gen {\n  rule all: ip.src in 0.0.0.0/0 => "
                         "drop ttl 10m\n}\n");
  ASSERT_FALSE(c.accepted);
  EXPECT_EQ(c.reason, "drops_protected");
  EXPECT_NE(c.diagnostics.find("error[E0401]"), std::string::npos)
      << c.diagnostics;
  // The note shows the operator's condition the drop runs into.
  EXPECT_NE(c.diagnostics.find("protect ip.src in { 10.0.0.0/8 }"),
            std::string::npos)
      << c.diagnostics;
}

TEST(LlmCheck, EveryRuleNeedsATtl) {
  CheckOutcome drop =
      check("policy gen {\n  rule a: ip.src == 192.0.2.1 => drop\n}\n");
  ASSERT_FALSE(drop.accepted);
  EXPECT_EQ(drop.reason, "missing_ttl");
  EXPECT_NE(drop.diagnostics.find("error[E0402]"), std::string::npos);
  CheckOutcome count =
      check("policy gen {\n  rule a: ip.src == 192.0.2.1 => count\n}\n");
  ASSERT_FALSE(count.accepted);
  EXPECT_EQ(count.reason, "missing_ttl");
  EXPECT_EQ(count.diagnostics,
            "answer.psl:2:3: error: rule 'a' has no ttl: every generated "
            "rule needs one (e.g. '=> count ttl 10m')\n"
            "  rule a: ip.src == 192.0.2.1 => count\n"
            "  ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n");
}

TEST(LlmCheck, OnlyConstsAndRules) {
  CheckOutcome c =
      check("policy gen {\n  set s : ip dynamic\n  protect ip.src "
            "== 192.0.2.9\n  rule a: ip.src == 192.0.2.1 => drop ttl 1m\n"
            "  default pass\n}\n");
  ASSERT_FALSE(c.accepted);
  EXPECT_EQ(c.reason, "forbidden_declaration");
  EXPECT_NE(c.diagnostics.find("answer.psl:2:3: error: a generated policy "
                               "holds only const and rule declarations; "
                               "remove this 'set'"),
            std::string::npos)
      << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("remove this 'protect'"), std::string::npos);
  EXPECT_NE(c.diagnostics.find("remove this 'default'"), std::string::npos);
}

TEST(LlmCheck, OperatorNamesAreTaken) {
  CheckOutcome c = check("policy gen {\n  const trusted = 192.0.2.1\n  rule "
                         "allow_web: ip.src == trusted => drop ttl 1m\n}\n");
  ASSERT_FALSE(c.accepted);
  EXPECT_EQ(c.reason, "name_collision");
  EXPECT_NE(c.diagnostics.find("the operator policy already declares "
                               "'trusted'"),
            std::string::npos);
  EXPECT_NE(c.diagnostics.find("already declares 'allow_web'"),
            std::string::npos);
  // Naming the operator's constant instead of declaring it: unknown.
  CheckOutcome use =
      check("policy gen {\n  rule a: ip.src in trusted => drop ttl 1m\n}\n");
  EXPECT_EQ(use.reason, "check_failed");
  EXPECT_NE(use.diagnostics.find("error[E0201]"), std::string::npos);
}

TEST(LlmCheck, DropsOfEverything) {
  // Always true: refused even where nothing is protected.
  OperatorView none;
  CheckOutcome t =
      check_policy_answer("policy gen {\n  rule a: true => drop ttl 1m\n}\n",
                          "answer.psl", none, {}, Redactor());
  ASSERT_FALSE(t.accepted);
  EXPECT_EQ(t.reason, "drops_everything");
  // Every IPv4 and IPv6 source: most of the probe sample.
  CheckOutcome all = check_policy_answer(
      "policy gen {\n  rule a: ip.src in { 0.0.0.0/0, ::/0 } => drop ttl "
      "1m\n}\n",
      "answer.psl", none, {}, Redactor());
  ASSERT_FALSE(all.accepted);
  EXPECT_EQ(all.reason, "drops_everything");
  EXPECT_NE(all.diagnostics.find("the policy drops 100% of a sample of "
                                 "ordinary traffic"),
            std::string::npos)
      << all.diagnostics;
  // A whole protocol is a narrow enough answer to a flood of it.
  CheckOutcome icmp = check_policy_answer(
      "policy gen {\n  rule a: icmp.type == echo_request => drop ttl 1m\n}\n",
      "answer.psl", none, {}, Redactor());
  EXPECT_TRUE(icmp.accepted) << icmp.diagnostics;
}

TEST(LlmCheck, ProbeShare) {
  psl::PassOptions o;
  o.generated = true;
  auto m = psl::check_source(
      "p.psl", "policy p {\n  rule a: tcp.syn => drop ttl 1m\n}\n", o);
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(probe_drop_share(*m.module.policy), 0.2);
  auto udp = psl::check_source(
      "p.psl", "policy p {\n  rule a: ip.proto == udp => drop ttl 1m\n}\n", o);
  EXPECT_DOUBLE_EQ(probe_drop_share(*udp.module.policy), 0.4);
}

TEST(LlmCheck, LimitsAreNotRepaired) {
  std::string many = "policy gen {\n";
  for (int i = 0; i < 65; ++i)
    many += "  rule r" + std::to_string(i) + ": ip.src == 192.0.2." +
            std::to_string(i) + " => drop ttl 1m\n";
  many += "}\n";
  CheckOutcome c = check(many);
  ASSERT_FALSE(c.accepted);
  EXPECT_EQ(c.reason, "too_many_rules");
  EXPECT_FALSE(c.repairable);
  EXPECT_EQ(c.message, "the policy has 65 rules, more than the 64 allowed");
  CheckLimits small;
  small.max_policy_bytes = 40;
  CheckOutcome big = check(kGood, small);
  EXPECT_EQ(big.reason, "too_large");
  EXPECT_FALSE(big.repairable);
}

TEST(LlmCheck, APolicyNamingTheKeyIsRefused) {
  auto key = make_api_key("sk-PLANTED-0123456789abcdef", "test");
  Redactor r(*key);
  CheckOutcome c = check_policy_answer(
      "policy gen {\n  rule a: ip.src == 192.0.2.1 => drop ttl 1m\n"
      "  # sk-PLANTED-0123456789abcdef\n}\n",
      "answer.psl", edge(), {}, r);
  ASSERT_FALSE(c.accepted);
  EXPECT_EQ(c.reason, "names_secret");
  EXPECT_FALSE(c.repairable);
  EXPECT_EQ(c.message.find("PLANTED"), std::string::npos);
  EXPECT_EQ(c.diagnostics, "");
}

TEST(LlmCheck, CCodeIsNotPsl) {
  CheckOutcome c = check("int main(void) { return drop_all(); }");
  ASSERT_FALSE(c.accepted);
  EXPECT_EQ(c.reason, "check_failed");
  EXPECT_TRUE(c.repairable);
  EXPECT_NE(c.diagnostics.find("answer.psl:1:1: error[E01"), std::string::npos)
      << c.diagnostics;
}

} // namespace
