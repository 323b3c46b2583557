// What the runtime keeps about the program in force on a target, beside
// the pins: <state dir>/prog-<ID>/, one directory per program, ID being
// the kernel's program id.
//
//   state.json   ProgramState below: the rule table (names <-> counter
//                ids, ttls), dynamic sets and rate() layouts, the counts
//                carried over from earlier programs, when each ttl rule was
//                first put in force, and when the policy was loaded
//   policy.psl   the text of the policy in force, so that removing an
//                expired rule never rebuilds from a file edited since
//   policy.json  the build's sidecar (psc build's OUT.o.maps.json) with
//                `ifname`, `netns` and `source` in front: for people and
//                scripts; the runtime reads state.json
//
// A load writes policy.json and policy.psl to <state dir>/new before it
// loads the program, then renames new/ to prog-<ID>/ and adds state.json.
//
// The directory of a program is written completely before the program is
// switched in, and which one is in force is the kernel's answer: the
// program the pinned link runs. So a loader killed at any point leaves
// either the old program with its directory, or the new one with its
// directory (and a stray one, removed by the next change): the next
// process adopts what is in force.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backend/status.h"
#include "policy/layout.h"

namespace psr::policy {

struct RuleEntry {
  std::string name;
  std::string action; // "pass", "drop", "count"
  bool shadow = false;
  uint32_t counter = 0; // id in psl_rule_cnt / psl_shadow_cnt
  uint64_t ttl_ns = 0;  // `ttl D`; 0: none
  // Who wrote it: "operator" (the policy file), or the analyzer whose
  // proposal the governor accepted ("detector", "llm"). Not part of ==:
  // the origin changes nothing the kernel or a carry-over sees.
  std::string origin = "operator";
  bool operator==(const RuleEntry &o) const {
    return name == o.name && action == o.action && shadow == o.shadow &&
           counter == o.counter && ttl_ns == o.ttl_ns;
  }
};

struct DynSetEntry {
  std::string name; // = its map's name
  std::string elem; // "ip", "port", "int", "mac", "proto"
  uint32_t capacity = 0;
  uint64_t ttl_ns = 0; // the set's default entry ttl; 0: none
};

// One rate() of the policy: its buckets are psl_rate entries whose
// psl_rate_key.rule_id is `id`.
struct RateEntry {
  uint32_t id = 0;
  std::string rule;              // the rule it is in
  uint32_t ordinal = 0;          // its place among that rule's rate()s
  std::vector<std::string> keys; // KEY fields, packed in this order
  uint64_t per_second = 0;
  bool bits = false;
  uint64_t burst = 0;
  uint32_t shift = 0; // psl_rate_cfg_make()
};

struct RuleCounts {
  uint64_t packets = 0, bytes = 0, shadow_packets = 0, shadow_bytes = 0;
  RuleCounts &operator+=(const RuleCounts &o) {
    packets += o.packets;
    bytes += o.bytes;
    shadow_packets += o.shadow_packets;
    shadow_bytes += o.shadow_bytes;
    return *this;
  }
  bool operator==(const RuleCounts &o) const {
    return packets == o.packets && bytes == o.bytes &&
           shadow_packets == o.shadow_packets && shadow_bytes == o.shadow_bytes;
  }
  bool zero() const { return *this == RuleCounts{}; }
};

struct ProgramState {
  // Where and what.
  std::string netns;
  uint64_t netns_cookie = 0;
  std::string ifname;
  uint32_t prog_id = 0;
  std::string mode; // "native" or "generic"
  std::string policy;
  std::string source;         // the file it was loaded from, or "<stdin>"
  std::string default_action; // "pass" or "drop"
  // Wall clock (ns since 1970): when this program was put in force, and
  // when the first policy of the current run of swaps was (the target was
  // last attached from nothing).
  uint64_t loaded_at_unix_ns = 0;
  uint64_t attached_at_unix_ns = 0;
  // Rules that an expiry removed from `policy.psl`'s text before this
  // program was built (for status and the audit trail).
  std::vector<std::string> expired_rules;

  std::vector<RuleEntry> rules; // in rule order
  std::vector<DynSetEntry> dynsets;
  std::vector<RateEntry> rates;
  // Counted by earlier programs, by rule name; what status shows is this
  // plus the maps. `default_base` for the default verdict.
  std::map<std::string, RuleCounts> counter_base;
  RuleCounts default_base;
  // CLOCK_BOOTTIME ns when each rule with a ttl was first put in force.
  std::map<std::string, uint64_t> rule_started_ns;

  const RuleEntry *find_rule(const std::string &name) const;
  const DynSetEntry *find_dynset(const std::string &name) const;
};

// state.json's text and back. The rule table is written row by row
// (a 100k-rule policy has 100k rules), one compact array per rule:
// [name, action, shadow, counter, ttl_ns], and the origin as a sixth
// element for rules not written by the operator.
std::string state_to_json(const ProgramState &s);
be::Expected<ProgramState> state_from_json(const std::string &text);

// prog-<ID>/state.json of `t`; an error when absent or unreadable.
be::Expected<ProgramState> read_program_state(const StateLayout &layout,
                                              const Target &t,
                                              uint32_t prog_id);
// Replaces prog-<ID>/state.json (the directory must exist).
be::Status write_program_state(const StateLayout &layout, const Target &t,
                               const ProgramState &s);
// The policy text kept in prog-<ID>/policy.psl.
be::Expected<std::string> read_program_text(const StateLayout &layout,
                                            const Target &t, uint32_t prog_id);

// Program ids that have a prog-<ID> directory under `t`'s state.
std::vector<uint32_t> program_dirs(const StateLayout &layout, const Target &t);
// Removes every prog-<ID> directory but `keep`'s (0: all of them).
void remove_program_dirs(const StateLayout &layout, const Target &t,
                         uint32_t keep);

// Clocks the state uses.
uint64_t unix_now_ns();
uint64_t boottime_now_ns();
uint64_t monotonic_now_ns(); // bpf_ktime_get_ns(): dynamic-set expiry

} // namespace psr::policy
