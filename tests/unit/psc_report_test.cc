// The diagnostic renderers of psc: exact text, JSON field by field, and the
// SARIF keys GitHub code scanning needs. Diagnostics are built by hand so
// these tests pin the format independently of the passes.
#include <memory>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "report/report.h"

namespace psl {
namespace {

using nlohmann::json;

std::shared_ptr<const SourceFile> make_file(std::string path,
                                            std::string text) {
  return std::make_shared<const SourceFile>(std::move(path), std::move(text));
}

SourceRange range(uint32_t l1, uint32_t c1, uint32_t l2, uint32_t c2) {
  SourceRange r;
  r.begin = {l1, c1};
  r.end = {l2, c2};
  return r;
}

Diagnostic diag(Severity s, DiagCode code, SourceRange r, std::string message) {
  Diagnostic d;
  d.severity = s;
  d.code = code;
  d.range = r;
  d.message = std::move(message);
  return d;
}

const char *const kPolicy = "policy p {\n"
                            "  rule a: tcp.dprot == 22 => drop\n"
                            "  rule b: ip.src in {\n"
                            "    10.0.0.0/8 } => pass\n"
                            "}\n";

std::string strip_ansi(const std::string &s) {
  return std::regex_replace(s, std::regex("\x1b\\[[0-9;]*m"), "");
}

TEST(ReportText, ErrorWithSnippetAndNote) {
  auto file = make_file("edge.psl", kPolicy);
  Diagnostic d = diag(Severity::Error, DiagCode::E0202, range(2, 11, 2, 20),
                      "unknown field 'tcp.dprot'");
  d.notes.push_back({"did you mean 'tcp.dport'?", {}});
  EXPECT_EQ(render_text(*file, d),
            "edge.psl:2:11: error[E0202]: unknown field 'tcp.dprot'\n"
            "  rule a: tcp.dprot == 22 => drop\n"
            "          ^~~~~~~~~\n"
            "edge.psl: note: did you mean 'tcp.dport'?\n");
}

TEST(ReportText, NoteWithItsOwnLocationHasItsOwnSnippet) {
  auto file = make_file("edge.psl", kPolicy);
  Diagnostic d =
      diag(Severity::Warning, DiagCode::W0201, range(3, 8, 3, 9),
           "rule 'b' is shadowed by earlier rules and never decides");
  d.notes.push_back({"the earlier rule is here", range(2, 8, 2, 9)});
  EXPECT_EQ(
      render_text(*file, d),
      "edge.psl:3:8: warning[W0201]: rule 'b' is shadowed by earlier rules "
      "and never decides\n"
      "  rule b: ip.src in {\n"
      "       ^\n"
      "edge.psl:2:8: note: the earlier rule is here\n"
      "  rule a: tcp.dprot == 22 => drop\n"
      "       ^\n");
}

TEST(ReportText, NoteAtTheSameRangeDoesNotRepeatTheSnippet) {
  auto file = make_file("edge.psl", kPolicy);
  Diagnostic d = diag(Severity::Error, DiagCode::E0202, range(2, 11, 2, 20),
                      "unknown field 'tcp.dprot'");
  d.notes.push_back({"did you mean 'tcp.dport'?", range(2, 11, 2, 20)});
  EXPECT_EQ(render_text(*file, d),
            "edge.psl:2:11: error[E0202]: unknown field 'tcp.dprot'\n"
            "  rule a: tcp.dprot == 22 => drop\n"
            "          ^~~~~~~~~\n"
            "edge.psl:2:11: note: did you mean 'tcp.dport'?\n");
}

TEST(ReportText, MultiLineRangeIsUnderlinedToTheEndOfItsFirstLine) {
  auto file = make_file("edge.psl", kPolicy);
  Diagnostic d = diag(Severity::Error, DiagCode::E0301, range(3, 11, 4, 17),
                      "mismatched types");
  EXPECT_EQ(render_text(*file, d),
            "edge.psl:3:11: error[E0301]: mismatched types\n"
            "  rule b: ip.src in {\n"
            "          ^~~~~~~~~~~\n");
}

TEST(ReportText, DiagnosticWithoutLocation) {
  auto file = make_file("missing.psl", "");
  Diagnostic d = diag(Severity::Error, DiagCode::E0001, {},
                      "cannot read 'missing.psl': No such file or directory");
  EXPECT_EQ(
      render_text(*file, d),
      "missing.psl: error[E0001]: cannot read 'missing.psl': No such file "
      "or directory\n");
}

TEST(ReportText, TabsAreKeptInTheCaretLine) {
  auto file = make_file("t.psl", "policy p {\n\trule a:\tbad => drop\n}\n");
  Diagnostic d = diag(Severity::Error, DiagCode::E0201, range(2, 10, 2, 13),
                      "unknown name 'bad'");
  EXPECT_EQ(render_text(*file, d),
            "t.psl:2:10: error[E0201]: unknown name 'bad'\n"
            "\trule a:\tbad => drop\n"
            "\t       \t^~~\n");
}

TEST(ReportText, CaretPastTheEndOfTheLine) {
  auto file = make_file("t.psl", "policy p {\n  rule a: tcp.syn =>\n}\n");
  Diagnostic d = diag(Severity::Error, DiagCode::E0101, range(2, 21, 2, 22),
                      "expected an action");
  EXPECT_EQ(render_text(*file, d),
            "t.psl:2:21: error[E0101]: expected an action\n"
            "  rule a: tcp.syn =>\n"
            "                    ^\n");
}

TEST(ReportText, EmptyRangeGetsOneCaret) {
  auto file = make_file("t.psl", "policy p {\n  rule a: x => drop\n}\n");
  Diagnostic d =
      diag(Severity::Error, DiagCode::E0101, range(2, 3, 2, 3), "oops");
  EXPECT_EQ(render_text(*file, d), "t.psl:2:3: error[E0101]: oops\n"
                                   "  rule a: x => drop\n"
                                   "  ^\n");
}

TEST(ReportText, MultiByteCharactersTakeOneColumn) {
  // "é" is two bytes: byte column 15 is the 13th character.
  auto file = make_file("t.psl", "const \xc3\xa9t\xc3\xa9 = bad\n");
  Diagnostic d = diag(Severity::Error, DiagCode::E0201, range(1, 15, 1, 18),
                      "unknown name 'bad'");
  EXPECT_EQ(render_text(*file, d),
            "t.psl:1:15: error[E0201]: unknown name 'bad'\n"
            "const \xc3\xa9t\xc3\xa9 = bad\n"
            "            ^~~\n");
}

TEST(ReportText, ControlAndInvalidBytesAreNotPrintedRaw) {
  auto file = make_file("t.psl", std::string("ab\0c\xff d\n", 8));
  Diagnostic d = diag(Severity::Error, DiagCode::E0002, range(1, 3, 1, 4),
                      "input contains a NUL byte");
  EXPECT_EQ(render_text(*file, d),
            "t.psl:1:3: error[E0002]: input contains a NUL byte\n"
            "ab?c? d\n"
            "  ^\n");
}

TEST(ReportText, CrlfAndTrailingBlanksAreNotShown) {
  auto file = make_file("t.psl", "policy p {   \r\n}\r\n");
  Diagnostic d =
      diag(Severity::Error, DiagCode::E0101, range(1, 8, 1, 9), "oops");
  EXPECT_EQ(render_text(*file, d), "t.psl:1:8: error[E0101]: oops\n"
                                   "policy p {\n"
                                   "       ^\n");
}

TEST(ReportText, ByteOrderMarkIsNotShown) {
  auto file = make_file("t.psl", "\xef\xbb\xbfpolicy 9p {}\n");
  Diagnostic d =
      diag(Severity::Error, DiagCode::E0101, range(1, 11, 1, 13), "x");
  EXPECT_EQ(render_text(*file, d), "t.psl:1:11: error[E0101]: x\n"
                                   "policy 9p {}\n"
                                   "       ^~\n");
}

TEST(ReportText, LineOutOfRangeHasNoSnippet) {
  auto file = make_file("t.psl", "policy p {\n");
  Diagnostic d = diag(Severity::Error, DiagCode::E0101, range(7, 1, 7, 2),
                      "unexpected end of file");
  EXPECT_EQ(render_text(*file, d),
            "t.psl:7:1: error[E0101]: unexpected end of file\n");
}

TEST(ReportText, BlankLineHasNoSnippet) {
  auto file = make_file("t.psl", "\n  \npolicy p {}\n");
  EXPECT_EQ(render_text(*file, diag(Severity::Error, DiagCode::E0106,
                                    range(1, 1, 1, 1), "file has no policy")),
            "t.psl:1:1: error[E0106]: file has no policy\n");
  EXPECT_EQ(render_text(*file, diag(Severity::Error, DiagCode::E0101,
                                    range(2, 3, 2, 4), "x")),
            "t.psl:2:3: error[E0101]: x\n");
}

TEST(ReportText, ColorOnlyAddsEscapes) {
  auto file = make_file("edge.psl", kPolicy);
  Diagnostic d =
      diag(Severity::Warning, DiagCode::W0201, range(3, 8, 3, 9), "shadowed");
  d.notes.push_back({"here", range(2, 8, 2, 9)});
  Diagnostic e =
      diag(Severity::Error, DiagCode::E0202, range(2, 11, 2, 20), "bad");
  TextOptions color;
  color.color = true;
  std::string colored =
      render_text(*file, d, color) + render_text(*file, e, color);
  std::string plain = render_text(*file, d) + render_text(*file, e);
  EXPECT_NE(colored, plain);
  EXPECT_EQ(strip_ansi(colored), plain);
  EXPECT_NE(colored.find("\x1b[1;35mwarning[W0201]:"),
            std::string::npos); // magenta
  EXPECT_NE(colored.find("\x1b[1;31merror[E0202]:"), std::string::npos); // red
  EXPECT_NE(colored.find("\x1b[1;36mnote:"), std::string::npos);         // cyan
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
}

TEST(ReportText, FileReportRendersEveryDiagnosticInOrder) {
  auto file = make_file("edge.psl", kPolicy);
  FileReport report{
      file,
      {diag(Severity::Error, DiagCode::E0202, range(2, 11, 2, 20), "one"),
       diag(Severity::Warning, DiagCode::W0207, range(3, 8, 3, 9), "two")}};
  std::string text = render_text(report);
  EXPECT_EQ(text, "edge.psl:2:11: error[E0202]: one\n"
                  "  rule a: tcp.dprot == 22 => drop\n"
                  "          ^~~~~~~~~\n"
                  "edge.psl:3:8: warning[W0207]: two\n"
                  "  rule b: ip.src in {\n"
                  "       ^\n");
}

TEST(ReportSummary, CountsAndPlurals) {
  EXPECT_EQ(summary_line({0, 0, 3}), "");
  EXPECT_EQ(summary_line({2, 1, 3}), "2 errors, 1 warning in 3 files");
  EXPECT_EQ(summary_line({1, 0, 1}), "1 error in 1 file");
  EXPECT_EQ(summary_line({0, 2, 1}), "2 warnings in 1 file");

  auto file = make_file("a.psl", kPolicy);
  std::vector<FileReport> reports = {
      {file,
       {diag(Severity::Error, DiagCode::E0202, {}, "x"),
        diag(Severity::Warning, DiagCode::W0201, {}, "y"),
        diag(Severity::Note, DiagCode::W0208, {}, "z")}},
      {make_file("b.psl", ""), {}}};
  DiagnosticCounts c = count_diagnostics(reports);
  EXPECT_EQ(c.errors, 1u);
  EXPECT_EQ(c.warnings, 1u);
  EXPECT_EQ(c.files, 2u);
}

TEST(ReportJson, FieldsOfEveryDiagnostic) {
  auto a = make_file("a.psl", kPolicy);
  auto b = make_file("dir/b.psl", "");
  Diagnostic d = diag(Severity::Error, DiagCode::E0202, range(2, 11, 2, 20),
                      "unknown field 'tcp.dprot'");
  d.notes.push_back({"did you mean 'tcp.dport'?", {}});
  d.notes.push_back({"declared here", range(3, 3, 3, 7)});
  Diagnostic w =
      diag(Severity::Warning, DiagCode::W0201, range(3, 8, 3, 9), "shadowed");
  Diagnostic missing =
      diag(Severity::Error, DiagCode::E0001, {}, "cannot read 'dir/b.psl'");
  std::string text = render_json({{a, {d, w}}, {b, {missing}}});
  ASSERT_EQ(text.back(), '\n');
  json j = json::parse(text);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);

