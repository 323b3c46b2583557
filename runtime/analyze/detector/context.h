// What the detector is told besides the window: the operator policy's
// block sets, what is blocked and in force already, and the clock. psd
// fills it at every tick from the policy in force (find_block_sets of the
// checked operator policy, runtime/policy's set_list and target_status).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/detector/block_sets.h"

namespace psr::analyze {

struct DetectorContext {
  // find_block_sets() of the operator policy in force. None: sources are
  // blocked by generated rules instead (compiled and swapped).
  std::vector<BlockSet> block_sets;
  // The live entries of those sets (addresses as text). A source listed
  // here is not proposed for a set again; if its traffic still passes,
  // a rule is proposed for it.
  std::vector<std::string> blocked;
  // The name of every rule in force, the operator's and the generated
  // ones: a finding whose generated rule is in force is not proposed
  // again, and new rules get names that are not taken.
  std::vector<std::string> rules_in_force;
  int64_t now_unix_ms = 0; // the proposals' created_unix_ms and ids
  uint64_t now_ns = 0;     // CLOCK_MONOTONIC: when to propose again
};

} // namespace psr::analyze
