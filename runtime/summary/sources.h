// Where the collector's readings come from: the tracer (counters and
// sampled packet paths) and the policy runtime (rule counters, expiry,
// dynamic sets). Narrow on purpose: psd adapts the real libraries
// (runtime/trace, runtime/policy) to these, tests use fakes that need no
// kernel.
#pragma once

#include <vector>

#include "backend/status.h"
#include "summary/policy_view.h"
#include "trace/snapshot.h"

namespace psr::summary {

class TraceSource {
public:
  virtual ~TraceSource() = default;
  // Every counter of the tracing programs now.
  virtual psl::backend::Expected<trace::Snapshot> snapshot() = 0;
  // The sampled packet paths assembled since the last call.
  virtual std::vector<trace::PacketPath> take_paths() = 0;
};

class PolicyStatusSource {
public:
  virtual ~PolicyStatusSource() = default;
  // The policy in force on each interface psd manages, with its counters.
  virtual psl::backend::Expected<std::vector<PolicyView>> policies() = 0;
};

} // namespace psr::summary
