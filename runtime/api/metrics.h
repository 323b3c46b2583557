// GET /metrics: the Prometheus text format (version 0.0.4).
//
// Counters are the tracer's and the policies' totals (they go down only
// when what counts restarts, which Prometheus handles as a reset), with
// base units and `_total`; the stack time is a histogram in seconds.
// Labels are low-cardinality: protocol, verdict, layer, reason, rule,
// interface, hook, route, code; never an address or a port (per-source
// data is in the API).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "api/governance_metrics.h"
#include "api/llm_metrics.h"
#include "summary/builder.h"

namespace psr::api {

// psd's own resources, from /proc/self.
struct ProcessStats {
  double cpu_seconds = 0;
  uint64_t resident_bytes = 0;
  uint64_t max_resident_bytes = 0;
  double start_time_seconds = 0; // unix time
};
ProcessStats read_process_stats();

struct RequestCount {
  std::string route; // the matched pattern or "unmatched"
  int code = 0;
  uint64_t count = 0;
};

// What psd itself reports besides the traffic.
struct DaemonMetrics {
  std::string version;
  double window_seconds = 0;
  uint64_t windows = 0;
  uint64_t failed_readings = 0;
  uint64_t ring_summaries = 0;
  uint64_t ring_bytes = 0;
  uint64_t paths_kept = 0;
  uint64_t paths_total = 0;
  uint64_t event_clients = 0;
  uint64_t events_published = 0;
  uint64_t events_lost = 0;
  std::vector<RequestCount> requests;
  // Per interface: policy loads that failed (the policy in force stayed).
  std::vector<std::pair<std::string, uint64_t>> policy_failures;
  // The object cache policies are built with (compiler/backend/
  // object_cache.h), when there is one.
  bool object_cache = false;
  uint64_t object_cache_hits = 0, object_cache_misses = 0,
           object_cache_rejected = 0, object_cache_store_failures = 0;
  ProcessStats process;
  GovernanceMetrics governance;
  LlmMetrics llm;
};

struct MetricsOptions {
  // Rules per interface with their own series; the rest are counted in
  // packetscope_rules_omitted (a 100k-rule policy would be 100k series).
  size_t max_rules = 1000;
};

// `latest` may be null (before the first reading): only psd's own
// metrics then.
std::string render_metrics(const summary::Observation *latest,
                           const DaemonMetrics &daemon,
                           const MetricsOptions &options = {});

} // namespace psr::api
