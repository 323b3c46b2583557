// Text to AST. The only interface of the frontend: ANTLR types never leave
// compiler/frontend/.
#pragma once

#include <memory>

#include "ast/ast.h"
#include "diag/diagnostics.h"

namespace psl {

// Parses one file. Syntax errors go to `diags` (with recovery, so more than
// the first is reported); the returned module's policy holds what could be
// built (possibly partial), or is null if there is no policy at all.
Module parse_policy(std::shared_ptr<const SourceFile> file,
                    DiagnosticSink &diags);

} // namespace psl
