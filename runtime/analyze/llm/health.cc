#include "analyze/llm/health.h"

#include <utility>

namespace psr::analyze::llm {

std::optional<HealthChange> LlmHealth::to(bool fallback, std::string reason,
                                          std::string message) {
  const bool changed = fallback != fallback_;
  fallback_ = fallback;
  reason_ = std::move(reason);
  message_ = std::move(message);
  if (!changed)
    return std::nullopt;
  return HealthChange{fallback_, reason_, message_};
}

std::optional<HealthChange> LlmHealth::refused(const std::string &reason,
                                               const std::string &message) {
  ++refusals_;
  if (refusals_ < max_refusals_)
    return std::nullopt;
  return to(true, "refused",
            std::to_string(refusals_) +
                " answers refused in a row, the last "
                "one: " +
                reason + ": " + message);
}

std::optional<HealthChange> LlmHealth::on_result(const AnalyzerResult &r) {
  using O = AnalyzerResult::Outcome;
  switch (r.outcome) {
  case O::Failed:
    if (r.reason == "cancelled")
      return std::nullopt;
    refusals_ = 0;
    return to(true, r.reason, r.message);
  case O::Refused:
    return refused(r.reason, r.message);
  case O::NoChange:
    refusals_ = 0;
    return to(false, "", r.message);
  case O::Proposal:
    return std::nullopt; // the governor's verdict decides
  }
  return std::nullopt;
}

std::optional<HealthChange> LlmHealth::on_verdict(bool accepted,
                                                  const std::string &reason,
                                                  const std::string &message) {
  if (!accepted)
    return refused(reason, message);
  refusals_ = 0;
  return to(false, "", "a proposal was accepted");
}

} // namespace psr::analyze::llm
