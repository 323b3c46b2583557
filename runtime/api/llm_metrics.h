// The LLM analyzer's metrics and status, as psd keeps them (plain values)
// and as /metrics renders them:
//
//   packetscope_llm_request_seconds         histogram: each answered
//                                           request (a round), 50 ms-300 s
//   packetscope_llm_tokens_total{direction} counter: in, out
//   packetscope_llm_errors_total{kind}      counter: failed HTTP attempts
//                                           (connect, timeout, dropped, tls,
//                                           too_large, rate_limited,
//                                           server_error, http_status, ...)
//                                           and questions the budget refused
//                                           (budget)
//   packetscope_llm_analyses_total{outcome,reason}
//                                           counter: proposal, no_change,
//                                           refused, failed
//   packetscope_llm_proposals_total{verdict,reason}
//                                           counter: answers accepted (by the
//                                           checks and the governor) or
//                                           refused, by the check's label or
//                                           the governor's reason code
//   packetscope_llm_fallbacks_total         counter: times psd fell back to
//                                           the embedded detector alone
//   packetscope_llm_fallback{interface}     gauge: 1 while in fallback
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api/governance_metrics.h"
#include "api/prometheus_text.h"

namespace psr::api {

struct LlmMetrics {
  bool enabled = false; // an LLM analyzer runs (false: none rendered)
  DurationHistogram request;
  uint64_t tokens_in = 0, tokens_out = 0;
  std::map<std::string, uint64_t> errors;
  std::map<std::pair<std::string, std::string>, uint64_t> analyses;
  std::map<std::pair<std::string, std::string>, uint64_t> proposals;
  uint64_t fallbacks = 0;
  std::map<std::string, bool> fallback; // by interface
  LlmMetrics();
};

void render_llm(PrometheusText &w, const LlmMetrics &m);

// /api/v1/status's "analyzer" member.
struct AnalyzerStatus {
  std::string name;           // "embedded", "openai", "ollama", "none"
  bool embedded = false;      // the embedded detector runs at every tick
  std::string model, url;     // an LLM's
  std::string state = "ok";   // "ok" or "fallback" (any interface)
  std::string reason;         // fallback: a metric label; ok: ""
  std::string message;        // fallback: why, in a sentence
  uint64_t since_unix_ms = 0; // when the state began (psd's start: ok)
  // Per interface: the same, and the last answer (outcome, when).
  struct Interface {
    std::string name, state = "ok", reason, message;
    uint64_t since_unix_ms = 0;
    std::string last_outcome; // "proposal", "no_change", "refused", ...
    uint64_t last_unix_ms = 0;
    bool asking = false; // a question is in flight
  };
  std::vector<Interface> interfaces;
};

} // namespace psr::api
