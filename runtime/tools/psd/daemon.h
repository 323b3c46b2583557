// psd's life: put the operator policies in force (or adopt them), then
// the loop, then the stop, which keeps protection in force unless
// --detach-on-exit. The loop:
//
//   every analyzer.tick    the detection tick (detection.h): a reading,
//                          the analyzer, the governor, the lifecycles'
//                          ticks
//   every summary.window   a summary for the API and the event stream
//                          (from the detection's reading when they meet)
//   every second           dynamic set sweeps (and rule expiry where no
//                          lifecycle governs)
//   SIGHUP, a change in    the policy directory read again
//   the policy directory
//   meanwhile              the API on its own threads: the read routes,
//                          /api/v1/decisions, and the token-guarded
//                          changes (policy_changes.h)
//
// Every decision the lifecycles write to the audit log also goes on the
// event stream (type "decision", the record as the log has it) and into
// the metrics.
//
// Everything that touches the kernel comes in through PolicyControl and
// the summary sources, and the signals through WaitFn, so tests run the
// whole daemon on fakes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "api/event_hub.h"
#include "api/routes.h"
#include "backend/status.h"
#include "decision_stats.h"
#include "detection.h"
#include "govern/audit_log.h"
#include "llm_monitor.h"
#include "options.h"
#include "policy_changes.h"
#include "policy_control.h"
#include "summary/sources.h"

namespace psd {

namespace summary = psr::summary;

// What woke the loop: its time came, SIGHUP, or SIGTERM/SIGINT.
enum class Wake { Timeout, Reload, Stop };
// Waits at most the given time for a signal.
using WaitFn = std::function<Wake(std::chrono::milliseconds)>;

class Daemon {
public:
  // `audit`: the audit log the lifecycles write (its listener becomes the
  // daemon's). `analyzer`: one analyzer per interface (empty: none).
  Daemon(PsdOptions options, PolicyControl &control,
         psr::govern::AuditLog &audit, AnalyzerFactory analyzer,
         std::shared_ptr<spdlog::logger> log);
  ~Daemon();

  // Every interface's operator policy is checked, then adopted (what is
  // in force is that policy with the generated rules psd keeps) or put
  // in force (state carried from what was). Fails if an interface is
  // left with no policy in force at all; an interface whose new policy
  // failed but whose old one is in force keeps it (the error is logged
  // and in the status).
  psl::backend::Status start_policies();

  // SIGHUP: the same for the policies that changed; a failure leaves
  // what is in force and psd runs on.
  void reload_policies();

  // Binds the API, then runs the loop until `wait` says Stop. `token`:
  // the bearer token (required beyond loopback; checked by the caller).
  psl::backend::Status serve(summary::TraceSource &trace,
                             summary::PolicyStatusSource &policy_status,
                             const std::optional<std::string> &token,
                             const WaitFn &wait);

  // After serve(): the policies stay in force, or with detach_on_exit are
  // taken down.
  void shutdown();

  // The LLM analyzer's monitor (--analyzer openai or ollama), for the
  // status and metrics. Before serve().
  void set_llm_monitor(std::shared_ptr<const LlmMonitor> monitor) {
    llm_ = std::move(monitor);
  }

  psr::api::DaemonStatus status() const;
  // The API's port once serve() has bound it (0 before): for tests that
  // listen on port 0. Thread-safe.
  uint16_t api_port() const;

private:
  void on_record(const nlohmann::json &record, bool written);
  // The generated rules in force, read by the loop for the API threads.
  void refresh_generated();
  std::map<std::string, std::string>
  rule_proposals(const std::string &iface) const;
  void fill_governance(psr::api::GovernanceMetrics &m) const;

  PsdOptions options_;
  PolicyControl &control_;
  psr::govern::AuditLog &audit_;
  AnalyzerFactory analyzer_;
  std::shared_ptr<const LlmMonitor> llm_;
  std::shared_ptr<spdlog::logger> log_;
  uint64_t started_unix_ms_ = 0;
  DecisionStats stats_;
  PolicyChanges changes_;

  mutable std::mutex mu_;
  std::shared_ptr<psr::api::EventHub> hub_; // while serving
  std::map<std::string, std::vector<psr::govern::GeneratedRule>> generated_;
  uint16_t port_ = 0;
};

} // namespace psd
