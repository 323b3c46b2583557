// One reading of the tracer and the policy status serves both psd's
// detection tick and, when it falls in the same turn of the loop, the
// collector's window: the 1 s windows cost no reading of their own on
// top of the four detection readings a second.
//
// The collector reads through this (it is its TraceSource and
// PolicyStatusSource): it gets the detection's last reading once, if that
// is younger than `max_age`, else a reading of its own.
#pragma once

#include <chrono>
#include <memory>

#include "summary/builder.h"
#include "summary/sources.h"

namespace psd {

class SharedReadings : public psr::summary::TraceSource,
                       public psr::summary::PolicyStatusSource {
public:
  SharedReadings(psr::summary::TraceSource &trace,
                 psr::summary::PolicyStatusSource &policies,
                 std::chrono::milliseconds max_age);

  // A new reading (null when the tracer cannot be read; a policy status
  // that cannot be read leaves the last one, with a note).
  std::shared_ptr<const psr::summary::Observation> fresh();

  psl::backend::Expected<psr::trace::Snapshot> snapshot() override;
  std::vector<psr::trace::PacketPath> take_paths() override;
  psl::backend::Expected<std::vector<psr::summary::PolicyView>>
  policies() override;

  uint64_t shared() const { return shared_; } // readings the collector reused

private:
  using Clock = std::chrono::steady_clock;
  psr::summary::TraceSource &trace_;
  psr::summary::PolicyStatusSource &policies_;
  std::chrono::milliseconds max_age_;
  std::shared_ptr<const psr::summary::Observation> kept_;
  Clock::time_point kept_at_{};
  bool kept_taken_ = true;
  bool serve_kept_policies_ = false;
  uint64_t shared_ = 0;
};

} // namespace psd
