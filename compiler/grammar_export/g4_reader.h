// Reads an ANTLR 4 combined grammar into the model of grammar_model.h:
// the subset grammar/Policy.g4 uses, which is most of ANTLR's rule
// syntax (parser and lexer rules, fragments, alternatives with labels,
// element labels, sub-rules with ? * +, literals, character sets, ~, '.',
// 'a'..'z' ranges, lexer commands). Actions (`{...}`), predicates,
// `@header` blocks, `options`/`tokens` sections and `catch`/`finally`
// clauses are read past and kept out of the model: they change how the
// generated parser reports errors, never which sentences it accepts.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "grammar_export/grammar_model.h"

namespace psl::grammar {

// A .g4 text this reader cannot read: "LINE:COL: message".
class G4Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

Grammar read_g4(std::string_view text);

// The body of one rule (`a b? | c`), as written after the ':'. Used to
// state the rewrites of char_grammar.cc in ANTLR's own notation.
Expr read_g4_body(std::string_view text);

} // namespace psl::grammar
