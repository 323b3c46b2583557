#include "single_policy.h"

#include <ostream>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace psc {

std::optional<CheckedPolicy>
check_single_policy(const char *verb, const std::string &path,
                    const psl::TextOptions &text, Streams io,
                    ShowDiagnostics show, int *exit_status,
                    const psl::BuildAlongside &build) {
  std::vector<Input> inputs = expand_inputs({path});
  if (inputs.size() != 1) {
    io.err << "psc " << verb << ": expected one policy file, got "
           << inputs.size() << "\n";
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
                    psl::check_source(loaded.file, {}, build)};
  const bool ok = out.checked.ok();
  if (show == ShowDiagnostics::All || !ok)
    io.err << psl::render_text(psl::FileReport{out.checked.diags.file_ptr(),
                                               out.checked.diags.diagnostics()},
                               text);
  if (!ok) {
    *exit_status = kExitFindings;
    return std::nullopt;
  }
  // Shown (or not wanted): the verbs go on with the policy alone, and a
  // generated 100k-rule policy has tens of thousands of warnings.
  out.checked.diags.truncate(0);
#ifdef __GLIBC__
  // The lint's condition sets and indexes and the diagnostics are gone,
  // but their pages stay with the process until given back; a build that
  // follows (lowering, Clang) would peak on top of them.
  malloc_trim(0);
#endif
  return out;
}

void release_tree(CheckedPolicy &policy) {
  policy.checked.module.policy.reset();
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

} // namespace psc
