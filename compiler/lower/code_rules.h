// Lowering pass 3: the rules that stay code. Attaches each code rule's
// condition, moves literal sets out of the code into set maps (an address
// set -> LPM trie; a set of more than kInlineIntervals intervals over a
// field of at most 16 bits -> array of flags) and charges the code budget.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lower/classifier.h"

namespace psl::lower {

struct CodeLimits {
  size_t max_code_rules = 512;      // rules evaluated by generated code
  size_t max_code_atoms = 4096;     // tests in their conditions
  size_t max_inline_intervals = 64; // per test of a field wider than 16 bits
};

// Number of intervals of a non-address test emitted as comparisons.
inline constexpr size_t kInlineIntervals = 4;
// An address test of at most this many aligned prefixes is compared inline
// (psl_ip4_of, psl_ip6_hi, psl_ip6_lo in psl_classify.h); one of more
// looks the address up in the literal-set trie.
inline constexpr size_t kInlineIpPrefixes = 4;

struct CodeBudgetError {
  std::string message;
  std::vector<uint32_t> rules; // the rules responsible, most costly first
};

std::optional<CodeBudgetError>
build_code_rules(std::vector<std::optional<Cond>> &conds, Classifier &c,
                 const CodeLimits &limits = {});

} // namespace psl::lower
