// What psd knows of its LLM analyzer, for /metrics and /api/v1/status:
// written by the analyzers on psd's loop (one per interface), read by the
// API's threads. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "analyze/llm/analyzer.h"
#include "api/llm_metrics.h"

namespace psd {

class LlmMonitor {
public:
  // `analyzer`: "openai" or "ollama"; `embedded`: the detector runs at
  // every tick beside it; `now_unix_ms`: psd's start (state ok since).
  LlmMonitor(std::string analyzer, bool embedded, std::string model,
             std::string url, uint64_t now_unix_ms);

  // A question started / ended on `iface`.
  void asking(const std::string &iface, bool asking);
  // A finished analysis: its requests' latency and tokens, its errors by
  // kind, its outcome, and an answer the checks refused.
  void result(const std::string &iface,
              const psr::analyze::llm::AnalyzerResult &r, uint64_t now_unix_ms);
  // The governor's verdict on an LLM proposal.
  void verdict(bool accepted, const std::string &reason);
  // The state of `iface` changed (health.h).
  void state(const std::string &iface, bool fallback, const std::string &reason,
             const std::string &message, uint64_t now_unix_ms);

  void fill(psr::api::LlmMetrics &m) const;
  void fill(psr::api::AnalyzerStatus &s) const;

private:
  mutable std::mutex mu_;
  psr::api::AnalyzerStatus status_;
  std::map<std::string, psr::api::AnalyzerStatus::Interface> ifaces_;
  psr::api::LlmMetrics metrics_;
};

} // namespace psd
