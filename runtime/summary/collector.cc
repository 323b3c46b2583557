#include "summary/collector.h"

#include <utility>

namespace psr::summary {

namespace be = psl::backend;

Collector::Collector(TraceSource &trace, PolicyStatusSource &policy,
                     SummaryRing &ring, PathLog &paths, SummaryOptions options)
    : trace_(trace), policy_(policy), ring_(ring), paths_(paths),
      options_(options) {}

be::Expected<std::optional<RingEntry>> Collector::tick() {
  be::Expected<trace::Snapshot> snap = trace_.snapshot();
  paths_.add(trace_.take_paths());
  if (!snap.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++failed_;
    return snap.error();
  }
  auto cur = std::make_shared<Observation>();
  cur->snapshot = std::move(snap.value());

  std::shared_ptr<const Observation> prev = latest();
  be::Expected<std::vector<PolicyView>> policies = policy_.policies();
  if (policies.ok()) {
    cur->policies = std::move(policies.value());
  } else {
    if (prev)
      cur->policies = prev->policies;
    cur->notes.push_back("the policy status could not be read (" +
                         policies.error().message +
                         "): rules show the last status read");
  }

  std::optional<RingEntry> entry;
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = windows_ + 1;
  }
  if (prev)
    entry = ring_.push(build_summary(*prev, *cur, seq, options_));
  std::lock_guard<std::mutex> lock(mu_);
  if (entry)
    windows_ = seq;
  before_last_ = std::move(last_);
  last_ = std::move(cur);
  return entry;
}

std::shared_ptr<const Observation> Collector::latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

std::shared_ptr<const Observation> Collector::previous() const {
  std::lock_guard<std::mutex> lock(mu_);
  return before_last_;
}

uint64_t Collector::windows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return windows_;
}

uint64_t Collector::failed_readings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

} // namespace psr::summary
