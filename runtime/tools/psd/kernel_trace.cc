#include "kernel_trace.h"

#include <time.h>

#include <set>
#include <utility>

namespace psd {

namespace be = psl::backend;

namespace {

// A path is finished once nothing of it was seen for this long
// (runtime/trace/paths.h: the rings are read one after the other).
constexpr uint64_t kPathIdleNs = 200'000'000;

uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

} // namespace

be::Expected<std::unique_ptr<KernelTrace>>
KernelTrace::create(const PsdOptions &options,
                    std::vector<std::string> maps_dirs) {
  std::unique_ptr<KernelTrace> k(new KernelTrace());
  k->sampling_.every = options.sample_every;
  k->sampling_.max_events_per_sec = options.sample_max_per_sec;
  trace::TracerOptions to;
  to.sampling = k->sampling_;
  to.disable.insert(options.trace_disable.begin(), options.trace_disable.end());
  to.timed_per_tick = options.trace_timed_per_tick;
  auto tracer = trace::Tracer::create(to);
  if (!tracer.ok())
    return tracer.error();
  k->tracer_ = std::move(tracer.value());
  k->maps_dirs_ = std::move(maps_dirs);
  k->xdp_.resize(k->maps_dirs_.size());
  k->paths_ = std::make_unique<trace::PathCollector>(
      options.paths_kept, k->tracer_->drop_reasons());
  k->watermark_ns_ = monotonic_ns();
  k->open_observations();
  return k;
}

void KernelTrace::open_observations() {
  for (size_t i = 0; i < maps_dirs_.size(); ++i) {
    if (xdp_[i])
      continue;
    auto obs = trace::XdpObservation::open_pinned(maps_dirs_[i]);
    if (!obs.ok())
      continue; // no policy with the observation there (yet)
    auto p = std::make_unique<trace::XdpObservation>(std::move(obs.value()));
    (void)p->set_sampling(sampling_);
    xdp_[i] = std::move(p);
    poller_stale_ = true;
  }
}

be::Expected<trace::Snapshot> KernelTrace::snapshot() {
  open_observations();
  const trace::XdpObservation *first = nullptr;
  for (const auto &x : xdp_)
    if (x && first == nullptr)
      first = x.get();
  auto snap = tracer_->read(first);
  if (!snap.ok())
    return snap;
  for (const auto &x : xdp_) {
    if (!x || x.get() == first)
      continue;
    be::Status st = x->read(*snap);
    if (!st.ok())
      return st.error();
  }
  for (size_t i = 0; i < xdp_.size(); ++i)
    if (!xdp_[i])
      snap->hooks.push_back(
          {"xdp", "", "no observation maps under '" + maps_dirs_[i] + "'", ""});
  return snap;
}

std::vector<trace::PacketPath> KernelTrace::take_paths() {
  if (sampling_.every == 0)
    return {};
  if (poller_stale_) {
    std::vector<int> fds{tracer_->events_fd()};
    for (const auto &x : xdp_)
      if (x)
        fds.push_back(x->events_fd());
    poller_.reset();
    auto p = trace::PathPoller::create(*paths_, fds);
    if (p.ok())
      poller_ = std::move(p.value());
    poller_stale_ = false;
  }
  if (program_ && load_names_) {
    uint32_t id = program_();
    if (id != 0 && id != named_program_) {
      auto namer = load_names_();
      if (namer.ok())
        paths_->set_rule_namer(std::move(namer.value()));
      named_program_ = id;
    }
  }
  if (poller_)
    (void)poller_->poll(0);
  uint64_t now = monotonic_ns();
  paths_->expire(now, kPathIdleNs);
  // A path finished by this expire has its last step after the previous
  // call's now - idle; every earlier one was handed over already.
  // A path finished early (its packet identity came again) may be newer
  // than the next watermark too: `handed_` keeps those already handed.
  std::vector<trace::PacketPath> out;
  std::set<std::pair<uint64_t, uint64_t>> handed;
  uint64_t next_watermark = now > kPathIdleNs ? now - kPathIdleNs : 0;
  for (trace::PacketPath &p : paths_->paths()) {
    if (p.steps.empty() || p.steps.back().ts_ns <= watermark_ns_)
      continue;
    std::pair<uint64_t, uint64_t> key{p.id, p.steps.front().ts_ns};
    if (handed_.count(key))
      continue;
    if (p.steps.back().ts_ns > next_watermark)
      handed.insert(key);
    out.push_back(std::move(p));
  }
  handed_ = std::move(handed);
  watermark_ns_ = next_watermark;
  return out;
}

void KernelTrace::set_rule_names(
    std::function<uint32_t()> program,
    std::function<be::Expected<trace::RuleNamer>()> load) {
  program_ = std::move(program);
  load_names_ = std::move(load);
  named_program_ = 0;
}

} // namespace psd
