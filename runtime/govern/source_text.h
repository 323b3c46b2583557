// Pieces of checked source: the text of a declaration by its range, and a
// checker's diagnostics rendered as psc check renders them (text with
// carets, JSON), for verdicts, the audit log and the API.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "diag/diagnostics.h"

namespace psr::govern {

// Byte offset of a location of `file` (1-based line and column).
size_t offset_of(const psl::SourceFile &file, const psl::SourceLoc &loc);
// The text a range covers.
std::string slice(const psl::SourceFile &file, const psl::SourceRange &range);

struct RenderedDiagnostics {
  std::string text;                              // psc check's text
  nlohmann::json json = nlohmann::json::array(); // psc check --format json
  bool empty() const { return text.empty(); }
};
RenderedDiagnostics render_diagnostics(const psl::DiagnosticSink &diags);

// The first error of a sink ("" when there is none).
const psl::Diagnostic *first_error(const psl::DiagnosticSink &diags);

} // namespace psr::govern
