// The summary's TraceSource over the tracing runtime (runtime/trace): the
// stack tracepoints of psd's network namespace and the XDP observation of
// each interface's policy program, read into one snapshot, and the
// sampled packet paths from their ring buffers.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backend/status.h"
#include "options.h"
#include "summary/sources.h"
#include "trace/observation.h"
#include "trace/paths.h"
#include "trace/tracer.h"

namespace psd {

namespace summary = psr::summary;
namespace trace = psr::trace;

class KernelTrace : public summary::TraceSource {
public:
  // `maps_dirs`: the pinned maps directory of each interface's policy
  // program (loaded with the observation on). An interface whose maps
  // cannot be opened yet is tried again at each snapshot.
  static psl::backend::Expected<std::unique_ptr<KernelTrace>>
  create(const PsdOptions &options, std::vector<std::string> maps_dirs);

  psl::backend::Expected<trace::Snapshot> snapshot() override;
  std::vector<trace::PacketPath> take_paths() override;

  // Rules in paths are named by counter id from the sidecar of the policy
  // in force: `program` says which program is in force (0: none), `load`
  // reads its names; they are read again whenever the program changes
  // (a reload, a rule that expired).
  void set_rule_names(
      std::function<uint32_t()> program,
      std::function<psl::backend::Expected<trace::RuleNamer>()> load);
  const std::vector<trace::HookStatus> &hooks() const {
    return tracer_->hooks();
  }

private:
  KernelTrace() = default;
  void open_observations();

  trace::Sampling sampling_;
  std::unique_ptr<trace::Tracer> tracer_;
  std::vector<std::string> maps_dirs_;
  std::vector<std::unique_ptr<trace::XdpObservation>> xdp_; // null: not yet
  std::unique_ptr<trace::PathCollector> paths_;
  std::unique_ptr<trace::PathPoller> poller_;
  bool poller_stale_ = true; // the set of rings changed
  uint64_t watermark_ns_ = 0;
  std::set<std::pair<uint64_t, uint64_t>> handed_; // (id, first step)
  std::function<uint32_t()> program_;
  std::function<psl::backend::Expected<trace::RuleNamer>()> load_names_;
  uint32_t named_program_ = 0;
};

} // namespace psd
