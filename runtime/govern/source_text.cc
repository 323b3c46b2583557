#include "govern/source_text.h"

#include "report/report.h"

namespace psr::govern {

size_t offset_of(const psl::SourceFile &file, const psl::SourceLoc &loc) {
  if (loc.line == 0 || loc.line > file.line_count())
    return file.text().size();
  const std::string_view line = file.line(loc.line);
  const size_t start =
      line.data() == nullptr
          ? file.text().size()
          : static_cast<size_t>(line.data() - file.text().data());
  return std::min(file.text().size(), start + (loc.column - 1));
}

std::string slice(const psl::SourceFile &file, const psl::SourceRange &range) {
  const size_t b = offset_of(file, range.begin), e = offset_of(file, range.end);
  return e > b ? file.text().substr(b, e - b) : std::string();
}

RenderedDiagnostics render_diagnostics(const psl::DiagnosticSink &diags) {
  RenderedDiagnostics out;
  if (diags.diagnostics().empty())
    return out;
  psl::FileReport report{diags.file_ptr(), diags.diagnostics()};
  out.text = psl::render_text(report);
  out.json = nlohmann::json::parse(psl::render_json({report}), nullptr, false);
  if (out.json.is_discarded())
    out.json = nlohmann::json::array();
  return out;
}

const psl::Diagnostic *first_error(const psl::DiagnosticSink &diags) {
  for (const psl::Diagnostic &d : diags.diagnostics())
    if (d.severity == psl::Severity::Error)
      return &d;
  return nullptr;
}

} // namespace psr::govern
