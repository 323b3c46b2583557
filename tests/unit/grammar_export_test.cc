// psc grammar: the exported GBNF / EBNF, read back from its text.
//  - random sentences drawn from the text parse with the real frontend
//    (no syntax error; values may still be wrong, which is psc check's job);
//  - the example policies (without their comments) are sentences, so the
//    export does not forbid what people and models normally write;
//  - a change of grammar/Policy.g4 that the exporter's rewrites do not
//    know stops the export instead of producing a stale grammar.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "bnf_grammar.h"
#include "diag/diagnostics.h"
#include "frontend/parser.h"
#include "grammar_export/bnf_writer.h"
#include "grammar_export/char_grammar.h"
#include "grammar_export/g4_reader.h"
#include "grammar_export/grammar_export.h"

namespace {

using psl::grammar::ExportOptions;
using psl::grammar::Format;

std::string read_file(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::filesystem::path kSource = PSL_SOURCE_DIR;

psl::grammar::Grammar exported(Format format, bool generated) {
  ExportOptions o;
  o.format = format;
  o.generated_only = generated;
  return psl::testing::parse_bnf(psl::grammar::export_grammar(o));
}

// The codes the parse itself reports for text that is not PSL syntax.
bool is_syntax_error(psl::DiagCode c) {
  using psl::DiagCode;
  return c == DiagCode::E0002 || c == DiagCode::E0101 || c == DiagCode::E0102 ||
         c == DiagCode::E0104 || c == DiagCode::E0105 || c == DiagCode::E0106;
}

std::string syntax_errors(const std::string &text) {
  auto file = std::make_shared<const psl::SourceFile>("sample.psl", text);
  psl::DiagnosticSink diags(file);
  psl::Module m = psl::parse_policy(file, diags);
  std::string out;
  if (!m.policy)
    out += "no policy\n";
  for (const psl::Diagnostic &d : diags.diagnostics())
    if (is_syntax_error(d.code))
      out += std::string(psl::diag_info(d.code).name) + " " +
             std::to_string(d.range.begin.line) + ":" +
             std::to_string(d.range.begin.column) + " " + d.message + "\n";
  return out;
}

TEST(GrammarExport, ReadsThePolicyGrammar) {
  psl::grammar::Grammar g = psl::grammar::read_g4(psl::grammar::policy_g4());
  EXPECT_EQ(g.name, "Policy");
  for (const char *name : {"policyFile", "ruleDecl", "expr", "primary", "IDENT",
                           "FIELD", "IPV6", "IDENT_PART"})
    EXPECT_NE(g.find(name), nullptr) << name;
  const psl::grammar::Rule *primary = g.find("primary");
  ASSERT_NE(primary, nullptr);
  EXPECT_NE(std::find(primary->alt_labels.begin(), primary->alt_labels.end(),
                      "callPrimary"),
            primary->alt_labels.end());
  EXPECT_TRUE(g.find("IDENT_PART")->fragment);
  EXPECT_EQ(g.find("WS")->commands, std::vector<std::string>{"skip"});
  EXPECT_EQ(psl::grammar::to_string(g.find("policyDecl")->body),
            "POLICY IDENT? LBRACE decl* RBRACE");
}

TEST(GrammarExport, ReaderErrorsHaveAPlace) {
  try {
    psl::grammar::read_g4("grammar X;\nr : a (b ;\n");
    FAIL() << "no error";
  } catch (const psl::grammar::G4Error &e) {
    EXPECT_EQ(std::string(e.what()).rfind("2:", 0), 0u) << e.what();
  }
}

TEST(GrammarExport, AntlrIsTheGrammarFile) {
  ExportOptions o;
  o.format = Format::Antlr;
  EXPECT_EQ(psl::grammar::export_grammar(o),
            read_file(kSource / "grammar" / "Policy.g4"));
}

TEST(GrammarExport, AChangedRuleStopsTheExport) {
  std::string g4(psl::grammar::policy_g4());
  // The policy name made mandatory in the .g4: the rewrite that expects
  // `IDENT?` no longer applies.
  std::string changed = std::regex_replace(
      g4, std::regex("POLICY IDENT\\? LBRACE"), "POLICY IDENT LBRACE");
  ASSERT_NE(changed, g4);
  psl::grammar::Grammar g = psl::grammar::read_g4(changed);
  try {
    psl::grammar::char_grammar(g, {});
    FAIL() << "no error";
  } catch (const psl::InternalError &e) {
    EXPECT_NE(std::string(e.what()).find("'policyDecl'"), std::string::npos)
        << e.what();
  }
  // A punctuation token the separator table names, removed.
  std::string no_comma =
      std::regex_replace(g4, std::regex("COMMA  : ','"), "KOMMA  : ','");
  EXPECT_THROW(psl::grammar::char_grammar(psl::grammar::read_g4(no_comma), {}),
               psl::InternalError);
}

TEST(GrammarExport, GbnfRuleNamesAreLowerCaseWords) {
  psl::grammar::Grammar g = exported(Format::Gbnf, false);
  ASSERT_FALSE(g.rules.empty());
  EXPECT_EQ(g.rules[0].name, "root");
  for (const psl::grammar::Rule &r : g.rules)
    EXPECT_TRUE(std::regex_match(r.name, std::regex("[a-z0-9]+(-[a-z0-9]+)*")))
        << r.name;
  psl::grammar::Grammar e = exported(Format::Ebnf, false);
  EXPECT_NE(e.find("policyDecl"), nullptr);
  EXPECT_NE(e.find("IDENT"), nullptr);
}

TEST(GrammarExport, IdentifiersAreNeverKeywords) {
  psl::grammar::Grammar g = exported(Format::Gbnf, false);
  for (const char *name : {"x", "rate", "proto", "p", "polic", "policyx", "_a1",
                           "Policy", "in_", "trusted", "echo_request", "tcp"})
    EXPECT_TRUE(psl::testing::matches(g, "ident", name)) << name;
  for (const char *name : {"policy", "rule", "in", "not", "and", "or", "ttl",
                           "drop", "true", "burst", "within", "1a", "a.b", ""})
    EXPECT_FALSE(psl::testing::matches(g, "ident", name)) << name;
  EXPECT_TRUE(psl::testing::matches(g, "field", "tcp.dport"));
  EXPECT_FALSE(psl::testing::matches(g, "field", "tcp.dprot"));
  ExportOptions any;
  any.known_fields = false;
  psl::grammar::Grammar loose =
      psl::testing::parse_bnf(psl::grammar::export_grammar(any));
  EXPECT_TRUE(psl::testing::matches(loose, "field", "tcp.dprot"));
}

TEST(GrammarExport, WhitespaceWhereTheLexerNeedsIt) {
  psl::grammar::Grammar g = exported(Format::Gbnf, true);
  // What people and models write.
  EXPECT_TRUE(psl::testing::matches(
      g, "root",
      "policy gen {\n  const web = { 80, 443 }\n"
      "  rule a: tcp.dport in web and rate(ip.src, burst 50) > 10/s => drop "
      "ttl 10m\n  rule b: (tcp.syn and not tcp.ack) or proto(47) == ip.proto"
      " => count ttl 1h shadow\n}\n"));
  EXPECT_TRUE(psl::testing::matches(
      g, "root", "policy g{rule a: ip.src==10.0.0.1=>drop ttl 1m}"));
  // Two words run together are one word to the lexer.
  EXPECT_FALSE(psl::testing::matches(g, "root", "policyg {}"));
  EXPECT_FALSE(psl::testing::matches(
      g, "root", "policy g { rule a: tcp.syn => drop ttl1m }"));
  // After ':' a space: `a:` then `::1` would be one IPv6 token.
  EXPECT_FALSE(psl::testing::matches(
      g, "root", "policy g { rule a:::1 == ip.src => drop ttl 1m }"));
  // --generated: no protect, default, set or test declarations.
  EXPECT_FALSE(psl::testing::matches(g, "root", "policy g { default drop }"));
  EXPECT_TRUE(psl::testing::matches(exported(Format::Gbnf, false), "root",
                                    "policy g { default drop }"));
}

// Every example policy, without its comments, is a sentence.
TEST(GrammarExport, ExamplePoliciesAreSentences) {
  psl::grammar::Grammar g = exported(Format::Gbnf, false);
  size_t checked = 0;
  for (const auto &entry :
       std::filesystem::directory_iterator(kSource / "policies")) {
    if (entry.path().extension() != ".psl")
      continue;
    std::string text = read_file(entry.path());
    // Comments run from '#' to the end of the line (no example has a '#'
    // inside a test name).
    std::string stripped = std::regex_replace(text, std::regex("#[^\n]*"), "");
    EXPECT_TRUE(psl::testing::matches(g, "root", stripped))
        << entry.path().filename();
    ++checked;
  }
  EXPECT_GE(checked, 10u);
}

struct SampleCase {
  Format format;
  bool generated;
  uint32_t seed;
};

class GrammarSamples : public ::testing::TestWithParam<SampleCase> {};

// Thousands of random sentences (bounded depth, fixed seeds) through the
// real frontend; and every rule of the export is used by some of them.
TEST_P(GrammarSamples, ParseWithTheFrontend) {
  const SampleCase &c = GetParam();
  psl::grammar::Grammar g = exported(c.format, c.generated);
  psl::testing::Sampler sampler(g, c.seed, 16);
  constexpr int kSentences = 1500;
  int failures = 0;
  size_t bytes = 0;
  for (int i = 0; i < kSentences; ++i) {
    std::string text = sampler.draw();
    bytes += text.size();
    std::string errors = syntax_errors(text);
    if (!errors.empty() && ++failures <= 5)
      ADD_FAILURE() << "sentence " << i << " does not parse:\n"
                    << text << "\n"
                    << errors;
  }
  EXPECT_EQ(failures, 0);
  for (const psl::grammar::Rule &r : g.rules)
    EXPECT_GT(sampler.uses().count(r.name), 0u)
        << "rule " << r.name << " never used";
  // Not a degenerate draw: policies with some body on average.
  EXPECT_GT(bytes / kSentences, 40u);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, GrammarSamples,
    ::testing::Values(SampleCase{Format::Gbnf, false, 1},
                      SampleCase{Format::Gbnf, true, 2},
                      SampleCase{Format::Ebnf, false, 3},
                      SampleCase{Format::Ebnf, true, 4}),
    [](const ::testing::TestParamInfo<SampleCase> &info) {
      return std::string(info.param.format == Format::Gbnf ? "gbnf" : "ebnf") +
             (info.param.generated ? "_generated" : "_full");
    });

TEST(GrammarExport, ReferenceForThePrompt) {
  std::string ref = psl::grammar::reference_grammar(true);
  EXPECT_NE(ref.find("ruleDecl ::= \"rule\" IDENT \":\" expr \"=>\" "
                     "ruleAction ruleModifier*"),
            std::string::npos)
      << ref;
  EXPECT_EQ(ref.find("testDecl"), std::string::npos);
  EXPECT_EQ(ref.find("BAD_NUMBER"), std::string::npos);
  EXPECT_NE(ref.find("IPV4 ::="), std::string::npos);
}

} // namespace

namespace {

// The verb end to end: the psc binary prints what the library exports.
struct PscRun {
  int status = -1;
  std::string out;
};

PscRun run_psc(const std::string &args) {
  PscRun r;
  std::string cmd = std::string(PSC_BINARY) + " " + args + " 2>/dev/null";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(PscGrammar, PrintsTheExport) {
  ExportOptions o;
  o.format = Format::Ebnf;
  o.generated_only = true;
  PscRun r = run_psc("grammar --format ebnf --generated");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, psl::grammar::export_grammar(o));
  PscRun def = run_psc("grammar");
  EXPECT_EQ(def.status, 0);
  EXPECT_EQ(def.out.rfind("# The PacketScope policy language", 0), 0u);
  EXPECT_NE(def.out.find("policy-decl ::="), std::string::npos);
  EXPECT_EQ(run_psc("grammar --format yacc").status, 2);
}

TEST(PscGrammar, WritesAFile) {
  std::filesystem::path out = std::filesystem::temp_directory_path() /
                              ("psc_grammar_" + std::to_string(getpid()));
  PscRun r = run_psc("grammar --format antlr -o " + out.string());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(read_file(out), std::string(psl::grammar::policy_g4()));
  std::filesystem::remove(out);
  EXPECT_EQ(run_psc("grammar -o /nonexistent-dir/x.gbnf").status, 1);
}

} // namespace
