// The loop's one step: read the tracer and the policy status, and turn the
// last two readings into a window's summary, kept in the ring. psd calls
// tick() once per window; the timing, the signals and the event stream
// are psd's.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "backend/status.h"
#include "summary/builder.h"
#include "summary/path_log.h"
#include "summary/ring.h"
#include "summary/sources.h"

namespace psr::summary {

class Collector {
public:
  Collector(TraceSource &trace, PolicyStatusSource &policy, SummaryRing &ring,
            PathLog &paths, SummaryOptions options = {});

  // Takes a reading. The first one only starts the first window; each
  // later one ends a window: its summary goes into the ring and is
  // returned. When the tracer cannot be read, no window ends and the
  // error is returned; the next good reading ends a window that started
  // at the last good one. When the policy status cannot be read, the last
  // one read stands in for it and the summary says so in its notes.
  psl::backend::Expected<std::optional<RingEntry>> tick();

  // The last good reading (null before the first): the API's source of
  // totals for the metrics and of the rules' counters.
  std::shared_ptr<const Observation> latest() const;
  // The good reading before latest(): with it, the last window's rule
  // hits for /api/v1/rules.
  std::shared_ptr<const Observation> previous() const;
  uint64_t windows() const;
  uint64_t failed_readings() const;

private:
  TraceSource &trace_;
  PolicyStatusSource &policy_;
  SummaryRing &ring_;
  PathLog &paths_;
  SummaryOptions options_;

  mutable std::mutex mu_;
  std::shared_ptr<const Observation> last_, before_last_;
  uint64_t windows_ = 0;
  uint64_t failed_ = 0;
};

} // namespace psr::summary
