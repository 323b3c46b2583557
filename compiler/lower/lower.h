// Policy -> classifier: the ordered lowering passes.
//
//   1. normalize   (normalize.h)  each rule's condition to NNF; rate() and
//                                 dynamic sets registered
//   2. group       (group.h)      terminal field-only rules into lookup
//                                 groups and their map contents
//   3. perfect_hash (perfect_hash.h) the groups' hash maps laid out as
//                                 perfect hashes in arrays
//   4. code_rules  (code_rules.h) the rest into code, literal sets into set
//                                 maps, the code budget checked
// Normalization comes first because both later passes read its result;
// grouping before code because it decides which rules stay code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "lower/classifier.h"
#include "lower/code_rules.h"
#include "lower/group.h"

namespace psl::lower {

struct LowerOptions {
  GroupLimits groups;
  CodeLimits code;
  CostOptions cost; // maps, code or trees (cost_model.h)
};

// A reason the policy cannot be lowered, naming the rules responsible.
struct LowerError {
  std::string message;
  struct RuleRef {
    std::string name;
    SourceRange range;
    std::string detail; // why it needs code, its cost ...
  };
  std::vector<RuleRef> rules;
};

struct LowerResult {
  Classifier classifier;
  std::optional<LowerError> error;
  bool ok() const { return !error; }
};

// `policy` must have passed check_source without errors. `file` (optional)
// supplies rule text for comments in the generated C.
LowerResult lower_policy(const Policy &policy, const SourceFile *file = nullptr,
                         const LowerOptions &options = {});

} // namespace psl::lower
