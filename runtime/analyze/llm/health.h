// Whether the LLM analyzer is usable, from what its questions and the
// governor's verdicts on its proposals come to: psd falls back to the
// embedded detector alone while it is not, and returns to the LLM when it
// answers again.
//
//   ok -> fallback   an analysis Failed (budget spent, the server down or
//                    refusing after its retries, a broken answer), or
//                    `max_refusals` answers in a row were refused (by the
//                    answer's checks or by the governor);
//   fallback -> ok   an analysis gave a proposal the governor accepted, or
//                    "no change" (the model answers, and sensibly). While in
//                    fallback psd keeps asking on the LLM's cadence: a spent
//                    budget refuses at once without a request, so the
//                    first question after it refilled is the return.
//
// A cancelled question (psd stopping) changes nothing. Not thread-safe:
// psd's loop owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "analyze/llm/analyzer.h"

namespace psr::analyze::llm {

struct HealthChange {
  bool fallback = false; // the new state: true = fallback, false = ok
  std::string reason;    // a metric label: "budget", "timeout", "refused"
  std::string message;   // one line for the log, status and audit record
};

class LlmHealth {
public:
  explicit LlmHealth(unsigned max_refusals) : max_refusals_(max_refusals) {}

  // A finished analysis (its proposal, if any, is judged by the governor
  // next: governor_verdict()).
  std::optional<HealthChange> on_result(const AnalyzerResult &r);
  // The governor's verdict on a proposal of the LLM's; `reason` its code
  // when refused.
  std::optional<HealthChange> on_verdict(bool accepted,
                                         const std::string &reason,
                                         const std::string &message);

  bool fallback() const { return fallback_; }
  const std::string &reason() const { return reason_; }
  const std::string &message() const { return message_; }
  unsigned refusals_in_a_row() const { return refusals_; }

private:
  std::optional<HealthChange> to(bool fallback, std::string reason,
                                 std::string message);
  std::optional<HealthChange> refused(const std::string &reason,
                                      const std::string &message);

  unsigned max_refusals_;
  bool fallback_ = false;
  std::string reason_, message_;
  unsigned refusals_ = 0;
};

} // namespace psr::analyze::llm
