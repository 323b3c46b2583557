// Text to AST. The only interface of the frontend: ANTLR types never leave
// compiler/frontend/.
#pragma once

#include <memory>

#include "ast/ast.h"
#include "diag/diagnostics.h"

namespace psl {

struct ParseOptions {
  // A valid file of at least twice `piece_bytes` is parsed in pieces of
  // about that size (cut at declarations), by up to `threads` threads; a
  // piece's tokens are freed as soon as it is parsed. The result (tree,
  // comments, diagnostics) is the same for any values. threads 0: the
  // machine's hardware threads, at most 8.
  unsigned threads = 0;
  size_t piece_bytes = 256 * 1024;
};

// Parses one file. Syntax errors go to `diags` (with recovery, so more than
// the first is reported); the returned module's policy holds what could be
// built (possibly partial), or is null if there is no policy at all.
Module parse_policy(std::shared_ptr<const SourceFile> file,
                    DiagnosticSink &diags, const ParseOptions &options = {});

} // namespace psl
