// What the summaries, the API and the metrics need to know about the
// policies in force, one per interface: rule counters, shadow counters,
// rule expiry and dynamic sets. A narrow view so that this library needs
// nothing of the policy runtime (runtime/policy/); psd's adapter fills it
// from the policy runtime's status, tests fill it by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace psr::summary {

// One rule of a policy in force. Counters are totals since the policy was
// first put in force on the interface (the policy runtime keeps them
// across swaps); a counter that goes down is taken as a restart.
struct RuleView {
  std::string name;
  std::string action;              // "pass", "drop" or "count"
  std::string origin = "operator"; // "operator", "detector" or "llm"
  bool shadow = false;             // the rule only counts what it would do
  uint64_t packets = 0;
  uint64_t bytes = 0;
  // For a shadow rule: the packets it would have decided.
  uint64_t shadow_packets = 0;
  // When the rule expires (`ttl`), on CLOCK_MONOTONIC; none: never.
  std::optional<uint64_t> expires_ns;
};

// A dynamic set: sizes only; its members are addresses or values that the
// summaries never list.
struct SetView {
  std::string name;
  std::string elem; // "ip", "port", ...
  uint64_t entries = 0;
  uint64_t capacity = 0;
  uint64_t ttl_ms = 0; // the set's default ttl; 0: none
};

struct PolicyView {
  std::string iface;
  std::string policy; // the policy's name; empty when none is in force
  bool attached = false;
  uint32_t program_id = 0;
  std::string mode;            // "native", "generic", ...
  std::vector<RuleView> rules; // in policy order
  RuleView default_rule;       // name "default"; action the default's
  std::vector<SetView> sets;
};

} // namespace psr::summary
