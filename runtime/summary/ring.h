// The last N summaries, for the API (/api/v1/summary, /api/v1/summaries),
// the event stream's catch-up and the analyzers. Each is kept with its
// JSON text, written once when it is added. Thread-safe: the collector
// adds while API threads read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "summary/summary.h"

namespace psr::summary {

struct RingEntry {
  std::shared_ptr<const Summary> summary;
  std::shared_ptr<const std::string> json;
  uint64_t seq() const { return summary->seq; }
};

class SummaryRing {
public:
  explicit SummaryRing(size_t capacity);

  // Adds a summary, dropping the oldest when full; returns the entry.
  RingEntry push(Summary summary);

  std::optional<RingEntry> latest() const;

  // Summaries whose window ended after `unix_ms`, oldest first, at most
  // `limit`; *more tells whether newer ones were left out.
  std::vector<RingEntry> since_unix_ms(uint64_t unix_ms, size_t limit,
                                       bool *more = nullptr) const;
  // Summaries with seq greater than `seq`, oldest first, at most `limit`.
  std::vector<RingEntry> after_seq(uint64_t seq, size_t limit,
                                   bool *more = nullptr) const;

  size_t size() const;
  size_t capacity() const { return capacity_; }
  // Bytes of JSON text held (for the status and the metrics).
  size_t json_bytes() const;

private:
  template <class Pred>
  std::vector<RingEntry> select(Pred after, size_t limit, bool *more) const;

  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<RingEntry> entries_;
  size_t json_bytes_ = 0;
};

} // namespace psr::summary
