// Per-rule counters: read from the per-CPU maps through the struct the
// BPF side writes (struct psl_counter, bpf/templates/psl_counters.h), and
// carried across a swap by rule name.
//
// What a rule has counted is what earlier programs counted for a rule of
// that name (ProgramState::counter_base) plus what the program in force
// counted (its maps). A swap that keeps the rule table as it is (same
// names at the same counter ids) keeps the counter maps themselves; any
// other swap gives the new program fresh maps and adds the old program's
// final counts, by rule name, to the base. "Final" because the old maps
// are read after the switch and after every run of the old program has
// ended (wait_for_running_programs), so no packet counted during the
// switch is lost. A rule that is gone takes its counts with it, as in
// nftables; `default` carries like a rule.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "backend/status.h"
#include "policy/program_state.h"
#include "psl_counters.h"

namespace psr::policy {

// Slots 0..slots-1 of a psl_rule_cnt / psl_shadow_cnt map, each summed
// over the CPUs. A slot the map does not have reads as zero.
be::Expected<std::vector<psl_counter>> read_counter_slots(int map_fd,
                                                          uint32_t slots);

struct CounterTotals {
  std::map<std::string, RuleCounts> rules; // by rule name
  RuleCounts default_counts;
};

// base + maps for the rules of `s` (slot = RuleEntry::counter, 0 for the
// default). Missing slots count as zero.
CounterTotals total_counts(const ProgramState &s,
                           const std::vector<psl_counter> &rule_cnt,
                           const std::vector<psl_counter> &shadow_cnt);

struct CounterCarry {
  std::map<std::string, RuleCounts> base; // for the new program
  RuleCounts default_base;
  std::vector<std::string> carried; // rules of the new program that had counts
  std::vector<std::string> dropped; // rules with counts that are gone
};

// The new program's base: the old totals of the rules it keeps by name.
CounterCarry carry_counters(const CounterTotals &old_totals,
                            const std::vector<std::string> &new_rules);

// Whether the new program can keep the old counter maps as they are: the
// same rule names at the same counter ids.
bool same_counter_layout(const std::vector<RuleEntry> &old_rules,
                         const std::vector<RuleEntry> &new_rules);

} // namespace psr::policy
