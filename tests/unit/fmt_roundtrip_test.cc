// psc fmt through the real parser: on hand-written snippets and on every
// policy in the tree (policies/ and tests/diag/**/*.psl that parse),
//   fmt(fmt(x)) == fmt(x)
//   the tree of fmt(x) equals the tree of x (psl::ast_equal)
//   fmt(x) has every comment of x.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fmt/printer.h"
#include "frontend/parser.h"

#ifndef PSL_SOURCE_DIR
#error "PSL_SOURCE_DIR must name the source tree"
#endif

namespace psl {
namespace {

namespace fs = std::filesystem;

struct Parsed {
  Module module;
  std::vector<Diagnostic> errors;
};

Parsed parse(const std::string &path, const std::string &text) {
  auto file = std::make_shared<const SourceFile>(path, text);
  DiagnosticSink sink(file);
  Parsed p{parse_policy(file, sink), {}};
  for (const Diagnostic &d : sink.diagnostics())
    if (d.severity == Severity::Error)
      p.errors.push_back(d);
  return p;
}

std::string errors_text(const Parsed &p) {
  std::string out;
  for (const Diagnostic &d : p.errors)
    out += std::to_string(d.range.begin.line) + ":" +
           std::to_string(d.range.begin.column) + ": " + d.message + "\n";
  return out;
}

// Comments in the text itself, found without the parser: '#' outside a
// string literal, to the end of the line.
size_t count_source_comments(const std::string &text) {
  size_t n = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n')
        ++i;
      else if (c == '"' || c == '\n')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '#') {
      ++n;
      while (i < text.size() && text[i] != '\n')
        ++i;
    }
  }
  return n;
}

// Checks every property on one input that parses; returns fmt(x).
std::string check_round_trip(const std::string &path, const std::string &text) {
  SCOPED_TRACE(path);
  Parsed original = parse(path, text);
  EXPECT_TRUE(original.errors.empty()) << errors_text(original);
  std::string once = format_module(original.module);

  Parsed reparsed = parse(path + " (formatted)", once);
  EXPECT_TRUE(reparsed.errors.empty())
      << errors_text(reparsed) << "--- formatted:\n"
      << once;
  EXPECT_EQ(static_cast<bool>(original.module.policy),
            static_cast<bool>(reparsed.module.policy));
  if (original.module.policy && reparsed.module.policy) {
    EXPECT_TRUE(ast_equal(*original.module.policy, *reparsed.module.policy))
        << "--- formatted:\n"
        << once;
  }

  EXPECT_EQ(count_source_comments(once), count_source_comments(text)) << once;
  EXPECT_EQ(comment_count(reparsed.module), comment_count(original.module))
      << once;
  EXPECT_EQ(comment_count(original.module), count_source_comments(text))
      << "the parser did not keep every comment of " << path;

  std::string twice = format_module(reparsed.module);
  EXPECT_EQ(twice, once) << "fmt is not idempotent on " << path;
  return once;
}

std::string read_file(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> psl_files_under(const fs::path &dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return out;
  for (const auto &e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".psl")
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// The same tokens with other whitespace: every space outside strings and
// comments becomes a run of blanks or (with `newlines`) a line break,
// sometimes with blank lines, and fresh indentation.
std::string respace(const std::string &text, unsigned seed, bool newlines) {
  std::mt19937 rng(seed);
  std::string out;
  bool in_string = false, in_comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_comment) {
      in_comment = c != '\n';
    } else if (in_string) {
      if (c == '\\' && i + 1 < text.size()) {
        out += c;
        c = text[++i];
      } else if (c == '"' || c == '\n') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '#') {
      in_comment = true;
    } else if (c == ' ') {
      switch (rng() % (newlines ? 6 : 3)) {
      case 0:
        out += "  ";
        continue;
      case 1:
        out += "\t ";
        continue;
      case 3:
        out += "\n      ";
        continue;
      case 4:
        out += "\n\n\t";
        continue;
      default:
        break;
      }
    }
    out += c;
  }
  return out;
}

TEST(FmtRoundTrip, OtherBlanksBetweenTokensGiveTheSameOutput) {
  for (const fs::path &f :
       psl_files_under(fs::path(PSL_SOURCE_DIR) / "policies")) {
    std::string text = read_file(f);
    if (!parse(f.string(), text).errors.empty())
      continue; // EveryPolicyInTheTree reports it
    std::string canonical = check_round_trip(f.string(), text);
    for (unsigned seed = 1; seed <= 3; ++seed) {
      std::string other = respace(text, seed, /*newlines=*/false);
      EXPECT_EQ(check_round_trip(f.string() + " respaced", other), canonical)
          << "seed " << seed << ":\n"
          << other;
    }
  }
}

TEST(FmtRoundTrip, LineBreaksBetweenTokensKeepEveryProperty) {
  for (const fs::path &f :
       psl_files_under(fs::path(PSL_SOURCE_DIR) / "policies")) {
    std::string text = read_file(f);
    if (!parse(f.string(), text).errors.empty())
      continue;
    for (unsigned seed = 1; seed <= 3; ++seed)
      check_round_trip(f.string() + " broken into lines, seed " +
                           std::to_string(seed),
                       respace(text, seed, /*newlines=*/true));
  }
}

