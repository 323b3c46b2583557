// psc check: every input through psl::check_source, rendered as text,
// JSON or SARIF.
#include <filesystem>
#include <ostream>
#include <system_error>
#include <utility>
#include <vector>

#include "commands.h"
#include "driver.h"
#include "inputs.h"
#include "report/report.h"

namespace psc {
namespace {

// The last input's checked tree is not freed one node at a time: psc
// exits right after, and freeing the million nodes of a 100k-rule policy
// took 25-30 ms of its `psc check` (the kernel takes the memory back at
// exit at once). The pointer stays in a global, so a leak checker sees the
// tree as reachable, not lost.
psl::CheckedModule *kept_until_exit = nullptr;

void keep_until_exit(psl::CheckedModule &&checked) {
  delete kept_until_exit;
  kept_until_exit = new psl::CheckedModule(std::move(checked));
}

} // namespace

int run_check(const CheckOptions &options, Streams io) {
  psl::PassOptions check_options;
  check_options.generated = options.generated;
  psl::TextOptions text_options;
  text_options.color = options.color;

  std::vector<psl::FileReport> reports;
  const std::vector<Input> inputs = expand_inputs(options.paths);
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Input &input = inputs[k];
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
      if (k + 1 == inputs.size())
        keep_until_exit(std::move(checked));
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
