// One call from text to a checked policy: parse, then the frontend passes.
// Used by psc, the daemon and the tests, so all three see the same checks.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ast/ast.h"
#include "diag/diagnostics.h"
#include "passes/pass.h"
#include "passes/pass_manager.h"

namespace psl {

struct CheckedModule {
  Module module;
  DiagnosticSink diags;
  bool ok() const { return module.policy && !diags.has_errors(); }
};

CheckedModule check_source(std::string path, std::string text,
                           const PassOptions &options = {});

// What a caller does with the checked tree and its file while the lint
// runs (see below); it reads them only.
using BuildAlongside = std::function<void(const Policy &, const SourceFile &)>;

// check_source, with `alongside` (typically building the policy) run on
// the calling thread while the lint and the protect check run on a second
// one, once the earlier passes found no error (run_frontend_passes with
// AlongsideChecks): the diagnostics are check_source's, and what
// `alongside` made is only to be used when the result is ok(). It is not
// called when the parse or an earlier pass reported an error.
CheckedModule check_source(std::string path, std::string text,
                           const PassOptions &options,
                           const BuildAlongside &alongside);

// The same on a file already read (psc reads its inputs itself): the
// text is neither copied nor indexed again.
CheckedModule check_source(std::shared_ptr<const SourceFile> file,
                           const PassOptions &options = {},
                           const BuildAlongside &alongside = nullptr);

} // namespace psl
