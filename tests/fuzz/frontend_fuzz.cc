// libFuzzer target for the frontend: arbitrary bytes through the same
// pipeline as `psc check` (parse, then every frontend pass), in normal and
// in --generated mode. Then the formatter must keep the meaning: for inputs
// without syntax errors parse(fmt(x)) is AST-equal to x with the same
// comments, and fmt is idempotent; inputs without any error still check
// cleanly after fmt.
//
// What counts as a bug here: a crash, a sanitizer report, a leak, an
// exception escaping check_source (psl::InternalError included: internal
// errors are bugs by definition), a diagnostic whose range lies outside the
// file, or a formatter that changes the meaning of a clean policy.
//
// Built two ways (tests/fuzz/CMakeLists.txt):
//   PSC_FUZZ=ON   clang, -fsanitize=fuzzer,address,undefined: the fuzzer.
//   otherwise     a plain executable whose main() replays files and
//                 directories given on the command line (the regression
//                 corpus in the normal test suite), so the target always
//                 compiles and its checks run on every build.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "diag/diagnostics.h"
#include "driver.h"
#include "passes/pass.h"

#ifdef PSC_FUZZ_HAVE_FMT
#include "fmt/printer.h"
#endif

namespace {

[[noreturn]] void fail(const std::string &what, const std::string &input) {
  std::fprintf(stderr, "frontend_fuzz: %s\n--- input (%zu bytes) ---\n",
               what.c_str(), input.size());
  std::fwrite(input.data(), 1, input.size(), stderr);
  std::fputs("\n---\n", stderr);
  std::abort();
}

bool loc_le(const psl::SourceLoc &a, const psl::SourceLoc &b) {
  return a.line < b.line || (a.line == b.line && a.column <= b.column);
}

// Every located diagnostic points into the file (the end of the last line
// and one line past the end are allowed: "unexpected end of input").
void check_ranges(const psl::CheckedModule &m, const std::string &input) {
  const psl::SourceFile &file = m.diags.file();
  const uint32_t max_line = file.line_count() + 1;
  auto check = [&](const psl::SourceRange &r, const std::string &msg) {
    if (!r.valid())
      return;
    if (r.begin.column == 0 || r.begin.line > max_line || r.end.line > max_line)
      fail("diagnostic range outside the file: '" + msg + "' at " +
               std::to_string(r.begin.line) + ":" +
               std::to_string(r.begin.column),
           input);
    if (r.end.line != 0 && !loc_le(r.begin, r.end))
      fail("diagnostic range ends before it begins: '" + msg + "'", input);
  };
  for (const psl::Diagnostic &d : m.diags.diagnostics()) {
    check(d.range, d.message);
    for (const auto &note : d.notes)
      check(note.range, note.message);
    if (d.message.empty())
      fail("diagnostic with an empty message", input);
  }
}

#ifdef PSC_FUZZ_HAVE_FMT
// Syntax errors are E00xx (not text) and E01xx (lexing, parsing, policy
// count); everything after is about meaning.
bool has_syntax_errors(const psl::CheckedModule &m) {
  for (const psl::Diagnostic &d : m.diags.diagnostics()) {
    const char *name = psl::diag_info(d.code).name;
    if (d.severity == psl::Severity::Error && name[0] == 'E' &&
        name[1] == '0' && (name[2] == '0' || name[2] == '1'))
      return true;
  }
  return false;
}

// fmt needs only the parse, so every input that parses cleanly takes part:
// the output parses cleanly, to the same tree (ast_equal ignores what the
// passes annotate), with the same comments, and formatting it again changes
// nothing. An input without any error still checks cleanly after fmt, with
// as many warnings.
void check_fmt(const psl::CheckedModule &m, const std::string &input) {
  if (!m.module.policy || has_syntax_errors(m))
    return;
  const std::string once = psl::format_module(m.module);
  psl::CheckedModule again = psl::check_source("fuzz.fmt.psl", once);
  auto fail_with_output = [&](const std::string &what) {
    fail(what + "\n--- fmt output ---\n" + once, input);
  };
  if (!again.module.policy || has_syntax_errors(again))
    fail_with_output("fmt output of a policy without syntax errors does not "
                     "parse");
  if (!psl::ast_equal(*m.module.policy, *again.module.policy))
    fail_with_output("fmt changed the meaning (AST differs)");
  if (psl::comment_count(m.module) != psl::comment_count(again.module))
    fail_with_output("fmt lost or added comments");
  const std::string twice = psl::format_module(again.module);
  if (twice != once)
    fail_with_output("fmt is not idempotent\n--- fmt twice ---\n" + twice);
  if (m.ok() && (!again.ok() || again.diags.diagnostics().size() !=
                                    m.diags.diagnostics().size()))
    fail_with_output("fmt output of a clean policy checks differently");
}
#endif

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string input(reinterpret_cast<const char *>(data), size);

  psl::PassOptions generated;
  generated.generated = true;
  psl::CheckedModule gen = psl::check_source("fuzz.psl", input, generated);
  check_ranges(gen, input);

  psl::CheckedModule normal = psl::check_source("fuzz.psl", input);
  check_ranges(normal, input);

  // --generated only adds checks: what is an error normally is one there.
  if (normal.diags.has_errors() && !gen.diags.has_errors())
    fail("an error in normal mode disappears with --generated", input);

#ifdef PSC_FUZZ_HAVE_FMT
  check_fmt(normal, input);
#endif
  return 0;
}

#ifdef PSC_FUZZ_STANDALONE
// Replays files, and the files of directories, given as arguments.
int main(int argc, char **argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      for (const auto &e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file())
          inputs.push_back(e.path());
    } else {
      inputs.push_back(p);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  for (const fs::path &p : inputs) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "frontend_fuzz: cannot read %s\n", p.c_str());
      return 1;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()),
                           bytes.size());
  }
  std::printf("frontend_fuzz: replayed %zu inputs\n", inputs.size());
  return 0;
}
#endif
