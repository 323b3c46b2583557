// Sampled packets' paths (pwru-style: each hook a packet passed, with its
// time, verdict, rule or drop reason), assembled from the path events of
// the XDP observation and the stack tracepoints, which share one sample id
// per packet (bpf/runtime/pso_abi.h, pso_ident_hash).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend/status.h"
#include "trace/drop_reasons.h"
#include "trace/snapshot.h"

struct pso_event;
struct ring_buffer;

namespace psr::trace {

// Names a rule counter id (0: the default). The policy runtime's sidecar
// ("rules": [{"name", "counter"}]) gives one: rule_namer_from_sidecar().
using RuleNamer = std::function<std::string(uint32_t counter_id)>;
psl::backend::Expected<RuleNamer>
rule_namer_from_sidecar(const std::string &json_text);

struct PathFilter {
  std::string address; // from or to this address; empty: any
  uint16_t port = 0;   // TCP/UDP from or to this port; 0: any
};

// Events -> paths. No kernel involved: the poller feeds it, tests too.
class PathCollector {
public:
  // Keeps the last `keep` finished paths. `namer` may be empty (rules
  // are then shown by counter id).
  PathCollector(size_t keep, DropReasons reasons, RuleNamer namer = {});

  void set_rule_namer(RuleNamer namer) { namer_ = std::move(namer); }
  void add(const struct pso_event &e);
  // Finishes the paths whose last event is older than `idle_ns` at
  // `now_ns` (CLOCK_MONOTONIC). A path stays open until then even after
  // its last hook (the rings are read one after the other, so its earlier
  // events may still come), unless the same packet identity enters again.
  void expire(uint64_t now_ns, uint64_t idle_ns);

  // Finished paths, oldest first, that match `f`; then, with
  // include_open, those still open.
  std::vector<PacketPath> paths(const PathFilter &f = {},
                                bool include_open = false) const;
  uint64_t events() const { return events_; }

private:
  void finish(uint64_t id);
  std::string outcome(const PacketPath &p) const;

  size_t keep_;
  DropReasons reasons_;
  RuleNamer namer_;
  std::map<uint64_t, PacketPath> open_;
  std::deque<PacketPath> done_;
  uint64_t events_ = 0;
};

// Polls ring buffers of path events (the tracer's, and one per observed
// interface) into a PathCollector. RAII over libbpf's ring_buffer.
class PathPoller {
public:
  static psl::backend::Expected<std::unique_ptr<PathPoller>>
  create(PathCollector &collector, const std::vector<int> &ring_fds);
  ~PathPoller();
  PathPoller(const PathPoller &) = delete;
  PathPoller &operator=(const PathPoller &) = delete;

  // Waits up to timeout_ms for events and hands them all over; returns
  // how many, or an error.
  psl::backend::Expected<int> poll(int timeout_ms);

private:
  PathPoller() = default;
  static int on_event(void *ctx, void *data, size_t size);
  PathCollector *collector_ = nullptr;
  ring_buffer *rb_ = nullptr;
};

} // namespace psr::trace
