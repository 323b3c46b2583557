// `psc grammar`: the PSL grammar for grammar-constrained decoding, derived
// from grammar/Policy.g4 (embedded at build time, read at run time), so
// that it cannot drift from the parser the compiler is built with.
//
//   gbnf   llama.cpp's GBNF (its server's `grammar` request member)
//   ebnf   xgrammar's EBNF (vLLM's `structured_outputs.grammar`)
//   antlr  grammar/Policy.g4 itself
//
// What the character-level forms accept, and why it is a subset of the
// .g4, is in char_grammar.h.
#pragma once

#include <string>
#include <string_view>

namespace psl::grammar {

enum class Format { Gbnf, Ebnf, Antlr };

struct ExportOptions {
  Format format = Format::Gbnf;
  // Only `const` and `rule` declarations: what an analyzer may propose.
  bool generated_only = false;
  // FIELD as the compiler's field names (ast/fields.def).
  bool known_fields = true;
};

// The grammar as text. Throws psl::InternalError if the embedded .g4 does
// not have the shape the exporter expects (a build that must be fixed).
std::string export_grammar(const ExportOptions &options);

// grammar/Policy.g4 as psc was built with it.
std::string_view policy_g4();

// The token-level grammar after the frontend's rewrites, for the LLM
// prompt's language reference (bnf_writer.h write_reference).
std::string reference_grammar(bool generated_only);

} // namespace psl::grammar
