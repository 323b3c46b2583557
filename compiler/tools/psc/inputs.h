// What `psc check` and `psc fmt` read: files, directories (every *.psl
// below them, sorted) and `-` for standard input. A problem with an input
// (missing, unreadable, binary) becomes a diagnostic, never an exception.
#pragma once

#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diag/diagnostics.h"

namespace psc {

struct Input {
  std::string display; // shown to the user: as given, "<stdin>", or dir/sub.psl
  std::string path;    // filesystem path; empty for stdin
  bool is_stdin = false;
  // Set when the argument could not be expanded (a directory without .psl
  // files, an unreadable directory): the E0001 message.
  std::optional<std::string> error;
  // A directory that holds no *.psl file (error is set too).
  bool no_policies = false;
};

// Expands command-line arguments in order. Directories are walked
// recursively for regular files named *.psl (hidden directories and
// symlinked directories are not entered), sorted by path so output is
// stable; files named explicitly are taken whatever their name.
std::vector<Input> expand_inputs(const std::vector<std::string> &args);

struct LoadedInput {
  std::shared_ptr<const psl::SourceFile> file; // always set
  // E0001 (unreadable). When set, there is no text to parse. Text that is
  // not UTF-8 (E0002) is the parser's to report, so every caller of
  // parse_policy gets the same check.
  std::optional<psl::Diagnostic> problem;
};

// Reads one input (stdin from `in`).
LoadedInput load_input(const Input &input, std::istream &in);

} // namespace psc
