#include "shared_readings.h"

namespace psd {

namespace be = psl::backend;
namespace summary = psr::summary;

SharedReadings::SharedReadings(summary::TraceSource &trace,
                               summary::PolicyStatusSource &policies,
                               std::chrono::milliseconds max_age)
    : trace_(trace), policies_(policies), max_age_(max_age) {}

std::shared_ptr<const summary::Observation> SharedReadings::fresh() {
  be::Expected<psr::trace::Snapshot> snap = trace_.snapshot();
  if (!snap.ok())
    return nullptr;
  auto o = std::make_shared<summary::Observation>();
  o->snapshot = std::move(snap.value());
  be::Expected<std::vector<summary::PolicyView>> p = policies_.policies();
  if (p.ok()) {
    o->policies = std::move(p.value());
  } else {
    if (kept_)
      o->policies = kept_->policies;
    o->notes.push_back("the policy status could not be read (" +
                       p.error().message +
                       "): rules show the last status read");
  }
  kept_ = o;
  kept_at_ = Clock::now();
  kept_taken_ = false;
  return o;
}

be::Expected<psr::trace::Snapshot> SharedReadings::snapshot() {
  if (kept_ && !kept_taken_ && Clock::now() - kept_at_ <= max_age_ &&
      kept_->notes.empty()) {
    kept_taken_ = true;
    serve_kept_policies_ = true;
    ++shared_;
    return kept_->snapshot;
  }
  serve_kept_policies_ = false;
  return trace_.snapshot();
}

std::vector<psr::trace::PacketPath> SharedReadings::take_paths() {
  return trace_.take_paths();
}

be::Expected<std::vector<summary::PolicyView>> SharedReadings::policies() {
  if (serve_kept_policies_) {
    serve_kept_policies_ = false;
    return kept_->policies;
  }
  return policies_.policies();
}

} // namespace psd