TEST(FmtRoundTrip, MessyInputGetsTheCanonicalLayout) {
  const std::string messy =
      "# edge policy\n"
      "\n\n"
      "policy   edge{\n"
      "\n"
      "  const trusted={10.0.0.0/8,192.168.0.0/16 , fd00::/8,}\n"
      "    const web = { 80, 443, 8000..8100 }  # web ports\n"
      "protect ip.src in trusted\n"
      "  set banned : ip dynamic capacity 100000 ttl 10m\n"
      "\n"
      "\n"
      "  # the rules\n"
      "  rule allow_web:   tcp.dport in web and tcp.syn and not tcp.ack => "
      "pass\n"
      "  rule drop_banned: (ip.src in banned) => drop\n"
      "  rule flood: icmp.type == echo_request and\n"
      "      rate(ip.src) > 100/s => drop shadow ttl 10m\n"
      "  rule odd:((ip.ttl < 2) or ip.frag) and not (tcp.dport == 22) => "
      "count\n"
      "  default pass\n"
      "  test \"web SYN passes\" {\n"
      "    packet { ip.src = 203.0.113.7, tcp.dport = 443, tcp.syn = true, } "
      "=> pass\n"
      "    packet{} => pass\n"
      "\n"
      "    packet { ip.src = 198.51.100.1, icmp.type = echo_request } x 1000 "
      "within 1s => drop >= 850\n"
      "  }\n"
      "\n"
      "}\n"
      "# the end\n";
  std::string out = check_round_trip("messy.psl", messy);
  EXPECT_EQ(
      out,
      "# edge policy\n"
      "\n"
      "policy edge {\n"
      "  const trusted = { 10.0.0.0/8, 192.168.0.0/16, fd00::/8 }\n"
      "  const web = { 80, 443, 8000..8100 }  # web ports\n"
      "  protect ip.src in trusted\n"
      "  set banned : ip dynamic ttl 10m capacity 100000\n"
      "\n"
      "  # the rules\n"
      "  rule allow_web: tcp.dport in web and tcp.syn and not tcp.ack => pass\n"
      "  rule drop_banned: ip.src in banned => drop\n"
      "  rule flood: icmp.type == echo_request and rate(ip.src) > 100/s => "
      "drop ttl 10m shadow\n"
      "  rule odd: (ip.ttl < 2 or ip.frag) and not tcp.dport == 22 => count\n"
      "  default pass\n"
      "  test \"web SYN passes\" {\n"
      "    packet { ip.src = 203.0.113.7, tcp.dport = 443, tcp.syn = true } => "
      "pass\n"
      "    packet {} => pass\n"
      "\n"
      "    packet { ip.src = 198.51.100.1, icmp.type = echo_request } x 1000 "
      "within 1s => drop >= 850\n"
      "  }\n"
      "}\n"
      "# the end\n");
}

TEST(FmtRoundTrip, LiteralSpellingsAreKept) {
  const std::string text = "policy p {\n"
                           "  const a = 0x2A\n"
                           "  const b = { 2001:DB8::1, 2001:db8::/32 }\n"
                           "  const c = AA:bb:CC:dd:EE:ff\n"
                           "  const d = proto(47)\n"
                           "  const e = 10k/s\n"
                           "  const f = 1Gbit/s\n"
                           "  const g = 500ms\n"
                           "  rule r: eth.type == 0x86dd and rate(ip.src, "
                           "burst 0x10) >= 2M/s => drop ttl 90s\n"
                           "}\n";
  std::string out = check_round_trip("spellings.psl", text);
  for (const char *spelling :
       {"0x2A", "2001:DB8::1", "AA:bb:CC:dd:EE:ff", "proto(47)", "10k/s",
        "1Gbit/s", "500ms", "0x86dd", "2M/s", "90s"})
    EXPECT_NE(out.find(spelling), std::string::npos) << spelling << "\n" << out;
  // burst has no kept spelling: it is printed in decimal.
  EXPECT_NE(out.find("rate(ip.src, burst 16)"), std::string::npos) << out;
}

TEST(FmtRoundTrip, CommentsEverywhere) {
  const std::string text =
      "# header 1\n"
      "# header 2\n"
      "policy p { # on the brace\n"
      "  # leading\n"
      "  const a = 1 # trailing\n"
      "\n"
      "  # before the test\n"
      "  test \"t \\\"quoted\\\" \\\\ name\" { # test brace\n"
      "    # before packet\n"
      "    packet {} => pass # after packet\n"
      "    # inside the test, at the end\n"
      "  } # after the test\n"
      "  # inside the policy, at the end\n"
      "} # after the policy\n"
      "# footer\n";
  std::string out = check_round_trip("comments.psl", text);
  EXPECT_NE(out.find("test \"t \\\"quoted\\\" \\\\ name\" {"),
            std::string::npos)
      << out;
}

