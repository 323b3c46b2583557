// psc grammar: the PSL grammar for grammar-constrained decoding, derived
// from grammar/Policy.g4 as psc was built with it.
#include <ostream>

#include "atomic_write.h"
#include "commands.h"
#include "grammar_export/grammar_export.h"

namespace psc {

int run_grammar(const GrammarOptions &options, Streams io) {
  psl::grammar::ExportOptions ex;
  switch (options.format) {
  case GrammarOptions::Format::Gbnf:
    ex.format = psl::grammar::Format::Gbnf;
    break;
  case GrammarOptions::Format::Ebnf:
    ex.format = psl::grammar::Format::Ebnf;
    break;
  case GrammarOptions::Format::Antlr:
    ex.format = psl::grammar::Format::Antlr;
    break;
  }
  ex.generated_only = options.generated;
  ex.known_fields = !options.any_field;
  // A grammar that does not fit the exporter is a bug of the build:
  // psl::InternalError reaches main(), which exits 2.
  std::string text = psl::grammar::export_grammar(ex);
  if (options.output.empty()) {
    io.out << text;
    io.out.flush();
    return kExitOk;
  }
  if (auto error = write_file_atomically(options.output, text)) {
    io.err << options.output << ": error: cannot write the grammar: " << *error
           << "\n";
    return kExitFindings;
  }
  return kExitOk;
}

} // namespace psc
