// Attaches every source comment to the AST so fmt can print it back (see
// the Comment fields in ast/ast.h). Not one comment is dropped: whatever
// has no better home goes to the enclosing block's trailing comments.
#pragma once

#include "ast/ast.h"
#include "frontend/ast_builder.h"
#include "frontend/syntax_errors.h"

namespace psl::frontend {

// `built` is the file's (first) policy, or null when there is none (then
// every comment is a header comment).
void attach_comments(Module &module, BuiltPolicy *built, const TokenMap &map);

} // namespace psl::frontend
