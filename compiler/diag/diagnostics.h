// Diagnostics: what psc says about a policy. User diagnostics (bad input)
// are kept apart from internal errors (bugs), which are exceptions
// (psl::InternalError) and map to a different exit status.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace psl {

// One input text. Lines and columns count from 1; columns count bytes.
class SourceFile {
public:
  SourceFile(std::string path, std::string text);

  const std::string &path() const { return path_; }
  const std::string &text() const { return text_; }
  // Text of line `line` (1-based) without its newline; empty if out of range.
  std::string_view line(uint32_t line) const;
  uint32_t line_count() const {
    return static_cast<uint32_t>(line_starts_.size());
  }

private:
  std::string path_;
  std::string text_;
  std::vector<size_t> line_starts_;
};

struct SourceLoc {
  uint32_t line = 0;   // 1-based; 0 means "no location"
  uint32_t column = 0; // 1-based byte column
};

// A half-open range: `end` is one past the last character (SARIF style).
struct SourceRange {
  SourceLoc begin;
  SourceLoc end;
  bool valid() const { return begin.line != 0; }
  // The smallest range covering both.
  static SourceRange cover(const SourceRange &a, const SourceRange &b);
};

enum class Severity { Error, Warning, Note };
const char *severity_name(Severity s); // "error", "warning", "note"

enum class DiagCode {
#define PSL_DIAG(code, sev, summary) code,
#include "diag/codes.def"
#undef PSL_DIAG
};

struct DiagInfo {
  DiagCode code;
  const char *name;    // "E0103"
  Severity severity;   // default severity
  const char *summary; // one line
};
const DiagInfo &diag_info(DiagCode code);
const std::vector<DiagInfo> &all_diag_infos();

struct Diagnostic {
  Severity severity;
  DiagCode code;
  std::string message;
  SourceRange range;
  // Further explanation attached to the same diagnostic ("did you mean",
  // "the earlier rule is here"). Printed as `note:` lines.
  struct Note {
    std::string message;
    SourceRange range; // may be invalid (no location)
  };
  std::vector<Note> notes;
};

// Collects diagnostics for one source file, in the order they were found.
class DiagnosticSink {
public:
  explicit DiagnosticSink(std::shared_ptr<const SourceFile> file);

  Diagnostic &report(DiagCode code, SourceRange range, std::string message);
  // Same, with an explicit severity (lint promotions, --generated).
  Diagnostic &report(Severity severity, DiagCode code, SourceRange range,
                     std::string message);

  const std::vector<Diagnostic> &diagnostics() const { return diags_; }
  const SourceFile &file() const { return *file_; }
  std::shared_ptr<const SourceFile> file_ptr() const { return file_; }
  size_t error_count() const { return errors_; }
  bool has_errors() const { return errors_ > 0; }
  // Stable order for output: by position, then by insertion order.
  void sort_by_location();
  // Drops every diagnostic after the first `count` (a caller that tried a
  // fast path and starts again from scratch).
  void truncate(size_t count);

private:
  std::shared_ptr<const SourceFile> file_;
  std::vector<Diagnostic> diags_;
  size_t errors_ = 0;
};

// A bug in psc, never the user's fault. Exit status 2, never mixed with
// user diagnostics.
class InternalError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// "did you mean" support: the candidate closest to `word` by edit distance,
// or empty if none is close enough to be a plausible typo.
std::string closest_match(std::string_view word,
                          const std::vector<std::string> &candidates);

} // namespace psl