  EXPECT_EQ(j[0]["file"], "a.psl");
  EXPECT_EQ(j[0]["line"], 2);
  EXPECT_EQ(j[0]["column"], 11);
  EXPECT_EQ(j[0]["end_line"], 2);
  EXPECT_EQ(j[0]["end_column"], 20);
  EXPECT_EQ(j[0]["severity"], "error");
  EXPECT_EQ(j[0]["code"], "E0202");
  EXPECT_EQ(j[0]["message"], "unknown field 'tcp.dprot'");
  ASSERT_EQ(j[0]["notes"].size(), 2u);
  EXPECT_EQ(j[0]["notes"][0]["message"], "did you mean 'tcp.dport'?");
  EXPECT_EQ(j[0]["notes"][0]["file"], "a.psl");
  EXPECT_TRUE(j[0]["notes"][0]["line"].is_null());
  EXPECT_EQ(j[0]["notes"][1]["line"], 3);
  EXPECT_EQ(j[0]["notes"][1]["column"], 3);
  EXPECT_EQ(j[0]["notes"][1]["end_line"], 3);
  EXPECT_EQ(j[0]["notes"][1]["end_column"], 7);

  EXPECT_EQ(j[1]["severity"], "warning");
  EXPECT_EQ(j[1]["code"], "W0201");
  EXPECT_TRUE(j[1]["notes"].is_array());
  EXPECT_TRUE(j[1]["notes"].empty());

