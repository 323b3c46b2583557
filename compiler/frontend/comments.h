// Attaches every source comment to the AST so fmt can print it back (see
// the Comment fields in ast/ast.h). Not one comment is dropped: whatever
// has no better home goes to the enclosing block's trailing comments.
#pragma once

#include <vector>

#include "ast/ast.h"
#include "frontend/ast_builder.h"
#include "frontend/syntax_errors.h"

namespace psl::frontend {

// A comment token with what placing it needs from the tokens around it,
// so that the tokens can be freed before comments are attached.
struct CommentToken {
  Comment comment;
  size_t index = INVALID_INDEX;      // its token index
  size_t prev_index = INVALID_INDEX; // the default-channel token before it
  bool same_line_as_prev = false;    // ... which is on its line
};

// The comment tokens of `map`'s stream, in order.
std::vector<CommentToken> collect_comments(const TokenMap &map);

// `built` is the file's (first) policy, or null when there is none (then
// every comment is a header comment).
void attach_comments(Module &module, BuiltPolicy *built,
                     std::vector<CommentToken> comments);
void attach_comments(Module &module, BuiltPolicy *built, const TokenMap &map);

} // namespace psl::frontend
