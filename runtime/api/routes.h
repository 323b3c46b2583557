// The read-only routes of /api/v1 and /metrics over what psd keeps: the
// summary ring, the packet path log, the latest readings, the event hub
// and psd's own status. The decisions and the token-guarded routes that
// change what is in force are govern_routes.h's, on the same router.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/event_hub.h"
#include "api/llm_metrics.h"
#include "api/metrics.h"
#include "api/router.h"
#include "summary/builder.h"
#include "summary/path_log.h"
#include "summary/ring.h"

namespace psr::api {

// One interface as psd manages it, for /api/v1/status.
struct InterfaceStatus {
  std::string name;
  std::string policy_file; // the file of the operator policy in force
  std::string policy_from; // "policy-dir", "default" or "adopted"
  bool protected_ = false; // a policy is in force
  bool governed = false;   // psd's lifecycle keeps it (proposals, ttls)
  std::string last_error;  // the last failed load (the old one stayed)
  uint64_t last_change_unix_ms = 0;
  std::string policy_text; // the operator policy's text (GET /api/v1/policy)
};

struct DaemonStatus {
  std::string version;
  uint64_t started_unix_ms = 0;
  double window_seconds = 0;
  std::string listen;
  bool token_configured = false;
  bool detach_on_exit = false;
  AnalyzerStatus analyzer;
  std::string audit_log; // its path
  std::vector<InterfaceStatus> interfaces;
};

// Where the routes read from. Every member must be set; the callbacks are
// called from API threads and must be thread-safe.
struct ApiBackend {
  const summary::SummaryRing *ring = nullptr;
  const summary::PathLog *paths = nullptr;
  std::shared_ptr<EventHub> events;
  // The last two good readings (either may be null early on).
  std::function<std::shared_ptr<const summary::Observation>()> latest;
  std::function<std::shared_ptr<const summary::Observation>()> previous;
  std::function<DaemonStatus()> status;
  std::function<DaemonMetrics()> metrics;
  // Optional: the generated rules in force on an interface, by name, with
  // the id of the proposal each came from (for /api/v1/rules).
  std::function<std::map<std::string, std::string>(const std::string &iface)>
      rule_proposals;
  MetricsOptions metrics_options;
  // The hard caps of list queries.
  size_t max_summaries = 3600;
  size_t max_paths = 1000;
};

// Adds GET /metrics, /api/v1/status, /api/v1/summary, /api/v1/summaries,
// /api/v1/rules, /api/v1/policy, /api/v1/trace and /api/v1/events
// (docs/psd.md).
void add_read_routes(Router &router, const ApiBackend &backend);

} // namespace psr::api
