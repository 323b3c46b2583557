#include "analyze/detector/tracker.h"

#include <algorithm>
#include <cstring>

namespace psr::analyze {

namespace {

std::string key_of(const Finding &f) {
  return std::string(detection_name(f.detection)) + "|" + f.subject;
}

} // namespace

std::vector<EvidenceWindow> RipeFinding::windows() const {
  std::vector<EvidenceWindow> out;
  for (const auto &[w, counters] : *history)
    out.push_back(w);
  return out;
}

std::vector<EvidenceCounter> RipeFinding::counters() const {
  std::vector<EvidenceCounter> out;
  for (const auto &[w, counters] : *history)
    for (const ReadCounter &c : counters)
      out.push_back({w.seq, c.name, c.value});
  return out;
}

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
    h.history.emplace_back(window, std::move(f.counters));
    f.counters.clear();
    while (h.history.size() > std::max<uint32_t>(hold_, 1))
      h.history.pop_front();
    if (h.in_a_row < hold_ && !f.hard)
      continue;
    ripe.push_back({std::move(f), &h.history});
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

size_t BlockedAddresses::Hash::operator()(const summary::Address &a) const {
  uint64_t h = 0, w = 0;
  for (size_t i = 0; i < a.size(); i += 8) {
    std::memcpy(&w, a.data() + i, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
  }
  return static_cast<size_t>(h ^ (h >> 29));
}

void BlockedAddresses::refresh(const std::vector<std::string> &list) {
  if (list == list_)
    return;
  list_ = list;
  set_.clear();
  set_.reserve(list_.size());
  for (const std::string &a : list_)
    if (auto k = summary::parse_address(a))
      set_.insert(*k);
}

bool BlockedAddresses::contains(const std::string &address) const {
  auto k = summary::parse_address(address);
  return k && set_.count(*k) != 0;
}

} // namespace psr::analyze
