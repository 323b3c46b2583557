#include "summary/ring.h"

#include <algorithm>

#include "summary/summary_json.h"

namespace psr::summary {

SummaryRing::SummaryRing(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)) {}

RingEntry SummaryRing::push(Summary summary) {
  RingEntry e;
  e.json = std::make_shared<const std::string>(to_json_text(summary));
  e.summary = std::make_shared<const Summary>(std::move(summary));
  std::lock_guard<std::mutex> lock(mu_);
  while (entries_.size() >= capacity_) {
    json_bytes_ -= entries_.front().json->size();
    entries_.pop_front();
  }
  entries_.push_back(e);
  json_bytes_ += e.json->size();
  return e;
}

std::optional<RingEntry> SummaryRing::latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.empty())
    return std::nullopt;
  return entries_.back();
}

template <class Pred>
std::vector<RingEntry> SummaryRing::select(Pred after, size_t limit,
                                           bool *more) const {
  std::lock_guard<std::mutex> lock(mu_);
  // A filter, not a search for the first match: the wall clock may have
  // been set back between two windows.
  std::vector<RingEntry> out;
  size_t matching = 0;
  for (const RingEntry &e : entries_) {
    if (!after(e))
      continue;
    ++matching;
    if (out.size() < limit)
      out.push_back(e);
  }
  if (more)
    *more = matching > out.size();
  return out;
}

std::vector<RingEntry>
SummaryRing::since_unix_ms(uint64_t unix_ms, size_t limit, bool *more) const {
  return select(
      [&](const RingEntry &e) {
        return e.summary->window.end_unix_ms > unix_ms;
      },
      limit, more);
}

std::vector<RingEntry> SummaryRing::after_seq(uint64_t seq, size_t limit,
                                              bool *more) const {
  return select([&](const RingEntry &e) { return e.seq() > seq; }, limit, more);
}

size_t SummaryRing::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

size_t SummaryRing::json_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return json_bytes_;
}

} // namespace psr::summary
