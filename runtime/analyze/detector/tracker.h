// The detector's memory between windows: how many windows in a row each
// finding has held (hysteresis), with the windows and counters it held
// in, and when each action was last proposed (so that a proposal refused
// or still pending is not sent again every window). Bounded: a finding
// that did not hold in the last window is forgotten, and the proposal
// memory keeps at most a fixed number of entries.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "analyze/detector/signals.h"
#include "analyze/proposal.h"
#include "summary/labels.h"

namespace psr::analyze {

// The windows a finding held in, each with the counters read in it
// (oldest first).
using FindingHistory =
    std::deque<std::pair<EvidenceWindow, std::vector<ReadCounter>>>;

// A finding that held long enough, with its evidence.
struct RipeFinding {
  // As read in the last window; its counters are in `history`.
  Finding finding;
  // The tracker's record: valid until its next update(). Evidence is
  // made from it only for what is proposed (most ripe findings are
  // proposed already and wait).
  const FindingHistory *history = nullptr;
  std::vector<EvidenceWindow> windows() const;
  std::vector<EvidenceCounter> counters() const;
};

class FindingTracker {
public:
  // Ripe: held `hold_ticks` windows in a row, or over its hard threshold
  // in this one. At most `hold_ticks` windows of evidence are kept.
  explicit FindingTracker(uint32_t hold_ticks) : hold_(hold_ticks) {}

  // This window's findings; returns the ripe ones, in the order given.
  std::vector<RipeFinding> update(std::vector<Finding> findings,
                                  const EvidenceWindow &window);

  // When `action` (a key the caller makes: "insert|blocked|198.51.100.7")
  // was last proposed is less than `after_ns` ago.
  bool proposed_within(const std::string &action, uint64_t now_ns,
                       uint64_t after_ns) const;
  void proposed(const std::string &action, uint64_t now_ns);
  // When `action` was last proposed, if it is remembered (0: it is not).
  uint64_t proposed_at(const std::string &action) const;
  // Forgets actions proposed `after_ns` ago or longer.
  void forget_before(uint64_t now_ns, uint64_t after_ns);

  size_t tracked() const { return held_.size(); }
  size_t remembered() const { return proposed_.size(); }
  // The proposal memory's bound: past it, the oldest entries go.
  static constexpr size_t kMaxRemembered = 8192;

private:
  struct Held {
    uint64_t last_tick = 0;
    uint32_t in_a_row = 0;
    FindingHistory history;
  };
  uint32_t hold_;
  uint64_t tick_ = 0;
  std::map<std::string, Held> held_;
  std::map<std::string, uint64_t> proposed_;
};

// The context's blocked addresses as a set of their 16-byte forms (any
// text of an address finds it), made again only when the list changes: a
// block set may hold many entries, and most ticks it is the same as at
// the last one.
class BlockedAddresses {
public:
  void refresh(const std::vector<std::string> &list);
  bool contains(const std::string &address) const;

private:
  struct Hash {
    size_t operator()(const summary::Address &a) const;
  };
  std::vector<std::string> list_;
  std::unordered_set<summary::Address, Hash> set_;
};

} // namespace psr::analyze
