// psd's LLM analyzer (--analyzer openai | ollama): the seam's analyze()
// runs at every detection tick and returns at once; the model is asked on
// a thread of its own (analyze/llm/background.h).
//
// At each tick, per interface:
//   1. the tick's window is kept when it starts where the last kept one
//      ended (windows of analyzer.window, end to end), for llm.window;
//   2. a finished question is taken: its outcome counted (llm_monitor.h),
//      logged, a refused or failed answer written to the audit log, its
//      proposal returned (the governor judges it like any other: shadow,
//      then enforced on evidence), the state ok/fallback updated
//      (analyze/llm/health.h) -- a change is logged, written to the audit
//      log (event "analyzer") and shown in status and metrics;
//   3. the embedded detector runs on the tick's window, unless
//      embedded_with_llm is false and the LLM is not in fallback;
//   4. a new question starts when llm.interval has passed since the last
//      one started and it is done: the kept windows, the operator policy,
//      the generated rules in force with their hits.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "analyze/detector/options.h"
#include "analyze/llm/api_key.h"
#include "analyze/llm/budget.h"
#include "analyze/llm/config.h"
#include "analyzer.h"
#include "llm_monitor.h"

namespace psd {

struct LlmAnalyzerOptions {
  psr::analyze::llm::LlmConfig config; // validated
  std::chrono::milliseconds interval{30000};
  std::chrono::milliseconds window{300000};
  unsigned max_refusals = 3;
  bool embedded_with_llm = true;
  psr::analyze::DetectorOptions detector;
};

// What every interface's LLM analyzer shares: the key, the budget, the
// monitor, the audit log's append and the log. Outlives the analyzers.
struct LlmShared {
  LlmShared(psr::analyze::llm::ApiKey k, psr::analyze::llm::BudgetLimits l,
            std::shared_ptr<LlmMonitor> m,
            std::function<void(nlohmann::json)> audit,
            std::shared_ptr<spdlog::logger> logger)
      : key(std::move(k)), budget(l), monitor(std::move(m)),
        record(std::move(audit)), log(std::move(logger)) {}
  psr::analyze::llm::ApiKey key;
  psr::analyze::llm::Budget budget;
  std::shared_ptr<LlmMonitor> monitor;
  std::function<void(nlohmann::json)> record;
  std::shared_ptr<spdlog::logger> log;
  // Milliseconds since the epoch (tests fix it); empty: the clock.
  std::function<int64_t()> unix_ms;
};

std::unique_ptr<Analyzer> make_llm_analyzer(const LlmAnalyzerOptions &options,
                                            LlmShared &shared);

} // namespace psd