  EXPECT_EQ(j[2]["file"], "dir/b.psl");
  EXPECT_TRUE(j[2]["line"].is_null());
  EXPECT_TRUE(j[2]["column"].is_null());
  EXPECT_TRUE(j[2]["end_line"].is_null());
  EXPECT_TRUE(j[2]["end_column"].is_null());
  EXPECT_EQ(j[2]["code"], "E0001");
}

TEST(ReportJson, KeysInDocumentedOrder) {
  auto a = make_file("a.psl", kPolicy);
  std::string text = render_json(
      {{a,
        {diag(Severity::Error, DiagCode::E0202, range(2, 11, 2, 20), "m")}}});
  const char *keys[] = {"\"file\"",     "\"line\"",       "\"column\"",
                        "\"end_line\"", "\"end_column\"", "\"severity\"",
                        "\"code\"",     "\"message\"",    "\"notes\""};
  size_t pos = 0;
  for (const char *k : keys) {
    size_t found = text.find(k, pos);
    ASSERT_NE(found, std::string::npos) << k;
    pos = found;
  }
}

TEST(ReportJson, NoDiagnosticsIsAnEmptyArray) {
  EXPECT_EQ(json::parse(render_json({{make_file("a.psl", kPolicy), {}}})),
            json::array());
  EXPECT_EQ(json::parse(render_json({})), json::array());
}

SarifOptions sarif_options() {
  SarifOptions o;
  o.tool_version = "1.2.3";
  o.information_uri = "https://example.org/psc";
  o.source_root = "/repo";
  return o;
}

TEST(ReportSarif, RequiredKeysForCodeScanning) {
  auto a = make_file("policies/edge.psl", kPolicy);
  Diagnostic d = diag(Severity::Error, DiagCode::E0202, range(2, 11, 2, 20),
                      "unknown field 'tcp.dprot'");
  d.notes.push_back({"did you mean 'tcp.dport'?", {}});
  Diagnostic w =
      diag(Severity::Warning, DiagCode::W0201, range(3, 8, 3, 9), "shadowed");
  w.notes.push_back({"the earlier rule is here", range(2, 8, 2, 9)});
  json log = json::parse(render_sarif({{a, {d, w}}}, sarif_options()));

  EXPECT_TRUE(log["$schema"].is_string());
  EXPECT_EQ(log["version"], "2.1.0");
  ASSERT_EQ(log["runs"].size(), 1u);
  const json &run = log["runs"][0];
  const json &driver = run["tool"]["driver"];
  EXPECT_EQ(driver["name"], "psc");
  EXPECT_EQ(driver["version"], "1.2.3");
  EXPECT_EQ(driver["informationUri"], "https://example.org/psc");

  const json &rules = driver["rules"];
  ASSERT_EQ(rules.size(), all_diag_infos().size());
  for (size_t i = 0; i < rules.size(); ++i) {
    const DiagInfo &info = all_diag_infos()[i];
    EXPECT_EQ(rules[i]["id"], info.name);
    EXPECT_EQ(rules[i]["shortDescription"]["text"], info.summary);
    EXPECT_EQ(rules[i]["defaultConfiguration"]["level"],
              info.severity == Severity::Error ? "error" : "warning");
  }

  const json &results = run["results"];
  ASSERT_EQ(results.size(), 2u);
  const json &r0 = results[0];
  EXPECT_EQ(r0["ruleId"], "E0202");
  int index = r0["ruleIndex"];
  EXPECT_EQ(rules[index]["id"], "E0202");
  EXPECT_EQ(r0["level"], "error");
  EXPECT_EQ(r0["message"]["text"],
            "unknown field 'tcp.dprot'\nnote: did you mean 'tcp.dport'?");
  ASSERT_EQ(r0["locations"].size(), 1u);
  const json &loc = r0["locations"][0]["physicalLocation"];
  EXPECT_EQ(loc["artifactLocation"]["uri"], "policies/edge.psl");
  EXPECT_EQ(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
  EXPECT_EQ(loc["region"]["startLine"], 2);
  EXPECT_EQ(loc["region"]["startColumn"], 11);
  EXPECT_EQ(loc["region"]["endLine"], 2);
  EXPECT_EQ(loc["region"]["endColumn"], 20);
  EXPECT_FALSE(r0.contains("relatedLocations"));

  const json &r1 = results[1];
  EXPECT_EQ(r1["ruleId"], "W0201");
  EXPECT_EQ(rules[r1["ruleIndex"].get<int>()]["id"], "W0201");
  EXPECT_EQ(r1["level"], "warning");
  ASSERT_EQ(r1["relatedLocations"].size(), 1u);
  const json &rel = r1["relatedLocations"][0];
  EXPECT_EQ(rel["message"]["text"], "the earlier rule is here");
  EXPECT_EQ(rel["physicalLocation"]["region"]["startLine"], 2);
  EXPECT_EQ(rel["physicalLocation"]["region"]["startColumn"], 8);
  EXPECT_EQ(rel["physicalLocation"]["artifactLocation"]["uri"],
            "policies/edge.psl");
}

TEST(ReportSarif, EmptyRunStillHasRulesAndResults) {
  json log = json::parse(render_sarif({}, sarif_options()));
  EXPECT_TRUE(log["runs"][0]["results"].is_array());
  EXPECT_TRUE(log["runs"][0]["results"].empty());
  EXPECT_FALSE(log["runs"][0]["tool"]["driver"]["rules"].empty());
}

TEST(ReportSarif, FileLevelDiagnosticPointsAtLineOne) {
  auto a = make_file("missing.psl", "");
  json log = json::parse(render_sarif(
      {{a, {diag(Severity::Error, DiagCode::E0001, {}, "cannot read")}}},
      sarif_options()));
  const json &region = log["runs"][0]["results"][0]["locations"][0]
                          ["physicalLocation"]["region"];
  EXPECT_EQ(region["startLine"], 1);
}

TEST(ReportSarif, ColumnsAreCodePoints) {
  auto a = make_file("t.psl", "const \xc3\xa9t\xc3\xa9 = bad\n");
  json log = json::parse(render_sarif(
      {{a, {diag(Severity::Error, DiagCode::E0201, range(1, 15, 1, 18), "x")}}},
      sarif_options()));
  EXPECT_EQ(log["runs"][0]["columnKind"], "unicodeCodePoints");
  const json &region = log["runs"][0]["results"][0]["locations"][0]
                          ["physicalLocation"]["region"];
  EXPECT_EQ(region["startColumn"], 13);
  EXPECT_EQ(region["endColumn"], 16);
}

TEST(ReportSarif, ArtifactUris) {
  EXPECT_EQ(artifact_uri("policies/edge.psl", "/repo").uri,
            "policies/edge.psl");
  EXPECT_TRUE(artifact_uri("policies/edge.psl", "/repo").relative);
  EXPECT_EQ(artifact_uri("./policies//edge.psl", "/repo").uri,
            "policies/edge.psl");
  EXPECT_EQ(artifact_uri("/repo/policies/edge.psl", "/repo").uri,
            "policies/edge.psl");
  EXPECT_EQ(artifact_uri("/repo/policies/edge.psl", "/repo/").uri,
            "policies/edge.psl");
  EXPECT_EQ(artifact_uri("my policies/a b.psl", "/repo").uri,
            "my%20policies/a%20b.psl");

  ArtifactUri outside = artifact_uri("/etc/edge.psl", "/repo");
  EXPECT_EQ(outside.uri, "file:///etc/edge.psl");
  EXPECT_FALSE(outside.relative);
  // Outside the source root: an absolute file URI, no base.
  ArtifactUri up = artifact_uri("../other/edge.psl", "/repo/sub");
  EXPECT_EQ(up.uri, "file:///repo/other/edge.psl");
  EXPECT_FALSE(up.relative);
  EXPECT_EQ(artifact_uri("a/../edge.psl", "/repo").uri, "edge.psl");
  ArtifactUri up_out = artifact_uri("../../x.psl", "/repo/sub");
  EXPECT_EQ(up_out.uri, "file:///x.psl");
  EXPECT_FALSE(up_out.relative);

  ArtifactUri in = artifact_uri("<stdin>", "/repo");
  EXPECT_EQ(in.uri, "stdin");
  EXPECT_FALSE(in.relative);
}

TEST(ReportSarif, AbsoluteUriHasNoBaseId) {
  auto a = make_file("/etc/edge.psl", kPolicy);
  json log = json::parse(render_sarif(
      {{a, {diag(Severity::Error, DiagCode::E0201, range(2, 3, 2, 4), "x")}}},
      sarif_options()));
  const json &art = log["runs"][0]["results"][0]["locations"][0]
                       ["physicalLocation"]["artifactLocation"];
  EXPECT_EQ(art["uri"], "file:///etc/edge.psl");
  EXPECT_FALSE(art.contains("uriBaseId"));
}

} // namespace
} // namespace psl
