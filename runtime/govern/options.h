// The governor's caps and the shadow period: plain values that psd maps
// its TOML onto (docs/psd.md lists each key with its default;
// docs/governor.md says what each one guards against).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "analyze/proposal.h"

namespace psr::govern {

struct GovernorOptions {
  // (a) Before parsing: a proposal's text, and how many rules it may hold.
  size_t max_proposal_bytes = 64 * 1024;
  size_t max_rules_per_proposal = 16;
  // Generated rules in force on one target, all proposals together.
  size_t max_generated_rules = 1000;
  // The longest ttl a generated rule or set entry may ask for.
  uint64_t max_ttl_ns = 24ull * 3600 * 1000000000ull;
  // Set inserts: values per proposal, and a token bucket over all
  // proposals of the target (values per second, and the burst).
  size_t max_set_values = 1024;
  double set_inserts_per_second = 1000;
  double set_insert_burst = 2000;
  // Management addresses and networks (ip or cidr literals): never
  // dropped, whatever the operator policy says.
  std::vector<std::string> management;
  // How long an accepted drop rule only counts (`shadow`) before it is
  // enforced or dropped; 0: enforced at once. An LLM's rules go in as
  // shadow by default, the detector's are enforced at once.
  uint64_t detector_shadow_ns = 0;
  uint64_t llm_shadow_ns = 60ull * 1000000000ull;
  // At the end of its shadow period a rule is enforced only if what it
  // would have dropped matches the traffic its proposal cited
  // (evidence_match.h): the proposal's shadow rules together would have
  // dropped, per second over the period, at least `shadow_min_ratio` and
  // at most `shadow_max_ratio` times the packets per second its evidence
  // shows (analyze/evidence.h cited_rate).
  double shadow_min_ratio = 0.1;
  double shadow_max_ratio = 3.0;

  uint64_t shadow_period_ns(analyze::Origin o) const {
    return o == analyze::Origin::Llm ? llm_shadow_ns : detector_shadow_ns;
  }
};

} // namespace psr::govern
