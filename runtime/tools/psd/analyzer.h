// The analyzer seam: what psd calls at every detection tick, per
// interface, with the window of the last `analyzer.window` and the
// context of the policy in force; it answers with proposals, which psd
// hands to the governor (nothing an analyzer returns is in force until
// the governor accepted it).
//
// The embedded detector (runtime/analyze/detector) is one analyzer; an
// LLM analyzer is another (it works on its own thread and hands over at
// a tick what is ready: analyze() runs on psd's loop and must return
// quickly).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analyze/detector/context.h"
#include "analyze/detector/options.h"
#include "analyze/proposal.h"
#include "govern/generated_rule.h"
#include "govern/operator_policy.h"
#include "summary/summary.h"

namespace psd {

struct AnalyzerInput {
  std::string iface;
  // Rates over the last analyzer.window, ending now. Its seq numbers are
  // the detection windows' own (not /api/v1/summaries').
  const psr::summary::Summary *window = nullptr;
  // The block sets of the operator policy, their live entries, every
  // rule in force (the operator's and the generated), the clocks.
  psr::analyze::DetectorContext context;
  // The operator policy in force (checked) and the generated rules.
  std::shared_ptr<const psr::govern::OperatorPolicy> op;
  std::vector<psr::govern::GeneratedRule> generated;
};

class Analyzer {
public:
  virtual ~Analyzer() = default;
  virtual const char *name() const = 0;
  // May throw: psd logs and counts it, and runs on.
  virtual std::vector<psr::analyze::Proposal>
  analyze(const AnalyzerInput &input) = 0;
  // What the governor made of one of the proposals analyze() returned:
  // accepted and applied, or not (`reason`: the governor's reason code,
  // or "not_applied" when the kernel change failed). On psd's loop.
  virtual void verdict(const psr::analyze::Proposal & /*proposal*/,
                       bool /*accepted*/, const std::string & /*reason*/,
                       const std::string & /*message*/) {}
};

// The embedded detector, one instance per interface.
std::unique_ptr<Analyzer>
make_embedded_analyzer(const psr::analyze::DetectorOptions &options);

} // namespace psd
