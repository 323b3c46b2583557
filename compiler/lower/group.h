// Lowering pass 2: places each rule. A terminal rule (pass/drop, not
// shadow) whose NNF condition has only field tests is expanded to DNF and
// each conjunct becomes entries of a lookup group chosen by its shape:
//   - one dimension of at most 16 bits (ports, protocol, ICMP type, TTL,
//     flags, vlan.id, eth.type)         -> an array indexed by the value;
//   - any address dimension             -> an LPM trie on one address (the
//     one that is a prefix or range; the other dimensions must be single
//     values, prepended as exact bytes);
//   - otherwise                          -> a hash of exact tuples.
// Everything else goes to code, with the reason recorded in RuleInfo.
// Group contents (least encoded priority per key, LPM covering prefixes
// folded in) are written to Classifier::entries.
#pragma once

#include <optional>
#include <vector>

#include "lower/classifier.h"

namespace psl::lower {

struct GroupLimits {
  size_t max_conjuncts = 64;              // DNF alternatives per rule
  size_t max_entries_per_conjunct = 65536; // map keys one rule may add
  size_t max_group_entries = size_t{1} << 22; // map keys of all groups
};

// conds[i] is rule i's condition (nullopt: could not be normalized: code).
void place_rules(const std::vector<std::optional<Cond>> &conds, Classifier &c,
                 const GroupLimits &limits = {});

} // namespace psl::lower
