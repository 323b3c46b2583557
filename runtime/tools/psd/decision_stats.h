// Counters of what psd decided, for /metrics: fed by every audit record
// (proposals by verdict and reason, records by event, set inserts) and by
// psd's own calls (swaps by cause, the detection tick's and the
// submissions' times, failures). Thread-safe: the loop and the API's
// threads write, /metrics reads.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "api/governance_metrics.h"

namespace psd {

class DecisionStats {
public:
  // An audit record, as the audit log's listener gets it.
  void on_record(const nlohmann::json &record, bool written);
  void swap(const std::string &iface, const char *cause);
  void tick_time(double seconds);
  void submit_time(double seconds);
  void analyzer_failed();
  void governor_failed();

  // Everything but the generated rules in force (psd reads those).
  void fill(psr::api::GovernanceMetrics &m) const;

private:
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t>
      proposals_;
  std::map<std::string, uint64_t> records_;
  std::map<std::pair<std::string, std::string>, uint64_t> inserts_;
  std::map<std::pair<std::string, std::string>, uint64_t> swaps_;
  psr::api::DurationHistogram tick_, submit_;
  uint64_t analyzer_failures_ = 0, governor_failures_ = 0, audit_failures_ = 0;
};

} // namespace psd
