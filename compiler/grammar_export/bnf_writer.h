// Prints grammars of grammar_model.h as text for grammar-constrained
// decoding, and as the short reference the LLM prompt carries.
#pragma once

#include <string>

#include "grammar_export/grammar_model.h"

namespace psl::grammar {

enum class BnfDialect {
  // llama.cpp's GBNF: rule names are lower-case words joined by '-'
  // ("policy-decl", "ident-part"), the start rule is "root".
  Gbnf,
  // xgrammar's EBNF, which vLLM's grammar-guided decoding reads: GBNF's
  // syntax with the .g4's own rule names ("policyDecl", "IDENT_PART").
  XgrammarEbnf,
};

// `grammar`: a character-level grammar (char_grammar.h) whose first rule
// is "root". `header`: comment lines, written first with '# '.
std::string write_bnf(const Grammar &grammar, BnfDialect dialect,
                      const std::string &header);

// The token-level grammar (refined_grammar()) as a reference for people
// and models: parser rules with the keyword and punctuation tokens
// written as their text, then the other tokens' definitions.
std::string write_reference(const Grammar &refined);

// "policyDecl" -> "policy-decl", "IDENT_PART" -> "ident-part".
std::string gbnf_name(const std::string &name);

} // namespace psl::grammar
