// What a swap carries from the program in force to the next one, decided
// from the two programs' tables before anything is loaded. Pure: the
// loader (put_in_force.h) does what the plan says and reports it.
//
//   dynamic sets   same name and element type: kept. Same capacity: the
//                  new program uses the very same map (nothing can be lost
//                  in the switch). Another capacity: the live entries are
//                  copied into the new map before the switch (set edits
//                  wait for the lock, and the program never writes them).
//                  Another element type: the set starts empty, and the
//                  report says why.
//   rate state     psl_rate's buckets, per rate() matched by its rule's
//                  name, its place among that rule's rate()s and its KEY
//                  fields (the key layout). Every rate() the same, at the
//                  same id: the map is kept. Otherwise matched buckets are
//                  copied before the switch with their ids rewritten, and
//                  a changed rate or burst rescales what the bucket holds
//                  (same fraction of the burst). A rate() with no match
//                  (new rule, new KEY fields) starts with full buckets.
//   counters       see counters.h: kept maps when the rule table is the
//                  same, else carried by rule name into the state.
//   pso_* maps     the tracing runtime's; always reused, never reset.
//
// With `reset` nothing but the pso_* maps is carried.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "policy/program_state.h"

namespace psr::policy {

enum class CarryHow {
  Keep,    // the new program uses the old map
  Copy,    // entries copied into the new map before the switch
  Rescale, // rate buckets copied, tokens rescaled to the new rate/burst
  Fresh,   // nothing to carry, or it cannot be: starts empty
};
const char *carry_how_name(CarryHow h); // "kept", "copied", ...

struct SetCarryPlan {
  std::string name;
  CarryHow how = CarryHow::Fresh;
  std::string why; // for Fresh of a set that existed: why not carried
};

struct RateCarryPlan {
  uint32_t new_id = 0;
  std::optional<uint32_t> old_id;
  std::string rule;
  CarryHow how = CarryHow::Fresh;
  std::string why;
};

struct CarryPlan {
  bool reset = false;
  std::vector<SetCarryPlan> sets;              // one per set of the new program
  std::vector<std::string> sets_dropped;       // old sets the new one lacks
  std::vector<RateCarryPlan> rates;            // one per rate() of the new one
  bool keep_rate_map = false;                  // psl_rate as it is
  bool keep_counter_maps = false;              // psl_rule_cnt, psl_shadow_cnt
  std::set<std::string> maps_to_reuse() const; // besides pso_*
};

// `old`: the state of the program in force (null: nothing in force, or no
// state for it).
CarryPlan plan_carry(const ProgramState *old, const ProgramState &next,
                     bool reset);

// Whether a map of this name belongs to the tracing runtime (pso_*).
bool tracing_map(const std::string &name);

// When each ttl rule of `next` was first put in force: its start in `old`
// if `old` had a rule of that name with a ttl (and not `reset`), else
// `now` (CLOCK_BOOTTIME ns).
std::map<std::string, uint64_t> rule_starts(const ProgramState *old,
                                            const ProgramState &next,
                                            uint64_t now, bool reset);

// A bucket's tokens (psl_rate_state.tokens, in bucket units) moved from
// one rate/burst to another: the same fraction of the burst, capped at it.
int64_t rescale_tokens(int64_t tokens, const RateEntry &from,
                       const RateEntry &to);

} // namespace psr::policy
