#include "decision_stats.h"

namespace psd {

namespace {

std::string text_of(const nlohmann::json &j, const char *key,
                    const char *otherwise) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>()
                                          : std::string(otherwise);
}

} // namespace

void DecisionStats::on_record(const nlohmann::json &r, bool written) {
  if (!r.is_object())
    return;
  const std::string event = text_of(r, "event", "unknown");
  std::lock_guard<std::mutex> lock(mu_);
  if (!written)
    ++audit_failures_;
  ++records_[event];
  if (event == "verdict") {
    auto v = r.find("verdict");
    if (v == r.end() || !v->is_object())
      return;
    const bool accepted = v->value("accepted", false);
    ++proposals_[{text_of(r, "origin", "unknown"),
                  accepted ? "accepted" : "refused",
                  text_of(*v, "reason", "none")}];
    return;
  }
  if (event == "applied") {
    auto s = r.find("set_insert");
    if (s == r.end() || !s->is_object())
      return;
    auto added = s->find("added");
    std::string iface;
    if (auto t = r.find("target"); t != r.end() && t->is_object())
      iface = text_of(*t, "ifname", "");
    if (added != s->end() && added->is_array())
      inserts_[{iface, text_of(*s, "set", "")}] += added->size();
  }
}

void DecisionStats::swap(const std::string &iface, const char *cause) {
  std::lock_guard<std::mutex> lock(mu_);
  ++swaps_[{iface, cause}];
}

void DecisionStats::tick_time(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  tick_.observe(seconds);
}

void DecisionStats::submit_time(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  submit_.observe(seconds);
}

void DecisionStats::analyzer_failed() {
  std::lock_guard<std::mutex> lock(mu_);
  ++analyzer_failures_;
}

void DecisionStats::governor_failed() {
  std::lock_guard<std::mutex> lock(mu_);
  ++governor_failures_;
}

void DecisionStats::fill(psr::api::GovernanceMetrics &m) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto &[k, n] : proposals_)
    m.proposals.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), n});
  for (const auto &[e, n] : records_)
    m.records.push_back({e, n});
  for (const auto &[k, n] : inserts_)
    m.set_inserts.push_back({k.first, k.second, n});
  for (const auto &[k, n] : swaps_)
    m.swaps.push_back({k.first, k.second, n});
  m.tick = tick_;
  m.submit = submit_;
  m.analyzer_failures = analyzer_failures_;
  m.governor_failures = governor_failures_;
  m.audit_failures = audit_failures_;
}

} // namespace psd
