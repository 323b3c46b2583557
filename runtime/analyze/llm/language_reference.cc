#include "analyze/llm/language_reference.h"

#include <sstream>

#include "ast/fields.h"
#include "grammar_export/grammar_export.h"

namespace psr::analyze::llm {

namespace {

std::string type_text(const psl::FieldInfo &f) {
  std::string t = psl::type_kind_name(f.type);
  if (f.type == psl::TypeKind::Int)
    t += " (" + std::to_string(f.bits) + " bits)";
  return t;
}

std::string names(const std::vector<psl::NamedNumber> &table) {
  std::string out;
  for (const psl::NamedNumber &n : table)
    out += (out.empty() ? "" : ", ") + std::string(n.name) + " (" +
           std::to_string(n.number) + ")";
  return out;
}

} // namespace

std::string language_reference() {
  std::ostringstream out;
  out << "### Grammar of a generated policy\n\n"
         "Rule names in lower camel case are grammar rules; upper-case "
         "names are tokens, defined at the end.\n\n```\n"
      << psl::grammar::reference_grammar(true) << "```\n\n";
  out << "### Fields\n\n"
         "A field implies its layer: a condition on it is false for "
         "packets without that layer, and `not` never makes it true for "
         "them.\n\n| field | type | layer | meaning |\n|---|---|---|---|\n";
  for (const psl::FieldInfo &f : psl::all_fields())
    out << "| `" << f.name << "` | " << type_text(f) << " | "
        << (f.guard == psl::Guard::None ? "any" : psl::guard_name(f.guard))
        << " | " << f.doc << " |\n";
  out << "\n### Names\n\n"
      << "- protocols (`ip.proto`, or `proto(N)`): "
      << names(psl::proto_names()) << "\n"
      << "- ICMPv4 types (`icmp.type`): " << names(psl::icmp_type_names())
      << "\n"
      << "- ICMPv6 types (`icmp6.type`): " << names(psl::icmp6_type_names())
      << "\n";
  return out.str();
}

} // namespace psr::analyze::llm
