#include "detection.h"

#include <time.h>

#include <algorithm>
#include <exception>

namespace psd {

namespace be = psl::backend;
namespace analyze = psr::analyze;
namespace summary = psr::summary;
using Clock = std::chrono::steady_clock;

namespace {

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// "a set insert of 192.0.2.2 into 'blocked'", "rules detector_syn_flood_80_1"
std::string what_of(const analyze::Proposal &p) {
  if (p.kind == analyze::Proposal::Kind::SetInsert) {
    std::string v;
    for (size_t i = 0; i < p.insert.values.size() && i < 3; ++i)
      v += (i ? ", " : "") + p.insert.values[i];
    if (p.insert.values.size() > 3)
      v += " and " + std::to_string(p.insert.values.size() - 3) + " more";
    return "a set insert of " + v + " into '" + p.insert.set + "'";
  }
  std::string r;
  for (const analyze::ProposedRule &x : p.rules)
    r += (r.empty() ? "" : ", ") + x.name;
  return "rule" + std::string(p.rules.size() == 1 ? " " : "s ") + r;
}

} // namespace

Detection::Detection(DetectionOptions options,
                     std::vector<std::string> interfaces,
                     PolicyControl &control, AnalyzerFactory factory,
                     DecisionStats &stats, std::shared_ptr<spdlog::logger> log)
    : options_(std::move(options)), interfaces_(std::move(interfaces)),
      control_(control), factory_(std::move(factory)), stats_(stats),
      log_(std::move(log)) {
  if (!options_.proposals_file.empty())
    feed_.emplace(options_.proposals_file);
}

void Detection::tick(std::shared_ptr<const summary::Observation> reading) {
  const auto started = Clock::now();
  std::vector<std::pair<std::string, analyze::Proposal>> proposals;

  if (factory_ && reading) {
    readings_.push_back(reading);
    // The oldest reading kept is the newest one at least `window` old.
    const uint64_t now = reading->snapshot.taken_ns;
    const uint64_t span =
        static_cast<uint64_t>(options_.window.count()) * 1'000'000u;
    while (readings_.size() > 2 &&
           readings_[1]->snapshot.taken_ns + span <= now)
      readings_.pop_front();
    if (readings_.size() >= 2) {
      summary::Summary window = summary::build_summary(
          *readings_.front(), *reading, ++seq_, options_.summary);
      for (const std::string &iface : interfaces_) {
        PerInterface &pi = per_[iface];
        if (!pi.analyzer)
          pi.analyzer = factory_();
        for (analyze::Proposal &p : analyze(iface, pi, window, *reading))
          proposals.emplace_back(iface, std::move(p));
      }
    }
    stats_.tick_time(seconds_since(started));
  }

  if (feed_) {
    ProposalFeed::Read r = feed_->poll();
    for (const std::string &e : r.errors)
      log_->error("proposals file: {}", e);
    for (const analyze::Proposal &p : r.proposals)
      for (const std::string &iface : interfaces_)
        if (control_.governed(iface))
          proposals.emplace_back(iface, p);
  }

  // Set inserts first: a map update must not wait behind a compile.
  std::stable_sort(
      proposals.begin(), proposals.end(), [](const auto &a, const auto &b) {
        return a.second.kind == analyze::Proposal::Kind::SetInsert &&
               b.second.kind != analyze::Proposal::Kind::SetInsert;
      });
  for (const auto &[iface, p] : proposals)
    submit(iface, p);
  for (const std::string &iface : interfaces_)
    if (control_.governed(iface))
      lifecycle_tick(iface);
}

std::vector<analyze::Proposal>
Detection::analyze(const std::string &iface, PerInterface &pi,
                   const summary::Summary &window,
                   const summary::Observation &reading) {
  std::shared_ptr<const psr::govern::OperatorPolicy> op =
      control_.operator_policy(iface);
  if (!op)
    return {}; // not governed: nothing to propose to
  if (op != pi.op) {
    pi.op = op;
    pi.block_sets = analyze::find_block_sets(op->policy());
    pi.listed.clear();
  }
  const summary::PolicyView *view = nullptr;
  for (const summary::PolicyView &v : reading.policies)
    if (v.iface == iface)
      view = &v;

  AnalyzerInput in;
  in.iface = iface;
  in.window = &window;
  in.op = op;
  in.generated = control_.generated(iface);
  in.context.block_sets = pi.block_sets;
  in.context.blocked = blocked(iface, pi, view);
  if (view)
    for (const summary::RuleView &r : view->rules)
      in.context.rules_in_force.push_back(r.name);
  for (const psr::govern::GeneratedRule &g : in.generated)
    if (std::find(in.context.rules_in_force.begin(),
                  in.context.rules_in_force.end(),
                  g.name) == in.context.rules_in_force.end())
      in.context.rules_in_force.push_back(g.name);
  in.context.now_ns = clock_ns(CLOCK_MONOTONIC);
  in.context.now_unix_ms =
      static_cast<int64_t>(clock_ns(CLOCK_REALTIME) / 1'000'000u);
  try {
    return pi.analyzer->analyze(in);
  } catch (const std::exception &e) {
    stats_.analyzer_failed();
    log_->error("{}: the {} analyzer failed: {}; psd runs on", iface,
                pi.analyzer->name(), e.what());
  } catch (...) {
    stats_.analyzer_failed();
    log_->error("{}: the {} analyzer failed; psd runs on", iface,
                pi.analyzer->name());
  }
  return {};
}

std::vector<std::string> Detection::blocked(const std::string &iface,
                                            PerInterface &pi,
                                            const summary::PolicyView *view) {
  std::vector<std::string> out;
  const auto now = Clock::now();
  for (const analyze::BlockSet &b : pi.block_sets) {
    uint64_t count = 0;
    if (view)
      for (const summary::SetView &s : view->sets)
        if (s.name == b.name)
          count = s.entries;
    PerInterface::Listed &l = pi.listed[b.name];
    const bool fresh = l.at != Clock::time_point{} && l.count == count &&
                       now - l.at < std::chrono::seconds(1);
    if (!fresh) {
      be::Expected<std::vector<std::string>> e =
          count == 0 ? be::Expected<std::vector<std::string>>(
                           std::vector<std::string>{})
                     : control_.set_entries(iface, b.name);
      if (e.ok()) {
        l.entries = std::move(e.value());
        l.count = count;
        l.at = now;
      } else {
        log_->debug("{}: listing set '{}': {}", iface, b.name,
                    e.error().message);
      }
    }
    out.insert(out.end(), l.entries.begin(), l.entries.end());
  }
  return out;
}

void Detection::submit(const std::string &iface, const analyze::Proposal &p) {
  const auto started = Clock::now();
  psr::govern::SubmitResult r;
  try {
    r = control_.submit(iface, p);
  } catch (const std::exception &e) {
    stats_.governor_failed();
    log_->error("{}: proposal {}: the governor failed: {}; nothing changed",
                iface, p.id, e.what());
    return;
  }
  stats_.submit_time(seconds_since(started));
  if (auto it = per_.find(iface); it != per_.end() && it->second.analyzer)
    it->second.analyzer->verdict(
        p, r.verdict.accepted && r.applied,
        !r.verdict.accepted ? psr::govern::reason_code(r.verdict.reason)
        : r.applied         ? ""
                            : "not_applied",
        r.verdict.accepted ? r.error : r.verdict.message);
  const std::string what = what_of(p);
  if (!r.verdict.accepted) {
    log_->warn("{}: proposal {} ({}, {}) refused: {}: {}", iface, p.id,
               analyze::origin_name(p.origin), what,
               psr::govern::reason_code(r.verdict.reason), r.verdict.message);
    return;
  }
  if (!r.applied) {
    stats_.governor_failed();
    log_->error("{}: proposal {} ({}) accepted, but not applied: {}; nothing "
                "changed",
                iface, p.id, what, r.error);
    return;
  }
  if (r.prog_id != 0 && r.prog_id != r.replaced_prog_id)
    stats_.swap(iface, "proposal");
  log_->info("{}: proposal {} ({}, {}) in force{} after {:.0f} ms", iface, p.id,
             analyze::origin_name(p.origin), what,
             r.verdict.mode == psr::govern::RuleMode::Shadow ? " in shadow"
                                                             : "",
             seconds_since(started) * 1000);
}

void Detection::lifecycle_tick(const std::string &iface) {
  be::Expected<psr::govern::TickResult> t = control_.tick(iface);
  if (!t.ok()) {
    stats_.governor_failed();
    log_->warn("{}: lifecycle tick: {}", iface, t.error().message);
    return;
  }
  if (t->swapped)
    stats_.swap(iface, "tick");
  auto say = [&](const std::vector<std::string> &names, const char *what) {
    for (const std::string &n : names)
      log_->info("{}: rule {} {}", iface, n, what);
  };
  say(t->enforced, "enforced after its shadow period");
  say(t->shadow_dropped, "dropped: it matched nothing in its shadow period");
  say(t->expired, "expired");
  say(t->dropped, "dropped: it would now touch protected traffic");
  say(t->gone, "is no longer in force (another change replaced it)");
}

} // namespace psd