TEST(FmtRoundTrip, CommentsInsideMultiLineDeclarationsMoveAboveThem) {
  std::string out =
      check_round_trip("inside.psl", "policy p {\n"
                                     "  const web = { 80,  # http\n"
                                     "                443 }  # https\n"
                                     "  rule r: tcp.dport in web and  # web\n"
                                     "          tcp.syn => pass\n"
                                     "}\n");
  // A comment inside a set stays with its element (the set is then one
  // element per line); elsewhere it moves above the declaration.
  EXPECT_EQ(out, "policy p {\n"
                 "  const web = {\n"
                 "    80,  # http\n"
                 "    443\n"
                 "  }  # https\n"
                 "  # web\n"
                 "  rule r: tcp.dport in web and tcp.syn => pass\n"
                 "}\n");
}

// Golden files: each tests/fmt/X.psl formats to tests/fmt/X.formatted.psl
// (commented lists, long lists one element per line), which is a fixed
// point, with every property of check_round_trip.
TEST(FmtRoundTrip, GoldenFiles) {
  size_t cases = 0;
  for (const fs::path &f :
       psl_files_under(fs::path(PSL_SOURCE_DIR) / "tests" / "fmt")) {
    const std::string name = f.filename().string();
    if (name.find(".formatted.") != std::string::npos)
      continue;
    fs::path golden = f;
    golden.replace_extension(".formatted.psl");
    ASSERT_TRUE(fs::exists(golden)) << golden;
    const std::string want = read_file(golden);
    EXPECT_EQ(check_round_trip(f.string(), read_file(f)), want) << f;
    EXPECT_EQ(check_round_trip(golden.string(), want), want) << golden;
    ++cases;
  }
  EXPECT_GT(cases, 0u);
}

TEST(FmtRoundTrip, ParenthesesFollowTheTree) {
  const std::string text =
      "policy p {\n"
      "  rule a: tcp.syn and (tcp.ack and tcp.fin) => drop\n"
      "  rule b: (tcp.syn or tcp.ack) and tcp.fin => drop\n"
      "  rule c: tcp.syn or (tcp.ack and tcp.fin) => drop\n"
      "  rule d: not (tcp.syn and tcp.ack) => drop\n"
      "  rule e: not not tcp.syn => drop\n"
      "  rule f: (((tcp.syn))) => drop\n"
      "  rule g: tcp.syn == (tcp.ack == true) => drop\n"
      "  rule h: ip.src not in { 10.0.0.0/8 } => drop\n"
      "}\n";
  std::string out = check_round_trip("parens.psl", text);
  EXPECT_NE(out.find("rule a: tcp.syn and (tcp.ack and tcp.fin) => drop"),
            std::string::npos);
  EXPECT_NE(out.find("rule b: (tcp.syn or tcp.ack) and tcp.fin => drop"),
            std::string::npos);
  EXPECT_NE(out.find("rule c: tcp.syn or tcp.ack and tcp.fin => drop"),
            std::string::npos);
  EXPECT_NE(out.find("rule d: not (tcp.syn and tcp.ack) => drop"),
            std::string::npos);
  EXPECT_NE(out.find("rule e: not not tcp.syn => drop"), std::string::npos);
  EXPECT_NE(out.find("rule f: tcp.syn => drop"), std::string::npos);
  EXPECT_NE(out.find("rule g: tcp.syn == (tcp.ack == true) => drop"),
            std::string::npos);
  EXPECT_NE(out.find("rule h: ip.src not in { 10.0.0.0/8 } => drop"),
            std::string::npos);
}

TEST(FmtRoundTrip, CrlfAndTabs) {
  std::string out = check_round_trip(
      "crlf.psl", "policy p {\r\n\trule a:\ttcp.syn => drop\t# "
                  "tab\r\n\r\n\tdefault pass\r\n}\r\n");
  EXPECT_EQ(
      out,
      "policy p {\n  rule a: tcp.syn => drop  # tab\n\n  default pass\n}\n");
}

TEST(FmtRoundTrip, EveryPolicyInTheTree) {
  std::vector<fs::path> files =
      psl_files_under(fs::path(PSL_SOURCE_DIR) / "policies");
  for (const fs::path &f : files) {
    std::string text = read_file(f);
    Parsed p = parse(f.string(), text);
    ASSERT_TRUE(p.errors.empty()) << f << " does not parse:\n"
                                  << errors_text(p);
    check_round_trip(f.string(), text);
  }
  RecordProperty("policies", static_cast<int>(files.size()));
}

TEST(FmtRoundTrip, EveryDiagCaseThatParses) {
  int checked = 0;
  for (const fs::path &f :
       psl_files_under(fs::path(PSL_SOURCE_DIR) / "tests" / "diag")) {
    std::string text = read_file(f);
    if (text.find('\0') != std::string::npos)
      continue;
    Parsed p = parse(f.string(), text);
    if (!p.errors.empty())
      continue; // syntax-error cases are not fmt's to print
    check_round_trip(f.string(), text);
    ++checked;
  }
  RecordProperty("diag_cases", checked);
}

} // namespace
} // namespace psl
