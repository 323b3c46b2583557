// Keeps the reference documentation in sync with the tables it documents:
// codes.def (docs/diagnostics.md) and fields.def (docs/language.md).
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "ast/fields.h"
#include "diag/diagnostics.h"

namespace {

std::string read_doc(const std::string &relative) {
  const std::string path = std::string(PSL_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The codes of the `## CODE — summary` headings, in order.
std::vector<std::string> diagnostic_sections(const std::string &text) {
  static const std::regex heading("^## ([EW][0-9]{4}) \xE2\x80\x94 \\S.*$");
  std::vector<std::string> codes;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    std::smatch m;
    if (std::regex_match(line, m, heading))
      codes.push_back(m[1]);
  }
  return codes;
}

TEST(DocsTest, EveryDiagnosticCodeHasASection) {
  const auto sections = diagnostic_sections(read_doc("docs/diagnostics.md"));
  const std::set<std::string> documented(sections.begin(), sections.end());
  for (const auto &info : psl::all_diag_infos())
    EXPECT_EQ(documented.count(info.name), 1u)
        << "docs/diagnostics.md has no '## " << info.name << " — ' section";
}

TEST(DocsTest, NoSectionForAnUnknownCode) {
  std::set<std::string> known;
  for (const auto &info : psl::all_diag_infos())
    known.insert(info.name);
  std::set<std::string> seen;
  for (const auto &code :
       diagnostic_sections(read_doc("docs/diagnostics.md"))) {
    EXPECT_EQ(known.count(code), 1u)
        << "docs/diagnostics.md documents " << code
        << ", which is not in compiler/diag/codes.def";
    EXPECT_TRUE(seen.insert(code).second)
        << "docs/diagnostics.md has two sections for " << code;
  }
}

TEST(DocsTest, LanguageReferenceMentionsEveryField) {
  const std::string text = read_doc("docs/language.md");
  for (const auto &field : psl::all_fields()) {
    // In backquotes, so `ip.frag` is not found inside `ip.frag_off`.
    const std::string quoted = std::string("`") + field.name + "`";
    EXPECT_NE(text.find(quoted), std::string::npos)
        << "docs/language.md does not mention " << quoted;
  }
}

TEST(DocsTest, EveryCodeHeadingHasTheExactForm) {
  // A heading that starts like a code section but is spelt differently
  // (`## E0103 - ...`, `## E0103: ...`) would silently not count.
  static const std::regex loose("^##\\s*[EW][0-9]{4}\\b.*$");
  static const std::regex exact("^## [EW][0-9]{4} \xE2\x80\x94 \\S.*$");
  std::istringstream lines(read_doc("docs/diagnostics.md"));
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!std::regex_match(line, loose))
      continue;
    EXPECT_TRUE(std::regex_match(line, exact))
        << "malformed heading in docs/diagnostics.md: '" << line
        << "' (write '## CODE \xE2\x80\x94 summary')";
  }
}

// The set-up commands of the README and the testing guide run as root on a
// machine without sudo: no command line in their sh blocks starts with it
// (the text says when to add it).
TEST(DocsTest, SetUpCommandsNeedNoSudo) {
  for (const char *doc : {"README.md", "docs/testing.md"}) {
    std::istringstream lines(read_doc(doc));
    std::string line;
    bool in_sh = false;
    int commands = 0;
    while (std::getline(lines, line)) {
      if (line.rfind("```", 0) == 0) {
        in_sh = !in_sh && line == "```sh";
        continue;
      }
      if (!in_sh || line.empty())
        continue;
      ++commands;
      EXPECT_NE(line.rfind("sudo ", 0), 0u) << doc << ": " << line;
    }
    EXPECT_GT(commands, 0) << doc;
  }
}

} // namespace
