// psd's detection tick (every analyzer.tick, 250 ms by default):
//
//   the newest reading (tracer + policy status) -> the window of the
//   last analyzer.window (1 s: the reading four ticks back to this one,
//   as docs/detector.md expects) -> per governed interface, the
//   analyzer with the policy's context (block sets and their live
//   entries, the rules in force) -> each proposal (and each line of
//   analyzer.proposals_file) to the governor, set inserts first (the
//   fast path must not wait behind a compile) -> the lifecycle's tick
//   (ttls, shadow periods, protected addresses).
//
// The 1 s summaries for the API are the collector's, apart from this. A
// failing analyzer, submission or tick is logged and counted; psd runs
// on and what is in force stays.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "analyze/detector/block_sets.h"
#include "analyzer.h"
#include "decision_stats.h"
#include "policy_control.h"
#include "proposal_feed.h"
#include "summary/builder.h"

namespace psd {

struct DetectionOptions {
  std::chrono::milliseconds window{1000};
  psr::summary::SummaryOptions summary;
  std::string proposals_file; // empty: none
};

// A new analyzer for one interface; empty: no analyzer (--analyzer none).
using AnalyzerFactory = std::function<std::unique_ptr<Analyzer>()>;

class Detection {
public:
  Detection(DetectionOptions options, std::vector<std::string> interfaces,
            PolicyControl &control, AnalyzerFactory factory,
            DecisionStats &stats, std::shared_ptr<spdlog::logger> log);

  // Whether tick() wants readings (an analyzer runs).
  bool analyzes() const { return bool(factory_); }

  // One tick. `reading`: the newest reading (null without an analyzer,
  // or when it could not be taken).
  void tick(std::shared_ptr<const psr::summary::Observation> reading);

  // The number of windows analyzed.
  uint64_t windows() const { return seq_; }

private:
  struct PerInterface {
    std::unique_ptr<Analyzer> analyzer;
    // Block sets of the operator policy (recomputed when it changes).
    std::shared_ptr<const psr::govern::OperatorPolicy> op;
    std::vector<psr::analyze::BlockSet> block_sets;
    // Live entries of each block set, with the entry count and the time
    // they were listed: listed again when the count changed or after 1 s.
    struct Listed {
      std::vector<std::string> entries;
      uint64_t count = 0;
      std::chrono::steady_clock::time_point at{};
    };
    std::map<std::string, Listed> listed;
  };

  std::vector<psr::analyze::Proposal>
  analyze(const std::string &iface, PerInterface &pi,
          const psr::summary::Summary &window,
          const psr::summary::Observation &reading);
  std::vector<std::string> blocked(const std::string &iface, PerInterface &pi,
                                   const psr::summary::PolicyView *view);
  void submit(const std::string &iface, const psr::analyze::Proposal &p);
  void lifecycle_tick(const std::string &iface);

  DetectionOptions options_;
  std::vector<std::string> interfaces_;
  PolicyControl &control_;
  AnalyzerFactory factory_;
  DecisionStats &stats_;
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::string, PerInterface> per_;
  std::optional<ProposalFeed> feed_;
  std::deque<std::shared_ptr<const psr::summary::Observation>> readings_;
  uint64_t seq_ = 0;
};

} // namespace psd
