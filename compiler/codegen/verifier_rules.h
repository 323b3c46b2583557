// Which rules a line of the generated C, and so a verifier rejection, is
// about.
//
// The generator heads the code of every code rule with a comment "/* rule
// N 'NAME' ... */" and every rate() helper with "/* rate N of rule 'NAME'
// ... */", so the nearest such comment above a line names the rule
// responsible for it. Lookup groups are shared by many rules and bounded
// by construction: a line inside them names no rule.
//
// The verifier's log quotes BTF line info as "; CODE @ FILE:LINE" for the
// instructions it walked; the last such line of the generated C is where
// it gave up. load_policy (policy_build.h) turns that rule into a note of
// its Error, at the rule's place in the policy, so every caller of the
// load path reports a rejection against its rule the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/status.h"
#include "lower/classifier.h"

namespace psl::codegen {

// The backend's types this interface is written in.
using backend::ErrorNote;

// The rule whose code holds line `line` (1-based) of `c_source`; "" for
// code of no single rule (lookup groups, the entry's fixed parts) and for
// a line past the end.
std::string rule_at_line(const std::string &c_source, uint32_t line);

struct VerifierStop {
  uint32_t line = 0;              // last line of `c_file` in the log; 0 if none
  std::vector<std::string> rules; // the rule whose code holds that line
};

// `log` is the verifier log of the rejected load, `c_source` the generated C
// compiled under the name `c_file` (build_policy uses "policy.c").
VerifierStop find_verifier_stop(const std::string &log,
                                const std::string &c_source,
                                const std::string &c_file = "policy.c");

// The notes of a verifier rejection: for each rule find_verifier_stop
// names, "the verifier stopped in the code of rule 'NAME'" at the rule's
// place in `policy_file` (from `rules`; no place when the rule is not
// there).
std::vector<ErrorNote>
verifier_stop_notes(const std::string &log, const std::string &c_source,
                    const std::string &c_file,
                    const std::vector<lower::RuleInfo> &rules,
                    const std::string &policy_file);

} // namespace psl::codegen
