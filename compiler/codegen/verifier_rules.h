// Which rules a verifier rejection is about.
//
// The verifier's log quotes BTF line info as "; CODE @ FILE:LINE" for the
// instructions it walked; the last such line of the generated C is where it
// gave up. The generator heads the code of every code rule with a comment
// "/* rule N 'NAME' ... */" and every rate() helper with "/* rate N of rule
// 'NAME' ... */", so the nearest such comment above that line names the
// rule responsible. Lookup groups are shared by many rules and bounded by
// construction: a rejection inside them names no rule.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace psl::backend {

struct VerifierStop {
  uint32_t line = 0;              // last line of `c_file` in the log; 0 if none
  std::vector<std::string> rules; // the rule whose code holds that line
};

// `log` is the verifier log of the rejected load, `c_source` the generated C
// compiled under the name `c_file` (build_policy uses "policy.c").
VerifierStop find_verifier_stop(const std::string &log, const std::string &c_source,
                                const std::string &c_file = "policy.c");

} // namespace psl::backend
