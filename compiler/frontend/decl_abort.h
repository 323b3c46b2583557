// Included by the generated parser (grammar/Policy.g4, @parser::header):
// the pieces of declaration-level error recovery the grammar refers to.
#pragma once

namespace antlr4 {
class Parser;
}

namespace psl::frontend {

// Thrown by SyntaxErrorStrategy after it reported the one syntax error of a
// declaration. Not a RecognitionException, so it unwinds every rule inside
// the declaration and is caught only by the `decl` rule.
struct DeclAbort {};

// Called from the `decl` rule's catch clause: skips the rest of the broken
// declaration (up to the next declaration keyword, the policy's closing
// brace or the end of the file).
void resync_after_decl(antlr4::Parser *parser);

} // namespace psl::frontend
