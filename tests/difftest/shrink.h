// Shrinks a failing case to a reproduction a person can read and paste
// into a test: as few packets, rules, conjuncts, declarations, set
// entries and frame bytes as still fail the same way.
//
// "The same way": a Mismatch must stay a mismatch (on any packet), a build
// failure must stay a build failure at the same stage. Each step tries one
// simplification and keeps it if the case still fails:
//   1. packets: cut after the first bad one; try it alone; drop others;
//   2. policy: drop rules, the default, protects, constants, sets; replace
//      `a and b` / `a or b` by a side, `not a` by `a`; drop modifiers;
//      drop elements of set literals (in constants and conditions);
//   3. set entries: drop each;
//   4. bytes of the last packet: cut the tail, zero bytes.
// Packet and byte steps reuse the loaded program (its rate buckets are
// emptied between tries); policy steps rebuild it. A time budget bounds
// the whole search: what is left when it runs out is still a valid
// reproduction, just a larger one.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "generator.h"
#include "runner.h"

namespace psl::difftest {

struct Repro {
  PolicySpec policy;
  std::vector<SetEntry> entries;
  std::vector<TimedFrame> packets;
  bool split_class_tables = false;            // Case::split_class_tables
  CaseLowering lowering = CaseLowering::Auto; // Case::lowering
};

struct ShrinkResult {
  Repro repro;
  Outcome outcome; // of the shrunk case
  size_t tries = 0;
};

ShrinkResult
shrink(const Repro &failing, const Outcome &original,
       std::chrono::steady_clock::duration budget = std::chrono::seconds(60));

// The report printed for a failure: seed and case, the shrunk policy, set
// entries, packets as hex, what each side did, and the same as a
// regression test (tests/difftest/regression_test.cc).
std::string format_report(uint64_t seed, uint64_t number,
                          const Outcome &original, size_t rules_before,
                          const ShrinkResult &shrunk);

} // namespace psl::difftest
