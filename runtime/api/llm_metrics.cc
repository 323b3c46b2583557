#include "api/llm_metrics.h"

namespace psr::api {

LlmMetrics::LlmMetrics()
    : request({0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300}) {}

void render_llm(PrometheusText &w, const LlmMetrics &m) {
  if (!m.enabled)
    return;
  render_histogram(w, "packetscope_llm_request_seconds",
                   "An answered request to the model server (one round of "
                   "an analysis), from sending to the last byte.",
                   m.request);
  w.family("packetscope_llm_tokens_total", "counter",
           "Tokens of the model's questions (in) and answers (out), as the "
           "server reported them (estimated when it did not).");
  w.sample("packetscope_llm_tokens_total", {{"direction", "in"}}, m.tokens_in);
  w.sample("packetscope_llm_tokens_total", {{"direction", "out"}},
           m.tokens_out);
  w.family("packetscope_llm_errors_total", "counter",
           "Requests to the model server that got no answer, by kind "
           "(retries included), and questions the budget refused.");
  for (const auto &[kind, n] : m.errors)
    w.sample("packetscope_llm_errors_total", {{"kind", kind}}, n);
  w.family("packetscope_llm_analyses_total", "counter",
           "Questions to the LLM analyzer by outcome (proposal, no_change, "
           "refused, failed) and reason.");
  for (const auto &[k, n] : m.analyses)
    w.sample("packetscope_llm_analyses_total",
             {{"outcome", k.first}, {"reason", k.second}}, n);
  w.family("packetscope_llm_proposals_total", "counter",
           "The LLM's answers accepted (checks and governor) or refused, by "
           "the check's label or the governor's reason code.");
  for (const auto &[k, n] : m.proposals)
    w.sample("packetscope_llm_proposals_total",
             {{"verdict", k.first}, {"reason", k.second}}, n);
  w.family("packetscope_llm_fallbacks_total", "counter",
           "Times psd fell back to the embedded detector alone because the "
           "LLM failed.");
  w.sample("packetscope_llm_fallbacks_total", {}, m.fallbacks);
  w.family("packetscope_llm_fallback", "gauge",
           "1 while psd runs the embedded detector alone on an interface "
           "because the LLM fails, else 0.");
  for (const auto &[iface, on] : m.fallback)
    w.sample("packetscope_llm_fallback", {{"interface", iface}}, on ? 1 : 0);
}

} // namespace psr::api
