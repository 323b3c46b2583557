// The embedded detector: psd's default analyzer, fully offline. Each call
// reads one window's summary and returns what it proposes to the governor
// (runtime/govern) — nothing here changes what is in force.
//
//   window -> find_signals (signals.h: every detection's signal against
//   its thresholds) -> FindingTracker (tracker.h: held long enough?) ->
//   what is new (not blocked, not in force, not proposed lately) ->
//   proposals: sources into a block set (SetInsert, the fast path), or
//   generated rules with a ttl (Policy: a rate limit for floods of many
//   sources, a block rule where no set can do it).
//
// docs/detector.md has each detection, its signal, thresholds and
// proposal, and their known false positives.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/detector/context.h"
#include "analyze/detector/options.h"
#include "analyze/detector/signals.h"
#include "analyze/detector/tracker.h"
#include "analyze/proposal.h"
#include "summary/summary.h"

namespace psr::analyze {

class EmbeddedDetector {
public:
  // `options` should have passed check_detector_options().
  explicit EmbeddedDetector(DetectorOptions options = {});

  // One tick: the window psd just summarized, and the context of the
  // policy in force. Calls are expected in window order; each one counts
  // as a tick for the hysteresis.
  std::vector<Proposal> analyze(const summary::Summary &window,
                                const DetectorContext &ctx);

  const DetectorOptions &options() const { return options_; }
  // Findings being followed and actions remembered (bounded; for tests
  // and the benchmark).
  size_t tracked_findings() const { return tracker_.tracked(); }
  size_t remembered_actions() const { return tracker_.remembered(); }

private:
  class Tick;
  friend class Tick;

  DetectorOptions options_;
  FindingTracker tracker_;
  BlockedAddresses blocked_cache_;
  uint64_t next_rule_ = 1;
  uint64_t next_id_ = 1;
  std::string instance_; // 4 hex digits in the proposal ids
};

} // namespace psr::analyze
