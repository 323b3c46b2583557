#include "single_policy.h"

#include <ostream>
#include <vector>

namespace psc {

std::optional<CheckedPolicy> check_single_policy(const char *verb, const std::string &path,
                                                 const psl::TextOptions &text, Streams io,
                                                 ShowDiagnostics show, int *exit_status) {
  std::vector<Input> inputs = expand_inputs({path});
  if (inputs.size() != 1) {
    io.err << "psc " << verb << ": expected one policy file, got " << inputs.size() << "\n";
    *exit_status = kExitUsage;
    return std::nullopt;
  }
  LoadedInput loaded = load_input(inputs[0], io.in);
  if (loaded.problem) {
    io.err << psl::render_text(*loaded.file, *loaded.problem, text);
    *exit_status = kExitFindings;
    return std::nullopt;
  }
  CheckedPolicy out{std::move(inputs[0]), loaded.file,
                    psl::check_source(loaded.file->path(), loaded.file->text())};
  const bool ok = out.checked.ok();
  if (show == ShowDiagnostics::All || !ok)
    io.err << psl::render_text(psl::FileReport{out.checked.diags.file_ptr(),
                                               out.checked.diags.diagnostics()},
                               text);
  if (!ok) {
    *exit_status = kExitFindings;
    return std::nullopt;
  }
  return out;
}

} // namespace psc
