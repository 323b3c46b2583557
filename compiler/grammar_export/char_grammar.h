// From the ANTLR grammar (a lexer and a parser over its tokens) to one
// character-level grammar, the form GBNF (llama.cpp) and xgrammar's EBNF
// (vLLM) constrain a model's output with. Every sentence of the result is
// a policy the frontend parses without a syntax error (tested by drawing
// sentences from the exported text and parsing them); it is a subset of
// what the .g4 accepts:
//
//  - Rewrites (char_grammar.cc, kRewrites) state in the grammar what the
//    frontend checks after ANTLR has parsed: exactly one policy per file
//    with a name, `x` before a repeat count, `rate(FIELD, ..., burst N)`
//    and `proto(N)` as the only calls, and none of the error tokens the
//    .g4 keeps for better messages (BAD_NUMBER, UNTERMINATED_STRING, an
//    INT where a duration belongs). Each rewrite names the rule as the .g4
//    writes it today; if the .g4 changes that rule, building the grammar
//    throws psl::InternalError (and the exporter's tests fail) instead of
//    exporting something stale.
//  - IDENT excludes the keywords (the lexer's literal tokens that look
//    like names), as the lexer does by rule order.
//  - FIELD is one of the compiler's field names (ast/fields.def), unless
//    `known_fields` is off.
//  - Whitespace: between two tokens it is required where the lexer would
//    otherwise read them as one (two words, `:` and what follows) and
//    optional next to punctuation (`rate(ip.src)`, `{ 80, 443 }`,
//    `tcp.dport==22`). Comments are not part of the exported language.
#pragma once

#include <string>
#include <vector>

#include "grammar_export/grammar_model.h"

namespace psl::grammar {

struct CharGrammarOptions {
  // Only what an analyzer may propose: a policy of `const` and `rule`
  // declarations (runtime/analyze/proposal.h).
  bool generated_only = false;
  // FIELD as the compiler's field names instead of any dotted name.
  bool known_fields = true;
};

// The .g4 after the rewrites (still token-level: parser rules over
// tokens), with the rules the start rule cannot reach removed. The
// language reference of the LLM prompt is printed from this.
Grammar refined_grammar(const Grammar &g4, const CharGrammarOptions &options);

// The character-level grammar: rule "root" first, then the parser rules,
// the tokens they use and "ws". Throws psl::InternalError when the .g4
// does not have the shape the rewrites expect.
Grammar char_grammar(const Grammar &g4, const CharGrammarOptions &options);

// The start rule of the .g4 ("policyFile").
inline constexpr const char *kStartRule = "policyFile";

} // namespace psl::grammar
