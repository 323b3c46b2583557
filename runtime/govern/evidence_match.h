// Shadow, then enforced on evidence: at the end of a shadow period, does
// what a proposal's rules would have dropped match the traffic the
// proposal cited? Pure: the lifecycle (tick) gives the shadow counters
// and the period, this says enforce or drop, and why, in a sentence for
// the decision record (docs/governor.md, "Shadow, then enforced on
// evidence").
//
// The rule. A proposal's shadow drops are judged together, since its
// evidence is the proposal's, not a rule's: their shadow packets summed,
// divided by the period's length, is the would-drop rate. The cited rate
// is analyze::cited_rate() of the proposal's evidence, read when the
// proposal was accepted (GeneratedRule::cited_pps). Enforced when
//
//     shadow_min_ratio * cited <= would-drop <= shadow_max_ratio * cited
//
// (GovernorOptions; 0.1 and 3 by default) and each rule matched
// something. Below: the rules do not catch the traffic they were
// proposed for (a wrong port, an attack that stopped); above: they reach
// traffic the evidence does not show. A proposal that cites no packet
// rate is never enforced on evidence: its rules are dropped at the end
// of their period (set the origin's shadow period to 0 to enforce them at
// once, trusting the analyzer).
#pragma once

#include <cstdint>
#include <string>

#include "govern/options.h"

namespace psr::govern {

struct ShadowEvidence {
  uint64_t shadow_packets = 0; // the proposal's shadow rules together
  double shadow_s = 0;         // how long they were in shadow
  double cited_pps = -1;       // < 0: the proposal cited no packet rate
  std::string cited_basis;     // the counters behind cited_pps
};

struct ShadowJudgement {
  bool enforce = false;
  double shadow_pps = 0; // would-drop packets per second
  double ratio = 0;      // shadow_pps / cited_pps (0 when nothing cited)
  std::string why;       // for the decision record, either way
};

// A measured number for a message: 3 significant digits, never an
// exponent ("5400", "0.926", "2.5").
std::string short_number(double v);

ShadowJudgement judge_shadow(const ShadowEvidence &e,
                             const GovernorOptions &options);

} // namespace psr::govern
