// psd's metrics of what it decides: proposals by origin and verdict,
// audit records by event, set inserts, swaps, generated rules in force,
// the detection tick's time, and what failed. Plain values psd fills;
// rendered into /metrics with the rest (metrics.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/prometheus_text.h"

namespace psr::api {

// A histogram of durations in seconds with fixed upper bounds.
class DurationHistogram {
public:
  // 0.5 ms to 5 s, roughly 1-2.5-5 per decade.
  DurationHistogram();
  // Upper bounds of one's own, ascending (an LLM's answer takes seconds).
  explicit DurationHistogram(std::vector<double> bounds);
  void observe(double seconds);
  const std::vector<double> &bounds() const { return bounds_; }
  // Per bucket (not cumulative); the last one is +Inf.
  const std::vector<uint64_t> &counts() const { return counts_; }
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

struct GovernanceMetrics {
  bool enabled = false; // psd governs its targets (false: none rendered)
  std::string analyzer; // "embedded", "none"

  struct Proposals {
    std::string origin, verdict, reason; // reason: a code, or "none"
    uint64_t count = 0;
  };
  std::vector<Proposals> proposals;
  struct Records {
    std::string event;
    uint64_t count = 0;
  };
  std::vector<Records> records; // audit records by event
  struct SetInserts {
    std::string iface, set;
    uint64_t values = 0;
  };
  std::vector<SetInserts> set_inserts;
  struct Swaps {
    std::string iface, cause; // proposal, tick, withdraw, operator
    uint64_t count = 0;
  };
  std::vector<Swaps> swaps;
  struct Generated {
    std::string iface, origin, mode; // mode: enforced, shadow
    uint64_t rules = 0;
  };
  std::vector<Generated> generated;
  DurationHistogram tick;   // a detection tick: reading to proposals
  DurationHistogram submit; // a proposal: submit to its verdict applied
  uint64_t analyzer_failures = 0;
  uint64_t governor_failures = 0; // submits and ticks that failed
  uint64_t audit_failures = 0;    // audit records the disk did not take
};

void render_governance(PrometheusText &w, const GovernanceMetrics &g);

// A histogram family `name` (its _bucket, _sum and _count samples).
void render_histogram(PrometheusText &w, const char *name, const char *help,
                      const DurationHistogram &h);

} // namespace psr::api
