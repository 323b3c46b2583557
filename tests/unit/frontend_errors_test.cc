// Frontend: syntax errors, their messages, recovery and robustness.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "frontend_test_util.h"

namespace psl {
namespace {

using testing::in_policy;
using testing::Parsed;

// The first (usually only) diagnostic of a policy body, as "L:C CODE msg".
std::string first_error(const std::string &body) {
  Parsed p(in_policy(body));
  std::string all = p.errors();
  return all.substr(0, all.find('\n'));
}

TEST(FrontendErrors, ThreeBrokenRulesThreeErrors) {
  Parsed p("policy p {\n"
           "  rule a: tcp.syn => dorp\n"
           "  rule ok1: tcp.ack => pass\n"
           "  rule b tcp.syn => drop\n"
           "  rule c: (tcp.syn => drop\n"
           "  rule ok2: tcp.fin => drop\n"
           "}\n");
  EXPECT_EQ(
      p.errors(),
      "2:22 E0101 expected an action ('pass', 'drop' or 'count') after '=>'\n"
      "4:10 E0101 expected ':' after the rule name 'b'\n"
      "5:20 E0101 expected ')'\n");
  ASSERT_TRUE(p.module.policy);
  // The broken rules are dropped, the good ones kept (and indexed densely).
  ASSERT_EQ(p.policy().rules.size(), 2u);
  EXPECT_EQ(p.policy().rules[0]->name, "ok1");
  EXPECT_EQ(p.policy().rules[1]->name, "ok2");
  EXPECT_EQ(p.policy().rules[1]->index, 1u);
  // Notes: did-you-mean and the unmatched '('.
  const auto &d = p.diags.diagnostics();
  ASSERT_EQ(d[0].notes.size(), 1u);
  EXPECT_EQ(d[0].notes[0].message, "did you mean 'drop'?");
  ASSERT_EQ(d[2].notes.size(), 1u);
  EXPECT_EQ(d[2].notes[0].message, "to match this '('");
  EXPECT_EQ(d[2].notes[0].range.begin.column, 11u);
}

TEST(FrontendErrors, OneErrorPerDeclaration) {
  // Everything after the first error in a declaration is skipped.
  Parsed p(
      in_policy("rule a: ( ( == => => ) ) ) drop drop\nrule b: x => pass"));
  EXPECT_EQ(p.diags.diagnostics().size(), 1u) << p.errors();
  EXPECT_EQ(p.policy().rules.size(), 1u);
}

TEST(FrontendErrors, BrokenConstantsAndSetsKeepTheirNames) {
  // So that their uses do not cascade into "unknown name".
  Parsed p(in_policy("const web = { 80, 443 8000 }\n"
                     "set bad ip dynamic\n"
                     "rule r: tcp.dport in web => pass\n"
                     "rule broken: => pass"));
  EXPECT_EQ(p.diags.diagnostics().size(), 3u) << p.errors();
  ASSERT_EQ(p.policy().consts.size(), 1u);
  EXPECT_EQ(p.policy().consts[0]->name, "web");
  EXPECT_EQ(as<LiteralExpr>(*p.policy().consts[0]->value).literal_kind,
            TypeKind::Error);
  ASSERT_EQ(p.policy().sets.size(), 1u);
  EXPECT_EQ(p.policy().sets[0]->name, "bad");
  EXPECT_EQ(p.policy().sets[0]->elem_type_name, "");
  ASSERT_EQ(p.policy().rules.size(), 1u);
  EXPECT_EQ(p.policy().rules[0]->name, "r");
}

TEST(FrontendErrors, Messages) {
  EXPECT_EQ(first_error("rule a: tcp.syn foo => drop"),
            "2:17 E0101 expected '=>' after the condition of rule 'a'");
  EXPECT_EQ(first_error("rule : x => drop"),
            "2:6 E0101 expected a rule name after 'rule'");
  EXPECT_EQ(first_error("rule count: x => drop"),
            "2:6 E0101 expected a rule name after 'rule'; 'count' is a "
            "reserved word");
  EXPECT_EQ(first_error("rule a: (tcp.syn)) => drop"),
            "2:18 E0101 unexpected ')'");
  EXPECT_EQ(
      first_error("rule a: tcp.syn => stop"),
      "2:20 E0101 expected an action ('pass', 'drop' or 'count') after '=>'");
  EXPECT_EQ(first_error("rule a: tcp.syn => drop tll 10m"),
            "2:25 E0101 unknown modifier 'tll'; expected 'ttl' or 'shadow'");
  EXPECT_EQ(first_error("rule a: tcp.syn => drop 10m"),
            "2:25 E0101 expected 'ttl' before the duration '10m'");
  EXPECT_EQ(first_error("rule a: tcp.syn => drop ttl"),
            "2:28 E0101 expected a duration (e.g. 10m) after 'ttl'");
  EXPECT_EQ(first_error("rule a: => drop"),
            "2:9 E0101 expected the condition of rule 'a' after ':'");
  EXPECT_EQ(first_error("rule a: tcp.dport == => drop"),
            "2:22 E0101 expected a value after '=='");
  EXPECT_EQ(first_error("rule a: ip.src in => drop"),
            "2:19 E0101 expected a set, a range or a prefix after 'in'");
  EXPECT_EQ(first_error("rule a: tcp.syn and => drop"),
            "2:21 E0101 expected a condition after 'and'");
  EXPECT_EQ(first_error("rule a: tcp.dport = 22 => drop"),
            "2:19 E0101 unexpected '='; use '==' to compare");
  EXPECT_EQ(first_error("rule a: ip.src not trusted => drop"),
            "2:20 E0101 expected 'in' after 'not'");
  EXPECT_EQ(first_error("rule a: tcp.dport in { 1 2 } => drop"),
            "2:26 E0101 expected ',' or '}' in the set");
  EXPECT_EQ(first_error("rule a: rate(ip.src burst 5) > 1/s => drop"),
            "2:21 E0101 expected ',' or ')' in the arguments of 'rate'");
  EXPECT_EQ(first_error("foo: x => drop"),
            "2:1 E0101 missing 'rule' before 'foo:'");
  EXPECT_EQ(first_error("rul a: x => drop"),
            "2:1 E0101 expected a declaration ('const', 'set', 'protect', "
            "'rule', 'default' or "
            "'test') or '}', found 'rul'");
  EXPECT_EQ(first_error("const = 4"),
            "2:7 E0101 expected a constant name after 'const'");
  EXPECT_EQ(first_error("const x 4"),
            "2:9 E0101 expected '=' after the constant name 'x'");
  EXPECT_EQ(first_error("const x = 1 2"),
            "2:13 E0101 unexpected '2' after the end of the constant 'x'");
  EXPECT_EQ(first_error("protect\n"),
            "2:8 E0101 expected a condition after 'protect'");
  EXPECT_EQ(first_error("default count"),
            "2:9 E0101 expected 'pass' or 'drop' after 'default'");
  EXPECT_EQ(
      first_error("set s ip dynamic"),
      "2:7 E0101 expected ':' and an element type after the set name 's'");
  EXPECT_EQ(first_error("set s : ip"),
            "2:11 E0101 expected 'dynamic' after the element type of set 's' "
            "(a fixed set is a "
            "constant: 'const s = { ... }')");
  EXPECT_EQ(
      first_error("set s : ip dynamic size 5"),
      "2:20 E0101 unknown set option 'size'; expected 'ttl' or 'capacity'");
  EXPECT_EQ(first_error("set s : ip dynamic capacity x"),
            "2:29 E0101 expected a number after 'capacity'");
  EXPECT_EQ(first_error("test t {}"), "2:6 E0101 expected the test name (a "
                                      "string in double quotes) after 'test'");
  EXPECT_EQ(first_error("test \"t\" packet"),
            "2:10 E0101 expected '{' after the test name");
  EXPECT_EQ(first_error("test \"t\" { pkt {} => pass }"),
            "2:12 E0101 expected 'packet' or '}' in test \"t\"");
  EXPECT_EQ(first_error("test \"t\" { packet { ip.src == 1 } => pass }"),
            "2:28 E0101 expected '=' after the field 'ip.src' (test packets "
            "assign with '=')");
  EXPECT_EQ(first_error(
                "test \"t\" { packet { ip.src = 1 tcp.syn = true } => pass }"),
            "2:32 E0101 expected ',' or '}' in the packet");
  EXPECT_EQ(first_error("test \"t\" { packet {} pass }"),
            "2:22 E0101 expected '=>' and a verdict after the packet");
  EXPECT_EQ(first_error("test \"t\" { packet {} 5 => pass }"),
            "2:22 E0101 expected '=>' after the packet (write 'x 5' to send it "
            "several times)");
  EXPECT_EQ(first_error("test \"t\" { packet {} => count }"),
            "2:25 E0101 expected a verdict ('pass' or 'drop') after '=>'");
  EXPECT_EQ(first_error("test \"t\" { packet {} x 9 => drop 5 }"),
            "2:34 E0101 expected a comparison ('>=', '<=', '==', '>' or '<') "
            "before the count '5'");
}

TEST(FrontendErrors, PolicyLevelMessages) {
  EXPECT_EQ(Parsed("policy p {\n  rule a: x => drop\n").errors(),
            "2:20 E0101 expected '}' at the end of policy 'p'\n");
  EXPECT_EQ(Parsed("policy { }").errors(),
            "1:8 E0101 expected a policy name after 'policy'\n");
  EXPECT_EQ(Parsed("policy p\n  rule a: x => drop\n}").errors(),
            "1:9 E0101 expected '{' after the policy name 'p'\n");
  EXPECT_EQ(Parsed("policy rule a: x => drop }").errors(),
            "1:8 E0101 expected a policy name and '{' after 'policy'\n");
  EXPECT_EQ(Parsed("policy p { } }").errors(),
            "1:14 E0101 unexpected '}' after the end of policy 'p'\n");
  EXPECT_EQ(Parsed("rule a: x => drop").errors(),
            "1:1 E0106 expected 'policy NAME { ... }', found 'rule'\n");
  // The body of a policy with a bad header is still parsed.
  Parsed named("policy \"p\" { rule a: x => drop\n rule b: => drop }");
  EXPECT_EQ(named.errors(),
            "1:8 E0101 expected a policy name after 'policy'\n"
            "2:10 E0101 expected the condition of rule 'b' after ':'\n");
  EXPECT_EQ(named.policy().rules.size(), 1u);
}

TEST(FrontendErrors, LexicalErrors) {
  EXPECT_EQ(Parsed(in_policy("rule a: x => drop;")).errors(),
            "2:18 E0102 invalid character ';'\n");
  EXPECT_EQ(
      Parsed(in_policy("rule block-ssh: tcp.dport == 22 => drop")).errors(),
      "2:11 E0102 invalid character '-' (names use letters, digits and '_')\n");
  EXPECT_EQ(Parsed(in_policy("rule a: x && y => drop")).errors(),
            "2:11 E0102 invalid operator '&&'; use 'and'\n");
  EXPECT_EQ(Parsed(in_policy("rule a: x || y => drop")).errors(),
            "2:11 E0102 invalid operator '||'; use 'or'\n");
  EXPECT_EQ(Parsed(in_policy("rule a: !x => drop")).errors(),
            "2:9 E0102 invalid operator '!'; use 'not' (or '!=')\n");
  EXPECT_EQ(Parsed(in_policy("rule é: x => drop")).errors(),
            "2:6 E0102 invalid character 'é' (U+00E9)\n");
  EXPECT_EQ(Parsed(in_policy("rule a: x \x01=> drop")).errors(),
            "2:11 E0102 invalid character U+0001\n");
  // An unterminated string explains the syntax errors after it.
  Parsed s(
      in_policy("test \"abc {\n  packet {} => pass\n}\nrule a: x => drop"));
  EXPECT_EQ(s.errors(), "2:6 E0104 unterminated string: missing '\"' before "
                        "the end of the line\n");
  EXPECT_EQ(s.policy().rules.size(), 1u);
  // Encoding.
  EXPECT_EQ(Parsed(std::string("policy p {\n}\0", 13)).errors(),
            "2:2 E0002 input contains a NUL byte\n");
  EXPECT_EQ(Parsed("policy p { # \xff\n}").errors(),
            "1:14 E0002 input is not valid UTF-8 (byte 0xff)\n");
  EXPECT_TRUE(Parsed("\xef\xbb\xbfpolicy p { }").ok());
}

TEST(FrontendErrors, NothingOnStderr) {
  const char *inputs[] = {
      "policy p { rule a: ( => }",
      "policy",
      "}",
      "policy p { test \"",
      "policy p { rule a: x",
      "\x01\x02 policy p { @@ }",
      "policy p { const c = {{{{ }",
  };
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  for (const char *text : inputs)
    Parsed p(text);
  std::string err = ::testing::internal::GetCapturedStderr();
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(err, "");
  EXPECT_EQ(out, "");
}

// --------------------------------------------------------------- robustness

void expect_sane(const Parsed &p, const std::string &input) {
  uint32_t lines = p.file->line_count() + 1;
  for (const auto &d : p.diags.diagnostics()) {
    EXPECT_FALSE(d.message.empty());
    EXPECT_GE(d.range.begin.line, 1u) << d.message << "\n" << input;
    EXPECT_GE(d.range.begin.column, 1u) << d.message << "\n" << input;
    EXPECT_LE(d.range.end.line, lines) << d.message << "\n" << input;
  }
}

TEST(FrontendRobustness, DeepNesting) {
  std::string parens = "policy p { rule a: " + std::string(10000, '(') + "x" +
                       std::string(10000, ')') + " => drop }";
  Parsed p(parens);
  EXPECT_EQ(p.errors(), "1:275 E0101 nesting is too deep (more than 256 levels "
                        "of '(' and '{')\n");
  std::string nots = "policy p { rule a: ";
  for (int i = 0; i < 10000; ++i)
    nots += "not ";
  Parsed n(nots + "x => drop }");
  EXPECT_NE(n.errors().find("'not' in a row"), std::string::npos);
  std::string braces = "policy p { const c = " + std::string(5000, '{');
  Parsed b(braces);
  EXPECT_TRUE(b.diags.has_errors());
  // Deep but allowed.
  Parsed ok("policy p { rule a: " + std::string(200, '(') + "x" +
            std::string(200, ')') + " => drop }");
  EXPECT_TRUE(ok.ok()) << ok.errors();
}

TEST(FrontendRobustness, RandomBytes) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 300; ++i) {
    std::string input(rng() % 400, '\0');
    for (char &c : input)
      c = static_cast<char>(rng() % 256);
    Parsed p(input);
    EXPECT_TRUE(p.diags.has_errors() || p.ok());
    expect_sane(p, input);
  }
}

