#include "analyze/detector/tracker.h"

#include <algorithm>

namespace psr::analyze {

namespace {

std::string key_of(const Finding &f) {
  return std::string(detection_name(f.detection)) + "|" + f.subject;
}

} // namespace

std::vector<RipeFinding> FindingTracker::update(std::vector<Finding> findings,
                                                const EvidenceWindow &window) {
  ++tick_;
  std::vector<RipeFinding> ripe;
  for (Finding &f : findings) {
    Held &h = held_[key_of(f)];
    if (h.last_tick == tick_)
      continue; // the same finding twice in a window: the first counts
    if (h.last_tick + 1 != tick_) {
      h.in_a_row = 0;
      h.history.clear();
    }
    h.last_tick = tick_;
    h.in_a_row += 1;
    h.history.emplace_back(window, f.counters);
    while (h.history.size() > std::max<uint32_t>(hold_, 1))
      h.history.pop_front();
    if (h.in_a_row < hold_ && !f.hard)
      continue;
    RipeFinding r;
    for (const auto &[w, counters] : h.history) {
      r.windows.push_back(w);
      for (const ReadCounter &c : counters)
        r.counters.push_back({w.seq, c.name, c.value});
    }
    r.finding = std::move(f);
    ripe.push_back(std::move(r));
  }
  // What did not hold in this window starts again from 0 next time.
  for (auto it = held_.begin(); it != held_.end();)
    it = it->second.last_tick == tick_ ? std::next(it) : held_.erase(it);
  return ripe;
}

bool FindingTracker::proposed_within(const std::string &action, uint64_t now_ns,
                                     uint64_t after_ns) const {
  auto it = proposed_.find(action);
  return it != proposed_.end() && now_ns < it->second + after_ns;
}

uint64_t FindingTracker::proposed_at(const std::string &action) const {
  auto it = proposed_.find(action);
  return it == proposed_.end() ? 0 : it->second;
}

void FindingTracker::proposed(const std::string &action, uint64_t now_ns) {
  proposed_[action] = now_ns;
  if (proposed_.size() <= kMaxRemembered)
    return;
  auto oldest = std::min_element(
      proposed_.begin(), proposed_.end(),
      [](const auto &a, const auto &b) { return a.second < b.second; });
  proposed_.erase(oldest);
}

void FindingTracker::forget_before(uint64_t now_ns, uint64_t after_ns) {
  for (auto it = proposed_.begin(); it != proposed_.end();)
    it = now_ns >= it->second + after_ns ? proposed_.erase(it) : std::next(it);
}

} // namespace psr::analyze
