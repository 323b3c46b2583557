// Stack time histograms: a window's buckets from two readings, and
// percentile estimates over power-of-two buckets.
#pragma once

#include "summary/summary.h"
#include "trace/snapshot.h"

namespace psr::summary {

// The lower and upper bound (exclusive) of bucket i, in ns: bucket 0 is
// [0, 2), bucket i is [2^i, 2^(i+1)).
uint64_t latency_bucket_lo(size_t i);
uint64_t latency_bucket_hi(size_t i);

// The window's histogram of one protocol. If any bucket or the count went
// down, the tracer restarted: `cur` is taken whole and *reset is set.
trace::StackLatency latency_delta(const trace::StackLatency &prev,
                                  const trace::StackLatency &cur, bool *reset);

// The q-quantile (0 < q <= 1) of a histogram, interpolated linearly inside
// the bucket it falls in; 0 for an empty histogram.
double latency_quantile(const trace::StackLatency &h, double q);

// count, sum, mean, p50, p99 and the nonzero buckets.
LatencySummary summarize_latency(const std::string &proto,
                                 const trace::StackLatency &window);

} // namespace psr::summary
