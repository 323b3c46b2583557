// The one policy file that `psc build`, `psc load` and `psc run` take:
// expanded from the command line, read, checked, and its diagnostics
// rendered on the error stream, the same way for all three. The returned
// policy's diagnostic sink is empty: they have been shown.
#pragma once

#include <memory>
#include <optional>

#include "commands.h"
#include "driver.h"
#include "inputs.h"
#include "report/report.h"

namespace psc {

struct CheckedPolicy {
  Input input;
  std::shared_ptr<const psl::SourceFile> file;
  psl::CheckedModule checked; // ok(): no errors
};

enum class ShowDiagnostics {
  All,         // warnings too, also when the policy checks (build, load)
  OnlyOnError, // nothing unless the policy has errors (run)
};

// Null when the verb cannot go on; *exit_status is then kExitUsage (not
// exactly one file: the message names `verb`) or kExitFindings (unreadable,
// or errors; rendered with `text`). `build`, when given, runs while the
// lint does (psl::check_source with a BuildAlongside): what it makes is
// only to be used when the policy is returned.
std::optional<CheckedPolicy>
check_single_policy(const char *verb, const std::string &path,
                    const psl::TextOptions &text, Streams io,
                    ShowDiagnostics show, int *exit_status,
                    const psl::BuildAlongside &build = nullptr);

// Frees the policy's tree once it has been built (the artifact keeps what
// it needs) and gives the freed pages back, so that what comes after the
// build (the sidecar or state file text, the load) does not peak on top
// of them. The input and the source file stay.
void release_tree(CheckedPolicy &policy);

} // namespace psc
