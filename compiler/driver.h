// One call from text to a checked policy: parse, then the frontend passes.
// Used by psc, the daemon and the tests, so all three see the same checks.
#pragma once

#include <memory>
#include <string>

#include "ast/ast.h"
#include "diag/diagnostics.h"
#include "passes/pass.h"

namespace psl {

struct CheckedModule {
  Module module;
  DiagnosticSink diags;
  bool ok() const { return module.policy && !diags.has_errors(); }
};

CheckedModule check_source(std::string path, std::string text,
                           const PassOptions &options = {});

} // namespace psl
