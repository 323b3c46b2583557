// psc fmt: parse (no passes) and print the canonical layout.
#include <algorithm>
#include <ostream>

#include "atomic_write.h"
#include "commands.h"
#include "fmt/printer.h"
#include "frontend/parser.h"
#include "inputs.h"
#include "report/report.h"

namespace psc {
namespace {

// The canonical text of a file that parses, or nullopt after printing its
// diagnostics. Every result is parsed again and compared with the input,
// so a printer bug can never rewrite a policy into a different one.
std::optional<std::string> format_file(const LoadedInput &loaded,
                                       const psl::TextOptions &text_options,
                                       std::ostream &err) {
  if (loaded.problem) {
    err << psl::render_text(*loaded.file, *loaded.problem, text_options);
    return std::nullopt;
  }
  psl::DiagnosticSink diags(loaded.file);
  psl::Module module = psl::parse_policy(loaded.file, diags);
  if (diags.has_errors()) {
    diags.sort_by_location();
    err << psl::render_text(psl::FileReport{loaded.file, diags.diagnostics()},
                            text_options);
    return std::nullopt;
  }
  std::string formatted = psl::format_module(module);

  auto again =
      std::make_shared<const psl::SourceFile>(loaded.file->path(), formatted);
  psl::DiagnosticSink again_diags(again);
  psl::Module reparsed = psl::parse_policy(again, again_diags);
  const bool same_tree = module.policy && reparsed.policy
                             ? psl::ast_equal(*module.policy, *reparsed.policy)
                             : !module.policy && !reparsed.policy;
  if (again_diags.has_errors() || !same_tree)
    throw psl::InternalError("fmt would change the meaning of '" +
                             loaded.file->path() + "'");
  if (psl::comment_count(reparsed) != psl::comment_count(module))
    throw psl::InternalError("fmt would lose a comment of '" +
                             loaded.file->path() + "'");
  return formatted;
}

} // namespace

int run_fmt(const FmtOptions &options, Streams io) {
  std::vector<Input> inputs = expand_inputs(options.paths);
  const bool print = !options.check && !options.write;
  if (print && inputs.size() != 1) {
    io.err << "psc fmt: printing to standard output takes one file; use -w "
              "to rewrite files in place or --check to list the ones that "
              "would change\n";
    return kExitUsage;
  }
  if (options.write)
    for (const Input &input : inputs)
      if (input.is_stdin) {
        io.err << "psc fmt: -w cannot rewrite standard input\n";
        return kExitUsage;
      }

  psl::TextOptions text_options;
  text_options.color = options.color;
  int status = kExitOk;
  for (const Input &input : inputs) {
    LoadedInput loaded = load_input(input, io.in);
    std::optional<std::string> formatted =
        format_file(loaded, text_options, io.err);
    if (!formatted) {
      status = std::max(status, int{kExitFindings});
      continue;
    }
    if (print) {
      io.out << *formatted;
      continue;
    }
    if (*formatted == loaded.file->text())
      continue;
    if (options.check) {
      io.out << input.display << "\n";
      status = std::max(status, int{kExitFindings});
      continue;
    }
    if (auto error = write_file_atomically(input.path, *formatted)) {
      io.err << "psc fmt: cannot write '" << input.display << "': " << *error
             << "\n";
      status = std::max(status, int{kExitEnvironment});
    }
  }
  io.out.flush();
  return status;
}

} // namespace psc
