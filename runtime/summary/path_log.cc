#include "summary/path_log.h"

#include <algorithm>

namespace psr::summary {

bool path_matches(const trace::PacketPath &path, const PathFilter &f) {
  Address src = normalize_address(path.saddr, path.family);
  Address dst = normalize_address(path.daddr, path.family);
  if (f.addr && *f.addr != src && *f.addr != dst)
    return false;
  if (f.src && *f.src != src)
    return false;
  if (f.dst && *f.dst != dst)
    return false;
  if (f.port && *f.port != path.sport && *f.port != path.dport)
    return false;
  if (f.sport && *f.sport != path.sport)
    return false;
  if (f.dport && *f.dport != path.dport)
    return false;
  if (f.proto && *f.proto != path.proto)
    return false;
  return true;
}

PathLog::PathLog(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void PathLog::add(std::vector<trace::PacketPath> paths) {
  std::lock_guard<std::mutex> lock(mu_);
  for (trace::PacketPath &p : paths) {
    if (paths_.size() >= capacity_)
      paths_.pop_front();
    paths_.push_back(std::move(p));
    ++added_;
  }
}

std::vector<trace::PacketPath> PathLog::find(const PathFilter &filter) const {
  std::vector<trace::PacketPath> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = paths_.rbegin(); it != paths_.rend(); ++it) {
    if (out.size() >= filter.limit)
      break;
    if (path_matches(*it, filter))
      out.push_back(*it);
  }
  return out;
}

size_t PathLog::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return paths_.size();
}

uint64_t PathLog::total_added() const {
  std::lock_guard<std::mutex> lock(mu_);
  return added_;
}

nlohmann::ordered_json to_json(const trace::PacketPath &path) {
  nlohmann::ordered_json steps = nlohmann::ordered_json::array();
  for (const trace::PathStep &s : path.steps)
    steps.push_back({{"ts_ns", s.ts_ns},
                     {"hook", s.hook},
                     {"verdict", s.verdict},
                     {"rule", s.rule},
                     {"reason", s.reason}});
  return {{"id", path.id},
          {"proto", proto_label(path.proto)},
          {"family", path.family == 6 ? 6 : 4},
          {"src", format_address(path.saddr, path.family)},
          {"dst", format_address(path.daddr, path.family)},
          {"sport", path.sport},
          {"dport", path.dport},
          {"len", path.len},
          {"outcome", path.outcome},
          {"steps", std::move(steps)}};
}

} // namespace psr::summary
