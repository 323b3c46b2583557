// The canonical layout of PSL (`psc fmt`). Prints a parsed module back as
// text: 2-space indent, one declaration per line, minimal parentheses,
// literal spellings and every comment kept, and a single blank line where
// the source had one or more. Needs only the parse: annotations from the
// passes are ignored.
//
// Guarantees (tested on every policy in the tree):
//   format(parse(format(x))) == format(x)
//   ast_equal(parse(x), parse(format(x)))
//   the output has as many comments as the input.
#pragma once

#include <cstddef>
#include <string>

#include "ast/ast.h"

namespace psl {

// The canonical text of a module, ending in a newline (empty for a module
// with neither a policy nor comments). Blank lines are taken from
// module.file when it is set; without it none are printed.
std::string format_module(const Module &module);

// One expression, with the parentheses its precedence needs
// (or < and < not < comparison).
std::string format_expr(const Expr &expr);

// A string literal as PSL spells it: quoted, with '"', '\\' and control
// characters escaped.
std::string quote_string(const std::string &text);

// Every comment the module holds (header, leading, trailing, inner,
// footer), for the "no comment is lost" checks.
size_t comment_count(const Module &module);

} // namespace psl
