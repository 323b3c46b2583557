// The language reference the prompt carries, generated from what the
// compiler is built with so that it cannot drift from it: the grammar of
// a generated policy (grammar/Policy.g4 after the frontend's rewrites,
// compiler/grammar_export), the field table (compiler/ast/fields.def:
// name, type, the layer it implies, meaning) and the protocol and ICMP
// type names. The literal forms and the rules of evaluation are prose in
// the prompt template (runtime/analyze/prompts/system.v1.md).
#pragma once

#include <string>

namespace psr::analyze::llm {

std::string language_reference();

} // namespace psr::analyze::llm
