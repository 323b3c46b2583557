// psl::check_source with work beside the lint (driver.h, BuildAlongside;
// passes/pass_manager.h): the diagnostics are those of the plain check,
// in the same order, on every policy of the diagnostics suite; the work
// runs exactly when the passes before the lint found no error, sees the
// checked tree, and an exception from either side reaches the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "driver.h"

namespace psl {
namespace {

// Every field of every diagnostic and note, one line each.
std::string render(const DiagnosticSink &sink) {
  std::string out;
  const auto at = [](const SourceRange &r) {
    return std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) +
           "-" + std::to_string(r.end.line) + ":" +
           std::to_string(r.end.column);
  };
  for (const auto &d : sink.diagnostics()) {
    out += at(d.range) + " " + std::to_string(static_cast<int>(d.severity)) +
           " " + diag_info(d.code).name + ": " + d.message + "\n";
    for (const auto &n : d.notes)
      out += "  note " + (n.range.valid() ? at(n.range) : "-") + ": " +
             n.message + "\n";
  }
  return out;
}

std::string read_file(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Outcome {
  std::string diagnostics;
  bool ok = false;
  int calls = 0;
  size_t rules_seen = 0;
};

Outcome check_beside(const std::string &path, const std::string &text,
                     const PassOptions &options = {}) {
  Outcome o;
  const std::thread::id caller = std::this_thread::get_id();
  CheckedModule m = check_source(
      path, text, options, [&](const Policy &policy, const SourceFile &file) {
        ++o.calls;
        o.rules_seen = policy.rules.size();
        EXPECT_EQ(std::this_thread::get_id(), caller);
        EXPECT_EQ(file.path(), path);
        EXPECT_EQ(file.text(), text);
      });
  o.diagnostics = render(m.diags);
  o.ok = m.ok();
  return o;
}

TEST(CheckAlongside, SameDiagnosticsOnEveryPolicyOfTheTree) {
  const std::filesystem::path src(PSC_SOURCE_DIR);
  std::vector<std::filesystem::path> files;
  for (const char *dir : {"tests/diag", "tests/fmt", "policies"})
    for (const auto &entry :
         std::filesystem::recursive_directory_iterator(src / dir))
      if (entry.path().extension() == ".psl")
        files.push_back(entry.path());
  int cases = 0, beside = 0;
  for (const auto &file : files) {
    ++cases;
    const std::string path = file.string();
    const std::string text = read_file(file);
    CheckedModule plain = check_source(path, text);
    Outcome o = check_beside(path, text);
    EXPECT_EQ(o.diagnostics, render(plain.diags)) << path;
    EXPECT_EQ(o.ok, plain.ok()) << path;
    EXPECT_LE(o.calls, 1) << path;
    if (plain.ok()) {
      EXPECT_EQ(o.calls, 1) << path << ": a policy that checks was not built";
    }
    beside += o.calls;
  }
  // Cases the lint runs on (the work beside them) and error cases.
  EXPECT_GT(cases, 70);
  EXPECT_GT(beside, 20);
  EXPECT_LT(beside, cases);
}

// Long enough that the lint and the work beside it overlap: 3,000 rules,
// every third shadowed by the /16 before it, the work walking the tree
// meanwhile.
TEST(CheckAlongside, SameDiagnosticsOnALongPolicy) {
  std::string text = "policy t {\n";
  for (int i = 0; i < 1000; ++i) {
    const std::string net = "10." + std::to_string(i % 250) + ".";
    text += "  rule w" + std::to_string(i) + ": ip.src in " + net +
            "0.0/16 and tcp.dport == " + std::to_string(1 + i) + " => drop\n";
    text += "  rule s" + std::to_string(i) + ": ip.src in " + net +
            std::to_string(i % 256) +
            ".0/24 and tcp.dport == " + std::to_string(1 + i) + " => drop\n";
    text += "  rule u" + std::to_string(i) +
            ": udp.dport == " + std::to_string(1 + i) + " => pass\n";
  }
  text += "}\n";
  CheckedModule plain = check_source("t.psl", text);
  size_t walked = 0;
  CheckedModule beside = check_source(
      "t.psl", text, {}, [&](const Policy &policy, const SourceFile &) {
        for (int round = 0; round < 20; ++round)
          for (const RuleDecl *r : policy.rules)
            walked += r->name.size();
      });
  EXPECT_TRUE(plain.ok());
  EXPECT_TRUE(beside.ok());
  EXPECT_GT(walked, 0u);
  const std::string expected = render(plain.diags);
  EXPECT_NE(expected.find("W0201"), std::string::npos);
  EXPECT_EQ(render(beside.diags), expected);
}

TEST(CheckAlongside, RunsOnTheCheckedTreeWhileTheLintWarns) {
  Outcome o = check_beside("t.psl", "policy t {\n"
                                    "  rule a: tcp.dport == 22 => drop\n"
                                    "  rule b: tcp.dport == 22 => drop\n"
                                    "}\n");
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.calls, 1);
  EXPECT_EQ(o.rules_seen, 2u);
  EXPECT_NE(o.diagnostics.find("W0201"), std::string::npos) << o.diagnostics;
}

TEST(CheckAlongside, NotCalledAfterAnErrorBeforeTheLint) {
  // A syntax error (no tree) and a type error (a tree, not clean).
  Outcome syntax = check_beside("t.psl", "policy t {\n  rule a: => drop\n}\n");
  EXPECT_FALSE(syntax.ok);
  EXPECT_EQ(syntax.calls, 0);
  Outcome types = check_beside(
      "t.psl", "policy t {\n  rule a: tcp.dport == 1.2.3.4 => drop\n}\n");
  EXPECT_FALSE(types.ok);
  EXPECT_EQ(types.calls, 0);
  EXPECT_NE(types.diagnostics.find("E0"), std::string::npos)
      << types.diagnostics;
}

TEST(CheckAlongside, AnErrorFromTheProtectCheckStillFailsTheCheck) {
  // The work beside runs (the tree is clean before the lint) and its
  // result is not to be used: the protect check finds an error.
  PassOptions generated;
  generated.generated = true;
  const std::string text = "policy t {\n"
                           "  protect ip.src in 192.0.2.0/24\n"
                           "  rule a: tcp.dport == 22 => drop ttl 10m\n"
                           "}\n";
  Outcome o = check_beside("t.psl", text, generated);
  EXPECT_EQ(o.calls, 1);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.diagnostics.find("E0401"), std::string::npos) << o.diagnostics;
  EXPECT_EQ(o.diagnostics,
            render(check_source("t.psl", text, generated).diags));
}

TEST(CheckAlongside, AnExceptionFromTheWorkReachesTheCaller) {
  std::atomic<bool> thrown{false};
  EXPECT_THROW(
      check_source("t.psl",
                   "policy t {\n  rule a: tcp.dport == 22 => drop\n}\n", {},
                   [&](const Policy &, const SourceFile &) {
                     thrown = true;
                     throw std::runtime_error("from the build");
                   }),
      std::runtime_error);
  EXPECT_TRUE(thrown);
}

} // namespace
} // namespace psl
