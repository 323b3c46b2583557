// Shared by the semantic-pass tests: real PSL through psl::check_source,
// errors rendered one per line so expectations read like psc's output.
#pragma once

#include <string>
#include <vector>

#include "driver.h"

namespace sema_test {

inline std::string loc(const psl::SourceRange &r) {
  return std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

inline bool same_range(const psl::SourceRange &a, const psl::SourceRange &b) {
  return a.begin.line == b.begin.line && a.begin.column == b.begin.column &&
         a.end.line == b.end.line && a.end.column == b.end.column;
}

// One line per error, "LINE:COL: CODE message", then one line per note,
// "  note LINE:COL: message" ("  note: message" when the note has no
// location of its own or repeats the diagnostic's). Lint warnings are not
// the semantic passes' business and are left out.
inline std::vector<std::string> render(const psl::DiagnosticSink &sink) {
  std::vector<std::string> out;
  for (const auto &d : sink.diagnostics()) {
    if (d.severity != psl::Severity::Error)
      continue;
    out.push_back(loc(d.range) + ": " + psl::diag_info(d.code).name + " " +
                  d.message);
    for (const auto &n : d.notes)
      out.push_back(std::string("  note") +
                    (!n.range.valid() || same_range(n.range, d.range)
                         ? ""
                         : " " + loc(n.range)) +
                    ": " + n.message);
  }
  return out;
}

using Lines = std::vector<std::string>;

inline Lines errors(const std::string &text) {
  return render(psl::check_source("t.psl", text).diags);
}

} // namespace sema_test
