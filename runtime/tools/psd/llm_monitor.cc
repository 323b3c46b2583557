#include "llm_monitor.h"

#include <algorithm>
#include <utility>

namespace psd {

namespace llm = psr::analyze::llm;

namespace {

// A failed HTTP attempt's kind, as the metric labels it.
std::string error_kind(const llm::Attempt &a) {
  if (a.transport != llm::Transport::Ok)
    return llm::transport_name(a.transport);
  if (a.status == 429)
    return "rate_limited";
  if (a.status >= 500)
    return "server_error";
  return "http_status";
}

} // namespace

LlmMonitor::LlmMonitor(std::string analyzer, bool embedded, std::string model,
                       std::string url, uint64_t now_unix_ms) {
  status_.name = std::move(analyzer);
  status_.embedded = embedded;
  status_.model = std::move(model);
  status_.url = std::move(url);
  status_.since_unix_ms = now_unix_ms;
  metrics_.enabled = true;
}

void LlmMonitor::asking(const std::string &iface, bool asking) {
  std::lock_guard<std::mutex> lock(mu_);
  auto &i = ifaces_[iface];
  i.name = iface;
  if (i.since_unix_ms == 0)
    i.since_unix_ms = status_.since_unix_ms;
  i.asking = asking;
}

void LlmMonitor::result(const std::string &iface, const llm::AnalyzerResult &r,
                        uint64_t now_unix_ms) {
  using O = llm::AnalyzerResult::Outcome;
  std::lock_guard<std::mutex> lock(mu_);
  auto &i = ifaces_[iface];
  i.name = iface;
  i.last_outcome = llm::outcome_name(r.outcome);
  i.last_unix_ms = now_unix_ms;
  for (const psr::analyze::LlmRound &round : r.record.rounds) {
    metrics_.request.observe(round.latency_s);
    metrics_.tokens_in += round.tokens_in;
    metrics_.tokens_out += round.tokens_out;
  }
  for (const llm::Attempt &a : r.attempts)
    if (a.transport != llm::Transport::Ok || a.status != 200)
      ++metrics_.errors[error_kind(a)];
  if (r.outcome == O::Failed &&
      (r.reason == "budget" || r.reason == "bad_response" ||
       r.reason == "operator_policy"))
    ++metrics_.errors[r.reason];
  if (r.outcome == O::Failed && r.reason == "cancelled")
    return; // psd stopping: not an outcome
  const std::string reason =
      r.outcome == O::Proposal || r.outcome == O::NoChange ? "none" : r.reason;
  ++metrics_.analyses[{llm::outcome_name(r.outcome), reason}];
  if (r.outcome == O::Refused)
    ++metrics_.proposals[{"refused", r.reason}];
}

void LlmMonitor::verdict(bool accepted, const std::string &reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++metrics_.proposals[{accepted ? "accepted" : "refused",
                        accepted ? "none" : reason}];
}

void LlmMonitor::state(const std::string &iface, bool fallback,
                       const std::string &reason, const std::string &message,
                       uint64_t now_unix_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto &i = ifaces_[iface];
  i.name = iface;
  i.state = fallback ? "fallback" : "ok";
  i.reason = fallback ? reason : "";
  i.message = message;
  i.since_unix_ms = now_unix_ms;
  if (fallback)
    ++metrics_.fallbacks;
}

void LlmMonitor::fill(psr::api::LlmMetrics &m) const {
  std::lock_guard<std::mutex> lock(mu_);
  m = metrics_;
  for (const auto &[name, i] : ifaces_)
    m.fallback[name] = i.state == "fallback";
}

void LlmMonitor::fill(psr::api::AnalyzerStatus &s) const {
  std::lock_guard<std::mutex> lock(mu_);
  s = status_;
  // The daemon's state: fallback while any interface is, since the
  // earliest of those; else ok since the latest return.
  for (const auto &[name, i] : ifaces_) {
    s.interfaces.push_back(i);
    if (i.state == "fallback" &&
        (s.state != "fallback" || i.since_unix_ms < s.since_unix_ms)) {
      s.state = "fallback";
      s.reason = i.reason;
      s.message = i.message;
      s.since_unix_ms = i.since_unix_ms;
    }
  }
  if (s.state == "ok")
    for (const auto &[name, i] : ifaces_)
      s.since_unix_ms = std::max(s.since_unix_ms, i.since_unix_ms);
}

} // namespace psd
