// Top talkers: the window's traffic of each source address from two
// readings of the tracer's per-source table, ranked and cut to a few.
#pragma once

#include <vector>

#include "summary/summary.h"
#include "trace/snapshot.h"

namespace psr::summary {

struct TalkerInput {
  const std::vector<trace::SourceStats> *prev = nullptr;
  const std::vector<trace::SourceStats> *cur = nullptr;
  uint64_t now_ns = 0;   // the current reading's CLOCK_MONOTONIC time
  uint64_t prev_ns = 0;  // the previous reading's (0: unknown)
  double duration_s = 0; // the window; rates are 0 when it is not > 0
  size_t top = 10;       // SummaryOptions::top_talkers
  size_t fanout = 5;     // SummaryOptions::top_fanout
};

// A source missing from `prev`, or whose entry was created again since
// (its first_seen_ns more than 50 ms later: the tracer's jiffies-to-ns
// conversion moves the same entry's by a tick or two), counts whole. But a
// source missing from `prev` whose entry is older than `prev` (a read of
// the table while a flood of new sources churned it can miss entries) has
// an unknown window: it counts nothing rather than all it ever counted. A
// counter that went down sets *reset. Ties are broken by bytes, then by
// address, so the order is the same for the same input.
Talkers rank_talkers(const TalkerInput &in, bool *reset);

} // namespace psr::summary
