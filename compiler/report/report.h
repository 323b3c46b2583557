// Rendering of diagnostics for people and tools: the text format of
// `psc check` (clang-like, with a source snippet), a JSON array and SARIF
// 2.1.0 for code scanning. Renderers only format; they never decide what
// is an error.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "diag/diagnostics.h"

namespace psl {

// The diagnostics of one input. file->path() is the name shown to the user
// ("policies/edge.psl", "<stdin>").
struct FileReport {
  std::shared_ptr<const SourceFile> file;
  std::vector<Diagnostic> diagnostics;
};

struct TextOptions {
  bool color =
      false; // ANSI escapes (bold, red errors, magenta warnings, cyan notes)
};

// One diagnostic with its notes:
//   FILE:LINE:COL: error[E0202]: unknown field 'tcp.dprot'
//     rule a: tcp.dprot == 22 => drop
//             ^~~~~~~~~
//   FILE:LINE:COL: note: did you mean 'tcp.dport'?
// A diagnostic without a location is `FILE: error[E0001]: message`.
std::string render_text(const SourceFile &file, const Diagnostic &diag,
                        const TextOptions &options = {});
// Every diagnostic of one file, in order.
std::string render_text(const FileReport &report,
                        const TextOptions &options = {});

// The source line of `range.begin` and its caret underline (`^~~~`), each
// ending in '\n'; empty when the range is invalid or the line does not exist.
std::string render_snippet(const SourceFile &file, const SourceRange &range,
                           const TextOptions &options = {});

// One JSON array over all files: objects with file, line, column, end_line,
// end_column (1-based, end exclusive; null without a location), severity,
// code, message and notes (same location keys plus message).
std::string render_json(const std::vector<FileReport> &reports);

struct SarifOptions {
  std::string tool_version;    // "0.1.0"
  std::string information_uri; // the tool's home page
  // Directory that relative artifact URIs are resolved against
  // (%SRCROOT%); absolute paths under it are made relative to it.
  std::string source_root;
};
// SARIF 2.1.0 as GitHub code scanning accepts it. Columns are converted
// from bytes to Unicode code points (run.columnKind says so).
std::string render_sarif(const std::vector<FileReport> &reports,
                         const SarifOptions &options);

// The artifact URI of a displayed path: relative to `source_root` with
// forward slashes and percent-encoding; `relative` tells whether it is
// relative (then uriBaseId is %SRCROOT%) or an absolute file:// URI.
struct ArtifactUri {
  std::string uri;
  bool relative = true;
};
ArtifactUri artifact_uri(const std::string &path,
                         const std::string &source_root);

struct DiagnosticCounts {
  size_t errors = 0;
  size_t warnings = 0;
  size_t files = 0; // inputs checked
};
DiagnosticCounts count_diagnostics(const std::vector<FileReport> &reports);
// "2 errors, 1 warning in 3 files"; empty when there are neither errors nor
// warnings.
std::string summary_line(const DiagnosticCounts &counts);

} // namespace psl