TEST(FrontendRobustness, RandomTokens) {
  const char *toks[] = {
      "policy",  "p",       "{",          "}",       "rule",
      "a",       ":",       "=>",         "drop",    "pass",
      "count",   "(",       ")",          "tcp.syn", "and",
      "or",      "not",     "in",         "==",      "<",
      "1",       "0x2a",    "10.0.0.0/8", "::1",     "aa:bb:cc:dd:ee:ff",
      "1..2",    "10m",     "5/s",        "test",    "\"x\"",
      "\"y",     "packet",  "x",          "within",  "set",
      "dynamic", "ttl",     "capacity",   "shadow",  "const",
      "=",       ",",       "rate",       "burst",   "proto",
      "default", "protect", "# c\n",      "\n",      "@",
      "10sec"};
  std::mt19937 rng(777);
  for (int i = 0; i < 500; ++i) {
    std::string input;
    size_t n = rng() % 120;
    if (rng() % 2)
      input = "policy p {";
    for (size_t k = 0; k < n; ++k) {
      input += toks[rng() % (sizeof toks / sizeof *toks)];
      input += ' ';
    }
    Parsed p(input);
    expect_sane(p, input);
  }
}

TEST(FrontendRobustness, EveryPrefixAndDeletionOfAValidPolicy) {
  const std::string text =
      "policy p {\n"
      "  const c = { 10.0.0.0/8, 80..90, fd00::/8 }\n"
      "  set s : ip dynamic ttl 1m capacity 10\n"
      "  protect ip.src in c\n"
      "  rule a: not (tcp.dport in c or ip.ttl < 2) and rate(ip.src, burst 5) "
      "> 1k/s => drop ttl 5m shadow\n"
      "  default drop\n"
      "  test \"t\" { packet { ip.src = 1.2.3.4 } x 3 within 1s => drop >= 2 "
      "}\n"
      "}\n";
  for (size_t cut = 0; cut < text.size(); ++cut) {
    Parsed prefix(text.substr(0, cut));
    expect_sane(prefix, text.substr(0, cut));
    if (cut > 0 && cut + 1 < text.size() && text[cut - 1] != ' ' &&
        text[cut - 1] != '\n') {
      EXPECT_TRUE(prefix.diags.has_errors() || cut == 0) << text.substr(0, cut);
    }
    std::string deleted = text.substr(0, cut) + text.substr(cut + 1);
    Parsed del(deleted);
    expect_sane(del, deleted);
  }
}

} // namespace
} // namespace psl
