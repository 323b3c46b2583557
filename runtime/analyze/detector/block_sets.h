// The dynamic sets of an operator policy that block sources: where the
// detector's fast path (a SetInsert proposal) can put a flooding or
// scanning address.
#pragma once

#include <string>
#include <vector>

#include "ast/ast.h"

namespace psr::analyze {

struct BlockSet {
  std::string name; // the set: `set NAME : ip dynamic ...`
  std::string rule; // the first rule that drops what it holds
  // Non-shadow `pass` rules before that rule: traffic of a blocked source
  // they match still passes (the management path of psd's default
  // policy, say). The detector sees that traffic in the next windows and
  // proposes a rule for it instead (generated rules go first).
  std::vector<std::string> passes_before;
};

// In policy order, the `ip` dynamic sets some rule drops the sources of:
// a rule whose whole condition is `ip.src in SET`, action `drop`, neither
// `shadow` nor with a `ttl` (it would stop blocking when it expires).
// `policy` must have been checked without errors (names resolved, types
// known).
std::vector<BlockSet> find_block_sets(const psl::Policy &policy);

} // namespace psr::analyze
