// Helpers shared by the frontend tests.
#pragma once

#include <memory>
#include <string>

#include "ast/ast.h"
#include "diag/diagnostics.h"
#include "frontend/parser.h"

namespace psl::testing {

struct Parsed {
  std::shared_ptr<const SourceFile> file;
  DiagnosticSink diags;
  Module module;

  explicit Parsed(const std::string &text, const std::string &path = "test.psl")
      : file(std::make_shared<const SourceFile>(path, text)), diags(file),
        module(parse_policy(file, diags)) {}

  Policy &policy() { return *module.policy; }
  bool ok() const { return module.policy && !diags.has_errors(); }
  // "3:5 E0101 message" lines, one per diagnostic, in report order.
  std::string errors() const {
    std::string out;
    for (const auto &d : diags.diagnostics()) {
      out += std::to_string(d.range.begin.line) + ":" +
             std::to_string(d.range.begin.column) + " " +
             diag_info(d.code).name + " " + d.message + "\n";
    }
    return out;
  }
};

// Wraps declarations in a policy.
inline std::string in_policy(const std::string &body) {
  return "policy p {\n" + body + "\n}\n";
}

} // namespace psl::testing
