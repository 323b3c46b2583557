// Two readings -> one window's Summary.
//
// A reading (Observation) is what the tracer and the policy runtime said
// at one instant: counters since they started. The summary is the
// difference, as counts and rates over the time between the readings.
#pragma once

#include <string>
#include <vector>

#include "summary/policy_view.h"
#include "summary/summary.h"
#include "trace/snapshot.h"

namespace psr::summary {

struct Observation {
  trace::Snapshot snapshot;
  std::vector<PolicyView> policies; // one per interface
  // What could not be read for this observation ("policy status: ..."):
  // it becomes a note of the summary.
  std::vector<std::string> notes;
};

// The window from `prev` to `cur`, numbered `seq`. Counters that went
// down (a restart of the tracer or of a policy's counters) count from 0
// and set counters_reset with a note; a window that is not longer than 0
// gives counts but no rates.
Summary build_summary(const Observation &prev, const Observation &cur,
                      uint64_t seq, const SummaryOptions &options = {});

// The window's numbers of every rule of `cur` (and its default, last),
// in policy order: hits since `prev` (null, or another policy: since 0),
// totals and ttl left at `now_ns`. *reset is set if a counter went down.
std::vector<RuleSummary> rule_windows(const PolicyView *prev,
                                      const PolicyView &cur, uint64_t now_ns,
                                      double duration_s, bool *reset);

// The milliseconds left until `expires_ns` at `now_ns` (0 once passed).
uint64_t ttl_left_ms(uint64_t expires_ns, uint64_t now_ns);

} // namespace psr::summary
