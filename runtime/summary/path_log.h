// The last N sampled packet paths the tracer assembled (pwru-style: every
// hook a packet passed), for /api/v1/trace. Bounded: the oldest go first.
// Thread-safe: the collector adds while API threads read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "summary/labels.h"
#include "trace/snapshot.h"

namespace psr::summary {

// What a reader asks for; every member set must hold.
struct PathFilter {
  std::optional<Address> addr; // source or destination
  std::optional<Address> src, dst;
  std::optional<uint16_t> port; // source or destination port
  std::optional<uint16_t> sport, dport;
  std::optional<trace::Proto> proto;
  size_t limit = 100;
};

bool path_matches(const trace::PacketPath &path, const PathFilter &filter);

class PathLog {
public:
  explicit PathLog(size_t capacity);

  void add(std::vector<trace::PacketPath> paths);
  // Newest first, at most filter.limit.
  std::vector<trace::PacketPath> find(const PathFilter &filter) const;
  size_t size() const;
  size_t capacity() const { return capacity_; }
  uint64_t total_added() const;

private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<trace::PacketPath> paths_;
  uint64_t added_ = 0;
};

// {"id", "proto", "family", "src", "dst", "sport", "dport", "len",
//  "outcome", "steps": [{"ts_ns", "hook", "verdict", "rule", "reason"}]}
nlohmann::ordered_json to_json(const trace::PacketPath &path);

} // namespace psr::summary
