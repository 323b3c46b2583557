#include "api/governance_metrics.h"

#include <cstdio>
#include <utility>

namespace psr::api {

DurationHistogram::DurationHistogram()
    : bounds_{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
              0.1,    0.25,  0.5,    1,     2.5,  5},
      counts_(bounds_.size() + 1, 0) {}

DurationHistogram::DurationHistogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void DurationHistogram::observe(double seconds) {
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i])
    ++i;
  ++counts_[i];
  sum_ += seconds;
  ++count_;
}

void render_histogram(PrometheusText &w, const char *name, const char *help,
                      const DurationHistogram &h) {
  w.family(name, "histogram", help);
  const std::string base = name;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += h.counts()[i];
    char le[32];
    std::snprintf(le, sizeof le, "%.9g", h.bounds()[i]);
    w.sample(base + "_bucket", {{"le", le}}, cumulative);
  }
  cumulative += h.counts().back();
  w.sample(base + "_bucket", {{"le", "+Inf"}}, cumulative);
  w.sample_double(base + "_sum", {}, h.sum());
  w.sample(base + "_count", {}, h.count());
}

void render_governance(PrometheusText &w, const GovernanceMetrics &g) {
  if (!g.enabled)
    return;
  w.family("packetscope_analyzer_info", "gauge",
           "The analyzer psd runs at each detection tick.");
  w.sample("packetscope_analyzer_info", {{"analyzer", g.analyzer}}, 1);
  w.family("packetscope_proposals_total", "counter",
           "Proposals the governor judged, by origin, verdict and reason "
           "code (\"none\" for accepted ones).");
  for (const auto &p : g.proposals)
    w.sample(
        "packetscope_proposals_total",
        {{"origin", p.origin}, {"verdict", p.verdict}, {"reason", p.reason}},
        p.count);
  w.family("packetscope_decisions_total", "counter",
           "Audit log records by event (proposal, verdict, applied, expired, "
           "...).");
  for (const auto &r : g.records)
    w.sample("packetscope_decisions_total", {{"event", r.event}}, r.count);
  w.family("packetscope_set_inserts_total", "counter",
           "Values the governor added to a dynamic set (the fast path).");
  for (const auto &s : g.set_inserts)
    w.sample("packetscope_set_inserts_total",
             {{"interface", s.iface}, {"set", s.set}}, s.values);
  w.family("packetscope_policy_swaps_total", "counter",
           "Programs put in force by psd, by cause: proposal, tick (expiry, "
           "shadow periods, new protected addresses), withdraw, operator.");
  for (const auto &s : g.swaps)
    w.sample("packetscope_policy_swaps_total",
             {{"interface", s.iface}, {"cause", s.cause}}, s.count);
  w.family("packetscope_generated_rules", "gauge",
           "Generated rules in force, by origin and mode.");
  for (const auto &r : g.generated)
    w.sample("packetscope_generated_rules",
             {{"interface", r.iface}, {"origin", r.origin}, {"mode", r.mode}},
             r.rules);
  render_histogram(
      w, "packetscope_detection_tick_seconds",
      "A detection tick: the reading, the short window's summary and "
      "the analyzer.",
      g.tick);
  render_histogram(
      w, "packetscope_proposal_apply_seconds",
      "A proposal from its submission to the governor to its change "
      "in the kernel (or its refusal).",
      g.submit);
  w.family("packetscope_analyzer_failures_total", "counter",
           "Detection ticks whose analyzer failed (logged; psd runs on).");
  w.sample("packetscope_analyzer_failures_total", {}, g.analyzer_failures);
  w.family("packetscope_governor_failures_total", "counter",
           "Submissions and lifecycle ticks that failed (logged; what is in "
           "force stays).");
  w.sample("packetscope_governor_failures_total", {}, g.governor_failures);
  w.family("packetscope_audit_write_failures_total", "counter",
           "Audit records the audit log file did not take.");
  w.sample("packetscope_audit_write_failures_total", {}, g.audit_failures);
}

} // namespace psr::api
