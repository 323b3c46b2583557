// psc check: every input through psl::check_source, rendered as text,
// JSON or SARIF.
#include <filesystem>
#include <ostream>
#include <system_error>

#include "commands.h"
#include "driver.h"
#include "inputs.h"
#include "report/report.h"

namespace psc {

int run_check(const CheckOptions &options, Streams io) {
  psl::PassOptions check_options;
  check_options.generated = options.generated;
  psl::TextOptions text_options;
  text_options.color = options.color;

  std::vector<psl::FileReport> reports;
  for (const Input &input : expand_inputs(options.paths)) {
    LoadedInput loaded = load_input(input, io.in);
    psl::FileReport report;
    if (loaded.problem) {
      report.file = loaded.file;
      report.diagnostics.push_back(std::move(*loaded.problem));
    } else {
      psl::CheckedModule checked =
          psl::check_source(loaded.file, check_options);
      report.file = checked.diags.file_ptr();
      report.diagnostics = checked.diags.diagnostics();
    }
    // Text goes out file by file, so a long run shows progress.
    if (options.format == CheckOptions::Format::Text) {
      io.out << psl::render_text(report, text_options);
      io.out.flush();
    }
    reports.push_back(std::move(report));
  }

  if (options.format == CheckOptions::Format::Json) {
    io.out << psl::render_json(reports);
  } else if (options.format == CheckOptions::Format::Sarif) {
    psl::SarifOptions sarif;
    sarif.tool_version = kVersion;
    sarif.information_uri = kInformationUri;
    std::error_code ec;
    sarif.source_root = std::filesystem::current_path(ec).string();
    io.out << psl::render_sarif(reports, sarif);
  }
  io.out.flush();

  psl::DiagnosticCounts counts = psl::count_diagnostics(reports);
  std::string summary = psl::summary_line(counts);
  if (!summary.empty()) {
    if (options.werror && counts.warnings > 0)
      summary += " (warnings are errors: --werror)";
    io.err << summary << "\n";
  }
  if (counts.errors > 0 || (options.werror && counts.warnings > 0))
    return kExitFindings;
  return kExitOk;
}

} // namespace psc
