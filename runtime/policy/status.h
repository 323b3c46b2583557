// What is in force on a target, as one struct: the program and link, the
// policy and where it came from, per rule its action and counts (carried
// counts included), ttl and expiry, the default's counts, the dynamic sets
// with their live and expired entries. Rendering (text, JSON) is the front
// ends' (psc status; psd's API).
//
// Read without the lock: everything it reads is replaced atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/status.h"
#include "backend/xdp_attach.h"
#include "policy/layout.h"
#include "policy/program_state.h"

namespace psr::policy {

struct RuleStatus {
  std::string name;
  std::string action; // "pass", "drop", "count"
  bool shadow = false;
  RuleCounts counts;   // since it was first put in force (carried by name)
  uint64_t ttl_ns = 0; // `ttl D`; 0: none
  // Rules with a ttl: when first put in force and when the ttl runs out
  // (wall clock, ns since 1970), and whether it has (psd removes it).
  uint64_t started_unix_ns = 0, expires_unix_ns = 0;
  bool expired = false;
  // Who wrote it: "operator", or the analyzer of a generated rule
  // ("detector", "llm").
  std::string origin = "operator";
};

struct SetStatus {
  std::string name;
  std::string elem;
  uint32_t capacity = 0;
  uint64_t ttl_ns = 0;
  uint64_t live = 0, expired = 0; // expired: still in the map until swept
  bool readable = true;
};

struct TargetStatus {
  Target target;
  bool current_netns = false; // the caller's namespace
  bool netns_alive = true;    // false: the namespace is gone
  // Known for the caller's namespace only.
  bool interface_exists = false;
  uint32_t ifindex = 0;

  bool pinned = false;   // PacketScope's link is pinned
  bool attached = false; // and attached (to this interface, when known)
  uint32_t link_id = 0;
  uint32_t prog_id = 0;
  std::string program_name;
  be::XdpMode mode = be::XdpMode::Auto; // Native or Generic when attached

  bool has_state = false;
  std::string state_problem; // why there is no state for the program
  std::string policy, source, default_action;
  uint64_t loaded_at_unix_ns = 0;   // this program
  uint64_t attached_at_unix_ns = 0; // the first of this run of swaps
  std::vector<RuleStatus> rules;
  RuleCounts default_counts;
  std::vector<SetStatus> sets;
  std::vector<std::string> expired_rules; // removed by rule expiry
  std::vector<std::string> problems;      // things that look wrong
};

// The status of one target. Errors, all the environment's: an interface
// of the caller's namespace (ENODEV) or another namespace (ENOENT) that
// does not exist and has nothing of PacketScope (target_exists()), or a
// kernel object that cannot be read.
be::Expected<TargetStatus> target_status(const StateLayout &layout,
                                         const Target &t);

// For an interface the caller named (psc status --dev): the environment's
// error (ENODEV) when it does not exist in the caller's namespace, although
// its status shows what a policy on it left; else success.
be::Status named_interface_exists(const TargetStatus &s);

// The targets to show for `netns` (every target with pins or state).
std::vector<Target> status_targets(const StateLayout &layout,
                                   const std::string &netns);

} // namespace psr::policy
